"""Client input read strictly: JSON bodies, text fields and query strings (4xx, never 500).

What a request may carry, and what it is refused for (each a 422 that says where):

* JSON as RFC 8259 defines it: no ``NaN``/``Infinity``, numbers that fit a double,
  integers of at most 4,300 digits, nesting at most :data:`MAX_JSON_DEPTH` deep;
* text without NUL characters (PostgreSQL cannot store them) and without lone UTF-16
  surrogates (``"\\ud800"``: no UTF-8 encoding exists for them);
* query strings and paths without NUL characters (:class:`RefuseNul`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl

import pandas as pd
from pydantic import AfterValidator
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from geoplots.server.errors import ApiError

#: Deepest nesting of a posted JSON value (a GeoJSON MultiPolygon batch is 7 deep).
MAX_JSON_DEPTH = 32

_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """Say what makes ``text`` unstorable (a NUL, a lone surrogate), or None.

    Examples
    --------
    >>> text_problem("บ้านโนน"), text_problem("a\\x00b"), text_problem("\\ud800")
    (None, 'a NUL character (\\\\u0000)', 'a lone UTF-16 surrogate (\\\\ud800)')
    """
    found = _BAD_TEXT.search(text)
    if found is None:
        return None
    ch = found.group()
    return "a NUL character (\\u0000)" if ch == "\x00" else f"a lone UTF-16 surrogate (\\u{ord(ch):04x})"


def _plain_text(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"the text holds {problem}, which cannot be stored")
    return value


#: A ``str`` field of a request model that refuses NUL and lone surrogates (422).
Text = Annotated[str, AfterValidator(_plain_text)]


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number; send a finite number or null")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is out of range (not a finite double)")
    return value


def read_json(body: bytes) -> Any:
    """Parse a posted JSON body strictly, or raise a 422 :class:`ApiError` saying why.

    Parameters
    ----------
    body : bytes
        UTF-8 (or UTF-16/32, which RFC 8259 readers accept) JSON text.

    Examples
    --------
    >>> read_json(b'[{"id": "P-1", "lat": 16.4}]')
    [{'id': 'P-1', 'lat': 16.4}]
    >>> read_json(b'{"lat": NaN}')
    Traceback (most recent call last):
    ...
    geoplots.server.errors.ApiError: The body is not valid JSON: NaN is not a JSON number; send a finite number or null
    """
    try:
        payload = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise _too_deep() from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ApiError(422, "invalid_json", f"The body is not valid JSON: {exc}") from exc
    _check_tree(payload)
    return payload


def _too_deep() -> ApiError:
    return ApiError(422, "invalid_json", f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep; "
                    "send records as flat objects.", max_depth=MAX_JSON_DEPTH)


def _check_tree(payload: Any) -> None:
    """Walk the parsed value without recursion: depth, and every key and string."""
    stack: list[tuple[Any, int, str]] = [(payload, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            _check_string(value, where or "the body")
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_string(key, f"a field name in {where or 'the body'}")
                stack.append((item, depth + 1, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value))


def _check_string(text: str, where: str) -> None:
    problem = text_problem(text)
    if problem is not None:
        where = where.encode("utf-8", "backslashreplace").decode("utf-8")
        raise ApiError(422, "invalid_text", f"{where} holds {problem}, which cannot be stored. Remove it "
                       "and send again; nothing was stored.", where=where)


def check_frame_text(frame: pd.DataFrame) -> None:
    """Raise a 422 when a header or text cell of ``frame`` holds a NUL or a lone surrogate.

    The same rule as :func:`read_json`, for records read from uploaded files.
    """
    for col in frame.columns:
        if isinstance(col, str):
            _check_string(col, "a column name")
    for col, row, text in _text_cells(frame):
        if _BAD_TEXT.search(text):
            _check_string(text, f"column {col!r}, row {row}")


def _text_cells(frame: pd.DataFrame) -> Iterator[tuple[Any, Any, str]]:
    rows = frame["row"] if "row" in frame.columns else pd.Series(frame.index, index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            for row, value in zip(rows, values):
                if isinstance(value, str):
                    yield col, row, value


class RefuseNul:
    """Answer 422 to a request whose path or query string holds a NUL character.

    No name, code or zone has one, and PostgreSQL cannot compare text holding one: it is
    refused here once, for every route, instead of failing in a store.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._has_nul(scope):
            body = {"error": "invalid_request", "message": "The address holds a NUL character (%00), which no "
                    "parameter may contain."}
            await JSONResponse(body, status_code=422)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    @staticmethod
    def _has_nul(scope: Scope) -> bool:
        if "\x00" in scope.get("path", ""):
            return True
        query = scope.get("query_string", b"").decode("latin-1")
        return any("\x00" in k or "\x00" in v for k, v in parse_qsl(query, keep_blank_values=True))
