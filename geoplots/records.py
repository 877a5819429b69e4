"""The result of every step that takes field records in: accepted rows and rejects.

Readers (``geoplots.readers``) and the join (``geoplots.locate``) both return
:class:`Records`. A row is either accepted (possibly with warnings) or rejected with a
reason code; ``rows_read == len(accepted) + len(rejects)`` always holds, so nothing a
district office sent is ever lost without a trace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

#: Reason codes for rejected rows, with the message shown to district staff (Thai, English).
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "missing_coordinates": (
        "ไม่มีพิกัด กรุณากรอกละติจูดและลองจิจูด",
        "No coordinates: fill in latitude and longitude.",
    ),
    "unparseable_coordinates": (
        "อ่านพิกัดไม่ได้ กรุณาตรวจสอบรูปแบบตัวเลข",
        "Coordinates could not be read: check the numbers.",
    ),
    "outside_thailand": (
        "พิกัดอยู่นอกประเทศไทย กรุณาตรวจสอบละติจูดและลองจิจูด",
        "The point is outside Thailand: check latitude and longitude.",
    ),
    "duplicate_id": (
        "รหัสซ้ำกับแถวก่อนหน้า",
        "This ID was already used in an earlier row.",
    ),
    "outside_boundaries": (
        "พิกัดไม่อยู่ในตำบลใด และห่างจากเขตตำบลที่ใกล้ที่สุดเกินระยะที่กำหนด",
        "The point is in no sub-district and farther than the allowed distance from the nearest one.",
    ),
}

#: Columns every rejects table starts with, before the original fields.
REJECT_COLUMNS = ["row", "reason", "message"]


def reject_message(reason: str, detail: str = "") -> str:
    """Return the Thai and English message for ``reason``, with an optional detail.

    Examples
    --------
    >>> reject_message("duplicate_id", "ID P-001 first seen on row 2")
    'รหัสซ้ำกับแถวก่อนหน้า / This ID was already used in an earlier row. (ID P-001 first seen on row 2)'
    """
    th, en = REJECT_REASONS[reason]
    text = f"{th} / {en}"
    return f"{text} ({detail})" if detail else text


@dataclass
class Records:
    """Accepted rows and rejected rows of one input.

    Attributes
    ----------
    accepted : geopandas.GeoDataFrame
        EPSG:4326. Original columns plus ``row`` (the spreadsheet row number: header is
        row 1), normalized ``lat``/``lon``, ``warnings`` (a list of ``"kind: message"``
        strings per row) and parsed fields.
    rejects : pandas.DataFrame
        ``row``, ``reason`` (a key of :data:`REJECT_REASONS`), ``message``, then the
        original fields.
    rows_read : int
        Rows in the input.
    kind : str
        ``pins``, ``plots`` or ``households``.
    """

    accepted: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int
    kind: str = "pins"

    def __post_init__(self) -> None:
        total = len(self.accepted) + len(self.rejects)
        if total != self.rows_read:
            raise AssertionError(
                f"row accounting broken: {self.rows_read} read, {len(self.accepted)} accepted, "
                f"{len(self.rejects)} rejected"
            )

    def summary(self) -> dict:
        """Return rows read, accepted, rejected by reason and warnings by kind."""
        warnings: Counter[str] = Counter()
        if "warnings" in self.accepted.columns:
            for items in self.accepted["warnings"]:
                for w in items or ():
                    warnings[str(w).split(":", 1)[0]] += 1
        reasons = Counter(self.rejects["reason"]) if len(self.rejects) else Counter()
        return {
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": len(self.rejects),
            "rejected_by_reason": dict(sorted(reasons.items())),
            "warnings_by_kind": dict(sorted(warnings.items())),
        }
