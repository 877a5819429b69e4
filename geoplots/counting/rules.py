"""The department's named coverage targets (เป้าหมาย): one :class:`Rule` object each.

A rule carries everything the command line, the server and the map need to know about
it: its name, its Thai and English title, the kind of records it counts, its options
(a frozen dataclass: typed, with defaults) and the yes/no column it reads. :data:`RULES`
maps names to rules; ``geoplots coverage --rule``, ``geoplots map --rule`` and
``/api/coverage?rule=`` derive their choices, options, record kind and titles from it.
An option a rule does not take is a ``TypeError`` naming the ones it does.

1. ``model_villages`` - at least one model village (โก่งธนูโมเดล) per district
   (อย่างน้อยอำเภอละ 1 หมู่บ้าน), summarised per inspection zone. Counts distinct
   villages (หมู่บ้าน), not pins: see :func:`distinct_villages`.
2. ``change_leaders`` - change-leader sub-districts (ตำบลผู้นำการเปลี่ยนแปลง): one per
   district outside Bangkok, plus one more in districts with 14 or more sub-districts.
   The expected number is computed from the boundaries and from the DOPA registry
   (geothai) and both are reported, then compared with the sub-districts enrolled.
   Reads an enrolment list as ``households``: the one kind whose rows may be placed by
   the sub-district their address names (code or name), without coordinates.
3. ``household_participation`` - share of households taking part (e.g. growing a
   kitchen garden ปลูกผักสวนครัว) per unit, in tiers: below 70% not passed, 70% passed
   (ผ่านเกณฑ์), 80% commendation (ชมเชย), 90% plaque (โล่). Counts households, reading
   the option ``column`` as yes/no.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import geopandas as gpd
import geothai
import numpy as np
import pandas as pd

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.counting._core import DEFAULT_THRESHOLDS, Coverage, coverage, coverage_from_counts, summarize, tier_of
from geoplots.errors import GeoplotsError
from geoplots.levels import Level, parse_level
from geoplots.records import Records

#: Bangkok's province code: its districts (เขต) have no change-leader target.
BANGKOK = "10"
#: Districts with at least this many sub-districts get a second change-leader sub-district.
LARGE_DISTRICT = 14
#: What a blank yes/no answer means (``ParticipationOptions.blank_as``), in Thai and English.
BLANK_POLICIES = {
    "exclude": "คำตอบว่างไม่นับรวมในตัวหาร / blank answers are left out of the denominator",
    "no": "คำตอบว่างนับเป็น ไม่เข้าร่วม / blank answers count as not taking part",
}
#: Arguments every rule's :meth:`Rule.run` takes besides its own options.
COMMON_ARGUMENTS = ("zone", "by", "boundaries")


@dataclass(frozen=True)
class NoOptions:
    """The options of a rule that has none of its own (the target fixes level and count)."""


@dataclass(frozen=True)
class ParticipationOptions:
    """Options of ``household_participation`` (ครัวเรือนที่เข้าร่วม).

    Attributes
    ----------
    level : str, default "district"
        Unit counted: province, district or subdistrict (จังหวัด/อำเภอ/ตำบล).
    column : str, default "has_garden"
        The yes/no column saying whether a household takes part (ปลูกผักสวนครัว).
    thresholds : (float, float, float), default (0.7, 0.8, 0.9)
        Rates for passed (ผ่านเกณฑ์), commendation (ชมเชย) and plaque (โล่).
    min_count : int, default 1
        Households with an answer a unit needs before it can pass.
    blank_as : {"exclude", "no"}, default "exclude"
        What a blank answer means: left out of the denominator (``exclude``), or a
        household that does not take part (``no``). Stated in every result's ``notes``
        with the households excluded and why; answers that are not yes/no
        (``bad_yes_no``) are always excluded.
    """

    level: Level = "district"
    column: str = "has_garden"
    thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS
    min_count: int = 1
    blank_as: str = "exclude"

    def __post_init__(self) -> None:
        # Frozen: normalise through object.__setattr__ so every copy compares equal.
        object.__setattr__(self, "level", parse_level(self.level))
        if not isinstance(self.column, str) or not self.column.strip():
            raise TypeError(f"column must be the name of a yes/no column, not {self.column!r}.")
        object.__setattr__(self, "thresholds", tuple(float(t) for t in self.thresholds))
        tier_of(pd.Series([0.5]), self.thresholds)  # three increasing rates in [0, 1], or a clear error
        object.__setattr__(self, "min_count", operator.index(self.min_count))
        if self.blank_as not in BLANK_POLICIES:
            raise GeoplotsError(f"blank_as must be one of {', '.join(BLANK_POLICIES)}, not {self.blank_as!r}.")
        if self.min_count < 0:
            raise GeoplotsError(f"The minimum count must be 0 or more, not {self.min_count}.")


@dataclass(frozen=True)
class Rule:
    """A named target (เป้าหมาย) and everything its callers need to know about it.

    Attributes
    ----------
    name : str
        Registry key (``--rule``, ``?rule=``).
    title_th, title_en : str
        Thai and English titles, for reports, legends and API answers.
    kind : {"pins", "plots", "households"}
        The records the rule counts: what the CLI reads and the server takes from its store.
    compute : callable
        ``compute(records, options, *, zone, by, boundaries) -> Coverage``.
    options : type
        A frozen dataclass of the rule's own options (typed, with defaults).
    yes_no : str, optional
        The option naming the column to read as yes/no (``column``), if any.
    from_counts : callable, optional
        ``from_counts(counts, options, *, zone, by, boundaries) -> Coverage``: the same
        result from per-unit counts (:meth:`run_counts`).
    distinct : str, optional
        The code column whose distinct values the rule counts, if not records.

    Examples
    --------
    >>> RULES["household_participation"].parameters(thresholds=(0.8, 0.9, 0.95)).thresholds
    (0.8, 0.9, 0.95)
    >>> RULES["model_villages"].parameters(min_count=3)
    Traceback (most recent call last):
    ...
    TypeError: rule 'model_villages' takes no option min_count; it takes no options of its own (and zone, by, boundaries like every rule).
    """

    name: str
    title_th: str
    title_en: str
    kind: str
    compute: Callable[..., Coverage]
    options: type = NoOptions
    yes_no: str | None = None
    from_counts: Callable[..., Coverage] | None = None
    distinct: str | None = None
    #: Per located row, the key of the thing the rule counts once per unit (a village):
    #: read chunk by chunk, only the distinct (unit, key) pairs are kept.
    chunk_keys: Callable[[pd.DataFrame], np.ndarray] | None = None

    common: ClassVar[tuple[str, ...]] = COMMON_ARGUMENTS

    @property
    def title(self) -> str:
        """``"Thai title / English title"``."""
        return f"{self.title_th} / {self.title_en}"

    @property
    def option_names(self) -> tuple[str, ...]:
        """The names of the rule's own options, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(self.options))

    def defaults(self) -> Any:
        """The rule's options with every default."""
        return self.options()

    def parameters(self, **options: Any) -> Any:
        """Return the rule's options object; an option it does not take is a ``TypeError``.

        Raises
        ------
        TypeError
            An unknown option (the message names the accepted ones), or a value of the
            wrong type.
        GeoplotsError
            A value of the right type that makes no sense (e.g. thresholds not increasing).
        """
        unknown = [k for k in options if k not in self.option_names]
        if unknown:
            accepted = (f"its options are {', '.join(self.option_names)}" if self.option_names
                        else "it takes no options of its own")
            raise TypeError(
                f"rule {self.name!r} takes no option {', '.join(unknown)}; {accepted} "
                f"(and {', '.join(self.common)} like every rule)."
            )
        return self.options(**options)

    def read_options(self, params: Any = None) -> dict[str, Any]:
        """Options for :func:`geoplots.read_records` so the records carry what the rule needs.

        Examples
        --------
        >>> RULES["household_participation"].read_options()
        {'yes_no': ['has_garden']}
        """
        if self.yes_no is None:
            return {}
        params = self.defaults() if params is None else params
        return {"yes_no": [getattr(params, self.yes_no)]}

    def run(
        self,
        records: Any,
        *,
        zone: str | int | None = None,
        by: Any = "inspection_zone",
        boundaries: Boundaries | None = None,
        **options: Any,
    ) -> Coverage:
        """Check ``records`` against the target; ``options`` are the rule's own (see :attr:`options`).

        Returns
        -------
        Coverage
            With ``title`` set to the rule's title.
        """
        params = self.parameters(**options)
        result = self.compute(records, params, zone=zone, by=by, boundaries=boundaries)
        result.title = self.title
        return result

    __call__ = run

    def count_request(self, **options: Any) -> dict[str, Any]:
        """What to count for :meth:`run_counts`: ``level``, ``yes_no`` and ``distinct``,
        the arguments of ``Store.counts_by`` besides the kind and the filter.

        Examples
        --------
        >>> RULES["household_participation"].count_request(level="subdistrict")
        {'level': 'subdistrict', 'yes_no': 'has_garden', 'distinct': None}
        >>> RULES["change_leaders"].count_request()
        {'level': 'district', 'yes_no': None, 'distinct': 'subdistrict_code'}
        """
        params = self.parameters(**options)
        return {
            "level": getattr(params, "level", "district"),
            "yes_no": None if self.yes_no is None else getattr(params, self.yes_no),
            "distinct": self.distinct,
        }

    def run_counts(
        self,
        counts: pd.DataFrame,
        *,
        zone: str | int | None = None,
        by: Any = "inspection_zone",
        boundaries: Boundaries | None = None,
        **options: Any,
    ) -> Coverage:
        """:meth:`run` on per-unit counts made as :meth:`count_request` says (e.g. by
        ``Store.counts_by``) instead of records; the same result for the same records.
        """
        if self.from_counts is None:
            raise GeoplotsError(f"The rule {self.name} cannot be computed from counts.")
        params = self.parameters(**options)
        result = self.from_counts(counts, params, zone=zone, by=by, boundaries=boundaries)
        result.title = self.title
        return result


