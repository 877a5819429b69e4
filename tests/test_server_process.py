"""The server as it runs: a real uvicorn (``geoplots serve``) in a subprocess.

Acknowledged pins survive a restart and a kill -9; parallel writers lose nothing; live
events reach an open stream.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from conftest_store import store_url  # noqa: F401  (fixture: every store backend)
from server_support import Uvicorn, bearer, pin_records


def _create_key(db: str, role: str, zone: str | None = None) -> str:
    """Create a key with the command line, as an administrator would."""
    cmd = [str(Path(sys.executable).with_name("geoplots")), "keys", "create", "--role", role, "--db", db]
    if zone:
        cmd += ["--zone", zone]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("gp_")
    return secret


def _record_ids(url: str) -> set[str]:
    ids, link = set(), f"{url}/collections/pins/items?limit=1000"
    while link:
        body = httpx.get(link, timeout=30).json()
        ids |= {f["properties"]["record_id"] for f in body["features"]}
        nxt = [x["href"] for x in body["links"] if x["rel"] == "next"]
        link = nxt[0] if nxt else None
    return ids


def test_acknowledged_pins_survive_restart_and_kill_9(store_url, boundaries):
    key = _create_key(store_url, "editor")
    records, _ = pin_records(300, seed=11, boundaries=boundaries)
    batches = [records[i : i + 15] for i in range(0, len(records), 15)]
    acknowledged: set[str] = set()

    server = Uvicorn(store_url, boundaries.root).start()
    try:
        first = httpx.post(server.url + "/api/pins", json=batches[0], headers=bearer(key), timeout=60)
        assert first.status_code == 201
        acknowledged |= {r["record_id"] for r in first.json()["rows"] if r["status"] == "accepted"}
    finally:
        server.stop()
    server = Uvicorn(store_url, boundaries.root).start()  # graceful restart
    assert _record_ids(server.url) == acknowledged

    stop = threading.Event()

    def writer():
        with httpx.Client(timeout=60) as client:
            for batch in batches[1:]:
                if stop.is_set():
                    return
                try:
                    res = client.post(server.url + "/api/pins", json=batch, headers=bearer(key))
                except httpx.TransportError:
                    return  # the server died mid-request: not acknowledged
                if res.status_code == 201:
                    acknowledged.update(r["record_id"] for r in res.json()["rows"] if r["status"] == "accepted")

    t = threading.Thread(target=writer)
    t.start()
    while len(acknowledged) < 100 and t.is_alive():
        t.join(0.05)
    server.kill9()  # in the middle of the writes
    stop.set()
    t.join()
    assert len(acknowledged) >= 100

    with Uvicorn(store_url, boundaries.root) as again:
        stored = _record_ids(again.url)
        # everything acknowledged is there; a batch in flight at the kill is all-or-nothing
        assert acknowledged <= stored
        extra = stored - acknowledged
        assert len(extra) % 15 == 0 and len(extra) <= 15
        assert httpx.get(again.url + "/health").json()["records"] == len(stored)


def test_parallel_writers_lose_nothing(store_url, boundaries):
    key = _create_key(store_url, "editor")
    writers, batches_each, per_batch = 8, 4, 12
    sent: list[list[dict]] = []
    for w in range(writers):
        records, _ = pin_records(batches_each * per_batch, seed=100 + w, prefix=f"W{w}",
                                 boundaries=boundaries)
        sent.append(records)
    with Uvicorn(store_url, boundaries.root) as server:

        def write(records):
            accepted = []
            with httpx.Client(timeout=120) as client:
                for i in range(0, len(records), per_batch):
                    res = client.post(server.url + "/api/pins", json=records[i : i + per_batch], headers=bearer(key))
                    assert res.status_code == 201, res.text
                    accepted += [r["record_id"] for r in res.json()["rows"] if r["status"] == "accepted"]
            return accepted

        with ThreadPoolExecutor(writers) as pool:
            accepted = [rid for batch in pool.map(write, sent) for rid in batch]
        expected = {r["id"] for records in sent for r in records}
        assert len(accepted) == len(expected)
        assert _record_ids(server.url) == expected
        health = httpx.get(server.url + "/health").json()
        assert health["records"] == len(expected)
        assert health["version"] == writers * batches_each


def test_open_event_stream_hears_new_pins(store_url, boundaries):
    key = _create_key(store_url, "editor")
    records, _ = pin_records(3, seed=5, boundaries=boundaries)
    with Uvicorn(store_url, boundaries.root, GEOPLOTS_SSE_POLL_SECONDS="0.5") as server:
        events: list[tuple[str, dict]] = []
        ready = threading.Event()

        def listen():
            with httpx.stream("GET", server.url + "/api/events", timeout=30) as res:
                assert res.headers["content-type"].startswith("text/event-stream")
                name = None
                for line in res.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        events.append((name, json.loads(line[6:])))
                        ready.set()
                        if name == "records":
                            return

        t = threading.Thread(target=listen, daemon=True)
        t.start()
        assert ready.wait(20)
        res = httpx.post(server.url + "/api/pins", json=records, headers=bearer(key), timeout=60)
        assert res.status_code == 201
        t.join(20)
        assert events[0][0] == "hello" and events[0][1]["records"] == 0
        assert events[-1][0] == "records"
        assert events[-1][1]["version"] == res.json()["version"]
