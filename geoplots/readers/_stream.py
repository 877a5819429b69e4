"""Reading a file chunk by chunk: :func:`iter_records`, the national household file in bounded memory."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from functools import partial
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplots.boundaries import Boundaries
from geoplots.readers._chunks import ChunkContext
from geoplots.readers._files import column_cells, iter_table
from geoplots.readers._normalize import normalize_records
from geoplots.readers._spatial import infer_kind
from geoplots.records import Records, concat_rejects

#: Rows per chunk by default: about 600 MB while an 8-column chunk is read, located and counted.
CHUNK_ROWS = 250_000
#: Options that choose how the file is read, not how its columns are understood.
FILE_OPTIONS = ("sheet", "layer", "max_rows", "max_unpacked_bytes")


def iter_records(
    path: str | os.PathLike[str], kind: str | None = None, *, boundaries: Boundaries | None = None,
    chunk_rows: int = CHUNK_ROWS, **column_options: Any,
) -> Iterator[Records]:
    """Read a file of field records chunk by chunk, each chunk normalised as :func:`read_records` would.

    The national household survey (จปฐ., about 12.8 million rows) does not fit in memory
    as one table; its chunks do. Row numbers are the file's (header = row 1) across
    chunks, an ID seen in an earlier chunk makes a later row ``duplicate_id``, and yes/no
    answers are paired over the whole column: concatenated, the chunks are the records
    :func:`read_records` returns (:func:`concat_records`), so over the whole file rows
    read = accepted + rejected.

    Parameters
    ----------
    path : path
        As :func:`read_records`: a CSV is streamed (pyarrow's streaming CSV reader), an
        XLSX read row by row; GeoJSON, GeoPackage and KML are read whole, then cut.
    kind : {"pins", "plots", "households"}, optional
        As :func:`read_records` (decided on the first chunk when not given).
    boundaries : geoplots.Boundaries, optional
        Whose national outline decides what is "in Thailand".
    chunk_rows : int, default 250,000
        Rows per chunk (the last may be shorter; blank rows at a chunk's end move on to
        the next chunk, or are dropped at the end of the file).
    **column_options
        As :func:`read_records`.

    Yields
    ------
    geoplots.records.Records
        One per chunk (at least one, maybe empty), ``rows_read`` that chunk's rows.

    Raises
    ------
    GeoplotsError
        As :func:`read_records`, raised when the chunk at fault is reached.

    Examples
    --------
    >>> import geoplots
    >>> total = 0
    >>> for chunk in geoplots.iter_records("households.csv", "households", chunk_rows=100_000):  # doctest: +SKIP
    ...     total += len(chunk.accepted)
    """
    file_options = {k: column_options.pop(k) for k in FILE_OPTIONS if k in column_options}
    context = ChunkContext(column_values=partial(column_cells, path, **file_options))
    for frame in iter_table(path, chunk_rows=chunk_rows, **file_options):
        if kind is None:
            kind, note = infer_kind(frame)
        else:
            note = None
        records = normalize_records(frame, kind=kind, boundaries=boundaries, chunk=context, **column_options)
        if note:
            records.notes["kind"] = note
        context.first_row += len(frame)
        yield records


def concat_records(chunks: Iterable[Records]) -> Records:
    """The chunks of :func:`iter_records` as one :class:`Records` (what :func:`read_records` gives).

    Notes of the chunks are merged: the yes/no answers taken as yes and as no in the
    order they first appear.
    """
    parts = list(chunks)
    if not parts:
        raise ValueError("concat_records needs at least one chunk")
    accepted = _concat([p.accepted for p in parts])
    rejects = concat_rejects([p.rejects for p in parts])
    return Records(accepted=gpd.GeoDataFrame(accepted, geometry="geometry", crs=4326), rejects=rejects,
                   rows_read=sum(p.rows_read for p in parts), kind=parts[0].kind, notes=merge_notes(p.notes for p in parts))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames one after the other; empty ones left out (their columns may have no dtype yet)."""
    full = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(full, ignore_index=True) if len(full) > 1 else full[0].reset_index(drop=True)


def merge_notes(notes: Iterable[dict]) -> dict:
    """The notes of several chunks as one: yes/no answers listed once, in order of appearance."""
    merged: dict[str, Any] = {}
    for note in notes:
        for key, value in note.items():
            if key != "yes_no":
                merged.setdefault(key, value)
                continue
            columns = merged.setdefault("yes_no", {})
            for column, taken in value.items():
                have = columns.setdefault(column, {"yes": [], "no": []})
                for side in ("yes", "no"):
                    have[side] = list(dict.fromkeys(have[side] + taken[side]))
    return merged
