"""Maps as pictures for meetings (ภาพแผนที่สำหรับการประชุม): A4 landscape PNG or PDF.

The offline map page is drawn by headless Chromium (Debian's ``chromium``, the browser
the tests already use) with the network off: ``--screenshot`` for a PNG of A4
proportions (1684 x 1191 px, A4 at 144 dpi), ``--print-to-pdf`` for one A4 landscape
page. The page keeps its title (with the Thai date), legend, scale bar and the
attribution "OCHA, Royal Thai Survey Department"; the layer switcher and zoom buttons,
which mean nothing on paper, are hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from geoplots.errors import GeoplotsError

#: A4 landscape at 144 dpi.
A4_PIXELS = (1684, 1191)
#: Debian's Chromium; override with $GEOPLOTS_CHROMIUM.
CHROMIUM = os.environ.get("GEOPLOTS_CHROMIUM", "/usr/bin/chromium")
_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
          "--disable-extensions", "--no-first-run", "--hide-scrollbars", "--mute-audio",
          # Every request off this machine fails: the page is self-contained.
          "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=15000"]

_PRINT_CSS = """<style>
@page { size: A4 landscape; margin: 0; }
html, body { width: 100%; height: 100%; margin: 0; }
@media print { html, body { width: 297mm; height: 210mm; } }
.leaflet-control-layers, .leaflet-control-zoom { display: none !important; }
</style>"""


def save_picture(html: str, out: str | os.PathLike[str], *, timeout_s: float = 120.0) -> Path:
    """Draw a map page as an A4 landscape ``.png`` or ``.pdf`` (by the suffix of ``out``).

    Parameters
    ----------
    html : str
        A self-contained (offline, inlined) map page: ``geoplots.maps.to_html(m)``.
    out : path
        ``.png`` or ``.pdf``.

    Raises
    ------
    GeoplotsError
        For another suffix, when Chromium is missing, or when it draws nothing.

    Examples
    --------
    >>> save_picture(to_html(geoplots.map(cov, zone=12)), "zone12.pdf")  # doctest: +SKIP
    """
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".png", ".pdf"):
        raise GeoplotsError(f"A map picture is .png or .pdf, not {out.name!r}.")
    chromium = _chromium()
    with tempfile.TemporaryDirectory(prefix="geoplots-picture-") as tmp:
        page = Path(tmp) / "map.html"
        page.write_text(html.replace("</head>", _PRINT_CSS + "</head>", 1), encoding="utf-8")
        target = Path(tmp) / f"map{kind}"
        args = [f"--screenshot={target}", f"--window-size={A4_PIXELS[0]},{A4_PIXELS[1]}"] if kind == ".png" \
            else [f"--print-to-pdf={target}", "--no-pdf-header-footer", "--window-size=1123,794"]
        _run([chromium, *_FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", *args, page.as_uri()], timeout_s)
        if not target.is_file() or target.stat().st_size == 0:
            raise GeoplotsError("Chromium drew no picture of the map.")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, out)
    return out


def _chromium() -> str:
    found = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if not found:
        raise GeoplotsError("PNG and PDF maps need Chromium (Debian: apt-get install chromium).")
    return found


def _run(cmd: list[str], timeout_s: float) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise GeoplotsError(f"Chromium took more than {timeout_s:.0f} s to draw the map.") from exc
    if done.returncode != 0:
        raise GeoplotsError(f"Chromium could not draw the map: {done.stderr.strip()[-500:]}")
