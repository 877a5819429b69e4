"""Records as staff really type them: coordinates with spaces, Thai yes/no answers,
blank answers under an explicit policy, percentages that never contradict the tier.

Every file is written at test time from the real boundaries; expectations are computed
from the generated truth, not typed in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import geoplots
from geoplots.counting import tier_of
from geoplots.counting.report import percent_floor
from geoplots.counting.rules import run_rule
from geoplots.readers import parse_coordinate
from _messy import sample_pins, write_csv, write_xlsx


def _dms_parts(value: float) -> tuple[int, int, float]:
    d = int(value)
    m = int((value - d) * 60)
    return d, m, round((value - d - m / 60) * 3600, 1)


def _typed(value: float, style: int) -> str:
    """One coordinate written the ways officers type it without a degree key."""
    d, m, s = _dms_parts(value)
    minutes = (value - d) * 60
    return [f"{d} {m} {s}", f"{d}° {minutes:.4f}'", f"{d} {m}'{s}\"", f"{d}  {m}  {s}"][style % 4]


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(16, seed=11, boundaries=tiny_boundaries)


def test_dms_typed_with_spaces_and_decimal_minutes(tmp_path, pins, tiny_boundaries):
    rows = [["id", "lat", "lon"]]
    rows += [[f"P{i}", _typed(p.lat, i), _typed(p.lon, i + 1)] for i, p in enumerate(pins.itertuples())]
    rec = geoplots.read_records(write_csv(tmp_path / "dms.csv", rows), boundaries=tiny_boundaries)
    assert rec.rows_read == len(pins) and len(rec.rejects) == 0
    got = rec.accepted.sort_values("row")
    # Seconds to 0.1" and minutes to 0.0001' are both within 0.0001 degree (about 10 m).
    assert np.allclose(got["lat"], pins["lat"], atol=1e-4)
    assert np.allclose(got["lon"], pins["lon"], atol=1e-4)


def test_dms_without_spaces_is_unparseable_with_a_hint(tmp_path, pins, tiny_boundaries):
    p = pins.iloc[0]
    d, m, s = _dms_parts(p.lat)
    packed_lat = f"{d}{m:02d}{int(s):02d}"
    rows = [["id", "lat", "lon"], ["P1", packed_lat, f"{p.lon:.5f}"], ["P2", f"{p.lat:.5f}", f"{p.lon:.5f}"]]
    rec = geoplots.read_records(write_csv(tmp_path / "packed.csv", rows), boundaries=tiny_boundaries)
    assert rec.rejects["reason"].tolist() == ["unparseable_coordinates"]
    detail = rec.rejects["message"].iloc[0]
    assert f"{d} {m:02d} {int(s):02d}" in detail
    assert len(rec.accepted) == 1


@pytest.mark.parametrize("text", ["16.4321", "1815000", "102.8236", "abc"])
def test_plain_numbers_are_not_taken_for_spaced_dms(text):
    p = parse_coordinate(text)
    assert p.value is None or "dms" not in p.fixes


# --- households with Thai answers ------------------------------------------------------

ANSWERS = {True: ["ปลูก", "ทำ", "✓", "ใช่", "เข้าร่วม"], False: ["ไม่ปลูก", "ไม่ทำ", "✗", "ไม่ใช่", "ไม่เข้าร่วม"]}


def _households(tiny_boundaries, seed=3):
    """Households in the districts of the tiny boundaries: truth (True/False/None) and
    the answer as typed, with the X/ไม่X forms of one survey column and blanks."""
    rng = np.random.default_rng(seed)
    points = sample_pins(40, seed=seed, boundaries=tiny_boundaries)
    rows, truth, codes = [], [], []
    for i, p in enumerate(points.itertuples()):
        for j in range(int(rng.integers(5, 15))):
            answer = None if rng.random() < 0.1 else bool(rng.random() < 0.75)
            style = int(rng.integers(0, 5))
            typed = "" if answer is None else ANSWERS[answer][style]
            rows.append([f"H{i}-{j}", f"{p.lat:.6f}", f"{p.lon:.6f}", typed])
            truth.append(answer)
            codes.append(p.code[:4])
    return rows, pd.DataFrame({"district": codes, "truth": truth})


@pytest.mark.parametrize("blank_as", ["exclude", "no"])
def test_thai_yes_no_pairs_and_blank_policy(tmp_path, tiny_boundaries, blank_as):
    rows, truth = _households(tiny_boundaries)
    path = write_csv(tmp_path / "hh.csv", [["id", "lat", "lon", "ปลูกผักสวนครัว"], *rows])
    rec = geoplots.read_records(path, kind="households", boundaries=tiny_boundaries, yes_no=["ปลูกผักสวนครัว"])
    assert "bad_yes_no" not in rec.summary()["warnings_by_kind"]
    taken = rec.summary()["notes"]["yes_no"]["ปลูกผักสวนครัว"]
    assert set(taken["yes"]) == set(ANSWERS[True]) and set(taken["no"]) == set(ANSWERS[False])

    result = run_rule("household_participation", rec, level="district", column="ปลูกผักสวนครัว",
                      blank_as=blank_as, by=None, boundaries=tiny_boundaries)
    filled = truth["truth"].map(lambda v: False if v is None and blank_as == "no" else v)
    known = filled.notna()
    expected = pd.DataFrame({"district": truth["district"], "known": known, "yes": filled.eq(True)})
    expected = expected.groupby("district").sum()
    units = result.units.set_index("code").loc[expected.index]
    assert units["households"].tolist() == expected["known"].tolist()
    assert units["participating"].tolist() == expected["yes"].tolist()
    assert result.notes["excluded_blank"] == (truth["truth"].isna().sum() if blank_as == "exclude" else 0)
    assert result.notes["excluded_not_yes_no"] == 0
    assert blank_as in ("exclude", "no") and result.notes["blank_as"]


def test_answers_that_are_not_yes_no_are_excluded_and_counted(tmp_path, tiny_boundaries):
    p = sample_pins(1, seed=5, boundaries=tiny_boundaries).iloc[0]
    answers = ["ปลูก", "ไม่ปลูก", "ไม่ทราบ", "", "บางครั้ง"]
    rows = [["id", "lat", "lon", "garden"]] + [[f"H{i}", p.lat, p.lon, a] for i, a in enumerate(answers)]
    rec = geoplots.read_records(write_csv(tmp_path / "hh.csv", rows), kind="households",
                                boundaries=tiny_boundaries, yes_no=["garden"])
    assert rec.summary()["warnings_by_kind"]["bad_yes_no"] == 2
    for blank_as in ("exclude", "no"):
        result = run_rule("household_participation", rec, level="district", column="garden",
                          blank_as=blank_as, by=None, boundaries=tiny_boundaries)
        assert result.notes["excluded_not_yes_no"] == 2
        assert result.notes["excluded_blank"] == (1 if blank_as == "exclude" else 0)
        unit = result.units.set_index("code").loc[p.code[:4]]
        assert unit["households"] == (2 if blank_as == "exclude" else 3)


def test_blank_as_on_read_records(tmp_path, tiny_boundaries):
    p = sample_pins(1, seed=6, boundaries=tiny_boundaries).iloc[0]
    rows = [["id", "lat", "lon", "garden"], ["H1", p.lat, p.lon, "มี"], ["H2", p.lat, p.lon, ""]]
    path = write_xlsx(tmp_path / "hh.xlsx", rows)
    excl = geoplots.read_records(path, kind="households", boundaries=tiny_boundaries, yes_no=["garden"])
    as_no = geoplots.read_records(path, kind="households", boundaries=tiny_boundaries, yes_no=["garden"],
                                  blank_as="no")
    assert excl.accepted.sort_values("row")["garden"].tolist()[1] is pd.NA
    assert as_no.accepted.sort_values("row")["garden"].tolist() == [True, False]
    assert as_no.summary()["notes"]["blank_as"] == "no"
    with pytest.raises(geoplots.GeoplotsError):
        geoplots.read_records(path, kind="households", boundaries=tiny_boundaries, yes_no=["garden"],
                              blank_as="maybe")


def test_displayed_percent_never_contradicts_the_tier():
    # Every fraction k/n up to 400 households: the tier read back from the percentage
    # shown must be the tier of the exact fraction.
    rates = pd.Series([k / n for n in range(1, 401) for k in range(n + 1)])
    shown = percent_floor(rates)
    assert (tier_of(shown / 100) == tier_of(rates)).all()
    assert percent_floor(pd.Series([1999 / 2500])).iloc[0] < 80


# --- the same sheet in every format ------------------------------------------------------

def _write_geojson(path, rows):
    import json

    header, body = rows[0], rows[1:]
    features = [{"type": "Feature", "geometry": None, "properties": dict(zip(header, r))} for r in body]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_same_sheet_same_result_in_every_format(tmp_path, tiny_boundaries):
    p = sample_pins(1, seed=8, boundaries=tiny_boundaries).iloc[0]
    lat, lon = f"{p.lat:.5f}", f"{p.lon:.5f}"
    rows = [["id", "lat", "lon"], ["a", "n/a", "n/a"], ["b", lat, "n/a"], ["c", "N/A", lon], ["d", "-", "-"],
            ["e", "", ""], ["f", "ไม่มี", lon], ["g", lat, lon], ["h", "#N/A", lon]]
    results = {}
    for name, write in (("csv", write_csv), ("xlsx", write_xlsx), ("geojson", _write_geojson)):
        rec = geoplots.read_records(write(tmp_path / f"same.{name}", rows), boundaries=tiny_boundaries)
        rej = rec.rejects.sort_values("row")
        results[name] = (dict(zip(rej["row"], rej["reason"])), sorted(rec.accepted["row"]))
    assert results["csv"] == results["xlsx"] == results["geojson"]
    reasons, accepted = results["csv"]
    assert reasons[2] == "unparseable_coordinates" and reasons[6] == "missing_coordinates"
    assert accepted == [8]


# --- polygons are plots --------------------------------------------------------------------

@pytest.mark.parametrize("driver, suffix", [("GeoJSON", "geojson"), ("GPKG", "gpkg"), ("KML", "kml")])
def test_polygons_read_without_kind_are_plots(tmp_path, tiny_boundaries, driver, suffix):
    import geopandas as gpd
    import shapely

    pins = sample_pins(4, seed=9, boundaries=tiny_boundaries)
    squares = [shapely.box(p.lon - 0.0005, p.lat - 0.0005, p.lon + 0.0005, p.lat + 0.0005) for p in pins.itertuples()]
    plots = gpd.GeoDataFrame({"name": [f"แปลง {i}" for i in range(4)]}, geometry=squares, crs=4326)
    path = tmp_path / f"plots.{suffix}"
    plots.to_file(path, driver=driver)
    rec = geoplots.read_records(path, boundaries=tiny_boundaries)
    assert rec.kind == "plots" and "plots" in rec.summary()["notes"]["kind"]
    assert set(rec.accepted.geom_type) == {"Polygon"}
    expected = plots.to_crs(plots.estimate_utm_crs()).area.to_numpy()
    area_col = next(c for c in rec.accepted.columns if "area" in str(c) and "m2" in str(c))
    assert np.allclose(rec.accepted.sort_values("row")[area_col].to_numpy(float), expected, rtol=0.01)
    # Named explicitly, the caller's kind wins and nothing is inferred.
    as_pins = geoplots.read_records(path, kind="pins", boundaries=tiny_boundaries)
    assert as_pins.kind == "pins" and "notes" not in as_pins.summary()
