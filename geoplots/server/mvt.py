"""Mapbox vector tiles (MVT) of records and boundaries, in the WebMercatorQuad grid.

The PostGIS store makes record tiles in the database (``ST_AsMVT``/``ST_AsMVTGeom``);
everything else is encoded here with the maintained ``mapbox-vector-tile`` encoder, the
tile's bounds coming from ``morecantile`` (the OGC tile matrix set definitions):
geometries are projected to Web Mercator, clipped to the tile and its buffer, and snapped
to the tile's 4096 grid in GEOS, which simplifies them per zoom (a province outline at
zoom 5 is not sent with the vertices a zoom-15 tile needs; a unit smaller than a grid
cell is left out).

Examples
--------
>>> import shapely, mapbox_vector_tile
>>> tile = encode_tile("pins", [shapely.Point(102.8, 16.4)], [7], [{"name": "บ้านโคก"}], TileAddress(6, 50, 28))
>>> layer = mapbox_vector_tile.decode(tile)["pins"]
>>> layer["features"][0]["id"], layer["features"][0]["properties"]
(7, {'name': 'บ้านโคก'})
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import numpy as np
import shapely
from pyproj import Transformer

from geoplots.boundaries import Boundaries
from geoplots.levels import Level

#: The tile matrix set every tile here is in (OGC name and definition URI).
TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
#: Tile grid (MVT ``extent``) and the buffer around it, in grid units, as ST_AsMVTGeom's defaults.
EXTENT = 4096
BUFFER = 64
#: Zooms served (0: the world in one tile; 22: about 4 cm a grid unit).
MIN_ZOOM, MAX_ZOOM = 0, 22

_TMS = morecantile.tms.get(TILE_MATRIX_SET)
_WORLD = 20037508.342789244  # half the width of the WebMercatorQuad world, in metres


@functools.cache
def _transformer(source: int, target: int) -> Transformer:
    # made on first use, not on import (every server start imports this module)
    return Transformer.from_crs(source, target, always_xy=True)


@dataclass(frozen=True)
class TileAddress:
    """One tile of WebMercatorQuad: zoom, column, row (row 0 at the top, as in XYZ)."""

    z: int
    x: int
    y: int

    def exists(self) -> bool:
        """Whether the tile is in the grid (and the zooms served)."""
        return MIN_ZOOM <= self.z <= MAX_ZOOM and 0 <= self.x < 2**self.z and 0 <= self.y < 2**self.z

    def mercator_bounds(self, buffer: float = 0) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in EPSG:3857, widened by ``buffer`` grid units."""
        b = _TMS.xy_bounds(morecantile.Tile(self.x, self.y, self.z))
        pad = (b.right - b.left) / EXTENT * buffer
        return b.left - pad, b.bottom - pad, b.right + pad, b.top + pad

    def lonlat_bounds(self, buffer: float = BUFFER) -> tuple[float, float, float, float]:
        """The tile and its buffer as a lon/lat box, to pick the records it may show."""
        # the buffer stops at the edge of the world: past it, longitudes would wrap around
        left, bottom, right, top = np.clip(self.mercator_bounds(buffer), -_WORLD, _WORLD)
        (lon0, lon1), (lat0, lat1) = _transformer(3857, 4326).transform([left, right], [bottom, top])
        return float(lon0), float(lat0), float(lon1), float(lat1)

    def pixel(self) -> float:
        """Size of one grid unit in metres (EPSG:3857) at this zoom."""
        left, _, right, _ = self.mercator_bounds()
        return (right - left) / EXTENT


def to_mercator(geoms: np.ndarray) -> np.ndarray:
    """Project lon/lat shapely geometries to EPSG:3857 (latitudes beyond the grid are clamped)."""

    def project(coords: np.ndarray) -> np.ndarray:
        lat = np.clip(coords[:, 1], -85.05112878, 85.05112878)
        x, y = _transformer(4326, 3857).transform(coords[:, 0], lat)
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), project)


