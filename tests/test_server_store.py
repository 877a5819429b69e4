"""The store contract, run against every backend (SQLite always, PostGIS when available)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pandas as pd
import pytest
import shapely

from conftest_store import located, store, store_url  # noqa: F401  (fixtures)
from geoplots.server.store import RecordFilter
from geoplots import synthetic
from geoplots.server.store import open_store


@pytest.fixture(scope="module")
def pins(boundaries):
    """600 pins in real sub-districts of zones 12 and 13 plus 200 elsewhere."""
    zone_pins = synthetic.sample_points(600, codes=["40", "44", "45", "46", "34", "35"], seed=3,
                                        boundaries=boundaries)
    other = synthetic.sample_points(200, seed=4, first_id=10_000, boundaries=boundaries)
    frame = pd.concat([zone_pins, other], ignore_index=True)
    frame["name"] = [f"แปลง {i}" for i in range(len(frame))]
    frame["participating"] = np.arange(len(frame)) % 3 == 0
    return located(frame)


def test_migrate_is_idempotent_and_versioned(store_url):
    first = open_store(store_url)
    v1 = first.migrate()
    first.close()
    again = open_store(store_url)
    assert again.migrate() == v1 >= 1
    assert again.count() == 0 and again.version() == 0
    again.close()


def test_batch_round_trip_keeps_every_column(store, pins):
    batch = pins.iloc[:50]
    result = store.add_records(batch, kind="pins", key_id=None)
    assert len(result.ids) == 50 and len(set(result.ids)) == 50 and not any(result.replaced)
    back = store.get(result.ids[7])
    assert len(back) == 1
    row = back.iloc[0]
    src = batch.iloc[7]
    assert row["record_id"] == src["record_id"]
    assert row["name"] == src["name"]
    assert row["subdistrict_code"] == src["subdistrict_code"]
    assert row["inspection_zone"] == src["inspection_zone"]
    assert bool(row["participating"]) == bool(src["participating"])
    assert row.geometry.equals_exact(src.geometry, 1e-9)
    assert row["kind"] == "pins"


def test_version_bumps_once_per_batch(store, pins):
    assert store.version() == 0
    r1 = store.add_records(pins.iloc[:10])
    r2 = store.add_records(pins.iloc[10:30])
    assert (r1.version, r2.version, store.version()) == (1, 2, 2)
    assert store.count() == 30


def test_resent_record_replaces_instead_of_double_counting(store, pins):
    store.add_records(pins.iloc[:20])
    moved = pins.iloc[10:25].copy()
    moved["name"] = "แก้ไขแล้ว"
    result = store.add_records(moved)
    assert result.replaced == [True] * 10 + [False] * 5
    assert store.count() == 25
    names = store.all_records().set_index("record_id")["name"]
    assert (names[moved["record_id"]] == "แก้ไขแล้ว").all()


def test_bbox_zone_and_paging_match_a_plain_filter(store, pins):
    store.add_records(pins)
    box = (102.0, 15.5, 103.5, 16.8)
    inside = pins[shapely.intersects(pins.geometry.values, shapely.box(*box))]
    page = store.query(RecordFilter(bbox=box), limit=1000)
    assert page.total == len(inside) > 0
    assert set(page.records["record_id"]) == set(inside["record_id"])

    zone12 = pins[pins["inspection_zone"] == "12"]
    seen: list[str] = []
    for offset in range(0, len(zone12) + 40, 40):
        p = store.query(RecordFilter(zone="12"), limit=40, offset=offset)
        assert p.total == len(zone12)
        seen += p.records["record_id"].tolist()
    assert sorted(seen) == sorted(zone12["record_id"]) and len(seen) == len(set(seen))
    assert store.count(RecordFilter(zone="12")) == len(zone12)
    province = store.query(RecordFilter(province="40")).records
    assert set(province["record_id"]) == set(pins.loc[pins["province_code"] == "40", "record_id"])


def test_items_pages_as_features_match_the_records(store, pins, boundaries):
    # query_features (a backend's fast path for items pages) must say what query says
    store.add_records(pins)
    plots = synthetic.plots(5, codes=["40"], seed=9, boundaries=boundaries)
    store.add_records(located(plots), kind="plots")
    from geoplots.server.store.base import frame_features

    for chosen, paging in [(None, dict(limit=50, offset=0)),
                           (RecordFilter(bbox=(102.0, 15.5, 103.5, 16.8)), dict(limit=30, offset=10)),
                           (RecordFilter(zone="12"), dict(limit=1000)), (RecordFilter(kind="plots"), dict(limit=10)),
                           (RecordFilter(province="99"), dict(limit=5))]:
        features, total = store.query_features(chosen, **paging)
        page = store.query(chosen, **paging)
        assert total == page.total
        expected = frame_features(page.records, "id")
        assert [f["id"] for f in features] == [f["id"] for f in expected]
        for got, want in zip(features, expected):
            assert shapely.from_geojson(json.dumps(got["geometry"])).equals_exact(
                shapely.from_geojson(json.dumps(want["geometry"])), 1e-9)
            present = {k: v for k, v in want["properties"].items() if v is not None}
            assert set(present) <= set(got["properties"])
            for k, v in present.items():
                if isinstance(v, float):
                    assert got["properties"][k] == pytest.approx(v), k
                else:
                    assert got["properties"][k] == v, k


def test_kinds_are_kept_apart(store, pins):
    store.add_records(pins.iloc[:5], kind="pins")
    store.add_records(pins.iloc[:3], kind="households")  # same ids, other kind: not a resend
    assert store.count() == 8
    assert store.count(RecordFilter(kind="households")) == 3
    assert set(store.all_records(RecordFilter(kind="households"))["kind"]) == {"households"}


def test_polygons_are_stored_and_found_by_bbox(store, boundaries):
    plots = synthetic.plots(20, codes=["40"], seed=5, boundaries=boundaries)
    plots = located(plots)
    store.add_records(plots, kind="plots")
    back = store.all_records(RecordFilter(kind="plots")).set_index("record_id")
    for rid, geom in zip(plots["record_id"], plots.geometry):
        assert back.loc[rid].geometry.equals_exact(geom, 1e-9)
    g = plots.geometry.iloc[0]
    assert store.query(RecordFilter(bbox=g.bounds)).total >= 1


def test_readers_never_see_half_a_batch(store, pins):
    big = pd.concat([pins] * 4, ignore_index=True)
    big["record_id"] = [f"B-{i}" for i in range(len(big))]
    seen: set[int] = set()
    done = threading.Event()

    def write():
        try:
            store.add_records(big)
        finally:
            done.set()

    t = threading.Thread(target=write)
    t.start()
    while not done.is_set():
        seen.add(store.count())
    t.join()
    seen.add(store.count())
    assert seen <= {0, len(big)} and len(big) in seen


def test_records_survive_reopening(store_url, pins):
    s = open_store(store_url)
    s.add_records(pins.iloc[:40])
    s.close()
    again = open_store(store_url)
    assert again.count() == 40 and again.version() == 1
    again.close()


def test_keys_are_hashed_found_listed_and_revoked(store):
    from geoplots.server.store import KeyStore

    assert isinstance(store.keys, KeyStore)  # keys live in a store of their own
    key, secret = store.create_key("editor", zone="12", name="สนง.พช.ขอนแก่น")
    assert store.keys.find_key(secret) == key
    assert secret.startswith("gp_") and len(secret) > 30
    found = store.find_key(secret)
    assert found == key and found.zone == "12" and found.role == "editor"
    assert store.find_key(secret + "x") is None
    other, _ = store.create_key("inspector")
    assert [k.id for k in store.list_keys()] == [key.id, other.id]
    assert all(secret not in repr(k) for k in store.list_keys())
    assert store.revoke_key(key.id) is True
    assert store.find_key(secret) is None
    assert store.revoke_key(10_000) is False


def test_sqlite_file_holds_no_secret_and_is_a_geopackage(tmp_path, pins):
    path = tmp_path / "g.gpkg"
    s = open_store(path)
    _, secret = s.create_key("admin")
    s.add_records(pins.iloc[:5])
    s.close()
    assert secret.encode() not in path.read_bytes()
    import pyogrio

    layer = pyogrio.read_dataframe(path, layer="records")
    assert len(layer) == 5 and layer.crs.to_epsg() == 4326
    assert set(layer["record_id"]) == set(pins["record_id"].iloc[:5])
