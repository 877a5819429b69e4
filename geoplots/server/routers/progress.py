"""``/api/progress`` and ``/api/stale``: progress over time from the store's versions (issue 15).

``/api/progress`` is :func:`geoplots.progress` over the store: per period (month or
quarter) and per zone, the units covered, newly covered and fallen back, as known at each
period's end; the war room's timeline draws it. ``/api/stale`` lists the sites with no
report for N days (ไม่มีรายงาน), per zone. Answers are cached per store version.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from geoplots.counting.rules import RULES
from geoplots.errors import GeoplotsError
from geoplots.server.deps import ReaderDep, api_level, read_zone, require_boundaries
from geoplots.server.errors import ApiError
from geoplots.server.models import errors
from geoplots.server.routers.coverage import RULE_DESCRIPTION

#: A series is at most this many periods (ten years of months).
MAX_PERIODS = 120


class ProgressPeriod(BaseModel):
    """One zone in one period."""

    model_config = ConfigDict(extra="allow")
    period: str = Field(description="2021-03 (month) or 2021Q1 (quarter)")
    end: str = Field(description="Last day counted (YYYY-MM-DD)")
    group: str = Field(description="Inspection zone (เขตตรวจราชการ)")
    covered: int
    total: int = Field(description="Units in the zone: the target line")
    percent: float
    newly_covered: int
    fell_back: int
    newly_covered_units: list[str] = Field(description='"code name_th" of each unit newly covered')
    fell_back_units: list[str]


class ProgressAnswer(BaseModel):
    """``/api/progress``: the series per zone (and per unit with ``units=true``)."""

    model_config = ConfigDict(extra="allow")
    level: str
    zone: str | None
    rule: str | None
    kind: str
    freq: str
    status: str | None
    version: int
    periods: list[str]
    summary: list[ProgressPeriod]
    units: list[dict[str, Any]] | None = None


class StaleAnswer(BaseModel):
    """``/api/stale``: sites with no report for ``days`` days, by zone, longest silence first."""

    days: int
    today: str
    kind: str
    zone: str | None
    count: int
    records: list[dict[str, Any]]


def _series(app: Any, request: dict[str, Any], version: int) -> bytes:
    from geoplots.counting.progress import progress

    boundaries = require_boundaries(app.state.boundaries)
    result = progress(store=app.state.store, level=request["level"], rule=request["rule"], freq=request["freq"],
                      start=request["start"], end=request["end"], zone=request["zone"], kind=request["kind"],
                      status=request["status"], min_count=request["min_count"], boundaries=boundaries)
    body: dict[str, Any] = {
        "level": result.level, "zone": request["zone"], "rule": result.rule, "kind": request["kind"] or RULES[str(request["rule"])].kind,
        "freq": result.freq, "status": request["status"], "version": version, "periods": result.periods,
        "summary": _records(result.summary),
    }
    if request["units"]:
        body["units"] = _records(result.units)
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso", default_handler=str)
                      .replace("T00:00:00.000", ""))


async def progress(
    request: Request,
    key: ReaderDep,
    level: str = Query("district", max_length=20, description="province, district or subdistrict (จังหวัด, อำเภอ, ตำบล)"),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    rule: str | None = Query(None, max_length=50, description=RULE_DESCRIPTION),
    start: dt.date | None = Query(None, alias="from", description="First day of the series (default: 11 months before `to`)"),
    end: dt.date | None = Query(None, alias="to", description="Last day (default: today, Asia/Bangkok)"),
    freq: Literal["M", "Q"] = Query("M", description="M: months (รายเดือน), Q: quarters"),
    kind: Literal["pins", "plots", "households"] | None = Query(None, description="Records counted (default pins, or the rule's)"),
    status: str | None = Query(None, max_length=50, description="Count only records in this status (planned, in_progress, completed)"),
    min: int = Query(1, ge=1, le=1_000_000, description="Records a unit needs (without a rule)"),
    units: bool = Query(False, description="Add every unit's count per period"),
) -> Response:
    """Units covered per period and zone, newly covered and fallen back (geoplots.progress over the store)."""
    app = request.app
    canonical = api_level(level)
    _check_span(start, end, freq)
    zone = read_zone(request, key, zone)
    if kind is None and rule is None:
        kind = "pins"
    asked = {"level": canonical, "zone": zone, "rule": rule, "start": start, "end": end, "freq": freq,
             "kind": kind, "status": status, "min_count": min, "units": units}
    body = await app.state.coverage_cache.answer(
        app.state.store, ("progress", *sorted((k, str(v)) for k, v in asked.items())),
        partial(_series, app, asked))
    return Response(body, media_type="application/json")


def _check_span(start: dt.date | None, end: dt.date | None, freq: str) -> None:
    if start is not None and end is not None:
        if start > end:
            raise ApiError(422, "invalid_request", f"from ({start}) is after to ({end}).")
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        if months / (3 if freq == "Q" else 1) > MAX_PERIODS:
            raise ApiError(422, "invalid_request", f"A series takes at most {MAX_PERIODS} periods.")


def _stale(app: Any, days: int, kind: str, zone: str | None, today: dt.date, version: int) -> bytes:
    from geoplots.counting.progress import stale

    table = stale(store=app.state.store, days=days, kind=kind, today=today, zone=zone)
    body = {"days": days, "today": today.isoformat(), "kind": kind, "zone": zone, "count": len(table),
            "records": _records(table)}
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


async def stale_sites(
    request: Request,
    key: ReaderDep,
    days: int = Query(60, ge=0, le=3650, description="Days without a report"),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    kind: Literal["pins", "plots", "households"] = Query("plots", description="Records listed"),
) -> Response:
    """Sites with no report for ``days`` days (ไม่มีรายงาน), per zone, longest silence first."""
    from geoplots.counting.progress import today_in_bangkok

    app = request.app
    zone = read_zone(request, key, zone)
    today = today_in_bangkok()
    try:
        body = await app.state.coverage_cache.answer(
            app.state.store, ("stale", days, kind, zone, today), partial(_stale, app, days, kind, zone, today))
    except GeoplotsError as exc:  # pragma: no cover - the cache turns these into 422s
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return Response(body, media_type="application/json")


@dataclass
class ProgressFactory:
    """``GET /api/progress`` and ``GET /api/stale``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["progress"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route(
            "/api/progress", progress, name="progress",
            summary="Units covered per month and zone, newly covered and fallen back",
            response_model=ProgressAnswer, response_class=JSONResponse, responses=errors(401, 403, 422, 429),
        )
        self.router.add_api_route(
            "/api/stale", stale_sites, name="stale",
            summary="Sites with no report for N days, per zone",
            response_model=StaleAnswer, response_class=JSONResponse, responses=errors(401, 403, 422, 429),
        )


def router() -> APIRouter:
    """The progress routes (see :class:`ProgressFactory`)."""
    return ProgressFactory().router
