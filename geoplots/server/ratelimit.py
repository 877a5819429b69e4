"""Rate limits shared by every process of the server: per API key, and per client address
for requests without a key.

The policy is pyrate-limiter's GCRA (a token bucket kept as one timestamp): a subject may
spend its minute at once, then gets one request every ``60 / limit`` seconds. Its state is
kept where every server process sees it, so ``uvicorn --workers 4`` enforces one limit,
not four:

- beside a SQLite store, in a small SQLite file of its own (``<db>.ratelimit``): the
  processes on the machine take turns on SQLite's write lock;
- with a PostGIS store, in an UNLOGGED table of the same database
  (``geoplots_rate_limits``), one row per subject, locked while it is updated, so
  servers on several machines count together.

A state store holds one row per subject (``key:<id>``, ``addr:<address>``) rather than
a log entry per request, so a flood costs the same small row however long it lasts.
pyrate-limiter's own SQLite and PostgreSQL buckets keep a log table per subject (one
table per client address) and, on PostgreSQL, refuse a request when another process
holds the table's lock, which would answer 429 to a legitimate screen under load.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, cast

from pyrate_limiter import GCRA, Decision, Duration, Rate, RateItem, StateBucket, StateStore, WallClock

from geoplots.server.errors import ApiError
from geoplots.server.store import store_url
from geoplots.server.store.base import ApiKey

#: Expired rows are swept after this many checks in a process.
_SWEEP_EVERY = 1000


class RateLimits:
    """The server's request limits: ``per_key`` per API key and ``per_address`` per client
    address without a key, each a number per minute (0: no limit).

    Parameters
    ----------
    per_key, per_address : int
        Requests per minute.
    storage : str, optional
        Where the counts live: a SQLite file path or a ``postgresql://`` URL; None keeps
        them in this process only (tests, one-process tools).

    Examples
    --------
    >>> limits = RateLimits(per_key=2, per_address=0)
    >>> key = ApiKey(1, "office", "editor", None, "gp_abc", "2026-01-01")
    >>> limits.check_key(key); limits.check_key(key)
    >>> limits.check_key(key)
    Traceback (most recent call last):
    ...
    geoplots.server.errors.ApiError: Too many requests with this key: at most 2 per minute. Try again in 30 s.
    """

    def __init__(self, per_key: int, per_address: int, storage: str | None = None) -> None:
        self.per_key, self.per_address = per_key, per_address
        self.storage = storage
        self._backend: _Backend | None = None
        self._lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Any) -> RateLimits:
        """The limits of a server's :class:`~geoplots.server.settings.Settings`, counted in
        ``rate_limit_db`` or, by default, beside the store (see the module docstring).
        """
        return cls(settings.rate_limit_per_minute, settings.anonymous_rate_limit_per_minute,
                   settings.rate_limit_db or _default_storage(settings.db))

    def check_key(self, key: ApiKey) -> None:
        """Count a request made with ``key``; 429 with ``Retry-After`` over the limit."""
        wait = self._spend(f"key:{key.id}", self.per_key)
        if wait is not None:
            raise _too_many(f"Too many requests with this key: at most {self.per_key} per minute.", wait)

    def check_address(self, address: str | None) -> None:
        """Count a request without a (valid) key from ``address``; 429 over the limit."""
        wait = self._spend(f"addr:{client_subject(address)}", self.per_address)
        if wait is not None:
            raise _too_many(
                f"Too many requests without an API key from this address: at most {self.per_address} "
                "per minute. Wall screens and tools that read often need a key of their own "
                "(geoplots keys create --role inspector).", wait,
            )

    def close(self) -> None:
        """Release the connection to the shared counts (the limits open it again if used)."""
        with self._lock:
            backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    def _spend(self, subject: str, per_minute: int) -> float | None:
        """Spend one request of ``subject``; None if allowed, else seconds to wait."""
        if per_minute <= 0:
            return None
        bucket = StateBucket([Rate(per_minute, Duration.MINUTE)], GCRA(),
                             store=_SubjectState(self._open(), subject), clock=WallClock())
        # The state store is synchronous, so the bucket never returns an awaitable.
        decision = cast(Decision, bucket.put_decision(RateItem(subject, bucket.now())))
        if decision.allowed:
            return None
        return (decision.retry_after_ms or 1000) / 1000

    def _open(self) -> _Backend:
        with self._lock:
            if self._backend is None:
                self._backend = _backend(self.storage)
            return self._backend


def client_subject(address: str | None) -> str:
    """The subject an address is counted as: the address itself, or its /64 network for
    IPv6 (one household or office gets a whole /64, so single addresses are free to rotate).

    Examples
    --------
    >>> client_subject("2001:db8:1:2:3:4:5:6")
    '2001:db8:1:2::/64'
    >>> client_subject("10.0.0.7")
    '10.0.0.7'
    """
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:  # ::ffff:10.0.0.7 is 10.0.0.7
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _too_many(message: str, wait: float) -> ApiError:
    seconds = max(1, int(wait + 0.999))
    return ApiError(429, "rate_limited", f"{message} Try again in {seconds} s.",
                    headers={"Retry-After": str(seconds)}, retry_after=seconds)


def _default_storage(db: str) -> str | None:
    """Beside a SQLite store (``<file>.ratelimit``), or the PostGIS store's own database."""
    url = store_url(db)
    scheme, _, rest = url.partition("://")
    if scheme.lower() != "sqlite":
        return url
    path = rest[1:] if rest.startswith("/") else rest
    return None if path in ("", ":memory:") else path + ".ratelimit"


