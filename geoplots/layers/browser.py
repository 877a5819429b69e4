"""Open an exported map in headless Chromium and report what it drew and how fast.

Used by the browser test and ``bench/bench_map.py``. Needs the ``playwright`` Python
package (the ``dev`` extra) and a Chromium binary — Debian's ``chromium``, installed
by ``scripts/setup``; no browser is ever downloaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

#: Debian's Chromium; override with $GEOPLOTS_CHROMIUM.
CHROMIUM = os.environ.get("GEOPLOTS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# In the page: wait two animation frames (the canvas/SVG is painted by then), then count.
_MEASURE = """
() => new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(() => {
    let features = 0, geojson = 0;
    for (const key of Object.keys(window)) {
        let v; try { v = window[key]; } catch (e) { continue; }
        if (v && window.L && v instanceof L.GeoJSON) { geojson += 1; features += v.getLayers().length; }
    }
    resolve({
        ms: performance.now(),
        svgPaths: document.querySelectorAll("path.leaflet-interactive").length,
        canvases: document.querySelectorAll(".leaflet-overlay-pane canvas").length,
        clusters: document.querySelectorAll(".marker-cluster").length,
        features: features,
        geojsonLayers: geojson,
        attribution: (document.querySelector(".leaflet-control-attribution") || {}).textContent || "",
        legend: (document.querySelector(".geoplots-legend") || {}).textContent || "",
        hasLeaflet: !!window.L,
    });
})))
"""


@dataclass
class Rendered:
    """What the page drew: timings in seconds, counts, and every request it made."""

    seconds: float
    svg_paths: int
    canvases: int
    clusters: int
    features: int
    attribution: str
    legend: str
    has_leaflet: bool
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def remote_requests(self) -> list[str]:
        """Requests to any host but this machine (an offline map must make none)."""
        out = []
        for url in self.requests:
            parts = urlparse(url)
            if parts.scheme in ("file", "data", "blob", "about"):
                continue
            if parts.hostname not in ("localhost", "127.0.0.1", "::1"):
                out.append(url)
        return out


def open_map(path_or_url: str | os.PathLike[str], *, screenshot: str | os.PathLike[str] | None = None,
             size: tuple[int, int] = (1200, 900), timeout_s: float = 30.0,
             ready: str | None = None) -> Rendered:
    """Load a map page in headless Chromium and measure it.

    Parameters
    ----------
    path_or_url : path or str
        An HTML file (opened as ``file://``) or an ``http://localhost`` URL.
    screenshot : path, optional
        Where to save a PNG of the page.
    ready : str, optional
        A JavaScript expression that is true once the page has finished drawing (e.g.
        ``"window.geoplotsPinsReady !== false"`` for maps whose pins cluster in chunks);
        the time is taken after it.

    Returns
    -------
    Rendered
        ``seconds`` is from navigation start until two frames after the page's
        scripts ran (the map is painted by then).

    Examples
    --------
    >>> r = open_map("zone12.html", screenshot="zone12.png")  # doctest: +SKIP
    >>> r.remote_requests  # doctest: +SKIP
    []
    """
    from playwright.sync_api import sync_playwright

    target = str(path_or_url)
    if "://" not in target:
        target = Path(target).resolve().as_uri()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda req: requests.append(req.url))
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # Anything remote is refused outright, so a page that needs the network fails visibly.
            page.route(lambda url: urlparse(url).scheme in ("http", "https")
                       and urlparse(url).hostname not in ("localhost", "127.0.0.1", "::1"),
                       lambda route: route.abort())
            page.goto(target, wait_until="load", timeout=timeout_s * 1000)
            if ready is not None:
                page.wait_for_function(ready, timeout=timeout_s * 1000, polling="raf")
            m = page.evaluate(_MEASURE)
            if screenshot is not None:
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()
    return Rendered(
        seconds=m["ms"] / 1000.0,
        svg_paths=m["svgPaths"],
        canvases=m["canvases"],
        clusters=m["clusters"],
        features=m["features"],
        attribution=m["attribution"],
        legend=m["legend"],
        has_leaflet=m["hasLeaflet"],
        requests=requests,
        errors=errors,
    )
