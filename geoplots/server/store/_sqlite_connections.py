"""One SQLite connection per thread, for the embedded record store and key store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from geoplots.errors import GeoplotsError

__all__ = ["ThreadConnections"]


class ThreadConnections:
    """Hand each thread its own connection to ``path`` (WAL, ``synchronous=FULL``).

    Connections are in autocommit mode: transactions are opened explicitly (``BEGIN
    IMMEDIATE`` for writes), so every batch is one transaction.

    Parameters
    ----------
    path : Path
        The SQLite file.
    setup : callable, optional
        Called with each new connection (e.g. to register SQL functions).
    """

    def __init__(self, path: Path, setup: Callable[[sqlite3.Connection], None] | None = None) -> None:
        self.path = path
        self._setup = setup
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def get(self) -> sqlite3.Connection:
        """Return this thread's connection, opening it on first use."""
        if self._closed:
            raise GeoplotsError("The store was closed.")
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=60000")
            if self._setup is not None:
                self._setup(conn)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection; :meth:`get` fails afterwards."""
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.ProgrammingError:  # closed from another thread already
                    pass
            self._all.clear()
        self._closed = True
