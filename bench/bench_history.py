"""Benchmark: coverage as of a date and a 12-month progress series on 1,000,000 record versions.

A store holds a year of a national programme: 400,000 plots in real sub-districts (codes
from the imported boundaries), each reported 1 to 4 times a few weeks apart (about
1,000,000 versions in ``record_versions``), a tenth of the later reports moving to another
sub-district, statuses moving from planned to completed, 3 % of plots withdrawn (a
tombstone). Versions are written straight into ``record_versions`` in chunks (SQL
``executemany`` / ``COPY``; geometries left empty: counting reads only unit codes), then
the current view is derived with ``Store.rebuild_current()``.

Timed, each in a fresh process so its peak memory is its own:

- *as of*: ``Store.counts_by("district", as_of=D)`` and ``coverage_from_counts`` for
  three days (3, 6 and 12 months into the year); the slowest is reported;
- *series*: ``geoplots.progress(store=..., level="district")`` over 12 months (13 as-of
  counts: the 12 month ends and the month before, for "newly covered").

Peak memory is the process's peak RSS during the request (VmHWM, reset just before it)
minus its RSS then. Target (issue 15): each under 1 s with bounded memory.

Usage::

    python bench/bench_history.py                                # SQLite
    ./scripts/postgres run python bench/bench_history.py         # SQLite and PostGIS
    python bench/bench_history.py --versions 200000              # a smaller store

Needs imported boundaries (--data, else GEOPLOTS_DATA / data/boundaries); without them
the shared COD-AB boundaries are imported into a temporary directory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

START = dt.date(2025, 1, 1)
AS_OF = [dt.date(2025, 3, 31), dt.date(2025, 6, 30), dt.date(2025, 12, 31)]


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _boundaries(data: str | None):
    from geoplots.cli.serve import _ensure_boundaries

    return _ensure_boundaries(None if data is None else Path(data))


def _versions(n_versions: int, data: str | None):
    """Yield chunks of version rows (tuples in :data:`_COLUMNS` order), about ``n_versions``."""
    import numpy as np

    boundaries = _boundaries(data)
    codes = boundaries.level("subdistrict")["code"].astype(str).to_numpy()
    zones = boundaries.scheme("inspection_zone").group_of(boundaries.level("subdistrict")["code"]).astype(str).to_numpy()
    rng = np.random.default_rng(15)
    n_records = int(n_versions / 2.5)
    counts = rng.choice([1, 2, 3, 4], size=n_records, p=[0.2, 0.3, 0.3, 0.2])
    record = np.repeat(np.arange(n_records), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    version = np.arange(len(record)) - np.repeat(first, counts) + 1
    day = np.minimum(rng.integers(0, 300, n_records)[record] + (version - 1) * rng.integers(15, 45, n_records)[record],
                     364)
    place = rng.integers(0, len(codes), n_records)[record]
    moved = (version > 1) & (rng.random(len(record)) < 0.1)
    place[moved] = rng.integers(0, len(codes), int(moved.sum()))
    last = np.r_[first[1:] - 1, len(record) - 1]
    withdrawn = np.zeros(len(record), dtype=bool)
    withdrawn[last[rng.random(n_records) < 0.03]] = True
    status = np.array(["planned", "in_progress", "completed", "completed"])[version - 1]
    batch = uuid.uuid4().hex
    for lo in range(0, len(record), 100_000):
        hi = min(lo + 100_000, len(record))
        rows = []
        for i in range(lo, hi):
            when = START + dt.timedelta(days=int(day[i]))
            code = codes[place[i]]
            rows.append((int(record[i]) + 1, int(version[i]), int(withdrawn[i]), when.isoformat(), status[i], "plots",
                         f"PLOT-{record[i] + 1:07d}", code, code[:4], code[:2], zones[place[i]], batch,
                         f"{when.isoformat()}T05:00:00.000+00:00", "{}", "[]"))
        yield rows


_COLUMNS = ("id", "version", "withdrawn", "reported_date", "status", "kind", "record_id", "subdistrict_code",
            "district_code", "province_code", "inspection_zone", "batch_id", "received_at", "properties", "warnings")


def _fill(url: str, n_versions: int, data: str | None) -> int:
    """Write the versions straight into the store's tables, then derive the current view."""
    from geoplots.server.store import open_store

    total = 0
    with open_store(url) as store:
        if url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(url.split("///", 1)[1])
            sql = f"INSERT INTO record_versions ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
            for rows in _versions(n_versions, data):
                with conn:
                    conn.executemany(sql, rows)
                total += len(rows)
            conn.execute("ANALYZE")
            conn.close()
        else:
            import psycopg

            with psycopg.connect(url) as conn:
                with conn.cursor() as cur:
                    for rows in _versions(n_versions, data):
                        with cur.copy(f"COPY record_versions ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row((*row[:2], bool(row[2]), *row[3:]))
                        total += len(rows)
                conn.execute("ANALYZE record_versions")
        current = store.rebuild_current()
        print(f"  {total:,} versions, {current:,} current records", flush=True)
    return total


def _child(url: str, what: str, data: str | None) -> dict:
    import geoplots
    from geoplots.counting import coverage_from_counts
    from geoplots.server.store import RecordFilter, open_store

    boundaries = _boundaries(data)
    boundaries.level("district")  # loaded before the baseline, as in a running server
    store = open_store(url, migrate=False)
    store.count()
    base = _status_mb("VmRSS")
    _reset_peak()
    t0 = time.perf_counter()
    if what == "series":
        result = geoplots.progress(store=store, level="district", kind="plots", start="2025-01-01",
                                   end="2025-12-31", boundaries=boundaries)
        figure = int(result.summary.loc[result.summary["period"] == "2025-12", "covered"].sum())
    else:
        counts = store.counts_by("district", "plots", RecordFilter(kind="plots"), as_of=what)
        figure = int(coverage_from_counts(counts, "district", boundaries=boundaries).summary["covered"].sum())
    seconds = time.perf_counter() - t0
    peak = _status_mb("VmHWM")
    store.close()
    return {"seconds": seconds, "peak_mb": peak - base, "figure": figure}


def _run_child(url: str, what: str, data: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", what, "--url", url]
    if data is not None:
        cmd += ["--data", data]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=os.environ)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _bench(name: str, url: str, data: str | None) -> None:
    results = [(day.isoformat(), _run_child(url, day.isoformat(), data)) for day in AS_OF]
    for day, r in results:
        print(f"{name:8} coverage as of {day}: {r['seconds']:6.3f} s, peak {r['peak_mb']:6.1f} MiB, "
              f"{r['figure']} districts covered", flush=True)
    series = _run_child(url, "series", data)
    print(f"{name:8} 12-month progress series: {series['seconds']:6.3f} s, peak {series['peak_mb']:6.1f} MiB, "
          f"{series['figure']} districts covered at the end", flush=True)
    worst = max(r["seconds"] for _, r in results)
    verdict = "met" if worst < 1 and series["seconds"] < 1 else "MISSED"
    print(f"{name:8} target (< 1 s each): {verdict}", flush=True)


def _postgres_schema(base: str) -> tuple[str, str]:
    import psycopg

    schema = "bench_history_" + uuid.uuid4().hex[:8]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    return schema, f"{base}{sep}options=-csearch_path%3D{schema}%2Cpublic"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--versions", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=os.environ.get("GEOPLOTS_TEST_POSTGRES"),
                        help="PostgreSQL URL (default: GEOPLOTS_TEST_POSTGRES); a schema is made and dropped")
    parser.add_argument("--data", default=None, help="imported boundaries directory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.url, args.child, args.data)))
        return
    if args.data is None and not os.environ.get("GEOPLOTS_DATA"):
        args.data = tempfile.mkdtemp(prefix="geoplots-bench-boundaries-")
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"sqlite": f"sqlite:///{tmp}/history.gpkg"}
        schema = None
        if args.postgres:
            schema, backends["postgis"] = _postgres_schema(args.postgres)
        try:
            for name, url in backends.items():
                t0 = time.perf_counter()
                _fill(url, args.versions, args.data)
                print(f"{name}: filled in {time.perf_counter() - t0:.1f} s", flush=True)
                _bench(name, url, args.data)
        finally:
            if schema is not None:
                import psycopg

                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
