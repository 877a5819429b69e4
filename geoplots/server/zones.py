"""How much of a plot lies in an inspection zone (เขตตรวจราชการ): the zone rule for plots.

A key limited to a zone may store a plot (แปลง โคก หนอง นา) only when the plot's area lies
in that zone. The point that places a plot (:func:`geoplots.locate`) is one point inside
it, and a MultiPolygon can have most of its area in another zone, so the area itself is
measured: the part of each polygon outside the union of the zone's provinces, in m², in
the UTM zone (47N/48N) of the polygon, as :func:`geoplots.readers._area.polygon_area_m2`
measures plots.
"""

from __future__ import annotations

import threading
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.groups import INSPECTION_ZONE
from geoplots.readers._area import utm_zone

POLYGONAL = ("Polygon", "MultiPolygon")


class ZoneShapes:
    """The outline of each inspection zone (the union of its provinces), made once per
    boundary snapshot.

    Parameters
    ----------
    boundaries : object
        The server's boundaries: ``get("province")`` returns the provinces with an
        ``inspection_zone`` column and ``snapshot()`` names the imported snapshot
        (:class:`geoplots.server.deps.BoundaryCache`).
    """

    def __init__(self, boundaries: Any) -> None:
        self.boundaries = boundaries
        self._shapes: dict[tuple[str, str], shapely.Geometry] = {}
        self._lock = threading.Lock()

    def get(self, zone: str) -> shapely.Geometry:
        """Return zone ``zone`` as one (prepared) geometry in lon/lat; empty if unknown."""
        key = (str(self.boundaries.snapshot()), str(zone))
        with self._lock:
            shape = self._shapes.get(key)
        if shape is None:
            provinces = self.boundaries.get("province")
            parts = provinces.geometry[provinces[INSPECTION_ZONE].astype("string") == str(zone)]
            shape = shapely.make_valid(shapely.union_all(np.asarray(parts.values, dtype=object)))
            shapely.prepare(shape)
            with self._lock:
                self._shapes = {k: v for k, v in self._shapes.items() if k[0] == key[0]}
                self._shapes[key] = shape
        return shape


def area_outside(geoms: gpd.GeoSeries, zone: shapely.Geometry) -> pd.DataFrame:
    """Area of each polygon and of its part outside ``zone``, in m².

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Geometries in lon/lat (EPSG:4326); only polygons are measured (others get 0).
    zone : shapely.Geometry
        The zone in lon/lat (:meth:`ZoneShapes.get`).

    Returns
    -------
    pandas.DataFrame
        ``area_m2``, ``outside_m2`` and ``share_outside`` (0 to 1), on ``geoms``'s index.

    Examples
    --------
    >>> inside = shapely.box(102.0, 16.0, 103.0, 17.0)
    >>> plot = gpd.GeoSeries([shapely.box(102.999, 16.5, 103.001, 16.501)], crs=4326)
    >>> round(float(area_outside(plot, inside)["share_outside"].iloc[0]), 2)
    0.5
    """
    out = pd.DataFrame({"area_m2": 0.0, "outside_m2": 0.0, "share_outside": 0.0}, index=geoms.index)
    polys = geoms.notna() & ~geoms.is_empty & geoms.geom_type.isin(POLYGONAL)
    if not polys.any():
        return out
    # A self-crossing polygon (a "bow tie" drawn in the field) is measured as what it encloses.
    shapes = gpd.GeoSeries(shapely.make_valid(np.asarray(geoms[polys].values, dtype=object)),
                           index=geoms.index[polys], crs=4326)
    within = shapely.contains_properly(zone, np.asarray(shapes.values, dtype=object))
    outside = shapes.copy()
    outside[within] = shapely.Polygon()
    straddle = ~within
    if straddle.any():
        outside[straddle] = shapely.difference(np.asarray(shapes[straddle].values, dtype=object), zone)
    lon = shapes.representative_point().x
    for number, idx in lon.map(utm_zone).groupby(lon.map(utm_zone)).groups.items():
        crs = 32600 + int(number)  # the plot and its outside part in the same metric CRS
        out.loc[idx, "area_m2"] = shapes.loc[idx].to_crs(crs).area.to_numpy()
        out.loc[idx, "outside_m2"] = outside.loc[idx].to_crs(crs).area.to_numpy()
    has_area = out["area_m2"] > 0
    out.loc[has_area, "share_outside"] = (out["outside_m2"] / out["area_m2"])[has_area].clip(0, 1)
    return out
