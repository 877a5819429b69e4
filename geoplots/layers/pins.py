"""Field-record pins (หมุด) in clusters, and the household heat map."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from urllib.parse import urlparse

import folium
import geopandas as gpd
import pandas as pd
from folium.elements import JSCSSMixin
from folium.map import Layer
from folium.plugins import HeatMap, MarkerCluster

from geoplots.errors import GeoplotsError
from geoplots.layers._templates import template
from geoplots.layers.palette import MATCH_COLORS, MISMATCH_COLOR, UNLOCATED_COLOR
from geoplots.records import Records


#: Above this many pins, clusters and markers are built in the browser (CompactPins).
FAST_THRESHOLD = 2000

_MATCH_TH = {"inside": "อยู่ในเขต (inside)", "nearest": "ใกล้เขตที่สุด (nearest)", "address": "จากที่อยู่ (address)"}

_ROWS: list[tuple[str, str]] = [
    ("subdistrict_name", "ตำบล / sub-district"),
    ("district_name", "อำเภอ / district"),
    ("province_name", "จังหวัด / province"),
    ("subdistrict_code", "ตำบล / sub-district"),
    ("district_code", "อำเภอ / district"),
    ("province_code", "จังหวัด / province"),
    ("inspection_zone", "เขตตรวจ / zone"),
    ("match_th", "ระบุตำแหน่ง / match"),
    ("distance_m", "ระยะ (ม.) / distance m"),
]


def _frame(records: Records | gpd.GeoDataFrame) -> pd.DataFrame:
    frame = records.accepted if isinstance(records, Records) else records
    if not {"lat", "lon"} <= set(frame.columns):
        if isinstance(frame, gpd.GeoDataFrame) and frame.geometry is not None:
            pts = frame.geometry.representative_point()
            frame = frame.assign(lat=pts.y, lon=pts.x)
        else:
            raise GeoplotsError("Pins need 'lat' and 'lon' columns (read the file with geoplots.read_records).")
    return frame


def _drawable(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    lat = pd.to_numeric(frame["lat"], errors="coerce")
    lon = pd.to_numeric(frame["lon"], errors="coerce")
    ok = lat.notna() & lon.notna()
    if not ok.all():
        # Households placed by address alone have no point; say so rather than drop quietly.
        warnings.warn(f"{int((~ok).sum())} of {len(frame)} {what} have no coordinates and are not drawn.",
                      stacklevel=3)
    return frame[ok].assign(lat=lat[ok].astype(float), lon=lon[ok].astype(float))


#: What a browser strips from both ends of a link (WHATWG URL: C0 controls and space) and
#: removes anywhere (tab, newline): stripped here first, so the scheme checked is the one used.
_URL_EDGES = "".join(map(chr, range(0x21)))
_URL_INSIDE = str.maketrans("", "", "\t\n\r")


def _safe_photo(value) -> str | None:
    """Return a photo link that is a web address or a relative path, else None.

    Examples
    --------
    >>> _safe_photo("https://example.org/p.jpg"), _safe_photo(" \\x01javascript:alert(1)")
    ('https://example.org/p.jpg', None)
    """
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip(_URL_EDGES).translate(_URL_INSIDE)
    if not text or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        return None
    scheme = urlparse(text).scheme.lower()
    # Only web links and relative paths: never javascript:, data: or file: from a spreadsheet cell.
    return text if scheme in ("http", "https", "") else None


_PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")


def _photo_thumb(value) -> str | None:
    """Return the thumbnail address of a record's first stored photo (``photo_ids``: a list,
    or its JSON text), or None; ids that are not what the server makes are ignored.

    Examples
    --------
    >>> _photo_thumb(["0123456789abcdef0123456789abcdef"]), _photo_thumb('["../x"]')
    ('/photos/0123456789abcdef0123456789abcdef/thumb', None)
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, (list, tuple)) or not value:
        return None
    first = str(value[0])
    return f"/photos/{first}/thumb" if _PHOTO_ID.match(first) else None


def _value(row: dict, col: str):
    v = row.get(col)
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if col == "distance_m":
        return f"{float(v):,.0f}"
    return v


#: Columns that name a record, first found wins (``village_name`` from model villages).
NAME_COLUMNS: tuple[str, ...] = ("name", "village_name", "plot_name", "household_name")


#: folium puts a popup's HTML inside a JavaScript template literal (`...`), where ` ends it,
#: ${ runs code and \\ escapes; as HTML character references they show the same and do nothing.
_TEMPLATE_LITERAL = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def popup_html(row: dict) -> str:
    """Return the popup of one located record (rendered from ``pin_popup.html``).

    Shows the name (first of :data:`NAME_COLUMNS`, else the record ID), the located
    codes, how it was located, the address-mismatch flag with the declared
    sub-district, and the photo (link and thumbnail) when ``photo_url`` has one.

    Examples
    --------
    >>> "บ้านโนน" in popup_html({"name": "บ้านโนน", "lat": 16.4, "lon": 102.8})
    True
    """
    data = dict(row)
    data["match_th"] = _MATCH_TH.get(str(data.get("match")), data.get("match"))
    rows = [(label, _value(data, col)) for col, label in _ROWS]
    rid = _value(data, "record_id")
    name = next((_value(data, c) for c in NAME_COLUMNS if _value(data, c) is not None), None)
    mismatch = bool(_value(data, "address_mismatch") or False)
    html = template("pin_popup.html").render(
        title=str(name if name is not None else (rid if rid is not None else f"row {data.get('row', '')}")),
        record_id=None if rid is None else str(rid),
        rows=[(label, value) for label, value in rows if value is not None],
        mismatch=mismatch,
        declared=_value(data, "declared_subdistrict_code"),
        photo=_safe_photo(data.get("photo_url")) or _photo_thumb(data.get("photo_ids")),
    )
    return html.translate(_TEMPLATE_LITERAL)


