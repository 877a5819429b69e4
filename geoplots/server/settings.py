"""The server's configuration: one settings object, read from ``GEOPLOTS_*`` variables.

Every knob has a default that suits one district office on one machine; the national
war room changes them with environment variables (``GEOPLOTS_DB``,
``GEOPLOTS_MAX_BATCH_ROWS``...) or by passing a :class:`Settings` to
:func:`geoplots.server.app.create_app`.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Server settings (environment prefix ``GEOPLOTS_``).

    Examples
    --------
    >>> Settings(db="/tmp/war-room.db", max_batch_rows=500).max_batch_rows
    500
    """

    model_config = SettingsConfigDict(env_prefix="GEOPLOTS_", extra="ignore")

    db: str = Field("data/geoplots.gpkg", description="SQLite file path, or a postgresql:// URL.")
    data: Path | None = Field(
        None, description="Boundary data directory, loaded once at start-up (default: data/boundaries)."
    )
    max_body_bytes: int = Field(10 * 1024 * 1024, description="Largest request body accepted (413 above).")
    max_batch_rows: int = Field(10_000, description="Most records in one POST /api/pins (413 above).")
    max_unpacked_bytes: int = Field(
        64 * 1024 * 1024, description="Most bytes an uploaded XLSX may unpack to (413 above)."
    )
    rate_limit_per_minute: int = Field(
        120, description="Requests per API key per minute (429 above); 0 turns the limit off."
    )
    anonymous_rate_limit_per_minute: int = Field(
        600, description="Requests without a key per client address per minute (429 above); 0: off."
    )
    rate_limit_db: str | None = Field(
        None, description="Where the server processes count requests together: a SQLite file, or a "
        "postgresql:// URL. Default: beside a SQLite store (<db>.ratelimit), in a PostGIS store's database.",
    )
    public_url: str | None = Field(
        None, description="The server's public base URL (https://host/prefix) for OGC links; "
        "default: the address the request came in on, never the client's Host header.",
    )
    trusted_hosts: str = Field(
        "*", description="Comma-separated Host names the server answers to (400 otherwise); '*': any.",
    )
    zone_outside_share: float = Field(
        0.01, ge=0, le=1, description="Share of a plot's area a zone key may send outside its zone.",
    )
    zone_outside_m2: float = Field(
        100, ge=0, description="Area (m²) of a plot a zone key may send outside its zone, whatever its share.",
    )
    reads_protected: bool = Field(
        False, description="Require a key for reads too; zone-scoped keys then read only their zone."
    )
    locate_tolerance_m: float = Field(1000, description="Nearest-sub-district tolerance for pins just outside.")
    max_page: int = Field(10_000, description="Largest `limit` of an items page.")
    default_page: int = Field(100, description="`limit` of an items page when none is asked for.")
    cors_read_origins: str = Field(
        "*", description="Comma-separated origins whose web pages may read (GET/HEAD) the API; '*': any, "
        "'': none.",
    )
    cors_write_origins: str = Field(
        "", description="Comma-separated origins whose web pages may also write (POST, DELETE...) with a "
        "key; none by default.",
    )
    sse_poll_seconds: float = Field(
        2.0, description="How often open event streams look for writes by other processes."
    )

    # -- photos and the field report page (/report) --------------------------------
    photos_dir: Path | None = Field(
        None, description="Where photo files are kept; every server process of a PostGIS store must share it. "
        "Default: beside a SQLite store (<db>.photos/), data/photos for PostGIS.",
    )
    max_photo_bytes: int = Field(8 * 1024 * 1024, gt=0, description="Largest photo file accepted (413 above).")
    max_photo_pixels: int = Field(
        40_000_000, gt=0, description="Most pixels a photo may decode to (413 above; decompression bombs).",
    )
    max_photos: int = Field(10, ge=1, description="Most photos sent with one record.")
    photo_far_m: float = Field(
        500, ge=0, description="A photo whose EXIF position is farther than this from its pin warns "
        "(photo_far_from_pin).",
    )
    report_accuracy_m: float = Field(
        30, gt=0, description="The report page asks for confirmation of a GPS fix less accurate than this.",
    )

    def photo_directory(self) -> Path:
        """The directory of photo files: :attr:`photos_dir`, else beside a SQLite store."""
        if self.photos_dir is not None:
            return Path(self.photos_dir)
        if "://" not in self.db or self.db.lower().startswith("sqlite:"):
            path = self.db.split("://", 1)[1].lstrip("/") if "://" in self.db else self.db
            if self.db.startswith("sqlite:////"):
                path = "/" + path
            return Path(path + ".photos")
        return Path("data/photos")

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"GEOPLOTS_PUBLIC_URL must be http(s)://host[:port][/prefix]; got {value!r}.")
        return value.strip().rstrip("/")

    @property
    def host_names(self) -> list[str]:
        """The trusted Host names as a list (``["*"]``: any)."""
        names = [h.strip() for h in self.trusted_hosts.split(",") if h.strip()]
        return names or ["*"]

    @property
    def read_origins(self) -> list[str]:
        """Origins allowed to read cross-origin (``["*"]``: any)."""
        return [o.strip().rstrip("/") for o in self.cors_read_origins.split(",") if o.strip()]

    @property
    def write_origins(self) -> list[str]:
        """Origins allowed to write cross-origin (never a wildcard)."""
        return [o.strip().rstrip("/") for o in self.cors_write_origins.split(",") if o.strip() and o.strip() != "*"]
