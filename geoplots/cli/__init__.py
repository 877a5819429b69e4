"""The ``geoplots`` command line. Each sub-module registers its commands on :data:`app`."""

from __future__ import annotations

import sys

from geoplots.cli._app import app, err_console
from geoplots.errors import GeoplotsError

# Importing a module registers its commands.
from geoplots.cli import boundaries as _boundaries  # noqa: E402,F401
from geoplots.cli import check as _check  # noqa: E402,F401
from geoplots.cli import join as _join  # noqa: E402,F401
from geoplots.cli import coverage as _coverage  # noqa: E402,F401
from geoplots.cli import progress as _progress  # noqa: E402,F401
from geoplots.cli import serve as _serve  # noqa: E402,F401
from geoplots.cli import map as _map  # noqa: E402,F401
from geoplots.cli import sample as _sample  # noqa: E402,F401

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, printing user errors without a traceback."""
    try:
        app(standalone_mode=False)
    except GeoplotsError as exc:
        err_console.print(f"[bold red]Error:[/] {exc}", highlight=False)
        sys.exit(2)
    except SystemExit:
        raise
    except Exception as exc:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise
