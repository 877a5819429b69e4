"""``geoplots boundaries import|info``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from geoplots.boundaries import Boundaries, import_boundaries
from geoplots.cli._app import DataOption, app, console
from geoplots.config import data_dir

boundaries_app = typer.Typer(help="Import and inspect administrative boundaries.", no_args_is_help=True)
app.add_typer(boundaries_app, name="boundaries")

_SHOWN = 10


@boundaries_app.command("import")
def import_command(
    sources: Annotated[list[Path], typer.Argument(help="COD-AB files: zip of a shapefile, .shp, GeoJSON or GeoPackage.")],
    dest: Annotated[Path | None, typer.Option("--dest", help="Data directory to write to.")] = None,
    data: DataOption = None,
) -> None:
    """Import COD-AB boundary files (any of the three levels) into the data directory."""
    target = data_dir(dest or data)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), console=console, transient=True) as progress:
        task = progress.add_task("Reading boundaries", total=len(sources))

        def on_file(path: Path) -> None:
            progress.update(task, description=f"Reading {path.name}")
            progress.advance(task, 0)

        def on_file_and_advance(path: Path) -> None:
            on_file(path)
            progress.advance(task)

        report = import_boundaries(sources, dest=target, on_file=on_file_and_advance)
    for lvl in report.levels:
        console.print(f"[bold]{lvl.level}[/]: {lvl.features:,} features from {Path(lvl.source).name}")
        if lvl.encoding_repair:
            console.print(f"  Thai text was stored as {lvl.encoding_repair} without a .cpg; repaired.")
        console.print(f"  geometries repaired: {lvl.geometries_repaired}")
        reg = lvl.registry
        console.print(
            f"  DOPA registry {reg.registry_version}: {reg.registry_count:,} codes; "
            f"{len(reg.only_in_registry)} not in this file, {len(reg.only_in_boundaries)} not in the registry"
        )
        for label, rows in (("not in this file", reg.only_in_registry), ("not in the registry", reg.only_in_boundaries)):
            for row in rows[:_SHOWN]:
                console.print(f"    {label}: {row['code']} {row.get('name_th', '')}")
            if len(rows) > _SHOWN:
                console.print(f"    ... and {len(rows) - _SHOWN} more (see manifest.json)")
        for mismatch in lvl.parent_mismatches[:_SHOWN]:
            console.print(f"  [yellow]parent code differs[/]: {mismatch}")
    console.print(f"Written to {report.dest}")


@boundaries_app.command("info")
def info_command(data: DataOption = None) -> None:
    """Show the imported levels, counts, sources and attribution."""
    boundaries = Boundaries.load(data)
    manifest = boundaries.info()
    table = Table("level", "features", "source", "sha256", "imported", "registry differences")
    for level, item in manifest["levels"].items():
        reg = item["registry"]
        table.add_row(
            level,
            f"{item['features']:,}",
            item["source"]["file"],
            item["source"]["sha256"][:12],
            item["imported_at"],
            f"{len(reg['only_in_registry'])} missing, {len(reg['only_in_boundaries'])} extra",
        )
    console.print(table)
    console.print(f"Attribution: {manifest['attribution']}. Licence: {manifest['licence']}.")
    console.print(f"Data directory: {boundaries.root}")
