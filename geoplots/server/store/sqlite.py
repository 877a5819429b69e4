"""The embedded store: one SQLite file in WAL mode, a valid GeoPackage 1.3.

The file holds one feature layer, ``records`` (pins, plots and households; geometry
column ``GEOMETRY``, EPSG:4326, GeoPackage geometry blobs), so it opens directly in QGIS
for a district office that wants to look at the raw records, and passes GDAL's
``validate_gpkg.py``. Bounding-box queries use the registered ``gpkg_rtree_index``
extension (``rtree_records_geom``, kept by the specification's triggers), which GDAL and
QGIS use too; SQLite's built-in R*Tree module does the work and the ``ST_*`` functions
the triggers call are registered on each connection, so no extension has to be loaded.
The change counter and the migration log are GeoPackage metadata (``gpkg_metadata``),
so nothing but records and the ``photos`` attributes table (the metadata of photos sent
with records; the image files are kept beside the store) is listed as a layer. API keys are not in this file at all: they
live in the store's key store, ``<db>.keys.sqlite`` (:mod:`.sqlite_keys`).

Schema: numbered SQL files in ``migrations/sqlite/``, applied in order by
:meth:`SQLiteStore.migrate`; a store made by an older version is upgraded on its first
start with every record kept (and its keys moved to the key store).

Durability: WAL with ``synchronous=FULL``, and every batch is one ``BEGIN IMMEDIATE``
transaction, so an acknowledged batch survives a kill -9 (and a power cut), and
concurrent writers queue on the lock instead of failing.
"""

from __future__ import annotations

from dataclasses import replace

