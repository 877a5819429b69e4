"""``geoplots join``: locate every record of a file in its sub-district, district, province and zone."""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.cli._progress import collected_per_chunk, reading_progress
from geoplots.counting import StreamSummary
from geoplots.locating import locate
from geoplots.readers import CHUNK_ROWS, KINDS, iter_records
from geoplots.writers import write_frame


@app.command()
def join(
    file: Annotated[Path, typer.Argument(help="Records file: .csv, .xlsx, .geojson or .gpkg.")],
    out: Annotated[Path, typer.Option("--out", help="Located records: .csv (lat, lon, codes, match, distance_m), .gpkg or .parquet.")],
    rejects: Annotated[Path | None, typer.Option("--rejects", help="Write rows that could not be placed, with reasons (.csv).")] = None,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Metres: a point in no sub-district gets the nearest one this close.")] = 1000.0,
    kind: Annotated[str, typer.Option(help="pins, plots or households.")] = "pins",
    data: DataOption = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Dask scheduler address, or 'local': FILE is (partitioned) GeoParquet, --out a folder.")] = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read at a time when --out (and --rejects) are .csv.")] = CHUNK_ROWS,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on stderr.")] = False,
) -> None:
    """Find the sub-district (ตำบล), district, province and inspection zone of every row of FILE.

    With CSV outputs FILE is read, located and written chunk by chunk (memory does not
    grow with the file); a .gpkg or .parquet output is written from the whole table.
    """
    if dask is not None:  # national batches, out of core (geoplots/cli/_join_dask.py)
        from geoplots.cli._join_dask import join_dask

        return join_dask(file, out, rejects, tolerance, dask, data)
    if kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    boundaries = Boundaries.load(data)
    csv_only = all(p is None or p.suffix.lower() == ".csv" for p in (out, rejects))
    chunks = iter_records(file, kind=kind, boundaries=boundaries, chunk_rows=chunk_rows if csv_only else 2**62)
    summary, matches, mismatched = StreamSummary(), Counter[str](), 0
    with contextlib.ExitStack() as stack:
        progress = stack.enter_context(reading_progress(file.name, quiet))
        collect = stack.enter_context(collected_per_chunk())
        sinks = [stack.enter_context(_csv_sink(p)) if csv_only and p is not None else None for p in (out, rejects)]
        for chunk in chunks:
            located = locate(chunk, tolerance_m=tolerance, boundaries=boundaries)
            summary.rows_read += located.rows_read
            summary.accepted += len(located.accepted)
            summary.rejected_by_reason.update(located.rejects["reason"].tolist())
            matches.update(located.accepted["match"].astype(str).tolist())
            mismatched += int(located.accepted["address_mismatch"].sum())
            for sink, path, frame in zip(sinks, (out, rejects), (located.accepted, located.rejects)):
                if sink is not None:
                    sink(frame)
                elif path is not None:
                    write_frame(frame, path)
            collect()
            progress(summary)
    _print_summary(f"{file.name} ({kind})", summary, matches, mismatched)
    console.print(f"located rows written to {out}")
    if rejects is not None:
        console.print(f"rejected rows written to {rejects}")


def _print_summary(title: str, summary: StreamSummary, matches: Counter[str], mismatched: int) -> None:
    table = Table(title=title, show_header=False)
    table.add_row("rows read", str(summary.rows_read))
    table.add_row("located", str(summary.accepted))
    for match, count in matches.most_common():
        table.add_row(f"  {match}", str(count))
    table.add_row("  address mismatch", str(mismatched))
    table.add_row("rejected", str(summary.rejected))
    for reason, count in sorted(summary.rejected_by_reason.items()):
        table.add_row(f"  rejected: {reason}", str(count))
    console.print(table)


@contextlib.contextmanager
def _csv_sink(path: Path) -> Iterator:
    """A function appending each chunk's rows to one CSV file written as :func:`write_frame`
    writes it (BOM and header once; the same escaping), so the output is written
    incrementally and memory holds one chunk.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, open(path, "wb") as target:
        written = False

        def append(frame: pd.DataFrame) -> None:
            nonlocal written
            if written and not len(frame):
                return
            part = write_frame(frame, Path(scratch) / "part.csv").read_bytes()
            if written:
                head = write_frame(frame.iloc[:0], Path(scratch) / "head.csv").read_bytes()
                assert part.startswith(head)  # same columns in every chunk: header and BOM once
                part = part[len(head):]
            target.write(part)
            written = True

        yield append
