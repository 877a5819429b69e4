"""Locate a dask-geopandas frame partition by partition: national batches out of core.

:func:`geoplots.locate` sends a ``dask_geopandas.GeoDataFrame`` (for example a
partitioned GeoParquet data set of the national household survey, จปฐ.) here. Every
partition goes through the same :func:`~geoplots.locating.locate_partition` as an
in-memory frame, with the same lookup index, built once on the client and sent once to
each Dask worker (``Client.scatter(..., broadcast=True)``), never once per partition.
Nothing is computed until the result is written or counted, so a batch larger than the
memory of any one machine runs on a Dask cluster unchanged.

Examples
--------
>>> import dask_geopandas, geoplots
>>> frame = dask_geopandas.read_parquet("households/")  # doctest: +SKIP
>>> located = geoplots.locate(frame)  # doctest: +SKIP
>>> located.to_parquet("located/", rejects="rejects/")  # doctest: +SKIP
{'rows_read': 12800000, 'accepted': 12799412, 'rejected': 588}
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplots.errors import GeoplotsError
from geoplots.groups import GroupingScheme
from geoplots.locating._index import SubdistrictIndex
from geoplots.records import Records

if TYPE_CHECKING:
    from geoplots.boundaries import Boundaries

__all__ = ["DaskRecords", "is_dask", "locate_dask"]

_REJECT_COLUMNS = ["reject_reason", "reject_detail"]


def is_dask(obj: object) -> bool:
    """True for a dask (or dask-geopandas) DataFrame, without importing dask.

    Examples
    --------
    >>> is_dask(pd.DataFrame())
    False
    """
    return type(obj).__module__.split(".")[0] in ("dask", "dask_geopandas")


@dataclass
class DaskRecords:
    """Lazy :class:`~geoplots.records.Records` of a dask-geopandas frame.

    Attributes
    ----------
    located : dask_geopandas.GeoDataFrame
        Every input row, located or marked with ``reject_reason`` / ``reject_detail``
        (the output of :func:`~geoplots.locating.locate_partition`, per partition).
    added : list of str
        Columns locate added (the rejects table keeps only the original fields).
    kind : str
        ``pins`` or ``plots``.

    Use :meth:`to_parquet` to write the accepted rows and the rejects in one pass over
    the data, :meth:`summary` to count, :meth:`compute` for an in-memory
    :class:`~geoplots.records.Records` of a batch small enough for one machine.
    """

    located: Any
    added: list[str]
    kind: str = "pins"

    @property
    def accepted(self):
        """Located rows (lazy dask-geopandas frame), with the columns of ``Records.accepted``."""
        ok = self.located[self.located["reject_reason"].isna()]
        return ok.drop(columns=_REJECT_COLUMNS)

    @property
    def rejects(self):
        """Rows that could not be placed (lazy dask frame): ``row``, ``reason``,
        ``message`` (Thai and English), then the original fields.
        """
        meta = _rejects_meta(self.located._meta, self.added)
        return self.located.map_partitions(_partition_rejects, self.added, meta, meta=meta)

    def _counts(self):
        # One tiny row per partition, summed on the client: no shuffle, one pass.
        from geoplots.locating._partition import REJECT_VALUES

        columns = ["rows", "accepted", *REJECT_VALUES]
        meta = pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
        return self.located.map_partitions(_partition_counts, columns, meta=meta)

    def summary(self) -> dict:
        """Rows read, accepted, rejected and rejected by reason (one pass over the data)."""
        import dask

        (counts,) = dask.compute(self._counts())
        return _summary(counts)

    def to_parquet(self, path: str | os.PathLike[str], *, rejects: str | os.PathLike[str] | None = None) -> dict:
        """Write accepted rows as partitioned GeoParquet to ``path`` (and the rejects as
        Parquet to ``rejects``) in one pass; return :meth:`summary`.

        Without ``rejects`` the rejected rows are still counted, never silently dropped.
        """
        import dask

        tasks = [self.accepted.to_parquet(os.fspath(path), compute=False, write_index=False)]
        if rejects is not None:
            tasks.append(self.rejects.to_parquet(os.fspath(rejects), compute=False, write_index=False))
        counts, *_ = dask.compute(self._counts(), *tasks)
        return _summary(counts)

    def compute(self) -> Records:
        """Return an in-memory :class:`~geoplots.records.Records` (small batches only)."""
        import dask

        accepted, rejects = dask.compute(self.accepted, self.rejects)
        return Records(
            accepted=accepted.reset_index(drop=True),
            rejects=rejects.reset_index(drop=True),
            rows_read=len(accepted) + len(rejects),
            kind=self.kind,
        )


def locate_dask(
    frame: Any,
    *,
    tolerance_m: float = 1000.0,
    schemes: Sequence[str | GroupingScheme] = ("inspection_zone",),
    boundaries: Boundaries | None = None,
) -> DaskRecords:
    """Locate a dask-geopandas frame partition by partition; see :func:`geoplots.locate`.

    Rows are numbered from 2 across the whole frame (as one long spreadsheet) unless it
    has a ``row`` column; that costs one light pass over one column to learn the
    partition lengths. The workers are sent the lookup index and the resolved grouping
    schemes, never the :class:`~geoplots.Boundaries`: they need no boundary files.
    """
    import dask_geopandas

    from geoplots.boundaries import resolve_boundaries
    from geoplots.locating import LOCATED_COLUMNS, _has_polygons
    from geoplots.locating._partition import locate_partition

    if not isinstance(frame, dask_geopandas.GeoDataFrame):
        raise GeoplotsError(
            f"locate() takes a dask-geopandas GeoDataFrame for out-of-core batches, not {type(frame).__name__}; "
            "read the data with dask_geopandas.read_parquet."
        )
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    if "row" not in frame.columns:
        frame = _numbered(frame)
    source = resolve_boundaries(boundaries)
    index = _one_thread(source.index)
    schemes = source.schemes(schemes)
    meta = locate_partition(frame._meta, index=index, tolerance_m=tolerance_m, schemes=schemes)
    located = frame.map_partitions(
        locate_partition, index=_broadcast(index), tolerance_m=tolerance_m, schemes=schemes, meta=meta,
    )
    added = [c for c in meta.columns if c not in frame.columns or c in LOCATED_COLUMNS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "insufficient elements for head" is fine here
        first = frame.head(1000, npartitions=1, compute=True)
    kind = "plots" if _has_polygons(first) else "pins"
    return DaskRecords(located=located, added=added, kind=kind)


class OneThreadIndex(SubdistrictIndex):
    """The lookup index, answering each partition on the calling thread.

    Dask already runs one partition per worker thread; the lookup's own thread pool on
    top would oversubscribe the cores.
    """

    def lookup(self, x: np.ndarray, y: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        return super().lookup(x, y, threads=1)


def _one_thread(index: SubdistrictIndex) -> OneThreadIndex:
    return OneThreadIndex(**{f.name: getattr(index, f.name) for f in fields(index)})


def _broadcast(value: Any) -> Any:
    """Send ``value`` once to every worker of the current Dask cluster; partitions then
    refer to that one copy. Without a distributed client the scheduler runs in this
    process and the object itself is shared.
    """
    try:
        from distributed import get_client

        client = get_client()
    except (ImportError, ValueError):
        return value
    # hash=True: locating again with the same index reuses the copy already on the workers.
    return client.scatter(value, broadcast=True, hash=True)


def _numbered(frame: Any) -> Any:
    """Add ``row`` (2, 3, ... across partitions) from the partition lengths."""
    # The cheapest column to read: a numeric one if there is one.
    plain = [c for c in frame.columns if c != frame.geometry.name]
    numeric = [c for c in plain if pd.api.types.is_numeric_dtype(frame._meta[c])]
    probe = (numeric or plain or [frame.geometry.name])[0]
    lengths = np.asarray(frame[probe].map_partitions(len).compute(), dtype=np.int64)
    starts = 2 + np.concatenate([[0], np.cumsum(lengths)[:-1]])
    meta = frame._meta.assign(row=pd.Series(dtype="int64"))
    return frame.map_partitions(_add_rows, starts, meta=meta)


def _add_rows(part: pd.DataFrame, starts: np.ndarray, partition_info: dict | None = None) -> pd.DataFrame:
    start = int(starts[partition_info["number"]]) if partition_info else 2
    return part.assign(row=np.arange(start, start + len(part), dtype=np.int64))


def _partition_rejects(part: gpd.GeoDataFrame, added: list[str], meta: pd.DataFrame) -> pd.DataFrame:
    from geoplots.locating import _rejects

    lost = part[part["reject_reason"].notna()]
    if not len(lost):
        return meta.iloc[:0]
    out = _rejects(lost, added)
    return out[list(meta.columns)].astype(meta.dtypes.to_dict())


def _rejects_meta(located_meta: gpd.GeoDataFrame, added: list[str]) -> pd.DataFrame:
    """The columns and dtypes of a rejects partition (from a fake one-row partition)."""
    from dask.dataframe.utils import meta_nonempty

    from geoplots.locating import _rejects

    fake = meta_nonempty(located_meta).iloc[:1].copy()
    fake["reject_reason"] = pd.array(["outside_boundaries"], dtype="string")
    fake["reject_detail"] = pd.array([""], dtype="string")
    out = _rejects(fake, added).iloc[:0]
    out["row"] = out["row"].astype("int64")
    for column in ("reason", "message"):
        out[column] = out[column].astype("string")
    return out


def _partition_counts(part: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    reason = part["reject_reason"].astype("string")
    row = {"rows": len(part), "accepted": int(reason.isna().sum())}
    row.update({c: int((reason == c).sum()) for c in columns[2:]})
    return pd.DataFrame([row], columns=columns).astype("int64")


def _summary(counts: pd.DataFrame) -> dict:
    total = counts.fillna(0).astype("int64").sum()
    rows, accepted = int(total.pop("rows")), int(total.pop("accepted"))
    return {
        "rows_read": rows,
        "accepted": accepted,
        "rejected": rows - accepted,
        "rejected_by_reason": {str(k): int(v) for k, v in sorted(total.items()) if v},
    }
