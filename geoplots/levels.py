"""The three administrative levels and how their codes nest.

DOPA codes nest by prefix: province (จังหวัด) ``40``, district (อำเภอ/เขต)
``4001``, sub-district (ตำบล/แขวง) ``400101``. A unit's parent is a prefix of its
own code, so every roll-up in geoplots is done on codes, never on a second
spatial join.
"""

from __future__ import annotations

from typing import Literal

from geoplots.errors import UnknownLevelError

Level = Literal["province", "district", "subdistrict"]

LEVELS: tuple[Level, ...] = ("province", "district", "subdistrict")

#: Number of digits in a DOPA code at each level.
CODE_LENGTH: dict[Level, int] = {"province": 2, "district": 4, "subdistrict": 6}

#: COD-AB administrative level number (ADM1..ADM3) of each level.
ADM_LEVEL: dict[Level, int] = {"province": 1, "district": 2, "subdistrict": 3}

#: Column holding a record's code at each level, after locate.
CODE_COLUMN: dict[Level, str] = {
    "province": "province_code",
    "district": "district_code",
    "subdistrict": "subdistrict_code",
}

THAI_NAME: dict[Level, str] = {"province": "จังหวัด", "district": "อำเภอ", "subdistrict": "ตำบล"}

_ALIASES: dict[str, Level] = {
    "province": "province",
    "provinces": "province",
    "changwat": "province",
    "adm1": "province",
    "จังหวัด": "province",
    "district": "district",
    "districts": "district",
    "amphoe": "district",
    "adm2": "district",
    "อำเภอ": "district",
    "เขต": "district",
    "subdistrict": "subdistrict",
    "subdistricts": "subdistrict",
    "sub-district": "subdistrict",
    "sub_district": "subdistrict",
    "tambon": "subdistrict",
    "adm3": "subdistrict",
    "ตำบล": "subdistrict",
    "แขวง": "subdistrict",
}


def parse_level(level: str) -> Level:
    """Return the canonical level name for what a user typed.

    Parameters
    ----------
    level : str
        ``province``, ``district`` or ``subdistrict``; Thai names (จังหวัด, อำเภอ,
        ตำบล) and ``adm1``..``adm3`` are accepted too.

    Raises
    ------
    UnknownLevelError
        For anything else, naming the accepted values.

    Examples
    --------
    >>> parse_level("ตำบล")
    'subdistrict'
    """
    key = str(level).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnknownLevelError(
        f"Unknown level {level!r}. Use one of: province (จังหวัด), district (อำเภอ), "
        "subdistrict (ตำบล)."
    )


def parent_code(code: str, level: Level) -> str:
    """Return the code of the unit at ``level`` that contains ``code``.

    Examples
    --------
    >>> parent_code("400101", "district")
    '4001'
    """
    return code[: CODE_LENGTH[level]]
