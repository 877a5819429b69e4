"""Coverage drawn on the map: a choropleth by tier or met/not met, a Thai legend, the gaps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from branca.element import MacroElement

from geoplots.counting import TIERS as TIER_NAMES
from geoplots.errors import GeoplotsError
from geoplots.layers.palette import GAP_COLOR, MET_COLOR, NO_DATA_COLOR, NOT_MET_COLOR, TIER_COLORS
from geoplots.layers._geojson import GeoJsonLayer, script_json
from geoplots.layers._simplify import web_geometry
from geoplots.layers._templates import template
from geoplots.layers.boundaries import infer_level, name_tooltip
from geoplots.levels import THAI_NAME


@dataclass(frozen=True)
class Category:
    """One class of the choropleth: its key, colour and Thai/English labels."""

    key: str
    color: str
    label_th: str
    label_en: str


#: Household-participation tiers (ระดับ), lowest first, named as the coverage package names
#: them. Colours: :data:`geoplots.layers.palette.TIER_COLORS` (orange to blue, colour-blind safe).
TIERS: tuple[Category, ...] = tuple(
    Category(key, TIER_COLORS[key], label_th, key.replace("_", " ")) for key, label_th in TIER_NAMES.items()
)

#: Met / not met a count target (blue / orange, see :mod:`geoplots.layers.palette`).
MET: tuple[Category, ...] = (
    Category("false", NOT_MET_COLOR, "ยังไม่ถึงเป้า", "target not met"),
    Category("true", MET_COLOR, "ถึงเป้า", "target met"),
)

#: A unit without a single record (ไม่มีข้อมูล): grey, never the "not met" orange, so a
#: district nobody reported on does not read as one that failed.
NO_DATA = Category("no_data", NO_DATA_COLOR, "ไม่มีข้อมูล", "no data")
_NO_DATA = Category("_default", NO_DATA_COLOR, NO_DATA.label_th, NO_DATA.label_en)

def _words(categories: Sequence[Category]) -> dict[str, str]:
    return {c.key: f"{c.label_th} ({c.label_en})" for c in categories}


_COUNT_LABELS: list[tuple] = [
    ("count", "จำนวน / count"),
    ("households", "ครัวเรือน / households"),
    ("participating", "เข้าร่วม / participating"),
    ("rate_pct", "ร้อยละ / %"),
    ("tier", "ระดับ / tier", _words((*TIERS, NO_DATA))),
    ("met_key", "เป้าหมาย / target", _words((*MET, NO_DATA))),
]


def _prepare(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add display columns (Thai met/tier words, rate as %) from the coverage contract."""
    required = {"code", "name_th", "name_en"}
    missing = required - set(units.columns)
    if missing:
        raise GeoplotsError(
            f"The coverage table lacks column(s) {', '.join(sorted(missing))}; pass "
            "geoplots.coverage(...).units."
        )
    out = units.copy()
    if "met" in out:
        met = out["met"].astype("boolean")
        out["met_key"] = met.map({True: "true", False: "false"}).astype(object)
    if "count" in out and "met" in out:
        # No record at all is "no data", not "not met" nor ไม่ผ่านเกณฑ์.
        empty = ((out["count"].fillna(0) == 0) & ~out["met"].astype("boolean").fillna(False)).to_numpy()
        out["met_key"] = out["met_key"].where(~empty, NO_DATA.key)
        if "tier" in out:
            out["tier"] = out["tier"].astype(object).where(~empty, NO_DATA.key)
    if "rate" in out:
        out["rate_pct"] = (pd.to_numeric(out["rate"], errors="coerce") * 100).round(1)
    return out


