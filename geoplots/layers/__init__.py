"""Folium map layers (ชั้นแผนที่): each adds itself to a ``folium.Map`` with ``.add_to(m)``.

* :class:`Background` — the sea and the neighbouring countries, under everything;
* :class:`BoundaryOutlines` — outlines of any level, Thai and English names on hover;
* :class:`CoverageChoropleth` — units coloured by tier or met/not met, Thai legend;
* :class:`Gaps` — units that miss their target, drawn to stand out;
* :class:`ZoneOutlines` — inspection zones (เขตตรวจราชการ), provinces dissolved by zone;
* :func:`pins` — records as clustered pins with popups;
* :func:`household_heat` — households as a heat map.

Polygon layers embed geometry prepared by :func:`web_geometry` (shared borders kept,
coordinates rounded, only the shown columns) and carry the boundary attribution.
:mod:`geoplots.layers.assets` holds the offline copies of Leaflet and its plugins.

Examples
--------
>>> import folium, geoplots
>>> from geoplots.layers import BoundaryOutlines
>>> m = folium.Map(tiles=None)
>>> BoundaryOutlines(geoplots.boundaries("province")).add_to(m)  # doctest: +SKIP
"""

from geoplots.layers._geojson import BOUNDARY_ATTRIBUTION, GeoJsonLayer
from geoplots.layers._simplify import web_geometry
from geoplots.layers.background import Background
from geoplots.layers.boundaries import BoundaryOutlines
from geoplots.layers.coverage import MET, TIERS, CoverageChoropleth, Gaps, Legend
from geoplots.layers import palette
from geoplots.layers.pins import CompactPins, household_heat, pins, popup_html
from geoplots.layers.picture import save_picture
from geoplots.layers.title import MapTitle, thai_date
from geoplots.layers.zones import ZoneOutlines, dissolve_groups

__all__ = [
    "BOUNDARY_ATTRIBUTION",
    "Background",
    "MET",
    "TIERS",
    "BoundaryOutlines",
    "CompactPins",
    "MapTitle",
    "CoverageChoropleth",
    "Gaps",
    "GeoJsonLayer",
    "Legend",
    "ZoneOutlines",
    "dissolve_groups",
    "household_heat",
    "palette",
    "pins",
    "popup_html",
    "save_picture",
    "thai_date",
    "web_geometry",
]
