"""Addresses typed as names or codes -> DOPA codes, through geothai (the DOPA registry).

A name that fits several places, or none, is never guessed: the row keeps only the
codes every candidate shares (e.g. the province) and gets an ``address_ambiguous`` or
``address_unknown`` warning listing the candidates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar

import geothai

from geoplots.readers._text import clean_text
from geoplots.records import RowWarning

#: Candidates listed in an ``address_ambiguous`` warning.
MAX_CANDIDATES = 5

_MARKERS = re.compile(
    r"(?P<sub>ตำบล|แขวง|ต\.)|(?P<dist>กิ่งอำเภอ|กิ่ง\s*อ\.|อำเภอ|เขต|อ\.)|(?P<prov>จังหวัด|จ\.)|(?P<bkk>กรุงเทพมหานคร|กรุงเทพฯ?|กทม\.?)"
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


#: หมู่ (village number) as typed in an address or village cell: ``ม.5``, ``ม. 5``, ``หมู่ 5``,
#: ``หมู่ที่ ๕`` (Thai digits are made Arabic first), ``Moo 5``.
_MOO = re.compile(r"(?:หมู่\s*ที่|หมู่|ม\s*\.|\bmoo\b\.?|\bm\.)\s*(\d{1,2})(?!\d)", re.IGNORECASE)
#: A cell holding only the number (a หมู่ column): ``5``, ``05``, ``5.0`` from Excel.
_MOO_ONLY = re.compile(r"(\d{1,2})(?:\.0+)?")


def parse_moo(value: object, *, bare: bool = False) -> int | None:
    """The หมู่ (village number, 1-99) in a cell, or None.

    Parameters
    ----------
    value : object
        The cell: an address, a village name (``บ้านโนนสูง ม.5``) or a หมู่ column.
    bare : bool
        Accept a cell that is only a number (a column named หมู่/moo); otherwise the
        number must follow ``ม.``, ``หมู่`` or ``หมู่ที่``, so a house number is never read.

    Examples
    --------
    >>> [parse_moo(v) for v in ("ม.5", "บ้านโนนสูง หมู่ที่ ๑๒", "12 หมู่ 3 ต.ในเมือง", "ม. 7", "บ้านเลขที่ 5")]
    [5, 12, 3, 7, None]
    >>> parse_moo("05", bare=True), parse_moo(5.0, bare=True), parse_moo("0", bare=True)
    (5, 5, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    text = clean_text(int(value) if isinstance(value, float) else value)[0]
    found = _MOO_ONLY.fullmatch(text) if bare else None
    found = found or _MOO.search(text)
    moo = int(found.group(1)) if found else 0
    return moo if 1 <= moo <= 99 else None


def village_code_of(value: object) -> str | None:
    """An 8-digit village code (รหัสหมู่บ้าน: sub-district code + 2-digit หมู่) in a cell, or None.

    Examples
    --------
    >>> village_code_of("40010105"), village_code_of(40010105.0), village_code_of("400101")
    ('40010105', '40010105', None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    text = clean_text(value)[0].replace(" ", "").replace("-", "")
    return text if len(text) == 8 and text.isdigit() and text[6:] != "00" else None


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


#: Province nicknames and initials people type (not in the registry): name -> DOPA code.
#: Short forms ending in ฯ (นครศรีฯ) and with a dotted first syllable (ส.แก้ว) are
#: derived from the registry instead (:func:`province_codes`).
PROVINCE_NICKNAMES = {
    "โคราช": "30", "กทม": "10", "กรุงเทพ": "10", "บางกอก": "10", "อยุธยา": "14", "กรุงเก่า": "14",
    "ชม": "50", "ชร": "57", "ขก": "40", "นม": "30", "อบ": "34", "อด": "41", "สข": "90", "ภก": "83",
    "นศ": "80", "สฎ": "84", "พล": "65", "นว": "60", "กจ": "71", "ปจ": "25", "บุรีรัมย์": "31",
    "อุบล": "34", "อุดร": "41", "สุราษฎร์": "84", "นครศรี": "80", "หาดใหญ่": "90", "โคราชฯ": "30",
}
#: Provinces split from another after the boundaries people learnt (บึงกาฬ from หนองคาย, 2011):
#: a name declared under the old province is looked for in the new one too.
SPLIT_PROVINCES = {"43": ("38",)}
_ABBREV = re.compile(r"^(?P<head>[ก-ฮ])\.\s*(?P<tail>.+)$")
_KING = re.compile(r"^\s*(?:กิ่ง\s*อำเภอ|กิ่ง\s*อ\.|กิ่ง)\s*")


def _key(name: str) -> str:
    return geothai.normalize(_KING.sub("", name)).replace("ฯ", "")


def _alternates(name: str) -> list[str]:
    """A registry name and the alternates it gives in parentheses: ``ปอภาร (ปอพาน)``."""
    m = re.fullmatch(r"\s*(.+?)\s*\((.+)\)\s*", name)
    return [name, m.group(1), m.group(2)] if m else [name]


@lru_cache(maxsize=1)
def _subdistrict_index() -> dict[str, tuple]:
    """Normalized sub-district name (each alternate too) -> registry sub-districts."""
    index: dict[str, list] = {}
    for p in geothai.provinces():
        for d in geothai.districts(p.code):
            for s in geothai.subdistricts(d.code):
                for name in {*(_alternates(s.name_th)), s.name_en}:
                    index.setdefault(_key(name), []).append(s)
    return {k: tuple(v) for k, v in index.items()}


_V = TypeVar("_V")


def _province(code: str) -> geothai.Province:
    """The registry province of a code the registry itself gave."""
    p = geothai.province(code)
    assert p is not None, code
    return p


def _district(code: str) -> geothai.District:
    """The registry district of a code the registry itself gave."""
    d = geothai.district(code)
    assert d is not None, code
    return d


def _address(subdistrict_code: str) -> geothai.Address:
    """The registry address of a sub-district code the registry itself gave."""
    a = geothai.address(subdistrict_code)
    assert a is not None, subdistrict_code
    return a


def _by_prefix(key: str, names: Mapping[str, _V]) -> list[_V]:
    """Entries whose name starts with ``key``: a short form (นครศรีฯ) or a name cut short
    (COD-AB's ``ป้อมปราบศัตรูพ่า``); only from 3 letters, and callers use it only when it
    leaves one place.
    """
    if len(key) < 3:
        return []
    return [v for k, v in names.items() if k.startswith(key)]


def province_codes(name: str) -> tuple[set[str], bool]:
    """DOPA codes a typed province name fits, and whether a short form was read.

    Examples
    --------
    >>> [province_codes(n)[0] for n in ("ขอนแก่น", "โคราช", "นครศรีฯ", "ส.แก้ว", "กทม.")]
    [{'40'}, {'30'}, {'80'}, {'27'}, {'10'}]
    """
    key = _key(name)
    if not key:
        return set(), False
    exact = set(_provinces_named(key))
    if exact:
        return exact, False
    nick = PROVINCE_NICKNAMES.get(key) or PROVINCE_NICKNAMES.get(geothai.normalize(name).replace("ฯ", ""))
    if nick:
        return {nick}, True
    names = {geothai.normalize(p.name_th): p.code for p in geothai.provinces()}
    m = _ABBREV.match(clean_text(name)[0])
    if m:
        head, tail = m.group("head"), _key(m.group("tail"))
        found = {c for k, c in names.items() if k.startswith(head) and k.endswith(tail) and len(k) > len(tail)}
        return found, bool(found)
    found = set(_by_prefix(key, names)) if "ฯ" in name or len(key) >= 4 else set()
    return found, bool(found)


def district_codes(name: str, provinces: set[str]) -> tuple[set[str], bool]:
    """DOPA codes a typed district name fits (within ``provinces`` when given), and
    whether a short form (กิ่งอ., ฯ, a cut name) was read.
    """
    key = _key(name)
    if not key:
        return set(), False
    found, short = _districts_named(key, frozenset(provinces), bool(_KING.match(name)))
    return set(found), short


@lru_cache(maxsize=4096)
def _provinces_named(key: str) -> frozenset[str]:
    """Codes of the provinces ``geothai.is_province`` says ``key`` names: asked once per
    distinct name, not once per province per address (the registry normalises every name
    it compares, which made this the slowest step of reading a national file).
    """
    return frozenset(p.code for p in geothai.provinces() if geothai.is_province(p, key))


@lru_cache(maxsize=16384)
def _districts_named(key: str, provinces: frozenset[str], short: bool) -> tuple[frozenset[str], bool]:
    """:func:`district_codes` for one normalised name, cached (see :func:`_provinces_named`)."""
    pool = [d for p in (provinces or {p.code for p in geothai.provinces()}) for d in geothai.districts(p)]
    exact = frozenset(d.code for d in pool if geothai.is_district(d, key))
    if exact:
        return exact, short
    names: dict[str, list[str]] = {}
    for d in pool:
        names.setdefault(geothai.normalize(d.name_th), []).append(d.code)
    found = frozenset(c for codes in _by_prefix(key, names) for c in codes)
    return found, bool(found)


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
    provs, p_short = province_codes(province) if province else (set(), False)
    dists, d_short = district_codes(district, provs) if district else (set(), False)
    read_as: list[str] = []
    moved = {c for p in provs for c in SPLIT_PROVINCES.get(p, ())}
    if district and not dists and moved:
        dists, d_short = district_codes(district, moved)
        if dists:  # a district of บึงกาฬ still declared under หนองคาย
            provs = moved
            read_as.append(f"province now {_province(next(iter(moved))).name_th} (split since)")
    if not provs and dists:
        provs = {c[:2] for c in dists}
    read_as += [f"province {province!r}"] if p_short else []
    read_as += [f"district {district!r}"] if d_short else []
    if subdistrict:
        found, notes = _match_subdistrict(subdistrict, dists, provs, postal_code)
        if len(found) == 1:
            a = _address(found[0].code)
            warn = _read_as(read_as + notes, a)
            return Resolved(a.subdistrict.code, a.district.code, a.province.code, warn)
        if found:
            addresses = [_address(x.code) for x in found]
            codes = [a.subdistrict.code for a in addresses]
            listed = ", ".join(_label(a) for a in addresses[:MAX_CANDIDATES])
            more = f" and {len(found) - MAX_CANDIDATES} more" if len(found) > MAX_CANDIDATES else ""
            return Resolved(
                None,
                _common(codes, 4),
                _common(codes, 2),
                (RowWarning("address_ambiguous", f"{typed!r} fits {len(found)} sub-districts: {listed}{more}; "
                            "add the district or province"),),
            )
    if district and len(dists) == 1:
        d = _district(dists.pop())
        warn = (RowWarning("address_unknown", f"sub-district {subdistrict!r} not found in {d.name_th}"),) if subdistrict else ()
        return Resolved(None, d.code, d.province_code, warn + _read_as(read_as, None))
    if district and len(dists) > 1:
        listed = ", ".join(f"{c} {_district(c).name_th}" for c in sorted(dists)[:MAX_CANDIDATES])
        prov = _common(sorted(dists), 2)
        ambiguous = RowWarning("address_ambiguous", f"district {district!r} fits {len(dists)} districts: {listed}")
        return Resolved(None, None, prov, (ambiguous,))
    if province and len(provs) == 1:
        code = next(iter(provs))
        what = "sub-district" if subdistrict else "district" if district else None
        warn = (RowWarning("address_unknown", f"{what} {subdistrict or district!r} not found in "
                           f"{_province(code).name_th}"),) if what else ()
        return Resolved(None, None, code, warn + _read_as(read_as, None))
    return Resolved(warnings=(RowWarning("address_unknown", f"{typed!r} matches no current DOPA sub-district, district or province"),))


def _read_as(notes: list[str], a: geothai.Address | None) -> tuple[RowWarning, ...]:
    """The ``address_read_as`` warning saying what was read how, or nothing."""
    if not notes:
        return ()
    target = f" as {_label(a)}" if a is not None else ""
    return (RowWarning("address_read_as", "; ".join(notes) + target),)


def _match_subdistrict(name: str, dists: set[str], provs: set[str], postal: str | None) -> tuple[list, list[str]]:
    """Registry sub-districts the typed ``name`` fits within the declared district and
    province, and notes on what was read loosely.

    Loosely, in this order, and only when it leaves one place: a name cut short (either
    way) fitting one sub-district; a province split later (บึงกาฬ declared under หนองคาย);
    a district that is no longer the parent (split since) when the name is unique in the
    province.
    """
    notes: list[str] = []
    index = _subdistrict_index()
    cands = list(index.get(_key(name), ()))
    loose = not cands
    if loose:
        cands = list({s.code: s for group in _by_prefix(_key(name), index) for s in group}.values())
    in_p = [s for s in cands if not provs or s.province_code in provs]
    if provs and not in_p:
        moved = {c for p in provs for c in SPLIT_PROVINCES.get(p, ())}
        in_p = [s for s in cands if s.province_code in moved]
        if in_p:
            notes.append(f"province now {_province(in_p[0].province_code).name_th} (split since)")
    found = [s for s in in_p if not dists or s.district_code in dists]
    if dists and not found and provs and len(in_p) == 1:
        found = in_p
        notes.append(f"declared district is not its parent now ({_district(in_p[0].district_code).name_th})")
    if len(found) > 1 and postal:
        found = [s for s in found if postal in s.postal_codes] or found
    if loose:
        if len(found) != 1:
            return [], []  # a loose match is used only when it leaves one place
        notes.append(f"name {name!r} read as {found[0].name_th!r}")
    return found, notes
