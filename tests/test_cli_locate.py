"""geoplots join / geoplots coverage on files as staff send them."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pandas as pd

from geoplots import synthetic


def _run(*args: str, boundaries) -> subprocess.CompletedProcess:
    """``geoplots ARGS --data DIR`` in a child process, on the imported ``boundaries``."""
    return subprocess.run(
        [sys.executable, "-c", "from geoplots.cli import main; main()", *args, "--data", str(boundaries.root)],
        capture_output=True, text=True,
    )


def test_join_writes_codes_match_distance_and_rejects(boundaries, tmp_path):
    pins = synthetic.sample_points(300, codes=["40"], seed=1, boundaries=boundaries)
    table = pd.DataFrame({"รหัส": pins["record_id"], "ละติจูด": pins["lat"], "ลองจิจูด": pins["lon"]})
    table.loc[len(table)] = ["FAR-1", 9.0, 97.5]  # Andaman Sea, inside the Thailand box, far from land
    src = tmp_path / "pins.csv"
    table.to_csv(src, index=False, encoding="utf-8-sig")
    out, rej = tmp_path / "out.csv", tmp_path / "rej.csv"
    done = _run("join", str(src), "--out", str(out), "--rejects", str(rej), boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    located = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert {"lat", "lon", "subdistrict_code", "district_code", "province_code", "inspection_zone", "match",
            "distance_m"} <= set(located.columns)
    assert located["subdistrict_code"].tolist() == pins["subdistrict_code"].tolist()
    rejects = pd.read_csv(rej, dtype=str, encoding="utf-8-sig")
    assert len(located) + len(rejects) == len(table)
    assert rejects["reason"].isin(["outside_boundaries", "outside_thailand"]).all() and len(rejects) == 1


def test_coverage_command_writes_xlsx_per_zone(boundaries, tmp_path):
    villages = synthetic.model_villages(["12"], seed=2, boundaries=boundaries)
    src = tmp_path / "villages.csv"
    villages.drop(columns="geometry").to_csv(src, index=False)
    out = tmp_path / "cov.xlsx"
    done = _run("coverage", str(src), "--level", "district", "--min", "1", "--zone", "12", "--out", str(out),
                boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    assert out.is_file()
    assert openpyxl.load_workbook(out).sheetnames == ["สรุป", "เขตตรวจราชการที่ 12", "หน่วยที่ยังไม่ผ่าน (gaps)",
                                                      "แถวที่ไม่รับ (rejected)"]
    bad = _run("coverage", str(src), "--rule", "nope", "--out", str(out), boundaries=boundaries)
    assert bad.returncode == 2 and "Unknown rule" in bad.stderr


def test_coverage_change_leaders_from_an_enrolment_list_of_codes(boundaries, tmp_path):
    from geoplots.counting.rules import change_leader_targets

    enrolled = synthetic.enrolled_subdistricts(0.9, seed=3, boundaries=boundaries)
    src = tmp_path / "enrolled.csv"
    enrolled[["subdistrict_code", "name_th"]].to_csv(src, index=False)
    out = tmp_path / "cl.csv"
    done = _run("coverage", str(src), "--rule", "change_leaders", "--out", str(out), boundaries=boundaries)
    assert done.returncode == 0, done.stderr
    expected = int(change_leader_targets(boundaries)["expected_boundaries"].sum())
    assert f"expected_boundaries: {expected}" in done.stdout
    table = pd.read_csv(out, dtype={"code": str}, encoding="utf-8-sig")
    per_district = enrolled.groupby("district_code")["subdistrict_code"].nunique()
    assert table.set_index("code")["count"].sum() == per_district.sum()


def test_coverage_flags_a_rule_does_not_take_are_errors_before_reading(tiny_boundaries, tmp_path):
    # Formerly ignored: --min with model_villages, --column without a rule.
    missing = tmp_path / "never-read.csv"
    out = tmp_path / "cov.xlsx"
    done = _run("coverage", str(missing), "--rule", "model_villages", "--min", "3", "--out", str(out), boundaries=tiny_boundaries)
    assert done.returncode == 2 and "--rule model_villages does not take --min" in done.stderr
    done = _run("coverage", str(missing), "--column", "has_garden", "--out", str(out), boundaries=tiny_boundaries)
    assert done.returncode == 2 and "does not take --column; it takes --level, --min" in done.stderr
    helped = _run("coverage", "--help", boundaries=tiny_boundaries)
    assert all(name in helped.stdout for name in ("model_villages", "change_leaders", "household_participation"))