import functools
import json
import os
import sqlite3
import struct
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.errors import GeoplotsError
from geoplots.server.cql import register_sqlite_functions
from geoplots.server.store._migrations import packaged, split_sql
from geoplots.server.store._photos import PhotoQueries
from geoplots.server.store._sqlite_connections import ThreadConnections
from geoplots.server.store.base import (
    RECORD_COLUMNS,
    REQUIRED_COLUMNS,
    ApiKey,
    BatchResult,
    Kind,
    OutsideZoneError,
    Page,
    RecordFilter,
    Store,
    check_withdrawable,
    check_yes_no,
    count_target,
    counts_frame,
    geojson_geometries,
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
from geoplots.server.store.sqlite_keys import SQLiteKeyStore, default_keys_path

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10300  # GeoPackage 1.3

# Typed columns of the records table, in insert order (id is assigned by SQLite).
_TYPED = [c for c in RECORD_COLUMNS if c != "id"]

# Bookkeeping rows in gpkg_metadata (see migrations/sqlite/0002_geopackage.sql).
_VERSION_URI = "urn:geoplots:store:version"
_MIGRATION_URI = "urn:geoplots:store:migration"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _path_from_url(url: str) -> Path:
    # sqlite:///relative/path.db and sqlite:////absolute/path.db, as SQLAlchemy spells them
    rest = url.split("://", 1)[1]
    if rest.startswith("/"):
        rest = rest[1:]
    if not rest:
        raise GeoplotsError("The SQLite URL has no file path: use sqlite:///path/to/geoplots.db")
    return Path(rest)


def _gpkg_blobs(geoms: np.ndarray) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage geometry blobs (header + WKB)."""
    wkb = shapely.to_wkb(geoms, byte_order=1)
    out: list[bytes | None] = []
    bounds = shapely.bounds(geoms)
    for g, w, b in zip(geoms, wkb, bounds):
        if g is None:
            out.append(None)
        elif shapely.get_type_id(g) == 0:  # points carry no envelope (spec: optional)
            out.append(b"GP\x00\x01" + struct.pack("<i", 4326) + w)
        else:
            env = struct.pack("<4d", b[0], b[2], b[1], b[3])  # minx, maxx, miny, maxy
            out.append(b"GP\x00\x03" + struct.pack("<i", 4326) + env + w)
    return out


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _from_gpkg_blobs(blobs: list[bytes | None]) -> np.ndarray:
    wkb: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkb.append(None)
            continue
        flags = blob[3]
        start = 8 + _ENVELOPE_BYTES[(flags >> 1) & 0x07]
        wkb.append(bytes(blob[start:]))
    return shapely.from_wkb(np.array(wkb, dtype=object))


def _jsonable_rows(frame: pd.DataFrame) -> list[str | None]:
    """Serialise each row of ``frame`` to a JSON object (NaN/NA dropped, dates ISO)."""
    if frame.shape[1] == 0:
        return [None] * len(frame)
    text = frame.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str)
    rows = json.loads(text)
    return [json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) for r in rows]


class SQLiteStore(PhotoQueries, Store):
    """The embedded store in one SQLite/GeoPackage file (``sqlite:///path.db``).

    Parameters
    ----------
    url : str
        ``sqlite:///path/to/geoplots.gpkg``.
    keys : str or path, optional
        The key file; default ``<db>.keys.sqlite`` beside the GeoPackage.
    """

    def __init__(self, url: str, *, keys: str | os.PathLike[str] | None = None) -> None:
        self.url = url
        self.path = _path_from_url(url)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connections = ThreadConnections(self.path, _register_gpkg_functions)
        self.keys = SQLiteKeyStore(default_keys_path(self.path) if keys is None else keys)

    # -- connections ----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()
        self.keys.close()

    def _photo_run(self, sql: str, params: list, *, many: list[list] | None = None) -> list[tuple]:
        conn = self._conn()
        if many is None:
            return conn.execute(sql, params).fetchall()
        out: list[tuple] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for row in many:
                out += conn.execute(sql, row).fetchall()
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return out

    # -- schema -----------------------------------------------------------------
    def migrate(self) -> int:
        self.keys.migrate()
        migrations = packaged("sqlite")
        conn = self._conn()
        # Deleted rows are overwritten, not left in free pages: the keys a store before
        # schema 2 held must not stay readable in the bytes of the file.
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._move_keys_out(conn)
            applied = _applied_migrations(conn)
            pending = [m for m in migrations if m[0] not in applied]
            for number, name, sql in pending:
                for statement in split_sql(sql):
                    conn.execute(statement)
                _record_migration(conn, number, name)
            conn.execute(f"PRAGMA application_id={_GPKG_APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={_GPKG_USER_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA secure_delete=OFF")
        if pending:
            # Into the file itself now, not only the WAL: the GeoPackage header
            # (application_id, user_version) that tools read from the file's first bytes,
            # and after a move of the keys out, the zeroed pages that held them.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return migrations[-1][0]

    def _move_keys_out(self, conn: sqlite3.Connection) -> None:
        """Hand the keys of a store from before schema 2 (its own api_keys table) to the
        key store, keeping their ids, before the migration drops that table. Safe to repeat
        when a crash came between the two.
        """
        if _has_table(conn, "api_keys"):
            self.keys.import_keys(_old_keys(conn))

    def schema_migrations(self) -> list[tuple[int, str, str]]:
        """Return the applied migrations as (version, name, applied_at ISO 8601)."""
        rows = self._conn().execute(
            "SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ?", (_MIGRATION_URI,)
        ).fetchall()
        log = sorted((json.loads(text) for (text,) in rows), key=lambda m: m["version"])
        return [(m["version"], m["name"], m["applied_at"]) for m in log]

    # -- records ----------------------------------------------------------------
    def add_records(
        self, records: gpd.GeoDataFrame, *, kind: Kind = "pins", key_id: int | None = None,
        zone: str | None = None, received_at: datetime | str | None = None,
    ) -> BatchResult:
        missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
        if missing:
            raise GeoplotsError(f"Records must be located before they are stored; missing {missing}.")
        batch_id = uuid.uuid4().hex
        when = received_time(received_at)
        received = when.isoformat(timespec="milliseconds")
        rows = _rows_for_insert(records, kind=kind, key_id=key_id, batch_id=batch_id, received=received)
        history = list(zip(reported_dates(records, when), statuses(records), content_hashes(records)))
        blobs = _gpkg_blobs(np.asarray(records.geometry.values, dtype=object))
        bounds = shapely.bounds(np.asarray(records.geometry.values, dtype=object))
        conn = self._conn()
        outcome = _Outcome()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for blob, row, (reported, status, digest) in zip(blobs, rows, history):
                self._store_one(conn, kind, zone, blob, row, (reported, status, digest), outcome)
            if outcome.outside:  # checked under the write lock: no other batch can move them meanwhile
                raise OutsideZoneError(str(zone), [r for r, _ in outcome.outside], [z for _, z in outcome.outside])
            version = self._bump_version(conn)
            conn.execute(_WIDEN_EXTENT, _extent(bounds))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return BatchResult(ids=outcome.ids, replaced=outcome.replaced, version=version, batch_id=batch_id,
                           unchanged=outcome.unchanged)

    @staticmethod
    def _store_one(conn: sqlite3.Connection, kind: str, zone: str | None, blob: bytes | None, row: tuple,
                   history: tuple[str, str | None, str], outcome: _Outcome) -> None:
        """Add one record's version and bring ``records`` up to it (or nothing, for an
        identical resend of the current version).
        """
        rid = row[_TYPED.index("record_id")]
        head = _head(conn, kind, rid) if rid is not None else None
        if head is not None and zone is not None and head[4] != zone:
            outcome.outside.append((rid, head[4]))
        if head is not None and not head[3] and head[2] == history[2]:
            outcome.add(head[0], replaced=True, unchanged=True)
            return
        number = 1 if head is None else head[1] + 1
        values = (blob, *row, *history, number)
        # A resend replaces its record with a plain UPDATE, not an UPSERT: an UPSERT's
        # conflict clause would override the INSERT OR REPLACE inside the GeoPackage rtree
        # triggers (SQLite applies the outer statement's policy in trigger bodies).
        if head is None:
            (new_id,) = conn.execute(_INSERT_CURRENT, values).fetchone()
        elif head[3]:  # withdrawn earlier, sent again: back under its own id
            (new_id,) = conn.execute(_INSERT_CURRENT_WITH_ID, (head[0], *values)).fetchone()
        else:
            new_id = head[0]
            conn.execute(_UPDATE_CURRENT, (*values, new_id))
        conn.execute(_INSERT_VERSION, (new_id, 0, *values))
        outcome.add(int(new_id), replaced=head is not None, unchanged=False)

    @staticmethod
    def _bump_version(conn: sqlite3.Connection) -> int:
        (version,) = conn.execute(
            "UPDATE gpkg_metadata SET metadata = CAST(metadata AS INTEGER) + 1 "
            "WHERE md_standard_uri = ? RETURNING CAST(metadata AS INTEGER)", (_VERSION_URI,)
        ).fetchone()
        return int(version)

    def withdraw(
        self, record_ids: list[str], *, kind: Kind = "pins", key_id: int | None = None,
        zone: str | None = None, received_at: datetime | str | None = None,
    ) -> BatchResult:
        when = received_time(received_at).isoformat(timespec="milliseconds")
        batch_id = uuid.uuid4().hex
        conn = self._conn()
        outcome = _Outcome()
        conn.execute("BEGIN IMMEDIATE")
        try:
            heads = [(str(rid), _head(conn, kind, str(rid))) for rid in dict.fromkeys(record_ids)]
            check_withdrawable(kind, zone, heads)
            for _rid, head in heads:
                assert head is not None  # checked above
                if head[3]:  # already withdrawn: nothing to add
                    outcome.add(head[0], replaced=True, unchanged=True)
                    continue
                conn.execute(_INSERT_TOMBSTONE, {"version": head[1] + 1, "received": when, "batch": batch_id,
                                                  "key": key_id, "id": head[0], "previous": head[1]})
                conn.execute("DELETE FROM records WHERE id = ?", (head[0],))
                outcome.add(head[0], replaced=True, unchanged=False)
            version = self._bump_version(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return BatchResult(ids=outcome.ids, replaced=outcome.replaced, version=version, batch_id=batch_id,
                           unchanged=outcome.unchanged)

    def last_reports(self, kind: Kind, before: date, filter: RecordFilter | None = None) -> pd.DataFrame:
        where, params = self._where(replace(filter or RecordFilter(), kind=kind))
        rows = self._conn().execute(
            f"SELECT {_STALE_SELECT} FROM records r{where} AND r.reported_date < ? "
            "ORDER BY r.inspection_zone, r.reported_date, r.id", [*params, before.isoformat()]).fetchall()
        return stale_frame(rows)

    def rebuild_current(self) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM records")
            cur = conn.execute(_REBUILD)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return int(cur.rowcount)

    def versions(self, record_id: str, *, kind: Kind = "pins") -> pd.DataFrame:
        cur = self._conn().execute(
            f"SELECT {_VERSION_INFO} FROM record_versions WHERE kind = ? AND record_id = ? ORDER BY version",
            (kind, str(record_id)))
        return version_frame(cur.fetchall())

    def _where(self, filter: RecordFilter | None) -> tuple[str, list]:
        filter = filter or RecordFilter()
        clauses: list[str] = []
        params: list = []
        if filter.bbox is not None:
            minx, miny, maxx, maxy = filter.bbox
            clauses.append(
                "r.id IN (SELECT id FROM rtree_records_geom WHERE maxx >= ? AND minx <= ? "
                "AND maxy >= ? AND miny <= ?)"
            )
            params += [minx, maxx, miny, maxy]
        for column, value in (("inspection_zone", filter.zone), ("province_code", filter.province),
                              ("kind", filter.kind)):
            if value is not None:
                clauses.append(f"r.{column} = ?")
                params.append(value)
        for condition in filter.conditions:  # CQL2 filters, datetime (geoplots.server.cql)
            sql, condition_params = condition.sql("sqlite")
            clauses.append(sql)
            params += condition_params
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def query(self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0) -> Page:
        names, rows, total = self._page(filter, limit, offset)
        return Page(records=_frame_from_rows(names, rows), total=total)

    def query_features(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict], int]:
        names, rows, total = self._page(filter, limit, offset)
        return _features_from_rows(names, rows), total

    def query_features_json(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[str], int]:
        names, rows, total = self._page(filter, limit, offset)
        return _feature_texts(names, rows), total

    def _page(self, filter: RecordFilter | None, limit: int | None, offset: int) -> tuple[list[str], list[tuple], int]:
        """Column names, rows of one page, and the total matching, read together."""
        where, params = self._where(filter)
        conn = self._conn()
        # one read transaction, so the page and the total agree under concurrent writes
        conn.execute("BEGIN")
        try:
            (total,) = conn.execute(f"SELECT count(*) FROM records r{where}", params).fetchone()
            order, order_params = ("r.id", []) if filter is None or filter.order is None else filter.order.sql("sqlite")
            page_sql = f"SELECT * FROM records r{where} ORDER BY {order} LIMIT ? OFFSET ?"
            cur = conn.execute(page_sql, [*params, *order_params, -1 if limit is None else int(limit), int(offset)])
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        finally:
            conn.execute("COMMIT")
        return names, rows, int(total)

    def counts_by(
        self, level: str, kind: Kind, filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None, as_of: str | date | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        column, filter = count_target(level, kind, filter, distinct)
        source, source_params = self._source(filter, parse_day(as_of), status)
        answer, answer_params = _yes_no_sql(yes_no)
        counted = "count(*)" if distinct is None else f"count(DISTINCT {distinct})"
        # JSON answers are read once per row in the inner select, then summed per code
        sql = (
            f"SELECT code, {counted}, coalesce(sum(known), 0), coalesce(sum(yes), 0), coalesce(sum(present), 0), coalesce(sum(bad), 0) FROM "
            f"(SELECT r.{column} AS code{'' if distinct is None else f', r.{distinct} AS {distinct}'}, {answer} "
            f"FROM {source}) GROUP BY code"
        )
        rows = self._conn().execute(sql, [*answer_params, *source_params]).fetchall()
        if yes_no is not None:
            check_yes_no(yes_no, sum(r[4] for r in rows), sum(r[5] for r in rows))
        return counts_frame([r[:4] for r in rows])

    def counts_series(
        self, level: str, kind: Kind, ends: list[date], filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None, status: str | None = None,
    ) -> list[pd.DataFrame]:
        column, filter = count_target(level, kind, filter, distinct)
        if filter.bbox is not None:
            raise GeoplotsError("A bounding box cannot be combined with as_of; filter by zone or province.")
        starts, start_params = series_start_sql(ends, "?", lambda d: as_of_cutoff(d).isoformat(timespec="milliseconds"),
                                                lambda d: d.isoformat())
        where, params = self._where(replace(filter, kind=None))
        if status is not None:
            where, params = (where + " AND" if where else " WHERE") + " r.status = ?", [*params, normalize_status(status)]
        answer, answer_params = _yes_no_sql(yes_no)
        value = "NULL" if distinct is None else f"r.{distinct}"
        sql = (
            f"WITH v AS (SELECT id, version, withdrawn, {_SPAN_COLUMNS}{', properties' if yes_no else ''}, "
            f"{starts} AS s FROM record_versions WHERE kind = ?), "
            "w AS (SELECT v.*, min(s) OVER (PARTITION BY id ORDER BY version "
            "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS e FROM v) "
            "SELECT code, value, s, e, count(*), coalesce(sum(known), 0), coalesce(sum(yes), 0), "
            "coalesce(sum(present), 0), coalesce(sum(bad), 0) FROM "
            f"(SELECT r.{column} AS code, {value} AS value, r.s AS s, r.e AS e, {answer} FROM w r "
            f"WHERE r.withdrawn = 0 AND r.s < ? AND (r.e IS NULL OR r.e > r.s)"
            f"{where.replace(' WHERE ', ' AND ', 1)}) GROUP BY code, value, s, e"
        )
        rows = self._conn().execute(sql, [*start_params, kind, *answer_params, len(ends), *params]).fetchall()
        return series_frames(rows, len(ends), distinct is not None, yes_no)

    def _source(self, filter: RecordFilter, day: date | None, status: str | None) -> tuple[str, list]:
        """``FROM`` text (rows aliased ``r``, with their WHERE) and its parameters: the current
        records, or with ``day`` each record's version as it stood at the end of that day.
        """
        where, params = self._where(filter)
        if status is not None:
            where = (where + " AND" if where else " WHERE") + " r.status = ?"
            params = [*params, normalize_status(status)]
        if day is None:
            return f"records r{where}", params
        if filter.bbox is not None:
            raise GeoplotsError("A bounding box cannot be combined with as_of; filter by zone or province.")
        cut = as_of_cutoff(day).isoformat(timespec="milliseconds")
        source = (
            "record_versions r JOIN (SELECT id, max(version) AS version FROM record_versions "
            "WHERE received_at < ? AND reported_date <= ? GROUP BY id) h ON r.id = h.id AND r.version = h.version"
            + (where + " AND" if where else " WHERE") + " r.withdrawn = 0"
        )
        return source, [cut, day.isoformat(), *params]

    def get(self, record_id: int) -> gpd.GeoDataFrame:
        names, rows = self._row(record_id)
        return _frame_from_rows(names, rows)

    def feature(self, record_id: int) -> dict | None:
        names, rows = self._row(record_id)
        features = _features_from_rows(names, rows)
        return features[0] if features else None

    def _row(self, record_id: int) -> tuple[list[str], list[tuple]]:
        """Column names and the (zero or one) row of the record with store id ``record_id``."""
        cur = self._conn().execute("SELECT * FROM records WHERE id = ?", (int(record_id),))
        return [d[0] for d in cur.description], cur.fetchall()

    def count(self, filter: RecordFilter | None = None) -> int:
        where, params = self._where(filter)
        (n,) = self._conn().execute(f"SELECT count(*) FROM records r{where}", params).fetchone()
        return int(n)

    def property_types(self, kind: Kind) -> dict[str, str]:
        rows = self._conn().execute(
            "SELECT j.key, j.type FROM records r, json_each(r.properties) j WHERE r.kind = ? "
            "GROUP BY j.key, j.type", (kind,)
        ).fetchall()
        return _merge_types((key, {"true": "boolean", "false": "boolean", "real": "number", "text": "string"}
                             .get(t, t)) for key, t in rows)

    def extent(self, kind: Kind) -> tuple[float, float, float, float] | None:
        row = self._conn().execute(
            "SELECT min(t.minx), min(t.miny), max(t.maxx), max(t.maxy) FROM rtree_records_geom t "
            "JOIN records r ON r.id = t.id WHERE r.kind = ?", (kind,)
        ).fetchone()
        return None if row is None or row[0] is None else (row[0], row[1], row[2], row[3])

    def version(self) -> int:
        (v,) = self._conn().execute(
            "SELECT CAST(metadata AS INTEGER) FROM gpkg_metadata WHERE md_standard_uri = ?", (_VERSION_URI,)
        ).fetchone()
        return int(v)


def _merge_types(pairs) -> dict[str, str]:
    """One JSON type per property from (name, type) pairs: integer and number make
    number, any other mix string; null alone stays string.
    """
    seen: dict[str, set[str]] = {}
    for key, t in pairs:
        seen.setdefault(key, set()).add(t)
    out: dict[str, str] = {}
    for key, types in seen.items():
        types = types - {"null"}
        if len(types) == 1:
            out[key] = types.pop()
        else:
            out[key] = "number" if types == {"integer", "number"} else "string"
    return out


class _Outcome:
    """What a batch did to each of its rows, in input order."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.replaced: list[bool] = []
        self.unchanged: list[bool] = []
        self.outside: list[tuple[str, str | None]] = []

    def add(self, record: int, *, replaced: bool, unchanged: bool) -> None:
        self.ids.append(int(record))
        self.replaced.append(replaced)
        self.unchanged.append(unchanged)


def _head(conn: sqlite3.Connection, kind: str, record_id: str) -> tuple | None:
    """(id, version, content_hash, withdrawn, inspection_zone) of the latest version of a
    record, or None when it was never stored.
    """
    return conn.execute(
        "SELECT id, version, content_hash, withdrawn, inspection_zone FROM record_versions "
        "WHERE kind = ? AND record_id = ? ORDER BY version DESC LIMIT 1", (kind, record_id)
    ).fetchone()


# Columns of a version as written to records (the current projection) and record_versions.
_CURRENT = ["geom", *_TYPED, "properties", "reported_date", "status", "content_hash", "version"]
_HISTORY_ONLY = ["id", "withdrawn"]


def _columns(names: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in names)


_INSERT_CURRENT = (f"INSERT INTO records ({_columns(_CURRENT)}) VALUES ({', '.join('?' * len(_CURRENT))}) "
                   "RETURNING id")
_INSERT_CURRENT_WITH_ID = (f"INSERT INTO records (id, {_columns(_CURRENT)}) "
                           f"VALUES (?, {', '.join('?' * len(_CURRENT))}) RETURNING id")
_UPDATE_CURRENT = f"UPDATE records SET {', '.join(f'{chr(34)}{c}{chr(34)}=?' for c in _CURRENT)} WHERE id=?"
_INSERT_VERSION = (f"INSERT INTO record_versions ({_columns(_HISTORY_ONLY + _CURRENT)}) "
                   f"VALUES ({', '.join('?' * (len(_CURRENT) + 2))})")
# A tombstone repeats the last version's content, marked withdrawn, dated the day it came.
_KEPT = [c for c in _CURRENT if c not in ("version", "reported_date", "batch_id", "key_id", "received_at")]
_INSERT_TOMBSTONE = (
    f"INSERT INTO record_versions (id, withdrawn, version, reported_date, batch_id, key_id, received_at, "
    f"{_columns(_KEPT)}) SELECT id, 1, :version, date(:received, '+7 hours'), :batch, :key, :received, "
    f"{_columns(_KEPT)} FROM record_versions WHERE id = :id AND version = :previous"
)
_REBUILD = (
    f"INSERT INTO records (id, {_columns(_CURRENT)}) SELECT v.id, "
    + ", ".join(f'v."{c}"' for c in _CURRENT)
    + " FROM record_versions v JOIN (SELECT id, max(version) AS version FROM record_versions GROUP BY id) h "
    "ON v.id = h.id AND v.version = h.version WHERE v.withdrawn = 0 ORDER BY v.id"
)
_STALE_SELECT = ("r.record_id, r.name, r.kind, r.province_code, r.district_code, r.subdistrict_code, "
                 "r.inspection_zone, r.status, r.reported_date")
_SPAN_COLUMNS = "subdistrict_code, district_code, province_code, inspection_zone, status"
_VERSION_INFO = "id, version, withdrawn, received_at, reported_date, status, name, district_code, batch_id"


def _yes_no_sql(column: str | None) -> tuple[str, list]:
    """Columns ``known, yes, present, bad`` of one row for the yes/no property ``column``
    (all 0 without one), as ``geoplots.coverage`` reads it: JSON true/false or 1/0.
    """
    if column is None:
        return "0 AS known, 0 AS yes, 0 AS present, 0 AS bad", []
    if any(c in column for c in '"\\') or any(ord(c) < 32 for c in column):
        # a JSON path cannot name such a key exactly; refuse rather than count nothing
        raise GeoplotsError(f"The yes/no column {column!r} has a quote, backslash or control character; rename it.")
    path = '$."' + column + '"'
    t, v = "json_type(r.properties, ?)", "json_extract(r.properties, ?)"
    sql = (
        f"({t} IS NOT NULL AND {t} != 'null') AS known, "
        f"({t} = 'true' OR ({t} IN ('integer', 'real') AND {v} = 1)) AS yes, "
        f"({t} IS NOT NULL) AS present, "
        f"({t} IS NOT NULL AND {t} != 'null' AND NOT ({t} IN ('true', 'false') "
        f"OR ({t} IN ('integer', 'real') AND {v} IN (0, 1)))) AS bad"
    )
    return sql, [path] * sql.count("?")


# gpkg_contents keeps an extent that contains every stored geometry (the specification's
# "informative bounding box"): each batch widens it by its own envelope, in the batch's
# transaction. A NULL envelope (a batch without geometries) leaves it as it was; SQLite's
# multi-argument min()/max() are NULL when any argument is, hence the coalesce pairs.
_WIDEN_EXTENT = (
    "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
    "min_x = min(coalesce(min_x, :min_x), coalesce(:min_x, min_x)), "
    "min_y = min(coalesce(min_y, :min_y), coalesce(:min_y, min_y)), "
    "max_x = max(coalesce(max_x, :max_x), coalesce(:max_x, max_x)), "
    "max_y = max(coalesce(max_y, :max_y), coalesce(:max_y, max_y)) "
    "WHERE table_name IN ('records', 'record_versions')"
)


def _extent(bounds: np.ndarray) -> dict[str, float | None]:
    """Return the envelope of a batch's geometry bounds (None values when it has none)."""
    names = ("min_x", "min_y", "max_x", "max_y")
    if len(bounds) == 0 or np.isnan(bounds[:, 0]).all():
        return dict.fromkeys(names)
    lows, highs = np.nanmin(bounds[:, :2], axis=0), np.nanmax(bounds[:, 2:], axis=0)
    return dict(zip(names, (float(lows[0]), float(lows[1]), float(highs[0]), float(highs[1]))))


# -- schema bookkeeping ---------------------------------------------------------------
def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def _applied_migrations(conn: sqlite3.Connection) -> set[int]:
    """Return the numbers of the migrations applied to this file: logged in gpkg_metadata
    since schema 2, in a schema_migrations table before it, none in a new file.
    """
    if _has_table(conn, "gpkg_metadata"):
        rows = conn.execute("SELECT metadata FROM gpkg_metadata WHERE md_standard_uri = ?", (_MIGRATION_URI,))
        return {int(json.loads(text)["version"]) for (text,) in rows}
    if _has_table(conn, "schema_migrations"):
        return {int(v) for (v,) in conn.execute("SELECT version FROM schema_migrations")}
    return set()


def _record_migration(conn: sqlite3.Connection, number: int, name: str) -> None:
    """Log an applied migration where the schema now in place keeps its log."""
    if _has_table(conn, "gpkg_metadata"):
        entry = json.dumps({"version": number, "name": name, "applied_at": _now()})
        cur = conn.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) "
            "VALUES ('schema', ?, 'application/json', ?)", (_MIGRATION_URI, entry),
        )
        conn.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id) VALUES ('geopackage', ?)",
            (cur.lastrowid,),
        )
        return
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, _now()))


