"""JSON errors of the HTTP API: a stable code, a message staff can act on, and details."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse


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
