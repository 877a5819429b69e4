"""JSON errors of the HTTP API: a stable code, a message staff can act on, and details.

Errors echo parts of what the client sent; that text is made encodable first (a lone
surrogate becomes "?", NaN becomes "nan", a long or nested input is summarised), so a
malformed request is answered with its 4xx and never turns into a 500 while answering.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException


class ApiError(Exception):
    """An error answered as ``{"error": code, "message": ..., **details}`` with ``status``.

    Examples
    --------
    >>> ApiError(403, "forbidden", "This key may only send pins for zone 12.").status
    403
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


async def api_error_handler(request: Request, exc: ApiError) -> JSONResponse:
    body = {"error": exc.code, "message": exc.message, **exc.details}
    return JSONResponse(_encodable(body), status_code=exc.status, headers=exc.headers)


def _where(loc: tuple | list) -> str:
    # ("query", "limit") -> "limit (query)"; ("body", 0, "lat") -> "0.lat (body)"
    parts = [str(p) for p in loc]
    if len(parts) > 1:
        return f"{'.'.join(parts[1:])} ({parts[0]})"
    return ".".join(parts)


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's own 422s in the same shape as ours; ``detail`` keeps the per-field list."""
    errors = list(exc.errors())
    message = "; ".join(f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:5])
    detail = [
        {k: (_summary(v) if k == "input" else v) for k, v in e.items() if k in ("type", "loc", "msg", "input")}
        for e in errors[:100]
    ]
    body = {"error": "invalid_request", "message": message or "The request is not valid.", "detail": detail}
    return JSONResponse(_encodable(body), status_code=422)


async def http_error_handler(request: Request, exc: HTTPException) -> JSONResponse:
    """Unknown paths (404), wrong methods (405) and the like, as JSON errors too."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "The request was not accepted."
    if exc.status_code == 404 and message == "Not Found":
        message = f"Nothing at {request.url.path}. The API is described at /docs."
    return JSONResponse(_encodable({"error": code, "message": message}), status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


def _summary(value: Any) -> Any:
    """What an error shows of a rejected input: scalars (text cut at 200 characters), or its type."""
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return f"({type(value).__name__})"


def _encodable(value: Any, depth: int = 0) -> Any:
    """``value`` with text encodable as UTF-8, numbers valid in JSON, nesting bounded."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth > 20:
        return "…"
    if isinstance(value, dict):
        return {_encodable(str(k)): _encodable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(v, depth + 1) for v in value]
    return _encodable(str(value))
