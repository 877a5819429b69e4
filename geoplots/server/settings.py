"""The server's configuration: one settings object, read from ``GEOPLOTS_*`` variables.

Every knob has a default that suits one district office on one machine; the national
war room changes them with environment variables (``GEOPLOTS_DB``,
``GEOPLOTS_MAX_BATCH_ROWS``...) or by passing a :class:`Settings` to
:func:`geoplots.server.app.create_app`.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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
    reads_protected: bool = Field(
        False, description="Require a key for reads too; zone-scoped keys then read only their zone."
    )
    locate_tolerance_m: float = Field(1000, description="Nearest-sub-district tolerance for pins just outside.")
    max_page: int = Field(10_000, description="Largest `limit` of an items page.")
    default_page: int = Field(100, description="`limit` of an items page when none is asked for.")
    sse_poll_seconds: float = Field(
        2.0, description="How often open event streams look for writes by other processes."
    )
