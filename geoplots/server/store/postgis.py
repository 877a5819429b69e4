"""PostGIS store: one PostgreSQL database shared by several server processes.

The embedded SQLite store serves one office; the national war room runs several
uvicorn workers (or servers) with many writers against one PostgreSQL + PostGIS
database. Same :class:`~geoplots.server.store.base.Store` contract, plus:

- versioned migrations from ``migrations/postgis/NNNN_name.sql``, applied under an
  advisory lock so workers starting together migrate once, recorded in
  ``schema_migrations``;
- API keys in their own :class:`PostGISKeyStore` (the ``api_keys`` table, no feature
  table), with its own numbered migrations (``migrations/postgis_keys/``, recorded in
  ``key_schema_migrations``);
- a GiST index on the geometry for bbox queries;
- one transaction per batch; the version row is locked first, so concurrent batches
  queue instead of deadlocking and each gets its own version;
- live events go through PostgreSQL ``NOTIFY``, so every worker passes them to its own
  SSE clients (:meth:`PostGISStore.event_bus`, :mod:`.postgis_events`).

Examples
--------
>>> from geoplots.server.store import RecordFilter, open_store
>>> store = open_store("postgresql://geoplots@127.0.0.1/geoplots")  # doctest: +SKIP
>>> store.count(RecordFilter(zone="12"))  # doctest: +SKIP
0
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, cast, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from geoplots.errors import GeoplotsError
from geoplots.server.store._migrations import packaged
from geoplots.server.mvt import BUFFER, EXTENT, TileAddress
from geoplots.server.store._photos import PhotoQueries
from geoplots.server.store.postgis_events import PostgresEventBus
from geoplots.server.store.sqlite import _jsonable_rows, _merge_types
from geoplots.server.store.base import (
    RECORD_COLUMNS,
    REQUIRED_COLUMNS,
    TILE_PROPERTIES,
    ApiKey,
    BatchResult,
    Kind,
    KINDS,
    KeyStore,
    OutsideZoneError,
    Page,
    RecordFilter,
    Role,
    Store,
    check_withdrawable,
    check_yes_no,
    count_target,
    counts_frame,
    received_time,
    series_frames,
    series_start_sql,
    stale_frame,
    version_frame,
)
from geoplots.server.store._history import (
    as_of_cutoff,
    content_hashes,
    normalize_status,
    parse_day,
    reported_dates,
    statuses,
)

__all__ = ["PostGISKeyStore", "PostGISStore"]

# Typed columns the caller supplies (the store sets id, kind, batch_id, key_id, received_at).
_INPUT_COLUMNS = tuple(
    c for c in RECORD_COLUMNS if c not in ("id", "kind", "batch_id", "key_id", "received_at")
)
_TEXT_COLUMNS = (
    "record_id", "name", "subdistrict_code", "district_code", "province_code",
    "inspection_zone", "match", "declared_subdistrict_code",
)


def _conninfo(url: str) -> str:
    """Return a libpq URL for ``url`` (``postgis://`` is accepted as an alias)."""
    scheme, rest = url.split("://", 1)
    if scheme.lower() not in ("postgresql", "postgres", "postgis"):
        raise GeoplotsError(f"Not a PostgreSQL URL: {url!r}. Use postgresql://user@host/dbname.")
    return "postgresql://" + rest


def _masked(url: str) -> str:
    """Return ``url`` with any password replaced by ``***`` (for logs and errors)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def _migrations() -> list[tuple[int, str, str]]:
    """Return the packaged records migrations as (number, name, sql), in order."""
    return packaged("postgis")


def _apply_migrations(pool: ConnectionPool, folder: str, log_table: str) -> int:
    """Apply the migrations in ``migrations/<folder>`` not yet in ``log_table``, each with
    its log row in one transaction, under an advisory lock (workers starting together
    wait, the first one migrates); return the latest version applied.
    """
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || %s))", (f".{log_table}",))
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {log_table} ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = {r[0] for r in conn.execute(f"SELECT version FROM {log_table}")}
        for number, name, sql in packaged(folder):
            if number in applied:
                continue
            conn.execute(sql)
            conn.execute(f"INSERT INTO {log_table} (version, name) VALUES (%s, %s)", (number, name))
        # An aggregate always returns exactly one row.
        row = cast("tuple[Any, ...]", conn.execute(f"SELECT max(version) FROM {log_table}").fetchone())
    return int(row[0] or 0)


def _plain(value: Any) -> Any:
    """Return ``value`` as a JSON-able Python value (missing values become None)."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


@overload
def _iso(value: datetime) -> str: ...
@overload
def _iso(value: None) -> None: ...
def _iso(value: datetime | None) -> str | None:
    # Same spelling as the embedded store: UTC, milliseconds.
    return None if value is None else value.astimezone(UTC).isoformat(timespec="milliseconds")


def _where(filter: RecordFilter | None) -> tuple[str, list]:
    """The WHERE clause (with its parameters) of a :class:`RecordFilter`."""
    filter = filter or RecordFilter()
    where: list[str] = []
    params: list = []
    if filter.bbox is not None:
        # The store contract: envelope intersects the box (exact for points), on the GiST index.
        where.append("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)")
        params += list(filter.bbox)
    for column, value in (("inspection_zone", filter.zone), ("province_code", filter.province),
                          ("kind", filter.kind)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    for condition in filter.conditions:  # CQL2 filters, datetime (geoplots.server.cql)
        sql, condition_params = condition.sql("postgis")
        where.append(sql)
        params += condition_params
    return ("WHERE " + " AND ".join(where)) if where else "", params


def _order(filter: RecordFilter | None) -> tuple[str, list]:
    """The ORDER BY terms of a :class:`RecordFilter` (by id unless it says otherwise)."""
    if filter is None or filter.order is None:
        return "id", []
    return filter.order.sql("postgis")


def _yes_no_sql(column: str | None) -> tuple[str, list]:
    """Columns ``known, yes, present, bad`` of one row for the yes/no property ``column``
    (all 0 without one), as ``geoplots.coverage`` reads it: JSON true/false or 1/0.
    """
    if column is None:
        return "0 AS known, 0 AS yes, 0 AS present, 0 AS bad", []
    t = "jsonb_typeof(properties -> %s::text)"
    v = "(CASE WHEN jsonb_typeof(properties -> %s::text) = 'number' THEN (properties ->> %s::text)::numeric END)"
    sql = (
        f"({t} IS NOT NULL AND {t} <> 'null')::int AS known, "
        f"({t} = 'boolean' AND (properties ->> %s::text) = 'true' OR {v} = 1)::int AS yes, "
        f"({t} IS NOT NULL)::int AS present, "
        f"({t} IS NOT NULL AND {t} <> 'null' AND {t} <> 'boolean' AND {v} IS DISTINCT FROM 0 "
        f"AND {v} IS DISTINCT FROM 1)::int AS bad"
    )
    return sql, [column] * sql.count("%s")


def _source(filter: RecordFilter, day: date | None, status: str | None) -> tuple[str, list]:
    """``FROM`` text (with its WHERE) and parameters: the current records, or with ``day``
    each record's version as it stood at the end of that day (Asia/Bangkok).
    """
    clause, params = _where(filter)
    if status is not None:
        clause = (clause + " AND" if clause else "WHERE") + " status = %s"
        params = [*params, normalize_status(status)]
    if day is None:
        return f"records {clause}", params
    if filter.bbox is not None:
        raise GeoplotsError("A bounding box cannot be combined with as_of; filter by zone or province.")
    latest = (
        "(SELECT DISTINCT ON (id) * FROM record_versions WHERE received_at < %s AND reported_date <= %s "
        "ORDER BY id, version DESC) AS v"
    )
    return f"{latest} {(clause + ' AND') if clause else 'WHERE'} NOT withdrawn", [as_of_cutoff(day), day, *params]


def _head(conn: psycopg.Connection, kind: str, record_id: str) -> tuple | None:
    """(id, version, content_hash, withdrawn, inspection_zone) of a record's latest version."""
    return conn.execute(
        "SELECT id, version, content_hash, withdrawn, inspection_zone FROM record_versions "
        "WHERE kind = %s AND record_id = %s ORDER BY version DESC LIMIT 1", (kind, record_id)
    ).fetchone()


class PostGISStore(PhotoQueries, Store):
    """Located records and API keys in PostgreSQL + PostGIS.

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/dbname`` (libpq URL; query parameters
        such as ``options=-csearch_path%3Dwarroom,public`` pass through).
    max_connections : int
        Size of the connection pool (the app calls the store from a thread pool).

    Examples
    --------
    >>> store = PostGISStore("postgresql://geoplots@127.0.0.1/geoplots")  # doctest: +SKIP
    >>> store.migrate()  # doctest: +SKIP
    1
    """

    def __init__(self, url: str, *, max_connections: int = 8) -> None:
        self.url = _masked(url)
        self._conninfo = _conninfo(url)
        try:
            # Fail now, with the URL, rather than on the first request.
            psycopg.connect(self._conninfo, connect_timeout=10).close()
        except psycopg.OperationalError as exc:
            raise GeoplotsError(
                f"Cannot connect to the PostGIS database {self.url}: {str(exc).strip()}. "
                "Check the host, port, user, password and database name."
            ) from exc
        self._pool = ConnectionPool(
            self._conninfo, min_size=1, max_size=max_connections, open=True, timeout=30,
        )
        self.keys = PostGISKeyStore(self._pool, self.url)

    # -- schema -----------------------------------------------------------------
    def migrate(self) -> int:
        # Records first: their schema 1 created api_keys, which the key store then owns.
        version = _apply_migrations(self._pool, "postgis", "schema_migrations")
        self.keys.migrate()
        return version

    def schema_migrations(self) -> list[tuple[int, str, str]]:
        """Return the applied migrations as (version, name, applied_at ISO 8601)."""
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
            ).fetchall()
        return [(v, n, _iso(t)) for v, n, t in rows]

    def _photo_run(self, sql: str, params: list, *, many: list[list] | None = None) -> list[tuple]:
        sql = sql.replace("?", "%s")  # the photo queries hold no literal question mark
        out: list[tuple] = []
        with self._pool.connection() as conn:  # one transaction, committed on leaving
            for row in ([params] if many is None else many):
                cur = conn.execute(sql, row)
                out += cur.fetchall() if cur.description else []
        return out

    def close(self) -> None:
        self._pool.close()

    # -- records ----------------------------------------------------------------
    def add_records(
        self,
        records: gpd.GeoDataFrame,
        *,
        kind: Kind = "pins",
        key_id: int | None = None,
        zone: str | None = None,
        received_at: datetime | str | None = None,
    ) -> BatchResult:
        if kind not in KINDS:
            raise GeoplotsError(f"Unknown record kind {kind!r}. Use one of: {', '.join(KINDS)}.")
        missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
        if missing:
            raise GeoplotsError(
                f"These records are not located yet (missing {', '.join(missing)}); "
                "run geoplots.locate on them first."
            )
        if records.crs is not None and not records.crs.equals("EPSG:4326"):
            records = records.to_crs(4326)
        batch_id = uuid.uuid4().hex
        when = received_time(received_at)
        history = zip(reported_dates(records, when), statuses(records), content_hashes(records))
        rows = [
            {**row, "received_at": when, "reported_date": reported, "status": status, "content_hash": digest}
            for row, (reported, status, digest) in zip(self._batch_rows(records, kind, key_id, batch_id), history)
        ]
        outcome: dict[str, list] = {"ids": [], "replaced": [], "unchanged": [], "outside": []}
        with self._pool.connection() as conn:
            # Lock the version row first: batches queue here, so two batches resending
            # the same record_ids cannot deadlock, and a zone check holds until commit.
            version = self._bump_version(conn)
            for row in rows:
                self._store_one(conn, kind, zone, row, outcome)
            if outcome["outside"]:
                raise OutsideZoneError(str(zone), [r for r, _ in outcome["outside"]],
                                       [z for _, z in outcome["outside"]])
        return BatchResult(ids=outcome["ids"], replaced=outcome["replaced"], version=int(version),
                           batch_id=batch_id, unchanged=outcome["unchanged"])

    @staticmethod
    def _bump_version(conn: psycopg.Connection) -> int:
        return int(cast("tuple[Any, ...]", conn.execute(
            "UPDATE store_version SET version = version + 1 RETURNING version"
        ).fetchone())[0])

    @staticmethod
    def _store_one(conn: psycopg.Connection, kind: str, zone: str | None, row: dict[str, Any],
                   outcome: dict[str, list]) -> None:
        """Add one record's version and bring ``records`` up to it (or nothing, for an
        identical resend of the current version).
        """
        head = _head(conn, kind, row["record_id"]) if row["record_id"] is not None else None
        if head is not None and zone is not None and head[4] != zone:
            outcome["outside"].append((row["record_id"], head[4]))
        if head is not None and not head[3] and head[2] == row["content_hash"]:
            outcome["ids"].append(int(head[0]))
            outcome["replaced"].append(True)
            outcome["unchanged"].append(True)
            return
        values = {**row, "version": 1 if head is None else head[1] + 1}
        if head is None:
            new_id = cast("tuple[Any, ...]", conn.execute(_INSERT_CURRENT, values).fetchone())[0]
        else:
            new_id = head[0]
            # withdrawn earlier and sent again: back under its own id
            conn.execute(_INSERT_CURRENT_WITH_ID if head[3] else _UPDATE_CURRENT, {**values, "id": new_id})
        conn.execute(_INSERT_VERSION, {**values, "id": new_id})
        outcome["ids"].append(int(new_id))
        outcome["replaced"].append(head is not None)
        outcome["unchanged"].append(False)

    def withdraw(
        self, record_ids: list[str], *, kind: Kind = "pins", key_id: int | None = None,
        zone: str | None = None, received_at: datetime | str | None = None,
    ) -> BatchResult:
        when = received_time(received_at)
        batch_id = uuid.uuid4().hex
        ids: list[int] = []
        unchanged: list[bool] = []
        with self._pool.connection() as conn:
            version = self._bump_version(conn)
            heads = [(str(rid), _head(conn, kind, str(rid))) for rid in dict.fromkeys(record_ids)]
            check_withdrawable(kind, zone, heads)
            for _rid, head in heads:
                assert head is not None  # checked above
                ids.append(int(head[0]))
                unchanged.append(bool(head[3]))
                if head[3]:  # already withdrawn: nothing to add
                    continue
                conn.execute(_INSERT_TOMBSTONE, {"version": head[1] + 1, "received": when, "batch": batch_id,
                                                 "key": key_id, "id": head[0], "previous": head[1]})
                conn.execute("DELETE FROM records WHERE id = %s", (head[0],))
        return BatchResult(ids=ids, replaced=[True] * len(ids), version=version, batch_id=batch_id,
                           unchanged=unchanged)

    def last_reports(self, kind: Kind, before: date, filter: RecordFilter | None = None) -> pd.DataFrame:
        clause, params = _where(replace(filter or RecordFilter(), kind=kind))
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_STALE_SELECT} FROM records {clause} AND reported_date < %s "
                "ORDER BY inspection_zone, reported_date, id", [*params, before]).fetchall()
        return stale_frame(rows)

    def rebuild_current(self) -> int:
        with self._pool.connection() as conn:
            conn.execute("LOCK TABLE records IN EXCLUSIVE MODE")
            conn.execute("DELETE FROM records")
            return conn.execute(_REBUILD).rowcount

    def versions(self, record_id: str, *, kind: Kind = "pins") -> pd.DataFrame:
        with self._pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_VERSION_INFO} FROM record_versions WHERE kind = %s AND record_id = %s ORDER BY version",
                (kind, str(record_id))).fetchall()
        return version_frame(rows)

    def _batch_rows(
        self, records: gpd.GeoDataFrame, kind: str, key_id: int | None, batch_id: str
    ) -> Iterator[dict[str, Any]]:
        extra = [c for c in records.columns if c not in RECORD_COLUMNS and c != records.geometry.name]
        wkb = shapely.to_wkb(records.geometry.values, output_dimension=2)
        frame = records.drop(columns=records.geometry.name)
        # The embedded store's serialisation, so both backends return the same properties.
        properties = _jsonable_rows(pd.DataFrame(records[extra]))
        for i, rec in enumerate(frame.to_dict("records")):
            row: dict[str, Any] = {c: _plain(rec.get(c)) for c in _INPUT_COLUMNS}
            for c in _TEXT_COLUMNS:
                if row[c] is not None:
                    row[c] = str(row[c])
            if row["row"] is not None:
                row["row"] = int(row["row"])
            if row["address_mismatch"] is not None:
                row["address_mismatch"] = bool(row["address_mismatch"])
            warnings = rec.get("warnings")
            if isinstance(warnings, str):
                warnings = [warnings] if warnings else []
            elif not isinstance(warnings, (list, tuple, np.ndarray)):
                warnings = []
            row["warnings"] = Jsonb([str(w) for w in warnings])
            row["properties"] = properties[i]
            row["geom"] = wkb[i]
            row.update(kind=kind, key_id=key_id, batch_id=batch_id)
            yield row

    def query(self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0) -> Page:
        clause, params = _where(filter)
        page = " LIMIT %s OFFSET %s" if limit is not None else " OFFSET %s"
        page_params = [int(limit), int(offset)] if limit is not None else [int(offset)]
        with self._pool.connection() as conn:
            # One snapshot for the page and its total.
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            total = cast("tuple[Any, ...]", conn.execute(f"SELECT count(*) FROM records {clause}", params).fetchone())[0]
            order, order_params = _order(filter)
            rows = conn.execute(
                f"SELECT {_SELECT} FROM records {clause} ORDER BY {order}{page}", params + order_params + page_params
            ).fetchall()
        return Page(records=_frame(rows), total=int(total))

    def query_features(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict], int]:
        texts, total = self.query_features_json(filter, limit=limit, offset=offset)
        return [json.loads(t) for t in texts], total

    def query_features_json(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[str], int]:
        clause, params = _where(filter)
        page = " LIMIT %s OFFSET %s" if limit is not None else " OFFSET %s"
        page_params = [int(limit), int(offset)] if limit is not None else [int(offset)]
        order, order_params = _order(filter)
        # One statement, so one snapshot: the page and its total agree under concurrent writes.
        # The page keeps the requested order (sortby) through its row numbers.
        sql = (
            f"SELECT (SELECT count(*) FROM records {clause}), "
            f"(SELECT coalesce(array_agg(f ORDER BY n), '{{}}') FROM "
            f"(SELECT row_number() OVER (ORDER BY {order}) AS n, {_FEATURE_JSON} AS f FROM {_FEATURE_FROM} {clause} "
            f"ORDER BY {order}{page}) AS p)"
        )
        every = params + order_params + params + order_params + page_params
        with self._pool.connection() as conn:
            total, texts = cast("tuple[Any, ...]", conn.execute(sql, every).fetchone())
        return list(texts), int(total)

    def feature(self, record_id: int) -> dict | None:
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT {_FEATURE_JSON} FROM {_FEATURE_FROM} WHERE id = %s", (int(record_id),)).fetchone()
        return None if row is None else json.loads(row[0])

    def tile(self, tile: TileAddress, filter: RecordFilter | None = None, *, layer: str = "records") -> bytes:
        # Made by PostGIS: ST_AsMVTGeom clips to the tile and its buffer and snaps to the grid.
        clause, params = _where(replace(filter or RecordFilter(), bbox=None))
        more = (" AND " + clause.removeprefix("WHERE ")) if clause else ""
        columns = ", ".join(f'"{c}"' for c in ("id", *TILE_PROPERTIES))
        sql = (
            "WITH env AS (SELECT ST_TileEnvelope(%s, %s, %s) AS e, ST_TileEnvelope(%s, %s, %s, margin => %s) AS m), "
            f"t AS (SELECT {columns}, ST_AsMVTGeom(ST_Transform(geom, 3857), env.e, {EXTENT}, {BUFFER}, true) AS g "
            f"FROM records, env WHERE geom && ST_Transform(env.m, 4326){more}) "
            f"SELECT coalesce(ST_AsMVT(t.*, %s, {EXTENT}, 'g', 'id'), ''::bytea) FROM t WHERE g IS NOT NULL"
        )
        address = [tile.z, tile.x, tile.y]
        with self._pool.connection() as conn:
            row = conn.execute(sql, [*address, *address, BUFFER / EXTENT, *params, layer]).fetchone()
        return bytes(cast("tuple[Any, ...]", row)[0])

    def counts_by(
        self, level: str, kind: Kind, filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None, as_of: str | date | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        column, filter = count_target(level, kind, filter, distinct)
        source, source_params = _source(filter, parse_day(as_of), status)
        answer, answer_params = _yes_no_sql(yes_no)
        counted = "count(*)" if distinct is None else f"count(DISTINCT {distinct})"
        extra = "" if distinct is None else f", {distinct}"
        # JSON answers are read once per row in the inner select, then summed per code
        sql = (
            f"SELECT code, {counted}, coalesce(sum(known), 0), coalesce(sum(yes), 0), coalesce(sum(present), 0), coalesce(sum(bad), 0) FROM "
            f"(SELECT {column} AS code{extra}, {answer} FROM {source}) AS r GROUP BY code"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, answer_params + source_params).fetchall()
        if yes_no is not None:
            check_yes_no(yes_no, sum(r[4] for r in rows), sum(r[5] for r in rows))
        return counts_frame([tuple(r[:4]) for r in rows])

    def counts_series(
        self, level: str, kind: Kind, ends: list[date], filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None, status: str | None = None,
    ) -> list[pd.DataFrame]:
        column, filter = count_target(level, kind, filter, distinct)
        if filter.bbox is not None:
            raise GeoplotsError("A bounding box cannot be combined with as_of; filter by zone or province.")
        starts, start_params = series_start_sql(ends, "%s", as_of_cutoff, lambda d: d)
        clause, params = _where(replace(filter, kind=None))
        if status is not None:
            clause, params = (clause + " AND" if clause else "WHERE") + " status = %s", [*params, normalize_status(status)]
        answer, answer_params = _yes_no_sql(yes_no)
        value = "NULL::text" if distinct is None else distinct
        sql = (
            f"WITH v AS (SELECT id, version, withdrawn, {_SPAN_COLUMNS}{', properties' if yes_no else ''}, "
            f"{starts} AS s FROM record_versions WHERE kind = %s), "
            "w AS (SELECT v.*, min(s) OVER (PARTITION BY id ORDER BY version "
            "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS e FROM v) "
            "SELECT code, value, s, e, count(*), coalesce(sum(known), 0), coalesce(sum(yes), 0), "
            "coalesce(sum(present), 0), coalesce(sum(bad), 0) FROM "
            f"(SELECT {column} AS code, {value} AS value, s, e, {answer} FROM w "
            f"WHERE NOT withdrawn AND s < %s AND (e IS NULL OR e > s) {clause.replace('WHERE', 'AND', 1)}) AS r "
            "GROUP BY code, value, s, e"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, [*start_params, kind, *answer_params, len(ends), *params]).fetchall()
        return series_frames(rows, len(ends), distinct is not None, yes_no)

    def get(self, record_id: int) -> gpd.GeoDataFrame:
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT {_SELECT} FROM records WHERE id = %s", (int(record_id),)).fetchall()
        return _frame(rows)

    def count(self, filter: RecordFilter | None = None) -> int:
        clause, params = _where(filter)
        with self._pool.connection() as conn:
            return int(cast("tuple[Any, ...]", conn.execute(f"SELECT count(*) FROM records {clause}", params).fetchone())[0])

    def property_types(self, kind: Kind) -> dict[str, str]:
        with self._pool.connection() as conn:
            rows = conn.execute(
                "SELECT e.key, jsonb_typeof(e.value) FROM records, jsonb_each(properties) AS e "
                "WHERE kind = %s GROUP BY 1, 2", (kind,)
            ).fetchall()
        # jsonb says "number" for integers too: integers are numbers with no fraction
        return _merge_types(rows)

    def extent(self, kind: Kind) -> tuple[float, float, float, float] | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                "(SELECT ST_Extent(geom) AS e FROM records WHERE kind = %s) AS x", (kind,)
            ).fetchone()
        return None if row is None or row[0] is None else (row[0], row[1], row[2], row[3])

    def version(self) -> int:
        with self._pool.connection() as conn:
            return int(cast("tuple[Any, ...]", conn.execute("SELECT version FROM store_version").fetchone())[0])

    # -- live events across workers -------------------------------------------
    def event_bus(self) -> PostgresEventBus:
        """Return an event bus that reaches the SSE clients of every server process on
        this database (PostgreSQL LISTEN/NOTIFY).
        """
        return PostgresEventBus(self._conninfo)


