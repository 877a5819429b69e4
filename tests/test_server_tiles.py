"""Vector tiles of records and boundaries: decoded with mapbox-vector-tile, on every store."""

from __future__ import annotations

import math

import mapbox_vector_tile
import morecantile
import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from conftest_store import located, store_url  # noqa: F401  (fixture: every store backend)
from geoplots import synthetic
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys

MVT = "application/vnd.mapbox-vector-tile"
TMS = morecantile.tms.get("WebMercatorQuad")
Z = 9


@pytest.fixture
def tiles(store_url, tiny_boundaries):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=10_000), boundaries=tiny_boundaries)
    with TestClient(app) as client:
        client.store = app.state.store
        yield client


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    """Pins of Khon Kaen (zone 12) and Bangkok (another zone), with Thai names."""
    frame = synthetic.sample_points(150, codes=["40", "10"], seed=5, boundaries=tiny_boundaries)
    frame["name"] = [f"หมู่บ้านโก่งธนู {i}" for i in range(len(frame))]
    return located(frame)


def _decode(body: bytes, layer: str) -> list[dict]:
    return mapbox_vector_tile.decode(body).get(layer, {}).get("features", []) if body else []


def _busiest_tile(points: np.ndarray, z: int) -> morecantile.Tile:
    tiles = [TMS.tile(lon, lat, z) for lon, lat in points]
    return max(set(tiles), key=tiles.count)


def _lonlat(tile: morecantile.Tile, gx: float, gy: float) -> tuple[float, float]:
    """A decoded grid position (y up, as decode returns it) back to lon/lat."""
    b = TMS.xy_bounds(tile)
    x = b.left + gx / 4096 * (b.right - b.left)
    y = b.bottom + gy / 4096 * (b.top - b.bottom)
    lon = math.degrees(x / 6378137.0)
    lat = math.degrees(2 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2)
    return lon, lat


def test_record_tile_holds_exactly_the_records_in_it(tiles, pins):
    ids = tiles.store.add_records(pins, kind="pins").ids
    coords = shapely.get_coordinates(pins.geometry.values)
    tile = _busiest_tile(coords, Z)
    res = tiles.get(f"/collections/pins/tiles/WebMercatorQuad/{Z}/{tile.x}/{tile.y}")
    assert res.status_code == 200 and res.headers["content-type"] == MVT
    features = _decode(res.content, "pins")
    inside = {i: k for k, (i, (lon, lat)) in enumerate(zip(ids, coords)) if TMS.tile(lon, lat, Z) == tile}
    assert len(inside) >= 3
    got = {f["id"]: f for f in features}
    # the tile's buffer may add a neighbour or two, never lose one inside
    assert set(inside) <= set(got)
    for fid in set(got) - set(inside):
        lon, lat = coords[ids.index(fid)]
        b = TMS.bounds(tile)
        assert b.left - 0.05 < lon < b.right + 0.05 and b.bottom - 0.05 < lat < b.top + 0.05
    for fid, row in inside.items():
        feature = got[fid]
        src = pins.iloc[row]
        assert feature["properties"]["record_id"] == src["record_id"]
        assert feature["properties"]["name"] == src["name"]
        assert feature["properties"]["kind"] == "pins"
        assert feature["properties"]["inspection_zone"] == src["inspection_zone"]
        assert feature["geometry"]["type"] == "Point"
        lon, lat = _lonlat(tile, *feature["geometry"]["coordinates"])
        # one grid unit at zoom 9 is about 75 m
        assert abs(lon - coords[row][0]) < 0.001 and abs(lat - coords[row][1]) < 0.001


