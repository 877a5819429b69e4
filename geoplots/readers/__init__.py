"""Field records in: plot pins (หมุดแปลง), plot polygons (แปลง) and household lists (ครัวเรือน).

:func:`read_records` reads the files district staff really have (CSV in UTF-8, UTF-8
with BOM or TIS-620/cp874; XLSX; GeoJSON; GeoPackage; Kobo/ODK and Google Sheets
exports) and :func:`normalize_records` applies the same rules to a table in memory.
What can be fixed without guessing is fixed and recorded as a per-row warning; a row
that cannot be placed is rejected with a reason; every row read is in one or the other.
:func:`iter_records` reads a file too big for memory (the national household survey)
chunk by chunk, with the same result.
"""

from __future__ import annotations

import os
from typing import Any

from geoplots.boundaries import Boundaries
from geoplots.readers._address import resolve_address, split_address
from geoplots.readers._area import parse_area, polygon_area_m2, rai_ngan_wa, utm_zone
from geoplots.readers._columns import COLUMN_NAMES, ROLES, find_columns
from geoplots.readers._coords import THAILAND_BOX, in_thailand, parse_coordinate, parse_pair
from geoplots.readers._dates import parse_date
from geoplots.readers._files import read_table
from geoplots.readers._normalize import KINDS, normalize_records
from geoplots.readers._spatial import infer_kind, protect_file
from geoplots.readers._stream import CHUNK_ROWS, concat_records, iter_records
from geoplots.readers._yesno import parse_yes_no
from geoplots.records import Records

__all__ = [
    "CHUNK_ROWS",
    "COLUMN_NAMES",
    "KINDS",
    "ROLES",
    "THAILAND_BOX",
    "find_columns",
    "concat_records",
    "in_thailand",
    "iter_records",
    "normalize_records",
    "parse_area",
    "parse_coordinate",
    "parse_date",
    "parse_pair",
    "parse_yes_no",
    "polygon_area_m2",
    "protect_file",
    "rai_ngan_wa",
    "read_records",
    "read_table",
    "resolve_address",
    "split_address",
    "utm_zone",
]


def read_records(
    path: str | os.PathLike[str], kind: str | None = None, *, boundaries: Boundaries | None = None, **column_options: Any
) -> Records:
    """Read a file of field records and normalize it.

    Parameters
    ----------
    path : path
        .csv (UTF-8, UTF-8 with BOM or TIS-620/cp874; comma, semicolon or tab), .xlsx,
        .geojson/.json, .gpkg, .kml (Google Earth; every folder) or .kmz (Google My Maps:
        folders in ``kml_folder``, image links in ``photo_url``, never fetched). KoboToolbox
        and ODK Central exports (CSV or XLSX) are read as they come: geopoint columns, ``_uuid``
        / ``KEY`` as the record ID, GPS accuracy, review state (see :func:`normalize_records`).
    kind : {"pins", "plots", "households"}, optional
        See :func:`normalize_records`. Not given: ``plots`` when most of the file's
        geometries are polygons (said in ``summary()["notes"]["kind"]``), else ``pins``.
    boundaries : geoplots.Boundaries, optional
        Whose national outline decides what is "in Thailand"; see :func:`normalize_records`.
    **column_options
        Column names overriding the header search (``lat="พิกัด Y"``, ``id="รหัส"``, ...),
        ``yes_no=[...]``, ``max_gps_accuracy_m=``, ``keep_review_rejected=``, for workbooks/GeoPackages ``sheet=``/``layer=``, and the limits
        of :func:`read_table`: ``max_rows=`` (none by default; the server passes its batch
        limit) and ``max_unpacked_bytes=``.

    Returns
    -------
    geoplots.records.Records
        ``accepted`` and ``rejects``; ``row`` is the spreadsheet row number (header row 1).

    Raises
    ------
    GeoplotsError
        Unknown extension, empty file, no coordinate column, unknown column option;
        :class:`~geoplots.errors.FileContentError` for a file that is not what its name
        says, :class:`~geoplots.errors.TooManyRowsError` past ``max_rows``.

    Examples
    --------
    >>> import geoplots
    >>> rec = geoplots.read_records("pins.csv")  # doctest: +SKIP
    >>> rec.summary()["rejected_by_reason"]  # doctest: +SKIP
    {'duplicate_id': 1, 'outside_thailand': 2}
    """
    file_options = {k: column_options.pop(k) for k in ("sheet", "layer", "max_rows", "max_unpacked_bytes")
                    if k in column_options}
    frame = read_table(path, **file_options)
    inferred, note = infer_kind(frame) if kind is None else (kind, None)
    records = normalize_records(frame, kind=inferred, boundaries=boundaries, **column_options)
    if note:
        records.notes["kind"] = note
    return records
