"""``geoplots sample-data``: example field files, written the way district staff write them.

The README's examples read these files, so a newcomer can run every example as shown
right after importing the boundaries. Points are drawn inside the real sub-districts
(ตำบล) of inspection zone 12 by :mod:`geoplots.synthetic`; the files then carry what real
sheets carry: Thai headers, Thai digits, degrees-minutes-seconds, Buddhist-era dates,
มี/ไม่มี answers, a row without coordinates and a repeated ID.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from geoplots import synthetic
from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console

_THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def _dms(value: float, letter: str) -> str:
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return f"{d}°{m}'{s:.2f}\"{letter}"


def _be_date(i: int) -> str:
    """A Buddhist-era date as offices type it (2568 = 2025)."""
    return f"{1 + i % 28}/{1 + i % 12}/{2568}"


def _pins(boundaries: Boundaries) -> pd.DataFrame:
    """Model-village pins (โก่งธนูโมเดล) of zone 12 as a district office's sheet."""
    villages = synthetic.model_villages(["12"], seed=12, boundaries=boundaries)
    rows = []
    for i, v in enumerate(villages.itertuples()):
        lat, lon = f"{v.lat:.6f}", f"{v.lon:.6f}"
        if i % 7 == 1:
            lat, lon = _dms(v.lat, "N"), _dms(v.lon, "E")
        elif i % 7 == 2:
            lat, lon = lat.translate(_THAI_DIGITS), lon.translate(_THAI_DIGITS)
        rows.append({"รหัส": v.record_id, "ชื่อหมู่บ้าน": v.village_name, "รหัสตำบล": v.declared_subdistrict_code,
                     "ละติจูด": lat, "ลองจิจูด": lon, "วันที่": _be_date(i)})
    rows.append({"รหัส": "MV-X1", "ชื่อหมู่บ้าน": "บ้านไม่มีพิกัด", "รหัสตำบล": "", "ละติจูด": "", "ลองจิจูด": "",
                 "วันที่": ""})
    rows.append(dict(rows[0], **{"ชื่อหมู่บ้าน": "ส่งซ้ำ"}))
    return pd.DataFrame(rows)


def _households(boundaries: Boundaries) -> pd.DataFrame:
    """Kitchen-garden households (ปลูกผักสวนครัว) of zone 12 with a มี/ไม่มี answer."""
    hh = synthetic.households(["12"], per_unit=(8, 15), seed=12, boundaries=boundaries)
    # what the survey sheet holds: no "true" sub-district, a declared code, มี/ไม่มี answers
    return pd.DataFrame({
        "รหัสครัวเรือน": hh["record_id"],
        "รหัสตำบล": hh["declared_subdistrict_code"],
        "ละติจูด": hh["lat"].map(lambda v: "" if pd.isna(v) else f"{v:.6f}"),
        "ลองจิจูด": hh["lon"].map(lambda v: "" if pd.isna(v) else f"{v:.6f}"),
        "has_garden": hh["has_garden"].map({True: "มี", False: "ไม่มี"}),
    })


def _plots(boundaries: Boundaries) -> pd.DataFrame:
    """Demonstration plots (โคก หนอง นา) as polygons, the way a GIS officer exports them."""
    zone12 = boundaries.zones.codes_in("12")
    plots = synthetic.plots(60, codes=list(zone12), seed=12, boundaries=boundaries)
    return plots[["record_id", "area_rai_drawn", plots.geometry.name]].rename(columns={"record_id": "รหัสแปลง"})


def _partitioned_households(folder: Path, boundaries: Boundaries) -> Path:
    """Households as partitioned GeoParquet, the shape a national pipeline hands to Dask."""
    hh = synthetic.households(["12", "13"], per_unit=(20, 40), address_only=0.0, seed=13, boundaries=boundaries)
    hh = hh[["record_id", "lat", "lon", "has_garden", hh.geometry.name]].reset_index(drop=True)
    folder.mkdir(parents=True, exist_ok=True)
    half = len(hh) // 2
    for i, part in enumerate((hh.iloc[:half], hh.iloc[half:])):
        part.to_parquet(folder / f"part-{i}.parquet")
    return folder


def write_samples(dest: Path, boundaries: Boundaries) -> list[Path]:
    """Write the example files into ``dest``; return their paths.

    Examples
    --------
    >>> write_samples(Path("examples"), geoplots.Boundaries.load())  # doctest: +SKIP
    """
    dest.mkdir(parents=True, exist_ok=True)
    pins = _pins(boundaries)
    households = _households(boundaries)
    written = [dest / "pins.csv", dest / "pins.xlsx", dest / "villages.csv", dest / "households.csv",
               dest / "households.xlsx", dest / "plots.geojson", dest / "enrolled.csv"]
    pins.to_csv(written[0], index=False, encoding="utf-8-sig")
    pins.to_excel(written[1], index=False)
    pins.to_csv(written[2], index=False, encoding="utf-8-sig")
    households.to_csv(written[3], index=False, encoding="utf-8-sig")
    households.to_excel(written[4], index=False)
    _plots(boundaries).to_file(written[5], driver="GeoJSON")
    written.append(_partitioned_households(dest / "households", boundaries))
    enrolled = synthetic.enrolled_subdistricts(0.9, seed=12, boundaries=boundaries)
    enrolled[["subdistrict_code", "name_th"]].set_axis(["รหัสตำบล", "ตำบล"], axis=1).to_csv(
        written[6], index=False, encoding="utf-8-sig")
    return written


@app.command("sample-data")
def sample_data(
    dest: Annotated[Path, typer.Argument(help="Directory to write the example files into.")] = Path("."),
    data: DataOption = None,
) -> None:
    """Write example field files (pins, villages, households, plots, an enrolment list) for zone 12."""
    for path in write_samples(dest, Boundaries.load(data)):
        console.print(f"wrote {path}")
