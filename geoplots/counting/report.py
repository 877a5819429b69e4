"""Coverage reports for provincial offices (รายงานความครอบคลุม): XLSX ready to hand over, or CSV.

The XLSX holds, in order: a summary sheet (สรุป) with a title (programme, target and
area), the as-of date and the data period in Thai form, the source of the records and
the boundaries' required credit, one line per zone and a national total; one sheet per
zone with province and district names beside their codes; a gaps sheet with one unit
that misses its target per row; and a sheet accounting for every row read (accepted or
rejected, with the reasons, and the households a participation rule left out). "No
data" (no record at all in a unit) is labelled and shaded differently from "failed"
(records, but below the target).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geoplots.boundaries import Boundaries, registry_codes, resolve_boundaries
from geoplots.counting._core import ALL, TIERS, Coverage
from geoplots.errors import GeoplotsError
from geoplots.records import REJECT_REASONS, Records
from geoplots.writers import safe_cell, spreadsheet_safe, write_csv

if TYPE_CHECKING:  # only for the type: the stream module imports this package's rules
    from geoplots.counting._stream import StreamSummary

#: Thai (English) headers of the unit sheets, in order; columns absent from a result are skipped.
HEADERS: dict[str, str] = {
    "code": "รหัส (code)",
    "name_th": "ชื่อ",
    "name_en": "Name",
    "district_code": "รหัสอำเภอ",
    "district_name": "อำเภอ (district)",
    "province_code": "รหัสจังหวัด",
    "province_name": "จังหวัด (province)",
    "zone": "เขตตรวจราชการ (zone)",
    "count": "จำนวน (count)",
    "expected": "เป้าหมาย (expected)",
    "households": "ครัวเรือนทั้งหมด",
    "participating": "ครัวเรือนที่เข้าร่วม",
    "rate": "ร้อยละ (%)",
    "tier": "ระดับ",
    "status": "ผลการประเมิน (status)",
}
SUMMARY_HEADERS: dict[str, str] = {
    "group": "เขตตรวจราชการ",
    "covered": "หน่วยที่ผ่าน",
    "total": "หน่วยทั้งหมด",
    "percent": "ร้อยละ",
    "failed": "ไม่ผ่าน (failed)",
    "no_data": "ไม่มีข้อมูล (no data)",
    "expected": "เป้าหมาย",
    "enrolled": "ดำเนินการแล้ว",
    "households": "ครัวเรือนทั้งหมด",
    "participating": "ครัวเรือนที่เข้าร่วม",
    "rate": "ร้อยละครัวเรือน",
}
#: Columns of the gaps sheet (one unit that misses its target per row).
GAP_HEADERS: dict[str, str] = {
    "code": "รหัส (code)",
    "name_th": "ชื่อ (name)",
    "district_name": "อำเภอ (district)",
    "province_name": "จังหวัด (province)",
    "zone": "เขตตรวจราชการ (zone)",
    "count": "จำนวน (count)",
    "rate": "ร้อยละ (%)",
    "target": "เป้าหมาย (target)",
    "status": "ผลการประเมิน (status)",
}
LEVEL_TH = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล"}
#: How a unit did: met its target, records but below it, or no record at all.
STATUS: dict[str, str] = {
    "met": "ผ่าน (met)",
    "failed": "ไม่ผ่าน (failed)",
    "no_data": "ไม่มีข้อมูล (no data)",
}
#: Thai labels for the figures a rule reports in ``Coverage.notes``.
NOTE_LABELS: dict[str, str] = {
    "expected_boundaries": "เป้าหมายทั้งประเทศ (นับจากขอบเขตการปกครอง)",
    "expected_registry": "เป้าหมายทั้งประเทศ (นับจากทะเบียนกรมการปกครอง)",
    "districts_outside_bangkok": "อำเภอนอกกรุงเทพมหานคร",
    "large_districts": "อำเภอที่มีตั้งแต่ 14 ตำบลขึ้นไป",
    "formula": "วิธีคำนวณ",
    "enrolled_subdistricts": "ตำบลที่ดำเนินการแล้ว (นอกกรุงเทพมหานคร)",
    "enrolled_outside_target": "ตำบลที่ส่งมาแต่อยู่นอกเป้าหมาย (กรุงเทพมหานคร) ไม่นับ",
    "blank_as": "คำตอบว่าง (blank answers)",
    "excluded_blank": "ครัวเรือนที่ไม่นับเพราะคำตอบว่าง (excluded: blank answer)",
    "excluded_not_yes_no": "ครัวเรือนที่ไม่นับเพราะคำตอบไม่ใช่ มี/ไม่มี (excluded: not a yes/no answer)",
}
#: The notes that say which households a participation rule left out of the denominator.
EXCLUSION_NOTES = ("blank_as", "excluded_blank", "excluded_not_yes_no")
THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
BANGKOK_ZONE = "central"
BANGKOK_TH = "กรุงเทพมหานคร"
#: An XLSX sheet holds 1,048,576 rows: rejects beyond this many are counted, not listed.
MAX_LISTED_REJECTS = 1_000_000
SUMMARY_SHEET = "สรุป"
GAPS_SHEET = "หน่วยที่ยังไม่ผ่าน (gaps)"
REJECTS_SHEET = "แถวที่ไม่รับ (rejected)"
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class ReadAccount:
    """Rows read = accepted + rejected, with the rejected rows to list (แถวที่อ่าน).

    Made from a whole :class:`~geoplots.records.Records` or from the running summary of a
    file read chunk by chunk (:class:`~geoplots.counting.StreamSummary`), which keeps
    the counts of every row but lists only its first rejected rows.
    """

    rows_read: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    rejects: pd.DataFrame
    period: tuple[date, date] | None

    @classmethod
    def of(cls, records: Any) -> ReadAccount | None:
        """The account of ``records`` (Records, StreamSummary or None)."""
        if records is None or isinstance(records, ReadAccount):
            return records
        if isinstance(records, Records):
            reasons = records.rejects["reason"].astype(str).value_counts() if len(records.rejects) else pd.Series()
            return cls(records.rows_read, len(records.accepted), len(records.rejects),
                       {str(k): int(v) for k, v in reasons.items()}, records.rejects, _records_period(records))
        return cls(records.rows_read, records.accepted, records.rejected, dict(records.rejected_by_reason),
                   records.rejects, records.period)


@dataclass(frozen=True)
class ReportContext:
    """What a report states besides the counts (ข้อมูลประกอบรายงาน).

    Attributes
    ----------
    records : ReadAccount, optional
        What was read (rows read, accepted, rejected by reason, the rejected rows), for
        the rows-read account and the rejects sheet.
    attribution : str
        The boundaries' required credit (``Boundaries.attribution``).
    source : str
        Where the records came from (a file name, a database).
    as_of : datetime.date
        The date the figures hold for.
    period : (date, date) or None
        First and last date of the records, if they carry dates.
    """

    records: ReadAccount | None
    attribution: str
    source: str
    as_of: date
    period: tuple[date, date] | None


def write_coverage(
    result: Coverage,
    path: str | os.PathLike[str],
    *,
    records: Records | StreamSummary | None = None,
    boundaries: Boundaries | None = None,
    source: str | None = None,
    as_of: date | datetime | None = None,
    period: tuple[date, date] | None = None,
) -> Path:
    """Write ``result`` to ``path``: ``.xlsx`` (a report to hand over) or ``.csv`` (units).

    Parameters
    ----------
    result : Coverage
        What :func:`geoplots.coverage` or a rule returned.
    path : path
        ``.xlsx`` or ``.csv``.
    records : Records or StreamSummary, optional
        The records counted (as read, or located), or the summary of a file read chunk by
        chunk (:func:`~geoplots.counting.coverage_of_chunks`): the report then accounts
        for every row read (rows read = accepted + rejected) and lists the rejected rows
        with their reasons.
    boundaries : Boundaries, optional
        The snapshot counted in, for its required credit (default: the default import).
    source : str, optional
        Where the records came from, e.g. the file name.
    as_of : date, optional
        The date the figures hold for (default: today in Thailand).
    period : (date, date), optional
        The data period (default: the first and last ``date`` of the records, if any).

    Examples
    --------
    >>> write_coverage(geoplots.coverage(records), "zone12.xlsx", records=records)  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(unit_table(result), path)  # BOM: Excel shows Thai; no cell a formula
    if suffix != ".xlsx":
        raise GeoplotsError(f"Cannot write a coverage report to {path.name}: use a .xlsx or .csv file name.")
    account = ReadAccount.of(records)
    context = ReportContext(
        records=account,
        attribution=resolve_boundaries(boundaries).attribution,
        source=source or "ไม่ระบุ (not given)",
        as_of=_as_date(as_of),
        period=period or (account.period if account else None),
    )
    return write_xlsx(result, path, context)


