"""The war-room wall screen (issue 13) as a person in the room sees it.

Headless Chromium at 1920x1080 opens ``/`` on the demonstration data (real boundaries),
nationally and in kiosk mode pinned to zone 12, and checks what a viewer across the room
would: the title with the target and the area, the as-of time in Thai form, key numbers
at least 48 px high, the names of the gap units on the page (and, at zone zoom, on the
map), the palette of ``geoplots/layers/palette.py``, no controls in kiosk mode, no request
leaving the machine and no console error. The screenshots are kept in the test's tmp dir.

``chromium --headless --screenshot --virtual-time-budget`` must finish (the open event
stream made it wait for ever), and a kiosk page carries a read key in the URL fragment
when reads are protected.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from geoplots.layers import palette
from server_support import Uvicorn

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MONTHS = ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."]
KEY_NUMBERS = ["count-covered", "count-percent", "count-change", "count-today"]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory, boundaries) -> Path:
    """A store with the demonstration records (``geoplots demo``) on the real boundaries."""
    from geoplots.cli.serve import build_demo
    from geoplots.server.store import open_store

    db = tmp_path_factory.mktemp("warroom-screen") / "demo.gpkg"
    with open_store(db) as store:
        build_demo(store, boundaries=boundaries)
    return db


@pytest.fixture(scope="module")
def server(demo_db, boundary_dir):
    running = Uvicorn(demo_db, boundary_dir).start(timeout=180)  # a busy CI machine starts it slowly
    try:
        yield running
    finally:
        running.stop()


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


class Screen:
    """A 1920x1080 page that refuses (and records) every request leaving the machine."""

    def __init__(self, browser, **context) -> None:
        self.context = browser.new_context(viewport={"width": 1920, "height": 1080}, **context)
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.requests: list = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda req: self.requests.append(req))
        self.page.route(lambda url: urlparse(url).hostname not in ("127.0.0.1", "localhost"), self._abort)

    def _abort(self, route) -> None:
        self.outside.append(route.request.url)
        route.abort()

    def open(self, url: str):
        self.page.goto(url)
        self.page.wait_for_function("() => document.getElementById('count-total').textContent.trim() !== '–'",
                                    timeout=120_000)
        self.page.wait_for_timeout(800)  # labels and fitted map settle
        return self.page

    def close(self) -> None:
        self.context.close()


def _thai_now() -> datetime:
    return datetime.now(timezone(timedelta(hours=7)))


def _check_as_of(page) -> None:
    text = page.locator("#asof-time").text_content()
    m = re.fullmatch(r"(\d{1,2}) (\S+) (\d{4}) (\d{2}):(\d{2})", text)
    assert m, text
    now = _thai_now()
    assert MONTHS.index(m.group(2)) + 1 == now.month and int(m.group(3)) == now.year + 543, text
    assert int(m.group(1)) == now.day


def _font_px(page, element_id: str) -> float:
    return page.evaluate("id => parseFloat(getComputedStyle(document.getElementById(id)).fontSize)", element_id)


def _expected_gaps(server, **params) -> list[dict]:
    body = httpx.get(server.url + "/api/coverage", params=params, timeout=120).json()
    return [u for s in body["summary"] for u in s["uncovered"]]


def _check_common(screen: Screen, page) -> str:
    text = page.locator("body").inner_text()
    for element_id in KEY_NUMBERS:
        assert _font_px(page, element_id) >= 48, element_id
        assert page.locator("#" + element_id).is_visible()
    _check_as_of(page)
    assert "geoplots 0." not in text and "เขต central" not in text
    assert "OCHA, Royal Thai Survey Department" in text
    assert not screen.outside, f"requests left the machine: {screen.outside}"
    assert not screen.errors, screen.errors
    return text


def _check_gap_list(page, gaps: list[dict]) -> None:
    """Every listed gap is a real gap unit with its province; none is silently dropped."""
    items = page.locator("#gap-list li").all_inner_texts()
    assert items, "no gap is named"
    known = {(u["name_th"], u["province_name_th"]) for u in gaps}
    for item in items:
        assert any(item.startswith(name + " ") and f"จ.{province}" in item for name, province in known), item
    more = page.locator("#gap-more").text_content()
    hidden = int(re.sub(r"\D", "", more.split("/")[0]) or 0)
    assert len(items) + hidden == len(gaps), (len(items), more, len(gaps))
    assert page.locator("#gap-count").text_content() == f"({len(gaps):,})"


def test_national_screen(browser, server, tmp_path):
    screen = Screen(browser)
    page = screen.open(server.url + "/")
    _check_common(screen, page)
    assert "ทั้งประเทศ" in page.locator("#titlebar").inner_text()
    assert page.locator("#title-th").text_content().startswith("หมุดที่รายงาน")
    assert page.locator("#controls").is_visible()  # not kiosk: the filters are there
    _check_gap_list(page, _expected_gaps(server, level="district", format="json"))
    # zones ranked, Bangkok by its name
    ranked = page.locator("#ranking-chart .rank .name").all_inner_texts()
    assert "กรุงเทพมหานคร" in ranked and "เขต 12" in ranked
    # met and not met in the palette's colours (not red/green), in the legend and on the map
    swatch = page.evaluate("() => getComputedStyle(document.querySelector('#legend .sw.met')).backgroundColor")
    assert swatch == _rgb(palette.MET_COLOR)
    fills = page.evaluate("""() => { const m = window.geoplotsWarroom.map, out = new Set();
        m.eachLayer(l => { if (l.feature && l.options.fillColor) out.add(l.options.fillColor); }); return [...out]; }""")
    assert set(fills) <= {palette.MET_COLOR, palette.NOT_MET_COLOR}, fills
    # the country fills the map: fractional zoom, Thailand's height nearly the map's
    share, snap = page.evaluate("""() => { const m = window.geoplotsWarroom.map, b = [];
        m.eachLayer(l => { if (l.feature && l.getBounds) b.push(l.getBounds()); });
        const all = b.reduce((a, x) => a.extend(x), L.latLngBounds(b[0].getSouthWest(), b[0].getNorthEast()));
        const ne = m.latLngToContainerPoint(all.getNorthEast()), sw = m.latLngToContainerPoint(all.getSouthWest());
        const size = m.getSize();
        return [Math.max((sw.y - ne.y) / size.y, (ne.x - sw.x) / size.x), m.options.zoomSnap]; }""")
    assert snap < 1 and 0.9 <= share <= 1.0, share
    # records are not drawn as dots over the whole country
    assert page.evaluate("""() => { let n = 0; window.geoplotsWarroom.map.eachLayer(l => {
        if (l instanceof L.CircleMarker) n++; }); return n; }""") == 0
    page.screenshot(path=str(tmp_path / "warroom-national.png"))
    screen.close()


def test_kiosk_zone_screen(browser, server, tmp_path):
    screen = Screen(browser)
    page = screen.open(server.url + "/?zone=12&level=district&target=model_villages")
    _check_common(screen, page)
    assert not page.locator("#controls").is_visible(), "kiosk mode shows no controls"
    assert not page.locator(".leaflet-control-zoom").count()
    bar = page.locator("#titlebar").inner_text()
    assert "เขตตรวจราชการที่ 12" in bar and "หมู่บ้านโก่งธนูโมเดล" in bar and "Model villages" in bar
    gaps = _expected_gaps(server, rule="model_villages", zone="12")
    assert gaps
    _check_gap_list(page, gaps)
    # at zone zoom every gap unit is named on the map, as text
    labels = page.evaluate("""() => [...document.querySelectorAll('.leaflet-tooltip.gap-label')]
        .map(t => [t.textContent, t.children.length])""")
    assert sorted(t for t, _ in labels) == sorted(u["name_th"] for u in gaps)
    assert all(children == 0 for _, children in labels)
    assert page.locator(".leaflet-tooltip.gap-label").first.evaluate("t => getComputedStyle(t).pointerEvents") == "none"
    # provinces of the zone ranked
    ranked = page.locator("#ranking-chart .rank .name").all_inner_texts()
    assert set(ranked) == {"ขอนแก่น", "กาฬสินธุ์", "มหาสารคาม", "ร้อยเอ็ด"}
    # the feed names the latest model villages and where they are
    feed = page.locator("#feed-list").inner_text()
    assert "บ้าน" in feed and "จ." in feed
    page.screenshot(path=str(tmp_path / "warroom-zone12.png"))
    # a gap in the list zooms the map to it
    before = page.evaluate("() => window.geoplotsWarroom.map.getZoom()")
    page.locator("#gap-list li").first.click()
    page.wait_for_timeout(600)
    assert page.evaluate("() => window.geoplotsWarroom.map.getZoom()") > before
    screen.close()


def test_tier_screen_says_passing_not_covered(browser, server, tmp_path):
    screen = Screen(browser)
    page = screen.open(server.url + "/?zone=12&target=household_participation")
    _check_common(screen, page)
    tiles = page.locator("#tiles").inner_text()
    assert "Units covered" not in tiles and "ถึงเป้าแล้ว" not in tiles and "≥70%" in tiles
    # the tier legend: every label stays on the line of its swatch
    items = page.evaluate("""() => [...document.querySelectorAll('#legend-tier .item')].map(i => {
        const s = i.querySelector('.sw').getBoundingClientRect(), r = i.getBoundingClientRect();
        return [i.textContent.trim(), r.height, s.top - r.top, getComputedStyle(i.querySelector('.sw')).backgroundColor]; })""")
    assert [i[0] for i in items][:4] == ["ไม่ผ่าน <70%", "ผ่านเกณฑ์ 70%", "ชมเชย 80%", "โล่ 90%"]
    for label, height, offset, _ in items:
        assert height < 40 and 0 <= offset < 12, (label, height, offset)
    assert [i[3] for i in items][:4] == [_rgb(palette.TIER_COLORS[t]) for t in
                                         ("not_passed", "passed", "commendation", "plaque")]
    page.screenshot(path=str(tmp_path / "warroom-tiers.png"))
    screen.close()


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_chromium_command_line_screenshot_completes(server, tmp_path):
    """``--virtual-time-budget`` waits for the network to settle: an open event stream never does."""
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    out = tmp_path / "cli.png"
    try:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--window-size=1920,1080", "--hide-scrollbars", "--virtual-time-budget=20000",
                        f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={out}",
                        server.url + "/?zone=12"], capture_output=True, timeout=90, check=True)
    except subprocess.TimeoutExpired:
        pytest.fail("chromium --screenshot did not finish: the page never lets the network settle")
    from PIL import Image

    with Image.open(out) as img:
        assert img.size == (1920, 1080)
        assert len(img.getcolors(1 << 20) or range(1 << 20)) > 50  # drawn, not a blank page


def test_favicon(server):
    res = httpx.get(server.url + "/favicon.ico", timeout=10)
    assert res.status_code == 200 and res.headers["content-type"] == "image/x-icon"
    from io import BytesIO

    from PIL import Image

    with Image.open(BytesIO(res.content)) as icon:
        assert icon.format == "ICO" and (32, 32) in icon.info["sizes"]


def test_kiosk_page_carries_a_read_key_in_the_fragment(browser, demo_db, boundary_dir):
    """With protected reads the key comes as ``#key=``: sent as a header, never in a URL."""
    from geoplots.server.store import open_store

    with open_store(demo_db) as store:
        _, secret = store.create_key("inspector", name="wall screen")
    protected = Uvicorn(demo_db, boundary_dir, GEOPLOTS_READS_PROTECTED="true").start(timeout=180)
    try:
        assert httpx.get(protected.url + "/api/coverage", timeout=30).status_code == 401
        screen = Screen(browser)
        page = screen.open(protected.url + f"/?zone=12#key={secret}")
        _check_common(screen, page)
        assert page.evaluate("location.hash") == ""  # not left in the address bar
        api = [r for r in screen.requests if urlparse(r.url).path.startswith(("/api/", "/collections/", "/health"))]
        assert api and all(r.headers.get("authorization") == f"Bearer {secret}" for r in api)
        assert not [r.url for r in screen.requests if secret in r.url]
        page.reload()  # the key stays for the tab's life (sessionStorage), not in the URL
        page.wait_for_function("() => document.getElementById('count-total').textContent.trim() !== '–'",
                               timeout=120_000)
        assert page.locator("#count-total").text_content().strip() == "77"
        screen.close()
    finally:
        protected.stop()
