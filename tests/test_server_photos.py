"""Records sent with photos (``POST /api/pins`` as multipart ``record`` + ``photo``): EXIF,
type and size limits, the duplicate id, read rules of ``/photos/{id}``, on every store."""

from __future__ import annotations

import io
import json
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from conftest_store import store_url  # noqa: F401  (fixture: every store backend)
from geoplots.server.app import create_app
from geoplots.server.settings import Settings
from server_support import bearer, make_keys

#: A pin in Khon Kaen (zone 12): mueang Khon Kaen.
PIN = {"lat": 16.4419, "lon": 102.8360}


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return (d, m, round(((value - d) * 60 - m) * 60, 4))


def jpeg(*, size=(400, 200), orientation: int | None = None, gps: tuple[float, float] | None = None,
         taken: str | None = None, color="white", extra: bytes = b"") -> bytes:
    """A JPEG with a red strip on its left side and the EXIF asked for."""
    img = Image.new("RGB", size, color)
    img.paste((255, 0, 0), (0, 0, size[0] // 4, size[1]))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if gps is not None:
        exif.get_ifd(0x8825).update({1: "N", 2: _dms(gps[0]), 3: "E", 4: _dms(gps[1])})
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken
    exif[0x010F] = "SecretCam"  # camera make: must not be served
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue() + extra


def png_bomb(side: int = 30_000) -> bytes:
    """A small PNG whose header claims ``side`` x ``side`` pixels (1 bit, all zero)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + (side + 7) // 8)
    comp = zlib.compressobj(9)
    body = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def other_format(fmt: str) -> bytes:
    """A real image in a format Pillow reads but the server does not accept."""
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def api(store_url, tiny_boundaries, tmp_path):
    settings = Settings(db=store_url, rate_limit_per_minute=10_000, photos_dir=tmp_path / "photos")
    app = create_app(settings, boundaries=tiny_boundaries)
    with TestClient(app) as client:
        client.keys = make_keys(app.state.store)
        client.store = app.state.store
        client.settings = settings
        yield client


def send(api, record: dict, photos: list[tuple[str, bytes, str]], key: str | None = None, **params):
    files = [("photo", p) for p in photos]
    return api.post("/api/pins", params=params, data={"record": json.dumps(record, ensure_ascii=False)},
                    files=files, headers=bearer(key or api.keys.editor))


def photo_files(api) -> list:
    root = api.settings.photo_directory()
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_a_record_with_photos_is_stored_cleaned_and_served(api):
    raw = jpeg(orientation=6, gps=(16.4421, 102.8362), taken="2026:11:20 09:29:59")
    res = send(api, {"id": "R-1", "name": "แปลงนายสมชาย", **PIN}, [("a.jpg", raw, "image/jpeg"),
                                                                     ("b.png", jpeg(color="blue"), "image/png")])
    assert res.status_code == 201, res.text
    row = res.json()["rows"][0]
    assert row["status"] == "accepted" and row["subdistrict_code"].startswith("40")
    assert len(row["photo_ids"]) == 2
    assert not [w for w in row["warnings"] if w["code"] == "photo_far_from_pin"]

    first = api.get(f"/photos/{row['photo_ids'][0]}")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in first.headers["cache-control"]
    served = Image.open(io.BytesIO(first.content))
    assert served.size == (200, 400)  # orientation 6 applied: the 400 x 200 photo stands upright
    assert served.getpixel((100, 10))[0] > 200 > served.getpixel((100, 10))[1]  # the red strip is on top now
    assert dict(served.getexif()) == {}  # no orientation left to apply twice, no GPS, no camera
    assert b"SecretCam" not in first.content and b"Exif" not in first.content

    # A JPEG named .png and declared image/png is what its bytes are: a JPEG
    second = api.get(f"/photos/{row['photo_ids'][1]}")
    assert second.headers["content-type"] == "image/jpeg"

    thumb = api.get(f"/photos/{row['photo_ids'][0]}/thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumb.content)).size) <= 320

    stored = api.store.photo(row["photo_ids"][0])
    assert stored.taken_at == "2026-11-20T09:29:59"
    assert stored.lat == pytest.approx(16.4421, abs=1e-5) and stored.lon == pytest.approx(102.8362, abs=1e-5)
    assert stored.distance_m < 50 and stored.inspection_zone == "12"

    feature = api.get("/collections/pins/items").json()["features"][0]
    assert feature["properties"]["photo_ids"] == row["photo_ids"]


def test_a_photo_taken_far_from_its_pin_warns(api):
    far = jpeg(gps=(16.4419 + 0.05, 102.8360))  # about 5.5 km north
    res = send(api, {"id": "R-far", **PIN}, [("far.jpg", far, "image/jpeg")])
    assert res.status_code == 201, res.text
    warnings = res.json()["rows"][0]["warnings"]
    assert [w["code"] for w in warnings] == ["photo_far_from_pin"]
    assert "5,5" in warnings[0]["detail"] and "> 500 m" in warnings[0]["detail"]
    stored = api.get("/collections/pins/items").json()["features"][0]["properties"]["warnings"]
    assert "photo_far_from_pin" in json.dumps(stored)


def test_the_same_report_sent_twice_is_stored_once(api):
    record = {"id": "3f2c9a4e-phone-uuid", "name": "ส่งซ้ำ", **PIN}
    photos = [("a.jpg", jpeg(taken="2026:11:20 10:00:00"), "image/jpeg")]
    first = send(api, record, photos)
    again = send(api, record, photos)
    assert first.status_code == again.status_code == 201
    assert again.json()["rows"][0]["replaced"] is True
    assert again.json()["rows"][0]["photo_ids"] == first.json()["rows"][0]["photo_ids"]
    assert api.get("/collections/pins/items").json()["numberMatched"] == 1
    assert len(photo_files(api)) == 2  # one photo and its thumbnail

    # a resend with one more photo keeps the first and adds the new one
    more = send(api, record, [*photos, ("b.jpg", jpeg(color="green"), "image/jpeg")])
    ids = more.json()["rows"][0]["photo_ids"]
    assert ids[0] == first.json()["rows"][0]["photo_ids"][0] and len(ids) == 2
    assert api.store.photo_ids_of("pins", record["id"]) == ids
    assert len(photo_files(api)) == 4


@pytest.mark.parametrize(
    ("name", "body", "ctype", "status", "error"),
    [
        ("bomb.png", png_bomb(), "image/png", 413, "photo_too_large"),
        ("under-pillow-limit.png", png_bomb(8_000), "image/png", 413, "photo_too_large"),  # 64 Mpx > 40
        ("drawing.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "image/jpeg",
         415, "unsupported_photo"),
        ("page.png", b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "image/png", 415,
         "unsupported_photo"),
        ("real.gif", other_format("GIF"), "image/gif", 415, "unsupported_photo"),
        ("bitmap.jpg", other_format("BMP"), "image/jpeg", 415, "unsupported_photo"),
        ("cut.jpg", jpeg()[:300], "image/jpeg", 415, "unsupported_photo"),
    ],
    ids=["png-bomb", "png-64mpx", "svg-as-jpeg", "html-as-png", "gif", "bmp-as-jpeg", "truncated-jpeg"],
)
def test_what_is_not_a_photo_within_the_limits_is_refused_and_nothing_stored(api, name, body, ctype, status,
                                                                              error):
    res = send(api, {"id": "R-bad", **PIN}, [("ok.jpg", jpeg(), "image/jpeg"), (name, body, ctype)])
    assert res.status_code == status, res.text
    assert res.json()["error"] == error
    assert "JPEG" in res.json()["message"] or "large" in res.json()["message"]
    assert api.get("/collections/pins/items").json()["numberMatched"] == 0
    assert photo_files(api) == []


def test_a_polyglot_is_served_as_its_pixels_only(api):
    payload = b"<html><script>alert(document.cookie)</script></html>PK\x03\x04zip-part"
    res = send(api, {"id": "R-poly", **PIN}, [("poly.jpg", jpeg(extra=payload), "image/jpeg")])
    assert res.status_code == 201, res.text
    served = api.get(f"/photos/{res.json()['rows'][0]['photo_ids'][0]}")
    assert b"<script" not in served.content and b"PK\x03\x04" not in served.content
    assert served.headers["content-type"] == "image/jpeg"


def test_photo_limits_while_streaming_and_per_record(store_url, tiny_boundaries, tmp_path):
    settings = Settings(db=store_url, rate_limit_per_minute=10_000, photos_dir=tmp_path / "p",
                        max_photo_bytes=20_000, max_photos=2)
    with TestClient(create_app(settings, boundaries=tiny_boundaries)) as api:
        api.keys = make_keys(api.app.state.store)
        big = jpeg(size=(1200, 1200)) + b"\x00" * 30_000
        res = send(api, {"id": "R-big", **PIN}, [("big.jpg", big, "image/jpeg")])
        assert res.status_code == 413 and res.json()["error"] == "photo_too_large"
        many = [(f"{i}.jpg", jpeg(), "image/jpeg") for i in range(3)]
        res = send(api, {"id": "R-many", **PIN}, many)
        assert res.status_code == 422 and "at most 2 files" in res.json()["message"]
        res = api.post("/api/pins", data={"record": json.dumps([{"id": "a", **PIN}, {"id": "b", **PIN}])},
                       files=[("photo", ("a.jpg", jpeg(), "image/jpeg"))], headers=bearer(api.keys.editor))
        assert res.status_code == 422 and res.json()["error"] == "photos_need_one_record"
        res = api.post("/api/pins", data={"record": json.dumps({"id": "c", **PIN})},
                       files=[("picture", ("a.jpg", jpeg(), "image/jpeg"))], headers=bearer(api.keys.editor))
        assert res.status_code == 422 and "'photo'" in res.json()["message"]
        assert api.get("/collections/pins/items").json()["numberMatched"] == 0


def test_a_zone_key_cannot_send_photos_of_another_zone(api):
    bangkok = {"id": "R-bkk", "lat": 13.7500, "lon": 100.4930}
    res = send(api, bangkok, [("a.jpg", jpeg(), "image/jpeg")], key=api.keys.editor12)
    assert res.status_code == 403 and res.json()["error"] == "outside_scope"
    assert "12" in res.json()["message"]
    assert photo_files(api) == []


def test_photos_are_read_like_records(store_url, tiny_boundaries, tmp_path):
    settings = Settings(db=store_url, rate_limit_per_minute=10_000, photos_dir=tmp_path / "p", reads_protected=True)
    with TestClient(create_app(settings, boundaries=tiny_boundaries)) as api:
        api.keys = make_keys(api.app.state.store)
        api.settings = settings
        _, other_zone = api.app.state.store.create_key("inspector", zone="13", name="zone 13")
        res = send(api, {"id": "R-read", **PIN}, [("a.jpg", jpeg(), "image/jpeg")])
        pid = res.json()["rows"][0]["photo_ids"][0]
        for path in (f"/photos/{pid}", f"/photos/{pid}/thumb"):
            assert api.get(path).status_code == 401
            assert api.get(path, headers=bearer(other_zone)).status_code == 403
            ok = api.get(path, headers=bearer(api.keys.inspector12))
            assert ok.status_code == 200 and "private" in ok.headers["cache-control"]
        assert api.get("/api/photos", params={"unit": "40"}, headers=bearer(other_zone)).json() == []
        listed = api.get("/api/photos", params={"unit": "40"}, headers=bearer(api.keys.inspector12)).json()
        assert [p["id"] for p in listed] == [pid]
        for bad in ("../../etc/passwd", "..%2f..%2fkeys", "A" * 32, pid[:-1]):
            assert api.get(f"/photos/{bad}", headers=bearer(api.keys.admin)).status_code == 404
