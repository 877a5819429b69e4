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
