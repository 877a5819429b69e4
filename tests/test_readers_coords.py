"""Coordinate rules: decimals, DMS, hemisphere letters, Thai digits, swap fix, UTM, Thailand test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplots.readers import in_thailand, normalize_records, parse_coordinate, parse_pair
from geoplots.readers._coords import THAILAND_BOX, place
from _messy import THAI_DIGITS, dms, sample_pins, utm


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(12, seed=7, boundaries=tiny_boundaries)


def test_decimal_thai_digits_and_spaces():
    p = parse_coordinate(" ๑๖.๔๓๒๑ ")
    assert p.value == pytest.approx(16.4321)
    assert "thai_digits" in p.fixes
    assert parse_coordinate("102.8236").fixes == ()
    assert parse_coordinate(102.8236).value == 102.8236


@pytest.mark.parametrize(
    "text, expected",
    [
        ("16°25'55.6\"N", 16 + 25 / 60 + 55.6 / 3600),
        ("16° 25' 55.6\" N", 16 + 25 / 60 + 55.6 / 3600),
        ("N16°25'55.6\"", 16 + 25 / 60 + 55.6 / 3600),
        ("102°49′10″E", 102 + 49 / 60 + 10 / 3600),
        ("16°25.5'N", 16 + 25.5 / 60),
        ("16°25'55.6''N", 16 + 25 / 60 + 55.6 / 3600),
        ("33°51'S", -(33 + 51 / 60)),
    ],
)
def test_dms_and_hemisphere(text, expected):
    p = parse_coordinate(text)
    assert p.value == pytest.approx(expected)
    assert "dms" in p.fixes and "hemisphere_letter" in p.fixes


def test_hemisphere_letter_on_decimal_and_sign():
    assert parse_coordinate("16.43N").value == pytest.approx(16.43)
    assert parse_coordinate("W 100.5").value == pytest.approx(-100.5)
    assert parse_coordinate("-16.43").value == pytest.approx(-16.43)


@pytest.mark.parametrize("junk", ["abc", "16.4.3", "16°75'00\"N", "N16.4S", "", "  ", None, float("nan"), "1e400", True])
def test_unreadable_is_none_not_an_error(junk):
    assert parse_coordinate(junk).value is None


def test_pair_forms():
    for text in ("16.4321, 102.8236", "16.4321 102.8236 171.2 4.9", "[16.4321, 102.8236]", "(16.4321;102.8236)",
                 "๑๖.๔๓๒๑,๑๐๒.๘๒๓๖"):
        lat, lon = parse_pair(text)
        assert (lat.value, lon.value) == pytest.approx((16.4321, 102.8236)), text
    lat, lon = parse_pair("16°25'55.6\"N 102°49'10\"E")
    assert lat.value == pytest.approx(16 + 25 / 60 + 55.6 / 3600)
    assert lon.value == pytest.approx(102 + 49 / 60 + 10 / 3600)
    assert parse_pair("16.43")[0].value is None
    assert parse_pair("16.43 102.8 1 2 3")[0].value is None


def test_in_thailand_uses_the_outline_of_the_boundaries_given(pins, tiny_boundaries):
    assert in_thailand(pins["lon"], pins["lat"], boundaries=tiny_boundaries).all()
    # Inside the box but in the open Gulf of Thailand, far from any coast or island.
    assert not in_thailand([101.0], [11.0], boundaries=tiny_boundaries)[0]
    # Phnom Penh and Luang Prabang are inside the box, outside the outline.
    assert not in_thailand([104.92, 102.13], [11.56, 19.89], boundaries=tiny_boundaries).any()
    # Chiang Mai is in Thailand, but not in the three provinces of the tiny import.
    assert not in_thailand([98.99], [18.79], boundaries=tiny_boundaries)[0]


def test_in_thailand_without_boundaries_uses_the_box(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPLOTS_DATA", str(tmp_path / "nothing"))
    x0, y0, x1, y1 = THAILAND_BOX
    assert in_thailand([101.0, x0 + 0.01, x1 - 0.01], [11.0, y0 + 0.01, y1 - 0.01]).all()
    assert not in_thailand([x0 - 0.01, 100.0], [15.0, y1 + 0.01]).any()


def test_swapped_lat_lon_fixed_only_when_the_swap_lands_in_thailand(pins, tiny_boundaries):
    lat, lon = pins["lat"].to_numpy(), pins["lon"].to_numpy()
    placed = place(lon, lat, outline=tiny_boundaries.outline)
    assert (placed.status == "ok").all()
    np.testing.assert_allclose(placed.lat, lat)
    np.testing.assert_allclose(placed.lon, lon)
    assert all(w[0].code == "swapped_lat_lon" for w in placed.warnings)
    # As typed it is fine: no swap.
    placed = place(lat, lon, outline=tiny_boundaries.outline)
    assert all(w == [] for w in placed.warnings)
    # Tokyo typed either way is outside.
    tokyo = place(np.array([35.68, 139.69]), np.array([139.69, 35.68]), outline=tiny_boundaries.outline)
    assert list(tokyo.status) == ["outside", "outside"]


def test_utm_with_zone_column_and_inferred(pins, tiny_boundaries):
    rows = []
    for p in pins.itertuples():
        zone = 47 if p.lon < 102 else 48
        e, n = utm(p.lat, p.lon, zone)
        rows.append({"id": p.code, "northing": f"{n:.2f}", "easting": f"{e:.2f}", "zone": f"{zone}N"})
    table = pd.DataFrame(rows)
    rec = normalize_records(table, boundaries=tiny_boundaries)
    assert rec.rejects.empty
    np.testing.assert_allclose(rec.accepted["lat"], pins["lat"], atol=1e-6)
    np.testing.assert_allclose(rec.accepted["lon"], pins["lon"], atol=1e-6)
    assert all(any(w.code == "utm_converted" for w in ws) for ws in rec.accepted["warnings"])

    # Without the zone column a zone is used only when exactly one lands in Thailand.
    inferred = normalize_records(table.drop(columns="zone"), boundaries=tiny_boundaries)
    assert len(inferred.accepted) + len(inferred.rejects) == len(table)
    for row in inferred.rejects.itertuples():
        assert row.reason == "unparseable_coordinates" and "zone 47 and 48" in row.message
    for row in inferred.accepted.itertuples():
        i = row.row - 2
        assert (row.lat, row.lon) == pytest.approx((pins["lat"][i], pins["lon"][i]), abs=1e-6)
        other = 48 if pins["lon"][i] < 102 else 47
        e, n = utm(pins["lat"][i], pins["lon"][i], 47 if other == 48 else 48)
        assert not in_thailand(*_from(e, n, other), boundaries=tiny_boundaries)[0]


def _from(e, n, zone):
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(f"EPSG:{32600 + zone}", "EPSG:4326", always_xy=True).transform(e, n)
    return [lon], [lat]


def test_coordinate_fixes_recorded_per_row(pins, tiny_boundaries):
    p = pins.iloc[0]
    table = pd.DataFrame(
        {
            "ละติจูด": [f"{p.lat:.6f}".translate(THAI_DIGITS), dms(p.lat, "N", "S"), f"{p.lon:.6f}", ""],
            "ลองจิจูด": [f"{p.lon:.6f}".translate(THAI_DIGITS), dms(p.lon, "E", "W"), f"{p.lat:.6f}", "102.1"],
        }
    )
    rec = normalize_records(table, boundaries=tiny_boundaries)
    kinds = [sorted({w.code for w in ws}) for ws in rec.accepted["warnings"]]
    assert kinds == [["thai_digits"], ["dms", "hemisphere_letter"], ["swapped_lat_lon"]]
    np.testing.assert_allclose(rec.accepted["lat"], [p.lat] * 3, atol=1e-5)
    np.testing.assert_allclose(rec.accepted["lon"], [p.lon] * 3, atol=1e-5)
    assert rec.rejects["reason"].tolist() == ["missing_coordinates"]
    assert "latitude is empty" in rec.rejects["message"][0]


def test_both_coordinates_typed_in_one_column(pins, tiny_boundaries):
    p = pins.iloc[1]
    table = pd.DataFrame({"lat": [f"{p.lat:.6f}, {p.lon:.6f}", ""], "lon": ["", f"{p.lat:.6f}"]})
    rec = normalize_records(table, boundaries=tiny_boundaries)
    assert (rec.accepted["lat"][0], rec.accepted["lon"][0]) == pytest.approx((p.lat, p.lon), abs=1e-6)
    assert rec.accepted["warnings"][0][0].code == "pair_in_one_column"
    assert rec.rejects["reason"].tolist() == ["missing_coordinates"]


def test_utm_easting_and_northing_typed_the_other_way_round(pins, tiny_boundaries):
    p = pins.iloc[2]
    zone = 47 if p.lon < 102 else 48
    e, n = utm(p.lat, p.lon, zone)
    table = pd.DataFrame({"northing": [f"{e:.1f}"], "easting": [f"{n:.1f}"], "zone": [str(zone)]})
    rec = normalize_records(table, boundaries=tiny_boundaries)
    assert (rec.accepted["lat"][0], rec.accepted["lon"][0]) == pytest.approx((p.lat, p.lon), abs=1e-5)
    kinds = {w.code for w in rec.accepted["warnings"][0]}
    assert kinds == {"utm_converted", "swapped_easting_northing"}