def test_each_kind_has_its_own_tiles(tiles, pins, tiny_boundaries):
    plots = located(synthetic.plots(10, codes=["40"], seed=6, boundaries=tiny_boundaries))
    tiles.store.add_records(pins, kind="pins")
    plot_ids = tiles.store.add_records(plots, kind="plots").ids
    world = [_decode(tiles.get(f"/collections/{cid}/tiles/WebMercatorQuad/0/0/0").content, cid)
             for cid in ("pins", "plots", "households")]
    assert len(world[0]) == len(pins) and {f["properties"]["kind"] for f in world[0]} == {"pins"}
    # a plot is far smaller than a zoom-0 grid cell: it collapses there, as with ST_AsMVTGeom
    assert world[1] == [] and world[2] == []
    for plot_id, geom in list(zip(plot_ids, plots.geometry))[:4]:
        point = geom.representative_point()
        tile = TMS.tile(point.x, point.y, 15)
        body = tiles.get(f"/collections/plots/tiles/WebMercatorQuad/15/{tile.x}/{tile.y}").content
        found = {f["id"]: f for f in _decode(body, "plots")}
        assert plot_id in found
        assert found[plot_id]["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert found[plot_id]["properties"]["kind"] == "plots"


def test_boundary_tiles_hold_the_units_they_cross(tiles, tiny_boundaries):
    provinces = tiny_boundaries.with_zones("province")
    res = tiles.get("/collections/provinces/tiles/WebMercatorQuad/5/25/14")
    assert res.status_code == 200
    tile = morecantile.Tile(25, 14, 5)
    box = shapely.box(*TMS.bounds(tile))
    want = set(provinces[provinces.intersects(box)]["code"])
    features = _decode(res.content, "provinces")
    assert {f["properties"]["code"] for f in features} == want and want
    khon_kaen = next(f for f in features if f["properties"]["code"] == "40")
    assert khon_kaen["id"] == 40 and khon_kaen["properties"]["name_th"] == "ขอนแก่น"
    assert khon_kaen["properties"]["inspection_zone"] == "12"
    assert khon_kaen["geometry"]["type"] in ("Polygon", "MultiPolygon")
    # sub-districts start at zoom 6 (TileJSON says so); below it the tile is empty
    assert tiles.get("/collections/subdistricts/tiles/WebMercatorQuad/5/25/14").content == b""
    sub = _decode(tiles.get("/collections/subdistricts/tiles/WebMercatorQuad/8/202/115").content, "subdistricts")
    assert sub and all(f["properties"]["code"].startswith(("40", "46", "10")) for f in sub)


def test_tiles_revalidate_until_a_batch_lands(tiles, pins):
    tiles.store.add_records(pins.iloc[:50], kind="pins")
    url = "/collections/pins/tiles/WebMercatorQuad/0/0/0"
    first = tiles.get(url)
    etag = first.headers["etag"]
    assert "no-cache" in first.headers["cache-control"]
    again = tiles.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    tiles.store.add_records(pins.iloc[50:], kind="pins")
    after = tiles.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    assert len(_decode(after.content, "pins")) == len(pins)
    # boundary tiles are keyed on the snapshot
    b = tiles.get("/collections/provinces/tiles/WebMercatorQuad/5/25/14")
    assert tiles.get("/collections/provinces/tiles/WebMercatorQuad/5/25/14",
                     headers={"If-None-Match": b.headers["etag"]}).status_code == 304


def test_tilejson_template_reaches_the_tiles(tiles, pins):
    tiles.store.add_records(pins, kind="pins")
    meta = tiles.get("/collections/pins/tiles/WebMercatorQuad").json()
    assert meta["tilejson"] == "3.0.0" and meta["vector_layers"][0]["id"] == "pins"
    template = meta["tiles"][0]
    assert template.endswith("/collections/pins/tiles/WebMercatorQuad/{z}/{x}/{y}")
    url = template.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
    assert len(_decode(tiles.get(url).content, "pins")) == len(pins)
    assert tiles.get("/collections/subdistricts/tiles/WebMercatorQuad").json()["minzoom"] == 6
    listing = tiles.get("/collections/provinces/tiles").json()
    assert listing["tilesets"][0]["tileMatrixSetURI"].endswith("/WebMercatorQuad")


@pytest.mark.parametrize("path", [
    "/collections/villages/tiles/WebMercatorQuad/0/0/0",
    "/collections/pins/tiles/WebMercatorQuad/23/0/0",
    "/collections/pins/tiles/WebMercatorQuad/2/4/0",
    "/collections/pins/tiles/WebMercatorQuad/2/0/-1",
    "/collections/pins/tiles/WebMercatorQuad/99999999999999999999/0/0",
])
def test_tiles_outside_the_grid_are_not_found(tiles, path):
    res = tiles.get(path)
    assert res.status_code == 404 and res.json()["error"] == "not_found"


def test_hostile_tile_requests_get_client_errors(tiles):
    assert tiles.get("/collections/pins/tiles/WebMercatorQuad/a/0/0").status_code in (400, 422)
    res = tiles.get("/collections/pins/tiles/WebMercatorQuad/0/0/0", params={"zone": '12"\r\nX-Evil: 1'})
    assert res.status_code == 200 and "x-evil" not in res.headers
    assert '"' not in res.headers["etag"].strip('"')


def test_zone_key_sees_only_its_zone_in_tiles(store_url, tiny_boundaries, pins):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=10_000, reads_protected=True),
                     boundaries=tiny_boundaries)
    with TestClient(app) as client:
        keys = make_keys(app.state.store)
        app.state.store.add_records(pins, kind="pins")
        url = "/collections/pins/tiles/WebMercatorQuad/0/0/0"
        assert client.get(url).status_code == 401
        own = _decode(client.get(url, headers=bearer(keys.inspector12)).content, "pins")
        assert own and {f["properties"]["inspection_zone"] for f in own} == {"12"}
        assert len(own) == int((pins["inspection_zone"] == "12").sum())
        assert client.get(url, params={"zone": "13"}, headers=bearer(keys.inspector12)).status_code == 403
        everyone = _decode(client.get(url, headers=bearer(keys.inspector)).content, "pins")
        assert len(everyone) == len(pins)
