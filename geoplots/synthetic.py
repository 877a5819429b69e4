"""Realistic synthetic field records on the real boundaries.

Tests, benchmarks, the notebook and ``geoplots demo`` all need records that look like
what district offices send: pins inside real sub-districts (ตำบล), model villages
(โก่งธนูโมเดล) in most but not all districts of a zone, kitchen-garden households
(ปลูกผักสวนครัว) whose participation is spread across the KPI tiers, demonstration
plots (โคก หนอง นา) drawn as small polygons. Every builder here samples inside the
imported boundaries and records the sub-district each record was drawn in
(``subdistrict_code``), so a test can compare what :func:`geoplots.locate` finds with
the truth without hard-coding anything.

All builders are vectorised (numpy + shapely 2 ufuncs): a million points take a few
seconds, and :func:`iter_sample_points` yields the 12.8 million households of the
national survey (จปฐ.) in bounded-memory chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.errors import GeoplotsError
from geoplots.groups import inspection_zones

__all__ = [
    "border_points",
    "enrolled_subdistricts",
    "households",
    "iter_sample_points",
    "model_villages",
    "plots",
    "sample_points",
]

#: Rough size of one degree of latitude, in metres (used for small offsets only).
_M_PER_DEG = 111_320.0

_VILLAGE_HEADS = ["โนน", "หนอง", "ดอน", "นา", "สระ", "โคก", "ท่า", "หัว", "ป่า", "ห้วย", "บึง", "กุด"]
_VILLAGE_TAILS = ["ใหญ่", "น้อย", "แดง", "ทอง", "คำ", "ใหม่", "เก่า", "สว่าง", "ไผ่", "แก", "บัว", "จาน"]


def _subdistricts(codes: Sequence[str] | None, boundaries: Boundaries | None) -> gpd.GeoDataFrame:
    frame = resolve_boundaries(boundaries).level("subdistrict")
    if codes is None:
        return frame.reset_index(drop=True)
    wanted = pd.Series(list(codes), dtype="string").str.strip()
    # A prefix selects every sub-district inside: "40" is Khon Kaen, "4001" Mueang Khon Kaen.
    mask = np.zeros(len(frame), dtype=bool)
    for prefix in wanted.unique():
        mask |= frame["code"].str.startswith(prefix).to_numpy()
    if not mask.any():
        raise GeoplotsError(
            f"None of the codes {', '.join(wanted[:5])} matches a sub-district in the imported "
            "boundaries. Give province (2-digit), district (4) or sub-district (6) codes."
        )
    return frame[mask].reset_index(drop=True)


def _zone_prefixes(zones: Sequence[str | int] | None) -> list[str] | None:
    if zones is None:
        return None
    scheme = inspection_zones()
    prefixes: list[str] = []
    for zone in zones:
        codes = scheme.codes_in(str(zone))
        if not codes:
            raise GeoplotsError(
                f"Inspection zone {zone!r} does not exist. Zones are 1-18 and 'central' (Bangkok)."
            )
        prefixes += codes
    return prefixes


def _points_in(geoms: np.ndarray, which: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return one uniform random point inside ``geoms[which[i]]`` for every i.

    Rejection sampling in each polygon's bounding box, all points at once; only the
    points that fell outside are drawn again, so the loop shrinks geometrically.
    """
    n = len(which)
    x = np.empty(n)
    y = np.empty(n)
    bounds = shapely.bounds(geoms)
    # Visiting the points polygon by polygon keeps GEOS's edge index in cache (3-4x faster).
    pending = np.argsort(which, kind="stable")
    for _ in range(2000):
        if not pending.size:
            break
        b = bounds[which[pending]]
        px = b[:, 0] + rng.random(pending.size) * (b[:, 2] - b[:, 0])
        py = b[:, 1] + rng.random(pending.size) * (b[:, 3] - b[:, 1])
        ok = shapely.contains_xy(geoms[which[pending]], px, py)
        x[pending[ok]] = px[ok]
        y[pending[ok]] = py[ok]
        pending = pending[~ok]
    if pending.size:  # pathological slivers only: fall back to a guaranteed interior point
        inner = shapely.point_on_surface(geoms[which[pending]])
        x[pending] = shapely.get_x(inner)
        y[pending] = shapely.get_y(inner)
    return x, y


