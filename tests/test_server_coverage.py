"""/api/coverage and /maps/coverage on records posted through the API: the numbers agree
with counts made independently from where the pins were drawn, and a new batch shows up."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from geoplots import synthetic
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import ZONE12, bearer, make_keys, pin_records


@pytest.fixture
def api(tmp_path, boundaries):
    app = create_app(Settings(db=str(tmp_path / "cov.gpkg"), rate_limit_per_minute=10_000), boundaries=boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        yield client


def _zone12_districts(boundaries) -> pd.Series:
    districts = boundaries.level("district")
    return districts.loc[districts["province_code"].isin(ZONE12), "code"]


def test_coverage_counts_what_was_posted_and_follows_new_batches(api, boundaries):
    records, truth = pin_records(60, seed=31, boundaries=boundaries)
    assert api.post("/api/pins", json=records, headers=bearer(api.keys.editor)).status_code == 201
    res = api.get("/api/coverage?level=district&zone=12")
    assert res.status_code == 200
    body = res.json()
    counts = truth["subdistrict_code"].str[:4].value_counts()
    all_districts = _zone12_districts(boundaries)
    assert body["summary"] == [{**body["summary"][0], "group": "12", "covered": counts.index.nunique(),
                                "total": len(all_districts)}]
    units = pd.DataFrame(body["units"]).set_index("code")
    assert set(units.index) == set(all_districts)
    assert (units["count"] == counts.reindex(units.index).fillna(0).astype(int)).all()
    assert (units["met"] == (units["count"] >= 1)).all()
    assert body["records"] == 60

    # a pin in a district that had none: the next answer counts it (cache invalidated)
    empty = sorted(set(all_districts) - set(counts.index))[0]
    extra = synthetic.sample_points(1, codes=[empty], seed=32, boundaries=boundaries)
    pin = {"id": "NEW-1", "lat": float(extra["lat"].iloc[0]), "lon": float(extra["lon"].iloc[0])}
    assert api.post("/api/pins", json=pin, headers=bearer(api.keys.editor)).status_code == 201
    after = api.get("/api/coverage?level=district&zone=12").json()
    assert after["summary"][0]["covered"] == body["summary"][0]["covered"] + 1
    assert after["version"] == body["version"] + 1
    assert {u["code"]: u["count"] for u in after["units"]}[empty] == 1


def test_simultaneous_requests_compute_each_answer_once_per_version(api, boundaries):
    # a wall of screens asking at the same moment (e.g. right after a batch) must not
    # each compute the same answer: the first computes, the others wait for it
    import asyncio

    import httpx

    records, _ = pin_records(20, seed=35, boundaries=boundaries)
    assert api.post("/api/pins", json=records, headers=bearer(api.keys.editor)).status_code == 201
    cache = api.app.state.coverage_cache

    async def wall(n: int) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.get("/api/coverage?level=district&zone=12") for _ in range(n)))

    before = cache.computed
    answers = asyncio.run(wall(20))
    assert {r.status_code for r in answers} == {200} and len({r.content for r in answers}) == 1
    assert cache.computed == before + 1
    one, _ = pin_records(1, seed=36, boundaries=boundaries)
    assert api.post("/api/pins", json=one, headers=bearer(api.keys.editor)).status_code == 201
    again = asyncio.run(wall(20))
    assert len({r.content for r in again}) == 1 and again[0].json()["records"] == 21
    assert cache.computed == before + 2


def test_geojson_format_carries_unit_shapes(api):
    body = api.get("/api/coverage?level=province&zone=12&format=geojson").json()
    features = body["geojson"]["features"]
    assert sorted(f["properties"]["code"] for f in features) == sorted(ZONE12)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)


def test_household_rule_tiers_match_rates_computed_from_the_input(api, boundaries):
    hh = synthetic.households(["12"], per_unit=(8, 14), address_only=0.0, seed=33, boundaries=boundaries)
    rows = [{"id": r, "lat": la, "lon": lo, "has_garden": "มี" if g else "ไม่มี"}
            for r, la, lo, g in zip(hh["record_id"], hh["lat"], hh["lon"], hh["has_garden"])]
    res = api.post("/api/pins?kind=households&yes_no=has_garden", json=rows, headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text[:500]
    body = api.get("/api/coverage?rule=household_participation&zone=12&level=district").json()
    units = pd.DataFrame(body["units"]).set_index("code")
    rate = hh.groupby(hh["subdistrict_code"].str[:4])["has_garden"].mean()
    expected_tier = pd.cut(rate, [-1, 0.7 - 1e-12, 0.8 - 1e-12, 0.9 - 1e-12, 2],
                           labels=["not_passed", "passed", "commendation", "plaque"]).astype(str)
    got = units.loc[rate.index]
    assert (got["rate"] - rate).abs().max() < 1e-9
    assert (got["tier"] == expected_tier).all()
    assert set(got["tier"]) == {"not_passed", "passed", "commendation", "plaque"}


def test_change_leaders_counts_the_enrolment_sent_as_households_not_pins(api, boundaries):
    # An enrolment list names sub-districts (codes, no coordinates): only the households kind
    # places such rows, so that is what the rule counts, on the CLI and here alike.
    enrolled = synthetic.enrolled_subdistricts(0.9, seed=35, boundaries=boundaries)
    enrolled = enrolled[enrolled["province_code"].isin(ZONE12)]
    rows = [{"id": f"CL-{c}", "รหัสตำบล": c} for c in enrolled["subdistrict_code"]]
    res = api.post("/api/pins?kind=households", json=rows, headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text[:500]
    pins, _ = pin_records(30, seed=36, boundaries=boundaries)  # model-village pins are not change-leader sub-districts
    assert api.post("/api/pins", json=pins, headers=bearer(api.keys.editor)).status_code == 201
    body = api.get("/api/coverage?rule=change_leaders&zone=12").json()
    assert body["kind"] == "households" and body["records"] == len(enrolled)
    assert (body["rule"], body["title_th"]) == ("change_leaders", "ตำบลผู้นำการเปลี่ยนแปลง")
    assert body["title"] == ("ตำบลผู้นำการเปลี่ยนแปลง · เขตตรวจราชการที่ 12 / Change-leader sub-districts · "
                             "Inspection zone 12")
    counts = {u["code"]: u["count"] for u in body["units"]}
    per_district = enrolled.groupby("district_code")["subdistrict_code"].nunique()
    assert {c: n for c, n in counts.items() if n} == per_district.to_dict()


def test_rule_options_are_checked_against_the_rule(api, boundaries):
    res = api.get("/api/coverage?rule=model_villages&min=3")
    assert res.status_code == 422 and "does not take min" in res.json()["message"]
    res = api.get("/api/coverage?rule=household_participation&kind=pins")
    assert res.status_code == 422 and "counts households" in res.json()["message"]
    hh = synthetic.households(["12"], per_unit=(2, 3), address_only=0.0, seed=37, boundaries=boundaries)
    rows = [{"id": r, "lat": la, "lon": lo, "has_garden": "มี" if g else "ไม่มี"}
            for r, la, lo, g in zip(hh["record_id"], hh["lat"], hh["lon"], hh["has_garden"])]
    assert api.post("/api/pins?kind=households&yes_no=has_garden", json=rows,
                    headers=bearer(api.keys.editor)).status_code == 201
    res = api.get("/api/coverage?rule=household_participation&level=subdistrict&min=2&zone=12")
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["level"], body["min_count"], body["kind"]) == ("subdistrict", 2, "households")
    assert body["options"] == {"level": "subdistrict", "column": "has_garden", "thresholds": [0.7, 0.8, 0.9],
                               "min_count": 2, "blank_as": "exclude"}


def test_unknown_rule_and_level_are_422(api):
    assert api.get("/api/coverage?rule=nope").status_code == 422
    res = api.get("/api/coverage?level=village")
    assert res.status_code == 422 and "subdistrict" in res.json()["message"]


def test_coverage_map_page_is_offline(api, boundaries):
    records, _ = pin_records(10, seed=34, boundaries=boundaries)
    api.post("/api/pins", json=records, headers=bearer(api.keys.editor))
    res = api.get("/maps/coverage?level=district&zone=12")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    html = res.text
    assert "OCHA, Royal Thai Survey Department" in html
    if api.get("/vendor/node_modules/leaflet/dist/leaflet.js").status_code == 200:
        import re

        remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?://[^"]+)"', html)
        assert remote == [], remote


def test_records_figure_is_the_requested_zones_not_the_countrys(api, boundaries):
    # /api/coverage?zone= counts and reports the records of that zone (from the store),
    # while the units of other zones never see them
    inside, _ = pin_records(25, seed=38, boundaries=boundaries)
    outside, truth = pin_records(15, seed=39, boundaries=boundaries, codes=["50", "10"], prefix="CM")
    assert not (truth["inspection_zone"] == "12").any()
    for batch in (inside, outside):
        assert api.post("/api/pins", json=batch, headers=bearer(api.keys.editor)).status_code == 201
    zone12 = api.get("/api/coverage?level=district&zone=12").json()
    assert zone12["records"] == 25 and sum(u["count"] for u in zone12["units"]) == 25
    assert api.get("/api/coverage?level=district").json()["records"] == 40