# -- where the counts live -------------------------------------------------------------------

class _Backend:
    """One row of GCRA state per subject, read, stepped and written atomically."""

    def check(self, subject: str, step: Any) -> Any:
        """Run ``step(state or None) -> (new_state or None, result)`` on ``subject``'s row in one
        transaction; ``new_state`` None leaves the row as it was. Returns ``result``.
        """
        raise NotImplementedError

    def read(self, subject: str) -> list[int] | None:
        raise NotImplementedError

    def reset(self, subject: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _backend(storage: str | None) -> _Backend:
    if storage is None:
        return _SQLiteBackend(":memory:")
    if "://" in storage and storage.split("://", 1)[0].lower() in ("postgresql", "postgres", "postgis"):
        return _PostgresBackend(storage)
    return _SQLiteBackend(storage)


class _SQLiteBackend(_Backend):
    """A SQLite file of its own (never the store's: counting a read must not queue on the
    store's write lock). Losing it loses nothing but the last minute's counts, so it is not
    synced to disk.
    """

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()  # one connection, used by the thread pool in turns
        self._checks = 0
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS rate_limits (subject TEXT PRIMARY KEY, state TEXT NOT NULL, "
                "until_ms INTEGER NOT NULL)"
            )

    def check(self, subject: str, step: Any) -> Any:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")  # processes take turns here
            try:
                row = conn.execute("SELECT state FROM rate_limits WHERE subject = ?", (subject,)).fetchone()
                state, result = step(None if row is None else json.loads(row[0]))
                if state is not None:
                    conn.execute(
                        "INSERT INTO rate_limits VALUES (?, ?, ?) ON CONFLICT(subject) DO UPDATE SET "
                        "state = excluded.state, until_ms = excluded.until_ms",
                        (subject, json.dumps(state), _until_ms(state)),
                    )
                self._checks += 1
                if self._checks % _SWEEP_EVERY == 0:  # idle subjects are back to a full bucket
                    conn.execute("DELETE FROM rate_limits WHERE until_ms < ?", (WallClock().now(),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

    def read(self, subject: str) -> list[int] | None:
        with self._lock:
            row = self._conn.execute("SELECT state FROM rate_limits WHERE subject = ?", (subject,)).fetchone()
        return None if row is None else json.loads(row[0])

    def reset(self, subject: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM rate_limits WHERE subject = ?", (subject,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _PostgresBackend(_Backend):
    """An UNLOGGED table in the store's database: every server on it counts together."""

    def __init__(self, url: str) -> None:
        from psycopg_pool import ConnectionPool

        from geoplots.server.store.postgis import _conninfo

        self._pool = ConnectionPool(_conninfo(url), min_size=1, max_size=4, open=True, timeout=30)
        self._checks = 0
        with self._pool.connection() as conn:
            # Servers starting together create the table once.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.geoplots_rate_limits'))")
            conn.execute(
                "CREATE UNLOGGED TABLE IF NOT EXISTS geoplots_rate_limits (subject text PRIMARY KEY, "
                "state bigint[] NOT NULL, until_ms bigint NOT NULL)"
            )

    def check(self, subject: str, step: Any) -> Any:
        with self._pool.connection() as conn:
            # The upsert locks the subject's row until this transaction ends.
            # INSERT ... RETURNING always returns the upserted row.
            (state,) = cast("tuple[Any, ...]", conn.execute(
                "INSERT INTO geoplots_rate_limits VALUES (%s, '{}', 0) ON CONFLICT (subject) DO UPDATE "
                "SET subject = EXCLUDED.subject RETURNING state", (subject,),
            ).fetchone())
            new, result = step(list(state) or None)
            if new is not None:
                conn.execute("UPDATE geoplots_rate_limits SET state = %s, until_ms = %s WHERE subject = %s",
                             (new, _until_ms(new), subject))
            self._checks += 1
            if self._checks % _SWEEP_EVERY == 0:
                conn.execute("DELETE FROM geoplots_rate_limits WHERE until_ms < %s", (WallClock().now(),))
            return result

    def read(self, subject: str) -> list[int] | None:
        with self._pool.connection() as conn:
            row = conn.execute("SELECT state FROM geoplots_rate_limits WHERE subject = %s", (subject,)).fetchone()
        return None if row is None or not row[0] else list(row[0])

    def reset(self, subject: str) -> None:
        with self._pool.connection() as conn:
            conn.execute("DELETE FROM geoplots_rate_limits WHERE subject = %s", (subject,))

    def close(self) -> None:
        self._pool.close()


def _until_ms(state: list[int]) -> int:
    # GCRA keeps microseconds; once every timestamp is past, the row is a full bucket again.
    return max(state, default=0) // 1000


class _SubjectState(StateStore):
    """pyrate-limiter's state store for one subject, on a shared :class:`_Backend`."""

    is_async = False
    default_clock = WallClock()

    def __init__(self, backend: _Backend, subject: str) -> None:
        self.backend, self.subject = backend, subject

    def check(self, algorithm, rates, now, weight):
        def step(stored):
            state = tuple(stored) if stored and len(stored) == len(rates) else algorithm.initial(rates)
            new, decision = algorithm.step(rates, state, now, weight)
            return (list(new) if decision.allowed else None), decision

        return self.backend.check(self.subject, step)

    def read(self, algorithm, rates):
        stored = self.backend.read(self.subject)
        return tuple(stored) if stored and len(stored) == len(rates) else algorithm.initial(rates)

    def reset(self) -> None:
        self.backend.reset(self.subject)
