"""Vector tiles (OGC API - Tiles): ``/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}``.

Mapbox vector tiles (``application/vnd.mapbox-vector-tile``) of the field records, one
collection per kind (``pins`` หมุด, ``plots`` แปลง, ``households`` ครัวเรือน), and of the
boundary levels (``provinces`` จังหวัด, ``districts`` อำเภอ, ``subdistricts`` ตำบล). One
layer per tile, named after the collection. Record tiles come from the store (PostGIS:
``ST_AsMVT``); boundary tiles from the loaded snapshot. ``ETag`` is the store version
(records) or the boundary snapshot id (boundaries), so a map revalidates a tile with a
``304`` until a batch lands; ``/collections/{id}/tiles/WebMercatorQuad`` is the tileset's
metadata as TileJSON 3.0 (with the OGC tileset fields), ``/collections/{id}/tiles`` the list.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated

import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from geoplots.boundaries import Boundaries
from geoplots.levels import Level
from geoplots.server.deps import BoundariesDep, ReaderDep, StoreDep, read_zone, require_boundaries
from geoplots.server.errors import ApiError
from geoplots.server.links import link_url
from geoplots.server.models import errors
from geoplots.server.mvt import (
    BUFFER, MAX_ZOOM, TILE_MATRIX_SET, TILE_MATRIX_SET_URI, TileAddress, TileCache, frame_tile, mercator_units,
)
from geoplots.server.store import RecordFilter
from geoplots.server.store.base import TILE_PROPERTIES, Store

MVT = "application/vnd.mapbox-vector-tile"
ATTRIBUTION = "OCHA, Royal Thai Survey Department (CC BY-IGO)"


@dataclass(frozen=True)
class TileSource:
    """What a tiled collection draws from: a record kind or a boundary level, from which zoom."""

    title: str
    kind: str | None = None
    level: Level | None = None
    min_zoom: int = 0


#: Tiled collections. Boundary levels start where their units are more than a few grid
#: cells wide (below that a tile would carry thousands of specks, slowly encoded).
SOURCES: dict[str, TileSource] = {
    "pins": TileSource("Pins: model villages (หมุด หมู่บ้านโก่งธนูโมเดล)", kind="pins"),
    "plots": TileSource("Plots (แปลง โคก หนอง นา)", kind="plots"),
    "households": TileSource("Households (ครัวเรือน ปลูกผักสวนครัว)", kind="households"),
    "provinces": TileSource("Provinces (จังหวัด)", level="province"),
    "districts": TileSource("Districts (อำเภอ/เขต)", level="district", min_zoom=3),
    "subdistricts": TileSource("Sub-districts (ตำบล/แขวง)", level="subdistrict", min_zoom=6),
}

#: Boundary attributes carried in tiles (the feature id is the numeric unit code).
BOUNDARY_PROPERTIES = ("code", "name_th", "name_en", "inspection_zone")


def source(
    collection_id: Annotated[str, PathParam(description=f"One of {', '.join(SOURCES)}")],
) -> tuple[str, TileSource]:
    """Dependency: the tiled collection named in the path, or a 404 listing them."""
    if collection_id not in SOURCES:
        raise ApiError(404, "not_found", f"No tiles for {collection_id!r}. Tiled collections: {', '.join(SOURCES)}.")
    return collection_id, SOURCES[collection_id]


def tile_cache(request: Request) -> TileCache:
    """Dependency: the app's cache of made tiles (created on first use)."""
    state = request.app.state
    cache = getattr(state, "tile_cache", None)
    if cache is None:
        cache = state.tile_cache = TileCache()
    return cache


