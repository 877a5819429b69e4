"""Compare imported boundary codes with the DOPA registry that ships in ``geothai``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import geothai

from geoplots.levels import Level


def registry_codes(level: Level) -> dict[str, tuple[str, str]]:
    """Return ``{code: (name_th, name_en)}`` for every current DOPA unit at ``level``.

    Examples
    --------
    >>> registry_codes("province")["40"]
    ('ขอนแก่น', 'Khon Kaen')
    """
    provinces = geothai.provinces()
    units: Iterable[geothai.Province | geothai.District | geothai.Subdistrict]
    if level == "province":
        units = provinces
    else:
        districts = [d for p in provinces for d in geothai.districts(p.code)]
        units = districts if level == "district" else [
            s for d in districts for s in geothai.subdistricts(d.code)
        ]
    return {u.code: (u.name_th, u.name_en) for u in units}


@dataclass
class RegistryDiff:
    """Codes present on only one side of boundaries vs. registry."""

    level: str
    registry_version: str
    boundary_count: int
    registry_count: int
    only_in_boundaries: list[dict[str, str]] = field(default_factory=list)
    only_in_registry: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def compare_with_registry(level: Level, codes: Iterable[str], names: dict[str, str]) -> RegistryDiff:
    """List the codes that the boundaries and the registry do not share.

    Parameters
    ----------
    level : {"province", "district", "subdistrict"}
    codes : iterable of str
        DOPA codes present in the boundary file.
    names : dict
        Thai name of each boundary code, reported for codes the registry lacks.
    """
    registry = registry_codes(level)
    present = set(codes)
    only_b = sorted(present - registry.keys())
    only_r = sorted(registry.keys() - present)
    return RegistryDiff(
        level=level,
        registry_version=str(geothai.DATA_VERSION),
        boundary_count=len(present),
        registry_count=len(registry),
        only_in_boundaries=[{"code": c, "name_th": names.get(c, "")} for c in only_b],
        only_in_registry=[
            {"code": c, "name_th": registry[c][0], "name_en": registry[c][1]} for c in only_r
        ],
    )
