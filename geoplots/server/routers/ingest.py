"""``POST /api/pins``: field records in over HTTP, validated, located, stored atomically.

One record (a JSON object), a batch (a JSON array, or a GeoJSON FeatureCollection for
plots with polygons), or a file upload (CSV/XLSX/GeoJSON/GeoPackage/KML, as
``multipart/form-data`` field ``file`` or as the raw body with its content type). A file
is read only by the reader its name (or content type) names, within the row and size
limits: a disguised file is a 415, a too-long one a 413 before it is all read. A record
with its photos (the ``/report`` page, a Kobo bridge) is ``multipart/form-data`` with a
``record`` field (the JSON of one record) and ``photo`` file fields: see
:func:`_photo_report` and :mod:`geoplots.server.photos`. Rows go
through the same rules as ``geoplots check`` (:func:`geoplots.readers.normalize_records`)
and the join (:func:`geoplots.locate`); the accepted rows are stored in one transaction
and the answer lists every row's outcome. A batch with no valid row is a 422 with the
same list.
"""

from __future__ import annotations

import json
import logging
from enum import Enum
from dataclasses import dataclass, field
import tempfile
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from geoplots.boundaries import Boundaries
from geoplots.errors import FileContentError, GeoplotsError, InputTooLargeError, TooManyRowsError
from geoplots.records import Records
from geoplots.server import auth
from geoplots.server.deps import BoundariesDep, SettingsDep, StoreDep, WriterDep, boundary_units, require_boundaries
from geoplots.server.errors import ApiError
from geoplots.server.events import Event
from geoplots.server.inputs import check_frame_text, read_json
from geoplots.server.models import ErrorModel, IngestOutcome, IngestRejected
from geoplots.server.photo_ingest import attach_photos, photo_report_parts, prepare_photos, read_form, store_photos
from geoplots.server.settings import Settings
from geoplots.server.store.base import ApiKey, BatchResult, Kind, OutsideZoneError, Store
from geoplots.server.store import with_names
from geoplots.server.zones import POLYGONAL, area_in_other_zones

log = logging.getLogger("geoplots.server")

_FILE_TYPES = {
    "text/csv": ".csv",
    "application/csv": ".csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/geopackage+sqlite3": ".gpkg",
    "application/vnd.google-earth.kml+xml": ".kml",
    "application/vnd.google-earth.kmz": ".kmz",
}
_UPLOAD_SUFFIXES = {".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".kml", ".kmz"}

#: Located columns echoed back for each accepted row.
_ECHO = ["record_id", "subdistrict_code", "district_code", "province_code", "inspection_zone", "match",
         "distance_m", "address_mismatch", "declared_subdistrict_code", "photo_ids"]

_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "description": "One record: {\"id\": \"P-1\", \"lat\": 16.43, \"lon\": 102.83, ...}"},
                    {"type": "array", "items": {"type": "object"}, "description": "A batch of records"},
                ]
            },
            "example": [{"id": "P-0001", "name": "แปลงนายสมชาย", "lat": 16.4419, "lon": 102.8360}],
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "description": "A file in field 'file'; or one record as JSON in field 'record' with its "
                "photos (JPEG, PNG or WebP) in one or more 'photo' fields.",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "record": {"type": "string", "description": "One record, as the JSON body would be"},
                    "photo": {"type": "array", "items": {"type": "string", "format": "binary"}},
                },
            }
        },
    },
}


def _outcome_rows(located: Records, stored_ids: list[int], replaced: list[bool], numbered_from_json: bool) -> list[dict]:
    rows: list[dict] = []
    acc = located.accepted
    if len(acc):
        echo = pd.DataFrame(acc[[c for c in _ECHO if c in acc.columns]])
        table = json.loads(echo.to_json(orient="records", force_ascii=False, default_handler=str))
        for i, (row, extra) in enumerate(zip(acc["row"].tolist(), table)):
            item: dict[str, Any] = {"row": int(row), "status": "accepted"}
            if i < len(stored_ids):
                item["id"] = stored_ids[i]
                item["replaced"] = replaced[i]
            item.update({k: v for k, v in extra.items() if v is not None})
            warnings = acc["warnings"].iloc[i] if "warnings" in acc.columns else []
            item["warnings"] = [w.to_json() for w in warnings or ()]  # {"code", "message", "detail"}
            rows.append(item)
    for row, reason, message in located.rejects[["row", "reason", "message"]].itertuples(index=False):
        rows.append({"row": int(row), "status": "rejected", "reason": str(reason), "message": str(message)})
    rows.sort(key=lambda r: r["row"])
    if numbered_from_json:
        for r in rows:
            r["index"] = r["row"] - 2  # position in the posted array
    return rows


