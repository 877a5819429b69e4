"""OGC API - Features as the standard writes it, on every store backend: landing page,
conformance, one collection per kind, queryables/schema, CQL2 filters checked against
geopandas, sortby, properties, datetime, CRS, bbox forms, 400s, and the HTTP side (ETag,
304, HEAD, gzip, CORS).
"""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from conftest_store import located, store_url  # noqa: F401  (fixture: every store backend)
from geoplots import synthetic
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


def stored_records(store, boundaries) -> None:
    """Plots (polygons, area_rai_drawn, a reported date) and households (has_garden,
    target_tier) in ``store``, as a field office would send them.
    """
    plots = synthetic.plots(24, codes=["40", "46"], seed=3, boundaries=boundaries)
    plots["date"] = pd.to_datetime("2025-01-01") + pd.to_timedelta(np.arange(len(plots)), unit="D")
    plots["name"] = [f"แปลง {i} O'Neil" if i % 5 == 0 else f"แปลง {i}" for i in range(len(plots))]
    store.add_records(located(plots), kind="plots")
    households = synthetic.households(("12",), per_unit=(2, 4), seed=4, boundaries=boundaries)
    households = households[households["subdistrict_code"].notna()]
    store.add_records(located(households), kind="households")


@pytest.fixture
def ogc(store_url, tiny_boundaries):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=100_000, anonymous_rate_limit_per_minute=0,
                              cors_write_origins="https://office.example"), boundaries=tiny_boundaries)
    with TestClient(app) as client:
        stored_records(app.state.store, tiny_boundaries)
        client.store = app.state.store
        client.keys = make_keys(app.state.store)
        yield client


def everything(client, collection: str, **params) -> dict:
    res = client.get(f"/collections/{collection}/items", params={"limit": 10_000, **params})
    assert res.status_code == 200, res.text
    return res.json()


def truth(client, kind: str) -> gpd.GeoDataFrame:
    from geoplots.server.store import RecordFilter

    return client.store.all_records(RecordFilter(kind=kind))


# -- landing page, conformance, collections ------------------------------------------------------

def test_landing_page_is_json_for_clients_and_the_war_room_for_browsers(ogc):
    for res in (ogc.get("/", headers={"Accept": "application/json"}), ogc.get("/?f=json"),
                ogc.get("/", headers={"Accept": "*/*"}), ogc.get("/", headers={"Accept": ""})):
        assert res.status_code == 200 and res.headers["content-type"].startswith("application/json")
        links = {link["rel"]: link for link in res.json()["links"]}
        assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(links)
        assert links["data"]["href"].endswith("/collections")
        # the OpenAPI version the link names is the one served
        spec = ogc.get(links["service-desc"]["href"]).json()
        assert links["service-desc"]["type"].endswith("version=" + ".".join(spec["openapi"].split(".")[:2]))
        assert ogc.get(links["service-doc"]["href"]).status_code == 200
    for page in (ogc.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}),
                 ogc.get("/?f=html", headers={"Accept": "application/json"})):
        assert page.headers["content-type"].startswith("text/html") and "count-records" in page.text
        assert "Accept" in page.headers["vary"]


def test_conformance_claims_only_what_is_served(ogc):
    classes = ogc.get("/conformance").json()["conformsTo"]
    assert not any("oas30" in c for c in classes)  # /openapi.json is OpenAPI 3.1
    assert ogc.get("/openapi.json").json()["openapi"].startswith("3.1")
    for needed in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                   "ogcapi-features-3/1.0/conf/filter", "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/cql2-json",
                   "ogcapi-features-2/1.0/conf/crs"):
        assert any(c.endswith(needed) for c in classes), needed


