"""What one chunk of a file needs to know about the chunks before it.

:func:`geoplots.readers.iter_records` normalises a file chunk by chunk; three rules look
beyond one row and so across chunks:

* row numbers (the spreadsheet's, header = row 1) continue from the previous chunk;
* a record ID seen in an earlier chunk makes a later row a ``duplicate_id`` naming the
  row it was first seen on (:class:`SeenIds`, a compact table of 2 x 64-bit hashes and a
  row number per accepted ID: 24 bytes an ID, the one part of the state that grows
  with the file);
* a yes/no answer ``X`` is read as yes when ``ไม่X`` appears anywhere in the column
  (ปลูกผัก / ไม่ปลูกผัก): when a chunk holds such an answer, the column's distinct values
  are collected over the whole file once (a pre-pass), so every chunk decides as the
  whole-file reader would.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geoplots.readers._yesno import context_free

#: Hash keys of the two independent 64-bit hashes of an ID (16 bytes each, as pandas wants).
_KEYS = ("geoplots-ids-one", "geoplots-ids-two")


class SeenIds:
    """IDs accepted in earlier chunks and the row each was first seen on.

    Kept as sorted arrays of two independent 64-bit hashes (a false match needs both to
    collide: about 1 in 10^24 for 12.8 million IDs) rather than the strings, so 12.8
    million IDs take about 300 MB instead of several GB of Python strings.

    Examples
    --------
    >>> seen = SeenIds()
    >>> seen.add(seen.hashes(np.array(["A", "B"], dtype=object)), np.array([2, 3]))
    >>> seen.first_rows(seen.hashes(np.array(["B", "C"], dtype=object))).tolist()
    [3, 0]
    """

    def __init__(self) -> None:
        self._one = np.empty(0, dtype=np.uint64)
        self._two = np.empty(0, dtype=np.uint64)
        self._row = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._one)

    @staticmethod
    def hashes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The two hashes of each key (made once per row, used to look up then to add)."""
        values = np.asarray(keys, dtype=object)
        return (pd.util.hash_array(values, hash_key=_KEYS[0], categorize=False),
                pd.util.hash_array(values, hash_key=_KEYS[1], categorize=False))

    def first_rows(self, hashes: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        """The row each key (by its :meth:`hashes`) was first seen on, 0 for keys not seen before."""
        one, two = hashes
        out = np.zeros(len(one), dtype=np.int64)
        if not len(one) or not len(self._one):
            return out
        at = np.searchsorted(self._one, one)
        inside = at < len(self._one)
        hit = np.zeros(len(one), dtype=bool)
        hit[inside] = (self._one[at[inside]] == one[inside]) & (self._two[at[inside]] == two[inside])
        out[hit] = self._row[at[hit]]
        return out

    def add(self, hashes: tuple[np.ndarray, np.ndarray], rows: np.ndarray) -> None:
        """Remember keys (by their :meth:`hashes`; not seen before, distinct) first seen on ``rows``."""
        one, two = hashes
        if not len(one):
            return
        order = np.argsort(one, kind="stable")  # the new keys only; then one insertion pass
        at = np.searchsorted(self._one, one[order])
        # np.insert makes each new array once: the peak is the old table and the new one,
        # not the several table-sized temporaries a sort of everything needs.
        self._one = np.insert(self._one, at, one[order])
        self._two = np.insert(self._two, at, two[order])
        self._row = np.insert(self._row, at, np.asarray(rows, dtype=np.int64)[order])


@dataclass
class ChunkContext:
    """The state carried from chunk to chunk by :func:`geoplots.readers.iter_records`.

    Attributes
    ----------
    first_row : int
        Spreadsheet row number of the chunk's first row (header = row 1).
    ids : SeenIds
        IDs accepted in earlier chunks.
    column_values : callable, optional
        ``column_values(column)`` -> every cell of that column in the whole file (an
        iterable, read again from the file): the pre-pass for yes/no pairs.
    """

    first_row: int = 2
    ids: SeenIds = field(default_factory=SeenIds)
    column_values: Callable[[Any], Iterable[Any]] | None = None
    _whole: dict[str, frozenset[str]] = field(default_factory=dict)

    def yes_no_keys(self, column: Any, keys: Collection[str], key: Callable[[Any], str]) -> Collection[str]:
        """The answers (as ``key`` normalises them) to pair the chunk's ``keys`` against:
        the chunk's own when each of them reads the same whatever else the column holds,
        else every distinct answer of the column in the whole file.
        """
        if all(context_free(k) for k in keys) or self.column_values is None:
            return keys
        name = str(column)
        if name not in self._whole:
            self._whole[name] = frozenset(key(v) for v in set(self.column_values(column)))
        return self._whole[name] | set(keys)
