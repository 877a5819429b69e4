"""The field report page on a phone-sized headless Chromium (Playwright): GPS overridden,
the network switched off and on. Three reports with a photo each are queued offline and
arrive exactly once when the network returns; the war room counts them without a reload;
a report outside the officer's zone is refused with the reason on the phone."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from PIL import Image

from server_support import Uvicorn, bearer
from test_server_photos import jpeg

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[1] / "docs"
#: Where the officer stands: Khon Kaen (zone 12), and Bangkok (outside it).
KHON_KAEN = {"latitude": 16.4419, "longitude": 102.8360, "accuracy": 8}
BANGKOK = {"latitude": 13.7500, "longitude": 100.4930, "accuracy": 80}


@pytest.fixture
def playwright_chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def _fill(page, name: str, photo: bytes) -> None:
    page.fill("#name", name)
    page.fill("#moo", "5")
    page.check("input[name=has_garden][value='มี']")
    page.fill("#members", "4")
    page.set_input_files("#gallery", files=[{"name": "plot.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    page.wait_for_selector("#previews img")
    page.click("#send")


def _states(page) -> list[str]:
    return page.eval_on_selector_all("#queue li", "els => els.map(e => e.getAttribute('data-state'))")


def _items(server, key) -> list[dict]:
    res = httpx.get(server.url + "/collections/pins/items", params={"limit": 100}, headers=bearer(key), timeout=30)
    return res.json()["features"]


def _save_screenshot(png: bytes) -> None:
    """The README's picture: a small palette PNG of what the officer sees."""
    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    DOCS.mkdir(exist_ok=True)
    image.save(DOCS / "report-page.png", optimize=True)


