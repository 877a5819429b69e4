"""The sea and the neighbouring countries under every offline map (แผนที่พื้นหลัง).

Without a basemap the units float in a grey void. This layer draws a small copy of
Natural Earth's 1:50m countries (public domain; shipped in the package, made by
``scripts/make_background.py``) as a light neutral land fill on a pale sea, under the
units. It never takes the pointer: hovering and clicking go to the units above it.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import geopandas as gpd
from branca.element import Element

from geoplots.layers._geojson import GeoJsonLayer
from geoplots.layers.palette import LAND_BORDER_COLOR, LAND_COLOR, SEA_COLOR

#: The shipped layer, relative to ``geoplots/layers/static/``.
BACKGROUND_FILE = "background/countries.geojson"
#: Credit shown in the map corner while the background is drawn.
BACKGROUND_ATTRIBUTION = "Background: Natural Earth"


@cache
def background_countries() -> gpd.GeoDataFrame:
    """The countries around Thailand (``name``, geometry; EPSG:4326), read once.

    Examples
    --------
    >>> "Laos" in set(background_countries()["name"])
    True
    """
    path = files("geoplots.layers").joinpath("static", *BACKGROUND_FILE.split("/"))
    with path.open("rb") as handle:
        return gpd.read_file(handle, engine="pyogrio").set_crs("EPSG:4326", allow_override=True)


class Background(GeoJsonLayer):
    """Neighbouring land in a light neutral fill, on a pale sea (the map's own background).

    Add it first, so the units are drawn over it; it is not in the layer control and
    never receives pointer events.

    Examples
    --------
    >>> Background().add_to(m)  # doctest: +SKIP
    """

    def __init__(self) -> None:
        style = {"fillColor": LAND_COLOR, "fillOpacity": 1.0, "color": LAND_BORDER_COLOR, "weight": 0.8,
                 "opacity": 1.0}
        super().__init__(background_countries(), styles={"_default": style}, name="พื้นหลัง / background",
                         simplify=False, precision=3, attribution=BACKGROUND_ATTRIBUTION, control=False,
                         interactive=False)
        self._name = "Background"

    def render(self, **kwargs):
        # The sea is the map container's own colour: one CSS rule in the page's head.
        sea = f"<style>.leaflet-container {{ background: {SEA_COLOR}; }}</style>"
        self.get_root().header.add_child(Element(sea), name="geoplots_sea")  # type: ignore[attr-defined]
        super().render(**kwargs)

    def _get_self_bounds(self):
        # The background never widens the view that fit_bounds chose.
        return [[None, None], [None, None]]
