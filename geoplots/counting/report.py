"""Coverage reports for provincial offices: XLSX with a sheet per zone, Thai headers; or CSV."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geoplots.counting._core import ALL, TIERS, Coverage
from geoplots.errors import GeoplotsError
from geoplots.writers import safe_cell, spreadsheet_safe, write_csv

#: Thai (English) headers of the unit sheets, in order; columns absent from a result are skipped.
HEADERS: dict[str, str] = {
    "code": "รหัส (code)",
    "name_th": "ชื่อ",
    "name_en": "Name",
    "province_code": "รหัสจังหวัด",
    "district_code": "รหัสอำเภอ",
    "count": "จำนวน (count)",
    "expected": "เป้าหมาย (expected)",
    "households": "ครัวเรือนทั้งหมด",
    "participating": "ครัวเรือนที่เข้าร่วม",
    "rate": "ร้อยละ (%)",
    "tier": "ระดับ",
    "met": "ผ่านเป้าหมาย",
}
SUMMARY_HEADERS: dict[str, str] = {
    "group": "เขตตรวจราชการ",
    "covered": "หน่วยที่ผ่าน",
    "total": "หน่วยทั้งหมด",
    "percent": "ร้อยละ",
    "expected": "เป้าหมาย",
    "enrolled": "ดำเนินการแล้ว",
    "households": "ครัวเรือนทั้งหมด",
    "participating": "ครัวเรือนที่เข้าร่วม",
    "rate": "ร้อยละครัวเรือน",
    "uncovered": "หน่วยที่ยังไม่ผ่าน",
}
LEVEL_TH = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล"}
#: Thai labels for the figures a rule reports in ``Coverage.notes``.
NOTE_LABELS: dict[str, str] = {
    "expected_boundaries": "เป้าหมายทั้งประเทศ (นับจากขอบเขตการปกครอง)",
    "expected_registry": "เป้าหมายทั้งประเทศ (นับจากทะเบียนกรมการปกครอง)",
    "districts_outside_bangkok": "อำเภอนอกกรุงเทพมหานคร",
    "large_districts": "อำเภอที่มีตั้งแต่ 14 ตำบลขึ้นไป",
    "formula": "วิธีคำนวณ",
    "enrolled_subdistricts": "ตำบลที่ดำเนินการแล้ว",
    "blank_as": "คำตอบว่าง (blank answers)",
    "excluded_blank": "ครัวเรือนที่ไม่นับเพราะคำตอบว่าง (excluded: blank answer)",
    "excluded_not_yes_no": "ครัวเรือนที่ไม่นับเพราะคำตอบไม่ใช่ มี/ไม่มี (excluded: not a yes/no answer)",
}
_MISSED = PatternFill("solid", fgColor="FDE2E1")


def write_coverage(result: Coverage, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` to ``path``: ``.xlsx`` (summary + a sheet per zone) or ``.csv`` (units).

    Examples
    --------
    >>> write_coverage(geoplots.coverage(records), "zone12.xlsx")  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(result, path)
    if suffix == ".csv":
        return write_csv(unit_table(result), path)  # BOM: Excel shows Thai; no cell a formula
    raise GeoplotsError(f"Cannot write a coverage report to {path.name}: use a .xlsx or .csv file name.")


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


def write_xlsx(result: Coverage, path: Path) -> Path:
    """A summary sheet (สรุป) and one sheet per group (e.g. เขตตรวจฯ 12) with Thai headers.

    Every text cell goes through :func:`geoplots.writers.safe_cell`: unit names (from the
    boundary files), group labels and notes never start a formula; numbers stay numbers.
    """
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        summary = result.summary.copy()
        summary["uncovered"] = summary["uncovered"].map(lambda items: ", ".join(items))
        if "rate" in summary:
            summary["rate"] = percent_floor(summary["rate"])
        unit = LEVEL_TH[result.level]
        headers = {**SUMMARY_HEADERS, "covered": f"{unit}ที่ผ่าน", "total": f"{unit}ทั้งหมด",
                   "uncovered": f"{unit}ที่ยังไม่ผ่าน"}
        if result.by != "inspection_zone":
            headers["group"] = "กลุ่ม (group)"
        summary = summary.rename(columns=headers)
        start = 2 + len(result.notes)
        spreadsheet_safe(summary).to_excel(writer, sheet_name="สรุป", index=False, startrow=start)
        sheet = writer.sheets["สรุป"]
        sheet["A1"] = safe_cell(result.title or f"ความครอบคลุมระดับ{LEVEL_TH[result.level]} / Coverage by {result.level}")
        sheet["A1"].font = Font(bold=True, size=14)
        for i, (key, value) in enumerate(result.notes.items(), start=2):
            sheet.cell(row=i, column=1, value=safe_cell(NOTE_LABELS.get(key, key)))
            sheet.cell(row=i, column=2, value=safe_cell(value))
        _style(sheet, header_row=start + 1)

        units = unit_table(result)
        groups = result.summary["group"].tolist()
        for label in groups:
            part = units if result.by is None else units[units[result.by].astype("string") == label]
            table = spreadsheet_safe(_thai_units(part))
            name = _sheet_name(label, result.by)
            table.to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            _style(sheet, header_row=1)
            met_col = list(table.columns).index(HEADERS["met"]) + 1
            for row in range(2, len(table) + 2):
                if sheet.cell(row=row, column=met_col).value == "ยังไม่ผ่าน":
                    for col in range(1, len(table.columns) + 1):
                        sheet.cell(row=row, column=col).fill = _MISSED
    return path


def _thai_units(part: pd.DataFrame) -> pd.DataFrame:
    table = part[[c for c in HEADERS if c in part.columns]].copy()
    table["met"] = table["met"].map({True: "ผ่าน", False: "ยังไม่ผ่าน"})
    if "rate" in table:
        table["rate"] = percent_floor(table["rate"])
    if "tier" in table:
        table["tier"] = table["tier"].map(TIERS)
    return table.rename(columns=HEADERS)


def _sheet_name(label: str, by: str | None) -> str:
    if by is None or label == ALL:
        return "ทั้งหมด"
    if by == "inspection_zone":
        name = "กรุงเทพมหานคร" if label == "central" else f"เขตตรวจราชการที่ {label}"
    else:
        name = f"{by} {label}"
    # Excel allows 31 characters and no []:*?/\ in sheet names.
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]


def _style(sheet, header_row: int) -> None:
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    for i, column in enumerate(sheet.columns, start=1):
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
