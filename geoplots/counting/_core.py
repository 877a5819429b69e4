"""Coverage: how many records each administrative unit has, and whether that meets a target.

The table has one row per unit of the level taken from the boundaries, including the
units with no records at all: the gaps are what a war room or an inspector needs to
see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.errors import GeoplotsError
from geoplots.groups import GroupingScheme
from geoplots.levels import CODE_COLUMN, Level, parse_level
from geoplots.locating import is_dask
from geoplots.records import Records

#: KPI tiers of household participation, lowest first, with their Thai names.
TIERS: dict[str, str] = {
    "not_passed": "ไม่ผ่านเกณฑ์",
    "passed": "ผ่านเกณฑ์",
    "commendation": "ชมเชย",
    "plaque": "โล่",
}
#: Default participation thresholds (share of households) for passed, commendation, plaque.
DEFAULT_THRESHOLDS = (0.70, 0.80, 0.90)
#: Summary label when no grouping scheme is used.
ALL = "all"


@dataclass
class Coverage:
    """The result of :func:`coverage`.

    Attributes
    ----------
    units : geopandas.GeoDataFrame
        One row per unit of ``level``: ``code``, ``name_th``, ``name_en``, parent codes,
        the group column (e.g. ``inspection_zone``), ``count``, ``met`` (bool) and the
        geometry; with participation also ``households``, ``participating``, ``rate``
        (0-1) and ``tier``.
    summary : pandas.DataFrame
        One row per group: ``group``, ``covered``, ``total``, ``percent``, ``uncovered``
        (list of ``"code name_th"``).
    level, by, min_count :
        What was counted.
    title : str
        Heading for reports (Thai / English).
    notes : dict
        Extra figures a rule reports (e.g. the change-leaders expected totals).
    """

    units: gpd.GeoDataFrame
    summary: pd.DataFrame
    level: Level
    by: str | None
    min_count: int
    title: str = ""
    notes: dict = field(default_factory=dict)


def coverage(
    records: Records | gpd.GeoDataFrame,
    level: str = "district",
    min_count: int = 1,
    by: str | GroupingScheme | None = "inspection_zone",
    *,
    zone: str | int | None = None,
    participation: str | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    boundaries: Boundaries | None = None,
    as_of: str | date | None = None,
) -> Coverage:
    """Count records per unit of ``level`` and say which units meet the target.

    Parameters
    ----------
    records : Records or geopandas.GeoDataFrame
        Records, located or not (not yet located ones are located first).
    level : str, default "district"
        Unit counted: province (จังหวัด), district (อำเภอ) or subdistrict (ตำบล).
    min_count : int, default 1
        A unit meets the target with at least this many records.
    by : str or GroupingScheme or None, default "inspection_zone"
        Grouping for the summary: inspection zones (เขตตรวจราชการ), a scheme CSV, or
        None for one national line.
    zone : str or int, optional
        Keep only the units of this group (e.g. ``12``).
    participation : str, optional
        Name of a yes/no column (e.g. ``has_garden`` ปลูกผักสวนครัว). Then each unit gets
        ``households`` (rows with a yes or no answer), ``participating``, ``rate`` and
        ``tier``; ``met`` means the unit passed (rate at least the first threshold) and
        has at least ``min_count`` households.
    thresholds : (float, float, float)
        Participation rates for passed (ผ่านเกณฑ์), commendation (ชมเชย), plaque (โล่).
    boundaries : geoplots.Boundaries, optional
        The imported snapshot whose units are counted (:meth:`geoplots.Boundaries.load`);
        default: the default import, loaded once.

    Returns
    -------
    Coverage

    Examples
    --------
    >>> import geoplots
    >>> from geoplots.synthetic import model_villages
    >>> b = geoplots.Boundaries.load()  # doctest: +SKIP
    >>> villages = model_villages(["12"], boundaries=b)  # doctest: +SKIP
    >>> cov = geoplots.coverage(villages, level="district", zone=12, boundaries=b)  # doctest: +SKIP
    >>> cov.summary[["group", "covered", "total", "percent"]]  # doctest: +SKIP
      group  covered  total  percent
    0    12       66     77     85.7
    """
    if is_dask(records):  # a dask-geopandas frame: per-partition counts, summed
        from geoplots.counting._dask import coverage_dask

        if as_of is not None:
            raise GeoplotsError("as_of is for records in memory or a store; filter the dask frame by date first.")

        return coverage_dask(records, level, min_count, by, zone=zone, participation=participation,
                             thresholds=thresholds, boundaries=boundaries)
    level = parse_level(level)
    source, scheme = _check(level, min_count, by, thresholds, boundaries)
    located = _located(records, source)
    history: dict = {}
    if as_of is not None:
        from geoplots.counting.progress import records_as_of

        located, history = records_as_of(located, as_of)
    if participation is not None and participation not in located.columns:
        raise _no_column(participation, located.columns)
    sums = unit_counts(located, CODE_COLUMN[level], participation).set_index("code")
    result = from_counts(sums, level, min_count, scheme, zone=zone, participation=participation,
                         thresholds=thresholds, boundaries=source)
    result.notes.update(history)
    return result


def coverage_from_counts(
    counts: pd.DataFrame,
    level: str = "district",
    min_count: int = 1,
    by: str | GroupingScheme | None = "inspection_zone",
    *,
    zone: str | int | None = None,
    participation: str | None = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    boundaries: Boundaries | None = None,
) -> Coverage:
    """:func:`coverage` from counts already made per unit code, e.g. by a database.

    The war-room server asks its store to count (``Store.counts_by``, a ``GROUP BY``)
    and builds the same table here without loading a record.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``code`` (unit codes of ``level``) and ``count``; with ``participation`` also
        ``households`` (records answering yes or no) and ``participating`` (yes). Codes
        absent from it count zero.
    level, min_count, by, zone, thresholds, boundaries :
        As for :func:`coverage`.
    participation : str, optional
        The yes/no column the counts were made with (ปลูกผักสวนครัว); then ``households``
        and ``participating`` are read and each unit gets ``rate`` and ``tier``.

    Returns
    -------
    Coverage

    Examples
    --------
    >>> counts = pd.DataFrame({"code": ["4001"], "count": [2], "households": [0], "participating": [0]})
    >>> cov = coverage_from_counts(counts, "district", zone=12, boundaries=b)  # doctest: +SKIP
    """
    level = parse_level(level)
    source, scheme = _check(level, min_count, by, thresholds, boundaries)
    table = counts.assign(**{c: 0 for c in SUMS if c not in counts.columns})
    sums = table.assign(code=table["code"].astype("string")).groupby("code")[SUMS].sum()
    return from_counts(sums, level, min_count, scheme, zone=zone, participation=participation,
                       thresholds=thresholds, boundaries=source)


#: Per-unit sums that :func:`unit_counts` returns and :func:`from_counts` turns into coverage.
SUMS = ["count", "households", "participating"]


def _check(
    level: Level, min_count: int, by, thresholds: Sequence[float], boundaries: Boundaries | None
) -> tuple[Boundaries, GroupingScheme | None]:
    """Validate the options before any counting (a dask pass can be long); return the
    boundaries to count in and the grouping scheme.
    """
    if min_count < 0:
        raise GeoplotsError(f"The minimum count must be 0 or more, not {min_count}.")
    tier_of(pd.Series([0.5]), thresholds)  # bad thresholds fail now, not after counting
    source = resolve_boundaries(boundaries)
    return source, source.scheme(by)


def _no_column(column: str, columns) -> GeoplotsError:
    return GeoplotsError(
        f"No column {column!r} in the records. Name the yes/no column that says whether a household "
        f"takes part; columns found: {', '.join(map(str, list(columns)[:30]))}."
    )


def unit_counts(located: pd.DataFrame, column: str, participation: str | None) -> pd.DataFrame:
    """Return ``code`` and the :data:`SUMS` per unit code of located (not rejected) rows.

    Works on a whole table or on one dask partition; partition results add up.
    """
    if "reject_reason" in located.columns:
        located = located[located["reject_reason"].isna()]
    table = pd.DataFrame({"code": located[column].astype("string").to_numpy(), "count": 1})
    if participation is None:
        table["households"] = 0
        table["participating"] = 0
    else:
        answer = located[participation]
        if not (pd.api.types.is_bool_dtype(answer) or answer.dropna().isin([True, False]).all()):
            raise GeoplotsError(
                f"Column {participation!r} must hold yes/no values. Read the file with "
                f"yes_no=[{participation!r}] so มี/ไม่มี, ใช่/ไม่ใช่, ✓, 1/0 are understood."
            )
        known = answer.notna().to_numpy()
        table["households"] = known.astype("int64")
        table["participating"] = (answer.fillna(False).astype(bool).to_numpy() & known).astype("int64")
    table = table.dropna(subset=["code"])
    out = table.groupby("code", observed=True)[SUMS].sum().reset_index()
    out["code"] = out["code"].astype("string")
    return out.astype({c: "int64" for c in SUMS})


def add_counts(total: pd.DataFrame | None, counts: pd.DataFrame) -> pd.DataFrame:
    """Add the :func:`unit_counts` of one chunk of records to the running ``total``
    (indexed by ``code``): a file is counted chunk by chunk in bounded memory.

    Examples
    --------
    >>> one = pd.DataFrame({"code": ["4001"], "count": [2], "households": [2], "participating": [1]})
    >>> add_counts(add_counts(None, one), one).loc["4001"].tolist()
    [4, 4, 2]
    """
    part = counts.set_index("code")[SUMS]
    if total is None:
        return part
    return total.add(part, fill_value=0).astype("int64")


def from_counts(
    sums: pd.DataFrame,
    level: Level,
    min_count: int,
    scheme: GroupingScheme | None,
    *,
    zone: str | int | None,
    participation: str | None,
    thresholds: Sequence[float],
    boundaries: Boundaries,
) -> Coverage:
    """Build the :class:`Coverage` (every unit of ``level`` in ``boundaries``) from per-code ``sums``."""
    units = _units(level, scheme, zone, boundaries)
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


def summarize(units: pd.DataFrame, group: str | None, order: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the per-group summary of a units table with ``code``, ``name_th`` and ``met``.

    Examples
    --------
    >>> summarize(cov.units, "inspection_zone")  # doctest: +SKIP
    """
    key = units[group].astype("string") if group else pd.Series(ALL, index=units.index, dtype="string")
    rows = []
    labels = [g for g in (order or sorted(key.dropna().unique())) if (key == g).any()]
    for label in labels:
        part = units[key == label]
        missing = part[~part["met"]]
        total = len(part)
        covered = int(part["met"].sum())
        rows.append(
            {
                "group": label,
                "covered": covered,
                "total": total,
                "percent": round(100.0 * covered / total, 1) if total else 0.0,
                "uncovered": [f"{c} {n}" for c, n in zip(missing["code"], missing["name_th"].fillna(""))],
            }
        )
    return pd.DataFrame(rows, columns=["group", "covered", "total", "percent", "uncovered"])


