"""``geoplots join``: locate every record of a file in its sub-district, district, province and zone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.locating import locate
from geoplots.readers import KINDS, read_records
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
) -> None:
    """Find the sub-district (ตำบล), district, province and inspection zone of every row of FILE."""
    if dask is not None:  # national batches, out of core (geoplots/cli/_join_dask.py)
        from geoplots.cli._join_dask import join_dask

        return join_dask(file, out, rejects, tolerance, dask, data)
    if kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    boundaries = Boundaries.load(data)
    records = read_records(file, kind=kind, boundaries=boundaries)
    located = locate(records, tolerance_m=tolerance, boundaries=boundaries)
    summary = located.summary()
    table = Table(title=f"{file.name} ({kind})", show_header=False)
    table.add_row("rows read", str(summary["rows_read"]))
    table.add_row("located", str(summary["accepted"]))
    for match, count in located.accepted["match"].value_counts().items():
        table.add_row(f"  {match}", str(count))
    table.add_row("  address mismatch", str(int(located.accepted["address_mismatch"].sum())))
    table.add_row("rejected", str(summary["rejected"]))
    for reason, count in summary["rejected_by_reason"].items():
        table.add_row(f"  rejected: {reason}", str(count))
    console.print(table)
    console.print(f"located rows written to {write_frame(located.accepted, out)}")
    if rejects is not None:
        console.print(f"rejected rows written to {write_frame(located.rejects, rejects)}")
