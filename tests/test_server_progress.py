"""``/api/coverage?as_of=``, ``/api/progress`` and ``/api/stale`` over a store holding six
months of versions (issue 15): the same numbers as the library, hostile input is a 422."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import geoplots
from geoplots.counting import coverage
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from test_store_history import _by_hand, _noon, history  # noqa: F401  (fixture)


@pytest.fixture
def api(tmp_path, tiny_boundaries, history):
    rows, withdrawals = history
    app = create_app(Settings(db=str(tmp_path / "progress.gpkg"), rate_limit_per_minute=10_000),
                     boundaries=tiny_boundaries)
    with TestClient(app) as client:
        store = app.state.store
        for day in sorted(set(rows["date"]) | set(withdrawals["date"])):
            batch = rows[rows["date"] == day]
            if len(batch):
                store.add_records(batch, kind="plots", received_at=_noon(day))
            gone = withdrawals[withdrawals["date"] == day]
            if len(gone):
                store.withdraw(gone["record_id"].tolist(), kind="plots", received_at=_noon(day))
        yield client


def test_coverage_as_of_a_day_and_since_last_month(api, history, tiny_boundaries):
    rows, withdrawals = history
    body = api.get("/api/coverage?kind=plots&level=district&as_of=2021-03-31").json()
    want = coverage(_by_hand(rows, withdrawals, dt.date(2021, 3, 31)), "district", boundaries=tiny_boundaries)
    got = pd.DataFrame(body["units"]).set_index("code")["count"]
    assert got.to_dict() == pd.DataFrame(want.units).set_index("code")["count"].to_dict()
    assert body["as_of"] == "2021-03-31" and body["records"] == int(want.units["count"].sum())
    february = coverage(_by_hand(rows, withdrawals, dt.date(2021, 2, 28)), "district", boundaries=tiny_boundaries)
    then = february.summary.set_index("group")["covered"]
    for tile in body["since_last_month"]:
        assert tile["covered_last_month"] == then[tile["group"]]
        assert tile["change"] == tile["covered"] - tile["covered_last_month"]
        assert tile["last_month_end"] == "2021-02-28"
    now = api.get("/api/coverage?kind=plots&level=district").json()
    assert now["as_of"] is None and now["records"] == api.app.state.store.count()


def test_progress_answers_the_library_series(api, tiny_boundaries):
    res = api.get("/api/progress?kind=plots&level=district&from=2021-01-01&to=2021-06-30&units=true")
    assert res.status_code == 200, res.text
    body = res.json()
    want = geoplots.progress(store=api.app.state.store, kind="plots", start="2021-01-01", end="2021-06-30",
                             boundaries=tiny_boundaries)
    assert body["periods"] == want.periods == ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    got = pd.DataFrame(body["summary"])
    assert got[["period", "group", "covered", "total", "newly_covered", "fell_back"]].values.tolist() == \
        want.summary[["period", "group", "covered", "total", "newly_covered", "fell_back"]].values.tolist()
    assert got["newly_covered_units"].tolist() == want.summary["newly_covered_units"].tolist()
    assert got["end"].iloc[0] == "2021-01-31"
    assert len(body["units"]) == len(want.units)
    quarters = api.get("/api/progress?kind=plots&from=2021-01-01&to=2021-06-30&freq=Q&zone=12").json()
    assert quarters["periods"] == ["2021Q1", "2021Q2"] and {s["group"] for s in quarters["summary"]} == {"12"}


def test_stale_lists_every_silent_site_by_zone(api):
    body = api.get("/api/stale?days=60").json()
    current = api.app.state.store.all_records()
    assert body["count"] == len(current) == len(body["records"])  # all reported in 2021
    zones = [r["inspection_zone"] for r in body["records"]]
    assert zones == sorted(zones)
    assert all(r["days_since"] > 60 for r in body["records"])
    assert api.get("/api/stale?days=100000").status_code == 422


@pytest.mark.parametrize("query", [
    "/api/coverage?as_of=2021-02-30", "/api/coverage?as_of=yesterday", "/api/progress?from=2021-05-01&to=2021-01-01",
    "/api/progress?freq=W", "/api/progress?rule=nope", "/api/progress?level=village",
    "/api/progress?from=1900-01-01&to=2021-01-01", "/api/stale?days=-1", "/api/progress?status=" + "x" * 60,
])
def test_hostile_queries_are_422s(api, query):
    res = api.get(query)
    assert res.status_code == 422, (query, res.status_code, res.text)
    assert "error" in res.json() or "detail" in res.json()
