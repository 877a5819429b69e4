"""Progress over time (ความก้าวหน้ารายเดือน): coverage as of a date, per period, and stale sites.

The department reports to its executives every month: how many units (อำเภอ, ตำบล...)
met the target at the end of each month, which were newly covered and which fell back
since the previous month, and which plots nobody has reported on for weeks.

Everything here is computed from coverage as it stood at the end of a day (Asia/Bangkok):
from records with their reported ``date`` (a record's latest row dated on or before that
day), or from a store's versions (``Store.counts_by(as_of=...)``: the versions known then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.errors import GeoplotsError
from geoplots.records import Records

__all__ = ["FREQS", "STATUSES", "Progress", "last_month_end", "normalize_status", "today_in_bangkok", "period_ends", "progress", "records_as_of", "stale"]

#: Period lengths a series takes: months (รายเดือน) and quarters (รายไตรมาส).
FREQS = {"M": "month", "Q": "quarter"}
#: Days without a report after which a site is stale, unless told otherwise.
DEFAULT_STALE_DAYS = 60

_BANGKOK = dt.timezone(dt.timedelta(hours=7))

#: The stages of a plot's work, with the spellings field staff use (Thai and English).
STATUSES: dict[str, tuple[str, ...]] = {
    "planned": ("planned", "plan", "วางแผน", "แผน", "ยังไม่เริ่ม", "ยังไม่ดำเนินการ", "ตามแผน"),
    "in_progress": ("in progress", "in_progress", "ongoing", "started", "กำลังดำเนินการ",
                    "อยู่ระหว่างดำเนินการ", "ระหว่างดำเนินการ", "กำลังทำ", "เริ่มแล้ว"),
    "completed": ("completed", "complete", "done", "finished", "เสร็จแล้ว", "เสร็จสิ้น", "เสร็จ",
                  "แล้วเสร็จ", "ดำเนินการแล้ว", "ดำเนินการเสร็จแล้ว"),
}
_STATUS_OF = {spelling.casefold(): name for name, spellings in STATUSES.items() for spelling in spellings}


def normalize_status(value: object) -> str | None:
    """Return the status a cell names: ``planned``, ``in_progress``, ``completed``, or the
    programme's own word as written (stripped); None when blank.

    Examples
    --------
    >>> normalize_status("กำลังดำเนินการ"), normalize_status(" Done "), normalize_status("ตรวจแล้ว")
    ('in_progress', 'completed', 'ตรวจแล้ว')
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    return _STATUS_OF.get(text.casefold(), text)




@dataclass
class Progress:
    """The result of :func:`progress`.

    Attributes
    ----------
    units : pandas.DataFrame
        One row per unit and period: ``period`` (e.g. ``"2021-03"``), ``end`` (the last
        day, a ``datetime.date``), ``code``, ``name_th``, ``name_en``, the group column,
        ``count`` and ``met``.
    summary : pandas.DataFrame
        One row per group and period: ``period``, ``end``, ``group``, ``covered``,
        ``total``, ``percent``, ``newly_covered`` and ``fell_back`` (how many) and
        ``newly_covered_units``/``fell_back_units`` (lists of ``"code name_th"``).
        The first period compares with the end of the period before it.
    level, by, freq, min_count, rule, status :
        What was counted.
    """

    units: pd.DataFrame
    summary: pd.DataFrame
    level: str
    by: str | None
    freq: str
    min_count: int
    rule: str | None = None
    status: str | None = None
    notes: dict = field(default_factory=dict)

    @property
    def periods(self) -> list[str]:
        """The periods of the series, oldest first."""
        return list(dict.fromkeys(self.summary["period"]))


def period_ends(start: str | dt.date, end: str | dt.date, freq: str = "M") -> list[tuple[str, dt.date]]:
    """Return ``(label, last day)`` of each period from the one holding ``start`` to the
    one holding ``end``; the last period ends at ``end`` when ``end`` falls inside it.

    Examples
    --------
    >>> period_ends("2021-01-15", "2021-03-10")
    [('2021-01', datetime.date(2021, 1, 31)), ('2021-02', datetime.date(2021, 2, 28)), ('2021-03', datetime.date(2021, 3, 10))]
    """
    if freq not in FREQS:
        raise GeoplotsError(f"Unknown period {freq!r}; use one of: {', '.join(FREQS)} (month, quarter).")
    first, last = _day(start), _day(end)
    if first > last:
        raise GeoplotsError(f"The series starts ({first}) after it ends ({last}).")
    periods = pd.period_range(pd.Period(first, freq), pd.Period(last, freq), freq=freq)
    if len(periods) > 240:
        raise GeoplotsError(f"{len(periods)} periods asked; a series takes at most 240.")
    return [(str(p), min(p.end_time.date(), last)) for p in periods]


