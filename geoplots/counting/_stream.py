"""Coverage of a file too big for memory: each chunk located, counted per unit, and forgotten."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.counting._core import Coverage, _no_column, add_counts, coverage_from_counts, unit_counts
from geoplots.counting.rules import Rule, apply_blank_policy, villages_note
from geoplots.levels import CODE_COLUMN, parse_level
from geoplots.records import Records, concat_rejects


@dataclasses.dataclass(frozen=True)
class PlainOptions:
    """The options of coverage without a rule: unit level and records a unit needs."""

    level: str = "district"
    min_count: int = 1


#: Rejected rows kept to be listed (an XLSX sheet holds 1,048,576 rows); the rest are counted.
MAX_LISTED_REJECTS = 1_000_000


@dataclasses.dataclass
class StreamSummary:
    """What the chunks held: rows read, accepted (placed and located), rejected by reason,
    the first :data:`MAX_LISTED_REJECTS` rejected rows as sent, and the records' first and
    last ``date`` (``period``), so that a report accounts for every row of a streamed file.
    """

    rows_read: int = 0
    accepted: int = 0
    rejected_by_reason: Counter[str] = dataclasses.field(default_factory=Counter)
    rejects: pd.DataFrame = dataclasses.field(default_factory=pd.DataFrame)
    period: tuple[Any, Any] | None = None

    def add(self, located: Records) -> None:
        """Account for one located chunk."""
        self.rows_read += located.rows_read
        self.accepted += len(located.accepted)
        self.rejected_by_reason.update(located.rejects["reason"].astype(str).tolist())
        room = MAX_LISTED_REJECTS - len(self.rejects)
        if room > 0 and len(located.rejects):
            self.rejects = concat_rejects([self.rejects, located.rejects.head(room)])
        if "date" in located.accepted.columns:
            dates = pd.to_datetime(located.accepted["date"], errors="coerce").dropna()
            if len(dates):
                first, last = dates.min().date(), dates.max().date()
                self.period = (min(first, self.period[0]), max(last, self.period[1])) if self.period else (first, last)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def as_dict(self) -> dict[str, Any]:
        """The ``rows_read``/``accepted``/``rejected``/``rejected_by_reason`` of ``Records.summary()``."""
        return {"rows_read": self.rows_read, "accepted": self.accepted, "rejected": self.rejected,
                "rejected_by_reason": dict(sorted(self.rejected_by_reason.items()))}


def coverage_of_chunks(
    chunks: Iterable[Records],
    rule: Rule | None = None,
    *,
    zone: str | int | None = None,
    by: Any = "inspection_zone",
    boundaries: Boundaries | None = None,
    on_chunk: Callable[[StreamSummary], None] | None = None,
    **options: Any,
) -> tuple[Coverage, StreamSummary]:
    """Coverage (of ``rule``, or plain) from records read chunk by chunk (:func:`geoplots.iter_records`).

    Each chunk is located, reduced to counts per unit (and, for a rule that counts
    distinct codes, to its distinct codes) and dropped, so memory does not grow with the
    file; the result is what :func:`geoplots.coverage` or ``rule.run`` gives on the whole
    file at once, notes included (blank yes/no answers excluded and why).

    Parameters
    ----------
    chunks : iterable of Records
        Chunks of one file, in order.
    rule : Rule, optional
        A rule of :data:`~geoplots.counting.RULES`; None for plain coverage (``level``,
        ``min_count`` options).
    zone, by, boundaries :
        As :func:`geoplots.coverage`.
    on_chunk : callable, optional
        Called with the running :class:`StreamSummary` after each chunk (a progress bar).
    **options
        The rule's own options (plain coverage: ``level``, ``min_count``).

    Returns
    -------
    (Coverage, StreamSummary)
        The coverage and what was read: rows read, accepted and rejected by reason
        (reading and locating together).

    Examples
    --------
    >>> from geoplots.counting import RULES
    >>> chunks = geoplots.iter_records("households.csv", "households", yes_no=["has_garden"])  # doctest: +SKIP
    >>> cov, read = coverage_of_chunks(chunks, RULES["household_participation"])  # doctest: +SKIP
    """
    from geoplots.locating import locate

    source = resolve_boundaries(boundaries)
    params = rule.parameters(**options) if rule is not None else PlainOptions(**options)
    request = rule.count_request(**options) if rule is not None else {"level": params.level, "yes_no": None,
                                                                     "distinct": None}
    level = parse_level(str(request["level"]))
    column = getattr(params, "column", None) if rule is not None and rule.yes_no else None
    totals = _Totals(CODE_COLUMN[level], column, getattr(params, "blank_as", "exclude"), request["distinct"],
                     keys=rule.chunk_keys if rule is not None else None)
    summary = StreamSummary()
    for chunk in chunks:
        located = locate(chunk, schemes=(), boundaries=source)
        summary.add(located)
        totals.add(located.accepted)
        if on_chunk is not None:
            on_chunk(summary)
    return totals.coverage(rule, params, zone=zone, by=by, boundaries=source), summary


class _Totals:
    """Counts per unit code added chunk by chunk, with the notes of the blank-answer policy."""

    def __init__(self, code_column: str, participation: str | None, blank_as: str, distinct: str | None,
                 keys: Callable[[pd.DataFrame], Any] | None = None) -> None:
        self.code_column, self.participation, self.blank_as, self.distinct = code_column, participation, blank_as, distinct
        self.keys, self.pins = keys, 0
        self.sums: pd.DataFrame | None = None
        self.pairs: set[tuple[str, str]] = set()
        self.notes: dict[str, Any] = {}

    def add(self, accepted: pd.DataFrame) -> None:
        if self.keys is not None:  # things counted once per unit (villages), across chunks
            placed = accepted[accepted[self.code_column].notna()]
            self.pins += len(placed)
            self.pairs.update(zip(placed[self.code_column].astype(str), self.keys(placed)))
            return
        if self.distinct is not None:
            pairs = accepted[[self.code_column, self.distinct]].dropna().astype(str)
            self.pairs.update(zip(pairs[self.code_column], pairs[self.distinct].str.strip()))
            return
        if self.participation is not None:
            if self.participation not in accepted.columns:
                raise _no_column(self.participation, accepted.columns)
            accepted, notes = apply_blank_policy(accepted, self.participation, self.blank_as)
            for key, value in notes.items():
                self.notes[key] = self.notes.get(key, 0) + value if isinstance(value, int) else value
        self.sums = add_counts(self.sums, unit_counts(accepted, self.code_column, self.participation))

    def counts(self) -> pd.DataFrame:
        if self.distinct is not None or self.keys is not None:
            table = pd.DataFrame(sorted(self.pairs), columns=["code", "value"])
            return table.groupby("code").size().rename("count").reset_index()
        return self.sums.reset_index() if self.sums is not None else pd.DataFrame({"code": [], "count": []})

    def coverage(self, rule: Rule | None, params: Any, **common: Any) -> Coverage:
        counts = self.counts()
        if rule is None:
            return coverage_from_counts(counts, params.level, params.min_count, **common)
        if self.keys is not None:
            result = rule.run_counts(counts, **common, **dataclasses.asdict(params))
            return dataclasses.replace(result, notes={**result.notes, "villages": villages_note(len(self.pairs), self.pins)})
        if self.distinct is not None or rule.yes_no is None:
            return rule.run_counts(counts, **common, **dataclasses.asdict(params))
        result = coverage_from_counts(counts, level=params.level, min_count=params.min_count,
                                      participation=params.column, thresholds=params.thresholds, **common)
        result.title = rule.title
        return dataclasses.replace(result, notes={**result.notes, **self.notes})
