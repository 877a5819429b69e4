"""The coverage XLSX a provincial office hands over (issue 13): opened with openpyxl and
checked against figures computed here from the records, not against the writer's own helpers."""

from __future__ import annotations

from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from geoplots import synthetic
from geoplots.boundaries import registry_codes
from geoplots.counting import RULES, run_rule, write_coverage
from geoplots.layers.palette import NO_DATA_COLOR, NOT_MET_FILL
from geoplots.locating import locate
from geoplots.readers import read_records

CREDIT = "OCHA, Royal Thai Survey Department"


def _bangkok_subdistricts(boundaries, n: int) -> list[str]:
    sub = boundaries.level("subdistrict")
    return sub[sub["province_code"] == "10"]["code"].head(n).tolist()


def test_change_leaders_counts_only_enrolled_subdistricts_that_have_a_target(tiny_boundaries):
    # The summary once counted Bangkok's sub-districts (no target there): 6,869 instead of 6,843.
    enrolled = synthetic.enrolled_subdistricts(0.9, seed=4, boundaries=tiny_boundaries)
    bangkok = _bangkok_subdistricts(tiny_boundaries, 26)
    codes = pd.concat([enrolled["subdistrict_code"], pd.Series(bangkok)], ignore_index=True)
    sent = pd.DataFrame({"subdistrict_code": codes})
    # Independent: distinct codes sent, by their province in the registry.
    province = {c: c[:2] for c in registry_codes("subdistrict")}
    outside_bangkok = {c for c in codes if province.get(c, c[:2]) != "10"}
    result = run_rule("change_leaders", sent, boundaries=tiny_boundaries)
    assert result.notes["enrolled_subdistricts"] == len(outside_bangkok) == len(enrolled)
    assert result.notes["enrolled_outside_target"] == 26
    assert int(result.units["count"].sum()) == len(outside_bangkok)
    # The same from counts a database made (distinct sub-districts per district).
    counts = sent.assign(code=sent["subdistrict_code"].str[:4]).groupby("code")["subdistrict_code"].nunique()
    from_counts = RULES["change_leaders"].run_counts(counts.rename("count").reset_index(), boundaries=tiny_boundaries)
    assert from_counts.notes["enrolled_subdistricts"] == len(outside_bangkok)
    assert from_counts.notes["enrolled_outside_target"] == 26


def _households_file(tiny_boundaries, tmp_path):
    """Zone-12 households as a CSV with dates, blank answers and rows that must be rejected."""
    hh = synthetic.households(["12"], per_unit=(3, 6), address_only=0.0, seed=21, boundaries=tiny_boundaries)
    hh = hh[hh["subdistrict_code"].str[:4] != "4001"]  # one district with no record at all: "no data"
    table = pd.DataFrame({"record_id": hh["record_id"], "lat": hh["lat"], "lon": hh["lon"],
                          "has_garden": np.where(hh["has_garden"], "มี", "ไม่มี")})
    table["date"] = pd.date_range("2026-10-01", "2026-11-20", periods=len(table)).strftime("%Y-%m-%d")
    table.loc[table.index[:5], "has_garden"] = ""  # blank answers: left out of the denominator
    bad = pd.DataFrame({"record_id": ["X1", "X2", "X3", "=HYPERLINK(1)"], "lat": [np.nan, 51.5, 16.4, np.nan],
                        "lon": [np.nan, -0.1, np.nan, 102.8], "has_garden": ["มี"] * 4, "date": ["2026-11-01"] * 4})
    path = tmp_path / "households.csv"
    pd.concat([table, bad], ignore_index=True).to_csv(path, index=False)
    return path


def _sheet_rows(sheet) -> list[tuple]:
    return [r for r in sheet.iter_rows(values_only=True)]


def _table_after(rows: list[tuple], first_header: str) -> tuple[list, list[tuple]]:
    start = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    header = list(rows[start])
    body = []
    for r in rows[start + 1:]:
        if r[0] is None:
            break
        body.append(r)
    return header, body


