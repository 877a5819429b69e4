"""Benchmark: maps with 65,213 village pins (one per Thai village, หมู่บ้าน) drawn offline.

The pins are synthetic (``geoplots.synthetic.sample_points`` on the real boundaries),
with a village name (บ้าน…, from a few hundred repeated names, as real ones repeat),
a record ID and the located codes, like a national village list. Four pages, each opened
in headless Chromium with every remote request refused (``geoplots.layers.browser``):

==========================================  =========  ============
page                                        target MB  target draw
==========================================  =========  ============
zone 12 district map, its pins              1.5
national district map, all pins             6          3 s
national sub-district choropleth, all pins  8
national sub-district choropleth, no pins   3
==========================================  =========  ============

Usage::

    python bench/bench_map_pins.py [--data DIR] [--keep out/]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_map import _ensure_boundaries  # noqa: E402

N_VILLAGES = 65_213
#: True once the pins are clustered and the ones in view drawn (CompactPins sets it).
PINS_READY = "window.geoplotsPinsReady !== false"


def _villages(boundaries):
    import numpy as np

    import geoplots
    from geoplots.synthetic import sample_points

    pins = sample_points(N_VILLAGES, seed=13, boundaries=boundaries)
    rng = np.random.default_rng(13)
    stems = ["โนน", "หนอง", "ดอน", "โคก", "นา", "ห้วย", "ท่า", "สระ", "บึง", "วัง"]
    tails = ["ใหญ่", "น้อย", "สูง", "งาม", "ทอง", "แดง", "เหนือ", "ใต้", "ใหม่", "กลาง", "ยาง", "คำ"]
    names = np.array([f"บ้าน{s}{t}" for s in stems for t in tails] + [f"บ้าน{s}" for s in stems])
    pins["village_name"] = names[rng.integers(0, len(names), len(pins))]
    return geoplots.locate(pins, boundaries=boundaries)


def _page(out: Path, name: str, build) -> tuple[Path, float]:
    started = time.perf_counter()
    path = out / f"{name}.html"
    build().save(str(path))
    return path, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="Boundary data directory (default GEOPLOTS_DATA).")
    parser.add_argument("--keep", type=Path, help="Keep the pages in this folder.")
    args = parser.parse_args()
    boundaries = _ensure_boundaries(args.data)

    import geoplots
    from geoplots.layers.browser import open_map

    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-map-pins-"))
    out.mkdir(parents=True, exist_ok=True)
    located = _villages(boundaries)
    district = geoplots.coverage(located, level="district", boundaries=boundaries)
    sub = geoplots.coverage(located, level="subdistrict", min_count=10, boundaries=boundaries)
    zone_pins = int((located.accepted["inspection_zone"].astype(str) == "12").sum())
    pages = [
        ("zone12_district_pins", 1.5, None, lambda: geoplots.map(district, located, zone=12, boundaries=boundaries)),
        ("national_district_pins", 6.0, 3.0, lambda: geoplots.map(district, located, boundaries=boundaries)),
        ("national_subdistrict_pins", 8.0, None, lambda: geoplots.map(sub, located, boundaries=boundaries)),
        ("national_subdistrict_no_pins", 3.0, None, lambda: geoplots.map(sub, boundaries=boundaries)),
    ]
    print(f"{N_VILLAGES:,} village pins ({zone_pins:,} in zone 12); pages in {out}")
    print(f"{'page':32}{'MB':>8}{'draw s':>8}{'build s':>9}  target")
    all_ok = True
    for name, mb_max, s_max, build in pages:
        path, built = _page(out, name, build)
        r = open_map(path, timeout_s=120, ready=PINS_READY)
        if r.errors or r.remote_requests:
            sys.exit(f"{name}: page errors {r.errors[:3]} / remote requests {r.remote_requests[:3]}")
        mb = path.stat().st_size / 1e6
        ok = mb <= mb_max and (s_max is None or r.seconds < s_max)
        all_ok &= ok
        target = f"<= {mb_max} MB" + (f", < {s_max} s" if s_max else "")
        print(f"{name:32}{mb:>8.2f}{r.seconds:>8.2f}{built:>9.2f}  {target}: {'met' if ok else 'NOT met'}")
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
