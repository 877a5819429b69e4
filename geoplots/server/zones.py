"""How much of a plot lies in other inspection zones (เขตตรวจราชการ): the zone rule for plots.

A key limited to a zone may store a plot (แปลง โคก หนอง นา) only when the plot's area lies
in that zone. The point that places a plot (:func:`geoplots.locate`) is one point inside
it, and a MultiPolygon can have most of its area in another zone, so the area itself is
measured: the part of each polygon that lies in sub-districts of other zones — the same
boundaries :func:`geoplots.locate` places records in — in m², in the UTM zone (47N/48N) of
the polygon, as :func:`geoplots.readers.polygon_area_m2` measures plots. Area outside
every sub-district (across the national border, offshore) belongs to no other zone; the
plot's own point already passed the locate tolerance.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.groups import INSPECTION_ZONE
from geoplots.readers import utm_zone

POLYGONAL = ("Polygon", "MultiPolygon")


def area_in_other_zones(geoms: gpd.GeoSeries, units: gpd.GeoDataFrame, zone: str) -> pd.DataFrame:
    """Area of each polygon and of its part in units of zones other than ``zone``, in m².

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Geometries in lon/lat (EPSG:4326); only polygons are measured (others get 0).
    units : geopandas.GeoDataFrame
        Sub-districts (or any units) in lon/lat with an ``inspection_zone`` column, e.g.
        ``Boundaries.with_zones("subdistrict")``.
    zone : str
        The zone the plots may lie in.

    Returns
    -------
    pandas.DataFrame
        ``area_m2``, ``outside_m2`` and ``share_outside`` (0 to 1), on ``geoms``'s index.

    Examples
    --------
    >>> units = gpd.GeoDataFrame({"inspection_zone": ["12", "13"]}, crs=4326,
    ...     geometry=[shapely.box(102.0, 16.0, 103.0, 17.0), shapely.box(103.0, 16.0, 104.0, 17.0)])
    >>> plot = gpd.GeoSeries([shapely.box(102.999, 16.5, 103.001, 16.501)], crs=4326)
    >>> round(float(area_in_other_zones(plot, units, "12")["share_outside"].iloc[0]), 2)
    0.5
    """
    out = pd.DataFrame({"area_m2": 0.0, "outside_m2": 0.0, "share_outside": 0.0}, index=geoms.index)
    polys = geoms.notna() & ~geoms.is_empty & geoms.geom_type.isin(POLYGONAL)
    if not polys.any():
        return out
    # A self-crossing polygon (a "bow tie" drawn in the field) is measured as what it encloses.
    shapes = gpd.GeoSeries(shapely.make_valid(np.asarray(geoms[polys].values, dtype=object)),
                           index=geoms.index[polys], crs=4326)
    outside = _parts_in_other_zones(shapes, units, str(zone))
    lon = shapes.representative_point().x
    numbers = lon.map(utm_zone)
    for number, idx in numbers.groupby(numbers).groups.items():
        crs = 32600 + int(number)  # a plot and its outside part in the same metric CRS
        out.loc[idx, "area_m2"] = shapes.loc[idx].to_crs(crs).area.to_numpy()
        out.loc[idx, "outside_m2"] = outside.loc[idx].to_crs(crs).area.to_numpy()
    has_area = out["area_m2"] > 0
    out.loc[has_area, "share_outside"] = (out["outside_m2"] / out["area_m2"])[has_area].clip(0, 1)
    return out


def _parts_in_other_zones(shapes: gpd.GeoSeries, units: gpd.GeoDataFrame, zone: str) -> gpd.GeoSeries:
    """The part of each shape lying in units of other zones (empty for most plots: only
    those touching a unit of another zone are cut).
    """
    outside = gpd.GeoSeries([shapely.Polygon()] * len(shapes), index=shapes.index, crs=4326)
    hit, unit = units.sindex.query(np.asarray(shapes.values, dtype=object), predicate="intersects")
    zones = units[INSPECTION_ZONE].astype("string").fillna("").to_numpy(dtype=object)  # no zone: not this one
    foreign = zones[unit] != zone
    geometry = np.asarray(units.geometry.values, dtype=object)
    for i in np.unique(hit[foreign]):
        others = shapely.union_all(geometry[unit[foreign & (hit == i)]])
        outside.iloc[i] = shapely.intersection(shapes.iloc[i], shapely.make_valid(others))
    return outside
