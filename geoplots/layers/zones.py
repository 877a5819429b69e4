"""Inspection-zone (เขตตรวจราชการ) outlines: provinces dissolved by zone."""

from __future__ import annotations

import geopandas as gpd
import shapely

from geoplots.groups import GroupingScheme, resolve_scheme
from geoplots.layers._geojson import GeoJsonLayer
from geoplots.layers.palette import ZONE_OUTLINE_COLOR


def dissolve_groups(provinces: gpd.GeoDataFrame, scheme: GroupingScheme | str = "inspection_zone") -> gpd.GeoDataFrame:
    """Return one polygon per group of ``scheme``, dissolved from ``provinces``.

    Parameters
    ----------
    provinces : GeoDataFrame
        ``geoplots.boundaries("province")`` or a subset of it.
    scheme : GroupingScheme or str
        A province-level grouping (default: inspection zones).

    Returns
    -------
    GeoDataFrame
        ``group``, ``provinces`` (Thai names, comma-separated), ``code`` (the group),
        geometry; sorted in the scheme's natural order.

    Examples
    --------
    >>> import geoplots
    >>> zones = dissolve_groups(geoplots.boundaries("province"))  # doctest: +SKIP
    >>> len(zones)  # doctest: +SKIP
    19
    """
    resolved = resolve_scheme(scheme)
    assert resolved is not None  # resolve_scheme gives None only for None
    scheme = resolved
    if scheme.level != "province":
        raise ValueError(f"{scheme.name} groups {scheme.level} codes; zone outlines need a province scheme")
    frame = provinces.assign(group=scheme.group_of(provinces["code"]).astype(object))
    rows = []
    for group, part in frame.groupby("group", sort=False):
        # coverage_union merges the provinces along their shared borders, no slivers.
        geom = shapely.coverage_union_all(part.geometry.values)
        rows.append({"group": group, "code": group, "provinces": ", ".join(part["name_th"]), "geometry": geom})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=provinces.crs)
    order = {g: i for i, g in enumerate(scheme.groups())}
    return out.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)


class ZoneOutlines(GeoJsonLayer):
    """Outlines of inspection zones (or any province grouping), labelled in the tooltip.

    Parameters
    ----------
    provinces : GeoDataFrame
        ``geoplots.boundaries("province")`` (or the provinces shown).
    scheme : GroupingScheme or str
        Default: inspection zones (เขตตรวจราชการ).
    name : str, optional
    **kwargs
        Passed to :class:`~geoplots.layers._geojson.GeoJsonLayer`.

    Examples
    --------
    >>> ZoneOutlines(geoplots.boundaries("province")).add_to(m)  # doctest: +SKIP
    """

    def __init__(self, provinces: gpd.GeoDataFrame, scheme: GroupingScheme | str = "inspection_zone",
                 *, name: str | None = None, color: str = ZONE_OUTLINE_COLOR, **kwargs):
        zones = dissolve_groups(provinces, scheme)
        zones["label"] = [
            f"เขตตรวจราชการที่ {g}" if str(g).isdigit() else f"{g}" for g in zones["group"]
        ]
        style = {"color": color, "weight": 3.5, "fill": True, "fillOpacity": 0.0, "opacity": 0.9}
        super().__init__(
            zones,
            styles={"_default": style},
            tooltip=[("label", "เขต / zone"), ("provinces", "จังหวัด / provinces")],
            name=name or "เขตตรวจราชการ / inspection zones",
            highlight={"weight": 6},
            **{"interactive": False, **kwargs},  # an outline over the units: never steals the hover
        )
