"""Hostile uploads: files are opened only by the reader their type names, within limits.

Issue 10, items 1, 2 and 7. A VRT document named ``.geojson``/``.json``/``.gpkg``/``.kml``
used to make GDAL read a local file, the live store (dropping its locks and WAL: lost
acknowledged batches) or a loopback URL; an XLSX of a million tiny rows took a minute
and gigabytes before its 413. Each attack is sent through ``geoplots.read_records`` and
``POST /api/pins`` (multipart and raw body), against the in-process app and against a
real ``geoplots serve`` that is killed with SIGKILL in the middle of a stream of writes.
"""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
import tracemalloc
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import httpx
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

import geoplots
from geoplots import errors
from geoplots.errors import GeoplotsError
from geoplots.readers import read_table
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from geoplots.server.store import open_store
from _hostile import (
    RAW_TYPES,
    SECRET_CSV,
    SPATIAL_SUFFIXES,
    Loopback,
    hostile_vrts,
    lying_zip,
    numbered_sheet,
    row_bomb,
    unpacked_bomb,
)
from server_support import Uvicorn, bearer, make_keys, pin_records

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MiB = 1 << 20


@pytest.fixture
def loopback():
    with Loopback() as server:
        yield server


@pytest.fixture
def secret_csv(tmp_path) -> Path:
    path = tmp_path / "secret" / "secret.csv"
    path.parent.mkdir()
    path.write_text(SECRET_CSV, "utf-8")
    return path


@pytest.fixture
def store_file(tmp_path) -> Path:
    """A store as the server keeps it (its default name ends in .gpkg), with a key in it."""
    path = tmp_path / "store" / "geoplots.gpkg"
    store = open_store(path)
    store.create_key("admin", name="the-admin")
    store.close()
    return path


def _assert_refused_unread(exc: BaseException) -> None:
    assert isinstance(exc, errors.FileContentError), repr(exc)
    assert "TOP-SECRET" not in str(exc) and "sqlite_master" not in str(exc)


# -- 1. the reader opens a file only by the driver its type names ---------------------


@pytest.mark.parametrize("suffix", SPATIAL_SUFFIXES)
@pytest.mark.parametrize("target", ["local_file", "store", "url"])
def test_disguised_vrt_is_refused_by_the_reader(tmp_path, loopback, secret_csv, store_file, target, suffix):
    path = tmp_path / f"leak{suffix}"
    path.write_text(hostile_vrts(secret_csv, store_file, loopback.url)[target], "utf-8")
    with pytest.raises(GeoplotsError) as info:
        geoplots.read_records(path)
    _assert_refused_unread(info.value)
    assert path.name in str(info.value)
    assert loopback.requests == []


def test_paths_and_urls_gdal_would_follow_are_refused(tmp_path, loopback):
    for name in (f"/vsicurl/{loopback.url}/pins.geojson", f"{loopback.url}/pins.geojson",
                 f"/vsizip/{tmp_path}/pins.zip/pins.gpkg", "/vsimem/pins.kml"):
        with pytest.raises(GeoplotsError, match="local file"):
            geoplots.read_records(name)
    assert loopback.requests == []


def test_gdal_reads_offline_as_a_second_line_of_defence(tmp_path, loopback):
    """Even a VRT handed to GDAL directly fetches nothing while a reader is at work."""
    import pyogrio

    from geoplots.readers._spatial import gdal_offline

    (tmp_path / "url.vrt").write_text(hostile_vrts(Path("x.csv"), Path("x.db"), loopback.url)["url"], "utf-8")
    before = pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_EXTENSIONS")
    with gdal_offline(), pytest.raises(RuntimeError):  # pyogrio: the source cannot be opened
        pyogrio.read_dataframe(tmp_path / "url.vrt")
    assert loopback.requests == []
    assert pyogrio.get_gdal_config_option("CPL_VSIL_CURL_ALLOWED_EXTENSIONS") == before