class PostGISKeyStore(KeyStore):
    """API keys in the ``api_keys`` table of the store's database (no feature table: no
    geometry, so GIS clients do not list it as a layer). Shares the store's pool.

    Parameters
    ----------
    pool : psycopg_pool.ConnectionPool
        The store's connection pool (closed by the store).
    url : str
        The store's URL, password masked (for messages).
    """

    def __init__(self, pool: ConnectionPool, url: str) -> None:
        self._pool = pool
        self.url = url

    def migrate(self) -> int:
        return _apply_migrations(self._pool, "postgis_keys", "key_schema_migrations")

    def close(self) -> None:
        """Nothing of its own to release: the store closes the shared pool."""

    def _insert_key(self, *, name: str, role: Role, zone: str | None, key_hash: str, prefix: str) -> ApiKey:
        with self._pool.connection() as conn:
            row = conn.execute(
                "INSERT INTO api_keys (name, role, zone, key_hash, prefix) VALUES (%s, %s, %s, %s, %s) "
                f"RETURNING {_KEY_COLUMNS}",
                (name, role, zone, key_hash, prefix),
            ).fetchone()
        # INSERT ... RETURNING always returns the inserted row.
        return _key(cast("tuple[Any, ...]", row))

    def _key_by_hash(self, key_hash: str) -> ApiKey | None:
        with self._pool.connection() as conn:
            row = conn.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = %s", (key_hash,)).fetchone()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY id").fetchall()
        return [_key(r) for r in rows]

    def revoke_key(self, key_id: int) -> bool:
        with self._pool.connection() as conn:
            cur = conn.execute("UPDATE api_keys SET revoked = true WHERE id = %s", (int(key_id),))
            return cur.rowcount > 0

    def import_keys(self, keys: list[tuple[ApiKey, str]]) -> int:
        added = 0
        with self._pool.connection() as conn:
            for key, key_hash in keys:
                row = conn.execute(
                    "INSERT INTO api_keys (id, name, role, zone, key_hash, prefix, created_at, revoked) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                    (key.id, key.name, key.role, key.zone, key_hash, key.prefix, key.created_at, key.revoked),
                ).fetchone()
                if row is None:
                    stored = conn.execute("SELECT key_hash FROM api_keys WHERE id = %s", (key.id,)).fetchone()
                    if stored is None or stored[0] != key_hash:
                        raise GeoplotsError(
                            f"Cannot import API key {key.id} ({key.name!r}): the key store holds a "
                            "different key under that id or this key under another id."
                        )
                else:
                    added += 1
            # ids given explicitly do not move the sequence: the next created key follows them
            conn.execute(
                "SELECT setval(pg_get_serial_sequence('api_keys', 'id'), "
                "greatest((SELECT max(id) FROM api_keys), 1))"
            )
        return added


