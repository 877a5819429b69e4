"""OGC API - Features Part 3 filtering: CQL2 (text and JSON) to SQL with parameters.

A filter is parsed by pygeofilter (the CQL2 library tipg uses) into its AST, every
property name is checked against the collection's queryables (the allow-list), and the
tree is translated to a SQL condition for the embedded SQLite/GeoPackage store or for
PostGIS. Values only ever travel as bound parameters; property names only ever come
from the allow-list, so no part of a client's text is written into the SQL.

Spatial predicates (``S_INTERSECTS``, ``S_WITHIN``...) use the store's spatial index:
PostGIS's GiST index through ``ST_Intersects`` & co., the GeoPackage's R*Tree as a
pre-filter in SQLite followed by the exact test in shapely (a registered SQL function).

The same module answers ``datetime`` (on the record's reported date, วันที่รายงาน) and
``sortby``, so every question a client asks of the records is built in one place.

Examples
--------
>>> fields = {"kind": Field("kind", "string", "kind"), "area_rai_drawn": Field("area_rai_drawn", "number")}
>>> where = parse_filter("kind = 'plots' AND area_rai_drawn > 2.5", "cql2-text", fields)
>>> where.sql("postgis")
("((kind = %s::text) AND ((CASE WHEN jsonb_typeof(properties -> %s::text) = 'number' THEN (properties ->> %s::text)::double precision END) > %s::double precision))", ['plots', 'area_rai_drawn', 'area_rai_drawn', 2.5])
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, UTC
from typing import Any, Literal

import shapely
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from geoplots.errors import GeoplotsError

Dialect = Literal["sqlite", "postgis"]
JsonType = Literal["string", "number", "integer", "boolean", "array", "object"]

#: Names a client may use for the geometry in a filter.
GEOMETRY_NAMES = ("geometry", "geom")


class FilterError(GeoplotsError):
    """A filter, sort or datetime the server cannot answer exactly (a 400 for the client)."""


@dataclass(frozen=True)
class Field:
    """A queryable property of a collection.

    Attributes
    ----------
    name : str
        As it appears in the features' ``properties``.
    type : str
        JSON Schema type (``string``, ``number``, ``integer``, ``boolean``, ``array``).
    column : str or None
        The store's typed column, or None for a field kept in the ``properties`` JSON.
    format : str or None
        JSON Schema format (``date-time`` for timestamps).
    """

    name: str
    type: JsonType
    column: str | None = None
    format: str | None = None

    def sql(self, dialect: Dialect) -> tuple[str, list]:
        """The SQL expression reading this field, and its parameters."""
        if self.column is not None:
            return _column_sql(self.column, dialect), []
        if dialect == "sqlite":
            return "json_extract(r.properties, ?)", [_json_path(self.name)]
        cast = {"number": "double precision", "integer": "double precision", "boolean": "boolean"}.get(self.type)
        if cast is None:
            return "(properties ->> %s::text)", [self.name]
        typeof = "number" if self.type == "integer" else self.type
        return (f"(CASE WHEN jsonb_typeof(properties -> %s::text) = '{typeof}' "
                f"THEN (properties ->> %s::text)::{cast} END)"), [self.name, self.name]


def safe_name(name: str) -> bool:
    """Whether ``name`` may be a queryable: one a JSON path can name exactly.

    Examples
    --------
    >>> safe_name("has_garden"), safe_name('a"b')
    (True, False)
    """
    return bool(name) and not any(c in name for c in '"\\') and all(ord(c) >= 32 for c in name)


def _json_path(name: str) -> str:
    return '$."' + name + '"'


def _column_sql(column: str, dialect: Dialect) -> str:
    if dialect == "sqlite":
        return f'r."{column}"'
    if column == "received_at":  # the embedded store's spelling, so comparisons agree
        return ("(to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS') || '+00:00')")
    return f'"{column}"'


def _mark(dialect: Dialect, sql_type: str | None = None) -> str:
    if dialect == "sqlite":
        return "?"
    return "%s" if sql_type is None else f"%s::{sql_type}"


_PG_TYPES = {"string": "text", "number": "double precision", "integer": "double precision", "boolean": "boolean"}


@dataclass(frozen=True)
class SqlFilter:
    """A checked CQL2 filter, translated to SQL for a store on demand.

    Attributes
    ----------
    node : pygeofilter.ast.Node
        The parsed filter.
    fields : mapping of str to Field
        The queryables it was checked against.
    """

    node: Any
    fields: Mapping[str, Field]

    def sql(self, dialect: Dialect) -> tuple[str, list]:
        """The SQL condition (records aliased ``r`` in SQLite) and its parameters."""
        return _Translator(self.fields, dialect).node(self.node)


def parse_filter(text: str, lang: str, fields: Mapping[str, Field]) -> SqlFilter:
    """Parse a ``filter`` in ``cql2-text`` or ``cql2-json`` and check it against ``fields``.

    Raises
    ------
    FilterError
        When it does not parse, names a property that is not queryable, compares a
        property with a value of another type, or uses an operator not implemented.
    """
    node = _parse(text, lang)
    filt = SqlFilter(node, fields)
    try:
        for dialect in ("sqlite", "postgis"):  # every check happens while translating
            filt.sql(dialect)
    except RecursionError:
        raise FilterError("The filter is nested too deeply.") from None
    return filt


def _parse(text: str, lang: str) -> Any:
    try:
        if lang == "cql2-text":
            return parse_cql2_text(text)
        if lang == "cql2-json":
            return parse_cql2_json(_bbox_as_polygon(json.loads(text)))
    except FilterError:
        raise
    except Exception as exc:  # lark and json errors carry the position; keep the message short
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise FilterError(f"The filter is not valid {lang}: {first[:300]}") from exc
    raise FilterError(f"filter-lang must be cql2-text or cql2-json; got {lang!r}.")


def _bbox_as_polygon(node: Any) -> Any:
    """CQL2-JSON ``{"bbox": [minx, miny, maxx, maxy]}`` as a GeoJSON polygon: pygeofilter
    0.4 reads the list in another order (x1, x2, y1, y2), which would query the wrong box.
    """
    if isinstance(node, list):
        return [_bbox_as_polygon(n) for n in node]
    if not isinstance(node, dict):
        return node
    box = node.get("bbox")
    if isinstance(box, list) and len(box) in (4, 6) and all(isinstance(v, (int, float)) for v in box):
        minx, miny, maxx, maxy = box if len(box) == 4 else (box[0], box[1], box[3], box[4])
        return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy],
                                                    [minx, miny]]]}
    return {k: _bbox_as_polygon(v) for k, v in node.items()}


_COMPARISONS = {
    ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
    ast.GreaterThan: ">", ast.GreaterEqual: ">=",
}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_SPATIAL = {
    ast.GeometryIntersects: "intersects", ast.GeometryDisjoint: "disjoint", ast.GeometryWithin: "within",
    ast.GeometryContains: "contains", ast.GeometryEquals: "equals", ast.GeometryTouches: "touches",
    ast.GeometryCrosses: "crosses", ast.GeometryOverlaps: "overlaps",
}


class _Translator:
    """One translation of a filter tree to one dialect."""

    def __init__(self, fields: Mapping[str, Field], dialect: Dialect) -> None:
        self.fields, self.dialect = fields, dialect

    def node(self, node: Any) -> tuple[str, list]:
        if isinstance(node, ast.Not):
            sql, params = self.node(node.sub_node)
            return f"(NOT {sql})", params
        if isinstance(node, (ast.And, ast.Or)):
            left, lp = self.node(node.lhs)
            right, rp = self.node(node.rhs)
            return f"({left} {'AND' if isinstance(node, ast.And) else 'OR'} {right})", lp + rp
        if isinstance(node, ast.Include):
            return ("(1 = 0)" if node.not_ else "(1 = 1)"), []
        if type(node) in _COMPARISONS:
            return self._comparison(node)
        if type(node) in _SPATIAL:
            return self._spatial(node, _SPATIAL[type(node)])
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.In):
            return self._in(node)
        if isinstance(node, ast.IsNull):
            sql, params = self._field(node.lhs).sql(self.dialect)
            return f"({sql} IS {'NOT ' if node.not_ else ''}NULL)", params
        if isinstance(node, ast.Between):
            return self._between(node)
        if isinstance(node, bool):  # a bare TRUE/FALSE
            return ("(1 = 1)" if node else "(1 = 0)"), []
        raise FilterError(f"The filter uses {type(node).__name__}, which this server does not implement. "
                          "Supported: comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT and the S_* "
                          "spatial functions.")

    def _field(self, node: Any) -> Field:
        if not isinstance(node, ast.Attribute):
            raise FilterError(f"Expected a property name, got {node!r:.100}.")
        field = self.fields.get(node.name)
        if field is None or field.type in ("array", "object"):
            known = ", ".join(n for n, f in self.fields.items() if f.type not in ("array", "object"))
            raise FilterError(f"{node.name!r:.100} is not a queryable property of this collection. "
                              f"Queryables: {known}.")
        return field

    def _value(self, field: Field, value: Any) -> tuple[str, list]:
        """A bound literal of the field's type (another type is the client's mistake: 400)."""
        if isinstance(value, values.Interval) or isinstance(value, ast.Node) or isinstance(value, list):
            raise FilterError(f"Compare {field.name} with a single value.")
        ok = {
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "integer": isinstance(value, (int, float)) and not isinstance(value, bool),
        }.get(field.type, False)
        if isinstance(value, (datetime, date)) and field.format == "date-time":
            value, ok = iso_utc(value), True
        if not ok:
            raise FilterError(f"{field.name} holds {field.type} values; {value!r:.100} is not one "
                              f"(quote text values: {field.name} = '...').")
        if isinstance(value, float) and not math.isfinite(value):
            raise FilterError(f"{value!r} is not a number a filter can compare with.")
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            value = float(value)  # SQLite integers stop at 2**63; no stored count comes near
        return _mark(self.dialect, _PG_TYPES.get(field.type)), [value]

    def _comparison(self, node: Any) -> tuple[str, list]:
        op, lhs, rhs = _COMPARISONS[type(node)], node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute) and isinstance(rhs, ast.Attribute):
            lhs, rhs, op = rhs, lhs, _FLIPPED[op]
        field = self._field(lhs)
        left, lp = field.sql(self.dialect)
        if isinstance(rhs, ast.Attribute):
            other = self._field(rhs)
            if other.type != field.type and {other.type, field.type} != {"number", "integer"}:
                raise FilterError(f"Cannot compare {field.name} ({field.type}) with {other.name} ({other.type}).")
            right, rp = other.sql(self.dialect)
        else:
            right, rp = self._value(field, rhs)
        return f"({left} {op} {right})", lp + rp

    def _between(self, node: Any) -> tuple[str, list]:
        field = self._field(node.lhs)
        if field.type not in ("number", "integer"):
            raise FilterError(f"BETWEEN needs a number property; {field.name} holds {field.type} values.")
        left, lp = field.sql(self.dialect)
        low, low_p = self._value(field, node.low)
        high, high_p = self._value(field, node.high)
        return f"({left} {'NOT ' if node.not_ else ''}BETWEEN {low} AND {high})", lp + low_p + high_p

    def _in(self, node: Any) -> tuple[str, list]:
        field = self._field(node.lhs)
        left, params = field.sql(self.dialect)
        if not node.sub_nodes:
            raise FilterError(f"IN needs at least one value for {field.name}.")
        marks = []
        for value in node.sub_nodes:
            mark, value_params = self._value(field, value)
            marks.append(mark)
            params = params + value_params
        return f"({left} {'NOT ' if node.not_ else ''}IN ({', '.join(marks)}))", params

    def _like(self, node: Any) -> tuple[str, list]:
        field = self._field(node.lhs)
        if field.type != "string" or not isinstance(node.pattern, str):
            raise FilterError(f"LIKE needs a text property and a quoted pattern; {field.name} holds {field.type}.")
        left, params = field.sql(self.dialect)
        parts = _like_parts(node.pattern)
        negate = "NOT " if node.not_ else ""
        if self.dialect == "sqlite":  # GLOB: case-sensitive like LIKE in CQL2 and PostgreSQL
            glob = "".join({"%": "*", "_": "?"}[p[1]] if p[0] == "wild" else _glob_escape(p[1]) for p in parts)
            return f"({left} {negate}GLOB ?)", params + [glob]
        like = "".join(p[1] if p[0] == "wild" else re.sub(r"([%_\\])", r"\\\1", p[1]) for p in parts)
        return f"({left} {negate}LIKE %s::text ESCAPE '\\')", params + [like]

    def _spatial(self, node: Any, predicate: str) -> tuple[str, list]:
        lhs, rhs = node.lhs, node.rhs
        if _is_geometry_name(rhs) and not _is_geometry_name(lhs):
            lhs, rhs = rhs, lhs
            predicate = {"within": "contains", "contains": "within"}.get(predicate, predicate)
        if not _is_geometry_name(lhs):
            raise FilterError(f"Spatial functions compare the feature's geometry ({GEOMETRY_NAMES[0]}) "
                              "with a literal geometry.")
        geom = literal_geometry(rhs)
        wkb = shapely.to_wkb(geom)
        if self.dialect == "postgis":
            return f"ST_{predicate.capitalize()}(geom, ST_GeomFromWKB(%s, 4326))", [wkb]
        exact = "geoplots_spatial(?, r.geom, ?)"
        if predicate == "disjoint":  # the index cannot narrow "far from"
            return f"({exact} = 1)", [predicate, wkb]
        minx, miny, maxx, maxy = geom.bounds
        return ("(r.id IN (SELECT id FROM rtree_records_geom WHERE maxx >= ? AND minx <= ? AND maxy >= ? "
                f"AND miny <= ?) AND {exact} = 1)"), [minx, maxx, miny, maxy, predicate, wkb]


def _is_geometry_name(node: Any) -> bool:
    return isinstance(node, ast.Attribute) and node.name in GEOMETRY_NAMES


def literal_geometry(node: Any) -> shapely.Geometry:
    """The shapely geometry of a CQL2 geometry literal (WKT/GeoJSON, ``BBOX(...)``, envelope)."""
    if isinstance(node, values.Geometry):
        geom = shapely.geometry.shape(node.geometry)
    elif isinstance(node, values.Envelope):
        geom = shapely.box(node.x1, node.y1, node.x2, node.y2)
    elif isinstance(node, ast.Function) and node.name.lower() == "bbox" and len(node.arguments) in (4, 6):
        args = [float(a) for a in node.arguments]
        geom = shapely.box(*(args if len(args) == 4 else (args[0], args[1], args[3], args[4])))
    else:
        raise FilterError(f"Expected a geometry (WKT such as POINT(102.8 16.4), or BBOX(...)); got {node!r:.100}.")
    if geom.is_empty or not geom.is_valid or not all(math.isfinite(v) for v in geom.bounds):
        raise FilterError("The filter's geometry is empty or not valid.")
    return geom


def _like_parts(pattern: str) -> list[tuple[str, str]]:
    """Split a CQL2 LIKE pattern into ("wild", "%"/"_") and ("text", ...) parts (``\\`` escapes)."""
    parts: list[tuple[str, str]] = []
    chars = iter(pattern)
    for c in chars:
        if c == "\\":
            parts.append(("text", next(chars, "\\")))
        elif c in "%_":
            parts.append(("wild", c))
        else:
            parts.append(("text", c))
    return parts


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def spatial_predicate(predicate: str, blob: bytes | None, wkb: bytes) -> int:
    """SQLite function ``geoplots_spatial(predicate, geom, wkb)``: the exact spatial test
    of a stored GeoPackage geometry against a filter's geometry (1 or 0).
    """
    if blob is None:
        return 0
    blob = bytes(blob)
    flags = blob[3]
    start = 8 + {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0x07]
    stored = shapely.from_wkb(blob[start:])
    return int(bool(getattr(shapely, predicate)(stored, _query_geometry(bytes(wkb)))))


_GEOMETRIES: dict[bytes, shapely.Geometry] = {}


def _query_geometry(wkb: bytes) -> shapely.Geometry:
    """The filter's geometry, parsed once per query (prepared: tested against every row)."""
    geom = _GEOMETRIES.get(wkb)
    if geom is None:
        if len(_GEOMETRIES) > 64:
            _GEOMETRIES.clear()
        geom = shapely.from_wkb(wkb)
        shapely.prepare(geom)
        _GEOMETRIES[wkb] = geom
    return geom


