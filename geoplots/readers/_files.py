"""Reading the files staff have into a table, cells kept as typed.

CSV (UTF-8, UTF-8 with BOM, TIS-620/cp874 as Thai Excel saves it; comma, semicolon
or tab separated as Kobo/ODK and Google Sheets export), XLSX (first sheet unless
named), GeoJSON, GeoPackage (its only layer, or the one named) and KML from Google
Earth (every folder, each row tagged with its folder in ``kml_folder``), KMZ from Google
My Maps (the same, plus ``photo_url`` from image links). Each is opened
only by the reader its suffix names, and limits (rows, unpacked bytes) are enforced while
reading.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplots.errors import FileContentError, GeoplotsError
from geoplots.readers._limits import check_width, take_rows
from geoplots.readers._spatial import read_geojson, read_geopackage, read_kml, read_kmz
from geoplots.readers._text import is_blank
from geoplots.readers._xlsx import MAX_UNPACKED_BYTES, iter_xlsx, read_xlsx

TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml", ".kmz")
SUFFIXES = TABLE_SUFFIXES + EXCEL_SUFFIXES + SPATIAL_SUFFIXES


def decode(raw: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else TIS-620 (cp874).

    Returns the text and the encoding used.

    Examples
    --------
    >>> decode("ตำบล".encode("cp874"))
    ('ตำบล', 'cp874')
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp874"), "cp874"
    except UnicodeDecodeError as exc:
        raise GeoplotsError(
            "The file is neither UTF-8 nor Thai Windows (TIS-620/cp874) text. Save it again "
            "from Excel as 'CSV UTF-8' and retry."
        ) from exc


def _separator(text: str) -> str:
    """The delimiter the header row uses most: comma, semicolon (Kobo) or tab."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _trim_trailing_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop empty rows at the end: Google Sheets and Excel export formatted-but-empty rows."""
    if frame.empty or isinstance(frame, gpd.GeoDataFrame):
        return frame
    end = len(frame)
    # Walk back from the end: only the trailing rows are looked at.
    while end > 0 and all(is_blank(v) for v in frame.iloc[end - 1]):
        end -= 1
    return frame.iloc[:end]


def _header_names(cells: list[str]) -> list[str]:
    """Header cells as column names: blanks named ``Unnamed: i``, repeats ``name.1``, as pandas does."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = cell.strip() or f"Unnamed: {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        seen.setdefault(name, 0)
        names.append(name)
    return names


def read_csv_text(text: str, name: str = "the file", *, max_rows: int | None = None) -> pd.DataFrame:
    r"""Read CSV text with every cell as a string (blank cells as NA), blank rows kept.

    A row with more cells than the header is an error naming the row (pandas would
    silently shift or drop cells); extra cells that are empty (trailing commas) are dropped.
    With ``max_rows``, reading stops at the first row over it (:class:`TooManyRowsError`).

    Examples
    --------
    >>> read_csv_text("ละติจูด,ลองจิจูด\n16.43,102.83,\n").to_dict("list")
    {'ละติจูด': ['16.43'], 'ลองจิจูด': ['102.83']}
    """
    delimiter = _separator(text)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    first = next(rows, None)
    if first is None:
        return pd.DataFrame()
    header = _header_names(first)
    width = check_width(len(header), name)
    if max_rows is None:
        fast = _arrow_csv(text, header, delimiter)
        if fast is not None:
            return fast
    body = take_rows(_fitted_rows(rows, width, name), name, max_rows)
    cells = [row + [None] * (width - len(row)) for row in body]
    return pd.DataFrame(cells, columns=header, dtype="str")


def _arrow_csv(text: str, header: list[str], delimiter: str) -> pd.DataFrame | None:
    """The common case (every row exactly as wide as the header) read by pyarrow's
    multithreaded CSV parser, all cells as text; None when any row is shorter or longer,
    so the row-by-row reader above decides (and names the row at fault).
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=[f"c{i}" for i in range(len(header))], skip_rows=1,
                                           block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(header))},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    blank_rows = None
    columns = {}
    for name, column in zip(header, table.columns):
        blank = pc.equal(pc.utf8_trim_whitespace(column), "")  # cells of spaces only are blank, as above
        blank_rows = blank if blank_rows is None else pc.and_(blank_rows, blank)
        columns[name] = pd.Series(pc.if_else(blank, None, column).to_pandas(), dtype="str")
    frame = pd.DataFrame(columns, columns=header) if columns else pd.DataFrame(columns=header)
    if blank_rows is not None and len(frame):
        filled = np.flatnonzero(~blank_rows.to_numpy(zero_copy_only=False))
        frame = frame.iloc[: (filled[-1] + 1) if filled.size else 0]  # trailing blank rows are not records
    return frame.reset_index(drop=True)


