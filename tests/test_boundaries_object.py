"""geoplots.Boundaries: one imported snapshot, loaded at the edge and passed explicitly.

These run on the tiny import (Khon Kaen, Kalasin, Bangkok), never the national one.
"""

from __future__ import annotations

import ast
import dataclasses
import os
import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import geoplots
from geoplots.boundaries import default_boundaries
from geoplots.errors import GeoplotsError, NoBoundariesError
from geoplots.groups import GroupingScheme

from conftest import TINY_PROVINCES, cod_ab_files

PACKAGE = Path(geoplots.__file__).parent


def test_load_from_a_path_from_geoplots_data_or_from_the_default_directory(tiny_boundary_dir, tmp_path, monkeypatch):
    given = geoplots.Boundaries.load(tiny_boundary_dir)
    assert given.root == tiny_boundary_dir and given.levels == ("province", "district", "subdistrict")
    monkeypatch.setenv("GEOPLOTS_DATA", str(tiny_boundary_dir))
    assert geoplots.Boundaries.load() == given
    monkeypatch.delenv("GEOPLOTS_DATA")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "boundaries").symlink_to(tiny_boundary_dir)
    assert geoplots.Boundaries.load().snapshot == given.snapshot
    with pytest.raises(NoBoundariesError, match="geoplots boundaries import"):
        geoplots.Boundaries.load(tmp_path / "nothing")


def test_levels_are_copies_of_the_three_provinces_cut_out(tiny_boundaries):
    provinces = tiny_boundaries.level("จังหวัด")
    assert sorted(provinces["code"]) == sorted(TINY_PROVINCES)
    assert provinces.set_index("code").loc["40", "name_th"] == "ขอนแก่น"
    sub = tiny_boundaries.level("subdistrict")
    assert set(sub["province_code"]) == set(TINY_PROVINCES) and len(sub) > 300
    provinces["code"] = "xx"  # the caller's copy: the next caller is not affected
    assert sorted(tiny_boundaries.level("province")["code"]) == sorted(TINY_PROVINCES)
    zoned = tiny_boundaries.with_zones("district")
    assert zoned is tiny_boundaries.with_zones("district")  # built once, shared
    assert set(zoned["inspection_zone"]) == {"12", "central"}
    assert tiny_boundaries.attribution == "OCHA, Royal Thai Survey Department (CC BY-IGO)"


