"""Store backends for the shared store suite: SQLite always, PostGIS when available.

Import the fixtures into a test module with ``from conftest_store import *``. The PostGIS
backend runs when ``GEOPLOTS_TEST_POSTGRES`` points at a test cluster (``make test``
starts one with ``scripts/postgres run``).
"""

from __future__ import annotations

from collections.abc import Iterator

import geopandas as gpd
import pytest

from geoplots.groups import inspection_zones
from postgis_support import fresh_schema_url, requires_postgres

__all__ = ["located", "store", "store_url"]


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=requires_postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL to an empty store of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'geoplots.db'}"
    else:
        with fresh_schema_url() as url:
            yield url


@pytest.fixture
def store(store_url: str):
    from geoplots.server.store import open_store

    s = open_store(store_url)
    yield s
    s.close()


def located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add the columns locate adds, from the sub-district each synthetic point was drawn
    in (the truth), so store tests do not depend on the join."""
    out = frame.copy()
    code = out["subdistrict_code"].astype("string")
    out["district_code"] = code.str[:4]
    out["province_code"] = code.str[:2]
    out["inspection_zone"] = inspection_zones().group_of(code)
    out["match"] = "inside"
    out["distance_m"] = 0.0
    out["address_mismatch"] = False
    if "warnings" not in out.columns:
        out["warnings"] = [[] for _ in range(len(out))]
    return out
