"""``geoplots.progress`` and ``geoplots.stale`` over six months of records (issue 15):
per unit and month the count and whether the target was met, per zone the units newly
covered and those that fell back, the same from records and from a store's versions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import geoplots
from conftest_store import store, store_url  # noqa: F401  (fixtures: every store backend)
from geoplots.counting import coverage
from geoplots.counting.progress import period_ends
from geoplots.errors import GeoplotsError
from test_store_history import DAYS, _by_hand, history, loaded  # noqa: F401  (fixtures)

MONTH_ENDS = [dt.date(2021, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30))]


def _expected(rows, withdrawals, boundaries) -> dict[dt.date, pd.DataFrame]:
    """Coverage per district at each month end (and the end of December), by hand."""
    days = [dt.date(2020, 12, 31), *MONTH_ENDS]
    return {d: pd.DataFrame(coverage(_by_hand(rows, withdrawals, d), "district", boundaries=boundaries).units)
            .set_index("code") for d in days}


def _check_series(result, expected) -> None:
    assert result.periods == ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
    moved = 0
    for label, end, before in zip(result.periods, MONTH_ENDS, [dt.date(2020, 12, 31), *MONTH_ENDS]):
        now, was = expected[end], expected[before]
        units = result.units[result.units["period"] == label].set_index("code")
        assert (units["count"] == now["count"].reindex(units.index)).all()
        assert (units["met"] == now["met"].reindex(units.index)).all()
        for row in result.summary[result.summary["period"] == label].itertuples():
            mine = now[now["inspection_zone"] == row.group]
            newly = mine.index[mine["met"] & ~was["met"].reindex(mine.index)]
            fell = mine.index[~mine["met"] & was["met"].reindex(mine.index)]
            assert [u.split()[0] for u in row.newly_covered_units] == sorted(newly)
            assert [u.split()[0] for u in row.fell_back_units] == sorted(fell)
            assert (row.covered, row.total, row.newly_covered, row.fell_back) == (
                int(mine["met"].sum()), len(mine), len(newly), len(fell))
            assert all(" " in u and u.split(" ", 1)[1] for u in row.newly_covered_units)  # code and Thai name
            moved += len(fell)
    assert result.summary["newly_covered"].sum() > 0
    assert moved > 0  # the withdrawals and moves make some districts fall back


def test_progress_from_a_store_names_newly_covered_and_fallen_back_units(loaded, history, tiny_boundaries):
    rows, withdrawals = history
    result = geoplots.progress(store=loaded, kind="plots", start="2021-01-01", end="2021-06-30",
                               boundaries=tiny_boundaries)
    _check_series(result, _expected(rows, withdrawals, tiny_boundaries))


def test_progress_from_records_equals_the_store(history, tiny_boundaries):
    rows, _ = history
    none = rows.iloc[:0][["record_id", "date"]]
    result = geoplots.progress(rows, "district", end="2021-06-30", boundaries=tiny_boundaries)
    _check_series_without_withdrawals = _expected(rows, none, tiny_boundaries)
    assert result.periods[0] == "2021-01"
    for label, end in zip(result.periods, MONTH_ENDS):
        units = result.units[result.units["period"] == label].set_index("code")
        want = _check_series_without_withdrawals[end]
        assert (units["count"] == want["count"].reindex(units.index)).all()


def test_progress_by_status_and_rule(loaded, history, tiny_boundaries):
    done = geoplots.progress(store=loaded, kind="plots", status="completed", start="2021-01-01",
                             end="2021-06-30", boundaries=tiny_boundaries)
    every = geoplots.progress(store=loaded, kind="plots", start="2021-01-01", end="2021-06-30",
                              boundaries=tiny_boundaries)
    assert (done.units["count"] <= every.units["count"]).all()
    assert done.units["count"].sum() < every.units["count"].sum()
    with pytest.raises(GeoplotsError, match="counts pins"):
        geoplots.progress(store=loaded, rule="model_villages", kind="plots", boundaries=tiny_boundaries)


def test_periods_months_and_quarters():
    assert [label for label, _ in period_ends("2021-01-01", "2021-12-31", "Q")] == [
        "2021Q1", "2021Q2", "2021Q3", "2021Q4"]
    assert period_ends("2021-02-10", "2021-02-10") == [("2021-02", dt.date(2021, 2, 10))]
    with pytest.raises(GeoplotsError, match="Unknown period"):
        period_ends("2021-01-01", "2021-02-01", "W")
    with pytest.raises(GeoplotsError, match="after it ends"):
        period_ends("2021-03-01", "2021-02-01")


def test_stale_sites_from_records_and_from_a_store_agree(loaded, history):
    rows, withdrawals = history
    today = dt.date(2021, 7, 15)
    from_store = geoplots.stale(store=loaded, days=60, today=today)
    current = _by_hand(rows, withdrawals, today)
    want = current[[d < today - dt.timedelta(days=60) for d in current["date"]]]
    assert sorted(from_store["record_id"]) == sorted(want["record_id"]) and len(want) > 0
    assert (from_store["days_since"] > 60).all()
    for zone, group in from_store.groupby("inspection_zone"):
        assert group["days_since"].is_monotonic_decreasing  # longest silence first
    by_records = geoplots.stale(rows, days=60, today=today)
    # the records cannot know the withdrawals; otherwise the same sites
    assert set(by_records["record_id"]) - set(from_store["record_id"]) <= set(withdrawals["record_id"])
    assert geoplots.stale(store=loaded, days=60, today=today, zone="12")["inspection_zone"].eq("12").all()
    assert len(geoplots.stale(store=loaded, days=10_000, today=today)) == 0
    assert DAYS[0] < today
