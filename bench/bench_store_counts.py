"""Benchmark: the first sub-district coverage request, counted in pandas vs in the store.

A store holds ~200,000 synthetic located households (points drawn in real sub-districts
with :mod:`geoplots.synthetic`, a yes/no ``has_garden`` answer each). What the server's
``/api/coverage`` computes on its first (uncached) request is timed two ways, each in a
fresh process so that its peak memory is its own:

- *before*: ``Store.all_records(kind)`` (every row into a GeoDataFrame) and
  ``geoplots.coverage`` / the rule on it (what the server did until the store counted);
- *after*: ``Store.counts_by`` (``GROUP BY`` in SQLite / PostgreSQL) and
  ``geoplots.counting.coverage_from_counts`` / ``Rule.run_counts``, plus ``Store.count``
  for the zone's record figure.

Requests: plain coverage per sub-district (``?level=subdistrict&kind=households``) and
household participation per sub-district (``?rule=household_participation&level=subdistrict``),
both for zone 12. The results of the two ways are checked equal. Peak memory is the
process's peak RSS during the request (VmHWM, reset just before it) minus its RSS then
(the libraries, the boundaries and an open store).

Usage::

    python bench/bench_store_counts.py                          # SQLite, 200,000 records
    python bench/bench_store_counts.py --postgres postgresql://user@127.0.0.1/db
    ./scripts/postgres run python bench/bench_store_counts.py   # PostGIS too (GEOPLOTS_TEST_POSTGRES)

Needs imported boundaries (--data, else GEOPLOTS_DATA / data/boundaries); without them
the shared COD-AB boundaries are imported into a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REQUESTS = {
    "coverage level=subdistrict": {"rule": None, "options": {}},
    "household_participation level=subdistrict": {"rule": "household_participation",
                                                   "options": {"level": "subdistrict"}},
}
ZONE = "12"


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    """Start the peak RSS (VmHWM) afresh, so the request's peak is not the start-up's."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _boundaries(data: str | None):
    from geoplots.cli.serve import _ensure_boundaries

    return _ensure_boundaries(None if data is None else Path(data))


def _fill(url: str, n: int, data: str | None) -> None:
    """Store ``n`` located households (truth columns from the drawn sub-district)."""
    import numpy as np

    from geoplots import synthetic
    from geoplots.server.store import open_store

    boundaries = _boundaries(data)
    frame = synthetic.sample_points(n, seed=7, boundaries=boundaries)
    code = frame["subdistrict_code"].astype("string")
    frame["district_code"], frame["province_code"] = code.str[:4], code.str[:2]
    frame["inspection_zone"] = boundaries.scheme("inspection_zone").group_of(code).astype("string")
    frame["match"], frame["distance_m"], frame["address_mismatch"] = "inside", 0.0, False
    frame["warnings"] = [[] for _ in range(len(frame))]
    frame["has_garden"] = np.random.default_rng(8).random(len(frame)) < 0.75
    with open_store(url) as store:
        for start in range(0, n, 50_000):
            store.add_records(frame.iloc[start:start + 50_000], kind="households")
        assert store.count() == n


def _child(url: str, mode: str, request: str, data: str | None) -> dict:
    """One first request in this fresh process; returns time, peak memory and a digest."""
    import dataclasses

    from geoplots.counting import coverage, coverage_from_counts, get_rule
    from geoplots.server.store import RecordFilter, open_store

    boundaries = _boundaries(data)
    boundaries.level("subdistrict")  # loaded before the baseline, as in a running server
    spec = REQUESTS[request]
    rule = None if spec["rule"] is None else get_rule(spec["rule"])
    store = open_store(url, migrate=False)
    store.count()  # connection open
    base = _status_mb("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    chosen = RecordFilter(kind="households")
    if mode == "before":
        records = store.all_records(chosen)
        if rule is None:
            cov = coverage(records, "subdistrict", zone=ZONE, boundaries=boundaries)
        else:
            cov = rule.run(records, zone=ZONE, boundaries=boundaries, **spec["options"])
        figure = len(records)
    else:
        if rule is None:
            counts = store.counts_by("subdistrict", "households", chosen)
            cov = coverage_from_counts(counts, "subdistrict", zone=ZONE, boundaries=boundaries)
        else:
            params = dataclasses.asdict(rule.parameters(**spec["options"]))
            counts = store.counts_by(kind="households", filter=chosen, **rule.count_request(**params))
            cov = rule.run_counts(counts, zone=ZONE, boundaries=boundaries, **params)
        figure = store.count(RecordFilter(kind="households", zone=ZONE))
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    units = cov.units.drop(columns="geometry")
    digest = units.to_json(orient="records") + cov.summary.to_json(orient="records")
    store.close()
    return {"seconds": seconds, "peak_mb": peak - base, "digest": digest, "records": figure}


def _run_child(url: str, mode: str, request: str, data: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, "--request", request, "--url", url]
    if data is not None:
        cmd += ["--data", data]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bench(name: str, url: str, data: str | None) -> list[tuple]:
    rows = []
    for request in REQUESTS:
        before = _run_child(url, "before", request, data)
        after = _run_child(url, "after", request, data)
        assert before["digest"] == after["digest"], f"{name} {request}: counts_by coverage differs"
        rows.append((name, request, before, after))
        print(f"{name:8} {request:44} before {before['seconds']:6.2f} s {before['peak_mb']:7.0f} MiB | "
              f"after {after['seconds']:6.3f} s {after['peak_mb']:6.1f} MiB | "
              f"{before['seconds'] / after['seconds']:6.1f}x faster, "
              f"{before['peak_mb'] / max(after['peak_mb'], 1.0):6.1f}x less memory | same result",
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--postgres", default=os.environ.get("GEOPLOTS_TEST_POSTGRES"),
                        help="PostgreSQL URL of a database to fill (default: GEOPLOTS_TEST_POSTGRES)")
    parser.add_argument("--data", default=None, help="imported boundaries directory")
    parser.add_argument("--child", choices=["before", "after"], help=argparse.SUPPRESS)
    parser.add_argument("--request", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.url, args.child, args.request, args.data)))
        return
    if args.data is None and not os.environ.get("GEOPLOTS_DATA"):
        args.data = tempfile.mkdtemp(prefix="geoplots-bench-boundaries-")
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"sqlite": f"sqlite:///{tmp}/bench.gpkg"}
        if args.postgres:
            backends["postgis"] = args.postgres
        for name, url in backends.items():
            t0 = time.perf_counter()
            _fill(url, args.records, args.data)
            print(f"{name}: stored {args.records:,} households in {time.perf_counter() - t0:.1f} s", flush=True)
            _bench(name, url, args.data)


if __name__ == "__main__":
    main()
