"""API keys on requests: who is calling, what their role allows, and how often.

Keys travel as ``Authorization: Bearer gp_...``; the store keeps only their hash. Roles:

- ``inspector`` reads (ผู้ตรวจราชการ);
- ``editor`` reads and sends records (district and provincial offices);
- ``admin`` does everything, including creating keys.

A key with a zone (เขตตรวจราชการ) may only write that zone and, when reads are protected,
only read it. Answers are JSON: 401 without a valid key, 403 outside the key's role or
zone, 429 over a rate limit (per key; per client address without a key).

A key made for one zone that is also an admin (a zone's key officer) manages only the
editor and inspector keys of its zone (:func:`check_key_management`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoplots.server.errors import ApiError
from geoplots.server.store.base import ApiKey, Role, Store

if TYPE_CHECKING:
    from geoplots.server.ratelimit import RateLimits

#: What each role may do.
PERMISSIONS: dict[Role, frozenset[str]] = {
    "inspector": frozenset({"read"}),
    "editor": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}


def bearer_secret(authorization: str | None) -> str | None:
    """Return the secret of an ``Authorization: Bearer ...`` header, or None if absent.

    Examples
    --------
    >>> bearer_secret("Bearer gp_abc")
    'gp_abc'
    """
    if not authorization:
        return None
    scheme, _, secret = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(
            401, "unauthorized", "Send the API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return secret.strip()


def authenticate(store: Store, authorization: str | None) -> ApiKey | None:
    """Return the key of a request (None when it sent none); 401 for an unknown key."""
    secret = bearer_secret(authorization)
    if secret is None:
        return None
    key = store.find_key(secret)
    if key is None:
        raise ApiError(
            401, "unauthorized", "This API key is unknown or revoked. Ask an administrator for a key "
            "(geoplots keys create).", headers={"WWW-Authenticate": "Bearer"},
        )
    return key


def require(key: ApiKey | None, permission: str) -> ApiKey:
    """Return ``key`` if it may ``permission`` (read, write, admin); else 401/403."""
    if key is None:
        raise ApiError(
            401, "unauthorized", f"An API key is needed to {permission}: send "
            "'Authorization: Bearer <key>'. Keys are made with 'geoplots keys create'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if permission not in PERMISSIONS[key.role]:
        raise ApiError(
            403, "forbidden", f"A key with role '{key.role}' may not {permission}.", role=key.role
        )
    return key


def check_zone(key: ApiKey | None, zones: set[str] | str | None) -> None:
    """Raise 403 if ``key`` is limited to a zone and ``zones`` reach outside it.

    ``zones=None`` means "all zones", which a zone-limited key may not ask for.
    """
    if key is None or key.zone is None:
        return
    asked = {zones} if isinstance(zones, str) else zones
    if asked is None or asked - {key.zone}:
        outside = "all zones" if asked is None else ", ".join(sorted(asked - {key.zone}))
        raise ApiError(
            403, "outside_scope", f"This key is limited to inspection zone {key.zone} "
            f"(เขตตรวจราชการ {key.zone}); the request reaches {outside}.",
            key_zone=key.zone,
        )


def identify(store: Store, limits: RateLimits, authorization: str | None, address: str | None) -> ApiKey | None:
    """Return the key of a request (None without one), counted against its rate limit.

    A request with a key counts against the key's limit; one without, or with a key that
    is unknown, against its client address, so made-up keys cannot get around the limit.
    """
    try:
        key = authenticate(store, authorization)
    except ApiError:
        limits.check_address(address)
        raise
    if key is None:
        limits.check_address(address)
    else:
        limits.check_key(key)
    return key


#: Roles a zone admin may hand out: never admin, so it cannot make its peers or superiors.
ZONE_ADMIN_GRANTS: frozenset[Role] = frozenset({"editor", "inspector"})


def check_key_management(actor: ApiKey, role: Role, zone: str | None) -> None:
    """Raise 403 unless admin ``actor`` may create or revoke a key of ``role`` in ``zone``.

    An admin for all zones manages every key. An admin limited to a zone (เขตตรวจราชการ)
    manages the editor and inspector keys of that zone only: never a key for all zones,
    another zone's key, or an admin key (which would let it escalate).
    """
    if actor.zone is None:
        return
    if zone != actor.zone or role not in ZONE_ADMIN_GRANTS:
        scope = "all zones" if zone is None else f"zone {zone}"
        raise ApiError(
            403, "outside_scope", f"This admin key is limited to inspection zone {actor.zone} "
            f"(เขตตรวจราชการ {actor.zone}): it manages only editor and inspector keys of zone {actor.zone}, "
            f"not a {role} key of {scope}.", key_zone=actor.zone,
        )