def _fitted_rows(rows: Iterator[list[str]], width: int, name: str, start: int = 2) -> Iterator[list[str | None]]:
    """Rows cut to the header's width (only empty cells may be cut), blank cells as None."""
    for number, row in enumerate(rows, start=start):
        if len(row) > width:
            if any(c.strip() for c in row[width:]):
                raise GeoplotsError(
                    f"Row {number} of {name} has {len(row)} cells but the header has {width}: a comma inside a "
                    "cell (e.g. '16.43, 102.83') needs the cell in quotes. Save the sheet again as CSV from "
                    "Excel or Google Sheets, which quote such cells."
                )
            row = row[:width]
        yield [c if c.strip() else None for c in row]


def read_table(
    path: str | os.PathLike[str], *, sheet: str | int | None = None, layer: str | None = None,
    max_rows: int | None = None, max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> pd.DataFrame:
    """Read a records file into a DataFrame (GeoDataFrame for GeoJSON/GeoPackage/KML).

    CSV cells are read as text so codes keep their leading zeros; XLSX cells keep
    their Excel types. Empty rows at the end are dropped (they are not records);
    empty rows in between are kept so row numbers match the spreadsheet. Each type is
    opened only by its own reader (see :mod:`geoplots.readers._spatial`): a file whose
    content is another type is refused, whatever GDAL could make of it.

    Parameters
    ----------
    path : path
        A local file (no ``/vsi…`` path, no URL).
    sheet, layer : optional
        The workbook sheet (name or index; the first by default), the GeoPackage layer
        or KML folder.
    max_rows : int, optional
        Most rows read, header excluded; reading stops at the first row over it.
        ``None`` (the default) reads every row.
    max_unpacked_bytes : int
        Most bytes an XLSX zip may unpack to (256 MB by default).

    Raises
    ------
    GeoplotsError
        Unknown extension, missing or empty file, unreadable content.
    FileContentError
        Content that is not what the name says (a disguised file), or a live database.
    TooManyRowsError, InputTooLargeError
        Over ``max_rows``, or over the unpacked size or the cell limits.
    """
    path = _local_file(path)
    try:
        frame = _read_by_type(path, sheet, layer, max_rows, max_unpacked_bytes)
    except GeoplotsError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, KeyError) as exc:
        raise GeoplotsError(
            f"Cannot read {path.name}: {_named(exc, path)}. Check that it is a {path.suffix.lower()} file saved "
            "from its program."
        ) from exc
    except Exception as exc:  # pyogrio/openpyxl/zipfile raise their own types for damaged files
        raise GeoplotsError(f"Cannot read {path.name}: {_named(exc, path)}") from exc
    frame = _trim_trailing_blank_rows(frame)
    if len(frame.columns) == 0:
        raise GeoplotsError(f"{path.name} has no header row: the first row must name the columns.")
    return frame


def _named(exc: Exception, path: Path) -> str:
    """The library's message with the file's name for its full path (a server's temporary directory)."""
    return str(exc).replace(str(path), path.name)


def _local_file(path: str | os.PathLike[str]) -> Path:
    """The path of an existing, non-empty local file with a suffix geoplots reads."""
    raw = os.fspath(path)
    if raw.startswith("/vsi") or "://" in raw:
        raise FileContentError(
            f"{raw} is not a local file: geoplots reads files on this computer only (no /vsi… paths, no URLs). "
            "Download the file first."
        )
    path = Path(raw)
    if path.suffix.lower() not in SUFFIXES:
        raise GeoplotsError(
            f"Cannot read {path.name}: use a .csv, .xlsx, .geojson, .gpkg, .kml or .kmz file "
            "(save other spreadsheets from Excel or Google Sheets as CSV or XLSX)."
        )
    if not path.exists():
        raise GeoplotsError(f"File not found: {path}")
    if path.stat().st_size == 0:
        raise GeoplotsError(f"{path.name} is empty: export the sheet again with its header row.")
    return path.absolute()


def _read_by_type(
    path: Path, sheet: str | int | None, layer: str | None, max_rows: int | None, max_unpacked_bytes: int
) -> pd.DataFrame:
    """Hand the file to the one reader its suffix names."""
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        text, _ = decode(path.read_bytes())
        if not text.strip():
            raise GeoplotsError(f"{path.name} is empty: export the sheet again with its header row.")
        return read_csv_text(text, path.name, max_rows=max_rows)
    if suffix in EXCEL_SUFFIXES:
        return read_xlsx(path, sheet, max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes)
    if suffix == ".gpkg":
        frame = read_geopackage(path, layer, max_rows)
    elif suffix == ".kml":
        frame = read_kml(path, layer, max_rows)
    elif suffix == ".kmz":
        frame = read_kmz(path, layer, max_rows, max_unpacked_bytes)
    else:
        frame = read_geojson(path, max_rows)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs(4326)
    return frame


