"""OGC API - Features: ``/collections`` of pins and of the three boundary levels.

Items are GeoJSON FeatureCollections with ``numberMatched``, ``numberReturned`` and
``next``/``prev`` links, filtered by ``bbox=minx,miny,maxx,maxy`` (lon/lat, EPSG:4326)
and paged with ``limit``/``offset``; ``zone`` and ``province`` filter too.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Literal
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from geoplots.levels import CODE_LENGTH, Level
from geoplots.server.deps import BoundariesDep, ReaderDep, SettingsDep, StoreDep, boundary_units, read_zone
from geoplots.server.errors import ApiError
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


def public_base(request: Request) -> str:
    """The base URL of links the server hands out (``self``, ``next``...).

    ``GEOPLOTS_PUBLIC_URL`` when set; else the ``Host`` header only when
    ``GEOPLOTS_TRUSTED_HOSTS`` vetted it; else the address the connection came in on.
    Never an unchecked ``Host`` header: anyone can send one, and links built from it
    would send the next client wherever the sender likes.
    """
    settings = request.app.state.settings
    if settings.public_url:
        return settings.public_url
    if settings.host_names != ["*"]:
        return str(request.base_url).rstrip("/")
    server = request.scope.get("server")
    root = request.scope.get("root_path", "").rstrip("/")
    if not server:
        return root  # a Unix socket: links relative to the server's root
    host, port = server[0], server[1]
    scheme = request.url.scheme
    if ":" in str(host):
        host = f"[{host}]"  # IPv6
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}{'' if port in (None, default) else f':{port}'}{root}"


def _collection(request: Request, cid: str) -> dict[str, Any]:
    title, level = COLLECTIONS[cid]
    base = public_base(request)
    return {
        "id": cid,
        "title": title,
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "attribution": None if level is None else ATTRIBUTION,
        "extent": {"spatial": {"bbox": [[97.3, 5.6, 105.7, 20.5]]}},
        "links": [
            {"href": f"{base}/collections/{cid}", "rel": "self", "type": "application/json"},
            {"href": f"{base}/collections/{cid}/items", "rel": "items", "type": GEOJSON},
        ],
    }


def _check_collection(cid: str) -> Level | None:
    if cid not in COLLECTIONS:
        raise ApiError(
            404, "not_found", f"No collection {cid!r}. Collections: {', '.join(COLLECTIONS)}."
        )
    return COLLECTIONS[cid][1]


_geojson_features = frame_features


def _page_links(request: Request, cid: str, offset: int, limit: int, returned: int, matched: int) -> list[dict]:
    base = public_base(request) + f"/collections/{cid}/items"
    params = dict(request.query_params)

    def link(rel: str, off: int) -> dict:
        q = {**params, "offset": str(off), "limit": str(limit)}
        return {"href": f"{base}?{urlencode(q)}", "rel": rel, "type": GEOJSON}

    links = [link("self", offset)]
    if offset + returned < matched:
        links.append(link("next", offset + limit))
    if offset > 0:
        links.append(link("prev", max(0, offset - limit)))
    links.append({"href": public_base(request) + f"/collections/{cid}", "rel": "collection",
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


def router() -> APIRouter:
    r = APIRouter(tags=["features"])

    @r.get("/conformance", summary="OGC API conformance classes")
    def conformance() -> dict:
        return {"conformsTo": CONFORMANCE}

    @r.get("/collections", summary="Collections: pins and the three boundary levels")
    def collections(request: Request, key: ReaderDep) -> dict:
        base = public_base(request)
        return {
            "collections": [_collection(request, cid) for cid in COLLECTIONS],
            "links": [{"href": f"{base}/collections", "rel": "self", "type": "application/json"}],
        }

    @r.get("/collections/{collection_id}", summary="One collection")
    def collection(request: Request, collection_id: str, key: ReaderDep) -> dict:
        _check_collection(collection_id)
        return _collection(request, collection_id)

    @r.get(
        "/collections/{collection_id}/items",
        summary="Features of a collection (GeoJSON), filtered by bbox/zone/province, paged",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}, "description": "A GeoJSON FeatureCollection"}},
    )
    async def items(
        request: Request,
        collection_id: str,
        store: StoreDep,
        settings: SettingsDep,
        boundaries: BoundariesDep,
        key: ReaderDep,
        bbox: str | None = Query(None, description="minx,miny,maxx,maxy in lon/lat (EPSG:4326)"),
        limit: int | None = Query(None, ge=1, description="Features per page"),
        offset: int = Query(0, ge=0, le=10**9),
        zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
        province: str | None = Query(None, max_length=2, description="Province code, e.g. 40"),
        kind: Literal["pins", "plots", "households"] | None = Query(
            None, description="Only records of this kind (pins collection)"
        ),
    ) -> Response:
        level = _check_collection(collection_id)
        box = parse_bbox(bbox)
        zone = read_zone(request, key, zone)
        limit = min(limit or settings.default_page, settings.max_page)
        if level is None:
            features, matched = await run_in_threadpool(
                store.query_features, RecordFilter(bbox=box, zone=zone, province=province, kind=kind),
                limit=limit, offset=offset
            )
        else:
            whole = await run_in_threadpool(boundary_units, boundaries, level)
            frame, matched = await run_in_threadpool(_boundary_page, whole, box, zone, province, limit, offset)
            features = await run_in_threadpool(_geojson_features, frame, "code")
        body = {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": matched,
            "numberReturned": len(features),
            "timeStamp": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "links": _page_links(request, collection_id, offset, limit, len(features), matched),
        }
        return Response(json.dumps(body, ensure_ascii=False), media_type=GEOJSON)

    @r.get(
        "/collections/{collection_id}/items/{feature_id}",
        summary="One feature (GeoJSON)",
        response_class=Response,
        responses={200: {"content": {GEOJSON: {}}, "description": "A GeoJSON Feature"}},
    )
    async def item(
        request: Request, collection_id: str, feature_id: str, store: StoreDep,
        boundaries: BoundariesDep, key: ReaderDep,
    ) -> Response:
        level = _check_collection(collection_id)
        if level is None:
            # ASCII digits only: "¹".isdigit() is True, and int("¹") fails
            if not (feature_id.isascii() and feature_id.isdigit()) or len(feature_id) > 18:
                raise ApiError(404, "not_found", f"No feature {feature_id!r} in {collection_id}.")
            frame = await run_in_threadpool(store.get, int(feature_id))
            id_column = "id"
        else:
            whole = await run_in_threadpool(boundary_units, boundaries, level)
            frame = whole[whole["code"] == feature_id]
            id_column = "code"
        if len(frame) == 0:
            raise ApiError(404, "not_found", f"No feature {feature_id!r} in {collection_id}.")
        zone = frame["inspection_zone"].iloc[0]
        read_zone(request, key, None if pd.isna(zone) else str(zone))
        feature = _geojson_features(frame, id_column)[0]
        return Response(json.dumps(feature, ensure_ascii=False), media_type=GEOJSON)

    return r