def records_as_of(records: Records | pd.DataFrame, as_of: str | dt.date) -> tuple[pd.DataFrame, dict]:
    """Return the records as they stood at the end of ``as_of``, and what was left out.

    Each record counts with its latest row dated (column ``date``) on or before that day
    (several rows with one ``record_id`` are versions of one record); rows without a
    date are left out and counted in the notes (``undated``), never silently.

    Parameters
    ----------
    records : Records or DataFrame
        Records with a ``date`` column (วันที่รายงาน), located or not.
    as_of : str or datetime.date
        ``YYYY-MM-DD``.
    """
    frame = records.accepted if isinstance(records, Records) else records
    if "date" not in frame.columns:
        raise GeoplotsError("as_of needs a date column in the records (วันที่): none was found.")
    day = _day(as_of)
    dates = pd.to_datetime(frame["date"], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert(_BANGKOK).dt.tz_localize(None)
    undated = int(dates.isna().sum())
    keep = frame[(dates.dt.normalize() <= pd.Timestamp(day)).to_numpy()]
    if "record_id" in keep.columns and keep["record_id"].notna().any():
        order = dates.loc[keep.index].to_numpy().argsort(kind="stable")
        ordered = keep.iloc[order]
        has_id = ordered["record_id"].notna()
        latest = ordered[has_id].drop_duplicates("record_id", keep="last")
        keep = pd.concat([latest, ordered[~has_id]]).sort_index()
    return keep, {"as_of": day.isoformat(), "undated": undated}


def progress(
    records: Records | pd.DataFrame | None = None,
    level: str = "district",
    rule: str | None = None,
    freq: str = "M",
    by: str | None = "inspection_zone",
    *,
    store: Any = None,
    start: str | dt.date | None = None,
    end: str | dt.date | None = None,
    zone: str | int | None = None,
    min_count: int = 1,
    kind: str | None = None,
    status: str | None = None,
    boundaries: Boundaries | None = None,
) -> Progress:
    """Coverage at the end of each period, and what changed from one period to the next.

    Parameters
    ----------
    records : Records or DataFrame, optional
        Records with a ``date`` column; or give ``store``.
    level : str, default "district"
        Unit counted (จังหวัด/อำเภอ/ตำบล), unless the rule decides it.
    rule : str, optional
        A named rule (``model_villages``, ``household_participation``, ``change_leaders``).
    freq : {"M", "Q"}
        Months or quarters.
    by : str, default "inspection_zone"
        Grouping of the summary (เขตตรวจราชการ).
    store : geoplots.server.store.Store, optional
        Count the store's versions instead (coverage as known at each period's end).
    start, end : str or datetime.date, optional
        The series' first and last day (default: the records' first date, and today or
        the last date; for a store the last 12 months).
    zone : str or int, optional
        Only the units of this group.
    min_count : int
        Records a unit needs (without a rule).
    kind : str, optional
        For a store: the records counted (default pins, or the rule's).
    status : str, optional
        Count only records in this status (e.g. ``completed`` เสร็จแล้ว).
    boundaries : geoplots.Boundaries, optional

    Returns
    -------
    Progress
    """
    source = resolve_boundaries(boundaries)
    spec, options = _rule(rule, level, min_count)
    if (records is None) == (store is None):
        raise GeoplotsError("Give records or a store to progress(), one of them.")
    ends = _series_ends(records, start, end, freq)
    at = _store_counter(store, spec, options, kind, status, zone, source) if store is not None else \
        _records_counter(records, spec, options, status, zone, source)
    days = [_previous_end(ends[0], freq)] + [day for _, day in ends]  # the period before: "since last"
    if hasattr(at, "prepare"):
        at.prepare(days)
    baseline = at(days[0])
    series = [(label, day, at(day)) for label, day in ends]
    return _progress(baseline, series, spec, options, by, freq, status)


def stale(
    records: Records | pd.DataFrame | None = None,
    days: int = DEFAULT_STALE_DAYS,
    *,
    store: Any = None,
    kind: str = "plots",
    today: str | dt.date | None = None,
    zone: str | None = None,
) -> pd.DataFrame:
    """The sites with no report for ``days`` days (ไม่มีรายงานเกิน N วัน), per zone.

    Parameters
    ----------
    records : Records or DataFrame, optional
        Located records with ``date`` (and ``record_id``: a site's latest row counts).
    days : int, default 60
    store : Store, optional
        Read the store's current records instead (their reported dates).
    kind : str
        For a store: which records (default ``plots``).
    today : str or datetime.date, optional
        Default: today in Bangkok.
    zone : str, optional
        Only this inspection zone.

    Returns
    -------
    pandas.DataFrame
        ``record_id``, ``name``, ``kind``, ``province_code``, ``district_code``,
        ``subdistrict_code``, ``inspection_zone``, ``status``, ``last_reported``,
        ``days_since``; by zone, longest silence first.
    """
    if days < 0:
        raise GeoplotsError(f"Give the days without a report as 0 or more, not {days}.")
    now = _day(today) if today is not None else dt.datetime.now(_BANGKOK).date()
    before = now - dt.timedelta(days=days)
    if store is not None:
        from geoplots.server.store import RecordFilter

        table = store.last_reports(kind, before, RecordFilter(zone=zone))
    else:
        table = _stale_records(records, before, kind, zone)
    table = table.assign(days_since=[(now - d).days for d in table["last_reported"]])
    return table.sort_values(["inspection_zone", "days_since"], ascending=[True, False],
                             na_position="last", kind="stable").reset_index(drop=True)


def today_in_bangkok() -> dt.date:
    """Return today's date in Thailand."""
    return dt.datetime.now(_BANGKOK).date()


def last_month_end(day: dt.date | None = None) -> dt.date:
    """Return the last day of the month before ``day`` (default: today in Bangkok).

    Examples
    --------
    >>> last_month_end(dt.date(2021, 3, 15))
    datetime.date(2021, 2, 28)
    """
    day = day or dt.datetime.now(_BANGKOK).date()
    return day.replace(day=1) - dt.timedelta(days=1)


# -- steps ---------------------------------------------------------------------------
def _day(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise GeoplotsError(f"Give the date as YYYY-MM-DD (e.g. 2021-03-31), not {value!r}.") from exc


def _previous_end(first: tuple[str, dt.date], freq: str) -> dt.date:
    period = pd.Period(first[0], freq)
    return (period - 1).end_time.date()


def _rule(rule: str | None, level: str, min_count: int) -> tuple[Any, dict]:
    if rule is None:
        return None, {"level": level, "min_count": min_count}
    from geoplots.counting.rules import get_rule

    spec = get_rule(rule)
    given = {k: v for k, v in (("level", level), ("min_count", min_count)) if k in spec.option_names}
    return spec, given


def _series_ends(records, start, end, freq: str) -> list[tuple[str, dt.date]]:
    today = dt.datetime.now(_BANGKOK).date()
    if records is not None and (start is None or end is None):
        frame = records.accepted if isinstance(records, Records) else records
        if "date" not in frame.columns:
            raise GeoplotsError("progress() needs a date column in the records (วันที่): none was found.")
        dates = pd.to_datetime(frame["date"], errors="coerce").dropna()
        if dates.empty:
            raise GeoplotsError("No record has a date: progress over time needs dated records.")
        start = start or dates.min().date()
        end = end or dates.max().date()
    end = _day(end) if end is not None else today
    start = _day(start) if start is not None else (pd.Timestamp(end) - pd.DateOffset(months=11)).date()
    return period_ends(start, end, freq)


def _records_counter(records, spec, options: dict, status: str | None, zone, source: Boundaries) -> Callable:
    from geoplots.counting._core import coverage
    from geoplots.locating import is_located, locate

    frame = records.accepted if isinstance(records, Records) else records
    if not is_located(frame):
        frame = locate(frame, schemes=(), boundaries=source).accepted
    if status is not None:
        if "status" not in frame.columns:
            raise GeoplotsError("status= needs a status column in the records (สถานะ): none was found.")
        frame = frame[[normalize_status(v) == normalize_status(status) for v in frame["status"]]]

    def at(day: dt.date):
        kept, _ = records_as_of(frame, day)
        if spec is not None:
            return spec.run(kept, zone=zone, boundaries=source, **options)
        return coverage(kept, options["level"], options["min_count"], zone=zone, boundaries=source)

    return at


def _store_counter(store, spec, options: dict, kind, status, zone, source: Boundaries) -> Callable:
    """A counter that asks the store for the whole series in one pass (``counts_series``)
    the first time, then answers each day from it.
    """
    from geoplots.counting._core import coverage_from_counts
    from geoplots.server.store import RecordFilter

    counted = spec.kind if spec is not None else (kind or "pins")
    if spec is not None and kind is not None and kind != spec.kind:
        raise GeoplotsError(f"The rule {spec.name} counts {spec.kind}, not {kind}.")
    request = spec.count_request(**options) if spec is not None else {"level": options["level"]}
    known: dict[dt.date, Any] = {}

    def prepare(days: list[dt.date]) -> None:
        frames = store.counts_series(kind=counted, ends=days, filter=RecordFilter(kind=cast(Any, counted)),
                                     status=status, **request)
        known.update(zip(days, frames))

    def at(day: dt.date):
        if day not in known:
            prepare([day])
        counts = known[day]
        if spec is not None:
            return spec.run_counts(counts, zone=zone, boundaries=source, **options)
        return coverage_from_counts(counts, options["level"], options["min_count"], zone=zone, boundaries=source)

    at.prepare = prepare  # type: ignore[attr-defined]
    return at


def _progress(baseline, series: Sequence[tuple[str, dt.date, Any]], spec, options: dict, by, freq: str,
              status: str | None) -> Progress:
    first = series[0][2]
    group = first.by
    keep = [c for c in ("code", "name_th", "name_en", group, "count", "met") if c and c in first.units.columns]
    tables = [pd.DataFrame(cov.units[keep]).assign(period=label, end=day) for label, day, cov in series]
    units = pd.concat(tables, ignore_index=True)[["period", "end", *keep]]
    previous = pd.DataFrame(baseline.units[["code", "met"]]).set_index("code")["met"]
    parts = []
    for table in tables:  # each period against the one before it, every group at once
        was = previous.reindex(table["code"]).fillna(False).astype(bool).to_numpy()
        now = table["met"].astype(bool).to_numpy()
        parts.append(table.assign(group=table[group].astype(str) if group else "all", now=now,
                                  newly=now & ~was, fell=was & ~now, unit=table["code"] + " " + table["name_th"]))
        previous = table.set_index("code")["met"]
    summary = _summary(pd.concat(parts, ignore_index=True))
    return Progress(units=units, summary=summary, level=first.level, by=group, freq=freq,
                    min_count=first.min_count, rule=spec.name if spec is not None else None, status=status)


def _summary(flags: pd.DataFrame) -> pd.DataFrame:
    """Per period and group: units covered, total, percent, newly covered and fallen back
    (how many, and which: ``"code name_th"`` in code order).
    """
    keys = ["period", "end", "group"]
    table = flags.groupby(keys, sort=False).agg(covered=("now", "sum"), total=("now", "size"),
                                                newly_covered=("newly", "sum"), fell_back=("fell", "sum"))
    table = table.reset_index()
    table["percent"] = (100 * table["covered"] / table["total"].where(table["total"] > 0)).round(1).fillna(0.0)
    for flag, column in (("newly", "newly_covered_units"), ("fell", "fell_back_units")):
        named = flags[flags[flag]].sort_values("code").groupby(keys, sort=False)["unit"].agg(list)
        table[column] = [named.get(k, []) for k in zip(table["period"], table["end"], table["group"])]
    table = table.astype({"covered": "int64", "total": "int64", "newly_covered": "int64", "fell_back": "int64"})
    order = ["period", "end", "group", "covered", "total", "percent", "newly_covered", "fell_back",
             "newly_covered_units", "fell_back_units"]
    return table.sort_values(["period", "group"], kind="stable")[order].reset_index(drop=True)


def _stale_records(records, before: dt.date, kind: str, zone: str | None) -> pd.DataFrame:
    from geoplots.server.store.base import STALE_COLUMNS

    frame = records.accepted if isinstance(records, Records) else records
    if "date" not in frame.columns:
        raise GeoplotsError("Stale sites need a date column in the records (วันที่): none was found.")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    table = frame.assign(last_reported=dates.dt.date, kind=frame["kind"] if "kind" in frame.columns else kind)
    table = table[dates.notna().to_numpy()]
    if "record_id" in table.columns:
        table = table.sort_values("last_reported", kind="stable").drop_duplicates("record_id", keep="last")
    table = table[[d < before for d in table["last_reported"]]]
    if zone is not None and "inspection_zone" in table.columns:
        table = table[table["inspection_zone"].astype("string") == str(zone)]
    out = pd.DataFrame({c: table[c] if c in table.columns else None for c in STALE_COLUMNS})
    return out.reset_index(drop=True)
