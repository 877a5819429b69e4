"""The Thai monthly progress report (รายงานความก้าวหน้าประจำเดือน), an XLSX workbook.

This month against last month per inspection zone and per province, the units newly
covered and those that fell back (one per row, by name), the sites with no recent report,
and the series over the months. Dates are written the Thai way (Buddhist era, พ.ศ.).
Every text cell goes through :func:`geoplots.writers.spreadsheet_safe`/``safe_cell``:
unit names, record names and ids never start a formula.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from geoplots.boundaries import Boundaries, resolve_boundaries
from geoplots.counting.progress import Progress
from geoplots.errors import GeoplotsError
from geoplots.writers import safe_cell, spreadsheet_safe

__all__ = ["CREDIT", "thai_date", "write_progress_report"]

#: Where the boundaries come from; printed on every report.
CREDIT = "ที่มาข้อมูลขอบเขตการปกครอง: OCHA, Royal Thai Survey Department"

_MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
              "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
_LEVEL_TH = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล"}


def thai_date(day: dt.date) -> str:
    """Return ``day`` as Thai staff write it, Buddhist era.

    Examples
    --------
    >>> thai_date(dt.date(2021, 3, 31))
    '31 มีนาคม 2564'
    """
    return f"{day.day} {_MONTHS_TH[day.month - 1]} {day.year + 543}"


def _thai_period(label: str, end: dt.date, freq: str) -> str:
    if freq == "M":
        return f"{_MONTHS_TH[end.month - 1]} {end.year + 543}"
    return f"ไตรมาส {label[-1]} ปี {end.year + 543}"


def write_progress_report(
    result: Progress,
    path: str | os.PathLike[str],
    *,
    stale: pd.DataFrame | None = None,
    stale_days: int | None = None,
    boundaries: Boundaries | None = None,
) -> Path:
    """Write the monthly report of the last period of ``result`` against the one before.

    Parameters
    ----------
    result : Progress
        From :func:`geoplots.progress` (two periods at least, e.g. last month and this).
    path : str or path
        The ``.xlsx`` file to write.
    stale : pandas.DataFrame, optional
        :func:`geoplots.stale` (sheet ไม่มีรายงาน).
    stale_days : int, optional
        The days without a report the stale list used (for its heading).
    boundaries : geoplots.Boundaries, optional
        For province names (default: the default import).

    Returns
    -------
    pathlib.Path
    """
    out = Path(path)
    if out.suffix.lower() != ".xlsx":
        raise GeoplotsError(f"The monthly report is an .xlsx file, not {out.name!r}.")
    periods = result.periods
    if len(periods) < 2:
        raise GeoplotsError("The monthly report compares two periods: give a series of two months or more.")
    now, before = periods[-1], periods[-2]
    source = resolve_boundaries(boundaries)
    sheets = {
        "สรุปรายเขต": _zones(result, now, before),
        "รายจังหวัด": _provinces(result, now, before, source),
        "ผ่านใหม่": _changed(result, now, "newly_covered_units"),
        "ตกเกณฑ์": _changed(result, now, "fell_back_units"),
        "ไม่มีรายงาน": _stale(stale),
        "แนวโน้มรายเดือน": _series(result),
    }
    heading = _heading(result, now, stale_days)
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        for name, table in sheets.items():
            _sheet(writer, name, spreadsheet_safe(table), heading)
    return out


# -- steps ---------------------------------------------------------------------------
def _heading(result: Progress, now: str, stale_days: int | None) -> list[str]:
    end = _end_of(result, now)
    unit = _LEVEL_TH.get(result.level, result.level)
    lines = [
        f"รายงานความก้าวหน้าประจำ{'เดือน' if result.freq == 'M' else 'ไตรมาส'} "
        f"{_thai_period(now, end, result.freq)} (ข้อมูล ณ วันที่ {thai_date(end)})",
        f"ระดับ{unit}: {_LEVEL_TH.get(result.level, result.level)}ที่ผ่านเกณฑ์เทียบกับเดือนก่อน"
        + (f" · เกณฑ์ {result.rule}" if result.rule else f" · อย่างน้อย {result.min_count} รายการ")
        + (f" · สถานะ {result.status}" if result.status else ""),
        f"จัดทำเมื่อ {thai_date(dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date())}",
        CREDIT,
    ]
    if stale_days is not None:
        lines.insert(2, f"ไม่มีรายงาน: แปลงที่ไม่มีรายงานเกิน {stale_days} วัน")
    return lines


def _end_of(result: Progress, period: str) -> dt.date:
    return result.summary.loc[result.summary["period"] == period, "end"].iloc[0]


def _zones(result: Progress, now: str, before: str) -> pd.DataFrame:
    this = result.summary[result.summary["period"] == now].set_index("group")
    last = result.summary[result.summary["period"] == before].set_index("group")
    return pd.DataFrame({
        "เขตตรวจราชการ": this.index,
        "ผ่านเกณฑ์เดือนนี้": this["covered"].to_numpy(),
        "ผ่านเกณฑ์เดือนก่อน": last["covered"].reindex(this.index).fillna(0).astype(int).to_numpy(),
        "เปลี่ยนแปลง": (this["covered"] - last["covered"].reindex(this.index).fillna(0)).astype(int).to_numpy(),
        "ทั้งหมด": this["total"].to_numpy(),
        "ร้อยละ": this["percent"].to_numpy(),
        "ผ่านใหม่": this["newly_covered"].to_numpy(),
        "ตกเกณฑ์": this["fell_back"].to_numpy(),
    })


def _provinces(result: Progress, now: str, before: str, source: Boundaries) -> pd.DataFrame:
    units = result.units[result.units["period"].isin([now, before])].copy()
    units["province_code"] = units["code"].astype(str).str[:2]
    met = units.pivot_table(index="province_code", columns="period", values="met", aggfunc="sum").fillna(0)
    total = units[units["period"] == now].groupby("province_code").size()
    provinces = source.level("province").set_index("code")["name_th"]
    return pd.DataFrame({
        "รหัสจังหวัด": total.index,
        "จังหวัด": [provinces.get(c, "") for c in total.index],
        "ผ่านเกณฑ์เดือนนี้": met[now].reindex(total.index).astype(int).to_numpy(),
        "ผ่านเกณฑ์เดือนก่อน": met[before].reindex(total.index).astype(int).to_numpy(),
        "ทั้งหมด": total.to_numpy(),
    }).assign(เปลี่ยนแปลง=lambda t: t["ผ่านเกณฑ์เดือนนี้"] - t["ผ่านเกณฑ์เดือนก่อน"])


def _changed(result: Progress, now: str, column: str) -> pd.DataFrame:
    rows = [(row.group, *unit.split(" ", 1))
            for row in result.summary[result.summary["period"] == now].itertuples()
            for unit in getattr(row, column)]
    return pd.DataFrame(rows, columns=["เขตตรวจราชการ", "รหัส", "ชื่อ"])


def _stale(stale: pd.DataFrame | None) -> pd.DataFrame:
    headers = {"inspection_zone": "เขตตรวจราชการ", "record_id": "รหัสแปลง", "name": "ชื่อ",
               "province_code": "รหัสจังหวัด", "district_code": "รหัสอำเภอ", "subdistrict_code": "รหัสตำบล",
               "status": "สถานะ", "last_reported": "รายงานล่าสุด", "days_since": "จำนวนวันที่ไม่มีรายงาน"}
    if stale is None:
        return pd.DataFrame(columns=list(headers.values()))
    table = stale[[c for c in headers if c in stale.columns]].copy()
    table["last_reported"] = [thai_date(d) if isinstance(d, dt.date) else d for d in table["last_reported"]]
    return table.rename(columns=headers)


def _series(result: Progress) -> pd.DataFrame:
    table = result.summary[["period", "end", "group", "covered", "total", "percent", "newly_covered", "fell_back"]]
    return pd.DataFrame({
        "งวด": [_thai_period(p, e, result.freq) for p, e in zip(table["period"], table["end"])],
        "ข้อมูล ณ วันที่": [thai_date(e) for e in table["end"]],
        "เขตตรวจราชการ": table["group"].to_numpy(),
        "ผ่านเกณฑ์": table["covered"].to_numpy(),
        "ทั้งหมด (เป้าหมาย)": table["total"].to_numpy(),
        "ร้อยละ": table["percent"].to_numpy(),
        "ผ่านใหม่": table["newly_covered"].to_numpy(),
        "ตกเกณฑ์": table["fell_back"].to_numpy(),
    })


def _sheet(writer: pd.ExcelWriter, name: str, table: pd.DataFrame, heading: list[str]) -> None:
    start = len(heading) + 1
    table.to_excel(writer, sheet_name=name, index=False, startrow=start)
    sheet = writer.sheets[name]
    for i, line in enumerate(heading, start=1):
        sheet.cell(row=i, column=1, value=safe_cell(line))
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[start + 1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = sheet.cell(row=start + 2, column=1)
    for i, column in enumerate(table.columns, start=1):
        width = max([len(str(column))] + [len(str(v)) for v in table[column].head(200)])
        sheet.column_dimensions[get_column_letter(i)].width = min(max(10, width + 2), 60)
