"""What ``geoplots coverage`` and ``geoplots map`` know about ``--rule``: all of it from :data:`RULES`.

The commands' help, the record kind they read, the yes/no column and which of
``--level``/``--min``/``--column``/``--thresholds`` a rule takes come from the rule
objects of :mod:`geoplots.counting.rules`, so a new rule needs no change here.
"""

from __future__ import annotations

from typing import Any

from geoplots.counting.rules import RULES, Rule, get_rule
from geoplots.errors import GeoplotsError

#: The command-line flag of each rule option.
FLAGS: dict[str, str] = {"level": "--level", "min_count": "--min", "column": "--column", "thresholds": "--thresholds",
                         "blank_as": "--blank-as"}
#: Options plain coverage (no ``--rule``) takes, with their defaults.
PLAIN: dict[str, Any] = {"level": "district", "min_count": 1}


def rule_help() -> str:
    """Help of ``--rule``: every rule's name, title and the records it reads."""
    return "A named target: " + "; ".join(f"{r.name} ({r.title_en}, reads {r.kind})" for r in RULES.values()) + "."


def option_help(option: str, what: str) -> str:
    """Help of a rule option's flag: what it is, which rules take it and their default."""
    takers = [r for r in RULES.values() if option in r.option_names]
    parts = [f"{r.name}: default {_shown(getattr(r.defaults(), option))}" for r in takers]
    if option in PLAIN:
        parts.insert(0, f"without --rule: default {_shown(PLAIN[option])}")
    return f"{what} ({'; '.join(parts)})." if parts else f"{what}."


def _shown(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def chosen_rule(name: str | None) -> Rule | None:
    """The rule named by ``--rule``, or None."""
    return get_rule(name) if name else None


def rule_options(rule: Rule | None, **given: Any) -> dict[str, Any]:
    """The options the user gave (None = not given), checked against ``rule`` before any reading.

    Without a rule only :data:`PLAIN` options apply. A flag the rule does not take is an
    error naming the flags it does, instead of being silently ignored; a bad value fails
    here too, not after the file has been read and located.
    """
    given = {k: v for k, v in given.items() if v is not None}
    accepted = tuple(PLAIN) if rule is None else rule.option_names
    unknown = [k for k in given if k not in accepted]
    if unknown:
        what = "Without --rule, coverage" if rule is None else f"--rule {rule.name}"
        takes = ", ".join(FLAGS[k] for k in accepted) or "none of " + ", ".join(FLAGS.values())
        raise GeoplotsError(f"{what} does not take {', '.join(FLAGS[k] for k in unknown)}; it takes {takes}.")
    if rule is None:
        return {**PLAIN, **given}
    rule.parameters(**given)
    return given


def read_options(rule: Rule | None, given: dict[str, Any]) -> dict[str, Any]:
    """Options for :func:`geoplots.read_records` the rule needs (its yes/no column)."""
    return {} if rule is None else rule.read_options(rule.parameters(**given))
