"""Install the offline map files: ``python -m geoplots.layers.install_assets [--force]``.

Run by ``scripts/setup``; see :mod:`geoplots.layers.assets`.
"""

from __future__ import annotations

import sys

from geoplots.errors import GeoplotsError
from geoplots.layers.assets import install, installed, vendor_dir


def main(argv: list[str]) -> int:
    try:
        if installed() and "--force" not in argv:
            print(f"offline map files already installed in {vendor_dir()}")
        else:
            print(f"offline map files installed in {install()}")
    except GeoplotsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
