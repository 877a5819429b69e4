"""The polygon layer every boundary-drawing layer is built on.

Like ``folium.GeoJson`` but written for thousands of units on one page: the data is
embedded once as compact JSON (Thai kept as UTF-8, not ``\\uXXXX``), the style is
looked up in a small table by one property (a tier, met/not met) instead of a
per-feature ``switch``, and tooltips are built in the browser from the properties.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import shapely
from folium.map import Layer

from geoplots.layers._simplify import web_geometry
from geoplots.layers._templates import template

#: Attribution of the COD-AB boundaries (CC BY-IGO): shown on every map that draws them.
BOUNDARY_ATTRIBUTION = "Boundaries: OCHA, Royal Thai Survey Department (CC BY-IGO)"


def script_json(value) -> str:
    """Return ``value`` as compact JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def pack_polygons(geoms, precision: int) -> list:
    """Pack (multi)polygons as integer deltas: a fraction of GeoJSON's size.

    Each geometry becomes a list of polygons, each a list of rings, each a flat list
    ``[x0, y0, dx1, dy1, ...]`` of coordinates times ``10**precision``: the first
    point absolute, the others relative to the previous one, the closing point left
    out (Leaflet closes rings). The layer's script unpacks it into GeoJSON.

    Examples
    --------
    >>> from shapely import box
    >>> pack_polygons([box(100, 15, 100.5, 15.5)], 1)
    [[[[1005, 150, 0, 5, -5, 0, 0, -5]]]]
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return []
    if shapely.is_missing(geoms).any() or shapely.is_empty(geoms).any():
        raise ValueError("every unit needs a geometry to be drawn")
    kind, coords, offsets = shapely.to_ragged_array(geoms)
    if kind == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        geom_off = np.arange(len(poly_off))
    elif kind == shapely.GeometryType.MULTIPOLYGON:
        ring_off, poly_off, geom_off = offsets
    else:
        raise ValueError(f"only polygons can be packed, not {kind.name}")
    q = np.round(coords * 10**precision).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = ring_off[:-1]
    delta[starts] = q[starts]
    flat = delta.ravel().tolist()
    rings = [flat[2 * a : 2 * (b - 1)] for a, b in zip(ring_off[:-1], ring_off[1:])]
    polys = [rings[a:b] for a, b in zip(poly_off[:-1], poly_off[1:])]
    return [polys[a:b] for a, b in zip(geom_off[:-1], geom_off[1:])]


class GeoJsonLayer(Layer):
    """Polygons from a GeoDataFrame, styled by one property, with tooltips.

    Parameters
    ----------
    frame : GeoDataFrame
        Polygons in EPSG:4326.
    styles : mapping
        ``{value of style_key: Leaflet path style}``; ``"_default"`` for the rest.
    style_key : str, optional
        Property holding the style's key. Without it every feature gets ``_default``.
    tooltip : sequence of (column, label) or (column, label, {value: text}), optional
        Rows of the tooltip table, in order; the optional mapping turns a stored key
        into words in the browser, so the words are not repeated in every feature.
    name : str
        Name in the layer control.
    highlight : mapping, optional
        Style applied while the pointer is over a feature.
    simplify : bool
        Run :func:`~geoplots.layers._simplify.web_geometry` (shared borders kept).
    tolerance, precision : optional
        Passed to ``web_geometry`` (simplification in degrees, decimals kept).
    attribution : str, optional
        Shown in the map corner while the layer is on.
    """

    _template = template("geojson_layer.js")

    def __init__(
        self,
        frame: gpd.GeoDataFrame,
        *,
        styles: Mapping[str, Mapping],
        style_key: str | None = None,
        tooltip: Sequence[tuple] = (),
        name: str,
        highlight: Mapping | None = None,
        simplify: bool = True,
        tolerance: float | None = None,
        precision: int | None = None,
        attribution: str | None = BOUNDARY_ATTRIBUTION,
        overlay: bool = True,
        control: bool = True,
        show: bool = True,
        interactive: bool = True,
        labels: str | None = None,
    ):
        super().__init__(name=name, overlay=overlay, control=control, show=show)
        # Outline layers drawn over the units pass the pointer through (interactive=False),
        # so hovering a unit shows the unit's tooltip, not the zone's.
        self.interactive = interactive
        self.labels = labels
        self._name = "GeoJsonLayer"
        columns = list(dict.fromkeys([row[0] for row in tooltip] + ([style_key] if style_key else [])
                                     + ([labels] if labels else [])))
        if simplify:
            frame = web_geometry(frame, columns, tolerance=tolerance, precision=precision)
        else:
            frame = frame[[*columns, frame.geometry.name]]
        self.precision = int(frame.attrs.get("precision", precision or 6))
        self.frame = frame
        self.style_key = style_key
        self.styles = dict(styles)
        self.tooltip = [list(pair) for pair in tooltip]
        self.highlight = dict(highlight) if highlight else None
        self.attribution = attribution

    def data_json(self) -> str:
        """The embedded data: properties by column, geometry packed (see :func:`pack_polygons`)."""
        props = self.frame.drop(columns=self.frame.geometry.name)
        columns = {
            col: props[col].astype(object).where(props[col].notna(), None).tolist() for col in props.columns
        }
        return script_json(
            {"scale": 10**self.precision, "props": columns,
             "geoms": pack_polygons(self.frame.geometry.values, self.precision)}
        )

    def options_json(self) -> str:
        """Styles, tooltip rows, highlight and attribution for the template."""
        return script_json(
            {
                "styles": self.styles,
                "key": self.style_key,
                "tooltip": self.tooltip,
                "highlight": self.highlight,
                "attribution": self.attribution,
                "interactive": self.interactive,
                "labels": self.labels,
            }
        )

    def _get_self_bounds(self):
        if self.frame.empty:
            return [[None, None], [None, None]]
        x0, y0, x1, y1 = self.frame.total_bounds
        return [[float(y0), float(x0)], [float(y1), float(x1)]]