#: Bytes of a CSV file pyarrow parses at a time when streaming (a chunk spans one or more).
STREAM_BLOCK_BYTES = 1 << 24


def iter_table(
    path: str | os.PathLike[str], *, chunk_rows: int, sheet: str | int | None = None, layer: str | None = None,
    max_rows: int | None = None, max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
) -> Iterator[pd.DataFrame]:
    """:func:`read_table` in pieces of about ``chunk_rows`` rows, memory bounded by the piece.

    CSV is streamed by pyarrow's CSV reader (cells typed as :func:`read_csv_text` types
    them) and XLSX row by row; other types are read whole and cut. Blank rows are kept
    where records follow them and dropped at the end of the file, as :func:`read_table`
    does; at least one (maybe empty) frame is yielded, with the header's columns.

    Raises
    ------
    GeoplotsError, FileContentError, TooManyRowsError, InputTooLargeError
        As :func:`read_table`; a CSV that is UTF-8 at first and not later is refused
        (save it again as CSV UTF-8) rather than read half as mojibake.
    """
    if chunk_rows < 1:
        raise GeoplotsError(f"chunk_rows must be at least 1, not {chunk_rows}.")
    path = _local_file(path)
    suffix = path.suffix.lower()
    if suffix in TABLE_SUFFIXES and max_rows is None:
        frames = _csv_frames(path, chunk_rows)
    elif suffix in EXCEL_SUFFIXES:
        frames = _xlsx_frames(path, sheet, chunk_rows, max_rows, max_unpacked_bytes)
    else:
        whole = read_table(path, sheet=sheet, layer=layer, max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes)
        frames = (whole.iloc[i: i + chunk_rows] for i in range(0, max(len(whole), 1), chunk_rows))
    yield from _without_trailing_blanks(frames, path)


def _without_trailing_blanks(frames: Iterator[pd.DataFrame], path: Path) -> Iterator[pd.DataFrame]:
    """Hold back each piece's trailing blank rows until a record follows them (then they are
    rows of the file) or the file ends (then they are dropped, as :func:`read_table` does).
    """
    held: pd.DataFrame | None = None
    first = True
    try:
        for frame in frames:
            if held is not None and len(held):
                frame = pd.concat([held, frame], ignore_index=True)
            kept = _trim_trailing_blank_rows(frame)
            held = frame.iloc[len(kept):]
            if len(kept) or first:
                if first and len(frame.columns) == 0:
                    raise GeoplotsError(f"{path.name} has no header row: the first row must name the columns.")
                first = False
                yield kept.reset_index(drop=True)
    except GeoplotsError:
        raise
    except (pd.errors.ParserError, ValueError, OSError, KeyError) as exc:
        raise GeoplotsError(f"Cannot read {path.name}: {_named(exc, path)}. Check that it is a "
                            f"{path.suffix.lower()} file saved from its program.") from exc


def _csv_start(path: Path) -> tuple[str, list[str], str]:
    """The encoding (UTF-8, UTF-8 with BOM, else cp874 as :func:`decode` decides on the
    first block), the header's column names and the delimiter of a CSV file.
    """
    with open(path, "rb") as f:
        block = f.read(STREAM_BLOCK_BYTES)
    if block.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    else:
        cut = len(block)
        while cut > 0 and len(block) - cut < 4 and (block[cut - 1] & 0xC0) == 0x80:
            cut -= 1  # do not judge a character cut in two by the block's end
        if cut > 0 and block[cut - 1] >= 0xC0:
            cut -= 1
        encoding = decode(block[:cut] if len(block) == STREAM_BLOCK_BYTES else block)[1]
    with open(path, encoding=encoding, newline="") as text:
        line = text.read(1 << 16)
        while "\n" not in line and (more := text.read(1 << 16)):
            line += more
        delimiter = _separator(line)
        text.seek(0)
        first = next(csv.reader(text, delimiter=delimiter), None)
    if first is None or not line.strip():
        raise GeoplotsError(f"{path.name} is empty: export the sheet again with its header row.")
    return encoding, _header_names(first), delimiter


