"""The embedded store's file is a valid GeoPackage that holds records and nothing else:
GDAL's validator passes, GDAL lists only the records layer and uses its R-tree, and the
API keys live in a key file of their own (0600) that the GeoPackage never contains.
A store made by the previous schema opens with every record and key kept.

GDAL's command-line tools run in subprocesses (Debian's ``gdal-bin`` and ``python3-gdal``,
installed by ``scripts/setup``): a second SQLite library inside this process must never
open a live store (issue 10, item 2).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import stat
import struct
import subprocess

import numpy as np
import pandas as pd
import pytest
import shapely

from conftest_store import located
from geoplots.server.store import RecordFilter
from geoplots import synthetic
from geoplots.errors import GeoplotsError
from geoplots.server.store import open_store
from geoplots.server.store._migrations import packaged
from geoplots.server.store.base import ApiKey, hash_key
from geoplots.server.store.sqlite_keys import SQLiteKeyStore

SYSTEM_PYTHON = "/usr/bin/python3"
VALIDATOR = "osgeo_utils.samples.validate_gpkg"


@pytest.fixture(scope="module")
def gdal_tools() -> None:
    """GDAL's validator and ogrinfo must be there on CI and for root (scripts/setup
    installs them); a developer without root may skip these tests."""
    have = shutil.which("ogrinfo") is not None and os.path.exists(SYSTEM_PYTHON) and subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import {VALIDATOR}"], capture_output=True).returncode == 0
    if have:
        return
    message = "GDAL's tools are missing: run scripts/setup as root (apt-get install python3-gdal gdal-bin)"
    if os.environ.get("CI") or os.geteuid() == 0:
        pytest.fail(message)
    pytest.skip(message)


def _validate(path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEM_PYTHON, "-m", VALIDATOR, "-k", "--extra", "--warning-as-error", str(path)],
        capture_output=True, text=True, timeout=300,
    )


def _ogrinfo(*args: str) -> str:
    return subprocess.run(["ogrinfo", "-ro", *args], capture_output=True, text=True, check=True, timeout=120).stdout


def _layers(path) -> list[str]:
    return re.findall(r"^\d+: (\S+)", _ogrinfo("-so", str(path)), flags=re.M)


def _file_bytes(path) -> bytes:
    """The store's bytes on disk: the file and, while it is open, its WAL files."""
    return b"".join(p.read_bytes() for p in [path, path.with_name(path.name + "-wal"),
                                             path.with_name(path.name + "-shm")] if p.exists())


@pytest.fixture(scope="module")
def records(boundaries):
    """Pins, plots (polygons and a multipolygon) and households (a fifth without
    coordinates, placed by their declared sub-district) as the server stores them."""
    pins = located(synthetic.sample_points(300, codes=["40", "44", "46"], seed=11, boundaries=boundaries))
    pins["name"] = [f"แปลงโคกหนองนา {i}" for i in range(len(pins))]
    plots = located(synthetic.plots(30, codes=["40"], seed=12, boundaries=boundaries))
    plots.loc[plots.index[0], "geometry"] = shapely.MultiPolygon(
        [plots.geometry.iloc[0], plots.geometry.iloc[1].buffer(0)])
    households = located(synthetic.households(["12"], per_unit=(2, 4), address_only=0.2, seed=13,
                                              boundaries=boundaries))
    households["address_mismatch"] = np.arange(len(households)) % 7 == 0
    assert households.geometry.isna().any() and households.geometry.notna().any()
    return {"pins": pins, "plots": plots, "households": households}


