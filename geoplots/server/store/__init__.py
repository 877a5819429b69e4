"""Stores for located records and API keys: embedded SQLite by default, PostGIS to share.

Records and keys are kept apart: each :class:`Store` has a :class:`KeyStore`
(:attr:`Store.keys`; the embedded one is the file ``<db>.keys.sqlite``), so the records
GeoPackage can be handed out without the keys.

>>> store = open_store("sqlite:///geoplots.db")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

from geoplots.errors import GeoplotsError
from geoplots.server.store.base import ApiKey, BatchResult, KeyStore, Page, PhotoRow, RecordFilter, Store, with_names

__all__ = ["ApiKey", "BatchResult", "KeyStore", "Page", "PhotoRow", "RecordFilter", "Store", "open_store", "store_url",
           "with_names"]


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


def open_store(
    db: str | os.PathLike[str],
    *,
    migrate: bool = True,
    keys: str | os.PathLike[str] | None = None,
) -> Store:
    """Open (and by default create or migrate) the store at ``db`` and its key store.

    Parameters
    ----------
    db : str or path
        ``sqlite:///path.db`` or a plain path (embedded SQLite), or
        ``postgresql://user@host/dbname`` (PostGIS).
    migrate : bool
        Apply pending schema migrations (creates the schema on first start). An embedded
        store made by an older version moves its API keys into the key file here.
    keys : str or path, optional
        Embedded store only: the key file (default ``<db>.keys.sqlite`` beside ``db``,
        created with mode 0600). PostGIS keeps keys in its ``api_keys`` table.
    """
    url = store_url(db)
    scheme = url.split("://", 1)[0].lower()
    if scheme == "sqlite":
        from geoplots.server.store.sqlite import SQLiteStore

        store: Store = SQLiteStore(url, keys=keys)
    elif scheme in ("postgresql", "postgres", "postgis"):
        try:
            from geoplots.server.store.postgis import PostGISStore
        except ImportError as exc:  # pragma: no cover - depends on the PostGIS helper's module
            raise GeoplotsError(f"PostGIS store is not available: {exc}") from exc
        if keys is not None:
            raise GeoplotsError("A PostGIS store keeps its API keys in its own api_keys table; "
                                "a separate key file is for the embedded SQLite store.")
        store = PostGISStore(url)
    else:
        raise GeoplotsError(
            f"Unknown database {url!r}. Give a SQLite file path (geoplots.db) or a "
            "postgresql://user@host/dbname URL."
        )
    if migrate:
        try:
            store.migrate()
        except BaseException:
            store.close()
            raise
    return store
