"""Benchmark: the war-room server under 100 concurrent connections on loopback.

A real ``geoplots serve`` (uvicorn, one process) runs in a subprocess on a free
127.0.0.1 port, on a store filled with the demonstration data set (``geoplots demo``'s
records, made with :mod:`geoplots.synthetic` on the real boundaries). An async httpx
client keeps ``--concurrency`` connections busy until ``--requests`` answers per
endpoint have come back or ``--seconds`` have passed, and prints p50/p95/p99 latency and
requests per second for:

- ``/health`` — the peer: the cheapest answer the same server gives (framework, HTTP
  and client overhead), measured in the same run;
- ``/api/coverage?level=district&zone=12`` — the war-room wall screens' poll (answers
  are cached per store version, so this is the steady state between batches; the first,
  uncached computation is timed separately);
- ``/collections/pins/items?limit=100`` — an OGC API - Features page of records.

Each endpoint is run twice: *saturated* (every connection sends its next request as
soon as its answer is back: throughput, and the latency of a full queue, which by
Little's law is about connections / throughput) and *paced* (every connection sends one
request per ``--interval`` seconds, as 100 wall screens polling would; latency counted
from the planned send time).

The client shares the machine's cores with the server, so the figures are a floor.
Target: coverage p95 under 50 ms (at 100 screens polling).

Usage::

    python bench/bench_server.py                       # 2,000 requests per endpoint
    python bench/bench_server.py --requests 500 --seconds 20

Needs imported boundaries (GEOPLOTS_DATA or --data); without them the shared COD-AB
boundaries are imported into a temporary directory, as ``geoplots demo`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

ENDPOINTS = {
    "health (peer)": "/health",
    "coverage": "/api/coverage?level=district&zone=12",
    "pins items": "/collections/pins/items?limit=100",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill_store(db: Path, data: Path | None) -> dict[str, int]:
    from geoplots.cli.serve import _ensure_boundaries, build_demo
    from geoplots.server.store import open_store

    boundaries = _ensure_boundaries(data)
    with open_store(str(db)) as store:
        return build_demo(store, boundaries=boundaries)


def _start_server(db: Path, data: Path | None, port: int) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).with_name("geoplots")), "serve", "--host", "127.0.0.1", "--port", str(port),
           "--db", str(db)]
    if data is not None:
        cmd += ["--data", str(data)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            # all load comes from one address: measure the server, not its per-address limit
                            env={**os.environ, "UVICORN_LOG_LEVEL": "warning",
                                 "GEOPLOTS_ANONYMOUS_RATE_LIMIT_PER_MINUTE": "0"})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited: " + proc.stderr.read().decode(errors="replace"))
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


class _Connection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole answers.

    The load generator is plain asyncio streams rather than httpx: the client shares the
    two cores with the server, and httpx's connection pool spends more CPU per request
    than the server does (``--client httpx`` shows it), so it would measure itself.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n".encode())
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next((int(v) for k, _, v in (ln.partition(b":") for ln in lines[1:])
                       if k.strip().lower() == b"content-length"), None)
        if length is None:
            raise RuntimeError(f"{path}: answer without Content-Length")
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _load(base: str, path: str, *, concurrency: int, total: int, seconds: float, client: str = "raw",
                interval: float | None = None) -> dict[str, float]:
    """``concurrency`` connections send GET ``path`` until ``total`` answers or ``seconds``.

    ``interval=None`` is the saturation run (each connection sends its next request as
    soon as an answer is back); otherwise each connection sends one request every
    ``interval`` seconds (wall screens polling) and latency counts from the planned send
    time, so a slow server cannot hide its queue by delaying the next request.
    """
    host, port = base.split("//", 1)[1].split(":")
    latencies: list[float] = []
    errors = 0
    issued = 0
    began = time.perf_counter()
    deadline = began + seconds

    if client == "httpx":
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        pool = httpx.AsyncClient(base_url=base, limits=limits, timeout=30)

        async def fetch(_conn) -> int:
            res = await pool.get(path)
            await res.aread()
            return res.status_code
        conns = [None] * concurrency
    else:
        pool = None
        conns = [_Connection(host, int(port)) for _ in range(concurrency)]

        async def fetch(conn) -> int:
            return await conn.get(path)

    async def worker(i: int, conn) -> None:
        nonlocal issued, errors
        planned = began + (i / concurrency) * (interval or 0)
        while issued < total and time.perf_counter() < deadline:
            if interval is not None:
                await asyncio.sleep(max(0.0, planned - time.perf_counter()))
                if issued >= total or time.perf_counter() >= deadline:
                    break
                started = planned
                planned += interval
            else:
                started = time.perf_counter()
            issued += 1
            try:
                ok = await fetch(conn) == 200
            except (OSError, RuntimeError, asyncio.IncompleteReadError, httpx.HTTPError):
                ok = False
                if conn is not None:
                    conn.close()
                    conn.writer = None
            latencies.append(time.perf_counter() - started)
            errors += not ok

    try:
        await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
    finally:
        for c in conns:
            if c is not None:
                c.close()
        if pool is not None:
            await pool.aclose()
    elapsed = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "requests": len(ms), "errors": errors, "seconds": elapsed, "rps": len(ms) / elapsed,
        "p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="answers per endpoint (default 2000)")
    parser.add_argument("--concurrency", type=int, default=100, help="connections kept busy (default 100)")
    parser.add_argument("--seconds", type=float, default=60, help="time bound per endpoint (default 60)")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="paced run: seconds between one connection's requests (default 1: a poll a second)")
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw",
                        help="load generator: plain asyncio streams (default) or httpx.AsyncClient")
    parser.add_argument("--data", type=Path, default=None, help="boundary data directory")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_server_") as tmp:
        db = Path(tmp) / "bench.gpkg"
        data = args.data
        if data is None and not os.environ.get("GEOPLOTS_DATA"):
            data = Path(tmp) / "boundaries"
        started = time.perf_counter()
        counts = _fill_store(db, data)
        fill = time.perf_counter() - started
        port = _free_port()
        proc = _start_server(db, data, port)
        base = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            first = httpx.get(base + ENDPOINTS["coverage"], timeout=60)
            cold = time.perf_counter() - started
            first.raise_for_status()
            matched = httpx.get(base + ENDPOINTS["pins items"], timeout=60).json()["numberMatched"]
            print(f"store: {', '.join(f'{n:,} {k}' for k, n in counts.items())} (filled in {fill:.1f} s); "
                  f"items matched: {matched:,}; cpus: {os.cpu_count()}; one uvicorn process; "
                  f"{args.concurrency} connections; up to {args.requests:,} requests or {args.seconds:.0f} s "
                  "per endpoint")
            print(f"coverage, first (uncached) answer: {cold * 1000:.0f} ms")
            print(f"{'run':<10} {'endpoint':<15} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} "
                  f"{'p95 ms':>8} {'p99 ms':>8}")
            results = {}
            for mode, interval in (("saturated", None), ("paced", args.interval)):
                for name, path in ENDPOINTS.items():
                    r = asyncio.run(_load(base, path, concurrency=args.concurrency, total=args.requests,
                                          seconds=args.seconds, client=args.client, interval=interval))
                    results[mode, name] = r
                    print(f"{mode:<10} {name:<15} {r['requests']:>8,} {r['errors']:>6} {r['rps']:>7.0f} "
                          f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f}")
            peer, cov = results["saturated", "health (peer)"], results["saturated", "coverage"]
            paced = results["paced", "coverage"]
            print(f"saturated: coverage/health req/s {cov['rps'] / peer['rps']:.2f}x (coverage answered from the "
                  f"cache costs about what /health does); paced ({args.concurrency} screens, one poll per "
                  f"{args.interval:g} s): coverage p95 {paced['p95']:.1f} ms, target < 50 ms "
                  f"{'met' if paced['p95'] < 50 else 'NOT met'}; saturated coverage p95 {cov['p95']:.1f} ms "
                  f"{'met' if cov['p95'] < 50 else 'NOT met'}")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