def test_xlsx_report_can_be_handed_over_as_it_is(tiny_boundaries, tmp_path):
    src = _households_file(tiny_boundaries, tmp_path)
    read = read_records(src, kind="households", yes_no=["has_garden"], boundaries=tiny_boundaries)
    records = locate(read, schemes=(), boundaries=tiny_boundaries)
    result = run_rule("household_participation", records, boundaries=tiny_boundaries)
    path = write_coverage(result, tmp_path / "report.xlsx", records=records, boundaries=tiny_boundaries,
                          source=src.name, as_of=date(2026, 11, 23))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "สรุป" and "กรุงเทพมหานคร" in book.sheetnames
    summary = _sheet_rows(book["สรุป"])
    cells = [str(v) for row in summary for v in row if v is not None]
    labels = {row[0]: row[1] for row in summary if row[0]}

    # Title (programme and target, area), as-of date and data period in Thai, source, credit.
    assert summary[0][0].startswith(RULES["household_participation"].title_th) and "ทั้งประเทศ" in summary[0][0]
    assert labels["ข้อมูล ณ วันที่ (as of)"] == "23 พฤศจิกายน 2569"
    assert labels["ช่วงเวลาของข้อมูล (data period)"] == "1 ตุลาคม 2569 – 20 พฤศจิกายน 2569"
    assert labels["ที่มาของข้อมูล (source)"] == "households.csv"
    assert CREDIT in labels["ขอบเขตการปกครอง (boundaries)"]
    assert not any("central" in c for c in cells)

    # Every row read is accounted for.
    assert labels["แถวที่อ่าน (rows read)"] == read.rows_read == len(records.accepted) + len(records.rejects)
    assert labels["รับ (accepted)"] == len(records.accepted)
    assert len(records.rejects) == 4

    # A line per zone and the national total, equal to the units' sums.
    header, body = _table_after(summary, "เขตตรวจราชการ")
    total = body[-1]
    assert total[0] == "รวมทั้งประเทศ (national total)"
    units = result.units
    col = {h: i for i, h in enumerate(header)}
    assert total[col["อำเภอทั้งหมด"]] == len(units) == sum(r[col["อำเภอทั้งหมด"]] for r in body[:-1])
    assert total[col["อำเภอที่ผ่าน"]] == int(units["met"].sum())
    assert total[col["ครัวเรือนทั้งหมด"]] == int(units["households"].sum())
    no_data = (units["count"] == 0) & ~units["met"]
    assert total[col["ไม่มีข้อมูล (no data)"]] == int(no_data.sum()) > 0
    assert total[col["ไม่ผ่าน (failed)"]] == int((~units["met"] & ~no_data).sum()) > 0
    assert "กรุงเทพมหานคร" in [r[0] for r in body]

    # Province names beside codes; Bangkok's districts by their full registry names (เขต...).
    zone = _sheet_rows(book["เขตตรวจราชการที่ 12"])
    head = list(zone[0])
    names = {r[head.index("รหัสจังหวัด")]: r[head.index("จังหวัด (province)")] for r in zone[1:]}
    assert names == {"40": "ขอนแก่น", "46": "กาฬสินธุ์"}
    bkk = _sheet_rows(book["กรุงเทพมหานคร"])
    assert all(r[1].startswith("เขต") for r in bkk[1:]) and len(bkk) - 1 == int((units["province_code"] == "10").sum())

    # No data and failed: distinct labels and distinct fills.
    status = head.index("ผลการประเมิน (status)")
    fills = {}
    for row in book["เขตตรวจราชการที่ 12"].iter_rows(min_row=2):
        fills.setdefault(row[status].value, set()).add(row[0].fill.fgColor.rgb[-6:].lower())
    assert fills["ไม่มีข้อมูล (no data)"] == {NO_DATA_COLOR[1:]} and fills["ไม่ผ่าน (failed)"] == {NOT_MET_FILL[1:]}
    tier = head.index("ระดับ")
    assert {r[tier] for r in zone[1:] if r[status] == "ไม่มีข้อมูล (no data)"} == {"ไม่มีข้อมูล (no data)"}

    # Gaps: one unit per row, with its names, zone, count and target.
    gaps = _sheet_rows(book["หน่วยที่ยังไม่ผ่าน (gaps)"])
    assert sorted(r[0] for r in gaps[1:]) == sorted(units.loc[~units["met"], "code"])
    assert all("," not in r[1] for r in gaps[1:])
    by_code = {r[0]: r for r in gaps[1:]}
    assert by_code["1001"][4] == "กรุงเทพมหานคร" and by_code["4001"][3] == "ขอนแก่น"

    # Rejects: per reason, the blank-policy exclusions, and each rejected row (formula neutralised).
    rejects = _sheet_rows(book["แถวที่ไม่รับ (rejected)"])
    info = {r[0]: r[1] for r in rejects if r[0]}
    assert info["แถวที่อ่าน (rows read)"] == read.rows_read
    assert info["ไม่รับ (rejected), ดูแผ่นงาน แถวที่ไม่รับ (rejected)"] == len(records.rejects)
    assert info["ครัวเรือนที่ไม่นับเพราะคำตอบว่าง (excluded: blank answer)"] == 5
    _, reasons = _table_after(rejects, "เหตุผล (reason)")
    assert {r[0]: r[2] for r in reasons} == records.rejects["reason"].value_counts().to_dict()
    listed_header, listed = _table_after(rejects, "row")
    assert sorted(r[0] for r in listed) == sorted(records.rejects["row"].tolist())
    assert "'=HYPERLINK(1)" in [v for r in listed for v in r]


