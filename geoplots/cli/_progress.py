"""A progress line on stderr while a big file is read: rows read, accepted and rejected."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Callable, Iterator
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from geoplots.cli._app import err_console


@contextlib.contextmanager
def reading_progress(name: str, quiet: bool = False) -> Iterator[Callable[[Any], None]]:
    """Yield a callback taking the running summary (``rows_read``, ``accepted``,
    ``rejected``) after each chunk; it draws on stderr only when stderr is a terminal
    and not ``quiet``, so logs and pipes get no control characters.
    """
    if quiet or not sys.stderr.isatty():
        yield lambda summary: None
        return
    columns = (TextColumn(f"reading {name}"), BarColumn(), TextColumn("{task.fields[counts]}"), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task("read", total=None, counts="")

        def update(summary: Any) -> None:
            progress.update(task, counts=f"{summary.rows_read:,} rows read, {summary.accepted:,} accepted, "
                                         f"{summary.rejected:,} rejected")

        yield update


@contextlib.contextmanager
def collected_per_chunk() -> Iterator[Callable[[], None]]:
    """Run with Python's cycle collector paused, collecting once per chunk instead.

    A chunk makes millions of small objects (a warnings list per row); left on, the
    collector walks the whole heap (boundaries, caches) again and again while they are
    made, a quarter of the reading time. What exists before reading starts (the
    boundaries) is frozen out of the collections.
    """
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()

    def collect() -> None:
        gc.collect(1)  # young objects only: the chunk just dropped, not the frozen heap

    try:
        yield collect
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()
