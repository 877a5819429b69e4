"""``geoplots coverage``: units with and without records, per zone, as CSV or an XLSX report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from geoplots.boundaries import Boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.cli._rules import chosen_rule, option_help, read_options, rule_help, rule_options
from geoplots.cli._progress import collected_per_chunk, reading_progress
from geoplots.counting import StreamSummary, coverage as compute_coverage, coverage_of_chunks, records_as_of, write_coverage
from geoplots.errors import GeoplotsError
from geoplots.records import Records
from geoplots.readers import CHUNK_ROWS, KINDS, iter_records, read_records


def _thresholds(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(t) for t in text.split(","))
    except ValueError:
        raise GeoplotsError(f"--thresholds takes three rates separated by commas, e.g. 0.7,0.8,0.9, not {text!r}.") from None


def _print_read(summary: dict) -> None:
    """Rows read, placed and rejected (by reason): nothing read is left unaccounted for."""
    console.print(f"rows read: {summary['rows_read']:,}; accepted: {summary['accepted']:,}; "
                  f"rejected: {summary['rejected']:,}")
    for reason, count in summary["rejected_by_reason"].items():
        console.print(f"  rejected: {reason}: {count:,}")


@app.command()
def coverage(
    file: Annotated[Path, typer.Argument(help="Records file: .csv, .xlsx, .geojson or .gpkg.")],
    out: Annotated[Path, typer.Option("--out", help="Report: .xlsx (a sheet per zone, Thai headers) or .csv.")],
    level: Annotated[str | None, typer.Option(help=option_help("level", "province, district or subdistrict (จังหวัด/อำเภอ/ตำบล)"), show_default=False)] = None,
    min_count: Annotated[int | None, typer.Option("--min", help=option_help("min_count", "Records a unit needs to count as covered"), show_default=False)] = None,
    by: Annotated[str, typer.Option("--by", help="Grouping: inspection_zone, a code,group CSV, or 'none'.")] = "inspection_zone",
    zone: Annotated[str | None, typer.Option("--zone", help="Only this group, e.g. 12.")] = None,
    rule: Annotated[str | None, typer.Option("--rule", help=rule_help())] = None,
    column: Annotated[str | None, typer.Option("--column", help=option_help("column", "Yes/no participation column"), show_default=False)] = None,
    thresholds: Annotated[str | None, typer.Option("--thresholds", help=option_help("thresholds", "Passed, commendation, plaque rates"), show_default=False)] = None,
    blank_as: Annotated[str | None, typer.Option("--blank-as", help=option_help("blank_as", "Blank yes/no answers: exclude (left out of the denominator) or no"), show_default=False)] = None,
    kind: Annotated[str | None, typer.Option(help="pins, plots or households (default: what the rule reads, else pins).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Coverage at the end of this day (YYYY-MM-DD): each record's latest row dated by then.", show_default=False)] = None,
    data: DataOption = None,
    chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="Rows read at a time (memory grows with it, not with the file).")] = CHUNK_ROWS,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress line on stderr.")] = False,
) -> None:
    """Count records per unit (every unit, also those with none) and report coverage per zone.

    FILE is read chunk by chunk (each located, counted per unit, then dropped), so the
    national household file needs no more memory than one chunk.
    """
    grouping = None if by.strip().lower() == "none" else by
    chosen = chosen_rule(rule)
    # Checked against the rule before the file is read: a flag the rule does not take is an error.
    given = rule_options(chosen, level=level, min_count=min_count, column=column, thresholds=_thresholds(thresholds),
                         blank_as=blank_as)
    kind = kind or (chosen.kind if chosen else "pins")
    if kind not in KINDS:
        raise typer.BadParameter(f"use one of {', '.join(KINDS)}", param_hint="--kind")
    boundaries = Boundaries.load(data)
    read: Records | StreamSummary
    if as_of is not None:  # a dated question reads the file whole: each record's latest row by then
        read = read_records(file, kind=kind, boundaries=boundaries, **read_options(chosen, given))
        records, dated = records_as_of(read, as_of)
        console.print(f"as of {dated['as_of']}: {len(records)} records ({dated['undated']} undated rows left out)")
        if chosen is None:
            result = compute_coverage(records, by=grouping, zone=zone, boundaries=boundaries, **given)
        else:
            result = chosen.run(records, zone=zone, by=grouping, boundaries=boundaries, **given)
        _print_read(read.summary())  # type: ignore[union-attr]
    else:
        chunks = iter_records(file, kind=kind, boundaries=boundaries, chunk_rows=chunk_rows, **read_options(chosen, given))
        with reading_progress(file.name, quiet) as progress, collected_per_chunk() as collect:

            def after_chunk(summary: StreamSummary) -> None:
                collect()
                progress(summary)

            result, read = coverage_of_chunks(chunks, chosen, zone=zone, by=grouping, boundaries=boundaries,
                                              on_chunk=after_chunk, **given)
        _print_read(read.as_dict())  # type: ignore[union-attr]
    table = Table(title=result.title or f"coverage by {result.level}")
    for name in ("group", "covered", "total", "percent"):
        table.add_column(name)
    for row in result.summary.itertuples():
        table.add_row(str(row.group), str(row.covered), str(row.total), f"{row.percent:.1f}")
    console.print(table)
    for key, value in result.notes.items():
        console.print(f"{key}: {value}")
    written = write_coverage(result, out, records=read, boundaries=boundaries, source=file.name)
    console.print(f"report written to {written}")
