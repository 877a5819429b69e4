"""Where geoplots keeps its data.

The data directory is chosen once, at the edge (``geoplots.Boundaries.load``, the
command line, the server's start-up), in this order: an explicit ``--data``/``--dest``
argument, the ``GEOPLOTS_DATA`` environment variable, then ``data/boundaries/`` under
the current directory. geoplots reads that variable; it never sets it.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "GEOPLOTS_DATA"
DEFAULT_DATA_DIR = Path("data") / "boundaries"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the boundary data directory to use.

    Parameters
    ----------
    explicit : path, optional
        A directory given on the command line or in code; wins over everything.

    Returns
    -------
    pathlib.Path
        The directory (it may not exist yet).

    Examples
    --------
    >>> data_dir("/tmp/b").as_posix()
    '/tmp/b'
    """
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return DEFAULT_DATA_DIR
