"""API keys on requests: who is calling, what their role allows, and how often.

Keys travel as ``Authorization: Bearer gp_...``; the store keeps only their hash. Roles:

- ``inspector`` reads (ผู้ตรวจราชการ);
- ``editor`` reads and sends records (district and provincial offices);
- ``admin`` does everything, including creating keys.

A key with a zone (เขตตรวจราชการ) may only write that zone and, when reads are protected,
only read it. Answers are JSON: 401 without a valid key, 403 outside the key's role or
zone, 429 over the per-key rate limit.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from geoplots.server.errors import ApiError
from geoplots.server.store.base import ApiKey, Role, Store

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


class RateLimiter:
    """A sliding one-minute window of requests per key, in this process.

    Examples
    --------
    >>> limiter = RateLimiter(2)
    >>> limiter.hit(1), limiter.hit(1), limiter.hit(1) is not None
    (None, None, True)
    """

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window = window
        self._hits: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: int) -> float | None:
        """Record a request; return None if allowed, else seconds until the next is."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(key_id, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.0, self.window - (now - hits[0]))
            hits.append(now)
            return None

    def check(self, key: ApiKey | None) -> None:
        """Raise 429 with ``Retry-After`` if ``key`` is over its limit."""
        if key is None:
            return
        wait = self.hit(key.id)
        if wait is not None:
            seconds = max(1, int(wait + 0.999))
            raise ApiError(
                429, "rate_limited", f"Too many requests with this key: at most {self.per_minute} per "
                f"minute. Try again in {seconds} s.", headers={"Retry-After": str(seconds)},
                retry_after=seconds,
            )
