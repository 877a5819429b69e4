"""``/api/coverage`` JSON a war-room developer can trust (issue 13): a filled title with the
target and the area, gap units as objects with their province, the latest records by name
(``village_name`` when ``name`` is empty) with Thai place names, and today's count."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import ZONE12, bearer, make_keys, pin_records


@pytest.fixture
def api(tmp_path, boundaries):
    app = create_app(Settings(db=str(tmp_path / "json.gpkg"), rate_limit_per_minute=10_000), boundaries=boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        yield client


def test_title_gaps_and_feed(api, boundaries):
    records, truth = pin_records(12, seed=41, boundaries=boundaries)
    for rec in records:  # a model-village export: the name is in village_name only
        rec["village_name"] = "บ้าน" + rec.pop("ชื่อแปลง")[-6:]
    assert api.post("/api/pins", json=records, headers=bearer(api.keys.editor)).status_code == 201
    body = api.get("/api/coverage?zone=12&level=district").json()

    assert body["title"] == ("หมุดที่รายงาน อย่างน้อยอำเภอละ 1 · เขตตรวจราชการที่ 12 / "
                             "Reported pins: at least 1 per district · Inspection zone 12")
    assert (body["area_th"], body["area_en"]) == ("เขตตรวจราชการที่ 12", "Inspection zone 12")
    (zone,) = body["summary"]
    assert (zone["name_th"], zone["name_en"]) == ("เขตตรวจราชการที่ 12", "Inspection zone 12")

    districts = boundaries.level("district").set_index("code")
    provinces = boundaries.level("province").set_index("code")
    covered = set(truth["subdistrict_code"].str[:4])
    expected = sorted(c for c in districts.index if districts.loc[c, "province_code"] in ZONE12 and c not in covered)
    gaps = zone["uncovered"]
    assert [g["code"] for g in gaps] == expected  # by province, then code
    for g in gaps:
        assert g["name_th"] == districts.loc[g["code"], "name_th"] and g["name_en"] == districts.loc[g["code"], "name_en"]
        assert g["province_name_th"] == provinces.loc[g["province_code"], "name_th"]
        assert g["count"] == 0
    assert zone["covered"] + len(gaps) == zone["total"]

    assert body["records_today"] == 12
    names = {r["village_name"] for r in records}
    assert len(body["latest"]) == 8 and {r["name"] for r in body["latest"]} <= names
    newest = body["latest"][0]
    assert newest["record_id"] == records[-1]["id"]
    assert newest["province_th"] in set(provinces.loc[ZONE12, "name_th"]) and newest["district_th"]
    item = api.get("/collections/pins/items?limit=1").json()["features"][0]["properties"]
    assert item["name"] == item["village_name"]


def test_bangkok_is_named_not_central(api):
    body = api.get("/api/coverage?zone=central&level=district").json()
    assert body["area_th"] == "กรุงเทพมหานคร" and body["summary"][0]["name_th"] == "กรุงเทพมหานคร"
    assert "central" not in body["title"]