def _model_villages(records, options: NoOptions, *, zone, by, boundaries) -> Coverage:
    """At least one model village (โก่งธนูโมเดล) per district, per inspection zone,
    counting distinct villages (two pins in one village are one village).
    """
    from geoplots.locating import is_dask

    if is_dask(records):  # partitions cannot see each other's villages: pins are counted
        return coverage(records, level="district", min_count=1, by=by, zone=zone, boundaries=boundaries)
    source = resolve_boundaries(boundaries)
    located, pins, villages = distinct_villages(records, boundaries=source)
    result = coverage(located, level="district", min_count=1, by=by, zone=zone, boundaries=source)
    return dataclasses.replace(result, notes={**result.notes, "villages": villages_note(villages, pins)})


def villages_note(villages: int, pins: int) -> str:
    """The note stating how model-village pins were counted as villages."""
    return (f"นับหมู่บ้านไม่ซ้ำ / distinct villages counted: {villages} villages from {pins} located pins "
            "(by village code, else sub-district + หมู่, else name within the sub-district, else the pin)")


def distinct_villages(records, *, boundaries: Boundaries | None = None) -> tuple[pd.DataFrame, int, int]:
    """Located records with one row per village (หมู่บ้าน) per district, and the counts.

    A village is known by, in order: its 8-digit ``village_code`` (รหัสหมู่บ้าน); the
    located sub-district with its ``moo`` (หมู่ที่), which is the same code; its ``name``
    within the located sub-district; else each pin is its own village. Rejected rows
    are kept as they are (they are not counted anyway).

    Parameters
    ----------
    records : Records or geopandas.GeoDataFrame
        Model-village pins, located or not (located here when not).
    boundaries : geoplots.Boundaries, optional
        The snapshot to locate with.

    Returns
    -------
    (geopandas.GeoDataFrame, int, int)
        The located rows left, the located pins and the distinct villages among them.
    """
    from geoplots.locating import is_located, locate

    if isinstance(records, Records):
        frame = records.accepted if is_located(records) else locate(records, schemes=(), boundaries=boundaries).accepted
    else:
        frame = records if is_located(records) else locate(records, schemes=(), boundaries=boundaries).accepted
    counted = frame["subdistrict_code"].notna().to_numpy()
    if "reject_reason" in frame.columns:
        counted &= frame["reject_reason"].isna().to_numpy()
    keys = _village_keys(frame)
    district = frame["district_code"].astype("string").fillna("").to_numpy(dtype=object)
    # Only counted rows are compared: a rejected row never hides an accepted one.
    pairs = pd.Series(district + "|" + keys).where(counted)
    repeat = pairs.duplicated().to_numpy() & counted
    kept = frame.loc[~repeat]
    return kept, int(counted.sum()), int(counted.sum() - repeat.sum())


