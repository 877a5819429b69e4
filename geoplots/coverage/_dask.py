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

import os
from collections.abc import Sequence
from typing import Any

import pandas as pd

from geoplots.coverage._core import DEFAULT_THRESHOLDS, ALL, Coverage, _units, summarize, tier_of
from geoplots.errors import GeoplotsError
from geoplots.groups import GroupingScheme, resolve_scheme
from geoplots.levels import CODE_COLUMN, parse_level

__all__ = ["coverage_dask"]

_SUMS = ["count", "households", "participating"]


def coverage_dask(
    frame: Any,
    level: str = "district",
    min_count: int = 1,
    by: str | GroupingScheme | None = "inspection_zone",
    *,
    zone: str | int | None = None,
    participation: str | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    data: str | os.PathLike[str] | None = None,
) -> Coverage:
    """:func:`geoplots.coverage` for a dask-geopandas frame; same parameters and result."""
    from geoplots.locate import is_located
    from geoplots.locate._dask import locate_dask

    level = parse_level(level)
    if min_count < 0:
        raise GeoplotsError(f"The minimum count must be 0 or more, not {min_count}.")
    scheme = resolve_scheme(by)
    tier_of(pd.Series([0.5]), thresholds)  # bad thresholds fail now, not after the pass
    if participation is not None and participation not in frame.columns:
        raise GeoplotsError(
            f"No column {participation!r} in the records. Name the yes/no column that says whether a "
            f"household takes part; columns found: {', '.join(map(str, list(frame.columns)[:30]))}."
        )
    # Located frames (e.g. read back from `geoplots join --dask` output) are counted as they are.
    located = frame if is_located(frame._meta) else locate_dask(frame, schemes=(), data=data).located
    column = CODE_COLUMN[level]
    meta = pd.DataFrame({"code": pd.Series(dtype="string"), **{c: pd.Series(dtype="int64") for c in _SUMS}})
    parts = located.map_partitions(_partition_counts, column, participation, meta=meta)
    sums = parts.compute().groupby("code")[_SUMS].sum()

    units = _units(level, scheme, zone, data)
    per_unit = sums.reindex(units["code"]).fillna(0).astype("int64")
    units["count"] = per_unit["count"].to_numpy()
    if participation is None:
        units["met"] = units["count"] >= min_count
    else:
        units["households"] = per_unit["households"].to_numpy()
        units["participating"] = per_unit["participating"].to_numpy()
        units["rate"] = units["participating"] / units["households"].where(units["households"] > 0)
        units["tier"] = tier_of(units["rate"], thresholds).to_numpy()
        units["met"] = (units["tier"] != "not_passed") & (units["households"] >= max(min_count, 1))
    group = scheme.name if scheme else None
    summary = summarize(units, group, scheme.groups() if scheme else None)
    if participation is not None:
        key = units[group] if group else pd.Series(ALL, index=units.index)
        extra = units.groupby(key, observed=True)[["households", "participating"]].sum()
        summary = summary.merge(extra, left_on="group", right_index=True, how="left")
        summary["rate"] = summary["participating"] / summary["households"].where(summary["households"] > 0)
    return Coverage(units=units, summary=summary, level=level, by=group, min_count=min_count)


def _partition_counts(part: pd.DataFrame, column: str, participation: str | None) -> pd.DataFrame:
    """Counts per unit code of one partition's located (not rejected) rows."""
    if "reject_reason" in part.columns:
        part = part[part["reject_reason"].isna()]
    codes = part[column].astype("string")
    table = pd.DataFrame({"code": codes.to_numpy(), "count": 1})
    if participation is None:
        table["households"] = 0
        table["participating"] = 0
    else:
        answer = part[participation]
        if not (pd.api.types.is_bool_dtype(answer) or answer.dropna().isin([True, False]).all()):
            raise GeoplotsError(
                f"Column {participation!r} must hold yes/no values. Read the file with "
                f"yes_no=[{participation!r}] so มี/ไม่มี, ใช่/ไม่ใช่, ✓, 1/0 are understood."
            )
        known = answer.notna().to_numpy()
        table["households"] = known.astype("int64")
        table["participating"] = (answer.fillna(False).astype(bool).to_numpy() & known).astype("int64")
    table = table.dropna(subset=["code"])
    out = table.groupby("code", observed=True)[_SUMS].sum().reset_index()
    out["code"] = out["code"].astype("string")
    return out.astype({c: "int64" for c in _SUMS})