def _frame_from_json(payload: Any, max_rows: int) -> pd.DataFrame:
    """Turn a posted JSON value into a table; GeoJSON keeps its geometry."""
    if isinstance(payload, dict) and payload.get("type") in ("FeatureCollection", "Feature"):
        features = payload.get("features") if payload["type"] == "FeatureCollection" else [payload]
        if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
            raise ApiError(422, "invalid_geojson", "'features' must be a list of GeoJSON Feature objects.")
        _check_rows(len(features), max_rows)
        try:
            return gpd.GeoDataFrame.from_features(features, crs=4326)
        except Exception as exc:  # shapely/geopandas reject malformed geometries in many ways
            raise ApiError(422, "invalid_geojson", f"The GeoJSON could not be read: {exc}") from exc
    items = [payload] if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise ApiError(
            422, "invalid_body", "Send one record as a JSON object, or a batch as a JSON array of objects."
        )
    _check_rows(len(items), max_rows)
    if not items:
        raise ApiError(422, "empty_batch", "The batch is empty: send at least one record.")
    bad = [i for i, item in enumerate(items) if not isinstance(item, dict)]
    if bad:
        raise ApiError(
            422, "invalid_body", "Every record must be a JSON object with fields such as id, lat, lon.",
            rows=[{"index": i, "row": i + 2, "status": "rejected", "reason": "not_an_object"} for i in bad[:100]],
        )
    # nested values (lists, objects) are kept as their JSON text, as a spreadsheet cell would
    flat = [
        {str(k): json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v for k, v in item.items()}
        for item in items
    ]
    return pd.DataFrame.from_records(flat)


def _check_rows(n: int, max_rows: int) -> None:
    if n > max_rows:
        raise ApiError(
            413, "too_many_rows", f"The batch has {n:,} records; at most {max_rows:,} are accepted at once. "
            "Split it into smaller batches.", rows=n, max_batch_rows=max_rows,
        )


def _read_file(data: bytes, suffix: str, kind: str, options: dict[str, Any], settings: Settings,
               boundaries: Boundaries) -> Records:
    """Read an upload by its declared type alone, stopping at the batch limits."""
    from geoplots.readers import read_records

    with tempfile.TemporaryDirectory(prefix="geoplots-upload-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return read_records(path, kind=kind, boundaries=boundaries, max_rows=settings.max_batch_rows,
                            max_unpacked_bytes=settings.max_unpacked_bytes, **options)


def _file_error(exc: GeoplotsError, settings: Settings) -> ApiError:
    """413 for a file over a limit, 415 for one that is not what its type says, else 422."""
    message = str(exc)
    if isinstance(exc, TooManyRowsError):
        return ApiError(413, "too_many_rows", message, max_batch_rows=settings.max_batch_rows)
    if isinstance(exc, InputTooLargeError):
        return ApiError(413, "file_too_large", message, max_unpacked_bytes=settings.max_unpacked_bytes)
    if isinstance(exc, FileContentError):
        return ApiError(415, "unsupported_file_content", message)
    return ApiError(422, "invalid_input", message)


def _process(
    frame: pd.DataFrame | None, file: tuple[bytes, str] | None, kind: str, settings: Settings,
    options: dict[str, Any], boundaries: Boundaries,
) -> Records:
    """Validate and locate: the CPU part of an ingest, run in a worker thread."""
    from geoplots.locating import locate
    from geoplots.readers import normalize_records

    try:
        if file is None:
            records = normalize_records(frame, kind=kind, boundaries=boundaries, **options)
        else:
            records = _read_file(*file, kind, options, settings, boundaries)
        _check_rows(records.rows_read, settings.max_batch_rows)
        check_frame_text(records.accepted)  # uploaded files: no NUL or lone surrogate is stored
        return locate(records, tolerance_m=settings.locate_tolerance_m, boundaries=boundaries)
    except (ApiError, GeoplotsError):
        raise
    except (ValueError, TypeError, KeyError, IndexError, UnicodeError, OverflowError) as exc:
        # Odd input a reader did not foresee is still the sender's input: say so, never 500.
        log.exception("ingest could not read a batch")
        raise ApiError(422, "unreadable_input", f"The records could not be read: {exc}") from exc


