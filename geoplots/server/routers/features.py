"""OGC API - Features: one collection per kind of field record and per boundary level.

Part 1 Core and GeoJSON as the standard writes them (a JSON landing page, 400 for an
invalid or unknown parameter, 4- and 6-number and antimeridian ``bbox``, ``datetime`` on
the reported date, links on every feature), Part 2 CRS (CRS84 and EPSG:4326 with its
lat/lon axis order, for answers and ``bbox-crs``) and Part 3 filtering (CQL2 text and
JSON, :mod:`geoplots.server.cql`), ``sortby`` and ``properties``. Every answer carries an
``ETag`` from the store version (and the question), so a client that already holds it
gets a 304.

Collections: ``pins`` (หมุดโคก หนอง นา, points), ``plots`` (แปลง, polygons),
``households`` (ครัวเรือน, points), ``subdistricts`` (ตำบล), ``districts`` (อำเภอ),
``provinces`` (จังหวัด).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, UTC
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from geoplots.levels import CODE_LENGTH, Level
from geoplots.server.cql import (
    DateRange, Field, FilterError, JsonType, SortBy, parse_datetime, parse_filter, parse_sortby, safe_name,
)
from geoplots.server.deps import BoundariesDep, ReaderDep, SettingsDep, StoreDep, boundary_units, read_zone
from geoplots.server.errors import ApiError
from geoplots.server.links import link_url
from geoplots.server.models import (
    Collection, Collections, Conformance, Feature, FeatureCollection, JsonSchemaDocument, LandingPage, Link,
    errors,
)
from geoplots.server.store import RecordFilter
from geoplots.server.store.base import KINDS, RECORD_COLUMNS, Kind, frame_features

GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
#: What ``/openapi.json`` is: FastAPI writes OpenAPI 3.1.
OPENAPI_TYPE = "application/vnd.oai.openapi+json;version=3.1"
ATTRIBUTION = "OCHA, Royal Thai Survey Department (CC BY-IGO)"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
#: Accepted spellings of the two CRSs -> whether the axis order is lat/lon.
CRS_NAMES: dict[str, bool] = {
    CRS84: False, "CRS84": False, "OGC:CRS84": False, "urn:ogc:def:crs:OGC:1.3:CRS84": False,
    EPSG4326: True, "EPSG:4326": True, "urn:ogc:def:crs:EPSG::4326": True,
}
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
#: Decimals of coordinates in answers (7: about 1 cm).
PRECISION = 7
MAX_FILTER_CHARS = 20_000

#: Collection id -> (title, boundary level or None, kind of records or None, geometry type as
#: OGC API Features Part 5 names it in a schema's ``format``)
COLLECTIONS: dict[str, tuple[str, Level | None, Kind | None, str]] = {
    "pins": ("Field pins: model villages (หมุดโคก หนอง นา)", None, "pins", "Point"),
    "plots": ("Drawn plots (แปลง)", None, "plots", "Polygon-or-MultiPolygon"),
    "households": ("Households with kitchen gardens (ครัวเรือนปลูกผักสวนครัว)", None, "households", "Point"),
    "subdistricts": ("Sub-districts (ตำบล/แขวง)", "subdistrict", None, "Polygon-or-MultiPolygon"),
    "districts": ("Districts (อำเภอ/เขต)", "district", None, "Polygon-or-MultiPolygon"),
    "provinces": ("Provinces (จังหวัด)", "province", None, "Polygon-or-MultiPolygon"),
}

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
]

#: JSON Schema types of the typed record columns (the rest come from the store).
_COLUMN_TYPES: dict[str, tuple[JsonType, str | None]] = {
    "id": ("integer", None), "kind": ("string", None), "record_id": ("string", None), "name": ("string", None),
    "row": ("integer", None), "lat": ("number", None), "lon": ("number", None),
    "subdistrict_code": ("string", None), "district_code": ("string", None), "province_code": ("string", None),
    "inspection_zone": ("string", None), "match": ("string", None), "distance_m": ("number", None),
    "address_mismatch": ("boolean", None), "declared_subdistrict_code": ("string", None),
    "warnings": ("array", None), "batch_id": ("string", None), "key_id": ("integer", None),
    "received_at": ("string", "date-time"),
}

BBox = tuple[float, float, float, float]

#: Query parameters of each route (anything else is a 400 naming it).
COMMON_PARAMS = frozenset({"f"})
ITEMS_PARAMS = frozenset({
    "f", "bbox", "bbox-crs", "crs", "datetime", "limit", "offset", "filter", "filter-lang", "filter-crs",
    "sortby", "properties", "zone", "province", "kind",
})
ITEM_PARAMS = frozenset({"f", "crs", "properties"})


class GeoJSONResponse(JSONResponse):
    """JSON answered as ``application/geo+json``."""

    media_type = GEOJSON


class SchemaJSONResponse(JSONResponse):
    """JSON answered as ``application/schema+json``."""

    media_type = SCHEMA_JSON


@dataclass(frozen=True)
class CollectionRef:
    """A known collection: its id, title, boundary level or kind of records, geometry type."""

    id: str
    title: str
    level: Level | None
    kind: Kind | None = None
    geometry_type: str = "Point"


def collection(
    collection_id: Annotated[str, PathParam(description=f"One of {', '.join(COLLECTIONS)}")],
) -> CollectionRef:
    """Dependency: the collection named in the path, or a 404 listing the known ones."""
    if collection_id not in COLLECTIONS:
        raise ApiError(
            404, "not_found", f"No collection {collection_id!r}. Collections: {', '.join(COLLECTIONS)}."
        )
    title, level, kind, geometry_type = COLLECTIONS[collection_id]
    return CollectionRef(collection_id, title, level, kind, geometry_type)


CollectionDep = Annotated[CollectionRef, Depends(collection)]


def _bad(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def known_params(allowed: frozenset[str]) -> Callable[[Request], None]:
    """Dependency factory: a 400 naming every query parameter the route does not take
    (the standard: never ignore what a client asked for).
    """

    def check(request: Request) -> None:
        unknown = sorted({k for k in request.query_params.keys() if k not in allowed})
        if unknown:
            raise ApiError(400, "unknown_parameter",
                           f"Unknown query parameter(s): {', '.join(unknown)}. This route takes: "
                           f"{', '.join(sorted(allowed))}.", unknown=unknown)
        fmt = request.query_params.get("f")
        if fmt is not None and fmt not in ("json", "geojson"):
            raise _bad("invalid_format", f"f must be json (or geojson); got {fmt!r:.50}.")

    return check


def parse_bbox(text: str | None, lat_lon: bool = False) -> list[BBox] | None:
    """Parse ``bbox`` (4 or 6 numbers, lon/lat unless ``lat_lon``) into boxes in lon/lat:
    two when it crosses the antimeridian (``minx > maxx``). A 400 when it is none of that.

    Examples
    --------
    >>> parse_bbox("102.7,16.3,103.0,16.6")
    [(102.7, 16.3, 103.0, 16.6)]
    >>> parse_bbox("170,-10,-170,10")
    [(170.0, -10.0, 180.0, 10.0), (-180.0, -10.0, -170.0, 10.0)]
    >>> parse_bbox("16.3,102.7,16.6,103.0", lat_lon=True)
    [(102.7, 16.3, 103.0, 16.6)]
    """
    if text is None or text == "":
        return None
    try:
        values = [float(p) for p in text.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise _bad("invalid_bbox", f"bbox must be 4 or 6 numbers minx,miny,maxx,maxy (lon/lat); got {text!r:.200}.")
    if lat_lon:
        values = [values[1], values[0], values[3], values[2]]
    minx, miny, maxx, maxy = values
    if miny > maxy or not (-90 <= miny <= 90 and -90 <= maxy <= 90 and -180 <= minx <= 180 and -180 <= maxx <= 180):
        raise _bad("invalid_bbox", "bbox must be minx,miny,maxx,maxy within -180..180, -90..90 with miny <= maxy "
                   f"(minx > maxx crosses the antimeridian); got {text!r:.200}.")
    if minx > maxx:  # crosses the antimeridian
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [(minx, miny, maxx, maxy)]


def _crs(value: str | None, name: str) -> bool:
    """Whether the CRS named in ``name`` has lat/lon axis order; a 400 for other CRSs."""
    if value is None:
        return False
    if value not in CRS_NAMES:
        raise _bad("invalid_crs", f"{name} must be {CRS84} or {EPSG4326}; got {value!r:.200}.")
    return CRS_NAMES[value]


@dataclass(frozen=True)
class BoxesCondition:
    """Records whose geometry's envelope intersects any of several boxes (antimeridian)."""

    boxes: tuple[BBox, ...]

    def sql(self, dialect: str) -> tuple[str, list]:
        parts, params = [], []
        for minx, miny, maxx, maxy in self.boxes:
            if dialect == "sqlite":
                parts.append("r.id IN (SELECT id FROM rtree_records_geom WHERE maxx >= ? AND minx <= ? "
                             "AND maxy >= ? AND miny <= ?)")
                params += [minx, maxx, miny, maxy]
            else:
                parts.append("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
                params += [minx, miny, maxx, maxy]
        return "(" + " OR ".join(parts) + ")", params


# -- fields, extents: computed from the store, cached by its version ---------------------------

def _cache(request: Request) -> dict:
    state = request.app.state
    if not hasattr(state, "ogc_cache"):
        state.ogc_cache = {}
    return state.ogc_cache


async def _cached(request: Request, key: tuple, compute: Callable[[], Any]) -> Any:
    cache = _cache(request)
    if key not in cache:
        if len(cache) > 256:
            cache.clear()
        cache[key] = await run_in_threadpool(compute)
    return cache[key]


async def _version(request: Request, ref: CollectionRef) -> str:
    """What the collection's answers depend on: the store version or the boundary snapshot."""
    if ref.level is None:
        return "v" + str(await run_in_threadpool(request.app.state.store.version))
    boundaries = request.app.state.boundaries
    return "b" + str(getattr(boundaries, "snapshot", None))


def _record_fields(store: Any, kind: Kind) -> dict[str, Field]:
    fields = {c: Field(c, _COLUMN_TYPES[c][0], c, _COLUMN_TYPES[c][1]) for c in RECORD_COLUMNS}
    for name, json_type in sorted(store.property_types(kind).items()):
        if name not in fields and name not in ("geometry", "properties") and safe_name(name):
            fields[name] = Field(name, json_type)  # type: ignore[arg-type]
    return fields


def _boundary_fields(frame: gpd.GeoDataFrame) -> dict[str, Field]:
    fields = {}
    for name in frame.columns:
        if name == frame.geometry.name:
            continue
        dtype = frame[name].dtype
        kind = "boolean" if pd.api.types.is_bool_dtype(dtype) else "integer" if pd.api.types.is_integer_dtype(
            dtype) else "number" if pd.api.types.is_float_dtype(dtype) else "string"
        fields[str(name)] = Field(str(name), kind, column=str(name))  # type: ignore[arg-type]
    return fields


def _level(ref: CollectionRef) -> Level:
    assert ref.level is not None, "a boundary collection"
    return ref.level


async def collection_fields(request: Request, ref: CollectionRef) -> dict[str, Field]:
    """Every field of the collection with its type (the schema and the queryables)."""
    version = await _version(request, ref)
    if ref.kind is not None:
        store, kind = request.app.state.store, ref.kind
        return await _cached(request, ("fields", ref.id, version), lambda: _record_fields(store, kind))
    frame = await run_in_threadpool(boundary_units, request.app.state.boundaries, _level(ref))
    return await _cached(request, ("fields", ref.id, version), lambda: _boundary_fields(frame))


async def _extent(request: Request, ref: CollectionRef) -> list[float] | None:
    version = await _version(request, ref)
    if ref.kind is not None:
        store, kind = request.app.state.store, ref.kind
        box = await _cached(request, ("extent", ref.id, version), lambda: store.extent(kind))
    else:
        try:
            frame = await run_in_threadpool(boundary_units, request.app.state.boundaries, _level(ref))
        except ApiError:  # no boundaries: the collection is listed, with no extent
            return None
        box = await _cached(request, ("extent", ref.id, version), lambda: tuple(frame.total_bounds))
    if box is None:
        return None
    # rounded outwards, so the extent still holds every feature
    scale = 10**PRECISION
    return [math.floor(box[0] * scale) / scale, math.floor(box[1] * scale) / scale,
            math.ceil(box[2] * scale) / scale, math.ceil(box[3] * scale) / scale]


# -- answers ---------------------------------------------------------------------------------------

def _json(body: Any, media_type: str = "application/json", headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, allow_nan=False), media_type=media_type, headers=headers)


