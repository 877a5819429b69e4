"""KMZ from Google My Maps (issue 12): folders (My Maps layers), placemarks, polygons and
image links, read through the same safe path as KML; and hostile KMZ files refused
before anything is unpacked past the limits, fetched or written outside the archive.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import shapely
from fastapi.testclient import TestClient

import geoplots
from geoplots import errors
from geoplots.errors import GeoplotsError
from _hostile import Loopback
from _messy import sample_pins
from server_support import bearer, make_keys

KML_NS = '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
PHOTO = "https://lh3.googleusercontent.com/ABCdef123=w400"


def _placemark(name: str, geometry: str, description: str = "", data: dict[str, str] | None = None) -> str:
    extended = "".join(f'<Data name="{k}"><value><![CDATA[{v}]]></value></Data>' for k, v in (data or {}).items())
    return (f"<Placemark><name>{name}</name><description><![CDATA[{description}]]></description>"
            f"<styleUrl>#icon-1</styleUrl><ExtendedData>{extended}</ExtendedData>{geometry}</Placemark>")


def _point(lat: float, lon: float) -> str:
    return f"<Point><coordinates>{lon:.6f},{lat:.6f},0</coordinates></Point>"


def _polygon(poly: shapely.Polygon) -> str:
    coords = " ".join(f"{x:.6f},{y:.6f},0" for x, y in poly.exterior.coords)
    return f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"


def my_maps_kml(pins) -> str:
    """A My Maps export: a style with an icon, two layers (folders), an image in a
    description and in ``gx_media_links``, Thai field names, one polygon."""
    p = list(pins.itertuples())
    plot = shapely.Point(p[3].lon, p[3].lat).buffer(0.001, quad_segs=4)
    first = [
        _placemark("แปลงนายสมชาย", _point(p[0].lat, p[0].lon), f'<img src="{PHOTO}" height="200" width="auto" /><br><br>ปลูกผัก',
                   {"gx_media_links": PHOTO, "หมู่บ้าน": "บ้านโนนทัน ม.5", "วันที่": "5/3/2567"}),
        _placemark("แปลงนางสาย", _point(p[1].lat, p[1].lon), "ไม่มีรูป",
                   {"หมู่บ้าน": "หมู่ที่ ๗", "วันที่": "6/3/2567"}),
        # Links that are not http(s) images on the web are not kept (never fetched either way).
        _placemark("แปลงสาม", _point(p[2].lat, p[2].lon), '<img src="javascript:alert(1)"><img src="images/x.jpg">',
                   {"gx_media_links": "file:///etc/passwd"}),
    ]
    second = [_placemark("แปลงรวม (รูปแปลง)", _polygon(plot), "ขอบเขตแปลง")]
    return (KML_NS + '<name>แปลงสาธิต 2567</name><Style id="icon-1"><IconStyle><Icon><href>images/icon-1.png</href>'
            "</Icon></IconStyle></Style>"
            f"<Folder><name>หมุดแปลง</name>{''.join(first)}</Folder>"
            f"<Folder><name>รูปแปลง</name>{''.join(second)}</Folder></Document></kml>")


def write_kmz(path: Path, kml: str | bytes, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", kml)
        z.writestr("images/icon-1.png", b"\x89PNG\r\n\x1a\n")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


@pytest.fixture(scope="module")
def pins(tiny_boundaries):
    return sample_pins(4, seed=17, boundaries=tiny_boundaries)


def test_my_maps_kmz(tmp_path, pins, tiny_boundaries):
    rec = geoplots.read_records(write_kmz(tmp_path / "แปลงสาธิต.kmz", my_maps_kml(pins)), boundaries=tiny_boundaries)
    assert rec.rows_read == 4 and rec.rejects.empty
    acc = rec.accepted.sort_values("row")
    assert acc["kml_folder"].tolist() == ["หมุดแปลง"] * 3 + ["รูปแปลง"]
    assert acc["name"].tolist() == ["แปลงนายสมชาย", "แปลงนางสาย", "แปลงสาม", "แปลงรวม (รูปแปลง)"]
    assert acc["photo_url"].fillna("").tolist() == [PHOTO, "", "", ""]
    # Thai field names come back (GDAL's LIBKML makes them underscores), so the village
    # and the date columns are found like in any sheet.
    assert acc["moo"].fillna(0).tolist() == [5, 7, 0, 0]
    assert acc["date"].dt.day.tolist()[:2] == [5, 6]
    assert {"missing_id"}.isdisjoint(w.code for ws in acc["warnings"] for w in ws)
    assert acc.geometry.iloc[3].geom_type == "Point"  # read as pins: three of four are points


def test_kmz_of_polygons_reads_plots_with_their_area(tmp_path, pins, tiny_boundaries):
    polys = [shapely.Point(p.lon, p.lat).buffer(0.001, quad_segs=4) for p in pins.itertuples()]
    kml = KML_NS + "<Folder><name>แปลง</name>" + "".join(
        _placemark(f"แปลง {i}", _polygon(g)) for i, g in enumerate(polys)) + "</Folder></Document></kml>"
    rec = geoplots.read_records(write_kmz(tmp_path / "plots.kmz", kml), boundaries=tiny_boundaries)
    assert rec.kind == "plots" and "plots" in rec.notes["kind"]
    assert (rec.accepted["area_m2"].astype(float) > 10_000).all()
    assert rec.accepted["kml_folder"].tolist() == ["แปลง"] * 4  # one folder: still named


def _entity_kml(target: str) -> str:
    return ('<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY s SYSTEM "' + target + '">]>'
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&s;</name>'
            "<Point><coordinates>102.83,16.44</coordinates></Point></Placemark></Document></kml>")


def _network_link(url: str) -> str:
    return (KML_NS + f"<NetworkLink><name>live</name><Link><href>{url}/doc.kml</href></Link></NetworkLink>"
            "</Document></kml>")


def _bomb(path: Path, unpacked: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("doc.kml", "w", force_zip64=True) as f:
            f.write(KML_NS.encode())
            for _ in range(unpacked >> 20):
                f.write(b" " * (1 << 20))
            f.write(b"</Document></kml>")
    return path


def test_hostile_kmz_refused(tmp_path, pins):
    good = my_maps_kml(pins)
    with Loopback() as loop:
        cases = {
            "../ member": (write_kmz(tmp_path / "slip.kmz", good, {"../../evil.kml": b"x"}), errors.FileContentError,
                           "leaves the archive"),
            "absolute member": (write_kmz(tmp_path / "abs.kmz", good, {"/etc/cron.d/x": b"x"}), errors.FileContentError,
                                "leaves the archive"),
            "external entity": (write_kmz(tmp_path / "xxe.kmz", _entity_kml("file:///etc/hostname")),
                                errors.FileContentError, "DOCTYPE"),
            "network entity": (write_kmz(tmp_path / "xxe-net.kmz", _entity_kml(loop.url)), errors.FileContentError,
                               "DOCTYPE"),
            "network link": (write_kmz(tmp_path / "link.kmz", _network_link(loop.url)), errors.FileContentError,
                             "network link"),
            "not a zip": (tmp_path / "text.kmz", errors.FileContentError, "not a zip"),
            "no kml": (tmp_path / "nokml.kmz", errors.FileContentError, "no KML"),
            "zip bomb": (_bomb(tmp_path / "bomb.kmz", 12 << 20), errors.InputTooLargeError, "unpacks to more"),
        }
        (tmp_path / "text.kmz").write_text(f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{loop.url}'
                                           "</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")
        with zipfile.ZipFile(tmp_path / "nokml.kmz", "w") as z:
            z.writestr("images/a.png", b"x")
        for case, (path, error, message) in cases.items():
            with pytest.raises(GeoplotsError, match=message) as info:
                geoplots.read_records(path, max_unpacked_bytes=4 << 20)
            assert isinstance(info.value, error), case
        assert loop.requests == []  # nothing was fetched
    assert not (tmp_path.parent / "evil.kml").exists() and not Path("/etc/cron.d/x").exists()


def test_kml_network_link_is_refused(tmp_path):
    """Also in a plain KML: a link is data kept elsewhere, and GDAL is never handed it."""
    path = tmp_path / "live.kml"
    with Loopback() as loop:
        path.write_text(_network_link(loop.url), "utf-8")
        with pytest.raises(errors.FileContentError, match="network link"):
            geoplots.read_records(path)
        assert loop.requests == []


@pytest.fixture
def api(tmp_path, tiny_boundaries):
    from geoplots.server.app import create_app
    from geoplots.server.settings import Settings

    app = create_app(Settings(db=str(tmp_path / "store.gpkg"), rate_limit_per_minute=10_000,
                              max_unpacked_bytes=4 << 20), boundaries=tiny_boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        yield client


def test_server_ingests_kmz_and_refuses_hostile_ones(api, tmp_path, pins):
    data = write_kmz(tmp_path / "my_maps.kmz", my_maps_kml(pins)).read_bytes()
    res = api.post("/api/pins", files={"file": ("แปลงสาธิต.kmz", data, "application/vnd.google-earth.kmz")},
                   headers=bearer(api.keys.editor))
    assert res.status_code == 201, res.text
    assert (res.json()["rows_read"], res.json()["accepted"]) == (4, 4)
    raw = api.post("/api/pins", content=data, headers={**bearer(api.keys.editor),
                                                       "content-type": "application/vnd.google-earth.kmz"})
    assert raw.status_code == 201, raw.text
    hostile = {
        "slip.kmz": (write_kmz(tmp_path / "slip.kmz", my_maps_kml(pins), {"../x.kml": b"x"}), 415),
        "xxe.kmz": (write_kmz(tmp_path / "xxe.kmz", _entity_kml("file:///etc/hostname")), 415),
        "bomb.kmz": (_bomb(tmp_path / "bomb.kmz", 8 << 20), 413),
    }
    for name, (path, status) in hostile.items():
        res = api.post("/api/pins", files={"file": (name, path.read_bytes(), "application/vnd.google-earth.kmz")},
                       headers=bearer(api.keys.editor))
        assert res.status_code == status, (name, res.text)
