"""Geometry made light enough for a web page.

Raw sub-district (ตำบล) polygons written straight into a map make a page of many
megabytes that a district office's browser struggles with. :func:`web_geometry`:

* simplifies the polygons **as a coverage** (``shapely.coverage_simplify``, GEOS
  3.12+): every border shared by two units is simplified once, the same way on both
  sides, so no gaps or slivers open between neighbours;
* rounds coordinates to the precision the simplification leaves (a fraction of the
  tolerance; rounding is per coordinate, so shared vertices stay shared);
* keeps only the columns the map shows.

The tolerance follows the extent drawn: a national map drops detail a zone map keeps.
Results are cached in memory, keyed by the geometry itself, so redrawing the same
boundary snapshot costs nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import shapely

#: Tolerance (degrees) as a fraction of the extent's diagonal: about 0.005° (~500 m)
#: for the whole country, 0.001° (~100 m) for an inspection zone.
TOLERANCE_PER_DIAGONAL = 3.0e-4

_CACHE: OrderedDict[tuple, np.ndarray] = OrderedDict()
_CACHE_SIZE = 16


def default_tolerance(frame: gpd.GeoDataFrame) -> float:
    """Return the simplification tolerance (degrees) suited to the extent of ``frame``.

    Examples
    --------
    >>> import geoplots
    >>> default_tolerance(geoplots.boundaries("province"))  # doctest: +SKIP
    0.0055...
    """
    if frame.empty:
        return 0.0
    x0, y0, x1, y1 = frame.total_bounds
    return TOLERANCE_PER_DIAGONAL * math.hypot(x1 - x0, y1 - y0)


def precision_for(tolerance: float) -> int:
    """Return the number of decimals that keeps rounding well below ``tolerance``.

    Examples
    --------
    >>> precision_for(0.005), precision_for(0.001)
    (3, 4)
    """
    if tolerance <= 0:
        return 6
    return int(min(6, max(3, math.ceil(-math.log10(tolerance / 4)))))


def web_geometry(
    units: gpd.GeoDataFrame,
    columns: Sequence[str] | None = None,
    *,
    tolerance: float | None = None,
    precision: int | None = None,
) -> gpd.GeoDataFrame:
    """Return ``units`` simplified with shared borders kept, rounded, with only ``columns``.

    Parameters
    ----------
    units : GeoDataFrame
        Polygons forming a coverage (units of one level, e.g. ตำบล sub-districts), in
        EPSG:4326.
    columns : sequence of str, optional
        Columns to keep besides geometry (default: all).
    tolerance : float, optional
        Simplification tolerance in degrees (default :func:`default_tolerance`);
        0 keeps the vertices and only rounds.
    precision : int, optional
        Decimals kept (default :func:`precision_for` the tolerance).

    Returns
    -------
    GeoDataFrame
        Same rows, same order, same index. No unit is dropped: a polygon the
        simplification would empty keeps its rounded original shape. Rounding can
        pinch a handful of rings into self-touching shapes (9 of 7,425 nationally);
        browsers draw them unchanged, but run ``make_valid`` before any overlay.

    Examples
    --------
    >>> import geoplots
    >>> light = web_geometry(geoplots.boundaries("subdistrict"), ["code", "name_th"])  # doctest: +SKIP
    """
    if units.crs is not None and not units.crs.equals("EPSG:4326"):
        units = units.to_crs("EPSG:4326")
    if tolerance is None:
        tolerance = default_tolerance(units)
    if precision is None:
        precision = precision_for(tolerance)
    keep = list(units.columns.drop(units.geometry.name) if columns is None else columns)
    geoms = _simplified(units.geometry.values, float(tolerance), int(precision))
    out = gpd.GeoDataFrame(units[keep].copy(), geometry=geoms, crs="EPSG:4326", index=units.index)
    out.attrs["precision"] = int(precision)
    return out


def _simplified(geoms, tolerance: float, precision: int) -> np.ndarray:
    raw = np.asarray(geoms, dtype=object)
    digest = hashlib.blake2b(b"".join(shapely.to_wkb(raw)), digest_size=16).hexdigest()
    key = (digest, tolerance, precision)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key].copy()
    simple = shapely.coverage_simplify(raw, tolerance) if tolerance > 0 else raw
    rounded = shapely.transform(simple, lambda xy: np.round(xy, precision))
    # A tiny unit may collapse under rounding; it must still be drawn, so fall back.
    lost = shapely.is_empty(rounded) | (shapely.area(rounded) == 0) & ~shapely.is_empty(raw)
    if lost.any():
        rounded[lost] = shapely.transform(raw[lost], lambda xy: np.round(xy, 6))
    _CACHE[key] = rounded
    if len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return rounded.copy()