def test_offline_reports_arrive_once_and_the_war_room_counts_them(playwright_chromium, tmp_path, tiny_boundary_dir):
    from geoplots.server.store import open_store

    db = tmp_path / "field.gpkg"
    with open_store(db) as store:
        _, key = store.create_key("editor", zone="12", name="สนง.พช.ขอนแก่น / Khon Kaen office")
    with Uvicorn(db, tiny_boundary_dir, GEOPLOTS_SSE_POLL_SECONDS="1") as server:
        hosts: set[str] = set()
        errors: list[str] = []
        # the war room: its own (always online) screen
        wall = playwright_chromium.new_context().new_page()
        wall.set_default_timeout(30_000)
        wall.on("pageerror", lambda exc: errors.append(f"warroom: {exc}"))
        wall.goto(server.url + "/")
        wall.wait_for_function("() => document.getElementById('count-records').textContent.trim() === '0'",
                               timeout=30_000)
        wall.wait_for_function("() => document.getElementById('live').className === 'on'", timeout=20_000)
        wall.evaluate("window.__same_page = true")

        phone_context = playwright_chromium.new_context(
            geolocation=KHON_KAEN, permissions=["geolocation"], viewport={"width": 400, "height": 860},
            locale="th-TH", service_workers="allow",
        )
        phone = phone_context.new_page()
        phone.set_default_timeout(30_000)
        # every request the page makes (its photo previews are blob: URLs, made on the phone)
        phone.on("request", lambda req: hosts.add(urlparse(req.url).hostname or req.url.split(":")[0]))
        phone.on("pageerror", lambda exc: errors.append(f"report: {exc}"))
        phone.goto(server.url + f"/report#key={key}")
        phone.wait_for_selector("#officer-zone:has-text('12')")
        assert "key=" not in phone.url  # the key left the address at once
        phone.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20_000)
        phone.wait_for_selector("#gps-status[data-quality='good']")

        # no network: the page opens from the service worker and queues three reports
        phone_context.set_offline(True)
        phone.reload()
        phone.wait_for_selector("#officer-zone:has-text('12')")
        assert phone.text_content("#net").strip() == "ออฟไลน์"
        phone.wait_for_selector("#gps-status[data-quality='good']")
        near = jpeg(size=(2400, 1800), gps=(16.4421, 102.8362), taken="2026:11:20 09:29:59")
        for i in range(3):
            _fill(phone, f"แปลงโคกหนองนา นายสมชาย {i}", near)
            phone.wait_for_function(f"() => document.querySelectorAll('#queue li').length === {i + 1}")
        assert _states(phone) == ["waiting"] * 3
        time.sleep(2)
        assert _items(server, key) == []  # nothing reached the server while offline

        # the network returns: each report is sent once, with its photo
        phone_context.set_offline(False)
        phone.wait_for_function("() => [...document.querySelectorAll('#queue li')].every(li => "
                                "li.dataset.state === 'sent')", timeout=30_000)
        features = _items(server, key)
        assert sorted(f["properties"]["name"] for f in features) == [f"แปลงโคกหนองนา นายสมชาย {i}" for i in range(3)]
        assert all(len(f["properties"]["photo_ids"]) == 1 for f in features)
        assert all(f["properties"]["subdistrict_code"].startswith("40") for f in features)
        located = phone.text_content("#queue li[data-state='sent'] .located")
        assert "ต." in located and "ขอนแก่น" in located  # the place's Thai names, on the phone
        for f in features:
            pid = f["properties"]["photo_ids"][0]
            thumb = httpx.get(f"{server.url}/photos/{pid}/thumb", timeout=30)
            assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
            full = Image.open(io.BytesIO(httpx.get(f"{server.url}/photos/{pid}", timeout=30).content))
            assert max(full.size) == 1600  # resized on the phone
        with open_store(db) as store:  # the camera's position survived the resize: it is checked
            photo = store.photo(features[0]["properties"]["photo_ids"][0])
            assert photo.lat == pytest.approx(16.4421, abs=1e-4) and photo.distance_m < 100

        # the war room counted them, on the page it had open
        wall.wait_for_function("() => document.getElementById('count-records').textContent.trim() === '3'",
                               timeout=30_000)
        assert wall.evaluate("window.__same_page") is True

        # sending everything again stores nothing twice (ids made on the phone)
        phone.evaluate("GeoplotsQueue.all().then(items => Promise.all(items.map(i => "
                       "GeoplotsQueue.update(i.id, {state: 'waiting'})))).then(() => GeoplotsQueue.sendAll())")
        assert len(_items(server, key)) == 3
        photos_dir = Path(str(db) + ".photos")
        assert len([p for p in photos_dir.rglob("*") if p.is_file()]) == 6  # 3 photos, 3 thumbnails

        # in Bangkok with a poor fix: asked to confirm, then refused by the server with the reason
        phone_context.set_geolocation(BANGKOK)
        phone.wait_for_function("() => document.getElementById('gps-status').textContent.startsWith('13.75')",
                                timeout=30_000)
        phone.fill("#name", "นอกเขต")
        phone.click("#send")
        phone.wait_for_selector("#confirm-box:not([hidden])")
        phone.click("#confirm-send")
        phone.wait_for_selector("#queue li[data-state='refused'] .reason", timeout=30_000)
        reason = phone.text_content("#queue li[data-state='refused'] .reason")
        assert "12" in reason and "zone" in reason
        assert len(_items(server, key)) == 3

        phone_context.set_geolocation(KHON_KAEN)
        phone.wait_for_selector("#gps-status[data-quality='good']")
        phone.fill("#name", "แปลงนายสมชาย")
        phone.set_input_files("#gallery", files=[{"name": "plot.jpg", "mimeType": "image/jpeg", "buffer": near}])
        phone.wait_for_selector("#previews img")
        phone.evaluate("window.scrollTo(0, 0)")
        _save_screenshot(phone.screenshot(full_page=True))
        assert not errors, errors
        assert hosts <= {"127.0.0.1", "blob"}, f"the page reached out to {hosts - {'127.0.0.1', 'blob'}}"
