"""Benchmark: file to coverage, ``geoplots coverage --rule household_participation`` against
the peer a user would write by hand (``pandas.read_csv`` + ``points_from_xy`` +
``geopandas.sjoin`` + ``groupby``, which cleans nothing).

A messy household CSV (ครัวเรือน, the จปฐ. survey: 12,800,000 rows by default) is
generated once, in chunks, and kept (``--file``): Thai names as offices type them
(``ต.``/``อ.``/``จ.`` prefixes, ``กิ่งอ.``), Thai digits in some cells, พ.ศ. dates,
ปลูก/ไม่ปลูก or มี/ไม่มี answers, blanks and bad coordinates. Each side runs in its own
process so its peak RSS (``ru_maxrss`` of the child) is its own.

Usage::

    python bench/bench_read.py --data DIR --rows 1000000
    python bench/bench_read.py --data DIR                 # 12.8 million rows
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HOUSEHOLDS = 12_800_000
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def generate(path: Path, rows: int, data: str, chunk: int = 500_000, seed: int = 0) -> None:
    """Write the messy household CSV in chunks (never the whole table in memory)."""
    import geoplots
    from geoplots.synthetic import iter_sample_points

    boundaries = geoplots.Boundaries.load(data)
    sub = boundaries.level("subdistrict").set_index("code")
    dist = boundaries.level("district").set_index("code")["name_th"]
    prov = boundaries.level("province").set_index("code")["name_th"]
    rng = np.random.default_rng(seed)
    tmp = path.with_suffix(".part")
    with open(tmp, "w", encoding="utf-8") as out:
        out.write("id,ตำบล,อำเภอ,จังหวัด,lat,lon,ปลูกผักสวนครัว,วันที่สำรวจ\n")
        start = 0
        for points in iter_sample_points(rows, chunk_size=chunk, seed=seed, boundaries=boundaries):
            n = len(points)
            codes = points["subdistrict_code"].astype(str).to_numpy() if "subdistrict_code" in points else None
            if codes is None:
                codes = sub.index.to_numpy()[boundaries.index.lookup(points["lon"].to_numpy(), points["lat"].to_numpy())]
            rows_text = _chunk_text(rng, start, n, points["lat"].to_numpy(), points["lon"].to_numpy(), codes,
                                    sub, dist, prov)
            out.write(rows_text)
            start += n
    tmp.replace(path)


def _pick(rng, n: int, choices: list[str], p: list[float]) -> np.ndarray:
    return np.asarray(choices, dtype=object)[rng.choice(len(choices), n, p=p)]


def _chunk_text(rng, start, n, lat, lon, codes, sub, dist, prov) -> str:
    import pandas as pd

    s = sub.loc[codes]
    sub_name = s["name_th"].to_numpy(dtype=object)
    dist_name = dist.loc[s["district_code"].to_numpy()].to_numpy(dtype=object)
    prov_name = prov.loc[s["province_code"].to_numpy()].to_numpy(dtype=object)
    prefix = rng.random(n)
    sub_name = np.where(prefix < 0.3, "ต." + sub_name, np.where(prefix < 0.4, "ตำบล" + sub_name, sub_name))
    dist_name = np.where(prefix < 0.3, "อ." + dist_name, dist_name)
    prov_name = np.where(prefix < 0.3, "จ." + prov_name, prov_name)
    lat_t = np.char.mod("%.6f", lat).astype(object)
    lon_t = np.char.mod("%.6f", lon).astype(object)
    mess = rng.random(n)
    lat_t[mess < 0.01] = ""  # blank: placed by sub-district
    lon_t[mess < 0.01] = ""
    bad = (mess >= 0.01) & (mess < 0.015)
    lat_t[bad] = "16 25 30.5x"
    swapped = (mess >= 0.015) & (mess < 0.02)
    lat_t[swapped], lon_t[swapped] = lon_t[swapped], lat_t[swapped]
    thai = (mess >= 0.02) & (mess < 0.05)
    lat_t[thai] = [v.translate(THAI_DIGITS) for v in lat_t[thai]]
    answer = _pick(rng, n, ["ปลูก", "ไม่ปลูก", "มี", "ไม่มี", "", "1", "0"], [0.35, 0.1, 0.3, 0.1, 0.05, 0.06, 0.04])
    day = rng.integers(1, 29, n)
    month = rng.integers(1, 13, n)
    year = rng.choice([2566, 2567], n)
    date = pd.Series(day.astype(str)).str.cat([pd.Series(month.astype(str)), pd.Series(year.astype(str))], sep="/")
    date = date.to_numpy(dtype=object)
    date[mess > 0.97] = [d.translate(THAI_DIGITS) for d in date[mess > 0.97]]
    ids = np.char.mod("H%08d", np.arange(start, start + n)).astype(object)
    frame = pd.DataFrame({"id": ids, "s": sub_name, "d": dist_name, "p": prov_name, "lat": lat_t, "lon": lon_t,
                          "a": answer, "date": date})
    return frame.to_csv(header=False, index=False)


def _peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _run(cmd: list[str]) -> tuple[float, float, str]:
    """Time a command in its own process; its peak RSS via /usr/bin/time-free getrusage."""
    started = time.perf_counter()
    # A fresh wrapper process per side, so RUSAGE_CHILDREN is that side's peak alone.
    wrapper = [sys.executable, "-c",
               "import resource,subprocess,sys,json;r=subprocess.run(sys.argv[1:]);"
               "print(json.dumps({'rc':r.returncode,'mb':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}),"
               "file=sys.stderr)", *cmd]
    done = subprocess.run(wrapper, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    import json

    tail = json.loads(done.stderr.strip().splitlines()[-1])
    if tail["rc"] != 0:
        sys.exit(f"{cmd[:3]} failed:\n{done.stderr[-3000:]}")
    return seconds, tail["mb"], done.stdout


PEER = r'''
import sys, pandas as pd, geopandas as gpd, geoplots
path, data = sys.argv[1], sys.argv[2]
sub = geoplots.Boundaries.load(data).level("subdistrict")[["district_code", "geometry"]]
t = pd.read_csv(path)
lat = pd.to_numeric(t["lat"], errors="coerce"); lon = pd.to_numeric(t["lon"], errors="coerce")
pts = gpd.GeoDataFrame({"yes": t["ปลูกผักสวนครัว"].isin(["ปลูก", "มี", "1", 1])},
                       geometry=gpd.points_from_xy(lon, lat), crs=4326)
del t
j = gpd.sjoin(pts, sub, predicate="within", how="inner")
out = j.groupby("district_code")["yes"].agg(["sum", "count"])
print(len(out), int(out["count"].sum()))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=HOUSEHOLDS, help="rows (default 12,800,000)")
    parser.add_argument("--data", required=True, help="boundary data directory (an import)")
    parser.add_argument("--file", default=None, help="the CSV (generated once if absent)")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    path = Path(args.file or f"/tmp/households-{args.rows}.csv")
    if not path.exists():
        started = time.perf_counter()
        generate(path, args.rows, args.data)
        print(f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s")
    print(f"rows: {args.rows:,}; cpus: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}")
    env_cmd = [sys.executable, "-c", "import sys; from geoplots.cli import main; sys.argv[0] = 'geoplots'; main()", "coverage", str(path), "--rule", "household_participation",
               "--data", args.data, "--column", "ปลูกผักสวนครัว", "--out", str(path.with_suffix(".coverage.csv"))]
    ours, our_mb, _ = _run(env_cmd)
    print(f"geoplots coverage (all cleaning):   {ours:7.1f} s  {args.rows / ours:>10,.0f} rows/s  peak RSS {our_mb:,.0f} MB")
    if not args.skip_peer:
        peer, peer_mb, _ = _run([sys.executable, "-c", PEER, str(path), args.data])
        print(f"pandas + sjoin + groupby (no cleaning): {peer:7.1f} s  {args.rows / peer:>10,.0f} rows/s  "
              f"peak RSS {peer_mb:,.0f} MB")
        print(f"per-row speed ratio (peer time / geoplots time): {peer / ours:.2f}x")


if __name__ == "__main__":
    main()
