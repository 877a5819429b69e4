"""Addresses typed as names or codes -> DOPA codes, through geothai (the DOPA registry).

A name that fits several places, or none, is never guessed: the row keeps only the
codes every candidate shares (e.g. the province) and gets an ``address_ambiguous`` or
``address_unknown`` warning listing the candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import geothai

from geoplots.readers._text import clean_text
from geoplots.records import RowWarning

#: Candidates listed in an ``address_ambiguous`` warning.
MAX_CANDIDATES = 5

_MARKERS = re.compile(
    r"(?P<sub>ตำบล|แขวง|ต\.)|(?P<dist>อำเภอ|เขต|อ\.)|(?P<prov>จังหวัด|จ\.)|(?P<bkk>กรุงเทพมหานคร|กรุงเทพฯ?|กทม\.?)"
)


@dataclass(frozen=True)
class Resolved:
    """Codes found for one address, and the warnings (``address_unknown``/``address_ambiguous``)."""

    subdistrict: str | None = None
    district: str | None = None
    province: str | None = None
    warnings: tuple[RowWarning, ...] = field(default=())


def split_address(text: str) -> dict[str, str]:
    """Split ``"ต.ในเมือง อ.เมืองขอนแก่น จ.ขอนแก่น"`` into sub-district, district, province.

    Examples
    --------
    >>> split_address("แขวงลุมพินี เขตปทุมวัน กทม.")
    {'subdistrict': 'ลุมพินี', 'district': 'ปทุมวัน', 'province': 'กรุงเทพมหานคร'}
    """
    parts: dict[str, str] = {}
    postal = re.search(r"(?<!\d)\d{5}(?!\d)", text)
    if postal:
        parts["postal_code"] = postal.group()
        text = text[: postal.start()] + " " + text[postal.end():]
    marks = list(_MARKERS.finditer(text))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        value = text[m.end():end].strip(" ,")
        if m.group("bkk"):
            parts.setdefault("province", "กรุงเทพมหานคร")
            continue
        key = "subdistrict" if m.group("sub") else "district" if m.group("dist") else "province"
        if value:
            parts.setdefault(key, value.split(" ")[0])
    return parts


def _province_name(name: str) -> str:
    """Bangkok's short forms (กทม., กรุงเทพฯ) as its registry name; others unchanged."""
    m = _MARKERS.fullmatch(name.strip())
    return "กรุงเทพมหานคร" if m and m.group("bkk") else name


def _common(codes: list[str], length: int) -> str | None:
    prefixes = {c[:length] for c in codes}
    return prefixes.pop() if len(prefixes) == 1 else None


def _label(a: geothai.Address) -> str:
    return f"{a.subdistrict.code} {a.subdistrict.name_th}/{a.district.name_th}/{a.province.name_th}"


def _provinces(name: str) -> list:
    key = geothai.normalize(name)
    return [p for p in geothai.provinces() if key and geothai.is_province(p, key)]


def _districts(name: str, provinces: list) -> list:
    key = geothai.normalize(name)
    if not key:
        return []
    pool = provinces or geothai.provinces()
    return [d for p in pool for d in geothai.districts(p.code) if geothai.is_district(d, key)]


def _by_code(code: str) -> Resolved:
    if len(code) == 8:  # village code (รหัสหมู่บ้าน): its first six digits are the sub-district
        code = code[:6]
    if len(code) == 6 and geothai.subdistrict(code):
        return Resolved(code, code[:4], code[:2])
    if len(code) == 4 and geothai.district(code):
        return Resolved(None, code, code[:2])
    if len(code) == 2 and geothai.province(code):
        return Resolved(None, None, code)
    return Resolved(
        warnings=(RowWarning("address_unknown", f"code {code!r} is not a current DOPA province, district or sub-district code"),)
    )


@lru_cache(maxsize=65536)
def resolve_address(
    subdistrict: str = "", district: str = "", province: str = "", code: str = "", full: str = ""
) -> Resolved:
    """Resolve one address to DOPA codes.

    Parameters
    ----------
    subdistrict, district, province : str
        Names as typed (ตำบล/แขวง, อำเภอ/เขต, จังหวัด), with or without ``ต.``/``อ.``/``จ.``.
    code : str
        A DOPA code typed in a code column (2, 4, 6 digits, or an 8-digit village code);
        when it is valid it wins over the names.
    full : str
        A whole address in one cell, split by :func:`split_address` to fill names not given.

    Examples
    --------
    >>> resolve_address("ในเมือง", "เมืองขอนแก่น", "ขอนแก่น").subdistrict
    '400101'
    >>> r = resolve_address("ในเมือง", province="ขอนแก่น")
    >>> r.subdistrict, r.province, r.warnings[0].code
    (None, '40', 'address_ambiguous')
    """
    code = clean_text(code)[0].replace(" ", "") if code else ""
    if code:
        if code.isdigit():
            by_code = _by_code(code)
            if not by_code.warnings:
                return by_code
            if not (subdistrict or district or province or full):
                return by_code
        elif not (subdistrict or district or province or full):
            return Resolved(warnings=(RowWarning("address_unknown", f"code {code!r} is not a DOPA code"),))
    if full:
        parts = split_address(clean_text(full)[0])
        subdistrict = subdistrict or parts.get("subdistrict", "")
        district = district or parts.get("district", "")
        province = province or parts.get("province", "")
        postal_code = parts.get("postal_code")
    else:
        postal_code = None
    subdistrict, district, province = (clean_text(x)[0] if x else "" for x in (subdistrict, district, province))
    province = _province_name(province)
    typed = " / ".join(x for x in (subdistrict, district, province) if x)
    if not typed:
        return Resolved()
    if subdistrict:
        found = geothai.match(subdistrict, district=district or None, province=province or None)
        if len(found) > 1 and postal_code:
            found = [a for a in found if postal_code in a.subdistrict.postal_codes] or found
        if len(found) == 1:
            return Resolved(found[0].subdistrict.code, found[0].district.code, found[0].province.code)
        if found:
            codes = [a.subdistrict.code for a in found]
            listed = ", ".join(_label(a) for a in found[:MAX_CANDIDATES])
            more = f" and {len(found) - MAX_CANDIDATES} more" if len(found) > MAX_CANDIDATES else ""
            return Resolved(
                None,
                _common(codes, 4),
                _common(codes, 2),
                (RowWarning("address_ambiguous", f"{typed!r} fits {len(found)} sub-districts: {listed}{more}; "
                            "add the district or province"),),
            )
    provs = _provinces(province) if province else []
    dists = _districts(district, provs) if district else []
    if district and len(dists) == 1:
        d = dists[0]
        warn = (RowWarning("address_unknown", f"sub-district {subdistrict!r} not found in {d.name_th}"),) if subdistrict else ()
        return Resolved(None, d.code, d.province_code, warn)
    if district and len(dists) > 1:
        listed = ", ".join(f"{d.code} {d.name_th}" for d in dists[:MAX_CANDIDATES])
        prov = _common([d.code for d in dists], 2)
        ambiguous = RowWarning("address_ambiguous", f"district {district!r} fits {len(dists)} districts: {listed}")
        return Resolved(None, None, prov, (ambiguous,))
    if province and len(provs) == 1:
        what = "sub-district" if subdistrict else "district" if district else None
        warn = (RowWarning("address_unknown", f"{what} {subdistrict or district!r} not found in {provs[0].name_th}"),) if what else ()
        return Resolved(None, None, provs[0].code, warn)
    return Resolved(warnings=(RowWarning("address_unknown", f"{typed!r} matches no current DOPA sub-district, district or province"),))
