"""Addresses typed as names or codes -> DOPA codes through geothai; ambiguity is a warning, never a guess."""

from __future__ import annotations

import geothai
import pandas as pd
import pytest

from geoplots.readers import normalize_records, resolve_address
from _messy import THAI_DIGITS, address_parts, sample_pins, unique_by_names


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(40, seed=11, boundaries=tiny_boundaries)


def test_names_in_separate_columns_resolve_to_the_sampled_subdistrict(pins, tiny_boundaries):
    parts = [address_parts(c) for c in pins["code"]]
    table = pd.DataFrame(
        {
            "lat": pins["lat"].astype(str),
            "lon": pins["lon"].astype(str),
            "ตำบล": ["ต." + s for s, _, _ in parts],
            "อำเภอ": ["อ." + d for _, d, _ in parts],
            "จังหวัด": ["จ." + p for _, _, p in parts],
        }
    )
    rec = normalize_records(table, boundaries=tiny_boundaries)
    assert len(rec.accepted) == len(pins)
    for code, row in zip(pins["code"], rec.accepted.itertuples()):
        if unique_by_names(code):
            assert row.declared_subdistrict_code == code
            assert not any(w.code.startswith("address_") for w in row.warnings)
        assert row.declared_district_code == code[:4]
        assert row.declared_province_code == code[:2]


def test_whole_address_in_one_cell(pins, tiny_boundaries):
    code = next(c for c in pins["code"] if unique_by_names(c))
    s, d, p = address_parts(code)
    table = pd.DataFrame({"lat": ["16.43"], "lon": ["102.83"], "ที่อยู่": [f"12 ม.3 ต.{s} อ.{d} จ.{p}"]})
    acc = normalize_records(table, boundaries=tiny_boundaries).accepted
    assert acc["declared_subdistrict_code"][0] == code


def test_bangkok_khet_khwaeng_and_short_forms():
    lumphini = next(a for a in geothai.match("ลุมพินี") if a.province.code == "10")
    for sub, dist, prov in [("แขวงลุมพินี", "เขตปทุมวัน", "กทม."), ("ลุมพินี", "ปทุมวัน", "กรุงเทพฯ"),
                            ("ลุมพินี", "", "กรุงเทพมหานคร")]:
        assert resolve_address(sub, dist, prov).subdistrict == lumphini.subdistrict.code, (sub, dist, prov)
    assert resolve_address(full="แขวงลุมพินี เขตปทุมวัน กทม.").subdistrict == lumphini.subdistrict.code


def test_ambiguous_name_is_a_warning_with_candidates_not_a_guess():
    found = geothai.match("ในเมือง", province="ขอนแก่น")
    assert len(found) > 1
    res = resolve_address("ในเมือง", province="ขอนแก่น")
    assert res.subdistrict is None and res.district is None
    assert res.province == found[0].province.code
    assert res.warnings[0].code == "address_ambiguous"
    for a in found:
        assert a.subdistrict.code in res.warnings[0].detail


def test_postal_code_in_an_address_narrows_candidates():
    found = geothai.match("ในเมือง", province="ขอนแก่น")
    target = next(a for a in found if sum(a.subdistrict.postal_codes[0] in b.subdistrict.postal_codes for b in found) == 1)
    res = resolve_address(full=f"ต.ในเมือง จ.ขอนแก่น {target.subdistrict.postal_codes[0]}")
    assert res.subdistrict == target.subdistrict.code


def test_unknown_names_and_codes_warn():
    res = resolve_address("ไม่มีตำบลนี้", "", "ขอนแก่น")
    assert res.subdistrict is None and res.province == "40"
    assert res.warnings[0].code == "address_unknown"
    assert resolve_address(code="999999").warnings[0].code == "address_unknown"
    assert resolve_address("qwerty").warnings[0].code == "address_unknown"
    assert resolve_address() == resolve_address("", "", "", "", "")


def test_codes_of_every_length(pins, tiny_boundaries):
    code = pins["code"][0]
    assert resolve_address(code=code).subdistrict == code
    assert resolve_address(code=code.translate(THAI_DIGITS)).subdistrict == code
    assert resolve_address(code=code + "05").subdistrict == code  # village code หมู่บ้าน
    r4 = resolve_address(code=code[:4])
    assert (r4.subdistrict, r4.district, r4.province) == (None, code[:4], code[:2])
    assert resolve_address(code=code[:2]).province == code[:2]


def test_code_column_from_excel_numbers(pins, tiny_boundaries):
    table = pd.DataFrame({"lat": pins["lat"][:3], "lon": pins["lon"][:3], "รหัสตำบล": pins["code"][:3].astype(int)})
    acc = normalize_records(table, boundaries=tiny_boundaries).accepted
    assert acc["declared_subdistrict_code"].tolist() == pins["code"][:3].tolist()