def thai_date(day: date) -> str:
    """A date as Thai offices write it: day, Thai month name, Buddhist-era year (พ.ศ.).

    Examples
    --------
    >>> thai_date(date(2026, 11, 23))
    '23 พฤศจิกายน 2569'
    """
    return f"{day.day} {THAI_MONTHS[day.month - 1]} {day.year + 543}"


def zone_label(label: str) -> str:
    """An inspection zone (เขตตรวจราชการ) as a report names it; Bangkok by its name.

    Examples
    --------
    >>> zone_label("12"), zone_label("central")
    ('เขตตรวจราชการที่ 12', 'กรุงเทพมหานคร')
    """
    return BANGKOK_TH if label == BANGKOK_ZONE else f"เขตตรวจราชการที่ {label}"


def unit_status(units: pd.DataFrame) -> pd.Series:
    """``met``, ``failed`` (records, but below the target) or ``no_data`` (no record at all).

    Examples
    --------
    >>> unit_status(pd.DataFrame({"met": [True, False, False], "count": [3, 1, 0]})).tolist()
    ['met', 'failed', 'no_data']
    """
    met = units["met"].astype(bool).to_numpy()
    empty = units["count"].fillna(0).to_numpy() == 0
    return pd.Series(np.where(met, "met", np.where(empty, "no_data", "failed")), index=units.index, dtype="string")


