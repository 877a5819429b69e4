"""Each map layer on the real boundaries: what it embeds, how it is styled, what it says."""

from __future__ import annotations

import json
import warnings

import folium
import numpy as np
import pandas as pd
import pytest
import shapely
from folium.plugins import FastMarkerCluster, HeatMap, MarkerCluster

from geoplots.layers.pins import CompactPins

import geoplots
from geoplots.errors import GeoplotsError
from geoplots.layers import (
    BOUNDARY_ATTRIBUTION,
    MET,
    TIERS,
    BoundaryOutlines,
    CoverageChoropleth,
    Gaps,
    ZoneOutlines,
    dissolve_groups,
    household_heat,
    pins,
    popup_html,
)
from geoplots.layers import palette
from geoplots.layers.palette import NO_DATA_COLOR
from geoplots.synthetic import model_villages, sample_points
from tests._maps_support import ZONE12, count_units, household_units, unpack


def _render(layer) -> str:
    m = folium.Map(tiles=None)
    layer.add_to(m)
    return m.get_root().render()


def _data(layer) -> dict:
    return json.loads(layer.data_json())


@pytest.fixture(scope="module")
def zone12_counts(boundaries):
    pts = sample_points(1500, codes=ZONE12, seed=3, boundaries=boundaries)
    return count_units("district", pts["subdistrict_code"], min_count=20, provinces=ZONE12,
                       boundaries=boundaries)


def test_boundary_outlines_name_every_unit_in_thai_and_english(boundaries):
    provinces = boundaries.level("province")
    layer = BoundaryOutlines(provinces)
    data = _data(layer)
    assert data["props"]["code"] == provinces["code"].tolist()
    assert data["props"]["name_th"] == provinces["name_th"].tolist()
    assert data["props"]["name_en"] == provinces["name_en"].tolist()
    assert [row[0] for row in layer.tooltip][:2] == ["name_th", "name_en"]
    # Only the columns the map shows travel to the page.
    assert set(data["props"]) == {"code", "name_th", "name_en"}
    html = _render(layer)
    assert "ขอนแก่น" in html  # UTF-8 in the page, not \\u escapes
    assert BOUNDARY_ATTRIBUTION in html and "OCHA, Royal Thai Survey Department" in BOUNDARY_ATTRIBUTION


def test_boundary_outlines_infer_level_and_reject_mixed_codes(boundaries):
    districts = boundaries.level("district")
    assert BoundaryOutlines(districts.head(30)).level == "district"
    mixed = pd.concat([districts.head(2), boundaries.level("province").head(2)])
    with pytest.raises(ValueError):
        BoundaryOutlines(mixed)


def test_packed_geometry_decodes_to_the_simplified_polygons(boundaries):
    units = boundaries.level("subdistrict")
    units = units[units["province_code"] == "40"]
    layer = BoundaryOutlines(units)
    decoded = unpack(_data(layer))
    assert len(decoded) == len(units)
    for geom, polys in zip(layer.frame.geometry, decoded):
        parts = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        assert len(parts) == len(polys)
        for part, rings in zip(parts, polys):
            expected = [part.exterior, *part.interiors]
            assert len(rings) == len(expected)
            for ring, got in zip(expected, rings):
                want = np.asarray(ring.coords)[:-1]  # closing point left out
                assert np.allclose(np.asarray(got), want, atol=0.5 / _data(layer)["scale"])


def test_choropleth_by_met_legend_counts_and_styles(zone12_counts):
    layer = CoverageChoropleth(zone12_counts)
    assert layer.by == "met"
    data = _data(layer)
    met = zone12_counts["met"].tolist()
    empty = (zone12_counts["count"] == 0).tolist()
    keys = ["true" if v else ("no_data" if e else "false") for v, e in zip(met, empty)]
    assert data["props"]["met_key"] == keys
    expected = {k: keys.count(k) for k in ("true", "false")}
    assert {k: layer.legend.counts[k] for k in expected} == expected
    colors = {c.key: c.color for c in MET}
    assert layer.styles["true"]["fillColor"] == colors["true"]
    assert layer.styles["false"]["fillColor"] == colors["false"]
    legend = layer.legend.html()
    assert "ถึงเป้า" in legend and "ยังไม่ถึงเป้า" in legend
    assert f"<b>{expected['false']}</b>" in legend
    html = _render(layer)
    assert "ความครอบคลุมรายอำเภอ" in html  # legend title names the level in Thai