@pytest.fixture
def written(tmp_path, records):
    """A store after realistic writes: three kinds, resends that move a record and that
    take a household's coordinates away, and keys. Yields (path, store, keys)."""
    path = tmp_path / "geoplots.gpkg"
    store = open_store(path)
    keys = [store.create_key("editor", zone="12", name="KEYHOLDER สนง.พช.ขอนแก่น"),
            store.create_key("admin", name="KEYHOLDER-ADMIN")]
    for kind, frame in records.items():
        for start in range(0, len(frame), 100):
            store.add_records(frame.iloc[start:start + 100], kind=kind, key_id=keys[0][0].id)
    moved = records["pins"].iloc[:20].copy()
    moved["geometry"] = shapely.points(np.c_[moved["lon"] + 0.5, moved["lat"] + 0.5])
    assert all(store.add_records(moved).replaced)
    lost = records["households"].dropna(subset=["lat"]).iloc[:5].copy()
    lost["geometry"] = None
    assert all(store.add_records(lost, kind="households").replaced)
    yield path, store, keys
    store.close()


def test_store_file_passes_gdals_geopackage_validator(gdal_tools, written):
    path, store, _ = written
    during = _validate(path)  # live: recent batches still in the WAL
    assert during.returncode == 0, during.stdout + during.stderr
    store.close()
    after = _validate(path)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout.strip() == "", after.stdout


def test_gdal_lists_only_the_records_layers_with_their_types_and_uses_the_rtree(gdal_tools, written, records):
    path, store, _ = written
    # the current records, their history (every version) and the photos sent with them
    assert sorted(_layers(path)) == ["photos", "record_versions", "records"]
    info = _ogrinfo("-so", str(path), "records")
    assert "Geometry: Unknown (any)" in info  # GDAL's name for GEOMETRY: points and polygons
    total = sum(len(f) for f in records.values())
    assert f"Feature Count: {total}" in info
    fields = dict(re.findall(r"^(\w+): (\S+) \(\d+\.\d+\)", info, flags=re.M))
    assert fields == {
        "kind": "String", "record_id": "String", "name": "String", "row": "Integer64", "lat": "Real",
        "lon": "Real", "subdistrict_code": "String", "district_code": "String", "province_code": "String",
        "inspection_zone": "String", "match": "String", "distance_m": "Real",
        "address_mismatch": "Integer(Boolean)", "declared_subdistrict_code": "String",
        "warnings": "String", "batch_id": "String", "key_id": "Integer64", "received_at": "String",
        "properties": "String", "reported_date": "String", "status": "String", "version": "Integer64",
        "content_hash": "String",
    }
    history = _ogrinfo("-so", str(path), "record_versions")
    assert "Geometry: Unknown (any)" in history
    # each batch above is one version per row (the resends of moved pins and lost households too)
    assert f"Feature Count: {total + 20 + 5}" in history
    # gpkg_contents carries an extent containing every stored geometry
    extent = [float(v) for v in re.search(r"Extent: \((\S+), (\S+)\) - \((\S+), (\S+)\)", info).groups()]
    stored = store.all_records()
    minx, miny, maxx, maxy = shapely.total_bounds(stored.geometry.values)
    assert extent[0] <= minx and extent[1] <= miny and extent[2] >= maxx and extent[3] >= maxy
    assert extent == pytest.approx([minx, miny, maxx, maxy], abs=0.6)  # moved pins may leave slack
    # GDAL sees the registered R-tree and answers a spatial filter as the store does
    has_index = _ogrinfo(str(path), "-sql", "SELECT HasSpatialIndex('records', 'geom')")
    assert re.search(r"HasSpatialIndex \(Integer\) = 1", has_index), has_index
    box = (102.0, 15.5, 103.5, 16.8)
    filtered = _ogrinfo("-so", "-spat", *map(str, box), "-where", "kind = 'pins'", str(path), "records")
    expected = store.query(RecordFilter(bbox=box, kind="pins")).total
    assert expected > 0 and f"Feature Count: {expected}" in filtered


