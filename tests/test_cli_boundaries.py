"""The boundaries commands as a user runs them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import cod_ab_files


def run(*args: str, env_data: Path | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ)
    if env_data is not None:
        env["GEOPLOTS_DATA"] = str(env_data)
    return subprocess.run(
        [sys.executable, "-c", "from geoplots.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=300,
    )


def test_import_then_info(tmp_path: Path) -> None:
    files = [str(p) for p in cod_ab_files()]
    result = run("boundaries", "import", *files, "--dest", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "7,425" in result.stdout
    assert "not in this file: 100910" in result.stdout
    info = run("boundaries", "info", env_data=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "OCHA" in info.stdout and "subdistrict" in info.stdout


def test_errors_without_traceback(tmp_path: Path) -> None:
    result = run("boundaries", "info", env_data=tmp_path / "empty")
    assert result.returncode == 2
    assert "geoplots boundaries import" in result.stderr
    assert "Traceback" not in result.stderr
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"PK\x03\x04garbage")
    result = run("boundaries", "import", str(bad), "--dest", str(tmp_path / "d"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "x.zip" in result.stderr