def percent_floor(rate: pd.Series) -> pd.Series:
    """Rates (0-1) as percentages floored to one decimal, so the figure shown never
    contradicts the tier taken from the exact rate (79.96% shows 79.9, not 80.0).

    Examples
    --------
    >>> percent_floor(pd.Series([0.7996, 0.8, 0.57, None])).tolist()
    [79.9, 80.0, 57.0, nan]
    """
    # Rounding to 6 decimals first removes float noise (0.57 * 1000 = 569.999...).
    return np.floor((rate.astype(float) * 1000).round(6)) / 10


def unit_table(result: Coverage) -> pd.DataFrame:
    """The units table without geometry, ready for CSV (``rate`` as 0-1)."""
    frame = pd.DataFrame(result.units.drop(columns=result.units.geometry.name))
    return frame


def write_xlsx(result: Coverage, path: Path, context: ReportContext) -> Path:
    """The summary (สรุป), a sheet per group, the gaps and the rows-read account.

    Every text cell goes through :func:`geoplots.writers.safe_cell`: unit names (from the
    boundary files), group labels, notes and rejected rows never start a formula;
    numbers stay numbers.
    """
    units = _named_units(result)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        _write_summary(writer, result, units, context)
        for label in result.summary["group"].tolist():
            part = units if result.by is None else units[units[result.by].astype("string") == label]
            _write_table(writer, _sheet_name(label, result.by), _thai_units(part), part["status"])
        gaps = units[units["status"] != "met"]
        _write_table(writer, GAPS_SHEET, _gap_rows(gaps, result), gaps["status"])
        _write_rejects(writer, result, context)
    return path


# -- names and statuses -----------------------------------------------------------------
@functools.cache
def _registry_names(level: str) -> dict[str, str]:
    return {code: names[0] for code, names in registry_codes(level).items()}  # type: ignore[arg-type]


def _full_name(code: str, name: object, level: str) -> str:
    """The registry's name where COD-AB truncated it (``บ้านน้อยซุ้มขี้เ``) or dropped
    Bangkok's เขต prefix; otherwise the boundary name as imported.
    """
    text = "" if name is None or name is pd.NA or (isinstance(name, float) and name != name) else str(name)
    full = _registry_names(level).get(code, "")
    if full and (not text or full.startswith(text) or full.removeprefix("เขต").startswith(text)):
        return full
    return text