def _etag(request: Request, version: str) -> str:
    """The answer's ETag: what it depends on (store version or boundary snapshot, the
    question, and the zone a scoped key reads).
    """
    parts = [version, request.url.path, "&".join(sorted(f"{k}={v}" for k, v in request.query_params.multi_items())),
             str(getattr(request.state, "read_zone", ""))]
    # weak: the same answer goes out gzipped or not, and its timeStamp changes
    return 'W/"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def _cache_headers(request: Request, etag: str, ref: CollectionRef | None) -> dict[str, str]:
    settings = request.app.state.settings
    scope = "private" if settings.reads_protected else "public"
    # records change with every batch: revalidate (a 304 is cheap); boundaries only on restart
    age = "no-cache" if ref is None or ref.level is None else "max-age=3600"
    return {"ETag": etag, "Cache-Control": f"{scope}, {age}"}


def _not_modified(request: Request, etag: str) -> bool:
    match = request.headers.get("if-none-match")
    if not match:
        return False
    tags = {t.strip().removeprefix("W/") for t in match.split(",")}  # weak comparison (RFC 9110)
    return etag.removeprefix("W/") in tags or "*" in tags


async def _conditional(request: Request, ref: CollectionRef | None, build: Callable[[], Any],
                       media_type: str = "application/json", extra: dict[str, str] | None = None) -> Response:
    """Answer ``build()`` with ETag and Cache-Control, or a 304 when the client holds it."""
    version = await _version(request, ref) if ref is not None else "static"
    etag = _etag(request, version)
    headers = {**_cache_headers(request, etag, ref), **(extra or {})}
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    body = await build()
    return _json(body, media_type, headers)


