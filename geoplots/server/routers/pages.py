"""The war-room page ``/`` and ``/health``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

import geoplots
from geoplots.groups import inspection_zones
from geoplots.levels import LEVELS, THAI_NAME
from geoplots.server.deps import BoundariesDep, StoreDep
from geoplots.server.security import WARROOM_POLICY

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

LEVEL_LABELS = {lvl: f"{THAI_NAME[lvl]} / {lvl}" for lvl in LEVELS}


def router() -> APIRouter:
    r = APIRouter()

    @r.get("/", response_class=HTMLResponse, summary="The war-room page", tags=["pages"])
    def warroom(request: Request) -> HTMLResponse:
        app = request.app
        return TEMPLATES.TemplateResponse(
            request,
            "warroom.html",
            {
                "zones": inspection_zones().groups(),
                "levels": LEVEL_LABELS,
                "leaflet": "/vendor/node_modules/leaflet/dist" if any(
                    getattr(route, "name", None) == "vendor" for route in app.routes
                ) else None,
                "attribution": "OCHA, Royal Thai Survey Department (CC BY-IGO)",
                "version": geoplots.__version__,
            },
            headers={"Content-Security-Policy": WARROOM_POLICY},
        )

    @r.get("/health", summary="Liveness and what the server holds", tags=["health"])
    async def health(store: StoreDep, boundaries: BoundariesDep) -> dict:
        version = await run_in_threadpool(store.version)
        count = await run_in_threadpool(store.count)
        return {
            "status": "ok",
            "store": store.url.split("://", 1)[0],
            "version": version,
            "records": count,
            "boundaries": boundaries.snapshot(),
        }

    return r
