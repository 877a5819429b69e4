"""Declared address against located unit at the finest level declared, with the distance
to the declared unit and a near-border class. Built from the real boundaries."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geoplots


def _expected_distance(point, unit_geom):
    pts = gpd.GeoSeries([point], crs=4326).to_crs(32647)
    return float(pts.distance(gpd.GeoSeries([unit_geom], crs=4326).to_crs(32647).iloc[0]).iloc[0])


@pytest.fixture(scope="module")
def pair(tiny_boundaries):
    """Two neighbouring sub-districts of one province in different districts, and a point
    inside the first at a few tens of metres from the second, and one deep inside."""
    sub = tiny_boundaries.level("subdistrict").set_index("code")
    for a in sub.index:
        for b in sub.index:
            if a[:2] == b[:2] and a[:4] != b[:4] and sub.geometry[a].touches(sub.geometry[b]):
                shared = sub.geometry[a].intersection(sub.geometry[b])
                if shared.length == 0:
                    continue
                edge = shapely.line_interpolate_point(shapely.line_merge(shared) if shared.geom_type == "MultiLineString" else shared, 0.5, normalized=True)
                inner = sub.geometry[a].representative_point()
                # 0.0005 degree (about 50 m) from the shared border toward the inside of a.
                step = np.array([inner.x - edge.x, inner.y - edge.y])
                near = shapely.Point(edge.x + step[0] / np.hypot(*step) * 0.0005, edge.y + step[1] / np.hypot(*step) * 0.0005)
                if sub.geometry[a].contains(near) and sub.geometry[a].contains(inner):
                    return sub, a, b, near, inner
    pytest.skip("no neighbouring sub-districts in different districts")  # pragma: no cover


def test_mismatch_at_the_finest_level_declared(pair, tiny_boundaries):
    sub, a, b, near, inner = pair
    other_province = next(c for c in sub.index if c[:2] != a[:2])
    frame = pd.DataFrame({
        "id": ["same", "near", "far_district", "far_province", "no_address"],
        "lat": [inner.y, near.y, inner.y, inner.y, inner.y],
        "lon": [inner.x, near.x, inner.x, inner.x, inner.x],
        "declared_subdistrict_code": [a, b, None, None, None],
        "declared_district_code": [a[:4], b[:4], b[:4], None, None],
        "declared_province_code": [a[:2], b[:2], a[:2], other_province[:2], None],
    })
    frame = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame.lon, frame.lat), crs=4326)
    located = geoplots.locate(frame, boundaries=tiny_boundaries, schemes=()).accepted.set_index("id")
    assert located["address_mismatch"].tolist() == [False, True, True, True, False]
    assert located["mismatch_level"].astype(object).where(located["address_mismatch"]).tolist()[1:4] == \
        ["subdistrict", "district", "province"]
    district_b = sub[sub.index.str[:4] == b[:4]].union_all()
    province = sub[sub.index.str[:2] == other_province[:2]].union_all()
    expected = [_expected_distance(near, sub.geometry[b]), _expected_distance(inner, district_b),
                _expected_distance(inner, province)]
    got = located.loc[["near", "far_district", "far_province"], "mismatch_distance_m"].to_numpy()
    assert np.allclose(got, expected, rtol=0.01, atol=1)
    classes = ["near_border" if d <= 250 else "elsewhere" for d in expected]
    assert located.loc[["near", "far_district", "far_province"], "mismatch_class"].tolist() == classes
    assert classes[0] == "near_border"
    assert located.loc[["same", "no_address"], "mismatch_class"].isna().all()
    # The near-border distance is configurable.
    strict = geoplots.locate(frame, boundaries=tiny_boundaries, schemes=(), near_border_m=1).accepted
    assert strict.set_index("id").loc["near", "mismatch_class"] == "elsewhere"