def test_geopackage_must_be_a_geopackage_of_tables(tmp_path, pins_frame):
    plain = tmp_path / "plain.gpkg"  # SQLite, but not a GeoPackage: GDAL's SQLite driver took it
    with closing(sqlite3.connect(plain)) as conn, conn:
        conn.execute("CREATE TABLE pins (lat REAL, lon REAL, secret TEXT)")
        conn.execute("INSERT INTO pins VALUES (16.44, 102.83, 'TOP-SECRET')")
    with pytest.raises(GeoplotsError, match="not a GeoPackage") as info:
        geoplots.read_records(plain)
    _assert_refused_unread(info.value)

    viewed = tmp_path / "view.gpkg"  # a layer that is a SQL view runs the view's query when read
    pins_frame.to_file(viewed, layer="pins", driver="GPKG")
    with closing(sqlite3.connect(viewed)) as conn, conn:
        conn.execute("CREATE VIEW v AS SELECT fid, geom, 'TOP-SECRET' AS secret FROM pins")
        conn.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                     "VALUES ('v', 'features', 'v', 4326)")
        conn.execute("INSERT INTO gpkg_geometry_columns VALUES ('v', 'geom', 'POINT', 4326, 0, 0)")
    for layer in ("v", "pins", None):  # the whole file: GDAL may look at any layer while opening it
        with pytest.raises(GeoplotsError, match="view") as info:
            geoplots.read_records(viewed, layer=layer)
        _assert_refused_unread(info.value)


def test_kml_must_be_plain_kml(tmp_path):
    entity = tmp_path / "entity.kml"
    entity.write_text('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY s SYSTEM "file:///etc/hostname">]>'
                      '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&s;</name>'
                      "<Point><coordinates>102.83,16.44</coordinates></Point></Placemark></Document></kml>", "utf-8")
    with pytest.raises(GeoplotsError, match="DOCTYPE|entit") as info:
        geoplots.read_records(entity)
    assert isinstance(info.value, errors.FileContentError)
    other_root = tmp_path / "gpx.kml"
    other_root.write_text('<?xml version="1.0"?><gpx version="1.1"><wpt lat="16.44" lon="102.83"/></gpx>', "utf-8")
    with pytest.raises(GeoplotsError, match="not a KML") as info:
        geoplots.read_records(other_root)
    assert isinstance(info.value, errors.FileContentError)


def test_geojson_is_read_as_json(tmp_path, pins_frame):
    """No GDAL: properties keep their JSON types, nested values are their JSON text, and the
    old ``crs`` member of QGIS exports (here UTM 47N) is honoured."""
    utm = pins_frame.to_crs(32647)
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32647"}},
        "features": [
            {"type": "Feature", "id": f"P-{i}", "geometry": shapely.geometry.mapping(g),
             "properties": {"n": i, "tags": {"a": [1, 2]}, "ชื่อ": "แปลง"}}
            for i, g in enumerate(utm.geometry)
        ],
    }
    path = tmp_path / "utm.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    rec = geoplots.read_records(path)
    np.testing.assert_allclose(rec.accepted["lat"], pins_frame["lat"], atol=1e-6)
    assert rec.accepted["record_id"].tolist() == [f"P-{i}" for i in range(len(pins_frame))]
    assert rec.accepted["tags"][0] == '{"a": [1, 2]}' and rec.accepted["ชื่อ"][0] == "แปลง"
    doc["crs"]["properties"]["name"] = "+init=epsg:32647 +proj=longlat"
    path.write_text(json.dumps(doc), "utf-8")
    with pytest.raises(GeoplotsError, match="crs"):
        geoplots.read_records(path)
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    with pytest.raises(GeoplotsError, match="not GeoJSON"):
        geoplots.read_records(tmp_path / "deep.json")


# -- 2. nothing in the server process opens the store but the store ------------------