def test_report_for_one_zone_names_the_area(tiny_boundaries, tmp_path):
    villages = synthetic.model_villages(["12"], seed=3, boundaries=tiny_boundaries)
    result = run_rule("model_villages", villages, zone=12, boundaries=tiny_boundaries)
    path = write_coverage(result, tmp_path / "z12.xlsx", boundaries=tiny_boundaries, as_of=date(2027, 1, 5))
    summary = _sheet_rows(openpyxl.load_workbook(path)["สรุป"])
    assert summary[0][0].endswith("เขตตรวจราชการที่ 12")
    assert summary[1][1] == "5 มกราคม 2570"
    header, body = _table_after(summary, "เขตตรวจราชการ")
    assert [r[0] for r in body] == ["เขตตรวจราชการที่ 12", "รวม (total)"]


@pytest.mark.parametrize("suffix", [".pdf", ".xls"])
def test_report_refuses_other_formats(tiny_boundaries, tmp_path, suffix):
    result = run_rule("model_villages", synthetic.model_villages(["12"], boundaries=tiny_boundaries),
                      boundaries=tiny_boundaries)
    with pytest.raises(Exception, match="xlsx"):
        write_coverage(result, tmp_path / f"r{suffix}", boundaries=tiny_boundaries)


def test_coverage_command_report_accounts_for_rows_the_join_rejects(tiny_boundaries, tmp_path):
    # Formerly: rows read but not located vanished from the report without a note.
    import subprocess
    import sys

    pins = synthetic.sample_points(120, codes=["40"], seed=6, boundaries=tiny_boundaries)
    table = pd.DataFrame({"record_id": pins["record_id"], "lat": pins["lat"], "lon": pins["lon"]})
    # 3 km outside the imported provinces: read (inside the outline's margin), then not located.
    import shapely

    provinces = shapely.union_all(tiny_boundaries.level("province").geometry.values).buffer(0.03)
    ring = max(getattr(provinces, "geoms", [provinces]), key=lambda g: g.area).exterior
    far = ring.interpolate(0.0)
    table.loc[len(table)] = ["FAR-1", far.y, far.x]
    table.loc[len(table)] = ["NONE-1", None, None]  # no coordinates: rejected on reading
    src = tmp_path / "pins.csv"
    table.to_csv(src, index=False)
    out = tmp_path / "report.xlsx"
    done = subprocess.run([sys.executable, "-c", "from geoplots.cli import main; main()", "coverage", str(src),
                           "--level", "district", "--zone", "12", "--out", str(out),
                           "--data", str(tiny_boundaries.root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    book = openpyxl.load_workbook(out)
    info = {r[0]: r[1] for r in _sheet_rows(book["แถวที่ไม่รับ (rejected)"]) if r[0]}
    assert info["แถวที่อ่าน (rows read)"] == len(table)
    assert info["รับ (accepted)"] == len(pins) and info["ไม่รับ (rejected), ดูแผ่นงาน แถวที่ไม่รับ (rejected)"] == 2
    _, reasons = _table_after(_sheet_rows(book["แถวที่ไม่รับ (rejected)"]), "เหตุผล (reason)")
    assert sorted(r[0] for r in reasons) == ["missing_coordinates", "outside_boundaries"]
    summary = {r[0]: r[1] for r in _sheet_rows(book["สรุป"]) if r[0]}
    assert summary["ที่มาของข้อมูล (source)"] == "pins.csv" and CREDIT in summary["ขอบเขตการปกครอง (boundaries)"]
