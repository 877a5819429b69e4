"""Leaflet and plugin scripts and styles shipped inside the package, for offline maps.

Folium's page template loads Leaflet, jQuery, Bootstrap, Font Awesome, the
awesome-markers plugin and, per plugin, MarkerCluster or Leaflet.heat from CDNs.
War rooms in district offices (ห้องปฏิบัติการ) often have no usable connection, so
every geoplots map replaces those links with local copies **by default**.

The copies are committed in ``geoplots/layers/static/`` (package data, so every
``pip install`` has them, with their licences in ``LICENSES`` and versions in
``VERSIONS``). Nothing is fetched when a map is drawn or when the package is
installed. Maintainers refresh the committed copy from the npm registry with
``python -m geoplots.layers.install_assets`` (run in a source checkout).
Only what the maps use is shipped: Leaflet, Leaflet.markercluster, supercluster,
Leaflet.heat and jQuery (``folium.Popup`` builds its content with it). Bootstrap, Font Awesome and
awesome-markers are not: no geoplots layer needs them; offline, their links are
dropped, and a map with a ``folium.Icon`` (which would need them) is refused.
Swagger UI (for the server's ``/docs``) is shipped in the same folder.

Two offline modes (see :func:`localize`):

``"inline"`` (``offline=True``, the default of :func:`geoplots.map`)
    Every asset the page needs is written into the HTML itself (CSS images as
    ``data:`` URIs): one self-contained file that opens from a USB stick or an
    e-mail attachment with no network. jQuery is left out unless the map has a
    ``folium.Popup``.
``"/some/url"`` (a URL prefix)
    Links point to ``<prefix>/<path under vendor_dir()>``: for a web app that serves
    :func:`vendor_dir` at that prefix (the war-room server does, at ``/vendor``).

Examples
--------
>>> from geoplots.layers.assets import vendor_dir
>>> (vendor_dir() / "leaflet" / "dist" / "leaflet.js").is_file()
True
"""

from __future__ import annotations

import base64
import mimetypes
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import folium
from branca.element import Element, Figure

from geoplots.errors import GeoplotsError
from geoplots.layers._templates import template

#: npm packages the committed copy comes from, pinned to the versions folium links.
NPM_PACKAGES: tuple[str, ...] = (
    "leaflet@1.9.3",
    "leaflet.markercluster@1.1.0",
    "jquery@3.7.1",
    "swagger-ui-dist@5.35.0",
    "supercluster@8.0.1",
)

#: Files copied from ``node_modules/<package>/`` into :func:`vendor_dir` (same sub-paths),
#: licence files renamed to ``LICENSE``.
_COPIES: dict[str, tuple[str, ...]] = {
    "leaflet": ("dist/leaflet.js", "dist/leaflet.css", "dist/images/*.png", "LICENSE"),
    "leaflet.markercluster": ("dist/leaflet.markercluster.js", "dist/MarkerCluster.css",
                              "dist/MarkerCluster.Default.css", "MIT-LICENCE.txt"),
    "jquery": ("dist/jquery.min.js", "LICENSE.txt"),
    "supercluster": ("dist/supercluster.min.js", "LICENSE"),
    "swagger-ui-dist": ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png",
                        "LICENSE", "NOTICE"),
}


@dataclass(frozen=True)
class Asset:
    """One script or stylesheet: its path under :func:`vendor_dir` and whether inline pages need it."""

    path: str
    inline: str = "always"  # "always" | "icons" (folium.Icon) | "popups" (folium.Popup) | "never"


#: folium's asset names (the first item of ``default_js``/``default_css`` pairs) -> local copy.
ASSETS: dict[str, Asset] = {
    "leaflet": Asset("leaflet/dist/leaflet.js"),
    "leaflet_css": Asset("leaflet/dist/leaflet.css"),
    # folium.Popup builds its content with jQuery's $(...).
    "jquery": Asset("jquery/dist/jquery.min.js", "popups"),
    "markerclusterjs": Asset("leaflet.markercluster/dist/leaflet.markercluster.js"),
    "markerclustercss": Asset("leaflet.markercluster/dist/MarkerCluster.css"),
    "markerclusterdefaultcss": Asset("leaflet.markercluster/dist/MarkerCluster.Default.css"),
    "leaflet-heat.js": Asset("folium/leaflet_heat.min.js"),
    # Clusters of many pins (CompactPins): a k-d tree index, built in a fraction of a second.
    "supercluster": Asset("supercluster/dist/supercluster.min.js"),
}

#: folium links not shipped; dropped offline (no geoplots layer uses them).
DROPPED: frozenset[str] = frozenset({"bootstrap", "bootstrap_css", "glyphicons_css", "awesome_rotate_css"})

#: folium.Icon's links: not shipped, so an offline map with a folium.Icon is refused.
ICON_ASSETS: frozenset[str] = frozenset(
    {"awesome_markers", "awesome_markers_css", "awesome_markers_font_css"})

_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")


def vendor_dir() -> Path:
    """Return the package folder holding the copies of Leaflet, its plugins and Swagger UI.

    A web app serves this folder as static files and builds maps with
    ``offline="/its/url/prefix"``.

    Examples
    --------
    >>> vendor_dir().name
    'static'
    """
    return Path(str(files("geoplots"))) / "layers" / "static"


def install(dest: Path | None = None, *, npm: str = "npm") -> Path:
    """Refresh the committed copy from the npm registry (maintainers, in a source checkout).

    Runs ``npm install`` for :data:`NPM_PACKAGES` in a temporary folder with install
    scripts disabled, copies the files the maps and ``/docs`` use (with their licences)
    into ``dest`` (default :func:`vendor_dir`) and folium's own Leaflet.heat build
    beside them. Update ``VERSIONS`` when a pin changes, and commit the result.

    Examples
    --------
    >>> install()  # doctest: +SKIP
    PosixPath('.../geoplots/layers/static')
    """
    dest = Path(dest or vendor_dir())
    if shutil.which(npm) is None:
        raise GeoplotsError("npm is needed to refresh the map files (Debian: apt-get install npm).")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [npm, "install", "--prefix", tmp, "--no-save", "--ignore-scripts",
               "--no-audit", "--no-fund", "--loglevel=error", *NPM_PACKAGES]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise GeoplotsError(f"npm could not install the map files:\n{done.stderr}")
        _copy_packages(Path(tmp) / "node_modules", dest)
    heat = Path(str(files("folium"))) / "templates" / "leaflet_heat.min.js"
    (dest / "folium").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(heat, dest / "folium" / "leaflet_heat.min.js")
    _read.cache_clear()
    return dest


def _copy_packages(modules: Path, dest: Path) -> None:
    for package, patterns in _COPIES.items():
        for pattern in patterns:
            found = sorted((modules / package).glob(pattern))
            if not found:
                raise GeoplotsError(f"{package} has no {pattern}; check NPM_PACKAGES")
            for src in found:
                rel = src.relative_to(modules / package).as_posix()
                name = "LICENSE" if rel in ("LICENSE.txt", "MIT-LICENCE.txt") else rel
                (dest / package / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest / package / name)


def _asset_file(name: str) -> Path:
    path = vendor_dir() / ASSETS[name].path
    if not path.is_file():
        raise GeoplotsError(
            f"The offline map file {path} is missing from the installed package; reinstall geoplots."
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
    if any(isinstance(el, folium.Icon) for el in elements):
        raise GeoplotsError(
            "folium.Icon markers need Font Awesome, which geoplots does not ship; use "
            "folium.CircleMarker, or draw the map with offline=False."
        )
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
                if name in DROPPED or name in ICON_ASSETS:
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