def _old_keys(conn: sqlite3.Connection) -> list[tuple[ApiKey, str]]:
    """Return the keys a store before schema 2 kept in its own api_keys table."""
    rows = conn.execute(
        "SELECT id, name, role, zone, prefix, created_at, revoked, key_hash FROM api_keys ORDER BY id"
    ).fetchall()
    return [
        (ApiKey(id=int(r[0]), name=r[1], role=r[2], zone=r[3], prefix=r[4], created_at=r[5],
                revoked=bool(r[6])), r[7])
        for r in rows
    ]


# -- the SQL functions of the GeoPackage rtree triggers -------------------------------
def _register_gpkg_functions(conn: sqlite3.Connection) -> None:
    """Give ``conn`` the ``ST_IsEmpty``/``ST_MinX``/... functions the specification's
    rtree triggers call (GDAL registers the same ones on its connections).
    """
    conn.create_function("ST_IsEmpty", 1, _st_is_empty, deterministic=True)
    register_sqlite_functions(conn)  # what translated CQL2 filters call
    for name, at in (("ST_MinX", 0), ("ST_MaxX", 1), ("ST_MinY", 2), ("ST_MaxY", 3)):
        conn.create_function(name, 1, functools.partial(_st_envelope_part, at), deterministic=True)


def _st_is_empty(blob: bytes | None) -> int | None:
    if blob is None:
        return None
    return int(_blob_envelope(bytes(blob)) is None)


