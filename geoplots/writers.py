"""Writing records (accepted rows, rejects, joined tables) to the files staff open.

One function, :func:`write_frame`, used by every command that writes records; and
:func:`spreadsheet_safe`, used by every writer of a CSV or XLSX file (records, rejects,
coverage reports), so that no text cell of a record starts a spreadsheet formula.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoplots.errors import GeoplotsError
from geoplots.records import RowWarning

SUFFIXES = (".csv", ".gpkg", ".parquet")

#: A text cell a spreadsheet would read as a formula (or DDE command): it starts with
#: = + - @ (after any spaces or line breaks), or with a tab or carriage return (OWASP).
_FORMULA = re.compile(r"[\t\r]|[ \n\u00a0]*[=+\-@]")
#: ...unless the whole cell is a plain number ("-5", "+66812345678", "-1.5e3"), which a
#: spreadsheet reads as that number and which can hold no formula.
_PLAIN_NUMBER = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def safe_cell(value: object) -> object:
    """Return ``value`` as a spreadsheet cell that cannot run a formula.

    Text that starts with ``=``, ``+``, ``-``, ``@`` (also after spaces), a tab or a
    carriage return gets a single quote in front, as OWASP advises against CSV
    injection; the text after the quote is unchanged. Numbers, missing values and text
    that is a plain number (``"-5"``) are returned as they are.

    Examples
    --------
    >>> safe_cell("=1+1"), safe_cell("@SUM(A1)"), safe_cell("-5"), safe_cell(-5), safe_cell("บ้านโนน")
    ("'=1+1", "'@SUM(A1)", '-5', -5, 'บ้านโนน')
    """
    if isinstance(value, str) and _FORMULA.match(value) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` whose text cells and headers pass through :func:`safe_cell`.

    Numeric, boolean and date columns are not touched (a negative number stays a
    number); text columns keep their dtype and missing values.

    Examples
    --------
    >>> spreadsheet_safe(pd.DataFrame({"name": ["@SUM(A1)", "ok"], "n": [-5, 2]}))["name"].tolist()
    ["'@SUM(A1)", 'ok']
    """
    out = frame.copy()
    out.columns = [safe_cell(c) for c in out.columns]
    for i in range(out.shape[1]):
        values = out.iloc[:, i]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        elif not (values.dtype == object or pd.api.types.is_string_dtype(values.dtype)):
            continue
        risky = pd.Series([safe_cell(v) is not v for v in values], index=values.index, dtype=bool)
        if risky.any():
            out.isetitem(i, values.mask(risky, "'" + values[risky].astype(str)))
    return out


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (``warnings``) joined with "; " and mixed-type columns as text, for CSV/GPKG.

    A warning is written as its text, ``str(RowWarning)`` (code: Thai / English message).
    """
    out = frame.copy()
    for col in out.columns:
        if col == getattr(out, "_geometry_column_name", None) or out[col].dtype != object:
            continue
        values = out[col]
        if values.map(lambda v: isinstance(v, (list, tuple))).any():
            out[col] = values.map(lambda v: "; ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
            values = out[col]
        kinds = {type(v) for v in values if not (v is None or (isinstance(v, float) and v != v) or v is pd.NA)}
        if len(kinds) > 1 or (kinds and not kinds <= {str}):
            out[col] = values.map(_as_text).astype("string")
    return out


def _json_items(value: object) -> object:
    """A list cell for Parquet: warnings as their JSON form (code, message, detail)."""
    if isinstance(value, (list, tuple)):
        return [v.to_json() if isinstance(v, RowWarning) else v for v in value]
    return value


def _as_text(value: object) -> object:
    return value if value is None or value is pd.NA or (isinstance(value, float) and value != value) else str(value)


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as a CSV for Excel: UTF-8 with a BOM, CRLF rows, formulas neutralised.

    Rows end in CR LF (RFC 4180), so a cell holding a line break or a lone carriage
    return is quoted and stays one cell: a spreadsheet never starts a new row (and a
    formula) in the middle of it. Text cells pass through :func:`spreadsheet_safe`.
    """
    path = Path(path)
    spreadsheet_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table of records to .csv, .gpkg or .parquet.

    CSV is UTF-8 with a BOM so Excel shows Thai, without the geometry (points are in the
    ``lat``/``lon`` columns) and with list cells such as ``warnings`` joined by "; ";
    text that a spreadsheet would read as a formula gets a ``'`` in front
    (:func:`spreadsheet_safe`). GeoPackage and Parquet are data files: text is kept as sent.
    GeoPackage keeps the geometry (a table without geometry is written as an attribute
    table). Parquet is GeoParquet for a GeoDataFrame; lists stay lists (warnings as
    ``{"code", "message", "detail"}`` structs).

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        ``Records.accepted``, ``Records.rejects`` or a joined table.
    path : path
        Output file; its extension picks the format. Parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    GeoplotsError
        Any other extension.

    Examples
    --------
    >>> rec = geoplots.read_records("pins.csv")  # doctest: +SKIP
    >>> write_frame(rec.rejects, "rejects.csv")  # doctest: +SKIP
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise GeoplotsError(f"Cannot write {path.name}: use a .csv, .gpkg or .parquet file name.")
    path.parent.mkdir(parents=True, exist_ok=True)
    geom_name = getattr(frame, "_geometry_column_name", None) if isinstance(frame, gpd.GeoDataFrame) else None
    is_geo = geom_name is not None and geom_name in frame.columns
    if suffix == ".csv":
        table = pd.DataFrame(frame.drop(columns=[geom_name])) if is_geo else pd.DataFrame(frame)
        write_csv(_flatten(table), path)
    elif suffix == ".gpkg":
        table = _flatten(frame)
        if is_geo:
            gpd.GeoDataFrame(table, geometry=geom_name, crs=frame.crs).to_file(path, driver="GPKG", engine="pyogrio")
        else:
            import pyogrio

            pyogrio.write_dataframe(table, path, driver="GPKG", layer=path.stem)
    else:
        table = frame.copy()
        for col in table.columns:
            if table[col].dtype == object and col != (geom_name if is_geo else None):
                if not table[col].map(lambda v: isinstance(v, (list, tuple))).any():
                    table[col] = _flatten(table[[col]])[col]
                else:
                    table[col] = table[col].map(_json_items)
        table.to_parquet(path, index=False)
    return path
