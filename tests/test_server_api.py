"""Endpoint tests with the real app on a temp store: features, auth, limits, keys, health."""

from __future__ import annotations


import pytest
import shapely
from fastapi.testclient import TestClient

from conftest_store import store_url  # noqa: F401  (fixture: every store backend)
from geoplots.counting.rules import RULES
from geoplots.groups import inspection_zones
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys, pin_records


@pytest.fixture
def api(store_url, boundaries):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=10_000,
                              max_batch_rows=50, max_body_bytes=200_000), boundaries=boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.app_state = app.state
        yield client


def test_health_and_page(api, boundaries):
    health = api.get("/health").json()
    assert health["status"] == "ok" and health["records"] == 0 and health["boundaries"]
    page = api.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})  # a browser: the war-room page
    assert page.status_code == 200
    assert "count-records" in page.text and "OCHA, Royal Thai Survey Department" in page.text
    # every zone of the scheme is selectable
    for zone in inspection_zones().groups():
        assert f'value="{zone}"' in page.text
    # the targets and the records they count come from the rule registry
    rule = RULES["household_participation"]
    assert f'<option value="{rule.name}" data-kind="{rule.kind}">{rule.title}</option>' in page.text


def test_collections_list_one_per_kind_and_the_three_levels(api):
    body = api.get("/collections").json()
    assert [c["id"] for c in body["collections"]] == ["pins", "plots", "households", "subdistricts", "districts",
                                                      "provinces"]
    assert api.get("/collections/districts").json()["id"] == "districts"
    missing = api.get("/collections/villages")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert "conf/core" in " ".join(api.get("/conformance").json()["conformsTo"])


def test_boundary_items_bbox_and_paging_match_geopandas(api, boundaries):
    box = (102.5, 16.0, 103.2, 16.6)
    districts = boundaries.level("district")
    expected = set(districts.loc[districts.intersects(shapely.box(*box)), "code"])
    got, url, pages = [], f"/collections/districts/items?bbox={','.join(map(str, box))}&limit=7", 0
    while url:
        res = api.get(url)
        assert res.status_code == 200 and res.headers["content-type"].startswith("application/geo+json")
        body = res.json()
        assert body["numberMatched"] == len(expected)
        assert body["numberReturned"] == len(body["features"]) <= 7
        got += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://testserver", "") if nxt else None
        pages += 1
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    assert pages == -(-len(expected) // 7)
    feature = body["features"][0]
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {"code", "name_th", "name_en", "inspection_zone"} <= set(feature["properties"])


def test_boundary_items_by_zone_and_one_feature(api, boundaries):
    body = api.get("/collections/provinces/items?zone=12&limit=100").json()
    assert sorted(f["id"] for f in body["features"]) == sorted(inspection_zones().codes_in("12"))
    one = api.get("/collections/provinces/items/40")
    assert one.status_code == 200 and one.json()["properties"]["name_en"] == boundaries.level(
        "province").set_index("code").loc["40", "name_en"]
    assert api.get("/collections/provinces/items/99").status_code == 404


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "5,5,1,1", "nan,1,2,3", "1,2,3,4,5", "0,-91,1,1"])
def test_bad_bbox_is_a_400_that_says_the_format(api, bbox):
    res = api.get(f"/collections/pins/items?bbox={bbox}")
    assert res.status_code == 400 and "minx,miny,maxx,maxy" in res.json()["message"]


def test_framework_errors_are_json_in_the_same_shape(api):
    # parameter validation (FastAPI's own, a 400 on the OGC routes as the standard says), unknown paths
    # and wrong methods
    res = api.get("/collections/pins/items?limit=-1")
    body = res.json()
    assert res.status_code == 400 and body["error"] == "invalid_request"
    assert "limit (query)" in body["message"] and body["detail"][0]["loc"] == ["query", "limit"]
    missing = api.get("/no/such/page")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = api.delete("/health")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_writes_need_a_key_with_write_role(api, boundaries):
    records, _ = pin_records(2, boundaries=boundaries)
    none = api.post("/api/pins", json=records)
    assert none.status_code == 401 and none.json()["error"] == "unauthorized"
    assert none.headers["www-authenticate"] == "Bearer"
    bad = api.post("/api/pins", json=records, headers=bearer("gp_not-a-key"))
    assert bad.status_code == 401
    reader = api.post("/api/pins", json=records, headers=bearer(api.keys.inspector))
    assert reader.status_code == 403 and reader.json()["error"] == "forbidden"
    assert api.get("/health").json()["records"] == 0


def test_revoked_key_is_refused(api, boundaries):
    store = api.app_state.store
    store.revoke_key(api.keys.ids["editor"])
    records, _ = pin_records(1, boundaries=boundaries)
    assert api.post("/api/pins", json=records, headers=bearer(api.keys.editor)).status_code == 401


