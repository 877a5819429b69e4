"""No input makes the server answer 5xx (issue 10, item 9), found by generating inputs.

* Schemathesis, from the app's own OpenAPI schema: every operation (the event stream
  excepted: it never ends), with inputs that fit the schema and inputs that do not (wrong
  types, values out of range, missing or extra fields), collection ids drawn from the
  real ones too, and an administrator key throughout (it is re-created when a generated
  DELETE revokes it).
* Hypothesis, for ``POST /api/pins``: batches of records whose fields are hostile text
  (formulas, markup, NUL, lone surrogates, control characters), odd numbers (NaN,
  Infinity, huge integers) and nested values, as JSON, GeoJSON and CSV. Besides "no 5xx",
  every answer is strict JSON and every record acknowledged as new is in the store.

Bounded (examples per operation fixed, no shrinking of passes) so the module runs in about
half a minute on a quiet machine, and under a minute on a busy one.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402

from geoplots.server.app import create_app  # noqa: E402
from geoplots.server.events import LocalEventBus  # noqa: E402
from geoplots.server.routers.features import COLLECTIONS  # noqa: E402
from geoplots.server.settings import Settings  # noqa: E402
from geoplots.server.store import open_store  # noqa: E402

#: Examples per operation and generation mode; the costly ones (coverage is computed,
#: the map page rendered, records located) get fewer.
EXAMPLES = {"default": 60, "GET /maps/coverage": 20, "GET /api/coverage": 30, "POST /api/pins": 40}


@pytest.fixture(scope="module")
def served(tmp_path_factory, boundaries):
    db = tmp_path_factory.mktemp("schema") / "schema.gpkg"
    store = open_store(db)
    key, admin = store.create_key("admin", name="schemathesis")
    app = create_app(Settings(db=str(db), rate_limit_per_minute=0, anonymous_rate_limit_per_minute=0,
                              max_batch_rows=200),
                     store=store, bus=LocalEventBus(), boundaries=boundaries)
    auth = {"id": key.id, "headers": {"Authorization": f"Bearer {admin}"}}
    yield app, store, auth
    store.close()


def _keep_admin(store, auth: dict, case, response) -> None:
    """A generated DELETE may revoke the test's own key: make a new one, and go on."""
    if case.method.upper() == "DELETE" and response.status_code == 200 and \
            str(case.path_parameters.get("key_id")) == str(auth["id"]):
        key, secret = store.create_key("admin", name="schemathesis")
        auth.update(id=key.id, headers={"Authorization": f"Bearer {secret}"})


def test_no_generated_request_makes_a_server_error(served):
    app, store, auth = served
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/events")
    real_ids = st.sampled_from([*COLLECTIONS, "10", "1001", "100101", "1"])
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=strategy, data=st.data())
        @settings(max_examples=EXAMPLES.get(operation.label, EXAMPLES["default"]), deadline=None,
                  suppress_health_check=list(HealthCheck), database=None, derandomize=True)
        def run(case, data):
            params = case.path_parameters or {}
            for name in ("collection_id", "feature_id"):
                if name in params and data.draw(st.booleans()):
                    params[name] = data.draw(real_ids)
            response = case.call(headers=auth["headers"])
            case.validate_response(response, checks=[not_a_server_error])
            _keep_admin(store, auth, case, response)

        run()
        tested.append(operation.label)
    assert {"POST /api/pins", "POST /api/keys", "DELETE /api/keys/{key_id}", "GET /maps/coverage",
            "GET /collections/{collection_id}/items/{feature_id}"} <= set(tested)


# -- POST /api/pins with hostile batches ---------------------------------------------------

#: Text that may be stored (and must then be shown and written safely)...
STORABLE_TEXT = [
    "=HYPERLINK(\"http://evil.example\")", "@SUM(A1)", "<img src=x onerror=alert(1)>", "${alert(1)}",
    "\\`", "'; DROP TABLE records; --", "\u202e", "\r\n", "๑๒๓", "ต.ในเมือง", "1e400", "NaN", "-0", "  ", "",
]
#: ...and text that may not (NUL: PostgreSQL; lone surrogates: no UTF-8 for them).
UNSTORABLE_TEXT = ["\x00", "a\x00b", "\ud800", "a\udfffb"]
text = st.one_of(st.sampled_from(STORABLE_TEXT),
                 st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20))
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**40), 10**40),
                    st.floats(5.6, 20.5), st.floats(97.3, 105.7))
