"""Dates as Thai staff type them: Buddhist-era years, Thai month names, day/month/year.

:func:`parse_date` never raises; a cell that is not a real date gives ``None`` and a
``bad_date`` warning, so the record is kept with the date empty.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

import pandas as pd

from geoplots.readers._text import clean_text, is_blank
from geoplots.records import RowWarning

#: Years above this are Buddhist era (พ.ศ.): BE = CE + 543.
BE_THRESHOLD = 2400
BE_OFFSET = 543

_THAI_MONTHS = [
    ("มกราคม", "ม.ค."),
    ("กุมภาพันธ์", "ก.พ."),
    ("มีนาคม", "มี.ค."),
    ("เมษายน", "เม.ย."),
    ("พฤษภาคม", "พ.ค."),
    ("มิถุนายน", "มิ.ย."),
    ("กรกฎาคม", "ก.ค."),
    ("สิงหาคม", "ส.ค."),
    ("กันยายน", "ก.ย."),
    ("ตุลาคม", "ต.ค."),
    ("พฤศจิกายน", "พ.ย."),
    ("ธันวาคม", "ธ.ค."),
]
_EN_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _month_words() -> list[tuple[str, int]]:
    words: list[tuple[str, int]] = []
    for i, (full, abbr) in enumerate(_THAI_MONTHS, start=1):
        words += [(full, i), (abbr, i), (abbr.replace(".", ""), i)]
    # Longest first so "มีนาคม" wins over "มี.ค." and "มิ.ย." over shorter forms.
    return sorted(words, key=lambda w: -len(w[0]))


_MONTH_WORDS = _month_words()
_EN_MONTH = re.compile(r"\b(" + "|".join(_EN_MONTHS) + r")[a-z]*\.?", re.IGNORECASE)
_PREFIX = re.compile(r"^(วันที่|วัน|date)\s*", re.IGNORECASE)
_ERA = re.compile(r"\s*(พ\.?\s?ศ\.?|ค\.?\s?ศ\.?|B\.?E\.?|A\.?D\.?)\s*", re.IGNORECASE)


def _year(y: int, digits: int, fixes: list[str]) -> int:
    if digits <= 2:
        # Staff write two-digit years in the Buddhist era: 64 -> 2564 -> 2021.
        fixes.append("buddhist_era")
        return 2500 + y - BE_OFFSET
    if y > BE_THRESHOLD:
        fixes.append("buddhist_era")
        return y - BE_OFFSET
    return y


#: Dates outside these years are typing errors, not field records.
YEAR_RANGE = (1900, 2100)


def _build(y: int, m: int, d: int) -> pd.Timestamp | None:
    if not YEAR_RANGE[0] <= y <= YEAR_RANGE[1]:
        return None
    try:
        return pd.Timestamp(dt.date(y, m, d))
    except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime):
        return None


def parse_date(value: Any) -> tuple[pd.Timestamp | None, list[RowWarning]]:
    """Parse one date cell into a Timestamp and the list of warnings it earned.

    Reads ``5/3/2564``, ``05-03-64``, ``2021-03-05``, ``5 มี.ค. 64``,
    ``5 มีนาคม พ.ศ. 2564``, ``5 Mar 2021``, Thai digits, and Excel dates (a date stored
    with a Buddhist-era year is moved back 543 years). Slash dates are day/month/year;
    when the month would be above 12 and the day is not, month/day/year is the only
    reading and is used with a ``month_day_order`` warning.

    Returns
    -------
    (Timestamp or None, list of RowWarning)
        Warning codes ``thai_digits``, ``buddhist_era``, ``month_day_order`` or
        ``bad_date`` (then the Timestamp is None), each with the cell as detail.

    Examples
    --------
    >>> parse_date("5 มี.ค. 64")[0]
    Timestamp('2021-03-05 00:00:00')
    >>> parse_date("31/02/2564")[0] is None
    True
    """
    if isinstance(value, str):
        # Sheets repeat the same few dates: parse each text once.
        ts, warnings = _parse_date_text(value)
        return ts, list(warnings)
    return _parse_date(value)


@lru_cache(maxsize=8192)
def _parse_date_text(value: str) -> tuple[pd.Timestamp | None, tuple[RowWarning, ...]]:
    ts, warnings = _parse_date(value)
    return ts, tuple(warnings)


def _parse_date(value: Any) -> tuple[pd.Timestamp | None, list[RowWarning]]:
    """The parser behind :func:`parse_date`, for any cell."""
    if is_blank(value):
        return None, []
    fixes: list[str] = []
    if isinstance(value, (dt.datetime, dt.date, pd.Timestamp)):
        y, m_, d = value.year, value.month, value.day
        if y > BE_THRESHOLD:
            fixes.append("buddhist_era")
            y -= BE_OFFSET
        ts = _build(y, m_, d)
        if ts is None:
            return None, _messages(["bad_date"], value)
        return ts, _messages(fixes, value)
    text, thai = clean_text(value)
    if thai:
        fixes.append("thai_digits")
    text = _PREFIX.sub("", text)
    text = _ERA.sub(" ", text).strip()
    # A time after the date ("2021-03-05 14:22:10", Kobo's "2021-03-05T14:22:10.000+07:00")
    text = re.split(r"[T\s]\d{1,2}:\d{2}", text)[0].strip()
    month = None
    for word, number in _MONTH_WORDS:
        if word in text:
            month = number
            text = text.replace(word, f" {number} ", 1)
            break
    if month is None:
        m = _EN_MONTH.search(text)
        if m:
            month = _EN_MONTHS.index(m.group(1).lower()) + 1
            text = text[: m.start()] + f" {month} " + text[m.end():]
    parts = re.findall(r"\d+", text)
    leftovers = re.sub(r"[\d\s/\-.,]+", "", text)
    if len(parts) != 3 or leftovers:
        return None, _messages(fixes + ["bad_date"], value)
    p = [int(x) for x in parts]
    lens = [len(x) for x in parts]
    if month is not None:
        # The month word sits between day and year in Thai and English writing.
        d, y, ylen = p[0], p[2], lens[2]
        if lens[0] == 4:  # "2021 Mar 5"
            d, y, ylen = p[2], p[0], lens[0]
        ts = _build(_year(y, ylen, fixes), month, d)
    elif lens[0] == 4:
        ts = _build(_year(p[0], 4, fixes), p[1], p[2])
    elif lens[2] in (2, 4):
        d, m_, y = p
        if m_ > 12 and d <= 12:
            d, m_ = m_, d
            fixes.append("month_day_order")
        ts = _build(_year(y, lens[2], fixes), m_, d)
    else:
        ts = None
    if ts is None:
        return None, _messages([f for f in fixes if f != "buddhist_era"] + ["bad_date"], value)
    return ts, _messages(fixes, value)


def _messages(fixes: list[str], value: Any) -> list[RowWarning]:
    return [RowWarning(f, f"date {str(value)!r}") for f in dict.fromkeys(fixes)]
