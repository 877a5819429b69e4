"""The result of every step that takes field records in: accepted rows and rejects.

Readers (``geoplots.readers``) and the join (``geoplots.locate``) both return
:class:`Records`. A row is either accepted (possibly with warnings: :class:`RowWarning`,
a code of :data:`WARNINGS` and a detail) or rejected with a reason code of
:data:`REJECT_REASONS`; ``rows_read == len(accepted) + len(rejects)`` always holds, so
nothing a district office sent is ever lost without a trace.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

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
    "gps_inaccurate": (
        "พิกัด GPS คลาดเคลื่อนเกินกำหนด กรุณาไปจับพิกัดใหม่ในที่โล่ง รอจนค่าความแม่นยำบนโทรศัพท์ต่ำกว่าเกณฑ์ แล้วส่งใหม่",
        "The GPS fix is too imprecise: take the point again in the open, wait until the phone shows an "
        "accuracy within the limit, and send it again.",
    ),
    "review_rejected": (
        "ผู้ตรวจสอบในแบบฟอร์ม (Kobo/ODK) ไม่อนุมัติรายการนี้ จึงไม่นับ กรุณาแก้ไขตามผู้ตรวจแล้วส่งใหม่",
        "A reviewer rejected this submission in Kobo/ODK, so it is not counted: fix it as the reviewer asks "
        "and send it again.",
    ),
}

#: Columns every rejects table starts with, before the original fields.
REJECT_COLUMNS = ["row", "reason", "message"]

#: Warning codes for accepted rows (a fix made, or an optional field left empty), with the
#: message shown to district staff (Thai, English). Every warning a reader gives is one of
#: these, as a :class:`RowWarning`.
WARNINGS: dict[str, tuple[str, str]] = {
    "thai_digits": ("อ่านเลขไทย (๐-๙) เป็นตัวเลข", "Thai digits (๐-๙) read as numbers."),
    "dms": ("แปลงองศา ลิปดา ฟิลิปดา เป็นองศาทศนิยม", "Degrees-minutes-seconds converted to decimal degrees."),
    "hemisphere_letter": ("อ่านอักษรซีกโลก (N/S/E/W) แล้ว", "Hemisphere letter (N/S/E/W) read."),
    "decimal_comma": ("อ่านจุลภาคเป็นจุดทศนิยม", "Decimal comma read as a decimal point."),
    "pair_in_one_column": ("กรอกพิกัดทั้งสองค่าไว้ในคอลัมน์เดียว", "Both coordinates were typed in one column."),
    "swapped_lat_lon": ("ละติจูดและลองจิจูดกรอกสลับกัน แก้ให้แล้ว", "Latitude and longitude were swapped."),
    "utm_converted": ("แปลงพิกัด UTM เป็นละติจูด/ลองจิจูดแล้ว", "UTM coordinates converted to latitude/longitude."),
    "swapped_easting_northing": ("ค่าตะวันออกและค่าเหนือกรอกสลับกัน แก้ให้แล้ว", "Easting and northing were swapped."),
    "coordinates_ignored": (
        "ไม่ใช้พิกัด ระบุตำแหน่งจากตำบลในที่อยู่แทน",
        "The coordinates were not used; placed by the sub-district of the address.",
    ),
    "address_unknown": ("ไม่พบที่อยู่นี้ในทะเบียนกรมการปกครอง", "The address matches no current DOPA area."),
    "address_ambiguous": (
        "ที่อยู่ตรงกับหลายพื้นที่ จึงไม่เดา",
        "The address fits several areas, so none was guessed.",
    ),
    "address_read_as": (
        "อ่านชื่อที่อยู่ตามชื่อในทะเบียน (ชื่อย่อ ชื่อเดิม หรือสังกัดเดิม) โปรดตรวจสอบ",
        "The address was read as the registry names it (short form, old parent or truncated name); please check.",
    ),
    "missing_id": ("ไม่มีรหัสรายการ", "No ID."),
    "buddhist_era": ("แปลงปี พ.ศ. เป็น ค.ศ. แล้ว", "Buddhist-era year (พ.ศ.) converted to CE."),
    "month_day_order": (
        "อ่านเป็น เดือน/วัน/ปี เพราะ วัน/เดือน/ปี เป็นไปไม่ได้",
        "Read as month/day/year (day/month/year would be impossible).",
    ),
    "bad_date": ("ไม่ใช่วันที่ที่มีอยู่จริง เว้นว่างไว้", "Not a date that exists; left empty."),
    "bad_area": ("อ่านพื้นที่ไม่ได้ เว้นว่างไว้", "The area could not be read; left empty."),
    "area_mismatch": (
        "พื้นที่ที่กรอกไม่ตรงกับพื้นที่ของรูปแปลง ใช้พื้นที่ของรูปแปลง",
        "The typed area differs from the polygon's; the polygon's area is used.",
    ),
    "bad_yes_no": ("ไม่ใช่ค่า มี/ไม่มี เว้นว่างไว้", "Not a yes/no value; left empty."),
    "review_rejected": (
        "ผู้ตรวจสอบในแบบฟอร์ม (Kobo/ODK) ไม่อนุมัติรายการนี้ แต่เก็บไว้ตามที่สั่ง",
        "A reviewer rejected this submission in Kobo/ODK; kept as asked (keep_review_rejected).",
    ),
    "photo_far_from_pin": (
        "รูปถ่ายถูกถ่ายห่างจากหมุดเกินระยะที่กำหนด (ตามพิกัด GPS ในรูป) โปรดตรวจสอบ",
        "A photo was taken farther from the pin than allowed (by the GPS position in the photo); please check.",
    ),
}


def _message(th: str, en: str, detail: str) -> str:
    text = f"{th} / {en}"
    return f"{text} ({detail})" if detail else text


def reject_message(reason: str, detail: str = "") -> str:
    """Return the Thai and English message for ``reason``, with an optional detail.

    Examples
    --------
    >>> reject_message("duplicate_id", "ID P-001 first seen on row 2")
    'รหัสซ้ำกับแถวก่อนหน้า / This ID was already used in an earlier row. (ID P-001 first seen on row 2)'
    """
    return _message(*REJECT_REASONS[reason], detail)


def reject_messages(reasons: Any, details: Any) -> pd.Categorical:
    """:func:`reject_message` for whole columns, each distinct (reason, detail) built once.

    Rejected rows repeat a few reasons and details (a distance rounded to 0.1 km, a
    missing column), so the result is a categorical: the distinct messages and one small
    code per row. Building a 250-byte string per row cost more than locating the points
    when most of a file is noise; a categorical reads, compares, prints and writes
    (CSV, XLSX, Parquet) like a string column.

    Examples
    --------
    >>> [m[-9:] for m in reject_messages(["duplicate_id"] * 2, ["", "row 2"])]
    ['lier row.', '. (row 2)']
    """
    reason_codes, reason_values = pd.factorize(_as_values(reasons))
    detail_codes, detail_values = pd.factorize(_as_values(details), use_na_sentinel=False)
    detail_text = ["" if pd.isna(d) else str(d) for d in detail_values]
    width = max(len(detail_text), 1)
    pairs, codes = np.unique(reason_codes.astype(np.int64) * width + detail_codes, return_inverse=True)
    built = [_message(*REJECT_REASONS[reason_values[p // width]], detail_text[p % width]) for p in pairs]
    # Two pairs may give one text (a detail of NA and of ""): categories must be unique.
    categories, first = np.unique(np.asarray(built, dtype=object), return_inverse=True)
    return pd.Categorical.from_codes(first.reshape(-1)[codes.reshape(-1)], categories=categories.tolist())


def _as_values(column: Any) -> Any:
    """A column as factorize takes it: categoricals and extension arrays as they are
    (their codes are reused), anything else as an object array.
    """
    if isinstance(column, (pd.Series, pd.Categorical, pd.api.extensions.ExtensionArray)):
        return column
    return np.asarray(column, dtype=object)


def _text_categorical(column: pd.Series) -> pd.Categorical:
    """``column`` as a categorical whose categories have one dtype (as inferred for a
    list of texts), so that categoricals from different steps can be unioned.
    """
    values = column.array if isinstance(column.dtype, pd.CategoricalDtype) else pd.Categorical(column.astype(object))
    return pd.Categorical.from_codes(values.codes, categories=pd.Index([str(c) for c in values.categories]))


def concat_rejects(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack rejects tables, keeping ``reason`` and ``message`` categorical.

    ``pandas.concat`` turns categoricals with different categories into objects (a
    Python string per row again); this unions the categories instead.

    Examples
    --------
    >>> a = pd.DataFrame({"row": [2], "reason": pd.Categorical(["duplicate_id"]), "message": pd.Categorical(["x"])})
    >>> b = pd.DataFrame({"row": [3], "reason": pd.Categorical(["bad_date"]), "message": pd.Categorical(["y"])})
    >>> concat_rejects([a, b])["message"].dtype.name
    'category'
    """
    full = [p for p in parts if len(p)]
    if not full:  # the first empty table keeps its columns (a chunk's own fields)
        return parts[0].reset_index(drop=True) if parts else pd.DataFrame({c: pd.Series(dtype="object") for c in REJECT_COLUMNS})
    parts = full
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    shared = {}
    for column in ("reason", "message"):
        if all(column in p.columns for p in parts) and any(
                isinstance(p[column].dtype, pd.CategoricalDtype) for p in parts):
            shared[column] = union_categoricals([_text_categorical(p[column]) for p in parts], sort_categories=True)
    out = pd.concat([p.drop(columns=list(shared)) for p in parts], ignore_index=True)
    for column, values in shared.items():
        out[column] = values
    order = list(dict.fromkeys([*parts[0].columns, *out.columns]))
    return out[order]


