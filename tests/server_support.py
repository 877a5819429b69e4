"""Helpers for the server tests: an app on a temp store, keys, realistic pins, a real uvicorn."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from geoplots import synthetic
from geoplots.groups import inspection_zones

#: Provinces of inspection zone 12 (Khon Kaen, Kalasin, Maha Sarakham, Roi Et), from the scheme.
ZONE12 = inspection_zones().codes_in("12")


@dataclass
class Keys:
    admin: str
    editor: str
    editor12: str
    inspector: str
    inspector12: str
    ids: dict[str, int] = field(default_factory=dict)


def make_keys(store) -> Keys:
    out = {}
    ids = {}
    for label, role, zone in [("admin", "admin", None), ("editor", "editor", None), ("editor12", "editor", "12"),
                              ("inspector", "inspector", None), ("inspector12", "inspector", "12")]:
        key, secret = store.create_key(role, zone=zone, name=label)
        out[label] = secret
        ids[label] = key.id
    return Keys(**out, ids=ids)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def pin_records(
    n: int, *, boundaries, codes=ZONE12, seed: int = 0, prefix: str = "KK"
) -> tuple[list[dict], pd.DataFrame]:
    """Pins as a field app would post them (text coordinates, Thai names), drawn in
    ``boundaries``, and the truth.

    Returns the JSON records and a table of the sub-district each was drawn in.
    """
    pts = synthetic.sample_points(n, codes=list(codes), seed=seed, boundaries=boundaries)
    rng = np.random.default_rng(seed)
    records = [
        {
            "id": f"{prefix}-{seed}-{i:04d}",
            "ชื่อแปลง": f"แปลงโคกหนองนา นาย{['สมชาย', 'สมศรี', 'บุญมี', 'ทองดี'][i % 4]} {i}",
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "has_garden": ["มี", "ไม่มี"][int(rng.integers(0, 2))],
        }
        for i, (lat, lon) in enumerate(zip(pts["lat"], pts["lon"]))
    ]
    truth = pd.DataFrame({
        "record_id": [r["id"] for r in records],
        "subdistrict_code": pts["subdistrict_code"].astype(str).to_numpy(),
    })
    truth["inspection_zone"] = inspection_zones().group_of(truth["subdistrict_code"]).astype(str)
    return records, truth


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    """``geoplots serve --data DATA`` in a subprocess on a free loopback port."""

    def __init__(self, db: Path | str, data: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db, self.data, self.env = str(db), data, env
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Uvicorn:
        # The boundaries reach the server by --data alone; nothing is set in this process.
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("geoplots")), "serve", "--port", str(self.port), "--db", self.db,
             "--data", str(self.data)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: " + self.proc.stderr.read().decode(errors="replace"))
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no shutdown handlers, no flush
        self.proc.wait()

    def __enter__(self) -> Uvicorn:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
