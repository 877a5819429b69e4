"""The rules that turn a table as staff typed it into accepted records and rejects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.errors import GeoplotsError
from geoplots.readers._address import parse_moo, resolve_address, village_code_of
from geoplots.readers._area import M2_PER_NGAN, M2_PER_RAI, M2_PER_WA, parse_area, parse_part, polygon_area_m2, rai_ngan_wa
from geoplots.readers._columns import coordinate_help, fallback_dates, find_columns
from geoplots.boundaries import Boundaries
from geoplots.readers._coords import _PLAIN, inside, national_outline, parse_coordinate, parse_pair, parse_zone, place
from geoplots.readers._dates import parse_date
from geoplots.readers._text import clean_text, is_blank, number_text
from geoplots.readers._chunks import ChunkContext, SeenIds
from geoplots.readers._yesno import check_blank_as, yes_no_key, yes_no_values
from geoplots.records import REJECT_COLUMNS, Records, RowWarning, reject_messages

KINDS = ("pins", "plots", "households")
ADDRESS_ROLES = ("address_code", "subdistrict", "district", "province", "address")
DECLARED = ("declared_subdistrict_code", "declared_district_code", "declared_province_code")
#: Columns normalize_records adds; an original column with one of these names is kept as ``<name>_input``.
ADDED = ("row", "lat", "lon", "warnings", "record_id", *DECLARED, "date", "area_m2", "area_rai", "area_ngan",
         "area_wa", "area_rai_ngan_wa", "village_code", "moo", "gps_accuracy_m", "review_state", "geometry")
#: Kobo ``_validation_status`` and ODK ``ReviewState`` values (lower-cased, letters only)
#: that mean a reviewer rejected the submission.
REVIEW_REJECTED = frozenset({"rejected", "notapproved", "validationstatusnotapproved", "validationnotapproved",
                             "ไม่อนุมัติ", "ไม่ผ่าน"})
#: Share of a column's distinct non-blank values that must be dates for it to be read
#: as the record date when no column is named like one.
DATE_CONTENT_SHARE = 0.8
#: Distinct values looked at to decide whether a column holds dates.
DATE_CONTENT_SAMPLE = 200
#: Rows looked through for those values.
DATE_CONTENT_ROWS = 50_000
#: Typed polygon and typed area may differ by this share before a warning.
AREA_TOLERANCE = 0.25

def _values(frame: pd.DataFrame, column: Any) -> list[Any]:
    """A column's cells as a list (all None when the column is absent): fast per-row access."""
    return frame[column].tolist() if column is not None else [None] * len(frame)


def _text_or_empty(value: Any) -> str:
    return "" if is_blank(value) else number_text(value)


def _coordinates(
    frame: pd.DataFrame, cols: dict[str, Any], has_geom: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[str | None], list[str], list[list[RowWarning]]]:
    """Parse the coordinate cells of rows without a geometry.

    Returns the latitude-column and longitude-column numbers, the failure reason per
    row (None when both numbers were read), a detail per row and the fix warnings.
    """
    n = len(frame)
    a = np.full(n, np.nan)
    b = np.full(n, np.nan)
    reasons: list[str | None] = [None] * n
    details = [""] * n
    fixes: list[list[RowWarning]] = [[] for _ in range(n)]
    lat_col, lon_col, pair_col = cols.get("lat"), cols.get("lon"), cols.get("coords")
    lat_cells, lon_cells, pair_cells = _values(frame, lat_col), _values(frame, lon_col), _values(frame, pair_col)
    # Most cells are plain decimals: read them as one column operation, parse the rest.
    fast = ~has_geom
    for col, out in ((lat_col, a), (lon_col, b)):
        plain, values = _plain_numbers(frame[col]) if col is not None else (np.zeros(n, dtype=bool), None)
        fast &= plain
        if values is not None:
            out[plain] = values[plain]
    for i in np.flatnonzero(~has_geom & ~fast):
        la_raw, lo_raw = lat_cells[i], lon_cells[i]
        la_blank, lo_blank = is_blank(la_raw), is_blank(lo_raw)
        if la_blank and lo_blank and pair_col is not None:
            pair_raw = pair_cells[i]
            if is_blank(pair_raw):
                reasons[i] = "missing_coordinates"
                continue
            pa, pb = parse_pair(pair_raw)
            if pa.value is None:
                reasons[i], details[i] = "unparseable_coordinates", f"{pair_col}: {str(pair_raw)!r}"
                continue
        elif la_blank and lo_blank:
            reasons[i] = "missing_coordinates"
            continue
        elif la_blank or lo_blank:
            # Both numbers may have been typed into one column ("16.43, 102.83" under ละติจูด).
            pa, pb = parse_pair(lo_raw if la_blank else la_raw)
            if pa.value is None:
                reasons[i], details[i] = "missing_coordinates", f"{'latitude' if la_blank else 'longitude'} is empty"
                continue
            fixes[i].append(RowWarning("pair_in_one_column", f"column {lon_col if la_blank else lat_col}"))
        else:
            pa, pb = parse_coordinate(la_raw), parse_coordinate(lo_raw)
            if pa.value is None or pb.value is None:
                bad = [f"{c}: {str(v)!r}" for c, v, p in ((lat_col, la_raw, pa), (lon_col, lo_raw, pb)) if p.value is None]
                reasons[i], details[i] = "unparseable_coordinates", "; ".join(bad)
                continue
        a[i], b[i] = pa.value, pb.value
        for fix in dict.fromkeys(pa.fixes + pb.fixes):
            fixes[i].append(RowWarning(fix, "coordinates"))
    return a, b, reasons, details, fixes


