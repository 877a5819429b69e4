"""Maps as A4 landscape pictures for meetings: PNG and PDF from the CLI and the server."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest
from fastapi.testclient import TestClient

import geoplots
from geoplots.layers import save_picture
from geoplots.maps import to_html
from geoplots.synthetic import model_villages

pytestmark = pytest.mark.browser

A4 = 297 / 210


def _zone12_page(boundaries) -> str:
    located = geoplots.locate(model_villages(["12"], seed=8, boundaries=boundaries), boundaries=boundaries)
    cov = geoplots.coverage(located, level="district", zone=12, boundaries=boundaries)
    return to_html(geoplots.map(cov, located, zone=12, boundaries=boundaries))


def _check_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])  # IHDR
    assert abs(w / h - A4) < 0.01 and w >= 1600
    # Not blank: a flat page of this size compresses to a few kB; the drawn map is far larger.
    assert len(data) > 150_000, len(data)


def _check_pdf(path) -> None:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M), info
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups())
    assert abs(w - 841.9) < 2 and abs(h - 595.3) < 2, info  # A4 landscape in points
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "OCHA, Royal Thai Survey Department" in text and "12" in text


def test_png_and_pdf_are_a4_landscape_with_the_map(boundaries, tmp_path):
    assert shutil.which("pdfinfo"), "scripts/setup installs poppler-utils"
    html = _zone12_page(boundaries)
    png = save_picture(html, tmp_path / "zone12.png")
    _check_png(png.read_bytes())
    pdf = save_picture(html, tmp_path / "zone12.pdf")
    _check_pdf(pdf)
    with pytest.raises(geoplots.GeoplotsError):
        save_picture(html, tmp_path / "zone12.svg")


@pytest.fixture
def api(tmp_path, boundaries):
    from geoplots.server.app import create_app
    from geoplots.server.settings import Settings
    from server_support import make_keys

    app = create_app(Settings(db=str(tmp_path / "pic.gpkg"), rate_limit_per_minute=10_000), boundaries=boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        yield client


def test_server_serves_the_picture_under_the_map_read_rules(api, boundaries, tmp_path):
    from server_support import bearer, pin_records

    records, _ = pin_records(10, seed=34, boundaries=boundaries)
    api.post("/api/pins", json=records, headers=bearer(api.keys.editor))
    res = api.get("/maps/coverage.png?level=district&zone=12")
    assert res.status_code == 200 and res.headers["content-type"] == "image/png"
    _check_png(res.content)
    res = api.get("/maps/coverage.pdf?level=district&zone=12")
    assert res.status_code == 200 and res.headers["content-type"] == "application/pdf"
    (tmp_path / "m.pdf").write_bytes(res.content)
    _check_pdf(tmp_path / "m.pdf")
    assert api.get("/maps/coverage.png?level=nonsense").status_code == 422
