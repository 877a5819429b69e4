"""Headless Chromium shows the war-room timeline (issue 15): one chart per zone of the
units covered per month with the target line, "since last month" beside the tiles, and a
month picker that redraws the map as of that month; live updates keep working."""

from __future__ import annotations

import datetime as dt
import io
import shutil

import httpx
import numpy as np
import pytest

from conftest_store import located
from geoplots import synthetic
from server_support import Uvicorn, bearer, pin_records

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BANGKOK = dt.timezone(dt.timedelta(hours=7))
MET = (0x21, 0x66, 0xAC)  # palette.MET_COLOR, the covered line


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


def _month_start(months_back: int) -> dt.date:
    today = dt.datetime.now(BANGKOK).date()
    year, month = divmod(today.year * 12 + today.month - 1 - months_back, 12)
    return dt.date(year, month + 1, 1)


def test_timeline_per_zone_and_month_picker_redraw_the_map(browser, tmp_path, boundaries):
    from geoplots.server.store import open_store

    db = tmp_path / "timeline.gpkg"
    # pins in zone 12 reported over the last four months (one batch per month)
    pins = located(synthetic.sample_points(80, codes=["40", "46"], seed=71, boundaries=boundaries))
    months = [_month_start(k) + dt.timedelta(days=9) for k in (4, 3, 2, 1)]
    with open_store(db) as store:
        _, key = store.create_key("editor", name="timeline test")
        for part, day in zip(np.array_split(np.arange(len(pins)), 4), months):
            batch = pins.iloc[part].assign(date=day)
            store.add_records(batch, kind="pins", received_at=dt.datetime.combine(day, dt.time(12), BANGKOK))
    with Uvicorn(db, boundaries.root, GEOPLOTS_SSE_POLL_SECONDS="1") as server:
        series = httpx.get(server.url + "/api/progress?zone=12", timeout=120).json()
        mine = [s for s in series["summary"] if s["group"] == "12"]
        assert [s["covered"] for s in mine][-5:-1] == sorted(s["covered"] for s in mine[-5:-1])  # grows
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(server.url + "/")
        page.select_option("#zone", "12")
        page.wait_for_function("() => document.getElementById('timeline').getAttribute('data-drawn') === '1'",
                               timeout=60_000)
        caption = page.locator("#timeline-charts figcaption").first.text_content()
        assert caption.startswith(f"เขต 12: {mine[-1]['covered']} / {mine[-1]['total']}")
        assert page.locator("#timeline .tl-target").count() == 1
        assert page.locator("#timeline circle").count() == len(mine)
        page.wait_for_function("() => document.getElementById('since-last-month').textContent.includes('since')",
                               timeout=30_000)
        # pick the month two months ago: the map and tiles show coverage as of its last day
        picked = next(s for s in mine if s["period"] == months[1].strftime("%Y-%m"))
        with page.expect_request(lambda r: "/api/coverage" in r.url and f"as_of={picked['end']}" in r.url):
            page.select_option("#as-of-month", picked["end"])
        page.wait_for_function(
            f"() => document.getElementById('count-covered').textContent.trim() === '{picked['covered']}'",
            timeout=30_000)
        shot = page.locator("#timeline").screenshot(path=str(tmp_path / "timeline.png"))
        page.screenshot(path=str(tmp_path / "warroom-timeline.png"))
        # live updates keep working: a posted pin reaches the page without a reload
        page.select_option("#as-of-month", "")
        before = page.locator("#count-records").text_content().strip()
        records, _ = pin_records(1, seed=72, boundaries=boundaries)
        assert httpx.post(server.url + "/api/pins", json=records, headers=bearer(key), timeout=60).status_code == 201
        page.wait_for_function(
            f"() => document.getElementById('count-records').textContent.trim() !== '{before}'", timeout=30_000)
        assert not errors, errors
    from PIL import Image

    image = np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    near = np.abs(image.astype(int) - np.array(MET)).sum(axis=1) < 30
    assert near.sum() > 50, "the covered line is not drawn in the timeline screenshot"
