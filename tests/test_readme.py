"""Every Python and shell example in README.md runs, so the README cannot drift from the code.

Each fenced block tagged ``python``, ``sh`` or ``bash`` is one test. Blocks run in order in
one sandbox directory laid out like a fresh clone: ``../shared`` beside it, the boundaries
imported into ``data/boundaries`` and the example files of ``geoplots sample-data`` in the
current directory. An HTML comment on the line before a block changes how it runs:

- ``<!-- readme-test: server URL -->``: the block starts a server; it must answer ``URL``
  with 200 within two minutes, then it is stopped.
- ``<!-- readme-test: skip REASON -->``: not run, and the reason is reported.

Blocks tagged ``text`` or ``json`` are shown output, not examples. Any other fenced block
fails the test that checks every block is tagged, so an untagged example cannot slip through.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from conftest import REPO, SHARED

README = REPO / "README.md"
RUN = {"python", "sh", "bash"}
SHOWN = {"text", "json"}
_FENCE = re.compile(r"^```(\S*)\s*$")
_DIRECTIVE = re.compile(r"^<!--\s*readme-test:\s*(\w+)\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    directive: str | None = None
    argument: str = ""


def readme_blocks(text: str) -> list[Block]:
    """The fenced blocks of a Markdown text, with the directive on the line before each."""
    blocks: list[Block] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opened = _FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        start, lang = i, opened.group(1).lower()
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            i += 1
        before = lines[start - 1] if start else ""
        directive = _DIRECTIVE.match(before)
        blocks.append(Block(
            start + 1, lang, "\n".join(lines[start + 1 : i]) + "\n",
            directive.group(1) if directive else None, directive.group(2) if directive else "",
        ))
        i += 1
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_every_block_is_tagged() -> None:
    untagged = [b.line for b in BLOCKS if b.lang not in RUN | SHOWN]
    assert not untagged, f"README blocks at lines {untagged} have no python/sh/text/json tag"
    assert sum(b.lang in RUN for b in BLOCKS) >= 10, "the README should show runnable examples"


@pytest.fixture(scope="module")
def sandbox(boundary_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory laid out like a fresh clone beside ``shared``, with example files."""
    root = tmp_path_factory.mktemp("readme")
    (root / "shared").symlink_to(SHARED.resolve(), target_is_directory=True)
    clone = root / "geoplots"
    clone.mkdir()
    shutil.copytree(boundary_dir, clone / "data" / "boundaries", symlinks=True)
    for name in ("bench", "notebooks"):
        (clone / name).symlink_to(REPO / name, target_is_directory=True)
    subprocess.run([_bin("geoplots"), "sample-data", "."], cwd=clone, check=True, env=_env(), timeout=600)
    return clone


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GEOPLOTS_DATA"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(REPO)
    env["GEOPLOTS_NO_BROWSER"] = "1"
    return env


def _command(block: Block) -> list[str]:
    if block.lang == "python":
        return [sys.executable, "-c", block.code]
    return ["bash", "-euo", "pipefail", "-c", block.code]


def _serve(block: Block, cwd: Path) -> None:
    proc = subprocess.Popen(_command(block), cwd=cwd, env=_env(), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"the server stopped:\n{proc.stdout.read() if proc.stdout else ''}"
            try:
                if httpx.get(block.argument, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        pytest.fail(f"{block.argument} did not answer 200 within 120 s")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.national
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang in RUN], ids=lambda b: f"README.md:{b.line}")
def test_readme_example(block: Block, sandbox: Path) -> None:
    if block.directive == "skip":
        assert block.argument, f"README.md:{block.line}: a skipped example must say why"
        pytest.skip(block.argument)
    if block.directive == "server":
        _serve(block, sandbox)
        return
    assert block.directive is None, f"README.md:{block.line}: unknown directive {block.directive!r}"
    done = subprocess.run(_command(block), cwd=sandbox, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"README.md:{block.line} failed:\n{block.code}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
