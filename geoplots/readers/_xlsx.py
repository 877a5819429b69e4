"""Workbooks (XLSX) read row by row, with the zip's unpacked size capped first.

openpyxl's ``load_workbook(read_only=True)`` still walks every sheet once when it opens
a workbook whose sheets do not declare their size, so a sheet of a million rows costs a
minute before the first row is seen. Here openpyxl reads the workbook parts (shared
strings, styles, sheet names) and one sheet is streamed with openpyxl's own sheet
parser, stopping at the row limit. Cells are typed exactly as ``pandas.read_excel`` types
them (the reader this replaces): whole numbers as ``int``, dates as ``datetime``, error
cells and the usual NA texts as NaN.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from geoplots.errors import FileContentError, GeoplotsError, InputTooLargeError
from geoplots.readers._limits import check_width, take_rows

#: Unpacked size allowed by default (all parts of the zip together).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024

#: Parts other than worksheets are parsed whole into memory: each may use at most this
#: share of the unpacked limit. Worksheets are streamed.
WHOLE_PART_SHARE = 4

_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")


def read_xlsx(
    path: Path, sheet: str | int | None = None, *, max_rows: int | None = None,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> pd.DataFrame:
    """Read one sheet (the first unless named) of a workbook, cells as Excel typed them.

    Raises
    ------
    FileContentError
        Not a zip archive (so not an XLSX file).
    InputTooLargeError
        The zip unpacks to more than ``max_unpacked_bytes``, or a part read whole to
        more than a quarter of it; a :class:`TooManyRowsError` past ``max_rows``.
    """
    _check_archive(path, max_unpacked_bytes)
    with contextlib.closing(_stream_sheet(path, 0 if sheet is None else sheet)) as rows:
        header = next(rows, None)
        if header is None:
            return pd.DataFrame()
        data = [_trimmed(header)] + [_trimmed(row) for row in take_rows(rows, path.name, max_rows)]
    width = max(len(row) for row in data)
    data = [row + [""] * (width - len(row)) for row in data]
    from pandas.io.parsers import TextParser

    # The parser pandas.read_excel itself uses (same header names), but only empty cells
    # are NA: text such as "n/a" or "-" stays text, as the CSV reader keeps it, so the
    # same sheet gives the same result (unparseable, not missing) in every format.
    return TextParser(data, header=0, dtype=object, skip_blank_lines=False, keep_default_na=False,
                      na_values=[""]).read()


def _check_archive(path: Path, max_unpacked_bytes: int) -> None:
    """Refuse a workbook by the sizes its zip declares, before anything is unpacked.

    Python's zipfile never returns more of a part than its declared size (and fails the
    part's CRC check if the stream holds more or other bytes), so the declared sizes
    checked here bound everything decompressed afterwards.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileContentError(
            f"{path.name} is not an XLSX workbook (it is not a zip archive): save it again from Excel or "
            "Google Sheets as .xlsx."
        ) from exc
    total = sum(p.file_size for p in parts)
    if total > max_unpacked_bytes:
        raise InputTooLargeError(
            f"{path.name} unpacks to {total / 2**20:,.0f} MB; at most {max_unpacked_bytes / 2**20:,.0f} MB are read. "
            "Split the workbook into smaller files."
        )
    whole = max_unpacked_bytes // WHOLE_PART_SHARE
    for part in parts:
        if part.filename.endswith((".xml", ".rels")) and not _WORKSHEET.match(part.filename) and part.file_size > whole:
            raise InputTooLargeError(
                f"{path.name} has a part ({part.filename}) that unpacks to {part.file_size / 2**20:,.0f} MB; at "
                f"most {whole / 2**20:,.0f} MB are read. Save the workbook again from Excel as .xlsx."
            )


def _stream_sheet(path: Path, sheet: str | int) -> Generator[list[Any], None, None]:
    """Rows of one sheet as lists of cells converted as pandas converts them."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._reader import WorkSheetParser

    class _PartsOnly(ExcelReader):
        """openpyxl's workbook reader without its walk over every sheet."""

        def read_worksheets(self) -> None:
            self.sheets = [(s.name, rel.target) for s, rel in self.parser.find_sheets()
                           if rel.target in self.valid_files and "chartsheet" not in rel.Type]

    reader = _PartsOnly(str(path), read_only=True, keep_vba=False, data_only=True, keep_links=False)
    try:
        reader.read()
        wb = reader.wb
        with reader.archive.open(_sheet_target(reader.sheets, sheet, path.name)) as source:
            parser = WorkSheetParser(source, reader.shared_strings, data_only=True, epoch=wb.epoch,
                                     date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
            yield from _rows(parser.parse(), path.name)
    finally:
        reader.archive.close()


def _sheet_target(sheets: list[tuple[str, str]], sheet: str | int, name: str) -> str:
    names = [n for n, _ in sheets]
    if isinstance(sheet, int) and 0 <= sheet < len(sheets):
        return sheets[sheet][1]
    if isinstance(sheet, str) and sheet in names:
        return sheets[names.index(sheet)][1]
    raise GeoplotsError(f"{name} has no sheet {sheet!r}; its sheets are: {', '.join(names) or '(none)'}.")


def _rows(parsed: Iterator[tuple[int, list[dict]]], name: str) -> Iterator[list[Any]]:
    """Place each cell in its column; rows missing from the XML are blank rows.

    Rows out of order are skipped, as openpyxl's read-only sheets skip them.
    """
    expected = 1
    for number, cells in parsed:
        while expected < number:  # lazily: a sheet may jump to row 1,048,576
            expected += 1
            yield []
        if number < expected:
            continue
        expected = number + 1
        row: list[Any] = [""] * check_width(max((c["column"] for c in cells), default=0), name)
        for cell in cells:
            row[cell["column"] - 1] = _convert(cell)
        yield row


def _convert(cell: dict) -> Any:
    """A cell as ``pandas.read_excel`` gives it (its openpyxl reader's conversion), except
    error cells, kept as their text.
    """
    value = cell["value"]
    if value is None:
        return ""
    if cell["data_type"] == "e":
        # The error text (#N/A, #DIV/0!), as Excel writes it to CSV: the same sheet then
        # gives the same result in both formats (an unreadable value, not a blank).
        return str(value)
    if cell["data_type"] == "n":
        whole = int(value)
        return whole if whole == value else float(value)
    return value


def _trimmed(row: list[Any]) -> list[Any]:
    end = len(row)
    while end and row[end - 1] == "":
        end -= 1
    return row[:end]


def iter_xlsx(
    path: Path, sheet: str | int | None = None, *, chunk_rows: int, max_rows: int | None = None,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> Iterator[pd.DataFrame]:
    """:func:`read_xlsx` in pieces of ``chunk_rows`` rows (a sheet has at most 1,048,576)."""
    whole = read_xlsx(path, sheet, max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes)
    for start in range(0, max(len(whole), 1), chunk_rows):
        yield whole.iloc[start: start + chunk_rows]
