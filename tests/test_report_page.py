"""The report page's server side: its policy, manifest, service worker, the key's zone,
and ``geoplots keys create --qr`` (the sign-in link as a QR code, the key after ``#``)."""

from __future__ import annotations

import re
import stat

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys


@pytest.fixture
def api(tmp_path, tiny_boundaries):
    app = create_app(Settings(db=str(tmp_path / "r.gpkg"), report_accuracy_m=25), boundaries=tiny_boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        yield client


def test_the_page_runs_under_a_strict_policy_with_no_inline_script(api):
    res = api.get("/report")
    assert res.status_code == 200
    policy = res.headers["content-security-policy"]
    script = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script.strip() == "'self'"  # no 'unsafe-inline', no hash, no other origin
    assert "worker-src 'self'" in policy and "img-src 'self' data: blob:" in policy
    assert "frame-ancestors 'none'" in policy
    assert not re.search(r"<script(?![^>]*\bsrc=)", res.text)  # every script is a file
    assert not re.search(r"\son[a-z]+=", res.text)  # no inline event handler
    assert 'data-accuracy-m="25.0"' in res.text
    assert "https://" not in res.text and "http://" not in res.text  # no CDN: works offline


def test_service_worker_manifest_and_icons(api):
    sw = api.get("/report-sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert sw.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in sw.headers["content-security-policy"]
    manifest = api.get("/report.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/report" and body["display"] == "standalone"
    for icon in body["icons"]:
        res = api.get(icon["src"])
        assert res.status_code == 200 and res.headers["content-type"] == "image/png"
        assert "x".join(map(str, Image.open(__import__("io").BytesIO(res.content)).size)) == icon["sizes"]
    for asset in re.findall(r'"(/(?:static|vendor)/[^"]+)"', sw.text):  # what the worker keeps exists
        assert api.get(asset).status_code == 200, asset


def test_the_page_knows_the_key_its_zone_and_its_sub_districts(api):
    assert api.get("/api/report/me").status_code == 401
    assert api.get("/api/report/me", headers=bearer("gp_made_up")).status_code == 401
    me = api.get("/api/report/me", headers=bearer(api.keys.editor12)).json()
    assert me["zone"] == "12" and me["can_write"] is True and me["accuracy_m"] == 25
    assert api.get("/api/report/me", headers=bearer(api.keys.inspector)).json()["can_write"] is False
    units = api.get("/api/report/units", headers=bearer(api.keys.editor12)).json()
    assert units and {u["code"][:2] for u in units} == {"40", "46"}  # zone 12's provinces in the tiny import
    assert {"code", "name", "district", "province"} <= set(units[0])
    assert any(u["province"] == "ขอนแก่น" for u in units)
    everywhere = api.get("/api/report/units", headers=bearer(api.keys.editor)).json()
    assert {u["code"][:2] for u in everywhere} == {"10", "40", "46"}


def test_keys_create_qr_prints_and_saves_the_sign_in_link(tmp_path):
    import qrcode

    from geoplots.cli import app

    png = tmp_path / "key.png"
    result = CliRunner().invoke(app, ["keys", "create", "--role", "editor", "--zone", "12", "--db",
                                      str(tmp_path / "k.gpkg"), "--qr", "--url", "http://10.0.0.5:8000/",
                                      "--qr-png", str(png)])
    assert result.exit_code == 0, result.output
    secret = re.search(r"gp_[A-Za-z0-9_-]{20,}", result.output).group()
    assert "█" in result.output or "▄" in result.output  # the code drawn in the terminal
    assert stat.S_IMODE(png.stat().st_mode) == 0o600  # it holds the key
    expected = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    expected.add_data(f"http://10.0.0.5:8000/report#key={secret}")
    expected.make(fit=True)
    drawn = Image.open(png).convert("1")
    want = expected.make_image().get_image().convert("1")
    assert drawn.size == want.size and drawn.tobytes() == want.tobytes()


def test_gallery_page_escapes_the_unit_it_is_asked_for(api):
    res = api.get("/gallery", params={"unit": '"><script>alert(1)</script>'})
    assert res.status_code == 200
    assert "<script>alert(1)" not in res.text and "&lt;script&gt;" in res.text
    assert re.search(r"script-src ([^;]*)", res.headers["content-security-policy"]).group(1).strip() == "'self'"
    assert api.get("/api/photos", params={"unit": "../40"}).status_code == 422