def _check_scope(key: ApiKey, located: Records) -> None:
    if key.zone is None or len(located.accepted) == 0:
        return
    zones = located.accepted["inspection_zone"].astype("string").fillna("")
    outside = located.accepted[zones != key.zone]
    if len(outside):
        try:
            auth.check_zone(key, set(zones[zones != key.zone]))
        except ApiError as exc:
            exc.details["rows"] = [
                {"row": int(r), "inspection_zone": None if pd.isna(z) else str(z)}
                for r, z in zip(outside["row"], outside["inspection_zone"])
            ][:1000]
            exc.message += " Nothing was stored; send these rows with a key for their zone."
            raise


def _check_plot_areas(key: ApiKey, located: Records, boundaries: Boundaries | None, settings: Settings) -> None:
    """403 if a zone key sends a plot whose area reaches into other zones beyond the tolerance
    (``zone_outside_share`` of the plot or ``zone_outside_m2``, whichever is larger).
    """
    acc = located.accepted
    if key.zone is None or len(acc) == 0 or not acc.geometry.geom_type.isin(POLYGONAL).any():
        return
    measured = area_in_other_zones(acc.geometry, boundary_units(boundaries, "subdistrict"), key.zone)
    allowed = np.maximum(measured["area_m2"] * settings.zone_outside_share, settings.zone_outside_m2)
    beyond = (measured["outside_m2"] > allowed).to_numpy()
    over = measured[beyond].assign(row=acc["row"].to_numpy()[beyond])
    if len(over):
        raise ApiError(
            403, "outside_scope", f"This key is limited to inspection zone {key.zone} (เขตตรวจราชการ "
            f"{key.zone}); {len(over)} plot(s) reach into other zones beyond the tolerance of "
            f"{settings.zone_outside_share:.1%} of a plot's area or {settings.zone_outside_m2:,.0f} m². "
            "Nothing was stored; send these plots with a key for all zones.",
            key_zone=key.zone,
            plots=[
                {"row": int(m.row), "area_m2": round(float(m.area_m2), 1),
                 "outside_m2": round(float(m.outside_m2), 1), "share_outside": round(float(m.share_outside), 4)}
                for m in over.itertuples()
            ][:1000],
        )


def _store(store: Store, located: Records, kind: Kind, key: ApiKey) -> BatchResult:
    """Store the accepted rows; a zone key's resend of another zone's record is a 403."""
    try:
        return store.add_records(with_names(located.accepted), kind=kind, key_id=key.id, zone=key.zone)
    except OutsideZoneError as exc:
        raise ApiError(
            403, "outside_scope", str(exc) + " Ids are per kind; send a new id, or this row with a key "
            "for the record's zone.", key_zone=key.zone,
            # which zone holds them is not said: with protected reads that is not this key's to know
            records=[{"record_id": r} for r in exc.record_ids][:1000],
        ) from exc


def _batch_event(result: BatchResult, located: Records, kind: str) -> Event:
    """The live event of a stored batch, with how many rows went to each zone (so a zone's
    stream can be told about its own rows only).
    """
    zones = located.accepted["inspection_zone"].dropna().astype(str).value_counts().sort_index()
    return Event("records", {"version": result.version, "added": len(result.ids), "kind": kind,
                             "zones": zones.index.tolist(), "by_zone": {z: int(n) for z, n in zones.items()}})


_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "Stored; per-row outcome (accepted with warnings, rejected with reason)"},
    401: {"model": ErrorModel, "description": "No or unknown API key"},
    403: {"model": ErrorModel, "description": "Key's role or zone does not allow this"},
    413: {"model": ErrorModel, "description": "Body, batch or unpacked file too large"},
    415: {"model": ErrorModel,
          "description": "Unsupported content type, or a file whose content is not its declared type"},
    422: {"model": IngestRejected | ErrorModel, "description": "No valid row (per-row outcome), or unreadable input"},
    429: {"model": ErrorModel, "description": "Rate limit"},
}


