"""Live events for open war-room pages (Server-Sent Events).

:class:`EventBus` is the interface; :class:`LocalEventBus` fans events out to the
subscribers of this process. A backend that runs several server processes subclasses it:
``publish`` sends the event to the other processes (e.g. PostgreSQL ``NOTIFY``) and a
listener started in :meth:`EventBus.start` hands what arrives to :meth:`_deliver`, which
reaches this process's subscribers.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One event: a type (``records``, ``hello``) and a JSON-able payload.

    Examples
    --------
    >>> Event("records", {"version": 3}).to_sse()
    'event: records\\ndata: {"version": 3}\\n\\n'
    """

    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_sse(self) -> str:
        return f"event: {self.type}\ndata: {json.dumps(self.data, ensure_ascii=False)}\n\n"

    def to_json(self) -> str:
        return json.dumps({"type": self.type, "data": self.data}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Event:
        obj = json.loads(text)
        return cls(obj["type"], obj.get("data", {}))


class EventBus:
    """Publish/subscribe interface; see :class:`LocalEventBus` for the in-process one."""

    async def start(self) -> None:
        """Start listening for events from other processes (nothing to do locally)."""

    async def stop(self) -> None:
        """Stop listening."""

    async def publish(self, event: Event) -> None:
        raise NotImplementedError

    def subscribe(self) -> Any:
        """Return an async context manager yielding an ``asyncio.Queue`` of events."""
        raise NotImplementedError


class LocalEventBus(EventBus):
    """Fan-out to this process's subscribers, each with a bounded queue.

    A subscriber that stops reading (a closed laptop lid) loses its oldest events rather
    than holding memory: the page refetches counts on every event anyway.
    """

    def __init__(self, queue_size: int = 100) -> None:
        self.queue_size = queue_size
        self._queues: set[asyncio.Queue[Event]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    async def publish(self, event: Event) -> None:
        self._deliver(event)

    def _deliver(self, event: Event) -> None:
        for queue in list(self._queues):
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(self.queue_size)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
