"""Photos of field records: ``/photos/{id}``, ``/photos/{id}/thumb`` and a unit's gallery.

Read like records: anyone when reads are open; with ``reads_protected`` a key, and a
zone key only its zone's photos (403 otherwise, as for a record). What is served is the
re-encoded image (:mod:`geoplots.server.photos`: orientation applied, no metadata) with
its decoded type fixed in ``Content-Type``, ``nosniff`` (every answer) and cache headers:
a photo's id names its content, so it never changes (``immutable``); with protected
reads only the browser may keep it (``private``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from geoplots.server.deps import ReaderDep, SettingsDep, StoreDep, read_zone
from geoplots.server.errors import ApiError
from geoplots.server.models import errors
from geoplots.server.photos import PHOTO_ID, FORMATS, PhotoFiles
from geoplots.server.security import REPORT_POLICY
from geoplots.server.store.base import ApiKey, PhotoRow, Store

_SUFFIX = {media_type: suffix for media_type, suffix in FORMATS.values()}


async def _readable(request: Request, store: Store, key: ApiKey | None, photo_id: str) -> PhotoRow:
    """The photo, if it exists and this caller may read its record; else 404/403."""
    missing = ApiError(404, "not_found", f"No photo {photo_id[:64]!r}.")
    if not PHOTO_ID.match(photo_id):
        raise missing  # no path is ever built from anything but a well-formed id
    row = await run_in_threadpool(store.photo, photo_id)
    if row is None:
        raise missing
    read_zone(request, key, row.inspection_zone or "")  # a zone key on a protected server: its zone only
    return row


def _file(request: Request, settings_dir: PhotoFiles, row: PhotoRow, suffix: str, media_type: str) -> FileResponse:
    path = settings_dir.path(row.id, suffix)
    if not path.is_file():
        raise ApiError(404, "not_found", f"The file of photo {row.id} is missing on this server.")
    protected = request.app.state.settings.reads_protected
    cache = "private, max-age=86400, immutable" if protected else "public, max-age=31536000, immutable"
    headers = {"Cache-Control": cache, "Content-Disposition": f'inline; filename="{row.id}.{suffix.split(".")[-1]}"'}
    if protected:
        headers["Vary"] = "Authorization"
    return FileResponse(path, media_type=media_type, headers=headers)


async def photo(request: Request, photo_id: str, store: StoreDep, settings: SettingsDep,
                key: ReaderDep) -> FileResponse:
    """The photo as sent, cleaned: orientation applied, no EXIF."""
    row = await _readable(request, store, key, photo_id)
    return _file(request, PhotoFiles(settings.photo_directory()), row, _SUFFIX[row.media_type], row.media_type)


async def thumb(request: Request, photo_id: str, store: StoreDep, settings: SettingsDep,
                key: ReaderDep) -> FileResponse:
    """A JPEG thumbnail of the photo (longest side 320 px)."""
    row = await _readable(request, store, key, photo_id)
    return _file(request, PhotoFiles(settings.photo_directory()), row, "thumb.jpg", "image/jpeg")


class UnitPhoto(BaseModel):
    """One photo in a unit's gallery."""

    id: str
    record: int
    name: str | None
    taken_at: str | None
    received_at: str
    distance_m: float | None
    url: str
    thumb: str


async def unit_photos(
    request: Request, store: StoreDep, key: ReaderDep,
    unit: Annotated[str, Query(pattern=r"^\d{2,8}$", description="Province, district or sub-district code")],
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[UnitPhoto]:
    """The newest photos of the records in one unit (จังหวัด/อำเภอ/ตำบล), for its gallery."""
    zone = read_zone(request, key, None)
    found = await run_in_threadpool(lambda: store.unit_photos(unit, zone=zone, limit=limit))
    return [
        UnitPhoto(id=p.id, record=p.record, name=name, taken_at=p.taken_at, received_at=p.received_at,
                  distance_m=p.distance_m, url=f"/photos/{p.id}", thumb=f"/photos/{p.id}/thumb")
        for p, name in found
    ]


def gallery(request: Request) -> HTMLResponse:
    """The gallery page: a unit's photos (the page asks ``/api/photos`` with the saved key)."""
    from geoplots.server.routers.report import TEMPLATES

    return TEMPLATES.TemplateResponse(request, "gallery.html", {"unit": request.query_params.get("unit", "")},
                                      headers={"Content-Security-Policy": REPORT_POLICY})


@dataclass
class PhotosFactory:
    """Photo routes; ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["photos"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        files = {200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}, "description": "The image"},
                 **errors(401, 403, 404, 422, 429)}
        self.router.add_api_route("/photos/{photo_id}", photo, name="photo", response_class=FileResponse,
                                  summary="A record's photo (orientation applied, no EXIF)", responses=files)
        self.router.add_api_route("/photos/{photo_id}/thumb", thumb, name="photo_thumb",
                                  response_class=FileResponse, summary="A photo's thumbnail (JPEG)",
                                  responses=files)
        self.router.add_api_route("/api/photos", unit_photos, name="unit_photos", response_model=list[UnitPhoto],
                                  summary="The newest photos of one unit's records", responses=errors(401, 403, 422, 429))
        self.router.add_api_route("/gallery", gallery, name="gallery", response_class=HTMLResponse,
                                  summary="A unit's photo gallery", tags=["pages"])


def router() -> APIRouter:
    """The routes of :class:`PhotosFactory`."""
    return PhotosFactory().router
