"""Answers cached per store version (the coverage numbers and the map pages).

Every stored batch bumps the store's version, so a wall of screens polling the same zone
costs one computation per batch, and a new batch is counted on the next request.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool

from geoplots.errors import GeoplotsError
from geoplots.server.errors import ApiError


class CoverageCache:
    """Encoded answers keyed by request parameters, valid for one store version.

    :meth:`get_or_compute` computes each answer once per version even when a whole wall
    of screens asks at the same moment (right after a batch): later callers wait for the
    first one's answer instead of each computing it (no cache stampede).
    """

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._version: int | None = None
        self._entries: dict[tuple, bytes] = {}
        self._lock = threading.Lock()
        self._flights: dict[tuple, asyncio.Lock] = {}
        self.computed = 0  # computations run (for tests and /health-style inspection)

    async def get_or_compute(self, version: int, key: tuple, compute: Callable[[], bytes]) -> bytes:
        """Return the cached answer, or run ``compute`` in a worker thread, once per key."""
        body = self.get(version, key)
        if body is not None:
            return body
        flight = self._flights.setdefault((version, key), asyncio.Lock())
        async with flight:
            body = self.get(version, key)
            if body is None:
                body = await run_in_threadpool(compute)
                self.computed += 1
                self.put(version, key, body)
        # answers of older versions are never asked again
        for stale in [k for k in self._flights if k[0] != version]:
            self._flights.pop(stale, None)
        return body

    async def answer(self, store: Any, key: tuple, compute: Callable[[int], bytes]) -> bytes:
        """The answer for ``key`` at the store's current version; ``compute(version)`` runs
        once per version. A :class:`GeoplotsError` from it is a 422 for the client.
        """
        version = await run_in_threadpool(store.version)
        try:
            return await self.get_or_compute(version, key, partial(compute, version))
        except GeoplotsError as exc:
            raise ApiError(422, "invalid_request", str(exc)) from exc

    def get(self, version: int, key: tuple) -> bytes | None:
        with self._lock:
            if version != self._version:
                return None
            return self._entries.get(key)

    def put(self, version: int, key: tuple, body: bytes) -> None:
        with self._lock:
            if version != self._version:
                self._version, self._entries = version, {}
            if len(self._entries) >= self.max_entries:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = body
