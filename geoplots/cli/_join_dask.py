"""``geoplots join FILE --dask SCHEDULER``: a national batch located on a Dask cluster."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from rich.table import Table

from geoplots.cli._app import console
from geoplots.errors import GeoplotsError


def _client(scheduler: str, stack: ExitStack):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise GeoplotsError(
            "--dask needs Dask: pip install 'geoplots[dask]' (dask-geopandas and distributed)."
        ) from exc
    if scheduler == "local":
        # One single-threaded worker process per core: the lookup itself is vectorised.
        cluster = stack.enter_context(
            LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None)
        )
        return stack.enter_context(Client(cluster))
    try:
        return stack.enter_context(Client(scheduler, timeout="20s"))
    except OSError as exc:
        raise GeoplotsError(
            f"Could not reach the Dask scheduler at {scheduler!r} ({exc}). Give its address, e.g. "
            "tcp://10.0.0.5:8786, or 'local' to start one on this machine."
        ) from exc


def join_dask(
    file: Path, out: Path, rejects: Path | None, tolerance: float, scheduler: str, data: Path | None
) -> None:
    """Locate partitioned GeoParquet ``file`` on the Dask cluster at ``scheduler`` and
    write the located rows (and the rejects) as partitioned Parquet folders.
    """
    import dask_geopandas

    import geoplots

    if out.suffix not in ("", ".parquet"):
        raise GeoplotsError(
            f"With --dask the output is a folder of GeoParquet files: give --out a folder name "
            f"(e.g. located.parquet), not {out.name}."
        )
    if rejects is not None and rejects.suffix not in ("", ".parquet"):
        raise GeoplotsError(f"With --dask the rejects are a folder of Parquet files: not {rejects.name}.")
    source = file
    if file.is_dir():
        source = file / "*.parquet"
    elif not file.exists() and "*" not in str(file):
        raise GeoplotsError(f"{file} does not exist. Give a GeoParquet file, a folder of them, or a glob.")
    boundaries = geoplots.Boundaries.load(data)
    with ExitStack() as stack:
        client = _client(scheduler, stack)
        frame = dask_geopandas.read_parquet(str(source))
        console.print(f"{file}: {frame.npartitions} partitions on {scheduler} ({len(client.nthreads())} workers)")
        summary = geoplots.locate(frame, tolerance_m=tolerance, boundaries=boundaries).to_parquet(out, rejects=rejects)
    table = Table(title=f"{file.name} (dask)", show_header=False)
    table.add_row("rows read", f"{summary['rows_read']:,}")
    table.add_row("located", f"{summary['accepted']:,}")
    table.add_row("rejected", f"{summary['rejected']:,}")
    for reason, count in summary["rejected_by_reason"].items():
        table.add_row(f"  rejected: {reason}", f"{count:,}")
    console.print(table)
    console.print(f"located rows written to {out}")
    if rejects is not None:
        console.print(f"rejected rows written to {rejects}")
    elif summary["rejected"]:
        console.print(f"{summary['rejected']:,} rows could not be placed: write them with --rejects FOLDER")
