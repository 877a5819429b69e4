"""The embedded store: one SQLite file in WAL mode, laid out as a GeoPackage.

The records table is a GeoPackage feature table (``gpkg_contents``,
``gpkg_geometry_columns``, GeoPackage geometry blobs, EPSG:4326), so the file opens
directly in QGIS for a district office that wants to look at the raw pins. Bounding-box
queries use SQLite's built-in R*Tree module; no extension has to be loaded, so the store
works on any Python build.

Durability: WAL with ``synchronous=FULL``, and every batch is one ``BEGIN IMMEDIATE``
transaction, so an acknowledged batch survives a kill -9 (and a power cut), and
concurrent writers queue on the lock instead of failing.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.errors import GeoplotsError
from geoplots.server.store.base import (
    RECORD_COLUMNS,
    REQUIRED_COLUMNS,
    ApiKey,
    BatchResult,
    Kind,
    OutsideZoneError,
    Page,
    Role,
    Store,
)

_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_GPKG_USER_VERSION = 10300  # GeoPackage 1.3

# Typed columns of the records table, in insert order (id is assigned by SQLite).
_TYPED = [c for c in RECORD_COLUMNS if c != "id"]

_MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "geopackage records table, r-tree, keys, version counter",
        """
        CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
        INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
            ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
            ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
            ('WGS 84 geodetic', 4326, 'EPSG', 4326,
             'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]',
             'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
        CREATE TABLE IF NOT EXISTS gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
            description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
            (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE,
            max_y DOUBLE, srs_id INTEGER);
        CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            PRIMARY KEY (table_name, column_name));
        CREATE TABLE records (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            geom BLOB,
            kind TEXT NOT NULL,
            record_id TEXT,
            name TEXT,
            "row" INTEGER,
            lat REAL,
            lon REAL,
            subdistrict_code TEXT,
            district_code TEXT,
            province_code TEXT,
            inspection_zone TEXT,
            match TEXT,
            distance_m REAL,
            address_mismatch INTEGER,
            declared_subdistrict_code TEXT,
            warnings TEXT,
            batch_id TEXT,
            key_id INTEGER,
            received_at TEXT,
            properties TEXT);
        CREATE UNIQUE INDEX records_kind_record_id ON records(kind, record_id)
            WHERE record_id IS NOT NULL;
        CREATE INDEX records_zone ON records(inspection_zone, kind);
        CREATE INDEX records_province ON records(province_code);
        CREATE VIRTUAL TABLE records_rtree USING rtree(id, minx, maxx, miny, maxy);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
            VALUES ('records', 'features', 'geoplots records',
                    'Located field records (pins, plots, households) sent to the war-room server', 4326);
        INSERT INTO gpkg_geometry_columns VALUES ('records', 'geom', 'GEOMETRY', 4326, 0, 0);
        CREATE TABLE api_keys (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL,
            zone TEXT,
            key_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO meta VALUES ('version', 0);
        """,
    ),
]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


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
    wkb = []
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


class SQLiteStore(Store):
    """The embedded store in one SQLite/GeoPackage file (``sqlite:///path.db``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.path = _path_from_url(url)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- connections ----------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise GeoplotsError("The store was closed.")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE for writes)
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=60000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:  # closed from another thread already
                    pass
            self._all.clear()
        self._closed = True

    # -- schema -----------------------------------------------------------------
    def migrate(self) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
            for number, name, sql in _MIGRATIONS:
                if number in done:
                    continue
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, _now()))
            conn.execute(f"PRAGMA application_id={_GPKG_APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version={_GPKG_USER_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return max(n for n, _, _ in _MIGRATIONS)

    # -- records ----------------------------------------------------------------
    def add_records(
        self, records: gpd.GeoDataFrame, *, kind: Kind = "pins", key_id: int | None = None,
        zone: str | None = None,
    ) -> BatchResult:
        missing = [c for c in REQUIRED_COLUMNS if c not in records.columns]
        if missing:
            raise GeoplotsError(f"Records must be located before they are stored; missing {missing}.")
        batch_id = uuid.uuid4().hex
        received = _now()
        rows = _rows_for_insert(records, kind=kind, key_id=key_id, batch_id=batch_id, received=received)
        blobs = _gpkg_blobs(np.asarray(records.geometry.values, dtype=object))
        bounds = shapely.bounds(np.asarray(records.geometry.values, dtype=object))
        cols = ", ".join(['"geom"'] + [f'"{c}"' for c in _TYPED] + ['"properties"'])
        marks = ", ".join("?" * (len(_TYPED) + 2))
        updates = ", ".join(f'"{c}"=excluded."{c}"' for c in ["geom", *_TYPED, "properties"])
        sql = (
            f"INSERT INTO records ({cols}) VALUES ({marks}) "
            f"ON CONFLICT(kind, record_id) WHERE record_id IS NOT NULL DO UPDATE SET {updates} "
            "RETURNING id"
        )
        conn = self._conn()
        ids: list[int] = []
        replaced: list[bool] = []
        outside: list[tuple[str, str | None]] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            for blob, row, b in zip(blobs, rows, bounds):
                existed = False
                rid = row[_TYPED.index("record_id")]
                if rid is not None:
                    stored = conn.execute(
                        "SELECT inspection_zone FROM records WHERE kind=? AND record_id=?", (kind, rid)
                    ).fetchone()
                    existed = stored is not None
                    if existed and zone is not None and stored[0] != zone:
                        outside.append((rid, stored[0]))
                (new_id,) = conn.execute(sql, (blob, *row)).fetchone()
                if blob is not None and not np.isnan(b[0]):
                    conn.execute(
                        "INSERT OR REPLACE INTO records_rtree VALUES (?, ?, ?, ?, ?)",
                        (new_id, b[0], b[2], b[1], b[3]),
                    )
                else:
                    conn.execute("DELETE FROM records_rtree WHERE id=?", (new_id,))
                ids.append(int(new_id))
                replaced.append(existed)
            if outside:  # checked under the write lock: no other batch can move them meanwhile
                raise OutsideZoneError(str(zone), [r for r, _ in outside], [z for _, z in outside])
            conn.execute("UPDATE meta SET value = value + 1 WHERE key='version'")
            (version,) = conn.execute("SELECT value FROM meta WHERE key='version'").fetchone()
            conn.execute(
                "UPDATE gpkg_contents SET last_change=strftime('%Y-%m-%dT%H:%M:%fZ','now') "
                "WHERE table_name='records'"
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return BatchResult(ids=ids, replaced=replaced, version=int(version), batch_id=batch_id)

    def _where(
        self,
        bbox: tuple[float, float, float, float] | None,
        zone: str | None,
        province: str | None,
        kind: Kind | None,
    ) -> tuple[str, list]:
        clauses: list[str] = []
        params: list = []
        if bbox is not None:
            minx, miny, maxx, maxy = bbox
            clauses.append(
                "r.id IN (SELECT id FROM records_rtree WHERE maxx >= ? AND minx <= ? "
                "AND maxy >= ? AND miny <= ?)"
            )
            params += [minx, maxx, miny, maxy]
        if zone is not None:
            clauses.append("r.inspection_zone = ?")
            params.append(str(zone))
        if province is not None:
            clauses.append("r.province_code = ?")
            params.append(str(province))
        if kind is not None:
            clauses.append("r.kind = ?")
            params.append(kind)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def query(
        self,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        zone: str | None = None,
        province: str | None = None,
        kind: Kind | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Page:
        names, rows, total = self._page(bbox, zone, province, kind, limit, offset)
        return Page(records=_frame_from_rows(names, rows), total=total)

    def query_features(
        self,
        *,
        bbox: tuple[float, float, float, float] | None = None,
        zone: str | None = None,
        province: str | None = None,
        kind: Kind | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[list[dict], int]:
        names, rows, total = self._page(bbox, zone, province, kind, limit, offset)
        return _features_from_rows(names, rows), total

    def _page(self, bbox, zone, province, kind, limit, offset) -> tuple[list[str], list[tuple], int]:
        """Column names, rows of one page, and the total matching, read together."""
        where, params = self._where(bbox, zone, province, kind)
        conn = self._conn()
        # one read transaction, so the page and the total agree under concurrent writes
        conn.execute("BEGIN")
        try:
            (total,) = conn.execute(f"SELECT count(*) FROM records r{where}", params).fetchone()
            page_sql = f"SELECT * FROM records r{where} ORDER BY r.id LIMIT ? OFFSET ?"
            cur = conn.execute(page_sql, [*params, -1 if limit is None else int(limit), int(offset)])
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        finally:
            conn.execute("COMMIT")
        return names, rows, int(total)

    def get(self, record_id: int) -> gpd.GeoDataFrame:
        cur = self._conn().execute("SELECT * FROM records WHERE id = ?", (int(record_id),))
        names = [d[0] for d in cur.description]
        return _frame_from_rows(names, cur.fetchall())

    def count(self, *, zone: str | None = None, kind: Kind | None = None) -> int:
        where, params = self._where(None, zone, None, kind)
        (n,) = self._conn().execute(f"SELECT count(*) FROM records r{where}", params).fetchone()
        return int(n)

    def version(self) -> int:
        (v,) = self._conn().execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return int(v)

    # -- keys -----------------------------------------------------------------------
    def _insert_key(self, *, name: str, role: Role, zone: str | None, key_hash: str, prefix: str) -> ApiKey:
        created = _now()
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute(
                "INSERT INTO api_keys (name, role, zone, key_hash, prefix, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, role, zone, key_hash, prefix, created),
            )
            key_id = cur.lastrowid
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return ApiKey(id=int(key_id), name=name, role=role, zone=zone, prefix=prefix, created_at=created)

    _KEY_COLS = "id, name, role, zone, prefix, created_at, revoked"

    def _key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self._conn().execute(
            f"SELECT {self._KEY_COLS} FROM api_keys WHERE key_hash = ?", (key_hash,)
        ).fetchone()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        rows = self._conn().execute(f"SELECT {self._KEY_COLS} FROM api_keys ORDER BY id").fetchall()
        return [_key(r) for r in rows]

    def revoke_key(self, key_id: int) -> bool:
        cur = self._conn().execute("UPDATE api_keys SET revoked = 1 WHERE id = ?", (int(key_id),))
        return cur.rowcount > 0


def _key(row: tuple) -> ApiKey:
    return ApiKey(
        id=int(row[0]), name=row[1], role=row[2], zone=row[3], prefix=row[4], created_at=row[5],
        revoked=bool(row[6]),
    )


def _split_sql(script: str) -> list[str]:
    """Split a SQL script into complete statements (semicolons inside strings kept).

    ``sqlite3.executescript`` would COMMIT the migration's transaction, so statements are
    run one by one instead.
    """
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf)
            buf = ""
    if buf.strip():
        out.append(buf)
    return [s.strip() for s in out if s.strip()]


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
    if not rows:
        return []
    at = {n: i for i, n in enumerate(names)}
    geoms = shapely.to_geojson(_from_gpkg_blobs([r[at["geom"]] for r in rows]))
    typed = [c for c in RECORD_COLUMNS if c in at]
    features = []
    for row, geom in zip(rows, geoms):
        props = {c: row[at[c]] for c in typed}
        if props.get("address_mismatch") is not None:
            props["address_mismatch"] = bool(props["address_mismatch"])
        props["warnings"] = json.loads(props["warnings"]) if props.get("warnings") else []
        extra = row[at["properties"]]
        if extra:
            props.update({k: v for k, v in json.loads(extra).items() if k not in RECORD_COLUMNS and k != "geometry"})
        features.append({"type": "Feature", "id": props["id"],
                         "geometry": None if geom is None else json.loads(geom), "properties": props})
    return features


def _frame_from_rows(names: list[str], rows: list[tuple]) -> gpd.GeoDataFrame:
    table = pd.DataFrame.from_records(rows, columns=names)
    geoms = _from_gpkg_blobs(table["geom"].tolist()) if len(table) else np.array([], dtype=object)
    props = [json.loads(p) if p else {} for p in table["properties"]]
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
    table["warnings"] = [json.loads(w) if w else [] for w in table["warnings"]]
    table = table[list(RECORD_COLUMNS)]
    out = pd.concat([table, extra], axis=1)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=table.index, crs=4326), crs=4326)