def _round_coords(coords: Any, swap: bool) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        pair = [round(float(c), PRECISION) for c in coords]
        return [pair[1], pair[0], *pair[2:]] if swap else pair
    return [_round_coords(c, swap) for c in coords]


def _shape_geometry(geometry: dict | None, swap: bool) -> dict | None:
    """Coordinates rounded to 7 decimals, in lat/lon order when ``swap`` (EPSG:4326)."""
    if geometry is None:
        return None
    if geometry.get("type") == "GeometryCollection":
        return {**geometry, "geometries": [_shape_geometry(g, swap) for g in geometry["geometries"]]}
    return {**geometry, "coordinates": _round_coords(geometry["coordinates"], swap)}


def _shape_features(features: list[dict], fields: dict[str, Field], wanted: list[str] | None,
                    swap: bool) -> list[dict]:
    """Every feature with every field of the schema (null when it has none: GDAL and QGIS
    read the layout from the first page), only ``wanted`` ones when asked.
    """
    names = list(fields) if wanted is None else wanted
    out = []
    for f in features:
        props = f.get("properties") or {}
        out.append({**f, "geometry": _shape_geometry(f.get("geometry"), swap),
                    "properties": {n: props.get(n) for n in names}})
    return out


def _properties(text: str | None, fields: dict[str, Field]) -> list[str] | None:
    if text is None:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise _bad("invalid_properties", f"No such properties: {', '.join(unknown)[:300]}. "
                   f"Properties: {', '.join(fields)}.")
    return names