def test_choropleth_by_tier_uses_the_four_tiers(boundaries):
    units = household_units("subdistrict", provinces=["40"], boundaries=boundaries)
    layer = CoverageChoropleth(units)
    assert layer.by == "tier"
    data = _data(layer)
    assert data["props"]["tier"] == units["tier"].tolist()
    assert [round(v, 1) for v in units["rate"] * 100] == data["props"]["rate_pct"]
    counts = units["tier"].value_counts().to_dict()
    for tier in TIERS:
        assert layer.legend.counts.get(tier.key, 0) == counts.get(tier.key, 0)
        assert tier.label_th in layer.legend.html()
    # Tier words are looked up in the browser, not repeated in every feature.
    tier_row = next(row for row in layer.tooltip if row[0] == "tier")
    assert tier_row[2]["plaque"].startswith("โล่")


def test_choropleth_shows_units_without_records_as_no_data_not_failed(zone12_counts):
    units = zone12_counts.copy()
    units.loc[units.index[:3], ["count", "met"]] = [0, False]
    units.loc[units.index[3], ["count", "met"]] = [1, False]
    layer = CoverageChoropleth(units)
    keys = _data(layer)["props"]["met_key"]
    assert keys[:4] == ["no_data", "no_data", "no_data", "false"]
    assert layer.legend.counts["no_data"] == int((units["count"] == 0).sum()) >= 3
    assert layer.styles["no_data"]["fillColor"] == NO_DATA_COLOR != layer.styles["false"]["fillColor"]
    assert "ไม่มีข้อมูล" in layer.legend.html()
    tiers = units.assign(households=units["count"], participating=0, rate=None, tier="not_passed")
    assert _data(CoverageChoropleth(tiers, by="tier"))["props"]["tier"][:4] == ["no_data"] * 3 + ["not_passed"]


def test_choropleth_rejects_a_table_without_the_column(zone12_counts):
    with pytest.raises(GeoplotsError, match="tier"):
        CoverageChoropleth(zone12_counts, by="tier")
    with pytest.raises(GeoplotsError, match="name_th"):
        CoverageChoropleth(zone12_counts.drop(columns=["name_th"]))


def test_gaps_are_exactly_the_units_that_miss_their_target(zone12_counts):
    layer = Gaps(zone12_counts)
    expected = zone12_counts.loc[~zone12_counts["met"], "code"].tolist()
    assert expected, "the synthetic sample should leave some districts short"
    assert _data(layer)["props"]["code"] == expected
    assert layer.missed == len(expected)
    assert layer.styles["_default"]["weight"] >= 3  # drawn to stand out
    # Same simplification as the choropleth, so the red outlines sit on its borders.
    choropleth = CoverageChoropleth(zone12_counts)
    same = choropleth.frame.set_index("code").geometry
    for code, geom in zip(layer.frame["code"], layer.frame.geometry):
        assert geom.equals_exact(same[code], 0)


def test_zone_outlines_dissolve_provinces_by_inspection_zone(boundaries):
    provinces = boundaries.level("province")
    zones = dissolve_groups(provinces)
    scheme = geoplots.inspection_zones()
    assert zones["group"].tolist() == scheme.groups()
    z12 = zones.set_index("group").loc["12"]
    members = provinces[provinces["code"].isin(scheme.codes_in("12"))]
    assert set(z12["provinces"].split(", ")) == set(members["name_th"])
    assert z12.geometry.area == pytest.approx(shapely.union_all(members.geometry.values).area, rel=1e-6)
    layer = ZoneOutlines(provinces)
    labels = _data(layer)["props"]["label"]
    assert "เขตตรวจราชการที่ 12" in labels


def test_pins_small_sets_use_marker_cluster_with_popups(boundaries):
    villages = model_villages(["12"], seed=2, mismatch=0.2, boundaries=boundaries)
    villages["match"] = "inside"
    villages["address_mismatch"] = villages["declared_subdistrict_code"] != villages["subdistrict_code"]
    villages["photo_url"] = None
    villages.loc[villages.index[0], "photo_url"] = "https://photos.example/kk/plot1.jpg"
    layer = pins(villages)
    assert isinstance(layer, MarkerCluster) and not isinstance(layer, FastMarkerCluster)
    markers = [c for c in layer._children.values() if isinstance(c, folium.CircleMarker)]
    assert len(markers) == len(villages)
    html = _render(layer)
    assert villages["village_name"].iloc[0] in html
    assert "plot1.jpg" in html
    flagged = int(villages["address_mismatch"].sum())
    assert flagged > 0
    assert html.count("address differs from location") == flagged


