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
from datetime import datetime, timedelta, timezone
from functools import partial
from urllib.parse import quote
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from geoplots.counting.rules import RULES
from geoplots.errors import GeoplotsError
from geoplots.server.deps import ReaderDep, api_level, read_zone, require_boundaries
from geoplots.server.errors import ApiError
from geoplots.server.labels import plain_target_label, province_names, zone_label
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
    store, boundaries = app.state.store, require_boundaries(app.state.boundaries)
    cov, _ = _counted(app, spec, options, zone, kind, as_of)
    if as_of is None:
        counted = store.count(RecordFilter(zone=zone, kind=kind))
    else:
        counted = int(store.counts_by("province", kind, RecordFilter(zone=zone, kind=kind), as_of=as_of)["count"].sum())
    units = cov.units
    keep = [c for c in UNIT_COLUMNS if c in units.columns]
    table = _records(units[keep])
    summary = _summary(cov, units, province_names(boundaries))
    body: dict[str, Any] = {
        "level": cov.level, "zone": zone, "rule": spec.name if spec else None, "kind": kind,
        "min_count": cov.min_count, "version": version, "notes": cov.notes,
        "records": counted, "summary": summary, "as_of": None if as_of is None else as_of.isoformat(),
        "since_last_month": _since_last_month(app, spec, options, zone, kind, as_of, cov.summary),
        **_titles(spec, kind, cov.level, cov.min_count, zone),
        **_activity(store, RecordFilter(zone=zone, kind=kind), counted, boundaries),
    }
    if spec is not None:
        body["options"] = json.loads(json.dumps(dataclasses.asdict(options)))
    if fmt == "geojson":
        from geoplots.layers import web_geometry

        light = web_geometry(units, keep)
        # where the page writes a gap unit's name: a point inside it (a centroid may fall outside)
        gaps = ~units["met"].astype(bool).to_numpy()
        inside = units.geometry[gaps].representative_point()
        light.loc[gaps, "label_lat"], light.loc[gaps, "label_lon"] = inside.y.round(5), inside.x.round(5)
        body["geojson"] = json.loads(light.to_json(drop_id=True, na="null"))
    else:
        body["units"] = table
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects (NaN -> null), Thai kept as text."""
    return json.loads(pd.DataFrame(frame).to_json(orient="records", force_ascii=False, default_handler=str))


#: What each gap unit carries in ``summary[].uncovered`` (when the units have them).
GAP_COLUMNS = ["code", "name_th", "name_en", "province_code", "district_code", "count",
               "households", "participating", "rate", "tier"]


def _summary(cov: Any, units: pd.DataFrame, provinces: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The per-zone summary with ``uncovered`` as objects (code, names, province, count...).

    The library's summary names each gap unit as one ``"code name"`` string (for a
    spreadsheet cell); a page or a developer needs the parts, so they are rebuilt from the
    units table, in the summary's own order (by province, then code).
    """
    summary = _records(cov.summary.drop(columns=["uncovered"]))
    gaps = units[~units["met"].astype(bool)]
    if "province_code" not in gaps.columns:  # province level: a unit is its own province
        gaps = gaps.assign(province_code=gaps["code"])
    gaps = gaps.sort_values(["province_code", "code"])
    group = cov.by
    for row in summary:
        part = gaps if group is None else gaps[gaps[group].astype(str) == str(row["group"])]
        items = _records(part[[c for c in GAP_COLUMNS if c in part.columns]])
        for item in items:
            th, en = provinces.get(str(item.get("province_code")), (None, None))
            item["province_name_th"], item["province_name_en"] = th, en
        row["uncovered"] = items
        row["name_th"], row["name_en"] = zone_label(None if group is None else str(row["group"]))
    return summary


#: The war room's clock: records "today" are those received since midnight in Thailand.
THAI_TIME = timezone(timedelta(hours=7), "ICT")
#: Latest records listed in ``latest`` (the war room's feed).
LATEST = 8
#: Columns that name a record, first found wins (model villages carry ``village_name``).
NAME_COLUMNS = ("name", "village_name", "plot_name", "household_name", "record_id")


def _activity(store: Any, filter: RecordFilter, total: int, boundaries: Any) -> dict[str, Any]:
    """The latest records (name, place, time, photo) and how many arrived today (Thai time).

    Records are numbered in the order they arrive, so the latest are the last page, and
    today's are found by bisecting on the arrival time (a few one-row reads, nothing loaded).
    """
    midnight = datetime.now(THAI_TIME).replace(hour=0, minute=0, second=0, microsecond=0)
    if total == 0:
        return {"latest": [], "records_today": 0, "today": midnight.date().isoformat()}
    features, _ = store.query_features(filter, limit=LATEST, offset=max(0, total - LATEST))
    names = _place_names(boundaries)
    latest = [_feed_item(f.get("properties") or {}, names) for f in reversed(features)]
    return {"latest": latest, "records_today": total - _first_received_since(store, filter, total, midnight),
            "today": midnight.date().isoformat()}


def _received(store: Any, filter: RecordFilter, offset: int) -> datetime | None:
    features, _ = store.query_features(filter, limit=1, offset=offset)
    value = (features[0].get("properties") or {}).get("received_at") if features else None
    stamp = pd.Timestamp(value) if value is not None else None
    if stamp is None or pd.isna(stamp):
        return None
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()


def _first_received_since(store: Any, filter: RecordFilter, total: int, since: datetime) -> int:
    """The offset of the first record received at or after ``since`` (``total`` if none)."""
    low, high = 0, total
    while low < high:
        mid = (low + high) // 2
        stamp = _received(store, filter, mid)
        if stamp is not None and stamp >= since:
            high = mid
        else:
            low = mid + 1
    return low


def _place_names(boundaries: Any) -> dict[str, str]:
    """Unit code -> Thai name, every level (codes of different levels differ in length)."""
    out: dict[str, str] = {}
    for level in boundaries.levels:
        units = boundaries.with_zones(level)
        out.update(zip(units["code"].astype(str), units["name_th"].astype(str)))
    return out


def _feed_item(props: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """One record of the feed: its name, where it is (Thai names), when, and its photo."""
    name = next((str(props[c]) for c in NAME_COLUMNS if props.get(c) not in (None, "")), None)
    photos = props.get("photo_ids")
    photo = None
    if isinstance(photos, list) and photos:
        photo = f"/photos/{quote(str(photos[0]), safe='')}/thumb"
    elif isinstance(props.get("photo_url"), str):
        photo = props["photo_url"]  # shown by the page only if it is a web link (checked there)
    return {
        "id": props.get("id"), "record_id": props.get("record_id"), "name": name,
        "subdistrict_th": names.get(str(props.get("subdistrict_code"))),
        "district_th": names.get(str(props.get("district_code"))),
        "province_th": names.get(str(props.get("province_code"))),
        "received_at": None if props.get("received_at") is None else str(props["received_at"]), "photo": photo,
    }


def _titles(spec: Any, kind: str, level: str, min_count: int | None, zone: str | None) -> dict[str, str]:
    """``title`` (target and area, Thai / English) and its parts."""
    if spec is not None:
        target_th, target_en = spec.title_th, spec.title_en
    else:
        target_th, target_en = plain_target_label(kind, level, min_count or 1)
    area_th, area_en = zone_label(zone)
    return {"title": f"{target_th} · {area_th} / {target_en} · {area_en}",
            "title_th": target_th, "title_en": target_en, "area_th": area_th, "area_en": area_en}


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
        app.state.store, (spec.name if spec else None, options, zone, counted, format, as_of,
                          datetime.now(THAI_TIME).date()),
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