def _content_crs(lat_lon: bool) -> dict[str, str]:
    return {"Content-Crs": f"<{EPSG4326 if lat_lon else CRS84}>"}


def landing_page(request: Request) -> dict:
    """The JSON landing page: links to the API description, conformance and collections."""
    def link(name: str, rel: str, media: str, title: str) -> dict:
        return {"href": link_url(request, name), "rel": rel, "type": media, "title": title}

    body = LandingPage(
        title="geoplots war-room server",
        description="Field records (pins, plots, households) and Thai administrative boundaries of the "
        "Community Development Department (กรมการพัฒนาชุมชน), as OGC API - Features.",
        links=[
            Link(**link("warroom", "self", "application/json", "This document")),
            Link(**link("warroom", "alternate", "text/html", "The war-room page")),
            Link(**link("openapi", "service-desc", OPENAPI_TYPE, "The API definition (OpenAPI 3.1)")),
            Link(**link("swagger_ui", "service-doc", "text/html", "The API documentation")),
            Link(**link("conformance", "conformance", "application/json", "Conformance classes")),
            Link(**link("collections", "data", "application/json", "Collections")),
        ],
    )
    return body.model_dump(exclude_none=True)


def wants_json(request: Request) -> bool:
    """Content negotiation on ``/``: ``?f=json``/``?f=html``, else HTML only to a client that
    names ``text/html`` in its Accept header at least as high as JSON (browsers do; OWSLib,
    GDAL and curl send ``*/*`` or nothing, and get the JSON landing page).
    """
    fmt = request.query_params.get("f")
    if fmt is not None:
        return fmt == "json"
    accept = request.headers.get("accept", "")
    best_json, best_html = _quality(accept, ("application/json", "application/geo+json")), _quality(
        accept, ("text/html", "application/xhtml+xml"))
    return best_html == 0 or best_json > best_html