def test_one_collection_per_kind_with_one_geometry_type_and_its_own_extent(ogc):
    listed = {c["id"]: c for c in ogc.get("/collections").json()["collections"]}
    plots, households = truth(ogc, "plots"), truth(ogc, "households")
    for kind, frame, types in (("plots", plots, {"Polygon"}), ("households", households, {"Point"})):
        body = everything(ogc, kind)
        assert body["numberMatched"] == len(frame)
        assert {f["geometry"]["type"] for f in body["features"] if f["geometry"]} == types  # (or none: an address)
        assert {f["properties"]["kind"] for f in body["features"]} == {kind}
        box = listed[kind]["extent"]["spatial"]["bbox"][0]
        # from the spatial index (SQLite's R*Tree keeps 32-bit floats, rounded outwards): it holds every record
        minx, miny, maxx, maxy = frame.total_bounds
        assert box[0] <= minx and box[1] <= miny and box[2] >= maxx and box[3] >= maxy
        assert box == pytest.approx([minx, miny, maxx, maxy], abs=1e-4)
    assert everything(ogc, "pins")["numberMatched"] == 0
    assert listed["plots"]["extent"]["spatial"]["bbox"] != listed["households"]["extent"]["spatial"]["bbox"]
    rels = {link["rel"] for link in listed["plots"]["links"]}
    assert {"self", "items", "describedby", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= rels


def test_queryables_and_schema_type_every_field(ogc):
    for kind, expected in (("households", {"has_garden": "boolean", "target_tier": "string"}),
                           ("plots", {"area_rai_drawn": "number", "received_at": "string", "row": "integer"})):
        for doc in ("queryables", "schema"):
            res = ogc.get(f"/collections/{kind}/{doc}")
            assert res.status_code == 200 and res.headers["content-type"].startswith("application/schema+json")
            props = res.json()["properties"]
            assert {name: props[name]["type"] for name in expected} == expected
            assert props["geometry"]["format"] == ("geometry-polygon-or-multipolygon" if kind == "plots"
                                                   else "geometry-point")
    assert "warnings" in ogc.get("/collections/plots/schema").json()["properties"]
    assert "warnings" not in ogc.get("/collections/plots/queryables").json()["properties"]
    # every feature carries every field of the schema, so clients that read the first page see them all
    schema = set(ogc.get("/collections/households/schema").json()["properties"]) - {"geometry"}
    assert all(set(f["properties"]) == schema for f in everything(ogc, "households")["features"])


# -- filters -----------------------------------------------------------------------------------

AREA = shapely.box(102.5, 16.0, 103.5, 17.0)


def _ids(body: dict) -> set:
    return {f["properties"]["record_id"] for f in body["features"]}


@pytest.mark.parametrize("kind, text, expected", [
    ("plots", "area_rai_drawn > 5", lambda f: f["area_rai_drawn"] > 5),
    ("plots", "area_rai_drawn BETWEEN 2 AND 6 AND province_code = '40'",
     lambda f: f["area_rai_drawn"].between(2, 6) & (f["province_code"] == "40")),
    ("plots", "NOT (province_code IN ('46')) OR area_rai_drawn < 3",
     lambda f: (f["province_code"] != "46") | (f["area_rai_drawn"] < 3)),
    ("plots", "subdistrict_code LIKE '4001%'", lambda f: f["subdistrict_code"].str.startswith("4001")),
    ("plots", f"S_INTERSECTS(geometry, {AREA.wkt})", lambda f: f.intersects(AREA)),
    ("plots", "S_INTERSECTS(geometry, BBOX(102.5, 16.0, 103.5, 17.0)) AND kind = 'plots'",
     lambda f: f.intersects(AREA)),
    ("plots", f"S_WITHIN(geometry, {AREA.wkt})", lambda f: f.within(AREA)),
    ("plots", "name LIKE '%0 O%'", lambda f: f["name"].str.contains("0 O", regex=False)),
    ("plots", "name LIKE 'แปลง 1_'", lambda f: f["name"].str.fullmatch("แปลง 1.")),
    ("households", "has_garden = true AND target_tier IS NOT NULL", lambda f: f["has_garden"].astype(bool)),
    ("households", "has_garden = false", lambda f: ~f["has_garden"].astype(bool)),
])
def test_cql2_text_filters_match_geopandas(ogc, kind, text, expected):
    frame = truth(ogc, kind)
    want = set(frame.loc[np.asarray(expected(frame), dtype=bool), "record_id"])
    assert 0 < len(want) < len(frame) or kind == "households", "the case must tell filters apart"
    body = everything(ogc, kind, filter=text)
    assert _ids(body) == want and body["numberMatched"] == len(want)


def test_cql2_json_filters_match_the_text_ones(ogc):
    as_json = {"op": "and", "args": [
        {"op": ">", "args": [{"property": "area_rai_drawn"}, 4]},
        {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [102.5, 16.0, 103.5, 17.0]}]},
    ]}
    text = "area_rai_drawn > 4 AND S_INTERSECTS(geometry, BBOX(102.5, 16.0, 103.5, 17.0))"
    got = everything(ogc, "plots", filter=json.dumps(as_json), **{"filter-lang": "cql2-json"})
    assert _ids(got) == _ids(everything(ogc, "plots", filter=text)) and got["numberMatched"] > 0


