"""geoplots.locate / geoplots.coverage on dask-geopandas frames (partitioned GeoParquet),
on a small LocalCluster: the same answers as in memory, with the index sent once."""

from __future__ import annotations

import pickle

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geoplots
from geoplots import synthetic
from geoplots.locating import SubdistrictIndex, index_for

dask_geopandas = pytest.importorskip("dask_geopandas")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # Two single-threaded worker processes: the index really travels to other processes,
    # and no two tasks share one process's GEOS polygons.
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def batch(boundaries) -> gpd.GeoDataFrame:
    """Pins in three zones, pins just across borders and the coast, pins far out at sea,
    and households with a yes/no kitchen-garden answer."""
    inside = synthetic.sample_points(3000, codes=["40", "30", "50", "90"], seed=11, boundaries=boundaries)
    near = synthetic.border_points(400, seed=12, boundaries=boundaries)
    sea = gpd.GeoDataFrame(
        {"record_id": ["SEA-1", "SEA-2", "SEA-3"], "lat": [7.5, 12.0, 9.0], "lon": [97.0, 101.5, 103.5]},
        geometry=gpd.points_from_xy([97.0, 101.5, 103.5], [7.5, 12.0, 9.0]), crs=4326,
    )
    frame = pd.concat([inside, near, sea], ignore_index=True)
    frame = frame.rename(columns={"subdistrict_code": "true_subdistrict_code"})
    rng = np.random.default_rng(5)
    frame["has_garden"] = pd.array(rng.random(len(frame)) < 0.8, dtype="boolean")
    frame.loc[frame.index[::50], "has_garden"] = pd.NA  # unanswered
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


@pytest.fixture(scope="module")
def parquet_dir(batch, tmp_path_factory):
    """The batch as partitioned GeoParquet: 5 files of uneven size."""
    folder = tmp_path_factory.mktemp("batch")
    edges = [0, 500, 1500, 1600, 2900, len(batch)]
    for k, (a, b) in enumerate(zip(edges[:-1], edges[1:])):
        batch.iloc[a:b].to_parquet(folder / f"part.{k}.parquet")
    return folder


def _frame(parquet_dir):
    return dask_geopandas.read_parquet(str(parquet_dir / "*.parquet"))


def test_locate_on_partitions_equals_locate_in_memory(client, batch, parquet_dir, boundaries):
    lazy = geoplots.locate(_frame(parquet_dir), boundaries=boundaries)
    assert lazy.located.npartitions == 5
    got = lazy.compute()
    want = geoplots.locate(batch, boundaries=boundaries)
    # Rows are numbered across partitions, as for one long sheet.
    pd.testing.assert_frame_equal(
        got.accepted.sort_values("row").reset_index(drop=True), want.accepted.reset_index(drop=True)
    )
    # In memory, reasons and messages are categoricals; Dask partitions carry strings.
    as_text = {"reason": str, "message": str}
    pd.testing.assert_frame_equal(
        got.rejects.sort_values("row").reset_index(drop=True).astype(as_text),
        want.rejects.reset_index(drop=True).astype(as_text), check_dtype=False,
    )
    assert set(got.rejects["record_id"]) >= {"SEA-1", "SEA-2", "SEA-3"}
    assert got.rows_read == len(batch)


def test_to_parquet_writes_everything_in_one_pass_and_counts_it(client, batch, parquet_dir, tmp_path, boundaries):
    lazy = geoplots.locate(_frame(parquet_dir), boundaries=boundaries)
    summary = lazy.to_parquet(tmp_path / "located", rejects=tmp_path / "rejects")
    want = geoplots.locate(batch, boundaries=boundaries).summary()
    assert summary == {k: want[k] for k in ("rows_read", "accepted", "rejected", "rejected_by_reason")}
    assert lazy.summary() == summary
    located = gpd.read_parquet(tmp_path / "located")
    rejects = pd.read_parquet(tmp_path / "rejects")
    assert len(located) + len(rejects) == len(batch)
    assert sorted(located["row"].tolist() + rejects["row"].tolist()) == list(range(2, len(batch) + 2))
    # Points drawn inside a sub-district are found in exactly that one.
    drawn = located[located["true_subdistrict_code"].notna()]
    assert len(drawn) == 3000
    assert (drawn["match"] == "inside").all()
    assert (drawn["subdistrict_code"].astype(str) == drawn["true_subdistrict_code"].astype(str)).all()
    assert located.crs.equals("EPSG:4326")


