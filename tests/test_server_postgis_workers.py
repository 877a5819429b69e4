"""Several server processes on one PostGIS: concurrent writers lose nothing, and a
war-room page connected to one process sees pins sent to another (LISTEN/NOTIFY)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from geoplots.server.store import RecordFilter
from geoplots import synthetic
from geoplots.server.store import open_store
from postgis_support import fresh_schema_url, requires_postgres

pytestmark = [requires_postgres, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited ({proc.returncode}): {proc.stderr.read()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"server on port {port} did not answer /health in time")


@pytest.fixture(scope="module")
def servers(boundaries):
    """Server A: ``geoplots serve --workers 2``; server B: ``geoplots serve --db postgresql://...``."""
    # Build the lookup index once, beside the boundary snapshot, as `geoplots boundaries
    # import` leaves it for a deployment; each server process then loads it.
    boundaries.index  # noqa: B018 - built and saved beside the snapshot
    with fresh_schema_url() as url:
        with open_store(url) as store:
            _, secret = store.create_key("editor", name="war-room test")
        env = {
            **os.environ,
            "GEOPLOTS_DB": url,
            "GEOPLOTS_DATA": str(boundaries.root),
            "GEOPLOTS_RATE_LIMIT_PER_MINUTE": "0",
            # Polling would also notice other processes' writes, but only as version
            # jumps and minutes late: with it this slow, what arrives comes from NOTIFY.
            "GEOPLOTS_SSE_POLL_SECONDS": "600",
        }
        pa, pb = _free_port(), _free_port()
        procs = []
        try:
            procs.append(_start(
                [sys.executable, "-c", "from geoplots.cli import main; main()", "serve",
                 "--db", url, "--host", "127.0.0.1", "--port", str(pa), "--workers", "2"],
                # The CLI hands its options to the workers; nothing of them comes from here.
                {k: v for k, v in env.items() if k != "GEOPLOTS_DB"}, pa,
            ))
            procs.append(_start(
                [sys.executable, "-c", "from geoplots.cli import main; main()", "serve",
                 "--db", url, "--host", "127.0.0.1", "--port", str(pb)],
                env, pb,
            ))
            yield {"url": url, "key": secret, "a": f"http://127.0.0.1:{pa}", "b": f"http://127.0.0.1:{pb}",
                   "a_pid": procs[0].pid}
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def test_serve_workers_runs_that_many_processes_on_one_database(servers):
    # uvicorn's supervisor runs each worker as its own child process
    workers = [p for p in _children(servers["a_pid"])
               if "spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes().decode(errors="replace")]
    assert len(workers) == 2, _children(servers["a_pid"])
    with httpx.Client(timeout=30) as client:
        pages = [client.get(f"{servers['a']}/collections/pins/items", params={"limit": 1}) for _ in range(20)]
    assert {p.status_code for p in pages} == {200}


class _SSE(threading.Thread):
    """Reads ``/api/events`` and keeps the ``records`` events."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base = base
        self.events: list[dict] = []
        self.ready = threading.Event()
        self.client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self.closing = False
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            with self.client.stream("GET", f"{self.base}/api/events") as resp:
                name = None
                for line in resp.iter_lines():
                    if line.startswith("event:"):
                        name = line.split(":", 1)[1].strip()
                    elif line.startswith("data:"):
                        if name == "hello":
                            self.ready.set()
                        elif name == "records":
                            self.events.append(json.loads(line.split(":", 1)[1]))
        except (httpx.HTTPError, RuntimeError) as exc:
            if not self.closing:
                self.error = exc

    def close(self) -> None:
        # Hang up, so the servers can shut down without waiting for this stream.
        self.closing = True
        self.client.close()


def test_many_writers_on_several_processes_lose_nothing_and_every_page_hears_them(servers, boundaries):
    writers, batches_each, size = 6, 4, 25
    pins = synthetic.sample_points(writers * batches_each * size, codes=["40", "30", "34", "10"], seed=21,
                                   boundaries=boundaries)
    records = [
        {"id": r.record_id, "name": f"แปลงทดสอบ {i}", "lat": r.lat, "lon": r.lon}
        for i, r in enumerate(pins.itertuples())
    ]
    listener = _SSE(servers["a"])
    listener.start()
    assert listener.ready.wait(30), "the event stream on server A did not start"

    headers = {"Authorization": f"Bearer {servers['key']}"}

    def write(w: int) -> list[dict]:
        answers = []
        with httpx.Client(headers=headers, timeout=60) as client:
            for b in range(batches_each):
                start = (w * batches_each + b) * size
                base = servers["a"] if (w + b) % 2 else servers["b"]
                resp = client.post(f"{base}/api/pins", json=records[start:start + size])
                assert resp.status_code == 201, resp.text
                answers.append(resp.json())
        return answers

    with ThreadPoolExecutor(writers) as pool:
        answers = [a for batch in pool.map(write, range(writers)) for a in batch]

    total = len(records)
    assert sum(a["accepted"] for a in answers) == total
    versions = sorted(a["version"] for a in answers)
    assert versions == list(range(versions[0], versions[0] + len(answers)))  # one per batch, none lost

    # Every process reads the same, complete data.
    for base in (servers["a"], servers["b"]):
        got = httpx.get(f"{base}/collections/pins/items", params={"limit": 1}, timeout=30).json()
        assert got["numberMatched"] == total
    with open_store(servers["url"]) as store:
        stored = store.all_records(RecordFilter(kind="pins"))
    assert sorted(stored["record_id"]) == sorted(pins["record_id"])
    truth = pins.set_index("record_id")["subdistrict_code"]
    assert (stored.set_index("record_id")["subdistrict_code"] == truth[stored["record_id"]].values).all()

    # The page on server A heard about every batch, half of which went to server B.
    deadline = time.monotonic() + 20
    while len(listener.events) < len(answers) and time.monotonic() < deadline:
        time.sleep(0.1)
    listener.close()
    assert listener.error is None, listener.error
    heard = sorted(e["version"] for e in listener.events)
    assert heard == versions