def test_pins_many_are_sent_as_compact_columns(boundaries):
    pts = sample_points(2500, codes=["40"], seed=5, boundaries=boundaries)
    pts["match"] = "inside"
    pts["name"] = "<img src=x onerror=alert(1)>"
    pts["photo_url"] = "javascript:alert(1)"
    layer = pins(pts, places={c: ("ตำบลทดสอบ", "อำเภอ", "จังหวัด") for c in pts["subdistrict_code"]})
    assert isinstance(layer, CompactPins) and not isinstance(layer, MarkerCluster)
    assert [name for name, _ in layer.default_js] == ["supercluster"]  # shipped: geoplots.layers.assets
    cols = layer.columns
    assert len(cols["lat"]) == len(cols["lon"]) == len(cols["name"]) == len(pts)
    assert layer.pin_count == len(pts)
    assert cols["names"] == ["<img src=x onerror=alert(1)>"]  # one repeated name: one table entry
    assert "photos" not in cols  # unsafe links are dropped, not sent
    assert {p[1] for p in cols["places"]} == {"ตำบลทดสอบ"}
    script = _render(layer)
    # Record text reaches the page only as JSON data, and the popup uses textContent.
    assert "innerHTML" not in script and "textContent" in script
    assert "<img src=x" not in script


def test_popup_shows_codes_match_flag_and_safe_photo():
    row = {"name": "<script>x</script>", "record_id": "P-1", "subdistrict_code": "400101",
           "district_code": "4001", "province_code": "40", "match": "nearest", "distance_m": 412.4,
           "address_mismatch": True, "declared_subdistrict_code": "400102",
           "photo_url": "javascript:alert(1)"}
    html = popup_html(row)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "400101" in html and "4001" in html and "P-1" in html
    assert "412" in html and "nearest" in html
    assert "400102" in html and "address differs" in html
    assert "javascript:" not in html
    row["photo_url"] = "https://photos.example/a.jpg"
    assert '<img src="https://photos.example/a.jpg"' in popup_html(row)
    row["address_mismatch"] = False
    assert "address differs" not in popup_html(row)


def test_heat_counts_drawable_households_and_reports_the_rest(boundaries):
    pts = sample_points(300, codes=["40"], seed=7, boundaries=boundaries)
    pts["has_garden"] = pd.array(np.arange(len(pts)) % 3 != 0, dtype="boolean")
    pts.loc[pts.index[:5], ["lat", "lon"]] = np.nan  # placed by address only
    with pytest.warns(UserWarning, match="5 of 300"):
        layer = household_heat(pts)
    assert isinstance(layer, HeatMap)
    assert layer.point_count == 295
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = household_heat(pts, weight="has_garden")
    expected = int(pts["has_garden"].iloc[5:].sum())
    assert weighted.point_count == expected
    with pytest.raises(GeoplotsError, match="garden"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        household_heat(pts, weight="gardens")


def test_background_is_a_small_shipped_layer_of_thailand_and_its_neighbours():
    from geoplots.layers import Background
    from geoplots.layers.assets import vendor_dir
    from geoplots.layers.background import BACKGROUND_FILE, background_countries

    shipped = vendor_dir() / BACKGROUND_FILE
    assert shipped.stat().st_size < 150_000 and (shipped.parent / "LICENSE").is_file()
    countries = background_countries()
    assert {"Thailand", "Laos", "Cambodia", "Myanmar", "Malaysia", "Vietnam"} <= set(countries["name"])
    x0, y0, x1, y1 = countries.total_bounds
    assert x0 < 97.3 and x1 > 105.7 and y0 < 5.6 and y1 > 20.5  # Thailand's extent, with room around it
    layer = Background()
    options = json.loads(layer.options_json())
    assert options["interactive"] is False and not layer.control  # never takes the pointer
    html = _render(layer)
    assert f"background: {palette.SEA_COLOR}" in html and palette.LAND_COLOR in html


def test_offline_map_has_the_background_first_and_a_basemap_replaces_it(tiny_boundaries):
    from geoplots.layers import Background

    offline = geoplots.map(level="province", boundaries=tiny_boundaries)
    layers = [c for c in offline._children.values() if isinstance(c, folium.map.Layer)]
    assert isinstance(layers[0], Background)
    online = geoplots.map(level="province", offline=False, boundaries=tiny_boundaries)
    assert not any(isinstance(c, Background) for c in online._children.values())