def _village_keys(frame: pd.DataFrame) -> np.ndarray:
    """One text key per row naming its village (see :func:`distinct_villages`)."""
    n = len(frame)
    sub = frame["subdistrict_code"].astype("string")
    # A pin with nothing else is its own village: named by its row, unique in the file
    # (so chunks of one file never merge two such pins).
    rows = frame["row"].to_numpy() if "row" in frame.columns else np.arange(n)
    keys = pd.Series([f"pin:{r}" for r in rows], index=frame.index, dtype="string")
    if "name" in frame.columns:
        name = frame["name"].astype("string").str.replace(r"\s+", "", regex=True).str.lower()
        name = name.where(name.str.len() > 0)
        keys = ("name:" + sub + ":" + name).fillna(keys)
    if "moo" in frame.columns:
        moo = pd.to_numeric(frame["moo"], errors="coerce").astype("Int64")
        keys = (sub + moo.astype("string").str.zfill(2)).fillna(keys)
    if "village_code" in frame.columns:
        keys = frame["village_code"].astype("string").fillna(keys)
    return keys.to_numpy(dtype=object)


def _model_villages_counts(counts, options: NoOptions, *, zone, by, boundaries) -> Coverage:
    return coverage_from_counts(counts, level="district", min_count=1, by=by, zone=zone, boundaries=boundaries)