def _weights(units: gpd.GeoDataFrame, weight: str) -> np.ndarray | None:
    if weight == "unit":
        return None
    if weight == "area":
        # Degrees² shrink with cos(latitude); good enough to weight by area inside Thailand.
        lat = shapely.get_y(shapely.centroid(units.geometry.values))
        area = shapely.area(units.geometry.values) * np.cos(np.radians(lat))
        return area / area.sum()
    raise GeoplotsError(f"weight must be 'unit' or 'area', not {weight!r}.")


def _frame(x: np.ndarray, y: np.ndarray, codes: np.ndarray, first_id: int = 1, prefix: str = "P") -> gpd.GeoDataFrame:
    ids = np.char.add(prefix + "-", np.char.zfill(np.arange(first_id, first_id + len(x)).astype(str), 7))
    return gpd.GeoDataFrame(
        {
            "record_id": pd.array(ids, dtype="string"),
            "lat": y,
            "lon": x,
            "subdistrict_code": pd.array(codes, dtype="string"),
        },
        geometry=shapely.points(x, y),
        crs="EPSG:4326",
    )


def sample_points(
    n: int,
    *,
    codes: Sequence[str] | None = None,
    seed: int = 0,
    boundaries: Boundaries | None = None,
    weight: Literal["unit", "area"] = "unit",
    first_id: int = 1,
) -> gpd.GeoDataFrame:
    """Return ``n`` points drawn uniformly inside real sub-districts (ตำบล).

    Each point first picks a sub-district (each equally likely with ``weight="unit"``,
    as villages and households are spread by unit; by area with ``weight="area"``),
    then a uniform position inside that sub-district's polygon.

    Parameters
    ----------
    n : int
        Number of points.
    codes : sequence of str, optional
        Restrict to sub-districts whose code starts with one of these (province ``"40"``,
        district ``"4001"`` or sub-district ``"400101"`` codes). Default: all 7,425.
    seed : int
        Random seed; the same seed gives the same points.
    boundaries : geoplots.Boundaries, optional
        The imported snapshot to sample in (default: the default import).
    weight : {"unit", "area"}
        How sub-districts are chosen.
    first_id : int
        Number of the first ``record_id`` (useful when building chunks).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 points with ``record_id`` (``P-0000001``...), ``lat``, ``lon`` and
        ``subdistrict_code``: the sub-district the point was drawn in (the truth).

    Examples
    --------
    >>> pins = sample_points(1000, codes=["40"], seed=1)  # doctest: +SKIP
    >>> pins["subdistrict_code"].str[:2].unique().tolist()  # doctest: +SKIP
    ['40']
    """
    if n < 0:
        raise GeoplotsError(f"Number of points must be 0 or more, not {n}.")
    units = _subdistricts(codes, boundaries)
    return _sample_from(units, n, np.random.default_rng(seed), weight, first_id)


def _sample_from(
    units: gpd.GeoDataFrame, n: int, rng: np.random.Generator, weight: str = "unit", first_id: int = 1
) -> gpd.GeoDataFrame:
    geoms = np.asarray(units.geometry.values)
    shapely.prepare(geoms)
    which = rng.choice(len(units), size=n, p=_weights(units, weight))
    x, y = _points_in(geoms, which, rng)
    return _frame(x, y, units["code"].to_numpy()[which], first_id=first_id)


def iter_sample_points(
    n: int,
    *,
    chunk_size: int = 1_000_000,
    codes: Sequence[str] | None = None,
    seed: int = 0,
    boundaries: Boundaries | None = None,
    weight: Literal["unit", "area"] = "unit",
) -> Iterator[gpd.GeoDataFrame]:
    """Yield :func:`sample_points` in chunks, for sizes that should not sit in memory at once.

    The national household survey (จปฐ.) has about 12.8 million households; this yields
    them ``chunk_size`` at a time with consecutive ``record_id`` numbers.

    Examples
    --------
    >>> sum(len(c) for c in iter_sample_points(2_500, chunk_size=1_000))  # doctest: +SKIP
    2500
    """
    units = _subdistricts(codes, boundaries)
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        size = min(chunk_size, n - done)
        yield _sample_from(units, size, rng, weight, first_id=done + 1)
        done += size


