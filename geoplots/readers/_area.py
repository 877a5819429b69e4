"""Plot areas: rai-ngan-wa (ไร่-งาน-ตารางวา) as typed, and polygon areas measured in UTM.

1 rai (ไร่) = 1,600 m², 1 ngan (งาน) = 400 m², 1 square wa (ตารางวา) = 4 m².
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplots.readers._text import clean_text, is_blank

M2_PER_RAI = 1600.0
M2_PER_NGAN = 400.0
M2_PER_WA = 4.0

_RNW = re.compile(r"^(\d+(?:\.\d+)?)\s*[-–/]\s*(\d+(?:\.\d+)?)\s*[-–/]\s*(\d+(?:\.\d+)?)$")
_WORDS = re.compile(
    r"^(?:(?P<rai>\d+(?:\.\d+)?)\s*ไร่)?\s*(?:(?P<ngan>\d+(?:\.\d+)?)\s*งาน)?\s*"
    r"(?:(?P<wa>\d+(?:\.\d+)?)\s*(?:ตารางวา|ตร\.?\s?ว\.?|วา))?$"
)
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")


def parse_area(value: Any) -> tuple[float | None, bool]:
    """Parse a typed area into square metres.

    Reads ``5-2-30`` (rai-ngan-wa), ``5 ไร่ 2 งาน 30 ตารางวา``, ``12 ไร่``, and a
    plain number, which is rai (how plot areas are reported), with thousands commas
    and Thai digits.

    Returns
    -------
    (float or None, bool)
        Square metres (None when blank or unreadable) and whether the cell was
        unreadable (as opposed to blank).

    Examples
    --------
    >>> parse_area("5-2-30")
    (8920.0, False)
    >>> parse_area("๒ ไร่")
    (3200.0, False)
    >>> parse_area("about five")
    (None, True)
    """
    # A blank, a plain number of rai, or a cell Excel typed as a number is settled like a rai column.
    rai, unreadable = parse_part(value)
    if rai is not None or not unreadable or isinstance(value, (bool, int, float, np.integer, np.floating)):
        return (None if rai is None else rai * M2_PER_RAI), unreadable
    text = clean_text(value)[0].replace(",", "")
    m = _RNW.match(text)
    if m:
        rai, ngan, wa = (float(g) for g in m.groups())
        # A ngan above 3 or a wa of 100 or more means the parts are not rai-ngan-wa.
        if ngan >= 4 or wa >= 100:
            return None, True
        return rai * M2_PER_RAI + ngan * M2_PER_NGAN + wa * M2_PER_WA, False
    m = _WORDS.match(text)
    if m and any(m.group(k) for k in ("rai", "ngan", "wa")):
        return (
            float(m.group("rai") or 0) * M2_PER_RAI
            + float(m.group("ngan") or 0) * M2_PER_NGAN
            + float(m.group("wa") or 0) * M2_PER_WA
        ), False
    return None, True


def parse_part(value: Any) -> tuple[float | None, bool]:
    """Parse a number from a separate rai, ngan or wa column: (number or None, unreadable?)."""
    if is_blank(value):
        return None, False
    if isinstance(value, bool):
        return None, True
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return (v, False) if np.isfinite(v) and v >= 0 else (None, True)
    text, _ = clean_text(value)
    text = text.replace(",", "")
    return (float(text), False) if _NUMBER.match(text) else (None, True)


def rai_ngan_wa(area_m2: pd.Series) -> pd.DataFrame:
    """Split square metres into whole rai, ngan and square wa (wa rounded to the nearest).

    Returns a frame with ``area_rai``, ``area_ngan``, ``area_wa`` (nullable integers) and
    the display string ``area_rai_ngan_wa`` such as ``"5-2-30"``.

    Examples
    --------
    >>> rai_ngan_wa(pd.Series([8920.0]))["area_rai_ngan_wa"].tolist()
    ['5-2-30']
    """
    m2 = pd.to_numeric(area_m2, errors="coerce").astype("Float64")
    total_wa = (m2 / M2_PER_WA).round().astype("Int64")
    rai = total_wa // 400
    ngan = (total_wa % 400) // 100
    wa = total_wa % 100
    text = pd.Series(pd.NA, index=area_m2.index, dtype="string")
    has = total_wa.notna()
    text[has] = rai[has].astype(str) + "-" + ngan[has].astype(str) + "-" + wa[has].astype(str)
    return pd.DataFrame(
        {"area_rai": rai, "area_ngan": ngan, "area_wa": wa, "area_rai_ngan_wa": text}, index=area_m2.index
    )


def utm_zone(lon: float) -> int:
    """UTM zone number for a longitude (47 west of 102°E, 48 from 102°E in Thailand)."""
    return int((lon + 180) // 6) + 1


def polygon_area_m2(geoms: gpd.GeoSeries) -> pd.Series:
    """Area of each polygon in m², measured in the UTM zone (EPSG:326xx) of its centroid.

    Measuring in each polygon's own zone keeps the scale error far below the precision
    of a rai-ngan-wa figure; non-polygons get NaN.
    """
    geoms = geoms.to_crs(4326) if geoms.crs is not None else geoms.set_crs(4326)
    out = pd.Series(np.nan, index=geoms.index, dtype=float)
    polys = geoms.notna() & ~geoms.is_empty & geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if not polys.any():
        return out
    lon = geoms[polys].representative_point().x
    zones = lon.map(utm_zone)
    for zone, idx in zones.groupby(zones).groups.items():
        out.loc[idx] = geoms.loc[idx].to_crs(32600 + int(zone)).area.to_numpy()
    return out