def _household_participation_counts(counts, options: ParticipationOptions, *, zone, by, boundaries) -> Coverage:
    # Stored answers were read on the way in: a record without one is a blank answer here.
    unanswered = int((counts["count"] - counts["households"]).clip(lower=0).sum())
    notes = {"blank_as": BLANK_POLICIES[options.blank_as],
             "excluded_blank": 0 if options.blank_as == "no" else unanswered, "excluded_not_yes_no": 0}
    if options.blank_as == "no":
        counts = counts.assign(households=counts["count"])
    result = coverage_from_counts(counts, level=options.level, min_count=options.min_count, by=by, zone=zone,
                                  participation=options.column, thresholds=options.thresholds,
                                  boundaries=boundaries)
    return dataclasses.replace(result, notes={**result.notes, **notes})


def _household_participation(records, options: ParticipationOptions, *, zone, by, boundaries) -> Coverage:
    """Share of households taking part per unit, with KPI tiers (ผ่านเกณฑ์ / ชมเชย / โล่)."""
    records, notes = apply_blank_policy(records, options.column, options.blank_as)
    result = coverage(records, level=options.level, min_count=options.min_count, by=by, zone=zone,
                      participation=options.column, thresholds=options.thresholds, boundaries=boundaries)
    return dataclasses.replace(result, notes={**result.notes, **notes})


def apply_blank_policy(records, column: str, blank_as: str) -> tuple[Any, dict]:
    """Apply ``blank_as`` to the yes/no ``column`` and say what it did.

    Blank answers become False under ``"no"``; cells that were typed but are not yes/no
    (``bad_yes_no`` warnings) stay NA, so they are excluded either way.

    Returns
    -------
    records
        The same kind of object (Records, GeoDataFrame or dask frame) with the policy applied.
    notes : dict
        ``blank_as`` (the policy, Thai / English), ``excluded_blank`` and
        ``excluded_not_yes_no`` (households left out of the denominator, and why).
    """
    from geoplots.locating import is_dask

    notes: dict[str, Any] = {"blank_as": BLANK_POLICIES[blank_as]}
    frame = records.accepted if isinstance(records, Records) else records
    if is_dask(frame) or not isinstance(frame, pd.DataFrame) or column not in frame.columns:
        return records, notes  # counted lazily elsewhere; a missing column is reported by coverage()
    missing = frame[column].isna().to_numpy()
    bad = _bad_answers(frame, column) & missing
    blank = missing & ~bad
    if blank_as == "no" and blank.any():
        answers = frame[column].astype("boolean").copy()
        answers[blank] = False
        frame = frame.assign(**{column: answers})
        records = dataclasses.replace(records, accepted=frame) if isinstance(records, Records) else frame
    notes["excluded_blank"] = 0 if blank_as == "no" else int(blank.sum())
    notes["excluded_not_yes_no"] = int(bad.sum())
    return records, notes