async def _upload(form: FormData) -> tuple[bytes, str]:
    """The file of a ``multipart/form-data`` body (field ``file``), with its suffix."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(422, "no_file", "Send the file in a form field named 'file'.")
    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in _UPLOAD_SUFFIXES:
        raise ApiError(
            422, "unsupported_file", f"Files of type {suffix or '(none)'!r} are not read. Send "
            ".csv, .xlsx, .geojson, .gpkg, .kml or .kmz.",
        )
    return await upload.read(), suffix


async def _photo_report(form: FormData, settings: Settings) -> tuple[pd.DataFrame, list[tuple[str, bytes]]]:
    """One record (field ``record``, JSON as the body would be) and its ``photo`` files."""
    record = form.get("record")
    if not isinstance(record, str):
        raise ApiError(422, "invalid_form", "Field 'record' must be the record as JSON text, not a file.")
    frame = _frame_from_json(read_json(record.encode("utf-8")), settings.max_batch_rows)
    photos = await photo_report_parts(form, settings)
    if photos and len(frame) != 1:
        raise ApiError(422, "photos_need_one_record", f"Photos go with one record; field 'record' holds "
                       f"{len(frame)}. Send each record with its own photos.")
    return frame, photos


async def _read_body(
    request: Request, settings: Settings
) -> tuple[pd.DataFrame | None, tuple[bytes, str] | None, list[tuple[str, bytes]]]:
    """The posted records: a table (JSON) or a file with its suffix, by the content type,
    and the photos sent with a record (multipart field ``record``).
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        form = await read_form(request, settings)
        try:
            if "record" in form:
                frame, photos = await _photo_report(form, settings)
                return frame, None, photos
            return None, await _upload(form), []
        finally:
            await form.close()
    if ctype in _FILE_TYPES:
        return None, (await request.body(), _FILE_TYPES[ctype]), []
    if ctype in ("application/json", "application/geo+json", ""):
        payload = read_json(await request.body())  # strict: 422 for NaN, deep nesting, NUL, surrogates
        return _frame_from_json(payload, settings.max_batch_rows), None, []
    raise ApiError(
        415, "unsupported_media_type", f"Content type {ctype!r} is not read. Send application/json, "
        "text/csv, an XLSX, GeoPackage or KML file, or a multipart/form-data upload in field 'file'.",
    )


def _answer(located: Records, result: BatchResult | None, kind: str, from_json: bool) -> JSONResponse:
    """201 with every row's outcome; 422 with the same list when no row was stored."""
    rows = _outcome_rows(located, result.ids if result else [], result.replaced if result else [], from_json)
    summary = located.summary()
    body = {
        "kind": kind,
        "batch_id": result.batch_id if result else None,
        "version": result.version if result else None,
        **{k: summary[k] for k in ("rows_read", "accepted", "rejected", "rejected_by_reason", "warnings_by_kind")},
        "rows": rows,
    }
    if result is None:
        body = {"error": "no_valid_rows", "message": "No row could be stored; see each row's reason.", **body}
        return JSONResponse(body, status_code=422)
    return JSONResponse(body, status_code=201)


async def add_pins(
    request: Request,
    key: WriterDep,
    store: StoreDep,
    settings: SettingsDep,
    boundaries: BoundariesDep,
    kind: Literal["pins", "plots", "households"] = Query("pins", description="What the records are"),
    yes_no: list[str] = Query(
        [], max_length=100, description="Yes/no columns to read as booleans (มี/ไม่มี, ✓, 1/0), e.g. has_garden"
    ),
) -> JSONResponse:
    """Read, check, locate and store a batch; answer every row's outcome."""
    frame, file, sent_photos = await _read_body(request, settings)
    photos = await run_in_threadpool(prepare_photos, sent_photos, settings)  # 413/415 before any row is read
    try:
        located = await run_in_threadpool(
            _process, frame, file, kind, settings, {"yes_no": yes_no} if yes_no else {},
            require_boundaries(boundaries),
        )
    except GeoplotsError as exc:
        raise _file_error(exc, settings) from exc
    _check_scope(key, located)
    await run_in_threadpool(_check_plot_areas, key, located, request.app.state.boundaries, settings)
    result = None
    if len(located.accepted):
        attached = await run_in_threadpool(attach_photos, located, photos, kind, store, settings)
        result = await run_in_threadpool(_store, store, located, kind, key)
        await run_in_threadpool(store_photos, store, attached, result.ids, key)
        await request.app.state.bus.publish(_batch_event(result, located, kind))
    return _answer(located, result, kind, from_json=frame is not None)


@dataclass
class IngestFactory:
    """``POST /api/pins``; ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["ingest"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route(
            "/api/pins", add_pins, methods=["POST"], name="add_pins", status_code=201,
            summary="Send field records (one, a batch, or a CSV/XLSX/GeoJSON/GeoPackage/KML file); stored atomically",
            openapi_extra={"requestBody": _REQUEST_BODY}, response_model=IngestOutcome,
            response_class=JSONResponse, responses=_RESPONSES,
        )


def router() -> APIRouter:
    """The ingest route (see :class:`IngestFactory`)."""
    return IngestFactory().router
