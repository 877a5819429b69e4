"""``geoplots coverage``: units with and without records, per zone, as CSV or an XLSX report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.coverage import DEFAULT_THRESHOLDS, coverage as compute_coverage, get_rule, write_coverage
from geoplots.readers import KINDS, read_records


@app.command()
def coverage(
    file: Annotated[Path, typer.Argument(help="Records file: .csv, .xlsx, .geojson or .gpkg.")],
    out: Annotated[Path, typer.Option("--out", help="Report: .xlsx (a sheet per zone, Thai headers) or .csv.")],
    level: Annotated[str, typer.Option(help="province, district or subdistrict (จังหวัด/อำเภอ/ตำบล).")] = "district",
    min_count: Annotated[int, typer.Option("--min", help="Records a unit needs to count as covered.")] = 1,
    by: Annotated[str, typer.Option("--by", help="Grouping: inspection_zone, a code,group CSV, or 'none'.")] = "inspection_zone",
    zone: Annotated[str | None, typer.Option("--zone", help="Only this group, e.g. 12.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help="A named target: model_villages, change_leaders, household_participation.")] = None,
    column: Annotated[str, typer.Option("--column", help="Yes/no participation column (household_participation).")] = "has_garden",
    thresholds: Annotated[str, typer.Option("--thresholds", help="Passed, commendation, plaque rates, e.g. 0.7,0.8,0.9.")] = ",".join(map(str, DEFAULT_THRESHOLDS)),
    kind: Annotated[str | None, typer.Option(help="pins, plots or households (default: households for the participation and change-leader rules).")] = None,
    data: DataOption = None,
) -> None:
    """Count records per unit (every unit, also those with none) and report coverage per zone."""
    grouping = None if by.strip().lower() == "none" else by
    limits = tuple(float(t) for t in thresholds.split(","))
    chosen = get_rule(rule) if rule else None
    participation = chosen is not None and chosen.name == "household_participation"
    # Households and enrolment lists may carry only an address (codes or names), no pins.
    by_address = participation or (chosen is not None and chosen.name == "change_leaders")
    kind = kind or ("households" if by_address else "pins")
    if kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    options = {"yes_no": [column]} if participation else {}
    boundaries = Boundaries.load(data)
    records = read_records(file, kind=kind, boundaries=boundaries, **options)
    if chosen is None:
        result = compute_coverage(records, level=level, min_count=min_count, by=grouping, zone=zone,
                                  boundaries=boundaries)
    else:
        result = chosen.run(records, zone=zone, by=grouping, level=level, min_count=min_count, column=column,
                            thresholds=limits, boundaries=boundaries)
    table = Table(title=result.title or f"coverage by {result.level}")
    for name in ("group", "covered", "total", "percent"):
        table.add_column(name)
    for row in result.summary.itertuples():
        table.add_row(str(row.group), str(row.covered), str(row.total), f"{row.percent:.1f}")
    console.print(table)
    for key, value in result.notes.items():
        console.print(f"{key}: {value}")
    console.print(f"report written to {write_coverage(result, out)}")
