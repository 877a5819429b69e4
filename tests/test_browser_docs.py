"""The server's API docs (/docs) in headless Chromium with the network refused: Swagger UI
comes from the package's own copy, so the page draws the API without the internet."""

from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

from server_support import Uvicorn

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def test_docs_render_with_no_request_leaving_the_machine(tmp_path, tiny_boundaries):
    sync_api = pytest.importorskip("playwright.sync_api")
    with Uvicorn(tmp_path / "docs.gpkg", tiny_boundaries.root) as server, sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            remote: list[str] = []
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))

            def refuse(route):  # anything off this machine fails, and is recorded
                remote.append(route.request.url)
                route.abort()

            page.route(lambda url: urlparse(url).hostname not in ("127.0.0.1", "localhost", None), refuse)
            page.goto(server.url + "/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
            title = page.locator(".swagger-ui .info .title").text_content()
            operations = page.locator(".opblock").count()
        finally:
            browser.close()
    assert "geoplots war-room server" in title
    assert operations > 5  # the API's routes are listed, read from /openapi.json
    assert remote == [] and not errors, (remote, errors)
