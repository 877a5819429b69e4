"""geoplots map: a messy pins spreadsheet of zone 12 to one offline HTML map."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import geoplots
from geoplots import synthetic
from _messy import THAI_DIGITS, dms, write_csv

# A <script src=...> or <link href=...> pointing at the network.
REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def _run(*args: str, boundaries) -> subprocess.CompletedProcess:
    """``geoplots ARGS --data DIR`` in a child process, on the imported ``boundaries``."""
    return subprocess.run(
        [sys.executable, "-c", "from geoplots.cli import main; main()", *args, "--data", str(boundaries.root)],
        capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def messy_zone12(boundaries, tmp_path_factory):
    """Pins in zone 12 typed as staff type them: Thai headers, DMS, Thai digits, a blank
    coordinate, a pin in Laos and a repeated ID. Returns (path, pins, n_rejected)."""
    zone = geoplots.inspection_zones().codes_in("12")
    pins = synthetic.sample_points(120, codes=zone, seed=5, boundaries=boundaries)
    rows: list[list[object]] = [["รหัสแปลง", "ชื่อแปลง", "ละติจูด", "ลองจิจูด"]]
    for i, p in enumerate(pins.itertuples()):
        lat, lon = f"{p.lat:.6f}", f"{p.lon:.6f}"
        if i % 7 == 1:  # as a GPS unit shows it
            lat, lon = dms(p.lat, "N", "S"), dms(p.lon, "E", "W")
        elif i % 7 == 2:  # typed on a Thai keyboard
            lat, lon = lat.translate(THAI_DIGITS), lon.translate(THAI_DIGITS)
        rows.append([p.record_id, f"แปลงโคก หนอง นา {i + 1}", lat, lon])
    rows.append(["BAD-1", "ไม่มีพิกัด", "", ""])
    rows.append(["BAD-2", "พิกัดในลาว", "17.97", "102.60"])  # Vientiane
    rows.append([pins["record_id"].iloc[0], "ซ้ำ", f"{pins['lat'].iloc[0]:.6f}", f"{pins['lon'].iloc[0]:.6f}"])
    path = write_csv(tmp_path_factory.mktemp("messy") / "zone12_pins.csv", rows, encoding="utf-8-sig")
    return path, pins, 3


def test_offline_zone_map_from_a_messy_file(messy_zone12, tmp_path, boundaries):
    src, pins, n_bad = messy_zone12
    out = tmp_path / "maps" / "zone12.html"
    done = _run("map", str(src), "--level", "district", "--zone", "12", "--offline", "--out", str(out),
                boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert not REMOTE_ASSET.findall(html), REMOTE_ASSET.findall(html)[:3]
    assert "L.tileLayer" not in html  # offline means no basemap to fetch either
    districts = boundaries.level("district")
    in_zone = districts[districts["province_code"].isin(geoplots.inspection_zones().codes_in("12"))]
    missing = [n for n in in_zone["name_th"] if n not in html]
    assert not missing, missing[:5]
    # Every row is accounted for: the good pins drawn, the broken ones rejected.
    rows = len(pins) + n_bad
    assert f"{len(pins)} of {rows} rows located; {n_bad} rejected" in done.stdout
    assert all(rid in html for rid in pins["record_id"])


def test_map_options_are_checked_before_reading(messy_zone12, tmp_path, boundaries):
    src, _, _ = messy_zone12
    both = _run("map", str(src), "--zone", "12", "--province", "40", "--out", str(tmp_path / "m.html"),
                boundaries=boundaries)
    assert both.returncode == 2 and "only one of --zone" in both.stderr
    svg = _run("map", str(src), "--zone", "12", "--out", str(tmp_path / "m.svg"), boundaries=boundaries)
    assert svg.returncode == 2 and ".html" in svg.stderr


    zone = _run("map", str(src), "--zone", "99", "--out", str(tmp_path / "m.html"), boundaries=boundaries)
    assert zone.returncode == 2 and "99" in zone.stderr
    assert not (tmp_path / "m.html").exists() and not (tmp_path / "m.png").exists()


def test_province_map_with_own_tiles(messy_zone12, tmp_path, boundaries):
    src, pins, _ = messy_zone12
    out = tmp_path / "kk.html"
    url = "https://tiles.cdd.go.th/{z}/{x}/{y}.png"
    done = _run("map", str(src), "--province", "ขอนแก่น", "--tiles", url, "--tiles-attribution", "CDD tiles",
                "--out", str(out), boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert url in html and "CDD tiles" in html
    districts = boundaries.level("district")
    assert all(n in html for n in districts.loc[districts["province_code"] == "40", "name_th"])
    # Pins are drawn for the province only; counted for its inspection zone (12) only.
    kk = pins["subdistrict_code"].str.startswith("40")
    # The popup's title is the plot's name (ชื่อแปลง fills name), the ID on the line below.
    assert all(f"ID: {rid}<" in html for rid in pins.loc[kk, "record_id"])
    assert not any(f"ID: {rid}<" in html for rid in pins.loc[~kk, "record_id"])
    assert ">แปลงโคก หนอง นา 1<" in html or not kk.iloc[0]
    assert [line for line in done.stdout.splitlines() if line.startswith("inspection_zone")] == [
        line for line in done.stdout.splitlines() if line.startswith("inspection_zone 12:")] != []


@pytest.mark.browser
def test_zone_map_as_an_a4_pdf_for_a_meeting(messy_zone12, tmp_path, boundaries):
    import subprocess as sp

    src, _, _ = messy_zone12
    out = tmp_path / "zone12.pdf"
    done = _run("map", str(src), "--level", "district", "--zone", "12", "--out", str(out), boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    info = sp.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M) and re.search(r"Page size:\s+841\.\d+ x 59[45]\.\d+ pts \(A4\)", info), info
    bad = _run("map", str(src), "--zone", "12", "--out", str(tmp_path / "zone12.svg"), boundaries=boundaries)
    assert bad.returncode != 0 and ".png or .pdf" in bad.stderr + bad.stdout
