"""``/maps/coverage``: the coverage map of :func:`geoplots.map` as a page, offline-ready.

Leaflet and its plugins are linked from this server's ``/vendor`` (the files
``scripts/setup`` installs), so the page needs no internet. Pages are cached per store
version, like ``/api/coverage``. On a protected server a zone key maps its own zone, or a
province of it (``?province=`` outside the zone is a 403). Each page has its Content-Security-Policy: the page's inline
scripts by hash (:func:`geoplots.server.security.page_policy`), nothing else inline.
"""

from __future__ import annotations

import re
import tempfile
from enum import Enum
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from geoplots.groups import INSPECTION_ZONE
from geoplots.server import auth
from geoplots.server.deps import ReaderDep, api_level, boundary_units, read_zone, require_boundaries
from geoplots.server.models import errors
from geoplots.server.security import page_policy
from geoplots.server.store import RecordFilter
from geoplots.server.store.base import ApiKey


def _render(app: Any, level: str, zone: str | None, province: str | None, offline: bool | str,
            scope: str | None = None) -> tuple[bytes, str]:
    """The map page and its Content-Security-Policy; ``scope`` is the zone a zone key reads
    (its records and units only). Pin photos and online tiles are web images.
    """
    from geoplots.counting import coverage_from_counts
    from geoplots.maps import map as make_map
    from geoplots.maps import to_html

    store, boundaries = app.state.store, require_boundaries(app.state.boundaries)
    chosen = RecordFilter(kind="pins", zone=scope)
    # counted by the store (GROUP BY); the rows are read only to draw the pins
    counts = store.counts_by(level, "pins", chosen)
    cov = coverage_from_counts(counts, level=level, zone=zone or scope, boundaries=boundaries)
    records = store.all_records(chosen)
    m = make_map(cov, records, zone=zone, province=province, offline=offline, boundaries=boundaries)
    html = to_html(m)
    return html.encode("utf-8"), page_policy(html, images=("https:", "http:"))


def _province_zone(boundaries: Any, province: str) -> str | None:
    """The inspection zone of a province given by code or name (None if there is no such
    province: the map then says so, 422).
    """
    provinces = boundary_units(boundaries, "province")
    text = province.strip()
    hit = provinces[(provinces["code"] == text) | (provinces["name_th"] == text)
                    | (provinces["name_en"].str.lower() == text.lower())]
    return None if hit.empty else str(hit[INSPECTION_ZONE].iloc[0])


def _scoped_province(request: Request, key: ApiKey | None, zone: str | None, province: str) -> str | None:
    """For a zone key on a protected server asking for a province: 403 outside its zone;
    returns the zone its map is confined to (None for other keys).
    """
    scope = read_zone(request, key, None)
    if scope is None:
        return None
    if zone is not None:
        auth.check_zone(key, zone)  # a zone asked for as well must be its own
    found = _province_zone(request.app.state.boundaries, province)
    if found is not None:
        auth.check_zone(key, found)
    return scope


async def _map_scope(
    request: Request, key: ApiKey | None, zone: str | None, province: str | None
) -> tuple[str | None, str | None]:
    """The zone a map counts and the zone a zone key's map is confined to (read rules)."""
    if province is None:
        return read_zone(request, key, zone), None
    # A zone key's map of a province of its zone: the province frames the map, the zone bounds it.
    scope = await run_in_threadpool(_scoped_province, request, key, zone, province)
    return (None if scope is not None else zone), scope


async def coverage_map(
    request: Request,
    key: ReaderDep,
    level: str = Query("district", max_length=20, description="province, district or subdistrict"),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    province: str | None = Query(None, max_length=60, description="Province code or name"),
) -> HTMLResponse:
    """The coverage map page, rendered once per store version and scope."""
    app = request.app
    canonical = api_level(level)
    zone, scope = await _map_scope(request, key, zone, province)
    offline: bool | str = "/vendor" if any(getattr(rt, "name", None) == "vendor" for rt in app.routes) else False
    body, policy = await app.state.map_cache.answer(
        app.state.store, (canonical, zone, province, scope),
        lambda _version: _render(app, canonical, zone, province, offline, scope))
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})


def _picture_handler(kind: str, media: str) -> Any:
    """``/maps/coverage.png`` and ``.pdf``: the same map, same read rules, as an A4 landscape picture."""

    async def coverage_picture(
        request: Request,
        key: ReaderDep,
        level: str = Query("district", max_length=20, description="province, district or subdistrict"),
        zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
        province: str | None = Query(None, max_length=60, description="Province code or name"),
    ) -> Response:
        from geoplots.layers import save_picture

        app = request.app
        canonical = api_level(level)
        zone, scope = await _map_scope(request, key, zone, province)
        html, _policy = await app.state.map_cache.answer(
            app.state.store, (canonical, zone, province, scope, "inline"),
            lambda _version: _render(app, canonical, zone, province, True, scope))

        def draw() -> bytes:
            with tempfile.TemporaryDirectory(prefix="geoplots-map-") as tmp:
                return save_picture(html.decode("utf-8"), f"{tmp}/map{kind}").read_bytes()

        # Only safe characters reach the header, whatever the query said.
        name = re.sub(r"[^A-Za-z0-9-]", "", f"coverage-{canonical}{'-zone' + zone if zone else ''}") + kind
        return Response(await run_in_threadpool(draw), media_type=media,
                        headers={"Content-Disposition": f'inline; filename="{name}"'})

    return coverage_picture


@dataclass
class MapsFactory:
    """``GET /maps/coverage`` (the Folium map page); ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ['maps'])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route(
            "/maps/coverage", coverage_map, name="coverage_map", response_class=HTMLResponse,
            summary="Coverage map page (Folium)", responses=errors(401, 403, 422, 429),
        )
        for kind, media in ((".png", "image/png"), (".pdf", "application/pdf")):
            self.router.add_api_route(
                f"/maps/coverage{kind}", _picture_handler(kind, media), name=f"coverage_map_{kind[1:]}",
                response_class=Response, summary=f"Coverage map as an A4 landscape {kind[1:].upper()}",
                responses={200: {"content": {media: {}}}, **errors(401, 403, 422, 429)},
            )


def router() -> APIRouter:
    """The routes of :class:`MapsFactory`."""
    return MapsFactory().router
