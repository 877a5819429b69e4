"""JSON errors of the HTTP API: a stable code, a message staff can act on, and details."""

from __future__ import annotations

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
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


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
    detail = [{k: v for k, v in e.items() if k in ("type", "loc", "msg", "input")} for e in errors]
    body = {"error": "invalid_request", "message": message or "The request is not valid.", "detail": detail}
    return JSONResponse(_jsonable(body), status_code=422)


async def http_error_handler(request: Request, exc: HTTPException) -> JSONResponse:
    """Unknown paths (404), wrong methods (405) and the like, as JSON errors too."""
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else "The request was not accepted."
    if exc.status_code == 404 and message == "Not Found":
        message = f"Nothing at {request.url.path}. The API is described at /docs."
    return JSONResponse({"error": code, "message": message}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


def _jsonable(body: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(body)