def _quoted(names: tuple[str, ...] | list[str]) -> list[str]:
    return [f'"{c}"' for c in names]


_PLACEHOLDER = {"geom": "ST_GeomFromWKB(%(geom)s, 4326)", "properties": "coalesce(%(properties)s::jsonb, '{}')"}
_STORED = (*_INPUT_COLUMNS, "properties", "geom", "kind", "key_id", "batch_id")
# Columns of a version as written to records (the current view) and record_versions.
_CURRENT = (*_STORED, "received_at", "reported_date", "status", "content_hash", "version")
_VALUES = ", ".join(_PLACEHOLDER.get(c, f"%({c})s") for c in _CURRENT)
_INSERT_CURRENT = f"INSERT INTO records ({', '.join(_quoted(_CURRENT))}) VALUES ({_VALUES}) RETURNING id"
_INSERT_CURRENT_WITH_ID = f"INSERT INTO records (id, {', '.join(_quoted(_CURRENT))}) VALUES (%(id)s, {_VALUES})"
_UPDATE_CURRENT = (
    "UPDATE records SET "
    + ", ".join(f'"{c}" = {_PLACEHOLDER.get(c, f"%({c})s")}' for c in _CURRENT)
    + " WHERE id = %(id)s"
)
_INSERT_VERSION = f"INSERT INTO record_versions (id, {', '.join(_quoted(_CURRENT))}) VALUES (%(id)s, {_VALUES})"
# A tombstone repeats the last version's content, marked withdrawn, dated the day it came.
_KEPT = [c for c in _CURRENT if c not in ("version", "reported_date", "batch_id", "key_id", "received_at")]
_INSERT_TOMBSTONE = (
    f"INSERT INTO record_versions (id, withdrawn, version, reported_date, batch_id, key_id, received_at, "
    f"{', '.join(_quoted(_KEPT))}) SELECT id, true, %(version)s, (%(received)s AT TIME ZONE 'Asia/Bangkok')::date, "
    f"%(batch)s, %(key)s, %(received)s, {', '.join(_quoted(_KEPT))} FROM record_versions "
    "WHERE id = %(id)s AND version = %(previous)s"
)
_REBUILD = (
    f"INSERT INTO records (id, {', '.join(_quoted(_CURRENT))}) SELECT id, {', '.join(_quoted(_CURRENT))} FROM "
    "(SELECT DISTINCT ON (id) * FROM record_versions ORDER BY id, version DESC) AS v WHERE NOT withdrawn ORDER BY id"
)
_STALE_SELECT = ("record_id, name, kind, province_code, district_code, subdistrict_code, "
                 "inspection_zone, status, reported_date")