def test_reads_are_open_by_default_and_protected_on_request(store_url, boundaries):
    app = create_app(Settings(db=store_url, reads_protected=True), boundaries=boundaries)
    with TestClient(app) as client:
        keys = make_keys(app.state.store)
        assert client.get("/collections/pins/items").status_code == 401
        assert client.get("/collections/pins/items", headers=bearer(keys.inspector)).status_code == 200
        own = client.get("/collections/provinces/items?zone=12", headers=bearer(keys.inspector12))
        assert own.status_code == 200
        other = client.get("/collections/provinces/items?zone=13", headers=bearer(keys.inspector12))
        assert other.status_code == 403 and other.json()["error"] == "outside_scope"
        # a zone-limited key asking for everything gets its own zone only
        default = client.get("/collections/provinces/items?limit=100", headers=bearer(keys.inspector12)).json()
        assert {f["properties"]["inspection_zone"] for f in default["features"]} == {"12"}
        assert client.get("/collections/provinces/items/10", headers=bearer(keys.inspector12)).status_code == 403


def test_body_over_the_limit_is_413_before_reading(api):
    big = b"[" + b",".join([b'{"lat": "16.4", "lon": "102.8", "note": "' + b"x" * 1000 + b'"}'] * 300) + b"]"
    res = api.post("/api/pins", content=big, headers={**bearer(api.keys.editor), "content-type": "application/json"})
    assert res.status_code == 413 and res.json()["error"] == "body_too_large"


def test_chunked_body_over_the_limit_is_413(api):
    def chunks():
        for _ in range(300):
            yield b" " * 1000

    res = api.post("/api/pins", content=chunks(), headers={**bearer(api.keys.editor), "content-type": "application/json"})
    assert res.status_code == 413


def test_too_many_rows_is_413_with_the_limit(api, boundaries):
    records, _ = pin_records(51, boundaries=boundaries)
    res = api.post("/api/pins", json=records, headers=bearer(api.keys.editor))
    assert res.status_code == 413
    body = res.json()
    assert body["error"] == "too_many_rows" and body["max_batch_rows"] == 50 and body["rows"] == 51


def test_too_many_rows_in_an_uploaded_file_is_413(api, boundaries):
    records, _ = pin_records(60, boundaries=boundaries)
    csv = "id,lat,lon\n" + "\n".join(f"{r['id']},{r['lat']},{r['lon']}" for r in records)
    res = api.post("/api/pins", files={"file": ("pins.csv", csv.encode(), "text/csv")},
                   headers=bearer(api.keys.editor))
    assert res.status_code == 413 and res.json()["error"] == "too_many_rows"


def test_rate_limit_is_429_with_retry_after(store_url, boundaries):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=3), boundaries=boundaries)
    with TestClient(app) as client:
        keys = make_keys(app.state.store)
        codes = [client.get("/collections", headers=bearer(keys.inspector)).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        res = client.get("/collections", headers=bearer(keys.inspector))
        assert int(res.headers["retry-after"]) >= 1 and res.json()["error"] == "rate_limited"
        # the limit is per key: another key still gets through
        assert client.get("/collections", headers=bearer(keys.editor)).status_code == 200


@pytest.mark.parametrize(
    "body, ctype",
    [(b"{not json", "application/json"), (b'"a string"', "application/json"), (b"[1, 2]", "application/json"),
     (b"[]", "application/json"), (b'{"type": "FeatureCollection", "features": [{"type": "Feature", '
                                   b'"geometry": {"type": "Polygon", "coordinates": [[1]]}}]}', "application/json")],
)
def test_bad_json_is_422_never_500(api, body, ctype):
    res = api.post("/api/pins", content=body, headers={**bearer(api.keys.editor), "content-type": ctype})
    assert res.status_code == 422, res.text
    assert res.json()["message"]


def test_unsupported_content_type_is_415(api):
    res = api.post("/api/pins", content=b"x", headers={**bearer(api.keys.editor), "content-type": "image/png"})
    assert res.status_code == 415


def test_keys_api_is_for_admins_and_shows_the_secret_once(api):
    assert api.post("/api/keys", json={"role": "editor"}, headers=bearer(api.keys.editor)).status_code == 403
    res = api.post("/api/keys", json={"role": "editor", "zone": "12", "name": "สนง.พช.กาฬสินธุ์"},
                   headers=bearer(api.keys.admin))
    assert res.status_code == 201
    secret = res.json()["key"]
    listing = api.get("/api/keys", headers=bearer(api.keys.admin))
    assert secret not in listing.text and len(listing.json()) == 6
    assert api.post("/api/keys", json={"role": "editor", "zone": "99"}, headers=bearer(api.keys.admin)).status_code == 422
    kid = res.json()["id"]
    assert api.delete(f"/api/keys/{kid}", headers=bearer(api.keys.admin)).json()["revoked"] is True
    assert api.get("/collections", headers=bearer(secret)).status_code == 401