def _st_envelope_part(at: int, blob: bytes | None) -> float | None:
    if blob is None:
        return None
    envelope = _blob_envelope(bytes(blob))
    return None if envelope is None else envelope[at]


@functools.lru_cache(maxsize=16)  # the five calls a trigger makes share one parse
def _blob_envelope(blob: bytes) -> tuple[float, float, float, float] | None:
    """Return (minx, maxx, miny, maxy) of a GeoPackage geometry blob; None when empty.

    Read from the header's envelope when it has one; a point is read straight from its
    WKB; anything else through shapely.
    """
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry blob")
    flags = blob[3]
    if flags & 0x08:
        return None
    if (flags >> 1) & 0x07:
        minx, maxx, miny, maxy = struct.unpack_from("<4d" if flags & 1 else ">4d", blob, 8)
        return minx, maxx, miny, maxy
    wkb = blob[8:]
    order = "<" if wkb[0] == 1 else ">"
    (type_code,) = struct.unpack_from(order + "I", wkb, 1)
    if type_code % 1000 == 1:  # Point, Point Z/M/ZM: x and y come first
        x, y = struct.unpack_from(order + "2d", wkb, 5)
        return None if np.isnan(x) else (x, x, y, y)
    geom = shapely.from_wkb(wkb)
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _rows_for_insert(
    records: gpd.GeoDataFrame, *, kind: str, key_id: int | None, batch_id: str, received: str
) -> list[tuple]:
    n = len(records)

    def col(name: str, convert=lambda v: v) -> list:
        if name not in records.columns:
            return [None] * n
        return [None if _missing(v) else convert(v) for v in records[name].tolist()]

    values: dict[str, list] = {
        "kind": [kind] * n,
        "record_id": col("record_id", str),
        "name": col("name", str),
        "row": col("row", int),
        "lat": col("lat", float),
        "lon": col("lon", float),
        "subdistrict_code": col("subdistrict_code", str),
        "district_code": col("district_code", str),
        "province_code": col("province_code", str),
        "inspection_zone": col("inspection_zone", str),
        "match": col("match", str),
        "distance_m": col("distance_m", float),
        "address_mismatch": col("address_mismatch", lambda v: int(bool(v))),
        "declared_subdistrict_code": col("declared_subdistrict_code", str),
        "warnings": [
            json.dumps([str(w) for w in (ws if isinstance(ws, (list, tuple, np.ndarray)) else [])], ensure_ascii=False)
            for ws in (records["warnings"].tolist() if "warnings" in records.columns else [[]] * n)
        ],
        "batch_id": [batch_id] * n,
        "key_id": [key_id] * n,
        "received_at": [received] * n,
    }
    extra = [c for c in records.columns if c not in RECORD_COLUMNS and c != records.geometry.name]
    props = _jsonable_rows(pd.DataFrame(records[extra]))
    return [tuple(values[c][i] for c in _TYPED) + (props[i],) for i in range(n)]