_SPAN_COLUMNS = "subdistrict_code, district_code, province_code, inspection_zone, status"
_VERSION_INFO = "id, version, withdrawn, received_at, reported_date, status, name, district_code, batch_id"
_SELECT = (
    ", ".join(f'"{c}"' for c in RECORD_COLUMNS) + ", properties, ST_AsBinary(geom)"
)
_KEY_COLUMNS = "id, name, role, zone, prefix, created_at, revoked"


def _feature_json_sql() -> tuple[str, str]:
    """SQL for one record as a GeoJSON Feature text, built entirely by PostgreSQL.

    Properties are the typed columns (in :data:`RECORD_COLUMNS` order, ``received_at`` as
    the embedded store spells it) followed by the record's own fields, minus any that
    would shadow a typed column; coordinates at 7 decimals (``ST_AsGeoJSON(geom, 7)``).
    Texts are joined rather than merged as ``jsonb``, which would reorder the keys.
    """
    values = {c: f'"{c}"' for c in RECORD_COLUMNS}
    values["received_at"] = (
        "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"+00:00\"')"
    )
    typed = "json_build_object(" + ", ".join(f"'{c}', {v}" for c, v in values.items()) + ")::text"
    shadowed = "ARRAY[" + ", ".join(f"'{c}'" for c in (*RECORD_COLUMNS, "geometry")) + "]"
    extra = f"(properties - {shadowed})::text"
    # each part computed once per row: PostgreSQL does not share repeated expressions, and
    # OFFSET 0 keeps it from folding the subquery back into them
    source = f"records CROSS JOIN LATERAL (SELECT {typed} AS t, {extra} AS e OFFSET 0) AS parts"
    props = "CASE WHEN parts.e = '{}' THEN parts.t ELSE left(parts.t, -1) || ', ' || substr(parts.e, 2) END"
    feature = (
        "'{\"type\": \"Feature\", \"id\": ' || id || ', \"geometry\": ' "
        "|| coalesce(ST_AsGeoJSON(geom, 7), 'null') || ', \"properties\": ' || " + props + " || '}'"
    )
    return feature, source


