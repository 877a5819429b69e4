"""Coverage of a dask-geopandas frame: per-partition counts, summed, then the same table.

:func:`geoplots.coverage` sends a ``dask_geopandas.GeoDataFrame`` here. Each partition
is located (unless it already is) and reduced to counts per unit code (and, for
household participation, households and participating per code); the small count
tables are summed, and the unit table and summary are built exactly as for an
in-memory frame, from the boundaries, zero-count units included.

Examples
--------
>>> import dask_geopandas, geoplots
>>> households = dask_geopandas.read_parquet("households/")  # doctest: +SKIP
>>> cov = geoplots.coverage(households, level="subdistrict", participation="has_garden")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from geoplots.counting._core import (
    DEFAULT_THRESHOLDS,
    SUMS,
    Coverage,
    _check,
    _no_column,
    from_counts,
    unit_counts,
)
from geoplots.boundaries import Boundaries
from geoplots.groups import GroupingScheme
from geoplots.levels import CODE_COLUMN, parse_level

__all__ = ["coverage_dask"]


def coverage_dask(
    frame: Any,
    level: str = "district",
    min_count: int = 1,
    by: str | GroupingScheme | None = "inspection_zone",
    *,
    zone: str | int | None = None,
    participation: str | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    boundaries: Boundaries | None = None,
) -> Coverage:
    """:func:`geoplots.coverage` for a dask-geopandas frame; same parameters and result."""
    from geoplots.locating import is_located, locate_dask

    level = parse_level(level)
    source, scheme = _check(level, min_count, by, thresholds, boundaries)
    if participation is not None and participation not in frame.columns:
        raise _no_column(participation, frame.columns)
    # Located frames (e.g. read back from `geoplots join --dask` output) are counted as they are.
    located = frame if is_located(frame._meta) else locate_dask(frame, schemes=(), boundaries=source).located
    column = CODE_COLUMN[level]
    meta = pd.DataFrame({"code": pd.Series(dtype="string"), **{c: pd.Series(dtype="int64") for c in SUMS}})
    parts = located.map_partitions(unit_counts, column, participation, meta=meta)
    sums = parts.compute().groupby("code")[SUMS].sum()
    return from_counts(sums, level, min_count, scheme, zone=zone, participation=participation,
                       thresholds=thresholds, boundaries=source)
