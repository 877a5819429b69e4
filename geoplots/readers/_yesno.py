"""Yes/no cells as staff type them: มี/ไม่มี, ใช่/ไม่ใช่, ✓, 1/0, yes/no, true/false, x."""

from __future__ import annotations

from collections.abc import Callable, Collection

import numpy as np
import pandas as pd

from geoplots.readers._text import clean_text, is_blank

YES = frozenset({"มี", "ใช่", "ได้", "เข้าร่วม", "ผ่าน", "✓", "✔", "☑", "✅", "1", "yes", "y", "true", "t", "x", "/"})
NO = frozenset({"ไม่มี", "ไม่ใช่", "ไม่", "ไม่ได้", "ไม่เข้าร่วม", "ไม่ผ่าน", "✗", "✘", "☐", "❌", "0", "no", "n",
                "false", "f", "-"})


def _read(value: object) -> bool | None | str:
    """True/False, None for blank, or the string "bad"."""
    if is_blank(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and float(value) in (0.0, 1.0):
        return float(value) == 1.0
    text = _key(value)
    if text in ("1.0", "0.0"):
        text = text[0]
    if text in UNKNOWN:
        return "bad"
    if text in YES:
        return True
    if text in NO:
        return False
    return "bad"


#: Thai verbs answered as ``X`` / ``ไม่X`` (ปลูก/ไม่ปลูก: planted / did not plant).
VERBS = frozenset({"ปลูก", "ทำ", "เข้าร่วม", "มี", "ใช้", "ได้รับ", "เลี้ยง", "ผ่าน", "ร่วม", "ได้", "ใช่", "เป็น"})
_NOT = "ไม่"
#: "Don't know" / "no answer": they start with ไม่ but are not a no (left NA, warned).
UNKNOWN = frozenset({"ไม่ทราบ", "ไม่แน่ใจ", "ไม่ตอบ", "ไม่ได้ตอบ", "ไม่ระบุ", "ไม่ทราบข้อมูล", "ไม่มีข้อมูล"})


def _key(value: object) -> str:
    return clean_text(value)[0].lower().replace(" ", "").rstrip(".")


def _pairs(distinct: list[str]) -> dict[str, bool]:
    """``X`` / ``ไม่X`` answers found in one column: a known verb, or ``X`` whose
    negation ``ไม่X`` is also in the column (so ``ปลูกผัก``/``ไม่ปลูกผัก`` pair up).
    """
    seen = set(distinct)
    found: dict[str, bool] = {}
    for text in distinct:
        if text in UNKNOWN:
            continue
        if text.startswith(_NOT) and len(text) > len(_NOT):
            base = text[len(_NOT):]
            if base in seen or base in VERBS or any(base.startswith(v) for v in VERBS):
                found[text] = False
                if base in seen:
                    found[base] = True
        elif text in VERBS:
            found[text] = True
    return found


def context_free(text: str) -> bool:
    """Whether an answer (as :func:`_key` gives it) reads the same whatever else its
    column holds: a known verb (``ปลูก``), its negation (``ไม่ปลูกผัก``) or a "don't know";
    not an ``X`` that is yes only when ``ไม่X`` is in the column too.
    """
    if text in UNKNOWN or text in VERBS:
        return True
    if text.startswith(_NOT) and len(text) > len(_NOT):
        base = text[len(_NOT):]
        return base in VERBS or any(base.startswith(v) for v in VERBS)
    return False


#: What a blank answer means: left empty (NA, excluded from a denominator) or "no".
BLANK_AS = ("exclude", "no")


def check_blank_as(blank_as: str) -> str:
    """Return ``blank_as`` if it is one of :data:`BLANK_AS`, else raise a clear error."""
    if blank_as not in BLANK_AS:
        from geoplots.errors import GeoplotsError

        raise GeoplotsError(f"blank_as must be one of {', '.join(BLANK_AS)}, not {blank_as!r}.")
    return blank_as


def yes_no_values(
    series: pd.Series, *, blank_as: str = "exclude",
    context: Callable[[list[str]], Collection[str]] | None = None,
) -> tuple[pd.Series, pd.Series, dict[str, list[str]]]:
    """Read a yes/no column, each distinct value once.

    ``blank_as="no"`` reads blank cells as no (False); ``"exclude"`` leaves them NA.
    ``context``, given the column's unread answers (normalised), returns the answers to
    pair them with (``X`` / ``ไม่X``): by default the series' own; a chunk of a file
    passes the whole column's (:class:`geoplots.readers._chunks.ChunkContext`).

    Returns
    -------
    values : pandas.Series
        Nullable booleans (NA for blank and for what is not yes/no).
    bad : pandas.Series
        True where a non-blank cell was not a yes/no answer.
    taken : dict
        ``{"yes": [...], "no": [...]}``: the distinct cells (as typed) read as yes and
        as no, to state in the summary which answers counted.

    Examples
    --------
    >>> v, bad, taken = yes_no_values(pd.Series(["ปลูก", "ไม่ปลูก", "✓", "", "?"]))
    >>> v.tolist(), bad.tolist(), taken
    ([True, False, True, <NA>, <NA>], [False, False, False, False, True], {'yes': ['ปลูก', '✓'], 'no': ['ไม่ปลูก']})
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    read = [_read(u) for u in uniques]
    unread = [_key(u) for u, r in zip(uniques, read) if isinstance(r, str)]
    pairs = _pairs(unread if context is None else list(dict.fromkeys([*unread, *context(unread)])))
    read = [pairs.get(_key(u), r) if isinstance(r, str) else r for u, r in zip(uniques, read)]
    blank = pd.NA if check_blank_as(blank_as) == "exclude" else False
    table = pd.array([blank if r is None else pd.NA if isinstance(r, str) else r for r in read] + [blank],
                     dtype="boolean")
    values = pd.Series(table[codes], index=series.index, dtype="boolean")
    bad_table = np.array([isinstance(r, str) for r in read] + [False])
    bad = pd.Series(bad_table[codes], index=series.index)
    taken = {"yes": [str(u) for u, r in zip(uniques, read) if r is True],
             "no": [str(u) for u, r in zip(uniques, read) if r is False]}
    return values, bad, taken


def yes_no_with_bad(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Like :func:`parse_yes_no`, also returning a mask of cells that were not yes/no."""
    values, bad, _ = yes_no_values(series)
    return values, bad


def parse_yes_no(series: pd.Series) -> pd.Series:
    """Read a yes/no column into a nullable boolean Series.

    Yes: มี, ใช่, ได้, เข้าร่วม, ผ่าน, ✓, ✔, 1, yes, y, true, x. No: ไม่มี, ไม่ใช่, ไม่,
    ไม่ได้, ไม่เข้าร่วม, ✗, 0, no, n, false, ``-``. Case, spaces and Thai digits do not
    matter. Blank and anything else are NA (``normalize_records`` warns about the latter).

    Examples
    --------
    >>> parse_yes_no(pd.Series(["มี", "ไม่มี", "✓", "0", "", "maybe"])).tolist()
    [True, False, True, False, <NA>, <NA>]
    """
    return yes_no_with_bad(series)[0]


#: How an answer is compared (case, spaces, Thai digits and a final dot do not matter).
yes_no_key = _key
