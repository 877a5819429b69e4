"""PostGIS-only behaviour of the store: migrations, concurrent writers in several
processes, live events across processes. (The behaviour both backends share is tested
once, against both, in the shared store suite.)"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import geopandas as gpd
import psycopg
import pytest

from geoplots.groups import inspection_zones
from geoplots.server.events import Event
from geoplots.server.store import open_store
from geoplots.server.store._migrations import packaged
from geoplots.errors import GeoplotsError
from geoplots.server.store.base import ApiKey, hash_key
from geoplots.server.store.postgis import PostGISKeyStore, PostGISStore, _migrations
from geoplots.synthetic import sample_points
from postgis_support import fresh_schema_url, requires_postgres

pytestmark = requires_postgres


@pytest.fixture
def pg_url():
    with fresh_schema_url() as url:
        yield url


def _located(pins: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Pins as geoplots.locate leaves them, from the sub-district they were drawn in."""
    out = pins.copy()
    out["district_code"] = out["subdistrict_code"].str[:4]
    out["province_code"] = out["subdistrict_code"].str[:2]
    out["inspection_zone"] = inspection_zones().group_of(out["subdistrict_code"])
    out["match"] = "inside"
    out["distance_m"] = 0.0
    out["row"] = range(2, len(out) + 2)
    return out


def test_migrations_are_versioned_idempotent_and_safe_to_run_together(pg_url):
    packaged = _migrations()
    assert [n for n, _, _ in packaged] == list(range(1, len(packaged) + 1))
    stores = [PostGISStore(pg_url) for _ in range(4)]
    try:
        # Four workers starting at once: the advisory lock lets one migrate, the rest wait.
        with ThreadPoolExecutor(4) as pool:
            versions = list(pool.map(lambda s: s.migrate(), stores))
        assert versions == [len(packaged)] * 4
        assert stores[0].migrate() == len(packaged)
        applied = stores[0].schema_migrations()
        assert [(v, n) for v, n, _ in applied] == [(n, name) for n, name, _ in packaged]
    finally:
        for s in stores:
            s.close()


def test_records_have_a_gist_index_the_bbox_query_uses(pg_url, boundaries):
    pins = _located(sample_points(300, codes=["40"], seed=3, boundaries=boundaries))
    with open_store(pg_url) as store:
        store.add_records(pins)
    with psycopg.connect(pg_url) as conn:
        defs = [r[0] for r in conn.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'records'")]
        assert any("USING gist (geom)" in d for d in defs), defs
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            r[0] for r in conn.execute(
                "EXPLAIN SELECT id FROM records WHERE geom && ST_MakeEnvelope(102, 16, 103, 17, 4326)"
            )
        )
        assert "records_geom" in plan


def _write_batches(url: str, batches: list[gpd.GeoDataFrame]) -> list[int]:
    store = open_store(url)
    try:
        return [store.add_records(batch).version for batch in batches]
    finally:
        store.close()


def test_concurrent_writers_in_several_processes_lose_nothing(pg_url, boundaries):
    writers, batches_each, rows = 4, 6, 40
    pins = _located(sample_points(writers * batches_each * rows, codes=["40", "30", "10"], seed=7,
                                  boundaries=boundaries))
    # Some rows come without an ID (always new); every writer also resends its first
    # batch at the end (same IDs: replaced, never counted twice).
    pins["record_id"] = pins["record_id"].astype(object)
    pins.loc[pins.index[::9], "record_id"] = None
    plan = []
    for w in range(writers):
        mine = pins.iloc[w * batches_each * rows:(w + 1) * batches_each * rows]
        batches = [mine.iloc[b * rows:(b + 1) * rows] for b in range(batches_each)]
        resend = batches[0][batches[0]["record_id"].notna()]
        plan.append(batches + [resend])
    with open_store(pg_url):
        pass  # migrate once up front, like `geoplots serve` does before forking workers
    with ProcessPoolExecutor(writers, mp_context=mp.get_context("fork")) as pool:
        versions = [v for vs in pool.map(_write_batches, [pg_url] * writers, plan) for v in vs]

    total_batches = sum(len(p) for p in plan)
    assert sorted(versions) == list(range(1, total_batches + 1))  # one version per batch
    with open_store(pg_url) as store:
        assert store.version() == total_batches
        assert store.count() == pins["record_id"].nunique() + pins["record_id"].isna().sum()
        stored = store.all_records()
    assert set(stored["record_id"].dropna()) == set(pins["record_id"].dropna())
    assert stored["record_id"].isna().sum() == pins["record_id"].isna().sum()
    by_zone = stored.groupby("inspection_zone").size().sort_index()
    assert by_zone.to_dict() == pins.groupby("inspection_zone").size().sort_index().to_dict()


