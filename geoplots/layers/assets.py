"""Leaflet and plugin scripts and styles served from local files, for offline maps.

Folium's page template loads Leaflet, jQuery, Bootstrap, Font Awesome, the
awesome-markers plugin and, per plugin, MarkerCluster or Leaflet.heat from CDNs.
War rooms in district offices (ห้องปฏิบัติการ) often have no usable connection, so
an offline map replaces every one of those links with a local copy.

The copies are installed **at set-up time** from the npm registry
(``python -m geoplots.layers.install_assets``, run by ``scripts/setup``) into
``geoplots/vendor/`` (git-ignored); nothing is fetched when a map is drawn.
Leaflet.heat is the copy folium itself ships.

Two offline modes (see :func:`localize`):

``"inline"`` (``offline=True``)
    Every asset the page needs is written into the HTML itself (CSS images as
    ``data:`` URIs): one self-contained file that opens from a USB stick or an
    e-mail attachment with no network. Assets the page does not use are left out
    (Bootstrap, which no geoplots or folium core layer needs; jQuery unless the map
    has a ``folium.Popup``; Font Awesome and awesome-markers unless it has a
    ``folium.Icon``).
``"/some/url"`` (a URL prefix)
    Links point to ``<prefix>/<path under vendor_dir()>``: for a web app that serves
    :func:`vendor_dir` at that prefix (the war-room server does).

Two of folium's links have no registry package and are dropped offline: the
Bootstrap 3 glyphicons stylesheet (only ``folium.Icon(prefix="glyphicon")`` uses
it; use ``prefix="fa"``) and folium's rotated-icon stylesheet (only rotated
awesome markers use it).

Examples
--------
>>> from geoplots.layers.assets import vendor_dir
>>> (vendor_dir() / "node_modules" / "leaflet").is_dir()  # doctest: +SKIP
True
"""

from __future__ import annotations

import base64
import mimetypes
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import folium
from branca.element import Element, Figure

from geoplots.errors import GeoplotsError
from geoplots.layers._templates import template

#: npm packages installed into :func:`vendor_dir`, pinned to the versions folium links.
NPM_PACKAGES: tuple[str, ...] = (
    "leaflet@1.9.3",
    "leaflet.markercluster@1.1.0",
    "jquery@3.7.1",
    "bootstrap@5.2.2",
    "@fortawesome/fontawesome-free@6.2.0",
    # cdnjs serves 2.0.2; npm's oldest 2.x is 2.0.4, same API and images.
    "leaflet.awesome-markers@2.0.4",
)


@dataclass(frozen=True)
class Asset:
    """One script or stylesheet: its path under :func:`vendor_dir` and whether inline pages need it."""

    path: str
    inline: str = "always"  # "always" | "icons" (folium.Icon) | "popups" (folium.Popup) | "never"


#: folium's asset names (the first item of ``default_js``/``default_css`` pairs) -> local copy.
ASSETS: dict[str, Asset] = {
    "leaflet": Asset("node_modules/leaflet/dist/leaflet.js"),
    "leaflet_css": Asset("node_modules/leaflet/dist/leaflet.css"),
    # folium.Popup builds its content with jQuery's $(...).
    "jquery": Asset("node_modules/jquery/dist/jquery.min.js", "popups"),
    "bootstrap": Asset("node_modules/bootstrap/dist/js/bootstrap.bundle.min.js", "never"),
    "bootstrap_css": Asset("node_modules/bootstrap/dist/css/bootstrap.min.css", "never"),
    "awesome_markers": Asset(
        "node_modules/leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js", "icons"
    ),
    "awesome_markers_css": Asset(
        "node_modules/leaflet.awesome-markers/dist/leaflet.awesome-markers.css", "icons"
    ),
    "awesome_markers_font_css": Asset(
        "node_modules/@fortawesome/fontawesome-free/css/all.min.css", "icons"
    ),
    "markerclusterjs": Asset("node_modules/leaflet.markercluster/dist/leaflet.markercluster.js"),
    "markerclustercss": Asset("node_modules/leaflet.markercluster/dist/MarkerCluster.css"),
    "markerclusterdefaultcss": Asset(
        "node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css"
    ),
    "leaflet-heat.js": Asset("folium/leaflet_heat.min.js"),
}

#: folium links with no registry package; harmless to drop (see the module docstring).
DROPPED: frozenset[str] = frozenset({"glyphicons_css", "awesome_rotate_css"})

_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def vendor_dir() -> Path:
    """Return the folder holding the offline copies of Leaflet and its plugins.

    A web app serves this folder as static files and builds maps with
    ``offline="/its/url/prefix"``.

    Examples
    --------
    >>> vendor_dir().name
    'vendor'
    """
    return Path(str(files("geoplots"))) / "vendor"