def test_store_file_holds_no_key_data(gdal_tools, written):
    path, store, keys = written
    key_file = path.with_name(path.name + ".keys.sqlite")
    secrets_and_names = [(key.name, secret) for key, secret in keys]
    for state in ("open", "closed"):
        data, kept = _file_bytes(path), _file_bytes(key_file)
        for name, secret in secrets_and_names:
            digest = hash_key(secret)
            for needle in (name, digest, digest[:16], secret[:9]):
                assert needle.encode() not in data, (state, needle)
            assert digest.encode() in kept  # the key file has them: the search itself works
        assert not any("key" in layer for layer in _layers(path))
        store.close()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_keys_go_to_a_private_file_of_their_own(tmp_path):
    db = tmp_path / "data" / "geoplots.gpkg"
    with open_store(db) as store:
        key, secret = store.create_key("inspector", name="ศูนย์ปฏิบัติการ")
        assert store.find_key(secret) == key
        assert isinstance(store.keys, SQLiteKeyStore)
        assert store.keys.path == db.with_name("geoplots.gpkg.keys.sqlite")
    assert stat.S_IMODE(store.keys.path.stat().st_mode) == 0o600

    elsewhere = tmp_path / "secure" / "keys.sqlite"
    elsewhere.parent.mkdir()
    elsewhere.touch(mode=0o644)  # made by hand, readable by all: the store tightens it
    os.chmod(elsewhere, 0o644)
    other_db = tmp_path / "other.gpkg"
    with open_store(other_db, keys=elsewhere) as store:
        _, secret = store.create_key("editor")
        assert store.find_key(secret) is not None
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o600
    assert not other_db.with_name("other.gpkg.keys.sqlite").exists()
    with open_store(other_db, keys=elsewhere) as store:
        assert store.find_key(secret) is not None


def test_migrations_are_numbered_sql_files_applied_in_order(tmp_path):
    from importlib import resources

    root = resources.files("geoplots.server.store") / "migrations"
    for folder in ("sqlite", "sqlite_keys", "postgis", "postgis_keys"):
        names = sorted(p.name for p in (root / folder).iterdir() if p.name.endswith(".sql"))
        shipped = packaged(folder)
        assert [f"{n:04d}_{name}.sql" for n, name, _ in shipped] == names  # no file left unapplied
    with open_store(tmp_path / "g.gpkg") as store:
        assert store.migrate() == packaged("sqlite")[-1][0]  # the latest number (numbers may have gaps)
        log = store.schema_migrations()
        assert [(v, n) for v, n, _ in log] == [(n, name) for n, name, _ in packaged("sqlite")]
        with sqlite3.connect(store.keys.path) as conn:
            applied = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert applied == [n for n, _, _ in packaged("sqlite_keys")]


# -- a store made by the previous schema --------------------------------------------------

# The schema the embedded store created before the GeoPackage fix (its one migration,
# "geopackage records table, r-tree, keys, version counter"), as it was shipped.
OLD_SCHEMA = """
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL);
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
    id INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, kind TEXT NOT NULL, record_id TEXT, name TEXT,
    "row" INTEGER, lat REAL, lon REAL, subdistrict_code TEXT, district_code TEXT, province_code TEXT,
    inspection_zone TEXT, match TEXT, distance_m REAL, address_mismatch INTEGER,
    declared_subdistrict_code TEXT, warnings TEXT, batch_id TEXT, key_id INTEGER, received_at TEXT,
    properties TEXT);
CREATE UNIQUE INDEX records_kind_record_id ON records(kind, record_id) WHERE record_id IS NOT NULL;
CREATE INDEX records_zone ON records(inspection_zone, kind);
CREATE INDEX records_province ON records(province_code);
CREATE VIRTUAL TABLE records_rtree USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('records', 'features', 'geoplots records',
            'Located field records (pins, plots, households) sent to the war-room server', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('records', 'geom', 'GEOMETRY', 4326, 0, 0);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL DEFAULT '', role TEXT NOT NULL, zone TEXT,
    key_hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL, created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('version', 0);
INSERT INTO schema_migrations VALUES (1, 'geopackage records table, r-tree, keys, version counter',
                                      '2026-10-01T08:00:00.000+00:00');
"""

