"""The zone-12 walkthrough notebook runs from top to bottom and ends with an offline map."""

from __future__ import annotations

import html
import importlib.util
import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "zone12_walkthrough.ipynb"
REMOTE_ASSET = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def _builder():
    spec = importlib.util.spec_from_file_location("build_zone12", NOTEBOOKS / "build_zone12_walkthrough.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_notebook_is_the_builders_and_has_no_outputs():
    committed = nbformat.read(NOTEBOOK, as_version=4)
    built = _builder().build()
    assert [c.source for c in committed.cells] == [c.source for c in built.cells], (
        "run python notebooks/build_zone12_walkthrough.py and commit the notebook"
    )
    assert all(not c.get("outputs") for c in committed.cells if c.cell_type == "code")


def test_walkthrough_runs_and_draws_the_zone(boundaries, monkeypatch):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # "python3" runs this interpreter (jupyter_client swaps "python" for sys.executable);
    # the kernel inherits GEOPLOTS_DATA, as an analyst's would, and loads the import there.
    monkeypatch.setenv("GEOPLOTS_DATA", str(boundaries.root))
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    last = nb.cells[-1]
    pages = [o["data"]["text/html"] for o in last.outputs if "text/html" in o.get("data", {})]
    assert pages, "the last cell shows no map"
    match = re.search(r'srcdoc="([^"]*)"', pages[0])
    assert match, "the map output is not a folium iframe"
    page = html.unescape(match.group(1))
    assert "L.map(" in page
    assert not REMOTE_ASSET.findall(page)  # offline=True: nothing to fetch
    districts = boundaries.level("district")
    zone = districts[districts["province_code"].isin(boundaries.zones.codes_in("12"))]
    assert [n for n in zone["name_th"] if n not in page] == []
    saved = [o["text"] for o in last.outputs if o.get("name") == "stdout"]
    assert saved and Path(saved[0].split(" (")[0].strip()).is_file()
