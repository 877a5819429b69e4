"""``/api/keys``: administrators create, list and revoke API keys over HTTP.

The same as ``geoplots keys create`` on the server machine; the secret is in the answer
once and never again. An admin key limited to a zone creates, lists and revokes only the
editor and inspector keys of its zone (:func:`geoplots.server.auth.check_key_management`).
"""

from __future__ import annotations

from enum import Enum
from dataclasses import asdict, dataclass, field
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from geoplots.groups import inspection_zones
from geoplots.server import auth
from geoplots.server.deps import AdminDep, StoreDep
from geoplots.server.errors import ApiError
from geoplots.server.inputs import Text
from geoplots.server.models import CreatedKey, ErrorModel, KeyInfo, RevokedKey, errors


class NewKey(BaseModel):
    role: Literal["editor", "inspector", "admin"]
    zone: Text | None = Field(None, description="Inspection zone (เขตตรวจราชการ) the key is limited to")
    name: Text = Field("", max_length=200, description="Who holds the key")


def check_zone_name(zone: str | None) -> str | None:
    """Return the zone label as the grouping scheme spells it, or a clear error."""
    if zone is None:
        return None
    groups = inspection_zones().groups()
    label = str(zone).strip()
    if label not in groups:
        from geoplots.errors import GeoplotsError

        raise GeoplotsError(f"Unknown inspection zone {zone!r}. Zones: {', '.join(groups)}.")
    return label


async def create_key(body: NewKey, store: StoreDep, key: AdminDep) -> dict:
    """Create a key; a zone admin's keys are of its zone. The secret is in this answer only."""
    try:
        zone = check_zone_name(body.zone)
    except Exception as exc:
        raise ApiError(422, "invalid_zone", str(exc)) from exc
    if zone is None and "zone" not in body.model_fields_set:
        zone = key.zone  # a zone admin's keys are of its zone unless it says otherwise
    auth.check_key_management(key, body.role, zone)
    new, secret = await run_in_threadpool(store.create_key, body.role, zone=zone, name=body.name)
    return {**asdict(new), "key": secret}


async def list_keys(store: StoreDep, key: AdminDep) -> list[dict]:
    """Every key (a zone admin: its zone's), never the secrets."""
    keys = await run_in_threadpool(store.list_keys)
    return [asdict(k) for k in keys if key.zone is None or k.zone == key.zone]


async def revoke_key(key_id: Annotated[int, Path(ge=1, le=2**62)], store: StoreDep, key: AdminDep) -> dict:
    """Revoke a key (a zone admin: only the keys it manages)."""
    if key.zone is not None:
        target = next((k for k in await run_in_threadpool(store.list_keys) if k.id == key_id), None)
        if target is None:
            raise ApiError(404, "not_found", f"No key {key_id}.")
        auth.check_key_management(key, target.role, target.zone)
    if not await run_in_threadpool(store.revoke_key, key_id):
        raise ApiError(404, "not_found", f"No key {key_id}.")
    return {"id": key_id, "revoked": True}


@dataclass
class KeysFactory:
    """``/api/keys`` (admin); ``router`` is built from the fields in ``__post_init__``."""

    tags: list[str | Enum] = field(default_factory=lambda: ["keys"])
    router: APIRouter = field(init=False)

    def __post_init__(self) -> None:
        self.router = r = APIRouter(tags=self.tags)
        r.add_api_route("/api/keys", create_key, methods=["POST"], name="create_key", status_code=201,
                        summary="Create an API key (admin); the secret is shown once",
                        response_model=CreatedKey, responses={**errors(401, 422, 429), 403: {
                            "model": ErrorModel,
                            "description": "A zone admin asked for a key beyond its zone, or an admin key"}})
        r.add_api_route("/api/keys", list_keys, methods=["GET"], name="list_keys",
                        summary="List API keys (admin; a zone admin sees its zone's); secrets are never shown",
                        response_model=list[KeyInfo], responses=errors(401, 403, 422, 429))
        r.add_api_route("/api/keys/{key_id}", revoke_key, methods=["DELETE"], name="revoke_key",
                        summary="Revoke an API key (admin)", response_model=RevokedKey,
                        responses={**errors(401, 404, 422, 429), 403: {
                            "model": ErrorModel,
                            "description": "A zone admin asked to revoke a key it does not manage"}})


def router() -> APIRouter:
    """The key routes (see :class:`KeysFactory`)."""
    return KeysFactory().router