def tier_of(rate: pd.Series, thresholds: Sequence[float] = DEFAULT_THRESHOLDS) -> pd.Series:
    """Return the KPI tier of each participation rate (NaN -> ``not_passed``).

    Examples
    --------
    >>> tier_of(pd.Series([0.5, 0.7, 0.85, 0.95])).tolist()
    ['not_passed', 'passed', 'commendation', 'plaque']
    """
    limits = list(thresholds)
    if len(limits) != 3 or not all(0 <= a <= b <= 1 for a, b in zip([0.0] + limits, limits + [1.0])):
        raise GeoplotsError(
            f"Give three increasing participation thresholds between 0 and 1 (e.g. 0.7 0.8 0.9), not {thresholds}."
        )
    names = np.array(list(TIERS))
    values = rate.to_numpy(dtype=float, na_value=np.nan)
    # Compare with a hair of slack so 7/10 (0.7000000000000001 or 0.6999999999999999) is 70%.
    step = np.searchsorted(np.array(limits) - 1e-9, np.nan_to_num(values, nan=-1.0), side="right")
    return pd.Series(names[step], index=rate.index, dtype="string")


def _located(records, source: Boundaries) -> pd.DataFrame:
    from geoplots.locating import is_located, locate

    if isinstance(records, Records):
        frame = records.accepted if is_located(records) else locate(records, schemes=(), boundaries=source).accepted
    elif isinstance(records, pd.DataFrame):
        frame = records if is_located(records) else locate(records, schemes=(), boundaries=source).accepted
    else:
        raise GeoplotsError(
            f"coverage() takes records from geoplots.read_records or a GeoDataFrame, not {type(records).__name__}."
        )
    return frame


def _units(level: Level, scheme: GroupingScheme | None, zone, source: Boundaries) -> gpd.GeoDataFrame:
    units = source.level(level)
    if scheme is not None:
        units[scheme.name] = scheme.group_of(units["code"])
    if zone is not None:
        if scheme is None:
            raise GeoplotsError("A zone was given but no grouping: use --by inspection_zone with --zone.")
        wanted = str(zone).strip()
        if wanted not in scheme.groups():
            raise GeoplotsError(
                f"{scheme.name} {wanted!r} does not exist. Choose one of: {', '.join(scheme.groups())}."
            )
        units = units[units[scheme.name] == wanted]
    geometry = units.pop("geometry")
    return gpd.GeoDataFrame(units.assign(geometry=geometry), geometry="geometry", crs=geometry.crs).reset_index(drop=True)