def test_a_reader_never_opens_the_live_store(tmp_path, boundary_dir, store_file):
    app = create_app(Settings(db=str(store_file), data=boundary_dir))
    link = tmp_path / "innocent.gpkg"
    link.symlink_to(store_file)
    with TestClient(app):
        for path in (store_file, link):
            with pytest.raises(GeoplotsError, match="in use by this process") as info:
                geoplots.read_records(path)
            _assert_refused_unread(info.value)
    # Any SQLite file this process holds open is refused too, registered or not.
    other = tmp_path / "open.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(102.83, 16.44)], crs=4326).to_file(other)
    conn = sqlite3.connect(other)
    try:
        with pytest.raises(GeoplotsError, match="in use by this process"):
            geoplots.read_records(other)
    finally:
        conn.close()
    assert geoplots.read_records(other).rows_read == 1


# -- 7. limits are enforced while reading ----------------------------------------------


def test_xlsx_reading_stops_at_the_row_limit(tmp_path):
    # Past row 150 the sheet is broken XML: only a reader that stops early gets a clean answer.
    broken = numbered_sheet(tmp_path / "broken.xlsx", 150, tail=b"<row><c><v>")
    with pytest.raises(GeoplotsError) as info:
        read_table(broken, max_rows=100)
    assert isinstance(info.value, errors.TooManyRowsError) and info.value.max_rows == 100
    assert "more than 100 rows" in str(info.value)
    with pytest.raises(GeoplotsError, match="Cannot read"):
        read_table(broken)  # no limit: the whole sheet is read, and the break is found
    whole = numbered_sheet(tmp_path / "whole.xlsx", 150)
    assert len(read_table(whole, max_rows=150)) == 150
    with pytest.raises(errors.TooManyRowsError):
        read_table(whole, max_rows=149)


def test_csv_reading_stops_at_the_row_limit(tmp_path):
    rows = [f"R-{i},16.4{i % 10},102.8{i % 10}" for i in range(150)]
    path = tmp_path / "pins.csv"
    path.write_text("id,lat,lon\n" + "\n".join(rows) + "\nX,16.4,102.8,extra,cells\n", "utf-8")
    with pytest.raises(errors.TooManyRowsError, match="more than 100 rows"):
        read_table(path, max_rows=100)
    with pytest.raises(GeoplotsError, match="Row 152"):
        read_table(path)
    # Blank rows at the end are not records; a record after blank rows counts them all.
    path.write_text("id,lat,lon\n" + "\n".join(rows[:100]) + "\n" + ",,\n" * 60, "utf-8")
    assert len(read_table(path, max_rows=100)) == 100
    path.write_text("id,lat,lon\n" + "\n".join(rows[:99]) + "\n,,\nR-X,16.4,102.8\n", "utf-8")
    with pytest.raises(errors.TooManyRowsError):
        read_table(path, max_rows=100)
    # A tail of blank rows longer than the limit is not scanned to its end either.
    path.write_text("id,lat,lon\n" + "\n".join(rows[:10]) + "\n" + "\n" * 5_000, "utf-8")
    with pytest.raises(errors.TooManyRowsError):
        read_table(path, max_rows=100)


def _peak_mib(fn) -> float:
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak / MiB


def test_xlsx_bombs_are_refused_quickly_in_little_memory(tmp_path):
    bomb = row_bomb(tmp_path / "rows.xlsx")
    start = time.monotonic()
    with pytest.raises(errors.TooManyRowsError):
        read_table(bomb, max_rows=10_000)
    assert time.monotonic() - start < 2

    big = unpacked_bomb(tmp_path / "unpacked.xlsx", 40 * MiB)
    assert big.stat().st_size < MiB

    def unpacked():
        with pytest.raises(errors.InputTooLargeError, match="unpack"):
            read_table(big, max_unpacked_bytes=32 * MiB)

    assert _peak_mib(unpacked) < 5

    liar = lying_zip(tmp_path / "liar.xlsx")  # headers say 4 KB; the stream holds 20 MB

    def lying():
        with pytest.raises(GeoplotsError, match="Cannot read liar.xlsx"):
            read_table(liar)

    assert _peak_mib(lying) < 5

    wide = numbered_sheet(tmp_path / "wide.xlsx", 0, tail=b"".join(
        b'<row><c r="XFD%d"><v>1</v></c></row>' % i for i in range(2, 3000)) + b"</sheetData></worksheet>")

    def too_wide():  # each row names column XFD: 16,384 cells once placed
        with pytest.raises(errors.InputTooLargeError, match="cells"):
            read_table(wide, max_rows=1_000)

    assert _peak_mib(too_wide) < 20