@pytest.mark.parametrize("params, says", [
    ({"filter": "no_such_field = 1"}, "not a queryable"),
    ({"filter": "province_code = 40"}, "holds string values"),
    ({"filter": "area_rai_drawn >"}, "not valid cql2-text"),
    ({"filter": "warnings = 'x'"}, "not a queryable"),
    ({"filter": "{\"op\": \"=\"", "filter-lang": "cql2-json"}, "not valid cql2-json"),
    ({"filter": "kind = 'plots'", "filter-lang": "ecql"}, "filter-lang"),
    ({"filter": json.dumps({"op": "=", "args": [{"property": "name\"; DROP TABLE records; --"}, "x"]}),
      "filter-lang": "cql2-json"}, "not a queryable"),
    ({"filter": "kind = 'plots'", "filter-crs": EPSG4326}, "filter-crs"),
    ({"sortby": "-nope"}, "Cannot sort by"),
    ({"properties": "name,nope"}, "No such properties"),
    ({"datetime": "yesterday"}, "RFC 3339"),
    ({"datetime": "2025-02-01/2025-01-01"}, "ends before"),
    ({"crs": "EPSG:3857"}, "crs must be"),
    ({"bbox-crs": "EPSG:32647", "bbox": "1,2,3,4"}, "bbox-crs must be"),
    ({"limit": "0"}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"f": "html"}, "f must be"),
    ({"filtr": "kind = 'plots'", "sort": "name"}, "filtr, sort"),
])
def test_what_cannot_be_answered_exactly_is_a_400_saying_why(ogc, params, says):
    res = ogc.get("/collections/plots/items", params=params)
    assert res.status_code == 400, res.text
    assert says in res.json()["message"]
    assert everything(ogc, "plots")["numberMatched"] == 24  # and nothing happened to the records


@pytest.mark.parametrize("text, lang", [
    ("row = 99999999999999999999999999", "cql2-text"),
    ("row > -1e308 AND area_rai_drawn < 1e308", "cql2-text"),
    ("[" * 5000 + "]" * 5000, "cql2-json"),
    ("NOT (" * 400 + "kind = 'plots'" + ")" * 400, "cql2-text"),
])
def test_extreme_filters_are_answered_not_500(ogc, text, lang):
    res = ogc.get("/collections/plots/items", params={"filter": text, "filter-lang": lang})
    assert res.status_code in (200, 400), res.text


def test_quotes_in_values_are_values(ogc):
    def where(value: str) -> dict:
        return {"filter": json.dumps({"op": "=", "args": [{"property": "name"}, value]}), "filter-lang": "cql2-json"}

    assert everything(ogc, "plots", **where("x' OR '1'='1"))["numberMatched"] == 0
    assert _ids(everything(ogc, "plots", **where("แปลง 5 O'Neil"))) == {"PL-0000006"}