def _counts_tooltip(units: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    level = infer_level(units)
    rows = name_tooltip(level)
    if units.get("inspection_zone") is not None:
        rows.append(("inspection_zone", "เขตตรวจราชการ / zone"))
    return rows + [row for row in _COUNT_LABELS if row[0] in units]


def _category_styles(categories: Sequence[Category], opacity: float) -> dict[str, dict]:
    styles = {
        c.key: {"fillColor": c.color, "fillOpacity": opacity, "color": "#ffffff", "weight": 0.5, "opacity": 0.8}
        for c in (*categories, NO_DATA, _NO_DATA)
    }
    return styles


class Legend(MacroElement):
    """A legend in Thai (with English) in a corner of the map, shown with its layer.

    Parameters
    ----------
    layer : folium Layer
        The legend is removed from the map while this layer is switched off.
    title : str
    categories : sequence of Category
    counts : mapping, optional
        ``{category key: number of units}``, shown after each label.
    position : str
        Leaflet control position.
    """

    _template = template("legend.js")

    def __init__(self, layer, title: str, categories: Sequence[Category], counts=None,
                 position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.layer = layer
        self.title = title
        self.categories = list(categories)
        self.counts = dict(counts or {})
        self.position = position

    def html(self) -> str:
        """The legend's HTML (rendered from ``legend.html``)."""
        return template("legend.html").render(this=self)

    def html_json(self) -> str:
        return script_json(self.html())


class CoverageChoropleth(GeoJsonLayer):
    """Units coloured by participation tier or by met / not met, with a Thai legend.

    Parameters
    ----------
    units : GeoDataFrame
        ``Coverage.units`` (one row per unit: ``code``, ``name_th``, ``name_en``,
        ``count``, ``met``; for household participation also ``households``,
        ``participating``, ``rate`` and ``tier``).
    by : {"auto", "tier", "met"}
        ``auto`` uses ``tier`` when the table has it, else ``met``.
    name : str, optional
        Name in the layer control (default: the legend title).
    title : str, optional
        What is counted, e.g. a rule's ``Coverage.title``; the legend title is then
        this title and the level (default: coverage or participation tier by level).
    opacity : float
        Fill opacity.
    **kwargs
        Passed to :class:`~geoplots.layers._geojson.GeoJsonLayer`.

    Examples
    --------
    >>> import folium, geoplots
    >>> cov = geoplots.coverage(records, level="district")  # doctest: +SKIP
    >>> CoverageChoropleth(cov.units).add_to(folium.Map())  # doctest: +SKIP
    """

    def __init__(self, units: gpd.GeoDataFrame, by: str = "auto", *, name: str | None = None,
                 title: str | None = None, opacity: float = 0.75, **kwargs):
        if by == "auto":
            by = "tier" if "tier" in units else "met"
        if by not in ("tier", "met") or by not in units:
            raise GeoplotsError(
                f"Cannot colour the map by {by!r}: the coverage table has no such column. "
                "Use by='met' (count target) or by='tier' (household participation)."
            )
        prepared = _prepare(units)
        categories = TIERS if by == "tier" else MET
        key = "tier" if by == "tier" else "met_key"
        level = infer_level(units)
        if title:
            title = f"{title} · ราย{THAI_NAME[level]}"
        elif by == "tier":
            title = f"ระดับการเข้าร่วมราย{THAI_NAME[level]} (participation tier)"
        else:
            title = f"ความครอบคลุมราย{THAI_NAME[level]} (coverage)"
        super().__init__(
            prepared,
            styles=_category_styles(categories, opacity),
            style_key=key,
            tooltip=_counts_tooltip(prepared),
            name=name or title,
            highlight={"weight": 3, "color": "#000000"},
            **kwargs,
        )
        self.by = by
        found = prepared[key].value_counts()
        counts = {c.key: int(found.get(c.key, 0)) for c in categories}
        counts[NO_DATA.key] = int(found.get(NO_DATA.key, 0)) + int(prepared[key].isna().sum())
        shown = list(categories) + ([NO_DATA] if counts[NO_DATA.key] else [])
        self.legend = Legend(self, title, shown, counts)
        self.add_child(self.legend)


class Gaps(GeoJsonLayer):
    """Units that miss their target, drawn to stand out: thick red outline, hatched red.

    Parameters
    ----------
    units : GeoDataFrame
        ``Coverage.units``; rows where ``met`` is False are drawn.
    name : str, optional
    labels : bool
        Write each gap unit's Thai name on the map (permanent labels, for zone zoom).
    **kwargs
        Passed to :class:`~geoplots.layers._geojson.GeoJsonLayer`.

    Examples
    --------
    >>> Gaps(cov.units).add_to(m)  # doctest: +SKIP
    """

    def __init__(self, units: gpd.GeoDataFrame, *, name: str | None = None, labels: bool = False, **kwargs):
        if "met" not in units:
            raise GeoplotsError("Gaps need the 'met' column of geoplots.coverage(...).units.")
        prepared = _prepare(units)
        tooltip = _counts_tooltip(prepared)
        # Simplify the whole coverage, then pick the gaps, so their borders match the
        # choropleth's exactly (a subset simplified alone would bend its outer edges).
        light = web_geometry(prepared, [row[0] for row in tooltip], tolerance=kwargs.pop("tolerance", None),
                             precision=kwargs.pop("precision", None))
        missed = light[~prepared["met"].astype("boolean").fillna(False).to_numpy()]
        level = infer_level(units)
        style = {"color": GAP_COLOR, "weight": 3, "dashArray": "6 4", "fillColor": GAP_COLOR,
                 "fillOpacity": 0.25, "opacity": 1.0}
        super().__init__(
            missed,
            styles={"_default": style},
            tooltip=tooltip,
            name=name or f"{THAI_NAME[level]}ที่ยังไม่ถึงเป้า ({len(missed)}) / gaps",
            highlight={"weight": 5},
            simplify=False,
            labels="name_th" if labels else None,
            **kwargs,
        )
        self.missed = len(missed)
