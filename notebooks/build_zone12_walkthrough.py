"""Write ``zone12_walkthrough.ipynb`` (without outputs) from the cells below.

The notebook is kept as this script so a change is a readable diff; run it after
editing: ``python notebooks/build_zone12_walkthrough.py``. CI executes the notebook
(``tests/test_notebook.py``).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "zone12_walkthrough.ipynb"

CELLS = [
    new_markdown_cell(
        """# เขตตรวจราชการที่ 12: จากไฟล์พิกัดถึงแผนที่ / Inspection zone 12: from a pins file to a map

สมุดบันทึกนี้พาไปทีละขั้น: นำเข้าขอบเขตการปกครอง → อ่านและตรวจไฟล์ที่อำเภอส่งมา → หาตำบลของแต่ละหมุด →
นับความครอบคลุมรายอำเภอ → วาดแผนที่ที่เปิดได้โดยไม่ต้องใช้อินเทอร์เน็ต

This notebook walks through: import the boundaries → read and check a file as district
offices send it → locate each pin in its sub-district (ตำบล) → count coverage per district
(อำเภอ) → draw a map that works offline. Zone 12 is Khon Kaen, Maha Sarakham, Roi Et and
Kalasin (ขอนแก่น มหาสารคาม ร้อยเอ็ด กาฬสินธุ์)."""
    ),
    new_markdown_cell(
        """## 1. ขอบเขตการปกครอง / Boundaries

ใช้ข้อมูลที่นำเข้าแล้วใน `GEOPLOTS_DATA` ถ้ามี มิฉะนั้นนำเข้าไฟล์ COD-AB (OCHA, กรมแผนที่ทหาร) จากโฟลเดอร์ `shared`
ไปยังโฟลเดอร์ชั่วคราว แล้วเปิดเป็นวัตถุ `geoplots.Boundaries` ครั้งเดียว ส่งให้ทุกขั้นตอนด้วย `boundaries=`

Use the import in `GEOPLOTS_DATA` when there is one; otherwise import the COD-AB zips
(OCHA, Royal Thai Survey Department, CC BY-IGO) from the `shared` folder into a temporary
directory. Either way it is opened once as a `geoplots.Boundaries` and passed to every
step with `boundaries=`; `boundaries.level(name)` reads any level."""
    ),
    new_code_cell(
        """import tempfile
from pathlib import Path

import pandas as pd

import geoplots
from geoplots.errors import NoBoundariesError


def _shared_zips():
    # The shared folder sits beside the repository (../shared from the repository root).
    for folder in [Path.cwd(), *Path.cwd().parents]:
        zips = sorted((folder / "shared" / "boundaries" / "cod-ab-tha").glob("*.zip"))
        if zips:
            return zips
    raise FileNotFoundError("No shared/boundaries/cod-ab-tha/*.zip above this folder; set GEOPLOTS_DATA.")


try:
    boundaries = geoplots.Boundaries.load()  # GEOPLOTS_DATA, else data/boundaries
except NoBoundariesError:
    data_dir = Path(tempfile.mkdtemp(prefix="geoplots-boundaries-"))
    geoplots.import_boundaries(_shared_zips(), dest=data_dir)
    boundaries = geoplots.Boundaries.load(data_dir)

zone12 = boundaries.zones.codes_in("12")
provinces = boundaries.level("province")
provinces[provinces["code"].isin(zone12)][["code", "name_th", "name_en"]]"""
    ),
    new_markdown_cell(
        """## 2. ไฟล์ที่อำเภอส่งมา / A file as district offices send it

สร้างหมุดหมู่บ้านโก่งธนูโมเดลสมมุติ (`geoplots.synthetic`) ในเขต 12 แล้วเขียนเป็น CSV แบบที่เจ้าหน้าที่พิมพ์จริง:
หัวตารางภาษาไทย พิกัดแบบองศา-ลิปดา-ฟิลิปดา ตัวเลขไทย แถวที่ไม่มีพิกัด และรหัสซ้ำ

Synthetic model-village pins (โก่งธนูโมเดล) sampled inside real sub-districts of zone 12,
written as a CSV the way staff type it: Thai headers, degrees-minutes-seconds from a GPS,
Thai digits, a row without coordinates and a repeated ID. The declared sub-district code
(รหัสตำบล) is wrong for a few villages, as in real files."""
    ),
    new_code_cell(
        """from geoplots.synthetic import model_villages

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def dms(value, positive):
    d = int(value)
    m = int((value - d) * 60)
    return f"{d}°{m}'{(value - d - m / 60) * 3600:.2f}\\"{positive}"


villages = model_villages(["12"], share=0.85, mismatch=0.05, seed=12, boundaries=boundaries)
rows = []
for i, v in enumerate(villages.itertuples()):
    lat, lon = f"{v.lat:.6f}", f"{v.lon:.6f}"
    if i % 5 == 1:
        lat, lon = dms(v.lat, "N"), dms(v.lon, "E")
    elif i % 5 == 2:
        lat, lon = lat.translate(THAI_DIGITS), lon.translate(THAI_DIGITS)
    rows.append({"รหัส": v.record_id, "ชื่อหมู่บ้าน": v.village_name, "รหัสตำบล": v.declared_subdistrict_code,
                 "ละติจูด": lat, "ลองจิจูด": lon})
