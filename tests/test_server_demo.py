"""``geoplots demo``: the demonstration data set has the shape the issue asks for, and the
command works on a fresh data directory (it imports the shared boundaries itself)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest

from geoplots.server.store import RecordFilter
from geoplots.cli.serve import DEMO_ZONES, build_demo
from geoplots.groups import inspection_zones
from geoplots.server.store import open_store
from server_support import free_port

SHARED = Path(__file__).resolve().parents[2] / "shared" / "boundaries" / "cod-ab-tha"


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory, boundaries):
    store = open_store(tmp_path_factory.mktemp("demo") / "demo.gpkg")
    counts = build_demo(store, boundaries=boundaries)
    yield store, counts
    store.close()


def test_model_villages_cover_most_but_not_all_districts_of_several_zones(demo_store, boundaries):
    store, counts = demo_store
    pins = store.all_records(RecordFilter(kind="pins"))
    assert len(pins) == counts["pins"] > 0
    # which district each pin lies in, by a plain spatial join (not the stored codes)
    districts = boundaries.level("district")[["code", "province_code", "geometry"]]
    joined = gpd.sjoin(pins[["geometry"]], districts, predicate="within", how="inner")
    districts["zone"] = inspection_zones().group_of(districts["code"]).astype(str).to_numpy()
    covered = set(joined["code"])
    shares = {}
    for zone in DEMO_ZONES:
        in_zone = districts.loc[districts["zone"] == zone, "code"]
        shares[zone] = in_zone.isin(covered).mean()
    assert len(shares) >= 3
    assert all(0.5 < share < 1.0 for share in shares.values()), shares
    # and nothing outside the demonstration zones
    assert set(districts.loc[districts["code"].isin(covered), "zone"]) <= set(DEMO_ZONES)


def test_household_participation_spreads_across_the_kpi_tiers(demo_store):
    store, counts = demo_store
    homes = store.all_records(RecordFilter(kind="households"))
    assert len(homes) == counts["households"] > 0
    takes_part = homes["has_garden"].map(lambda v: str(v).strip().lower() in {"true", "1", "yes", "มี"})
    rates = takes_part.groupby(homes["district_code"]).mean()
    tiers = pd.cut(rates, [0, 0.70, 0.80, 0.90, 1.0001], right=False, labels=False)
    assert tiers.nunique() >= 3, rates.describe()


def test_some_plots_are_polygons_and_rerunning_adds_no_copies(demo_store, boundaries):
    store, counts = demo_store
    plots = store.all_records(RecordFilter(kind="plots"))
    assert len(plots) == counts["plots"] and (plots.geom_type == "Polygon").sum() > 0
    before = store.count()
    build_demo(store, boundaries=boundaries)
    assert store.count() == before


@pytest.mark.skipif(not any(SHARED.glob("*.zip")), reason="shared COD-AB boundaries not present")
def test_demo_command_imports_boundaries_and_serves(tmp_path):
    port = free_port()
    data = tmp_path / "boundaries"  # empty: the command must import the shared boundaries itself
    env = {**os.environ, "GEOPLOTS_DATA": str(data)}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("geoplots")), "demo", "--no-browser", "--port", str(port),
         "--db", str(tmp_path / "demo.gpkg"), "--data", str(data)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        health = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(url + "/health", timeout=2).json()
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert health is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        assert health["records"] > 0 and health["boundaries"]
        page = httpx.get(url + "/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=10)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        body = httpx.get(url + "/api/coverage?level=district&zone=12", timeout=30).json()
        assert 0 < body["summary"][0]["covered"] < body["summary"][0]["total"]
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}/" in out.decode()  # the URL is printed for the newcomer
