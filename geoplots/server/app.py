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

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
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


class HeadAsGet:
    """Answer ``HEAD`` on every ``GET`` route: the GET's status and headers, no body.

    FastAPI routes take only the methods they name; the OGC standard (and HTTP) want HEAD
    wherever GET works. An event stream is cut after its headers (it never ends).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        done = False

        async def headers_only(message):
            nonlocal done
            if done:
                return
            if message["type"] == "http.response.start":
                await send(message)
                if b"text/event-stream" in dict(message.get("headers", [])).get(b"content-type", b""):
                    done = True
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    raise _HeadDone()
                return
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        try:
            await self.app({**scope, "method": "GET"}, receive, headers_only)
        except _HeadDone:
            pass


class _HeadDone(Exception):
    pass


class Cors:
    """Cross-origin access (CORS): web pages of any origin (``cors_read_origins``) may read
    with GET/HEAD; only ``cors_write_origins`` may write. Preflight ``OPTIONS`` is answered
    here, before routing (204, or 403 for a refused origin or method).
    """

    READ = ("GET", "HEAD")
    WRITE = ("POST", "PUT", "PATCH", "DELETE")
    HEADERS = "Authorization, Content-Type, Accept, If-None-Match, Last-Event-ID"
    EXPOSE = "ETag, Content-Crs, Location, Retry-After"

    def __init__(self, app: ASGIApp, read_origins: list[str], write_origins: list[str]) -> None:
        self.app = app
        self.read_any = "*" in read_origins
        self.read_origins = set(read_origins) | set(write_origins)
        self.write_origins = set(write_origins)

    def _allowed(self, origin: str, method: str) -> bool:
        if method in self.READ or method == "OPTIONS":
            return self.read_any or origin in self.read_origins
        return origin in self.write_origins

    def _headers(self, origin: str, method: str) -> list[tuple[bytes, bytes]]:
        # "*" for anonymous reads (cacheable for every origin); the origin itself otherwise
        allow = "*" if self.read_any and method in self.READ and origin not in self.write_origins else origin
        return [(b"access-control-allow-origin", allow.encode("latin-1")),
                (b"access-control-expose-headers", self.EXPOSE.encode()), (b"vary", b"Origin")]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = {k.lower(): v for k, v in scope.get("headers", ())}
        origin_bytes = request_headers.get(b"origin")
        method = scope["method"]
        if origin_bytes is None:
            await self.app(scope, receive, send)
            return
        origin = origin_bytes.decode("latin-1").rstrip("/")
        wanted = request_headers.get(b"access-control-request-method")
        if method == "OPTIONS" and wanted is not None:
            await self._preflight(origin, wanted.decode("latin-1").upper(), send)
            return
        extra = self._headers(origin, method) if self._allowed(origin, method) else []

        async def with_cors(message):
            if message["type"] == "http.response.start" and extra:
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"vary"]
                vary = [v for k, v in message.get("headers", []) if k.lower() == b"vary"]
                extra_vary = [b", ".join([*vary, b"Origin"])]
                message = {**message, "headers": kept + extra[:2] + [(b"vary", extra_vary[0])]}
            await send(message)

        await self.app(scope, receive, with_cors)

    async def _preflight(self, origin: str, wanted: str, send: Send) -> None:
        import json

        if not self._allowed(origin, wanted) or wanted not in self.READ + self.WRITE:
            body = json.dumps({"error": "cors_refused", "message": f"Pages from {origin[:200]} may not send "
                               f"{wanted[:20]} requests to this server."}).encode()
            headers = [(b"content-type", b"application/json"), (b"vary", b"Origin")]
            await send({"type": "http.response.start", "status": 403,
                        "headers": headers + [(b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        methods = ", ".join(self.READ + (self.WRITE if origin in self.write_origins else ()))
        headers = self._headers(origin, wanted) + [
            (b"access-control-allow-methods", methods.encode()), (b"access-control-allow-headers", self.HEADERS.encode()),
            (b"access-control-max-age", b"600"), (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _openapi_without_422s(app: FastAPI) -> None:
    """The OGC API routes answer invalid parameters with 400 (documented), never with the
    422 FastAPI documents by default: take it out of ``/openapi.json``.
    """
    generate = app.openapi

    def openapi() -> dict:
        spec = generate()  # cached by FastAPI; the change below is made once
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                if "features" in operation.get("tags", ()):
                    operation.get("responses", {}).pop("422", None)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


async def _ogc_validation_error(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's validation errors: 400 on the OGC API routes (the standard's status for an
    invalid parameter), 422 elsewhere as before.
    """
    response = await validation_error_handler(request, exc)
    if "features" in getattr(request.scope.get("route"), "tags", ()):
        response.status_code = 400
    return response


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
    app.add_exception_handler(RequestValidationError, _ogc_validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error_handler)  # type: ignore[arg-type]
    # gzip JSON/HTML answers over 1 KB; event streams are excluded by Starlette (never buffered)
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=5)
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.host_names != ["*"]:
        # A Host header outside the list is a 400 (DNS rebinding, forged links).
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.host_names)
    app.add_middleware(RefuseNul)
    app.add_middleware(Cors, read_origins=settings.read_origins, write_origins=settings.write_origins)
    app.add_middleware(SecurityHeaders)  # outermost: the 413s get the headers too

    from geoplots.server.routers import (
        coverage, events, features, ingest, keys, maps, pages, photos, progress, report, tiles,
    )

    app.include_router(pages.router())
    app.include_router(features.router())
    app.include_router(tiles.router())
    app.include_router(coverage.router())
    app.include_router(progress.router())
    app.include_router(maps.router())
    app.include_router(ingest.router())
    app.include_router(events.router())
    app.include_router(keys.router())
    app.include_router(photos.router())
    app.include_router(report.router())

    _openapi_without_422s(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _docs_route(app)
    vendor = vendor_dir()
    # The war-room page's older links (/vendor/node_modules/leaflet/dist/...) keep working.
    app.mount("/vendor/node_modules", StaticFiles(directory=vendor), name="vendor_npm")
    app.mount("/vendor", StaticFiles(directory=vendor), name="vendor")
    return app
