"""coverage(): every unit, counts equal to an independent spatial join, the three rules."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest

from geoplots import synthetic
from geoplots.counting import RULES, coverage, run_rule, tier_of, write_coverage
from geoplots.counting.rules import change_leader_targets
from geoplots.errors import GeoplotsError
from geoplots.groups import inspection_zones


@pytest.fixture(scope="module")
def districts(boundaries):
    return boundaries.level("district")


def _zone_districts(districts, zone):
    return districts[districts["province_code"].isin(inspection_zones().codes_in(zone))]


def _district_counts(points: gpd.GeoDataFrame, sub: gpd.GeoDataFrame) -> pd.Series:
    # Plain sjoin with the sub-districts, rolled up by code. (Joining the ADM2 district
    # polygons directly disagrees for a few points: the COD-AB levels were not drawn to
    # nest exactly, which is why geoplots joins once and rolls up by code.)
    joined = gpd.sjoin(points[["geometry"]], sub[["code", "geometry"]], predicate="within")
    return joined["code"].str[:4].value_counts()


def test_every_unit_is_listed_and_counts_match_a_spatial_join(districts, boundaries):
    villages = synthetic.model_villages(["12", "13"], share=0.7, seed=3, boundaries=boundaries)
    result = coverage(villages, level="district", min_count=1, by="inspection_zone", boundaries=boundaries)
    units = result.units
    assert sorted(units["code"]) == sorted(districts["code"])  # zero-count units included
    counts = _district_counts(villages, boundaries.level("subdistrict"))
    expected = counts.reindex(units["code"]).fillna(0).astype(int)
    np.testing.assert_array_equal(units["count"].to_numpy(), expected.to_numpy())
    assert (units["met"] == (units["count"] >= 1)).all()
    assert (units["count"] == 0).sum() > 800
    zone12 = result.summary.set_index("group").loc["12"]
    in_zone = _zone_districts(districts, "12")
    assert zone12["total"] == len(in_zone)
    assert zone12["covered"] == int((expected.reindex(in_zone["code"]) >= 1).sum())
    assert zone12["percent"] == pytest.approx(100 * zone12["covered"] / zone12["total"], abs=0.05)
    missing = set(in_zone["code"]) - set(expected[expected >= 1].index)
    assert {item.split()[0] for item in zone12["uncovered"]} == missing
    assert {"code", "name_th", "name_en", "province_code", "inspection_zone", "count", "met", "geometry"} <= set(units.columns)


def test_zone_filter_min_count_and_province_level(districts, boundaries):
    pins = synthetic.sample_points(3000, codes=inspection_zones().codes_in("12"), seed=5, boundaries=boundaries)
    result = coverage(pins, level="district", min_count=40, zone=12, boundaries=boundaries)
    assert len(result.units) == len(_zone_districts(districts, "12"))
    assert list(result.summary["group"]) == ["12"]
    assert (result.units["met"] == (result.units["count"] >= 40)).all()
    assert 0 < result.units["met"].sum() < len(result.units)
    provinces = coverage(pins, level="จังหวัด", by=None, boundaries=boundaries)
    assert len(provinces.units) == 77 and list(provinces.summary["group"]) == ["all"]
    assert provinces.units["count"].sum() == 3000
    with pytest.raises(GeoplotsError, match="does not exist"):
        coverage(pins, zone=99, boundaries=boundaries)


def test_household_participation_tiers(boundaries):
    hh = synthetic.households(["12"], per_unit=(20, 30), address_only=0.1, seed=8, boundaries=boundaries)
    result = run_rule("household_participation", hh, zone=12, boundaries=boundaries)
    units = result.units.set_index("code")
    truth = hh.assign(d=hh["subdistrict_code"].str[:4]).groupby("d")["has_garden"].agg(["size", "sum"])
    assert (units.loc[truth.index, "households"] == truth["size"]).all()
    assert (units.loc[truth.index, "participating"] == truth["sum"]).all()
    rate = truth["sum"] / truth["size"]
    expected = np.select([rate >= 0.9, rate >= 0.8, rate >= 0.7], ["plaque", "commendation", "passed"], "not_passed")
    assert (units.loc[truth.index, "tier"].to_numpy() == expected).all()
    assert set(expected) == {"plaque", "commendation", "passed", "not_passed"}
    assert (units["met"] == (units["tier"] != "not_passed")).all()
    stricter = run_rule("household_participation", hh, zone=12, thresholds=(0.8, 0.9, 0.95),
                        boundaries=boundaries)
    assert stricter.units["met"].sum() < result.units["met"].sum()


def test_tier_edges_are_inclusive():
    rates = pd.Series([7 / 10, 0.6999, 8 / 10, 9 / 10, 1.0, np.nan])
    assert tier_of(rates).tolist() == ["passed", "not_passed", "commendation", "plaque", "plaque", "not_passed"]
    with pytest.raises(GeoplotsError):
        tier_of(rates, (0.9, 0.8, 0.7))


def test_change_leader_expected_from_boundaries_equals_an_independent_count(boundaries, districts):
    targets = change_leader_targets(boundaries)
    # Independent: count sub-district polygons falling in each district polygon spatially.
    sub = boundaries.level("subdistrict")
    inner = gpd.GeoDataFrame(geometry=sub.geometry.representative_point(), crs=sub.crs)
    per_district = gpd.sjoin(inner, districts[["code", "province_code", "geometry"]], predicate="within")
    per_district = per_district[per_district["province_code"] != "10"]["code"].value_counts()
    expected = int((1 + (per_district >= 14)).sum())
    assert int(targets["expected_boundaries"].sum()) == expected
    assert len(targets) == len(districts[districts["province_code"] != "10"])
    # The registry figure is computed separately (geothai) and reported alongside.
    assert targets["expected_registry"].sum() > 0.95 * expected


def test_change_leaders_compares_enrolment_with_targets(boundaries):
    enrolled = synthetic.enrolled_subdistricts(0.8, seed=9, boundaries=boundaries)
    result = run_rule("change_leaders", enrolled, boundaries=boundaries)
    units = result.units.set_index("code")
    per_district = enrolled.groupby("district_code")["subdistrict_code"].nunique()
    counts = per_district.reindex(units.index).fillna(0)
    assert (units["count"] == counts).all()
    assert (units["met"] == (counts >= units["expected"])).all()
    assert result.notes["expected_boundaries"] == int(units["expected"].sum())
    assert result.notes["expected_registry"] == int(change_leader_targets(boundaries)["expected_registry"].sum())
    assert result.notes["enrolled_subdistricts"] == len(enrolled)
    assert "10" not in set(units["province_code"])
    with pytest.raises(GeoplotsError, match="not in the boundaries"):
        run_rule("change_leaders", pd.DataFrame({"subdistrict_code": ["999999"]}), boundaries=boundaries)


def test_rules_are_registered_by_name():
    assert set(RULES) == {"model_villages", "change_leaders", "household_participation"}
    with pytest.raises(GeoplotsError, match="Unknown rule"):
        run_rule("nope", None)


def test_an_option_a_rule_does_not_take_is_a_type_error_naming_the_accepted_ones():
    # Before rules owned their options, run_rule swallowed these (**_) and counted as if unsaid.
    with pytest.raises(TypeError, match=r"'model_villages' takes no option min_count; it takes no options of its own"):
        run_rule("model_villages", None, min_count=3)
    with pytest.raises(TypeError, match=r"no option level.*zone, by, boundaries"):
        run_rule("change_leaders", None, level="subdistrict")
    with pytest.raises(TypeError, match=r"no option threshold; its options are level, column, thresholds, min_count"):
        run_rule("household_participation", None, threshold=(0.8, 0.9, 0.95))


def test_each_rule_carries_its_kind_options_and_title():
    villages, leaders, households = (RULES[n] for n in ("model_villages", "change_leaders", "household_participation"))
    assert (villages.kind, leaders.kind, households.kind) == ("pins", "households", "households")
    assert villages.option_names == leaders.option_names == ()
    options = households.parameters(level="ตำบล", thresholds=[0.8, 0.9, 0.95])
    assert (options.level, options.column, options.thresholds, options.min_count) == (
        "subdistrict", "has_garden", (0.8, 0.9, 0.95), 1)
    assert households.read_options(options) == {"yes_no": ["has_garden"]}
    assert households.read_options(households.parameters(column="ปลูกผัก")) == {"yes_no": ["ปลูกผัก"]}
    assert villages.read_options() == {} and leaders.read_options() == {}
    with pytest.raises(GeoplotsError, match="three increasing"):
        households.parameters(thresholds=(0.9, 0.8, 0.7))
    for rule in RULES.values():
        assert rule.title == f"{rule.title_th} / {rule.title_en}" and rule.title_th and rule.title_en


def test_a_rule_titles_its_result_and_passes_its_options(boundaries):
    hh = synthetic.households(["12"], per_unit=(5, 8), address_only=0.0, seed=12, boundaries=boundaries)
    result = RULES["household_participation"](hh, zone=12, level="subdistrict", min_count=3, boundaries=boundaries)
    assert result.title == RULES["household_participation"].title
    assert result.level == "subdistrict" and result.min_count == 3


def test_xlsx_report_has_a_sheet_per_zone_with_thai_headers(boundaries, tmp_path):
    villages = synthetic.model_villages(["12", "central"], seed=10, boundaries=boundaries)
    result = run_rule("model_villages", villages, boundaries=boundaries)
    path = write_coverage(result, tmp_path / "report.xlsx", boundaries=boundaries)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "สรุป"
    assert "เขตตรวจราชการที่ 12" in book.sheetnames and "กรุงเทพมหานคร" in book.sheetnames
    assert book.sheetnames[-2:] == ["หน่วยที่ยังไม่ผ่าน (gaps)", "แถวที่ไม่รับ (rejected)"]
    assert len(book.sheetnames) == 3 + len(result.summary)
    sheet = book["เขตตรวจราชการที่ 12"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["รหัส (code)", "ชื่อ"] and "ผลการประเมิน (status)" in header
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    zone12 = result.units[result.units["inspection_zone"] == "12"]
    assert sorted(r[0] for r in rows) == sorted(zone12["code"])
    met = header.index("ผลการประเมิน (status)")
    assert sum(r[met] != "ผ่าน (met)" for r in rows) == int((~zone12["met"]).sum())
    csv = write_coverage(result, tmp_path / "report.csv")
    table = pd.read_csv(csv, dtype={"code": str}, encoding="utf-8-sig")
    assert len(table) == len(result.units)
    with pytest.raises(GeoplotsError, match="xlsx"):
        write_coverage(result, tmp_path / "report.pdf")
