"""Reading the files staff have into a table, cells kept as typed.

CSV (UTF-8, UTF-8 with BOM, TIS-620/cp874 as Thai Excel saves it; comma, semicolon
or tab separated as Kobo/ODK and Google Sheets export), XLSX (first sheet unless
named), GeoJSON, GeoPackage (its only layer, or the one named) and KML from Google
Earth (every folder, each row tagged with its folder in ``kml_folder``).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoplots.errors import GeoplotsError
from geoplots.readers._text import is_blank

TABLE_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml")
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


def read_csv_text(text: str, name: str = "the file") -> pd.DataFrame:
    r"""Read CSV text with every cell as a string (blank cells as NA), blank rows kept.

    A row with more cells than the header is an error naming the row (pandas would
    silently shift or drop cells); extra cells that are empty (trailing commas) are dropped.

    Examples
    --------
    >>> read_csv_text("ละติจูด,ลองจิจูด\n16.43,102.83,\n").to_dict("list")
    {'ละติจูด': ['16.43'], 'ลองจิจูด': ['102.83']}
    """
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text)))
    if not rows:
        return pd.DataFrame()
    header = _header_names(rows[0])
    width = len(header)
    cells: list[list[str | None]] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) > width:
            if any(c.strip() for c in row[width:]):
                raise GeoplotsError(
                    f"Row {number} of {name} has {len(row)} cells but the header has {width}: a comma inside a "
                    "cell (e.g. '16.43, 102.83') needs the cell in quotes. Save the sheet again as CSV from "
                    "Excel or Google Sheets, which quote such cells."
                )
            row = row[:width]
        cells.append([c if c.strip() else None for c in row] + [None] * (width - len(row)))
    return pd.DataFrame(cells, columns=header, dtype="str")


def _read_spatial(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """One layer; for KML all folders (staff draw plots in several); else an error if several."""
    import pyogrio

    if layer is not None:
        return gpd.read_file(path, layer=layer)
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    if len(layers) <= 1:
        return gpd.read_file(path)
    if path.suffix.lower() == ".kml":
        parts = [gpd.read_file(path, layer=name).assign(kml_folder=name) for name in layers]
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
    raise GeoplotsError(
        f"{path.name} has {len(layers)} layers ({', '.join(layers)}): name the one to read with --layer "
        "(layer= in Python)."
    )


def read_table(path: str | os.PathLike[str], *, sheet: str | int | None = None, layer: str | None = None) -> pd.DataFrame:
    """Read a records file into a DataFrame (GeoDataFrame for GeoJSON/GeoPackage).

    CSV cells are read as text so codes keep their leading zeros; XLSX cells keep
    their Excel types. Empty rows at the end are dropped (they are not records);
    empty rows in between are kept so row numbers match the spreadsheet.

    Raises
    ------
    GeoplotsError
        Unknown extension, missing or empty file, unreadable content.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise GeoplotsError(
            f"Cannot read {path.name}: use a .csv, .xlsx, .geojson, .gpkg or .kml file "
            "(save other spreadsheets from Excel or Google Sheets as CSV or XLSX)."
        )
    if not path.exists():
        raise GeoplotsError(f"File not found: {path}")
    if path.stat().st_size == 0:
        raise GeoplotsError(f"{path.name} is empty: export the sheet again with its header row.")
    try:
        if suffix in TABLE_SUFFIXES:
            text, _ = decode(path.read_bytes())
            if not text.strip():
                raise GeoplotsError(f"{path.name} is empty: export the sheet again with its header row.")
            frame = read_csv_text(text, path.name)
        elif suffix in EXCEL_SUFFIXES:
            frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=object, engine="openpyxl")
        else:
            frame = _read_spatial(path, layer)
            if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
                frame = frame.to_crs(4326)
    except GeoplotsError:
        raise
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError, KeyError) as exc:
        raise GeoplotsError(
            f"Cannot read {path.name}: {exc}. Check that it is a {suffix} file saved from its program."
        ) from exc
    except Exception as exc:  # pyogrio/openpyxl raise their own types for damaged files
        raise GeoplotsError(f"Cannot read {path.name}: {exc}") from exc
    frame = _trim_trailing_blank_rows(frame)
    if len(frame.columns) == 0:
        raise GeoplotsError(f"{path.name} has no header row: the first row must name the columns.")
    return frame
