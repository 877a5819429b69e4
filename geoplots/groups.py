"""Grouping schemes: provinces (or other units) grouped into zones, regions, areas.

The default scheme is the inspection zones (เขตตรวจราชการ) 1-18, with Bangkok as
``central``. Any other scheme a user has (regions, the department's study-centre
areas) is a CSV of ``code,group`` and is used in exactly the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import pandas as pd

from geoplots.errors import GeoplotsError
from geoplots.levels import CODE_LENGTH, LEVELS, Level

INSPECTION_ZONE = "inspection_zone"


@dataclass(frozen=True)
class GroupingScheme:
    """A named mapping from unit codes of one level to group labels.

    Attributes
    ----------
    name : str
        Column name the scheme adds to located records, e.g. ``inspection_zone``.
    level : str
        Level of the codes it maps (a province scheme applies to every unit inside).
    mapping : dict
        ``{code: group}``.
    """

    name: str
    level: Level
    mapping: dict[str, str]

    def __hash__(self) -> int:
        # By content, like equality: equal schemes share cached tables (locate).
        return hash((self.name, self.level, frozenset(self.mapping.items())))

    def group_of(self, codes: pd.Series) -> pd.Series:
        """Return the group of each code at this scheme's level or below (by code prefix).

        Examples
        --------
        >>> zones = inspection_zones()
        >>> zones.group_of(pd.Series(["400101"])).tolist()
        ['12']
        """
        prefix = codes.astype("string").str[: CODE_LENGTH[self.level]]
        return prefix.map(self.mapping).astype("string")

    def groups(self) -> list[str]:
        """Return the group labels in natural order (numbers first, numerically)."""
        labels = set(self.mapping.values())
        return sorted(labels, key=lambda g: (0, int(g), "") if g.isdigit() else (1, 0, g))

    def codes_in(self, group: str) -> list[str]:
        """Return the codes assigned to ``group``."""
        return sorted(code for code, g in self.mapping.items() if g == str(group))


def load_scheme(path: str | os.PathLike[str], name: str | None = None) -> GroupingScheme:
    """Load a grouping scheme from a CSV with columns ``code`` and ``group``.

    The level is read from the code length (2 digits province, 4 district, 6
    sub-district). Every code must be in exactly one group.

    Parameters
    ----------
    path : path
        CSV file, UTF-8 (with or without BOM).
    name : str, optional
        Column name for the scheme; defaults to the file name without extension.

    Examples
    --------
    >>> scheme = load_scheme("regions.csv")  # doctest: +SKIP
    """
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise GeoplotsError(f"Grouping file not found: {path}") from exc
    return _scheme_from_table(table, name or path.stem, str(path))


def _scheme_from_table(table: pd.DataFrame, name: str, where: str) -> GroupingScheme:
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in ("code", "group") if c not in table.columns]
    if missing:
        raise GeoplotsError(
            f"{where}: the grouping file needs columns 'code' and 'group'; missing "
            f"{', '.join(missing)}. Found: {', '.join(table.columns)}."
        )
    table = table.assign(code=table["code"].str.strip(), group=table["group"].str.strip())
    empty = table[table["code"].isna() | table["group"].isna() | (table["group"] == "")]
    if len(empty):
        rows = ", ".join(str(i + 2) for i in empty.index[:10])
        raise GeoplotsError(f"{where}: row(s) {rows} have an empty code or group. Fill them in.")
    lengths = set(table["code"].str.len())
    level = next((lvl for lvl in LEVELS if {CODE_LENGTH[lvl]} == lengths), None)
    if level is None:
        raise GeoplotsError(
            f"{where}: codes must all be province (2 digits), district (4) or sub-district (6) "
            f"codes; found lengths {sorted(lengths)}."
        )
    dup = table[table["code"].duplicated(keep=False)]
    if len(dup):
        raise GeoplotsError(
            f"{where}: code(s) {', '.join(sorted(set(dup['code']))[:10])} are in more than one "
            "row. Each unit must be in exactly one group."
        )
    return GroupingScheme(name=name, level=level, mapping=dict(zip(table["code"], table["group"])))


def inspection_zones() -> GroupingScheme:
    """Return the inspection zones (เขตตรวจราชการ) of the 77 provinces.

    Examples
    --------
    >>> inspection_zones().mapping["40"]
    '12'
    """
    text = files("geoplots").joinpath("data/inspection_zones.csv")
    with text.open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh, dtype=str)
    return _scheme_from_table(table, INSPECTION_ZONE, "inspection_zones.csv")


def resolve_scheme(scheme: str | os.PathLike[str] | GroupingScheme | None) -> GroupingScheme | None:
    """Accept a scheme object, ``"inspection_zone"``, a CSV path, or None."""
    if scheme is None or isinstance(scheme, GroupingScheme):
        return scheme
    if scheme in (INSPECTION_ZONE, "zone", "inspection_zones"):
        return inspection_zones()
    return load_scheme(scheme)