def _plain_numbers(cells: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """Which text cells are plain decimals (the fast case of ``parse_coordinate``, same
    pattern) and their values, read as one column operation.
    """
    if not (pd.api.types.is_string_dtype(cells.dtype) and cells.dtype != object) or not len(cells):
        return np.zeros(len(cells), dtype=bool), None
    plain = cells.str.match(_PLAIN.pattern).fillna(False).to_numpy(dtype=bool)
    values = np.full(len(cells), np.nan)
    if plain.any():
        values[plain] = cells[plain].str.strip().astype("float64").to_numpy()
    return plain, values


def _distinct(series: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct cells of a column (blank kept as a value): parse each once."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    return np.asarray(codes), list(uniques)


def _spread(warnings: list[list[RowWarning]], codes: np.ndarray, per_value: list[Any]) -> None:
    """Add each distinct value's warnings to the rows holding it (only rows that have any)."""
    has = np.array([bool(w) for w in per_value], dtype=bool)
    if not has.any():
        return
    for i in np.flatnonzero(has[codes]):
        warnings[i].extend(per_value[codes[i]])


def _declared_addresses(
    original: pd.DataFrame, cols: dict[str, Any], warnings: list[list[RowWarning]]
) -> dict[str, np.ndarray]:
    """Resolve each distinct address (ที่อยู่: its role cells together) once, then take
    the DOPA codes and warnings back to every row that typed it.
    """
    n = len(original)
    roles = [r for r in ADDRESS_ROLES if r in cols]
    parts = {r: _distinct(original[cols[r]]) for r in roles}
    combo = pd.DataFrame({r: parts[r][0] for r in roles}).groupby(roles, sort=False).ngroup().to_numpy() \
        if n else np.zeros(0, dtype=np.int64)
    _, first = np.unique(combo, return_index=True)
    found, notes = [], []
    for row in first:
        text = {r: _text_or_empty(parts[r][1][parts[r][0][row]]) if r in parts else "" for r in ADDRESS_ROLES}
        res = resolve_address(text["subdistrict"], text["district"], text["province"], text["address_code"],
                              text["address"])
        found.append((res.subdistrict, res.district, res.province))
        notes.append(list(res.warnings))
    _spread(warnings, combo, notes)
    table = np.array(found, dtype=object).reshape(-1, 3)
    return {col: table[combo, k] for k, col in enumerate(DECLARED)}


def _record_ids(
    raw: pd.Series, column: Any, reasons: list[str | None], details: list[str], warnings: list[list[RowWarning]],
    rows: np.ndarray, seen: SeenIds | None = None,
) -> list[str | None]:
    """IDs as text; the second and later accepted rows with one ID are ``duplicate_id``."""
    n = len(raw)
    cells = raw.to_numpy(dtype=object)
    keys = np.full(n, None, dtype=object)
    simple = _simple_ids(raw)
    keys[simple] = cells[simple]  # already clean text: nothing to tidy
    for i in np.flatnonzero(~simple):
        if is_blank(cells[i]):
            if reasons[i] is None:
                warnings[i].append(RowWarning("missing_id", f"column {column}"))
            continue
        keys[i] = clean_text(number_text(cells[i]))[0]
    open_rows = np.flatnonzero(np.array([r is None for r in reasons], dtype=bool) & pd.notna(keys))
    if seen is not None:  # a chunk of a file: IDs accepted in earlier chunks come first
        hashes = seen.hashes(keys[open_rows])
        prior = seen.first_rows(hashes)
        for i, first_row in zip(open_rows[prior > 0], prior[prior > 0]):
            reasons[i] = "duplicate_id"
            details[i] = f"ID {keys[i]} first seen on row {int(first_row)}"
        open_rows, hashes = open_rows[prior == 0], (hashes[0][prior == 0], hashes[1][prior == 0])
    codes, _ = pd.factorize(keys[open_rows])
    _, first = np.unique(codes, return_index=True)
    for j in np.flatnonzero(first[codes] != np.arange(len(codes))):
        i = open_rows[j]
        reasons[i] = "duplicate_id"
        details[i] = f"ID {keys[i]} first seen on row {int(rows[open_rows[first[codes[j]]]])}"
    if seen is not None:
        seen.add((hashes[0][first], hashes[1][first]), rows[open_rows[first]])
    return keys.tolist()


def _simple_ids(raw: pd.Series) -> np.ndarray:
    """Cells that are already clean text IDs (ASCII letters, digits, ``-_./``)."""
    if not (pd.api.types.is_string_dtype(raw.dtype) and raw.dtype != object):
        return np.zeros(len(raw), dtype=bool)
    return raw.str.fullmatch(r"[A-Za-z0-9_./-]+").fillna(False).to_numpy(dtype=bool)


def _dates(raw: pd.Series, warnings: list[list[RowWarning]]) -> pd.Series:
    """Dates (วันที่) parsed once per distinct cell, as datetime64."""
    codes, uniques = _distinct(raw)
    parsed = [parse_date(v) for v in uniques]
    _spread(warnings, codes, [w for _, w in parsed])
    stamps = pd.to_datetime(pd.Series([t if t is not None else pd.NaT for t, _ in parsed], dtype=object),
                            errors="coerce").astype("datetime64[ns]")
    return pd.Series(stamps.to_numpy()[codes], index=raw.index, dtype="datetime64[ns]")


def _yes_no(
    raw: pd.Series, column: Any, warnings: list[list[RowWarning]], blank_as: str, chunk: ChunkContext | None = None,
) -> tuple[pd.Series, dict[str, list[str]]]:
    """A yes/no column (ปลูก/ไม่ปลูก, มี/ไม่มี) read once per distinct cell; other values warn
    ``bad_yes_no``. Returns the values and which texts were taken as yes and as no.
    """
    codes, uniques = _distinct(raw)
    context = None if chunk is None else partial(chunk.yes_no_keys, column, key=yes_no_key)
    values, bad, taken = yes_no_values(pd.Series(uniques, dtype=object), blank_as=blank_as, context=context)
    notes = [[RowWarning("bad_yes_no", f"{column} {str(v)!r}")] if b else [] for v, b in zip(uniques, bad)]
    _spread(warnings, codes, notes)
    return pd.Series(values.array.take(codes), index=raw.index, dtype="boolean"), taken


def _rename_clashes(frame: pd.DataFrame, reserved: tuple[str, ...]) -> pd.DataFrame:
    mapping = {c: f"{c}_input" for c in frame.columns if str(c) in reserved}
    return frame.rename(columns=mapping) if mapping else frame


def normalize_records(
    frame: pd.DataFrame, kind: str = "pins", *, boundaries: Boundaries | None = None,
    chunk: ChunkContext | None = None, **column_options: Any
) -> Records:
    """Apply the reading rules to an in-memory table of field records.

    Parameters
    ----------
    frame : pandas.DataFrame or geopandas.GeoDataFrame
        The table as read (cells as typed). A GeoDataFrame's geometry places its rows
        (polygons are plots, แปลง); other rows are placed from coordinate columns.
    kind : {"pins", "plots", "households"}
        Demonstration-plot pins (หมุด), plot polygons (แปลง) or household lists
        (ครัวเรือน). Households may have no coordinates: they are then placed by the
        sub-district (ตำบล) of their address.
    boundaries : geoplots.Boundaries, optional
        Whose national outline decides what is "in Thailand" (:meth:`geoplots.Boundaries.load`);
        default: the default import, else the box lon 97.3-105.7, lat 5.6-20.5.
    chunk : ChunkContext, optional
        When ``frame`` is one chunk of a file (:func:`geoplots.readers.iter_records`):
        its first row number, the IDs of earlier chunks and the whole column's yes/no answers.
    **column_options
        A column name for a role, overriding the header search: ``lat``, ``lon``,
        ``coords`` (one column holding both, e.g. a Kobo geopoint), ``zone`` (UTM zone),
        ``id``, ``date``, ``area`` (rai-ngan-wa or rai), ``rai``, ``ngan``, ``wa``,
        ``address_code``, ``subdistrict``, ``district``, ``province``, ``address`` (a whole
        address in one cell), ``name``, ``moo`` (หมู่), ``village``, ``accuracy`` (GPS, m),
        ``review`` (Kobo/ODK review state), ``submitted`` (server time); ``yes_no=[columns]``
        to read yes/no columns as booleans.
    max_gps_accuracy_m : float, optional (in ``**column_options``)
        Reject rows whose GPS accuracy (Kobo ``_<q>_precision``, ODK ``-Accuracy``, or the
        fourth number of a raw geopoint) is worse than this, as ``gps_inaccurate``. Rows
        without an accuracy are kept: no number is no proof of a bad fix.
    keep_review_rejected : bool, default False (in ``**column_options``)
        Submissions a reviewer rejected (Kobo ``validation_status_not_approved``, ODK
        ``rejected``) are by default ``review_rejected`` rejects: a careful officer does not
        count what the reviewer sent back, but keeps it listed with the reason. True keeps
        them, each with a ``review_rejected`` warning.

    Returns
    -------
    geoplots.records.Records
        ``accepted`` (EPSG:4326) has the original columns (those named like an added
        column are kept as ``<name>_input``) plus ``row`` (header = row 1), ``lat``,
        ``lon`` (a representative point inside a polygon), ``warnings`` (list of
        :class:`~geoplots.records.RowWarning`), ``record_id`` (when an ID column exists),
        ``declared_subdistrict_code``/``declared_district_code``/``declared_province_code``
        (DOPA codes from the address, or NA), ``date`` (datetime64, when a date column
        exists) and, for plots, ``area_m2``, ``area_rai``, ``area_ngan``, ``area_wa`` and
        ``area_rai_ngan_wa`` ("5-2-30"). Found by their columns: ``village_code`` (8 digits)
        and ``moo`` (from a code, a หมู่ column, ``ม.5``/``หมู่ที่ ๕`` in a village or address
        cell), ``gps_accuracy_m``, ``review_state``, and ``name`` (from ชื่อแปลง,
        ชื่อหมู่บ้าน, เจ้าของแปลง ... when the file has no ``name`` column; map popups show it).
        The record ``date`` is the column named like one (Kobo/ODK ``today``, then ``start``),
        its blanks filled from ``start``/``end`` then the submission time; with none named,
        the submission time, else the first column whose values are mostly dates (e.g.
        ``registered``), said in ``notes["date"]``. ``rejects`` has ``row``, ``reason``,
        ``message`` then the original fields (a geometry as WKT in ``wkt``).

    Raises
    ------
    GeoplotsError
        Unknown kind or column option, or no coordinate column (nor, for households,
        address column).

    Examples
    --------
    >>> table = pd.DataFrame({"id": ["P1", "P1"], "lat": ["16.43", "16.44"], "lon": ["102.83", "102.84"]})
    >>> rec = normalize_records(table)
    >>> len(rec.accepted), rec.rejects["reason"].tolist()
    (1, ['duplicate_id'])
    """
    if kind not in KINDS:
        raise GeoplotsError(f"Unknown kind {kind!r}: use pins, plots or households.")
    options = dict(column_options)
    yes_no = options.pop("yes_no", None) or []
    if isinstance(yes_no, str):
        yes_no = [yes_no]
    blank_as = check_blank_as(options.pop("blank_as", "exclude"))
    max_accuracy = _max_accuracy(options.pop("max_gps_accuracy_m", None))
    keep_review_rejected = bool(options.pop("keep_review_rejected", False))
    frame = frame.reset_index(drop=True)
    n = len(frame)
    geoms: gpd.GeoSeries | None = None
    geom_name = getattr(frame, "_geometry_column_name", None) if isinstance(frame, gpd.GeoDataFrame) else None
    if geom_name is not None and geom_name in frame.columns:
        geoms = frame.geometry
        geoms = geoms.set_crs(4326) if geoms.crs is None else geoms.to_crs(4326)
        original = pd.DataFrame(frame.drop(columns=[geom_name]))
    else:
        original = pd.DataFrame(frame)
    missing_yes_no = [c for c in yes_no if c not in original.columns]
    if missing_yes_no:
        raise GeoplotsError(
            f"yes/no column(s) {', '.join(map(str, missing_yes_no))} not in the file. Columns seen: "
            + ", ".join(map(str, original.columns))
        )
    cols = find_columns(list(original.columns), options)
    has_coord_cols = ("lat" in cols and "lon" in cols) or "coords" in cols
    has_address = any(r in cols for r in ADDRESS_ROLES)
    if geoms is None and not has_coord_cols and not (kind == "households" and has_address):
        raise GeoplotsError(coordinate_help(original.columns))

    first_row = 2 if chunk is None else chunk.first_row
    rows = np.arange(first_row, first_row + n)
    warnings: list[list[RowWarning]] = [[] for _ in range(n)]
    outline = national_outline(boundaries)

    # --- placing --------------------------------------------------------------------
    if geoms is not None:
        has_geom = (geoms.notna() & ~geoms.is_empty).to_numpy()
    else:
        has_geom = np.zeros(n, dtype=bool)
    if has_coord_cols:
        a, b, reasons, details, fixes = _coordinates(original, cols, has_geom)
    else:
        a, b = np.full(n, np.nan), np.full(n, np.nan)
        reasons = [None if has_geom[i] else "missing_coordinates" for i in range(n)]
        details, fixes = [""] * n, [[] for _ in range(n)]
    for i in range(n):
        warnings[i].extend(fixes[i])
    zones = [parse_zone(v) for v in original[cols["zone"]]] if "zone" in cols else None
    parsed = np.array([r is None and not has_geom[i] for i, r in enumerate(reasons)])
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    out_geom = np.full(n, None, dtype=object)
    if parsed.any():
        idx = np.flatnonzero(parsed)
        placed = place(a[idx], b[idx], [zones[i] for i in idx] if zones else None, outline=outline)
        status = np.asarray(placed.status)
        good = status == "ok"
        lat[idx[good]] = np.asarray(placed.lat)[good]
        lon[idx[good]] = np.asarray(placed.lon)[good]
        out_geom[idx[good]] = shapely.points(lon[idx[good]], lat[idx[good]])
        for j in map(int, np.flatnonzero(~good | np.array([bool(w) for w in placed.warnings], dtype=bool))):
            i = int(idx[j])
            warnings[i].extend(placed.warnings[j])
            if placed.status[j] == "ok":
                continue
            if placed.status[j] == "ambiguous_zone":
                reasons[i] = "unparseable_coordinates"
                details[i] = (f"UTM E {b[i]:.0f} N {a[i]:.0f} lands in Thailand in both zone 47 and 48; "
                              "add a zone column (47 or 48)")
            elif placed.status[j] == "not_coordinate":
                reasons[i], details[i] = "unparseable_coordinates", placed.hints[j]
            else:
                reasons[i] = "outside_thailand"
                details[i] = f"{a[i]:g}, {b[i]:g}"
    if has_geom.any():
        assert geoms is not None  # has_geom is all False without a geometry column
        idx = np.flatnonzero(has_geom)
        g = geoms.iloc[idx]
        points = g.representative_point()
        px, py = points.x.to_numpy(), points.y.to_numpy()
        in_country = inside(px, py, outline)
        for j, i in enumerate(map(int, idx)):
            if in_country[j]:
                lat[i], lon[i] = py[j], px[j]
                geom = g.iat[j]
                if kind != "plots" and geom.geom_type not in ("Point",):
                    geom = points.iat[j]
                out_geom[i] = geom
            else:
                reasons[i], details[i] = "outside_thailand", f"geometry near {py[j]:g}, {px[j]:g}"

    # --- address --------------------------------------------------------------------
    declared: Mapping[str, list[str | None] | np.ndarray] = {c: [None] * n for c in DECLARED}
    if has_address:
        declared = _declared_addresses(original, cols, warnings)
    if kind == "households":
        for i in [i for i, r in enumerate(reasons) if r is not None]:
            sub_code = declared["declared_subdistrict_code"][i]
            if reasons[i] in ("missing_coordinates", "unparseable_coordinates", "outside_thailand") and sub_code:
                if reasons[i] != "missing_coordinates":
                    warnings[i].append(
                        RowWarning("coordinates_ignored", f"{reasons[i]} ({details[i]}); sub-district {sub_code}")
                    )
                reasons[i], details[i] = None, ""
                lat[i] = lon[i] = np.nan
                out_geom[i] = None
            elif reasons[i] == "missing_coordinates" and has_address:
                why = [f"{w.code}: {w.detail}" for w in warnings[i] if w.code in ("address_ambiguous", "address_unknown")]
                details[i] = "; ".join(
                    [d for d in (details[i], "and no address that names one sub-district") if d] + why
                )

    # --- Kobo/ODK review and GPS accuracy: before IDs, so a rejected row frees its ID ---
    parsed_cols: dict[str, pd.Series] = {}
    accuracy = _gps_accuracy(original, cols)
    _reject_inaccurate(accuracy, max_accuracy, reasons, details)
    if accuracy is not None:
        parsed_cols["gps_accuracy_m"] = accuracy
    if "review" in cols:
        parsed_cols["review_state"] = _review(original[cols["review"]], cols["review"], reasons, details, warnings,
                                              keep_review_rejected)

    # --- IDs ------------------------------------------------------------------------
    record_id: list[str | None] | None = None
    if "id" in cols:
        record_id = _record_ids(original[cols["id"]], cols["id"], reasons, details, warnings, rows,
                                None if chunk is None else chunk.ids)

    # --- optional fields: never reject, warn and leave empty --------------------------
    notes: dict[str, Any] = {}
    date_col, date_note = _date_column(original, cols, yes_no)
    if date_col is not None:
        parsed_cols["date"] = _dates(original[date_col], warnings)
        for other in fallback_dates(list(original.columns), date_col, cols.get("submitted")):
            # A blank survey date falls back to the form's start/end time, then the server's
            # date (Kobo/ODK), without their warnings: the row's own date is the one warned about.
            if parsed_cols["date"].isna().any():
                parsed_cols["date"] = parsed_cols["date"].fillna(_dates(original[other], [[] for _ in range(n)]))
    if date_note:
        notes["date"] = date_note
    parsed_cols.update(_villages(original, cols))
    parsed_cols.update(_names(original, cols))
    if kind == "plots":
        parsed_cols.update(_areas(original, cols, out_geom, warnings))
    converted = {}
    taken: dict[str, dict[str, list[str]]] = {}
    for col in yes_no:
        converted[col], taken[str(col)] = _yes_no(original[col], col, warnings, blank_as, chunk)

    # --- assemble -------------------------------------------------------------------
    ok = np.array([r is None for r in reasons], dtype=bool)
    acc_orig = original.copy()
    for col, values in converted.items():
        acc_orig[col] = values
    acc = _rename_clashes(acc_orig, ADDED)
    acc.insert(0, "row", rows)
    acc["lat"] = lat
    acc["lon"] = lon
    acc["warnings"] = pd.Series(warnings, index=original.index, dtype=object)
    if record_id is not None:
        acc["record_id"] = pd.array(record_id, dtype="string")
    for col, values in declared.items():
        acc[col] = pd.array(values, dtype="string")
    for col, values in parsed_cols.items():
        acc[col] = values
    accepted = gpd.GeoDataFrame(acc.loc[ok].reset_index(drop=True),
                                geometry=gpd.GeoSeries(list(out_geom[ok]), crs=4326), crs=4326)

    bad = ~ok
    rej = _rename_clashes(original.loc[bad].copy(), tuple(REJECT_COLUMNS))
    if geoms is not None:
        rej["wkt"] = geoms[bad].to_wkt().to_numpy()
    bad_idx = np.flatnonzero(bad)
    rej.insert(0, "row", rows[bad_idx])
    rej.insert(1, "reason", [reasons[i] for i in bad_idx])
    rej.insert(2, "message", reject_messages([reasons[i] for i in bad_idx], [details[i] for i in bad_idx]))
    if taken:
        notes.update({"yes_no": taken, "blank_as": blank_as})
    return Records(accepted=accepted, rejects=rej.reset_index(drop=True), rows_read=n, kind=kind, notes=notes)


def _max_accuracy(value: Any) -> float | None:
    """The ``max_gps_accuracy_m`` option as a positive number of metres, or None."""
    if value is None:
        return None
    try:
        limit = float(value)
    except (TypeError, ValueError):
        limit = float("nan")
    if not limit > 0:
        raise GeoplotsError(f"max_gps_accuracy_m must be a positive number of metres, not {value!r}.")
    return limit


def _areas(
    original: pd.DataFrame, cols: dict[str, Any], geoms: np.ndarray, warnings: list[list[RowWarning]]
) -> dict[str, pd.Series]:
    """area_m2 from the polygon when there is one, else from typed areas; then rai-ngan-wa."""
    n = len(original)
    typed = np.full(n, np.nan)
    if "area" in cols:
        for i, raw in enumerate(original[cols["area"]]):
            m2, bad = parse_area(raw)
            if m2 is not None:
                typed[i] = m2
            elif bad:
                warnings[i].append(RowWarning("bad_area", f"area {str(raw)!r} is not rai-ngan-wa (e.g. 5-2-30) or rai"))
    parts = [(r, f) for r, f in (("rai", M2_PER_RAI), ("ngan", M2_PER_NGAN), ("wa", M2_PER_WA)) if r in cols]
    if parts:
        part_cells = {role: _values(original, cols[role]) for role, _ in parts}
        for i in range(n):
            if np.isfinite(typed[i]):
                continue
            total, any_value, any_bad = 0.0, False, []
            for role, factor in parts:
                raw = part_cells[role][i]
                v, bad = parse_part(raw)
                if v is not None:
                    total += v * factor
                    any_value = True
                elif bad:
                    any_bad.append(f"{cols[role]} {str(raw)!r}")
            if any_bad:
                warnings[i].append(RowWarning("bad_area", f"{', '.join(any_bad)} is not a number"))
            elif any_value:
                typed[i] = total
    polys = gpd.GeoSeries(list(geoms), crs=4326)
    measured = polygon_area_m2(polys).to_numpy()
    area = np.where(np.isfinite(measured), measured, typed)
    for i in map(int, np.flatnonzero(np.isfinite(measured) & np.isfinite(typed))):
        if abs(measured[i] - typed[i]) > AREA_TOLERANCE * max(measured[i], typed[i]):
            warnings[i].append(RowWarning(
                "area_mismatch", f"the polygon measures {measured[i]:,.0f} m², {typed[i]:,.0f} m² was typed"
            ))
    area_m2 = pd.Series(area, index=original.index, dtype="Float64")
    out = {"area_m2": area_m2}
    out.update({c: s for c, s in rai_ngan_wa(area_m2).items()})
    return out


# -- Kobo/ODK metadata, names, villages and dates found by content --------------------


def _review(
    raw: pd.Series, column: Any, reasons: list[str | None], details: list[str], warnings: list[list[RowWarning]],
    keep_rejected: bool,
) -> pd.Series:
    """The review state (Kobo ``_validation_status``, ODK ``ReviewState``) as typed; rows
    a reviewer rejected are ``review_rejected`` rejects, or kept with that warning.
    """
    codes, uniques = _distinct(raw)
    texts = [None if is_blank(v) else clean_text(v)[0] for v in uniques]
    said_no = np.array([t is not None and re.sub(r"[^a-zก-๙]", "", t.lower()) in REVIEW_REJECTED for t in texts],
                       dtype=bool)
    for i in np.flatnonzero(said_no[codes]):
        detail = f"{column} {texts[codes[i]]!r}"
        if keep_rejected:
            warnings[i].append(RowWarning("review_rejected", detail))
        elif reasons[i] is None:
            reasons[i], details[i] = "review_rejected", detail
    return pd.Series(pd.array(texts, dtype="string").take(codes), index=raw.index)


def _gps_accuracy(original: pd.DataFrame, cols: dict[str, Any]) -> pd.Series | None:
    """GPS accuracy in metres: the accuracy column (Kobo ``_precision``, ODK ``-Accuracy``),
    else the fourth number of a raw geopoint (``lat lon altitude accuracy``); None when neither.
    """
    if "accuracy" in cols:
        cells = original[cols["accuracy"]]
    elif "coords" in cols:
        cells = original[cols["coords"]].map(
            lambda v: v.split()[3] if isinstance(v, str) and len(v.split()) == 4 else None)
        if cells.isna().all():
            return None
    else:
        return None
    text = cells.map(lambda v: None if is_blank(v) else clean_text(number_text(v))[0].removesuffix("m").strip())
    values = pd.to_numeric(text, errors="coerce").astype("Float64")
    return values.where(values >= 0)


def _reject_inaccurate(
    accuracy: pd.Series | None, limit: float | None, reasons: list[str | None], details: list[str]
) -> None:
    """``gps_inaccurate`` for fixes worse than ``limit`` metres (unknown accuracy is kept)."""
    if limit is None or accuracy is None:
        return
    worse = (accuracy > limit).fillna(False).to_numpy(dtype=bool)
    for i in np.flatnonzero(worse):
        if reasons[i] is None:
            reasons[i], details[i] = "gps_inaccurate", f"accuracy {float(accuracy.iat[i]):g} m, at most {limit:g} m"


def _villages(original: pd.DataFrame, cols: dict[str, Any]) -> dict[str, pd.Series]:
    """``village_code`` (8 digits, รหัสหมู่บ้าน) and ``moo`` (หมู่) from a code, a หมู่ column,
    a village cell (``บ้านโนนสูง ม.5``) or the address (``หมู่ที่ ๕``), the first that says.
    """
    if not any(r in cols for r in ("address_code", "moo", "village", "address")):
        return {}
    code = pd.Series(pd.NA, index=original.index, dtype="string")
    if "address_code" in cols:
        codes, uniques = _distinct(original[cols["address_code"]])
        code = pd.Series(pd.array([village_code_of(v) for v in uniques], dtype="string").take(codes),
                         index=original.index)
    moo = pd.to_numeric(code.str.slice(6, 8), errors="coerce").astype("Int64")
    for role in ("moo", "village", "address"):
        if role not in cols or not moo.isna().any():
            continue
        codes, uniques = _distinct(original[cols[role]])
        found = pd.array([parse_moo(v, bare=role == "moo") for v in uniques], dtype="Int64").take(codes)
        moo = moo.fillna(pd.Series(found, index=original.index))
    return {"village_code": code, "moo": moo}


def _names(original: pd.DataFrame, cols: dict[str, Any]) -> dict[str, pd.Series]:
    """``name`` from a column named like one (ชื่อแปลง, ชื่อหมู่บ้าน, เจ้าของแปลง, ...), for
    map popups; a file's own ``name`` column is left as it is.
    """
    if "name" not in cols or "name" in original.columns:
        return {}
    codes, uniques = _distinct(original[cols["name"]])
    texts = [None if is_blank(v) else clean_text(number_text(v))[0] for v in uniques]
    return {"name": pd.Series(pd.array(texts, dtype="string").take(codes), index=original.index)}


def _date_column(original: pd.DataFrame, cols: dict[str, Any], skip: list[Any]) -> tuple[Any, str | None]:
    """The column to read as the record date and the note saying why, when none is named
    ``date``/``วันที่``/``today``: the server's submission time (Kobo ``_submission_time``,
    ODK ``SubmissionDate``), else the first other column whose values are mostly dates.
    """
    if "date" in cols:
        if "submitted" in cols:
            return cols["date"], (f"record date from {cols['date']!r} (the officer's); the submission time "
                                  f"{cols['submitted']!r} is kept as typed")
        return cols["date"], None
    if "submitted" in cols:
        return cols["submitted"], f"record date from the submission time {cols['submitted']!r} (no survey date column)"
    taken = {str(c) for c in cols.values()} | {str(c) for c in skip}
    for column in original.columns:
        if str(column) in taken:
            continue
        share, seen = _date_share(original[column])
        if seen and share >= DATE_CONTENT_SHARE:
            return column, (f"column {column!r} read as the record date: {share:.0%} of its {seen} distinct "
                            "values are dates")
    return None, None


def _date_share(cells: pd.Series) -> tuple[float, int]:
    """Share of a column's distinct non-blank values (a sample) that are dates, and how many were looked at."""
    if pd.api.types.is_datetime64_any_dtype(cells.dtype):
        return 1.0, int(cells.notna().any())
    if pd.api.types.is_numeric_dtype(cells.dtype) or pd.api.types.is_bool_dtype(cells.dtype):
        return 0.0, 0
    # The first rows are enough to tell, and a national file is not scanned whole per column.
    values = [v for v in pd.unique(cells.head(DATE_CONTENT_ROWS).dropna())[: DATE_CONTENT_SAMPLE * 2]
              if not is_blank(v)]
    values = values[:DATE_CONTENT_SAMPLE]
    if not values:
        return 0.0, 0
    dates = sum(1 for v in values if parse_date(v)[0] is not None)
    return dates / len(values), len(values)
