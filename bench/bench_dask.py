"""National batch benchmark: locate 50 million points out of core with Dask.

What it does, in one run:

1. Generates a partitioned GeoParquet data set of ``--points`` synthetic points (default
   50 million; ``--partition`` points per file) drawn inside real sub-districts
   (:func:`geoplots.synthetic.sample_points`), in chunks, on both cores. Kept between
   runs (same size and seed), and its generation time is reported separately.
2. Locates every point with ``geoplots.locate`` on the dask-geopandas frame, on a
   ``LocalCluster`` of ``--workers`` single-threaded worker processes with a memory
   limit each, writing accepted rows and rejects back to partitioned Parquet; then
   ``geoplots.coverage`` per district on the same frame. Reports points/s and the peak
   resident memory of the whole process tree (client, scheduler, workers), sampled.
3. For comparison, in the same run: one process, one thread, chunked (read a partition,
   locate it with the same partition function and index, write it) on the first
   ``--compare`` partitions. (One thread on both sides: the lookup's own thread pool
   crashed on a freshly loaded index in testing; see geoplots/locating/_dask.py.)
4. Checks: every point accounted for (accepted + rejected == points), and every located
   sub-district equals the one the point was drawn in.

Run::

    python bench/bench_dask.py                      # 50M points, ~10 minutes on 2 cores
    python bench/bench_dask.py --points 2000000     # a quick look

Boundaries come from ``GEOPLOTS_DATA`` (``make boundaries`` imports them).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil


# -- 1. data set ------------------------------------------------------------------
def _write_partition(args: tuple[Path, int, int, int, int]) -> int:
    out, k, size, first_id, seed = args
    from geoplots.synthetic import sample_points

    pts = sample_points(size, seed=seed * 1_000_003 + k, first_id=first_id)
    # Keep the truth under another name: locate adds its own subdistrict_code.
    pts = pts.rename(columns={"subdistrict_code": "true_subdistrict_code"})
    tmp = out / f".part.{k:05d}.parquet"
    pts.to_parquet(tmp, index=False, compression="snappy", write_covering_bbox=False)
    os.replace(tmp, out / f"part.{k:05d}.parquet")
    return size


def make_dataset(out: Path, points: int, partition: int, seed: int, jobs: int) -> dict:
    manifest = out / "dataset.json"
    want = {"points": points, "partition": partition, "seed": seed}
    if manifest.exists():
        have = json.loads(manifest.read_text())
        if {k: have.get(k) for k in want} == want:
            return {**have, "reused": True}
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tasks = []
    for k, start in enumerate(range(0, points, partition)):
        tasks.append((out, k, min(partition, points - start), start + 1, seed))
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        written = sum(pool.map(_write_partition, tasks))
    seconds = time.perf_counter() - started
    assert written == points
    info = {
        **want,
        "files": len(tasks),
        "bytes": sum(p.stat().st_size for p in out.glob("part.*.parquet")),
        "generate_seconds": round(seconds, 1),
    }
    manifest.write_text(json.dumps(info, indent=1))
    return {**info, "reused": False}


# -- memory sampling ----------------------------------------------------------------
class PeakRSS(threading.Thread):
    """Samples the resident memory of this process and all its descendants."""

    def __init__(self, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self.peak_single = 0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.is_set():
            total, single = 0, 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    rss = p.memory_info().rss
                except psutil.Error:
                    continue
                total += rss
                single = max(single, rss)
            self.peak = max(self.peak, total)
            self.peak_single = max(self.peak_single, single)
            self._done.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join()


# -- 2. dask -------------------------------------------------------------------------
def run_dask(data: Path, out: Path, workers: int, memory_limit: str) -> dict:
    import dask
    import dask.dataframe as dd
    import dask_geopandas
    from dask.distributed import Client, LocalCluster

    import geoplots

    if out.exists():
        shutil.rmtree(out)
    with PeakRSS() as mem, LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
        dashboard_address=None,
    ) as cluster, Client(cluster):
        frame = dask_geopandas.read_parquet(str(data / "part.*.parquet"))
        started = time.perf_counter()
        located = geoplots.locate(frame)
        counts = located.to_parquet(out / "accepted", rejects=out / "rejects")
        locate_seconds = time.perf_counter() - started

        # Coverage from the located output: per-partition counts of one column, summed.
        started = time.perf_counter()
        located_codes = dd.read_parquet(str(out / "accepted"), columns=["subdistrict_code", "district_code", "match"])
        cov = geoplots.coverage(located_codes, level="district")
        coverage_seconds = time.perf_counter() - started

        # Correctness: every located sub-district is the one the point was drawn in.
        acc = dd.read_parquet(str(out / "accepted"), columns=["subdistrict_code", "true_subdistrict_code"])
        wrong = int(dask.compute((acc["subdistrict_code"].astype(str) != acc["true_subdistrict_code"].astype(str)).sum())[0])
    return {
        **counts,
        "wrong": wrong,
        "locate_seconds": round(locate_seconds, 1),
        "coverage_seconds": round(coverage_seconds, 1),
        "covered_districts": int(cov.units["met"].sum()),
        "districts": len(cov.units),
        "coverage_total": int(cov.units["count"].sum()),
        "peak_rss_mb": round(mem.peak / 2**20),
        "peak_rss_one_process_mb": round(mem.peak_single / 2**20),
    }


# -- 3. single process, chunked ------------------------------------------------------
_CHUNKED = r"""
import json, resource, sys, time
from pathlib import Path
import geopandas as gpd
from geoplots.locating._dask import _one_thread
from geoplots.locating._partition import index_for, locate_partition
files, out = [Path(p) for p in json.loads(sys.argv[1])], Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
index = _one_thread(index_for())
n = 0
started = time.perf_counter()
for f in files:
    part = locate_partition(gpd.read_parquet(f), index=index)
    part[part["reject_reason"].isna()].to_parquet(out / f.name)
    n += len(part)
