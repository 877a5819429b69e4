#!/usr/bin/env python3
"""Build the maps' sea-and-neighbours background (แผนที่พื้นหลัง): run once, commit the result.

Reads Natural Earth's 1:50m admin-0 countries (public domain) as packaged in npm's
``world-atlas`` (TopoJSON, ISC licence), keeps the region around Thailand, simplifies
it and writes ``geoplots/layers/static/background/countries.geojson`` (well under
150 KB) with its source note. Maps draw it as a light neutral land fill on a pale sea.

Usage (maintainers, in a source checkout; needs npm)::

    python scripts/make_background.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import shapely

PACKAGE = "world-atlas@2.0.2"
#: lon/lat box kept: Thailand with room for a 16:9 wall screen or an A4 page around it.
REGION = (84.0, -4.0, 118.0, 30.0)
#: Simplification (degrees, ~2 km) and decimals kept (~100 m): a background, not a border.
TOLERANCE = 0.02
DECIMALS = 3
DEST = Path(__file__).resolve().parents[1] / "geoplots" / "layers" / "static" / "background"
MAX_BYTES = 150_000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        package = _npm_pack(Path(tmp))
        countries = gpd.read_file(package / "countries-50m.json", layer="countries", engine="pyogrio")
        DEST.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package / "LICENSE", DEST / "LICENSE")
    out = _clip(countries.set_crs("EPSG:4326", allow_override=True))
    text = json.dumps(json.loads(out.to_json(drop_id=True)), ensure_ascii=False, separators=(",", ":"))
    (DEST / "countries.geojson").write_text(text, encoding="utf-8")
    size = len(text.encode())
    if size > MAX_BYTES:
        raise SystemExit(f"countries.geojson is {size} bytes, over {MAX_BYTES}: raise TOLERANCE")
    print(f"wrote {DEST / 'countries.geojson'}: {len(out)} countries, {size:,} bytes")


def _npm_pack(tmp: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent", "--pack-destination", str(tmp)], check=True,
                   capture_output=True)
    (archive,) = tmp.glob("world-atlas-*.tgz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def _clip(countries: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    box = shapely.box(*REGION)
    near = countries[countries.intersects(box)].copy()
    geoms = shapely.intersection(shapely.make_valid(near.geometry.values), box)
    geoms = shapely.set_precision(shapely.simplify(geoms, TOLERANCE), 10**-DECIMALS)
    near = near.set_geometry(geoms)
    near = near[~near.geometry.is_empty & near.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    return near[["name", "geometry"]].sort_values("name").reset_index(drop=True)


if __name__ == "__main__":
    main()
