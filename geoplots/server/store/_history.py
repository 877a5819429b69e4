"""What both stores share to keep every version of a record (ประวัติการรายงาน).

A record's versions are append-only rows of ``record_versions``; ``records`` is the
current projection (the latest version of each record that is not withdrawn). This
module holds the pieces both backends compute the same way: the reported date of a
version, its status, the fingerprint that makes an identical resend a no-op, and the
end of an "as of" day in Bangkok time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.counting.progress import STATUSES, normalize_status
from geoplots.errors import GeoplotsError

__all__ = [
    "BANGKOK",
    "STATUSES",
    "as_of_cutoff",
    "content_hashes",
    "normalize_status",
    "parse_day",
    "reported_dates",
    "statuses",
]

#: Thailand's clock (no daylight saving): a day ends at 17:00 UTC.
BANGKOK = dt.timezone(dt.timedelta(hours=7), "Asia/Bangkok")

#: Columns that say how a version arrived, not what it says: left out of its fingerprint.
_NOT_CONTENT = ("id", "row", "batch_id", "key_id", "received_at", "reported_date", "version")


def parse_day(value: str | dt.date | None) -> dt.date | None:
    """Return the calendar day an ``as_of`` names (ISO ``YYYY-MM-DD``, or a date).

    Examples
    --------
    >>> parse_day("2021-03-31")
    datetime.date(2021, 3, 31)
    >>> parse_day(None) is None
    True
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(BANGKOK).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise GeoplotsError(f"Give the date as YYYY-MM-DD (e.g. 2021-03-31), not {value!r}.") from exc


def as_of_cutoff(day: dt.date) -> dt.datetime:
    """Return the first instant after ``day`` ends in Bangkok, in UTC.

    Examples
    --------
    >>> as_of_cutoff(dt.date(2021, 3, 31)).isoformat()
    '2021-03-31T17:00:00+00:00'
    """
    start_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), BANGKOK)
    return start_next.astimezone(dt.UTC)


def statuses(records: pd.DataFrame) -> list[str | None]:
    """Return the normalised ``status`` of each record (None without a status column)."""
    if "status" not in records.columns:
        return [None] * len(records)
    return [normalize_status(v) for v in records["status"].tolist()]


def reported_dates(records: pd.DataFrame, received: dt.datetime) -> list[str]:
    """Return each record's reported date (ISO day): its own ``date`` when it has one,
    else the Bangkok day it was received.
    """
    fallback = received.astimezone(BANGKOK).date().isoformat()
    if "date" not in records.columns:
        return [fallback] * len(records)
    return [_day_text(v) or fallback for v in records["date"].tolist()]


def _day_text(value: object) -> str | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    except ValueError:
        return None


def content_hashes(records: gpd.GeoDataFrame, columns: Sequence[str] | None = None) -> list[str]:
    """Return a fingerprint of what each record says (its fields and geometry, not when or
    in which batch it came): equal fingerprints mean an identical resend.
    """
    keep = [c for c in (columns or records.columns) if c not in _NOT_CONTENT and c != records.geometry.name]
    frame = pd.DataFrame(records[keep])
    if len(frame) == 0:
        return []
    text = frame.to_json(orient="records", date_format="iso", force_ascii=False, default_handler=str)
    rows = [json.dumps({k: v for k, v in r.items() if v is not None}, sort_keys=True, ensure_ascii=False)
            for r in json.loads(text)]
    geoms = shapely.to_wkb(np.asarray(records.geometry.values, dtype=object), hex=True, output_dimension=2)
    return [hashlib.sha256(f"{r}|{g}".encode()).hexdigest() for r, g in zip(rows, geoms)]
