"""Property-based: parsers never crash and no row is ever lost, whatever staff type."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoplots.readers import normalize_records, parse_area, parse_coordinate, parse_date, parse_pair, parse_yes_no
from geoplots.readers import concat_records, iter_records, read_records, resolve_address
from geoplots.errors import GeoplotsError
from geoplots.readers._coords import parse_zone
from geoplots.records import WARNINGS, RowWarning

# Characters staff actually produce in these cells, plus anything else.
_MESSY = "0123456789๐๑๒๓๔๕๖๗๘๙.,-/:;°º'\"′″NSEWnsew ตอจ.ในเมืองกทม.เขตแขวงมีไม่ใช่✓xX\t\u00a0\ufeff"
messy_text = st.one_of(st.text(alphabet=_MESSY, max_size=30), st.text(max_size=20))
cell = st.one_of(
    messy_text,
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**12, max_value=10**12),
    st.booleans(),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.from_regex(r"\A-?\d{1,7}(\.\d{1,8})?\Z"),
)

COLUMNS = ["lat", "lon", "พิกัด", "zone", "id", "วันที่", "พื้นที่", "ไร่", "งาน", "ตารางวา", "ตำบล", "อำเภอ",
           "จังหวัด", "รหัสตำบล", "ที่อยู่", "มีสวนครัว"]
# Sometimes a real Thai latitude/longitude, so placing, swapping and duplicates are exercised too.
near = st.one_of(cell, st.floats(5.0, 21.0).map(str), st.floats(97.0, 106.0).map(str), st.floats(5.0, 106.0))
STRATEGY = {c: cell for c in COLUMNS} | {"lat": near, "lon": near, "id": st.one_of(cell, st.sampled_from(["P1", "P2", "๑"]))}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(st.fixed_dictionaries(STRATEGY), max_size=8), st.sampled_from(["pins", "plots", "households"]))
def test_every_row_accounted_for(rows, kind):
    table = pd.DataFrame(rows, columns=COLUMNS)
    rec = normalize_records(table, kind=kind, yes_no=["มีสวนครัว"])
    assert len(rec.accepted) + len(rec.rejects) == len(table) == rec.rows_read
    assert sorted(rec.accepted["row"].tolist() + rec.rejects["row"].tolist()) == list(range(2, len(table) + 2))
    assert set(rec.rejects["reason"]) <= {"missing_coordinates", "unparseable_coordinates", "outside_thailand",
                                          "duplicate_id"}
    for warnings in rec.accepted["warnings"]:
        assert all(isinstance(w, RowWarning) and w.code in WARNINGS for w in warnings)
    placed = rec.accepted.geometry.notna()
    assert rec.accepted.loc[placed, "lat"].between(5, 21).all()
    if kind != "households":
        assert placed.all()


@FAST
@given(st.lists(st.fixed_dictionaries({"พิกัด": messy_text, "รหัส": st.sampled_from(["A", "B", "", None])}), max_size=10))
def test_coordinates_column_only_never_loses_rows(rows):
    table = pd.DataFrame(rows, columns=["พิกัด", "รหัส"])
    rec = normalize_records(table)
    assert len(rec.accepted) + len(rec.rejects) == len(table)
    assert not rec.accepted["record_id"].dropna().duplicated().any()


@settings(max_examples=300, deadline=None)
@given(cell)
def test_cell_parsers_never_crash(value):
    parse_coordinate(value)
    parse_pair(value)
    parse_zone(value)
    ts, warnings = parse_date(value)
    assert ts is None or 1900 <= ts.year <= 2100
    m2, _ = parse_area(value)
    assert m2 is None or m2 >= 0
    assert len(parse_yes_no(pd.Series([value], dtype=object))) == 1


@settings(max_examples=150, deadline=None)
@given(messy_text, messy_text, messy_text, messy_text, messy_text)
def test_address_resolution_never_crashes(sub, dist, prov, code, full):
    res = resolve_address(sub, dist, prov, code, full)
    for got, length in ((res.subdistrict, 6), (res.district, 4), (res.province, 2)):
        assert got is None or (len(got) == length and got.isdigit())


@FAST
@given(st.lists(st.tuples(st.sampled_from(["A", "B", " A ", "๑", "1", "", None]),
                          st.sampled_from(["16.43,102.83", "102.83,16.43", "", "abc", "35.6,139.7"])), max_size=12))
def test_duplicate_ids_keep_the_first_placeable_row(rows):
    table = pd.DataFrame(rows, columns=["id", "พิกัด"])
    rec = normalize_records(table)
    assert len(rec.accepted) + len(rec.rejects) == len(table)
    ids = rec.accepted["record_id"].dropna()
    assert not ids.duplicated().any()
    first_row = dict(zip(rec.accepted["record_id"], rec.accepted["row"]))
    for reject in rec.rejects[rec.rejects["reason"] == "duplicate_id"].itertuples():
        key = str(reject.id).strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
        assert first_row[key] < reject.row
        assert f"first seen on row {first_row[key]}" in reject.message


STREAM_COLUMNS = ["id", "lat", "lon", "ตำบล", "จังหวัด", "มีสวนครัว", "วันที่"]
_cell = st.one_of(st.just(""), st.text(alphabet="0123456789๐๑๒๓๔๕๖๗๘๙.,-/ ", max_size=12),
                  st.sampled_from(["16.43", "102.83", "102.83,16.43", "35.6", "16 25 30.5", "16°25'30\"N"]))
_row = st.fixed_dictionaries({
    "id": st.sampled_from(["P1", "P2", "๑", "1", " P1 ", ""]),
    "lat": st.one_of(_cell, st.floats(5.0, 21.0).map(lambda v: f"{v:.5f}")),
    "lon": st.one_of(_cell, st.floats(97.0, 106.0).map(lambda v: f"{v:.5f}")),
    "ตำบล": st.sampled_from(["", "ในเมือง", "ต.ศิลา", "บ้านเป็ด"]),
    "จังหวัด": st.sampled_from(["", "ขอนแก่น", "จ.ขอนแก่น", "กาฬสินธุ์"]),
    "มีสวนครัว": st.sampled_from(["", "มี", "ไม่มี", "ปลูกผัก", "ไม่ปลูกผัก", "ทำสวน", "ไม่ทำสวน", "?", "๑"]),
    "วันที่": st.sampled_from(["", "5/3/2567", "๕/๓/๒๕๖๗", "31/2/2567", "2024-01-05", "x"]),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_row, st.just(dict.fromkeys(STREAM_COLUMNS, ""))), max_size=14),
       st.integers(1, 6), st.sampled_from(["pins", "households"]))
def test_chunked_and_whole_reading_agree_for_any_chunk_size(tiny_boundaries, tmp_path, rows, chunk_rows, kind):
    """A file read chunk by chunk (iter_records) is the file read whole: same records,
    row numbers, warnings, rejects and notes, whatever the chunk size."""
    path = tmp_path / "p.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([STREAM_COLUMNS] + [[r[c] for c in STREAM_COLUMNS] for r in rows])
    options = {"boundaries": tiny_boundaries, "yes_no": ["มีสวนครัว"]}
    try:
        whole = read_records(path, kind, **options)
    except GeoplotsError as exc:  # e.g. no rows and no header: the same error chunk by chunk
        with pytest.raises(GeoplotsError, match=re.escape(str(exc)[:30])):
            list(iter_records(path, kind, chunk_rows=chunk_rows, **options))
        return
    chunked = concat_records(iter_records(path, kind, chunk_rows=chunk_rows, **options))
    assert chunked.rows_read == whole.rows_read
    pd.testing.assert_frame_equal(pd.DataFrame(chunked.accepted), pd.DataFrame(whole.accepted))
    pd.testing.assert_frame_equal(chunked.rejects, whole.rejects)
    assert chunked.notes == whole.notes and chunked.summary() == whole.summary()
    assert len(chunked.accepted) + len(chunked.rejects) == chunked.rows_read
# Kobo/ODK exports and household files (issue 12): the same accounting with their column shapes.
KOBO_COLUMNS = ["today", "start", "_submission_time", "group_a/ชื่อแปลง", "group_a/หมู่บ้าน", "group_a/gps",
                "group_a/_gps_latitude", "group_a/_gps_longitude", "group_a/_gps_precision", "_id", "_uuid",
                "_validation_status", "รหัสหมู่บ้าน", "registered", "ReviewState", "g-gps-Accuracy"]
review = st.one_of(cell, st.sampled_from(["validation_status_not_approved", "rejected", "approved", "hasIssues", ""]))
geopoint = st.one_of(messy_text, st.tuples(st.floats(5, 21), st.floats(97, 106), st.floats(0, 500), st.floats(0, 99))
                     .map(lambda t: " ".join(f"{v:.5f}" for v in t)))
KOBO = {c: cell for c in KOBO_COLUMNS} | {
    "group_a/_gps_latitude": near, "group_a/_gps_longitude": near, "group_a/gps": geopoint,
    "_validation_status": review, "ReviewState": review, "group_a/หมู่บ้าน": st.one_of(cell, st.sampled_from(
        ["ม.5", "หมู่ที่ ๑๒", "บ้านโนน"])), "_uuid": st.one_of(cell, st.sampled_from(["u1", "u2"])),
    "รหัสหมู่บ้าน": st.one_of(cell, st.sampled_from(["40010105", "400101", "4001010"]))}


@FAST
@given(st.lists(st.fixed_dictionaries(KOBO), max_size=8), st.sampled_from(["pins", "households"]),
       st.sampled_from([None, 5, 30.5]), st.booleans(), st.integers(0, len(KOBO_COLUMNS)))
def test_kobo_shaped_rows_are_all_accounted_for(rows, kind, max_accuracy, keep_rejected, drop):
    table = pd.DataFrame(rows, columns=KOBO_COLUMNS).drop(columns=KOBO_COLUMNS[drop:drop + 3])
    halves = ["group_a/_gps_latitude", "group_a/_gps_longitude"]
    if "group_a/gps" not in table.columns and not all(c in table.columns for c in halves):
        # half a geopoint is no coordinate column at all (a file-level error): give the rows empty ones
        table = table.drop(columns=[c for c in halves if c in table.columns]).assign(lat=None, lon=None)
    rec = normalize_records(table, kind=kind, max_gps_accuracy_m=max_accuracy, keep_review_rejected=keep_rejected)
    assert len(rec.accepted) + len(rec.rejects) == len(table) == rec.rows_read
    assert sorted(rec.accepted["row"].tolist() + rec.rejects["row"].tolist()) == list(range(2, len(table) + 2))
    reasons = set(rec.rejects["reason"])
    assert reasons <= {"missing_coordinates", "unparseable_coordinates", "outside_thailand", "duplicate_id",
                       "gps_inaccurate", "review_rejected"}
    assert max_accuracy is not None or "gps_inaccurate" not in reasons
    assert not keep_rejected or "review_rejected" not in reasons
    if "gps_accuracy_m" in rec.accepted.columns and max_accuracy is not None:
        assert not (rec.accepted["gps_accuracy_m"] > max_accuracy).fillna(False).any()
    if "moo" in rec.accepted.columns:
        assert rec.accepted["moo"].dropna().between(1, 99).all()
