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

import math
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, UTC
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
from geoplots.server.store._photos import PhotoQueries
from geoplots.server.store.postgis_events import PostgresEventBus
from geoplots.server.store.sqlite import _jsonable_rows
from geoplots.server.store.base import (
    RECORD_COLUMNS,
    REQUIRED_COLUMNS,
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
    check_yes_no,
    count_target,
    counts_frame,
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
    return ("WHERE " + " AND ".join(where)) if where else "", params


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
        rows = list(self._batch_rows(records, kind, key_id, batch_id))
        with self._pool.connection() as conn:
            # Lock the version row first: batches queue here, so two batches resending
            # the same record_ids cannot deadlock on the unique index.
            version = cast("tuple[Any, ...]", conn.execute(
                "UPDATE store_version SET version = version + 1 RETURNING version"
            ).fetchone())[0]
            if zone is not None:
                self._check_zone(conn, kind, [r["record_id"] for r in rows], zone)
            ids: list[int] = []
            replaced: list[bool] = []
            if rows:
                with conn.cursor() as cur:
                    cur.executemany(_UPSERT, rows, returning=True)
                    while True:
                        # One RETURNING row per upserted record.
                        rid, was_update = cast("tuple[Any, ...]", cur.fetchone())
                        ids.append(rid)
                        replaced.append(bool(was_update))
                        if not cur.nextset():
                            break
        return BatchResult(ids=ids, replaced=replaced, version=int(version), batch_id=batch_id)

    @staticmethod
    def _check_zone(conn: psycopg.Connection, kind: str, record_ids: list[str | None], zone: str) -> None:
        """Raise :class:`OutsideZoneError` if a resent id is stored outside ``zone``.

        Runs after the version row is locked, so no other batch moves these records
        between this check and the upsert.
        """
        sent = [r for r in dict.fromkeys(record_ids) if r is not None]
        if not sent:
            return
        found: dict[str, Any] = dict(conn.execute(
            "SELECT record_id, inspection_zone FROM records WHERE kind = %s AND record_id = ANY(%s) "
            "AND inspection_zone IS DISTINCT FROM %s",
            (kind, sent, zone),
        ).fetchall())
        if found:
            outside = [r for r in sent if r in found]
            raise OutsideZoneError(zone, outside, [found[r] for r in outside])

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
            rows = conn.execute(
                f"SELECT {_SELECT} FROM records {clause} ORDER BY id{page}", params + page_params
            ).fetchall()
        return Page(records=_frame(rows), total=int(total))

    def counts_by(
        self, level: str, kind: Kind, filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None,
    ) -> pd.DataFrame:
        column, filter = count_target(level, kind, filter, distinct)
        clause, params = _where(filter)
        answer, answer_params = _yes_no_sql(yes_no)
        counted = "count(*)" if distinct is None else f"count(DISTINCT {distinct})"
        extra = "" if distinct is None else f", {distinct}"
        # JSON answers are read once per row in the inner select, then summed per code
        sql = (
            f"SELECT code, {counted}, coalesce(sum(known), 0), coalesce(sum(yes), 0), coalesce(sum(present), 0), coalesce(sum(bad), 0) FROM "
            f"(SELECT {column} AS code{extra}, {answer} FROM records {clause}) AS r GROUP BY code"
        )
        with self._pool.connection() as conn:
            rows = conn.execute(sql, answer_params + params).fetchall()
        if yes_no is not None:
            check_yes_no(yes_no, sum(r[4] for r in rows), sum(r[5] for r in rows))
        return counts_frame([tuple(r[:4]) for r in rows])

    def get(self, record_id: int) -> gpd.GeoDataFrame:
        with self._pool.connection() as conn:
            rows = conn.execute(f"SELECT {_SELECT} FROM records WHERE id = %s", (int(record_id),)).fetchall()
        return _frame(rows)

    def count(self, filter: RecordFilter | None = None) -> int:
        clause, params = _where(filter)
        with self._pool.connection() as conn:
            return int(cast("tuple[Any, ...]", conn.execute(f"SELECT count(*) FROM records {clause}", params).fetchone())[0])

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


_PLACEHOLDER = {"geom": "ST_GeomFromWKB(%(geom)s, 4326)", "properties": "coalesce(%(properties)s::jsonb, '{}')"}
_STORED = (*_INPUT_COLUMNS, "properties", "geom", "kind", "key_id", "batch_id")
_UPSERT = (
    "INSERT INTO records ("
    + ", ".join(f'"{c}"' for c in _STORED)
    + ") VALUES ("
    + ", ".join(_PLACEHOLDER.get(c, f"%({c})s") for c in _STORED)
    + ") ON CONFLICT (kind, record_id) WHERE record_id IS NOT NULL DO UPDATE SET "
    + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in _STORED if c not in ("kind", "record_id"))
    + ", received_at = now()"
    # xmax is non-zero on a row this statement updated rather than inserted.
    + " RETURNING id, (xmax <> 0)"
)
_SELECT = (
    ", ".join(f'"{c}"' for c in RECORD_COLUMNS) + ", properties, ST_AsBinary(geom)"
)
_KEY_COLUMNS = "id, name, role, zone, prefix, created_at, revoked"


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