def _color(match) -> str:
    return MATCH_COLORS.get(str(match), UNLOCATED_COLOR)


class CompactPins(JSCSSMixin, Layer):
    """Many pins sent as columns; clusters, markers and popups are built in the browser.

    ``lat``/``lon`` (5 decimals, about 1 m) and, per pin, indices into small tables of
    repeated values (names, places, match kinds, photos): a zone of 7,000 village pins
    is a few hundred kB instead of 1.9 kB of popup HTML per pin. The pins are clustered
    with supercluster (shipped in the package), and only the clusters and pins in view
    become Leaflet markers: 65,213 village pins draw nationally in about a second, where
    Leaflet.markercluster needed a marker object per pin and seconds of clustering. Each
    popup is built when it opens, with ``textContent`` only (record text never becomes HTML).
    """

    _template = template("compact_pins.js")
    default_js = [("supercluster", "https://cdn.jsdelivr.net/npm/supercluster@8.0.1/dist/supercluster.min.js")]
    default_css = [
        ("markerclustercss", "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css"),
        ("markerclusterdefaultcss",
         "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css"),
    ]

    def __init__(self, columns: dict, *, name: str, show: bool = True):
        super().__init__(name=name, overlay=True, show=show)
        self._name = "CompactPins"
        # Cluster radius in pixels of 256-px tiles, as Leaflet.markercluster's 80; clusters
        # from the country view (zoom 4) to zoom 12; from 13 on (a view of about 50 km,
        # a hundred or so villages) every pin is drawn. Each level clustered costs time
        # when the page opens, the levels nearest the street most.
        self.options = {"radius": 80, "extent": 256, "minZoom": 4, "maxZoom": 12}
        self.columns = columns
        self.mismatch_color = MISMATCH_COLOR
        self.unlocated_color = UNLOCATED_COLOR


def _table(values: pd.Series) -> tuple[list, list[int]]:
    """Distinct non-missing values and, per row, the index of its value (-1 when missing)."""
    codes, uniques = pd.factorize(values.astype("object").where(values.notna(), None), use_na_sentinel=True)
    return [str(v) for v in uniques], codes.tolist()


def _column(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col] if col in frame else pd.Series([None] * len(frame), index=frame.index, dtype="object")


def _compact_columns(frame: pd.DataFrame, places: Mapping[str, tuple] | None) -> dict:
    """The columns :class:`CompactPins` draws (see its template, ``compact_pins.js``)."""
    names = pd.Series([None] * len(frame), index=frame.index, dtype="object")
    for col in reversed(NAME_COLUMNS):  # the first name column found wins
        if col in frame:
            names = frame[col].astype("object").where(frame[col].notna(), names)
    name_table, name_idx = _table(names)
    code_table, place_idx = _table(_column(frame, "subdistrict_code").astype("object"))
    zone = _column(frame, "inspection_zone")
    zones = dict(zip(_column(frame, "subdistrict_code").astype(str), zone.astype(str).where(zone.notna(), "")))
    places = places or {}
    place_table = [[c, *places.get(c, ("", "", "")), zones.get(c, "")] for c in code_table]
    match_keys = list(MATCH_COLORS)
    match = _column(frame, "match").astype(str)
    flags = _column(frame, "address_mismatch").astype("boolean").fillna(False).astype(int)
    cols = {
        "lat": frame["lat"].round(5).tolist(), "lon": frame["lon"].round(5).tolist(),
        "names": name_table, "name": name_idx, "places": place_table, "place": place_idx,
        "matches": [[_MATCH_TH[k], MATCH_COLORS[k]] for k in match_keys],
        "match": [match_keys.index(m) if m in MATCH_COLORS else -1 for m in match],
        "flag": flags.tolist(),
    }
    return cols | _optional_columns(frame, flags, code_table)


