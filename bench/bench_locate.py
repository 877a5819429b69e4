"""Benchmark: geoplots.locate against a plain geopandas.sjoin on the same boundaries.

Each side runs in its own subprocess (so peak memory, ru_maxrss, is its own), on the
same synthetic points (same seed), and writes which sub-district it found for every
point; this script then checks the answers are identical for every point the plain
join found inside a sub-district, and prints times, the ratio and peak memory. Index
build time is measured separately (a fresh build, not the cached copy).

Usage::

    python bench/bench_locate.py                 # 1,000,000 points
    python bench/bench_locate.py --n 200000      # quicker
    python bench/bench_locate.py --households    # 12.8 million, in 1M chunks
    python bench/bench_locate.py --noise 0.2     # 20% of points outside, across the bounding box

Needs imported boundaries (GEOPLOTS_DATA or --data).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HOUSEHOLDS = 12_800_000


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(repeat: int, run):
    """Fastest of ``repeat`` runs (as timeit does: slower runs measure other load)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - started)
    return best, result


def _boundaries(args):
    import geoplots

    return geoplots.Boundaries.load(args.data)


def _chunks(args, boundaries):
    from geoplots.synthetic import iter_sample_points

    for number, chunk in enumerate(iter_sample_points(args.n, chunk_size=args.chunk, seed=args.seed,
                                                      boundaries=boundaries)):
        yield _add_noise(chunk, args.noise, boundaries, seed=args.seed * 1000 + number) if args.noise else chunk


