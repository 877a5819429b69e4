"""Web geometry: shared borders kept, coordinates rounded, nothing dropped."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from geoplots.layers._geojson import pack_polygons
from geoplots.layers._simplify import default_tolerance, precision_for, web_geometry
from tests._maps_support import unpack


@pytest.fixture(scope="module")
def subdistricts(boundaries):
    return boundaries.level("subdistrict")


def test_simplified_national_coverage_keeps_shared_borders(subdistricts):
    light = web_geometry(subdistricts, ["code", "name_th"])
    assert light["code"].tolist() == subdistricts["code"].tolist()
    assert list(light.columns) == ["code", "name_th", "geometry"]
    assert not light.geometry.is_empty.any()
    raw_n = shapely.get_num_coordinates(subdistricts.geometry.values).sum()
    new_n = shapely.get_num_coordinates(light.geometry.values).sum()
    assert new_n < 0.9 * raw_n
    # No gaps and no overlaps opened between neighbours: the pieces add up to their union,
    # and their union covers what the raw coverage covered.
    geoms = light.geometry.values
    # Rounding may pinch a ring; repair structurally (areas only) before measuring.
    geoms = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    union = shapely.union_all(geoms)
    raw_area = shapely.coverage_union_all(subdistricts.geometry.values).area
    assert shapely.area(geoms).sum() == pytest.approx(union.area, rel=2e-3)
    assert union.area == pytest.approx(raw_area, rel=2e-3)
    # Rounded to the precision the tolerance needs.
    decimals = precision_for(default_tolerance(subdistricts))
    xy = shapely.get_coordinates(light.geometry.values)
    assert np.allclose(xy, np.round(xy, decimals), atol=1e-9)


def test_shared_border_is_identical_on_both_sides(subdistricts):
    light = web_geometry(subdistricts[subdistricts["province_code"] == "40"], ["code"])
    geoms = light.geometry.values
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(a, b) for a, b in zip(left, right) if a < b]
    assert len(pairs) > 100
    overlaps = shapely.area(shapely.intersection(geoms[[a for a, _ in pairs]], geoms[[b for _, b in pairs]]))
    # A shared border simplified two different ways would leave slivers of overlap.
    assert overlaps.max() < 1e-7


def test_zone_tolerance_is_finer_than_national(subdistricts):
    zone = subdistricts[subdistricts["code"].str[:2].isin(["40", "44", "45", "46"])]
    assert default_tolerance(zone) < default_tolerance(subdistricts) / 3
    assert precision_for(default_tolerance(zone)) >= precision_for(default_tolerance(subdistricts))


def test_no_unit_is_lost_even_when_tiny():
    tiny = box(100.0, 15.0, 100.00002, 15.00002)
    big = box(100.00002, 15.0, 101.0, 16.0)
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"code": ["a", "b"]}, geometry=[tiny, big], crs="EPSG:4326")
    light = web_geometry(frame, ["code"], tolerance=0.01, precision=3)
    assert not light.geometry.is_empty.any()
    assert (shapely.area(light.geometry.values) > 0).all()


def test_pack_polygons_roundtrip_with_holes_and_multipolygons():
    hole = Polygon(box(100, 15, 101, 16).exterior.coords, [box(100.2, 15.2, 100.4, 15.4).exterior.coords])
    multi = MultiPolygon([box(102, 14, 102.5, 14.5), box(103, 14, 103.25, 14.75)])
    packed = {"scale": 10**4, "geoms": pack_polygons([hole, multi], 4)}
    decoded = unpack(packed)
    assert len(decoded) == 2 and len(decoded[0]) == 1 and len(decoded[0][0]) == 2 and len(decoded[1]) == 2
    for geom, polys in zip([hole, multi], decoded):
        parts = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
        rebuilt = MultiPolygon([Polygon(rings[0], rings[1:]) for rings in polys])
        assert rebuilt.equals(MultiPolygon(parts))


def test_cached_result_is_reused_and_not_shared_mutably(subdistricts):
    sample = subdistricts.head(2000)
    first = web_geometry(sample, ["code"])
    again = web_geometry(sample, ["code"])
    assert again.geometry.geom_equals_exact(first.geometry, 0).all()
    again.geometry.values[0] = None  # a caller changing its copy must not change the cache
    assert not web_geometry(sample, ["code"]).geometry.isna().any()
