"""The OpenAPI description says what every JSON answer holds, and links follow the prefix.

* Every operation answering JSON (``application/json``, ``application/geo+json``) has a
  schema for its 2xx answer, naming a component model (issue 11, item 5), and every
  error it documents is the shared error model.
* Links (``self``, ``items``, ``next``...) are built from route names, so behind a proxy
  that strips a prefix (``root_path``) or when the app is mounted under one, they carry
  the prefix and lead back to the same resources; ``GEOPLOTS_PUBLIC_URL`` still wins.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from geoplots.server.app import create_app
from geoplots.server.settings import Settings


@pytest.fixture
def app(tmp_path, tiny_boundaries):
    return create_app(Settings(db=str(tmp_path / "openapi.gpkg")), boundaries=tiny_boundaries)


def _json_operations(spec: dict):
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                for media, content in answer.get("content", {}).items():
                    if "json" in media:
                        yield f"{method.upper()} {path}", status, content


def test_every_json_operation_documents_its_2xx_answer(app):
    spec = TestClient(app).get("/openapi.json").json()
    seen = {op for op, status, _ in _json_operations(spec) if status.startswith("2")}
    missing = [(op, status) for op, status, content in _json_operations(spec)
               if status.startswith("2") and not content.get("schema")]
    assert not missing, missing
    # a schema that says something: a component model (or a list of them), not {}
    vague = [(op, content["schema"]) for op, status, content in _json_operations(spec)
             if status.startswith("2") and "$ref" not in str(content["schema"])]
    assert not vague, vague
    assert {"GET /collections", "GET /collections/{collection_id}", "GET /collections/{collection_id}/items",
            "GET /collections/{collection_id}/items/{feature_id}", "GET /conformance", "GET /api/coverage",
            "POST /api/pins", "GET /api/keys", "POST /api/keys", "DELETE /api/keys/{key_id}",
            "GET /health"} <= seen


def test_documented_errors_use_the_error_model(app):
    spec = TestClient(app).get("/openapi.json").json()
    errors = [(op, status, str(content.get("schema"))) for op, status, content in _json_operations(spec)
              if status.startswith("4")]
    assert errors
    assert all("ErrorModel" in schema for _, _, schema in errors), errors
    features = spec["paths"]["/collections/{collection_id}/items"]["get"]["responses"]
    assert "404" in features and "400" in features and "422" not in features  # the standard: 400


def test_the_features_answers_match_their_schemas(app):
    """The models are the answers' own shape: the live answers validate against them."""
    from geoplots.server.models import Collection, Collections, Feature, FeatureCollection

    with TestClient(app) as client:
        Collections.model_validate(client.get("/collections").json())
        Collection.model_validate(client.get("/collections/provinces").json())
        page = FeatureCollection.model_validate(client.get("/collections/provinces/items?limit=1").json())
        Feature.model_validate(client.get(f"/collections/provinces/items/{page.features[0].id}").json())


def _hrefs(body: dict) -> list[str]:
    links = list(body.get("links", []))
    for c in body.get("collections", []):
        links += c["links"]
    return [link["href"] for link in links]


def _follow(client: TestClient, href: str, origin: str) -> dict:
    assert href.startswith(origin), href
    res = client.get(href[len(origin):])
    assert res.status_code == 200, (href, res.text[:200])
    return res.json()


def test_links_carry_the_root_path_and_lead_back(app):
    with TestClient(app, root_path="/gis") as client:
        page = client.get("/collections/provinces/items?limit=1").json()
        hrefs = _hrefs(page)
        assert {h.split("?")[0] for h in hrefs} == {
            "http://testserver/gis/collections/provinces/items", "http://testserver/gis/collections/provinces"}
        following = {link["rel"]: link["href"] for link in page["links"]}
        nxt = _follow(client, following["next"], "http://testserver/gis")
        assert nxt["numberReturned"] == 1 and nxt["features"][0]["id"] != page["features"][0]["id"]
        listing = client.get("/collections").json()
        assert all(h.startswith("http://testserver/gis/collections") for h in _hrefs(listing))


def test_links_carry_the_mount_prefix(app):
    parent = FastAPI()
    parent.mount("/gis", app)
    with TestClient(app), TestClient(parent) as client:  # the inner client runs the app's lifespan
        body = client.get("/gis/collections/districts").json()
        assert set(_hrefs(body)) == {"http://testserver/gis/collections/districts",
                                     "http://testserver/gis/collections/districts/items",
                                     "http://testserver/gis/collections/districts/queryables",
                                     "http://testserver/gis/collections/districts/schema"}
        items = _follow(client, body["links"][1]["href"], "http://testserver")
        assert items["type"] == "FeatureCollection" and items["numberReturned"] > 0


def test_the_public_url_wins_over_the_root_path(tmp_path, tiny_boundaries):
    app = create_app(Settings(db=str(tmp_path / "public.gpkg"), public_url="https://warroom.cdd.go.th/gis"),
                     boundaries=tiny_boundaries)
    with TestClient(app, root_path="/gis") as client:
        hrefs = _hrefs(client.get("/collections/provinces", headers={"Host": "evil.example"}).json())
        assert set(hrefs) == {"https://warroom.cdd.go.th/gis/collections/provinces",
                              "https://warroom.cdd.go.th/gis/collections/provinces/items",
                              "https://warroom.cdd.go.th/gis/collections/provinces/queryables",
                              "https://warroom.cdd.go.th/gis/collections/provinces/schema"}