def _optional_columns(frame: pd.DataFrame, flags: pd.Series, code_table: list[str]) -> dict:
    out: dict = {}
    if "record_id" in frame and frame["record_id"].notna().any():
        out["rid"] = [None if pd.isna(v) else str(v) for v in frame["record_id"]]
    if "distance_m" in frame:
        dist = pd.to_numeric(frame["distance_m"], errors="coerce")
        if (dist.fillna(0) > 0).any():
            out["dist"] = [None if pd.isna(v) else int(round(v)) for v in dist]
    if "declared_subdistrict_code" in frame and flags.any():
        declared = frame["declared_subdistrict_code"].astype("object").where(flags.astype(bool), None)
        out["codes"], out["declared"] = _table(declared)
    if "photo_url" in frame:
        safe = frame["photo_url"].map(_safe_photo)
        if safe.notna().any():
            out["photos"], out["photo"] = _table(safe)
    if "photo_ids" in frame:  # photos sent with the record (the report page): a thumbnail
        thumbs = frame["photo_ids"].map(_photo_thumb)
        if thumbs.notna().any():
            out["thumbs"], out["thumb"] = _table(thumbs)
    return out


def pins(
    records: Records | gpd.GeoDataFrame,
    *,
    name: str | None = None,
    fast: bool | None = None,
    show: bool = True,
    places: Mapping[str, tuple[str, str, str]] | None = None,
) -> MarkerCluster | CompactPins:
    """Return located records as clustered pins with popups.

    Each pin is coloured by how it was located (blue inside a unit, orange snapped to
    the nearest, purple placed from the address) and ringed red when the typed
    address names another sub-district (``address_mismatch``). The popup shows the
    name or ID, codes, match, the mismatch flag, and a photo link and thumbnail when
    the record has a ``photo_url``.

    Parameters
    ----------
    records : Records or GeoDataFrame
        Located records (``geoplots.locate``): ``lat``, ``lon``, codes, ``match``,
        ``address_mismatch``, ``record_id``; optional ``name``, ``photo_url``.
    name : str, optional
        Name in the layer control.
    fast : bool, optional
        Build clusters, markers and popups in the browser (:class:`CompactPins`);
        default above :data:`FAST_THRESHOLD` pins.
    show : bool
    places : mapping, optional
        Sub-district code -> (ตำบล, อำเภอ, จังหวัด) names, shown in the compact popups
        (``geoplots.map`` passes them from the boundaries).

    Returns
    -------
    MarkerCluster or CompactPins
        Add it to a map with ``.add_to(m)``.

    Examples
    --------
    >>> located = geoplots.locate(geoplots.read_records("pins.xlsx"))  # doctest: +SKIP
    >>> pins(located).add_to(m)  # doctest: +SKIP
    """
    frame = _drawable(_frame(records), "records")
    if fast is None:
        fast = len(frame) > FAST_THRESHOLD
    label = name or f"หมุดแปลง / pins ({len(frame):,})"
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    layer: MarkerCluster | CompactPins
    if fast:
        layer = CompactPins(_compact_columns(frame, places), name=label, show=show)
    else:
        records_ = frame.to_dict("records")
        for r in records_:  # place names (ตำบล, อำเภอ, จังหวัด) beside the codes
            names = (places or {}).get(str(r.get("subdistrict_code")))
            if names:
                r.update(zip(("subdistrict_name", "district_name", "province_name"), names))
        layer = MarkerCluster(name=label, show=show)
        for r in records_:
            mismatch = bool(_value(r, "address_mismatch") or False)
            folium.CircleMarker(
                location=[r["lat"], r["lon"]],
                radius=6,
                fill=True,
                fill_color=_color(r.get("match")),
                fill_opacity=0.9,
                color=MISMATCH_COLOR if mismatch else "#ffffff",
                weight=3 if mismatch else 1,
                popup=folium.Popup(popup_html(r), max_width=300),
            ).add_to(layer)
    setattr(layer, "pin_count", len(frame))  # noqa: B010 - folium's layers declare no such attribute
    return layer


def household_heat(
    records: Records | gpd.GeoDataFrame,
    weight: str | None = None,
    *,
    name: str | None = None,
    radius: int = 12,
    show: bool = True,
) -> HeatMap:
    """Return a heat map of households (ครัวเรือน) — where they are, or where they take part.

    Parameters
    ----------
    records : Records or GeoDataFrame
        Household records with ``lat``/``lon``; those placed by address only have
        no point and are reported in a warning, not drawn.
    weight : str, optional
        A boolean or numeric column (e.g. ``has_garden``): only its weight counts.
    name : str, optional
    radius : int
        Heat radius in pixels.

    Examples
    --------
    >>> household_heat(households, weight="has_garden").add_to(m)  # doctest: +SKIP
    """
    frame = _drawable(_frame(records), "households")
    cols = ["lat", "lon"]
    if weight is not None:
        if weight not in frame:
            raise GeoplotsError(f"No column {weight!r} to weight the heat map; columns: {', '.join(map(str, frame.columns))}.")
        w = pd.to_numeric(frame[weight].astype("Float64"), errors="coerce").fillna(0.0)
        frame = frame.assign(_w=w.astype(float))
        frame = frame[frame["_w"] > 0]
        cols.append("_w")
    data = frame[cols].round(5).to_numpy().tolist()
    label = name or f"ความหนาแน่นครัวเรือน / households heat ({len(frame):,})"
    layer = HeatMap(data, name=label, radius=radius, show=show, min_opacity=0.3)
    setattr(layer, "point_count", len(frame))  # noqa: B010 - folium's HeatMap declares no such attribute
    return layer
