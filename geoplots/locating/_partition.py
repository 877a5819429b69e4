"""Locate one table of records: the pure, partition-level step behind :func:`geoplots.locate`.

:func:`locate_partition` takes a GeoDataFrame and returns it with the located columns
and a ``reject_reason`` column, touching nothing else, so the same function runs on a
whole file, on chunks, or on each partition of a dask-geopandas frame (with the index
from :func:`index_for` shipped to each worker once).
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.groups import GroupingScheme, resolve_scheme
from geoplots.levels import CODE_LENGTH
from geoplots.locating._index import SubdistrictIndex
from geoplots.locating._mismatch import NEAR_BORDER_M, mismatch_columns

#: Columns :func:`locate_partition` adds (plus one per grouping scheme).
LOCATED_COLUMNS = [
    "subdistrict_code",
    "district_code",
    "province_code",
    "match",
    "distance_m",
    "address_mismatch",
    "mismatch_level",
    "mismatch_distance_m",
    "mismatch_class",
]

#: Values of ``match`` and ``reject_reason`` (fixed categories, the same in every partition).
MATCH_VALUES = ["inside", "nearest", "address"]
REJECT_VALUES = ["outside_boundaries", "missing_coordinates"]

_GEOD = Geod(ellps="WGS84")
# Degrees that surely cover ``tolerance_m`` in Thailand (a degree of longitude is
# >= 104 km up to 20.5 N): candidates are then measured on the ellipsoid.
_M_PER_DEG_MIN = 100_000.0


def index_for(boundaries: Boundaries | None = None) -> SubdistrictIndex:
    """Return the lookup index of the imported sub-district boundaries.

    The index belongs to the :class:`~geoplots.Boundaries` snapshot
    (:attr:`~geoplots.Boundaries.index`): built once, and saved as
    ``locate_index.npz`` beside the snapshot (when writable) so later processes load
    it in a fraction of a second.

    Parameters
    ----------
    boundaries : geoplots.Boundaries, optional
        Default: the default import (``GEOPLOTS_DATA``, else ``data/boundaries``).

    Examples
    --------
    >>> index = index_for(geoplots.Boundaries.load())  # doctest: +SKIP
    >>> index.stats()["build_seconds"]  # doctest: +SKIP
    9.8
    """
    return resolve_boundaries(boundaries).index


def locate_partition(
    frame: gpd.GeoDataFrame,
    *,
    index: SubdistrictIndex | None = None,
    tolerance_m: float = 1000.0,
    schemes: Sequence[str | GroupingScheme] = ("inspection_zone",),
    boundaries: Boundaries | None = None,
    near_border_m: float = NEAR_BORDER_M,
) -> gpd.GeoDataFrame:
    """Return ``frame`` with every row located, or marked with why it cannot be.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Records in EPSG:4326. Coordinates are taken from ``lon``/``lat`` when present
        (for plots, a representative point inside the polygon), else from the
        geometry. Rows without either are placed by ``declared_subdistrict_code``.
    index : SubdistrictIndex, optional
        From :func:`index_for`; that of ``boundaries`` when not given.
    tolerance_m : float
        A point in no sub-district is given the nearest one within this many metres.
    schemes : sequence
        Grouping schemes to add as columns (``"inspection_zone"``, a CSV path, or a
        :class:`~geoplots.groups.GroupingScheme`).
    near_border_m : float, default 250
        A mismatched address whose point is at most this far from the declared unit is
        ``mismatch_class="near_border"``, else ``elsewhere``.
    boundaries : geoplots.Boundaries, optional
        The snapshot whose index and zones are used when ``index`` is not given
        (default: the default import). A Dask worker gets the index and resolved
        schemes instead, so it needs no boundary files of its own.

    Returns
    -------
    geopandas.GeoDataFrame
        Same rows and columns (located columns of the same name are replaced), plus
        ``subdistrict_code``, ``district_code``, ``province_code`` (categoricals; the
        district and province are the first 4 and 2 digits of the sub-district, never
        a second join), one column per scheme, ``match`` (``inside``, ``nearest``,
        ``address``; NA when not located), ``distance_m`` (0 inside, metres for
        nearest, NaN for address), ``address_mismatch`` (the declared unit differs
        from the located one at the finest level declared: ``mismatch_level``
        subdistrict/district/province; ``mismatch_distance_m`` from the point to the
        declared unit; ``mismatch_class`` near_border/elsewhere) and ``reject_reason`` (NA, or ``outside_boundaries`` /
        ``missing_coordinates``) with ``reject_detail``.

    Examples
    --------
    >>> from geoplots.synthetic import sample_points
    >>> located = locate_partition(sample_points(1000))  # doctest: +SKIP
    >>> (located["match"] == "inside").all()  # doctest: +SKIP
    True
    """
    if index is None:
        source = resolve_boundaries(boundaries)
        index, schemes = source.index, source.schemes(schemes)
    n = len(frame)
    x, y = _coordinates(frame)
    pos = index.lookup(x, y) if n else np.empty(0, dtype=np.int32)
    match = np.where(pos >= 0, 0, -1).astype(np.int8)  # codes into MATCH_VALUES
    distance = np.where(pos >= 0, 0.0, np.nan)
    has_xy = np.isfinite(x) & np.isfinite(y)
    reason = np.full(n, -1, dtype=np.int8)  # codes into REJECT_VALUES
    # Details as codes into a few distinct texts: rejected rows repeat them, and a
    # string per row costs more than the whole lookup when most points are noise.
    detail = np.full(n, -1, dtype=np.int32)
    texts: list[str] = []

    outside = np.flatnonzero((pos < 0) & has_xy)
    if outside.size:
        near, metres = _nearest(index, x[outside], y[outside], tolerance_m)
        found = near >= 0
        pos[outside[found]] = near[found]
        match[outside[found]] = 1
        distance[outside[found]] = metres[found]
        lost = outside[~found]
        reason[lost] = 0
        detail[lost] = _far_details(metres[~found], tolerance_m, texts)

    declared = _declared(frame)
    no_xy = np.flatnonzero(~has_xy)
    if no_xy.size:
        wanted = declared[no_xy]
        at = _positions(index, wanted)
        known = at >= 0
        pos[no_xy[known]] = at[known]
        match[no_xy[known]] = 2
        reason[no_xy[~known]] = 1
        detail[no_xy[~known]] = _unknown_details(wanted[~known], texts)

    # Shallow copy: with copy-on-write the caller's frame is never modified.
    stale = [c for c in LOCATED_COLUMNS + ["reject_reason", "reject_detail"] if c in frame.columns]
    out = frame.drop(columns=stale) if stale else frame.copy(deep=False)
    for column, values in _code_columns(index, pos, schemes).items():
        out[column] = values
    out["match"] = pd.Categorical.from_codes(match, categories=MATCH_VALUES)
    out["distance_m"] = distance
    for column, values in mismatch_columns(frame, index.codes, pos, x, y, index.geoms, near_border_m).items():
        out[column] = values
    out["reject_reason"] = pd.Categorical.from_codes(reason, categories=REJECT_VALUES)
    # Mostly empty: an all-NA string column costs nothing; only rejected rows get text.
    out["reject_detail"] = pd.Series(_detail_column(detail, texts), index=out.index)
    return out


def _detail_column(codes: np.ndarray, texts: list[str]) -> pd.Categorical:
    """A categorical text column: ``texts[code]`` where ``code >= 0``, NA elsewhere (no
    per-row string is built, compared or copied).
    """
    # Distinct texts may repeat (a declared code and a distance can read alike): merge.
    if not texts:
        return pd.Categorical.from_codes(codes, categories=pd.Index([], dtype=str))
    categories, first = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
    remap = np.append(np.asarray(first, dtype=np.int32).reshape(-1), -1)
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index([str(t) for t in categories]))


def _far_details(metres: np.ndarray, tolerance_m: float, texts: list[str]) -> np.ndarray:
    """Why each far point was rejected, as codes into ``texts`` (extended here): one
    text per distinct 0.1 km distance.
    """
    tenths = np.where(np.isfinite(metres), np.round(metres / 100.0), -1.0)
    uniques, codes = np.unique(tenths, return_inverse=True)
    first = len(texts)
    texts.extend(
        f"nearest sub-district is {t / 10:.1f} km away; allowed {tolerance_m:g} m" if t >= 0
        else f"no sub-district within {tolerance_m:g} m"
        for t in uniques
    )
    return first + codes.reshape(-1).astype(np.int32)


def _unknown_details(wanted: np.ndarray, texts: list[str]) -> np.ndarray:
    """Why each row without coordinates was rejected, as codes into ``texts`` (extended
    here): one text per distinct declared code.
    """
    codes, uniques = pd.factorize(pd.Series(wanted, dtype=object), use_na_sentinel=True)
    first = len(texts)
    texts.extend(f"declared sub-district {w} is not in the boundaries" for w in uniques)
    texts.append("no address code either")
    return np.where(codes >= 0, first + codes, len(texts) - 1).astype(np.int32)


def _coordinates(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    if {"lat", "lon"} <= set(frame.columns):
        x = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        y = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return x, y
    geoms = np.asarray(frame.geometry.values) if isinstance(frame, gpd.GeoDataFrame) else np.full(len(frame), None)
    points = shapely.get_type_id(geoms) == 0
    # Polygons (plots) are placed by a point guaranteed to lie inside them.
    rep = np.where(points, geoms, np.array(None, dtype=object))
    other = ~points & ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    rep[other] = shapely.point_on_surface(geoms[other])
    return shapely.get_x(rep), shapely.get_y(rep)


def _positions(index: SubdistrictIndex, codes: np.ndarray) -> np.ndarray:
    """Position of each code in ``index.codes`` (sorted), -1 for unknown or missing."""
    text = np.where(pd.isna(codes), "", codes).astype(str)
    at = np.minimum(np.searchsorted(index.codes, text), len(index.codes) - 1)
    return np.where(index.codes[at] == text, at, -1)


def _declared(frame: pd.DataFrame) -> np.ndarray:
    if "declared_subdistrict_code" not in frame.columns:
        return np.full(len(frame), None, dtype=object)
    codes = frame["declared_subdistrict_code"].astype("string").str.strip()
    return codes.astype(object).where(codes.notna(), None).to_numpy()


def _nearest(index: SubdistrictIndex, x: np.ndarray, y: np.ndarray, tolerance_m: float):
    """Nearest sub-district within ``tolerance_m`` metres (on the WGS84 ellipsoid)."""
    near = np.full(len(x), -1, dtype=np.int32)
    metres = np.full(len(x), np.inf)
    # Points with no land within reach (noise across the map) skip the exact search.
    maybe = np.flatnonzero(index.maybe_near(x, y, tolerance_m / _M_PER_DEG_MIN))
    pts = shapely.points(x[maybe], y[maybe])
    if tolerance_m > 0:
        i, j = index.tree.query(pts, predicate="dwithin", distance=tolerance_m / _M_PER_DEG_MIN)
    else:  # only points on a border line are at 0 m: a cheaper predicate on prepared polygons
        i, j = index.tree.query(pts, predicate="intersects")
    if len(i):
        line = shapely.shortest_line(pts[i], index.geoms[j])
        ends = shapely.get_coordinates(line).reshape(-1, 2, 2)
        _, _, d = _GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
        order = np.lexsort((d, i))  # per point, closest first
        first = order[np.concatenate([[True], i[order][1:] != i[order][:-1]])]
        metres[maybe[i[first]]] = d[first]
        near[maybe[i[first]]] = j[first]
    near[metres > tolerance_m] = -1
    return near, metres


def _code_columns(index: SubdistrictIndex, pos: np.ndarray, schemes) -> dict[str, pd.Categorical]:
    """Sub-district, its parents by code prefix, and each scheme's group, as categoricals
    (cheap at millions of rows, and the categories are identical in every partition).
    """
    columns = {}
    for name, (cats, code_of) in _code_tables(index, _resolved(schemes)).items():
        # code_of has one extra -1 at the end, so pos == -1 (not located) maps to NA.
        columns[name] = pd.Categorical.from_codes(code_of[pos], categories=cats, validate=False)
    return columns


def _resolved(schemes) -> tuple[GroupingScheme, ...]:
    return tuple(s for s in (resolve_scheme(spec) for spec in schemes or ()) if s is not None)


#: Most scheme combinations whose code tables an index keeps.
_MAX_TABLES = 16


def _code_tables(
    index: SubdistrictIndex, schemes: tuple[GroupingScheme, ...]
) -> dict[str, tuple[pd.Index, np.ndarray]]:
    """Per sub-district position: its code at each level and its group in each scheme.

    Kept on the index itself (schemes compare by content), so a Dask worker builds them
    once per index it holds, not once per partition.
    """
    kept = index.code_tables
    tables = kept.get(schemes)
    if tables is not None:
        return tables
    sub = pd.Index(index.codes)
    tables = {"subdistrict_code": (sub, np.append(np.arange(len(sub)), -1))}
    for level in ("district", "province"):
        parents = sub.str[: CODE_LENGTH[level]]
        cats = pd.Index(sorted(parents.unique()))
        tables[f"{level}_code"] = (cats, np.append(cats.get_indexer(parents), -1))
    for scheme in schemes:
        group = scheme.group_of(pd.Series(index.codes)).to_numpy(dtype=object, na_value=None)
        cats = pd.Index(scheme.groups())
        tables[scheme.name] = (cats, np.append(cats.get_indexer(pd.Index(group, dtype=object)), -1))
    if len(kept) >= _MAX_TABLES:
        kept.clear()
    kept[schemes] = tables
    return tables
