"""``/api/coverage``: the numbers of :func:`geoplots.coverage` over the stored records.

Answers are cached by the store's version (bumped by every stored batch), so a wall of
screens polling the same zone costs one computation per batch, and a new batch is
counted on the next request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from enum import Enum
from dataclasses import dataclass, field
import json
from functools import partial
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from geoplots.counting.rules import RULES
from geoplots.errors import GeoplotsError
from geoplots.server.deps import ReaderDep, api_level, read_zone, require_boundaries
from geoplots.server.errors import ApiError
from geoplots.server.models import CoverageAnswer, errors
from geoplots.server.store import RecordFilter
from geoplots.server.store.base import Kind

#: ``rule`` query help, from the rule registry: name, title and the records it counts.
RULE_DESCRIPTION = "A named rule (geoplots coverage --rule): " + "; ".join(
    f"{r.name} ({r.title}; counts {r.kind})" for r in RULES.values())

#: Unit columns returned (geometry only with ``format=geojson``).
UNIT_COLUMNS = ["code", "name_th", "name_en", "province_code", "district_code", "inspection_zone", "count",
                "met", "households", "participating", "rate", "tier", "expected", "enrolled"]


#: Query parameter of each rule option the API takes (others keep the rule's default).
QUERY_NAMES = {"level": "level", "min_count": "min"}


def _rule_request(rule: str | None, level: str | None, min_count: int | None, kind: str | None) -> tuple:
    """Resolve and check the rule part of a request before anything is computed.

    Returns ``(rule, options, kind)``: the :class:`~geoplots.counting.rules.Rule` (or None),
    its options object (or the plain ``level``/``min_count`` pair) and the kind of records
    counted, which a rule decides. Raises a 422 for an unknown rule, an option the rule
    does not take or a ``kind`` other than the rule's.
    """
    from geoplots.counting.rules import get_rule

    given = {k: v for k, v in (("level", level), ("min_count", min_count)) if v is not None}
    if rule is None:
        return None, (given.get("level", "district"), given.get("min_count", 1)), kind or "pins"
    try:
        spec = get_rule(rule)
    except GeoplotsError as exc:
        raise ApiError(422, "unknown_rule", str(exc)) from exc
    unknown = [QUERY_NAMES[k] for k in given if k not in spec.option_names]
    if unknown:
        takes = ", ".join(QUERY_NAMES[k] for k in spec.option_names if k in QUERY_NAMES) or "none of level, min"
        raise ApiError(422, "invalid_request",
                       f"The rule {spec.name} does not take {', '.join(unknown)}; it takes {takes}.")
    if kind is not None and kind != spec.kind:
        raise ApiError(422, "invalid_request",
                       f"The rule {spec.name} counts {spec.kind}; leave kind out or give kind={spec.kind}.")
    try:
        options = spec.parameters(**given)
    except (TypeError, GeoplotsError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from exc
    return spec, options, spec.kind


def _counted(app: Any, spec: Any, options: Any, zone: str | None, kind: Kind, as_of: dt.date | None) -> Any:
    """Coverage over the store's records (as they stood at the end of ``as_of``, if given)."""
    from geoplots.counting import coverage_from_counts

    store, boundaries = app.state.store, require_boundaries(app.state.boundaries)
    # Counted by the store (GROUP BY), never loaded: every stored record of the kind, as
    # before; the zone picks the units shown, and the records figure is the zone's.
    if spec is not None:
        given = dataclasses.asdict(options)
        counts = store.counts_by(kind=kind, filter=RecordFilter(kind=kind), as_of=as_of,
                                 **spec.count_request(**given))
        return spec.run_counts(counts, zone=zone, boundaries=boundaries, **given), counts
    level, min_count = options
    counts = store.counts_by(level, kind, RecordFilter(kind=kind), as_of=as_of)
    return coverage_from_counts(counts, level=level, min_count=min_count, zone=zone, boundaries=boundaries), counts


