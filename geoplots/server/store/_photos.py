"""The photos table of both stores (รูปถ่ายประกอบรายงาน): one set of queries, two drivers.

Mixed into :class:`~geoplots.server.store.sqlite.SQLiteStore` and
:class:`~geoplots.server.store.postgis.PostGISStore`; each gives :meth:`_photo_run`, which
runs one statement (``?`` placeholders) on its own connection. A photo's zone is read
from its record on every read, so a record moved to another zone by a resend takes its
photos with it.
"""

from __future__ import annotations

from typing import Any

from geoplots.server.store.base import PHOTO_COLUMNS, Kind, PhotoRow

_SELECT = ", ".join(f"p.{c}" for c in PHOTO_COLUMNS)
_FROM = "FROM photos p LEFT JOIN records r ON r.id = p.record"


def _row(values: tuple) -> PhotoRow:
    return PhotoRow(*values)


class PhotoQueries:
    """:class:`~geoplots.server.store.base.Store`'s photo methods on a SQL connection."""

    def _photo_run(self, sql: str, params: list[Any], *, many: list[list[Any]] | None = None) -> list[tuple]:
        raise NotImplementedError

    def add_photos(self, photos: list[PhotoRow]) -> list[str]:
        """Store photo rows in one transaction; a photo already stored is kept (see Store)."""
        if not photos:
            return []
        marks = ", ".join("?" * len(PHOTO_COLUMNS))
        sql = (f"INSERT INTO photos ({', '.join(PHOTO_COLUMNS)}) VALUES ({marks}) "
               "ON CONFLICT DO NOTHING RETURNING id")
        rows = [[getattr(p, c) for c in PHOTO_COLUMNS] for p in photos]
        return [r[0] for r in self._photo_run(sql, [], many=rows)]

    def photo(self, photo_id: str) -> PhotoRow | None:
        """Return the photo with this id, with its record's zone, or None."""
        found = self._photo_run(f"SELECT {_SELECT}, r.inspection_zone {_FROM} WHERE p.id = ?", [photo_id])
        return _row(found[0]) if found else None

    def photo_ids_of(self, kind: Kind, record_id: str) -> list[str]:
        """Return the ids of the photos of record ``(kind, record_id)``, oldest first."""
        found = self._photo_run(
            "SELECT id FROM photos WHERE kind = ? AND record_id = ? ORDER BY received_at, id", [kind, record_id]
        )
        return [r[0] for r in found]

    def unit_photos(self, code: str, *, zone: str | None = None, limit: int = 200) -> list[tuple[PhotoRow, str | None]]:
        """Return the newest photos of records in unit ``code``, each with its record's name."""
        where = "(r.subdistrict_code = ? OR r.district_code = ? OR r.province_code = ?)"
        params: list[Any] = [code, code, code]
        if zone is not None:
            where += " AND r.inspection_zone = ?"
            params.append(zone)
        found = self._photo_run(
            f"SELECT {_SELECT}, r.inspection_zone, r.name {_FROM} WHERE {where} "
            "ORDER BY p.received_at DESC, p.id LIMIT ?", [*params, int(limit)],
        )
        return [(_row(r[:-1]), r[-1]) for r in found]