def border_points(
    n: int,
    *,
    max_offset_m: float = 50.0,
    codes: Sequence[str] | None = None,
    seed: int = 0,
    boundaries: Boundaries | None = None,
) -> gpd.GeoDataFrame:
    """Return points within ``max_offset_m`` of sub-district boundaries.

    The hard cases for any point-in-polygon lookup: points on either side of a shared
    border, and (on coastlines) points just outside every polygon. No truth column is
    given; compare against a plain spatial join instead.

    Examples
    --------
    >>> pts = border_points(500, codes=["40"])  # doctest: +SKIP
    """
    units = _subdistricts(codes, boundaries)
    rng = np.random.default_rng(seed)
    rings = shapely.boundary(np.asarray(units.geometry.values))
    which = rng.integers(0, len(units), size=n)
    along = shapely.line_interpolate_point(rings[which], rng.random(n), normalized=True)
    angle = rng.random(n) * 2 * np.pi
    dist = rng.random(n) * max_offset_m / _M_PER_DEG
    x = shapely.get_x(along) + dist * np.cos(angle)
    y = shapely.get_y(along) + dist * np.sin(angle)
    frame = _frame(x, y, units["code"].to_numpy()[which], prefix="B")
    return frame.rename(columns={"subdistrict_code": "near_subdistrict_code"})


def model_villages(
    zones: Sequence[str | int] | None = ("12",),
    *,
    share: float = 0.85,
    extra: float = 0.3,
    mismatch: float = 0.03,
    seed: int = 0,
    boundaries: Boundaries | None = None,
) -> gpd.GeoDataFrame:
    """Return model-village (โก่งธนูโมเดล) pins in most but not all districts of ``zones``.

    A share of the districts (อำเภอ) gets one village, some of those a second one, the
    rest none, so the coverage rule "at least one per district" has real gaps to show.

    Parameters
    ----------
    zones : sequence, optional
        Inspection zones (เขตตรวจราชการ), e.g. ``("12", "13")``; None for the whole country.
    share : float
        Share of districts with at least one village (0-1).
    extra : float
        Share of those that get a second village.
    mismatch : float
        Share of pins whose declared sub-district (``declared_subdistrict_code``) is a
        different sub-district of the same district: the pins inspectors must check.
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``record_id`` (``MV-…``), ``village_name`` (บ้าน…), ``lat``, ``lon``,
        ``subdistrict_code`` (truth), ``declared_subdistrict_code``, ``district_code``,
        ``province_code``, geometry.

    Examples
    --------
    >>> villages = model_villages(["12"], share=0.8)  # doctest: +SKIP
    """
    units = _subdistricts(_zone_prefixes(zones), boundaries)
    rng = np.random.default_rng(seed)
    districts = np.array(sorted(units["district_code"].unique()))
    chosen = districts[rng.random(len(districts)) < share]
    chosen = np.concatenate([chosen, chosen[rng.random(len(chosen)) < extra]])
    by_district = units.groupby("district_code").indices
    # One sub-district of each chosen district, picked uniformly.
    rows = np.array([rng.choice(by_district[d]) for d in chosen], dtype=int)
    geoms = np.asarray(units.geometry.values)
    shapely.prepare(geoms)
    x, y = _points_in(geoms, rows, rng)
    frame = _frame(x, y, units["code"].to_numpy()[rows], prefix="MV")
    declared = frame["subdistrict_code"].to_numpy(dtype=object).copy()
    for i in np.flatnonzero(rng.random(len(frame)) < mismatch):
        siblings = units["code"].to_numpy()[by_district[chosen[i]]]
        others = siblings[siblings != declared[i]]
        if len(others):
            declared[i] = rng.choice(others)
    names = [
        "บ้าน" + _VILLAGE_HEADS[a] + _VILLAGE_TAILS[b]
        for a, b in zip(rng.integers(0, len(_VILLAGE_HEADS), len(frame)), rng.integers(0, len(_VILLAGE_TAILS), len(frame)))
    ]
    frame.insert(1, "village_name", pd.array(names, dtype="string"))
    frame["declared_subdistrict_code"] = pd.array(declared, dtype="string")
    frame["district_code"] = frame["subdistrict_code"].str[:4]
    frame["province_code"] = frame["subdistrict_code"].str[:2]
    return frame.sort_values("subdistrict_code", kind="stable").reset_index(drop=True)


