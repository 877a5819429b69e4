"""Inspection zones and user grouping schemes."""

from __future__ import annotations

import csv
from pathlib import Path

import geothai
import pandas as pd
import pytest

from geoplots.errors import GeoplotsError
from geoplots.groups import inspection_zones, load_scheme, resolve_scheme

from conftest import ZONES_REFERENCE


def test_every_province_in_exactly_one_zone() -> None:
    zones = inspection_zones()
    assert set(zones.mapping) == {p.code for p in geothai.provinces()}
    assert zones.level == "province"
    assert zones.groups()[:3] == ["1", "2", "3"] and zones.groups()[-1] == "central"
    assert len(zones.groups()) == 19


def test_package_file_matches_reference_facts() -> None:
    with ZONES_REFERENCE.open(encoding="utf-8") as fh:
        reference = {r["province_code"]: r["inspection_zone"] for r in csv.DictReader(fh)}
    assert inspection_zones().mapping == reference


@pytest.mark.parametrize(("province", "zone"), [("ขอนแก่น", "12"), ("กำแพงเพชร", "18"), ("Bangkok", "central")])
def test_zone_lookup_by_name(province: str, zone: str) -> None:
    code = next(p.code for p in geothai.provinces() if province in (p.name_th, p.name_en))
    assert inspection_zones().group_of(pd.Series([code, code + "01", code + "0101"])).tolist() == [zone] * 3


def test_custom_scheme(tmp_path: Path) -> None:
    path = tmp_path / "region.csv"
    path.write_text("code,group\n40,northeast\n10,central\n", encoding="utf-8-sig")
    scheme = load_scheme(path)
    assert scheme.name == "region"
    assert scheme.group_of(pd.Series(["400101", "501201"])).tolist() == ["northeast", pd.NA]
    assert resolve_scheme(str(path)).mapping == scheme.mapping
    assert resolve_scheme("inspection_zone").name == "inspection_zone"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,zone\n40,1\n", "missing group"),
        ("code,group\n40,1\n40,2\n", "more than one"),
        ("code,group\n40,1\n4001,2\n", "lengths"),
        ("code,group\n40,\n", "empty"),
    ],
)
def test_bad_scheme_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GeoplotsError, match=message):
        load_scheme(path)
