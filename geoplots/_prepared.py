"""One lock for queries on prepared GEOS geometries shared between threads.

A prepared geometry is not read-only inside GEOS, even after its first query: four
threads calling ``shapely.contains_xy`` on the same prepared polygons corrupted the heap
(GEOS 3.14, "free(): unaligned chunk"). Server request threads, dask task threads and
the lookup's own pool all share the sub-district polygons and the national outline, so
every query on them holds this lock. Work inside it is split by polygon, never by point,
so parallel parts never touch the same polygon.
"""

from __future__ import annotations

import threading

PREPARED_LOCK = threading.RLock()