def register_sqlite_functions(conn: Any) -> None:
    """Give a SQLite connection the functions translated filters call."""
    conn.create_function("geoplots_spatial", 3, spatial_predicate, deterministic=True)


# -- datetime ------------------------------------------------------------------------------------

def iso_utc(moment: datetime | date) -> str:
    """``moment`` as the stores spell times (UTC, milliseconds, no zone), to compare as text.

    Examples
    --------
    >>> iso_utc(datetime(2025, 1, 5, 7, tzinfo=UTC))
    '2025-01-05T07:00:00.000'
    """
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time())
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")


def parse_datetime(text: str) -> tuple[str | None, str | None]:
    """Parse OGC ``datetime`` (an instant, ``start/end``, ``../end``, ``start/..``) into
    inclusive (start, end) bounds as :func:`iso_utc` text (None: open).

    A date alone stands for its whole day.

    Examples
    --------
    >>> parse_datetime("2025-01-05")
    ('2025-01-05T00:00:00.000', '2025-01-05T23:59:59.999')
    >>> parse_datetime("../2025-02-01T00:00:00Z")
    (None, '2025-02-01T00:00:00.000')
    """
    parts = text.split("/")
    if len(parts) == 1:
        return _moment(parts[0], end=False), _moment(parts[0], end=True)
    if len(parts) != 2:
        raise FilterError(f"datetime must be an instant or start/end; got {text!r:.100}.")
    start: str | None = None if parts[0] in ("..", "") else _moment(parts[0], end=False)
    end: str | None = None if parts[1] in ("..", "") else _moment(parts[1], end=True)
    if start is None and end is None:
        raise FilterError("datetime ../.. is open at both ends: leave the parameter out instead.")
    if start is not None and end is not None and start > end:
        raise FilterError(f"datetime {text!r:.100} ends before it starts.")
    return start, end