def encode_tile(
    layer: str, geoms: Sequence[Any], ids: Sequence[int], properties: Sequence[dict], tile: TileAddress,
    *, projected: bool = False,
) -> bytes:
    """Encode features as one MVT layer of ``tile``.

    Parameters
    ----------
    layer : str
        The layer name (the collection id).
    geoms : sequence of shapely geometries
        In lon/lat, or in EPSG:3857 with ``projected=True``.
    ids : sequence of int
        Feature ids (MVT ids are unsigned integers).
    properties : sequence of dict
        Attributes; None values are left out (MVT has no null).
    tile : TileAddress

    Returns
    -------
    bytes
        The tile; empty bytes when no feature reaches it (a valid, empty tile).
    """
    array = np.asarray(geoms, dtype=object)
    merc = array if projected else to_mercator(array)
    grid = _to_grid(_clip(merc, tile), tile)
    features = [
        {"geometry": g, "id": int(i), "properties": {k: v for k, v in p.items() if v is not None}}
        for g, i, p in zip(grid, ids, properties)
        if g is not None and not g.is_empty
    ]
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer, "features": features}],
        default_options={"extents": EXTENT, "y_coord_down": True},
    )


def _clip(merc: np.ndarray, tile: TileAddress) -> np.ndarray:
    """Cut geometries to the tile and its buffer."""
    if len(merc) == 0:
        return merc
    return shapely.clip_by_rect(merc, *tile.mercator_bounds(BUFFER))


def _to_grid(merc: np.ndarray, tile: TileAddress) -> np.ndarray:
    """Move clipped EPSG:3857 geometries onto the tile's integer grid (y down), in GEOS.

    This is the per-zoom simplification: detail finer than a grid unit goes, a polygon
    smaller than one collapses and is left out, and what is left is valid.
    """
    if len(merc) == 0:
        return merc
    left, bottom, right, top = tile.mercator_bounds()
    scale = EXTENT / (right - left)

    def onto_grid(coords: np.ndarray) -> np.ndarray:
        return np.column_stack([(coords[:, 0] - left) * scale, (top - coords[:, 1]) * scale])

    on_grid = shapely.transform(merc, onto_grid)
    # detail under a grid unit first (cheap, and it makes the exact snap that follows cheap)
    simpler = shapely.simplify(on_grid, 1.0, preserve_topology=True)
    return shapely.set_precision(simpler, 1.0)


def frame_tile(layer: str, frame: gpd.GeoDataFrame, id_column: str, columns: Sequence[str], tile: TileAddress,
               *, projected: bool = False) -> bytes:
    """Encode the rows of ``frame`` (with ``columns`` as properties) as one MVT layer."""
    keep = [c for c in columns if c in frame.columns]
    props = frame[keep].astype(object).where(frame[keep].notna(), None).to_dict("records")
    ids = [int(v) for v in frame[id_column]]
    return encode_tile(layer, frame.geometry.values, ids, props, tile, projected=projected)


class TileCache:
    """The last ``max_entries`` tiles made, by key (thread-safe LRU).

    Keys carry what the tile depends on (the store version, the boundary snapshot, the
    zone a key may read), so a stale tile is never found, only forgotten.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: tuple, tile: bytes) -> None:
        with self._lock:
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.max_entries:
                self._tiles.popitem(last=False)


@functools.lru_cache(maxsize=8)
def mercator_units(boundaries: Boundaries, level: Level) -> gpd.GeoDataFrame:
    """A boundary level (with its ``inspection_zone``) projected to EPSG:3857, with its
    spatial index built; made once per level and snapshot (the snapshot is immutable).
    """
    units = boundaries.with_zones(level)
    out = gpd.GeoDataFrame(units.drop(columns=units.geometry.name),
                           geometry=to_mercator(units.geometry.values), crs=3857)
    out.sindex  # noqa: B018 - built now, once, not by the first tile request
    return out
