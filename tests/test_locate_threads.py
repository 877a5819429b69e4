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


def test_fresh_index_queried_from_many_threads_matches_one_thread(boundary_dir) -> None:
    script = textwrap.dedent(
        """
        import pickle
        from concurrent.futures import ThreadPoolExecutor
        import numpy as np
        from geoplots import synthetic
        from geoplots.locate import index_for

        pts = synthetic.sample_points(400_000, seed=11)
        x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        expected = index_for().lookup(x, y, threads=1)
        for attempt in range(3):
            fresh = pickle.loads(pickle.dumps(index_for()))  # polygons not prepared yet
            with ThreadPoolExecutor(4) as pool:
                results = list(pool.map(lambda _: fresh.lookup(x, y, threads=2), range(4)))
            for got in results:
                assert np.array_equal(got, expected)
        codes = index_for().codes[expected]
        assert (codes == pts["subdistrict_code"].to_numpy()).all()
        print("ok")
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().endswith("ok")