def _named_units(result: Coverage) -> pd.DataFrame:
    """Units with full Thai names, parent names, the zone label and the status."""
    units = unit_table(result)
    units["name_th"] = [_full_name(c, n, result.level) for c, n in zip(units["code"], units["name_th"])]
    if "province_code" not in units and result.level != "province":
        units["province_code"] = units["code"].str[:2]
    if "district_code" not in units and result.level == "subdistrict":
        units["district_code"] = units["code"].str[:4]
    provinces = _registry_names("province")
    units["province_name"] = (units["province_code"] if "province_code" in units else units["code"]).map(provinces)
    if result.level == "subdistrict":
        units["district_name"] = [_full_name(c, None, "district") for c in units["district_code"]]
    if result.by == "inspection_zone":
        units["zone"] = units["inspection_zone"].astype("string").map(zone_label)
    elif result.by is not None:
        units["zone"] = units[result.by].astype("string")
    units["status"] = unit_status(units)
    return units


def _thai_units(part: pd.DataFrame) -> pd.DataFrame:
    table = part[[c for c in HEADERS if c in part.columns]].copy()
    table["status"] = table["status"].map(STATUS)
    if "rate" in table:
        table["rate"] = percent_floor(table["rate"])
    if "tier" in table:
        # A unit without a single household has no tier: "no data", not ไม่ผ่านเกณฑ์.
        table["tier"] = table["tier"].map(TIERS).where(part["status"] != "no_data", STATUS["no_data"])
    return table.rename(columns=HEADERS)


def _gap_rows(gaps: pd.DataFrame, result: Coverage) -> pd.DataFrame:
    """One unit that misses its target per row, Thai names and the target beside its count."""
    table = gaps.copy()
    if "district_name" not in table and result.level == "district":
        table["district_name"] = table["name_th"]
    if "district_name" not in table:
        table["district_name"] = ""
    if "expected" in table:
        table["target"] = table["expected"].astype(str)
    elif "households" in table:
        table["count"] = table["households"]
        table["rate"] = percent_floor(table["rate"])
        table["target"] = f"ระดับ{TIERS['passed']} (passed tier), ≥ {max(result.min_count, 1)} ครัวเรือน"
    else:
        table["target"] = str(result.min_count)
    table["status"] = table["status"].map(STATUS)
    keep = [c for c in GAP_HEADERS if c in table.columns]
    return table[keep].rename(columns=GAP_HEADERS)


# -- the summary sheet ------------------------------------------------------------------
def _write_summary(writer: pd.ExcelWriter, result: Coverage, units: pd.DataFrame, context: ReportContext) -> None:
    """Title, date, period, source and credit, the rule's notes, then a line per group and the total."""
    head = _heading(result, context)
    table = _summary_table(result, units)
    start = len(head) + 1
    spreadsheet_safe(table).to_excel(writer, sheet_name=SUMMARY_SHEET, index=False, startrow=start)
    sheet = writer.sheets[SUMMARY_SHEET]
    for i, (label, value) in enumerate(head, start=1):
        sheet.cell(row=i, column=1, value=safe_cell(label))
        if value is not None:
            sheet.cell(row=i, column=2, value=safe_cell(value))
    sheet["A1"].font = Font(bold=True, size=14)
    _style(sheet, header_row=start + 1)
    for cell in sheet[start + 1 + len(table)]:  # the total line
        cell.font = _BOLD


def _heading(result: Coverage, context: ReportContext) -> list[tuple[str, object]]:
    """(label, value) lines above the summary table; the first is the title."""
    unit = LEVEL_TH[result.level]
    what = result.title or f"ความครอบคลุมราย{unit} / Coverage by {result.level}"
    period = (f"{thai_date(context.period[0])} – {thai_date(context.period[1])}" if context.period
              else "ไม่ระบุ (the records carry no dates)")
    lines: list[tuple[str, object]] = [
        (f"{what} · {_area(result)}", None),
        ("ข้อมูล ณ วันที่ (as of)", thai_date(context.as_of)),
        ("ช่วงเวลาของข้อมูล (data period)", period),
        ("หน่วยที่ประเมิน (unit)", f"{unit} ({result.level}), เป้าหมาย {_target_text(result)}"),
        ("ที่มาของข้อมูล (source)", context.source),
        ("ขอบเขตการปกครอง (boundaries)", f"© {context.attribution}"),
    ]
    lines += [(NOTE_LABELS.get(key, key), value) for key, value in result.notes.items()]
    lines += _rows_read_lines(context.records)
    return lines


