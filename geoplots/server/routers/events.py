"""``/api/events``: Server-Sent Events that keep open war-room pages current.

Each stream starts with a ``hello`` event (store version, record count) and then gets a
``records`` event per stored batch. Writes made by other processes on the same store
(another worker, ``geoplots`` on the command line) are noticed by polling the store's
version every ``sse_poll_seconds``, so no page stays stale even without a shared bus.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from geoplots.server.deps import ReaderDep
from geoplots.server.events import Event


def router() -> APIRouter:
    r = APIRouter(tags=["events"])

    @r.get(
        "/api/events",
        summary="Live events (text/event-stream): 'records' when pins arrive",
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": "An event stream"}},
    )
    async def events(request: Request, key: ReaderDep) -> StreamingResponse:
        app = request.app
        store, bus, settings = app.state.store, app.state.bus, app.state.settings

        async def stream():
            async with bus.subscribe() as queue:
                version = await run_in_threadpool(store.version)
                count = await run_in_threadpool(store.count)
                yield "retry: 2000\n\n" + Event("hello", {"version": version, "records": count}).to_sse()
                while True:
                    if await request.is_disconnected():
                        break
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=settings.sse_poll_seconds)
                    except asyncio.TimeoutError:
                        now = await run_in_threadpool(store.version)
                        if now == version:
                            yield ": keep-alive\n\n"
                            continue
                        event = Event("records", {"version": now})
                    version = max(version, int(event.data.get("version", version)))
                    yield event.to_sse()

        return StreamingResponse(
            stream(), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return r