def _moment(text: str, *, end: bool) -> str:
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time()) + (timedelta(days=1, milliseconds=-1) if end else timedelta())
            return iso_utc(moment)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", text):
            raise ValueError
        return iso_utc(datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00")))
    except ValueError:
        raise FilterError(f"datetime parts must be RFC 3339 (2025-01-05T07:00:00Z, or a date 2025-01-05), "
                          f"or '..'; got {text!r:.100}.") from None


def reported_date_sql(dialect: Dialect) -> str:
    """The record's reported date (วันที่รายงาน) as :func:`iso_utc` text: the ``date`` it
    was sent with, else when it reached the server. The one place that says which date
    ``datetime`` filters on.
    """
    if dialect == "sqlite":
        return "substr(coalesce(json_extract(r.properties, '$.date'), r.received_at), 1, 23)"
    return ("substr(coalesce(properties ->> 'date', "
            "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS')), 1, 23)")


@dataclass(frozen=True)
class DateRange:
    """Records whose reported date lies in [start, end] (inclusive; None: open)."""

    start: str | None
    end: str | None

    def sql(self, dialect: Dialect) -> tuple[str, list]:
        """The SQL condition and its parameters."""
        column, mark = reported_date_sql(dialect), _mark(dialect, "text")
        clauses, params = [], []
        if self.start is not None:
            clauses.append(f"{column} >= {mark}")
            params.append(self.start)
        if self.end is not None:
            clauses.append(f"{column} <= {mark}")
            params.append(self.end)
        return "(" + " AND ".join(clauses) + ")", params


# -- sortby --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SortBy:
    """An allow-listed ``sortby``: fields with their direction; ties broken by id."""

    keys: tuple[tuple[Field, bool], ...]

    def sql(self, dialect: Dialect) -> tuple[str, list]:
        """``ORDER BY`` terms (without the keywords) and their parameters; nulls last."""
        terms, params = [], []
        for field, descending in self.keys:
            expr, expr_params = field.sql(dialect)
            terms.append(f"{expr} IS NULL, {expr} {'DESC' if descending else 'ASC'}")
            params += expr_params * 2
        prefix = "r." if dialect == "sqlite" else ""
        return ", ".join([*terms, f"{prefix}id"]), params


def parse_sortby(text: str, fields: Mapping[str, Field]) -> SortBy:
    """Parse ``sortby=-area_rai_drawn,+name`` against ``fields`` (400 for others).

    Examples
    --------
    >>> parse_sortby("-name", {"name": Field("name", "string", "name")}).keys[0][1]
    True
    """
    keys = []
    for part in text.split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        field = fields.get(name)
        if field is None or field.type in ("array", "object"):
            raise FilterError(f"Cannot sort by {name!r:.100}. Sortable: "
                              f"{', '.join(n for n, f in fields.items() if f.type not in ('array', 'object'))}.")
        keys.append((field, descending))
    return SortBy(tuple(keys))
