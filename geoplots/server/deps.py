"""Dependencies the routers ask for with ``Depends``: settings, store, keys, boundaries."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import geopandas as gpd
from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from geoplots.boundaries._store import current_snapshot
from geoplots.config import data_dir
from geoplots.groups import INSPECTION_ZONE, inspection_zones
from geoplots.errors import GeoplotsError
from geoplots.levels import CODE_LENGTH, Level, parse_level
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
    (the key's, or the client address's without a key)."""
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
    (by default) and nothing else (403)."""
    if key is not None and key.zone is not None and request.app.state.settings.reads_protected:
        if zone is None:
            return key.zone
        auth.check_zone(key, zone)
    return zone


class BoundaryCache:
    """Boundaries per level with their inspection zone, loaded once per snapshot."""

    def __init__(self, data: Any = None) -> None:
        self.root = data_dir(data)
        self._frames: dict[tuple[str, Level], gpd.GeoDataFrame] = {}
        self._lock = threading.Lock()

    def snapshot(self) -> str | None:
        snap = current_snapshot(self.root)
        return None if snap is None else snap.name

    def get(self, level: Level) -> gpd.GeoDataFrame:
        """Return the boundaries of ``level`` with an ``inspection_zone`` column (cached)."""
        from geoplots.boundaries._store import read_level

        key = (str(self.snapshot()), level)
        with self._lock:
            frame = self._frames.get(key)
        if frame is None:
            frame = read_level(self.root, level)
            zones = inspection_zones()
            frame[INSPECTION_ZONE] = zones.group_of(frame["code"].str[: CODE_LENGTH["province"]])
            frame.sindex  # build the spatial index once, outside requests
            with self._lock:
                self._frames = {k: v for k, v in self._frames.items() if k[0] == key[0]}
                self._frames[key] = frame
        return frame


def get_boundaries(request: Request) -> BoundaryCache:
    return request.app.state.boundaries


BoundariesDep = Annotated[BoundaryCache, Depends(get_boundaries)]
