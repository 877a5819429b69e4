"""Inputs for the map tests, built from the real boundaries without geoplots.coverage.

The coverage contract (one row per unit, ``count``, ``met``; for households also
``households``, ``participating``, ``rate``, ``tier``) is computed here with plain
pandas, so the layers are tested on exactly the columns they are promised.
"""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd

import geoplots
from geoplots.levels import CODE_LENGTH

ZONE12 = ["40", "44", "45", "46"]  # Khon Kaen, Maha Sarakham, Roi Et, Kalasin


def count_units(
    level: str, subdistrict_codes: pd.Series, min_count: int = 1, provinces=None, *, boundaries
) -> gpd.GeoDataFrame:
    """One row per unit of ``level`` of ``boundaries`` with the number of records and met/not met."""
    units = boundaries.level(level)
    if provinces is not None:
        units = units[units["code"].str[:2].isin(provinces)]
    counts = subdistrict_codes.astype(str).str[: CODE_LENGTH[level]].value_counts()
    units = units.assign(count=units["code"].map(counts).fillna(0).astype(int))
    units["met"] = units["count"] >= min_count
    units["inspection_zone"] = geoplots.inspection_zones().group_of(units["code"]).astype(object)
    return units.reset_index(drop=True)


def household_units(level: str, provinces=None, seed: int = 0, *, boundaries) -> gpd.GeoDataFrame:
    """Household participation per unit of ``boundaries`` with tiers at 70/80/90 %."""
    units = boundaries.level(level)
    if provinces is not None:
        units = units[units["code"].str[:2].isin(provinces)].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    households = rng.integers(20, 60, len(units))
    participating = np.minimum(households, rng.binomial(households, rng.uniform(0.55, 1.0, len(units))))
    rate = participating / households
    tier = np.select([rate >= 0.9, rate >= 0.8, rate >= 0.7], ["plaque", "commendation", "passed"], "not_passed")
    return units.assign(households=households, participating=participating, rate=rate, tier=tier,
                        count=participating, met=rate >= 0.7)


def embedded_data(html: str) -> list[dict]:
    """The packed data of every polygon layer in a rendered page, as dicts."""
    out = []
    for m in re.finditer(r"unpack\((\{\"scale\".*?\})\)", html):
        out.append(json.loads(m.group(1)))
    return out


def unpack(packed: dict) -> list[list[list[list[tuple[float, float]]]]]:
    """Independent Python decoder of the packed deltas (what the page's script does)."""
    scale = packed["scale"]
    geoms = []
    for polys in packed["geoms"]:
        out_polys = []
        for rings in polys:
            out_rings = []
            for r in rings:
                xs = np.cumsum(r[0::2]) / scale
                ys = np.cumsum(r[1::2]) / scale
                out_rings.append(list(zip(xs.tolist(), ys.tolist())))
            out_polys.append(out_rings)
        geoms.append(out_polys)
    return geoms
