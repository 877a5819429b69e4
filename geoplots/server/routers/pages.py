"""The war-room page ``/`` and ``/health``."""

from __future__ import annotations

from enum import Enum
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

import geoplots
from geoplots.counting.rules import RULES
from geoplots.groups import inspection_zones
from geoplots.levels import LEVELS, THAI_NAME
from geoplots.server.deps import BoundariesDep, KeyDep, StoreDep, read_zone
from geoplots.server.models import Health, LandingPage, errors, json_content
from geoplots.server.routers.features import landing_page, wants_json
from geoplots.server.security import WARROOM_POLICY
from geoplots.server.store import RecordFilter

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

LEVEL_LABELS = {lvl: f"{THAI_NAME[lvl]} / {lvl}" for lvl in LEVELS}

#: The war room's targets: (rule, label, kind of records shown as pins). First plain coverage
#: of pins, then every rule that takes a level (the page's level selector applies to it);
#: names, titles and kinds come from the rule registry.
TARGETS: list[tuple[str, str, str]] = [("", "หมู่บ้านโก่งธนูโมเดล / model villages (≥1 per unit)", "pins")] + [
    (rule.name, rule.title, rule.kind) for rule in RULES.values() if "level" in rule.option_names
]


def warroom(request: Request) -> Response:
    """The war-room page: zones, levels and targets for its filters; to a client that asks
    for JSON (``Accept: application/json``, ``?f=json``) the OGC API landing page.
    """
    if wants_json(request):
        return JSONResponse(landing_page(request), headers={"Vary": "Accept"})
    app = request.app
    return TEMPLATES.TemplateResponse(
        request,
        "warroom.html",
        {
            "zones": inspection_zones().groups(),
            "levels": LEVEL_LABELS,
            "targets": TARGETS,
            "leaflet": "/vendor/node_modules/leaflet/dist" if any(
                getattr(route, "name", None) == "vendor" for route in app.routes
            ) else None,
            "attribution": "OCHA, Royal Thai Survey Department (CC BY-IGO)",
            "version": geoplots.__version__,
        },
        headers={"Content-Security-Policy": WARROOM_POLICY, "Vary": "Accept"},
    )


async def health(request: Request, store: StoreDep, boundaries: BoundariesDep, key: KeyDep) -> dict:
    """Liveness for anyone; to readers the store, its version and counts, the boundary snapshot."""
    settings = request.app.state.settings
    if settings.reads_protected and key is None:
        return {"status": "ok"}  # liveness for monitors; what is stored is for readers
    zone = read_zone(request, key, None)
    if zone is not None:  # a zone key on a protected server: its own zone's count only
        return {"status": "ok", "zone": zone, "records": await run_in_threadpool(store.count, RecordFilter(zone=zone))}
    version = await run_in_threadpool(store.version)
    count = await run_in_threadpool(store.count)
    return {
        "status": "ok",
        "store": store.url.split("://", 1)[0],
        "version": version,
        "records": count,
        "boundaries": None if boundaries is None else boundaries.snapshot,
    }


@dataclass
class PagesFactory:
    """The war-room page ``/`` and ``/health``; ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: [])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route("/", warroom, name="warroom", response_class=HTMLResponse,
                                  summary="The war-room page (HTML), or the OGC API landing page (JSON)",
                                  tags=["pages"], responses={200: {"content": {"application/json": json_content(LandingPage)}}})
        self.router.add_api_route(
            "/health", health, name="health", summary="Liveness, and what the server holds (to readers)",
            tags=["health"], response_model=Health, response_model_exclude_unset=True,
            responses=errors(401, 422, 429),
        )


def router() -> APIRouter:
    """The routes of :class:`PagesFactory`."""
    return PagesFactory().router
