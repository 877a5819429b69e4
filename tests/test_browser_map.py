"""The exported offline map in Debian's headless Chromium: drawn, credited, no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import geoplots
from geoplots.layers.background import background_countries
from geoplots.layers.browser import CHROMIUM, CHROMIUM_ARGS, open_map
from geoplots.synthetic import model_villages, sample_points
from tests._maps_support import ZONE12, count_units

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", autouse=True)
def _chromium():
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"Chromium not found at {CHROMIUM}; scripts/setup installs Debian's chromium")


def _zone12_pins(boundaries):
    villages = model_villages(["12"], seed=8, mismatch=0.1, boundaries=boundaries)
    villages["match"] = "inside"
    villages["distance_m"] = 0.0
    villages["address_mismatch"] = villages["declared_subdistrict_code"] != villages["subdistrict_code"]
    villages["inspection_zone"] = "12"
    return villages


def test_zone12_offline_map_draws_polygons_and_pins_without_network(boundaries, tmp_path):
    pins = _zone12_pins(boundaries)
    counts = count_units("district", pins["subdistrict_code"], min_count=1, provinces=ZONE12,
                         boundaries=boundaries)
    m = geoplots.map(counts, pins, zone=12, offline=True, boundaries=boundaries)
    page = tmp_path / "zone12.html"
    m.save(str(page))
    shot = tmp_path / "zone12.png"
    r = open_map(page, screenshot=shot)
    assert r.has_leaflet and not r.errors, r.errors
    assert r.remote_requests == []
    # Districts of the zone (choropleth and gaps), province outlines and the zone outline.
    n_districts = len(counts)
    n_gaps = int((~counts["met"]).sum())
    assert r.svg_paths >= n_districts + n_gaps
    # ...over the shipped sea-and-neighbours background (drawn, never interactive).
    assert r.features == n_districts + n_gaps + len(ZONE12) + 1 + len(background_countries())
    assert "Natural Earth" in r.attribution
    assert r.clusters > 0  # pins gathered into clusters at the zone's zoom
    assert "OCHA, Royal Thai Survey Department" in r.attribution
    assert "ถึงเป้า" in r.legend
    assert shot.stat().st_size > 20_000


def test_national_subdistrict_choropleth_renders_on_canvas(boundaries, tmp_path):
    pts = sample_points(20000, seed=1, boundaries=boundaries)
    units = count_units("subdistrict", pts["subdistrict_code"], min_count=3, boundaries=boundaries)
    page = tmp_path / "national.html"
    geoplots.map(units, offline=True, boundaries=boundaries).save(str(page))
    r = open_map(page, screenshot=tmp_path / "national.png")
    assert not r.errors and r.remote_requests == []
    assert r.canvases >= 1 and r.svg_paths == 0
    provinces, zones = 77, len(geoplots.inspection_zones().groups())
    assert r.features == len(units) + int((~units["met"]).sum()) + provinces + zones + len(background_countries())


_FIND = """(kind) => {
  for (const key of Object.keys(window)) {
    let v;
    try { v = window[key]; } catch (e) { continue; }
    // Pins: Leaflet.markercluster's group (few pins) or CompactPins' supercluster group (many).
    const hit = kind === "map" ? v instanceof L.Map
        : v instanceof L.FeatureGroup && (!!v.geoplotsIndex || (L.MarkerClusterGroup && v instanceof L.MarkerClusterGroup));
    if (v && hit) { window["__" + kind] = v; return key; }
  }
  return null;
}"""


# Click the first cluster bubble in view: returns [zoom before, zoom after].
# (Resolved when the zoom animation ends: Leaflet ignores a new view while it runs.)
_CLICK_A_CLUSTER = """new Promise(resolve => {
  const group = window.__cluster, map = window.__map, before = map.getZoom();
  const bubble = group.getLayers().find(l => l._geoplotsCluster !== undefined);
  map.once('zoomend', () => resolve([before, map.getZoom()]));
  setTimeout(() => resolve([before, map.getZoom()]), 5000);
  group.fire('click', {layer: bubble, latlng: bubble.getLatLng()});
})"""

# Zoom to street level on the first pin (every pin drawn there), click the first pin in view;
# returns its row. With few pins (markercluster) the marker's own popup is opened.
_CLICK_A_PIN = """(() => {
  const group = window.__cluster, map = window.__map;
  if (!group.geoplotsIndex) {
    const m = group.getLayers()[0];
    m.getPopup().setLatLng(m.getLatLng()).openOn(map);
    return null;
  }
  const first = group.geoplotsIndex.points[0].geometry.coordinates;
  map.setView([first[1], first[0]], 16, {animate: false});
  const pin = group.getLayers().find(l => l._geoplotsRow !== undefined);
  group.fire('click', {layer: pin, latlng: pin.getLatLng()});
  return pin._geoplotsRow;
})()"""


def test_zone12_map_reads_for_an_inspector(boundaries, tmp_path):
    """Hover a gap district: its own tooltip (outlines let the pointer through); gaps named on the
    map; a title; a legend of at least 14 px; neutral clusters; popups with place names."""
    from playwright.sync_api import sync_playwright

    pins = _zone12_pins(boundaries)
    counts = count_units("district", pins["subdistrict_code"], min_count=1, provinces=ZONE12, boundaries=boundaries)
    page_path = tmp_path / "zone12.html"
    geoplots.map(counts, pins, zone=12, boundaries=boundaries).save(str(page_path))
    gaps = counts[~counts["met"].astype(bool)]
    gap = gaps.iloc[0]
    point = gap.geometry.representative_point()
    sub = boundaries.level("subdistrict").set_index("code")["name_th"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route(lambda url: url.startswith(("http://", "https://")), lambda route: route.abort())
            page.goto(page_path.as_uri(), wait_until="load")
            assert page.evaluate(_FIND, "map") and page.evaluate(_FIND, "cluster")
            page.wait_for_function("window.geoplotsPinsReady !== false")
            title = page.title()
            box_title = page.locator(".geoplots-title").text_content()
            labels = page.locator(".geoplots-label").all_text_contents()
            legend_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.geoplots-legend')).fontSize)")
            cluster_bg = page.evaluate(
                "getComputedStyle(document.querySelector('.marker-cluster div')).backgroundColor")
            xy = page.evaluate("([lat, lon]) => { const p = window.__map.latLngToContainerPoint([lat, lon]);"
                               " const r = window.__map.getContainer().getBoundingClientRect();"
                               " return [p.x + r.left, p.y + r.top]; }", [point.y, point.x])
            page.mouse.move(xy[0] - 3, xy[1] - 3)
            page.mouse.move(xy[0], xy[1])
            page.wait_for_selector(".leaflet-tooltip:not(.geoplots-label)", timeout=5000)
            hover = page.locator(".leaflet-tooltip:not(.geoplots-label)").first.text_content()
            page.evaluate(_CLICK_A_PIN)
            popup = page.locator(".leaflet-popup-content").text_content()
        finally:
            browser.close()
    assert "เขตตรวจราชการที่ 12" in title and "เขตตรวจราชการที่ 12" in box_title
    assert sorted(labels) == sorted(gaps["name_th"])  # every gap district named on the map
    assert legend_px >= 14
    r, g, b = (int(float(v)) for v in cluster_bg[cluster_bg.index("(") + 1:].rstrip(")").split(",")[:3])
    assert max(r, g, b) - min(r, g, b) < 60, cluster_bg  # grey-blue, not markercluster's orange/green
    assert gap["name_th"] in hover and "เขตตรวจราชการที่ 12" not in hover, hover
    (shown,) = [r for r in pins.itertuples() if f"ID: {r.record_id} " in popup + " "]
    assert sub[shown.subdistrict_code] in popup and shown.village_name in popup, popup


def test_compact_pins_popup_names_the_place_as_text(boundaries, tmp_path):
    """Above 2,000 pins the popups are built on open: place names, and record text as text."""
    from playwright.sync_api import sync_playwright

    from geoplots.synthetic import sample_points

    pts = sample_points(2500, codes=["40"], seed=3, boundaries=boundaries)
    pts = geoplots.locate(pts, boundaries=boundaries).accepted
    pts["village_name"] = "<img src=x onerror=window.__xss=1>บ้านโนน"
    page_path = tmp_path / "kk.html"
    geoplots.map(None, pts, province="40", boundaries=boundaries).save(str(page_path))
    sub = boundaries.level("subdistrict").set_index("code")["name_th"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri(), wait_until="load")
            assert page.evaluate(_FIND, "map") and page.evaluate(_FIND, "cluster")
            page.wait_for_function("window.geoplotsPinsReady === true")
            # A cluster bubble zooms in when clicked; a pin opens its popup.
            zoomed = page.evaluate(_CLICK_A_CLUSTER)
            row = page.evaluate(_CLICK_A_PIN)
            popup = page.locator(".leaflet-popup-content").text_content()
            xss = page.evaluate("window.__xss === 1")
        finally:
            browser.close()
    assert zoomed[1] > zoomed[0], zoomed
    first = pts.iloc[row]
    assert "<img src=x" in popup and not xss  # shown as typed, never run
    assert sub[first["subdistrict_code"]] in popup and first["subdistrict_code"] in popup
