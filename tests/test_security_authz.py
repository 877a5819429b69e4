"""Security: what a key, a zone and a client address may reach (issue 10, items 4-6, 11-13).

Each test is an attack that worked on the server before its fix:

- 4: a zone key overwrote another zone's record by resending its ``id``;
- 5: a zone-scoped admin minted an unscoped admin key and revoked any key;
- 6: a zone key stored a plot with most of its area outside the zone;
- 11: a forged ``Host`` header went into the OGC links;
- 12: with protected reads, ``/health`` told anyone the record count, a zone key's event
  stream carried other zones' batches, and a zone key could not map a province of its zone;
- 13: reads were never rate-limited, and the per-key limit was counted per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from pyproj import Transformer

from conftest_store import located, store, store_url  # noqa: F401  (fixtures: every store backend)
from geoplots import synthetic
from geoplots.groups import inspection_zones
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from geoplots.server.store import open_store
from server_support import Uvicorn, bearer, make_keys, pin_records

ZONE1 = inspection_zones().codes_in("1")
ZONE13 = inspection_zones().codes_in("13")


def _app(store_url: str, boundary_dir: Path, **settings):
    options = {"rate_limit_per_minute": 10_000, "anonymous_rate_limit_per_minute": 10_000, **settings}
    return create_app(Settings(db=store_url, data=boundary_dir, **options))


@pytest.fixture
def api(store_url, boundary_dir):
    app = _app(store_url, boundary_dir)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        yield client


# -- 4. a zone key replaces only records already in its zone -------------------------------------

def test_store_refuses_to_replace_a_record_of_another_zone(store, boundary_dir, boundaries):
    from geoplots.server.store.base import OutsideZoneError

    bangkok = located(synthetic.sample_points(1, codes=["10"], seed=1, boundaries=boundaries))
    khon_kaen = located(synthetic.sample_points(2, codes=["40"], seed=2, boundaries=boundaries))
    khon_kaen["record_id"] = ["KK-1", "KK-2"]
    bangkok["record_id"] = ["BKK-1"]
    store.add_records(bangkok)
    store.add_records(khon_kaen.iloc[:1])
    version = store.version()
    forged = khon_kaen.iloc[1:].copy()
    forged["record_id"] = ["BKK-1"]  # the id of the Bangkok record, sent with zone 12's location
    batch = located(synthetic.sample_points(1, codes=["44"], seed=3, boundaries=boundaries)).assign(record_id=["MK-1"])
    with pytest.raises(OutsideZoneError) as refused:
        store.add_records(pd.concat([batch, forged]), zone="12")
    assert refused.value.record_ids == ["BKK-1"]
    # nothing of the batch is stored: not the forged row, not the honest one beside it
    assert store.version() == version and store.count() == 2
    kept = store.all_records().set_index("record_id")
    assert kept.loc["BKK-1", "inspection_zone"] == "central"
    assert shapely.equals_exact(kept.loc["BKK-1"].geometry, bangkok.geometry.iloc[0], 1e-9)
    # replacing a record of its own zone is what a resend is for
    again = khon_kaen.iloc[:1].copy()
    assert store.add_records(again, zone="12").replaced == [True]
    # an unscoped batch may still replace anything
    assert store.add_records(forged).replaced == [True]


def test_zone_key_cannot_overwrite_another_zones_record(api, boundaries):
    theirs, _ = pin_records(1, codes=ZONE1, seed=31, prefix="AY", boundaries=boundaries)
    stored = api.post("/api/pins", json=theirs, headers=bearer(api.keys.editor))
    assert stored.status_code == 201
    before = api.get(f"/collections/pins/items/{stored.json()['rows'][0]['id']}").json()
    version = api.store.version()
    mine, _ = pin_records(1, seed=32, boundaries=boundaries)
    forged = [{**mine[0], "id": theirs[0]["id"]}]  # ids are public in the items listing
    res = api.post("/api/pins", json=forged, headers=bearer(api.keys.editor12))
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["error"] == "outside_scope" and body["key_zone"] == "12"
    assert body["records"] == [{"record_id": theirs[0]["id"]}]
    after = api.get(f"/collections/pins/items/{stored.json()['rows'][0]['id']}").json()
    assert after == before and api.store.version() == version and api.store.count() == 1
    # the zone key still corrects its own records
    own = api.post("/api/pins", json=mine, headers=bearer(api.keys.editor12))
    again = api.post("/api/pins", json=mine, headers=bearer(api.keys.editor12))
    assert own.status_code == again.status_code == 201 and again.json()["rows"][0]["replaced"] is True


# -- 5. a zone admin manages only the editor and inspector keys of its zone ----------------------

def _cli_key(db: str, role: str, zone: str | None = None) -> tuple[str, str]:
    cmd = [str(Path(sys.executable).with_name("geoplots")), "keys", "create", "--role", role, "--db", db]
    if zone:
        cmd += ["--zone", zone]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1], out


@pytest.mark.parametrize("made_by", ["cli", "http"])
def test_zone_admin_cannot_escalate_or_reach_other_keys(store_url, boundary_dir, made_by):
    app = _app(store_url, boundary_dir)
    with TestClient(app) as client:
        keys = make_keys(app.state.store)
        if made_by == "cli":
            secret, said = _cli_key(store_url, "admin", "12")
            said = " ".join(said.split())  # the console wraps long lines
            assert "zone 12" in said and "editor and inspector keys" in said
        else:
            res = client.post("/api/keys", json={"role": "admin", "zone": "12"}, headers=bearer(keys.admin))
            assert res.status_code == 201
            secret = res.json()["key"]
        zadmin = bearer(secret)
        # no key beyond its zone, and no admin key at all
        for body in ({"role": "admin"}, {"role": "admin", "zone": "12"}, {"role": "editor", "zone": "13"},
                     {"role": "inspector", "zone": "1"}):
            res = client.post("/api/keys", json=body, headers=zadmin)
            assert res.status_code == 403 and res.json()["error"] == "outside_scope", (body, res.text)
        # keys of other scopes are neither listed nor revocable
        other = client.post("/api/keys", json={"role": "editor", "zone": "13"}, headers=bearer(keys.admin)).json()
        for kid in (keys.ids["admin"], keys.ids["editor"], other["id"]):
            res = client.delete(f"/api/keys/{kid}", headers=zadmin)
            assert res.status_code == 403 and res.json()["error"] == "outside_scope"
        assert client.get("/api/keys", headers=bearer(keys.admin)).status_code == 200
        assert client.get("/collections", headers=bearer(other["key"])).status_code == 200
        listed = client.get("/api/keys", headers=zadmin).json()
        assert listed and {k["zone"] for k in listed} == {"12"}
        # what it may do: editor/inspector keys of zone 12 (its zone by default)
        made = client.post("/api/keys", json={"role": "editor", "name": "อำเภอเมือง"}, headers=zadmin)
        assert made.status_code == 201 and made.json()["zone"] == "12"
        assert client.delete(f"/api/keys/{made.json()['id']}", headers=zadmin).status_code == 200
        assert client.delete(f"/api/keys/{keys.ids['editor12']}", headers=zadmin).status_code == 200
        # the unscoped admin still manages everything
        assert client.post("/api/keys", json={"role": "admin"}, headers=bearer(keys.admin)).status_code == 201


# -- 6. a zone key writes a plot only when its area lies in the zone -----------------------------

def _square(lon: float, lat: float, width_m: float, height_m: float) -> shapely.Polygon:
    """A lon/lat rectangle of the given size in metres around a point (UTM 48N)."""
    to_utm = Transformer.from_crs(4326, 32648, always_xy=True)
    to_ll = Transformer.from_crs(32648, 4326, always_xy=True)
    x, y = to_utm.transform(lon, lat)
    box = shapely.box(x - width_m / 2, y - height_m / 2, x + width_m / 2, y + height_m / 2)
    return shapely.transform(box, lambda x, y: to_ll.transform(x, y), interleaved=False)


def _plot_across_zones(outside_share: float, seed: int, boundaries) -> dict:
    """A MultiPolygon plot: one part in Khon Kaen (zone 12), one in Nakhon Ratchasima
    (zone 13) holding ``outside_share`` of the area. The zone-12 part is the wider one,
    so the point that locates the plot lies in zone 12."""
    inside = synthetic.sample_points(1, codes=["40"], seed=seed, boundaries=boundaries).iloc[0]
    outside = synthetic.sample_points(1, codes=["30"], seed=seed, boundaries=boundaries).iloc[0]
    total = 100_000.0
    a = _square(inside.lon, inside.lat, 400, total * (1 - outside_share) / 400)
    side = (total * outside_share) ** 0.5
    b = _square(outside.lon, outside.lat, side, side)
    geom = shapely.MultiPolygon([a, b])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": f"PL-{seed}"}, "geometry": json.loads(shapely.to_geojson(geom))}
    ]}


def test_zone_key_cannot_store_a_plot_mostly_outside_its_zone(api, boundaries):
    straddling = _plot_across_zones(0.70, seed=41, boundaries=boundaries)
    res = api.post("/api/pins?kind=plots", json=straddling, headers=bearer(api.keys.editor12))
    assert res.status_code == 403, res.text
    body = res.json()
    assert body["error"] == "outside_scope"
    assert body["plots"][0]["row"] == 2 and body["plots"][0]["share_outside"] == pytest.approx(0.70, abs=0.01)
    assert api.store.count() == 0
    # the point that locates it is in zone 12: an unscoped editor stores it there
    ok = api.post("/api/pins?kind=plots", json=straddling, headers=bearer(api.keys.editor))
    assert ok.status_code == 201 and ok.json()["rows"][0]["inspection_zone"] == "12"


def _plot_on_the_zone_border(boundaries) -> tuple[dict, float]:
    """One 400 m square on the border of zones 12 and 13 (Khon Kaen, Chaiyaphum) with 55-80 % of it in zone 12, and
    the share in zone 13 (measured here in degrees, close enough at this size)."""
    units = boundaries.level("subdistrict")
    units = units[units["code"].str[:2].isin(["40", "36"])]  # Khon Kaen (zone 12), Chaiyaphum (zone 13)
    zone = inspection_zones().group_of(units["code"]).astype(str)
    twelve = shapely.union_all(units.geometry[zone == "12"].values)
    thirteen = shapely.union_all(units.geometry[zone == "13"].values)
    border = shapely.intersection(twelve.boundary, thirteen.buffer(0.001))  # where the two meet
    for x, y in shapely.get_coordinates(border)[::5]:
        square = _square(x, y, 400, 400)
        inside = shapely.intersection(square, twelve).area / square.area
        if 0.55 < inside < 0.8 and twelve.contains(shapely.point_on_surface(square)):
            share = shapely.intersection(square, thirteen).area / square.area
            return {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "PL-B"},
                    "geometry": json.loads(shapely.to_geojson(square))}]}, share
    raise AssertionError("no border point found")


def test_zone_key_cannot_store_a_plot_across_the_zone_border(api, boundaries):
    plot, share = _plot_on_the_zone_border(boundaries)
    res = api.post("/api/pins?kind=plots", json=plot, headers=bearer(api.keys.editor12))
    assert res.status_code == 403, res.text
    assert res.json()["plots"][0]["share_outside"] == pytest.approx(share, abs=0.02)
    ok = api.post("/api/pins?kind=plots", json=plot, headers=bearer(api.keys.editor))
    assert ok.status_code == 201 and ok.json()["rows"][0]["inspection_zone"] == "12"


def test_zone_key_may_store_a_plot_with_a_border_sliver(api, boundaries):
    sliver = _plot_across_zones(0.005, seed=42, boundaries=boundaries)  # 500 m² of 100,000 outside: within 1 %
    res = api.post("/api/pins?kind=plots", json=sliver, headers=bearer(api.keys.editor12))
    assert res.status_code == 201, res.text
    assert res.json()["rows"][0]["inspection_zone"] == "12" and api.store.count() == 1


def test_plot_tolerance_is_a_setting(store_url, boundary_dir, boundaries):
    app = _app(store_url, boundary_dir, zone_outside_share=0.001, zone_outside_m2=0)
    with TestClient(app) as client:
        keys = make_keys(app.state.store)
        res = client.post("/api/pins?kind=plots", json=_plot_across_zones(0.005, seed=43, boundaries=boundaries),
                          headers=bearer(keys.editor12))
        assert res.status_code == 403 and res.json()["plots"][0]["share_outside"] == pytest.approx(0.005, abs=0.001)


# -- 11. links come from the configured public URL, never from the Host header -------------------

def _hrefs(body: dict) -> list[str]:
    links = list(body.get("links", []))
    for c in body.get("collections", []):
        links += c["links"]
    return [link["href"] for link in links]


def test_forged_host_header_does_not_reach_the_links(api, boundaries):
    pins, _ = pin_records(3, seed=51, boundaries=boundaries)
    assert api.post("/api/pins", json=pins, headers=bearer(api.keys.editor)).status_code == 201
    forged = {"Host": "evil.example"}
    for path in ("/collections", "/collections/pins", "/collections/pins/items?limit=1"):
        hrefs = _hrefs(api.get(path, headers=forged).json())
        assert hrefs and all(h.startswith("http://testserver/") for h in hrefs), hrefs


def test_links_use_the_public_url_setting(store_url, boundary_dir):
    app = _app(store_url, boundary_dir, public_url="https://warroom.cdd.go.th/gis/")
    with TestClient(app) as client:
        body = client.get("/collections/provinces/items?limit=2", headers={"Host": "evil.example"}).json()
        hrefs = _hrefs(body)
        assert {h.split("?")[0] for h in hrefs} == {
            "https://warroom.cdd.go.th/gis/collections/provinces/items", "https://warroom.cdd.go.th/gis/collections/provinces"}


def test_trusted_hosts_refuse_other_host_headers(store_url, boundary_dir):
    app = _app(store_url, boundary_dir, trusted_hosts="warroom.cdd.go.th,127.0.0.1")
    with TestClient(app, base_url="http://warroom.cdd.go.th") as client:
        assert client.get("/collections", headers={"Host": "evil.example"}).status_code == 400
        hrefs = _hrefs(client.get("/collections").json())
        assert all(h.startswith("http://warroom.cdd.go.th/") for h in hrefs)


# -- 12. protected reads: health, live events and maps stay within the key's zone ----------------

@pytest.fixture
def protected(store_url, boundary_dir):
    app = _app(store_url, boundary_dir, reads_protected=True)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        yield client


def test_health_shows_only_status_without_a_reader_key(protected, boundaries):
    theirs, _ = pin_records(4, codes=ZONE13, seed=61, prefix="NR", boundaries=boundaries)
    mine, _ = pin_records(2, seed=62, boundaries=boundaries)
    for batch in (theirs, mine):
        assert protected.post("/api/pins", json=batch, headers=bearer(protected.keys.editor)).status_code == 201
    assert protected.get("/health").json() == {"status": "ok"}
    full = protected.get("/health", headers=bearer(protected.keys.inspector)).json()
    assert full["records"] == 6 and full["version"] == 2
    zone = protected.get("/health", headers=bearer(protected.keys.inspector12)).json()
    assert zone["records"] == 2 and zone["zone"] == "12" and "version" not in zone


def test_zone_key_maps_provinces_of_its_zone_only(protected, boundaries):
    mine, _ = pin_records(3, seed=63, boundaries=boundaries)
    assert protected.post("/api/pins", json=mine, headers=bearer(protected.keys.editor)).status_code == 201
    own = protected.get("/maps/coverage?province=40", headers=bearer(protected.keys.inspector12))
    assert own.status_code == 200, own.text
    by_name = protected.get("/maps/coverage?province=ขอนแก่น", headers=bearer(protected.keys.inspector12))
    assert by_name.status_code == 200
    other = protected.get("/maps/coverage?province=10", headers=bearer(protected.keys.inspector12))
    assert other.status_code == 403 and other.json()["error"] == "outside_scope"
    # an unscoped key maps any province
    assert protected.get("/maps/coverage?province=10", headers=bearer(protected.keys.inspector)).status_code == 200


class _Stream(threading.Thread):
    """Reads ``/api/events`` with a key and keeps every event."""

    def __init__(self, url: str, secret: str) -> None:
        super().__init__(daemon=True)
        self.url, self.secret = url, secret
        self.events: list[tuple[str, dict]] = []
        self.hello = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=None))

    def run(self) -> None:
        try:
            with self.client.stream("GET", self.url + "/api/events", headers=bearer(self.secret)) as res:
                name = None
                for line in res.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        self.events.append((name, json.loads(line[6:])))
                        self.hello.set()
        except (httpx.HTTPError, RuntimeError):
            pass

    def records(self) -> list[dict]:
        return [data for name, data in self.events if name == "records"]


def test_zone_key_event_stream_carries_only_its_zone(tmp_path, boundary_dir, boundaries):
    db = str(tmp_path / "events.gpkg")
    with open_store(db) as s:
        keys = make_keys(s)
    theirs, _ = pin_records(3, codes=ZONE13, seed=64, prefix="NR", boundaries=boundaries)
    more, _ = pin_records(2, codes=ZONE13, seed=65, prefix="NR", boundaries=boundaries)
    mine, _ = pin_records(2, seed=66, boundaries=boundaries)
    with Uvicorn(db, boundary_dir, GEOPLOTS_READS_PROTECTED="true", GEOPLOTS_SSE_POLL_SECONDS="0.5") as server:
        assert httpx.post(server.url + "/api/pins", json=theirs, headers=bearer(keys.editor), timeout=60).status_code == 201
        scoped, everything = _Stream(server.url, keys.inspector12), _Stream(server.url, keys.inspector)
        for stream in (scoped, everything):
            stream.start()
            assert stream.hello.wait(20)
        assert scoped.events[0] == ("hello", {"records": 0, "zone": "12"})
        assert everything.events[0][1]["records"] == 3
        for batch in (more, mine):  # zone 13, then zone 12: a leak would arrive first
            assert httpx.post(server.url + "/api/pins", json=batch, headers=bearer(keys.editor),
                              timeout=60).status_code == 201
        deadline = time.monotonic() + 20
        while (len(everything.records()) < 2 or not scoped.records()) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # a version poll (every 0.5 s) must not leak the zone-13 batch either
        for stream in (scoped, everything):
            stream.client.close()
    assert [e["zones"] for e in everything.records()] == [["13"], ["12"]]
    assert scoped.records() == [{"kind": "pins", "added": 2, "zones": ["12"]}]


# -- 13. rate limits: anonymous reads per address, keys across processes ------------------------

def test_anonymous_flood_is_limited_per_address_and_keyed_screens_still_work(store_url, boundary_dir):
    app = _app(store_url, boundary_dir, anonymous_rate_limit_per_minute=20, rate_limit_per_minute=100)
    with TestClient(app, client=("10.20.30.40", 5000)) as flood:
        keys = make_keys(app.state.store)
        codes = [flood.get("/collections/pins/items").status_code for _ in range(25)]
        assert codes == [200] * 20 + [429] * 5
        res = flood.get("/collections/pins/items")
        assert res.json()["error"] == "rate_limited" and int(res.headers["retry-after"]) >= 1
        # made-up keys from the flooding address do not get around the limit
        assert flood.get("/collections/pins/items", headers=bearer("gp_made-up")).status_code == 429
        # a wall screen with a key, at the same address, is not starved
        assert flood.get("/api/coverage?level=province", headers=bearer(keys.inspector)).status_code == 200
        with TestClient(app, client=("10.20.30.41", 5000)) as neighbour:
            assert neighbour.get("/collections/pins/items").status_code == 200


def test_key_limit_holds_across_two_app_instances_on_one_store(store_url, boundary_dir):
    first = _app(store_url, boundary_dir, rate_limit_per_minute=4)
    second = _app(store_url, boundary_dir, rate_limit_per_minute=4)
    with TestClient(first) as a, TestClient(second) as b:
        keys = make_keys(first.state.store)
        codes = [c.get("/collections", headers=bearer(keys.inspector)).status_code for c in (a, b) * 4]
        assert codes == [200] * 4 + [429] * 4


def test_key_limit_holds_across_two_server_processes(tmp_path, boundary_dir):
    db = str(tmp_path / "shared.gpkg")
    with open_store(db) as s:
        keys = make_keys(s)
    env = {"GEOPLOTS_RATE_LIMIT_PER_MINUTE": "5"}
    with Uvicorn(db, boundary_dir, **env) as one, Uvicorn(db, boundary_dir, **env) as two:
        codes = [httpx.get(server.url + "/collections", headers=bearer(keys.inspector), timeout=30).status_code
                 for server in (one, two) * 5]
    assert sorted(codes) == [200] * 5 + [429] * 5 and codes[:5] == [200] * 5
