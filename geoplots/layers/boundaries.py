"""Boundary outlines of any level, with Thai and English names in the tooltip."""

from __future__ import annotations

import geopandas as gpd

from geoplots.layers._geojson import GeoJsonLayer
from geoplots.levels import THAI_NAME, Level, parse_level

#: Outline weight per level: provinces drawn heavier than the units inside them.
_WEIGHT: dict[Level, float] = {"province": 2.0, "district": 1.2, "subdistrict": 0.6}

_ENGLISH: dict[Level, str] = {"province": "Province", "district": "District", "subdistrict": "Sub-district"}


def name_tooltip(level: Level) -> list[tuple[str, str]]:
    """Tooltip rows naming a unit: Thai name, English name, code."""
    return [
        ("name_th", f"{THAI_NAME[level]}"),
        ("name_en", _ENGLISH[level]),
        ("code", "รหัส / code"),
    ]


def infer_level(units: gpd.GeoDataFrame) -> Level:
    """Return the level of ``units`` from the length of its codes."""
    lengths = set(units["code"].astype(str).str.len()) if len(units) else {6}
    for level, n in (("province", 2), ("district", 4), ("subdistrict", 6)):
        if lengths == {n}:
            return level  # type: ignore[return-value]
    raise ValueError(f"units mix code lengths {sorted(lengths)}; pass level=")


class BoundaryOutlines(GeoJsonLayer):
    """Outlines of provinces (จังหวัด), districts (อำเภอ) or sub-districts (ตำบล).

    Hovering a unit shows its Thai and English name and its code. The layer carries
    the COD-AB attribution ("OCHA, Royal Thai Survey Department", CC BY-IGO).

    Parameters
    ----------
    units : GeoDataFrame
        ``code``, ``name_th``, ``name_en``, geometry — e.g. ``geoplots.boundaries(level)``.
    level : str, optional
        Inferred from the code length when omitted.
    name : str, optional
        Name in the layer control.
    color : str
        Outline colour.
    **kwargs
        Passed to :class:`~geoplots.layers._geojson.GeoJsonLayer` (``tolerance``,
        ``show``, ...).

    Examples
    --------
    >>> import folium, geoplots
    >>> m = folium.Map()
    >>> BoundaryOutlines(geoplots.boundaries("district")).add_to(m)  # doctest: +SKIP
    """

    def __init__(
        self,
        units: gpd.GeoDataFrame,
        level: str | None = None,
        *,
        name: str | None = None,
        color: str = "#555555",
        **kwargs,
    ):
        lvl = parse_level(level) if level else infer_level(units)
        style = {"color": color, "weight": _WEIGHT[lvl], "fill": True, "fillOpacity": 0.0, "opacity": 0.9}
        super().__init__(
            units,
            styles={"_default": style},
            tooltip=name_tooltip(lvl),
            name=name or f"ขอบเขต{THAI_NAME[lvl]} / {_ENGLISH[lvl]} boundaries",
            highlight={"weight": _WEIGHT[lvl] + 2, "color": "#000000"},
            **kwargs,
        )
        self.level = lvl
