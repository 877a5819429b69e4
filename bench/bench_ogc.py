"""Benchmark: geoplots' OGC API - Features against tipg, same PostGIS, same records.

Three servers, one uvicorn process each, on free 127.0.0.1 ports:

- **tipg** (the reference FastAPI OGC server, ``pip install .[bench]``) publishing the
  PostGIS ``records`` table of the geoplots store (its own schema, so tipg lists that
  one table);
- **geoplots on PostGIS**: ``geoplots serve --db postgresql://...`` on that same table;
- **geoplots on SQLite**: ``geoplots serve --db bench.gpkg`` holding the same records.

The records are ``geoplots demo``'s data set (2,531 pins, households and plots on the
real boundaries, :func:`geoplots.cli.serve.build_demo`; ``--copies N`` stores it N times).
The load generator of ``bench/bench_server.py`` (plain asyncio keep-alive connections on
loopback, ``--concurrency`` 50) saturates each server in turn with:

- ``items``: a page of 100 features;
- ``bbox``: a page of 100 features in a box around Khon Kaen (zone 12);
- ``feature``: one feature by id.

It prints req/s, p50/p95 per server and endpoint, the ratios geoplots / tipg (targets:
req/s at least 1.5x tipg's, p95 below tipg's), and each server's resident memory idle
and at its peak under load (target: within 100 MB of idle), with the load average
before and after (the machine may be shared: read the figures with it).

Usage (PostGIS from the project's throwaway cluster)::

    ./scripts/postgres run python bench/bench_ogc.py
    ./scripts/postgres run python bench/bench_ogc.py --requests 3000 --seconds 30

Needs imported boundaries (GEOPLOTS_DATA or --data); without them the shared COD-AB
boundaries are imported into a temporary directory, as ``geoplots demo`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_server import _free_port, _load  # noqa: E402  (the same load generator)

BBOX = "102.0,15.5,103.5,16.8"
TARGET_RATIO, MEMORY_MB = 1.5, 100


def _postgres_url(given: str | None) -> str:
    url = given or os.environ.get("GEOPLOTS_TEST_POSTGRES")
    if not url:
        raise SystemExit("No PostGIS: run under ./scripts/postgres run, or give --postgres postgresql://...")
    return url


def _fill(db: str, data: Path | None, copies: int) -> dict[str, int]:
    from geoplots.cli.serve import _ensure_boundaries, build_demo
    from geoplots.server.store import open_store

    boundaries = _ensure_boundaries(data)
    total: dict[str, int] = {}
    with open_store(db) as store:
        for copy in range(copies):
            # another seed per copy: new record ids, so copies add records instead of replacing them
            for kind, n in build_demo(store, boundaries=boundaries, seed=7 + copy).items():
                total[kind] = total.get(kind, 0) + n
    return total


def _wait(proc: subprocess.Popen, url: str, what: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited: " + proc.stderr.read().decode(errors="replace")[-3000:])
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{what} did not start within 120 s")


def _start_geoplots(db: str, data: Path | None, port: int) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).with_name("geoplots")), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--db", db]
    if data is not None:
        cmd += ["--data", str(data)]
    # all load comes from one address without a key: measure the server, not its rate limits
    env = {**os.environ, "GEOPLOTS_ANONYMOUS_RATE_LIMIT_PER_MINUTE": "0", "GEOPLOTS_RATE_LIMIT_PER_MINUTE": "0"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _wait(proc, f"http://127.0.0.1:{port}/health", "geoplots")
    return proc


def _start_tipg(base_url: str, schema: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": base_url,
        "TIPG_DB_SCHEMAS": json.dumps([schema]),
        "TIPG_DB_TABLES": json.dumps([f"{schema}.records"]),
    }
    cmd = [sys.executable, "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _wait(proc, f"http://127.0.0.1:{port}/healthz", "tipg")
    return proc


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _PeakMemory(threading.Thread):
    """Samples a process's resident memory every 0.1 s and keeps the largest."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, _rss_mb(self.pid))
            time.sleep(0.1)

    def stop(self) -> float:
        self.done.set()
        self.join()
        return self.peak


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _paths(schema: str, feature_id: int) -> dict[str, dict[str, str]]:
    geoplots = {
        "items": "/collections/pins/items?limit=100",
        "bbox": f"/collections/pins/items?limit=100&bbox={BBOX}",
        "feature": f"/collections/pins/items/{feature_id}",
    }
    tipg = {
        "items": f"/collections/{schema}.records/items?limit=100",
        "bbox": f"/collections/{schema}.records/items?limit=100&bbox={BBOX}",
        "feature": f"/collections/{schema}.records/items/{feature_id}",
    }
    return {"tipg": tipg, "geoplots PostGIS": geoplots, "geoplots SQLite": geoplots}


