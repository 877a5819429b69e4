"""Helpers for tests that need PostgreSQL + PostGIS (the shared store suite, multi-worker).

``make test`` runs pytest under ``scripts/postgres run``, which starts a throwaway
cluster on loopback and sets ``GEOPLOTS_TEST_POSTGRES``. Without it the PostGIS tests
skip on a developer's machine, but fail on CI (``CI=true``): they must run there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import pytest

POSTGRES_ENV = "GEOPLOTS_TEST_POSTGRES"


def postgres_url() -> str | None:
    """Return the test cluster's URL, or None when there is none (never None on CI)."""
    url = os.environ.get(POSTGRES_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{POSTGRES_ENV} is not set on CI: run the tests with `make test` (scripts/postgres run).")
    return url or None


requires_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV) and not os.environ.get("CI"),
    reason=f"no PostGIS test database: run under `scripts/postgres run` (sets {POSTGRES_ENV})",
)


@contextmanager
def fresh_schema_url() -> Iterator[str]:
    """Yield a URL to an empty schema of the test database (dropped afterwards).

    A schema per test keeps tests apart at a fraction of the cost of a database per
    test; the URL sets ``search_path`` through libpq ``options``, as a deployment could.
    """
    import psycopg

    base = postgres_url()
    if base is None:
        pytest.skip(f"no PostGIS test database ({POSTGRES_ENV})")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    url = base + sep + "options=" + quote(f"-csearch_path={schema},public")
    try:
        yield url
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
