"""Stored XSS (issue 10, item 3): record and boundary text is shown as text, never run.

Pins whose name, ID and photo link are script payloads, and boundaries whose Thai and
English names are payloads, are shown on the war-room page ``/`` (tooltips, after a live
update too), on ``/maps/coverage`` and in a ``geoplots.map(...)`` file. Headless Chromium
hovers and clicks them for real; every payload tries to set ``window.__xss`` or the page
title, and the test checks that none did and that the text is shown as typed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest

import geoplots
from server_support import Uvicorn, bearer, pin_records

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

#: Each payload would set window.__xss (or the title) if it ran.
PAYLOADS = {
    "img": '<img src=x onerror="window.__xss=\'img\'">',
    "script": "<script>window.__xss='script'</script>",
    "template": "${window.__xss='template'}",
    "backtick": "\\\\`;window.__xss='backtick';`",
    "breakout": "\"><svg onload=\"window.__xss='svg'\"><b x='",
    "title": "</title><script>document.title='pwned'</script>",
}
#: Photo links that must never become a script link or break out of the attribute.
PHOTOS = {
    "img": "javascript:window.__xss='photo-js'",
    "script": "\x01javascript:window.__xss='photo-ctrl'",
    "template": "java\tscript:window.__xss='photo-tab'",
    "backtick": "photos/a.jpg\" onerror=\"window.__xss='photo-attr'",
    "breakout": "https://example.invalid/p.jpg' onload='window.__xss=1",
    "title": "data:text/html,<script>window.__xss='photo-data'</script>",
}

# Keep a handle on every Leaflet map a page makes, to find a pin's pixel (then hover for real).
_HOOK = """
(() => {
  let real;
  Object.defineProperty(window, "L", {configurable: true, get() { return real; }, set(v) {
    real = v;
    if (v && v.Map && v.Map.addInitHook) {
      v.Map.addInitHook(function () { (window.__maps = window.__maps || []).push(this); });
    }
  }});
  window.__csp = [];
  document.addEventListener("securitypolicyviolation",
    e => window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || "")));
})();
"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def hostile_records(boundaries, seed: int = 5) -> list[dict]:
    """One zone-12 pin per payload: the payload as its name, ID and photo link."""
    records, _ = pin_records(len(PAYLOADS), seed=seed, boundaries=boundaries)
    out = []
    for (label, payload), rec in zip(PAYLOADS.items(), records):
        out.append({"id": f"{label}:{payload}", "name": payload, "lat": rec["lat"], "lon": rec["lon"],
                    "photo_url": PHOTOS[label], "note": payload})
    return out


@pytest.fixture(scope="module")
def hostile_boundaries(boundary_dir, tmp_path_factory) -> Path:
    """A copy of the real boundaries whose zone-12 units are named with payloads."""
    from geoplots.boundaries._store import write_snapshot

    dest = tmp_path_factory.mktemp("hostile-boundaries")
    source = geoplots.Boundaries.load(boundary_dir)
    manifest = source.info()
    frames = {}
    for level in manifest["levels"]:
        frame = source.level(level)
        zone12 = frame["code"].str[:2].isin(["40", "44", "45", "46"])
        frame.loc[zone12, "name_th"] = PAYLOADS["img"] + PAYLOADS["template"]
        frame.loc[zone12, "name_en"] = PAYLOADS["breakout"] + PAYLOADS["script"]
        frames[level] = frame
    write_snapshot(dest, frames, manifest["levels"])
    return dest


def _page(browser, **kw):
    page = browser.new_page(viewport={"width": 1600, "height": 1000}, **kw)
    page.add_init_script(_HOOK)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (errors.append("dialog: " + d.message), d.dismiss()))
    # Nothing may leave the machine (a payload might try to).
    page.route(lambda url: not url.startswith(("http://127.0.0.1", "file:", "data:", "about:")),
               lambda route: route.abort())
    return page, errors


