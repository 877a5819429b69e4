"""``geoplots.map``: the layers composed into one map, fitted to a zone, province or district.

The map is a ``folium.Map`` (a small subclass, :class:`Map`, that knows whether to
load Leaflet from local files). Save it with ``m.save("map.html")`` or take the page
as a string with :func:`to_html`.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.errors import GeoplotsError
from geoplots.layers import (Background, BoundaryOutlines, CoverageChoropleth, Gaps, MapTitle, ZoneOutlines, household_heat,
                             pins, thai_date)
from geoplots.layers.assets import localize
from geoplots.layers.palette import PROVINCE_OUTLINE_COLOR
from geoplots.layers.boundaries import infer_level
from geoplots.levels import CODE_COLUMN, parse_level
from geoplots.records import Records

#: More polygons than this are drawn on a canvas, not as SVG paths (much faster).
CANVAS_THRESHOLD = 3000

#: Deepest zoom (street level), as OpenStreetMap tiles allow.
MAX_ZOOM = 19
MIN_ZOOM = 4

#: With more gaps than this (and no area chosen) the gaps layer starts switched off.
GAPS_SHOWN_MAX = 500

#: In a zone, province or district, up to this many gap units are named on the map.
GAP_LABELS_MAX = 80

_OSM = "OpenStreetMap"


class Map(folium.Map):
    """A ``folium.Map`` that can load Leaflet and its plugins from local files.

    Parameters
    ----------
    offline : bool or str
        ``True`` or ``"inline"`` (default): Leaflet and plugins, shipped in the package, are
        written into the page: one self-contained file that needs no internet. ``False``:
        scripts from CDNs (folium's default). A URL prefix (``"/vendor"``): linked from a
        server that serves :func:`geoplots.layers.assets.vendor_dir` there.
    **kwargs
        Passed to ``folium.Map``.
    """

    #: The area shown (a zone, province or district name), set by :func:`map`.
    area_label: str

    def __init__(self, *args, offline: bool | str = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.offline = offline
        # Without a basemap nothing sets a maximum zoom, and marker clusters need one.
        self.options.setdefault("max_zoom", MAX_ZOOM)
        # Nothing in Thailand needs less than zoom 4; it also bounds the pins' clustering work.
        self.options.setdefault("min_zoom", MIN_ZOOM)
        # Fractional zoom, so a zone or the country fills the window (and the A4 picture).
        self.options.setdefault("zoom_snap", 0.25)

    def render(self, **kwargs):
        # At render time, so elements a user adds after geoplots.map() are covered too.
        if self.offline:
            localize(self, self.offline)
        super().render(**kwargs)


def to_html(m: folium.Map) -> str:
    """Return the whole page of ``m`` as a string (what ``m.save(path)`` writes).

    Examples
    --------
    >>> html = to_html(geoplots.map(level="province", offline=True))  # doctest: +SKIP
    """
    return m.get_root().render()


def _in_area(codes: pd.Series, area: tuple[str, ...]) -> pd.Series:
    if not area:
        return pd.Series(True, index=codes.index)
    codes = codes.astype("string")
    inside = pd.Series(False, index=codes.index)
    for a in area:
        # A unit is shown when it lies in the area, or the area lies in it (coarser level).
        inside |= codes.str.startswith(a).fillna(False) | pd.Series([str(a).startswith(str(c)) for c in codes], index=codes.index)
    return inside


def _records_in_area(frame: gpd.GeoDataFrame, area: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not area:
        return frame
    col = CODE_COLUMN["district"] if len(area[0]) == 4 else CODE_COLUMN["province"]
    if col not in frame:
        return frame  # not located: nothing to filter on, draw them all
    return frame[frame[col].astype("string").str.startswith(tuple(area)).fillna(False)]


def _places(source: Boundaries, frame) -> dict[str, tuple[str, str, str]]:
    """Sub-district code -> (ตำบล, อำเภอ, จังหวัด) Thai names, for the pins' popups."""
    if "subdistrict_code" not in frame:
        return {}
    codes = set(frame["subdistrict_code"].dropna().astype(str))
    if not codes:
        return {}
    names: dict[str, str] = {}
    for lvl in ("subdistrict", "district", "province"):
        units = source.level(lvl)
        names.update(zip(units["code"].astype(str), units["name_th"].astype(str)))
    return {c: (names.get(c, ""), names.get(c[:4], ""), names.get(c[:2], "")) for c in codes}


def _tiles(m: folium.Map, tiles: str | None, attribution: str | None, offline) -> None:
    """A basemap when asked; without one, the shipped sea-and-neighbours background."""
    if tiles == "auto":
        tiles = None if offline else _OSM
    if tiles is None or str(tiles).lower() == "none":
        Background().add_to(m)  # first, so every layer is drawn over it
        return
    if "{" in str(tiles):
        folium.TileLayer(tiles, attr=attribution or "Map tiles", name="แผนที่ฐาน / basemap").add_to(m)
    else:
        folium.TileLayer(tiles, name="แผนที่ฐาน / basemap").add_to(m)


def map(  # noqa: A001 - the public name the issue asks for: geoplots.map(...)
    coverage=None,
    records: Records | gpd.GeoDataFrame | None = None,
    *,
    level: str | None = None,
    zone: str | int | None = None,
    province: str | None = None,
    district: str | None = None,
    color_by: str = "auto",
    gaps: bool = True,
    zones: bool = True,
    heat: bool | str = False,
    show_pins: bool = True,
    offline: bool | str = True,
    tiles: str | None = "auto",
    tiles_attribution: str | None = None,
    prefer_canvas: bool | None = None,
    boundaries: Boundaries | None = None,
    title: str | None = None,
) -> Map:
    """Compose the coverage, gaps, outlines, zones, pins and heat into one map.

    Parameters
    ----------
    coverage : Coverage or GeoDataFrame, optional
        ``geoplots.coverage(...)`` (or its ``.units``). Without it the map shows the
        outlines of ``level``.
    records : Records or GeoDataFrame, optional
        Located records, drawn as clustered pins (and as a heat map with ``heat``).
    level : str, optional
        Level of the outlines when there is no coverage (default ``district``).
    zone, province, district : optional
        Show and fit the view to one inspection zone (เขตตรวจราชการ, e.g. 12), province
        (code or name, e.g. 40 / ขอนแก่น) or district (code or name). Default: the country.
    color_by : {"auto", "tier", "met"}
        Choropleth colouring (``auto``: tier when the coverage has tiers).
    gaps : bool
        Add the layer of units that miss their target.
    zones : bool
        Add inspection-zone outlines.
    heat : bool or str
        Add a heat map of ``records``; a column name weights it (e.g. ``"has_garden"``).
    show_pins : bool
        Draw ``records`` as pins.
    offline : bool or str
        See :class:`Map`. Default ``True``: the map opens with no internet and loads
        nothing from elsewhere. Offline maps default to no basemap.
    tiles : str or None
        ``"auto"`` (OpenStreetMap online, none offline; a basemap only when asked), ``None``/``"none"`` for no
        basemap, a folium tile name, or a tile URL template ``https://.../{z}/{x}/{y}.png``.
    tiles_attribution : str, optional
        Attribution of a custom tile URL.
    prefer_canvas : bool, optional
        Draw on a canvas; default when more than :data:`CANVAS_THRESHOLD` polygons.
    boundaries : geoplots.Boundaries, optional
        The imported snapshot drawn and searched for the area
        (:meth:`geoplots.Boundaries.load`); default: the default import, loaded once.
    title : str, optional
        The map's title, on the map and in the page's ``<title>``; default: the target
        (the coverage's title) and the area, with today's date in the Thai form below.

    Returns
    -------
    Map
        A ``folium.Map``; ``m.save(path)`` or :func:`to_html`.

    Examples
    --------
    >>> cov = geoplots.coverage(located, level="district", zone=12)  # doctest: +SKIP
    >>> m = geoplots.map(cov, located, zone=12, offline=True)  # doctest: +SKIP
    >>> m.save("zone12.html")  # doctest: +SKIP
    """
    source = resolve_boundaries(boundaries)
    place = source.area(zone=zone, province=province, district=district)
    label, area, outline = place.label, place.codes, place.outline
    units = getattr(coverage, "units", coverage)
    if units is not None:
        if not isinstance(units, gpd.GeoDataFrame) or "code" not in units:
            raise GeoplotsError("coverage must be geoplots.coverage(...) or its .units GeoDataFrame.")
        lvl = infer_level(units)
        units = units[_in_area(units["code"], area)]
        if units.empty:
            raise GeoplotsError(f"The coverage has no units in {label}. Check the zone/province/district.")
    else:
        lvl = parse_level(level or "district")
        outlines = source.level(lvl)
        units = outlines[_in_area(outlines["code"], area)]

    provinces = source.level("province")
    provinces = provinces[_in_area(provinces["code"], area)]
    view = units if outline is None else outline
    n_polygons = len(units)
    if prefer_canvas is None:
        prefer_canvas = n_polygons > CANVAS_THRESHOLD
    m = Map(location=None, tiles=None, offline=offline, prefer_canvas=prefer_canvas, control_scale=True)
    # Fit first: layers added after the view is set are projected once, not twice.
    x0, y0, x1, y1 = view.total_bounds
    m.fit_bounds([[float(y0), float(x0)], [float(y1), float(x1)]])
    _tiles(m, tiles, tiles_attribution, offline)

    if coverage is not None:
        # A rule's coverage carries its title (geoplots.counting.rules): the legend names the target.
        CoverageChoropleth(units, by=color_by, title=getattr(coverage, "title", None) or None).add_to(m)
        if gaps and "met" in units:
            # Thousands of outlines hide the country; nationally the gaps start off. In an
            # area (a zone) a short list of gaps is named on the map itself.
            missed = int((~units["met"].astype("boolean").fillna(False)).sum())
            Gaps(units, show=bool(area) or missed <= GAPS_SHOWN_MAX,
                 labels=bool(area) and missed <= GAP_LABELS_MAX).add_to(m)
    else:
        BoundaryOutlines(units, lvl).add_to(m)
    if lvl != "province":
        # Over a choropleth the provinces are only an outline: the pointer goes to the units.
        BoundaryOutlines(provinces, "province", color=PROVINCE_OUTLINE_COLOR, show=coverage is None or bool(area),
                         interactive=coverage is None).add_to(m)
    if zones:
        ZoneOutlines(provinces).add_to(m)
    if records is not None:
        frame = records.accepted if isinstance(records, Records) else records
        frame = _records_in_area(frame, area)
        if heat:
            household_heat(frame, weight=heat if isinstance(heat, str) else None).add_to(m)
        if show_pins:
            pins(frame, places=_places(source, frame)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _title(m, title, coverage, label)
    m.area_label = label
    return m


def _title(m: Map, title: str | None, coverage, label: str) -> None:
    """The title on the map and in the HTML ``<title>``, with the date in the Thai form."""
    if title is None:
        target = getattr(coverage, "title", None) or ("ความครอบคลุม / coverage" if coverage is not None else "")
        title = " · ".join(part for part in (target, label) if part)
    subtitle = f"ข้อมูล ณ {thai_date(dt.date.today())} · OCHA, Royal Thai Survey Department"
    MapTitle(title, subtitle).add_to(m)
    cast(Figure, m.get_root()).title = title  # a folium.Map's root is always its Figure

