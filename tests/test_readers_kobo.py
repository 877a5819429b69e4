"""Kobo and ODK exports as they come, household files with Thai answers and a date
column named ``registered``, names for popups: issue 12, "columns by content".

Every file is written here the way the tools and staff write it (Kobo: ``;`` separated,
groups joined by ``/``, geopoint split into ``_<q>_latitude`` ...; ODK Central: ``,``,
``<group>-<q>-Latitude`` ..., ``KEY``, ``ReviewState``); coordinates come from the real
boundaries.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import geoplots
from geoplots.layers.pins import popup_html
from geoplots.records import REJECT_REASONS
from _messy import sample_pins, write_csv, write_xlsx

KOBO_HEADER = ["start", "end", "today", "deviceid", "group_plot/ชื่อแปลง", "group_plot/หมู่บ้าน", "group_plot/gps",
               "group_plot/_gps_latitude", "group_plot/_gps_longitude", "group_plot/_gps_altitude",
               "group_plot/_gps_precision", "group_q/ปลูกผักสวนครัว", "_id", "_uuid", "_submission_time",
               "_validation_status", "_notes", "_status", "_submitted_by", "__version__", "_tags", "_index"]
#: GPS accuracy (m) of each submission: the fourth is a poor fix.
ACCURACY = [4.5, 6.0, 3.9, 25.0, 5.1, 8.0]
#: Kobo review of each submission: the third was not approved by the reviewer.
VALIDATION = ["validation_status_approved", "", "validation_status_not_approved", "validation_status_on_hold",
              "validation_status_approved", ""]


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(len(ACCURACY), seed=5, boundaries=tiny_boundaries)


def _kobo_rows(pins, excel: bool = False) -> list[list[object]]:
    rows: list[list[object]] = [KOBO_HEADER]
    for i, p in enumerate(pins.itertuples()):
        today = dt.date(2024, 3, 5 + i)
        lat, lon = round(p.lat, 6), round(p.lon, 6)
        rows.append([
            f"{today}T08:0{i}:00.000+07:00", f"{today}T08:1{i}:00.000+07:00",
            dt.datetime(2024, 3, 5 + i) if excel else str(today), "collect:abc",
            f"แปลงผักนาย{'สมชายสมศรีสมปองสมหมายสมพรสมใจ'[i * 5:i * 5 + 5]}", f"บ้านหนองแวง หมู่ที่ {'๑๒๓๔๕๖'[i]}",
            f"{lat} {lon} 160.0 {ACCURACY[i]}", lat if excel else str(lat), lon if excel else str(lon),
            160.0 if excel else "160.0", ACCURACY[i] if excel else str(ACCURACY[i]),
            "ปลูก" if i % 2 else "ไม่ปลูก", 1000 + i if excel else str(1000 + i),
            f"5c1f0f2e-0000-4000-8000-00000000000{i}",
            # The server received them all a week later: not the survey date.
            "2024-03-20T10:00:00", VALIDATION[i], "", "submitted_via_web", "officer1", "vQ8", "", str(i + 1),
        ])
    return rows


@pytest.fixture(params=["csv", "xlsx"])
def kobo_file(request, tmp_path, pins):
    if request.param == "csv":
        return write_csv(tmp_path / "kobo_export.csv", _kobo_rows(pins), delimiter=";")
    return write_xlsx(tmp_path / "kobo_export.xlsx", _kobo_rows(pins, excel=True))


def test_kobo_export_as_it_comes(kobo_file, pins, tiny_boundaries):
    rec = geoplots.read_records(kobo_file, boundaries=tiny_boundaries, yes_no=["group_q/ปลูกผักสวนครัว"])
    assert rec.rows_read == len(pins)
    # The reviewer's "not approved" is not counted, but kept in the rejects with a reason.
    assert rec.rejects[["row", "reason"]].values.tolist() == [[4, "review_rejected"]]
    assert "reviewer" in rec.rejects["message"].iloc[0]
    acc = rec.accepted.set_index("row")
    # The stable ID is Kobo's _uuid (survives a re-export), not the per-server _id.
    assert acc["record_id"].tolist() == [f"5c1f0f2e-0000-4000-8000-00000000000{i}" for i in (0, 1, 3, 4, 5)]
    # The officer's date (today), not the server's submission time.
    assert acc["date"].dt.day.tolist() == [5, 6, 8, 9, 10]
    assert "today" in rec.notes["date"] and "_submission_time" in rec.notes["date"]
    assert acc["gps_accuracy_m"].astype(float).tolist() == [ACCURACY[i] for i in (0, 1, 3, 4, 5)]
    assert acc["review_state"].tolist()[0] == "validation_status_approved"
    assert acc["moo"].tolist() == [1, 2, 4, 5, 6]
    assert acc["name"].tolist()[0] == "แปลงผักนายสมชาย"
    assert acc["lat"].round(6).tolist() == pins["lat"].round(6).iloc[[0, 1, 3, 4, 5]].tolist()
    assert acc["group_q/ปลูกผักสวนครัว"].tolist() == [False, True, True, False, True]
    # Popups show the plot's name, not "row 2".
    html = popup_html(acc.reset_index().iloc[0].to_dict())
    assert "แปลงผักนายสมชาย" in html and "row 2" not in html


def test_poor_gps_fixes_rejected_on_request(kobo_file, tiny_boundaries):
    rec = geoplots.read_records(kobo_file, boundaries=tiny_boundaries, max_gps_accuracy_m=10)
    assert sorted(rec.rejects[["row", "reason"]].values.tolist()) == [[4, "review_rejected"], [5, "gps_inaccurate"]]
    message = rec.rejects.set_index("row").loc[5, "message"]
    assert "take the point again" in message and "25 m, at most 10 m" in message
    assert "gps_inaccurate" in REJECT_REASONS
    with pytest.raises(geoplots.GeoplotsError, match="positive number of metres"):
        geoplots.read_records(kobo_file, boundaries=tiny_boundaries, max_gps_accuracy_m="ten")


def test_review_rejected_kept_when_asked(kobo_file, tiny_boundaries):
    rec = geoplots.read_records(kobo_file, boundaries=tiny_boundaries, keep_review_rejected=True)
    assert rec.rejects.empty
    warned = rec.accepted.set_index("row").loc[4, "warnings"]
    assert [w.code for w in warned] == ["review_rejected"]


def test_kobo_geopoint_column_alone(tmp_path, pins, tiny_boundaries):
    """A Kobo export with only the raw geopoint ("lat lon altitude accuracy")."""
    rows = [["ชื่อหมู่บ้าน", "gps", "_uuid"]]
    rows += [[f"บ้าน {i}", f"{p.lat:.6f} {p.lon:.6f} 150 {ACCURACY[i]}", f"u{i}"] for i, p in enumerate(pins.itertuples())]
    rec = geoplots.read_records(write_csv(tmp_path / "gps.csv", rows, delimiter=";"), boundaries=tiny_boundaries,
                                max_gps_accuracy_m=20)
    assert rec.rejects["reason"].tolist() == ["gps_inaccurate"]
    assert rec.accepted["gps_accuracy_m"].astype(float).tolist() == [a for a in ACCURACY if a <= 20]
    assert rec.accepted["name"].tolist()[:2] == ["บ้าน 0", "บ้าน 1"]


ODK_HEADER = ["SubmissionDate", "start", "end", "today", "deviceid", "group_plot-plot_name", "group_plot-gps-Latitude",
              "group_plot-gps-Longitude", "group_plot-gps-Altitude", "group_plot-gps-Accuracy", "group_plot-moo",
              "meta-instanceID", "KEY", "SubmitterID", "SubmitterName", "AttachmentsPresent", "AttachmentsExpected",
              "Status", "ReviewState", "DeviceID", "Edits", "FormVersion"]
REVIEW = ["approved", "hasIssues", "rejected", "", "edited", "approved"]


def test_odk_central_export(tmp_path, pins, tiny_boundaries):
    rows: list[list[object]] = [ODK_HEADER]
    for i, p in enumerate(pins.itertuples()):
        today = f"2024-04-{10 + i}"
        rows.append([
            "2024-05-01T03:00:00.000Z", f"{today}T09:00:00.000+07:00", f"{today}T09:20:00.000+07:00",
            "" if i == 1 else today,  # no "today": the officer's start time dates it
            "collect:x", f"แปลงเกษตรกร {i}", f"{p.lat:.7f}", f"{p.lon:.7f}", "155.2", str(ACCURACY[i]), str(i + 1),
            f"uuid:9a0e-{i}", f"uuid:9a0e-{i}", "7", "สมชาย", "0", "0", "", REVIEW[i], "collect:x", "0", "2024031501",
        ])
    rec = geoplots.read_records(write_csv(tmp_path / "odk_central.csv", rows), boundaries=tiny_boundaries)
    assert rec.rejects[["row", "reason"]].values.tolist() == [[4, "review_rejected"]]
    acc = rec.accepted.set_index("row")
    assert acc["record_id"].tolist() == [f"uuid:9a0e-{i}" for i in (0, 1, 3, 4, 5)]
    assert acc["review_state"].fillna("").tolist() == ["approved", "hasIssues", "", "edited", "approved"]
    assert acc["gps_accuracy_m"].astype(float).tolist() == [ACCURACY[i] for i in (0, 1, 3, 4, 5)]
    assert acc["date"].dt.day.tolist() == [10, 11, 13, 14, 15]  # row 3's blank today: the server's date, not lost
    assert acc["moo"].tolist() == [1, 2, 4, 5, 6]
    assert acc["name"].tolist()[0] == "แปลงเกษตรกร 0"


def test_household_file_with_thai_answers_and_registered_dates(tmp_path, tiny_boundaries):
    pins = sample_pins(8, seed=23, boundaries=tiny_boundaries)
    rows: list[list[object]] = [["เลขที่บ้าน", "ชื่อหัวหน้าครัวเรือน", "หมู่", "lat", "lon", "ปลูกผักสวนครัว",
                                 "registered", "หมายเหตุ"]]
    typed = ["5/3/2567", "12 มี.ค. 2567", "2024-03-14", "1/4/67", "15 เมษายน 2567", "ไม่ทราบ", "", "3/3/2567"]
    for i, p in enumerate(pins.itertuples()):
        rows.append([f"{10 + i}/2", f"นาง สมใจ {i}", str(i % 3 + 1), f"{p.lat:.6f}", f"{p.lon:.6f}",
                     ["ปลูก", "ไม่ปลูก", ""][i % 3], typed[i], ["5/3", "ย้ายออก", "", "-"][i % 4]])
    rec = geoplots.read_records(write_csv(tmp_path / "ครัวเรือน.csv", rows), kind="households",
                                boundaries=tiny_boundaries, yes_no=["ปลูกผักสวนครัว"])
    assert rec.rows_read == 8 and rec.rejects.empty
    acc = rec.accepted.set_index("row")
    assert "'registered'" in rec.notes["date"]  # said once for the file, naming the column
    assert acc["date"].tolist()[:5] == [pd.Timestamp(2024, 3, d) for d in (5, 12, 14)] + [
        pd.Timestamp(2024, 4, 1), pd.Timestamp(2024, 4, 15)]
    assert acc["date"].isna().tolist()[5:7] == [True, True]
    assert [w.code for w in acc.loc[7, "warnings"]] == ["bad_date"]  # "ไม่ทราบ" is said, not dropped
    assert acc["name"].tolist()[0] == "นาง สมใจ 0"
    assert acc["moo"].tolist() == [i % 3 + 1 for i in range(8)]
    assert acc["ปลูกผักสวนครัว"].tolist()[:2] == [True, False]


def test_a_column_of_mostly_other_things_is_not_a_date(tmp_path, tiny_boundaries):
    p = sample_pins(1, seed=3, boundaries=tiny_boundaries).iloc[0]
    rows = [["lat", "lon", "หมายเหตุ"]] + [[f"{p.lat:.6f}", f"{p.lon:.6f}", v]
                                          for v in ("5/3/2567", "ย้ายออก", "รอตรวจ", "-", "12", "ok")]
    rec = geoplots.read_records(write_csv(tmp_path / "notes.csv", rows), boundaries=tiny_boundaries)
    assert "date" not in rec.accepted.columns and "date" not in rec.notes
    assert not any(rec.accepted["warnings"].map(len))


def test_cli_check_rejects_poor_fixes_on_request(tmp_path, pins):
    from typer.testing import CliRunner

    from geoplots.cli import app

    path = write_csv(tmp_path / "kobo.csv", _kobo_rows(pins), delimiter=";")
    plain = CliRunner().invoke(app, ["check", str(path)])
    assert plain.exit_code == 0, plain.output
    assert "gps_inaccurate" not in plain.output and "review_rejected" in plain.output
    strict = CliRunner().invoke(app, ["check", str(path), "--max-gps-accuracy", "10", "--keep-review-rejected",
                                      "--rejects", str(tmp_path / "rej.csv")])
    assert strict.exit_code == 0, strict.output
    rejects = pd.read_csv(tmp_path / "rej.csv")
    assert rejects[["row", "reason"]].values.tolist() == [[5, "gps_inaccurate"]]