def _area(result: Coverage) -> str:
    groups = result.summary["group"].astype(str).tolist()
    if result.by == "inspection_zone" and len(groups) == 1:
        return zone_label(groups[0])
    if result.by is not None and len(groups) == 1:
        return f"{result.by} {groups[0]}"
    return "ทั้งประเทศ (Thailand)"


def _target_text(result: Coverage) -> str:
    if "expected" in result.units:
        return "ตามจำนวนที่คาดไว้ของแต่ละหน่วย (expected per unit)"
    if "households" in result.units:
        return f"ระดับ{TIERS['passed']} ขึ้นไป (passed tier or better)"
    return f"อย่างน้อย {result.min_count} รายการต่อหน่วย (at least {result.min_count} per unit)"


def _rows_read_lines(records: ReadAccount | None) -> list[tuple[str, object]]:
    if records is None:
        return [("แถวที่อ่าน (rows read)", "ไม่ได้ส่งมากับรายงานนี้ (not given to the report)")]
    return [
        ("แถวที่อ่าน (rows read)", records.rows_read),
        ("รับ (accepted)", records.accepted),
        (f"ไม่รับ (rejected), ดูแผ่นงาน {REJECTS_SHEET}", records.rejected),
    ]


def _summary_table(result: Coverage, units: pd.DataFrame) -> pd.DataFrame:
    """A line per group with its failed / no-data counts, and a total line."""
    summary = result.summary.drop(columns=["uncovered"], errors="ignore").copy()
    key = units[result.by].astype("string") if result.by else pd.Series(ALL, index=units.index, dtype="string")
    states = pd.crosstab(key, units["status"]).reindex(columns=["failed", "no_data"], fill_value=0)
    summary = summary.merge(states, left_on="group", right_index=True, how="left")
    total = _total_line(summary, national=_area(result).startswith("ทั้งประเทศ"))
    summary["group"] = summary["group"].astype(str).map(zone_label if result.by == "inspection_zone" else str)
    summary = pd.concat([summary, pd.DataFrame([total])], ignore_index=True)
    if "rate" in summary:
        summary["rate"] = percent_floor(summary["rate"])
    headers = {**SUMMARY_HEADERS, "covered": f"{LEVEL_TH[result.level]}ที่ผ่าน",
               "total": f"{LEVEL_TH[result.level]}ทั้งหมด"}
    if result.by != "inspection_zone":
        headers["group"] = "กลุ่ม (group)"
    order = [c for c in SUMMARY_HEADERS if c in summary.columns]
    return summary[order].rename(columns=headers)


def _total_line(summary: pd.DataFrame, *, national: bool) -> dict[str, object]:
    sums = ["covered", "total", "failed", "no_data", "expected", "enrolled", "households", "participating"]
    line: dict[str, object] = {c: int(summary[c].fillna(0).sum()) for c in sums if c in summary}
    line["group"] = "รวมทั้งประเทศ (national total)" if national else "รวม (total)"
    total = int(line["total"])  # type: ignore[call-overload]
    line["percent"] = round(100.0 * int(line["covered"]) / total, 1) if total else 0.0  # type: ignore[call-overload]
    if "rate" in summary:
        households = int(line["households"])  # type: ignore[call-overload]
        line["rate"] = int(line["participating"]) / households if households else np.nan  # type: ignore[call-overload]
    return line


# -- unit tables and the rows-read account ----------------------------------------------
def _write_table(writer: pd.ExcelWriter, name: str, table: pd.DataFrame, status: pd.Series) -> None:
    """A table with a bold frozen header; failed and no-data rows shaded apart."""
    spreadsheet_safe(table).to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    _style(sheet, header_row=1)
    fills = _status_fills()
    for row, state in enumerate(status.tolist(), start=2):
        fill = fills.get(state)
        if fill is not None:
            for col in range(1, len(table.columns) + 1):
                sheet.cell(row=row, column=col).fill = fill


