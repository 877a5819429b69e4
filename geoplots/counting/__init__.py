"""Coverage per unit, province and zone, and the department's named targets.

:func:`coverage` counts located records per unit of a level (every unit of the
boundaries, zero-count ones included) and summarises per group (inspection zone
เขตตรวจราชการ by default); :func:`coverage_from_counts` builds the same table from
counts a database made (the server's ``Store.counts_by``); :func:`coverage_of_chunks` counts
a file read chunk by chunk (``geoplots.iter_records``) in bounded memory. :mod:`geoplots.counting.rules` names the department's three
targets; :mod:`geoplots.counting.report` writes the XLSX/CSV reports.
"""

from geoplots.counting._core import (
    DEFAULT_THRESHOLDS,
    TIERS,
    Coverage,
    coverage,
    coverage_from_counts,
    summarize,
    tier_of,
)
from geoplots.counting._stream import StreamSummary, coverage_of_chunks
from geoplots.counting.progress import Progress, progress, records_as_of, stale
from geoplots.counting.report import write_coverage
from geoplots.counting.rules import (
    RULES,
    NoOptions,
    ParticipationOptions,
    Rule,
    change_leader_targets,
    distinct_villages,
    get_rule,
    run_rule,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "RULES",
    "TIERS",
    "Coverage",
    "NoOptions",
    "Progress",
    "ParticipationOptions",
    "Rule",
    "StreamSummary",
    "change_leader_targets",
    "coverage",
    "coverage_from_counts",
    "coverage_of_chunks",
    "distinct_villages",
    "get_rule",
    "progress",
    "records_as_of",
    "run_rule",
    "stale",
    "summarize",
    "tier_of",
    "write_coverage",
]
