"""geoplots: plot pins and household records on Thailand's administrative units.

Data enters through :mod:`geoplots.boundaries` and :mod:`geoplots.readers`, is joined
in :mod:`geoplots.locating`, counted in :mod:`geoplots.counting`, drawn by
:mod:`geoplots.layers` and served by :mod:`geoplots.server`. The imported boundaries
are one :class:`Boundaries` object, loaded once (``Boundaries.load(path)``) and passed
to each step with ``boundaries=``.
"""

from geoplots.boundaries import Boundaries, boundaries, boundaries_info, import_boundaries
from geoplots.errors import GeoplotsError
from geoplots.groups import inspection_zones, load_scheme
from geoplots.maps import map  # noqa: A004 - geoplots.map(...) is the public name
from geoplots.readers import iter_records, read_records
from geoplots.locating import locate
from geoplots.counting import coverage, progress, stale

__all__ = [
    "Boundaries",
    "GeoplotsError",
    "boundaries",
    "boundaries_info",
    "coverage",
    "locate",
    "import_boundaries",
    "inspection_zones",
    "load_scheme",
    "map",
    "iter_records",
    "progress",
    "read_records",
    "stale",
]

__version__ = "0.1.0"