def _csv_frames(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Pieces of a CSV file read by pyarrow's streaming reader, every cell as text.

    A row wider or narrower than the header is handed over by pyarrow (not parsed) and
    read by :mod:`csv` as :func:`read_csv_text` reads it, in its place: padded, cut when
    only empty cells are cut, else an error naming the row.
    """
    import pyarrow as pa
    from pyarrow import csv as pacsv

    encoding, header, delimiter = _csv_start(path)
    width = check_width(len(header), path.name)
    if width == 0:
        yield pd.DataFrame()
        return
    odd: dict[int, str] = {}  # row number -> text of rows pyarrow would not parse

    def odd_row(row: Any) -> str:
        if row.number is None:
            return "error"
        odd[row.number] = row.text
        return "skip"

    names = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=STREAM_BLOCK_BYTES,
                                       use_threads=False, encoding="utf8" if encoding.startswith("utf-8") else encoding),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                                         invalid_row_handler=odd_row),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    pieces: list[pd.DataFrame] = []
    held = 0
    next_row = 2
    yielded = False
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as exc:
            if yielded:
                raise _stream_error(path, exc, next_row) from exc
            # Quoting pyarrow will not parse (an unclosed quote): nothing given out yet, so
            # the file is read as read_table reads it (its row reader), then cut.
            whole = read_table(path)
            for start in range(0, max(len(whole), 1), chunk_rows):
                yield whole.iloc[start: start + chunk_rows]
            return
        piece = _with_odd_rows(_text_frame(batch, header), odd, next_row, header, delimiter, path.name)
        next_row += len(piece)
        pieces.append(piece)
        held += len(piece)
        while held >= chunk_rows:
            whole = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
            yield whole.iloc[:chunk_rows].reset_index(drop=True)
            yielded = True
            pieces = [whole.iloc[chunk_rows:]]
            held = len(pieces[0])
    if odd:  # odd rows after the last parsed row (the file ends with them)
        pieces.append(_with_odd_rows(_text_frame(None, header), odd, next_row, header, delimiter, path.name))
    if pieces and sum(map(len, pieces)) or not yielded:
        yield pd.concat(pieces, ignore_index=True) if pieces else pd.DataFrame(columns=header, dtype="str")


def _stream_error(path: Path, exc: Exception, row: int) -> GeoplotsError:
    if "UTF8" in str(exc) or "UTF-8" in str(exc):
        return GeoplotsError(
            f"{path.name} is not UTF-8 text after row {row:,} although it is before: it mixes encodings. Save it "
            "again from Excel as 'CSV UTF-8' and retry."
        )
    return GeoplotsError(f"Cannot read {path.name} after row {row:,}: {_named(exc, path)}.")


def _text_frame(batch: Any, header: list[str]) -> pd.DataFrame:
    """A pyarrow batch of text cells as :func:`_arrow_csv` types them: blank (spaces only) as NA."""
    import pyarrow.compute as pc

    if batch is None:
        return pd.DataFrame({name: pd.Series([], dtype="str") for name in header}, columns=header)
    columns = {}
    for name, column in zip(header, batch.columns):
        blank = pc.equal(pc.utf8_trim_whitespace(column), "")
        columns[name] = pd.Series(pc.if_else(blank, None, column).to_pandas(), dtype="str")
    return pd.DataFrame(columns, columns=header)


def _with_odd_rows(
    piece: pd.DataFrame, odd: dict[int, str], first_row: int, header: list[str], delimiter: str, name: str
) -> pd.DataFrame:
    """Put back, at their row numbers, the rows pyarrow handed over, read by :mod:`csv`."""
    end = first_row + len(piece)
    mine = []
    for number in sorted(odd):
        if number >= end:
            break
        mine.append(number)
        end += 1
    if not mine and odd and len(piece) == 0:
        mine = sorted(odd)
    if not mine:
        return piece
    texts = [odd.pop(number) for number in mine]
    width = len(header)
    cells = []
    for number, text in zip(mine, texts):
        row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        fitted = next(_fitted_rows(iter([row]), width, name, start=number))
        cells.append(fitted + [None] * (width - len(fitted)))
    extra = pd.DataFrame(cells, columns=header, dtype="str")
    total = len(piece) + len(extra)
    at = np.array(mine) - first_row
    order = np.empty(total, dtype=np.int64)
    is_odd = np.zeros(total, dtype=bool)
    is_odd[at] = True
    order[is_odd] = len(piece) + np.arange(len(extra))
    order[~is_odd] = np.arange(len(piece))
    return pd.concat([piece, extra], ignore_index=True).iloc[order].reset_index(drop=True)


def _xlsx_frames(
    path: Path, sheet: str | int | None, chunk_rows: int, max_rows: int | None, max_unpacked_bytes: int
) -> Iterator[pd.DataFrame]:
    """Pieces of one sheet of a workbook, typed as :func:`read_xlsx` types them."""
    yield from iter_xlsx(path, sheet, chunk_rows=chunk_rows, max_rows=max_rows, max_unpacked_bytes=max_unpacked_bytes)


def column_cells(path: str | os.PathLike[str], column: Any, *, chunk_rows: int = 1_000_000,
                 **options: Any) -> Iterator[Any]:
    """Every cell of one column of a file, read again piece by piece (a pre-pass)."""
    for frame in iter_table(path, chunk_rows=chunk_rows, **options):
        yield from frame[column].drop_duplicates().tolist()