scalars = st.one_of(st.none(), st.booleans(), text, numbers)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(text, inner, max_size=3)), max_leaves=8)
# extra fields (coordinate columns are the readers' tests: here the records should mostly land)
names = st.one_of(st.sampled_from(["note", "photo_url", "has_garden", "date", "area", "ตำบล", "อำเภอ", "จังหวัด"]),
                  text)
inland_lat, inland_lon = st.floats(14.5, 17.0), st.floats(101.5, 104.5)
record = st.fixed_dictionaries(
    {"id": st.one_of(text, st.integers()), "lat": st.one_of(inland_lat, inland_lat, numbers, text),
     "lon": st.one_of(inland_lon, inland_lon, numbers, text)},
    optional={"name": text, "photo_url": text},
).flatmap(lambda base: st.dictionaries(names, values, max_size=4).map(lambda extra: {**extra, **base}))


def _geojson(records: list[dict]) -> dict:
    features = []
    for r in records:
        lat, lon = r.get("lat"), r.get("lon")
        geometry = {"type": "Point", "coordinates": [lon, lat]}
        features.append({"type": "Feature", "geometry": geometry, "properties": {k: v for k, v in r.items()}})
    return {"type": "FeatureCollection", "features": features}


def _csv(records: list[dict]) -> bytes:
    out = io.StringIO()
    columns = list(dict.fromkeys(k for r in records for k in r))
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in records:
        writer.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    return out.getvalue().encode("utf-8", "surrogatepass")


def _strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"{name} in a response")

    return json.loads(text, parse_constant=refuse)


def _poisoned(batch: list[dict], bad: str | None, where: tuple[int, str]) -> list[dict]:
    """Put the unstorable text ``bad`` in one record: as its name, ID, a field name or a nested value."""
    if bad is not None:
        i, place = where
        target = batch[i % len(batch)]
        if place == "key":
            target[bad] = 1
        elif place == "nested":
            target["note"] = {"list": [1, {"deep": bad}]}
        else:
            target[place] = bad
    return batch


@pytest.mark.parametrize("bad", [None, *UNSTORABLE_TEXT], ids=["storable", "nul", "inner-nul", "surrogate",
                                                                 "inner-surrogate"])
@given(batch=st.lists(record, min_size=1, max_size=6), form=st.sampled_from(["json", "geojson", "csv"]),
       where=st.tuples(st.integers(0, 5), st.sampled_from(["name", "id", "key", "nested"])))
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
def test_hostile_batches_are_answered_and_what_is_acknowledged_is_stored(served, bad, batch, form, where):
    from fastapi.testclient import TestClient

    app, store, auth = served
    batch = _poisoned(batch, bad, where)
    client = TestClient(app, raise_server_exceptions=False)
    if form == "csv":
        body, ctype = _csv(batch), "text/csv"
    else:
        payload = batch if form == "json" else _geojson(batch)
        body, ctype = json.dumps(payload).encode(), "application/json"  # NaN, \ud800 escapes as Python writes them
    before = store.count()
    res = client.post("/api/pins", content=body, headers={**auth["headers"], "content-type": ctype})
    assert res.status_code < 500, (res.status_code, res.text[:500])
    answer = _strict_json(res.text)
    added = store.count() - before
    if res.status_code == 201:
        new = [r for r in answer["rows"] if r["status"] == "accepted" and not r["replaced"]]
        assert added == len(new), (added, answer)
    else:
        assert added == 0, answer
    # (UTF-8 has no lone surrogates: a CSV carries invalid bytes instead, which the reader decodes its way)
    surrogate_in_csv = form == "csv" and bad is not None and any("\ud800" <= ch <= "\udfff" for ch in bad)
    if bad is not None and not surrogate_in_csv and res.status_code == 201:  # the spoiled record was refused
        spoiled = where[0] % len(batch) + 2  # its row number (the header is row 1)
        assert where[1] != "key" or form != "csv", answer  # a column of every row
        assert [r["status"] for r in answer["rows"] if r["row"] == spoiled] == ["rejected"], answer
