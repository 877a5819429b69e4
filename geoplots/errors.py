"""Errors that a user can act on.

Every error raised for bad input or a missing set-up step is a
:class:`GeoplotsError`. Its message says what is wrong and what to do, in words a
district officer understands; the command line prints it without a traceback.
"""

from __future__ import annotations


class GeoplotsError(Exception):
    """An error caused by input or set-up, with a message that says what to fix."""


class BoundaryFileError(GeoplotsError):
    """A boundary file could not be read or is not an administrative boundary file."""


class NoBoundariesError(GeoplotsError):
    """No boundaries have been imported into the data directory yet."""


class UnknownLevelError(GeoplotsError, ValueError):
    """A level name other than province, district or sub-district."""


class FileContentError(GeoplotsError):
    """A file whose content is not what its name says, or that would make a reader open
    something else (another file, a URL, a live database).
    """


class InputTooLargeError(GeoplotsError):
    """A file over a limit set for reading it: rows, cells, or bytes once unpacked."""


class TooManyRowsError(InputTooLargeError):
    """More rows than ``max_rows``; reading stopped at the first row over the limit.

    Examples
    --------
    >>> TooManyRowsError("pins.csv has more than 10 rows.", max_rows=10).max_rows
    10
    """

    def __init__(self, message: str, *, max_rows: int) -> None:
        super().__init__(message)
        self.max_rows = max_rows
