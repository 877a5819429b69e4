"""Photos sent with field records (รูปถ่ายประกอบรายงาน): checked, cleaned, kept as files.

A photo is trusted for nothing until Pillow has decoded it:

* its type is what its bytes decode as, tried only with the JPEG, PNG and WebP readers
  (the name and the declared content type are not believed): anything else is a 415;
* its size is limited in bytes (while the upload streams in) and in pixels, read from
  the header before any pixel is decoded, so a decompression bomb is refused (413);
* what is served is re-encoded from the decoded pixels: the orientation EXIF asks for is
  applied (``ImageOps.exif_transpose``) and no metadata is written back, so neither the
  camera's GPS position nor anything appended to the file (a polyglot) leaves the server;
* the EXIF GPS position and time, when present, are kept in the ``photos`` table: a
  photo taken far from its pin warns (``photo_far_from_pin``).

Files: ``<photos_dir>/<id[:2]>/<id>.<ext>`` and ``<id>.thumb.jpg``, written to a temporary
name and renamed, so a half-written file is never served. Ids are derived from the
record and the content, so a resent report writes the same files again, harmlessly.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from geoplots.server.errors import ApiError

#: Decoded formats accepted, with the type they are served as and their file suffix.
FORMATS: dict[str, tuple[str, str]] = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                                       "WEBP": ("image/webp", "webp")}

#: Longest side of a thumbnail (map popups, the war-room feed, the gallery).
THUMB_SIZE = 320

#: What a photo id looks like (anything else is not looked up: no path is built from it).
PHOTO_ID = re.compile(r"^[0-9a-f]{32}$")

_GPS_IFD, _EXIF_IFD = 0x8825, 0x8769
_DATETIME_ORIGINAL, _DATETIME = 0x9003, 0x0132


@dataclass(frozen=True)
class Photo:
    """A decoded photo, ready to store: clean bytes, a thumbnail and what EXIF said.

    Attributes
    ----------
    data, thumb : bytes
        The image as served (orientation applied, no metadata) and its JPEG thumbnail.
    sha256 : str
        Of the bytes as sent (a resend of the same file is the same photo).
    media_type, suffix : str
        From decoding, e.g. ``image/jpeg``, ``jpg``.
    width, height : int
    taken_at : str or None
        EXIF ``DateTimeOriginal`` (else ``DateTime``), ISO 8601 as the camera's clock had it.
    lat, lon : float or None
        EXIF GPS position.
    """

    data: bytes
    thumb: bytes
    sha256: str
    media_type: str
    suffix: str
    width: int
    height: int
    taken_at: str | None
    lat: float | None
    lon: float | None


def prepare(raw: bytes, *, max_bytes: int, max_pixels: int, name: str = "photo") -> Photo:
    """Decode, check and clean one uploaded photo.

    Parameters
    ----------
    raw : bytes
        The file as sent.
    max_bytes, max_pixels : int
        Limits (413 above).
    name : str
        How the photo is called in error messages (its field and file name).

    Returns
    -------
    Photo

    Raises
    ------
    ApiError
        413 over a limit, 415 when the bytes are not a whole JPEG, PNG or WebP image.
    """
    if len(raw) > max_bytes:
        raise _too_large(name, f"{len(raw):,} bytes; at most {max_bytes:,} are accepted", "max_photo_bytes", max_bytes)
    image = _open(raw, name, max_pixels)
    taken_at, lat, lon = _exif_facts(image)
    media_type, suffix = FORMATS[str(image.format)]
    upright = ImageOps.exif_transpose(image)
    return Photo(
        data=_encode(upright, str(image.format)), thumb=_thumbnail(upright), sha256=hashlib.sha256(raw).hexdigest(),
        media_type=media_type, suffix=suffix, width=upright.width, height=upright.height,
        taken_at=taken_at, lat=lat, lon=lon,
    )


def _too_large(name: str, what: str, limit: str, value: int) -> ApiError:
    error = ApiError(413, "photo_too_large", f"Photo {name} is too large: {what}. Resize it (the report page "
                     "sends photos at most 1600 px on their longest side).")
    error.details[limit] = value
    return error


def _not_a_photo(name: str, why: str) -> ApiError:
    return ApiError(415, "unsupported_photo", f"Photo {name} is not a JPEG, PNG or WebP image ({why}). "
                    "Send a photo taken with the camera, as JPEG, PNG or WebP.")


def _open(raw: bytes, name: str, max_pixels: int) -> Image.Image:
    """Open with the three accepted readers only; check the pixels before decoding them."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw), formats=list(FORMATS))
            if image.width * image.height > max_pixels:
                raise _too_large(name, f"{image.width} x {image.height} pixels; at most {max_pixels:,} are "
                                 "accepted", "max_photo_pixels", max_pixels)
            image.load()  # the whole image must decode: a truncated or corrupt file is refused
    except ApiError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large(name, str(exc), "max_photo_pixels", max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise _not_a_photo(name, "its content is no image of these types") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise _not_a_photo(name, f"it does not decode: {exc}") from exc
    if getattr(image, "n_frames", 1) > 1:
        raise _not_a_photo(name, "it is an animation")
    return image


def _ratio(value: object) -> float:
    return float(value)  # type: ignore[arg-type]  # PIL's IFDRational converts to float


def _degrees(dms: object, ref: object) -> float | None:
    try:
        d, m, s = (_ratio(v) for v in dms)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):
        return None
    return -value if str(ref).strip().upper() in ("S", "W") else value


