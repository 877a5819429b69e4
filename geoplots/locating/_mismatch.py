"""Declared address against located unit (ที่อยู่ที่แจ้งไม่ตรงกับพิกัด), at the finest level declared.

A row declared in province 40 but located in 44 is a mismatch even when its sub-district
name did not resolve; the distance from the point to the declared unit tells a pin a few
metres over a border (worth no visit) from one in the wrong district (worth a visit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

#: A mismatched point at most this far (metres) from its declared unit is ``near_border``.
NEAR_BORDER_M = 250.0
#: Levels compared, finest first, with the declared column and the code length.
LEVELS = (("subdistrict", "declared_subdistrict_code", 6), ("district", "declared_district_code", 4),
          ("province", "declared_province_code", 2))
LEVEL_VALUES = [level for level, _, _ in LEVELS]
CLASS_VALUES = ["near_border", "elsewhere"]

_GEOD = Geod(ellps="WGS84")


def mismatch_columns(
    frame: pd.DataFrame, codes: np.ndarray, pos: np.ndarray, x: np.ndarray, y: np.ndarray, geoms: np.ndarray,
    near_border_m: float = NEAR_BORDER_M,
) -> dict[str, object]:
    """``address_mismatch``, ``mismatch_level``, ``mismatch_distance_m`` and
    ``mismatch_class`` for located rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        The records, with any of the ``declared_*_code`` columns.
    codes, geoms : numpy.ndarray
        Sub-district codes (sorted) and polygons of the lookup index.
    pos : numpy.ndarray
        Position of each row's located sub-district in ``codes`` (-1: not located).
    x, y : numpy.ndarray
        The point of each row (lon, lat).
    near_border_m : float
        Mismatches at most this many metres from the declared unit are ``near_border``.
    """
    n = len(pos)
    level = np.full(n, -1, dtype=np.int8)
    mismatch = np.zeros(n, dtype=bool)
    declared_code = np.full(n, -1, dtype=np.int64)  # into ``distinct``: the codes declared
    distinct: list[str] = []
    for i, (_, column, length) in enumerate(LEVELS):
        if column not in frame.columns:
            continue
        # Declared codes repeat: compare each distinct one once, as a position among the
        # index's units of that level, then by integer per row.
        row_code, values = pd.factorize(frame[column])
        text = pd.Index(values, dtype=object).astype("string").str.strip().to_numpy(dtype=object, na_value="")
        unit_of_value = _unit_positions(text, codes, length)
        take = (level < 0) & (row_code >= 0)
        take[take] = (text != "")[row_code[take]]
        level[take] = i
        declared_code[take] = len(distinct) + row_code[take]
        distinct.extend(text)
        rows = np.flatnonzero(take & (pos >= 0))
        located_unit = _unit_of_position(codes, length)[pos[rows]]
        mismatch[rows] = unit_of_value[row_code[rows]] != located_unit
    distance = np.full(n, np.nan)
    # Grouped once by declared code (not one scan of every row per code: quadratic on noisy files).
    flagged = np.flatnonzero(mismatch)
    group, units = pd.factorize(declared_code[flagged])
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(units) + 1))
    for k, value in enumerate(units):
        rows = flagged[order[bounds[k]:bounds[k + 1]]]
        distance[rows] = _distance_to_unit(distinct[value], codes, geoms, x[rows], y[rows])
    klass = np.where(~mismatch, -1, np.where(distance <= near_border_m, 0, 1)).astype(np.int8)
    return {
        "address_mismatch": mismatch,
        "mismatch_level": pd.Categorical.from_codes(np.where(mismatch, level, -1), categories=LEVEL_VALUES),
        "mismatch_distance_m": distance,
        "mismatch_class": pd.Categorical.from_codes(klass, categories=CLASS_VALUES),
    }


def _unit_positions(text: np.ndarray, codes: np.ndarray, length: int) -> np.ndarray:
    """For each distinct declared code, its position among the distinct ``length``-digit
    prefixes of ``codes`` (-2 when no unit has that code: it then mismatches every place).
    """
    units = _units(codes, length)
    wanted = text.astype(str)
    at = np.minimum(np.searchsorted(units, wanted), max(len(units) - 1, 0))
    return np.where((len(units) > 0) & (units[at] == wanted), at, -2)


def _unit_of_position(codes: np.ndarray, length: int) -> np.ndarray:
    """Position among the distinct ``length``-digit prefixes of each sub-district in ``codes``."""
    return np.searchsorted(_units(codes, length), codes.astype(f"<U{length}"))


def _units(codes: np.ndarray, length: int) -> np.ndarray:
    return np.unique(codes.astype(f"<U{length}"))


def _distance_to_unit(code: str, codes: np.ndarray, geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Metres (WGS84 ellipsoid) from each point to the nearest sub-district of the unit
    ``code`` (a sub-district, district or province code); NaN when the unit is not in
    the boundaries (its code is then only compared).
    """
    start, end = np.searchsorted(codes, code), np.searchsorted(codes, code + "\uffff")
    if start >= end:
        return np.full(len(x), np.nan)
    parts = geoms[start:end]
    points = shapely.points(x, y)
    # Nearest part in degrees, then the geodesic length of the shortest line to it.
    nearest = np.argmin(shapely.distance(points[:, None], parts[None, :]), axis=1)
    line = shapely.shortest_line(points, parts[nearest])
    ends = shapely.get_coordinates(line).reshape(-1, 2, 2)
    _, _, metres = _GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    return np.asarray(metres, dtype=float)
