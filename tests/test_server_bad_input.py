"""Never a 500 on client input (issue 10, item 9): each odd input has its 4xx, on every store.

Deeply nested JSON, lone surrogates, NUL characters, NaN/Infinity and numbers out of
range, identifiers made of non-ASCII digits, NUL in query parameters, odd header bytes.
Each is answered with a 4xx that says what is wrong, and nothing is stored.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from conftest_store import store_url  # noqa: F401  (fixture: every store backend)
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys, pin_records

JSON = {"content-type": "application/json"}


@pytest.fixture
def api(store_url, boundary_dir):
    app = create_app(Settings(db=store_url, data=boundary_dir, rate_limit_per_minute=0))
    # raise_server_exceptions=False: a bug answers 500 here instead of raising in the test
    with TestClient(app, raise_server_exceptions=False) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        yield client


def _post(api, body: bytes, **kw):
    return api.post("/api/pins", content=body, headers={**JSON, **bearer(api.keys.editor)}, **kw)


def _record(value_json: str, *, key: str = "name", boundaries) -> bytes:
    """A one-record batch with ``key`` set to the raw JSON text ``value_json``."""
    (rec,), _ = pin_records(1, seed=2, boundaries=boundaries)
    fields = {"id": '"X-1"', "lat": rec["lat"], "lon": rec["lon"], key: value_json}
    return ("[{" + ", ".join(f'"{k}": {v}' for k, v in fields.items()) + "}]").encode()


def _refused(res, status: int = 422, code: str | None = None) -> dict:
    assert res.status_code == status, (res.status_code, res.text[:300])
    body = res.json()
    assert body["message"]
    if code is not None:
        assert body["error"] == code, body
    return body


@pytest.mark.parametrize("depth", [200, 5_000, 100_000])
def test_deeply_nested_json_is_422(api, depth, boundaries):
    _refused(_post(api, b"[" * depth + b"]" * depth), code="invalid_json")
    _refused(_post(api, _record("[" * depth + "1" + "]" * depth, boundaries=boundaries)), code="invalid_json")
    _refused(_post(api, b'{"a":' * depth + b"1" + b"}" * depth), code="invalid_json")
    assert api.store.count() == 0


def test_reasonable_nesting_is_kept_as_text(api, boundaries):
    res = _post(api, _record('{"a": [[1, 2], {"b": [3]}]}', key="extra", boundaries=boundaries))
    assert res.status_code == 201, res.text
    assert api.store.count() == 1


@pytest.mark.parametrize("value", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"'])
def test_lone_surrogate_in_a_value_is_422(api, value, boundaries):
    body = _refused(_post(api, _record(value, boundaries=boundaries)), code="invalid_text")
    assert "surrogate" in body["message"]
    assert api.store.count() == 0


def test_lone_surrogate_in_a_field_name_is_422(api, boundaries):
    (rec,), _ = pin_records(1, seed=2, boundaries=boundaries)
    body = ('[{{"id": "X", "lat": {}, "lon": {}, "\\ud83d": 1}}]'.format(rec["lat"], rec["lon"])).encode()
    _refused(_post(api, body), code="invalid_text")
    assert api.store.count() == 0


def test_a_paired_surrogate_escape_is_an_ordinary_character(api, boundaries):
    res = _post(api, _record('"\\ud83c\\udf3e \\u0e19\\u0e32"', boundaries=boundaries))  # 🌾 นา
    assert res.status_code == 201, res.text
    assert api.store.all_records()["name"].iloc[0] == "🌾 นา"


def test_nul_character_is_422(api, boundaries):
    body = _refused(_post(api, _record('"a\\u0000b"', boundaries=boundaries)), code="invalid_text")
    assert "NUL" in body["message"]
    _refused(_post(api, _record('"x"', key="a\\u0000", boundaries=boundaries)), code="invalid_text")
    assert api.store.count() == 0


def test_nul_in_an_uploaded_csv_is_422(api, boundaries):
    (rec,), _ = pin_records(1, seed=2, boundaries=boundaries)
    csv = f"id,name,lat,lon\nX-1,a\x00b,{rec['lat']},{rec['lon']}\n".encode()
    res = api.post("/api/pins", content=csv, headers={"content-type": "text/csv", **bearer(api.keys.editor)})
    assert 400 <= res.status_code < 500, (res.status_code, res.text[:300])
    assert api.store.count() == 0


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_non_finite_numbers_are_422(api, number, boundaries):
    body = _refused(_post(api, _record(number, key="extra", boundaries=boundaries)), code="invalid_json")
    assert "finite" in body["message"] or "number" in body["message"]
    _refused(_post(api, _record(number, key="lat", boundaries=boundaries)), code="invalid_json")
    assert api.store.count() == 0


def test_huge_integers_are_never_a_500(api, boundaries):
    _refused(_post(api, _record("1" + "0" * 5000, key="extra", boundaries=boundaries)), code="invalid_json")
    res = _post(api, _record("1" + "0" * 400, key="extra", boundaries=boundaries))
    assert res.status_code == 201, res.text
    res = _post(api, _record("1" + "0" * 30, key="lat", boundaries=boundaries))
    _refused(res, 422)  # a latitude out of range: the row is rejected with its reason


def test_invalid_utf8_and_other_encodings(api, boundaries):
    _refused(_post(api, b'[{"id": "\xff\xfe"}]'), code="invalid_json")
    (rec,), _ = pin_records(1, seed=2, boundaries=boundaries)
    utf16 = ('[{{"id": "U-1", "name": "นา", "lat": {}, "lon": {}}}]'.format(rec["lat"], rec["lon"])).encode("utf-16")
    assert _post(api, utf16).status_code == 201  # JSON may be UTF-16 (RFC 8259 readers accept it)


@pytest.mark.parametrize("feature_id", ["¹", "²³", "٣", "１", "๑๒", "0x1", "-1", "1e3", "9" * 19, "1 ", "%ED%A0%80"])
def test_item_ids_that_are_not_plain_digits_are_404(api, feature_id):
    for collection in ("pins", "provinces"):
        res = api.get(f"/collections/{collection}/items/{feature_id}")
        _refused(res, 404, "not_found")


def test_nul_in_a_path_is_422(api):
    for path in ("/collections/pins/items/1%00", "/collections/provinces/items/%00", "/collections/%00/items"):
        _refused(api.get(path), 422, "invalid_request")


@pytest.mark.parametrize("path", [
    "/collections/pins/items?province=%00",
    "/collections/pins/items?zone=%00",
    "/collections/pins/items?zone=1%001",
    "/collections/provinces/items?zone=%00&province=%00",
    "/api/coverage?zone=%00",
    "/api/coverage?rule=%00",
    "/maps/coverage?province=%00",
    "/maps/coverage?zone=1%00",
    "/collections/pins/items?bbox=1%00,2,3,4",
    "/collections/pins/items?limit=99999999999999999999999",
    "/collections/pins/items?offset=99999999999999999999999",
    "/collections/pins/items?bbox=1e400,1,2,3",
    "/collections/pins/items?bbox=nan,nan,nan,nan",
    "/api/coverage?zone=%ED%A0%80",
])
def test_odd_query_parameters_are_4xx(api, path, boundaries):
    (rec,), _ = pin_records(1, seed=2, boundaries=boundaries)
    assert api.post("/api/pins", json=[rec], headers=bearer(api.keys.editor)).status_code == 201
    res = api.get(path)
    assert res.status_code < 500, (res.status_code, res.text[:300])
    if "%00" in path:
        _refused(res, 422)


@pytest.mark.parametrize("value", [b"Bearer \xff\xfe", b"Bearer " + b"a" * 10_000, b"\x01", "Bearer ก".encode(),
                                   b"Bearer gp_\x7f", b"bearer  "])
def test_odd_authorization_headers_are_401(api, value):
    res = api.get("/api/keys", headers=[(b"authorization", value)])
    _refused(res, 401, "unauthorized")


def test_key_names_with_lone_surrogates_or_nul_are_422(api):
    admin = bearer(api.keys.admin)
    for name in ('"\\ud800"', '"a\\u0000"'):
        res = api.post("/api/keys", content=(f'{{"role": "editor", "name": {name}}}').encode(),
                       headers={**JSON, **admin})
        _refused(res, 422)
    res = api.post("/api/keys", content=b'{"role": "editor", "name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
                   headers={**JSON, **admin})
    assert 400 <= res.status_code < 500
    assert len(api.store.list_keys()) == 5  # only the test's own keys


def test_docstring_examples():
    import doctest

    import geoplots.server.inputs

    result = doctest.testmod(geoplots.server.inputs)
    assert result.attempted > 0 and result.failed == 0