def _check_same_data(bases: dict[str, str], paths: dict[str, dict[str, str]]) -> int:
    """Every server matches the same number of records (else the comparison is void)."""
    matched = {}
    for name, base in bases.items():
        for endpoint in ("items", "bbox"):
            body = httpx.get(base + paths[name][endpoint], timeout=60).json()
            matched[name, endpoint] = body["numberMatched"], len(body["features"])
        assert httpx.get(base + paths[name]["feature"], timeout=60).status_code == 200, name
    for endpoint in ("items", "bbox"):
        answers = {matched[n, endpoint] for n in bases}
        if len(answers) != 1:
            raise SystemExit(f"servers disagree on {endpoint}: {matched}")
    return matched["tipg", "items"][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=None, help="PostGIS URL (default: $GEOPLOTS_TEST_POSTGRES)")
    parser.add_argument("--requests", type=int, default=2000, help="answers per endpoint and server (2000)")
    parser.add_argument("--concurrency", type=int, default=50, help="connections kept busy (default 50)")
    parser.add_argument("--seconds", type=float, default=30, help="time bound per run (default 30)")
    parser.add_argument("--copies", type=int, default=1, help="store the demo data set this many times (1)")
    parser.add_argument("--data", type=Path, default=None, help="boundary data directory")
    args = parser.parse_args()

    base_url = _postgres_url(args.postgres)
    schema = "bench_ogc_" + uuid.uuid4().hex[:8]
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base_url else "?"
    pg_url = base_url + sep + "options=" + quote(f"-csearch_path={schema},public")
    procs: list[subprocess.Popen] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench_ogc_") as tmp:
            data = args.data
            if data is None and not os.environ.get("GEOPLOTS_DATA"):
                data = Path(tmp) / "boundaries"
            sqlite_db = str(Path(tmp) / "bench.gpkg")
            counts = _fill(pg_url, data, args.copies)
            _fill(sqlite_db, data, args.copies)
            ports = {name: _free_port() for name in ("tipg", "geoplots PostGIS", "geoplots SQLite")}
            procs.append(_start_tipg(base_url, schema, ports["tipg"]))
            procs.append(_start_geoplots(pg_url, data, ports["geoplots PostGIS"]))
            procs.append(_start_geoplots(sqlite_db, data, ports["geoplots SQLite"]))
            pids = dict(zip(ports, (p.pid for p in procs)))
            bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            paths = _paths(schema, feature_id=sum(counts.values()) // 2)
            matched = _check_same_data(bases, paths)
            _run(args, bases, paths, pids, counts, matched)
    finally:
        _stop(procs)
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _run(args, bases: dict[str, str], paths: dict[str, dict[str, str]], pids: dict[str, int],
         counts: dict[str, int], matched: int) -> None:
    load_before = os.getloadavg()
    idle = {name: _rss_mb(pid) for name, pid in pids.items()}
    peak = dict(idle)
    print(f"records: {', '.join(f'{n:,} {k}' for k, n in counts.items())} (items match {matched:,}); "
          f"cpus: {os.cpu_count()}; one uvicorn process per server; {args.concurrency} connections; "
          f"up to {args.requests:,} requests or {args.seconds:.0f} s per run; "
          f"load average before: {' '.join(f'{v:.2f}' for v in load_before)}")
    print(f"{'endpoint':<8} {'server':<17} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}")
    results = {}
    for endpoint in ("items", "bbox", "feature"):
        for name, base in bases.items():
            sampler = _PeakMemory(pids[name])
            sampler.start()
            r = asyncio.run(_load(base, paths[name][endpoint], concurrency=args.concurrency,
                                  total=args.requests, seconds=args.seconds))
            peak[name] = max(peak[name], sampler.stop())
            results[endpoint, name] = r
            print(f"{endpoint:<8} {name:<17} {r['requests']:>8,} {r['errors']:>6} {r['rps']:>7.0f} "
                  f"{r['p50']:>8.1f} {r['p95']:>8.1f}")
    load_after = os.getloadavg()
    print(f"load average after: {' '.join(f'{v:.2f}' for v in load_after)}")
    print("ratios geoplots / tipg (targets: req/s >= 1.5x, p95 below tipg's):")
    for endpoint in ("items", "bbox", "feature"):
        ref = results[endpoint, "tipg"]
        for name in ("geoplots PostGIS", "geoplots SQLite"):
            r = results[endpoint, name]
            rps, p95 = r["rps"] / ref["rps"], r["p95"] / ref["p95"]
            met = rps >= TARGET_RATIO and r["p95"] < ref["p95"]
            print(f"  {endpoint:<8} {name:<17} req/s {rps:.2f}x  p95 {p95:.2f}x  {'met' if met else 'NOT met'}")
    print(f"memory (RSS MB, idle -> peak under load; target: within {MEMORY_MB} MB of idle):")
    for name in bases:
        grew = peak[name] - idle[name]
        print(f"  {name:<17} {idle[name]:.0f} -> {peak[name]:.0f} (+{grew:.0f}) "
              f"{'met' if grew <= MEMORY_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
