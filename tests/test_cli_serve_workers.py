"""``geoplots serve --workers N``: the embedded store refuses to run in several processes."""

from __future__ import annotations

import subprocess
import sys


def test_sqlite_store_refuses_several_workers_and_says_why(tmp_path):
    db = tmp_path / "office.gpkg"
    done = subprocess.run(
        [sys.executable, "-c", "from geoplots.cli import main; main()", "serve", "--db", str(db),
         "--port", "1", "--workers", "2"],
        capture_output=True, text=True, timeout=120,
    )
    message = " ".join((done.stdout + done.stderr).split())
    assert done.returncode == 2, message
    assert "single-process" in message and "PostGIS" in message and "--workers 1" in message
    assert not db.exists()  # refused before anything was created
