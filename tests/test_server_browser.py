"""Headless Chromium opens the war-room page; a pin posted through the API changes the
count on the page without a reload, and the page asks nothing of the internet."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import httpx
import pytest

from server_support import Uvicorn, bearer, pin_records

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


def test_count_on_the_page_follows_a_posted_pin(browser, tmp_path, boundaries):
    from geoplots.server.store import open_store

    db = tmp_path / "warroom.gpkg"
    with open_store(db) as store:
        _, key = store.create_key("editor", name="browser test")
    records, _ = pin_records(4, seed=21, boundaries=boundaries)
    with Uvicorn(db, boundaries.root, GEOPLOTS_SSE_POLL_SECONDS="1") as server:
        first = httpx.post(server.url + "/api/pins", json=records[:3], headers=bearer(key), timeout=60)
        assert first.status_code == 201
        page = browser.new_page()
        hosts: set[str] = set()
        page.on("request", lambda req: hosts.add(urlparse(req.url).hostname or ""))
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server.url + "/?live=sse")  # the event stream (headless browsers poll by default)
        count = page.locator("#count-records")
        page.wait_for_function("() => document.getElementById('count-records').textContent.trim() === '3'", timeout=20_000)
        page.wait_for_function("() => document.getElementById('live').className === 'on'", timeout=20_000)
        page.evaluate("window.__same_page = true")  # vanishes if the page reloads

        res = httpx.post(server.url + "/api/pins", json=records[3:], headers=bearer(key), timeout=60)
        assert res.status_code == 201
        page.wait_for_function("() => document.getElementById('count-records').textContent.trim() === '4'", timeout=20_000)
        assert page.evaluate("window.__same_page") is True
        assert count.text_content().strip() == "4"
        page.screenshot(path=str(tmp_path / "warroom.png"))
        assert not errors, errors
        assert hosts <= {"127.0.0.1"}, f"the page reached out to {hosts - {'127.0.0.1'}}"
