"""``geoplots progress``: coverage month by month, and the Thai monthly report (XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.counting.progress import DEFAULT_STALE_DAYS, progress as compute_progress, stale as stale_sites
from geoplots.counting.progress_report import write_progress_report
from geoplots.errors import GeoplotsError
from geoplots.readers import KINDS, read_records


@app.command()
def progress(
    file: Annotated[Path | None, typer.Argument(help="Records file with a date column (.csv, .xlsx, .geojson, .gpkg); or give --db.", show_default=False)] = None,
    out: Annotated[Path, typer.Option("--out", help="The monthly report (.xlsx, Thai).")] = Path("progress.xlsx"),
    db: Annotated[str | None, typer.Option("--db", help="A server's store (geoplots.db or postgresql://...): its versions as known at each month's end.", show_default=False)] = None,
    level: Annotated[str, typer.Option(help="province, district or subdistrict (จังหวัด/อำเภอ/ตำบล).")] = "district",
    rule: Annotated[str | None, typer.Option("--rule", help="A named rule (model_villages, household_participation, change_leaders).")] = None,
    freq: Annotated[str, typer.Option("--freq", help="M: months, Q: quarters.")] = "M",
    start: Annotated[str | None, typer.Option("--from", help="First day of the series, YYYY-MM-DD.", show_default=False)] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: today, or the records' last date).", show_default=False)] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="Only this inspection zone, e.g. 12.")] = None,
    kind: Annotated[str | None, typer.Option(help="pins, plots or households (default: the rule's, else pins).")] = None,
    status: Annotated[str | None, typer.Option("--status", help="Count only records in this status (e.g. completed / เสร็จแล้ว).")] = None,
    min_count: Annotated[int, typer.Option("--min", help="Records a unit needs (without a rule).")] = 1,
    stale_days: Annotated[int, typer.Option("--stale-days", help="List plots with no report for this many days.")] = DEFAULT_STALE_DAYS,
    data: DataOption = None,
) -> None:
    """Units covered month by month per zone, newly covered and fallen back, and stale plots."""
    if (file is None) == (db is None):
        raise GeoplotsError("Give a records FILE or --db, one of them.")
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    boundaries = Boundaries.load(data)
    options: dict[str, Any] = {"level": level, "rule": rule, "freq": freq, "start": start, "end": end, "zone": zone,
               "status": status, "min_count": min_count, "boundaries": boundaries}
    if file is not None:
        records = read_records(file, kind=kind or "pins", boundaries=boundaries)
        result = compute_progress(records, **options)
        stale = stale_sites(records, days=stale_days, zone=zone)
    else:
        result, stale = _from_store(str(db), kind, stale_days, options)
    _print(result)
    path = write_progress_report(result, out, stale=stale, stale_days=stale_days, boundaries=boundaries)
    console.print(f"{len(stale)} sites with no report for {stale_days} days; report written to {path}")


def _from_store(db: str, kind: str | None, stale_days: int, options: dict):
    from geoplots.server.store import open_store

    with open_store(db, migrate=False) as store:
        result = compute_progress(store=store, kind=kind, **options)
        stale = stale_sites(store=store, days=stale_days, kind=kind or "plots", zone=options["zone"])
    return result, stale


def _print(result) -> None:
    table = Table(title=f"units covered by {result.level}, per period")
    for name in ("period", "group", "covered", "total", "newly covered", "fell back"):
        table.add_column(name)
    for row in result.summary.itertuples():
        table.add_row(row.period, str(row.group), str(row.covered), str(row.total), str(row.newly_covered),
                      str(row.fell_back))
    console.print(table)
