"""``/api/events``: Server-Sent Events that keep open war-room pages current.

Each stream starts with a ``hello`` event (store version, record count) and then gets a
``records`` event per stored batch. Writes made by other processes on the same store
(another worker, ``geoplots`` on the command line) are noticed by polling the store's
version every ``sse_poll_seconds``, so no page stays stale even without a shared bus.

When reads are protected, a zone key's stream (เขตตรวจราชการ) carries only its zone: its
own rows of each batch, its zone's record count, and no store version.
"""

from __future__ import annotations

from enum import Enum
from dataclasses import dataclass, field
import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from geoplots.server.deps import ReaderDep, read_zone
from geoplots.server.events import Event
from geoplots.server.models import errors
from geoplots.server.store import RecordFilter


async def events(request: Request, key: ReaderDep) -> StreamingResponse:
    """The live stream; a zone key on a protected server hears its zone's rows only."""
    app = request.app
    zone = read_zone(request, key, None)
    stream = _stream if zone is None else partial(_zone_stream, zone=zone)
    return StreamingResponse(
        stream(request, app.state.store, app.state.bus, app.state.settings.sse_poll_seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@dataclass
class EventsFactory:
    """``GET /api/events`` (Server-Sent Events); ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ['events'])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = APIRouter(tags=self.tags)
        self.router.add_api_route(
            "/api/events", events, name="events",
            summary="Live events (text/event-stream): 'records' when pins arrive",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"},
                       **errors(401, 403, 422, 429)},
        )


def router() -> APIRouter:
    """The routes of :class:`EventsFactory`."""
    return EventsFactory().router


async def _bus_events(request: Request, queue: Any, poll: float) -> AsyncIterator[Event | None]:
    """Each event from the bus as it comes, or ``None`` after ``poll`` quiet seconds (the
    moment to look for writes by another process, which send no event here), until the
    client goes away.
    """
    while not await request.is_disconnected():
        try:
            yield await asyncio.wait_for(queue.get(), timeout=poll)
        except TimeoutError:
            yield None


async def _stream(request: Request, store: Any, bus: Any, poll: float) -> AsyncIterator[str]:
    """Every batch: ``hello`` (version, record count), then ``records`` per batch."""
    async with bus.subscribe() as queue:
        version = await run_in_threadpool(store.version)
        count = await run_in_threadpool(store.count)
        yield "retry: 2000\n\n" + Event("hello", {"version": version, "records": count}).to_sse()
        async for event in _bus_events(request, queue, poll):
            if event is None:
                now = await run_in_threadpool(store.version)
                if now == version:
                    yield ": keep-alive\n\n"
                    continue
                event = Event("records", {"version": now})
            version = max(version, int(event.data.get("version", version)))
            yield event.to_sse()


async def _zone_stream(request: Request, store: Any, bus: Any, poll: float, *, zone: str) -> AsyncIterator[str]:
    """A zone key's stream on a protected server: only its zone's batches, and nothing that
    tells of other zones (no store version, no other zone's counts).
    """
    async with bus.subscribe() as queue:
        version = await run_in_threadpool(store.version)
        count = await run_in_threadpool(store.count, RecordFilter(zone=zone))
        yield "retry: 2000\n\n" + Event("hello", {"records": count, "zone": zone}).to_sse()
        async for event in _bus_events(request, queue, poll):
            if event is None:
                # A write by another process (no event here): told only when the zone's count moved.
                now = await run_in_threadpool(store.version)
                if now == version:
                    yield ": keep-alive\n\n"
                    continue
                version, before = now, count
                count = await run_in_threadpool(store.count, RecordFilter(zone=zone))
                if count != before:
                    yield Event("records", {"zones": [zone], "records": count}).to_sse()
                continue
            version = max(version, int(event.data.get("version", version)))
            own = _zone_part(event, zone)
            if own is not None:
                count = await run_in_threadpool(store.count, RecordFilter(zone=zone))
                yield own.to_sse()


def _zone_part(event: Event, zone: str) -> Event | None:
    """What a zone's stream is told of ``event``: its own rows of a batch, or nothing."""
    if event.type != "records" or zone not in event.data.get("zones", []):
        return None
    data = {"kind": event.data.get("kind"), "added": event.data.get("by_zone", {}).get(zone), "zones": [zone]}
    return Event("records", {k: v for k, v in data.items() if v is not None})