def test_xlsx_cells_keep_the_types_excel_gave_them(tmp_path):
    """The streaming reader gives what pandas.read_excel gave for ordinary workbooks."""
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "lat", "lat", None, 2566, "วันที่", "ok", "note"])
    ws.append([1, 16.5, 16.25, "x", 3.0, dt.datetime(2023, 5, 1, 9, 30), True, "NA"])
    ws.append([None, None, None, None, None, None, None, None])
    ws.append(["0012", 102.8, "๑๖.๔", None, -1.5, dt.date(2566, 1, 31), False, "  "])
    ws.append([2, "=1/0", None, None, None, dt.time(8, 15), None, "N/A"])
    ws["B5"].value = "#DIV/0!"
    ws["B5"].data_type = "e"
    ws.append([None] * 8)
    ws.append([None] * 8)
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    # Only empty cells are NA, and error cells keep their text, as in a CSV saved by Excel
    # (the same sheet gives the same result in every format).
    expected = pd.read_excel(path, dtype=object, engine="openpyxl", keep_default_na=False, na_values=[""])
    expected.loc[3, "lat"] = "#DIV/0!"
    pd.testing.assert_frame_equal(read_table(path), expected)


# -- the server: 415/413 JSON errors, nothing stored, nothing fetched -----------------


@pytest.fixture
def api(tmp_path, boundary_dir):
    db = tmp_path / "store" / "geoplots.gpkg"
    settings = Settings(db=str(db), data=boundary_dir, rate_limit_per_minute=10_000, max_batch_rows=100,
                        max_unpacked_bytes=16 * MiB)
    app = create_app(settings)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        client.db = db
        yield client


def test_disguised_uploads_are_refused_and_nothing_stored(api, loopback, secret_csv):
    editor = bearer(api.keys.editor)
    for target, document in hostile_vrts(secret_csv, api.db, loopback.url).items():
        for suffix in SPATIAL_SUFFIXES:
            sent = [
                api.post("/api/pins", files={"file": (f"leak{suffix}", document.encode(), "application/octet-stream")},
                         headers=editor),
                api.post("/api/pins", content=document.encode(), headers={**editor, "content-type": RAW_TYPES[suffix]}),
            ]
            for res in sent:
                assert res.status_code in (415, 422), (target, suffix, res.status_code, res.text)
                assert res.json()["error"] and "TOP-SECRET" not in res.text, res.text
    assert api.store.count() == 0
    assert loopback.requests == []
    res = api.post("/api/pins", files={"file": ("leak.geojson", b"<OGRVRTDataSource/>", "application/geo+json")},
                   headers=editor)
    assert (res.status_code, res.json()["error"]) == (415, "unsupported_file_content")
    assert "GeoJSON" in res.json()["message"]