def _bad_answers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Rows whose ``column`` cell was typed but not read as yes/no (their ``bad_yes_no`` warning)."""
    if "warnings" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    prefix = f"{column} "
    bad = np.zeros(len(frame), dtype=bool)
    # Only a row left without an answer can have been a bad one: look at those alone.
    unread = np.flatnonzero(frame[column].isna().to_numpy())
    warnings = frame["warnings"].to_numpy()
    bad[unread] = [any(w.code == "bad_yes_no" and w.detail.startswith(prefix) for w in (warnings[i] or ()))
                   for i in unread]
    return bad


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
    for origin in ("boundaries", "registry"):
        n = table[f"subdistricts_{origin}"]
        table[f"expected_{origin}"] = np.where(n > 0, 1 + (n >= LARGE_DISTRICT), 0)
    return table


def _change_leaders(records, options: NoOptions, *, zone, by, boundaries) -> Coverage:
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
    >>> result = RULES["change_leaders"](enrolled_subdistricts())  # doctest: +SKIP
    >>> result.notes["expected_boundaries"]  # doctest: +SKIP
    997
    """
    source = resolve_boundaries(boundaries)
    codes = _enrolled_codes(records, source)
    enrolled = pd.Series(codes.unique()).str[:4].value_counts()
    return _change_leaders_table(enrolled, zone=zone, by=by, boundaries=source)


def _change_leaders_counts(counts, options: NoOptions, *, zone, by, boundaries) -> Coverage:
    """:func:`_change_leaders` from distinct enrolled sub-districts counted per district."""
    enrolled = counts.groupby(counts["code"].astype("string"))["count"].sum()
    return _change_leaders_table(enrolled, zone=zone, by=by, boundaries=resolve_boundaries(boundaries))


def _change_leaders_table(enrolled: pd.Series, *, zone, by, boundaries: Boundaries) -> Coverage:
    """The change-leaders coverage from enrolled sub-districts per district code.

    ``enrolled_subdistricts`` counts only the sub-districts of districts with a target
    (outside Bangkok); Bangkok's, sent but outside the target, are reported apart
    (``enrolled_outside_target``) rather than added to it.
    """
    source = boundaries
    targets = change_leader_targets(source)
    in_target = enrolled.index.isin(targets["code"])
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
        "enrolled_subdistricts": int(enrolled[in_target].sum()),
        "enrolled_outside_target": int(enrolled[~in_target].sum()),
    }
    return Coverage(units=units, summary=summary, level="district", by=group, min_count=1, notes=notes)


def _enrolled_codes(records, source: Boundaries) -> pd.Series:
    """Sub-district codes of an enrolment: located records, or a table of codes."""
    from geoplots.locating import is_located, locate

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


#: The rule objects; ``rules.model_villages(records, zone=12)`` runs one directly.
model_villages = Rule(
    "model_villages",
    "หมู่บ้านโก่งธนูโมเดล อย่างน้อยอำเภอละ 1 หมู่บ้าน",
    "Model villages: at least one per district",
    kind="pins",
    compute=_model_villages,
    from_counts=_model_villages_counts,
    chunk_keys=_village_keys,
)
change_leaders = Rule(
    "change_leaders",
    "ตำบลผู้นำการเปลี่ยนแปลง",
    "Change-leader sub-districts",
    kind="households",
    compute=_change_leaders,
    from_counts=_change_leaders_counts,
    distinct="subdistrict_code",
)
household_participation = Rule(
    "household_participation",
    "ครัวเรือนที่เข้าร่วม (ผ่านเกณฑ์ 70% ชมเชย 80% โล่ 90%)",
    "Household participation with tiers",
    kind="households",
    compute=_household_participation,
    options=ParticipationOptions,
    yes_no="column",
    from_counts=_household_participation_counts,
)

#: Every named rule by name: the one place the CLI, the server and the map look rules up.
RULES: dict[str, Rule] = {rule.name: rule for rule in (model_villages, change_leaders, household_participation)}


def get_rule(name: str) -> Rule:
    """Return the rule called ``name``, or an error listing the rules there are."""
    key = str(name).strip().lower().replace("-", "_")
    if key not in RULES:
        raise GeoplotsError(f"Unknown rule {name!r}. Rules: {', '.join(RULES)}.")
    return RULES[key]


def run_rule(name: str, records, **options) -> Coverage:
    """Run the rule called ``name`` on ``records`` (``zone``, ``by``, ``boundaries`` and its own options).

    Examples
    --------
    >>> run_rule("model_villages", villages, zone=12)  # doctest: +SKIP
    """
    return get_rule(name).run(records, **options)
