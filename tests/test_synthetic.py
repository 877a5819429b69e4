"""Synthetic records: drawn inside the sub-district they claim, reproducible, realistic gaps."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geoplots import synthetic
from geoplots.groups import inspection_zones


@pytest.fixture(scope="module")
def subdistricts(tiny_boundaries):
    return tiny_boundaries.level("subdistrict").set_index("code")


def test_points_lie_inside_the_subdistrict_they_name(subdistricts, tiny_boundaries):
    pins = synthetic.sample_points(3000, seed=3, boundaries=tiny_boundaries)
    polygons = subdistricts.geometry.loc[pins["subdistrict_code"].to_numpy()].to_numpy()
    assert shapely.contains_xy(polygons, pins["lon"].to_numpy(), pins["lat"].to_numpy()).all()
    assert shapely.equals(pins.geometry.to_numpy(), shapely.points(pins["lon"], pins["lat"])).all()
    assert pins["record_id"].is_unique


def test_same_seed_same_points_and_codes_restrict(tiny_boundaries):
    a = synthetic.sample_points(500, codes=["40", "4601"], seed=7, boundaries=tiny_boundaries)
    b = synthetic.sample_points(500, codes=["40", "4601"], seed=7, boundaries=tiny_boundaries)
    assert a.equals(b)
    prefixes = set(a["subdistrict_code"].str[:2]) | set(a["subdistrict_code"].str[:4])
    assert {"40", "4601"} <= prefixes
    assert a["subdistrict_code"].map(lambda c: c.startswith("40") or c.startswith("4601")).all()


def test_chunks_add_up_with_consecutive_ids(tiny_boundaries):
    chunks = list(synthetic.iter_sample_points(2500, chunk_size=1000, codes=["40"], boundaries=tiny_boundaries))
    assert [len(c) for c in chunks] == [1000, 1000, 500]
    ids = np.concatenate([c["record_id"].to_numpy() for c in chunks])
    assert len(set(ids)) == 2500


def test_model_villages_cover_most_but_not_all_districts(tiny_boundaries):
    villages = synthetic.model_villages(["12"], share=0.8, seed=2, boundaries=tiny_boundaries)
    zone_provinces = inspection_zones().codes_in("12")
    districts = tiny_boundaries.level("district")
    in_zone = districts[districts["province_code"].isin(zone_provinces)]
    covered = set(villages["district_code"])
    assert covered <= set(in_zone["code"])
    assert 0.6 * len(in_zone) < len(covered) < len(in_zone)
    assert villages["village_name"].str.startswith("บ้าน").all()


def test_households_spread_over_every_tier(tiny_boundaries):
    hh = synthetic.households(["12"], per_unit=(30, 40), seed=4, boundaries=tiny_boundaries)
    rates = hh.assign(d=hh["subdistrict_code"].str[:4]).groupby("d")["has_garden"].mean()
    tiers = np.digitize(rates, [0.7, 0.8, 0.9])
    assert set(tiers) == {0, 1, 2, 3}
    no_geom = hh.geometry.isna()
    assert 0 < no_geom.sum() < len(hh) * 0.2
    assert hh.loc[no_geom, "declared_subdistrict_code"].notna().all()


def test_plots_are_polygons_inside_their_subdistrict(subdistricts, tiny_boundaries):
    farms = synthetic.plots(100, codes=["40"], seed=5, boundaries=tiny_boundaries)
    container = subdistricts.geometry.loc[farms["subdistrict_code"].to_numpy()].to_numpy()
    assert (farms.geom_type == "Polygon").all()
    assert shapely.covers(container, farms.geometry.to_numpy()).all()
    assert shapely.contains_xy(farms.geometry.to_numpy(), farms["lon"], farms["lat"]).all()
