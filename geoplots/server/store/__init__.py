"""Stores for located records and API keys: embedded SQLite by default, PostGIS to share.

>>> store = open_store("sqlite:///geoplots.db")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

from geoplots.errors import GeoplotsError
from geoplots.server.store.base import ApiKey, BatchResult, Page, Store

__all__ = ["ApiKey", "BatchResult", "Page", "Store", "open_store", "store_url"]


def store_url(db: str | os.PathLike[str]) -> str:
    """Return the store URL for what a user typed: a URL, or a path to a SQLite file.

    Examples
    --------
    >>> store_url("data/geoplots.db")
    'sqlite:///data/geoplots.db'
    >>> store_url("postgresql://localhost/geoplots")
    'postgresql://localhost/geoplots'
    """
    text = os.fspath(db)
    if "://" in text:
        return text
    return "sqlite:///" + Path(text).as_posix()


def open_store(db: str | os.PathLike[str], *, migrate: bool = True) -> Store:
    """Open (and by default create or migrate) the store at ``db``.

    Parameters
    ----------
    db : str or path
        ``sqlite:///path.db`` or a plain path (embedded SQLite), or
        ``postgresql://user@host/dbname`` (PostGIS).
    migrate : bool
        Apply pending schema migrations (creates the schema on first start).
    """
    url = store_url(db)
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from geoplots.server.store.sqlite import SQLiteStore

        store: Store = SQLiteStore(url)
    elif scheme in ("postgresql", "postgres", "postgis"):
        try:
            from geoplots.server.store.postgis import PostGISStore
        except ImportError as exc:  # pragma: no cover - depends on the PostGIS helper's module
            raise GeoplotsError(f"PostGIS store is not available: {exc}") from exc
        store = PostGISStore(url)
    else:
        raise GeoplotsError(
            f"Unknown database {url!r}. Give a SQLite file path (geoplots.db) or a "
            "postgresql://user@host/dbname URL."
        )
    if migrate:
        store.migrate()
    return store