def _since_last_month(app: Any, spec: Any, options: Any, zone: str | None, kind: Kind, as_of: dt.date | None,
                      summary: pd.DataFrame) -> list[dict[str, Any]]:
    """Per group: units covered at the end of last month (Bangkok) and the change since,
    for the war room's indicator tiles.
    """
    from geoplots.counting.progress import last_month_end

    end = last_month_end(as_of)
    try:
        then, _ = _counted(app, spec, options, zone, kind, end)
    except GeoplotsError as exc:  # e.g. no record answered the rule's yes/no question yet
        return [{"group": row.group, "covered": int(row.covered), "covered_last_month": None, "change": None,
                 "last_month_end": str(end), "note": str(exc)} for row in summary.itertuples()]
    before = then.summary.set_index("group")["covered"]
    return [{"group": row.group, "covered": int(row.covered), "covered_last_month": int(before.get(row.group, 0)),
             "change": int(row.covered) - int(before.get(row.group, 0)), "last_month_end": str(end)}
            for row in summary.itertuples()]


def _compute(app: Any, spec: Any, options: Any, zone: str | None, kind: Kind, fmt: str, as_of: dt.date | None,
             version: int) -> bytes:
    store = app.state.store
    cov, _ = _counted(app, spec, options, zone, kind, as_of)
    if as_of is None:
        counted = store.count(RecordFilter(zone=zone, kind=kind))
    else:
        counted = int(store.counts_by("province", kind, RecordFilter(zone=zone, kind=kind), as_of=as_of)["count"].sum())
    units = cov.units
    keep = [c for c in UNIT_COLUMNS if c in units.columns]
    table = json.loads(pd.DataFrame(units[keep]).to_json(orient="records", force_ascii=False, default_handler=str))
    summary = json.loads(pd.DataFrame(cov.summary).to_json(orient="records", force_ascii=False,
                                                           default_handler=str))
    body: dict[str, Any] = {
        "level": cov.level, "zone": zone, "rule": spec.name if spec else None, "kind": kind,
        "min_count": cov.min_count, "version": version,
        "title": cov.title, "notes": cov.notes,
        "records": counted, "summary": summary, "as_of": None if as_of is None else as_of.isoformat(),
        "since_last_month": _since_last_month(app, spec, options, zone, kind, as_of, cov.summary),
    }
    if spec is not None:
        body["title_th"], body["title_en"] = spec.title_th, spec.title_en
        body["options"] = json.loads(json.dumps(dataclasses.asdict(options)))
    if fmt == "geojson":
        from geoplots.layers import web_geometry

        light = web_geometry(units, keep)
        body["geojson"] = json.loads(light.to_json(drop_id=True, na="null"))
    else:
        body["units"] = table
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


async def coverage(
    request: Request,
    key: ReaderDep,
    level: str | None = Query(None, max_length=20, description="province, district or subdistrict (จังหวัด, อำเภอ, ตำบล); default district, or the rule's"),
    zone: str | None = Query(None, max_length=20, description="Inspection zone (เขตตรวจราชการ)"),
    rule: str | None = Query(None, max_length=50, description=RULE_DESCRIPTION),
    min: int | None = Query(None, ge=1, le=1_000_000, description="Records a unit needs to count as covered (default 1; only rules that take min_count)"),
    kind: Literal["pins", "plots", "households"] | None = Query(None, description="Records counted (default pins; a rule counts its own kind)"),
    format: Literal["json", "geojson"] = Query("json", description="geojson adds simplified unit shapes"),
    as_of: dt.date | None = Query(None, description="Coverage as it stood at the end of this day (YYYY-MM-DD, Asia/Bangkok), from the versions stored by then"),
) -> Response:
    """Coverage per unit and per zone (same numbers as geoplots.coverage), cached per store version."""
    app = request.app
    canonical = None if level is None else api_level(level)
    spec, options, counted = _rule_request(rule, canonical, min, kind)
    zone = read_zone(request, key, zone)
    body = await app.state.coverage_cache.answer(
        app.state.store, (spec.name if spec else None, options, zone, counted, format, as_of),
        partial(_compute, app, spec, options, zone, counted, format, as_of))
    return Response(body, media_type="application/json")


@dataclass
class CoverageFactory:
    """``GET /api/coverage``; ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["coverage"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route(
            "/api/coverage", coverage, name="coverage",
            summary="Coverage per unit and per zone (same numbers as geoplots.coverage)",
            response_model=CoverageAnswer, response_class=JSONResponse, responses=errors(401, 403, 422, 429),
        )


def router() -> APIRouter:
    """The coverage route (see :class:`CoverageFactory`)."""
    return CoverageFactory().router
