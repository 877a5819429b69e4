"""The colours of every geoplots map, in one place (สีของแผนที่).

Met / not met and the KPI tiers use an orange-to-blue scheme (ColorBrewer PuOr's
ends), which people with red-green colour blindness (deuteranopia, protanopia) tell
apart, and which stays distinct in greyscale print: dark orange for "not yet", blue
for "done". Nothing on a map is red/green. Outlines and clusters are neutral greys
and navy, so that no colour but the coverage reads as good or bad.

Examples
--------
>>> from geoplots.layers.palette import MET_COLOR, NOT_MET_COLOR
>>> MET_COLOR != NOT_MET_COLOR
True
"""

from __future__ import annotations

#: A unit that meets its target (ถึงเป้า): blue.
MET_COLOR = "#2166ac"
#: A unit that misses it (ยังไม่ถึงเป้า): orange.
NOT_MET_COLOR = "#e08214"
#: Light tint of "not met" for shading rows of a report (ยังไม่ผ่าน): PuOr's light orange.
NOT_MET_FILL = "#fee0b6"
#: No data for the unit (ไม่มีข้อมูล): neutral grey, unlike "failed".
NO_DATA_COLOR = "#bdbdbd"
#: The gap outline drawn over units that miss their target: dark orange.
GAP_COLOR = "#b35806"

#: Household-participation tiers (ระดับ), lowest first: dark orange, light orange, light blue, dark blue.
TIER_COLORS: dict[str, str] = {
    "not_passed": "#b35806",
    "passed": "#fdb863",
    "commendation": "#92c5de",
    "plaque": "#2166ac",
}

#: Outlines: sub-units grey, provinces dark grey, inspection zones navy.
OUTLINE_COLOR = "#555555"
PROVINCE_OUTLINE_COLOR = "#333333"
ZONE_OUTLINE_COLOR = "#253494"

#: Pin fill by how the record was located (``match``): blue-grey, amber, purple; grey unlocated.
MATCH_COLORS: dict[str, str] = {"inside": "#4d6a8a", "nearest": "#e6a100", "address": "#7b3294"}
UNLOCATED_COLOR = "#636363"
#: The ring of a pin whose typed address names another sub-district.
MISMATCH_COLOR = "#000000"

#: The map's background (พื้นหลัง): pale sea, light neutral land of the neighbours, their borders.
SEA_COLOR = "#dce9f2"
LAND_COLOR = "#efede8"
LAND_BORDER_COLOR = "#c8c4bb"

#: Marker-cluster bubbles: neutral slate greys (Leaflet.markercluster's default
#: green/yellow/orange would read as a score), small to large.
CLUSTER_COLORS: tuple[str, str, str] = ("#9aa7b4", "#74879a", "#4f6378")
