"""Read one OCHA COD-AB boundary file into the normalized geoplots form."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from geoplots.errors import BoundaryFileError
from geoplots.levels import ADM_LEVEL, CODE_LENGTH, LEVELS, Level

_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Latin-1 characters that only appear when Thai UTF-8 or TIS-620 bytes were decoded as Latin-1.
_HIGH_LATIN = re.compile(r"[\u0080-\u00ff]")
_PCODE = re.compile(r"^TH(\d+)$")


@dataclass
class ReadResult:
    """A boundary file read and normalized, with what was done to it."""

    level: Level
    frame: gpd.GeoDataFrame
    encoding_repair: str | None = None
    geometries_repaired: int = 0
    parent_mismatches: list[str] = field(default_factory=list)


def _detect_level(columns: list[str], path: Path) -> Level:
    present = [lvl for lvl in LEVELS if f"ADM{ADM_LEVEL[lvl]}_PCODE" in columns]
    if not present:
        wanted = ", ".join(f"ADM{ADM_LEVEL[lvl]}_PCODE" for lvl in LEVELS)
        raise BoundaryFileError(
            f"{path.name} is not a COD-AB administrative boundary file: it has none of the "
            f"P-code columns {wanted}. Columns found: {', '.join(columns) or '(none)'}. "
            "Use the Thailand boundary files from OCHA (cod-ab-tha)."
        )
    # The deepest level present is the level of the file; shallower ones are its parents.
    return present[-1]


def _check_columns(columns: list[str], level: Level, path: Path) -> None:
    n = ADM_LEVEL[level]
    needed = [f"ADM{n}_PCODE", f"ADM{n}_TH", f"ADM{n}_EN"]
    missing = [c for c in needed if c not in columns]
    if missing:
        raise BoundaryFileError(
            f"{path.name} looks like a {level} file but lacks the column(s) "
            f"{', '.join(missing)}. A COD-AB ADM{n} file has {', '.join(needed)}."
        )


def _open(path: Path) -> gpd.GeoDataFrame:
    if not path.exists():
        raise BoundaryFileError(f"File not found: {path}. Check the path and try again.")
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except zipfile.BadZipFile as exc:
            raise BoundaryFileError(
                f"{path.name} is not a readable zip file ({exc}). Download it again; the copy "
                "may be incomplete or damaged."
            ) from exc
        if bad is not None:
            raise BoundaryFileError(
                f"{path.name} is damaged: the member {bad} fails its checksum. Download it again."
            )
    try:
        return pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several GDAL error types
        raise BoundaryFileError(
            f"Could not read {path.name} as a boundary file: {exc}. Give a zip of a shapefile, "
            "a .shp (with its .dbf and .shx beside it), a GeoJSON or a GeoPackage."
        ) from exc


def _text_columns(frame: pd.DataFrame) -> list[str]:
    return [
        c
        for c in frame.columns
        if c != frame.geometry.name
        and (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
    ]


def _repair_encoding(frame: gpd.GeoDataFrame) -> str | None:
    """Undo Thai text decoded as Latin-1, in place. Return which encoding the text really was.

    Shapefiles without a .cpg are read as Latin-1 by GDAL, turning Thai into ``à¸...``.
    The original bytes are recovered exactly by encoding back to Latin-1, then decoded as
    UTF-8 if that works for every value, else as TIS-620 (cp874).
    """
    columns = [
        c
        for c in _text_columns(frame)
        if frame[c].dropna().astype(str).str.contains(_HIGH_LATIN).any()
        and not frame[c].dropna().astype(str).str.contains(_THAI).any()
    ]
    if not columns:
        return None
    values = pd.unique(pd.concat([frame[c].dropna().astype(str) for c in columns]))
    try:
        raw = [v.encode("latin-1") for v in values]
    except UnicodeEncodeError:
        return None  # real non-Latin text: not mojibake, leave it alone
    for encoding in ("utf-8", "cp874"):
        try:
            decoded = [b.decode(encoding) for b in raw]
        except UnicodeDecodeError:
            continue
        if any(_THAI.search(d) for d in decoded):
            mapping = dict(zip(values, decoded, strict=True))
            for c in columns:
                frame[c] = frame[c].map(lambda v, m=mapping: m.get(v, v) if isinstance(v, str) else v)
            return encoding
    return None


def _to_dopa(pcode: object, level: Level) -> str:
    match = _PCODE.match(str(pcode).strip())
    if not match or len(match.group(1)) != CODE_LENGTH[level]:
        raise ValueError(str(pcode))
    return match.group(1)


def _repair_geometries(frame: gpd.GeoDataFrame) -> int:
    invalid = ~frame.geometry.is_valid
    count = int(invalid.sum())
    if count:
        fixed = shapely.make_valid(frame.geometry[invalid].values)
        # make_valid may return a collection with stray lines; a boundary keeps only its area.
        fixed = [
            shapely.union_all(
                [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
            )
            for geom in fixed
        ]
        frame.loc[invalid, frame.geometry.name] = fixed
    return count


def read_boundary_file(path: str | Path) -> ReadResult:
    """Read a COD-AB boundary file (zip of a shapefile, .shp, GeoJSON or GeoPackage).

    Parameters
    ----------
    path : path
        The file as distributed by OCHA.

    Returns
    -------
    ReadResult
        The level detected from its ADM P-code columns and a GeoDataFrame in EPSG:4326 with
        ``code``, ``name_th``, ``name_en``, the parent codes and ``geometry``.

    Raises
    ------
    BoundaryFileError
        When the file cannot be read, lacks P-code columns or holds malformed P-codes.
    """
    path = Path(path)
    raw = _open(path)
    columns = [c for c in raw.columns if c != raw.geometry.name]
    level = _detect_level(columns, path)
    _check_columns(columns, level, path)
    encoding = _repair_encoding(raw)

    if raw.crs is None:
        minx, miny, maxx, maxy = raw.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise BoundaryFileError(
                f"{path.name} has no coordinate system (.prj) and its coordinates are not "
                "longitude/latitude. Add the .prj file that came with it."
            )
        raw = raw.set_crs(4326)
    elif raw.crs.to_epsg() != 4326:
        raw = raw.to_crs(4326)

    n = ADM_LEVEL[level]
    pcodes = raw[f"ADM{n}_PCODE"]
    bad = []
    codes: list[str | None] = []
    for i, p in enumerate(pcodes):
        try:
            codes.append(_to_dopa(p, level))
        except ValueError:
            bad.append(f"feature {i + 1}: {p!r}")
            codes.append(None)
    if bad:
        raise BoundaryFileError(
            f"{path.name}: {len(bad)} P-code(s) in ADM{n}_PCODE are not of the form "
            f"TH + {CODE_LENGTH[level]} digits: {', '.join(bad[:5])}"
            + (" ..." if len(bad) > 5 else "")
        )
    duplicated = pd.Series(codes)[pd.Series(codes).duplicated()].unique().tolist()
    if duplicated:
        raise BoundaryFileError(
            f"{path.name}: the code(s) {', '.join(duplicated[:10])} appear more than once. "
            "Each unit must be one feature; dissolve the file by P-code first."
        )

    out = gpd.GeoDataFrame(
        {
            "code": codes,
            "name_th": raw[f"ADM{n}_TH"].astype("string").str.strip(),
            "name_en": raw[f"ADM{n}_EN"].astype("string").str.strip(),
        },
        geometry=raw.geometry.values,
        crs=4326,
    )
    mismatches: list[str] = []
    for parent in LEVELS[: LEVELS.index(level)]:
        column = f"{parent}_code"
        out[column] = out["code"].str[: CODE_LENGTH[parent]]
        source = f"ADM{ADM_LEVEL[parent]}_PCODE"
        if source in raw.columns:
            declared = raw[source].astype(str).str.removeprefix("TH")
            differ = out.loc[declared.values != out[column].values, "code"]
            mismatches += [f"{c} (file says parent {d})" for c, d in zip(differ, declared[differ.index])]
    out = out[["code", "name_th", "name_en", *[f"{p}_code" for p in LEVELS[: LEVELS.index(level)]], "geometry"]]
    repaired = _repair_geometries(out)
    out = out.sort_values("code", ignore_index=True)
    return ReadResult(level, out, encoding, repaired, mismatches)
