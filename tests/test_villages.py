"""Villages (หมู่บ้าน, issue 12): the 8-digit village code and หมู่ kept from a code, a
หมู่ column or the address, and the model-village rule counting distinct villages per
district, not pins.
"""

from __future__ import annotations

import pytest

import geoplots
from geoplots.counting import distinct_villages
from geoplots.counting.rules import run_rule
from geoplots.readers._address import parse_moo, village_code_of
from _messy import sample_pins, write_csv


@pytest.mark.parametrize("typed, moo", [
    ("ม.5", 5), ("ม. 5", 5), ("หมู่ 5", 5), ("หมู่ที่ ๕", 5), ("หมู่ที่5", 5), ("บ้านโนนทัน หมู่ที่ 12 ต.ในเมือง", 12),
    ("Moo 3", 3), ("12/3 ม.4 ถ.มิตรภาพ", 4), ("บ้านเลขที่ 5", None), ("ม.0", None), ("ม.123", None), ("", None),
])
def test_moo_as_typed(typed, moo):
    assert parse_moo(typed) == moo


def test_village_code_cells():
    assert village_code_of("40010105") == "40010105" and village_code_of(40010105) == "40010105"
    assert village_code_of("๔๐๐๑๐๑๐๕") == "40010105"
    assert village_code_of("400101") is None and village_code_of("40010100") is None  # 00 is no village


@pytest.fixture(scope="module")
def three_districts(tiny_boundaries):
    """Three pins in sub-districts of three different districts."""
    pins = sample_pins(40, seed=31, boundaries=tiny_boundaries)
    pins = pins[pins["code"].str[:2] != "10"]  # not Bangkok: its codes are not the point here
    return pins[~pins["code"].str[:4].duplicated()].head(3).reset_index(drop=True)


def test_codes_and_moo_read_from_every_place(tmp_path, three_districts, tiny_boundaries):
    p = three_districts.iloc[0]
    code = p.code
    rows = [["รหัสหมู่บ้าน", "หมู่", "ที่อยู่", "lat", "lon"],
            [f"{code}05", "", "", p.lat, p.lon],
            ["", "๗", "", p.lat, p.lon],
            ["", "", "12 หมู่ที่ 3 ต.x", p.lat, p.lon],
            [code, "ม.9", "", p.lat, p.lon]]
    rec = geoplots.read_records(write_csv(tmp_path / "v.csv", rows), boundaries=tiny_boundaries)
    acc = rec.accepted.sort_values("row")
    assert acc["village_code"].fillna("").tolist() == [f"{code}05", "", "", ""]
    assert acc["moo"].tolist() == [5, 7, 3, 9]
    # The 8-digit code still declares its sub-district (its first six digits), as before.
    assert acc["declared_subdistrict_code"].iloc[0] == code


def test_model_villages_counts_distinct_villages(tmp_path, three_districts, tiny_boundaries):
    a, b, c = three_districts.itertuples()
    rows = [["ชื่อหมู่บ้าน", "รหัสหมู่บ้าน", "ที่อยู่", "lat", "lon"]]
    # District A: three pins of หมู่ 5 (typed three ways, one by its code), one pin of หมู่ 6.
    rows += [["บ้านหนึ่ง", "", "ม.5", a.lat, a.lon], ["บ้านหนึ่ง (จุดที่ 2)", "", "หมู่ที่ ๕", a.lat, a.lon],
             ["", f"{a.code}05", "", a.lat, a.lon], ["บ้านสอง", "", "หมู่ 6", a.lat, a.lon]]
    # District B: nothing says which village: each pin counts (never merged by a guess).
    rows += [["", "", "", b.lat, b.lon], ["", "", "", b.lat, b.lon]]
    # District C: one village named twice in its sub-district.
    rows += [["บ้านโคก", "", "", c.lat, c.lon], ["บ้าน โคก", "", "", c.lat, c.lon]]
    rec = geoplots.read_records(write_csv(tmp_path / "model.csv", rows), boundaries=tiny_boundaries)
    assert rec.rows_read == 8 and rec.rejects.empty
    result = run_rule("model_villages", rec, boundaries=tiny_boundaries)
    counts = result.units.set_index("code")["count"]
    assert (counts[a.code[:4]], counts[b.code[:4]], counts[c.code[:4]]) == (2, 2, 1)
    assert "5 villages from 8 located pins" in result.notes["villages"]
    kept, pins, villages = distinct_villages(rec, boundaries=tiny_boundaries)
    assert (pins, villages, len(kept)) == (8, 5, 5)
