"""``/maps/coverage``: the coverage map of :func:`geoplots.map` as a page, offline-ready.

Leaflet and its plugins are linked from this server's ``/vendor`` (the files
``scripts/setup`` installs), so the page needs no internet. Pages are cached per store
version, like ``/api/coverage``.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from geoplots.errors import GeoplotsError
from geoplots.levels import parse_level
from geoplots.server.deps import ReaderDep, read_zone
from geoplots.server.errors import ApiError


def _render(app: Any, level: str, zone: str | None, province: str | None, offline: bool | str) -> bytes:
    from geoplots.coverage import coverage
    from geoplots.maps import map as make_map
    from geoplots.maps import to_html

    settings, store = app.state.settings, app.state.store
    records = store.all_records(kind="pins")
    cov = coverage(records, level=level, zone=zone, data=settings.data)
    m = make_map(cov, records, zone=zone, province=province, offline=offline, data=settings.data)
    return to_html(m).encode("utf-8")


def router() -> APIRouter:
    r = APIRouter(tags=["maps"])

    @r.get("/maps/coverage", response_class=HTMLResponse, summary="Coverage map page (Folium)")
    async def coverage_map(
        request: Request,
        key: ReaderDep,
        level: str = Query("district", max_length=20, description="province, district or subdistrict"),
        zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
        province: str | None = Query(None, max_length=60, description="Province code or name"),
    ) -> HTMLResponse:
        app = request.app
        try:
            canonical = parse_level(level)
        except GeoplotsError as exc:
            raise ApiError(422, "unknown_level", str(exc)) from exc
        zone = read_zone(request, key, zone)
        offline: bool | str = "/vendor" if any(getattr(rt, "name", None) == "vendor" for rt in app.routes) else False
        version = await run_in_threadpool(app.state.store.version)
        cache_key = (canonical, zone, province)
        try:
            body = await app.state.map_cache.get_or_compute(
                version, cache_key, partial(_render, app, canonical, zone, province, offline))
        except GeoplotsError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc
        return HTMLResponse(body)

    return r