def _add_noise(chunk, share: float, boundaries, seed: int):
    """Move ``share`` of the points to places outside every sub-district, spread uniformly
    over the country's bounding box (typos, swapped columns, GPS at the office abroad)."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    n = int(round(len(chunk) * share))
    west, south, east, north = boundaries.level("province").total_bounds
    xs, ys = [], []
    while sum(map(len, xs)) < n:  # keep only candidates outside every sub-district
        x, y = rng.uniform(west, east, 2 * n + 16), rng.uniform(south, north, 2 * n + 16)
        out = boundaries.index.lookup(x, y) < 0
        xs.append(x[out])
        ys.append(y[out])
    x, y = np.concatenate(xs)[:n], np.concatenate(ys)[:n]
    rows = rng.choice(len(chunk), n, replace=False)
    chunk = chunk.copy()
    lon, lat = chunk["lon"].to_numpy(copy=True), chunk["lat"].to_numpy(copy=True)
    lon[rows], lat[rows] = x, y
    chunk["lon"], chunk["lat"] = lon, lat
    return chunk.set_geometry(gpd.points_from_xy(lon, lat, crs=chunk.crs))


def side_build(args) -> dict:
    from geoplots.locating import SubdistrictIndex

    sub = _boundaries(args).level("subdistrict")
    index = SubdistrictIndex.build(sub["code"].to_numpy(), sub.geometry.to_numpy())
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "index.npz"
        index.save(path)
        started = time.perf_counter()
        SubdistrictIndex.load(path, sub["code"].to_numpy(), sub.geometry.to_numpy())
        load = time.perf_counter() - started
        size = path.stat().st_size / 1e6
    return {**index.stats(), "load_seconds": round(load, 3), "file_mb": round(size, 1), "peak_rss_mb": round(_maxrss_mb())}


def side_geoplots(args) -> dict:
    from geoplots.locating import locate

    boundaries = _boundaries(args)
    index = boundaries.index  # saved beside the snapshot (by an earlier run or by the build side)
    found, seconds, lookup_seconds, rss_before = [], 0.0, 0.0, None
    for chunk in _chunks(args, boundaries):
        rss_before = rss_before or _maxrss_mb()
        x, y = chunk["lon"].to_numpy(), chunk["lat"].to_numpy()
        lookup_seconds += _best(args.repeat, lambda x=x, y=y: index.lookup(x, y))[0]
        # tolerance 0: the same question a plain sjoin answers
        took, result = _best(args.repeat, lambda c=chunk: locate(c, tolerance_m=0, boundaries=boundaries))
        seconds += took
        pos = np.full(len(chunk), -1, dtype=np.int32)
        rows = result.accepted["row"].to_numpy() - 2
        pos[rows] = result.accepted["subdistrict_code"].cat.codes.to_numpy()
        found.append(pos)
        del result, chunk
    np.save(args.out, np.concatenate(found))
    return {"seconds": seconds, "lookup_seconds": lookup_seconds, "peak_rss_mb": round(_maxrss_mb()),
            "rss_after_first_chunk_mb": round(rss_before or 0)}


def side_sjoin(args) -> dict:
    import geopandas as gpd

    boundaries = _boundaries(args)
    sub = boundaries.level("subdistrict")[["code", "geometry"]]
    found, seconds, rss_before = [], 0.0, None
    for chunk in _chunks(args, boundaries):
        rss_before = rss_before or _maxrss_mb()
        took, joined = _best(args.repeat, lambda c=chunk: gpd.sjoin(c[["geometry"]], sub, predicate="within", how="left"))
        seconds += took
        joined = joined[~joined.index.duplicated()]
        pos = joined["index_right"].fillna(-1).to_numpy(dtype=np.int64).astype(np.int32)
        found.append(pos)
        del joined, chunk
    np.save(args.out, np.concatenate(found))
    return {"seconds": seconds, "peak_rss_mb": round(_maxrss_mb()), "rss_after_first_chunk_mb": round(rss_before or 0)}


def _run_side(side: str, args, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--side", side, "--n", str(args.n), "--chunk", str(args.chunk),
           "--seed", str(args.seed), "--repeat", str(args.repeat), "--out", str(out), "--noise", str(args.noise)]
    if args.data:
        cmd += ["--data", str(args.data)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{side} side failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="points (default 1,000,000)")
    parser.add_argument("--households", action="store_true", help="12.8 million points (the national survey)")
    parser.add_argument("--chunk", type=int, default=None, help="points per chunk (default: all at once; 1M with --households)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", type=float, default=0.0,
                        help="share of points moved outside every sub-district, across the bounding box (0-1)")
    parser.add_argument("--data", default=None, help="boundary data directory (default GEOPLOTS_DATA)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="time each side this many times, keep the fastest (default 3; 1 when chunked)")
    parser.add_argument("--skip-build", action="store_true", help="do not time a fresh index build")
    parser.add_argument("--side", choices=["build", "geoplots", "sjoin"], help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.households:
        args.n = HOUSEHOLDS
    if args.chunk is None:
        args.chunk = 1_000_000 if args.n > 1_000_000 else args.n
    if args.repeat is None:
        args.repeat = 3 if args.chunk >= args.n else 1

    if args.side:
        result = {"build": side_build, "geoplots": side_geoplots, "sjoin": side_sjoin}[args.side](args)
        print(json.dumps(result))
        return

    print(f"points: {args.n:,} in chunks of {args.chunk:,}, {args.noise:.0%} outside; cpus: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}; "
          f"fastest of {args.repeat} run(s) per side")
    if not args.skip_build:
        build = _run_side("build", args, Path(os.devnull))
        print(f"index build (fresh, once per boundary import): {build['build_seconds']:.1f} s; "
              f"load from cache: {build['load_seconds']:.2f} s; {build['megabytes']} MB in memory, "
              f"{build['file_mb']} MB on disk; level-0 cells {build['level0_cells']:,} "
              f"({build['level0_crossed']:,} crossed by a border), level-1 cells {build['level1_cells']:,} "
              f"({build['level1_crossed']:,} crossed)")
    with tempfile.TemporaryDirectory() as tmp:
        ours = _run_side("geoplots", args, Path(tmp) / "geoplots.npy")
        plain = _run_side("sjoin", args, Path(tmp) / "sjoin.npy")
        a = np.load(Path(tmp) / "geoplots.npy")
        b = np.load(Path(tmp) / "sjoin.npy")
    inside = b >= 0
    same = bool(np.array_equal(a[inside], b[inside]) and np.array_equal(a >= 0, inside))
    print(f"plain geopandas.sjoin(predicate='within'): {plain['seconds']:.2f} s, peak RSS {plain['peak_rss_mb']} MB")
    print(f"geoplots.locate (full Records result):     {ours['seconds']:.2f} s, peak RSS {ours['peak_rss_mb']} MB")
    print(f"  of which grid lookup alone:              {ours['lookup_seconds']:.2f} s")
    print(f"speed-up: {plain['seconds'] / ours['seconds']:.1f}x (locate), "
          f"{plain['seconds'] / ours['lookup_seconds']:.1f}x (lookup alone)")
    print(f"points inside a sub-district: {inside.sum():,} of {len(b):,}; "
          f"identical results: {'yes' if same else 'NO'} ({int((a[inside] != b[inside]).sum())} differ)")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