def test_upload_limits_answer_413_while_reading(api, tmp_path):
    editor = bearer(api.keys.editor)
    many = numbered_sheet(tmp_path / "many.xlsx", 101).read_bytes()
    for res in (api.post("/api/pins", files={"file": ("many.xlsx", many, XLSX_TYPE)}, headers=editor),
                api.post("/api/pins", content=many, headers={**editor, "content-type": XLSX_TYPE})):
        assert res.status_code == 413 and res.json()["error"] == "too_many_rows", res.text
        assert res.json()["max_batch_rows"] == 100
    csv = ("id,lat,lon\n" + "".join(f"R-{i},16.4,102.8\n" for i in range(101))).encode()
    res = api.post("/api/pins", content=csv, headers={**editor, "content-type": "text/csv"})
    assert res.status_code == 413 and res.json()["error"] == "too_many_rows"
    big = unpacked_bomb(tmp_path / "big.xlsx", 20 * MiB).read_bytes()
    res = api.post("/api/pins", files={"file": ("big.xlsx", big, XLSX_TYPE)}, headers=editor)
    assert res.status_code == 413 and res.json()["error"] == "file_too_large", res.text
    res = api.post("/api/pins", files={"file": ("liar.xlsx", lying_zip(tmp_path / "l.xlsx").read_bytes(), XLSX_TYPE)},
                   headers=editor)
    assert res.status_code == 422, res.text
    assert api.store.count() == 0
    fine = numbered_sheet(tmp_path / "fine.xlsx", 100).read_bytes()
    res = api.post("/api/pins", files={"file": ("fine.xlsx", fine, XLSX_TYPE)}, headers=editor)
    assert res.status_code == 201 and res.json()["accepted"] == 100, res.text


# -- against a real server: memory, time, and durability under SIGKILL ---------------


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


def _editor_key(db: Path) -> str:
    store = open_store(db)
    try:
        return store.create_key("editor", name="field-office")[1]
    finally:
        store.close()


@pytest.mark.slow
def test_xlsx_row_bomb_is_refused_fast_in_little_server_memory(tmp_path, boundary_dir, boundaries):
    bomb = row_bomb(tmp_path / "bomb.xlsx").read_bytes()
    assert len(bomb) < 300_000
    db = tmp_path / "store" / "geoplots.gpkg"
    key = _editor_key(db)
    records, _ = pin_records(5, seed=7, boundaries=boundaries)
    warm = io.BytesIO()
    pd.DataFrame(records).to_excel(warm, index=False)
    with Uvicorn(db, boundary_dir) as server, httpx.Client(timeout=30) as client:
        # A first ordinary workbook loads what any upload needs (openpyxl, the boundaries).
        res = client.post(server.url + "/api/pins", files={"file": ("warm.xlsx", warm.getvalue(), XLSX_TYPE)},
                          headers=bearer(key))
        assert res.status_code == 201, res.text
        pid = server.proc.pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current size
        before = _status_kib(pid, "VmRSS")
        start = time.monotonic()
        res = client.post(server.url + "/api/pins", files={"file": ("bomb.xlsx", bomb, XLSX_TYPE)},
                          headers=bearer(key))
        elapsed = time.monotonic() - start
        grown_mib = (_status_kib(pid, "VmHWM") - before) / 1024
    assert res.status_code == 413 and res.json()["error"] == "too_many_rows", res.text
    assert elapsed < 2, elapsed
    assert grown_mib < 100, grown_mib


def _uploads(records: list[dict], tmp: Path) -> dict[str, dict]:
    """Three pins in every form the server reads, as httpx request arguments."""
    frame = pd.DataFrame(records)[["id", "lat", "lon"]]
    points = gpd.GeoDataFrame(frame[["id"]], geometry=gpd.points_from_xy(frame.lon.astype(float),
                              frame.lat.astype(float)), crs=4326)
    feature_collection = json.loads(points.to_json())
    gpkg = tmp / f"{records[0]['id']}.gpkg"
    points.to_file(gpkg, driver="GPKG")
    xlsx = io.BytesIO()
    frame.to_excel(xlsx, index=False)
    kml = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>' + "".join(
        f'<Placemark><ExtendedData><Data name="id"><value>{r["id"]}</value></Data></ExtendedData>'
        f'<Point><coordinates>{r["lon"]},{r["lat"]}</coordinates></Point></Placemark>' for r in records)
        + "</Document></kml>").encode()
    csv = frame.to_csv(index=False).encode()
    return {
        "json": {"json": records},
        "geojson body": {"content": json.dumps(feature_collection).encode(),
                         "headers": {"content-type": "application/geo+json"}},
        "geojson file": {"files": {"file": ("pins.geojson", json.dumps(feature_collection).encode(),
                                            "application/geo+json")}},
        "csv file": {"files": {"file": ("pins.csv", csv, "text/csv")}},
        "csv body": {"content": csv, "headers": {"content-type": "text/csv"}},
        "xlsx file": {"files": {"file": ("pins.xlsx", xlsx.getvalue(), XLSX_TYPE)}},
        "gpkg file": {"files": {"file": ("pins.gpkg", gpkg.read_bytes(), "application/geopackage+sqlite3")}},
        "gpkg body": {"content": gpkg.read_bytes(), "headers": {"content-type": RAW_TYPES[".gpkg"]}},
        "kml file": {"files": {"file": ("pins.kml", kml, RAW_TYPES[".kml"])}},
    }


