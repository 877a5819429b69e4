"""locate(): the fast grid lookup must give exactly what a plain spatial join gives."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geoplots
from geoplots import synthetic
from geoplots.groups import inspection_zones
from geoplots.locating import index_for, locate
from geoplots.locating._index import SubdistrictIndex
from geoplots.records import Records, reject_message


@pytest.fixture(scope="module")
def subdistricts(boundaries):
    return boundaries.level("subdistrict")


@pytest.fixture(scope="module")
def index(boundaries):
    return index_for(boundaries)


def _sjoin_codes(points: gpd.GeoDataFrame, subdistricts: gpd.GeoDataFrame) -> np.ndarray:
    joined = gpd.sjoin(points[["geometry"]], subdistricts[["code", "geometry"]], predicate="within", how="left")
    assert not joined.index.duplicated().any()
    return joined["code"].fillna("").to_numpy(dtype=str)


def test_lookup_equals_sjoin_on_random_and_border_points(index, subdistricts, boundaries):
    random = synthetic.sample_points(20_000, seed=11, weight="area", boundaries=boundaries)
    border = synthetic.border_points(30_000, max_offset_m=30, seed=12, boundaries=boundaries)
    coast = synthetic.border_points(5_000, max_offset_m=2_000, seed=13, boundaries=boundaries)
    points = pd.concat([random, border, coast], ignore_index=True)
    got = index.lookup(points["lon"].to_numpy(), points["lat"].to_numpy(), threads=2)
    got_codes = np.where(got >= 0, index.codes[np.maximum(got, 0)], "")
    expected = _sjoin_codes(points, subdistricts)
    assert (expected == "").sum() > 100  # the test does exercise points outside every polygon
    np.testing.assert_array_equal(got_codes, expected)


def test_points_on_grid_lines_and_cell_corners(index, subdistricts):
    # Points exactly on the grid's own lines are where half-open cells could go wrong.
    rng = np.random.default_rng(5)
    step = 1 / 1024
    x = index.x0 + rng.integers(0, index.nx * 16, 20_000) * step
    y = index.y0 + rng.integers(0, index.ny * 16, 20_000) * step
    pts = gpd.GeoDataFrame(geometry=shapely.points(x, y), crs="EPSG:4326")
    got = index.lookup(x, y)
    np.testing.assert_array_equal(np.where(got >= 0, index.codes[np.maximum(got, 0)], ""), _sjoin_codes(pts, subdistricts))


def test_locate_finds_the_true_subdistrict_and_rolls_up_by_code(boundaries):
    pins = synthetic.sample_points(5000, seed=21, boundaries=boundaries)
    result = locate(pins, boundaries=boundaries)
    acc = result.accepted
    assert result.rows_read == len(acc) == 5000 and len(result.rejects) == 0
    assert (acc["subdistrict_code"].astype(str) == pins["subdistrict_code"]).all()
    assert (acc["district_code"].astype(str) == pins["subdistrict_code"].str[:4]).all()
    assert (acc["province_code"].astype(str) == pins["subdistrict_code"].str[:2]).all()
    zones = inspection_zones().group_of(pins["subdistrict_code"])
    assert (acc["inspection_zone"].astype(str) == zones).all()
    assert (acc["match"] == "inside").all() and (acc["distance_m"] == 0).all()
    assert acc["row"].tolist() == list(range(2, 5002))
    assert {"record_id", "lat", "lon"} <= set(acc.columns)


def test_nearest_within_tolerance_else_rejected(boundaries, subdistricts):
    near = synthetic.border_points(4000, max_offset_m=3000, seed=31, boundaries=boundaries)
    outside = near[_sjoin_codes(near, subdistricts) == ""].reset_index(drop=True)
    assert len(outside) > 50
    result = locate(outside, tolerance_m=1000, boundaries=boundaries)
    acc, rej = result.accepted, result.rejects
    assert len(acc) + len(rej) == len(outside) and len(acc) and len(rej)
    assert (acc["match"] == "nearest").all()
    assert ((acc["distance_m"] > 0) & (acc["distance_m"] <= 1000)).all()
    # Independent check in metres: UTM 47N nearest join.
    utm = subdistricts.to_crs(32647)
    check = gpd.sjoin_nearest(acc[["geometry"]].to_crs(32647), utm[["code", "geometry"]], distance_col="d")
    check = check[~check.index.duplicated()]
    assert (check["code"].to_numpy() == acc["subdistrict_code"].astype(str).to_numpy()).mean() > 0.98
    np.testing.assert_allclose(acc["distance_m"], check["d"], rtol=0.02, atol=2)
    far = gpd.sjoin_nearest(
        gpd.GeoDataFrame(rej[["row"]], geometry=gpd.points_from_xy(rej["lon"], rej["lat"]), crs=4326).to_crs(32647),
        utm[["geometry"]], distance_col="d",
    )
    assert (far["d"] > 950).all()
    assert set(rej["reason"]) == {"outside_boundaries"}
    assert rej["message"].str.startswith(reject_message("outside_boundaries")).all()
    strict = locate(outside, tolerance_m=0, boundaries=boundaries)
    assert len(strict.accepted) == 0 and len(strict.rejects) == len(outside)


def test_households_without_coordinates_are_placed_by_address(boundaries):
    hh = synthetic.households(["12"], per_unit=(5, 8), address_only=0.3, seed=41, boundaries=boundaries)
    hh.loc[hh.index[:3], "declared_subdistrict_code"] = [None, "999999", None]
    hh.loc[hh.index[:3], ["lat", "lon"]] = np.nan
    hh.loc[hh.index[:3], "geometry"] = None
    result = locate(hh, boundaries=boundaries)
    acc = result.accepted
    by_address = acc["match"] == "address"
    assert by_address.sum() == (hh.geometry.isna().sum() - 3)
    assert (acc.loc[by_address, "subdistrict_code"].astype(str) == acc.loc[by_address, "declared_subdistrict_code"]).all()
    assert acc.loc[by_address, "distance_m"].isna().all()
    assert len(result.rejects) == 3 and set(result.rejects["reason"]) == {"missing_coordinates"}
    assert result.rejects["row"].tolist() == [2, 3, 4]


def test_address_mismatch_flags_pins_in_the_wrong_subdistrict(boundaries):
    villages = synthetic.model_villages(["12"], mismatch=0.4, seed=51, boundaries=boundaries)
    acc = locate(villages, boundaries=boundaries).accepted
    expected = villages["declared_subdistrict_code"] != villages["subdistrict_code"]
    assert expected.sum() > 5
    assert (acc["address_mismatch"].to_numpy() == expected.to_numpy()).all()
    assert (acc["declared_subdistrict_code"] != acc["subdistrict_code"].astype(str)).sum() == expected.sum()


def test_existing_rejects_are_kept_and_rows_still_add_up(boundaries):
    pins = synthetic.sample_points(50, codes=["40"], seed=61, boundaries=boundaries).assign(row=range(2, 52))
    pins.loc[0, ["lon", "lat"]] = [90.0, 10.0]  # in the Andaman Sea
    pins.loc[0, "geometry"] = shapely.Point(90.0, 10.0)
    earlier = pd.DataFrame({"row": [52], "reason": ["duplicate_id"], "message": [reject_message("duplicate_id")]})
    records = Records(accepted=pins, rejects=earlier, rows_read=51, kind="pins")
    result = locate(records, boundaries=boundaries)
    assert result.rows_read == 51 == len(result.accepted) + len(result.rejects)
    assert sorted(result.rejects["reason"]) == ["duplicate_id", "outside_boundaries"]
    assert 2 in set(result.rejects["row"])


def test_plots_are_located_by_a_point_inside_the_polygon(boundaries):
    farms = synthetic.plots(200, codes=["30"], seed=71, boundaries=boundaries).drop(columns=["lat", "lon"])
    acc = locate(farms, boundaries=boundaries).accepted
    assert (acc["subdistrict_code"].astype(str) == farms["subdistrict_code"]).all()
    assert (acc.geom_type == "Polygon").all()


def test_index_is_saved_beside_the_snapshot_and_reloads_identically(index, subdistricts, boundaries):
    from geoplots.boundaries import INDEX_FILE

    saved = boundaries.path / INDEX_FILE
    assert saved.is_file()
    again = SubdistrictIndex.load(saved, subdistricts["code"].to_numpy(), subdistricts.geometry.to_numpy())
    assert again is not None
    for name in ("top", "fine", "cand_start", "cand", "codes"):
        np.testing.assert_array_equal(getattr(again, name), getattr(index, name))
    # A different set of codes (another import) must not reuse it.
    assert SubdistrictIndex.load(saved, subdistricts["code"].to_numpy()[:-1], subdistricts.geometry.to_numpy()[:-1]) is None


def test_partition_function_is_pure_and_chunks_agree_with_the_whole(boundaries, index):
    from geoplots.locating import locate_partition

    pins = synthetic.sample_points(3000, seed=81, boundaries=boundaries)
    before = pins.copy()
    whole = locate_partition(pins, index=index)
    pd.testing.assert_frame_equal(pins, before)  # the input is not modified
    parts = [locate_partition(pins.iloc[i : i + 1000], index=index) for i in range(0, 3000, 1000)]
    joined = pd.concat(parts)  # same categories in every partition, so concat keeps them
    assert isinstance(joined["subdistrict_code"].dtype, pd.CategoricalDtype)
    pd.testing.assert_frame_equal(joined, whole)
    assert whole["reject_reason"].isna().all()


def test_plain_table_with_lat_lon_or_codes(boundaries):
    pins = synthetic.sample_points(20, codes=["40"], seed=91, boundaries=boundaries)
    table = pd.DataFrame({"lat": pins["lat"], "lon": pins["lon"], "declared_subdistrict_code": pins["subdistrict_code"]})
    table.loc[0, ["lat", "lon"]] = np.nan  # placed by its address instead
    acc = locate(table, boundaries=boundaries).accepted
    assert (acc["subdistrict_code"].astype(str) == pins["subdistrict_code"]).all()
    assert acc["match"].tolist() == ["address"] + ["inside"] * 19
    assert not acc["address_mismatch"].any()
    with pytest.raises(geoplots.GeoplotsError, match="lat"):
        locate(pd.DataFrame({"name": ["x"]}), boundaries=boundaries)
