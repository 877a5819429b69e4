"""The column-operation paths of the readers give what the row-by-row paths give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplots.readers import normalize_records, read_table
from geoplots.readers._files import read_csv_text
from geoplots.records import reject_message, reject_messages

MESSY = (
    "id,ละติจูด,ลองจิจูด,note\n"
    "P1,16.43,102.83,\"two\nlines\"\n"
    "P2,   ,102.84,  \n"
    ",,,\n"
    "P3,๑๖.๔๓,102.85,ok\n"
    ",,,\n"
    " , ,,\n"
)


def test_arrow_csv_matches_the_row_reader():
    """Blank cells, a quoted newline, an interior blank row and trailing blank rows:
    the pyarrow path and the row-by-row path (used under a row limit) agree exactly."""
    fast = read_csv_text(MESSY)
    slow = read_csv_text(MESSY, max_rows=100)
    pd.testing.assert_frame_equal(fast, slow)
    assert len(fast) == 4  # the trailing blank rows are dropped, the interior one kept
    assert fast["note"].tolist()[:2] == ["two\nlines", None] or pd.isna(fast["note"].iloc[1])


def test_arrow_csv_falls_back_to_name_the_wide_row(tmp_path):
    path = tmp_path / "pins.csv"
    path.write_text("id,lat,lon\nP1,16.43,102.83\nP2,16.43, 102.83,x\n", encoding="utf-8")
    with pytest.raises(Exception, match="Row 3"):
        read_table(path)


def test_reject_messages_equal_one_by_one():
    reasons = ["duplicate_id", "outside_thailand", "duplicate_id", "missing_coordinates"]
    details = ["ID 1 first seen on row 2", "1, 2", "", ""]
    assert list(reject_messages(reasons, details)) == [reject_message(r, d) for r, d in zip(reasons, details)]


def test_repeated_values_parsed_once_keep_every_row_warning(tiny_boundaries):
    """Distinct dates, answers and addresses are parsed once; every row still gets its warnings."""
    n = 50
    frame = pd.DataFrame({
        "id": [f"H{i}" for i in range(n)],
        "lat": ["16.43"] * n, "lon": ["102.83"] * n,
        "date": ["5/3/2564", "๕/๓/๒๕๖๔"] * (n // 2),
        "answer": ["มี", "maybe"] * (n // 2),
    })
    rec = normalize_records(frame, boundaries=tiny_boundaries, yes_no=["answer"])
    codes = [[w.code for w in ws] for ws in rec.accepted["warnings"]]
    assert all("buddhist_era" in c for c in codes)
    assert sum("bad_yes_no" in c for c in codes) == n // 2
    assert sum("thai_digits" in c for c in codes) == n // 2
    assert rec.accepted["answer"].tolist()[:2] == [True, pd.NA] or pd.isna(rec.accepted["answer"].iloc[1])
    assert (rec.accepted["date"] == pd.Timestamp("2021-03-05")).all()
    assert np.array_equal(rec.accepted["row"].to_numpy(), np.arange(2, n + 2))
