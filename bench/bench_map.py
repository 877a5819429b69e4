"""Benchmark: the national sub-district choropleth (7,425 ตำบล) as one offline HTML file.

Builds the map with ``geoplots.map`` (coverage-simplified geometry with shared borders
kept, rounded coordinates, only the shown properties, canvas rendering), and in the same
run a naive peer: ``folium.GeoJson`` of the raw boundary GeoDataFrame with the same
met/not-met colours and name tooltip. Both pages get the same inlined Leaflet (offline),
so the difference is the geometry and how it is drawn. Each page is opened in headless
Chromium (``geoplots.layers.browser.open_map``); render time is from navigation start
until two frames after the page's scripts ran, fastest of ``--repeat`` loads.

Target: at most 3 MB and under 2 s.

Usage::

    python bench/bench_map.py               # GEOPLOTS_DATA, else imports ../shared into a temp dir
    python bench/bench_map.py --repeat 5 --keep out/   # keep the pages and screenshots
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MB, TARGET_S = 3.0, 2.0


def _ensure_boundaries(data: str | None):
    """The boundaries in ``data`` (default GEOPLOTS_DATA), else the shared COD-AB imported into a temp dir."""
    import geoplots
    from geoplots.errors import NoBoundariesError

    try:
        return geoplots.Boundaries.load(data)
    except NoBoundariesError:
        zips = sorted((REPO.parent / "shared" / "boundaries" / "cod-ab-tha").glob("*.zip"))
        if not zips:
            sys.exit("No boundaries: set GEOPLOTS_DATA or pass --data (or put the COD-AB zips in ../shared).")
        dest = tempfile.mkdtemp(prefix="bench-map-boundaries-")
        geoplots.import_boundaries(zips, dest=dest)
        return geoplots.Boundaries.load(dest)


def _naive(units, path: Path) -> None:
    """What one writes without geoplots: the raw geometry in a folium.GeoJson."""
    import folium

    from geoplots.maps import Map

    m = Map(location=[13.0, 101.0], zoom_start=6, tiles=None, offline=True)
    folium.GeoJson(
        units[["code", "name_th", "name_en", "count", "met", "geometry"]],
        style_function=lambda f: {"fillColor": "#1a9850" if f["properties"]["met"] else "#d73027",
                                  "color": "#555555", "weight": 0.3, "fillOpacity": 0.7},
        tooltip=folium.GeoJsonTooltip(["name_th", "name_en", "count"]),
        name="naive",
    ).add_to(m)
    m.save(str(path))


def _render(path: Path, repeat: int, screenshot: Path | None):
    from geoplots.layers.browser import open_map

    runs = [open_map(path, screenshot=screenshot if i == 0 else None, timeout_s=300) for i in range(repeat)]
    best = min(runs, key=lambda r: r.seconds)
    if best.errors or best.remote_requests:
        sys.exit(f"{path.name}: page errors {best.errors[:3]} / remote requests {best.remote_requests[:3]}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="Boundary data directory (default GEOPLOTS_DATA).")
    parser.add_argument("--points", type=int, default=20_000, help="Synthetic pins counted per sub-district.")
    parser.add_argument("--repeat", type=int, default=3, help="Page loads per map (fastest counts).")
    parser.add_argument("--keep", type=Path, help="Keep the pages and screenshots in this folder.")
    args = parser.parse_args()
    boundaries = _ensure_boundaries(args.data)

    import geoplots
    from geoplots.synthetic import sample_points

    out = args.keep or Path(tempfile.mkdtemp(prefix="bench-map-"))
    out.mkdir(parents=True, exist_ok=True)
    pins = sample_points(args.points, seed=1, boundaries=boundaries)
    cov = geoplots.coverage(pins, level="subdistrict", min_count=3, boundaries=boundaries)
    units = cov.units
    print(f"national sub-district choropleth: {len(units):,} units, "
          f"{int(units['met'].sum()):,} with at least 3 of {args.points:,} synthetic pins")

    ours = out / "geoplots_subdistricts.html"
    started = time.perf_counter()
    geoplots.map(cov, offline=True, zones=True, boundaries=boundaries).save(str(ours))
    build_ours = time.perf_counter() - started
    naive = out / "naive_folium_geojson.html"
    started = time.perf_counter()
    _naive(units, naive)
    build_naive = time.perf_counter() - started

    r_ours = _render(ours, args.repeat, out / "geoplots_subdistricts.png")
    r_naive = _render(naive, args.repeat, out / "naive_folium_geojson.png")
    mb_ours, mb_naive = ours.stat().st_size / 1e6, naive.stat().st_size / 1e6

    print(f"{'':22}{'size MB':>10}{'render s':>10}{'build s':>10}")
    print(f"{'geoplots.map':22}{mb_ours:>10.2f}{r_ours.seconds:>10.2f}{build_ours:>10.2f}")
    print(f"{'naive folium.GeoJson':22}{mb_naive:>10.2f}{r_naive.seconds:>10.2f}{build_naive:>10.2f}")
    print(f"size ratio naive/geoplots: {mb_naive / mb_ours:.1f}x; render-time ratio: "
          f"{r_naive.seconds / r_ours.seconds:.1f}x")
    print(f"drawn: geoplots {r_ours.features:,} features on {r_ours.canvases} canvas(es); "
          f"naive {r_naive.features:,} features, {r_naive.svg_paths:,} SVG paths")
    ok = mb_ours <= TARGET_MB and r_ours.seconds < TARGET_S
    print(f"target <= {TARGET_MB} MB and < {TARGET_S} s: {'met' if ok else 'NOT met'}; pages in {out}")


if __name__ == "__main__":
    main()
