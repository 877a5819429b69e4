"""The map's title box (ชื่อแผนที่), neutral cluster colours and label styles."""

from __future__ import annotations

import datetime as dt

from branca.element import MacroElement

from geoplots.layers._templates import template
from geoplots.layers.palette import CLUSTER_COLORS, GAP_COLOR

_THAI_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


def thai_date(day: dt.date) -> str:
    """Return a date in the Thai form, Buddhist era (พ.ศ.).

    Examples
    --------
    >>> thai_date(dt.date(2026, 11, 23))
    '23 พ.ย. 2569'
    """
    return f"{day.day} {_THAI_MONTHS[day.month - 1]} {day.year + 543}"


class MapTitle(MacroElement):
    """A title (and subtitle) box at the top left of the map, with the map's shared styles.

    Also styles marker clusters in neutral greys (:data:`geoplots.layers.palette.CLUSTER_COLORS`)
    and the permanent labels of gap units. The text is set as text, never as HTML.

    Examples
    --------
    >>> MapTitle("เขตตรวจราชการที่ 12", "ข้อมูล ณ 23 พ.ย. 2569").add_to(m)  # doctest: +SKIP
    """

    _template = template("map_title.html")

    def __init__(self, title: str, subtitle: str | None = None):
        super().__init__()
        self._name = "MapTitle"
        self.title = title
        self.subtitle = subtitle
        self.clusters = CLUSTER_COLORS
        self.label_border = GAP_COLOR
