"""Yes/no cells as staff type them: มี/ไม่มี, ใช่/ไม่ใช่, ✓, 1/0, yes/no, true/false, x."""

from __future__ import annotations

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
    text = clean_text(value)[0].lower().replace(" ", "").rstrip(".")
    if text in ("1.0", "0.0"):
        text = text[0]
    if text in YES:
        return True
    if text in NO:
        return False
    return "bad"


def yes_no_with_bad(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Like :func:`parse_yes_no`, also returning a mask of cells that were not yes/no."""
    read = series.map(_read)
    bad = read.map(lambda v: isinstance(v, str)).astype(bool)
    out = read.map(lambda v: pd.NA if v is None or isinstance(v, str) else v).astype("boolean")
    return out, bad


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
