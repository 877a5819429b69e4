"""Real OGC API clients against a live ``geoplots serve``: GDAL's OAPIF driver (ogrinfo,
ogr2ogr), OWSLib, and a web page of another origin in headless Chromium.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import threading
from functools import partial

import httpx
import pytest

from conftest_store import located
from geoplots import synthetic
from server_support import Uvicorn, free_port
from test_server_ogc import stored_records

OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")
needs_gdal = pytest.mark.skipif(OGRINFO is None or OGR2OGR is None,
                                reason="Debian's gdal-bin is not installed (scripts/setup installs it)")

#: Fields GDAL must read for each collection (GeoPackage/JSON types as GDAL names them)
FIELDS = {
    "pins": {"record_id": "String", "subdistrict_code": "String", "distance_m": "Real"},
    "plots": {"area_rai_drawn": "Real", "record_id": "String", "received_at": "DateTime"},
    "households": {"has_garden": "Integer(Boolean)", "target_tier": "String"},
    "provinces": {"code": "String", "name_th": "String"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_boundaries):
    from geoplots.server.store import open_store

    db = tmp_path_factory.mktemp("ogc-clients") / "warroom.gpkg"
    with open_store(db) as store:
        stored_records(store, tiny_boundaries)
        pins = synthetic.sample_points(30, codes=["40"], seed=5, boundaries=tiny_boundaries)
        store.add_records(located(pins), kind="pins")
    with Uvicorn(db, tiny_boundaries.root) as running:
        yield running


def matched(server, collection: str, **params) -> int:
    res = httpx.get(f"{server.url}/collections/{collection}/items", params={"limit": 1, **params}, timeout=30)
    assert res.status_code == 200, res.text
    return res.json()["numberMatched"]


def _ogr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*args], capture_output=True, text=True, timeout=300)


@needs_gdal
def test_gdal_lists_every_collection_with_its_geometry_type_and_every_field(server):
    run = _ogr(OGRINFO, "-ro", "-so", "-al", f"OAPIF:{server.url}")
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr
    layers = {block.split("\n", 1)[0].strip(): block for block in run.stdout.split("Layer name: ")[1:]}
    assert set(layers) == {"pins", "plots", "households", "subdistricts", "districts", "provinces"}
    for name, geometry in (("pins", "Point"), ("plots", "Polygon"), ("households", "Point")):
        assert f"Geometry: {geometry}\n" in layers[name], layers[name][:300]
        assert f"Feature Count: {matched(server, name)}\n" in layers[name]
    for name, fields in FIELDS.items():
        for field, kind in fields.items():
            assert f"\n{field}: {kind} " in layers[name], (name, field)


@needs_gdal
@pytest.mark.parametrize("collection", ["pins", "plots", "households", "provinces"])
def test_gdal_copies_every_feature_and_filters_by_extent(server, tmp_path, collection):
    out = tmp_path / f"{collection}.geojson"
    run = _ogr(OGR2OGR, "-f", "GeoJSON", str(out), f"OAPIF:{server.url}", collection)
    assert run.returncode == 0 and "ERROR" not in run.stderr, run.stderr
    copied = json.loads(out.read_text())["features"]
    assert len(copied) == matched(server, collection)
    assert set(FIELDS[collection]) <= set(copied[0]["properties"])
    box = ("102.5", "16.0", "103.5", "17.0")
    spat = _ogr(OGRINFO, "-ro", "-so", f"OAPIF:{server.url}", collection, "-spat", *box)
    assert spat.returncode == 0 and "ERROR" not in spat.stderr, spat.stderr
    count = int(spat.stdout.split("Feature Count: ")[1].split()[0])
    assert count == matched(server, collection, bbox=",".join(box))


def test_owslib_reads_landing_page_collections_queryables_and_filtered_pages(server):
    features_api = pytest.importorskip("owslib.ogcapi.features")
    api = features_api.Features(server.url)
    assert any(link["rel"] == "service-desc" for link in api.links)
    assert any(c.endswith("/conf/filter") for c in api.conformance()["conformsTo"])
    assert [c["id"] for c in api.collections()["collections"]][:3] == ["pins", "plots", "households"]
    queryables = api.collection_queryables("plots")["properties"]
    assert queryables["area_rai_drawn"]["type"] == "number"

    big = api.collection_items("plots", filter="area_rai_drawn > 5", sortby=("area_rai_drawn", "desc"), limit=5)
    areas = [f["properties"]["area_rai_drawn"] for f in big["features"]]
    assert big["numberMatched"] == matched(server, "plots", filter="area_rai_drawn > 5") > 5
    assert areas == sorted(areas, reverse=True) and min(areas) > 5

    box = [102.5, 16.0, 103.5, 17.0]
    total = matched(server, "households", bbox=",".join(map(str, box)))
    seen: list = []
    for offset in range(0, total, 10):
        page = api.collection_items("households", bbox=box, limit=10, offset=offset)
        assert page["numberMatched"] == total
        seen += [f["id"] for f in page["features"]]
    assert len(seen) == len(set(seen)) == total > 10


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.mark.browser
def test_a_page_of_another_origin_draws_the_items(server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (scripts/setup installs it)")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(PAGE.replace("API", server.url), encoding="utf-8")
    port = free_port()
    other = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(_Quiet, directory=str(site)))
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            # another origin: localhost (not 127.0.0.1) on another port
            page.goto(f"http://localhost:{port}/index.html")
            page.wait_for_function("() => document.body.dataset.done === 'yes'", timeout=30_000)
            drawn = page.locator("svg path").count()
            write = page.evaluate("document.body.dataset.write")
            page.screenshot(path=str(tmp_path / "cross-origin.png"))
            browser.close()
    finally:
        other.shutdown()
    assert drawn == matched(server, "plots") > 0
    assert write == "blocked"  # writes are for configured origins only


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Another office's map</title></head>
<body><svg id="map" width="600" height="400" viewBox="101.8 -17 2.4 1.3"></svg>
<script>
async function draw() {
  const answer = await fetch("API/collections/plots/items?limit=1000");
  const body = await answer.json();
  const svg = document.getElementById("map");
  for (const f of body.features) {
    const ring = f.geometry.coordinates[0].map(([x, y]) => x + "," + (-y)).join(" L");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", "M" + ring + " Z");
    path.setAttribute("fill", "#1b9e77");
    svg.appendChild(path);
  }
  try {
    await fetch("API/api/pins", {method: "POST", headers: {"Content-Type": "application/json",
      "Authorization": "Bearer gp_not-a-key"}, body: "[]"});
    document.body.dataset.write = "allowed";
  } catch (e) {
    document.body.dataset.write = "blocked";
  }
  document.body.dataset.done = "yes";
}
draw();
</script></body></html>
"""


def test_event_streams_are_not_compressed_and_head_does_not_hang_on_them(server):
    head = httpx.head(server.url + "/api/events", timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/event-stream")
    with httpx.stream("GET", server.url + "/api/events", headers={"Accept-Encoding": "gzip"}, timeout=10) as res:
        assert "content-encoding" not in res.headers
        lines = res.iter_lines()
        assert next(lines).startswith("retry:")  # sent at once, not held back by a compressor
    page = httpx.get(server.url + "/collections/plots/items", headers={"Accept-Encoding": "gzip"}, timeout=30)
    assert page.headers["content-encoding"] == "gzip"