def test_unknown_parameters_are_refused_on_every_route(ogc):
    for path in ("/conformance", "/collections", "/collections/plots", "/collections/plots/queryables",
                 "/collections/plots/items/1"):
        res = ogc.get(path, params={"nonsense": "1"})
        assert res.status_code == 400 and "nonsense" in res.json()["message"], path


def test_sortby_orders_and_properties_select(ogc):
    frame = truth(ogc, "plots")
    body = everything(ogc, "plots", sortby="-area_rai_drawn", properties="record_id,area_rai_drawn")
    got = [f["properties"]["area_rai_drawn"] for f in body["features"]]
    assert got == sorted(frame["area_rai_drawn"], reverse=True)
    assert all(set(f["properties"]) == {"record_id", "area_rai_drawn"} for f in body["features"])
    # paging keeps the order across pages
    first = ogc.get("/collections/plots/items", params={"sortby": "+area_rai_drawn", "limit": 10}).json()
    second = ogc.get(next(link["href"] for link in first["links"] if link["rel"] == "next")).json()
    pages = [f["properties"]["area_rai_drawn"] for f in first["features"] + second["features"]]
    assert pages == sorted(frame["area_rai_drawn"])[:20]


def test_datetime_filters_on_the_reported_date(ogc):
    frame = truth(ogc, "plots")
    dates = pd.to_datetime(frame["date"])
    for value, keep in (
        ("2025-01-05", dates == "2025-01-05"),
        ("2025-01-03T00:00:00Z/2025-01-10T00:00:00Z", dates.between("2025-01-03", "2025-01-10")),
        ("../2025-01-04", dates <= "2025-01-04"),
        ("2025-01-20/..", dates >= "2025-01-20"),
    ):
        body = everything(ogc, "plots", datetime=value)
        assert _ids(body) == set(frame.loc[keep.to_numpy(), "record_id"]), value


# -- CRS and bbox ----------------------------------------------------------------------------------

def test_epsg_4326_answers_and_boxes_in_lat_lon_order(ogc):
    frame = truth(ogc, "households")
    lonlat = everything(ogc, "households")
    latlon = everything(ogc, "households", crs=EPSG4326)
    assert latlon["features"][0]["geometry"]["coordinates"] == lonlat["features"][0]["geometry"]["coordinates"][::-1]
    res = ogc.get("/collections/households/items", params={"crs": EPSG4326, "limit": 1})
    assert res.headers["content-crs"] == f"<{EPSG4326}>"
    assert ogc.get("/collections/households/items?limit=1").headers["content-crs"] == f"<{CRS84}>"
    box = (102.5, 16.0, 103.5, 17.0)
    want = set(frame.loc[frame.intersects(shapely.box(*box)), "record_id"])
    assert 0 < len(want) < len(frame)
    by_lonlat = everything(ogc, "households", bbox="102.5,16.0,103.5,17.0")
    by_latlon = everything(ogc, "households", bbox="16.0,102.5,17.0,103.5", **{"bbox-crs": EPSG4326})
    assert _ids(by_lonlat) == _ids(by_latlon) == want
    six = everything(ogc, "households", bbox="102.5,16.0,-10,103.5,17.0,500")
    assert _ids(six) == want


def test_antimeridian_bbox_is_two_boxes(ogc):
    # Thailand is far from 180°: a box from 100°E across the antimeridian to 170°W holds every record
    frame = truth(ogc, "plots")
    assert everything(ogc, "plots", bbox="100,5,-170,21")["numberMatched"] == len(frame)
    assert everything(ogc, "plots", bbox="170,5,-170,21")["numberMatched"] == 0
    assert everything(ogc, "provinces", bbox="100,5,-170,21")["numberMatched"] == 3


