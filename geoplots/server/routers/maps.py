"""``/maps/coverage``: the coverage map of :func:`geoplots.map` as a page, offline-ready.

Leaflet and its plugins are linked from this server's ``/vendor`` (the files
``scripts/setup`` installs), so the page needs no internet. Pages are cached per store
version, like ``/api/coverage``, with their Content-Security-Policy: the page's inline
scripts by hash (:func:`geoplots.server.security.page_policy`), nothing else inline.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from geoplots.server.deps import ReaderDep, api_level, read_zone
from geoplots.server.security import page_policy


def _render(
    app: Any, level: str, zone: str | None, province: str | None, offline: bool | str
) -> tuple[bytes, str]:
    """The page and its Content-Security-Policy (pin photos and online tiles are web images)."""
    from geoplots.coverage import coverage
    from geoplots.maps import map as make_map
    from geoplots.maps import to_html

    settings, store = app.state.settings, app.state.store
    records = store.all_records(kind="pins")
    cov = coverage(records, level=level, zone=zone, data=settings.data)
    m = make_map(cov, records, zone=zone, province=province, offline=offline, data=settings.data)
    html = to_html(m)
    return html.encode("utf-8"), page_policy(html, images=("https:", "http:"))


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
        canonical = api_level(level)
        zone = read_zone(request, key, zone)
        offline: bool | str = "/vendor" if any(getattr(rt, "name", None) == "vendor" for rt in app.routes) else False
        body, policy = await app.state.map_cache.answer(
            app.state.store, (canonical, zone, province),
            lambda _version: _render(app, canonical, zone, province, offline))
        return HTMLResponse(body, headers={"Content-Security-Policy": policy})

    return r