rows.append({"รหัส": "MV-X1", "ชื่อหมู่บ้าน": "บ้านไม่มีพิกัด", "รหัสตำบล": "", "ละติจูด": "", "ลองจิจูด": ""})
rows.append(dict(rows[0], **{"ชื่อหมู่บ้าน": "ส่งซ้ำ"}))

work = Path(tempfile.mkdtemp(prefix="zone12-"))
messy_csv = work / "zone12_model_villages.csv"
pd.DataFrame(rows).to_csv(messy_csv, index=False, encoding="utf-8-sig")
pd.read_csv(messy_csv, dtype=str).iloc[:4]"""
    ),
    new_markdown_cell(
        """## 3. อ่านและตรวจ / Read and check

`geoplots.read_records` อ่านพิกัดทุกรูปแบบ และทุกแถวต้องมีที่ไป: ผ่าน (`accepted`) หรือถูกปฏิเสธพร้อมเหตุผล (`rejects`)

`geoplots.read_records` reads every coordinate form; every row ends up either accepted
or rejected with a reason in Thai and English (rows read = accepted + rejected)."""
    ),
    new_code_cell(
        """records = geoplots.read_records(messy_csv, boundaries=boundaries)
print(records.summary())
records.rejects[["row", "reason", "message"]]"""
    ),
    new_markdown_cell(
        """## 4. หาตำบล อำเภอ จังหวัด / Locate

`geoplots.locate` ใส่รหัสตำบล อำเภอ จังหวัด และเขตตรวจราชการให้ทุกหมุด และบอกว่าตำบลที่กรอกมาตรงกับตำแหน่งหรือไม่
(`address_mismatch`)

`geoplots.locate` adds the sub-district, district, province and inspection-zone codes to
every pin, says how it was placed (`match`) and flags pins whose declared sub-district
differs from where the pin is (`address_mismatch`): those are the ones to check."""
    ),
    new_code_cell(
        """located = geoplots.locate(records, boundaries=boundaries)
print(located.accepted["match"].value_counts().to_dict())
located.accepted.loc[located.accepted["address_mismatch"].fillna(False).astype(bool),
                     ["row", "record_id", "ชื่อหมู่บ้าน", "declared_subdistrict_code", "subdistrict_code"]]"""
    ),
    new_markdown_cell(
        """## 5. ความครอบคลุม / Coverage

นับหมุดรายอำเภอในเขต 12 (ทุกอำเภอ รวมอำเภอที่ยังไม่มี) และใช้เกณฑ์ "หมู่บ้านโก่งธนูโมเดล อย่างน้อยอำเภอละ 1 หมู่บ้าน"

Count pins per district of zone 12 (every district, also those with none), then apply the
model-village rule: at least one per district. The districts left over are the gaps."""
    ),
    new_code_cell(
        """cov = geoplots.coverage(located, level="district", by="inspection_zone", zone=12, boundaries=boundaries)
print(cov.summary[["group", "covered", "total", "percent"]].to_string(index=False))

from geoplots.counting.rules import run_rule

rule = run_rule("model_villages", located, zone=12, boundaries=boundaries)
print(rule.title)
rule.units.loc[~rule.units["met"], ["code", "name_th", "name_en", "count"]]"""
    ),
    new_markdown_cell(
        """## 6. แผนที่ / Map

`geoplots.map` รวมชั้นข้อมูล: สีตามการครอบคลุม อำเภอที่ยังขาด (กรอบแดง) ขอบเขตจังหวัดและเขตตรวจราชการ และหมุด
(คลิกเพื่อดูรายละเอียด) `offline=True` ฝังสคริปต์ Leaflet ไว้ในไฟล์เดียว เปิดได้ในห้องประชุมที่ไม่มีอินเทอร์เน็ต

`geoplots.map` composes the layers: the choropleth, the gaps (red outlines), province and
zone outlines, and the clustered pins with popups. `offline=True` writes Leaflet and its
plugins into the page, so the saved file opens with no internet (no basemap by default;
pass `tiles=` a tile URL for one)."""
    ),
    new_code_cell(
        """# The pin popups take their title from a `name` column.
pins = located.accepted.rename(columns={"ชื่อหมู่บ้าน": "name"})
m = geoplots.map(rule, pins, zone=12, offline=True, boundaries=boundaries)
map_file = work / "zone12_map.html"
m.save(str(map_file))
print(f"{map_file} ({map_file.stat().st_size / 1e6:.1f} MB)")
m"""
    ),
]


def build() -> nbformat.NotebookNode:
    """Return the notebook, with a Python 3 kernel and no outputs."""
    nb = new_notebook(cells=CELLS)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    nbformat.write(build(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