#: A record's GeoJSON Feature text, and the FROM clause it reads (records and its parts).
_FEATURE_JSON, _FEATURE_FROM = _feature_json_sql()


def _key(row: tuple) -> ApiKey:
    id_, name, role, zone, prefix, created_at, revoked = row
    return ApiKey(id=int(id_), name=name, role=role, zone=zone, prefix=prefix,
                  created_at=_iso(created_at), revoked=bool(revoked))


def _frame(rows: list[tuple]) -> gpd.GeoDataFrame:
    """Return stored rows as a GeoDataFrame: typed columns, then properties as columns
    (the same dtypes as the embedded store).
    """
    n = len(RECORD_COLUMNS)
    typed = pd.DataFrame([r[:n] for r in rows], columns=list(RECORD_COLUMNS))
    typed["received_at"] = [_iso(t) for t in typed["received_at"]]
    for column in _TEXT_COLUMNS + ("kind", "batch_id", "received_at"):
        typed[column] = typed[column].astype("string")
    for column in ("lat", "lon", "distance_m"):
        typed[column] = pd.to_numeric(typed[column], errors="coerce").astype("float64")
    typed["id"] = typed["id"].astype("int64")
    for column in ("row", "key_id"):
        typed[column] = typed[column].astype("Int64")
    typed["address_mismatch"] = typed["address_mismatch"].astype("boolean")
    props = [{k: v for k, v in r[n].items() if v is not None} for r in rows]
    extra = pd.DataFrame.from_records(props, index=typed.index) if props else pd.DataFrame(index=typed.index)
    extra = extra[[c for c in extra.columns if c not in RECORD_COLUMNS and c != "geometry"]]
    geometry = shapely.from_wkb(np.array([r[n + 1] for r in rows], dtype=object))
    frame = pd.concat([typed, extra], axis=1)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=typed.index, crs=4326), crs=4326)