def install(dest: Path | None = None, *, npm: str = "npm") -> Path:
    """Install the offline assets from the npm registry (set-up time, not run time).

    Runs ``npm install`` for :data:`NPM_PACKAGES` into ``dest`` (default
    :func:`vendor_dir`) with install scripts disabled, and copies folium's own
    Leaflet.heat build beside them. Idempotent.

    Examples
    --------
    >>> install()  # doctest: +SKIP
    PosixPath('.../geoplots/vendor')
    """
    dest = Path(dest or vendor_dir())
    dest.mkdir(parents=True, exist_ok=True)
    if shutil.which(npm) is None:
        raise GeoplotsError(
            "npm is needed once to install the offline map files (Leaflet and plugins). "
            "Install it (Debian: apt-get install npm) and run scripts/setup again."
        )
    cmd = [npm, "install", "--prefix", str(dest), "--no-save", "--ignore-scripts",
           "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise GeoplotsError(f"npm could not install the offline map files:\n{done.stderr}")
    heat = Path(str(files("folium"))) / "templates" / "leaflet_heat.min.js"
    (dest / "folium").mkdir(exist_ok=True)
    shutil.copyfile(heat, dest / "folium" / "leaflet_heat.min.js")
    missing = [a.path for a in ASSETS.values() if not (dest / a.path).is_file()]
    if missing:
        raise GeoplotsError(f"Offline map files missing after install: {', '.join(missing)}")
    _read.cache_clear()
    return dest


def _asset_file(name: str) -> Path:
    path = vendor_dir() / ASSETS[name].path
    if not path.is_file():
        raise GeoplotsError(
            f"The offline map files are not installed ({path} is missing). Run scripts/setup, "
            "or: python -m geoplots.layers.install_assets"
        )
    return path


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".css":
        text = _CSS_URL.sub(lambda m: _css_url_inline(path.parent, m), text)
    # A literal "</script>" or "</style>" inside inlined code would end the element early.
    return re.sub(r"</(script|style)", r"<\\/\1", text, flags=re.IGNORECASE)


def _css_url_inline(folder: Path, match: re.Match) -> str:
    ref = match.group(2)
    if ref.startswith(("data:", "#")):
        return match.group(0)
    target = (folder / ref.split("?")[0].split("#")[0]).resolve()
    if not target.is_file():
        return match.group(0)
    mime = mimetypes.guess_type(target.name)[0] or (
        "font/woff2" if target.suffix == ".woff2" else "application/octet-stream"
    )
    data = base64.b64encode(target.read_bytes()).decode("ascii")
    return f"url(data:{mime};base64,{data})"


class InlineAsset(Element):
    """A script or stylesheet written into the page (offline ``inline`` mode)."""

    _template = template("inline_asset.html")

    def __init__(self, name: str):
        super().__init__()
        self._name = "InlineAsset"
        self.kind = "css" if ASSETS[name].path.endswith(".css") else "js"
        self.code = _read(_asset_file(name))


def _elements(root) -> list:
    out, stack = [], [root]
    while stack:
        el = stack.pop()
        out.append(el)
        stack.extend(reversed(list(el._children.values())))
    return out


def localize(m: folium.Map, mode: str | bool) -> None:
    """Point every script and stylesheet of ``m`` at the local copies.

    Call before rendering (:class:`geoplots.maps.Map` does it in ``render``).

    Parameters
    ----------
    m : folium.Map
    mode : True, "inline" or a URL prefix
        ``True``/``"inline"`` writes the assets into the page; a prefix such as
        ``"/vendor"`` links ``<prefix>/<path>`` for a server that serves
        :func:`vendor_dir` there.

    Raises
    ------
    GeoplotsError
        When the map uses a plugin with no local copy (it would need the internet),
        or when the offline files were never installed.
    """
    inline = mode is True or mode == "inline"
    elements = _elements(m)
    uses = {
        "always": True,
        "icons": any(isinstance(el, folium.Icon) for el in elements),
        "popups": any(isinstance(el, folium.Popup) for el in elements),
        "never": False,
    }
    figure = m.get_root()
    for el in elements:
        for attr in ("default_js", "default_css"):
            links = getattr(el, attr, None)
            if not links:
                continue
            kept = []
            for name, url in links:
                if name in DROPPED:
                    continue
                if name not in ASSETS:
                    raise GeoplotsError(
                        f"The map uses {name} ({url}), which has no offline copy; remove that "
                        "element or draw the map online."
                    )
                asset = ASSETS[name]
                if not inline:
                    _asset_file(name)
                    kept.append((name, f"{str(mode).rstrip('/')}/{asset.path}"))
                elif uses[asset.inline]:
                    if isinstance(figure, Figure):
                        figure.header.add_child(InlineAsset(name), name=name)
            # An instance attribute, so folium's class-level lists stay untouched.
            setattr(el, attr, kept)


def installed() -> bool:
    """Return True when every offline asset is in :func:`vendor_dir`."""
    return all((vendor_dir() / a.path).is_file() for a in ASSETS.values())
