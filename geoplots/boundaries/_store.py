"""The normalized boundary copy on disk: GeoParquet snapshots with a manifest.

Layout of the data directory::

    CURRENT                   name of the snapshot in use
    snapshots/<id>/<level>.parquet
    snapshots/<id>/manifest.json

An import writes a whole new snapshot and then replaces ``CURRENT`` with
``os.replace``, which is atomic: a reader sees either the old or the new set, and a
failed import leaves the old set in use.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, UTC
from pathlib import Path

import geopandas as gpd

from geoplots.errors import NoBoundariesError
from geoplots.levels import LEVELS, Level

_CURRENT = "CURRENT"
_SNAPSHOTS = "snapshots"
MANIFEST = "manifest.json"


def snapshot_dir(root: Path, snapshot: str) -> Path:
    """The folder of snapshot ``snapshot`` in the data directory ``root``."""
    return Path(root) / _SNAPSHOTS / snapshot


def current_snapshot(root: Path) -> Path | None:
    """Return the snapshot folder in use, or None when nothing was imported."""
    pointer = Path(root) / _CURRENT
    if not pointer.is_file():
        return None
    snap = snapshot_dir(root, pointer.read_text(encoding="utf-8").strip())
    return snap if (snap / MANIFEST).is_file() else None


def no_boundaries(root: Path) -> NoBoundariesError:
    """The error for a data directory with nothing imported: it says how to import."""
    return NoBoundariesError(
        f"No boundaries have been imported into {root} yet. Run:\n"
        f"  geoplots boundaries import PATH/TO/cod-ab-tha/*.zip --dest {root}\n"
        "or point GEOPLOTS_DATA at a directory that holds an import."
    )


def write_snapshot(root: Path, frames: dict[Level, gpd.GeoDataFrame], level_info: dict[Level, dict]) -> Path:
    """Write a new snapshot with ``frames`` (plus unchanged levels of the current one) and switch to it."""
    root.mkdir(parents=True, exist_ok=True)
    snaps = root / _SNAPSHOTS
    snaps.mkdir(exist_ok=True)
    previous = current_snapshot(root)
    old_manifest = json.loads((previous / MANIFEST).read_text("utf-8")) if previous else {"levels": {}}

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    snap_id = f"{stamp}-{uuid.uuid4().hex[:8]}"
    staging = snaps / f".{snap_id}.partial"
    staging.mkdir()
    try:
        levels: dict[str, dict] = {}
        for level in LEVELS:
            if level in frames:
                frames[level].to_parquet(staging / f"{level}.parquet", index=False)
                levels[level] = level_info[level]
            elif previous is not None and level in old_manifest["levels"]:
                shutil.copy2(previous / f"{level}.parquet", staging / f"{level}.parquet")
                levels[level] = old_manifest["levels"][level]
        manifest = {
            "snapshot": snap_id,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attribution": "OCHA, Royal Thai Survey Department",
            "licence": "CC BY-IGO (Creative Commons Attribution for Intergovernmental Organisations)",
            "levels": levels,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
        final = snaps / snap_id
        staging.rename(final)
        pointer_tmp = root / f".{_CURRENT}.{snap_id}"
        pointer_tmp.write_text(snap_id, encoding="utf-8")
        os.replace(pointer_tmp, root / _CURRENT)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(snaps, keep={snap_id, previous.name if previous else ""})
    return final


def _prune(snaps: Path, keep: set[str]) -> None:
    # Keep the previous snapshot too: a reader that opened it just before the switch may
    # still be reading its files.
    for child in snaps.iterdir():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