def _write_rejects(writer: pd.ExcelWriter, result: Coverage, context: ReportContext) -> None:
    """Rows read = accepted + rejected, the rejects per reason, the households left out, each rejected row."""
    lines: list[tuple[str, object]] = [("แถวที่อ่าน = รับ + ไม่รับ (rows read = accepted + rejected)", None)]
    records = context.records
    lines += _rows_read_lines(records)
    lines += [(NOTE_LABELS[k], result.notes[k]) for k in EXCLUSION_NOTES if k in result.notes]
    reasons = _reason_counts(records)
    rows = _listed_rejects(records)
    start = len(lines) + 1
    spreadsheet_safe(reasons).to_excel(writer, sheet_name=REJECTS_SHEET, index=False, startrow=start)
    sheet = writer.sheets[REJECTS_SHEET]
    for i, (label, value) in enumerate(lines, start=1):
        sheet.cell(row=i, column=1, value=safe_cell(label)).font = _BOLD if i == 1 else Font()
        if value is not None:
            sheet.cell(row=i, column=2, value=safe_cell(value))
    below = start + len(reasons) + 3
    if records is not None and records.rejected > len(rows):
        sheet.cell(row=below - 1, column=1, value=f"แสดง {len(rows):,} แถวแรกจาก {records.rejected:,} แถว "
                                                   f"(first {len(rows):,} of {records.rejected:,} listed)")
    spreadsheet_safe(rows).to_excel(writer, sheet_name=REJECTS_SHEET, index=False, startrow=below)
    _style(sheet, header_row=start + 1, freeze=False)
    for cell in sheet[below + 1]:
        cell.font = _BOLD


def _reason_counts(records: ReadAccount | None) -> pd.DataFrame:
    columns = ["เหตุผล (reason)", "คำอธิบาย (message)", "จำนวนแถว (rows)"]
    if records is None or not records.rejected:
        return pd.DataFrame(columns=columns)
    counts = pd.Series(records.rejected_by_reason).sort_values(ascending=False, kind="stable")
    messages = [" / ".join(REJECT_REASONS.get(r, ("", ""))) for r in counts.index]
    return pd.DataFrame(dict(zip(columns, [counts.index.tolist(), messages, counts.to_numpy()])))


def _listed_rejects(records: ReadAccount | None) -> pd.DataFrame:
    if records is None or not len(records.rejects):
        return pd.DataFrame(columns=["row", "reason", "message"])
    rows = pd.DataFrame(records.rejects.head(MAX_LISTED_REJECTS))
    for col in ("reason", "message"):  # categoricals (one text per distinct value) as plain text cells
        if col in rows.columns:
            rows[col] = rows[col].astype(object)
    rows = rows.drop(columns=[c for c in ("geometry",) if c in rows.columns])
    for col in rows.columns:  # lists, objects and zoned times as text: a spreadsheet cell holds a value
        if isinstance(rows[col].dtype, pd.DatetimeTZDtype):
            rows[col] = rows[col].astype("string")
        elif rows[col].dtype == object:
            rows[col] = rows[col].map(lambda v: v if v is None or isinstance(v, (str, int, float)) else str(v))
    return rows


# -- small helpers ----------------------------------------------------------------------
def _status_fills() -> dict[str, PatternFill]:
    """Row shading: "failed" light orange, "no data" neutral grey, from the one palette
    (colour-blind safe); the labels differ too, so a grey printout still tells them apart.
    """
    # Imported here: geoplots.layers imports geoplots.counting, so not at module level.
    from geoplots.layers.palette import NO_DATA_COLOR, NOT_MET_FILL

    return {"failed": PatternFill("solid", fgColor=NOT_MET_FILL.lstrip("#")),
            "no_data": PatternFill("solid", fgColor=NO_DATA_COLOR.lstrip("#"))}


def _as_date(value: date | datetime | None) -> date:
    if value is None:
        return datetime.now(ZoneInfo("Asia/Bangkok")).date()
    return value.date() if isinstance(value, datetime) else value


def _records_period(records: Records | None) -> tuple[date, date] | None:
    """First and last ``date`` of the accepted records, if they carry any."""
    if records is None or "date" not in records.accepted.columns:
        return None
    dates = pd.to_datetime(records.accepted["date"], errors="coerce").dropna()
    if dates.empty:
        return None
    return dates.min().date(), dates.max().date()


def _sheet_name(label: str, by: str | None) -> str:
    if by is None or label == ALL:
        return "ทั้งหมด"
    name = zone_label(label) if by == "inspection_zone" else f"{by} {label}"
    # Excel allows 31 characters and no []:*?/\ in sheet names.
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]


def _style(sheet: Worksheet, header_row: int, *, freeze: bool = True) -> None:
    for cell in sheet[header_row]:
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    if freeze:
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for i, column in enumerate(sheet.columns, start=1):
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