#: Participation rates that land in each KPI tier (not passed, 70, 80, 90 per cent).
_TIER_RATES = ((0.35, 0.69), (0.70, 0.79), (0.80, 0.89), (0.90, 1.0))


def households(
    zones: Sequence[str | int] | None = ("12",),
    *,
    level: Literal["district", "subdistrict"] = "district",
    per_unit: tuple[int, int] = (20, 60),
    column: str = "has_garden",
    address_only: float = 0.05,
    seed: int = 0,
    boundaries: Boundaries | None = None,
) -> gpd.GeoDataFrame:
    """Return surveyed households with a yes/no participation column spread across tiers.

    Each unit of ``level`` in the zones gets a random number of households and a target
    participation rate drawn from one of the four tiers (below 70% not passed, 70%
    ผ่านเกณฑ์, 80% ชมเชย, 90% โล่), so a coverage map shows every colour.

    Parameters
    ----------
    zones : sequence, optional
        Inspection zones; None for the whole country (large!).
    level : {"district", "subdistrict"}
        Unit whose participation rate is set.
    per_unit : (int, int)
        Range of households per unit (inclusive).
    column : str
        Name of the boolean participation column (e.g. ``has_garden`` ปลูกผักสวนครัว).
    address_only : float
        Share of households without coordinates (geometry None, ``lat``/``lon`` NaN),
        placed only by ``declared_subdistrict_code``, as in the household survey.
    seed : int
        Random seed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``record_id`` (``HH-…``), ``lat``, ``lon``, ``subdistrict_code`` (truth),
        ``declared_subdistrict_code``, ``column`` (bool), ``target_tier`` (the tier the
        unit's rate was drawn from: ``not_passed``, ``passed``, ``commendation``,
        ``plaque``), geometry.

    Examples
    --------
    >>> hh = households(["12"], per_unit=(10, 20))  # doctest: +SKIP
    >>> hh["has_garden"].dtype  # doctest: +SKIP
    dtype('bool')
    """
    units = _subdistricts(_zone_prefixes(zones), boundaries)
    rng = np.random.default_rng(seed)
    key = units["district_code"] if level == "district" else units["code"]
    unit_codes = np.array(sorted(key.unique()))
    counts = rng.integers(per_unit[0], per_unit[1] + 1, size=len(unit_codes))
    tiers = rng.integers(0, 4, size=len(unit_codes))
    lo, hi = np.array(_TIER_RATES).T
    rates = lo[tiers] + rng.random(len(unit_codes)) * (hi[tiers] - lo[tiers])
    by_unit = pd.Series(np.arange(len(units))).groupby(key.to_numpy()).apply(np.asarray)
    rows = np.concatenate([rng.choice(by_unit[u], size=c) for u, c in zip(unit_codes, counts)])
    unit_of = np.repeat(np.arange(len(unit_codes)), counts)
    # Exactly round(rate * count) participating households per unit, so the unit's rate
    # lands in its tier instead of drifting by sampling noise.
    yes = np.zeros(len(rows), dtype=bool)
    start = 0
    for u, c in enumerate(counts):
        k = int(round(rates[u] * c))
        yes[start + rng.choice(c, size=k, replace=False)] = True
        start += c
    geoms = np.asarray(units.geometry.values)
    shapely.prepare(geoms)
    x, y = _points_in(geoms, rows, rng)
    frame = _frame(x, y, units["code"].to_numpy()[rows], prefix="HH")
    frame["declared_subdistrict_code"] = frame["subdistrict_code"]
    frame[column] = yes
    names = np.array(["not_passed", "passed", "commendation", "plaque"])
    frame["target_tier"] = pd.array(names[tiers[unit_of]], dtype="string")
    no_coords = rng.random(len(frame)) < address_only
    frame.loc[no_coords, ["lat", "lon"]] = np.nan
    frame.loc[no_coords, "geometry"] = None
    return frame


