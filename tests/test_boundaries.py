"""Importing the real COD-AB boundaries and reading them back."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import geothai
import pytest
import shapely

import geoplots
from geoplots.boundaries._read import read_boundary_file
from geoplots.errors import BoundaryFileError, NoBoundariesError, UnknownLevelError

from conftest import cod_ab_files

THAI = re.compile(r"[\u0e00-\u0e7f]")


@pytest.mark.parametrize(("level", "count"), [("province", 77), ("district", 928), ("subdistrict", 7425)])
def test_counts_and_columns(boundaries, level: str, count: int) -> None:
    gdf = boundaries.level(level)
    assert len(gdf) == count
    assert gdf.crs.to_epsg() == 4326
    assert gdf["code"].is_unique
    assert set(gdf.columns) >= {"code", "name_th", "name_en", "geometry"}
    assert gdf.geometry.is_valid.all()


def test_thai_names_read_as_thai(boundaries) -> None:
    provinces = boundaries.level("province").set_index("code")
    assert provinces.loc["40", "name_th"] == geothai.province("40").name_th == "ขอนแก่น"
    sub = boundaries.level("subdistrict")
    assert sub["name_th"].str.contains(THAI).all()
    assert not sub["name_th"].str.contains("à¸").any()


def test_code_hierarchy(boundaries) -> None:
    sub = boundaries.level("subdistrict")
    assert (sub["district_code"] == sub["code"].str[:4]).all()
    assert (sub["province_code"] == sub["code"].str[:2]).all()
    districts = set(boundaries.level("district")["code"])
    assert set(sub["district_code"]) <= districts
    dist = boundaries.level("district")
    assert "district_code" not in dist.columns
    assert set(dist["province_code"]) == set(boundaries.level("province")["code"])


def test_registry_differences_are_reported(boundaries) -> None:
    manifest = geoplots.boundaries_info(boundaries)
    reg = manifest["levels"]["subdistrict"]["registry"]
    registry_now = {s.code for d in (d for p in geothai.provinces() for d in geothai.districts(p.code)) for s in geothai.subdistricts(d.code)}
    imported = set(boundaries.level("subdistrict")["code"])
    assert {r["code"] for r in reg["only_in_registry"]} == registry_now - imported
    assert {r["code"] for r in reg["only_in_boundaries"]} == imported - registry_now
    assert reg["boundary_count"] == 7425 and reg["registry_count"] == len(registry_now)


def test_manifest_has_sources_and_attribution(boundaries) -> None:
    manifest = geoplots.boundaries_info(boundaries)
    assert "OCHA" in manifest["attribution"] and "Royal Thai Survey Department" in manifest["attribution"]
    assert "CC BY-IGO" in manifest["licence"]
    for level, path in zip(("province", "district", "subdistrict"), cod_ab_files()):
        item = manifest["levels"][level]
        assert item["source"]["file"] == path.name
        assert len(item["source"]["sha256"]) == 64
        assert item["imported_at"]
    assert manifest["levels"]["district"]["geometries_repaired"] >= 0


def test_unknown_level_names_the_choices(boundaries) -> None:
    with pytest.raises(UnknownLevelError, match="province.*district.*subdistrict"):
        geoplots.boundaries("village", boundaries=boundaries)
    assert len(geoplots.boundaries("ตำบล", boundaries=boundaries)) == 7425


def test_no_import_yet_tells_the_command(tmp_path: Path) -> None:
    with pytest.raises(NoBoundariesError, match="geoplots boundaries import"):
        geoplots.Boundaries.load(tmp_path)


def test_missing_pcode_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "plain.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(100, 13, 101, 14)], crs=4326).to_file(path)
    with pytest.raises(BoundaryFileError, match="ADM1_PCODE.*ADM2_PCODE.*ADM3_PCODE"):
        read_boundary_file(path)


def test_corrupt_zip_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.zip"
    bad.write_bytes(cod_ab_files()[0].read_bytes()[:5000])
    with pytest.raises(BoundaryFileError, match="zip"):
        read_boundary_file(bad)


def test_geojson_and_gpkg_sources_and_geometry_repair(tmp_path: Path) -> None:
    # A bow-tie polygon is invalid; the import must repair it and say so.
    bowtie = shapely.Polygon([(100, 13), (101, 14), (101, 13), (100, 14)])
    frame = gpd.GeoDataFrame(
        {"ADM1_PCODE": ["TH40", "TH10"], "ADM1_TH": ["ขอนแก่น", "กรุงเทพมหานคร"], "ADM1_EN": ["Khon Kaen", "Bangkok"]},
        geometry=[bowtie, shapely.box(100.3, 13.5, 100.9, 14.0)],
        crs=4326,
    )
    for name in ("p.geojson", "p.gpkg"):
        frame.to_file(tmp_path / name)
        result = read_boundary_file(tmp_path / name)
        assert result.level == "province"
        assert result.geometries_repaired == 1
        assert result.frame.geometry.is_valid.all()
        assert result.frame.set_index("code").loc["40", "name_th"] == "ขอนแก่น"
        assert result.encoding_repair is None


def test_tis620_dbf_is_repaired(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"ADM1_PCODE": ["TH40"], "ADM1_TH": ["ขอนแก่น"], "ADM1_EN": ["Khon Kaen"]},
        geometry=[shapely.box(102, 16, 103, 17)],
        crs=4326,
    )
    shp = tmp_path / "p.shp"
    frame.to_file(shp, encoding="cp874")
    (tmp_path / "p.cpg").unlink(missing_ok=True)
    result = read_boundary_file(shp)
    assert result.frame.loc[0, "name_th"] == "ขอนแก่น"
    assert result.encoding_repair == "cp874"


def test_failed_import_keeps_previous_copy(tmp_path: Path) -> None:
    files = cod_ab_files()
    geoplots.import_boundaries([files[0]], dest=tmp_path)
    before = geoplots.Boundaries.load(tmp_path).info()["snapshot"]
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(BoundaryFileError):
        geoplots.import_boundaries([files[1], bad], dest=tmp_path)
    assert geoplots.Boundaries.load(tmp_path).info()["snapshot"] == before
    assert len(geoplots.Boundaries.load(tmp_path).level("province")) == 77
    with pytest.raises(NoBoundariesError, match="district"):
        geoplots.Boundaries.load(tmp_path).level("district")


def test_partial_import_keeps_other_levels(tmp_path: Path) -> None:
    files = cod_ab_files()
    geoplots.import_boundaries([files[0]], dest=tmp_path)
    geoplots.import_boundaries([files[1]], dest=tmp_path)
    info = geoplots.Boundaries.load(tmp_path).info()
    assert set(info["levels"]) == {"province", "district"}
    assert len(geoplots.Boundaries.load(tmp_path).level("province")) == 77
    assert len(list((tmp_path / "snapshots").iterdir())) <= 2


def test_shapefile_inside_zip_read_directly(tmp_path: Path) -> None:
    with zipfile.ZipFile(cod_ab_files()[0]) as zf:
        zf.extractall(tmp_path)
    shp = next(tmp_path.glob("*.shp"))
    result = read_boundary_file(shp)
    assert len(result.frame) == 77
    assert json.dumps(result.frame["name_th"].tolist(), ensure_ascii=False).count("ขอนแก่น") == 1
