"""The exported offline map in Debian's headless Chromium: drawn, credited, no network."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import geoplots
from geoplots.layers.browser import CHROMIUM, open_map
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
    assert r.features == n_districts + n_gaps + len(ZONE12) + 1
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
    assert r.features == len(units) + int((~units["met"]).sum()) + provinces + zones