def _quality(accept: str, types: tuple[str, ...]) -> float:
    best = 0.0
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        if media.strip().lower() not in types:
            continue
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


async def _collection(request: Request, ref: CollectionRef) -> Collection:
    def url(name: str) -> str:
        return link_url(request, name, collection_id=ref.id)

    links = [
        Link(href=url("collection"), rel="self", type="application/json", title=ref.title),
        Link(href=url("items"), rel="items", type=GEOJSON, title="Features"),
        Link(href=url("queryables"), rel=QUERYABLES_REL, type=SCHEMA_JSON, title="Queryables"),
        Link(href=url("schema"), rel=SCHEMA_REL, type=SCHEMA_JSON, title="Schema"),
        Link(href=url("schema"), rel="describedby", type=SCHEMA_JSON, title="Schema"),
    ]
    box = await _extent(request, ref)
    spatial: dict[str, Any] = {"bbox": [box or [97.3, 5.6, 105.7, 20.5]], "crs": CRS84}
    return Collection(
        id=ref.id, title=ref.title, crs=[CRS84, EPSG4326], storageCrs=CRS84,
        attribution=None if ref.level is None else ATTRIBUTION,
        extent={"spatial": spatial}, links=links,
    )


def _json_schema(request: Request, ref: CollectionRef, fields: dict[str, Field], name: str,
                 title: str) -> dict:
    props: dict[str, Any] = {
        "geometry": {"x-ogc-role": "primary-geometry", "format": f"geometry-{ref.geometry_type.lower()}"},
    }
    for f in fields.values():
        entry: dict[str, Any] = {"title": f.name, "type": f.type}
        if f.format:
            entry["format"] = f.format
        if f.type == "array":
            entry["items"] = {"type": "string"}
        if f.name == ("id" if ref.level is None else "code"):
            entry["x-ogc-role"] = "id"
        props[f.name] = entry
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": link_url(request, name, collection_id=ref.id),
        "type": "object", "title": f"{ref.title}: {title}", "properties": props,
        "additionalProperties": False,
    }


def _queryable(fields: dict[str, Field]) -> dict[str, Field]:
    return {n: f for n, f in fields.items() if f.type not in ("array", "object")}


# -- items -------------------------------------------------------------------------------------------

@dataclass
class ItemsQuery:
    """An items request, checked: where, how many, in which order, which fields, which CRS."""

    where: RecordFilter
    boxes: list[BBox] | None
    limit: int
    offset: int
    wanted: list[str] | None
    lat_lon: bool
    fields: dict[str, Field]
    filter_node: Any = None


async def _items_query(request: Request, ref: CollectionRef, settings: Any, zone: str | None,
                       province: str | None, limit: int | None, offset: int) -> ItemsQuery:
    q = request.query_params
    fields = await collection_fields(request, ref)
    boxes = parse_bbox(q.get("bbox"), _crs(q.get("bbox-crs"), "bbox-crs"))
    lat_lon = _crs(q.get("crs"), "crs")
    wanted = _properties(q.get("properties"), fields)
    try:
        conditions, order, node = _record_conditions(q, ref, fields)
    except FilterError as exc:
        raise _bad("invalid_filter", str(exc)) from exc
    if len(boxes or []) > 1:
        conditions = (*conditions, BoxesCondition(tuple(boxes or [])))
    where = RecordFilter(bbox=boxes[0] if boxes and len(boxes) == 1 else None, zone=zone, province=province,
                         kind=ref.kind, conditions=conditions, order=order)
    limit = min(limit or settings.default_page, settings.max_page)
    return ItemsQuery(where, boxes, limit, offset, wanted, lat_lon, fields, node)


