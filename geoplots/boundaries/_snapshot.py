"""One imported boundary snapshot as one object: :class:`Boundaries`.

Everything geoplots derives from the imported boundaries hangs off this object: the
three levels, the national outline, the locate index, the grouping schemes and the
lookup of an area by code or name. It is resolved once at the edge (the command line,
the server's start-up, the first line of a notebook) with :meth:`Boundaries.load` and
passed down with ``boundaries=``; nothing below reads the environment or keeps its own
cache of the data directory.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import geopandas as gpd
import shapely

from geoplots.boundaries._store import MANIFEST, current_snapshot, no_boundaries, snapshot_dir
from geoplots.config import data_dir
from geoplots.errors import GeoplotsError, NoBoundariesError
from geoplots.groups import GroupingScheme, inspection_zones, resolve_scheme
from geoplots.levels import CODE_LENGTH, LEVELS, Level, parse_level

if TYPE_CHECKING:
    from geoplots.locating import SubdistrictIndex

__all__ = ["Area", "Boundaries", "default_boundaries", "resolve_boundaries"]

#: Buffer, in degrees (about 5.5 km), around the national outline built from provinces.
OUTLINE_BUFFER_DEG = 0.05
#: File the locate index is saved to, beside the snapshot it was built from.
INDEX_FILE = "locate_index.npz"
#: Names that mean the built-in inspection zones (เขตตรวจราชการ).
ZONE_NAMES = ("inspection_zone", "zone", "inspection_zones")

_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)
class Area:
    """What a zone, province or district named by a user covers.

    Attributes
    ----------
    label : str
        Heading in Thai: ``เขตตรวจราชการที่ 12``, ``ขอนแก่น (40)``, ``ประเทศไทย``.
    codes : tuple of str
        Codes of the units it is made of (province codes for a zone); empty for the
        whole country. Codes nest by prefix, so a prefix test selects what lies inside.
    outline : geopandas.GeoDataFrame or None
        The units themselves (None for the whole country).
    zone : str or None
        The inspection zone the area lies in, when it lies in exactly one.
    """

    label: str
    codes: tuple[str, ...]
    outline: gpd.GeoDataFrame | None
    zone: str | None


@dataclass(frozen=True)
class Boundaries:
    """One imported boundary snapshot: levels, outline, locate index, zones, names.

    Immutable: an import writes a new snapshot and :meth:`load` then returns a new
    object; this one keeps answering from the snapshot it was loaded from. What it
    derives (the level tables, the outline, the index) is computed on first use, once
    per object, and is safe to share between threads.

    Attributes
    ----------
    root : pathlib.Path
        The data directory it was loaded from.
    snapshot : str
        The snapshot id (``manifest.json``'s ``snapshot``).

    Examples
    --------
    >>> import geoplots
    >>> b = geoplots.Boundaries.load()  # doctest: +SKIP
    >>> located = geoplots.locate(geoplots.read_records("pins.csv", boundaries=b), boundaries=b)  # doctest: +SKIP
    """

    root: Path
    snapshot: str
    _manifest: dict = field(repr=False, compare=False)
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _locks: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- loading ------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Boundaries:
        """Open the snapshot currently imported in a data directory.

        Parameters
        ----------
        path : path, optional
            The data directory. Without it: ``$GEOPLOTS_DATA``, else ``data/boundaries``
            under the current directory.

        Raises
        ------
        NoBoundariesError
            When nothing has been imported there, saying how to import.
        """
        root = data_dir(path)
        snap = current_snapshot(root)
        if snap is None:
            raise no_boundaries(root)
        return cls._open(root, snap.name)

    @classmethod
    def _open(cls, root: Path, snapshot: str) -> Boundaries:
        manifest_path = snapshot_dir(root, snapshot) / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NoBoundariesError(
                f"The boundary snapshot {snapshot} is no longer in {root} (a newer import replaced it). "
                "Load the boundaries again with geoplots.Boundaries.load()."
            ) from None
        return cls(root=Path(root), snapshot=snapshot, _manifest=manifest)

    def __reduce__(self) -> tuple[Callable[..., Boundaries], tuple[str, str]]:
        # Sent to another process as its path and snapshot id; the copy reads what it
        # needs from disk when first asked, never the tables of this one.
        return _reopen, (os.fspath(self.root), self.snapshot)

    def is_current(self) -> bool:
        """True while no newer import has replaced this snapshot in :attr:`root`."""
        snap = current_snapshot(self.root)
        return snap is not None and snap.name == self.snapshot

    # -- what the manifest says -----------------------------------------------------
    @property
    def path(self) -> Path:
        """The snapshot folder (GeoParquet per level, ``manifest.json``)."""
        return snapshot_dir(self.root, self.snapshot)

    @property
    def levels(self) -> tuple[Level, ...]:
        """The levels imported, coarsest first."""
        return tuple(lvl for lvl in LEVELS if lvl in self._manifest.get("levels", {}))

    @property
    def attribution(self) -> str:
        """Who to credit wherever the boundaries are shown, with the licence."""
        who = str(self._manifest.get("attribution", ""))
        licence = str(self._manifest.get("licence", "")).split(" (")[0]  # "CC BY-IGO", without the long form
        return f"{who} ({licence})" if licence else who

    def info(self) -> dict:
        """The manifest: levels, counts, sources (sha256), import times, attribution, licence."""
        return json.loads(json.dumps(self._manifest))

    # -- the three levels ------------------------------------------------------------
    def level(self, level: str) -> gpd.GeoDataFrame:
        """Return a copy of one level's units (the caller may change it).

        Parameters
        ----------
        level : {"province", "district", "subdistrict"}
            จังหวัด, อำเภอ or ตำบล (Thai names accepted).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326; ``code``, ``name_th``, ``name_en``, the parent codes and
            ``geometry``, sorted by code.
        """
        return self._frame(parse_level(level)).copy()

    def with_zones(self, level: str) -> gpd.GeoDataFrame:
        """One level with its ``inspection_zone`` column and its spatial index built.

        Shared between callers (a server answers many requests from it): read it, never
        change it.
        """
        lvl = parse_level(level)
        return self._once(("with_zones", lvl), lambda: self._zoned(lvl))

    def _frame(self, level: Level) -> gpd.GeoDataFrame:
        if level not in self.levels:
            imported = ", ".join(self.levels) or "none"
            raise NoBoundariesError(
                f"The {level} boundaries have not been imported into {self.root} (imported: {imported}). "
                f"Import the COD-AB ADM file for {level}s with 'geoplots boundaries import'."
            )
        return self._once(("level", level), lambda: gpd.read_parquet(self.path / f"{level}.parquet"))

    def _zoned(self, level: Level) -> gpd.GeoDataFrame:
        frame = self._frame(level).copy()
        frame[self.zones.name] = self.zones.group_of(frame["code"])
        frame.sindex  # noqa: B018 - built now, once, not inside a request
        return frame

    # -- derived once ------------------------------------------------------------------
    @property
    def outline(self) -> shapely.Geometry | None:
        """The national outline ("in Thailand"): provinces unioned, buffered by
        :data:`OUTLINE_BUFFER_DEG` so islands and coastal plots count; prepared.
        None when the provinces are not imported.
        """
        if "province" not in self.levels:
            return None
        return self._once("outline", self._build_outline)

    def _build_outline(self) -> shapely.Geometry:
        provinces = self._frame("province")
        outline = shapely.union_all(shapely.simplify(provinces.geometry.values, 0.005))
        outline = shapely.buffer(outline, OUTLINE_BUFFER_DEG)
        shapely.prepare(outline)
        # GEOS builds the prepared index on first use: build it now, before any other
        # thread can see the outline, so threads only ever read it.
        shapely.contains_xy(outline, 100.5, 13.75)
        return outline

    @property
    def index(self) -> SubdistrictIndex:
        """The sub-district lookup index of :func:`geoplots.locate`.

        Built on first use and saved as ``locate_index.npz`` beside the snapshot (when
        the folder is writable), so later processes load it in a fraction of a second.
        """
        return self._once("index", self._build_index)

    def _build_index(self) -> SubdistrictIndex:
        from geoplots.locating import SubdistrictIndex

        sub = self._frame("subdistrict")
        codes = sub["code"].to_numpy().astype(str)
        geoms = sub.geometry.to_numpy()
        path = self.path / INDEX_FILE
        index = SubdistrictIndex.load(path, codes, geoms) if path.is_file() else None
        if index is None:
            index = SubdistrictIndex.build(codes, geoms)
            try:
                index.save(path)
            except OSError:
                pass  # a read-only data directory only costs a rebuild next time
        return index

    @property
    def zones(self) -> GroupingScheme:
        """The inspection zones (เขตตรวจราชการ) 1-18 and ``central`` (Bangkok)."""
        return self._once("zones", inspection_zones)

    def scheme(self, spec: str | os.PathLike[str] | GroupingScheme | None) -> GroupingScheme | None:
        """A grouping scheme: ``"inspection_zone"`` (:attr:`zones`), a ``code,group`` CSV
        path, a :class:`~geoplots.groups.GroupingScheme` as it is, or None.
        """
        if isinstance(spec, str) and spec in ZONE_NAMES:
            return self.zones
        return resolve_scheme(spec)

    def schemes(self, specs: Sequence[str | os.PathLike[str] | GroupingScheme] | None) -> tuple[GroupingScheme, ...]:
        """:meth:`scheme` of each spec (None and empty give no schemes)."""
        return tuple(s for s in (self.scheme(spec) for spec in specs or ()) if s is not None)

    # -- areas by code or name ---------------------------------------------------------
    def area(self, *, zone: str | int | None = None, province: str | None = None,
             district: str | None = None) -> Area:
        """Find the inspection zone, province or district a user named.

        Parameters
        ----------
        zone : str or int, optional
            An inspection zone (เขตตรวจราชการ): ``12``, ``central``.
        province, district : str, optional
            A code (``40``, ``4001``), a Thai name (``ขอนแก่น``) or an English name
            (any case).

        Returns
        -------
        Area
            The whole country when nothing is named.

        Raises
        ------
        GeoplotsError
            When more than one is given, or the name or code is not in the boundaries.

        Examples
        --------
        >>> b.area(province="ขอนแก่น").codes  # doctest: +SKIP
        ('40',)
        """
        given = [x for x in (zone, province, district) if x is not None]
        if len(given) > 1:
            raise GeoplotsError("Give only one of zone, province or district to fit the map to.")
        if zone is not None:
            return self._zone_area(str(zone).strip())
        levels: tuple[tuple[str | None, Level], ...] = ((province, "province"), (district, "district"))
        for value, level in levels:
            if value is not None:
                return self._unit_area(str(value).strip(), level)
        return Area("ประเทศไทย", (), None, None)

    def _zone_area(self, zone: str) -> Area:
        codes = tuple(self.zones.codes_in(zone))
        if not codes:
            raise GeoplotsError(f"There is no inspection zone {zone!r}. Zones are: {', '.join(self.zones.groups())}.")
        provinces = self._frame("province")
        return Area(f"เขตตรวจราชการที่ {zone}", codes, provinces[provinces["code"].isin(codes)].copy(), zone)

    def _unit_area(self, text: str, level: Level) -> Area:
        units = self._frame(level)
        hit = units[(units["code"] == text) | (units["name_th"] == text)
                    | (units["name_en"].str.lower() == text.lower())]
        if hit.empty:
            raise GeoplotsError(
                f"No {level} {text!r} in the boundaries. Give its code (e.g. {units['code'].iloc[0]}) "
                "or its Thai or English name."
            )
        codes = tuple(hit["code"])
        zones = {self.zones.mapping.get(c[: CODE_LENGTH[self.zones.level]]) for c in codes} - {None}
        zone = zones.pop() if len(zones) == 1 else None
        return Area(f"{hit['name_th'].iloc[0]} ({hit['code'].iloc[0]})", codes, hit.copy(), zone)

    # -- once per object -----------------------------------------------------------------
    def _once(self, key: Any, build: Callable[[], _T]) -> _T:
        """``build()`` the first time ``key`` is asked for, from one thread; the value after."""
        try:
            return self._cache[key]
        except KeyError:
            pass
        lock = self._locks.setdefault(key, threading.Lock())  # setdefault is atomic
        with lock:
            if key not in self._cache:
                self._cache[key] = build()
            return self._cache[key]


def _reopen(root: str, snapshot: str) -> Boundaries:
    return Boundaries._open(Path(root), snapshot)


_default: Boundaries | None = None
_default_lock = threading.Lock()


def default_boundaries() -> Boundaries:
    """The boundaries used when none are passed: :meth:`Boundaries.load` of the default
    directory, loaded once and reused while that directory's import stays the same.

    Raises
    ------
    NoBoundariesError
        When nothing is imported there.
    """
    global _default
    root = data_dir()
    with _default_lock:
        if _default is None or _default.root != root or not _default.is_current():
            _default = Boundaries.load(root)
        return _default


def resolve_boundaries(boundaries: Boundaries | None) -> Boundaries:
    """``boundaries`` itself, or :func:`default_boundaries` when it is None."""
    if boundaries is None:
        return default_boundaries()
    if not isinstance(boundaries, Boundaries):
        raise GeoplotsError(
            f"boundaries= takes a geoplots.Boundaries (geoplots.Boundaries.load(path)), not "
            f"{type(boundaries).__name__}."
        )
    return boundaries
