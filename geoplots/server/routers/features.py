"""OGC API - Features: ``/collections`` of pins and of the three boundary levels.

Items are GeoJSON FeatureCollections with ``numberMatched``, ``numberReturned`` and
``next``/``prev`` links, filtered by ``bbox=minx,miny,maxx,maxy`` (lon/lat, EPSG:4326)
and paged with ``limit``/``offset``; ``zone`` and ``province`` filter too.
"""

from __future__ import annotations

import json
from enum import Enum
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Annotated, Any, Literal

import geopandas as gpd
import shapely
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from geoplots.levels import CODE_LENGTH, Level
from geoplots.server.deps import BoundariesDep, ReaderDep, SettingsDep, StoreDep, boundary_units, read_zone
from geoplots.server.errors import ApiError
from geoplots.server.links import link_url
from geoplots.server.models import (
    Collection, Collections, Conformance, Extent, Feature, FeatureCollection, Link, errors,
)
from geoplots.server.store import RecordFilter
from geoplots.server.store.base import frame_features

GEOJSON = "application/geo+json"
ATTRIBUTION = "OCHA, Royal Thai Survey Department (CC BY-IGO)"

#: Collection id -> (title, boundary level or None for the records store)
COLLECTIONS: dict[str, tuple[str, Level | None]] = {
    "pins": ("Field records: pins, plots and households (หมุด แปลง ครัวเรือน)", None),
    "subdistricts": ("Sub-districts (ตำบล/แขวง)", "subdistrict"),
    "districts": ("Districts (อำเภอ/เขต)", "district"),
    "provinces": ("Provinces (จังหวัด)", "province"),
}

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``minx,miny,maxx,maxy`` (422 with a message when it is not that).

    Examples
    --------
    >>> parse_bbox("102.7,16.3,103.0,16.6")
    (102.7, 16.3, 103.0, 16.6)
    """
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(v == v and abs(v) != float("inf") for v in values):
        raise ApiError(
            422, "invalid_bbox", f"bbox must be four numbers minx,miny,maxx,maxy (lon/lat); got {text!r}."
        )
    minx, miny, maxx, maxy = values
    if minx > maxx or miny > maxy:
        raise ApiError(422, "invalid_bbox", "bbox must be minx,miny,maxx,maxy with min <= max.")
    return values  # type: ignore[return-value]


BBox = tuple[float, float, float, float]


class GeoJSONResponse(JSONResponse):
    """JSON answered as ``application/geo+json``."""

    media_type = GEOJSON


@dataclass(frozen=True)
class CollectionRef:
    """A known collection: its id, title and boundary level (None: the records store)."""

    id: str
    title: str
    level: Level | None


def collection(
    collection_id: Annotated[str, PathParam(description=f"One of {', '.join(COLLECTIONS)}")],
) -> CollectionRef:
    """Dependency: the collection named in the path, or a 404 listing the known ones."""
    if collection_id not in COLLECTIONS:
        raise ApiError(
            404, "not_found", f"No collection {collection_id!r}. Collections: {', '.join(COLLECTIONS)}."
        )
    title, level = COLLECTIONS[collection_id]
    return CollectionRef(collection_id, title, level)


def bbox_query(
    bbox: str | None = Query(None, description="minx,miny,maxx,maxy in lon/lat (EPSG:4326)"),
) -> BBox | None:
    """Dependency: the ``bbox`` query parameter, parsed and checked (422 otherwise)."""
    return parse_bbox(bbox)


CollectionDep = Annotated[CollectionRef, Depends(collection)]
BBoxDep = Annotated[BBox | None, Depends(bbox_query)]


def _collection(request: Request, ref: CollectionRef) -> Collection:
    links = [
        Link(href=link_url(request, "collection", collection_id=ref.id), rel="self", type="application/json"),
        Link(href=link_url(request, "items", collection_id=ref.id), rel="items", type=GEOJSON),
    ]
    return Collection(
        id=ref.id, title=ref.title, crs=["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        attribution=None if ref.level is None else ATTRIBUTION,
        extent=Extent(spatial={"bbox": [[97.3, 5.6, 105.7, 20.5]]}), links=links,
    )


_geojson_features = frame_features


def _page_links(request: Request, cid: str, offset: int, limit: int, returned: int, matched: int) -> list[dict]:
    params = dict(request.query_params)

    def link(rel: str, off: int) -> dict:
        query = {**params, "offset": str(off), "limit": str(limit)}
        return {"href": link_url(request, "items", query, collection_id=cid), "rel": rel, "type": GEOJSON}

    links = [link("self", offset)]
    if offset + returned < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    links.append({"href": link_url(request, "collection", collection_id=cid), "rel": "collection",
                  "type": "application/json"})
    return links


def _boundary_page(
    frame: gpd.GeoDataFrame, bbox, zone: str | None, province: str | None, limit: int, offset: int
) -> tuple[gpd.GeoDataFrame, int]:
    if bbox is not None:
        hits = frame.sindex.query(shapely.box(*bbox), predicate="intersects")
        frame = frame.iloc[sorted(hits)]
    if zone is not None:
        frame = frame[frame["inspection_zone"] == str(zone)]
    if province is not None:
        frame = frame[frame["code"].str[: CODE_LENGTH["province"]] == str(province)]
    return frame.iloc[offset : offset + limit], len(frame)


async def _page(store: Any, boundaries: Any, level: Level | None, where: RecordFilter, limit: int,
                offset: int) -> tuple[list[str], int]:
    """One page of features (one JSON text each) and how many match, from the store or a
    boundary level.
    """
    if level is None:
        return await run_in_threadpool(store.query_features_json, where, limit=limit, offset=offset)
    whole = await run_in_threadpool(boundary_units, boundaries, level)
    frame, matched = await run_in_threadpool(
        _boundary_page, whole, where.bbox, where.zone, where.province, limit, offset)
    features = await run_in_threadpool(_geojson_features, frame, "code")
    return [json.dumps(f, ensure_ascii=False) for f in features], matched


def _geojson(body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)


# -- handlers ------------------------------------------------------------------------------------

def conformance() -> Conformance:
    """OGC API conformance classes."""
    return Conformance(conformsTo=CONFORMANCE)


def collections(request: Request, key: ReaderDep) -> Collections:
    """Collections: pins and the three boundary levels."""
    refs = [collection(cid) for cid in COLLECTIONS]
    return Collections(
        collections=[_collection(request, ref) for ref in refs],
        links=[Link(href=link_url(request, "collections"), rel="self", type="application/json")],
    )


def one_collection(request: Request, key: ReaderDep, ref: CollectionDep) -> Collection:
    """One collection."""
    return _collection(request, ref)


async def items(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    boundaries: BoundariesDep,
    key: ReaderDep,
    ref: CollectionDep,
    box: BBoxDep,
    limit: int | None = Query(None, ge=1, description="Features per page"),
    offset: int = Query(0, ge=0, le=10**9),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    province: str | None = Query(None, max_length=2, description="Province code, e.g. 40"),
    kind: Literal["pins", "plots", "households"] | None = Query(
        None, description="Only records of this kind (pins collection)"
    ),
) -> Response:
    """Features of a collection (GeoJSON), filtered by bbox/zone/province, paged."""
    zone = read_zone(request, key, zone)
    limit = min(limit or settings.default_page, settings.max_page)
    where = RecordFilter(bbox=box, zone=zone, province=province, kind=kind)
    features, matched = await _page(store, boundaries, ref.level, where, limit, offset)
    rest = json.dumps({
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": _page_links(request, ref.id, offset, limit, len(features), matched),
    }, ensure_ascii=False)
    # the features' texts are joined, never parsed again (the store built them)
    body = '{"type": "FeatureCollection", "features": [' + ",".join(features) + "], " + rest[1:]
    return Response(body, media_type=GEOJSON)


async def item(
    request: Request, feature_id: str, store: StoreDep, boundaries: BoundariesDep, key: ReaderDep,
    ref: CollectionDep,
) -> Response:
    """One feature (GeoJSON); a zone key sees only its zone's."""
    missing = ApiError(404, "not_found", f"No feature {feature_id!r} in {ref.id}.")
    if ref.level is None:
        # ASCII digits only: "¹".isdigit() is True, and int("¹") fails
        if not (feature_id.isascii() and feature_id.isdigit()) or len(feature_id) > 18:
            raise missing
        # straight from the row (no frame): a single feature costs less than a page
        found = await run_in_threadpool(store.feature, int(feature_id))
    else:
        whole = await run_in_threadpool(boundary_units, boundaries, ref.level)
        frame = whole[whole["code"] == feature_id]
        found = _geojson_features(frame, "code")[0] if len(frame) else None
    if found is None:
        raise missing
    zone = found["properties"].get("inspection_zone")
    read_zone(request, key, None if zone is None else str(zone))
    return _geojson(found)


