"""Shared fixtures: the real COD-AB boundaries, imported once per test session.

Two imports, each one :class:`geoplots.Boundaries` passed to the code under test with
``boundaries=`` (nothing here touches the environment):

* ``boundaries`` (and its directory ``boundary_dir``): the whole country. Tests that
  use it need the national import and carry the ``national`` mark (added here too, so
  ``pytest -m "not national"`` never starts the national import).
* ``tiny_boundaries`` (directory ``tiny_boundary_dir``): three provinces cut from the
  same COD-AB files — Khon Kaen (40) and Kalasin (46) of inspection zone 12, and
  Bangkok (10) — imported through the product's own import.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("GEOPLOTS_SHARED", REPO.parent / "shared"))
COD_AB = SHARED / "boundaries" / "cod-ab-tha"
ZONES_REFERENCE = SHARED / "reference" / "inspection_zones.csv"

#: Provinces of the tiny import: Khon Kaen and Kalasin (zone 12), Bangkok (central).
TINY_PROVINCES = ("40", "46", "10")
#: Fixtures that hold the national import: a test using one is marked ``national``.
NATIONAL_FIXTURES = {"boundaries", "boundary_dir"}


def cod_ab_files() -> list[Path]:
    files = sorted(COD_AB.glob("*.zip"))
    if len(files) != 3:
        pytest.fail(f"expected the three COD-AB zips in {COD_AB}; found {len(files)}")
    return files


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if NATIONAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.national)


@pytest.fixture(scope="session")
def boundary_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding an import of the real shared boundaries (whole country)."""
    from geoplots import import_boundaries

    dest = tmp_path_factory.mktemp("boundaries")
    import_boundaries(cod_ab_files(), dest=dest)
    return dest


@pytest.fixture(scope="session")
def boundaries(boundary_dir: Path):
    """The national import as the one :class:`geoplots.Boundaries` tests pass around."""
    import geoplots

    return geoplots.Boundaries.load(boundary_dir)


@pytest.fixture(scope="session")
def tiny_boundary_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding :data:`TINY_PROVINCES` cut from the shared COD-AB files
    (every level), imported with :func:`geoplots.import_boundaries` like any file."""
    import pyogrio

    from geoplots import import_boundaries

    cut = tmp_path_factory.mktemp("cod-ab-cut")
    wanted = ", ".join(f"'TH{code}'" for code in TINY_PROVINCES)
    sources = []
    for src in cod_ab_files():
        frame = pyogrio.read_dataframe(src, where=f"ADM1_PCODE IN ({wanted})")
        # Written as read: the Thai text is still Latin-1 mojibake, repaired by the import.
        path = cut / f"{src.stem}.gpkg"
        pyogrio.write_dataframe(frame, path)
        sources.append(path)
    dest = tmp_path_factory.mktemp("tiny-boundaries")
    import_boundaries(sources, dest=dest)
    return dest


@pytest.fixture(scope="session")
def tiny_boundaries(tiny_boundary_dir: Path):
    """Three provinces (Khon Kaen, Kalasin, Bangkok) as a :class:`geoplots.Boundaries`."""
    import geoplots

    return geoplots.Boundaries.load(tiny_boundary_dir)
