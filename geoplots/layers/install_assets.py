"""Refresh the committed map files from npm: ``python -m geoplots.layers.install_assets``.

A maintainer tool, run in a source checkout (it writes into ``geoplots/layers/static/``,
which is committed and shipped in the wheel); installs never need it. See
:mod:`geoplots.layers.assets`.
"""

from __future__ import annotations

import sys

from geoplots.errors import GeoplotsError
from geoplots.layers.assets import install


def main(argv: list[str]) -> int:
    try:
        print(f"map files refreshed in {install()}; review VERSIONS and commit")
    except GeoplotsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