def test_the_lookup_index_goes_to_each_worker_once_not_with_every_partition(client, parquet_dir, boundaries):
    lazy = geoplots.locate(_frame(parquet_dir), boundaries=boundaries)
    held = client.run(lambda dask_worker: sum(isinstance(v, SubdistrictIndex) for v in dask_worker.data.values()))
    # Never more than one copy per worker (not one per partition). The broadcast may still
    # be replicating to the second worker on a busy machine, so a worker may hold none yet.
    assert set(held.values()) <= {0, 1} and sum(held.values()) >= 1, held
    # The task graph only refers to the scattered copy: it is far smaller than the index.
    graph = dict(lazy.located.__dask_graph__())
    index = index_for(boundaries)
    assert len(pickle.dumps(graph)) < len(pickle.dumps(index)) / 5
    # The boundaries themselves travel as their path and snapshot id, however much is loaded.
    assert len(pickle.dumps(boundaries)) < 1000
    assert pickle.loads(pickle.dumps(boundaries)) == boundaries
    assert lazy.summary()["rows_read"] == 3403


@pytest.mark.parametrize("level", ["district", "subdistrict"])
def test_coverage_of_partitions_equals_coverage_in_memory(client, batch, parquet_dir, level, boundaries):
    got = geoplots.coverage(_frame(parquet_dir), level=level, min_count=2, boundaries=boundaries)
    want = geoplots.coverage(batch, level=level, min_count=2, boundaries=boundaries)
    pd.testing.assert_frame_equal(got.units, want.units)
    pd.testing.assert_frame_equal(got.summary, want.summary)


def test_household_participation_of_partitions_equals_in_memory(client, batch, parquet_dir, boundaries):
    options = {"level": "district", "participation": "has_garden", "zone": 12, "boundaries": boundaries}
    got = geoplots.coverage(_frame(parquet_dir), **options)
    want = geoplots.coverage(batch, **options)
    pd.testing.assert_frame_equal(got.units, want.units)
    pd.testing.assert_frame_equal(got.summary, want.summary)
    assert got.units["households"].sum() > got.units["participating"].sum() > 0
    assert set(got.units["tier"]) > {"not_passed"}


def test_coverage_of_an_already_located_dask_frame_counts_it_as_is(client, batch, parquet_dir, tmp_path, boundaries):
    geoplots.locate(_frame(parquet_dir), boundaries=boundaries).to_parquet(tmp_path / "located")
    located = dask_geopandas.read_parquet(str(tmp_path / "located"))
    got = geoplots.coverage(located, level="province", boundaries=boundaries)
    want = geoplots.coverage(batch, level="province", boundaries=boundaries)
    pd.testing.assert_frame_equal(got.units, want.units)


def test_cli_join_with_dask_writes_partitioned_output(client, batch, parquet_dir, tmp_path, boundaries):
    from typer.testing import CliRunner

    from geoplots.cli import app

    out, rejects = tmp_path / "located.parquet", tmp_path / "rejects"
    result = CliRunner().invoke(
        app, ["join", str(parquet_dir), "--out", str(out), "--rejects", str(rejects),
              "--dask", client.scheduler.address, "--data", str(boundaries.root)],
    )
    assert result.exit_code == 0, result.output
    want = geoplots.locate(batch, boundaries=boundaries).summary()
    assert f"{want['rows_read']:,}" in result.output
    assert len(gpd.read_parquet(out)) == want["accepted"]
    assert len(pd.read_parquet(rejects)) == want["rejected"] > 0

    wrong = CliRunner().invoke(app, ["join", str(parquet_dir), "--out", str(tmp_path / "x.csv"), "--dask", "local",
                                     "--data", str(boundaries.root)])
    assert wrong.exit_code != 0
    assert "folder" in str(wrong.exception) + wrong.output