def _record_conditions(q: Any, ref: CollectionRef, fields: dict[str, Field]) -> tuple[tuple, SortBy | None, Any]:
    """The filter, datetime and sortby of an items request, checked against the fields."""
    conditions: list[Any] = []
    node = None
    text = q.get("filter")
    lang = q.get("filter-lang", "cql2-text")
    if lang not in ("cql2-text", "cql2-json"):
        raise FilterError(f"filter-lang must be cql2-text or cql2-json; got {lang!r:.50}.")
    if q.get("filter-crs") is not None and CRS_NAMES.get(q["filter-crs"], True):
        raise FilterError(f"filter-crs must be {CRS84} (lon/lat).")
    if text is not None:
        if len(text) > MAX_FILTER_CHARS:
            raise FilterError(f"The filter is longer than {MAX_FILTER_CHARS:,} characters.")
        parsed = parse_filter(text, lang, _queryable(fields))
        conditions.append(parsed)
        node = parsed.node
    if q.get("datetime") is not None:
        if ref.level is not None:
            raise FilterError("Boundaries have no date: datetime applies to pins, plots and households.")
        conditions.append(DateRange(*parse_datetime(q["datetime"])))
    order = None if q.get("sortby") is None else parse_sortby(q["sortby"], _queryable(fields))
    if ref.level is not None and (order is not None or node is not None):
        raise FilterError("filter and sortby apply to pins, plots and households; boundaries answer bbox, "
                          "zone and province.")
    return tuple(conditions), order, node


def _boundary_page(frame: gpd.GeoDataFrame, boxes: list[BBox] | None, zone: str | None, province: str | None,
                   limit: int, offset: int) -> tuple[gpd.GeoDataFrame, int]:
    if boxes:
        hits = np.unique(np.concatenate([frame.sindex.query(shapely.box(*b), predicate="intersects") for b in boxes]))
        frame = frame.iloc[hits]
    if zone is not None:
        frame = frame[frame["inspection_zone"] == str(zone)]
    if province is not None:
        frame = frame[frame["code"].str[: CODE_LENGTH["province"]] == str(province)]
    return frame.iloc[offset: offset + limit], len(frame)


async def _page(store: Any, boundaries: Any, ref: CollectionRef, query: ItemsQuery) -> tuple[list[dict], int]:
    """One page of features and how many match, from the store or a boundary level."""
    if ref.level is None:
        return await run_in_threadpool(store.query_features, query.where, limit=query.limit, offset=query.offset)
    whole = await run_in_threadpool(boundary_units, boundaries, ref.level)
    frame, matched = await run_in_threadpool(
        _boundary_page, whole, query.boxes, query.where.zone, query.where.province, query.limit, query.offset)
    return await run_in_threadpool(frame_features, frame, "code"), matched


def _page_links(request: Request, cid: str, offset: int, limit: int, returned: int, matched: int) -> list[dict]:
    params = dict(request.query_params)

    def link(rel: str, off: int, media: str = GEOJSON) -> dict:
        query = {**params, "offset": str(off), "limit": str(limit)}
        return {"href": link_url(request, "items", query, collection_id=cid), "rel": rel, "type": media}

    links = [link("self", offset)]
    if offset + returned < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    links.append({"href": link_url(request, "collection", collection_id=cid), "rel": "collection",
                  "type": "application/json"})
    return links


# -- handlers ------------------------------------------------------------------------------------

async def conformance(request: Request) -> Response:
    """OGC API conformance classes: only what this server implements."""
    async def build() -> dict:
        return Conformance(conformsTo=CONFORMANCE).model_dump()
    return await _conditional(request, None, build)


async def collections(request: Request, key: ReaderDep) -> Response:
    """Collections: pins, plots, households and the three boundary levels."""
    async def build() -> dict:
        refs = [collection(cid) for cid in COLLECTIONS]
        body = Collections(
            collections=[await _collection(request, ref) for ref in refs],
            links=[Link(href=link_url(request, "collections"), rel="self", type="application/json")],
        )
        return body.model_dump(exclude_none=True)
    store_version = "v" + str(await run_in_threadpool(request.app.state.store.version))
    etag = _etag(request, store_version)
    headers = _cache_headers(request, etag, None)
    if _not_modified(request, etag):
        return Response(status_code=304, headers=headers)
    return _json(await build(), headers=headers)


