"""The department's named coverage targets (เป้าหมาย), callable by name.

:data:`RULES` maps a name to a :class:`Rule`; the CLI (``geoplots coverage --rule``)
and the server (``/api/coverage?rule=``) look rules up there.

1. ``model_villages`` - at least one model village (โก่งธนูโมเดล) per district
   (อย่างน้อยอำเภอละ 1 หมู่บ้าน), summarised per inspection zone.
2. ``change_leaders`` - change-leader sub-districts (ตำบลผู้นำการเปลี่ยนแปลง): one per
   district outside Bangkok, plus one more in districts with 14 or more sub-districts.
   The expected number is computed from the boundaries and from the DOPA registry
   (geothai) and both are reported, then compared with the sub-districts enrolled.
3. ``household_participation`` - share of households taking part (e.g. growing a
   kitchen garden ปลูกผักสวนครัว) per unit, in tiers: below 70% not passed, 70% passed
   (ผ่านเกณฑ์), 80% commendation (ชมเชย), 90% plaque (โล่).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import geothai
import numpy as np
import pandas as pd

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.coverage._core import DEFAULT_THRESHOLDS, Coverage, coverage, summarize
from geoplots.errors import GeoplotsError
from geoplots.records import Records

#: Bangkok's province code: its districts (เขต) have no change-leader target.
BANGKOK = "10"
#: Districts with at least this many sub-districts get a second change-leader sub-district.
LARGE_DISTRICT = 14


@dataclass(frozen=True)
class Rule:
    """A named target: ``run(records, zone=None, boundaries=None, **options) -> Coverage``."""

    name: str
    title_th: str
    title_en: str
    run: Callable[..., Coverage]

    @property
    def title(self) -> str:
        return f"{self.title_th} / {self.title_en}"


def model_villages(records, *, zone=None, by="inspection_zone", boundaries: Boundaries | None = None, **_) -> Coverage:
    """At least one model village (โก่งธนูโมเดล) per district, per inspection zone.

    Examples
    --------
    >>> from geoplots.synthetic import model_villages as villages
    >>> model_villages(villages(["12"]), zone=12).summary  # doctest: +SKIP
    """
    result = coverage(records, level="district", min_count=1, by=by, zone=zone, boundaries=boundaries)
    result.title = RULES["model_villages"].title
    return result


def change_leader_targets(boundaries: Boundaries | None = None) -> pd.DataFrame:
    """Return the expected change-leader sub-districts per district, two ways.

    Returns
    -------
    pandas.DataFrame
        One row per district outside Bangkok: ``code``, ``name_th``,
        ``subdistricts_boundaries`` / ``subdistricts_registry`` (sub-districts in the
        imported boundaries / in the DOPA registry) and ``expected_boundaries`` /
        ``expected_registry`` (1, or 2 with 14 or more sub-districts).

    Examples
    --------
    >>> targets = change_leader_targets()  # doctest: +SKIP
    >>> int(targets["expected_boundaries"].sum())  # doctest: +SKIP
    997
    """
    source = resolve_boundaries(boundaries)
    districts = source.level("district")
    districts = districts[districts["province_code"] != BANGKOK]
    sub = source.level("subdistrict")
    from_boundaries = sub.groupby("district_code").size()
    registry = pd.Series(
        {d.code: len(geothai.subdistricts(d.code)) for p in geothai.provinces() if p.code != BANGKOK
         for d in geothai.districts(p.code)},
        dtype=int,
    )
    table = pd.DataFrame(
        {
            "code": districts["code"].to_numpy(),
            "name_th": districts["name_th"].to_numpy(),
            "province_code": districts["province_code"].to_numpy(),
            "subdistricts_boundaries": from_boundaries.reindex(districts["code"]).fillna(0).astype(int).to_numpy(),
            "subdistricts_registry": registry.reindex(districts["code"]).fillna(0).astype(int).to_numpy(),
        }
    )
    for source in ("boundaries", "registry"):
        n = table[f"subdistricts_{source}"]
        table[f"expected_{source}"] = np.where(n > 0, 1 + (n >= LARGE_DISTRICT), 0)
    return table


def change_leaders(records, *, zone=None, by="inspection_zone", boundaries: Boundaries | None = None, **_) -> Coverage:
    """Compare the sub-districts enrolled as change leaders with the expected number.

    ``records`` is either located records (each row counts for its sub-district) or a
    plain table with a ``subdistrict_code`` column (an enrolment list). A district
    meets the target when its distinct enrolled sub-districts reach its expected number
    (from the boundaries). Bangkok is left out: the target applies outside it.

    Returns
    -------
    Coverage
        Units (districts outside Bangkok) with ``count`` (distinct sub-districts
        enrolled), ``expected``, ``met``; the summary adds ``expected`` and ``enrolled``
        (enrolled up to the expected number) per group; ``notes`` holds the national
        expected totals from the boundaries and from the registry.

    Examples
    --------
    >>> from geoplots.synthetic import enrolled_subdistricts
    >>> result = change_leaders(enrolled_subdistricts())  # doctest: +SKIP
    >>> result.notes["expected_boundaries"]  # doctest: +SKIP
    997
    """
    source = resolve_boundaries(boundaries)
    targets = change_leader_targets(source)
    codes = _enrolled_codes(records, source)
    scheme = source.scheme(by)
    units = source.level("district").merge(
        targets[["code", "expected_boundaries", "expected_registry"]], on="code", how="inner"
    )
    units = units.rename(columns={"expected_boundaries": "expected"})
    if scheme is not None:
        units[scheme.name] = scheme.group_of(units["code"])
        if zone is not None:
            if str(zone) not in scheme.groups():
                raise GeoplotsError(f"{scheme.name} {zone!r} does not exist. Choose one of: {', '.join(scheme.groups())}.")
            units = units[units[scheme.name] == str(zone)]
    enrolled = pd.Series(codes.unique()).str[:4].value_counts()
    units["count"] = enrolled.reindex(units["code"]).fillna(0).astype(int).to_numpy()
    units["met"] = units["count"] >= units["expected"]
    units = gpd.GeoDataFrame(units.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")
    group = scheme.name if scheme else None
    summary = summarize(units, group, scheme.groups() if scheme else None)
    key = units[group] if group else pd.Series("all", index=units.index)
    totals = units.assign(enrolled=np.minimum(units["count"], units["expected"])).groupby(key)[["expected", "enrolled"]].sum()
    summary = summary.merge(totals, left_on="group", right_index=True, how="left")
    base, extra = (targets["expected_boundaries"] == 1).sum(), (targets["expected_boundaries"] == 2).sum()
    notes = {
        "expected_boundaries": int(targets["expected_boundaries"].sum()),
        "expected_registry": int(targets["expected_registry"].sum()),
        "districts_outside_bangkok": int(len(targets)),
        "large_districts": int(extra),
        "formula": f"{base + extra} + {extra} = {int(targets['expected_boundaries'].sum())}",
        "enrolled_subdistricts": int(codes.nunique()),
    }
    result = Coverage(units=units, summary=summary, level="district", by=group, min_count=1,
                      title=RULES["change_leaders"].title, notes=notes)
    return result


def household_participation(
    records,
    *,
    zone=None,
    by="inspection_zone",
    level: str = "district",
    column: str = "has_garden",
    thresholds=DEFAULT_THRESHOLDS,
    min_count: int = 1,
    boundaries: Boundaries | None = None,
    **_,
) -> Coverage:
    """Share of households taking part per unit, with KPI tiers (ผ่านเกณฑ์ / ชมเชย / โล่).

    Examples
    --------
    >>> from geoplots.synthetic import households
    >>> household_participation(households(["12"]), zone=12).units["tier"].value_counts()  # doctest: +SKIP
    """
    result = coverage(records, level=level, min_count=min_count, by=by, zone=zone,
                      participation=column, thresholds=thresholds, boundaries=boundaries)
    result.title = RULES["household_participation"].title
    return result


def _enrolled_codes(records, source: Boundaries) -> pd.Series:
    """Sub-district codes of an enrolment: located records, or a table of codes."""
    from geoplots.locate import is_located, locate

    frame = records.accepted if isinstance(records, Records) else records
    if not isinstance(frame, pd.DataFrame):
        raise GeoplotsError("change_leaders needs records or a table with a subdistrict_code column.")
    has_place = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any()
    if is_located(frame):
        codes = frame["subdistrict_code"]
    elif not has_place and not {"lat", "lon"} <= set(frame.columns):
        column = next((c for c in ("subdistrict_code", "declared_subdistrict_code") if c in frame.columns), None)
        if column is None:
            raise GeoplotsError(
                "The enrolment list needs a 'subdistrict_code' column (6-digit ตำบล codes) or coordinates. "
                f"Columns found: {', '.join(map(str, frame.columns))}."
            )
        codes = frame[column]
        known = set(source.level("subdistrict")["code"])
        bad = sorted({c for c in codes.dropna().astype(str).str.strip() if c not in known})
        if bad:
            raise GeoplotsError(
                f"{len(bad)} enrolled sub-district code(s) are not in the boundaries: {', '.join(bad[:10])}. "
                "Check them against the DOPA 6-digit codes."
            )
    else:
        codes = locate(records, schemes=(), boundaries=source).accepted["subdistrict_code"]
    return codes.dropna().astype(str).str.strip()


RULES: dict[str, Rule] = {
    "model_villages": Rule(
        "model_villages",
        "หมู่บ้านโก่งธนูโมเดล อย่างน้อยอำเภอละ 1 หมู่บ้าน",
        "Model villages: at least one per district",
        model_villages,
    ),
    "change_leaders": Rule(
        "change_leaders",
        "ตำบลผู้นำการเปลี่ยนแปลง",
        "Change-leader sub-districts",
        change_leaders,
    ),
    "household_participation": Rule(
        "household_participation",
        "ครัวเรือนที่เข้าร่วม (ผ่านเกณฑ์ 70% ชมเชย 80% โล่ 90%)",
        "Household participation with tiers",
        household_participation,
    ),
}


def get_rule(name: str) -> Rule:
    """Return the rule called ``name``, or an error listing the rules there are."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in RULES:
        raise GeoplotsError(f"Unknown rule {name!r}. Rules: {', '.join(RULES)}.")
    return RULES[key]


def run_rule(name: str, records, **options) -> Coverage:
    """Run the rule called ``name`` on ``records``.

    Examples
    --------
    >>> run_rule("model_villages", villages, zone=12)  # doctest: +SKIP
    """
    return get_rule(name).run(records, **options)