def _hostile_uploads(documents: dict[str, str]) -> list[tuple[str, dict]]:
    out = []
    for target, document in documents.items():
        for suffix in SPATIAL_SUFFIXES:
            out.append((f"{target}{suffix} file", {"files": {"file": (f"leak{suffix}", document.encode(),
                                                                      "application/octet-stream")}}))
            out.append((f"{target}{suffix} body", {"content": document.encode(),
                                                   "headers": {"content-type": RAW_TYPES[suffix]}}))
    return out


@pytest.mark.slow
def test_acknowledged_batches_survive_hostile_uploads_and_kill_9(tmp_path, boundary_dir, boundaries, loopback, secret_csv):
    db = tmp_path / "store" / "geoplots.gpkg"
    key = _editor_key(db)
    records, _ = pin_records(300, seed=21, prefix="DUR", boundaries=boundaries)
    batches = [records[i : i + 3] for i in range(0, len(records), 3)]
    hostile = _hostile_uploads(hostile_vrts(secret_csv, db, loopback.url))
    acknowledged: set[str] = set()
    refused: dict[str, int] = {}
    failures: list[str] = []
    stop = threading.Event()
    server = Uvicorn(db, boundary_dir).start()

    def writer():
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for i, batch in enumerate(batches):
                forms = _uploads(batch, tmp_path)
                name, request = list(forms.items())[i % len(forms)]
                steps = [(name, request, True), (*hostile[i % len(hostile)], False)]
                for label, req, valid in steps:
                    if stop.is_set():
                        return
                    headers = {**bearer(key), **req.get("headers", {})}
                    try:
                        res = client.post("/api/pins", **{k: v for k, v in req.items() if k != "headers"},
                                          headers=headers)
                    except httpx.TransportError:
                        return  # the server died mid-request: not acknowledged
                    if valid and res.status_code == 201:
                        acknowledged.update(r["record_id"] for r in res.json()["rows"] if r["status"] == "accepted")
                    elif valid:
                        failures.append(f"{label}: {res.status_code} {res.text[:300]}")
                    else:
                        refused[label] = res.status_code

    thread = threading.Thread(target=writer)
    try:
        thread.start()
        # Every upload form and every hostile variant goes by at least once before the kill.
        while (len(acknowledged) < 3 * 30 or len(refused) < len(hostile) // 2) and thread.is_alive():
            thread.join(0.05)
        server.kill9()
    finally:
        stop.set()
        thread.join()
        server.stop()
    assert not failures, failures
    assert len(acknowledged) >= 90, "the writer stopped early"
    survivors = open_store(db)
    try:
        stored = set(survivors.all_records()["record_id"])
    finally:
        survivors.close()
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged records lost"
    with Uvicorn(db, boundary_dir) as again:
        assert httpx.get(again.url + "/health").status_code == 200
    assert refused and set(refused.values()) <= {415, 422}, refused
    assert loopback.requests == []


@pytest.fixture(scope="module")
def pins_frame(boundaries) -> gpd.GeoDataFrame:
    from _messy import sample_pins

    return sample_pins(6, seed=5, boundaries=boundaries)
