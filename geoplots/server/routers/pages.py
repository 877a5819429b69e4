"""The war-room page ``/`` and ``/health``."""

from __future__ import annotations

from enum import Enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from geoplots.counting.rules import RULES
from geoplots.groups import inspection_zones
from geoplots.layers import palette
from geoplots.levels import LEVELS, THAI_NAME
from geoplots.server.deps import BoundariesDep, KeyDep, StoreDep, read_zone
from geoplots.server.labels import province_names, zone_label
from geoplots.server.models import Health, LandingPage, errors, json_content
from geoplots.server.routers.features import landing_page, wants_json
from geoplots.server.security import WARROOM_POLICY
from geoplots.server.store import RecordFilter

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
FAVICON = Path(__file__).resolve().parents[1] / "static" / "favicon.ico"

LEVEL_LABELS = {lvl: f"{THAI_NAME[lvl]} / {lvl}" for lvl in LEVELS}

#: The war room's targets: (rule, label, kind of records shown as pins). First plain coverage
#: of pins, then every rule of the registry (names, titles and kinds come from it; the page's
#: level selector applies to the rules that take a level).
TARGETS: list[tuple[str, str, str]] = [("", "หมุดที่รายงาน อย่างน้อยหน่วยละ 1 / Reported pins: at least 1 per unit",
                                         "pins")] + [(rule.name, rule.title, rule.kind) for rule in RULES.values()]


def _target_config() -> list[dict[str, Any]]:
    """Every target the page offers: rule (or "" for plain coverage), titles, kind, level."""
    plain = {"value": "", "th": "หมุดที่รายงาน อย่างน้อยหน่วยละ 1", "en": "Reported pins: at least 1 per unit",
             "kind": "pins", "takes_level": True, "level": None, "tiers": False}
    return [plain] + [
        {"value": r.name, "th": r.title_th, "en": r.title_en, "kind": r.kind, "takes_level": "level" in r.option_names,
         "level": getattr(r.parameters(), "level", None), "tiers": "thresholds" in r.option_names}
        for r in RULES.values()
    ]


def _page_config(request: Request) -> dict[str, Any]:
    """What the page script needs, written into the page as JSON (a data attribute, no inline script)."""
    boundaries = request.app.state.boundaries
    scheme = inspection_zones()
    provinces = {} if boundaries is None else province_names(boundaries)
    return {
        "zones": [{"value": z, "th": zone_label(z)[0], "en": zone_label(z)[1],
                   "provinces": [c for c in scheme.codes_in(z) if c in provinces]} for z in scheme.groups()],
        "provinces": {c: names[0] for c, names in provinces.items()},
        "targets": _target_config(),
        "levels": {lvl: [THAI_NAME[lvl], lvl] for lvl in LEVELS},
        "poll_seconds": max(2.0, float(request.app.state.settings.sse_poll_seconds)),
        "palette": {"met": palette.MET_COLOR, "not_met": palette.NOT_MET_COLOR, "no_data": palette.NO_DATA_COLOR,
                    "gap": palette.GAP_COLOR, "tiers": palette.TIER_COLORS, "match": palette.MATCH_COLORS},
        # hook: the URL of a light sea/neighbours GeoJSON layer drawn, inert, under the units
        "backdrop": None,
    }


def warroom(request: Request) -> Response:
    """The war-room page (ห้องสถานการณ์): a wall-screen dashboard whose script reads the URL
    (kiosk mode); to a client that asks for JSON (``Accept: application/json``, ``?f=json``)
    the OGC API landing page.
    """
    if wants_json(request):
        return JSONResponse(landing_page(request), headers={"Vary": "Accept"})
    app = request.app
    config = _page_config(request)
    return TEMPLATES.TemplateResponse(
        request,
        "warroom.html",
        {
            "zones": [(z["value"], z["th"]) for z in config["zones"]],
            "levels": LEVEL_LABELS,
            "targets": TARGETS,
            "config": config,
            "leaflet": "/vendor/leaflet/dist" if any(
                getattr(route, "name", None) == "vendor" for route in app.routes
            ) else None,
            "attribution": "OCHA, Royal Thai Survey Department (CC BY-IGO)",
        },
        headers={"Content-Security-Policy": WARROOM_POLICY, "Vary": "Accept"},
    )


def favicon() -> FileResponse:
    """The war room's icon (a blue map pin), so browsers stop asking for a missing one."""
    return FileResponse(FAVICON, media_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"})


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
        self.router.add_api_route("/favicon.ico", favicon, name="favicon", include_in_schema=False)
        self.router.add_api_route(
            "/health", health, name="health", summary="Liveness, and what the server holds (to readers)",
            tags=["health"], response_model=Health, response_model_exclude_unset=True,
            responses=errors(401, 422, 429),
        )


def router() -> APIRouter:
    """The routes of :class:`PagesFactory`."""
    return PagesFactory().router
