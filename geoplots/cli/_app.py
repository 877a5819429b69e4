"""The ``geoplots`` Typer application and what every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="geoplots",
    help="Join plot pins and household records to Thai provinces, districts and sub-districts; "
    "compute coverage; serve maps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)

#: ``--data DIR`` option shared by every command that reads the boundaries; the command
#: opens it once with ``Boundaries.load(DIR)`` and passes that object on.
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Boundary data directory (default: $GEOPLOTS_DATA, else data/boundaries).",
        show_default=False,
    ),
]
