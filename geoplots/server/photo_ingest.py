"""The photo steps of ``POST /api/pins`` (a record sent with its photos, รายงานพร้อมรูปถ่าย).

The ingest route reads a ``multipart/form-data`` body with :func:`read_form` (each photo
part limited to ``max_photo_bytes`` while it streams in, at most ``max_photos`` files),
checks and cleans every photo (:func:`prepare_photos`: 413/415 before any row is read),
gives the located record its ``photo_ids`` and a ``photo_far_from_pin`` warning for a
photo whose EXIF position is far from the pin (:func:`attach_photos`, which also writes
the files), stores the record, then the photo rows (:func:`store_photos`). The record
is acknowledged only after both, so a report the phone did not hear back about is sent
again, and the resend stores nothing twice (photo ids come from the record id and the
content).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from geoplots.records import Records, RowWarning
from geoplots.server.errors import ApiError
from geoplots.server.photos import Photo, PhotoFiles, distance_m, now_iso, photo_id, prepare
from geoplots.server.settings import Settings
from geoplots.server.store.base import ApiKey, PhotoRow, Store

#: Form fields of a record sent with photos.
RECORD_FIELD, PHOTO_FIELD = "record", "photo"


class _LimitedParser(MultiPartParser):
    """Starlette's multipart parser, refusing a photo part as soon as it passes its limit."""

    def __init__(self, *args, max_photo_bytes: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.max_photo_bytes = max_photo_bytes
        self._part_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._part_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._part_bytes += end - start
        if self._current_part.field_name == PHOTO_FIELD and self._part_bytes > self.max_photo_bytes:
            raise ApiError(413, "photo_too_large", f"A photo is larger than {self.max_photo_bytes:,} bytes. "
                           "Resize it (the report page sends photos at most 1600 px on their longest side).",
                           max_photo_bytes=self.max_photo_bytes)
        super().on_part_data(data, start, end)


async def read_form(request: Request, settings: Settings) -> FormData:
    """Parse a ``multipart/form-data`` body as it streams in, within the photo limits.

    Raises
    ------
    ApiError
        413 for a photo part over ``max_photo_bytes``; 422 for a malformed body or more
        files than ``max_photos``.
    """
    parser = _LimitedParser(request.headers, request.stream(), max_files=settings.max_photos, max_fields=20,
                            max_photo_bytes=settings.max_photo_bytes)
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise ApiError(422, "invalid_form", f"The upload could not be read: {exc.message} (at most "
                       f"{settings.max_photos} files, 20 fields).", max_photos=settings.max_photos) from exc


async def photo_report_parts(form: FormData, settings: Settings) -> list[tuple[str, bytes]]:
    """The ``photo`` files of a form as (name for messages, bytes); other files are refused."""
    out: list[tuple[str, bytes]] = []
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            continue
        if name != PHOTO_FIELD:
            raise ApiError(422, "invalid_form", f"A record's photos go in fields named 'photo', not {name!r}.")
        label = f"{len(out) + 1} ({value.filename or 'no name'})"
        out.append((label.encode("utf-8", "replace").decode("utf-8")[:120], await value.read()))
    return out


def prepare_photos(sent: list[tuple[str, bytes]], settings: Settings) -> list[Photo]:
    """Decode, check and clean each sent photo (see :func:`geoplots.server.photos.prepare`)."""
    return [prepare(raw, max_bytes=settings.max_photo_bytes, max_pixels=settings.max_photo_pixels, name=name)
            for name, raw in sent]


@dataclass(frozen=True)
class Attached:
    """A photo given to a record: its id, the cleaned photo, its distance from the pin."""

    id: str
    photo: Photo
    distance_m: float | None
    kind: str
    record_id: str | None


def attach_photos(located: Records, photos: list[Photo], kind: str, store: Store,
                  settings: Settings) -> list[Attached]:
    """Give the one located record its ``photo_ids`` (the ones it already had first) and
    a ``photo_far_from_pin`` warning per far photo; write the files. Nothing is done for
    a request without photos.
    """
    acc = located.accepted
    if not photos or len(acc) != 1:
        return []
    record_id = _record_id(acc)
    pin = (float(acc["lat"].iloc[0]), float(acc["lon"].iloc[0])) if {"lat", "lon"} <= set(acc.columns) else None
    attached = _unique([Attached(photo_id(kind, record_id, p.sha256), p, _distance(p, pin), kind, record_id)
                        for p in photos])
    known = store.photo_ids_of(kind, record_id) if record_id is not None else []  # type: ignore[arg-type]
    ids = known + [a.id for a in attached if a.id not in known]
    far = [RowWarning("photo_far_from_pin", f"{a.distance_m:,.0f} m > {settings.photo_far_m:,.0f} m")
           for a in attached if a.distance_m is not None and a.distance_m > settings.photo_far_m]
    warnings = list(acc["warnings"].iloc[0] or []) if "warnings" in acc.columns else []
    acc["photo_ids"] = pd.Series([ids], index=acc.index, dtype=object)
    acc["warnings"] = pd.Series([warnings + far], index=acc.index, dtype=object)
    files = PhotoFiles(settings.photo_directory())
    for a in attached:
        files.write(a.id, a.photo)
    return attached


def _record_id(acc: pd.DataFrame) -> str | None:
    if "record_id" not in acc.columns or pd.isna(acc["record_id"].iloc[0]):
        return None
    return str(acc["record_id"].iloc[0])


def _distance(photo: Photo, pin: tuple[float, float] | None) -> float | None:
    if photo.lat is None or photo.lon is None or pin is None or not all(map(math.isfinite, pin)):
        return None
    return round(distance_m(photo.lat, photo.lon, *pin), 1)


def _unique(attached: list[Attached]) -> list[Attached]:
    seen: dict[str, Attached] = {}
    for a in attached:
        seen.setdefault(a.id, a)  # the same photo twice in one report is one photo
    return list(seen.values())


def store_photos(store: Store, attached: list[Attached], record_ids: list[int], key: ApiKey) -> list[str]:
    """Store the photo rows of the record stored as ``record_ids[0]``; return the new ids."""
    if not attached:
        return []
    received = now_iso()
    rows = [
        PhotoRow(id=a.id, record=int(record_ids[0]), kind=a.kind, record_id=a.record_id, sha256=a.photo.sha256,
                 media_type=a.photo.media_type, width=a.photo.width, height=a.photo.height,
                 bytes=len(a.photo.data), taken_at=a.photo.taken_at, lat=a.photo.lat, lon=a.photo.lon,
                 distance_m=a.distance_m, key_id=key.id, received_at=received)
        for a in attached
    ]
    return store.add_photos(rows)
