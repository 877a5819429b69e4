"""The FastAPI application factory.

>>> from geoplots.server.app import create_app
>>> from geoplots.server.settings import Settings
>>> app = create_app(Settings(db="/tmp/war-room.db"))  # doctest: +SKIP

Routers come from small factories in :mod:`geoplots.server.routers`; shared state (the
store, the event bus, the boundaries, the rate limiter, the coverage cache of :mod:`geoplots.server.cache`)
lives on ``app.state``.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

import geoplots
from geoplots.boundaries import Boundaries
from geoplots.errors import NoBoundariesError
from geoplots.readers import protect_file
from geoplots.server.errors import ApiError, api_error_handler, http_error_handler, validation_error_handler
from geoplots.server.cache import CoverageCache
from geoplots.server.security import SecurityHeaders
from geoplots.server.events import EventBus
from geoplots.server.ratelimit import RateLimits
from geoplots.server.inputs import RefuseNul
from geoplots.server.settings import Settings
from geoplots.server.store import Store, open_store

STATIC_DIR = Path(__file__).parent / "static"

log = logging.getLogger("geoplots.server")


def vendor_dir() -> Path:
    """Leaflet, its plugins and Swagger UI, shipped in the package (served at ``/vendor``)."""
    from geoplots.layers.assets import vendor_dir as _vendor_dir

    return Path(_vendor_dir())


def _docs_route(app: FastAPI) -> None:
    """``/docs``: Swagger UI from the package's own copy, so it works with no internet.

    FastAPI's default page loads it from a CDN (a blank page offline); this one links
    ``/vendor/swagger-ui-dist/`` and keeps FastAPI's small inline start-up script.
    """

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} - API docs",
            swagger_js_url="/vendor/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url="/vendor/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url="/vendor/swagger-ui-dist/favicon-32x32.png",
        )


class BodyLimit:
    """Answer 413 for request bodies over ``max_bytes``, before any of it is parsed.

    The declared ``Content-Length`` is checked first; chunked bodies are counted as they
    arrive, so a client cannot get around the limit by not declaring a length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._too_large(send)
                    return
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        import json

        body = json.dumps(
            {
                "error": "body_too_large",
                "message": f"The request body is larger than {self.max_bytes:,} bytes. Split the "
                "file into smaller batches.",
                "max_body_bytes": self.max_bytes,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _load_boundaries(settings: Settings) -> Boundaries | None:
    """The boundaries in ``settings.data`` (else ``GEOPLOTS_DATA``, else ``data/boundaries``),
    or None: the server still starts, and what needs them answers 503.
    """
    try:
        return Boundaries.load(settings.data)
    except NoBoundariesError as exc:
        log.warning("%s", exc)
        return None


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    bus: EventBus | None = None,
    boundaries: Boundaries | None = None,
) -> FastAPI:
    """Build the war-room server.

    Parameters
    ----------
    settings : Settings, optional
        Defaults to :class:`Settings` read from ``GEOPLOTS_*`` environment variables.
    store : Store, optional
        An open store; by default ``settings.db`` is opened (and created) at start-up
        and closed at shutdown.
    bus : EventBus, optional
        Live-event fan-out; by default the in-process :class:`LocalEventBus`.
    boundaries : geoplots.Boundaries, optional
        The boundaries to serve, locate and count on; by default ``settings.data`` is
        loaded at start-up (``Boundaries.load``), once, like the store. Restart the
        server after importing new boundaries.

    Returns
    -------
    fastapi.FastAPI
    """
    settings = settings or Settings()
    own_store = store is None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if app.state.boundaries is None:
            app.state.boundaries = _load_boundaries(settings)
        if app.state.store is None:
            app.state.store = open_store(settings.db)
        # No reader in this process may open the store's file: a second SQLite library breaks its locks.
        store_file = getattr(app.state.store, "path", None)
        release = protect_file(store_file) if store_file is not None else (lambda: None)
        if app.state.bus is None:
            app.state.bus = app.state.store.event_bus()
        await app.state.bus.start()
        try:
            yield
        finally:
            await app.state.bus.stop()
            release()
            app.state.limiter.close()
            if own_store:
                app.state.store.close()

    app = FastAPI(
        title="geoplots war-room server",
        version=geoplots.__version__,
        description="Coverage maps, OGC API - Features and authenticated ingest of field records "
        "for the Community Development Department (กรมการพัฒนาชุมชน). Boundaries: OCHA, Royal Thai "
        "Survey Department (CC BY-IGO).",
        lifespan=lifespan,
        docs_url=None,  # served by _docs_route from local files
    )
    app.state.settings = settings
    app.state.store = store
    app.state.bus = bus
    app.state.limiter = RateLimits.for_settings(settings)
    app.state.boundaries = boundaries
    app.state.coverage_cache = CoverageCache()
    app.state.map_cache = CoverageCache(max_entries=32)
    # Starlette types every handler as taking a plain Exception, though it only calls
    # each with the exception class it was registered for.
    app.add_exception_handler(ApiError, api_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error_handler)  # type: ignore[arg-type]
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.host_names != ["*"]:
        # A Host header outside the list is a 400 (DNS rebinding, forged links).
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.host_names)
    app.add_middleware(RefuseNul)
    app.add_middleware(SecurityHeaders)  # outermost: the 413s get the headers too

    from geoplots.server.routers import coverage, events, features, ingest, keys, maps, pages, photos, report

    app.include_router(pages.router())
    app.include_router(features.router())
    app.include_router(coverage.router())
    app.include_router(maps.router())
    app.include_router(ingest.router())
    app.include_router(events.router())
    app.include_router(keys.router())
    app.include_router(photos.router())
    app.include_router(report.router())

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _docs_route(app)
    vendor = vendor_dir()
    # The war-room page's older links (/vendor/node_modules/leaflet/dist/...) keep working.
    app.mount("/vendor/node_modules", StaticFiles(directory=vendor), name="vendor_npm")
    app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app