class TileLink(BaseModel):
    """A link of a tileset (``templated``: ``{z}/{x}/{y}`` to fill in)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None
    templated: bool | None = None


class TileSet(BaseModel):
    """An OGC API - Tiles tileset: vector tiles in one tile matrix set."""

    title: str
    dataType: str = "vector"
    crs: str = "http://www.opengis.net/def/crs/EPSG/0/3857"
    tileMatrixSetURI: str = TILE_MATRIX_SET_URI
    links: list[TileLink]


class TileSets(BaseModel):
    """The tilesets of a collection."""

    title: str
    links: list[TileLink]
    tilesets: list[TileSet]


class VectorLayer(BaseModel):
    """A layer of the tiles, as TileJSON describes it (fields: name -> type)."""

    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str]


class TileJSON(TileSet):
    """TileJSON 3.0 of a tileset, with the OGC tileset fields (``title``, ``links``...)."""

    tilejson: str = "3.0.0"
    name: str
    description: str
    tiles: list[str]
    minzoom: int
    maxzoom: int
    bounds: list[float]
    center: list[float]
    attribution: str | None = None
    vector_layers: list[VectorLayer]


SourceDep = Annotated[tuple[str, TileSource], Depends(source)]
CacheDep = Annotated[TileCache, Depends(tile_cache)]
ZoneQuery = Annotated[str | None, Query(max_length=20, description="Inspection zone (เขตตรวจราชการ)")]


# -- handlers ------------------------------------------------------------------------------------

async def tile(
    request: Request, store: StoreDep, boundaries: BoundariesDep, key: ReaderDep, named: SourceDep,
    cache: CacheDep, z: int, x: int, y: int, zone: ZoneQuery = None,
    v: Annotated[int | None, Query(ge=0, description="The store version the map last saw: a cache key for "
                                   "the browser, changed when a batch lands (the tile is always the current one)")] = None,
) -> Response:
    """One Mapbox vector tile of a collection (WebMercatorQuad, XYZ row order)."""
    cid, src = named
    address = TileAddress(z, x, y)
    if not address.exists():
        raise ApiError(404, "not_found", f"No tile {z}/{x}/{y} in {TILE_MATRIX_SET} (zoom 0-{MAX_ZOOM}, "
                       "column and row 0 to 2^zoom - 1).")
    zone = read_zone(request, key, zone)
    if src.level is not None:
        stamp = require_boundaries(boundaries).snapshot
    else:
        stamp = str(await run_in_threadpool(store.version))  # before the tile: never a newer tile under it
    etag = _etag(cid, stamp, zone)
    headers = {"ETag": etag, "Cache-Control": _cache_control(request, src)}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    body = cache.get((cid, stamp, zone, z, x, y))
    if body is None:
        body = await run_in_threadpool(_make_tile, store, boundaries, cid, src, address, zone)
        cache.put((cid, stamp, zone, z, x, y), body)
    return Response(body, media_type=MVT, headers=headers)


def tilesets(request: Request, key: ReaderDep, named: SourceDep) -> TileSets:
    """The tilesets of a collection (one: WebMercatorQuad vector tiles)."""
    cid, src = named
    return TileSets(
        title=src.title,
        links=[TileLink(href=link_url(request, "tilesets", collection_id=cid), rel="self", type="application/json")],
        tilesets=[TileSet(title=src.title, links=_tileset_links(request, cid))],
    )


def tileset(request: Request, key: ReaderDep, named: SourceDep) -> TileJSON:
    """The WebMercatorQuad tileset of a collection: TileJSON 3.0 (MapLibre, Leaflet
    plugins and QGIS read it) with the OGC tileset fields.
    """
    cid, src = named
    fields = TILE_PROPERTIES if src.kind is not None else BOUNDARY_PROPERTIES
    return TileJSON(
        name=cid, title=src.title, description=src.title, tiles=[_template(request, cid)],
        minzoom=src.min_zoom, maxzoom=MAX_ZOOM, bounds=[97.3, 5.6, 105.7, 20.5], center=[100.5, 13.75, 6],
        attribution=ATTRIBUTION if src.level is not None else None,
        vector_layers=[VectorLayer(id=cid, description=src.title, minzoom=src.min_zoom, maxzoom=MAX_ZOOM,
                                   fields=dict.fromkeys(fields, "String"))],
        links=_tileset_links(request, cid),
    )


# -- steps ---------------------------------------------------------------------------------------

def _make_tile(store: Store, boundaries: Boundaries | None, cid: str, src: TileSource, address: TileAddress,
               zone: str | None) -> bytes:
    """The tile's bytes: records from the store, units from the boundary snapshot (empty
    below the collection's first zoom).
    """
    if address.z < src.min_zoom:
        return b""
    if src.kind is not None:
        return store.tile(address, RecordFilter(kind=src.kind, zone=zone), layer=cid)  # type: ignore[arg-type]
    assert src.level is not None
    units = mercator_units(require_boundaries(boundaries), src.level)
    hits = units.sindex.query(shapely.box(*address.mercator_bounds(BUFFER)), predicate="intersects")
    chosen = units.iloc[sorted(hits)]
    if zone is not None:
        chosen = chosen[chosen["inspection_zone"] == zone]
    return frame_tile(cid, chosen, "code", BOUNDARY_PROPERTIES, address, projected=True)


def _etag(cid: str, stamp: str, zone: str | None) -> str:
    # the zone comes from the client: hashed, so no byte of it reaches a header
    scope = "" if zone is None else "-" + hashlib.sha256(zone.encode()).hexdigest()[:12]
    return f'"{cid}-{stamp}{scope}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weak comparison, as for GET)."""
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _cache_control(request: Request, src: TileSource) -> str:
    # records change with every batch: keep, but ask again (a 304 while nothing landed);
    # boundaries change only with a new import and a restart
    scope = "private" if request.app.state.settings.reads_protected else "public"
    return f"{scope}, no-cache" if src.kind is not None else f"{scope}, max-age=3600"


def _template(request: Request, cid: str) -> str:
    return link_url(request, "tile", collection_id=cid, z="{z}", x="{x}", y="{y}")


def _tileset_links(request: Request, cid: str) -> list[TileLink]:
    return [
        TileLink(href=link_url(request, "tileset", collection_id=cid), rel="describedby",
                 type="application/json", title="TileJSON"),
        TileLink(href=_template(request, cid), rel="item", type=MVT, templated=True),
        TileLink(href=TILE_MATRIX_SET_URI, rel="http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"),
    ]


@dataclass
class TilesFactory:
    """The vector tile routes, as in tipg's endpoint factories.

    Attributes
    ----------
    tags : list of str
        OpenAPI tags of the routes.
    router : APIRouter
        Built from the fields in ``__post_init__``; include it in the app.
    """

    tags: list[str | Enum] = field(default_factory=lambda: ["tiles"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        add = self.router.add_api_route
        add("/collections/{collection_id}/tiles", tilesets, name="tilesets", response_model=TileSets,
            response_model_exclude_none=True, responses=errors(401, 403, 404, 422, 429), summary="The tilesets of a collection")
        add(f"/collections/{{collection_id}}/tiles/{TILE_MATRIX_SET}", tileset, name="tileset",
            response_model=TileJSON, response_model_exclude_none=True, responses=errors(401, 403, 404, 422, 429), summary="TileJSON of a collection's vector tiles")
        add(f"/collections/{{collection_id}}/tiles/{TILE_MATRIX_SET}/{{z}}/{{x}}/{{y}}", tile, name="tile",
            response_class=Response, responses={200: {"content": {MVT: {}}}, **errors(401, 403, 404, 422, 429, 503)},
            summary="One Mapbox vector tile of a collection")


def router() -> APIRouter:
    """The vector tile routes (see :class:`TilesFactory`)."""
    return TilesFactory().router
