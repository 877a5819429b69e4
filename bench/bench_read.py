"""Benchmark: file to coverage, ``geoplots coverage --rule household_participation`` against
the peer a user would write by hand (``pandas.read_csv`` + ``points_from_xy`` +
``geopandas.sjoin`` + ``groupby``, which cleans nothing).

A messy household CSV (ครัวเรือน, the จปฐ. survey: 12,800,000 rows by default) is
generated once, in chunks, and kept (``--file``): Thai names as offices type them
(``ต.``/``อ.``/``จ.`` prefixes, ``กิ่งอ.``), Thai digits in some cells, พ.ศ. dates,
ปลูก/ไม่ปลูก or มี/ไม่มี answers, blanks, coordinates that cannot be read, swapped ones,
noise points anywhere in the bounding box (at sea, in neighbouring countries) and repeated
IDs. Each side runs in its own process so its peak RSS (``ru_maxrss`` of the child) is
its own. The peer's memory grows with the file: it is run on the first 1, 2, 4, ... million
rows of the same file while its predicted peak stays under ``--peer-limit-gb`` (8 GB), and
the largest size it survives is the one compared.

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
    noise = (mess >= 0.05) & (mess < 0.06)  # anywhere in the bounding box: sea, Laos, Myanmar...
    lat_t[noise] = np.char.mod("%.6f", rng.uniform(5.6, 20.5, int(noise.sum()))).astype(object)
    lon_t[noise] = np.char.mod("%.6f", rng.uniform(97.3, 105.7, int(noise.sum()))).astype(object)
    lost = (mess >= 0.06) & (mess < 0.061)  # nothing to place it by: rejected
    lat_t[lost] = "n/a"
    sub_name[lost] = dist_name[lost] = prov_name[lost] = ""
    answer = _pick(rng, n, ["ปลูก", "ไม่ปลูก", "มี", "ไม่มี", "", "1", "0"], [0.35, 0.1, 0.3, 0.1, 0.05, 0.06, 0.04])
    day = rng.integers(1, 29, n)
    month = rng.integers(1, 13, n)
    year = rng.choice([2566, 2567], n)
    date = pd.Series(day.astype(str)).str.cat([pd.Series(month.astype(str)), pd.Series(year.astype(str))], sep="/")
    date = date.to_numpy(dtype=object)
    date[mess > 0.97] = [d.translate(THAI_DIGITS) for d in date[mess > 0.97]]
    numbers = np.arange(start, start + n)
    again = (mess > 0.9995) & (numbers > 0)  # an ID typed twice: the later row is a duplicate
    numbers[again] = rng.integers(0, numbers[again])
    ids = np.char.mod("H%08d", numbers).astype(object)
    frame = pd.DataFrame({"id": ids, "s": sub_name, "d": dist_name, "p": prov_name, "lat": lat_t, "lon": lon_t,
                          "a": answer, "date": date})
    return frame.to_csv(header=False, index=False)


def _peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


#: Kills the child whose RSS passes the limit (the peer on a size it cannot survive).
WATCH = (
    "import json,resource,subprocess,sys,time,psutil\n"
    "limit=float(sys.argv[1]);p=subprocess.Popen(sys.argv[2:]);killed=False\n"
    "while p.poll() is None:\n"
    "    try:\n"
    "        if psutil.Process(p.pid).memory_info().rss>limit: p.kill();killed=True\n"
    "    except psutil.NoSuchProcess: pass\n"
    "    time.sleep(0.2)\n"
    "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc':p.returncode,'killed':killed,'mb':u.ru_maxrss/1024,"
    "'cpu':u.ru_utime+u.ru_stime}),file=sys.stderr)\n"
)


def _run(cmd: list[str], limit_gb: float = 1e6) -> tuple[float, float, str, bool, float]:
    """Time a command in its own process; its peak RSS by getrusage; killed past ``limit_gb``."""
    started = time.perf_counter()
    # A fresh wrapper process per side, so RUSAGE_CHILDREN is that side's peak alone.
    wrapper = [sys.executable, "-c", WATCH, str(limit_gb * 2**30), *cmd]
    done = subprocess.run(wrapper, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    import json

    tail = json.loads(done.stderr.strip().splitlines()[-1])
    if tail["rc"] != 0 and not tail["killed"]:
        sys.exit(f"{cmd[:3]} failed:\n{done.stderr[-3000:]}")
    return seconds, tail["mb"], done.stdout, tail["killed"], tail["cpu"]


PEER = r'''
import sys, pandas as pd, geopandas as gpd, geoplots
path, data, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
sub = geoplots.Boundaries.load(data).level("subdistrict")[["district_code", "geometry"]]
t = pd.read_csv(path, nrows=rows)
lat = pd.to_numeric(t["lat"], errors="coerce"); lon = pd.to_numeric(t["lon"], errors="coerce")
pts = gpd.GeoDataFrame({"yes": t["ปลูกผักสวนครัว"].isin(["ปลูก", "มี", "1", 1])},
                       geometry=gpd.points_from_xy(lon, lat), crs=4326)
del t
j = gpd.sjoin(pts, sub, predicate="within", how="inner")
out = j.groupby("district_code")["yes"].agg(["sum", "count"])
print(len(out), int(out["count"].sum()))
'''


def _peer(path: Path, data: str, rows: int, limit_gb: float) -> tuple[int, float, float] | None:
    """The peer on the first 1, 2, 4, ... million rows (then all): the largest size it
    survives under ``limit_gb`` as (rows, seconds, peak MB); None if none."""
    best = None
    size = min(1_000_000, rows)
    while True:
        seconds, mb, _, killed, cpu = _run([sys.executable, "-c", PEER, str(path), data, str(size)], limit_gb)
        if killed:
            print(f"  peer on {size:>10,} rows: killed at {limit_gb:g} GB")
            break
        print(f"  peer on {size:>10,} rows: {seconds:7.1f} s  {size / seconds:>10,.0f} rows/s  peak RSS {mb:,.0f} MB  "
              f"CPU {cpu:.1f} s")
        best = (size, seconds, mb)
        if size == rows:
            break
        following = min(size * 2, rows)
        if mb * following / size > limit_gb * 1024:  # its memory grows with the rows read
            print(f"  peer on {following:>10,} rows: skipped, about {mb * following / size / 1024:.1f} GB predicted")
            break
        size = following
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=HOUSEHOLDS, help="rows (default 12,800,000)")
    parser.add_argument("--data", required=True, help="boundary data directory (an import)")
    parser.add_argument("--workdir", default="/tmp/geoplots-bench", help="where the generated CSV is kept")
    parser.add_argument("--file", default=None, help="the CSV (generated once if absent)")
    parser.add_argument("--peer-limit-gb", type=float, default=8.0, help="most memory the peer may take")
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    path = Path(args.file or Path(args.workdir) / f"households-{args.rows}.csv")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        generate(path, args.rows, args.data)
        print(f"generated {path} ({path.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s")
    print(f"rows: {args.rows:,}; cpus: {os.cpu_count()}; load average before {os.getloadavg()[0]:.1f}")
    cmd = [sys.executable, "-c", "import sys; from geoplots.cli import main; sys.argv[0] = 'geoplots'; main()",
           "coverage", str(path), "--rule", "household_participation", "--level", "district", "--data", args.data,
           "--column", "ปลูกผักสวนครัว", "--quiet", "--out", str(path.with_suffix(".coverage.csv"))]
    ours, our_mb, out, _, our_cpu = _run(cmd)
    print(f"geoplots coverage (all cleaning):       {ours:7.1f} s  {args.rows / ours:>10,.0f} rows/s  "
          f"peak RSS {our_mb:,.0f} MB  CPU {our_cpu:.1f} s  (load average after {os.getloadavg()[0]:.1f})")
    print("  " + next((line for line in out.splitlines() if line.startswith("rows read")), ""))
    if not args.skip_peer:
        best = _peer(path, args.data, args.rows, args.peer_limit_gb)
        if best is not None:
            size, seconds, mb = best
            print(f"pandas + sjoin + groupby (no cleaning): {seconds:7.1f} s  {size / seconds:>10,.0f} rows/s  "
                  f"peak RSS {mb:,.0f} MB on {size:,} rows")
            print(f"per-row speed, geoplots / peer: {(args.rows / ours) / (size / seconds):.2f}x")


if __name__ == "__main__":
    main()