def test_a_loaded_snapshot_is_immutable_and_outlives_a_new_import(tmp_path):
    province_zip = cod_ab_files()[0]
    geoplots.import_boundaries([province_zip], dest=tmp_path)
    first = geoplots.Boundaries.load(tmp_path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.snapshot = "other"  # type: ignore[misc]
    geoplots.import_boundaries([province_zip], dest=tmp_path)
    second = geoplots.Boundaries.load(tmp_path)
    assert second != first and second.is_current() and not first.is_current()
    assert len(first.level("province")) == len(second.level("province")) == 77
    with pytest.raises(NoBoundariesError, match="district"):
        first.level("district")


def test_areas_by_code_thai_or_english_name_and_their_zone(tiny_boundaries):
    for name in ("40", "ขอนแก่น", "khon kaen", "KHON KAEN"):
        area = tiny_boundaries.area(province=name)
        assert area.codes == ("40",) and area.zone == "12" and area.label == "ขอนแก่น (40)"
    district = tiny_boundaries.area(district="4001")
    assert district.codes == ("4001",) and district.zone == "12"
    assert tiny_boundaries.area(district=district.outline["name_th"].iloc[0]).codes == ("4001",)
    assert tiny_boundaries.area(province="กรุงเทพมหานคร").zone == "central"
    zone = tiny_boundaries.area(zone=12)
    assert zone.codes == tuple(geoplots.inspection_zones().codes_in("12")) and zone.zone == "12"
    assert sorted(zone.outline["code"]) == ["40", "46"]  # what this import holds of zone 12
    whole = tiny_boundaries.area()
    assert whole.codes == () and whole.outline is None and whole.label == "ประเทศไทย"
    with pytest.raises(GeoplotsError, match="No province 'Atlantis'.*Thai or English name"):
        tiny_boundaries.area(province="Atlantis")
    with pytest.raises(GeoplotsError, match="no inspection zone '99'.*central"):
        tiny_boundaries.area(zone="99")
    with pytest.raises(GeoplotsError, match="only one of"):
        tiny_boundaries.area(zone=12, province="40")


def test_schemes_come_from_the_snapshot_and_compare_by_content(tiny_boundaries, tmp_path):
    assert tiny_boundaries.scheme("inspection_zone") is tiny_boundaries.zones
    assert tiny_boundaries.scheme(None) is None
    path = tmp_path / "regions.csv"
    pd.DataFrame({"code": ["40", "46", "10"], "group": ["NE", "NE", "C"]}).to_csv(path, index=False)
    regions = tiny_boundaries.scheme(str(path))
    again = GroupingScheme(regions.name, regions.level, dict(regions.mapping))
    assert again == regions and hash(again) == hash(regions)
    assert tiny_boundaries.schemes(["inspection_zone", str(path)]) == (tiny_boundaries.zones, regions)


def test_pickles_as_its_path_and_snapshot_and_reloads_lazily(tiny_boundaries, tmp_path):
    tiny_boundaries.index, tiny_boundaries.outline  # noqa: B018 - loaded before pickling
    data = pickle.dumps(tiny_boundaries)
    assert len(data) < 1000
    copy = pickle.loads(data)
    assert copy == tiny_boundaries and copy._cache == {}
    assert (copy.index.codes == tiny_boundaries.index.codes).all()
    # A copy whose snapshot was removed by later imports says so.
    moved = tmp_path / "moved"
    shutil.copytree(tiny_boundaries.root, moved)
    stale = pickle.dumps(geoplots.Boundaries.load(moved))
    shutil.rmtree(moved / "snapshots")
    with pytest.raises(NoBoundariesError, match="no longer in"):
        pickle.loads(stale)


def test_the_default_is_loaded_once_and_follows_its_directory(tiny_boundary_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPLOTS_DATA", str(tiny_boundary_dir))
    first = default_boundaries()
    assert default_boundaries() is first
    other = tmp_path / "other"
    geoplots.import_boundaries([cod_ab_files()[0]], dest=other)
    monkeypatch.setenv("GEOPLOTS_DATA", str(other))
    assert default_boundaries().root == other
    geoplots.import_boundaries([cod_ab_files()[0]], dest=other)  # a new import in the same place
    assert default_boundaries().is_current()
    monkeypatch.setenv("GEOPLOTS_DATA", str(tmp_path / "nothing"))
    with pytest.raises(NoBoundariesError):
        default_boundaries()
    with pytest.raises(GeoplotsError, match="geoplots.Boundaries"):
        geoplots.locate(pd.DataFrame({"lat": [16.4], "lon": [102.8]}), boundaries=str(tiny_boundary_dir))


def test_readers_use_the_outline_of_the_boundaries_passed(tiny_boundaries, tmp_path, monkeypatch):
    # Chiang Mai: in Thailand, not in the tiny import's three provinces.
    table = pd.DataFrame({"id": ["KK", "CM"], "lat": ["16.43", "18.79"], "lon": ["102.83", "98.99"]})
    tiny = geoplots.readers.normalize_records(table, boundaries=tiny_boundaries)
    assert tiny.accepted["record_id"].tolist() == ["KK"]
    assert tiny.rejects["reason"].tolist() == ["outside_thailand"]
    monkeypatch.setenv("GEOPLOTS_DATA", str(tmp_path / "nothing"))  # nothing imported: the box
    assert len(geoplots.readers.normalize_records(table).accepted) == 2
    path = tmp_path / "pins.csv"
    table.to_csv(path, index=False)
    located = geoplots.locate(geoplots.read_records(path, boundaries=tiny_boundaries), boundaries=tiny_boundaries)
    assert located.accepted["province_code"].astype(str).tolist() == ["40"]
    assert located.rows_read == 2 == len(located.accepted) + len(located.rejects)


def test_the_server_loads_its_boundaries_once_at_start_up(tiny_boundary_dir, tmp_path):
    from geoplots.server.app import create_app
    from geoplots.server.settings import Settings

    app = create_app(Settings(db=str(tmp_path / "s.gpkg"), data=tiny_boundary_dir))
    with TestClient(app) as client:
        loaded = app.state.boundaries
        assert client.get("/health").json()["boundaries"] == loaded.snapshot
        provinces = client.get("/collections/provinces/items").json()
        assert sorted(f["id"] for f in provinces["features"]) == sorted(TINY_PROVINCES)
        assert client.get("/api/coverage?level=province").status_code == 200
        assert app.state.boundaries is loaded


def test_a_server_without_boundaries_starts_and_says_what_to_do(tmp_path):
    from geoplots.server.app import create_app
    from geoplots.server.settings import Settings

    app = create_app(Settings(db=str(tmp_path / "s.gpkg"), data=tmp_path / "nothing"))
    with TestClient(app) as client:
        assert client.get("/health").json()["boundaries"] is None
        assert client.get("/collections/pins/items").status_code == 200
        for url in ("/collections/provinces/items", "/collections/districts/items/4001",
                    "/api/coverage?level=province", "/maps/coverage"):
            res = client.get(url)
            assert res.status_code == 503 and res.json()["error"] == "no_boundaries", url
            assert "geoplots boundaries import" in res.json()["message"]


def test_geoplots_serve_does_not_write_the_environment(tiny_boundary_dir, monkeypatch):
    from geoplots.cli.serve import _settings

    monkeypatch.delenv("GEOPLOTS_DATA", raising=False)
    settings = _settings(None, tiny_boundary_dir)
    assert settings.data == tiny_boundary_dir
    assert "GEOPLOTS_DATA" not in os.environ


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def test_no_module_writes_the_environment():
    writes = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AugAssign) else []
            for target in targets:
                if isinstance(target, ast.Subscript) and ast.unparse(target.value) == "os.environ":
                    writes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            if isinstance(node, ast.Call) and ast.unparse(node.func) in (
                    "os.environ.update", "os.environ.setdefault", "os.putenv", "os.environ.pop"):
                writes.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert writes == []


def test_no_module_imports_another_packages_private_module():
    reaching = []
    for path, tree in _modules():
        own = ".".join(("geoplots",) + path.relative_to(PACKAGE).parent.parts)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("geoplots."):
                continue
            parts = node.module.split(".")
            private = next((i for i, p in enumerate(parts) if p.startswith("_")), None)
            if private is None or private == 1:  # geoplots._prepared and the like belong to the whole package
                continue
            owner = ".".join(parts[:private])
            if own != owner and not own.startswith(owner + "."):
                reaching.append(f"{path.relative_to(PACKAGE)}:{node.lineno} imports {node.module}")
    assert reaching == []
