"""The lookup is shared by server request threads, dask task threads and its own pool.

A prepared GEOS polygon must not be queried by two threads at once: an index fresh from
pickling (as a dask worker or a new process gets it) queried from several threads
corrupted the heap before the lookup took ``geoplots._prepared.PREPARED_LOCK``. The test
runs that exact situation in a child process, so a crash fails the test instead of
killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_fresh_index_queried_from_many_threads_matches_one_thread(boundaries) -> None:
    script = textwrap.dedent(
        f"""
        import pickle
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np
        import geoplots
        from geoplots import synthetic
        from geoplots.readers import in_thailand

        boundaries = geoplots.Boundaries.load({str(boundaries.root)!r})
        pts = synthetic.sample_points(400_000, seed=11, boundaries=boundaries)
        x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        expected = boundaries.index.lookup(x, y, threads=1)
        for attempt in range(3):
            fresh = pickle.loads(pickle.dumps(boundaries.index))  # polygons not prepared yet
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda _: fresh.lookup(x, y, threads=2), range(4)))
            for got in results:
                assert np.array_equal(got, expected)
        codes = boundaries.index.codes[expected]
        assert (codes == pts["subdistrict_code"].to_numpy()).all()

        # A Boundaries fresh from pickling (as a process gets it): threads asking for its
        # index and outline at the same moment get one of each, built once.
        fresh = pickle.loads(pickle.dumps(boundaries))
        def use(_):
            inside = in_thailand(x[:50_000], y[:50_000], boundaries=fresh)
            return fresh.index, fresh.outline, fresh.index.lookup(x, y, threads=2), inside
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(use, range(4)))
        assert len({{id(r[0]) for r in results}}) == 1 and len({{id(r[1]) for r in results}}) == 1
        for _, _, got, inside in results:
            assert np.array_equal(got, expected) and inside.all()
        print("ok")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok")
