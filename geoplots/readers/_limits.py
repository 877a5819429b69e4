"""Row and cell limits applied while a table is read, not after.

A reader hands its rows (header excluded) to :func:`take_rows` one at a time; reading
stops at the first row over the limit, so a file of a million rows costs no more than
one of ``max_rows + 1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geoplots.errors import InputTooLargeError, TooManyRowsError
from geoplots.readers._text import is_blank

#: Widest row read: Excel's own limit (column XFD). Wider is not a spreadsheet.
MAX_COLUMNS = 16_384

#: With a row limit, cells kept per allowed row on average (a row limit of 10,000 allows
#: 5,000,000 cells): a sheet whose rows each name column XFD would otherwise pad every row
#: to 16,384 cells.
CELLS_PER_ROW = 500


def too_many_rows(name: str, max_rows: int) -> TooManyRowsError:
    """The error for a file with more than ``max_rows`` rows."""
    return TooManyRowsError(
        f"{name} has more than {max_rows:,} rows; at most {max_rows:,} are read at once. Split it into "
        "smaller files (blank rows at the end do not count, unless there are more of them than that).",
        max_rows=max_rows,
    )


def take_rows(rows: Iterable[list[Any]], name: str, max_rows: int | None = None) -> list[list[Any]]:
    """Collect the rows after the header, stopping at the first one over ``max_rows``.

    Blank rows between records are kept (row numbers stay those of the spreadsheet);
    blank rows after the last record are dropped, and only up to ``max_rows`` of them are
    looked through before the file counts as too long.

    Raises
    ------
    TooManyRowsError
        More than ``max_rows`` rows up to the last non-blank one.
    InputTooLargeError
        A row wider than :data:`MAX_COLUMNS`, or (with a row limit) more cells than
        ``max_rows * CELLS_PER_ROW``.

    Examples
    --------
    >>> take_rows([["a"], [], ["b"], [" "], []], "x.csv", max_rows=3)
    [['a'], [], ['b']]
    """
    kept: list[list[Any]] = []
    blanks: list[list[Any]] = []  # blank rows not yet known to be followed by a record
    cells = 0
    max_cells = None if max_rows is None else max(max_rows, 1) * CELLS_PER_ROW
    for row in rows:
        cells += check_width(len(row), name)
        if max_cells is not None and cells > max_cells:
            raise InputTooLargeError(
                f"{name} has more than {max_cells:,} cells for at most {max_rows:,} rows. Delete the unused "
                "columns (or cells far to the right) and send it again."
            )
        if all(is_blank(cell) for cell in row):
            blanks.append(row)
            if max_rows is not None and len(kept) + len(blanks) > 2 * max_rows:
                raise too_many_rows(name, max_rows)
            continue
        if max_rows is not None and len(kept) + len(blanks) >= max_rows:
            raise too_many_rows(name, max_rows)
        kept.extend(blanks)
        blanks.clear()
        kept.append(row)
    return kept


def check_width(width: int, name: str) -> int:
    """``width``, or :class:`InputTooLargeError` if a row that wide is wider than :data:`MAX_COLUMNS`."""
    if width > MAX_COLUMNS:
        raise InputTooLargeError(f"{name} has a row of {width:,} cells; a sheet has at most {MAX_COLUMNS:,} columns.")
    return width