def test_coordinates_have_seven_decimals(ogc):
    for f in everything(ogc, "plots")["features"]:
        for x, y in f["geometry"]["coordinates"][0]:
            assert round(x, 7) == x and round(y, 7) == y


def test_a_single_feature_links_to_itself_and_its_collection(ogc):
    first = everything(ogc, "plots")["features"][0]
    res = ogc.get(f"/collections/plots/items/{first['id']}")
    feature = res.json()
    rels = {link["rel"]: link["href"] for link in feature["links"]}
    assert rels["self"].endswith(f"/collections/plots/items/{first['id']}")
    assert rels["collection"].endswith("/collections/plots") and "alternate" in rels
    assert set(feature["properties"]) == set(first["properties"])
    assert feature["properties"]["record_id"] == first["properties"]["record_id"]
    # a plot is not a household
    assert ogc.get(f"/collections/households/items/{first['id']}").status_code == 404


# -- HTTP: ETag, HEAD, gzip, CORS ------------------------------------------------------------------

def test_etag_304_and_a_new_tag_after_a_write(ogc, tiny_boundaries):
    url = "/collections/plots/items?limit=5"
    first = ogc.get(url)
    tag = first.headers["etag"]
    assert "no-cache" in first.headers["cache-control"]
    again = ogc.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert ogc.get(url + "&offset=5", headers={"If-None-Match": tag}).status_code == 200
    more = synthetic.plots(2, codes=["40"], seed=9, boundaries=tiny_boundaries)
    ogc.store.add_records(located(more), kind="plots")
    after = ogc.get(url, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    bounds = ogc.get("/collections/provinces/items?limit=1")
    assert "max-age" in bounds.headers["cache-control"]
    assert ogc.get("/collections/provinces/items?limit=1",
                   headers={"If-None-Match": bounds.headers["etag"]}).status_code == 304


def test_head_answers_every_get(ogc):
    for path in ("/", "/conformance", "/collections", "/collections/plots", "/collections/plots/items",
                 "/collections/plots/queryables", "/health", "/openapi.json"):
        get, head = ogc.get(path), ogc.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], path


def test_json_answers_are_gzipped(ogc):
    res = ogc.get("/collections/plots/items", headers={"Accept-Encoding": "gzip"})
    assert res.headers["content-encoding"] == "gzip"
    raw = ogc.get("/collections/plots/items", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert json.loads(gzip.decompress(res.read()) if False else res.content)["numberMatched"] == 24
    assert int(res.headers["content-length"]) < len(raw.content) / 3


def test_cors_reads_for_every_origin_writes_for_configured_ones(ogc):
    page = {"Origin": "https://gis.other-office.example"}
    res = ogc.get("/collections/plots/items?limit=1", headers=page)
    assert res.headers["access-control-allow-origin"] == "*"
    assert "ETag" in res.headers["access-control-expose-headers"]
    pre = ogc.options("/collections/plots/items", headers={**page, "Access-Control-Request-Method": "GET",
                                                             "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 204 and "GET" in pre.headers["access-control-allow-methods"]
    assert "Authorization" in pre.headers["access-control-allow-headers"]
    refused = ogc.options("/api/pins", headers={**page, "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    write = ogc.post("/api/pins", json=[], headers={**page, **bearer(ogc.keys.editor)})
    assert "access-control-allow-origin" not in write.headers
    office = {"Origin": "https://office.example"}
    allowed = ogc.options("/api/pins", headers={**office, "Access-Control-Request-Method": "POST"})
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == "https://office.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]


def test_limit_above_the_maximum_is_served_at_the_maximum(ogc):
    ogc.app.state.settings.max_page = 10  # the server's bound; the standard lets it lower a limit
    body = ogc.get("/collections/plots/items", params={"limit": 1000}).json()
    assert body["numberReturned"] == 10 and body["numberMatched"] == 24
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert "limit=10" in nxt and "offset=10" in nxt
