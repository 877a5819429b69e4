"""How the war room names zones, areas and targets, in Thai with English (ชื่อที่แสดง).

One place for the labels the war-room page and ``/api/coverage`` show, so that a wall
screen and a developer's JSON read the same: inspection zones are
``เขตตรวจราชการที่ 12 / Inspection zone 12`` and the Bangkok group (``central`` in the
scheme) is ``กรุงเทพมหานคร / Bangkok``, never a mix such as "เขต central".

Examples
--------
>>> zone_label("12")
('เขตตรวจราชการที่ 12', 'Inspection zone 12')
>>> zone_label("central")
('กรุงเทพมหานคร', 'Bangkok')
"""

from __future__ import annotations

from typing import Any

from geoplots.levels import THAI_NAME

#: The scheme's Bangkok group: a name of its own, not a zone number.
BANGKOK_GROUP = "central"

#: English name of each level in a title ("at least 1 per district").
_LEVEL_EN = {"province": "province", "district": "district", "subdistrict": "sub-district"}
#: What each kind of record is called in a plain-coverage title.
_KIND_LABEL = {
    "pins": ("หมุดที่รายงาน", "Reported pins"),
    "plots": ("แปลงที่รายงาน", "Reported plots"),
    "households": ("ครัวเรือนที่รายงาน", "Reported households"),
}


def zone_label(zone: str | None) -> tuple[str, str]:
    """Thai and English name of an inspection zone (เขตตรวจราชการ); None is the whole country."""
    if zone is None or zone == "":
        return "ทั้งประเทศ", "Whole country"
    if zone == BANGKOK_GROUP:
        return "กรุงเทพมหานคร", "Bangkok"
    return f"เขตตรวจราชการที่ {zone}", f"Inspection zone {zone}"


def plain_target_label(kind: str, level: str, min_count: int) -> tuple[str, str]:
    """Thai and English title of plain coverage: ``min_count`` records of ``kind`` per unit.

    Examples
    --------
    >>> plain_target_label("pins", "district", 1)
    ('หมุดที่รายงาน อย่างน้อยอำเภอละ 1', 'Reported pins: at least 1 per district')
    """
    th, en = _KIND_LABEL.get(kind, (kind, kind))
    unit_th = THAI_NAME.get(level, level)  # type: ignore[call-overload]
    return f"{th} อย่างน้อย{unit_th}ละ {min_count}", f"{en}: at least {min_count} per {_LEVEL_EN.get(level, level)}"


def province_names(boundaries: Any) -> dict[str, tuple[str, str]]:
    """Province code -> (Thai name, English name), from the boundary snapshot."""
    provinces = boundaries.level("province")
    return {str(c): (str(th), str(en)) for c, th, en in zip(provinces["code"], provinces["name_th"],
                                                            provinces["name_en"])}