@dataclass(frozen=True)
class RowWarning:
    """One warning on an accepted row: a :data:`WARNINGS` code and what it is about.

    The one place a warning becomes text (:meth:`__str__`, for CSV, GeoPackage and the
    stores) or JSON (:meth:`to_json`, for the server's answers and Parquet); nothing reads
    that text back.

    Attributes
    ----------
    code : str
        A key of :data:`WARNINGS` (an unknown code is a ``ValueError`` at once).
    detail : str
        The cell or values concerned, e.g. ``"date '5/3/64'"``; may be empty.

    Examples
    --------
    >>> w = RowWarning("swapped_lat_lon", "102.8, 16.4 -> 16.4, 102.8")
    >>> str(w)
    'swapped_lat_lon: ละติจูดและลองจิจูดกรอกสลับกัน แก้ให้แล้ว / Latitude and longitude were swapped. (102.8, 16.4 -> 16.4, 102.8)'
    >>> w.to_json()["code"], w.to_json()["detail"]
    ('swapped_lat_lon', '102.8, 16.4 -> 16.4, 102.8')
    """

    code: str
    detail: str = ""

    def __post_init__(self) -> None:
        if self.code not in WARNINGS:
            raise ValueError(f"Unknown warning code {self.code!r}: register it in geoplots.records.WARNINGS.")

    @property
    def message(self) -> str:
        """Thai / English message from the registry, with the detail in brackets."""
        return _message(*WARNINGS[self.code], self.detail)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """``{"code", "message", "detail"}``: the warning in JSON answers and files."""
        return {"code": self.code, "message": self.message, "detail": self.detail}