@dataclass
class FeaturesFactory:
    """The OGC API Features routes, as in tipg's endpoint factories.

    Attributes
    ----------
    tags : list of str
        OpenAPI tags of the routes.
    router : APIRouter
        Built from the fields in ``__post_init__``; include it in the app.
    """

    tags: list[str | Enum] = field(default_factory=lambda: ["features"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        add = self.router.add_api_route
        add("/conformance", conformance, name="conformance", response_model=Conformance,
            summary="OGC API conformance classes")
        add("/collections", collections, name="collections", response_model=Collections,
            responses=errors(401, 403, 422, 429), summary="Collections: pins and the three boundary levels")
        add("/collections/{collection_id}", one_collection, name="collection", response_model=Collection,
            responses=errors(401, 403, 404, 422, 429), summary="One collection")
        add("/collections/{collection_id}/items", items, name="items", response_model=FeatureCollection,
            response_class=GeoJSONResponse, responses=errors(401, 403, 404, 422, 429),
            summary="Features of a collection (GeoJSON), filtered by bbox/zone/province, paged")
        add("/collections/{collection_id}/items/{feature_id}", item, name="item", response_model=Feature,
            response_class=GeoJSONResponse, responses=errors(401, 403, 404, 422, 429),
            summary="One feature (GeoJSON)")


def router() -> APIRouter:
    """The features routes (see :class:`FeaturesFactory`)."""
    return FeaturesFactory().router
