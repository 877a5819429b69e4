"""Items pages and single features built straight from stored rows, on every backend.

The OGC routes ask the store for feature texts (``Store.query_features_json``) and for
one feature (``Store.feature``); these must say exactly what the frame-based path says
(``frame_features`` of ``Store.query``/``Store.get``), with coordinates at 7 decimals,
and the same on SQLite and PostGIS.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely

from conftest_store import located, store, store_url  # noqa: F401  (fixtures)
from geoplots import synthetic
from geoplots.server.store import RecordFilter, open_store
from geoplots.server.store.base import frame_features
from postgis_support import fresh_schema_url, requires_postgres

VOLATILE = ("batch_id", "received_at")  # differ between two stores given the same batch


@pytest.fixture(scope="module")
def batches(tiny_boundaries):
    """Pins with long coordinates and own fields (Thai text, a flag, a blank), and plots."""
    pins = synthetic.sample_points(120, codes=["40", "46"], seed=11, boundaries=tiny_boundaries)
    pins["name"] = [f"บ้านโคกสูง หมู่ {i}" for i in range(len(pins))]
    pins["has_garden"] = np.arange(len(pins)) % 2 == 0
    pins["note"] = [None if i % 3 else 'say "hi"\n' for i in range(len(pins))]
    # more decimals than a GPS gives: the output must carry 7
    pins["geometry"] = shapely.points(pins.geometry.x + 1.23456789e-9, pins.geometry.y - 9.87654321e-9)
    plots = synthetic.plots(6, codes=["40"], seed=12, boundaries=tiny_boundaries)
    return located(pins), located(plots)


def _fill(store, batches) -> None:
    pins, plots = batches
    store.add_records(pins, kind="pins")
    store.add_records(plots, kind="plots")


def _coordinates(geometry: dict) -> list[float]:
    return list(np.ravel(shapely.get_coordinates(shapely.from_geojson(json.dumps(geometry)))))


FILTERS = [
    (None, dict(limit=40, offset=0)),
    (RecordFilter(bbox=(102.5, 16.0, 103.5, 16.8)), dict(limit=15, offset=5)),
    (RecordFilter(kind="plots"), dict(limit=100)),
    (RecordFilter(province="99"), dict(limit=5)),
    (None, dict(limit=None, offset=100)),
]


@pytest.mark.parametrize(("chosen", "paging"), FILTERS)
def test_feature_texts_say_what_the_frame_path_says(store, batches, chosen, paging):
    _fill(store, batches)
    texts, total = store.query_features_json(chosen, **paging)
    page = store.query(chosen, **paging)
    assert total == page.total
    got = [json.loads(t) for t in texts]
    assert got == store.query_features(chosen, **paging)[0]
    want = frame_features(page.records, "id")
    assert [f["id"] for f in got] == [f["id"] for f in want]
    for g, w in zip(got, want):
        assert g["type"] == "Feature" and g["geometry"]["type"] == w["geometry"]["type"]
        assert _coordinates(g["geometry"]) == _coordinates(w["geometry"])
        present = {k: v for k, v in w["properties"].items() if v is not None}
        for k, v in present.items():
            # the frame path writes floats with 10 significant digits (pandas to_json)
            assert g["properties"][k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float) else v), k


def test_coordinates_have_seven_decimals(store, batches):
    _fill(store, batches)
    pins, _ = batches
    texts, _ = store.query_features_json(RecordFilter(kind="pins"), limit=None)
    for text, source in zip(texts, pins.geometry):
        coords = _coordinates(json.loads(text)["geometry"])
        assert coords == [round(source.x, 7), round(source.y, 7)]
        assert coords != [source.x, source.y]


def test_one_feature_is_its_feature_in_a_page(store, batches):
    _fill(store, batches)
    features, _ = store.query_features(None, limit=None)
    for want in features[::17] + features[-3:]:
        assert store.feature(want["id"]) == want
    assert store.feature(10**9) is None


def test_one_feature_is_read_without_a_frame(store, batches, monkeypatch):
    # a single feature must cost less than a page: no GeoDataFrame, no pandas round trip
    _fill(store, batches)
    first = store.query_features(None, limit=1)[0][0]

    def no_frames(*args, **kwargs):
        raise AssertionError("a single feature went through a GeoDataFrame")

    monkeypatch.setattr(type(store), "get", no_frames)
    monkeypatch.setattr(type(store), "query", no_frames)
    monkeypatch.setattr(pd.DataFrame, "to_json", no_frames)
    assert store.feature(first["id"]) == first
    assert store.query_features_json(None, limit=10)[1] == 126


@requires_postgres
def test_both_stores_answer_the_same_features(tmp_path, batches):
    answers = []
    with fresh_schema_url() as url:
        for where in (f"sqlite:///{tmp_path / 'same.gpkg'}", url):
            with open_store(where) as s:
                s.migrate()
                _fill(s, batches)
                texts, total = s.query_features_json(None, limit=None)
                one = s.feature(7)
            answers.append((total, [json.loads(t) for t in texts], one))
    (total_a, a, one_a), (total_b, b, one_b) = answers
    assert total_a == total_b == 126

    def steady(f: dict) -> dict:
        return {**f, "properties": {k: v for k, v in f["properties"].items() if k not in VOLATILE}}

    assert [steady(f) for f in a] == [steady(f) for f in b]
    assert steady(one_a) == steady(one_b) == steady(a[6])
    # same spelling of the time both stores received a record
    assert {len(f["properties"]["received_at"]) for f in a + b} == {len("2026-01-01T00:00:00.000+00:00")}
