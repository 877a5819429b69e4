"""A two-level grid that answers "which sub-district (ตำบล) is this point in?" fast.

A plain spatial join tests every point against polygons with GEOS. Most points lie far
from any border, so here the answer for them is precomputed:

* level 0: a grid of 1/64 degree cells (about 1.7 km). A cell that no sub-district
  border crosses lies wholly inside one sub-district (or wholly outside all of them);
  its value is that sub-district, answered by array indexing.
* level 1: each level-0 cell that a border crosses is split into 16 x 16 cells (about
  110 m), classified the same way.
* only points in a level-1 cell that a border crosses get an exact point-in-polygon
  test (``shapely.contains_xy``) against the few sub-districts whose border passes
  through that level-0 cell.

Cells are half-open (``[x0 + i*c, x0 + (i+1)*c)``) and a cell is marked as crossed
whenever any piece of any boundary ring falls in it, computed from the rings densified
to half a cell, so the classification is conservative: a cell is never answered from
the grid unless no border passes through it. Exact tests use the same "strictly
inside" rule as ``geopandas.sjoin(predicate="within")``, so the answers are the same.

The built index is a handful of numpy arrays; it belongs to the
:class:`~geoplots.Boundaries` snapshot (:attr:`~geoplots.Boundaries.index`) and is
saved as ``locate_index.npz`` beside the snapshot when that folder is writable, so it
is built once per boundary import.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from geoplots._prepared import PREPARED_LOCK

#: Bump when the layout of the saved arrays changes, so stale caches are rebuilt.
INDEX_VERSION = 1
_CELL0 = 1.0 / 64.0
_SPLIT = 16
_SHIFT = 4  # log2(_SPLIT): level-0 cell of a level-1 cell by a shift
_CELL1 = _CELL0 / _SPLIT
OUTSIDE = -1
_EXACT = -2  # level-1 value: a border crosses this cell, test exactly
_POLY_BITS = 16  # sub-district positions are packed into the low bits of int64 keys
_POLY_MASK = (1 << _POLY_BITS) - 1


@dataclass
class SubdistrictIndex:
    """Grid lookup from (lon, lat) to the position of a sub-district in ``codes``.

    Build with :meth:`build`; answer with :meth:`lookup`. ``geoms`` and ``codes`` are
    the sub-district polygons and codes in the order the answers refer to.
    """

    codes: np.ndarray  # (n,) str
    geoms: np.ndarray  # (n,) shapely polygons, prepared
    x0: float
    y0: float
    nx: int
    ny: int
    top: np.ndarray  # (ny, nx) int32: >=0 sub-district, -1 outside, <=-2 block -2-b
    fine: np.ndarray  # (nblocks, 16, 16) int16: >=0 sub-district, -1 outside, -2 exact
    cand_start: np.ndarray  # (nblocks + 1,) int64 CSR offsets into cand
    cand: np.ndarray  # int32 sub-district positions whose border crosses each block
    build_seconds: float = 0.0

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree of the polygons, for the few points that need the nearest one."""
        # Kept outside the dataclass fields so building it lazily does not change the
        # index's identity for dask (which tokenizes dataclasses by their fields).
        tree = self.__dict__.get("_tree")
        if tree is None:
            tree = self.__dict__["_tree"] = shapely.STRtree(self.geoms)
        return tree

    @property
    def code_tables(self) -> dict:
        """Room for the code roll-up tables built from this index (see
        :func:`~geoplots.locating.locate_partition`), kept as long as the index is.
        """
        return self.__dict__.setdefault("_code_tables", {})

    def __getstate__(self) -> dict:
        # Sent to dask workers: the tree and the tables are rebuilt there on first use.
        state = dict(self.__dict__)
        state.pop("_tree", None)
        state.pop("_code_tables", None)
        state.pop("_near_masks", None)
        return state

    # -- building -----------------------------------------------------------------
    @classmethod
    def build(cls, codes: np.ndarray, geoms: np.ndarray) -> SubdistrictIndex:
        """Build the grid for polygons ``geoms`` labelled ``codes``.

        Examples
        --------
        >>> sub = geoplots.Boundaries.load().level("subdistrict")  # doctest: +SKIP
        >>> index = SubdistrictIndex.build(sub["code"].to_numpy(), sub.geometry.to_numpy())  # doctest: +SKIP
        """
        import time

        started = time.perf_counter()
        geoms = np.asarray(geoms, dtype=object)
        if len(geoms) > _POLY_MASK:
            raise ValueError(f"at most {_POLY_MASK} polygons are supported, got {len(geoms)}")
        shapely.prepare(geoms)
        xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
        # Snap the origin to the level-0 grid, with one spare cell all round.
        x0 = np.floor(xmin / _CELL0) * _CELL0 - _CELL0
        y0 = np.floor(ymin / _CELL0) * _CELL0 - _CELL0
        nx = int(np.ceil((xmax - x0) / _CELL0)) + 2
        ny = int(np.ceil((ymax - y0) / _CELL0)) + 2
        nx1 = nx * _SPLIT

        cell_poly = _border_cells(geoms, x0, y0, nx1)  # (m, 2): fine cell id, polygon
        fine_cell = cell_poly[:, 0]
        fy, fx = np.divmod(fine_cell, nx1)
        block_of = (fy // _SPLIT) * nx + (fx // _SPLIT)

        # Level-0 cells crossed by a border become blocks; candidates per block.
        block_ids = _sorted_unique(block_of)
        block_pos = np.searchsorted(block_ids, block_of)
        pairs = _sorted_unique((block_pos.astype(np.int64) << _POLY_BITS) | cell_poly[:, 1])
        pair_block = pairs >> _POLY_BITS
        cand_start = np.searchsorted(pair_block, np.arange(len(block_ids) + 1)).astype(np.int64)
        cand = (pairs & _POLY_MASK).astype(np.int32)

        top = np.full(ny * nx, OUTSIDE, dtype=np.int32)
        top[block_ids] = -2 - np.arange(len(block_ids), dtype=np.int32)
        # Level-0 cells without a border: the sub-district holding the cell centre.
        clear = np.flatnonzero(top == OUTSIDE)
        cy, cx = np.divmod(clear, nx)
        top[clear] = _containing(geoms, x0 + (cx + 0.5) * _CELL0, y0 + (cy + 0.5) * _CELL0)

        fine = np.zeros((len(block_ids), _SPLIT, _SPLIT), dtype=np.int16)
        fine_exact = np.zeros(fine.shape, dtype=bool)
        local = (fy % _SPLIT) * _SPLIT + (fx % _SPLIT)
        fine_exact.reshape(len(block_ids), -1)[block_pos, local] = True
        fine[fine_exact] = _EXACT
        _fill_clear_runs(fine, fine_exact, block_ids, nx, x0, y0, geoms, cand_start, cand)
        cand = _order_candidates(fine, cand_start, cand)

        index = cls(
            codes=np.asarray(codes).astype(str),
            geoms=geoms,
            x0=float(x0),
            y0=float(y0),
            nx=nx,
            ny=ny,
            top=top.reshape(ny, nx),
            fine=fine,
            cand_start=cand_start,
            cand=cand,
        )
        index.build_seconds = time.perf_counter() - started
        return index

    # -- answering ----------------------------------------------------------------
    def lookup(self, x: np.ndarray, y: np.ndarray, *, threads: int | None = None) -> np.ndarray:
        """Return the position in ``codes`` of the sub-district strictly containing each
        point, or -1 for a point in none (NaN coordinates give -1 too).

        The grid answers most points by array indexing. The exact tests for points near a
        border run under :data:`geoplots._prepared.PREPARED_LOCK` and are split over
        ``threads`` (default: the number of CPUs, at most 4) by polygon, never by point,
        because a prepared GEOS polygon must not be queried by two threads at once.
        """
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        threads = threads or min(os.cpu_count() or 1, 4)
        if threads <= 1 or len(x) < 200_000:
            return self._lookup(x, y, None)
        with ThreadPoolExecutor(threads) as pool:
            return self._lookup(x, y, (pool, threads))

    def _lookup(self, x: np.ndarray, y: np.ndarray, pool: tuple[ThreadPoolExecutor, int] | None) -> np.ndarray:
        nx1, ny1 = self.nx * _SPLIT, self.ny * _SPLIT
        # Truncation equals floor for x >= x0; points a little left of the origin land
        # in cell 0, which is in the empty margin and so answers "outside" correctly.
        with np.errstate(invalid="ignore"):
            fx = ((x - self.x0) * (1.0 / _CELL1)).astype(np.int32)
            fy = ((y - self.y0) * (1.0 / _CELL1)).astype(np.int32)
        # One unsigned comparison rejects negatives, NaN (INT_MIN) and points past the end.
        ok = (fx.view(np.uint32) < nx1) & (fy.view(np.uint32) < ny1)
        everywhere = bool(ok.all())
        if not everywhere:
            fx, fy = np.where(ok, fx, 0), np.where(ok, fy, 0)
        value = self._top_flat[(fy >> _SHIFT) * self.nx + (fx >> _SHIFT)]
        in_block = np.flatnonzero(value <= -2)
        block = -2 - value[in_block]
        local = (fy[in_block] & (_SPLIT - 1)) * _SPLIT + (fx[in_block] & (_SPLIT - 1))
        value[in_block] = self._fine_flat[block * (_SPLIT * _SPLIT) + local]
        if not everywhere:
            value[~ok] = OUTSIDE
        exact = value[in_block] == _EXACT
        if exact.any():
            pts = in_block[exact]
            with PREPARED_LOCK:
                shapely.prepare(self.geoms)  # no-op once prepared; needed after unpickling
                value[pts] = _first_containing(
                    self.geoms, self.cand_start, self.cand, block[exact], x[pts], y[pts], pool
                )
        return value

    def maybe_near(self, x: np.ndarray, y: np.ndarray, distance_deg: float) -> np.ndarray:
        """False where a point is certainly more than ``distance_deg`` degrees from every
        sub-district (all level-0 cells around it are outside), True where it may not be.

        Lets the nearest-sub-district search skip noise far from land in one array step.
        """
        k = int(np.ceil(distance_deg / _CELL0)) + 1  # +1: the point may lie anywhere in its cell
        near = self._near_mask(k)
        with np.errstate(invalid="ignore"):
            cx = np.floor((x - self.x0) / _CELL0)
            cy = np.floor((y - self.y0) / _CELL0)
        on_grid = np.isfinite(cx) & np.isfinite(cy) & (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        out = np.ones(len(x), dtype=bool)  # off the grid: let the exact search decide
        out[on_grid] = near[cy[on_grid].astype(np.intp), cx[on_grid].astype(np.intp)]
        return out

    def _near_mask(self, k: int) -> np.ndarray:
        """Level-0 cells with land within ``k`` cells; made once per ``k`` (per tolerance)."""
        masks = self.__dict__.setdefault("_near_masks", {})
        if k not in masks:
            land = (self.top != OUTSIDE).astype(np.int32)
            # Box sum over (2k+1) x (2k+1) cells by an integral image: any land nearby.
            padded = np.pad(land, k + 1)
            integral = padded.cumsum(0).cumsum(1)
            size = 2 * k + 1
            box = integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size] + integral[:-size, :-size]
            masks[k] = box[: self.ny, : self.nx] > 0
        return masks[k]

    @property
    def _top_flat(self) -> np.ndarray:
        return self.top.reshape(-1)

    @property
    def _fine_flat(self) -> np.ndarray:
        return self.fine.reshape(-1)

    # -- caching ------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the arrays (not the polygons) to ``path`` (.npz)."""
        tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(
            tmp,
            version=INDEX_VERSION,
            codes=self.codes,
            grid=np.array([self.x0, self.y0, self.nx, self.ny, self.build_seconds]),
            top=self.top,
            fine=self.fine,
            cand_start=self.cand_start,
            cand=self.cand,
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, codes: np.ndarray, geoms: np.ndarray) -> SubdistrictIndex | None:
        """Read an index saved by :meth:`save`, or None if it is stale or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                if int(saved["version"]) != INDEX_VERSION or not np.array_equal(saved["codes"], np.asarray(codes).astype(str)):
                    return None
                x0, y0, nx, ny, seconds = saved["grid"]
                geoms = np.asarray(geoms, dtype=object)
                return cls(
                    codes=saved["codes"],
                    geoms=geoms,
                    x0=float(x0),
                    y0=float(y0),
                    nx=int(nx),
                    ny=int(ny),
                    top=saved["top"],
                    fine=saved["fine"],
                    cand_start=saved["cand_start"],
                    cand=saved["cand"],
                    build_seconds=float(seconds),
                )
        except (OSError, ValueError, KeyError):
            return None

    def stats(self) -> dict:
        """Cell counts and memory of the grid, for the benchmark report."""
        return {
            "level0_cells": int(self.top.size),
            "level0_crossed": int(len(self.fine)),
            "level1_cells": int(self.fine.size),
            "level1_crossed": int((self.fine == _EXACT).sum()),
            "megabytes": round((self.top.nbytes + self.fine.nbytes + self.cand.nbytes) / 1e6, 1),
            "build_seconds": round(self.build_seconds, 2),
        }


def _border_cells(geoms: np.ndarray, x0: float, y0: float, nx1: int) -> np.ndarray:
    """Return unique (fine cell id, polygon position) pairs for every fine cell that a
    polygon's boundary passes through (a superset: all four cells around each piece).
    """
    rings = shapely.get_parts(shapely.boundary(geoms), return_index=True)
    parts, owner = rings
    # Pieces no longer than half a cell: each spans at most a 2 x 2 group of cells.
    parts = shapely.segmentize(parts, _CELL1 / 2)
    coords, part_of = shapely.get_coordinates(parts, return_index=True)
    ix = np.floor((coords[:, 0] - x0) / _CELL1).astype(np.int64)
    iy = np.floor((coords[:, 1] - y0) / _CELL1).astype(np.int64)
    same = part_of[1:] == part_of[:-1]
    a = np.flatnonzero(same)
    b = a + 1
    poly = owner[part_of[a]]
    cells = np.concatenate(
        [iy[a] * nx1 + ix[a], iy[b] * nx1 + ix[b], iy[a] * nx1 + ix[b], iy[b] * nx1 + ix[a]]
    )
    # One int64 key per pair (np.unique on rows is many times slower); neighbouring
    # pieces mostly share a cell, so drop repeats in sequence before the big sort.
    keys = (cells << _POLY_BITS) | np.tile(poly, 4).astype(np.int64)
    keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
    keys = _sorted_unique(keys)
    return np.stack([keys >> _POLY_BITS, keys & _POLY_MASK], axis=1)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])]


def _containing(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Position of the polygon strictly containing each point, -1 if none (build time)."""
    tree = shapely.STRtree(geoms)
    pts = shapely.points(x, y)
    i, j = tree.query(pts, predicate="within")
    out = np.full(len(x), OUTSIDE, dtype=np.int32)
    out[i] = j
    return out


def _first_containing(geoms, cand_start, cand, blocks, x, y, pool=None) -> np.ndarray:
    """Test each point against its block's candidates in turn; return the one that
    contains it, or -1.

    Candidates are ordered with the sub-district covering most of the block first, so
    most points are settled by the first test and only the rest go on to the next.
    """
    out = np.full(len(blocks), OUTSIDE, dtype=np.int32)
    first = cand_start[blocks]
    count = cand_start[blocks + 1] - first
    pending = np.arange(len(blocks))
    k = 0
    while pending.size:
        pending = pending[count[pending] > k]
        if not pending.size:
            break
        poly = cand[first[pending] + k]
        # Grouped by polygon, GEOS keeps one polygon's edge index in cache: 3-4x faster.
        order = np.argsort(poly, kind="stable")
        pending, poly = pending[order], poly[order]
        hit = _contains_by_polygon(geoms, poly, x[pending], y[pending], pool)
        # Sub-districts do not overlap, so the first hit is the only one.
        out[pending[hit]] = poly[hit]
        pending = pending[~hit]
        k += 1
    return out


def _contains_by_polygon(geoms, poly, x, y, pool) -> np.ndarray:
    """``shapely.contains_xy(geoms[poly], x, y)`` for ``poly`` sorted, split over the pool
    at polygon boundaries so that no polygon is queried by two threads at once.
    """
    if pool is None or len(poly) < 50_000:
        return shapely.contains_xy(geoms[poly], x, y)
    executor, threads = pool
    cuts = np.searchsorted(poly, poly[np.linspace(0, len(poly), threads + 1).astype(int)[1:-1]])
    edges = [0, *np.unique(cuts).tolist(), len(poly)]
    parts = [slice(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    results = executor.map(lambda s: shapely.contains_xy(geoms[poly[s]], x[s], y[s]), parts)
    return np.concatenate(list(results))


def _order_candidates(fine, cand_start, cand) -> np.ndarray:
    """Sort each block's candidates by how many of its border-free cells they hold."""
    nb = len(fine)
    # Every other cell each way is plenty to rank a handful of candidates.
    flat = fine[:, ::2, ::2].reshape(nb, -1)
    block = np.repeat(np.arange(nb), flat.shape[1])
    poly = flat.ravel().astype(np.int64)
    keep = poly >= 0
    held, times = np.unique((block[keep] << _POLY_BITS) | poly[keep], return_counts=True)
    owner = np.repeat(np.arange(nb), np.diff(cand_start))
    keys = (owner.astype(np.int64) << _POLY_BITS) | cand
    at = np.minimum(np.searchsorted(held, keys), len(held) - 1)
    score = np.where(held[at] == keys, times[at], 0)
    order = np.lexsort((-score, owner))
    return cand[order]


def _fill_clear_runs(fine, fine_exact, block_ids, nx, x0, y0, geoms, cand_start, cand) -> None:
    """Give every border-free level-1 cell its sub-district.

    Within a row of a block, consecutive border-free cells form a run that lies in one
    sub-district (no border separates them), so one exact test per run suffices.
    """
    nb = len(block_ids)
    rows = fine_exact.reshape(nb * _SPLIT, _SPLIT)
    clear = ~rows
    start = clear.copy()
    start[:, 1:] &= rows[:, :-1]  # a run starts where the left neighbour is crossed
    run_id = np.cumsum(start.ravel()) - 1
    r_row, r_col = np.divmod(np.flatnonzero(start.ravel()), _SPLIT)
    r_block = r_row // _SPLIT
    by, bx = np.divmod(block_ids[r_block], nx)
    cx = x0 + bx * _CELL0 + (r_col + 0.5) * _CELL1
    cy = y0 + by * _CELL0 + ((r_row % _SPLIT) + 0.5) * _CELL1
    value = _first_containing(geoms, cand_start, cand, r_block, cx, cy)
    flat = fine.reshape(-1)
    sel = clear.ravel()
    flat[sel] = value[run_id[sel]].astype(np.int16)