OLD_KEYS = [  # (id, name, role, zone, secret, revoked)
    (1, "ผู้ดูแลระบบ OLDKEY-ADMIN", "admin", None, "gp_" + "a" * 43, 0),
    (2, "สนง.พช.ขอนแก่น OLDKEY-EDITOR", "editor", "12", "gp_" + "b" * 43, 0),
    (3, "OLDKEY-REVOKED", "inspector", None, "gp_" + "c" * 43, 1),
]


def _old_blob(geom) -> bytes | None:
    """A geometry as the previous store wrote it (envelope in the header except for points)."""
    if geom is None:
        return None
    wkb = shapely.to_wkb(geom, byte_order=1)
    if geom.geom_type == "Point":
        return b"GP\x00\x01" + struct.pack("<i", 4326) + wkb
    minx, miny, maxx, maxy = geom.bounds
    return b"GP\x00\x03" + struct.pack("<i", 4326) + struct.pack("<4d", minx, maxx, miny, maxy) + wkb


def _make_old_store(path, records: dict) -> pd.DataFrame:
    """Write a store in the previous schema, as the previous code left it after 3 batches
    (one per kind), with three keys; return what it holds, one row per record."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(OLD_SCHEMA)
    rows = []
    for kind, frame in records.items():
        for i, (_, rec) in enumerate(frame.iloc[:25].iterrows()):
            geom = rec.geometry
            extra = {"participating": bool(i % 2), "ชื่อผู้ส่ง": f"นาย{i}"}
            cur = conn.execute(
                "INSERT INTO records (geom, kind, record_id, name, \"row\", lat, lon, subdistrict_code, "
                "district_code, province_code, inspection_zone, match, distance_m, address_mismatch, "
                "declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'inside', 0.0, ?, NULL, '[]', ?, 2, ?, ?)",
                (_old_blob(geom), kind, rec["record_id"], f"{kind} {i}", i + 2,
                 None if pd.isna(rec["lat"]) else float(rec["lat"]),
                 None if pd.isna(rec["lon"]) else float(rec["lon"]),
                 rec["subdistrict_code"], rec["district_code"], rec["province_code"], rec["inspection_zone"],
                 int(i % 3 == 0), f"batch-{kind}", "2026-10-02T09:00:00.000+00:00",
                 json.dumps(extra, ensure_ascii=False)),
            )
            if geom is not None:
                minx, miny, maxx, maxy = geom.bounds
                conn.execute("INSERT INTO records_rtree VALUES (?, ?, ?, ?, ?)", (cur.lastrowid, minx, maxx, miny, maxy))
            rows.append({"id": cur.lastrowid, "kind": kind, "record_id": rec["record_id"], "geometry": geom,
                         "participating": extra["participating"], "address_mismatch": i % 3 == 0})
    # ids handed out and not reused: the next record must get a new one
    conn.execute("UPDATE sqlite_sequence SET seq = 500 WHERE name = 'records'")
    conn.execute("UPDATE meta SET value = 3 WHERE key = 'version'")
    for key_id, name, role, zone, secret, revoked in OLD_KEYS:
        conn.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (key_id, name, role, zone, hash_key(secret), secret[:9], "2026-10-01T08:00:00.000+00:00",
                      revoked))
    conn.execute(f"PRAGMA application_id={0x47504B47}")
    conn.execute("PRAGMA user_version=10300")
    conn.close()
    return pd.DataFrame(rows)


def test_a_store_made_by_the_previous_schema_keeps_every_record_and_key(gdal_tools, tmp_path, records):
    path = tmp_path / "old.gpkg"
    before = _make_old_store(path, records)
    assert before["geometry"].isna().any()

    with open_store(path) as store:
        assert store.version() == 3 and store.count() == len(before)
        after = store.all_records().set_index("id")
        assert sorted(after.index) == sorted(before["id"])
        for row in before.itertuples():
            got = after.loc[row.id]
            assert (got["kind"], got["record_id"]) == (row.kind, row.record_id)
            assert bool(got["participating"]) == row.participating
            assert bool(got["address_mismatch"]) == row.address_mismatch
            if row.geometry is None:
                assert got.geometry is None
            else:
                assert got.geometry.equals_exact(row.geometry, 0)
        # each stored record is its own version 1, received when it was stored
        for row in before.dropna(subset=["record_id"]).iloc[::50].itertuples():
            history = store.versions(row.record_id, kind=row.kind)
            assert history[["id", "version", "withdrawn"]].values.tolist() == [[row.id, 1, False]]
            assert history["received_at"].iloc[0] == after.loc[row.id, "received_at"]
        assert store.rebuild_current() == len(before)
        # the R-tree was rebuilt: a bbox query finds the migrated records
        some = before.dropna(subset=["geometry"]).iloc[3]
        assert some["id"] in store.query(RecordFilter(bbox=some["geometry"].bounds)).records["id"].tolist()
        # every key moved, with its id, role, zone and revocation; the secrets still work
        listed = {k.id: k for k in store.list_keys()}
        for key_id, name, role, zone, secret, revoked in OLD_KEYS:
            assert (listed[key_id].name, listed[key_id].role, listed[key_id].zone) == (name, role, zone)
            assert (store.find_key(secret) is None) == bool(revoked)
        new_key, _ = store.create_key("editor")
        assert new_key.id == 4
        # writing carries on: next version, a fresh id
        result = store.add_records(records["pins"].iloc[100:101])
        assert result.version == 4 and result.ids[0] > 500

    conn = sqlite3.connect(path)
    tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    conn.close()
    assert not tables & {"api_keys", "meta", "schema_migrations", "records_rtree"}
    data = _file_bytes(path)
    for _, name, _, _, secret, _ in OLD_KEYS:
        assert name.encode() not in data and hash_key(secret).encode() not in data
    result = _validate(path)
    assert result.returncode == 0, result.stdout + result.stderr
    # the current records, their history (every version) and the photos sent with them
    assert sorted(_layers(path)) == ["photos", "record_versions", "records"]
    with open_store(path) as again:  # opening again changes nothing
        assert again.count() == len(before) + 1 and len(again.list_keys()) == 4


def test_moving_the_keys_out_is_safe_to_repeat_and_never_drops_a_key(tmp_path, records):
    # A crash after the keys were copied and before the store's migration committed:
    # the next start finds them already there and carries on.
    path = tmp_path / "crashed.gpkg"
    _make_old_store(path, records)
    with SQLiteKeyStore(path.with_name("crashed.gpkg.keys.sqlite")) as keys:
        keys.migrate()
        conn = sqlite3.connect(path)
        rows = conn.execute("SELECT id, name, role, zone, prefix, created_at, revoked, key_hash FROM api_keys").fetchall()
        conn.close()
        assert keys.import_keys([(ApiKey(*r[:6], revoked=bool(r[6])), r[7]) for r in rows]) == 3
    with open_store(path) as store:
        assert [k.id for k in store.list_keys()] == [1, 2, 3]

    # A key file that already holds another key under a taken id: refused, nothing lost.
    path = tmp_path / "clash.gpkg"
    _make_old_store(path, records)
    shared = tmp_path / "shared.keys.sqlite"
    with SQLiteKeyStore(shared) as keys:
        keys.migrate()
        keys.create_key("admin", name="someone else's key")
    with pytest.raises(GeoplotsError, match="different key under that id"):
        open_store(path, keys=shared)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM api_keys").fetchone() == (3,)
    assert conn.execute("SELECT value FROM meta").fetchone() == (3,)
    conn.close()