def _missing(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # lists and arrays are values, not missing
        return False


def _features_from_rows(names: list[str], rows: list[tuple]) -> list[dict]:
    """GeoJSON Feature dicts straight from stored rows (no GeoDataFrame in between)."""
    return [
        {"type": "Feature", "id": props["id"], "geometry": None if geom is None else json.loads(geom),
         "properties": props}
        for geom, props in _row_parts(names, rows)
    ]


def _feature_texts(names: list[str], rows: list[tuple]) -> list[str]:
    """GeoJSON Feature texts straight from stored rows: the geometry text GEOS wrote is
    put in as it is, never parsed and written again.
    """
    return [
        f'{{"type": "Feature", "id": {props["id"]}, "geometry": {"null" if geom is None else geom}, '
        f'"properties": {json.dumps(props, ensure_ascii=False)}}}'
        for geom, props in _row_parts(names, rows)
    ]


def _row_parts(names: list[str], rows: list[tuple]) -> list[tuple[str | None, dict]]:
    """Each stored row's GeoJSON geometry text (7 decimals) and its properties: the
    typed columns, then the record's own fields.
    """
    if not rows:
        return []
    at = {n: i for i, n in enumerate(names)}
    geoms = geojson_geometries(_from_gpkg_blobs([r[at["geom"]] for r in rows]))
    typed = [c for c in RECORD_COLUMNS if c in at]
    parts = []
    for row, geom in zip(rows, geoms):
        props = {c: row[at[c]] for c in typed}
        if props.get("address_mismatch") is not None:
            props["address_mismatch"] = bool(props["address_mismatch"])
        props["warnings"] = json.loads(props["warnings"]) if props.get("warnings") else []
        extra = row[at["properties"]]
        if extra:
            props.update({k: v for k, v in json.loads(extra).items() if k not in RECORD_COLUMNS and k != "geometry"})
        parts.append((geom, props))
    return parts


def _frame_from_rows(names: list[str], rows: list[tuple]) -> gpd.GeoDataFrame:
    table = pd.DataFrame.from_records(rows, columns=names)
    geoms = _from_gpkg_blobs(table["geom"].tolist()) if len(table) else np.array([], dtype=object)
    # from_records turns NULL into NaN in a column that also holds text: test for text
    props = [json.loads(p) if isinstance(p, str) and p else {} for p in table["properties"]]
    extra = pd.DataFrame.from_records(props, index=table.index) if props else pd.DataFrame(index=table.index)
    extra = extra[[c for c in extra.columns if c not in RECORD_COLUMNS and c != "geometry"]]
    table = table.drop(columns=["geom", "properties"])
    for c in ("kind", "record_id", "name", "subdistrict_code", "district_code", "province_code",
              "inspection_zone", "match", "declared_subdistrict_code", "batch_id", "received_at"):
        table[c] = table[c].astype("string")
    table["row"] = table["row"].astype("Int64")
    table["key_id"] = table["key_id"].astype("Int64")
    table["id"] = table["id"].astype("int64")
    for c in ("lat", "lon", "distance_m"):
        table[c] = table[c].astype("float64")
    table["address_mismatch"] = table["address_mismatch"].astype("boolean")
    table["warnings"] = [json.loads(w) if isinstance(w, str) and w else [] for w in table["warnings"]]
    table = table[list(RECORD_COLUMNS)]
    out = pd.concat([table, extra], axis=1)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=table.index, crs=4326), crs=4326)
