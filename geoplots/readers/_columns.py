"""Finding the columns that matter by their Thai or English header, overridable by name.

Each role (latitude, longitude, ID, date, address parts, areas, name, village, Kobo/ODK
metadata) has a list of header names. A header matches when, lower-cased and without spaces, dots, underscores and
hyphens, it equals a name; failing that, when its last word does (``_gps_latitude``,
``gps-Longitude`` from Kobo/ODK, ``survey_date``); for coordinates, failing that, when
its first word does (``Latitude (องศา)``). Options given by the caller
(``lat="พิกัด Y"``) win over both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from geoplots.errors import GeoplotsError

#: Header names accepted for each role, in order of preference.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "lat": ("lat", "latitude", "ละติจูด", "ลติจูด", "ละติจูต", "พิกัดละติจูด", "y", "พิกัดy", "ค่าy",
            "northing", "north", "utmn", "utmy", "gpslat", "gpslatitude"),
    "lon": ("lon", "lng", "long", "longitude", "ลองจิจูด", "ลองติจูด", "ลองจิจูต", "พิกัดลองจิจูด", "x",
            "พิกัดx", "ค่าx", "easting", "east", "utme", "utmx", "gpslon", "gpslng", "gpslongitude"),
    "coords": ("พิกัด", "พิกัดgps", "พิกัดแปลง", "ตำแหน่ง", "coordinates", "coordinate", "coords", "latlon",
               "latlong", "latlng", "lat,lon", "lat,long", "gps", "geopoint", "location", "geolocation",
               "gpslocation", "point"),
    "zone": ("zone", "utmzone", "โซน", "zoneutm"),
    # Kobo's ``_uuid`` and ODK's ``KEY``/``meta-instanceID`` come first: they survive a
    # re-export, so a file sent again replaces its records instead of duplicating them.
    "id": ("uuid", "key", "metainstanceid", "instanceid", "recordid", "plotid", "householdid", "hhid",
           "villageid", "pinid", "id", "รหัสแปลง", "รหัสครัวเรือน", "รหัสบ้าน", "รหัส"),
    # The officer's own date (Kobo/ODK ``today``, then ``start``) before the server's
    # submission time, which is only used when nothing else dates the record.
    "date": ("date", "วันที่", "วันที่สำรวจ", "วันที่บันทึก", "วันที่เก็บข้อมูล", "surveydate", "today",
             "วันเดือนปี", "start", "starttime", "end", "endtime"),
    "submitted": ("submissiontime", "submissiondate", "วันที่ส่ง"),
    "accuracy": ("gpsaccuracym", "gpsaccuracy", "accuracy", "precision", "gpsprecision", "ความแม่นยำ",
                 "ความคลาดเคลื่อน"),
    "review": ("validationstatus", "reviewstate", "สถานะการตรวจ"),
    "name": ("name", "ชื่อ", "ชื่อแปลง", "ชื่อหมู่บ้าน", "ชื่อบ้าน", "ชื่อสถานที่", "ชื่อจุด", "plotname",
             "villagename", "placename", "เจ้าของแปลง", "ชื่อเจ้าของแปลง", "ชื่อเจ้าของ", "ชื่อเกษตรกร", "เกษตรกร",
             "ชื่อสกุล", "ชื่อนามสกุล", "ชื่อหัวหน้าครัวเรือน", "หัวหน้าครัวเรือน", "ownername", "farmername",
             "householdname", "owner", "farmer"),
    "altitude": ("altitude", "alt", "elevation", "ความสูง"),
    "moo": ("moo", "หมู่", "หมู่ที่", "ม", "villageno", "moono", "เลขหมู่", "หมู่บ้านที่"),
    "village": ("หมู่บ้าน", "village", "mooban", "บ้าน"),
    "area": ("area", "พื้นที่", "เนื้อที่", "ขนาดพื้นที่", "ขนาดแปลง", "พื้นที่แปลง", "arearai", "ไร่งานวา",
             "พื้นที่ไร่งานวา"),
    "rai": ("rai", "ไร่"),
    "ngan": ("ngan", "งาน"),
    "wa": ("wa", "sqwa", "ตารางวา", "ตรว", "วา"),
    "address_code": ("villagecode", "รหัสหมู่บ้าน", "subdistrictcode", "tamboncode", "รหัสตำบล", "geocode",
                     "รหัสพื้นที่", "areacode", "districtcode", "amphoecode", "รหัสอำเภอ", "provincecode",
                     "รหัสจังหวัด"),
    "subdistrict": ("subdistrict", "tambon", "ตำบล", "แขวง", "ตำบลแขวง", "subdistrictname", "tambonname"),
    "district": ("district", "amphoe", "amphur", "อำเภอ", "เขต", "อำเภอเขต", "districtname"),
    "province": ("province", "changwat", "จังหวัด", "provincename"),
    "address": ("address", "ที่อยู่", "ที่ตั้ง", "fulladdress"),
}

#: Roles a caller may name as options, e.g. ``read_records(path, lat="Y", id="รหัส")``.
ROLES = tuple(COLUMN_NAMES)


def _key(name: object) -> str:
    return re.sub(r"[\s._\-()\[\]/:]+", "", str(name).strip().lower())


def _words(name: object) -> list[str]:
    return [w for w in re.split(r"[\s._\-/:()\[\]]+", str(name).strip().lower()) if w]


def _last_word(name: object) -> str:
    words = _words(name)
    return words[-1] if words else ""


def _first_word(name: object) -> str:
    words = _words(name)
    return words[0] if words else ""


#: Roles also matched on a header's first word ("Latitude (องศา)"); others would catch too much.
_FIRST_WORD_ROLES = ("lat", "lon", "coords")


def find_columns(columns: Sequence[object], options: dict[str, str | None]) -> dict[str, object]:
    """Map roles to column names.

    Parameters
    ----------
    columns : sequence
        The table's headers.
    options : dict
        Role -> header given by the caller; a header that does not exist is an error.

    Returns
    -------
    dict
        Role -> header for every role found.

    Examples
    --------
    >>> find_columns(["ชื่อ", "_gps_latitude", "_gps_longitude", "ตำบล"], {})
    {'lat': '_gps_latitude', 'lon': '_gps_longitude', 'name': 'ชื่อ', 'subdistrict': 'ตำบล'}
    >>> find_columns(["start", "today", "group_a/gps", "_id", "_uuid", "_submission_time"], {})
    {'coords': 'group_a/gps', 'id': '_uuid', 'date': 'today', 'submitted': '_submission_time'}
    """
    found: dict[str, object] = {}
    by_text = {str(c): c for c in columns}
    for role, header in options.items():
        if header is None:
            continue
        if role not in COLUMN_NAMES:
            raise GeoplotsError(f"Unknown column option {role!r}; use one of: {', '.join(ROLES)}.")
        if str(header) not in by_text:
            raise GeoplotsError(
                f"Column {header!r} (given for {role}) is not in the file. Columns seen: "
                + ", ".join(map(str, columns))
            )
        found[role] = by_text[str(header)]
    taken = set(map(str, found.values()))
    for match in (_key, _last_word, _first_word):
        for role, names in COLUMN_NAMES.items():
            if role in found or (match is _first_word and role not in _FIRST_WORD_ROLES):
                continue
            for name in names:
                hit = next((c for c in columns if str(c) not in taken and match(c) == name), None)
                if hit is not None:
                    found[role] = hit
                    taken.add(str(hit))
                    break
    # One of a pair alone is no use for placing; the pair falls back to a coordinates column.
    if ("lat" in found) != ("lon" in found) and "coords" in found:
        found.pop("lat", None)
        found.pop("lon", None)
    return {role: found[role] for role in ROLES if role in found}


#: Kobo/ODK time columns that date a record whose own date is blank, in order of trust.
_FORM_TIMES = ("today", "start", "starttime", "end", "endtime")


def fallback_dates(columns: Sequence[object], date: object, submitted: object | None) -> list[object]:
    """Columns to fill a blank record date from: the form's ``today``/``start``/``end`` (the
    officer's phone), then the server's submission time; never ``date`` itself.

    Examples
    --------
    >>> fallback_dates(["end", "today", "start", "_submission_time"], "today", "_submission_time")
    ['start', 'end', '_submission_time']
    """
    keyed = {_key(c): c for c in columns}
    found = [keyed[k] for k in _FORM_TIMES if k in keyed] + ([submitted] if submitted is not None else [])
    return [c for c in found if str(c) != str(date)]


def coordinate_help(columns: Iterable[object]) -> str:
    """The message for a file with no coordinate columns: what was seen, what is accepted."""
    seen = ", ".join(map(str, columns)) or "(none)"
    return (
        "No coordinate columns found. Columns seen: "
        f"{seen}. Latitude names accepted: {', '.join(COLUMN_NAMES['lat'][:8])}; longitude: "
        f"{', '.join(COLUMN_NAMES['lon'][:8])}; or one column with both: "
        f"{', '.join(COLUMN_NAMES['coords'][:6])}. Name your columns with --lat/--lon (or --coords), "
        "e.g. geoplots check FILE --lat 'พิกัด Y' --lon 'พิกัด X'."
    )
