"""API keys of the embedded store, in their own SQLite file beside the GeoPackage.

The records file (``geoplots.gpkg``) is made to be opened in QGIS and handed to a
district office; the keys must not travel with it. They live in ``<db>.keys.sqlite``
(or a path of your choosing), created with mode 0600 so only the server's user can
read it. Only the SHA-256 of each secret is stored.

Examples
--------
>>> keys = SQLiteKeyStore("data/geoplots.gpkg.keys.sqlite")  # doctest: +SKIP
>>> keys.migrate()  # doctest: +SKIP
1
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime, UTC
from pathlib import Path

from geoplots.errors import GeoplotsError
from geoplots.server.store._migrations import packaged, split_sql
from geoplots.server.store._sqlite_connections import ThreadConnections
from geoplots.server.store.base import ApiKey, KeyStore, Role

__all__ = ["SQLiteKeyStore", "default_keys_path"]

_PRIVATE = 0o600
_COLUMNS = "id, name, role, zone, prefix, created_at, revoked"


def default_keys_path(db_path: str | os.PathLike[str]) -> Path:
    """Return where the keys of the store at ``db_path`` live by default.

    Examples
    --------
    >>> default_keys_path("data/geoplots.gpkg").as_posix()
    'data/geoplots.gpkg.keys.sqlite'
    """
    path = Path(db_path)
    return path.with_name(path.name + ".keys.sqlite")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _make_private(path: Path) -> None:
    """Create ``path`` readable by its owner only, or take others' access away from it
    (and from its WAL files, which SQLite otherwise creates with the same mode).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, _PRIVATE))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if file.exists() and stat.S_IMODE(file.stat().st_mode) & 0o077:
            os.chmod(file, _PRIVATE)


class SQLiteKeyStore(KeyStore):
    """API keys in one SQLite file of their own (mode 0600).

    Parameters
    ----------
    path : str or path
        The key file, e.g. ``data/geoplots.gpkg.keys.sqlite`` (see :func:`default_keys_path`).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.url = "sqlite:///" + self.path.as_posix()
        _make_private(self.path)
        self._connections = ThreadConnections(self.path)

    def _conn(self) -> sqlite3.Connection:
        return self._connections.get()

    def close(self) -> None:
        self._connections.close()

    def migrate(self) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}
            migrations = packaged("sqlite_keys")
            for number, name, sql in migrations:
                if number in done:
                    continue
                for statement in split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, _now()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return migrations[-1][0]

    def _insert_key(self, *, name: str, role: Role, zone: str | None, key_hash: str, prefix: str) -> ApiKey:
        created = _now()
        cur = self._conn().execute(
            "INSERT INTO api_keys (name, role, zone, key_hash, prefix, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, role, zone, key_hash, prefix, created),
        )
        assert cur.lastrowid is not None  # always set after a successful INSERT
        return ApiKey(id=cur.lastrowid, name=name, role=role, zone=zone, prefix=prefix, created_at=created)

    def _key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self._conn().execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ?", (key_hash,)).fetchone()
        return None if row is None else _key(row)

    def list_keys(self) -> list[ApiKey]:
        return [_key(r) for r in self._conn().execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY id")]

    def revoke_key(self, key_id: int) -> bool:
        cur = self._conn().execute("UPDATE api_keys SET revoked = 1 WHERE id = ?", (int(key_id),))
        return cur.rowcount > 0

    def import_keys(self, keys: list[tuple[ApiKey, str]]) -> int:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            added = sum(_import_one(conn, key, key_hash) for key, key_hash in keys)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return added


def _import_one(conn: sqlite3.Connection, key: ApiKey, key_hash: str) -> bool:
    """Insert one taken-over key under its own id; False when it is already here."""
    by_id = conn.execute("SELECT key_hash FROM api_keys WHERE id = ?", (key.id,)).fetchone()
    by_hash = conn.execute("SELECT id FROM api_keys WHERE key_hash = ?", (key_hash,)).fetchone()
    if by_id is not None and by_id[0] == key_hash:
        return False
    if by_id is not None or by_hash is not None:
        raise GeoplotsError(
            f"Cannot move API key {key.id} ({key.name!r}) into the key store: the key store "
            "already holds a different key under that id or this key under another id. "
            "Give each store its own key file."
        )
    conn.execute(
        "INSERT INTO api_keys (id, name, role, zone, key_hash, prefix, created_at, revoked) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (key.id, key.name, key.role, key.zone, key_hash, key.prefix, key.created_at, int(key.revoked)),
    )
    return True


def _key(row: tuple) -> ApiKey:
    return ApiKey(
        id=int(row[0]), name=row[1], role=row[2], zone=row[3], prefix=row[4], created_at=row[5],
        revoked=bool(row[6]),
    )
