"""POST /api/pins end to end on the real app: validation, location, per-row outcome,
atomic storage, zone scope, and the coverage it feeds."""

from __future__ import annotations

import io

import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient

from conftest_store import store_url  # noqa: F401  (fixture: every store backend)
from geoplots.server.store import RecordFilter
from geoplots import synthetic
from geoplots.groups import inspection_zones
from geoplots.records import WARNINGS, RowWarning
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys, pin_records


@pytest.fixture
def api(store_url, boundaries):
    app = create_app(Settings(db=store_url, rate_limit_per_minute=10_000), boundaries=boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        yield client


def _accepted(body: dict) -> pd.DataFrame:
    return pd.DataFrame([r for r in body["rows"] if r["status"] == "accepted"])


def test_batch_is_located_and_every_row_accounted_for(api, boundaries):
    records, truth = pin_records(40, seed=2, boundaries=boundaries)
    junk = [
        {"id": "X-1", "lat": "", "lon": ""},                      # no coordinates
        {"id": "X-2", "lat": "abc", "lon": "102.8"},              # unreadable
        {"id": "X-3", "lat": "1.3", "lon": "103.8"},              # Singapore
        {"id": records[0]["id"], "lat": records[0]["lat"], "lon": records[0]["lon"]},  # duplicate id
    ]
    res = api.post("/api/pins", json=records + junk, headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text
    body = res.json()
    assert body["rows_read"] == 44 and body["accepted"] == 40 and body["rejected"] == 4
    assert [r["row"] for r in body["rows"]] == list(range(2, 46))
    assert [r["index"] for r in body["rows"]] == list(range(44))
    rejected = {r["index"]: r["reason"] for r in body["rows"] if r["status"] == "rejected"}
    assert rejected == {40: "missing_coordinates", 41: "unparseable_coordinates", 42: "outside_thailand",
                        43: "duplicate_id"}
    assert all(r["message"] for r in body["rows"] if r["status"] == "rejected")
    got = _accepted(body).merge(truth, on="record_id", suffixes=("", "_truth"))
    assert len(got) == 40
    assert (got["subdistrict_code"] == got["subdistrict_code_truth"]).all()
    assert (got["inspection_zone"] == got["inspection_zone_truth"]).all()
    assert (got["district_code"] == got["subdistrict_code_truth"].str[:4]).all()
    assert api.store.count() == 40
    items = api.get("/collections/pins/items?limit=100").json()
    assert items["numberMatched"] == 40
    assert {f["id"] for f in items["features"]} == set(_accepted(body)["id"])


def test_row_warnings_are_codes_with_the_registry_message(api, boundaries):
    records, truth = pin_records(1, seed=4, boundaries=boundaries)
    lat, lon = str(records[0]["lat"]), str(records[0]["lon"])
    digits = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
    swapped = {"id": "W-1", "lat": lon.translate(digits), "lon": lat.translate(digits)}
    body = api.post("/api/pins", json=swapped, headers=bearer(api.keys.editor)).json()
    warnings = body["rows"][0]["warnings"]
    assert [w["code"] for w in warnings] == ["thai_digits", "swapped_lat_lon"]
    th, en = WARNINGS["swapped_lat_lon"]
    assert warnings[1]["message"] == f"{th} / {en} ({warnings[1]['detail']})"
    assert warnings[1]["detail"] == f"{float(lon):g}, {float(lat):g} -> {float(lat):g}, {float(lon):g}"
    assert body["warnings_by_kind"] == {"swapped_lat_lon": 1, "thai_digits": 1}
    # stored and served as the registry's text form, the same as the CSV cell
    stored = api.get("/collections/pins/items").json()["features"][0]["properties"]["warnings"]
    assert stored == [str(RowWarning(w["code"], w["detail"])) for w in warnings]


def test_one_record_and_a_resend_that_corrects_it(api, boundaries):
    records, truth = pin_records(2, seed=3, boundaries=boundaries)
    first = api.post("/api/pins", json=records[0], headers=bearer(api.keys.editor))
    assert first.status_code == 201 and first.json()["accepted"] == 1
    moved = {**records[0], "lat": records[1]["lat"], "lon": records[1]["lon"]}
    again = api.post("/api/pins", json=moved, headers=bearer(api.keys.editor)).json()
    row = again["rows"][0]
    assert row["replaced"] is True and row["id"] == first.json()["rows"][0]["id"]
    assert row["subdistrict_code"] == truth["subdistrict_code"].iloc[1]
    assert api.store.count() == 1


def test_no_valid_row_is_422_with_row_detail_and_nothing_stored(api):
    res = api.post("/api/pins", json=[{"id": "A", "lat": "91", "lon": "500"}, {"id": "B", "lat": "", "lon": ""}],
                   headers=bearer(api.keys.editor))
    assert res.status_code == 422
    body = res.json()
    assert body["error"] == "no_valid_rows" and body["accepted"] == 0
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(2, "rejected"), (3, "rejected")]
    assert api.store.count() == 0 and api.store.version() == 0


def test_no_coordinate_column_is_422_naming_what_to_send(api):
    res = api.post("/api/pins", json=[{"ชื่อ": "แปลง 1", "หมายเหตุ": "ไม่มีพิกัด"}], headers=bearer(api.keys.editor))
    assert res.status_code == 422
    assert res.json()["error"] == "invalid_input" and "lat" in res.json()["message"].lower()


def _messy_csv(records: list[dict]) -> bytes:
    """A CSV as a Thai Excel saves it: cp874, Thai headers, a blank line's worth of junk."""
    lines = ["รหัสแปลง,ชื่อแปลง,ละติจูด,ลองจิจูด"]
    lines += [f"{r['id']},{r['ชื่อแปลง']},{r['lat']},{r['lon']}" for r in records]
    lines.append("KK-BAD,แปลงไม่มีพิกัด,,")
    return ("\r\n".join(lines) + "\r\n").encode("cp874")


def test_csv_and_xlsx_uploads(api, boundaries):
    records, truth = pin_records(12, seed=4, boundaries=boundaries)
    res = api.post("/api/pins", files={"file": ("pins.csv", _messy_csv(records[:6]), "text/csv")},
                   headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text
    body = res.json()
    assert (body["rows_read"], body["accepted"], body["rejected"]) == (7, 6, 1)
    assert body["rows"][-1] == {**body["rows"][-1], "row": 8, "status": "rejected", "reason": "missing_coordinates"}

    buf = io.BytesIO()
    pd.DataFrame([{"รหัส": r["id"], "lat": float(r["lat"]), "lon": float(r["lon"])} for r in records[6:]]).to_excel(
        buf, index=False)
    xlsx = api.post("/api/pins", files={"file": ("รายงาน.xlsx", buf.getvalue(),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")},
                    headers=bearer(api.keys.editor))
    assert xlsx.status_code == 201, xlsx.text
    assert xlsx.json()["accepted"] == 6
    raw = api.post("/api/pins", content=_messy_csv(records[:2]),
                   headers={**bearer(api.keys.editor), "content-type": "text/csv"})
    assert raw.status_code == 201 and all(r["replaced"] for r in raw.json()["rows"] if r["status"] == "accepted")
    stored = api.store.all_records().merge(truth, on="record_id", suffixes=("", "_truth"))
    assert len(stored) == 12 and (stored["subdistrict_code"] == stored["subdistrict_code_truth"]).all()
    bad = api.post("/api/pins", files={"file": ("pins.docx", b"PK..", "application/octet-stream")},
                   headers=bearer(api.keys.editor))
    assert bad.status_code == 422 and ".csv" in bad.json()["message"]


def test_zone_key_writes_only_its_zone_and_the_batch_stays_whole(api, boundaries):
    mine, _ = pin_records(5, seed=6, boundaries=boundaries)
    other, other_truth = pin_records(1, codes=inspection_zones().codes_in("13"), seed=7, prefix="UB",
                                     boundaries=boundaries)
    ok = api.post("/api/pins", json=mine, headers=bearer(api.keys.editor12))
    assert ok.status_code == 201 and ok.json()["accepted"] == 5
    mixed = api.post("/api/pins", json=mine[:2] + other, headers=bearer(api.keys.editor12))
    assert mixed.status_code == 403
    body = mixed.json()
    assert body["error"] == "outside_scope" and body["key_zone"] == "12"
    assert body["rows"] == [{"row": 4, "inspection_zone": other_truth["inspection_zone"].iloc[0]}]
    assert api.store.count() == 5 and api.store.version() == 1


def test_plots_as_geojson_polygons(api, boundaries):
    plots = synthetic.plots(6, codes=["40"], seed=8, boundaries=boundaries)
    fc = plots[["record_id", "geometry"]].rename(columns={"record_id": "id"}).to_geo_dict(drop_id=True)
    res = api.post("/api/pins?kind=plots", json=fc, headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text
    got = _accepted(res.json()).set_index("record_id")
    assert (got.loc[plots["record_id"], "subdistrict_code"].to_numpy() == plots["subdistrict_code"].to_numpy()).all()
    stored = api.store.all_records(RecordFilter(kind="plots")).set_index("record_id")
    for rid, geom in zip(plots["record_id"], plots.geometry):
        assert shapely.equals_exact(stored.loc[rid].geometry, geom, 1e-7)
    one = plots.geometry.iloc[0].bounds
    items = api.get(f"/collections/plots/items?bbox={','.join(map(str, one))}").json()
    assert plots["record_id"].iloc[0] in {f["properties"]["record_id"] for f in items["features"]}
    assert items["features"][0]["geometry"]["type"] == "Polygon"


def test_items_filter_by_kind(api, boundaries):
    pins, _ = pin_records(6, seed=21, boundaries=boundaries)
    households, _ = pin_records(4, seed=22, boundaries=boundaries)
    households = [{**h, "id": f"H-{i}"} for i, h in enumerate(households)]
    assert api.post("/api/pins", json=pins, headers=bearer(api.keys.editor)).status_code == 201
    res = api.post("/api/pins?kind=households", json=households, headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text
    # one collection per kind
    assert api.get("/collections/pins/items?limit=100").json()["numberMatched"] == 6
    only = api.get("/collections/households/items?limit=2").json()
    assert only["numberMatched"] == 4 and only["numberReturned"] == 2
    assert {f["properties"]["record_id"] for f in only["features"]} <= {h["id"] for h in households}
    assert any("/collections/households/items" in link["href"] for link in only["links"] if link["rel"] == "next")
    # the former mixed collection's ?kind= leads to that kind's collection (pages written for it keep working)
    moved = api.get("/collections/pins/items?kind=households&limit=2", follow_redirects=False)
    assert moved.status_code == 308 and "/collections/households/items" in moved.headers["location"]
    assert "kind=" not in moved.headers["location"]
    assert api.get("/collections/pins/items?kind=households&limit=2").json()["numberMatched"] == 4
