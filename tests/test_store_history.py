"""Every version of a record is kept, on every store backend (issue 15).

Records spread over six months (January to June 2021), some resent with a new place,
some withdrawn: coverage as of any day, counted by the store from the versions known
then, equals coverage of the records filtered to that day by hand; a resent record keeps
its earlier version visible as of an earlier date; a withdrawn record disappears from
later dates only; ``records`` stays the current projection and can be rebuilt.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

import numpy as np
import pandas as pd
import psycopg
import pytest

import geoplots
from conftest_store import store, store_url  # noqa: F401  (fixtures: every store backend)
from geoplots import synthetic
from geoplots.counting import coverage, coverage_from_counts, records_as_of
from geoplots.errors import GeoplotsError
from geoplots.server.store import RecordFilter, open_store
from geoplots.server.store.base import OutsideZoneError

BANGKOK = dt.timezone(dt.timedelta(hours=7))
START = dt.date(2021, 1, 4)
#: Weekly report days over six months.
DAYS = [START + dt.timedelta(days=7 * k) for k in range(26)]
#: Days asked about: month ends, mid-months, before anything, a report day itself.
ASKED = [dt.date(2020, 12, 31), dt.date(2021, 1, 10), dt.date(2021, 1, 31), dt.date(2021, 2, 28),
         dt.date(2021, 3, 15), dt.date(2021, 3, 31), dt.date(2021, 4, 30), dt.date(2021, 5, 17),
         dt.date(2021, 5, 31), dt.date(2021, 6, 30), DAYS[-1]]


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), BANGKOK)


@pytest.fixture(scope="module")
def history(tiny_boundaries):
    """(rows, withdrawals): 240 plots first reported on a weekly day, 70 of them reported
    again later somewhere else (a new version), and 25 withdrawn later.
    """
    rng = np.random.default_rng(15)
    first = synthetic.sample_points(240, seed=151, boundaries=tiny_boundaries)
    first["date"] = [DAYS[i] for i in rng.integers(0, 18, len(first))]
    moved = synthetic.sample_points(70, seed=152, boundaries=tiny_boundaries)
    moved["record_id"] = first["record_id"].iloc[:70].to_numpy()
    moved["date"] = [DAYS[DAYS.index(d) + int(rng.integers(1, 8))] for d in first["date"].iloc[:70]]
    rows = pd.concat([first, moved], ignore_index=True)
    rows["name"] = [f"แปลง {r}" for r in rows["record_id"]]
    rows["status"] = np.where(np.arange(len(rows)) % 3 == 0, "เสร็จแล้ว", "กำลังดำเนินการ")
    located = geoplots.locate(rows, boundaries=tiny_boundaries).accepted
    assert len(located) == len(rows)
    gone = first.iloc[100:125]
    withdrawals = pd.DataFrame({"record_id": gone["record_id"].to_numpy(),
                                "date": [d + dt.timedelta(days=30) for d in gone["date"]]})
    return located, withdrawals


@pytest.fixture
def loaded(store, history):
    """The store after every weekly batch and withdrawal, received on its own day."""
    rows, withdrawals = history
    for day in sorted(set(rows["date"]) | set(withdrawals["date"])):
        batch = rows[rows["date"] == day]
        if len(batch):
            store.add_records(batch, kind="plots", received_at=_noon(day))
        gone = withdrawals[withdrawals["date"] == day]
        if len(gone):
            store.withdraw(gone["record_id"].tolist(), kind="plots", received_at=_noon(day))
    return store


def _by_hand(rows: pd.DataFrame, withdrawals: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """The records as they stood at the end of ``day``, worked out row by row."""
    latest: dict[str, tuple] = {}
    events = [(d, 0, i) for i, d in zip(rows.index, rows["date"])] + \
             [(d, 1, r) for r, d in zip(withdrawals["record_id"], withdrawals["date"])]
    for when, what, which in sorted(events, key=lambda e: (e[0], e[1])):
        if when > day:
            continue
        if what == 0:
            latest[rows.loc[which, "record_id"]] = which
        else:
            latest.pop(which, None)
    return rows.loc[sorted(latest.values())]


def _units(cov) -> pd.DataFrame:
    return pd.DataFrame(cov.units[["code", "count", "met"]]).reset_index(drop=True)


@pytest.mark.parametrize("level", ["district", "subdistrict"])
def test_coverage_as_of_a_day_equals_the_records_filtered_to_that_day_by_hand(loaded, history, tiny_boundaries,
                                                                               level):
    rows, withdrawals = history
    changed = 0
    previous = None
    for day in ASKED:
        counts = loaded.counts_by(level, "plots", RecordFilter(kind="plots"), as_of=day)
        got = coverage_from_counts(counts, level, boundaries=tiny_boundaries)
        want = coverage(_by_hand(rows, withdrawals, day), level, boundaries=tiny_boundaries)
        pd.testing.assert_frame_equal(_units(got), _units(want), obj=f"as of {day}")
        pd.testing.assert_frame_equal(got.summary, want.summary)
        changed += previous is not None and not _units(got).equals(previous)
        previous = _units(got)
    assert changed >= 6  # the series moves: the test would see a store stuck at one date
    # the current view is the last day's
    now = loaded.counts_by(level, "plots", RecordFilter(kind="plots"))
    last = loaded.counts_by(level, "plots", RecordFilter(kind="plots"), as_of=DAYS[-1] + dt.timedelta(days=60))
    pd.testing.assert_frame_equal(now.sort_values("code").reset_index(drop=True),
                                  last.sort_values("code").reset_index(drop=True))


def test_as_of_filters_by_zone_status_and_refuses_a_box(loaded, history, tiny_boundaries):
    rows, withdrawals = history
    day = dt.date(2021, 3, 31)
    kept = _by_hand(rows, withdrawals, day)
    zone = str(kept["inspection_zone"].mode().iloc[0])
    counts = loaded.counts_by("province", "plots", RecordFilter(kind="plots", zone=zone), as_of=day)
    assert int(counts["count"].sum()) == int((kept["inspection_zone"] == zone).sum()) > 0
    done = loaded.counts_by("province", "plots", as_of=day, status="completed")
    assert int(done["count"].sum()) == int((kept["status"] == "เสร็จแล้ว").sum()) > 0
    with pytest.raises(GeoplotsError, match="bounding box"):
        loaded.counts_by("province", "plots", RecordFilter(bbox=(100, 13, 101, 14)), as_of=day)


def test_library_as_of_equals_the_records_filtered_by_hand(history, tiny_boundaries):
    rows, _ = history
    for day in ASKED:
        got = coverage(rows, "district", as_of=day, boundaries=tiny_boundaries)
        want = coverage(_by_hand(rows, rows.iloc[:0][["record_id", "date"]], day), "district",
                        boundaries=tiny_boundaries)
        pd.testing.assert_frame_equal(_units(got), _units(want))
        assert got.notes["as_of"] == day.isoformat() and got.notes["undated"] == 0
    undated = rows.assign(date=[None] * 5 + list(rows["date"].iloc[5:]))
    kept, notes = records_as_of(undated, DAYS[-1])
    assert notes["undated"] == 5 and len(kept) == rows["record_id"].iloc[5:].nunique()


def test_a_resent_record_keeps_its_earlier_version_visible_as_of_an_earlier_date(loaded, history):
    rows, _ = history
    rid = rows["record_id"].iloc[0]
    first, second = rows[rows["record_id"] == rid].sort_values("date").iloc[:2].itertuples()
    assert first.district_code != second.district_code or first.subdistrict_code != second.subdistrict_code
    versions = loaded.versions(rid, kind="plots")
    assert versions["version"].tolist() == [1, 2] and not versions["withdrawn"].any()
    assert versions["reported_date"].tolist() == [first.date.isoformat(), second.date.isoformat()]
    before = loaded.counts_by("subdistrict", "plots", as_of=second.date - dt.timedelta(days=1)).set_index("code")
    after = loaded.counts_by("subdistrict", "plots", as_of=second.date).set_index("code")
    old, new = first.subdistrict_code, second.subdistrict_code
    if old != new:
        assert after["count"].get(old, 0) == before["count"][old] - 1
        assert after["count"][new] == before["count"].get(new, 0) + 1
    current = loaded.all_records(RecordFilter(kind="plots"))
    assert current.loc[current["record_id"] == rid, "subdistrict_code"].tolist() == [new]


def test_an_identical_resend_adds_no_version(loaded, history):
    rows, _ = history
    latest = rows.iloc[200:210]  # sent once, never moved nor withdrawn
    version = loaded.version()
    result = loaded.add_records(latest, kind="plots")
    assert result.unchanged == [True] * 10 and result.replaced == [True] * 10
    assert result.version == version + 1  # the batch is still acknowledged
    for rid in latest["record_id"]:
        assert loaded.versions(rid, kind="plots")["version"].tolist() == [1]
    # a changed field is a new version
    edited = latest.iloc[:1].assign(status="completed")
    assert loaded.add_records(edited, kind="plots").unchanged == [False]
    assert loaded.versions(edited["record_id"].iloc[0], kind="plots")["version"].tolist() == [1, 2]


def test_a_withdrawn_record_disappears_from_later_dates_only(loaded, history):
    rows, withdrawals = history
    rid, gone_on = withdrawals["record_id"].iloc[0], withdrawals["date"].iloc[0]
    sub = rows.loc[rows["record_id"] == rid, "subdistrict_code"].iloc[-1]
    before = loaded.counts_by("subdistrict", "plots", as_of=gone_on - dt.timedelta(days=1)).set_index("code")
    after = loaded.counts_by("subdistrict", "plots", as_of=gone_on).set_index("code")
    others = int(sum(1 for r in withdrawals.itertuples() if r.date == gone_on and r.record_id != rid
                     and rows.loc[rows["record_id"] == r.record_id, "subdistrict_code"].iloc[-1] == sub))
    assert after["count"].get(sub, 0) == before["count"][sub] - 1 - others
    assert rid not in set(loaded.all_records(RecordFilter(kind="plots"))["record_id"])
    versions = loaded.versions(rid, kind="plots")
    assert versions["withdrawn"].tolist()[-1] and versions["reported_date"].iloc[-1] == gone_on.isoformat()
    # withdrawing again adds nothing; an unknown id refuses the whole call
    assert loaded.withdraw([rid], kind="plots").unchanged == [True]
    assert len(loaded.versions(rid, kind="plots")) == len(versions)
    alive = loaded.all_records(RecordFilter(kind="plots"))["record_id"].iloc[0]
    with pytest.raises(GeoplotsError, match="nothing was withdrawn"):
        loaded.withdraw([alive, "no-such-plot"], kind="plots")
    assert alive in set(loaded.all_records(RecordFilter(kind="plots"))["record_id"])
    # sent again, it comes back under its own id
    again = rows[rows["record_id"] == rid].iloc[-1:]
    result = loaded.add_records(again, kind="plots")
    assert result.ids == [int(versions["id"].iloc[0])] and result.replaced == [True]
    assert rid in set(loaded.all_records(RecordFilter(kind="plots"))["record_id"])


def test_a_zone_limited_key_cannot_withdraw_another_zones_record(loaded):
    current = loaded.all_records(RecordFilter(kind="plots"))
    row = current.iloc[0]
    other = next(z for z in current["inspection_zone"].dropna().unique() if z != row["inspection_zone"])
    with pytest.raises(OutsideZoneError):
        loaded.withdraw([row["record_id"]], kind="plots", zone=other)
    assert row["record_id"] in set(loaded.all_records(RecordFilter(kind="plots"))["record_id"])


def test_rebuilding_the_current_view_from_the_versions_gives_the_same_records(loaded):
    before = loaded.all_records().sort_values("id").reset_index(drop=True)
    assert loaded.rebuild_current() == len(before) > 0
    after = loaded.all_records().sort_values("id").reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.DataFrame(after).drop(columns="geometry"),
                                  pd.DataFrame(before).drop(columns="geometry"))
    assert after.geometry.equals(before.geometry)


def test_versions_are_append_only_in_the_database(loaded, store_url):
    if store_url.startswith("sqlite"):
        conn = sqlite3.connect(store_url.split("///", 1)[1])
        for statement in ("UPDATE record_versions SET name = 'x'", "DELETE FROM record_versions"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
        conn.close()
    else:
        with psycopg.connect(store_url) as conn:
            for statement in ("UPDATE record_versions SET name = 'x'", "DELETE FROM record_versions"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    conn.execute(statement)
                conn.rollback()


def test_received_at_must_say_its_time_zone(store, history):
    rows, _ = history
    with pytest.raises(GeoplotsError, match="time zone"):
        store.add_records(rows.iloc[:1], kind="plots", received_at="2021-03-01T10:00:00")
    assert store.count() == 0


def test_statuses_are_read_in_thai_and_english(store, history):
    rows, _ = history
    batch = rows.iloc[:4].assign(status=["วางแผน", "กำลังดำเนินการ", " Done ", "ตรวจแล้ว"])
    store.add_records(batch, kind="plots")
    versions = [store.versions(r, kind="plots")["status"].iloc[-1] for r in batch["record_id"]]
    assert versions == ["planned", "in_progress", "completed", "ตรวจแล้ว"]


def test_a_store_reopened_keeps_its_history(store_url, history):
    rows, _ = history
    with open_store(store_url) as first:
        first.add_records(rows.iloc[:3].assign(date=DAYS[0]), kind="plots", received_at=_noon(DAYS[0]))
        first.add_records(rows.iloc[:1].assign(date=DAYS[2]), kind="plots", received_at=_noon(DAYS[2]))
    with open_store(store_url) as again:
        assert again.versions(rows["record_id"].iloc[0], kind="plots")["version"].tolist() == [1, 2]
        assert int(again.counts_by("province", "plots", as_of=DAYS[1])["count"].sum()) == 3