def plots(
    n: int,
    *,
    codes: Sequence[str] | None = None,
    rai: tuple[float, float] = (1.0, 15.0),
    seed: int = 0,
    boundaries: Boundaries | None = None,
) -> gpd.GeoDataFrame:
    """Return demonstration plots (โคก หนอง นา) as small polygons inside sub-districts.

    Each plot is a rotated rectangle of ``rai`` (1 rai = 1,600 m²) around a sampled
    point, shrunk until it lies inside its sub-district.

    Returns
    -------
    geopandas.GeoDataFrame
        ``record_id`` (``PL-…``), ``lat``/``lon`` (a representative point inside the
        plot), ``subdistrict_code`` (truth), ``area_rai_drawn``, polygon geometry.

    Examples
    --------
    >>> farm = plots(50, codes=["40"])  # doctest: +SKIP
    """
    points = sample_points(n, codes=codes, seed=seed, boundaries=boundaries)
    rng = np.random.default_rng(seed + 1)
    area_m2 = (rai[0] + rng.random(n) * (rai[1] - rai[0])) * 1600.0
    ratio = 0.5 + rng.random(n)
    half_w = np.sqrt(area_m2 * ratio) / 2
    half_h = np.sqrt(area_m2 / ratio) / 2
    theta = rng.random(n) * np.pi
    units = resolve_boundaries(boundaries).level("subdistrict").set_index("code").geometry
    container = np.asarray(units.loc[points["subdistrict_code"].to_numpy()].values)
    shapely.prepare(container)
    cx = points["lon"].to_numpy()
    cy = points["lat"].to_numpy()
    polys = np.empty(n, dtype=object)
    pending = np.arange(n)
    scale = np.ones(n)
    for _ in range(8):
        if not pending.size:
            break
        polys[pending] = _rectangles(cx[pending], cy[pending], half_w[pending] * scale[pending],
                                     half_h[pending] * scale[pending], theta[pending])
        inside = shapely.contains(container[pending], polys[pending])
        scale[pending[~inside]] *= 0.5
        pending = pending[~inside]
    # Whatever still sticks out is clipped to its sub-district.
    if pending.size:
        polys[pending] = shapely.intersection(polys[pending], container[pending])
    rep = shapely.point_on_surface(polys)
    frame = points.drop(columns="geometry").assign(
        record_id=points["record_id"].str.replace("P-", "PL-", regex=False),
        lat=shapely.get_y(rep),
        lon=shapely.get_x(rep),
        area_rai_drawn=np.round(area_m2 * scale**2 / 1600.0, 2),
    )
    return gpd.GeoDataFrame(frame, geometry=polys, crs="EPSG:4326")


def _rectangles(cx, cy, half_w_m, half_h_m, theta) -> np.ndarray:
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=float)
    dx = corners[None, :, 0] * half_w_m[:, None]
    dy = corners[None, :, 1] * half_h_m[:, None]
    rx = dx * np.cos(theta)[:, None] - dy * np.sin(theta)[:, None]
    ry = dx * np.sin(theta)[:, None] + dy * np.cos(theta)[:, None]
    lon = cx[:, None] + rx / (_M_PER_DEG * np.cos(np.radians(cy))[:, None])
    lat = cy[:, None] + ry / _M_PER_DEG
    return shapely.polygons(np.stack([lon, lat], axis=-1))


def enrolled_subdistricts(
    share: float = 0.9,
    *,
    seed: int = 0,
    boundaries: Boundaries | None = None,
) -> pd.DataFrame:
    """Return a change-leaders (ผู้นำการเปลี่ยนแปลง) enrolment list as staff would send it.

    One sub-district in ``share`` of the districts outside Bangkok, and a second one in
    the same share of districts with 14 or more sub-districts.

    Returns
    -------
    pandas.DataFrame
        ``subdistrict_code``, ``name_th``, ``district_code``, ``province_code``.

    Examples
    --------
    >>> enrolled = enrolled_subdistricts(0.95)  # doctest: +SKIP
    """
    units = _subdistricts(None, boundaries)
    units = units[units["province_code"] != "10"]
    rng = np.random.default_rng(seed)
    picks: list[int] = []
    for _, idx in units.groupby("district_code").indices.items():
        want = 2 if len(idx) >= 14 else 1
        for i in rng.choice(idx, size=want, replace=False)[: want]:
            if rng.random() < share:
                picks.append(int(i))
    chosen = units.iloc[sorted(picks)]
    return pd.DataFrame(
        {
            "subdistrict_code": chosen["code"].to_numpy(),
            "name_th": chosen["name_th"].to_numpy(),
            "district_code": chosen["district_code"].to_numpy(),
            "province_code": chosen["province_code"].to_numpy(),
        }
    )
