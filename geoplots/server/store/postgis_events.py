"""Live events across server processes through PostgreSQL LISTEN/NOTIFY.

With several uvicorn workers (or servers) on one PostGIS database, a pin posted to one
worker must reach the war-room pages connected to every other worker. Each process
LISTENs on one channel; :meth:`PostgresEventBus.publish` NOTIFYs it, and every
process, the publisher included, hands what arrives to its own SSE subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import psycopg

from geoplots.server.events import Event, LocalEventBus

__all__ = ["CHANNEL", "PostgresEventBus"]

#: The LISTEN/NOTIFY channel the war-room events travel on.
CHANNEL = "geoplots_events"

# PostgreSQL refuses NOTIFY payloads of 8000 bytes or more.
_MAX_PAYLOAD = 7900

log = logging.getLogger(__name__)


class PostgresEventBus(LocalEventBus):
    """An :class:`~geoplots.server.events.EventBus` shared by every process on a database.

    Parameters
    ----------
    conninfo : str
        libpq URL of the PostGIS database (the store's).
    queue_size : int
        Per-subscriber queue, as in :class:`~geoplots.server.events.LocalEventBus`.

    Examples
    --------
    >>> bus = PostgresEventBus("postgresql://geoplots@127.0.0.1/geoplots")  # doctest: +SKIP
    >>> await bus.start()  # doctest: +SKIP
    >>> await bus.publish(Event("records", {"version": 7}))  # doctest: +SKIP
    """

    def __init__(self, conninfo: str, queue_size: int = 100) -> None:
        super().__init__(queue_size)
        self._conninfo = conninfo
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._sender: psycopg.AsyncConnection | None = None
        self._send_lock = asyncio.Lock()

    async def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="geoplots-pg-listen")
            # Return once LISTEN is in place, so nothing published afterwards is missed.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._sender is not None:
            await self._sender.close()
            self._sender = None

    async def publish(self, event: Event) -> None:
        payload = event.to_json()
        if len(payload.encode("utf-8")) > _MAX_PAYLOAD:
            # Pages only need to know something changed; they refetch the counts.
            keep: dict[str, Any] = {k: event.data[k] for k in ("version", "added", "kind") if k in event.data}
            payload = Event(event.type, {**keep, "truncated": True}).to_json()
        async with self._send_lock:
            for attempt in (1, 2):
                try:
                    if self._sender is None or self._sender.closed:
                        self._sender = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
                    await self._sender.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
                    return
                except psycopg.OperationalError:
                    self._sender = None
                    if attempt == 2:
                        raise

    async def _listen(self) -> None:
        # Delivery happens here only (not in publish), so every process, the publisher
        # too, sees each event exactly once. Reconnects if the database goes away.
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._listening.set()
                    async for note in conn.notifies():
                        try:
                            self._deliver(Event.from_json(note.payload))
                        except (ValueError, KeyError):
                            log.warning("ignored a malformed event on %s: %r", CHANNEL, note.payload[:200])
            except asyncio.CancelledError:
                raise
            except psycopg.OperationalError as exc:
                log.warning("lost the PostgreSQL event listener (%s); reconnecting", exc)
                await asyncio.sleep(1.0)
