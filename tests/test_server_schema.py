"""Schemathesis against the app's own OpenAPI schema: no input makes the server answer 5xx.

Bounded (a few dozen examples per operation) so it runs in well under a minute. The
event stream is left out: it never ends, by design.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import not_a_server_error  # noqa: E402

from geoplots.server.app import create_app  # noqa: E402
from geoplots.server.events import LocalEventBus  # noqa: E402
from geoplots.server.settings import Settings  # noqa: E402
from geoplots.server.store import open_store  # noqa: E402


@pytest.fixture(scope="module")
def app_and_key(tmp_path_factory, boundaries):
    db = tmp_path_factory.mktemp("schema") / "schema.gpkg"
    store = open_store(db)
    _, admin = store.create_key("admin", name="schemathesis")
    app = create_app(Settings(db=str(db), rate_limit_per_minute=0, max_batch_rows=200),
                     store=store, bus=LocalEventBus(), boundaries=boundaries)
    yield app, admin
    store.close()


def test_no_input_makes_a_server_error(app_and_key):
    app, admin = app_and_key
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/events").exclude(
        method="DELETE"  # revoking keys would only lock the test out of the other operations
    )
    headers = {"Authorization": f"Bearer {admin}"}
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        run()
        tested.append(operation.label)
    assert any("/api/pins" in label for label in tested) and len(tested) >= 10
