"""The Thai monthly report and ``geoplots progress``/``coverage --as-of`` (issue 15): the
report names the units newly covered and fallen back this month exactly as worked out by
hand, compares with last month per zone and province, lists the stale sites, writes Thai
Buddhist-era dates and the data credit, and no text cell can start a formula."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import openpyxl
import pandas as pd

import geoplots
from conftest_store import store, store_url  # noqa: F401  (fixtures: every store backend)
from geoplots.counting import coverage
from geoplots.counting.progress_report import CREDIT, thai_date, write_progress_report
from test_store_history import _by_hand, history, loaded  # noqa: F401  (fixtures)

MARCH, FEBRUARY = dt.date(2021, 3, 31), dt.date(2021, 2, 28)


def _rows(book, name: str) -> tuple[list[str], pd.DataFrame]:
    sheet = book[name]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(values) if r[0] is None)  # a blank line after the heading
    heading = [r[0] for r in values[:start]]
    table = pd.DataFrame(values[start + 2:], columns=values[start + 1])
    return heading, table


def _hand(rows, withdrawals, day, boundaries) -> pd.DataFrame:
    return pd.DataFrame(coverage(_by_hand(rows, withdrawals, day), "district", boundaries=boundaries).units) \
        .set_index("code")


def test_monthly_report_names_newly_covered_and_fallen_back_units(loaded, history, tiny_boundaries, tmp_path):
    rows, withdrawals = history
    result = geoplots.progress(store=loaded, kind="plots", start="2021-01-01", end="2021-03-31",
                               boundaries=tiny_boundaries)
    stale = geoplots.stale(store=loaded, days=45, today="2021-07-15")
    path = write_progress_report(result, tmp_path / "monthly.xlsx", stale=stale, stale_days=45,
                                 boundaries=tiny_boundaries)
    book = openpyxl.load_workbook(path)
    now, before = _hand(rows, withdrawals, MARCH, tiny_boundaries), _hand(rows, withdrawals, FEBRUARY, tiny_boundaries)
    newly = now.index[now["met"] & ~before["met"].reindex(now.index)]
    fell = now.index[~now["met"] & before["met"].reindex(now.index)]
    assert len(newly) > 0 and len(fell) > 0  # March has both (the moves and withdrawals)
    heading, table = _rows(book, "ผ่านใหม่")
    assert sorted(table["รหัส"]) == sorted(newly)
    assert dict(zip(table["รหัส"], table["ชื่อ"])) == {c: now.loc[c, "name_th"] for c in newly}
    _, table = _rows(book, "ตกเกณฑ์")
    assert sorted(table["รหัส"]) == sorted(fell)
    assert all(now.loc[c, "inspection_zone"] == z for c, z in zip(table["รหัส"], table["เขตตรวจราชการ"]))
    # Thai title with Buddhist-era dates, and the credit, on every sheet
    assert "มีนาคม 2564" in heading[0] and thai_date(MARCH) == "31 มีนาคม 2564" in heading[0] and CREDIT in heading
    # this month against last month, per zone and per province
    _, zones = _rows(book, "สรุปรายเขต")
    for row in zones.itertuples():
        mine = now[now["inspection_zone"] == row[1]]
        assert (row[2], row[3], row[5]) == (int(mine["met"].sum()), int(before.loc[mine.index, "met"].sum()),
                                            len(mine))
    _, provinces = _rows(book, "รายจังหวัด")
    assert sorted(provinces["รหัสจังหวัด"]) == ["10", "40", "46"]
    for row in provinces.itertuples():
        mine = now[now.index.str[:2] == row[1]]
        assert (row[3], row[4]) == (int(mine["met"].sum()), int(before.loc[mine.index, "met"].sum()))
    _, silent = _rows(book, "ไม่มีรายงาน")
    assert sorted(silent["รหัสแปลง"]) == sorted(stale["record_id"]) and len(silent) > 0
    assert all(str(v).endswith("2564") for v in silent["รายงานล่าสุด"])
    _, series = _rows(book, "แนวโน้มรายเดือน")
    assert series["งวด"].iloc[0] == "มกราคม 2564"


def test_report_text_cells_cannot_start_a_formula(loaded, tiny_boundaries, tmp_path):
    result = geoplots.progress(store=loaded, kind="plots", start="2021-05-01", end="2021-06-30",
                               boundaries=tiny_boundaries)
    stale = geoplots.stale(store=loaded, days=45, today="2021-07-15").head(2)
    stale.loc[0, "name"] = '=HYPERLINK("http://evil.example","x")'
    stale.loc[1, "record_id"] = "@SUM(A1)"
    path = write_progress_report(result, tmp_path / "m.xlsx", stale=stale, boundaries=tiny_boundaries)
    book = openpyxl.load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, str)]
    assert not [c for c in cells if c[:1] in "=+@"]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in cells and "'@SUM(A1)" in cells


def _run(*args: str, data) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from geoplots.cli import main; main()", *args, "--data", str(data)],
                          capture_output=True, text=True, timeout=600)


def test_cli_progress_from_a_store_and_coverage_as_of_from_a_file(loaded, history, tiny_boundaries,
                                                                  tiny_boundary_dir, tmp_path, store_url):
    rows, _ = history
    done = _run("progress", "--db", store_url, "--kind", "plots", "--from", "2021-01-01", "--to", "2021-06-30",
                "--out", str(tmp_path / "p.xlsx"), data=tiny_boundary_dir)
    assert done.returncode == 0, done.stderr
    assert "report written to" in done.stdout and (tmp_path / "p.xlsx").exists()
    book = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert {"สรุปรายเขต", "รายจังหวัด", "ผ่านใหม่", "ตกเกณฑ์", "ไม่มีรายงาน", "แนวโน้มรายเดือน"} <= set(book.sheetnames)
    # a records file: one row per plot, reported over six months (the reader refuses a
    # repeated id as duplicate_id, so a sheet holds one version of each plot)
    once = rows.drop_duplicates("record_id")
    sheet = tmp_path / "plots.csv"
    once[["record_id", "lat", "lon", "date"]].to_csv(sheet, index=False)
    asked = _run("coverage", str(sheet), "--as-of", "2021-03-31", "--out", str(tmp_path / "c.csv"),
                 "--level", "district", data=tiny_boundary_dir)
    assert asked.returncode == 0, asked.stderr
    got = pd.read_csv(tmp_path / "c.csv", dtype={"code": str}).set_index("code")["count"]
    want = coverage(_by_hand(once, once.iloc[:0][["record_id", "date"]], dt.date(2021, 3, 31)), "district",
                    boundaries=tiny_boundaries).units.set_index("code")["count"]
    assert got.to_dict() == want.to_dict()
    missing = _run("progress", "--out", str(tmp_path / "x.xlsx"), data=tiny_boundary_dir)
    assert missing.returncode == 2 and "FILE or --db" in missing.stderr
