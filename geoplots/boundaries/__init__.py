"""Thai administrative boundaries: import from OCHA COD-AB and read back.

Provinces (จังหวัด), districts (อำเภอ/เขต) and sub-districts (ตำบล/แขวง) are imported
once with :func:`import_boundaries` (``geoplots boundaries import``). The imported
snapshot is opened as one :class:`Boundaries` object (``Boundaries.load(path)``) and
passed to everything that needs it with ``boundaries=``; :func:`boundaries` reads one
level of it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd

from geoplots.boundaries._read import read_boundary_file
from geoplots.boundaries._registry import RegistryDiff, compare_with_registry, registry_codes
from geoplots.boundaries._snapshot import (
    INDEX_FILE,
    OUTLINE_BUFFER_DEG,
    Area,
    Boundaries,
    default_boundaries,
    resolve_boundaries,
)
from geoplots.boundaries._store import write_snapshot
from geoplots.config import data_dir
from geoplots.errors import BoundaryFileError
from geoplots.levels import Level

__all__ = [
    "INDEX_FILE",
    "OUTLINE_BUFFER_DEG",
    "Area",
    "Boundaries",
    "ImportReport",
    "boundaries",
    "boundaries_info",
    "default_boundaries",
    "import_boundaries",
    "registry_codes",
    "resolve_boundaries",
]


@dataclass
class LevelReport:
    """What one imported file held and what was done to it."""

    level: Level
    source: str
    features: int
    encoding_repair: str | None
    geometries_repaired: int
    registry: RegistryDiff
    parent_mismatches: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of :func:`import_boundaries`."""

    dest: Path
    levels: list[LevelReport]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_boundaries(
    sources: Sequence[str | os.PathLike[str]],
    dest: str | os.PathLike[str] | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Import COD-AB boundary files into the data directory.

    Each file's level is detected from its ADM P-code columns. Thai text read as Latin-1
    is repaired, invalid geometries are made valid, P-codes become DOPA codes
    (``TH400101`` -> ``400101``) and every code is checked against the registry. The
    normalized copy is written as GeoParquet with a manifest; if any file fails, nothing
    is replaced.

    Parameters
    ----------
    sources : sequence of path
        One file per level: zip of a shapefile, .shp, GeoJSON or GeoPackage.
    dest : path, optional
        Data directory; defaults to ``GEOPLOTS_DATA`` or ``data/boundaries``.
    on_file : callable, optional
        Called with each path as it is read (for progress bars).

    Returns
    -------
    ImportReport

    Examples
    --------
    >>> report = import_boundaries(["tha_admbnda_adm3_rtsd_20220121.zip"], dest="/tmp/b")  # doctest: +SKIP
    >>> report.levels[0].features  # doctest: +SKIP
    7425
    """
    if not sources:
        raise BoundaryFileError("No boundary files given. Name at least one COD-AB file to import.")
    root = data_dir(dest)
    frames: dict[Level, gpd.GeoDataFrame] = {}
    reports: list[LevelReport] = []
    info: dict[Level, dict] = {}
    for src in sources:
        path = Path(src)
        if on_file:
            on_file(path)
        result = read_boundary_file(path)
        if result.level in frames:
            raise BoundaryFileError(
                f"Two files for the {result.level} level were given ({path.name} and "
                f"{info[result.level]['source']['file']}). Import one file per level."
            )
        names = dict(zip(result.frame["code"], result.frame["name_th"].fillna("")))
        diff = compare_with_registry(result.level, result.frame["code"], names)
        frames[result.level] = result.frame
        report = LevelReport(
            level=result.level,
            source=str(path),
            features=len(result.frame),
            encoding_repair=result.encoding_repair,
            geometries_repaired=result.geometries_repaired,
            registry=diff,
            parent_mismatches=result.parent_mismatches,
        )
        reports.append(report)
        info[result.level] = {
            "source": {"file": path.name, "sha256": _sha256(path), "bytes": path.stat().st_size},
            "features": report.features,
            "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "encoding_repair": report.encoding_repair,
            "geometries_repaired": report.geometries_repaired,
            "parent_mismatches": report.parent_mismatches,
            "registry": diff.as_dict(),
        }
    write_snapshot(root, frames, info)
    return ImportReport(dest=root, levels=reports)


def boundaries(level: str = "subdistrict", *, boundaries: Boundaries | None = None) -> gpd.GeoDataFrame:
    """Return the imported boundaries of one level.

    Parameters
    ----------
    level : {"province", "district", "subdistrict"}
        จังหวัด province, อำเภอ district or ตำบล sub-district (Thai names accepted).
    boundaries : Boundaries, optional
        The snapshot to read (:meth:`Boundaries.load`); default: the one in
        ``GEOPLOTS_DATA``, else ``data/boundaries``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, columns ``code``, ``name_th``, ``name_en``, the parent codes
        (``province_code``, ``district_code`` where they apply) and ``geometry``, sorted
        by code.

    Examples
    --------
    >>> import geoplots
    >>> districts = geoplots.boundaries("district")  # doctest: +SKIP
    >>> len(districts)  # doctest: +SKIP
    928
    """
    return resolve_boundaries(boundaries).level(level)


def boundaries_info(boundaries: Boundaries | None = None) -> dict:
    """Return the manifest of the imported boundaries: levels, counts, sources, attribution."""
    return resolve_boundaries(boundaries).info()
