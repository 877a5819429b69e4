"""Security headers (issue 10, item 3): a strict Content-Security-Policy on the server's own
pages, ``nosniff`` and a ``Referrer-Policy`` on every answer."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from geoplots.server.app import create_app
from geoplots.server.events import LocalEventBus
from geoplots.server.settings import Settings
from geoplots.server.store import open_store
from server_support import bearer, pin_records


@pytest.fixture(scope="module")
def client(tmp_path_factory, boundary_dir, boundaries):
    db = tmp_path_factory.mktemp("headers") / "headers.gpkg"
    store = open_store(db)
    _, editor = store.create_key("editor", name="headers")
    app = create_app(Settings(db=str(db), data=boundary_dir, rate_limit_per_minute=0, max_body_bytes=10_000),
                     store=store, bus=LocalEventBus())
    with TestClient(app) as c:
        records, _ = pin_records(5, seed=3, boundaries=boundaries)
        assert c.post("/api/pins", json=records, headers=bearer(editor)).status_code == 201
        yield c
    store.close()


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def assert_strict(policy: str) -> dict[str, list[str]]:
    d = directives(policy)
    assert d["script-src"][0] == "'self'"
    assert "'unsafe-inline'" not in d["script-src"] and "'unsafe-eval'" not in d["script-src"]
    assert "'unsafe-hashes'" not in d["script-src"] and "*" not in d["script-src"]
    assert d["object-src"] == ["'none'"] and d["base-uri"] == ["'none'"]
    assert d["frame-ancestors"] == ["'none'"] and d["connect-src"] == ["'self'"]
    assert d["default-src"] == ["'none'"]
    return d


def inline_script_hashes(html: str) -> set[str]:
    found = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, flags=re.S | re.I)
    return {"'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'" for s in found}


def test_warroom_page_allows_only_its_own_files(client):
    res = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})  # a browser: the war-room page
    d = assert_strict(res.headers["content-security-policy"])
    assert d["script-src"] == ["'self'"] and d["style-src"] == ["'self'"]
    assert inline_script_hashes(res.text) == set(), "the war-room page has no inline script"
    assert "onerror=" not in res.text and "javascript:" not in res.text


def test_coverage_map_allows_exactly_its_inline_scripts(client):
    res = client.get("/maps/coverage", params={"zone": "12"})
    assert res.status_code == 200
    d = assert_strict(res.headers["content-security-policy"])
    hashes = {w for w in d["script-src"] if w.startswith("'sha256-")}
    assert hashes and hashes == inline_script_hashes(res.text)
    assert [w for w in d["script-src"] if not w.startswith("'sha256-")] == ["'self'"]  # offline: no CDN
    again = client.get("/maps/coverage", params={"zone": "12"})  # cached page, same policy
    assert again.headers["content-security-policy"] == res.headers["content-security-policy"]


def test_docs_page_gets_a_policy_for_its_own_script(client):
    res = client.get("/docs")
    d = assert_strict(res.headers["content-security-policy"])
    hashes = {w for w in d["script-src"] if w.startswith("'sha256-")}
    assert hashes == inline_script_hashes(res.text) and hashes


@pytest.mark.parametrize("path", ["/", "/health", "/collections/pins/items", "/api/coverage?zone=12",
                                  "/static/warroom.js", "/nowhere", "/openapi.json"])
def test_every_answer_has_nosniff_and_referrer_policy(client, path):
    res = client.get(path)
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["referrer-policy"] == "same-origin"
    assert res.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
    if "html" not in res.headers.get("content-type", ""):
        assert res.headers["content-security-policy"].startswith("default-src 'none'")


def test_refused_bodies_have_the_headers_too(client):
    res = client.post("/api/pins", content=b"[" + b" " * 20_000 + b"]", headers={"content-type": "application/json"})
    assert res.status_code == 413
    assert res.headers["x-content-type-options"] == "nosniff"
    assert res.headers["content-security-policy"].startswith("default-src 'none'")


def test_docstring_examples():
    import doctest

    import geoplots.server.security

    result = doctest.testmod(geoplots.server.security)
    assert result.attempted > 0 and result.failed == 0