async def one_collection(request: Request, key: ReaderDep, ref: CollectionDep) -> Response:
    """One collection: its extent, CRSs and links to its items, queryables and schema."""
    async def build() -> dict:
        return (await _collection(request, ref)).model_dump(exclude_none=True)
    return await _conditional(request, ref, build)


async def queryables(request: Request, key: ReaderDep, ref: CollectionDep) -> Response:
    """The properties a ``filter`` and ``sortby`` may name, with their types (JSON Schema)."""
    async def build() -> dict:
        fields = await collection_fields(request, ref)
        return _json_schema(request, ref, _queryable(fields), "queryables", "queryables")
    return await _conditional(request, ref, build, SCHEMA_JSON)


async def schema(request: Request, key: ReaderDep, ref: CollectionDep) -> Response:
    """Every property of the collection's features with its type (JSON Schema), for GIS clients."""
    async def build() -> dict:
        fields = await collection_fields(request, ref)
        return _json_schema(request, ref, fields, "schema", "schema")
    return await _conditional(request, ref, build, SCHEMA_JSON)


_FILTER_DOC = "CQL2 filter on the queryables, e.g. area_rai_drawn > 2 AND S_INTERSECTS(geometry, BBOX(102,16,103,17))"


async def items(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    boundaries: BoundariesDep,
    key: ReaderDep,
    ref: CollectionDep,
    bbox: str | None = Query(None, description="minx,miny,maxx,maxy (or 6 numbers) in bbox-crs; minx > maxx "
                             "crosses the antimeridian"),
    bbox_crs: str | None = Query(None, alias="bbox-crs", description=f"{CRS84} (default) or {EPSG4326} (lat/lon)"),
    crs: str | None = Query(None, description=f"CRS of the answer: {CRS84} (default) or {EPSG4326} (lat/lon)"),
    datetime_: str | None = Query(None, alias="datetime", description="Reported date: instant, start/end, "
                                  "../end or start/.. (RFC 3339)"),
    limit: int | None = Query(None, ge=1, description="Features per page (at most the server's max_page)"),
    offset: int = Query(0, ge=0, le=10**9),
    filter: str | None = Query(None, description=_FILTER_DOC),
    filter_lang: str | None = Query(None, alias="filter-lang", description="cql2-text (default) or cql2-json"),
    filter_crs: str | None = Query(None, alias="filter-crs", description=f"{CRS84} only"),
    sortby: str | None = Query(None, description="Comma-separated queryables, each with + or - (descending)"),
    properties: str | None = Query(None, description="Comma-separated properties to return"),
    f: str | None = Query(None, description="json or geojson"),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    province: str | None = Query(None, max_length=2, description="Province code, e.g. 40"),
    kind: str | None = Query(None, max_length=20, description="Former mixed collection's kind: redirects to "
                             "that kind's collection"),
    _params: None = Depends(known_params(ITEMS_PARAMS)),
) -> Response:
    """Features of a collection (GeoJSON): filtered, sorted, paged."""
    if kind is not None and ref.kind is not None and kind != ref.kind:
        return _redirect_kind(request, kind)
    zone = read_zone(request, key, zone)
    request.state.read_zone = zone
    query = await _items_query(request, ref, settings, zone, province, limit, offset)

    async def build() -> dict:
        features, matched = await _page(store, boundaries, ref, query)
        return {
            "type": "FeatureCollection",
            "features": _shape_features(features, query.fields, query.wanted, query.lat_lon),
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": _page_links(request, ref.id, query.offset, query.limit, len(features), matched),
        }
    return await _conditional(request, ref, build, GEOJSON, _content_crs(query.lat_lon))


def _redirect_kind(request: Request, kind: str) -> Response:
    if kind not in KINDS:
        raise _bad("invalid_kind", f"kind must be one of {', '.join(KINDS)}; got {kind!r:.50}.")
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "kind"]
    # a path, not a URL: the page that asked stays on its own origin, whatever proxy is in front
    path = request.scope.get("root_path", "") + request.app.url_path_for("items", collection_id=kind)
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=308)


