"""Dependencies the routers ask for with ``Depends``: settings, store, keys, boundaries."""

from __future__ import annotations

from typing import Annotated

import geopandas as gpd
from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from geoplots.boundaries import Boundaries
from geoplots.errors import GeoplotsError
from geoplots.levels import Level, parse_level
from geoplots.server import auth
from geoplots.server.errors import ApiError
from geoplots.server.settings import Settings
from geoplots.server.store.base import ApiKey, Store


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> Store:
    return request.app.state.store


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]


async def current_key(
    request: Request,
    store: StoreDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ApiKey | None:
    """The API key of the request, or None; 401 for a bad key, 429 over the rate limit
    (the key's, or the client address's without a key).
    """
    address = request.client.host if request.client else None
    return await run_in_threadpool(auth.identify, store, request.app.state.limiter, authorization, address)


KeyDep = Annotated[ApiKey | None, Depends(current_key)]


async def reader(request: Request, key: KeyDep) -> ApiKey | None:
    """A key allowed to read; required only when reads are protected."""
    if request.app.state.settings.reads_protected:
        auth.require(key, "read")
    return key


async def writer(key: KeyDep) -> ApiKey:
    """A key allowed to write records (editor or admin)."""
    return auth.require(key, "write")


async def admin(key: KeyDep) -> ApiKey:
    return auth.require(key, "admin")


ReaderDep = Annotated[ApiKey | None, Depends(reader)]
WriterDep = Annotated[ApiKey, Depends(writer)]
AdminDep = Annotated[ApiKey, Depends(admin)]


def api_level(level: str) -> Level:
    """The level a query names (จังหวัด/อำเภอ/ตำบล accepted), or a 422 naming the choices."""
    try:
        return parse_level(level)
    except GeoplotsError as exc:
        raise ApiError(422, "unknown_level", str(exc)) from exc


def read_zone(request: Request, key: ApiKey | None, zone: str | None) -> str | None:
    """The zone a read is limited to: a scoped key on a protected server reads its own zone
    (by default) and nothing else (403).
    """
    if key is not None and key.zone is not None and request.app.state.settings.reads_protected:
        if zone is None:
            return key.zone
        auth.check_zone(key, zone)
    return zone


#: Why a request that needs the boundaries cannot be answered (503).
NO_BOUNDARIES = (
    "The server has no boundaries: import them (geoplots boundaries import PATH/TO/cod-ab-tha/*.zip "
    "--dest DIR), point GEOPLOTS_DATA (or --data) at DIR and restart the server."
)


def get_boundaries(request: Request) -> Boundaries | None:
    """The boundaries the server loaded at start-up (None when none were imported)."""
    return request.app.state.boundaries


BoundariesDep = Annotated[Boundaries | None, Depends(get_boundaries)]


def require_boundaries(boundaries: Boundaries | None) -> Boundaries:
    """``boundaries``, or a 503 that says how to give the server some."""
    if boundaries is None:
        raise ApiError(503, "no_boundaries", NO_BOUNDARIES)
    return boundaries


def boundary_units(boundaries: Boundaries | None, level: Level) -> gpd.GeoDataFrame:
    """One level with its ``inspection_zone`` column (shared, read-only), or a 503."""
    try:
        return require_boundaries(boundaries).with_zones(level)
    except GeoplotsError as exc:  # that level was not imported
        raise ApiError(503, "no_boundaries", str(exc)) from exc
