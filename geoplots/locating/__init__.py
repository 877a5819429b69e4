"""Locate records in their sub-district (ตำบล), district (อำเภอ), province (จังหวัด) and zone.

The join is done once, at sub-district level, with a precomputed grid
(:mod:`geoplots.locating._index`); districts and provinces are rolled up from the
sub-district code, so the three levels can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.errors import GeoplotsError
from geoplots.groups import GroupingScheme
from geoplots.locating._dask import DaskRecords, is_dask, locate_dask
from geoplots.locating._index import SubdistrictIndex
from geoplots.locating._partition import LOCATED_COLUMNS, index_for, locate_partition
from geoplots.locating._mismatch import NEAR_BORDER_M
from geoplots.records import REJECT_COLUMNS, Records, concat_rejects, reject_messages

__all__ = [
    "LOCATED_COLUMNS",
    "DaskRecords",
    "SubdistrictIndex",
    "index_for",
    "is_dask",
    "is_located",
    "locate",
    "locate_dask",
    "locate_partition",
]


# geopandas ships no types, so a GeoDataFrame argument is Any: it matches both
# signatures and gives Any. A typed caller passing Records gets Records.
@overload
def locate(
    records: Records,
    *,
    tolerance_m: float = ...,
    schemes: Sequence[str | GroupingScheme] = ...,
    boundaries: Boundaries | None = ...,
    near_border_m: float = ...,
) -> Records: ...
@overload
def locate(
    records: gpd.GeoDataFrame | Any,  # a dask-geopandas frame gives DaskRecords
    *,
    tolerance_m: float = ...,
    schemes: Sequence[str | GroupingScheme] = ...,
    boundaries: Boundaries | None = ...,
    near_border_m: float = ...,
) -> Records | DaskRecords: ...
def locate(
    records: Any,
    *,
    tolerance_m: float = 1000.0,
    schemes: Sequence[str | GroupingScheme] = ("inspection_zone",),
    boundaries: Boundaries | None = None,
    near_border_m: float = NEAR_BORDER_M,
) -> Records | DaskRecords:
    """Find the sub-district, district, province and zone of every record.

    Parameters
    ----------
    records : Records or geopandas.GeoDataFrame
        From :func:`geoplots.read_records`, or a GeoDataFrame in EPSG:4326 (its
        ``row`` column is kept if present, else rows are numbered from 2 as in a
        spreadsheet with a header row).
    tolerance_m : float, default 1000
        A point in no sub-district (coastal villages and islands fall just outside the
        simplified coastline) gets the nearest sub-district within this distance;
        farther points are rejected with ``outside_boundaries``.
    schemes : sequence, default ("inspection_zone",)
        Grouping schemes added as columns: ``"inspection_zone"`` (เขตตรวจราชการ), a CSV
        path of ``code,group``, or a :class:`~geoplots.groups.GroupingScheme`.
    boundaries : geoplots.Boundaries, optional
        The imported snapshot to locate in (:meth:`geoplots.Boundaries.load`); default:
        the default import (``GEOPLOTS_DATA``, else ``data/boundaries``), loaded once.
    near_border_m : float, default 250
        A point whose declared unit differs but lies at most this many metres away is
        ``mismatch_class="near_border"`` (seldom worth a visit), else ``elsewhere``.

    Returns
    -------
    Records
        ``accepted`` keeps every input column and adds ``subdistrict_code``,
        ``district_code``, ``province_code``, one column per scheme, ``match``
        (``inside`` | ``nearest`` | ``address``), ``distance_m`` (0 inside, metres for
        nearest, NaN for address) and ``address_mismatch`` (the declared unit differs
        from the located one at the finest level declared, ``mismatch_level``;
        ``mismatch_distance_m`` from the point to the declared unit; ``mismatch_class``
        ``near_border`` within ``near_border_m`` metres, default 250, else
        ``elsewhere``; both codes are kept). Rows that cannot be placed
        are added to ``rejects``, so ``rows_read == accepted + rejected`` still holds.

    Examples
    --------
    >>> import geoplots
    >>> from geoplots.synthetic import sample_points
    >>> b = geoplots.Boundaries.load()  # doctest: +SKIP
    >>> located = geoplots.locate(sample_points(1000, codes=["40"], boundaries=b), boundaries=b)  # doctest: +SKIP
    >>> located.accepted["inspection_zone"].unique().tolist()  # doctest: +SKIP
    ['12']
    """
    if tolerance_m < 0:
        raise GeoplotsError(f"The tolerance must be 0 metres or more, not {tolerance_m}.")
    if is_dask(records):  # a dask-geopandas frame: partition by partition, out of core
        return locate_dask(records, tolerance_m=tolerance_m, schemes=schemes, boundaries=boundaries)
    records = _as_records(records)
    source = resolve_boundaries(boundaries)
    frame = locate_partition(records.accepted, index=source.index, tolerance_m=tolerance_m,
                             schemes=source.schemes(schemes), near_border_m=near_border_m)
    lost = frame["reject_reason"].notna().to_numpy()
    accepted = frame.drop(columns=["reject_reason", "reject_detail"])
    if lost.any():
        accepted = accepted.take(np.flatnonzero(~lost))
    added = [c for c in frame.columns if c not in records.accepted.columns or c in LOCATED_COLUMNS]
    new_rejects = _rejects(_lost_rows(frame, lost, added), ["reject_reason", "reject_detail"])
    rejects = concat_rejects([records.rejects, new_rejects])
    return Records(accepted=accepted, rejects=rejects, rows_read=records.rows_read, kind=records.kind)


def is_located(records: Records | gpd.GeoDataFrame) -> bool:
    """True when ``records`` already went through :func:`locate`."""
    frame = records.accepted if isinstance(records, Records) else records
    return {"subdistrict_code", "match"} <= set(frame.columns)


def _as_records(records: Records | gpd.GeoDataFrame) -> Records:
    if isinstance(records, Records):
        return records
    if not isinstance(records, pd.DataFrame):
        raise GeoplotsError(
            f"locate() takes the result of geoplots.read_records or a GeoDataFrame, not {type(records).__name__}."
        )
    frame = records if _has_geometry(records) else _points_from_lat_lon(records)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    if "row" not in frame.columns:
        frame = frame.assign(row=np.arange(2, len(frame) + 2))
    kind = "plots" if _has_polygons(frame) else "pins"
    return Records(accepted=frame, rejects=_empty_rejects(), rows_read=len(frame), kind=kind)


def _has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame.columns


def _points_from_lat_lon(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """A plain table with ``lat``/``lon`` (or only address codes) as a point GeoDataFrame."""
    if not ({"lat", "lon"} <= set(frame.columns) or "declared_subdistrict_code" in frame.columns):
        raise GeoplotsError(
            "The table has no geometry, no 'lat'/'lon' columns and no 'declared_subdistrict_code'. "
            "Read the file with geoplots.read_records, which finds coordinate columns by name."
        )
    geometry: np.ndarray
    if {"lat", "lon"} <= set(frame.columns):
        x = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        y = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        geometry = np.where(np.isfinite(x) & np.isfinite(y), shapely.points(x, y), np.array(None, dtype=object))
    else:
        geometry = np.full(len(frame), None)
    return gpd.GeoDataFrame(pd.DataFrame(frame), geometry=geometry, crs="EPSG:4326")


def _has_polygons(frame: pd.DataFrame) -> bool:
    # The kind is only a label on the result: the first rows tell it.
    types = shapely.get_type_id(np.asarray(frame.geometry.values[:10_000]))
    return bool(np.isin(types, [3, 6]).any())  # Polygon, MultiPolygon


def _lost_rows(frame: gpd.GeoDataFrame, lost: np.ndarray, added: list[str]) -> pd.DataFrame:
    """The rejected rows with only what the rejects table keeps: the input's own fields
    and the reason (taking every located column and the geometry too costs more than
    the lookup when most points are noise).
    """
    keep = [c for c in frame.columns if c not in added and c != frame.geometry.name]
    return pd.DataFrame(frame[[*keep, "reject_reason", "reject_detail"]]).take(np.flatnonzero(lost))


def _rejects(lost: pd.DataFrame, added: list[str]) -> pd.DataFrame:
    """Rejects table rows: ``row``, ``reason``, ``message``, then the original fields."""
    if not len(lost):
        return _empty_rejects()
    messages = reject_messages(lost["reject_reason"], lost["reject_detail"])
    original = pd.DataFrame(lost.drop(columns=added))
    geom = lost.geometry.name if isinstance(lost, gpd.GeoDataFrame) else None
    if geom in original.columns:
        original = original.drop(columns=geom)
    head = pd.DataFrame(
        {
            "row": original.pop("row").to_numpy() if "row" in original.columns else np.arange(len(lost)),
            "reason": _reasons(lost["reject_reason"]),
            "message": messages,
        }
    )
    return pd.concat([head, original.reset_index(drop=True)], axis=1)


def _reasons(column: pd.Series) -> Any:
    """The reject reasons as a categorical of the reasons present (Dask's sample
    partitions carry them as strings).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.remove_unused_categories().array
    return pd.Categorical(column.astype(str))


def _empty_rejects() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