async def item(
    request: Request, feature_id: str, store: StoreDep, boundaries: BoundariesDep, key: ReaderDep,
    ref: CollectionDep,
    crs: str | None = Query(None, description=f"{CRS84} (default) or {EPSG4326} (lat/lon)"),
    properties: str | None = Query(None, description="Comma-separated properties to return"),
    f: str | None = Query(None, description="json or geojson"),
    _params: None = Depends(known_params(ITEM_PARAMS)),
) -> Response:
    """One feature (GeoJSON) with links to itself and its collection; a zone key sees only its zone's."""
    lat_lon = _crs(crs, "crs")
    fields = await collection_fields(request, ref)
    wanted = _properties(properties, fields)
    found = await _one(store, boundaries, ref, feature_id)
    zone = found["properties"].get("inspection_zone")
    request.state.read_zone = read_zone(request, key, None if zone is None else str(zone))

    async def build() -> dict:
        feature = _shape_features([found], fields, wanted, lat_lon)[0]
        url = link_url(request, "item", collection_id=ref.id, feature_id=feature_id)
        feature["links"] = [
            {"href": url, "rel": "self", "type": GEOJSON},
            {"href": url + "?f=json", "rel": "alternate", "type": "application/json"},
            {"href": link_url(request, "collection", collection_id=ref.id), "rel": "collection",
             "type": "application/json"},
        ]
        return feature
    return await _conditional(request, ref, build, GEOJSON, _content_crs(lat_lon))


async def _one(store: Any, boundaries: Any, ref: CollectionRef, feature_id: str) -> dict:
    """One feature as GeoJSON: a record straight from its row (no frame: a single
    feature costs less than a page), or a boundary unit by its code.
    """
    missing = ApiError(404, "not_found", f"No feature {feature_id!r:.100} in {ref.id}.")
    if ref.level is None:
        # ASCII digits only: "¹".isdigit() is True, and int("¹") fails
        if not (feature_id.isascii() and feature_id.isdigit()) or len(feature_id) > 18:
            raise missing
        found = await run_in_threadpool(store.feature, int(feature_id))
        if found is None or found["properties"].get("kind") != ref.kind:
            raise missing
        return found
    whole = await run_in_threadpool(boundary_units, boundaries, ref.level)
    frame = whole[whole["code"] == feature_id]
    if len(frame) == 0:
        raise missing
    return frame_features(frame, "code")[0]


@dataclass
class FeaturesFactory:
    """The OGC API Features routes, as in tipg's endpoint factories.

    Attributes
    ----------
    tags : list of str
        OpenAPI tags of the routes.
    router : APIRouter
        Built from the fields in ``__post_init__``; include it in the app.
    """

    tags: list[str | Enum] = field(default_factory=lambda: ["features"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        add = self.router.add_api_route
        plain = [Depends(known_params(COMMON_PARAMS))]
        add("/conformance", conformance, name="conformance", response_model=Conformance, dependencies=plain,
            responses=errors(400), summary="OGC API conformance classes")
        add("/collections", collections, name="collections", response_model=Collections, dependencies=plain,
            responses=errors(400, 401, 403, 429), summary="Collections: pins, plots, households and the three "
            "boundary levels")
        add("/collections/{collection_id}", one_collection, name="collection", response_model=Collection,
            dependencies=plain, responses=errors(400, 401, 403, 404, 429), summary="One collection")
        add("/collections/{collection_id}/queryables", queryables, name="queryables", dependencies=plain,
            response_model=JsonSchemaDocument, response_class=SchemaJSONResponse,
            responses=errors(400, 401, 403, 404, 429),
            summary="Queryable properties of a collection (JSON Schema)")
        add("/collections/{collection_id}/schema", schema, name="schema", dependencies=plain,
            response_model=JsonSchemaDocument, response_class=SchemaJSONResponse,
            responses=errors(400, 401, 403, 404, 429),
            summary="Every property of a collection's features (JSON Schema)")
        add("/collections/{collection_id}/items", items, name="items", response_model=FeatureCollection,
            response_class=GeoJSONResponse, responses={**errors(400, 401, 403, 404, 429), 308: {}},
            summary="Features of a collection (GeoJSON): filtered, sorted, paged")
        add("/collections/{collection_id}/items/{feature_id}", item, name="item", response_model=Feature,
            response_class=GeoJSONResponse, responses=errors(400, 401, 403, 404, 429),
            summary="One feature (GeoJSON)")


def router() -> APIRouter:
    """The features routes (see :class:`FeaturesFactory`)."""
    return FeaturesFactory().router