@dataclass
class Records:
    """Accepted rows and rejected rows of one input.

    Attributes
    ----------
    accepted : geopandas.GeoDataFrame
        EPSG:4326. Original columns plus ``row`` (the spreadsheet row number: header is
        row 1), normalized ``lat``/``lon``, ``warnings`` (a list of :class:`RowWarning`
        per row) and parsed fields.
    rejects : pandas.DataFrame
        ``row``, ``reason`` (a key of :data:`REJECT_REASONS`), ``message``, then the
        original fields.
    rows_read : int
        Rows in the input.
    kind : str
        ``pins``, ``plots`` or ``households``.
    notes : dict
        What the reader decided for the whole file, stated in the summary: e.g.
        ``{"yes_no": {column: {"yes": [...], "no": [...]}}}``, the answers taken as yes
        and as no in each yes/no column.
    """

    accepted: gpd.GeoDataFrame
    rejects: pd.DataFrame
    rows_read: int
    kind: str = "pins"
    notes: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = len(self.accepted) + len(self.rejects)
        if total != self.rows_read:
            raise AssertionError(
                f"row accounting broken: {self.rows_read} read, {len(self.accepted)} accepted, "
                f"{len(self.rejects)} rejected"
            )

    def summary(self) -> dict:
        """Return rows read, accepted, rejected by reason and warnings by kind (code)."""
        warnings: Counter[str] = Counter()
        if "warnings" in self.accepted.columns:
            for items in self.accepted["warnings"]:
                warnings.update(w.code for w in items or ())
        reasons = Counter(self.rejects["reason"]) if len(self.rejects) else Counter()
        return {
            "rows_read": self.rows_read,
            "accepted": len(self.accepted),
            "rejected": len(self.rejects),
            "rejected_by_reason": dict(sorted(reasons.items())),
            "warnings_by_kind": dict(sorted(warnings.items())),
        } | ({"notes": self.notes} if self.notes else {})