def _exif_facts(image: Image.Image) -> tuple[str | None, float | None, float | None]:
    """The time and GPS position the camera wrote, or None for what is missing or unreadable."""
    exif = image.getexif()
    stamp = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    taken_at = None
    if isinstance(stamp, str):
        try:
            taken_at = datetime.strptime(stamp.strip("\x00 "), "%Y:%m:%d %H:%M:%S").isoformat()
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(_GPS_IFD)
    lat = _degrees(gps.get(2), gps.get(1)) if 2 in gps else None
    lon = _degrees(gps.get(4), gps.get(3)) if 4 in gps else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return taken_at, None, None
    return taken_at, lat, lon


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Re-encode the decoded pixels with no metadata at all (EXIF, XMP, text chunks)."""
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=88, optimize=True)
    elif fmt == "PNG":
        keep = image if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else image.convert("RGBA")
        keep.save(out, "PNG", optimize=True)
    else:
        keep = image if image.mode in ("RGB", "RGBA") else image.convert("RGBA")
        keep.save(out, "WEBP", quality=85)
    return out.getvalue()


def _thumbnail(image: Image.Image) -> bytes:
    small = image.convert("RGB")
    small.thumbnail((THUMB_SIZE, THUMB_SIZE))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def photo_id(kind: str, record_id: str | None, sha256: str) -> str:
    """The id of a photo: the same for the same content sent with the same record id.

    Examples
    --------
    >>> photo_id("pins", "R-1", "ab" * 32) == photo_id("pins", "R-1", "ab" * 32)
    True
    >>> len(photo_id("pins", "R-1", "ab" * 32))
    32
    """
    seed = f"{kind}\x00{record_id}\x00{sha256}" if record_id else os.urandom(16).hex() + sha256
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine on a 6,371 km sphere).

    Examples
    --------
    >>> round(distance_m(16.0, 102.0, 16.0045, 102.0))
    500
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a)))


class PhotoFiles:
    """The photo files of a server: ``<root>/<id[:2]>/<id>.<suffix>`` and ``<id>.thumb.jpg``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, pid: str, suffix: str) -> Path:
        """Where photo ``pid`` is kept (``suffix`` ``thumb.jpg`` for its thumbnail)."""
        if not PHOTO_ID.match(pid):
            raise ValueError(f"not a photo id: {pid!r}")
        return self.root / pid[:2] / f"{pid}.{suffix}"

    def write(self, pid: str, photo: Photo) -> None:
        """Write a photo and its thumbnail durably (temporary name, fsync, rename)."""
        for suffix, data in ((photo.suffix, photo.data), ("thumb.jpg", photo.thumb)):
            target = self.path(pid, suffix)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)


def now_iso() -> str:
    """UTC now, ISO 8601 with milliseconds (the stores' ``received_at``)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")