def _hover(page, lat: float, lon: float, zoom: int = 13) -> tuple[float, float]:
    """Centre the map on (lat, lon), let its layers settle, then move the real mouse there."""
    page.evaluate("""([lat, lon, zoom]) => {
        window.__maps[window.__maps.length - 1].setView([lat, lon], zoom, {animate: false});
    }""", [lat, lon, zoom])
    page.wait_for_timeout(400)  # marker clusters re-cluster after the zoom
    x, y = page.evaluate(
        """([lat, lon]) => {
            const m = window.__maps[window.__maps.length - 1];
            const p = m.latLngToContainerPoint([lat, lon]);
            const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.move(5, 5)
    page.wait_for_timeout(100)
    page.mouse.move(x - 1, y - 1)
    page.mouse.move(x, y, steps=3)
    return x, y


def _tooltip(page) -> tuple[str, int]:
    page.wait_for_selector(".leaflet-tooltip", state="visible", timeout=10_000)
    return page.evaluate("""() => {
        const t = [...document.querySelectorAll('.leaflet-tooltip')].pop();
        return [t.textContent, t.querySelectorAll('img, script, svg, b, iframe').length];
    }""")


def _assert_nothing_ran(page, errors, title: str) -> None:
    page.wait_for_timeout(300)  # an <img onerror> fires once the image fails
    assert page.evaluate("window.__xss") is None, page.evaluate("window.__xss")
    assert page.title() == title
    assert not [e for e in errors if "dialog" in e], errors


def _unit_point(boundaries: Path, taken: list[tuple[float, float]]) -> tuple[float, float]:
    """A point inside a zone-12 district with no pin in it (so hovering finds the unit)."""
    units = geoplots.Boundaries.load(boundaries).level("district")
    units = units[units["code"].str[:2] == "40"]
    pins = gpd.GeoSeries(gpd.points_from_xy([p[1] for p in taken], [p[0] for p in taken]), crs=4326)
    free = units[~units.intersects(pins.union_all().buffer(0.02))]
    pt = free.geometry.iloc[0].representative_point()
    return pt.y, pt.x


def test_warroom_shows_hostile_names_as_text(browser, tmp_path, hostile_boundaries, boundaries):
    from geoplots.server.store import open_store

    db = tmp_path / "xss.gpkg"
    with open_store(db) as store:
        _, key = store.create_key("editor", name="xss test")
    records = hostile_records(boundaries)
    with Uvicorn(db, hostile_boundaries, GEOPLOTS_SSE_POLL_SECONDS="1") as server:
        res = httpx.post(server.url + "/api/pins", json=records[:3], headers=bearer(key), timeout=60)
        assert res.status_code == 201, res.text
        page, errors = _page(browser)
        page.goto(server.url + "/")
        title = page.title()
        page.wait_for_function("() => document.getElementById('count-records').textContent.trim() === '3'",
                               timeout=20_000)
        page.wait_for_function("() => document.getElementById('count-total').textContent.trim() !== '–'",
                               timeout=20_000)
        page.wait_for_function("() => document.getElementById('live').className === 'on'", timeout=20_000)

        # the rest arrive while the page is open: drawn after a live (SSE) update
        res = httpx.post(server.url + "/api/pins", json=records[3:], headers=bearer(key), timeout=60)
        assert res.status_code == 201, res.text
        page.wait_for_function(f"() => document.getElementById('count-records').textContent.trim() === '{len(records)}'",
                               timeout=20_000)
        page.wait_for_timeout(500)

        for rec in records:
            _hover(page, float(rec["lat"]), float(rec["lon"]))
            text, elements = _tooltip(page)
            assert rec["name"] in text, (text, rec["name"])
            assert elements == 0
        lat, lon = _unit_point(hostile_boundaries, [(float(r["lat"]), float(r["lon"])) for r in records])
        _hover(page, lat, lon, zoom=10)
        text, elements = _tooltip(page)
        assert PAYLOADS["img"] + PAYLOADS["template"] in text and PAYLOADS["script"] in text, text
        assert elements == 0
        _assert_nothing_ran(page, errors, title)
        assert page.evaluate("window.__csp") == []
        assert not errors, errors


def _open_popup(page, lat: float, lon: float) -> tuple[str, list]:
    for attempt in range(3):  # a busy machine may still be drawing the markers: click again
        x, y = _hover(page, lat, lon, zoom=16)
        page.mouse.click(x, y)
        try:
            page.wait_for_selector(".leaflet-popup-content", state="visible", timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
    return page.evaluate("""() => {
        const c = [...document.querySelectorAll('.leaflet-popup-content')].pop();
        return [c.textContent, [...c.querySelectorAll('a, img, script, svg, b, iframe')].map(
            e => [e.tagName, e.getAttribute('href') || e.getAttribute('src') || '', [...e.attributes].map(a => a.name)])];
    }""")


def _check_map_page(page, errors, records, boundaries, title) -> None:
    for rec in records:
        text, elements = _open_popup(page, float(rec["lat"]), float(rec["lon"]))
        assert rec["name"] in text, (text, rec["name"])
        # Only the photo link of a relative or web address, attributes intact; no script link.
        for tag, url, attrs in elements:
            assert tag in ("A", "IMG"), (tag, url)
            assert not url.lower().lstrip("\x00\x01 \t").startswith(("javascript", "data")), url
            assert set(attrs) <= {"href", "target", "rel", "src", "loading", "alt", "style"}, attrs
        page.evaluate("() => { window.__maps[window.__maps.length - 1].closePopup(); }")
    lat, lon = _unit_point(boundaries, [(float(r["lat"]), float(r["lon"])) for r in records])
    _hover(page, lat, lon, zoom=10)
    text, elements = _tooltip(page)  # the unit's, or the zone outline's (provinces by name)
    assert PAYLOADS["img"] + PAYLOADS["template"] in text, text
    assert elements == 0
    _assert_nothing_ran(page, errors, title)
    assert not errors, errors


def test_coverage_map_page_shows_hostile_names_as_text(browser, tmp_path, hostile_boundaries, boundaries):
    from geoplots.server.store import open_store

    db = tmp_path / "xss-map.gpkg"
    with open_store(db) as store:
        _, key = store.create_key("editor", name="xss test")
    records = hostile_records(boundaries, seed=6)
    with Uvicorn(db, hostile_boundaries) as server:
        res = httpx.post(server.url + "/api/pins", json=records, headers=bearer(key), timeout=60)
        assert res.status_code == 201, res.text
        page, errors = _page(browser)
        page.goto(server.url + "/maps/coverage?zone=12&level=district")
        page.wait_for_function("() => window.__maps && window.__maps.length > 0", timeout=20_000)
        _check_map_page(page, errors, records, hostile_boundaries, page.title())
        assert page.evaluate("window.__csp") == []


@pytest.mark.parametrize("fast", [False, True], ids=["markers", "fast-markers"])
def test_map_file_shows_hostile_names_as_text(browser, tmp_path, hostile_boundaries, monkeypatch, fast, boundaries):
    import importlib

    pins_module = importlib.import_module("geoplots.layers.pins")  # the package re-exports a function 'pins'

    if fast:  # markers built in the browser from the embedded data, as for big batches
        monkeypatch.setattr(pins_module, "FAST_THRESHOLD", 0)
    records = hostile_records(boundaries, seed=7)
    hostile = geoplots.Boundaries.load(hostile_boundaries)
    frame = pd.DataFrame(records).rename(columns={"id": "record_id"})
    frame["lat"] = frame["lat"].astype(float)
    frame["lon"] = frame["lon"].astype(float)
    located = geoplots.locate(frame, boundaries=hostile)
    assert len(located.accepted) == len(records)
    cov = geoplots.coverage(located, level="district", zone="12", boundaries=hostile)
    m = geoplots.map(cov, located, zone="12", offline=True, boundaries=hostile)
    path = tmp_path / "hostile.html"
    m.save(str(path))
    page, errors = _page(browser)
    page.goto(path.as_uri())
    page.wait_for_function("() => window.__maps && window.__maps.length > 0", timeout=20_000)
    _check_map_page(page, errors, records, hostile_boundaries, page.title())


def test_popup_html_escapes_for_every_context():
    """The popup is HTML that is also put in a JS template literal by folium: no `, $ or \\."""
    from geoplots.layers.pins import popup_html

    for label, payload in PAYLOADS.items():
        html = popup_html({"name": payload, "record_id": payload, "photo_url": PHOTOS[label],
                           "declared_subdistrict_code": payload, "address_mismatch": True})
        assert "<img src=x" not in html and "<script" not in html and "<svg" not in html
        assert "`" not in html and "${" not in html and "\\" not in html
        assert "javascript" not in html.lower() and "data:text" not in html
    assert json.dumps(PAYLOADS)  # payloads stay printable test data
