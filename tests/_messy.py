"""Builders for messy field-record files, made at test time from the real boundaries.

Points are sampled inside real sub-districts (ตำบล) so every expectation is computed
from the boundaries or geothai, never typed in.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import geothai
import numpy as np
import shapely

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def sample_pins(n: int, seed: int = 0, *, boundaries) -> gpd.GeoDataFrame:
    """``n`` points, each inside a different random sub-district of ``boundaries`` that
    the registry knows.

    Columns: ``code`` (the sub-district sampled from), ``lat``, ``lon``, ``geometry``.
    """
    sub = boundaries.level("subdistrict")
    sub = sub[sub["code"].map(lambda c: geothai.address(c) is not None)]
    # Leave out a 0.01° (about 1 km) rim so a point is inside Thailand by any sensible test.
    picked = sub.sample(n, random_state=seed).reset_index(drop=True)
    outer = picked.geometry.values
    inner = shapely.buffer(outer, -0.01)
    shapes = gpd.GeoSeries(np.where(shapely.is_empty(inner), outer, inner), crs=4326)
    points = shapely.get_geometry(shapes.sample_points(1, rng=seed).values, 0)
    out = gpd.GeoDataFrame({"code": picked["code"]}, geometry=points, crs=4326)
    out["lat"] = out.geometry.y
    out["lon"] = out.geometry.x
    return out


def dms(value: float, positive: str, negative: str) -> str:
    """Write decimal degrees as DMS the way GPS units show it: 16°25'55.60"N."""
    letter = positive if value >= 0 else negative
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d}°{m}'{s:.2f}\"{letter}"


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """Write rows (header first) as a CSV file in the given encoding, as Excel or Kobo would."""
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Write rows (header first) to an XLSX sheet with openpyxl, keeping each cell's Python type."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "แปลงตัวอย่าง"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def utm(lat: float, lon: float, zone: int) -> tuple[float, float]:
    """Easting, northing of a WGS84 point in UTM zone ``zone`` N (pyproj, independent of geoplots)."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4326", f"EPSG:{32600 + zone}", always_xy=True)
    e, n = t.transform(lon, lat)
    return float(e), float(n)


def address_parts(code: str) -> tuple[str, str, str]:
    """Sub-district, district and province names (Thai) of a sub-district code, from geothai."""
    a = geothai.address(code)
    return a.subdistrict.name_th, a.district.name_th, a.province.name_th


def unique_by_names(code: str) -> bool:
    """True when geothai resolves the full name triple of ``code`` to exactly that code."""
    s, d, p = address_parts(code)
    found = geothai.match(s, district=d, province=p)
    return [a.subdistrict.code for a in found] == [code]
