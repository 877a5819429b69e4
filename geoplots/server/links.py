"""Links the server hands out (``self``, ``next``, ``items``...), built by route name.

Paths come from the router (``url_for``), so they stay right under a proxy prefix
(``root_path``) or a mount. The origin is never an unchecked ``Host`` header: anyone can
send one, and links built from it would send the next client wherever the sender likes.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request


def link_url(request: Request, name: str, query: dict[str, str] | None = None, **path_params: Any) -> str:
    """The public URL of the route ``name`` (with ``path_params`` and ``query``).

    ``GEOPLOTS_PUBLIC_URL`` (``https://host/prefix``) when set, followed by the route's
    path; else ``request.url_for`` when ``GEOPLOTS_TRUSTED_HOSTS`` vetted the ``Host``
    header; else ``url_for``'s path (with the ``root_path``) on the address the
    connection came in on.
    """
    settings = request.app.state.settings
    if settings.public_url:
        url = settings.public_url + request.app.url_path_for(name, **path_params)
    elif settings.host_names != ["*"]:
        url = str(request.url_for(name, **path_params))
    else:
        url = _connection_origin(request) + request.url_for(name, **path_params).path
    return f"{url}?{urlencode(query)}" if query else url


def _connection_origin(request: Request) -> str:
    """``scheme://host[:port]`` of the socket the request came in on ("" for a Unix socket:
    links are then relative to the server's root).
    """
    server = request.scope.get("server")
    if not server:
        return ""
    host, port = server[0], server[1]
    scheme = request.url.scheme
    if ":" in str(host):
        host = f"[{host}]"  # IPv6
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host}{'' if port in (None, default) else f':{port}'}"
