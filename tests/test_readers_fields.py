"""Optional fields: dates (Buddhist era, Thai months), areas (rai-ngan-wa), yes/no.

A bad optional field keeps the record, with the field empty and a warning.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from geoplots.readers import normalize_records, parse_area, parse_date, parse_yes_no, polygon_area_m2, rai_ngan_wa
from geoplots.readers._dates import BE_OFFSET, _THAI_MONTHS
from _messy import THAI_DIGITS

DAY = pd.Timestamp("2021-03-05")
PIN = {"lat": "16.4321", "lon": "102.8236"}


@pytest.mark.parametrize(
    "text",
    ["5/3/2564", "05/03/2564", "5-3-64", "5.3.2564", "2021-03-05", "2021-03-05T09:14:02.114+07:00", "5 มี.ค. 64",
     "5 มี.ค. 2564", "5 มีนาคม 2564", "5 มีนาคม พ.ศ. 2564", "วันที่ 5 มีนาคม 2564", "5 Mar 2021", "5 March 2021",
     "5/3/2021", "05/03/2021"],
)
def test_dates_read(text):
    ts, _ = parse_date(text)
    assert ts == DAY


def test_every_thai_month_name_and_abbreviation():
    for month, (full, abbr) in enumerate(_THAI_MONTHS, start=1):
        for word in (full, abbr):
            ts, warnings = parse_date(f"1 {word} {2021 + BE_OFFSET}")
            assert ts == pd.Timestamp(2021, month, 1), word
            assert [w.code for w in warnings] == ["buddhist_era"]


def test_buddhist_era_and_thai_digit_warnings():
    ts, warnings = parse_date("๕/๓/๒๕๖๔".translate(THAI_DIGITS))
    assert ts == DAY
    assert sorted(w.code for w in warnings) == ["buddhist_era", "thai_digits"]
    assert parse_date("2021-03-05")[1] == []


def test_month_day_order_only_when_day_first_is_impossible():
    ts, warnings = parse_date("3/25/2021")
    assert ts == pd.Timestamp("2021-03-25")
    assert warnings[0].code == "month_day_order"
    assert parse_date("3/4/2021")[0] == pd.Timestamp("2021-04-03")  # day/month/year, as Thai staff write


def test_excel_dates_with_buddhist_year():
    assert parse_date(dt.datetime(2564, 3, 5))[0] == DAY
    assert parse_date(dt.date(2021, 3, 5)) == (DAY, [])


@pytest.mark.parametrize("bad", ["31/02/2564", "29/02/2565", "32 มี.ค. 64", "yesterday", "5/3", "13/13/2021", "1/1/1066"])
def test_bad_dates_are_empty_with_a_warning(bad):
    ts, warnings = parse_date(bad)
    assert ts is None
    assert warnings[-1].code == "bad_date"


def test_bad_date_keeps_the_record():
    table = pd.DataFrame({**{k: [v, v] for k, v in PIN.items()}, "วันที่สำรวจ": ["31/02/2564", "5 มี.ค. 64"]})
    rec = normalize_records(table)
    assert len(rec.accepted) == 2 and rec.rejects.empty
    assert pd.isna(rec.accepted["date"][0]) and rec.accepted["date"][1] == DAY
    assert str(rec.accepted["date"].dtype).startswith("datetime64")
    assert any(w.code == "bad_date" for w in rec.accepted["warnings"][0])


@pytest.mark.parametrize(
    "text, rai, ngan, wa",
    [("5-2-30", 5, 2, 30), ("๕-๒-๓๐", 5, 2, 30), ("5 ไร่ 2 งาน 30 ตารางวา", 5, 2, 30), ("12 ไร่", 12, 0, 0),
     ("3 งาน 50 ตร.ว.", 0, 3, 50), ("0-0-99", 0, 0, 99), ("1,200", 1200, 0, 0)],
)
def test_areas_typed(text, rai, ngan, wa):
    m2, bad = parse_area(text)
    assert not bad
    assert m2 == rai * 1600 + ngan * 400 + wa * 4
    split = rai_ngan_wa(pd.Series([m2]))
    assert split["area_rai_ngan_wa"][0] == f"{rai}-{ngan}-{wa}"


@pytest.mark.parametrize("bad", ["5-4-10", "5-2-100", "ห้าไร่", "-3", "5-2"])
def test_unreadable_areas(bad):
    assert parse_area(bad) == (None, True)


def test_rai_ngan_wa_rounds_without_carry_errors():
    # 399.75, 400.475 and 1599.525 square wa: rounding must carry into ngan and rai.
    split = rai_ngan_wa(pd.Series([1599.0, 1601.9, 6398.1, None]))
    assert split["area_rai_ngan_wa"].tolist()[:3] == ["1-0-0", "1-0-0", "4-0-0"]
    assert pd.isna(split["area_rai_ngan_wa"][3])


def _square(lat: float, lon: float, side_m: float, zone: int) -> shapely.Polygon:
    """A square of known size drawn in metres (UTM), returned in WGS84."""
    fwd = Transformer.from_crs(4326, 32600 + zone, always_xy=True)
    back = Transformer.from_crs(32600 + zone, 4326, always_xy=True)
    e, n = fwd.transform(lon, lat)
    ring = [(e, n), (e + side_m, n), (e + side_m, n + side_m), (e, n + side_m)]
    # Densify so the square stays a square after projection.
    poly = shapely.segmentize(shapely.Polygon(ring), side_m / 20)
    return shapely.transform(poly, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))


def test_polygon_area_measured_in_its_utm_zone():
    west = _square(18.79, 98.98, 200.0, 47)  # Chiang Mai, zone 47
    east = _square(15.24, 104.85, 150.0, 48)  # Ubon Ratchathani, zone 48
    areas = polygon_area_m2(gpd.GeoSeries([west, east, shapely.Point(100, 14), None], crs=4326))
    assert areas[0] == pytest.approx(40000.0, rel=1e-4)
    assert areas[1] == pytest.approx(22500.0, rel=1e-4)
    assert pd.isna(areas[2]) and pd.isna(areas[3])


def test_plot_polygons_get_area_columns_and_typed_areas_are_fallback():
    poly = _square(16.43, 102.82, 100.0, 48)  # 10,000 m² = 6 rai 1 ngan 0 wa
    frame = gpd.GeoDataFrame(
        {"id": ["A", "B", "C", "D"], "พื้นที่": ["6-1-0", "", "1-0-0", "x"]},
        geometry=[poly, shapely.Point(102.83, 16.44), shapely.Point(102.84, 16.45), shapely.Point(102.85, 16.46)],
        crs=4326,
    )
    frame.loc[1, "geometry"] = None
    frame.loc[1, "พื้นที่"] = "2-0-0"
    rec = normalize_records(frame, kind="plots")
    # Row B has neither geometry nor coordinate columns: it cannot be placed.
    assert rec.rejects["reason"].tolist() == ["missing_coordinates"]
    acc = rec.accepted.set_index("record_id")
    assert acc.loc["A", "area_m2"] == pytest.approx(10000.0, rel=1e-4)
    assert acc.loc["A", "area_rai_ngan_wa"] == "6-1-0"
    assert acc.loc["A"].geometry.geom_type == "Polygon"
    assert acc.loc["A"].geometry.contains(shapely.Point(acc.loc["A", "lon"], acc.loc["A", "lat"]))
    assert acc.loc["C", "area_m2"] == 1600.0 and acc.loc["C", "area_rai_ngan_wa"] == "1-0-0"
    assert pd.isna(acc.loc["D", "area_m2"])
    assert any(w.code == "bad_area" for w in acc.loc["D", "warnings"])


def test_polygon_and_typed_area_disagreeing_is_a_warning():
    poly = _square(16.43, 102.82, 100.0, 48)
    frame = gpd.GeoDataFrame({"area": ["20-0-0"]}, geometry=[poly], crs=4326)
    rec = normalize_records(frame, kind="plots")
    assert rec.accepted["area_m2"][0] == pytest.approx(10000.0, rel=1e-4)
    assert any(w.code == "area_mismatch" for w in rec.accepted["warnings"][0])


def test_separate_rai_ngan_wa_columns():
    table = pd.DataFrame({**{k: [v] * 3 for k, v in PIN.items()}, "ไร่": ["5", "๒", "?"], "งาน": ["2", "", "1"],
                          "ตารางวา": ["30", "", "0"]})
    rec = normalize_records(table, kind="plots")
    assert rec.accepted["area_rai_ngan_wa"].tolist()[:2] == ["5-2-30", "2-0-0"]
    assert pd.isna(rec.accepted["area_m2"][2])
    assert any(w.code == "bad_area" for w in rec.accepted["warnings"][2])


def test_yes_no():
    typed = pd.Series(["มี", "ไม่มี", "ใช่", "ไม่ใช่", "✓", "✔", "1", "0", 1, 0.0, "Yes", "NO", "true", "False", "x", "X",
                       "", None, "๑", "maybe"])
    expected = [True, False, True, False, True, True, True, False, True, False, True, False, True, False, True, True,
                pd.NA, pd.NA, True, pd.NA]
    out = parse_yes_no(typed)
    assert str(out.dtype) == "boolean"
    assert out.tolist() == expected


def test_yes_no_option_converts_and_warns():
    table = pd.DataFrame({**{k: [v] * 3 for k, v in PIN.items()}, "ปลูกผัก": ["มี", "ไม่มี", "บางส่วน"]})
    rec = normalize_records(table, kind="households", yes_no=["ปลูกผัก"])
    assert rec.accepted["ปลูกผัก"].tolist() == [True, False, pd.NA]
    assert [any(w.code == "bad_yes_no" for w in ws) for ws in rec.accepted["warnings"]] == [False, False, True]


def test_warnings_are_registered_codes_with_thai_and_english_messages():
    from geoplots.records import WARNINGS, RowWarning

    assert all(th and en and th != en for th, en in WARNINGS.values())
    with pytest.raises(ValueError, match="register it in geoplots.records.WARNINGS"):
        RowWarning("swapped: lat")
    ts, warnings = parse_date("๕/๓/๒๕๖๔")
    assert warnings == [RowWarning("thai_digits", "date '๕/๓/๒๕๖๔'"), RowWarning("buddhist_era", "date '๕/๓/๒๕๖๔'")]
    th, en = WARNINGS["buddhist_era"]
    assert str(warnings[1]) == f"buddhist_era: {th} / {en} (date '๕/๓/๒๕๖๔')"
    assert warnings[1].to_json() == {"code": "buddhist_era", "message": f"{th} / {en} (date '๕/๓/๒๕๖๔')",
                                     "detail": "date '๕/๓/๒๕๖๔'"}

