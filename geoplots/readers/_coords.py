"""Coordinates as staff type them: decimals, DMS, hemisphere letters, Thai digits, UTM.

Parsing a cell never raises: it returns ``None`` for what cannot be read. Placing the
parsed numbers (:func:`place`) fixes swapped latitude/longitude and converts UTM
easting/northing (zone 47N/48N) only when the fix puts the point inside Thailand and
the numbers as typed did not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer

from geoplots._prepared import PREPARED_LOCK
from geoplots.boundaries import Boundaries, default_boundaries, resolve_boundaries
from geoplots.errors import NoBoundariesError
from geoplots.readers._text import clean_text, is_blank
from geoplots.records import RowWarning

#: The fallback Thailand test when no boundaries are imported: a generous box.
THAILAND_BOX = (97.3, 5.6, 105.7, 20.5)  # lon min, lat min, lon max, lat max
#: UTM zones that cover Thailand (WGS 84 / UTM zone 47N and 48N).
UTM_ZONES = (47, 48)

_DEG = "°º˚"
_MIN = "'′’‘`"
_SEC = '"″”“'
_ONE = re.compile(
    rf"""^(?P<h1>[NSEW])?
    (?P<sign>[-+−])?
    (?P<deg>\d+(?:\.\d*)?)
    (?:
        [{_DEG}]
        (?:(?P<min>\d+(?:\.\d*)?)[{_MIN}]
            (?:(?P<sec>\d+(?:\.\d*)?)(?:[{_SEC}]|[{_MIN}]{{2}})?)?
        )?
    )?
    (?P<h2>[NSEW])?$""",
    re.VERBOSE | re.IGNORECASE,
)
# Degrees, minutes and seconds separated by spaces (no degree sign: "16 25 30.5",
# "16 25.508", "16 25'30.5\"") as typed when the keyboard has no degree key.
_SPACED = re.compile(
    rf"""^(?P<h1>[NSEW])?\s*(?P<sign>[-+−])?(?P<deg>\d{{1,3}})(?:\s*[{_DEG}]\s*|\s+)
    (?P<min>\d{{1,2}}(?:\.\d+)?)(?:\s*[{_MIN}]\s*|\s+)?
    (?P<sec>\d{{1,2}}(?:\.\d+)?)?\s*(?:[{_SEC}]|[{_MIN}]{{1,2}})?\s*(?P<h2>[NSEW])?$""",
    re.VERBOSE | re.IGNORECASE,
)
_PLAIN = re.compile(r"^[ ]*-?[0-9]{1,3}(?:\.[0-9]+)?[ ]*$|^[ ]*[0-9]{4,8}(?:\.[0-9]+)?[ ]*$")
_THAI_HEMI = {"เหนือ": "N", "ใต้": "S", "ตะวันออก": "E", "ตะวันตก": "W"}


@dataclass
class Parsed:
    """One parsed coordinate: the value, the fixes made, the hemisphere letter seen."""

    value: float | None
    fixes: tuple[str, ...] = ()
    hemisphere: str | None = None


def _tidy(text: str) -> str:
    for word, letter in _THAI_HEMI.items():
        text = text.replace(word, letter)
    # Spaces around DMS marks and before/after hemisphere letters are typing noise.
    text = re.sub(rf"\s*([{_DEG}{_MIN}{_SEC}])\s*", r"\1", text)
    text = re.sub(rf"(?<=[\d.{_DEG}{_MIN}{_SEC}])\s+([NSEWnsew])\b", r"\1", text)
    text = re.sub(r"(?:^|(?<=[\s,;]))([NSEWnsew])\s+(?=[-+]?\d)", r"\1", text)
    return text


def _one(token: str) -> Parsed:
    m = _ONE.match(token)
    if not m:
        return Parsed(None)
    h1, h2 = m.group("h1"), m.group("h2")
    if h1 and h2:
        return Parsed(None)
    hemi = (h1 or h2 or "").upper() or None
    deg = float(m.group("deg"))
    fixes: list[str] = []
    if m.group("min") is not None:
        minutes = float(m.group("min"))
        seconds = float(m.group("sec") or 0)
        if minutes >= 60 or seconds >= 60:
            return Parsed(None)
        deg = deg + minutes / 60 + seconds / 3600
        fixes.append("dms")
    if m.group("sign") in ("-", "−"):
        deg = -deg
    if hemi in ("S", "W"):
        deg = -abs(deg)
    if hemi:
        fixes.append("hemisphere_letter")
    return Parsed(deg, tuple(fixes), hemi)


def _dms_marks(m: re.Match) -> str:
    """Rewrite a space-separated DMS match with the marks :data:`_ONE` reads."""
    text = f"{m.group('h1') or ''}{m.group('sign') or ''}{m.group('deg')}°{m.group('min')}'"
    if m.group("sec"):
        text += f"{m.group('sec')}\""
    return text + (m.group("h2") or "")


def packed_dms_hint(value: float) -> str | None:
    """A hint when ``value`` reads as degrees, minutes and seconds typed without
    separators (``162530`` for 16°25'30"), None otherwise.

    Examples
    --------
    >>> print(packed_dms_hint(162530.5))
    162530.5 looks like 16°25'30.5\" typed without spaces: type 16 25 30.5 or decimal degrees
    >>> packed_dms_hint(1025030) is not None, packed_dms_hint(1815000.0)
    (True, None)
    """
    whole = int(abs(value))
    frac = abs(value) - whole
    if not 10_000 <= whole < 1_000_000_0:
        return None
    deg, minutes, seconds = whole // 10_000, whole // 100 % 100, whole % 100 + frac
    if not (1 <= deg <= 180 and minutes < 60 and seconds < 60) or deg > 110 or 21 < deg < 97:
        return None
    sec = f"{seconds:g}"
    return (f"{value:.12g} looks like {deg}°{minutes:02d}'{sec}\" typed without spaces: "
            f"type {deg} {minutes:02d} {sec} or decimal degrees")


def parse_coordinate(value: Any) -> Parsed:
    """Parse one latitude or longitude cell.

    Reads decimals, degrees-minutes-seconds (``16°25'55.6"N``), hemisphere letters
    before or after the number, Thai digits and stray spaces. A decimal comma
    (``16,4325``) is read when it is the only separator.

    Examples
    --------
    >>> round(parse_coordinate("16°25'55.6\\"N").value, 5)
    16.43211
    >>> parse_coordinate("๑๖.๔๓").value, parse_coordinate("๑๖.๔๓").fixes
    (16.43, ('thai_digits',))
    >>> parse_coordinate("abc").value is None
    True
    """
    if is_blank(value):
        return Parsed(None)
    if isinstance(value, bool):
        return Parsed(None)
    if isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        return Parsed(v if np.isfinite(v) else None)
    if isinstance(value, str) and _PLAIN.match(value):
        return Parsed(float(value))  # the common case, without the clean-up below
    text, thai = clean_text(value)
    text = _tidy(text)
    fixes: tuple[str, ...] = ("thai_digits",) if thai else ()
    if re.fullmatch(r"[-+]?\d+,\d+", text):
        text = text.replace(",", ".")
        fixes += ("decimal_comma",)
    spaced = _SPACED.match(text) if " " in text or "°" in text else None
    if spaced:
        text = _dms_marks(spaced)
    parsed = _one(text.replace(" ", ""))
    if parsed.value is None or not np.isfinite(parsed.value):
        return Parsed(None)
    return Parsed(parsed.value, fixes + parsed.fixes, parsed.hemisphere)


def parse_pair(value: Any) -> tuple[Parsed, Parsed]:
    """Parse a cell holding both coordinates: ``"16.43, 102.83"``, a Kobo/ODK geopoint
    ``"16.43 102.83 170 5"`` (latitude longitude altitude accuracy), ``[16.43, 102.83]``
    or two DMS values.

    Examples
    --------
    >>> lat, lon = parse_pair("16.4321 102.8236 171.2 4.9")
    >>> lat.value, lon.value
    (16.4321, 102.8236)
    """
    if is_blank(value) or not isinstance(value, str):
        return Parsed(None), Parsed(None)
    text, thai = clean_text(value)
    text = _tidy(text.strip("[](){} "))
    tokens = [t for t in re.split(r"[,;/\s]+", text) if t]
    if not 2 <= len(tokens) <= 4:
        return Parsed(None), Parsed(None)
    parsed = [_one(t) for t in tokens]
    if any(p.value is None or not np.isfinite(p.value) for p in parsed):
        return Parsed(None), Parsed(None)
    extra: tuple[str, ...] = ("thai_digits",) if thai else ()
    a, b = parsed[0], parsed[1]
    return Parsed(a.value, extra + a.fixes, a.hemisphere), Parsed(b.value, extra + b.fixes, b.hemisphere)


def parse_zone(value: Any) -> int | None:
    """Read a UTM zone cell such as ``47``, ``47N``, ``48P`` or ``โซน 48``; None if not 47/48."""
    if is_blank(value):
        return None
    text, _ = clean_text(value)
    m = re.search(r"\d+(?:\.0+)?", text)
    if not m:
        return None
    zone = int(float(m.group()))
    return zone if zone in UTM_ZONES else None


# --- Thailand test ---------------------------------------------------------------------


def national_outline(boundaries: Boundaries | None = None) -> shapely.Geometry | None:
    """The outline "in Thailand" means: that of ``boundaries``, else of the default
    import; None (the box is used) when no provinces are imported.
    """
    if boundaries is not None:
        return resolve_boundaries(boundaries).outline
    try:
        return default_boundaries().outline
    except NoBoundariesError:
        return None


def in_thailand(lon: np.ndarray, lat: np.ndarray, *, boundaries: Boundaries | None = None) -> np.ndarray:
    """Test, vectorised, whether each point is in Thailand.

    Uses the imported national outline buffered by about 5 km (so islands and coastal
    plots count) when province boundaries are imported, else the box
    :data:`THAILAND_BOX` (lon 97.3-105.7, lat 5.6-20.5).

    Parameters
    ----------
    lon, lat : array-like
        Degrees (WGS 84).
    boundaries : geoplots.Boundaries, optional
        Whose outline to use; default: the default import, if any.
    """
    return inside(lon, lat, national_outline(boundaries))


def inside(lon: np.ndarray, lat: np.ndarray, outline: shapely.Geometry | None) -> np.ndarray:
    """:func:`in_thailand` with the outline given (None: the box alone)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    x0, y0, x1, y1 = THAILAND_BOX
    result = ok & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
    if outline is not None and result.any():
        idx = np.flatnonzero(result)
        with PREPARED_LOCK:
            result[idx] = shapely.contains_xy(outline, lon[idx], lat[idx])
    return result


# --- placing ---------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _utm_to_wgs84(zone: int) -> Transformer:
    return Transformer.from_crs(f"EPSG:{32600 + zone}", "EPSG:4326", always_xy=True)


def _from_utm(e: np.ndarray, n: np.ndarray, zone: int) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(all="ignore"):
        lon, lat = _utm_to_wgs84(zone).transform(e, n)
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


def _flag_packed_dms(a: np.ndarray, b: np.ndarray, status: np.ndarray) -> dict[int, str]:
    """Rows still outside whose numbers cannot be degrees and read as DMS without
    spaces become ``not_coordinate``, with the hint (row position -> text), so the
    officer fixes the typing instead of looking for the place abroad.
    """
    hints: dict[int, str] = {}
    for i in np.flatnonzero((status == "outside") & ((np.abs(a) > 180) | (np.abs(b) > 180))):
        found = [h for h in (packed_dms_hint(a[i]), packed_dms_hint(b[i])) if h]
        if found:
            status[i] = "not_coordinate"
            hints[int(i)] = "; ".join(found)
    return hints


@dataclass
class Placement:
    """Result of :func:`place` for n rows."""

    lat: np.ndarray
    lon: np.ndarray
    #: "ok", "outside", "ambiguous_zone" or "not_coordinate" (a number that is neither
    #: degrees nor a UTM value in Thailand, such as DMS typed without spaces)
    status: np.ndarray
    #: the warnings of each row
    warnings: list[list[RowWarning]]
    #: why a "not_coordinate" row could not be a coordinate (row position -> hint)
    hints: dict[int, str] = field(default_factory=dict)


def place(
    a: np.ndarray, b: np.ndarray, zone: list[int | None] | None = None, *, outline: shapely.Geometry | None = None
) -> Placement:
    """Turn typed (latitude-column, longitude-column) numbers into WGS84 points in Thailand.

    Degrees are taken as typed when inside Thailand, else swapped if the swap is inside.
    Numbers too large for degrees are UTM northing/easting: the row's zone when given,
    else zone 47 and 48 are both tried and used only when exactly one lands in Thailand
    (easting and northing typed the other way round are tried too). "In Thailand" is
    ``outline`` (:attr:`geoplots.Boundaries.outline`), or the box :data:`THAILAND_BOX`
    when it is None.

    Examples
    --------
    >>> p = place(np.array([102.8]), np.array([16.4]))
    >>> float(p.lat[0]), float(p.lon[0]), p.warnings[0][0].code
    (16.4, 102.8, 'swapped_lat_lon')
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n = len(a)
    zones = list(zone) if zone is not None else [None] * n
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    status = np.full(n, "outside", dtype=object)
    warnings: list[list[RowWarning]] = [[] for _ in range(n)]

    finite = np.isfinite(a) & np.isfinite(b)
    degrees = finite & (np.abs(a) <= 180) & (np.abs(b) <= 180)
    as_typed = degrees & inside(b, a, outline)
    lat[as_typed], lon[as_typed] = a[as_typed], b[as_typed]
    status[as_typed] = "ok"
    swapped = degrees & ~as_typed & inside(a, b, outline)
    lat[swapped], lon[swapped] = b[swapped], a[swapped]
    status[swapped] = "ok"
    for i in map(int, np.flatnonzero(swapped)):
        warnings[i].append(RowWarning("swapped_lat_lon", f"{a[i]:g}, {b[i]:g} -> {b[i]:g}, {a[i]:g}"))

    utm = finite & ~degrees & (a > 0) & (b > 0)
    if utm.any():
        idx = np.flatnonzero(utm)
        # Each candidate: (zone, northing array, easting array, swapped?)
        hits: dict[int, list[tuple[int, bool, float, float]]] = {int(i): [] for i in idx}
        for z in UTM_ZONES:
            for swap in (False, True):
                north, east = (b[idx], a[idx]) if swap else (a[idx], b[idx])
                la, lo = _from_utm(east, north, z)
                hit = inside(lo, la, outline)
                for j in np.flatnonzero(hit):
                    hits[int(idx[j])].append((z, swap, float(la[j]), float(lo[j])))
        for i, found in hits.items():
            given = zones[i]
            if given is not None:
                found = [h for h in found if h[0] == given]
            # Prefer the columns as typed over swapped easting/northing.
            unswapped = [h for h in found if not h[1]]
            found = unswapped or found
            if len(found) == 1:
                z, swap, hit_lat, hit_lon = found[0]
                lat[i], lon[i] = hit_lat, hit_lon
                status[i] = "ok"
                how = f"zone {z}" + (" (from the zone column)" if given is not None else " (inferred)")
                east, north = (a[i], b[i]) if swap else (b[i], a[i])
                warnings[i].append(RowWarning("utm_converted", f"{how} E {east:.0f} N {north:.0f}"))
                if swap:
                    warnings[i].append(RowWarning("swapped_easting_northing"))
            elif len(found) > 1:
                status[i] = "ambiguous_zone"
    hints = _flag_packed_dms(a, b, status)
    return Placement(lat, lon, status, warnings, hints)
