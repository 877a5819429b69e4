"""Security headers of every answer, and the Content-Security-Policy of the server's pages.

Every response carries ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
same-origin`` and ``X-Frame-Options: DENY``. Pages say which scripts may run:

* the war-room page ``/`` has no inline script at all: :data:`WARROOM_POLICY` allows only
  this server's own files (``script-src 'self'``) and connections back to it;
* the field report page ``/report`` and the photo gallery have :data:`REPORT_POLICY`:
  the war room's, plus ``blob:`` images, a service worker and a manifest from this server;
* the coverage map ``/maps/coverage`` is a folium page whose map is an inline script:
  :func:`page_policy` allows exactly the inline scripts the page was rendered with, by
  their SHA-256 hash (computed once per rendered page, cached with it);
* any other HTML the framework makes (``/docs``, ``/redoc``) gets :func:`page_policy`
  of its body from :class:`SecurityHeaders`; every other answer gets
  :data:`DEFAULT_POLICY` (nothing may load).

No policy allows ``'unsafe-eval'``, inline event handlers or ``javascript:`` links; all
have ``object-src 'none'``, ``base-uri 'none'`` and ``frame-ancestors 'none'``. Styles may
be inline on the map pages (folium writes ``style=""`` attributes), which lets no script run.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlparse

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Answers that are not pages (JSON, files, errors): nothing may load from them.
DEFAULT_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

_COMMON = "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

#: The war-room page: scripts and styles from this server only, fetches and events to it.
WARROOM_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; " + _COMMON
)

#: The field pages (``/report``, ``/gallery``): this server's files only, like the war room,
#: plus what a phone report needs: photos shown from ``blob:`` URLs before they are sent,
#: the service worker that keeps the page and its queue offline, the web app manifest.
REPORT_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; font-src 'self'; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; " + _COMMON
)

#: The report page's service worker: a worker runs under its own script's policy, and this
#: one loads the queue script and fetches from this server, nothing else.
SERVICE_WORKER_POLICY = "default-src 'none'; script-src 'self'; connect-src 'self'"

HEADERS: dict[str, str] = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class _Inventory(HTMLParser):
    """The scripts and stylesheets a page loads: inline script texts, outside origins."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.inline: list[str] = []
        self.script_origins: set[str] = set()
        self.style_origins: set[str] = set()
        self.image_origins: set[str] = set()
        self._open: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "script":
            if "src" in attr:
                self.script_origins.add(_origin(attr["src"]))
            else:
                self._open = []
        elif tag == "link":
            rel = attr.get("rel", "").lower().split()
            if "stylesheet" in rel:
                self.style_origins.add(_origin(attr.get("href", "")))
            elif "icon" in rel:
                self.image_origins.add(_origin(attr.get("href", "")))

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._open is not None:
            self.inline.append("".join(self._open))
            self._open = None


def _origin(url: str) -> str:
    parts = urlparse(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return "'self'"


def _hash(script: str) -> str:
    # Browsers hash the script text after turning CR LF and CR into LF (HTML input stream).
    text = script.replace("\r\n", "\n").replace("\r", "\n")
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def page_policy(html: str, *, images: tuple[str, ...] = ()) -> str:
    """Return the Content-Security-Policy for a rendered page.

    Scripts: this server's files, the outside origins the page links scripts from, and
    each inline script by its SHA-256 hash (so no other inline script, event handler or
    ``javascript:`` link runs). Styles: the page's own and linked stylesheets and inline
    styles. Connections: this server only.

    Parameters
    ----------
    html : str
        The page as sent.
    images : tuple of str
        More image sources (e.g. ``"https:"`` for a map with online tiles).

    Examples
    --------
    >>> p = page_policy("<script>var a = 1;</script>")
    >>> "script-src 'self' 'sha256-" in p and "'unsafe-inline'" not in p.split("style-src")[0]
    True
    """
    found = _Inventory()
    found.feed(html)
    found.close()
    scripts = sorted(found.script_origins - {"'self'"}) + sorted({_hash(s) for s in found.inline})
    styles = sorted(found.style_origins - {"'self'"})
    imgs = sorted((found.image_origins | set(images)) - {"'self'"})
    return "; ".join([
        "default-src 'none'",
        " ".join(["script-src 'self'", *scripts]),
        " ".join(["style-src 'self' 'unsafe-inline'", *styles]),
        " ".join(["img-src 'self' data: blob:", *imgs]),
        "font-src 'self' data:",
        "connect-src 'self'",
        _COMMON,
    ])


class SecurityHeaders:
    """Add :data:`HEADERS` to every answer and a Content-Security-Policy where none is set.

    An HTML answer without a policy (the framework's ``/docs``) is held until complete and
    gets :func:`page_policy` of its body; other answers get :data:`DEFAULT_POLICY`. Event
    streams and files pass through unbuffered.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in names]
                message = {**message, "headers": headers}
                if b"content-security-policy" not in names:
                    ctype = dict(headers).get(b"content-type", b"")
                    if ctype.startswith(b"text/html"):
                        held.append(message)  # the policy depends on the body
                        return
                    message["headers"] = headers + [(b"content-security-policy", DEFAULT_POLICY.encode())]
            elif held:
                held.append(message)
                if message.get("more_body", False):
                    return
                await _send_page(send, held)
                return
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _send_page(send: Send, held: list[Message]) -> None:
    start, *bodies = held
    body = b"".join(m.get("body", b"") for m in bodies)
    policy = page_policy(body.decode("utf-8", errors="replace"))
    await send({**start, "headers": [*start["headers"], (b"content-security-policy", policy.encode())]})
    await send({"type": "http.response.body", "body": body})