def test_a_failing_row_rolls_back_its_whole_batch(pg_url, boundaries):
    pins = _located(sample_points(20, codes=["40"], seed=5, boundaries=boundaries))
    with open_store(pg_url) as store:
        store.add_records(pins.iloc[:5])
        before = (store.count(), store.version())
        bad = pins.iloc[5:].copy()
        bad["row"] = bad["row"].astype(object)
        bad.loc[bad.index[-1], "row"] = 2**40  # beyond a spreadsheet row: the INSERT fails
        with pytest.raises(psycopg.Error):
            store.add_records(bad)
        assert (store.count(), store.version()) == before


def _publish_from_another_process(url: str, version: int) -> None:
    async def main() -> None:
        with open_store(url) as store:
            bus = store.event_bus()
            await bus.publish(Event("records", {"version": version, "zones": ["12"]}))
            await bus.stop()

    asyncio.run(main())


def test_events_published_by_one_process_reach_subscribers_of_another(pg_url):
    async def main() -> list[Event]:
        with open_store(pg_url) as store:
            bus = store.event_bus()
            await bus.start()
            try:
                async with bus.subscribe() as queue:
                    loop = asyncio.get_running_loop()
                    with ProcessPoolExecutor(1, mp_context=mp.get_context("fork")) as pool:
                        for v in (1, 2):
                            await loop.run_in_executor(pool, _publish_from_another_process, pg_url, v)
                    return [await asyncio.wait_for(queue.get(), 10) for _ in range(2)]
            finally:
                await bus.stop()

    got = asyncio.run(main())
    assert [(e.type, e.data["version"]) for e in got] == [("records", 1), ("records", 2)]


def test_keys_have_a_store_of_their_own_that_is_no_feature_table(pg_url):
    with open_store(pg_url) as store:
        assert isinstance(store.keys, PostGISKeyStore)
        key, secret = store.create_key("editor", zone="12", name="สนง.พช.ขอนแก่น")
        assert store.find_key(secret) == key
        # keys taken over from elsewhere keep their ids; new ones follow; a clash is refused
        moved = ApiKey(id=10, name="moved", role="admin", zone=None, prefix="gp_moved",
                       created_at="2026-10-01T08:00:00.000+00:00")
        assert store.keys.import_keys([(moved, hash_key("gp_moved-secret"))]) == 1
        assert store.keys.import_keys([(moved, hash_key("gp_moved-secret"))]) == 0
        assert store.find_key("gp_moved-secret").id == 10 and store.create_key("inspector")[0].id == 11
        with pytest.raises(GeoplotsError, match="different key"):
            store.keys.import_keys([(moved, hash_key("gp_another-secret"))])
    with psycopg.connect(pg_url) as conn:
        applied = [r[0] for r in conn.execute("SELECT version FROM key_schema_migrations ORDER BY version")]
        assert applied == [n for n, _, _ in packaged("postgis_keys")]
        geometry_tables = {r[0] for r in conn.execute(
            "SELECT f_table_name FROM geometry_columns WHERE f_table_schema = current_schema()")}
        assert geometry_tables == {"records", "record_versions"}  # current records and their history


def test_a_database_made_by_the_previous_schema_opens_with_its_records_and_keys(pg_url, boundary_dir):
    # The previous code: records migration 1 only (it created api_keys), no key migrations.
    secret = "gp_" + "k" * 43
    with psycopg.connect(pg_url) as conn:
        conn.execute(_migrations()[0][2])
        conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                     " applied_at timestamptz NOT NULL DEFAULT now())")
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (1, 'init')")
        conn.execute("INSERT INTO api_keys (name, role, zone, key_hash, prefix) VALUES (%s, 'editor', '12', %s, %s)",
                     ("สนง.พช.ขอนแก่น", hash_key(secret), secret[:9]))
        conn.execute("INSERT INTO records (kind, record_id, batch_id, geom) VALUES "
                     "('pins', 'OLD-1', 'b1', ST_SetSRID(ST_MakePoint(102.8, 16.4), 4326))")
    with open_store(pg_url) as store:
        found = store.find_key(secret)
        assert found is not None and (found.id, found.zone) == (1, "12")
        assert store.count() == 1 and store.all_records()["record_id"].tolist() == ["OLD-1"]
        assert store.create_key("admin")[0].id == 2
    with open_store(pg_url) as store:  # idempotent
        assert [k.id for k in store.list_keys()] == [1, 2]