seconds = time.perf_counter() - started
print(json.dumps({"points": n, "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_chunked(files: list[Path], out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    # A fresh process, so its peak memory is its own; the index is already cached on disk.
    done = subprocess.run(
        [sys.executable, "-c", _CHUNKED, json.dumps([str(f) for f in files]), str(out)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--points", type=int, default=50_000_000)
    ap.add_argument("--partition", type=int, default=1_000_000, help="points per Parquet file")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="3GiB", help="per Dask worker")
    ap.add_argument("--compare", type=int, default=5, help="partitions for the single-process comparison")
    ap.add_argument("--dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "geoplots-bench-dask")
    args = ap.parse_args()

    from geoplots.locating import index_for

    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB RAM")
    data = args.dir / "points"
    info = make_dataset(data, args.points, args.partition, args.seed, jobs=os.cpu_count() or 1)
    print(
        f"data set: {info['points']:,} points in {info['files']} GeoParquet files, "
        f"{info['bytes'] / 2**30:.2f} GiB on disk; generated in {info['generate_seconds']} s"
        + (" (earlier run, reused)" if info["reused"] else "")
    )
    started = time.perf_counter()
    index_for()
    print(f"lookup index ready in {time.perf_counter() - started:.1f} s (built or loaded from the cache)")

    d = run_dask(data, args.dir / "dask-out", args.workers, args.memory_limit)
    rate = d["rows_read"] / d["locate_seconds"]
    print(
        f"dask locate ({args.workers} workers x 1 thread, {args.memory_limit} each): {d['rows_read']:,} points "
        f"in {d['locate_seconds']} s = {rate:,.0f} points/s; accepted {d['accepted']:,}, "
        f"rejected {d['rejected']:,}, wrong sub-district {d['wrong']}"
    )
    print(
        f"dask coverage (district): {d['coverage_seconds']} s = {d['coverage_total'] / d['coverage_seconds']:,.0f} "
        f"points/s; {d['covered_districts']}/{d['districts']} districts covered"
    )
    print(
        f"peak memory, whole process tree: {d['peak_rss_mb']:,} MiB (largest single process "
        f"{d['peak_rss_one_process_mb']:,} MiB) for {info['bytes'] / 2**20:,.0f} MiB of input on disk"
    )
    assert d["rows_read"] == args.points == d["accepted"] + d["rejected"], "points lost"
    assert d["wrong"] == 0, "located sub-districts differ from the truth"

    files = sorted(data.glob("part.*.parquet"))[: args.compare]
    c = run_chunked(files, args.dir / "chunked-out")
    crate = c["points"] / c["seconds"]
    print(
        f"single process, 1 thread, chunked (first {len(files)} files): {c['points']:,} points in {c['seconds']:.1f} s = "
        f"{crate:,.0f} points/s; peak {c['peak_rss_mb']:,.0f} MiB"
    )
    print(f"dask / single-process throughput: {rate / crate:.2f}x")


if __name__ == "__main__":
    main()
