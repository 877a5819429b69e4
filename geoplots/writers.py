"""Writing records (accepted rows, rejects, joined tables) to the files staff open.

One function, :func:`write_frame`, used by every command that writes records.
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geoplots.errors import GeoplotsError
from geoplots.records import RowWarning

SUFFIXES = (".csv", ".gpkg", ".parquet")


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


def write_frame(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table of records to .csv, .gpkg or .parquet.

    CSV is UTF-8 with a BOM so Excel shows Thai, without the geometry (points are in the
    ``lat``/``lon`` columns) and with list cells such as ``warnings`` joined by "; ".
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
        _flatten(table).to_csv(path, index=False, encoding="utf-8-sig")
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
