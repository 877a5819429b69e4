"""Reading a file chunk by chunk (``iter_records``, ``geoplots coverage``) gives what reading
it whole gives: the same records, row numbers, warnings, rejects, coverage and notes."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geothai

import geoplots
import geoplots.synthetic
from geoplots.counting import RULES, coverage_of_chunks
from geoplots.errors import GeoplotsError
from geoplots.readers import concat_records, iter_records, read_records
from geoplots.readers._chunks import SeenIds

THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
HEADER = ["id", "ตำบล", "อำเภอ", "จังหวัด", "lat", "lon", "ปลูกผักสวนครัว", "วันที่สำรวจ"]


def _same(whole, chunked) -> None:
    """Identical records: every column of accepted and rejects, rows read, notes."""
    assert chunked.rows_read == whole.rows_read
    pd.testing.assert_frame_equal(pd.DataFrame(chunked.accepted), pd.DataFrame(whole.accepted))
    pd.testing.assert_frame_equal(chunked.rejects, whole.rejects)
    assert chunked.notes == whole.notes
    assert chunked.summary() == whole.summary()


def _write(path: Path, rows: list[list[str]], header=HEADER, encoding: str = "utf-8") -> Path:
    with open(path, "w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _households(boundaries, n: int, seed: int = 0) -> list[list[str]]:
    """Household rows as offices type them: ต./อ./จ. prefixes, Thai digits, พ.ศ. dates,
    ปลูก/ไม่ปลูก, มี/ไม่มี, blanks, coordinates that cannot be read, points at sea,
    repeated IDs and rows with neither coordinates nor an address."""
    rng = np.random.default_rng(seed)
    points = geoplots.synthetic.sample_points(n, codes=["40", "46"], seed=seed, boundaries=boundaries)
    rows = []
    for i, p in enumerate(points.itertuples()):
        a = geothai.address(p.subdistrict_code)
        sub, dist, prov = a.subdistrict.name_th, a.district.name_th, a.province.name_th
        lat, lon = f"{p.lat:.6f}", f"{p.lon:.6f}"
        mess = rng.random()
        if mess < 0.1:
            sub, dist, prov = "ต." + sub, "อ." + dist, "จ." + prov
        elif mess < 0.2:
            lat = lat.translate(THAI_DIGITS)
        elif mess < 0.25:
            lat, lon = "", ""
        elif mess < 0.3:
            lat = "16 25 30.5x"
        elif mess < 0.33:
            lat, lon = "9.0", "97.5"  # at sea
        elif mess < 0.36:
            lat, lon, sub, dist, prov = "abc", "", "", "", ""  # nothing to place it by
        answer = rng.choice(["ปลูก", "ไม่ปลูก", "มี", "ไม่มี", "", "1", "0", "?"])
        date = f"{rng.integers(1, 29)}/{rng.integers(1, 13)}/{rng.choice([2566, 2567])}"
        if rng.random() < 0.2:
            date = date.translate(THAI_DIGITS)
        ident = f"H{i:05d}" if rng.random() > 0.05 else f"H{int(rng.integers(0, max(i, 1))):05d}"
        rows.append([ident, sub, dist, prov, lat, lon, str(answer), date])
    return rows


@pytest.fixture(scope="module")
def household_file(tiny_boundaries, tmp_path_factory) -> Path:
    rows = _households(tiny_boundaries, 240, seed=3)
    rows.insert(50, [""] * len(HEADER))  # a blank row between records
    rows += [[""] * len(HEADER)] * 3  # blank rows at the end: not records
    return _write(tmp_path_factory.mktemp("stream") / "households.csv", rows)


@pytest.mark.parametrize("chunk_rows", [1, 7, 50, 10_000])
def test_chunks_are_the_whole_file(household_file, tiny_boundaries, chunk_rows):
    options = {"boundaries": tiny_boundaries, "yes_no": ["ปลูกผักสวนครัว"]}
    whole = read_records(household_file, "households", **options)
    chunks = list(iter_records(household_file, "households", chunk_rows=chunk_rows, **options))
    # A blank row at a chunk's end moves on with the next chunk (it may yet be the file's end).
    assert whole.rows_read // (chunk_rows + 1) <= len(chunks) <= -(-whole.rows_read // chunk_rows)
    _same(whole, concat_records(chunks))
    # The file is messy enough for this to mean something.
    summary = whole.summary()
    assert {"duplicate_id", "missing_coordinates"} <= set(summary["rejected_by_reason"])
    assert {"thai_digits", "buddhist_era", "coordinates_ignored", "bad_yes_no"} <= set(summary["warnings_by_kind"])


def test_a_duplicate_in_a_later_chunk_names_the_first_row(tiny_boundaries, tmp_path):
    rows = [[f"H{i}", "", "", "", "16.43", "102.83", "มี", ""] for i in range(6)] + [["H1", "", "", "", "16.43",
                                                                                           "102.83", "มี", ""]]
    path = _write(tmp_path / "dup.csv", rows)
    chunks = list(iter_records(path, "households", chunk_rows=3, boundaries=tiny_boundaries))
    rejects = chunks[-1].rejects
    assert rejects["row"].tolist() == [8] and rejects["reason"].tolist() == ["duplicate_id"]
    assert "first seen on row 3" in rejects["message"].iloc[0]


def test_yes_no_pairs_are_read_over_the_whole_column(tiny_boundaries, tmp_path):
    # ปลูกผัก is yes only because ไม่ปลูกผัก appears in the column - in a later chunk.
    answers = ["ปลูกผัก", "ปลูกผัก", "", "", "ไม่ปลูกผัก", "ปลูกผัก"]
    rows = [[f"H{i}", "", "", "", "16.43", "102.83", a, ""] for i, a in enumerate(answers)]
    path = _write(tmp_path / "pairs.csv", rows)
    options = {"boundaries": tiny_boundaries, "yes_no": ["ปลูกผักสวนครัว"]}
    first = next(iter_records(path, "households", chunk_rows=2, **options))
    assert first.accepted["ปลูกผักสวนครัว"].tolist() == [True, True]
    assert not any(w.code == "bad_yes_no" for ws in first.accepted["warnings"] for w in ws)
    _same(read_records(path, "households", **options),
          concat_records(iter_records(path, "households", chunk_rows=2, **options)))


def test_rows_wider_or_narrower_than_the_header_are_read_in_place(tiny_boundaries, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("id,lat,lon\nA,16.43,102.83\nB,16.44\nC,16.45,102.85,,\nD,16.46,102.86\n", encoding="utf-8")
    whole = read_records(path, boundaries=tiny_boundaries)
    chunked = concat_records(iter_records(path, chunk_rows=2, boundaries=tiny_boundaries))
    _same(whole, chunked)
    assert chunked.accepted["record_id"].tolist() == ["A", "C", "D"]
    assert chunked.rejects["row"].tolist() == [3]
    path.write_text("id,lat,lon\nA,16.43,102.83\nB,16.44,102.84,extra\n", encoding="utf-8")
    with pytest.raises(GeoplotsError, match="Row 3 of ragged.csv has 4 cells"):
        list(iter_records(path, chunk_rows=1, boundaries=tiny_boundaries))


def test_thai_windows_encoding_is_streamed(household_file, tiny_boundaries, tmp_path):
    path = tmp_path / "cp874.csv"
    path.write_bytes(household_file.read_text(encoding="utf-8").encode("cp874"))
    options = {"boundaries": tiny_boundaries, "yes_no": ["ปลูกผักสวนครัว"]}
    _same(read_records(path, "households", **options),
          concat_records(iter_records(path, "households", chunk_rows=13, **options)))


def test_seen_ids_remember_first_rows_across_many_adds():
    seen = SeenIds()
    for start in range(0, 3000, 1000):
        keys = np.array([f"K{i}" for i in range(start, start + 1000)], dtype=object)
        assert not seen.first_rows(seen.hashes(keys)).any()
        seen.add(seen.hashes(keys), np.arange(start, start + 1000) + 2)
    probe = np.array(["K0", "K1500", "K2999", "K3000", "k0"], dtype=object)
    assert seen.first_rows(seen.hashes(probe)).tolist() == [2, 1502, 3001, 0, 0]


def _in_memory(path, boundaries, **options):
    records = read_records(path, "households", boundaries=boundaries, yes_no=["ปลูกผักสวนครัว"])
    result = RULES["household_participation"].run(records, boundaries=boundaries, column="ปลูกผักสวนครัว", **options)
    return result, geoplots.locate(records, schemes=(), boundaries=boundaries).summary()


@pytest.mark.parametrize("blank_as", ["exclude", "no"])
def test_coverage_of_chunks_is_the_in_memory_coverage(household_file, tiny_boundaries, blank_as):
    expected, read = _in_memory(household_file, tiny_boundaries, blank_as=blank_as)
    chunks = iter_records(household_file, "households", chunk_rows=17, boundaries=tiny_boundaries,
                          yes_no=["ปลูกผักสวนครัว"])
    got, summary = coverage_of_chunks(chunks, RULES["household_participation"], boundaries=tiny_boundaries,
                                      column="ปลูกผักสวนครัว", blank_as=blank_as)
    pd.testing.assert_frame_equal(pd.DataFrame(got.units), pd.DataFrame(expected.units))
    pd.testing.assert_frame_equal(got.summary, expected.summary)
    assert got.notes == expected.notes and got.title == expected.title
    assert got.notes["excluded_not_yes_no"] > 0 and (blank_as == "no" or got.notes["excluded_blank"] > 0)
    assert summary.as_dict() == {k: read[k] for k in ("rows_read", "accepted", "rejected", "rejected_by_reason")}


@pytest.mark.parametrize("rule", [None, "change_leaders", "model_villages"])
def test_other_rules_and_plain_coverage_from_chunks(household_file, tiny_boundaries, rule):
    records = read_records(household_file, "households", boundaries=tiny_boundaries)
    chunks = iter_records(household_file, "households", chunk_rows=17, boundaries=tiny_boundaries)
    if rule is None:
        expected = geoplots.coverage(records, level="subdistrict", min_count=2, boundaries=tiny_boundaries)
        got, _ = coverage_of_chunks(chunks, None, boundaries=tiny_boundaries, level="subdistrict", min_count=2)
    else:
        expected = RULES[rule].run(records, boundaries=tiny_boundaries)
        got, _ = coverage_of_chunks(chunks, RULES[rule], boundaries=tiny_boundaries)
    pd.testing.assert_frame_equal(pd.DataFrame(got.units), pd.DataFrame(expected.units))
    pd.testing.assert_frame_equal(got.summary, expected.summary)
    assert got.notes == expected.notes


def _cli(*args: str, boundaries) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from geoplots.cli import main; main()", *args,
                           "--data", str(boundaries.root)], capture_output=True, text=True)


def test_coverage_command_reads_in_chunks_and_reports_what_it_read(household_file, tiny_boundaries, tmp_path):
    out = tmp_path / "cov.csv"
    done = _cli("coverage", str(household_file), "--rule", "household_participation", "--column", "ปลูกผักสวนครัว",
                "--level", "subdistrict", "--by", "none", "--chunk-rows", "19", "--out", str(out),
                boundaries=tiny_boundaries)
    assert done.returncode == 0, done.stderr
    expected, read = _in_memory(household_file, tiny_boundaries, level="subdistrict", by=None)
    assert f"rows read: {read['rows_read']:,}; accepted: {read['accepted']:,}; rejected: {read['rejected']:,}" in done.stdout
    for reason, count in read["rejected_by_reason"].items():
        assert f"rejected: {reason}: {count:,}" in done.stdout
    written = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    assert written["code"].tolist() == expected.units["code"].tolist()
    assert written.filter(like="participating").iloc[:, 0].tolist() == expected.units["participating"].tolist()
    # stderr is not a terminal here: no progress bar, no control characters in logs.
    assert "\x1b" not in done.stderr and "reading" not in done.stderr


def test_join_writes_csv_chunk_by_chunk_as_it_would_whole(household_file, tiny_boundaries, tmp_path):
    outputs = {}
    for chunk_rows in ("23", "100000"):
        out, rej = tmp_path / f"out{chunk_rows}.csv", tmp_path / f"rej{chunk_rows}.csv"
        done = _cli("join", str(household_file), "--kind", "households", "--chunk-rows", chunk_rows, "--out", str(out),
                    "--rejects", str(rej), boundaries=tiny_boundaries)
        assert done.returncode == 0, done.stderr
        assert out.read_bytes().count(b"\xef\xbb\xbf") == 1  # one BOM, one header
        outputs[chunk_rows] = (done.stdout, pd.read_csv(out, dtype=str, encoding="utf-8-sig"),
                               pd.read_csv(rej, dtype=str, encoding="utf-8-sig"))
    (text, located, rejects), (whole_text, whole_located, whole_rejects) = outputs["23"], outputs["100000"]
    assert text.split("located rows written")[0] == whole_text.split("located rows written")[0]
    pd.testing.assert_frame_equal(located, whole_located)
    by_row = lambda t: t.sort_values("row", key=lambda r: r.astype(int)).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(by_row(rejects), by_row(whole_rejects))
    assert len(located) + len(rejects) == read_records(household_file, "households", boundaries=tiny_boundaries).rows_read


def test_quoting_pyarrow_refuses_is_read_as_read_records_reads_it(tiny_boundaries, tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text('id,lat,lon,note\nA,16.43,102.83,ok\nB,16.44,102.84,"never closed\n', encoding="utf-8")
    _same(read_records(path, boundaries=tiny_boundaries),
          concat_records(iter_records(path, chunk_rows=1, boundaries=tiny_boundaries)))
