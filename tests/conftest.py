"""Shared fixtures: the real COD-AB boundaries imported once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GEOPLOTS_SHARED", REPO.parent / "shared"))
COD_AB = SHARED / "boundaries" / "cod-ab-tha"
ZONES_REFERENCE = SHARED / "reference" / "inspection_zones.csv"


def cod_ab_files() -> list[Path]:
    files = sorted(COD_AB.glob("*.zip"))
    if len(files) != 3:
        pytest.fail(f"expected the three COD-AB zips in {COD_AB}; found {len(files)}")
    return files


@pytest.fixture(scope="session")
def boundary_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding an import of the real shared boundaries.

    ``GEOPLOTS_DATA`` points at it for the whole session, as a user would set it.
    """
    from geoplots import import_boundaries

    dest = tmp_path_factory.mktemp("boundaries")
    import_boundaries(cod_ab_files(), dest=dest)
    os.environ["GEOPLOTS_DATA"] = str(dest)
    return dest
