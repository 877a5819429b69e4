"""Spatial files opened only by the reader their type names.

GDAL picks a driver from a file's content, not its name: an OGR VRT document saved as
``pins.geojson`` makes it read any local file, a live SQLite database or a URL. So:

* GeoJSON (``.geojson``/``.json``) is parsed as JSON here; GDAL never sees it.
* GeoPackage (``.gpkg``) must have the SQLite header and the GeoPackage application id,
  hold no SQL views or virtual tables other than R-trees, and not be a database this
  process has open (the server's store); it is then opened by GDAL's GPKG driver alone,
  read-only.
* KML (``.kml``) must be a plain XML document (no DOCTYPE) whose root is ``<kml>`` and
  holding no ``<NetworkLink>`` (a link is data elsewhere, never fetched); GDAL must then
  have opened it with its KML or LIBKML driver.
* KMZ (``.kmz``, Google My Maps and Google Earth) is a zip: its main KML (``doc.kml``, else
  the first ``.kml`` at the top) is unpacked in memory within limits (members, unpacked
  bytes, no member path leaving the archive) and read as KML above. Images in the zip
  are not unpacked; image links become ``photo_url`` and are never fetched.

Every GDAL call runs with network access switched off (``/vsicurl/`` and its kin fetch
nothing), as a second line of defence.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections import Counter
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplots.errors import FileContentError, GeoplotsError, InputTooLargeError
from geoplots.readers._limits import too_many_rows

# -- GeoJSON -------------------------------------------------------------------------

#: Legacy GeoJSON ``crs`` names (QGIS still writes them): CRS84 or an EPSG code.
_CRS_NAME = re.compile(r"^(?:urn:ogc:def:crs:)?(?:OGC:1\.3:CRS84|OGC::CRS84|EPSG::?(\d{4,5}))$", re.IGNORECASE)


def read_geojson(path: Path, max_rows: int | None = None) -> gpd.GeoDataFrame:
    """A GeoJSON FeatureCollection (or one Feature) as a GeoDataFrame, parsed as JSON.

    Properties keep their JSON types; nested values become their JSON text, as a
    spreadsheet cell would hold them. A feature's ``id`` member fills an ``id`` column
    when the properties have none.
    """
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as exc:
        raise FileContentError(f"{path.name} is not GeoJSON (it does not parse as JSON: {exc}).") from None
    features = _features(doc, path.name)
    if max_rows is not None and len(features) > max_rows:
        raise too_many_rows(path.name, max_rows)
    rows = [_properties(f, path.name, i) for i, f in enumerate(features, start=1)]
    geometry = [_geometry(f, path.name, i) for i, f in enumerate(features, start=1)]
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geometry, crs=_geojson_crs(doc, path.name))


def _features(doc: Any, name: str) -> list[dict]:
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "Feature":
        return [doc]
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        return doc["features"]
    raise FileContentError(
        f"{name} is not GeoJSON: it must be a FeatureCollection (or one Feature). Export it again as GeoJSON."
    )


def _properties(feature: Any, name: str, number: int) -> dict[str, Any]:
    props = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(feature, dict) or feature.get("type") != "Feature" or not isinstance(props, (dict, type(None))):
        raise FileContentError(f"Feature {number} of {name} is not a GeoJSON Feature with a properties object.")
    row = {str(k): json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
           for k, v in (props or {}).items()}
    if "id" in feature and "id" not in row and isinstance(feature["id"], (str, int, float)):
        row["id"] = feature["id"]
    return row


def _geometry(feature: dict, name: str, number: int) -> Any:
    import shapely.geometry

    if feature.get("geometry") is None:
        return None
    try:
        return shapely.geometry.shape(feature["geometry"])
    except Exception as exc:  # shapely raises many types for malformed coordinates
        raise GeoplotsError(f"Feature {number} of {name} has a geometry that cannot be read: {exc}") from None


def _geojson_crs(doc: dict, name: str) -> str:
    crs = doc.get("crs")
    if crs is None:
        return "EPSG:4326"
    text = crs.get("properties", {}).get("name") if isinstance(crs, dict) and isinstance(crs.get("properties"), dict) else None
    match = _CRS_NAME.match(text) if isinstance(text, str) else None
    if match is None:
        raise FileContentError(
            f"{name} names a crs ({str(crs)[:80]}) that is not read: use WGS 84 (GeoJSON's own) or an EPSG code."
        )
    return f"EPSG:{match.group(1)}" if match.group(1) else "EPSG:4326"


# -- GeoPackage ----------------------------------------------------------------------

_SQLITE_MAGIC = b"SQLite format 3\x00"
#: ``PRAGMA application_id`` of GeoPackage 1.2+ ("GPKG") and of 1.0/1.1 ("GP10", "GP11").
_GPKG_IDS = {b"GPKG", b"GP10", b"GP11"}
_RTREE = re.compile(r"^CREATE\s+VIRTUAL\s+TABLE\s+.+\s+USING\s+rtree\s*\(", re.IGNORECASE | re.DOTALL)

_protected: Counter[str] = Counter()
_protected_lock = threading.Lock()


def protect_file(path: str | os.PathLike[str]) -> Callable[[], None]:
    """Refuse to read ``path`` (and its ``-wal``/``-shm``/``-journal``) until released.

    The server protects its store: a second SQLite library (GDAL's) that opens and closes
    a live database in the same process drops the store's locks and deletes its WAL,
    losing acknowledged writes. Returns the function that lifts the protection.
    """
    key = os.path.abspath(path)
    with _protected_lock:
        _protected[key] += 1

    def release() -> None:
        with _protected_lock:
            _protected[key] -= 1
            if _protected[key] <= 0:
                del _protected[key]

    return release


def read_geopackage(path: Path, layer: str | None, max_rows: int | None = None) -> gpd.GeoDataFrame:
    """One layer of a GeoPackage, by GDAL's GPKG driver alone, after checking the file."""
    _check_geopackage_header(path)
    _check_not_live(path)
    _check_geopackage_schema(path)
    # "GPKG:" names the driver; GDAL reads the part after it as "file:table" when it has a colon.
    source = str(path) if ":" in str(path) else f"GPKG:{path}"
    return _read_layers(source, path, {"GPKG"}, layer, max_rows, several="error")


def _check_geopackage_header(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(100)
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC) or head[68:72] not in _GPKG_IDS:
        raise FileContentError(
            f"{path.name} is not a GeoPackage (no GeoPackage SQLite header). Save the layer again as "
            "GeoPackage from QGIS, or send a .geojson or .csv file."
        )


def _check_not_live(path: Path) -> None:
    """Refuse a database this process has open: the store, or any SQLite file held open."""
    here = os.stat(path)
    with _protected_lock:
        protected = list(_protected)
    for name in protected:
        for candidate in (name, name + "-wal", name + "-shm", name + "-journal"):
            with contextlib.suppress(OSError):
                if os.path.samefile(candidate, path):
                    raise _in_use(path)
    for fd in _open_fds():
        with contextlib.suppress(OSError):
            st = os.stat(f"/proc/self/fd/{fd}")
            if (st.st_dev, st.st_ino) == (here.st_dev, here.st_ino):
                raise _in_use(path)


def _open_fds() -> list[str]:
    try:
        return os.listdir("/proc/self/fd")
    except OSError:  # not Linux: the registered files are still checked
        return []


def _in_use(path: Path) -> FileContentError:
    return FileContentError(
        f"{path.name} is a database in use by this process (such as the server's store): a second SQLite "
        "library opening it would break its locks. Copy it, or export the layer with QGIS, and read the copy."
    )


def _check_geopackage_schema(path: Path) -> None:
    """No SQL views and no virtual tables but R-trees: reading those runs SQL from the file."""
    uri = f"{path.absolute().as_uri()}?mode=ro&immutable=1"
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
            objects = conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('view', 'table')").fetchall()
    except sqlite3.Error as exc:
        raise FileContentError(f"{path.name} is not a readable GeoPackage: {exc}.") from None
    odd = [name for kind, name, sql in objects
           if kind == "view" or (sql or "").lstrip().upper().startswith("CREATE VIRTUAL") and not _RTREE.match(sql.strip())]
    if odd:
        raise FileContentError(
            f"{path.name} holds SQL views or virtual tables ({', '.join(map(str, odd[:5]))}); a GeoPackage with "
            "them is not read. Export the layer again (QGIS: Export > Save Features As > GeoPackage)."
        )


# -- KML -------------------------------------------------------------------------------


def read_kml(path: Path, layer: str | None, max_rows: int | None = None) -> gpd.GeoDataFrame:
    """A Google Earth KML, every folder (each row tagged with ``kml_folder``) unless one is named."""
    data_names = _check_kml(path)
    frame = _read_layers(str(path), path, {"KML", "LIBKML"}, layer, max_rows, several="folders")
    return _thai_field_names(_without_style_fields(frame, data_names), data_names)


#: Fields LIBKML adds to every KML layer, with the value they have when the file set none.
_LIBKML_FIELDS = {"id": None, "timestamp": None, "begin": None, "end": None, "altitudeMode": None,
                  "tessellate": -1, "extrude": 0, "visibility": -1, "drawOrder": None, "icon": None}


def _without_style_fields(frame: gpd.GeoDataFrame, data_names: list[str]) -> gpd.GeoDataFrame:
    """Drop the fields LIBKML adds when no placemark set them (an all-empty ``id`` would
    otherwise warn ``missing_id`` on every row, an empty ``end`` pass for a date column).
    """
    unused = [c for c, default in _LIBKML_FIELDS.items() if c in frame.columns and c not in data_names
              and (frame[c].isna() | (frame[c] == default if default is not None else False)).all()]
    return frame.drop(columns=unused) if unused else frame


def _check_kml(path: Path) -> list[str]:
    """Refuse anything but a plain KML document; return its ``ExtendedData`` field names."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import iterparse

    root = None
    names: dict[str, None] = {}
    try:
        for event, element in iterparse(str(path), events=("start", "end"), forbid_dtd=True):
            tag = element.tag.rsplit("}", 1)[-1]
            if root is None:
                root = tag
                if root != "kml":
                    break
            elif event == "start" and tag == "NetworkLink":
                raise FileContentError(
                    f"{path.name} is a network link (data kept online), not the data: it is never fetched. "
                    "Export the map again as KML/KMZ without 'keep data up to date' (Google My Maps)."
                )
            elif event == "end":
                if tag in ("Data", "SimpleData") and element.get("name"):
                    names.setdefault(str(element.get("name")), None)
                element.clear()
    except (ParseError, DefusedXmlException) as exc:
        raise FileContentError(
            f"{path.name} is not a plain KML document ({exc}; a DOCTYPE or entities are not read). Save it "
            "again from Google Earth."
        ) from None
    if root != "kml":
        raise FileContentError(f"{path.name} is not a KML document (its root element is not <kml>).")
    return list(names)


def _mangled(name: str) -> str:
    """A field name as GDAL's LIBKML driver writes it: every byte not an ASCII letter,
    digit or underscore becomes ``_`` (a Thai letter, three bytes in UTF-8, becomes ``___``).
    """
    return "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or b == 0x5F) else "_"
                   for b in name.encode("utf-8"))


def _thai_field_names(frame: gpd.GeoDataFrame, data_names: list[str]) -> gpd.GeoDataFrame:
    """Give back the Thai names LIBKML turned into underscores (``หมู่บ้าน`` -> ``________________________``),
    where the document's field names say unambiguously which is which.
    """
    by_form: dict[str, list[str]] = {}
    for name in data_names:
        by_form.setdefault(_mangled(name), []).append(name)
    mapping = {form: names[0] for form, names in by_form.items()
               if len(names) == 1 and form != names[0] and form in frame.columns and names[0] not in frame.columns}
    return frame.rename(columns=mapping) if mapping else frame


# -- KMZ -------------------------------------------------------------------------------

#: Most members a KMZ may list (a My Maps export has the KML and one file per icon/image).
KMZ_MAX_MEMBERS = 10_000
#: Most bytes the KML inside a KMZ may unpack to, unless the caller gives a limit.
KMZ_MAX_UNPACKED_BYTES = 256 * 1024 * 1024

#: Image links in a description (``<img src="...">``), as My Maps writes them.
_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)


def read_kmz(path: Path, layer: str | None, max_rows: int | None = None,
             max_unpacked_bytes: int = KMZ_MAX_UNPACKED_BYTES) -> gpd.GeoDataFrame:
    """A KMZ (Google My Maps/Earth export): its main KML, unpacked within limits, read as
    KML; ``kml_folder`` (the My Maps layer) on every row, ``photo_url`` from image links.

    Raises
    ------
    FileContentError
        Not a zip, no KML inside, a member path that leaves the archive (``../``, ``/``).
    InputTooLargeError
        More than :data:`KMZ_MAX_MEMBERS` members or a KML over ``max_unpacked_bytes``.
    """
    document = _kmz_document(path, max_unpacked_bytes)
    with tempfile.TemporaryDirectory(prefix="geoplots-kmz-") as tmp:
        kml = Path(tmp) / "doc.kml"
        kml.write_bytes(document)
        frame = read_kml(kml, layer, max_rows)
        if "kml_folder" not in frame.columns:
            import pyogrio

            with gdal_offline():
                only = str(layer) if layer is not None else str(pyogrio.list_layers(str(kml))[0][0])
            frame = frame.assign(kml_folder=only)
    return _photo_urls(frame)


def _kmz_document(path: Path, max_unpacked_bytes: int) -> bytes:
    """The main KML of a KMZ as bytes, read in pieces so the limit holds whatever the zip claims."""
    if not zipfile.is_zipfile(path):
        raise FileContentError(f"{path.name} is not a KMZ (it is not a zip). Export it again from Google My Maps.")
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        if len(members) > KMZ_MAX_MEMBERS:
            raise InputTooLargeError(f"{path.name} holds {len(members):,} files; a KMZ may hold {KMZ_MAX_MEMBERS:,}.")
        for member in members:
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if member.filename.startswith(("/", "\\")) or ".." in parts or ":" in member.filename:
                raise FileContentError(f"{path.name} holds a file whose path leaves the archive "
                                       f"({member.filename!r}): it is not read.")
        kml = [m for m in members if m.filename.lower().endswith(".kml") and "/" not in m.filename.strip("/")]
        main = next((m for m in kml if m.filename.lower() == "doc.kml"), kml[0] if kml else None)
        if main is None:
            raise FileContentError(f"{path.name} holds no KML document (doc.kml). Export it again from Google My Maps.")
        return _read_member(archive, main, path.name, max_unpacked_bytes)


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str, limit: int) -> bytes:
    too_big = InputTooLargeError(f"The KML inside {name} unpacks to more than {limit:,} bytes; it is not read.")
    if member.file_size > limit:
        raise too_big
    chunks, total = [], 0
    try:
        with archive.open(member) as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > limit:  # the header may lie about the size: count what comes out
                    raise too_big
                chunks.append(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise FileContentError(f"{name} is a damaged KMZ ({exc}). Export it again.") from None
    return b"".join(chunks)


def _photo_urls(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``photo_url``: the first http(s) image link of a placemark (My Maps ``gx_media_links``,
    else an ``<img src>`` in its description); links are kept as text, never fetched.
    """
    links = pd.Series(None, index=frame.index, dtype=object)
    for column, in_html in (("gx_media_links", False), ("description", True), ("Description", True)):
        if column in frame.columns:
            found = frame[column].map(lambda v, h=in_html: _first_http_link(v, h), na_action="ignore")
            links = links.where(links.notna(), found)
    if links.isna().all():
        return frame
    return frame.assign(photo_url=pd.array(links, dtype="string"))


def _first_http_link(text: object, in_html: bool) -> str | None:
    """The first http(s) URL among ``<img src>`` attributes (``in_html``) or space-separated links."""
    if not isinstance(text, str):
        return None
    candidates = _IMG_SRC.findall(text) if in_html else text.split()
    return next((c for c in candidates if re.match(r"https?://[^\s<>\"']+$", c, re.IGNORECASE)), None)


# -- GDAL, offline -------------------------------------------------------------------

#: GDAL settings for every read: no /vsicurl/ fetches (no file extension is allowed),
#: no SQL access from a database to other files or URLs, no external KML styles.
_OFFLINE = {
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".geoplots-network-off",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "LIBKML_RESOLVE_STYLE": "NO",
}
_offline_lock = threading.Lock()
_offline_users = 0
_saved: dict[str, Any] = {}


@contextlib.contextmanager
def gdal_offline() -> Iterator[None]:
    """GDAL with network access off while any reader is inside; the previous settings after.

    GDAL's configuration is process-wide, so the first reader in sets it and the last
    one out restores it.
    """
    import pyogrio

    global _offline_users
    with _offline_lock:
        if _offline_users == 0:
            _saved.clear()
            _saved.update({k: pyogrio.get_gdal_config_option(k) for k in _OFFLINE})
            pyogrio.set_gdal_config_options(_OFFLINE)
        _offline_users += 1
    try:
        yield
    finally:
        with _offline_lock:
            _offline_users -= 1
            if _offline_users == 0:
                pyogrio.set_gdal_config_options(dict(_saved))


def _read_layers(
    source: str, path: Path, drivers: set[str], layer: str | None, max_rows: int | None, several: str
) -> gpd.GeoDataFrame:
    """Read through GDAL, after making sure it chose one of ``drivers``."""
    import pyogrio

    limit = None if max_rows is None else max_rows + 1
    with gdal_offline():
        driver = str(pyogrio.read_info(source, layer=0 if layer is None else layer)["driver"])
        if driver not in drivers:
            raise FileContentError(f"{path.name} was not recognised as {' or '.join(sorted(drivers))} ({driver}).")
        if layer is not None:
            frame = pyogrio.read_dataframe(source, layer=layer, max_features=limit)
        else:
            frame = _all_layers(source, path, several, limit)
    if max_rows is not None and len(frame) > max_rows:
        raise too_many_rows(path.name, max_rows)
    return frame


def _all_layers(source: str, path: Path, several: str, limit: int | None) -> gpd.GeoDataFrame:
    import pyogrio

    layers = [str(name) for name, _ in pyogrio.list_layers(source)]
    if len(layers) <= 1:
        return pyogrio.read_dataframe(source, max_features=limit)
    if several == "error":
        raise GeoplotsError(
            f"{path.name} has {len(layers)} layers ({', '.join(layers)}): name the one to read with --layer "
            "(layer= in Python)."
        )
    parts = []
    for name in layers:
        parts.append(pyogrio.read_dataframe(source, layer=name, max_features=limit).assign(kml_folder=name))
        if limit is not None and sum(len(p) for p in parts) >= limit:
            break
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def infer_kind(frame: Any) -> tuple[str, str | None]:
    """The record kind a file's geometry says: ``plots`` (แปลง) when most of its
    geometries are polygons, else ``pins``; and a note saying so when it was plots.

    A polygon file read as pins would lose its area silently, so the reader takes the
    geometry's word when the caller named no kind.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> infer_kind(gpd.GeoDataFrame(geometry=[shapely.box(100, 15, 100.01, 15.01)], crs=4326))[0]
    'plots'
    """
    geoms = getattr(frame, "geometry", None) if isinstance(frame, gpd.GeoDataFrame) else None
    if geoms is None or geoms.isna().all():
        return "pins", None
    types = geoms.dropna().geom_type
    polygons = int(types.isin(["Polygon", "MultiPolygon"]).sum())
    if polygons * 2 <= len(types):
        return "pins", None
    return "plots", (f"read as plots (แปลง): {polygons} of {len(types)} geometries are polygons; "
                     "pass kind='pins' to read them as points")
