"""End-to-end: files written the ways staff write them, read with read_records and `geoplots check`."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys

import geopandas as gpd
import geothai
import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

import geoplots
from geoplots.cli import app
from geoplots.errors import GeoplotsError
from geoplots.writers import write_frame
from _messy import THAI_DIGITS, address_parts, dms, sample_pins, unique_by_names, write_csv, write_xlsx

BE = 543


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(10, seed=3, boundaries=tiny_boundaries)


def _thai_excel_rows(pins):
    """A sheet as a district office types it: Thai headers, BE dates, Thai digits, a swap, junk."""
    header = ["ลำดับ", "รหัสแปลง", "ชื่อเกษตรกร", "ละติจูด", "ลองจิจูด", "วันที่สำรวจ", "พื้นที่", "ตำบล", "อำเภอ", "จังหวัด"]
    rows = [header]
    for i, p in enumerate(pins.itertuples()):
        s, d, prov = address_parts(p.code)
        lat, lon = f"{p.lat:.6f}", f"{p.lon:.6f}"
        if i == 1:
            lat, lon = lat.translate(THAI_DIGITS), lon.translate(THAI_DIGITS)
        if i == 2:
            lat, lon = lon, lat
        rows.append([i + 1, f"KNN-{i:03d}", "นายสมชาย ใจดี", lat, lon, f"{i + 1}/3/{2021 + BE}", f"{i}-2-30", s, d, prov])
    rows.append([99, "KNN-000", "ซ้ำ", f"{pins.lat[0]:.6f}", f"{pins.lon[0]:.6f}", "", "", "", "", ""])
    rows.append(["", "", "", "", "", "", "", "", "", ""])
    rows.append([100, "KNN-100", "พิกัดผิด", "16.4x", "102.8", "", "", "", "", ""])
    rows.append([101, "KNN-101", "ญี่ปุ่น", "35.68", "139.69", "", "", "", "", ""])
    return rows


def _check_thai_excel_result(rec, pins):
    acc = rec.accepted
    assert rec.rows_read == len(pins) + 4 == len(acc) + len(rec.rejects)
    assert acc["row"].tolist() == list(range(2, 2 + len(pins)))
    np.testing.assert_allclose(acc["lat"], pins["lat"], atol=1e-6)
    np.testing.assert_allclose(acc["lon"], pins["lon"], atol=1e-6)
    assert acc["ชื่อเกษตรกร"][0] == "นายสมชาย ใจดี"
    assert acc["record_id"].tolist() == [f"KNN-{i:03d}" for i in range(len(pins))]
    assert acc["date"].tolist() == [pd.Timestamp(2021, 3, i + 1) for i in range(len(pins))]
    assert acc["area_rai_ngan_wa"].tolist() == [f"{i}-2-30" for i in range(len(pins))]
    assert "thai_digits" in {w.code for w in acc["warnings"][1]}
    assert "swapped_lat_lon" in {w.code for w in acc["warnings"][2]}
    for code, got in zip(pins["code"], acc["declared_subdistrict_code"]):
        if unique_by_names(code):
            assert got == code
    first = len(pins) + 2
    assert rec.rejects[["row", "reason"]].values.tolist() == [
        [first, "duplicate_id"], [first + 1, "missing_coordinates"], [first + 2, "unparseable_coordinates"],
        [first + 3, "outside_thailand"]]
    assert list(rec.rejects.columns[:3]) == ["row", "reason", "message"]
    assert "row 2" in rec.rejects["message"][0]


def test_cp874_csv_as_thai_excel_saves_it(tmp_path, pins, tiny_boundaries):
    path = write_csv(tmp_path / "แปลง.csv", _thai_excel_rows(pins), encoding="cp874")
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    _check_thai_excel_result(geoplots.read_records(path, kind="plots", boundaries=tiny_boundaries), pins)


def test_utf8_bom_csv(tmp_path, pins, tiny_boundaries):
    path = write_csv(tmp_path / "pins.csv", _thai_excel_rows(pins), encoding="utf-8-sig")
    rec = geoplots.read_records(path, kind="plots", boundaries=tiny_boundaries)
    assert rec.accepted.columns[1] == "ลำดับ"  # no BOM glued to the first header
    _check_thai_excel_result(rec, pins)


def test_xlsx_with_excel_types(tmp_path, pins, tiny_boundaries):
    rows = [["plot_id", "latitude", "longitude", "date", "รหัสตำบล", "มีสระน้ำ"]]
    for i, p in enumerate(pins.itertuples()):
        lat = p.lat if i % 2 == 0 else f"{p.lat:.6f}".translate(THAI_DIGITS)
        rows.append([1000 + i, lat, p.lon, dt.datetime(2021 + BE, 6, i + 1), int(p.code), "มี" if i % 3 else "ไม่มี"])
    rows.append([None] * 6)
    rows.append([1000, pins.lat[0], pins.lon[0], None, None, "✓"])
    path = write_xlsx(tmp_path / "pins.xlsx", rows)
    rec = geoplots.read_records(path, yes_no=["มีสระน้ำ"], boundaries=tiny_boundaries)
    acc = rec.accepted
    assert len(acc) == len(pins) and rec.rows_read == len(pins) + 2
    np.testing.assert_allclose(acc["lat"], pins["lat"], atol=1e-6)
    assert acc["record_id"].tolist() == [str(1000 + i) for i in range(len(pins))]
    assert acc["date"].tolist() == [pd.Timestamp(2021, 6, i + 1) for i in range(len(pins))]
    assert acc["declared_subdistrict_code"].tolist() == pins["code"].tolist()
    assert acc["มีสระน้ำ"].tolist() == [bool(i % 3) for i in range(len(pins))]
    assert rec.rejects[["row", "reason"]].values.tolist() == [[len(pins) + 2, "missing_coordinates"],
                                                              [len(pins) + 3, "duplicate_id"]]


def test_kobo_export_semicolons_and_geopoint(tmp_path, pins, tiny_boundaries):
    header = ["start", "end", "today", "ชื่อ", "gps", "_gps_latitude", "_gps_longitude", "_gps_altitude",
              "_gps_precision", "_id", "_submission_time"]
    rows = [header]
    for i, p in enumerate(pins.itertuples()):
        geopoint = f"{p.lat:.7f} {p.lon:.7f} 172.3 4.8"
        lat, lon = (f"{p.lat:.7f}", f"{p.lon:.7f}") if i % 2 else ("", "")  # Kobo leaves split columns blank at times
        rows.append(["2021-03-05T09:00:00.000+07:00", "2021-03-05T09:20:00.000+07:00", "2021-03-05", "ก", geopoint,
                     lat, lon, "172.3", "4.8", str(5000 + i), "2021-03-05T02:21:00"])
    path = write_csv(tmp_path / "kobo.csv", rows, delimiter=";")
    rec = geoplots.read_records(path, boundaries=tiny_boundaries)
    assert rec.rejects.empty
    np.testing.assert_allclose(rec.accepted["lat"], pins["lat"], atol=1e-6)
    np.testing.assert_allclose(rec.accepted["lon"], pins["lon"], atol=1e-6)
    assert (rec.accepted["date"] == pd.Timestamp("2021-03-05")).all()
    assert rec.accepted["record_id"].tolist() == [str(5000 + i) for i in range(len(pins))]


def test_odk_geopoint_only_and_dms_from_a_gps_unit(tmp_path, pins, tiny_boundaries):
    rows = [["group_plot/location", "note"]]
    rows += [[f"{p.lat} {p.lon} 0 5", ""] for p in pins.itertuples()]
    rec = geoplots.read_records(write_csv(tmp_path / "odk.csv", rows), boundaries=tiny_boundaries)
    np.testing.assert_allclose(rec.accepted["lat"], pins["lat"])
    rows = [["พิกัด"]] + [[f"{dms(p.lat, 'N', 'S')} {dms(p.lon, 'E', 'W')}"] for p in pins.itertuples()]
    rec = geoplots.read_records(write_csv(tmp_path / "gps.csv", rows), boundaries=tiny_boundaries)
    np.testing.assert_allclose(rec.accepted["lon"], pins["lon"], atol=1e-5)


def test_google_sheets_csv_with_trailing_empty_rows(tmp_path, pins, tiny_boundaries):
    rows = [["Plot ID", "พิกัด", "หมายเหตุ"]] + [[f"G{i}", f"{p.lat}, {p.lon}", ""] for i, p in enumerate(pins.itertuples())]
    rows += [["", "", ""]] * 50
    rec = geoplots.read_records(write_csv(tmp_path / "sheet.csv", rows), boundaries=tiny_boundaries)
    assert rec.rows_read == len(pins) and rec.rejects.empty


def test_geojson_plots_and_gpkg_pins(tmp_path, pins, tiny_boundaries):
    sub = tiny_boundaries.level("subdistrict").set_index("code").loc[pins["code"]]
    plots = gpd.GeoDataFrame(
        {"plot": [f"P{i}" for i in range(len(pins))]},
        geometry=[shapely.intersection(g, p.buffer(0.001)) for g, p in zip(sub.geometry, pins.geometry)],
        crs=4326,
    )
    path = tmp_path / "plots.geojson"
    plots.to_file(path, driver="GeoJSON")
    rec = geoplots.read_records(path, kind="plots", id="plot", boundaries=tiny_boundaries)
    acc = rec.accepted
    assert len(acc) == len(pins)
    # An equal-area projection (EPSG:6933) gives an independent figure; UTM's scale error is below 0.2%.
    expected = plots.geometry.to_crs(6933).area
    np.testing.assert_allclose(acc["area_m2"].astype(float), expected, rtol=2e-3)
    assert all(g.contains(shapely.Point(x, y)) for g, x, y in zip(acc.geometry, acc["lon"], acc["lat"]))

    gpkg = tmp_path / "pins.gpkg"
    far = gpd.GeoDataFrame({"name": ["โตเกียว"]}, geometry=[shapely.Point(139.69, 35.68)], crs=4326)
    pd.concat([pins[["code", "geometry"]], far]).to_crs(32647).to_file(gpkg, driver="GPKG")
    rec = geoplots.read_records(gpkg, boundaries=tiny_boundaries)
    np.testing.assert_allclose(rec.accepted["lat"], pins["lat"], atol=1e-6)
    assert rec.rejects["reason"].tolist() == ["outside_thailand"]
    assert rec.rejects["wkt"][0].startswith("POINT")


def test_households_placed_by_address_when_no_coordinates(tmp_path, pins, tiny_boundaries):
    codes = [c for c in pins["code"] if unique_by_names(c)][:3]
    rows = [["รหัสครัวเรือน", "บ้านเลขที่", "ตำบล", "อำเภอ", "จังหวัด", "ปลูกผักสวนครัว"]]
    rows += [[f"H{i}", "12", *address_parts(c), "มี"] for i, c in enumerate(codes)]
    rows.append(["H8", "7", "ในเมือง", "", "", "ไม่มี"])  # fits many sub-districts: cannot be placed
    rows.append(["H9", "9", "", "", "", "มี"])
    rec = geoplots.read_records(write_csv(tmp_path / "hh.csv", rows), kind="households", yes_no=["ปลูกผักสวนครัว"],
                                boundaries=tiny_boundaries)
    acc = rec.accepted
    assert acc["declared_subdistrict_code"].tolist() == codes
    assert acc.geometry.isna().all() and acc["lat"].isna().all()
    assert rec.rejects["reason"].tolist() == ["missing_coordinates", "missing_coordinates"]
    # The reject says why the address did not place the household, with the candidates.
    assert "address_ambiguous" in rec.rejects["message"][0]
    for a in geothai.match("ในเมือง")[:3]:
        assert a.subdistrict.code in rec.rejects["message"][0]
    # Pins are not placed by address.
    with pytest.raises(GeoplotsError, match="--lat"):
        geoplots.read_records(tmp_path / "hh.csv", kind="pins", boundaries=tiny_boundaries)


def test_bad_files_are_clear_errors(tmp_path):
    with pytest.raises(GeoplotsError, match=r"\.csv, \.xlsx"):
        geoplots.read_records(write_csv(tmp_path / "pins.ods", [["a"]]))
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(GeoplotsError, match="empty"):
        geoplots.read_records(tmp_path / "empty.csv")
    path = write_csv(tmp_path / "nocoords.csv", [["ชื่อ", "หมู่ที่"], ["ก", "3"]])
    with pytest.raises(GeoplotsError) as info:
        geoplots.read_records(path)
    assert "ชื่อ, หมู่ที่" in str(info.value) and "ละติจูด" in str(info.value) and "--lat" in str(info.value)
    with pytest.raises(GeoplotsError, match="Row 3 of unquoted.csv has 3 cells but the header has 2"):
        (tmp_path / "unquoted.csv").write_text("ชื่อ,พิกัด\nก,16.43\nข,16.43, 102.83\n", "utf-8")
        geoplots.read_records(tmp_path / "unquoted.csv")
    (tmp_path / "trailing.csv").write_text("lat,lon\n16.43,102.83,,\n", "utf-8")
    assert geoplots.read_records(tmp_path / "trailing.csv").rows_read == 1
    with pytest.raises(GeoplotsError, match="not in the file"):
        geoplots.read_records(path, lat="Y", lon="X")
    with pytest.raises(GeoplotsError, match="Unknown column option"):
        geoplots.read_records(path, latitude="ชื่อ")


def test_column_options_override_names(tmp_path, pins, tiny_boundaries):
    rows = [["ค่า A", "ค่า B", "ลำดับที่"]] + [[f"{p.lat}", f"{p.lon}", str(i)] for i, p in enumerate(pins.itertuples())]
    rec = geoplots.read_records(write_csv(tmp_path / "odd.csv", rows), lat="ค่า A", lon="ค่า B", id="ลำดับที่",
                                boundaries=tiny_boundaries)
    np.testing.assert_allclose(rec.accepted["lat"], pins["lat"])
    assert rec.accepted["record_id"].tolist() == [str(i) for i in range(len(pins))]


def test_original_columns_named_like_added_ones_are_kept(pins, tiny_boundaries):
    table = pd.DataFrame({"lat": [str(pins.lat[0])], "lon": [str(pins.lon[0])], "row": ["x"], "date": ["5/3/64"]})
    rec = geoplots.readers.normalize_records(table, boundaries=tiny_boundaries)
    acc = rec.accepted
    assert acc["lat_input"][0] == str(pins.lat[0]) and acc["row_input"][0] == "x" and acc["date_input"][0] == "5/3/64"
    assert acc["row"][0] == 2 and acc["date"][0] == pd.Timestamp("2021-03-05")


def test_write_frame_formats(tmp_path, pins, tiny_boundaries):
    rows = _thai_excel_rows(pins)
    rec = geoplots.read_records(write_csv(tmp_path / "in.csv", rows), kind="plots", boundaries=tiny_boundaries)
    csv_path = write_frame(rec.accepted, tmp_path / "out" / "accepted.csv")
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(csv_path, encoding="utf-8-sig", dtype=str)
    assert "geometry" not in back.columns and {"lat", "lon", "warnings"} <= set(back.columns)
    assert back["warnings"][1] == "; ".join(map(str, rec.accepted["warnings"][1]))
    assert back["ชื่อเกษตรกร"][0] == "นายสมชาย ใจดี"

    gpkg = write_frame(rec.accepted, tmp_path / "accepted.gpkg")
    g = gpd.read_file(gpkg)
    assert len(g) == len(rec.accepted) and g.crs.to_epsg() == 4326
    np.testing.assert_allclose(g.geometry.y, rec.accepted["lat"])
    pq = write_frame(rec.accepted, tmp_path / "accepted.parquet")
    p = gpd.read_parquet(pq)
    assert [dict(w) for w in p["warnings"][2]] == [w.to_json() for w in rec.accepted["warnings"][2]]
    assert p["record_id"].tolist() == rec.accepted["record_id"].tolist()

    rej = write_frame(rec.rejects, tmp_path / "rejects.csv")
    back = pd.read_csv(rej, encoding="utf-8-sig", dtype=str)
    assert list(back.columns[:3]) == ["row", "reason", "message"]
    write_frame(rec.rejects, tmp_path / "rejects.gpkg")
    write_frame(rec.rejects, tmp_path / "rejects.parquet")
    with pytest.raises(GeoplotsError, match=r"\.csv, \.gpkg or \.parquet"):
        write_frame(rec.accepted, tmp_path / "accepted.xlsx")


def test_cli_check(tmp_path, pins):
    path = write_csv(tmp_path / "pins.csv", _thai_excel_rows(pins), encoding="cp874")
    out, rej = tmp_path / "ok.parquet", tmp_path / "rejects.csv"
    result = CliRunner().invoke(app, ["check", str(path), "--kind", "plots", "--out", str(out), "--rejects", str(rej)])
    assert result.exit_code == 0, result.output
    rec = geoplots.read_records(path, kind="plots")
    summary = rec.summary()
    text = result.output
    for label, count in [("rows read", summary["rows_read"]), ("accepted", summary["accepted"]),
                         *((f"rejected: {r}", c) for r, c in summary["rejected_by_reason"].items()),
                         *((f"warning: {k}", c) for k, c in summary["warnings_by_kind"].items())]:
        assert re.search(rf"{label}\W+{count}\b", text), (label, count, text)
    assert len(gpd.read_parquet(out)) == summary["accepted"]
    assert pd.read_csv(rej, encoding="utf-8-sig")["reason"].tolist() == rec.rejects["reason"].tolist()


def test_cli_check_bad_file_exits_2_without_traceback(tmp_path):
    path = write_csv(tmp_path / "nocoords.csv", [["ชื่อ"], ["ก"]])
    proc = subprocess.run([sys.executable, "-c", "from geoplots.cli import main; main()", "check", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "--lat" in proc.stderr


def _kml(placemarks_by_folder: dict[str, list[tuple[str, shapely.Polygon]]]) -> str:
    """A KML as Google Earth saves it: folders of placemarks with 3D coordinates."""
    folders = []
    for folder, marks in placemarks_by_folder.items():
        items = []
        for name, poly in marks:
            coords = " ".join(f"{x},{y},0" for x, y in poly.exterior.coords)
            items.append(f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
                         f"{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>")
        folders.append(f"<Folder><name>{folder}</name>{''.join(items)}</Folder>")
    return ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
            + "".join(folders) + "</Document></kml>")


def test_kml_from_google_earth_reads_every_folder(tmp_path, pins, tiny_boundaries):
    polys = [shapely.Point(p.lon, p.lat).buffer(0.0008, quad_segs=4) for p in pins.itertuples()]
    path = tmp_path / "แปลง.kml"
    path.write_text(_kml({"หมู่ 1": [(f"แปลง {i}", g) for i, g in enumerate(polys[:4])],
                          "หมู่ 2": [(f"แปลง {i}", g) for i, g in enumerate(polys[4:], start=4)]}), "utf-8")
    rec = geoplots.read_records(path, kind="plots", id="Name", boundaries=tiny_boundaries)
    assert rec.rows_read == len(pins) and rec.rejects.empty
    assert rec.accepted["kml_folder"].tolist() == ["หมู่ 1"] * 4 + ["หมู่ 2"] * (len(pins) - 4)
    expected = gpd.GeoSeries(polys, crs=4326).to_crs(6933).area
    np.testing.assert_allclose(rec.accepted["area_m2"].astype(float), expected, rtol=2e-3)


def test_geopackage_with_several_layers_needs_a_layer_name(tmp_path, pins, tiny_boundaries):
    path = tmp_path / "two.gpkg"
    pins.iloc[:3].to_file(path, layer="pins_2566")
    pins.iloc[3:].to_file(path, layer="pins_2567")
    with pytest.raises(GeoplotsError, match="pins_2566, pins_2567"):
        geoplots.read_records(path, boundaries=tiny_boundaries)
    assert geoplots.read_records(path, layer="pins_2567", boundaries=tiny_boundaries).rows_read == len(pins) - 3


def test_headers_found_by_last_or_first_word():
    from geoplots.readers import find_columns

    cols = find_columns(["Latitude (องศา)", "Longitude (องศา)", "group_a/survey_date", "ODK gps-Accuracy"], {})
    assert cols == {"lat": "Latitude (องศา)", "lon": "Longitude (องศา)", "date": "group_a/survey_date",
                    "accuracy": "ODK gps-Accuracy"}  # the GPS accuracy, not a second coordinates column
    # An exact name wins over a word match, and a column serves one role only.
    cols = find_columns(["sub_district", "district", "lat_note", "lat", "lon"], {})
    assert cols == {"lat": "lat", "lon": "lon", "subdistrict": "sub_district", "district": "district"}
