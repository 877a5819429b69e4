"""geoplots.map: composing layers, fitting the view, tiles and the offline page."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
from folium.plugins import Draw

import geoplots
from geoplots.errors import GeoplotsError
from geoplots.layers import BOUNDARY_ATTRIBUTION, BoundaryOutlines, CoverageChoropleth, Gaps, ZoneOutlines
from geoplots.layers.assets import ASSETS, vendor_dir
from geoplots.maps import Map, to_html
from geoplots.synthetic import model_villages, sample_points
from tests._maps_support import ZONE12, count_units, embedded_data

# A <script src=...> or <link href=...> pointing at the network.
REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def district_counts(boundaries):
    pts = sample_points(3000, seed=11, boundaries=boundaries)
    return count_units("district", pts["subdistrict_code"], min_count=4, boundaries=boundaries)


def _layers(m, kind):
    return [c for c in m._children.values() if isinstance(c, kind)]


def test_zone_map_shows_only_the_zone_and_fits_to_it(district_counts, boundaries):
    m = geoplots.map(district_counts, zone=12, boundaries=boundaries)
    choropleth = _layers(m, CoverageChoropleth)[0]
    zone_codes = set(geoplots.inspection_zones().codes_in("12"))
    assert set(choropleth.frame["code"].str[:2]) == zone_codes
    expected_n = int(district_counts["code"].str[:2].isin(zone_codes).sum())
    assert len(choropleth.frame) == expected_n
    provinces = boundaries.level("province")
    x0, y0, x1, y1 = provinces[provinces["code"].isin(zone_codes)].total_bounds
    fit = [c for c in m._children.values() if type(c).__name__ == "FitBounds"][0]
    assert fit.bounds == [[pytest.approx(y0), pytest.approx(x0)], [pytest.approx(y1), pytest.approx(x1)]]
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())
    # Gaps are drawn for a zone map, and they are the zone's units short of target.
    gaps = _layers(m, Gaps)[0]
    assert gaps.show
    assert set(gaps.frame["code"]) == set(choropleth.frame.loc[~choropleth.frame["met_key"].eq("true"), "code"])


def test_province_and_district_by_code_or_name(boundaries):
    by_name = geoplots.map(level="subdistrict", province="ขอนแก่น", boundaries=boundaries)
    by_code = geoplots.map(level="subdistrict", province="40", boundaries=boundaries)
    codes = lambda m: _layers(m, BoundaryOutlines)[0].frame["code"].tolist()  # noqa: E731
    assert codes(by_name) == codes(by_code)
    expected = boundaries.level("subdistrict")
    assert codes(by_code) == expected.loc[expected["province_code"] == "40", "code"].tolist()
    district = geoplots.map(level="subdistrict", district="4001", boundaries=boundaries)
    assert set(c[:4] for c in codes(district)) == {"4001"}
    with pytest.raises(GeoplotsError, match="zone"):
        geoplots.map(level="district", zone="99", boundaries=boundaries)
    with pytest.raises(GeoplotsError, match="province"):
        geoplots.map(level="district", province="Atlantis", boundaries=boundaries)
    with pytest.raises(GeoplotsError, match="only one"):
        geoplots.map(level="district", zone=12, province="40", boundaries=boundaries)


def test_every_map_that_draws_boundaries_credits_them(district_counts, boundaries):
    for m in (geoplots.map(district_counts, boundaries=boundaries),
              geoplots.map(level="province", tiles=None, boundaries=boundaries)):
        assert BOUNDARY_ATTRIBUTION in to_html(m)


def test_tiles_none_custom_url_and_default(boundaries):
    html = to_html(geoplots.map(level="province", tiles=None, boundaries=boundaries))
    assert "tile.openstreetmap.org" not in html and "L.tileLayer" not in html
    url = "https://tiles.district.go.th/{z}/{x}/{y}.png"
    html = to_html(geoplots.map(level="province", tiles=url, tiles_attribution="DOPA tiles",
                                boundaries=boundaries))
    assert url in html and "DOPA tiles" in html
    assert "tile.openstreetmap.org" in to_html(geoplots.map(level="province", offline=False,
                                                            boundaries=boundaries))
    # The default is offline with no basemap: nothing to fetch; tiles only when asked.
    html = to_html(geoplots.map(level="province", boundaries=boundaries))
    assert "L.tileLayer" not in html and not REMOTE_ASSET.search(html)


def test_offline_inline_page_needs_no_network(district_counts, tmp_path, boundaries):
    villages = model_villages(["12"], seed=4, boundaries=boundaries)
    villages["match"] = "inside"
    m = geoplots.map(district_counts, villages, zone=12, heat=True, offline=True, boundaries=boundaries)
    path = tmp_path / "zone12.html"
    m.save(str(path))
    html = path.read_text(encoding="utf-8")
    assert not REMOTE_ASSET.search(html), REMOTE_ASSET.search(html)
    leaflet = (vendor_dir() / ASSETS["leaflet"].path).read_text(encoding="utf-8")
    assert leaflet[:2000] in html  # Leaflet itself is in the page
    assert "markerClusterGroup" in html and "L.heatLayer" in html
    jquery = (vendor_dir() / ASSETS["jquery"].path).read_text(encoding="utf-8")
    assert jquery[:2000] in html  # folium popups are built with $(...)
    # The embedded choropleth carries the zone's districts.
    packed = embedded_data(html)
    assert any(set(p["props"].get("code", [])) and all(c[:2] in ZONE12 for c in p["props"]["code"]) for p in packed)


def test_offline_url_prefix_links_the_vendor_files(boundaries):
    html = to_html(geoplots.map(level="province", offline="/vendor", boundaries=boundaries))
    links = re.findall(r"<(?:script|link)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", html)
    assert links and all(link.startswith("/vendor/") for link in links)
    for link in links:
        assert (vendor_dir() / link.removeprefix("/vendor/")).is_file()


def test_offline_refuses_a_plugin_it_cannot_serve(boundaries):
    m = geoplots.map(level="province", offline=True, boundaries=boundaries)
    Draw().add_to(m)
    with pytest.raises(GeoplotsError, match="offline"):
        to_html(m)


def test_online_map_keeps_folium_cdn_links_untouched(boundaries):
    before = list(folium.Map.default_js)
    to_html(geoplots.map(level="province", offline=True, boundaries=boundaries))
    assert folium.Map.default_js == before  # offline must not leak into other maps
    html = to_html(geoplots.map(level="province", offline=False, boundaries=boundaries))
    assert "cdn.jsdelivr.net/npm/leaflet" in html


def test_offline_map_refuses_icons_it_does_not_ship(boundaries):
    # Font Awesome is not shipped: a folium.Icon offline would draw empty markers, so say so.
    m = geoplots.map(level="province", boundaries=boundaries)
    folium.Marker([14.0, 100.5], icon=folium.Icon(icon="home")).add_to(m)
    with pytest.raises(GeoplotsError, match="Font Awesome"):
        to_html(m)


def test_vendored_assets_are_package_files_with_licences():
    root = vendor_dir()
    assert root.is_relative_to(Path(geoplots.__file__).parent)  # inside the package, not a setup-time folder
    for asset in ASSETS.values():
        assert (root / asset.path).is_file(), asset.path
    versions = (root / "VERSIONS").read_text(encoding="utf-8")
    for package in ("leaflet ", "leaflet.markercluster", "jquery", "swagger-ui-dist", "leaflet.heat"):
        assert package in versions
    for folder in ("leaflet", "leaflet.markercluster", "jquery", "swagger-ui-dist"):
        assert (root / folder / "LICENSE").stat().st_size > 500
    assert "Leaflet.heat" in (root / "LICENSES").read_text(encoding="utf-8")


def test_national_subdistrict_map_is_light(boundaries):
    pts = sample_points(20000, seed=1, boundaries=boundaries)
    units = count_units("subdistrict", pts["subdistrict_code"], min_count=3, boundaries=boundaries)
    m = geoplots.map(units, offline=True, boundaries=boundaries)
    assert isinstance(m, Map) and m.get_root() is not None
    html = to_html(m)
    assert len(units) == len(boundaries.level("subdistrict"))
    assert len(html.encode("utf-8")) <= 3_000_000
    assert '"preferCanvas": true' in html
    assert "jQuery" not in html  # no popups on this map: jQuery stays out
    # Thousands of gaps would hide the country: listed in the control, switched off.
    assert not _layers(m, Gaps)[0].show
    assert _layers(m, ZoneOutlines)


def test_a_rule_map_legend_names_the_rule(boundaries):
    from geoplots.counting import RULES

    villages = model_villages(["12"], seed=6, boundaries=boundaries)
    cov = RULES["model_villages"](villages, zone=12, boundaries=boundaries)
    legend = _layers(geoplots.map(cov, zone=12, boundaries=boundaries), CoverageChoropleth)[0].legend
    assert legend.title == f"{RULES['model_villages'].title} · รายอำเภอ"
    assert RULES["model_villages"].title_th in legend.html()
    plain = _layers(geoplots.map(geoplots.coverage(villages, zone=12, boundaries=boundaries), zone=12,
                                 boundaries=boundaries), CoverageChoropleth)[0]
    assert plain.legend.title == "ความครอบคลุมรายอำเภอ (coverage)"
