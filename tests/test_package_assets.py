"""The built wheel carries the map and docs assets: a plain install draws an offline map."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from geoplots.layers.assets import ASSETS

pytestmark = pytest.mark.slow


def test_wheel_ships_the_offline_assets_and_draws_a_map(tmp_path, tiny_boundaries):
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(root), "--no-deps",
                            "-q", "-w", str(tmp_path / "dist")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("geoplots-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for asset in ASSETS.values():
        assert f"geoplots/layers/static/{asset.path}" in names
    for extra in ("LICENSES", "VERSIONS", "leaflet/LICENSE", "swagger-ui-dist/swagger-ui-bundle.js",
                  "background/countries.geojson", "background/LICENSE"):
        assert f"geoplots/layers/static/{extra}" in names
    assert not any(n.startswith("geoplots/vendor/") for n in names)  # no set-up-time folder

    # Installed on its own (no scripts/setup, no npm), read-only: the default map is offline.
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site),
                           str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    subprocess.run(["chmod", "-R", "a-w", str(site)], check=True)
    try:
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); import geoplots\n"
            "assert geoplots.__file__.startswith(sys.argv[1]), geoplots.__file__\n"
            "from geoplots.maps import to_html\n"
            "html = to_html(geoplots.map(level='province', boundaries=geoplots.Boundaries.load(sys.argv[2])))\n"
            "assert 'L.tileLayer' not in html and 'cdn.jsdelivr' not in html and 'Leaflet 1.9.3' in html\n"
            "print('ok')\n"
        )
        ran = subprocess.run([sys.executable, "-c", code, str(site), str(tiny_boundaries.root)],
                             capture_output=True, text=True, cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    finally:
        subprocess.run(["chmod", "-R", "u+w", str(site)], check=True)
    assert ran.returncode == 0 and ran.stdout.strip() == "ok", ran.stderr
