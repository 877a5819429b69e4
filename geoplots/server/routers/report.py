"""The field report page ``/report`` (รายงานภาคสนาม) and what it needs to work offline.

* ``/report``: the mobile page (Thai, English available); its script
  (``/static/report.js``) keeps the officer's key on the phone, finds the position (GPS,
  a tap on the map, or an address), queues each report in IndexedDB and sends it to
  ``POST /api/pins`` as ``multipart/form-data`` (``record`` + ``photo`` fields).
* ``/report-sw.js``: the service worker (scope ``/report``) that keeps the page and its
  assets for use with no network and sends the queue when the network returns.
* ``/report.webmanifest``: makes the page installable (home-screen icon).
* ``/api/report/me`` and ``/api/report/units``: the key's holder and zone, the page's
  thresholds, and the sub-districts of the zone for the address choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

import geoplots
from geoplots.boundaries import Boundaries
from geoplots.server import auth
from geoplots.server.deps import BoundariesDep, KeyDep, SettingsDep, boundary_units, require_boundaries
from geoplots.server.models import errors
from geoplots.server.security import REPORT_POLICY, SERVICE_WORKER_POLICY

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
STATIC = Path(__file__).resolve().parents[1] / "static"


def report_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The field report page (the key is given on the page, never in the address)."""
    return TEMPLATES.TemplateResponse(
        request, "report.html",
        {"version": geoplots.__version__, "accuracy_m": settings.report_accuracy_m},
        headers={"Content-Security-Policy": REPORT_POLICY, "Cache-Control": "no-cache"},
    )


def service_worker() -> FileResponse:
    """The service worker; ``no-cache`` so a new version reaches phones at their next visit."""
    return FileResponse(STATIC / "report-sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Content-Security-Policy": SERVICE_WORKER_POLICY})


def manifest() -> Response:
    """The web app manifest: name, icons, start URL and colours of the installed page."""
    body = {
        "name": "รายงานภาคสนาม กรมการพัฒนาชุมชน / CDD field report",
        "short_name": "รายงาน พช.",
        "start_url": "/report",
        "scope": "/report",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#004b87",
        "lang": "th",
        "icons": [
            {"src": "/static/report-icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/static/report-icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        ],
    }
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


class ReportMe(BaseModel):
    """Who the key belongs to, and the page's settings."""

    name: str
    role: str
    zone: str | None
    can_write: bool
    accuracy_m: float
    photo_far_m: float
    max_photos: int


async def me(key: KeyDep, settings: SettingsDep) -> ReportMe:
    """The key's holder, role and zone (401 without a key)."""
    key = auth.require(key, "read")
    return ReportMe(name=key.name, role=key.role, zone=key.zone, can_write="write" in auth.PERMISSIONS[key.role],
                    accuracy_m=settings.report_accuracy_m, photo_far_m=settings.photo_far_m,
                    max_photos=settings.max_photos)


class Unit(BaseModel):
    """A sub-district to report at when there is no position (ตำบล, อำเภอ, จังหวัด)."""

    code: str
    name: str
    district: str
    province: str


async def units(key: KeyDep, boundaries: BoundariesDep) -> list[Unit]:
    """The sub-districts of the key's zone (every one for a key of all zones), by name."""
    key = auth.require(key, "read")
    boundary_units(boundaries, "subdistrict")  # 503 without them
    return _units(require_boundaries(boundaries), key.zone)


@lru_cache(maxsize=32)
def _units(boundaries: Boundaries, zone: str | None) -> list[Unit]:
    """Per snapshot and zone, once (a Boundaries object is hashed by its root and snapshot)."""
    subs = boundaries.with_zones("subdistrict")
    if zone is not None:
        subs = subs[subs["inspection_zone"].astype("string") == zone]
    districts = boundaries.level("district").set_index("code")["name_th"].to_dict()
    provinces = boundaries.level("province").set_index("code")["name_th"].to_dict()
    return [
        Unit(code=str(c), name=str(n), district=str(districts.get(d, "")), province=str(provinces.get(p, "")))
        for c, n, d, p in zip(subs["code"], subs["name_th"], subs["district_code"], subs["province_code"])
    ]


@dataclass
class ReportFactory:
    """The field report page and its helpers; ``router`` is built in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["report"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        r = self.router = APIRouter(tags=self.tags)
        r.add_api_route("/report", report_page, name="report", response_class=HTMLResponse,
                        summary="The field report page (mobile, offline)", tags=["pages"])
        r.add_api_route("/report-sw.js", service_worker, name="report_sw", include_in_schema=False)
        r.add_api_route("/report.webmanifest", manifest, name="report_manifest", include_in_schema=False)
        r.add_api_route("/api/report/me", me, name="report_me", response_model=ReportMe,
                        summary="The key's holder and zone, and the report page's settings",
                        responses=errors(401, 422, 429))
        r.add_api_route("/api/report/units", units, name="report_units", response_model=list[Unit],
                        summary="Sub-districts of the key's zone (to report by address)",
                        responses=errors(401, 422, 429, 503))


def router() -> APIRouter:
    """The routes of :class:`ReportFactory`."""
    return ReportFactory().router
