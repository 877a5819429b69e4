"""Cell clean-up shared by every parser: Thai digits, blanks, stray spaces."""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_SPACES = re.compile(r"[\s\u200b\u00a0\ufeff]+")


def is_blank(value: Any) -> bool:
    """True for None, NaN/NA and cells holding only spaces."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return _SPACES.sub("", value) == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def clean_text(value: Any) -> tuple[str, bool]:
    """Return the cell as stripped text with Thai digits (๐-๙) made Arabic, and whether any were."""
    text = str(value)
    converted = text.translate(_THAI_DIGITS)
    text = _SPACES.sub(" ", converted).strip()
    return text, converted != str(value)


def number_text(value: Any) -> str:
    """Return a cell as text, writing whole floats from Excel (``12.0``) as ``12``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
