"""The store interface every backend implements (embedded SQLite, PostGIS).

The server only talks to a :class:`Store`. A backend keeps located field records
(pins โคก หนอง นา, plots, households ปลูกผักสวนครัว) and a change counter
(:meth:`Store.version`) that every committed batch bumps, so cached coverage can be
invalidated without reading the data. API keys (กุญแจ API) live apart, in the store's
:class:`KeyStore` (:attr:`Store.keys`): the records file can be handed out (it opens in
QGIS) without handing out the keys.

Contract for implementers (the shared test suite, ``tests/test_server_store.py``, runs
against every backend):

- :meth:`Store.add_records` stores a whole batch in ONE transaction: either every row
  is durable when it returns, or none is. Every row is a new version of its record in the
  append-only ``record_versions`` (ประวัติ; never updated nor deleted), and ``records``, the
  current view, is brought up to it in the same transaction. A row whose
  ``(kind, record_id)`` is already stored is that record's next version (a resend corrects
  a pin, it never double-counts; the earlier version stays visible ``as_of`` earlier
  days); a resend identical to the current version adds nothing (``BatchResult.unchanged``).
  Rows without ``record_id`` are always new. :meth:`Store.withdraw` adds a tombstone. With ``zone=``, a row may replace only a
  record stored in that zone; otherwise the whole batch is refused (:class:`OutsideZoneError`).
- The version increases by one per committed batch, in the same transaction.
- :meth:`Store.query` takes a :class:`RecordFilter`: bounding box (a record matches when
  its geometry's envelope intersects the box: exact for points, like PostGIS ``&&`` for
  polygons), zone, province and kind; it orders by ``id`` and returns the page with the
  total number matched. Properties come back as columns (dates as ISO strings).
- :meth:`Store.counts_by` answers coverage's counting step with ``GROUP BY`` in the
  database (per unit code; yes/no answers; distinct sub-districts), so coverage never
  loads rows.
- API keys are stored hashed (:func:`hash_key`) in the key store; the secret is shown
  once. ``Store.create_key``/``find_key``/``list_keys``/``revoke_key`` hand over to it.
- :meth:`Store.migrate` is idempotent, creates the schema on first start (records and
  keys), applies the backend's numbered SQL files (``migrations/<backend>/NNNN_*.sql``)
  in order and records each applied one (number, name, time).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Literal, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplots.errors import GeoplotsError
from geoplots.server.events import EventBus, LocalEventBus
from geoplots.server.mvt import TileAddress, frame_tile

Role = Literal["editor", "inspector", "admin"]
ROLES: tuple[Role, ...] = ("editor", "inspector", "admin")

Kind = Literal["pins", "plots", "households"]
KINDS: tuple[Kind, ...] = ("pins", "plots", "households")

#: Columns stored as typed columns. Everything else a located record carries (the
#: original spreadsheet fields, yes/no participation columns...) is kept as JSON in
#: ``properties`` and comes back as columns from :meth:`Store.all_records`.
RECORD_COLUMNS: tuple[str, ...] = (
    "id",  # assigned by the store, stable, the OGC feature id
    "kind",
    "record_id",
    "name",
    "row",  # row number in the batch it arrived in
    "lat",
    "lon",
    "subdistrict_code",
    "district_code",
    "province_code",
    "inspection_zone",
    "match",
    "distance_m",
    "address_mismatch",
    "declared_subdistrict_code",
    "warnings",  # list of "kind: message"
    "batch_id",
    "key_id",
    "received_at",  # UTC ISO 8601
)

#: Columns a located frame must have to be stored.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "lat",
    "lon",
    "subdistrict_code",
    "district_code",
    "province_code",
    "inspection_zone",
    "geometry",
)

KEY_PREFIX = "gp_"

#: Columns a record carries in vector tiles (:meth:`Store.tile`): enough to colour, label
#: and look it up (its feature id is the store id); the rest is one items request away.
TILE_PROPERTIES: tuple[str, ...] = (
    "kind", "record_id", "name", "subdistrict_code", "district_code", "province_code", "inspection_zone", "match",
)


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (never the secret itself).

    Attributes
    ----------
    id : int
    name : str
        Who holds it, e.g. ``"สนง.พช.ขอนแก่น / Khon Kaen office"``.
    role : str
        ``editor`` (sends pins), ``inspector`` (reads), ``admin`` (everything).
    zone : str or None
        Inspection zone (เขตตรวจราชการ) the key is limited to; None = all.
    prefix : str
        First characters of the secret, to tell keys apart in listings.
    created_at : str
        UTC ISO 8601.
    revoked : bool
    """

    id: int
    name: str
    role: Role
    zone: str | None
    prefix: str
    created_at: str
    revoked: bool = False


class SqlPart(Protocol):
    """A piece of SQL a store can use (a filter condition, an ordering), with parameters
    only: built by :mod:`geoplots.server.cql` from allow-listed names.
    """

    def sql(self, dialect: Literal["sqlite", "postgis"]) -> tuple[str, list]:
        """The SQL text for ``dialect`` (records aliased ``r`` in SQLite) and its parameters."""
        ...


@dataclass(frozen=True)
class RecordFilter:
    """Which stored records a question is about (every field optional; all given ones apply).

    Attributes
    ----------
    bbox : (float, float, float, float), optional
        minx, miny, maxx, maxy in lon/lat: records whose geometry's envelope intersects it.
    zone : str, optional
        Inspection zone (เขตตรวจราชการ) the record was stored in.
    province : str, optional
        Province code (จังหวัด), e.g. ``"40"``.
    kind : {"pins", "plots", "households"}, optional
    conditions : tuple of SqlPart
        More conditions, all of which apply (a CQL2 filter, a ``datetime`` range), each
        translated to the store's SQL by :mod:`geoplots.server.cql`.
    order : SqlPart, optional
        The order of the answer (``sortby``); by default by id.

    Examples
    --------
    >>> RecordFilter(zone="12", kind="pins")
    RecordFilter(bbox=None, zone='12', province=None, kind='pins', conditions=(), order=None)
    """

    bbox: tuple[float, float, float, float] | None = None
    zone: str | None = None
    province: str | None = None
    kind: Kind | None = None
    conditions: tuple[SqlPart, ...] = ()
    order: SqlPart | None = None

    def __post_init__(self) -> None:
        if self.bbox is not None:
            object.__setattr__(self, "bbox", tuple(float(v) for v in self.bbox))
        for name in ("zone", "province"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, str(value))
        if self.kind is not None and self.kind not in KINDS:
            raise GeoplotsError(f"Unknown record kind {self.kind!r}. Use one of: {', '.join(KINDS)}.")


#: Unit levels :meth:`Store.counts_by` groups by, and the stored column of each.
COUNT_LEVELS: dict[str, str] = {
    "province": "province_code",
    "district": "district_code",
    "subdistrict": "subdistrict_code",
}
#: Columns of a :meth:`Store.counts_by` answer (the shape of ``geoplots.coverage``'s counting step).
COUNT_COLUMNS: tuple[str, ...] = ("code", "count", "households", "participating")


def counts_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return (code, count, households, participating) rows as a counts DataFrame
    (``code`` string, sums int64), without the rows of records that have no code.
    """
    table = pd.DataFrame.from_records(rows, columns=list(COUNT_COLUMNS))
    table = table[table["code"].notna()].reset_index(drop=True)
    table["code"] = table["code"].astype("string")
    return table.astype({c: "int64" for c in COUNT_COLUMNS[1:]})


def check_yes_no(column: str, present: int, bad: int) -> None:
    """Raise the error ``geoplots.coverage`` raises when a yes/no column is missing from
    every counted record (``present == 0``) or holds other values (``bad > 0``).
    """
    if present == 0:
        raise GeoplotsError(
            f"No column {column!r} in the records. Name the yes/no column that says whether a household "
            "takes part (no stored record of this kind has it)."
        )
    if bad:
        raise GeoplotsError(
            f"Column {column!r} must hold yes/no values. Read the file with "
            f"yes_no=[{column!r}] so มี/ไม่มี, ใช่/ไม่ใช่, ✓, 1/0 are understood."
        )


def count_target(level: str, kind: Kind, filter: RecordFilter | None, distinct: str | None) -> tuple[str, RecordFilter]:
    """Check a :meth:`Store.counts_by` request; return the grouped column and the filter
    with ``kind`` in it.
    """
    if level not in COUNT_LEVELS:
        raise GeoplotsError(f"Cannot count by {level!r}; use one of: {', '.join(COUNT_LEVELS)}.")
    if distinct is not None and distinct not in COUNT_LEVELS.values():
        raise GeoplotsError(f"Cannot count distinct {distinct!r}; use one of: {', '.join(COUNT_LEVELS.values())}.")
    filter = filter or RecordFilter()
    if filter.kind is not None and filter.kind != kind:
        raise GeoplotsError(f"Counting {kind} with a filter for {filter.kind}: give one kind.")
    return COUNT_LEVELS[level], replace(filter, kind=kind)


@dataclass
class Page:
    """One page of a query: the records and how many matched in total."""

    records: gpd.GeoDataFrame
    total: int


#: Decimal places of the coordinates the server writes (7: about 1 cm, more than any GPS
#: in the field gives; the figure OGC clients and PostGIS ``ST_AsGeoJSON(geom, 7)`` use).
COORDINATE_DECIMALS = 7


def geojson_geometries(geoms: np.ndarray) -> list[str | None]:
    """Return shapely geometries as GeoJSON geometry texts, coordinates rounded to
    :data:`COORDINATE_DECIMALS` places (None stays None).

    Examples
    --------
    >>> geojson_geometries(np.array([shapely.Point(102.123456789, 16.4), None]))
    ['{"type":"Point","coordinates":[102.1234568,16.4]}', None]
    """
    if len(geoms) == 0:
        return []
    rounded = shapely.transform(np.asarray(geoms, dtype=object), _round_coordinates)
    return [None if g is None else str(g) for g in shapely.to_geojson(rounded)]


def _round_coordinates(coords: np.ndarray) -> np.ndarray:
    return np.round(coords, COORDINATE_DECIMALS)


def frame_features(frame: gpd.GeoDataFrame, id_column: str = "id") -> list[dict]:
    """Return the rows of ``frame`` as GeoJSON Feature dicts (``id`` from ``id_column``),
    coordinates rounded to :data:`COORDINATE_DECIMALS` places.

    Examples
    --------
    >>> import shapely
    >>> f = gpd.GeoDataFrame({"id": [1]}, geometry=[shapely.Point(102.8, 16.4)], crs=4326)
    >>> frame_features(f)[0]["geometry"]
    {'type': 'Point', 'coordinates': [102.8, 16.4]}
    """
    if len(frame) == 0:
        return []
    props = frame.drop(columns=[frame.geometry.name])
    # to_json handles NA, numpy scalars and timestamps
    table = json.loads(pd.DataFrame(props).to_json(orient="records", date_format="iso", force_ascii=False,
                                                   default_handler=str))
    geoms = geojson_geometries(np.asarray(frame.geometry.values, dtype=object))
    ids = frame[id_column].tolist()
    return [
        {"type": "Feature", "id": fid, "geometry": None if g is None else json.loads(g), "properties": p}
        for fid, g, p in zip(ids, geoms, table)
    ]


def _json_type(value: object) -> str:
    """The JSON type name of a Python value as read back from a store."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


class OutsideZoneError(GeoplotsError):
    """A zone-limited batch resends the ``record_id`` of a record stored outside its zone.

    Attributes
    ----------
    zone : str
        The zone the batch is limited to (เขตตรวจราชการ).
    record_ids : list of str
        The resent ids, in batch order.
    stored_zones : list of str or None
        The zone each of those records is stored in (None: no zone).
    """

    def __init__(self, zone: str, record_ids: list[str], stored_zones: list[str | None]) -> None:
        self.zone, self.record_ids, self.stored_zones = zone, record_ids, stored_zones
        super().__init__(
            f"Records {', '.join(record_ids[:10])} are stored outside inspection zone {zone}; a key "
            f"limited to zone {zone} may not replace them. Nothing was stored."
        )


@dataclass
class BatchResult:
    """What :meth:`Store.add_records` did: ids in input order, and the new version.

    ``unchanged[i]`` is True when row ``i`` resent its record's current version exactly
    (no version was added: an offline queue may resend safely).
    """

    ids: list[int]
    replaced: list[bool]
    version: int
    batch_id: str
    unchanged: list[bool] = field(default_factory=list)


def received_time(value: datetime | str | None) -> datetime:
    """Return when a batch counts as received (UTC): now, or the time given (to load history
    kept elsewhere, e.g. last year's sheets, with their own dates).
    """
    if value is None:
        return datetime.now(UTC)
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise GeoplotsError(f"Give received_at with its time zone (e.g. 2021-03-31T10:00:00+07:00), not {value!r}.")
    return when.astimezone(UTC)


def check_withdrawable(kind: str, zone: str | None, heads: list[tuple[str, tuple | None]]) -> None:
    """Refuse a withdrawal (nothing withdrawn) naming a record never stored, or, for a
    zone-limited key, one stored outside its zone. ``heads`` pairs each record_id with its
    latest version (id, version, hash, withdrawn, zone) or None.
    """
    unknown = [rid for rid, head in heads if head is None]
    if unknown:
        raise GeoplotsError(f"No {kind} record {', '.join(unknown[:10])} is stored; nothing was withdrawn.")
    outside = [(rid, head[4]) for rid, head in heads if head is not None and zone is not None and head[4] != zone]
    if outside:
        raise OutsideZoneError(str(zone), [r for r, _ in outside], [z for _, z in outside])


def series_start_sql(ends: list[date], mark: str, cut: object, day: object) -> tuple[str, list]:
    """A SQL ``CASE`` giving, per version row, the index of the first day of ``ends`` at
    whose end it is known (received before the day ends in Bangkok and reported on or
    before it), ``len(ends)`` when none; and its parameters (``cut(d)``, ``day(d)`` per day).
    """
    whens = " ".join(f"WHEN received_at < {mark} AND reported_date <= {mark} THEN {k}" for k in range(len(ends)))
    params: list = []
    for d in ends:
        params += [cut(d), day(d)]  # type: ignore[operator]
    return f"(CASE {whens} ELSE {len(ends)} END)", params


def series_frames(rows: list[tuple], n: int, distinct: bool, yes_no: str | None) -> list[pd.DataFrame]:
    """Turn span rows into one counts frame per day of a series.

    Each row is ``(code, value, start, end, count, known, yes, present, bad)``: ``count``
    versions of unit ``code`` (``value``: the distinct column's value, or None) that count
    at the days ``start <= k < end`` of the series (``end`` None: to the last day).
    """
    table = pd.DataFrame.from_records([tuple(r) for r in rows],
                                      columns=["code", "value", "start", "end", "count", "known", "yes", "present", "bad"])
    table["end"] = table["end"].fillna(n).astype("int64")
    out = []
    for k in range(n):
        live = table[(table["start"] <= k) & (table["end"] > k)]
        if yes_no is not None:
            check_yes_no(yes_no, int(live["present"].sum()), int(live["bad"].sum()))
        if distinct:
            live = live[live["count"] > 0]
            sums = live.groupby("code").agg(count=("value", "nunique"), households=("known", "sum"),
                                            participating=("yes", "sum"))
        else:
            sums = live.groupby("code").agg(count=("count", "sum"), households=("known", "sum"),
                                            participating=("yes", "sum"))
        out.append(counts_frame(list(sums.reset_index().itertuples(index=False, name=None))))
    return out


#: Columns of :meth:`Store.last_reports` (and of ``geoplots.stale``).
STALE_COLUMNS = ("record_id", "name", "kind", "province_code", "district_code", "subdistrict_code",
                 "inspection_zone", "status", "last_reported")


def stale_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return :data:`STALE_COLUMNS` rows as a DataFrame (``last_reported`` a ``datetime.date``)."""
    table = pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(STALE_COLUMNS))
    table["last_reported"] = [v if isinstance(v, date) else date.fromisoformat(v) for v in table["last_reported"]]
    return table


#: Columns of :meth:`Store.versions`.
VERSION_COLUMNS = ("id", "version", "withdrawn", "received_at", "reported_date", "status", "name",
                   "district_code", "batch_id")


def version_frame(rows: list[tuple]) -> pd.DataFrame:
    """Return version rows (:data:`VERSION_COLUMNS`) as a DataFrame with plain types."""
    table = pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(VERSION_COLUMNS))
    table["withdrawn"] = table["withdrawn"].astype(bool)
    table["received_at"] = [v if isinstance(v, str) or v is None else v.astimezone(UTC).isoformat(timespec="milliseconds")
                            for v in table["received_at"]]
    table["reported_date"] = [v if isinstance(v, str) or v is None else v.isoformat() for v in table["reported_date"]]
    return table


@dataclass(frozen=True)
class PhotoRow:
    """A stored photo's metadata (รูปถ่ายประกอบรายงาน); the image files are kept apart.

    Attributes
    ----------
    id : str
        The photo id (hex), as in a record's ``photo_ids`` and ``/photos/{id}``.
    record : int
        Store id of the record it came with.
    kind, record_id : str
        The record's kind and the sender's id for it (None when it had none).
    sha256 : str
        SHA-256 of the bytes sent: one photo per content per record.
    media_type : str
        ``image/jpeg``, ``image/png`` or ``image/webp``, from decoding the bytes.
    width, height, bytes : int
        Of the image as served (orientation applied).
    taken_at : str or None
        EXIF time the photo was taken, as the camera wrote it (ISO 8601, local time).
    lat, lon : float or None
        EXIF GPS position of the camera.
    distance_m : float or None
        From the EXIF position to the record's pin.
    key_id : int or None
    received_at : str
        UTC ISO 8601.
    inspection_zone : str or None
        The zone of its record now (read rules), filled in by the store on reads.
    """

    id: str
    record: int
    kind: str
    record_id: str | None
    sha256: str
    media_type: str
    width: int
    height: int
    bytes: int
    taken_at: str | None
    lat: float | None
    lon: float | None
    distance_m: float | None
    key_id: int | None
    received_at: str
    inspection_zone: str | None = None


#: Columns of the photos table, in :class:`PhotoRow` order (without the read-only zone).
PHOTO_COLUMNS: tuple[str, ...] = (
    "id", "record", "kind", "record_id", "sha256", "media_type", "width", "height", "bytes", "taken_at", "lat",
    "lon", "distance_m", "key_id", "received_at",
)


def new_key_secret() -> str:
    """Return a new random API key secret (shown to its holder once).

    Examples
    --------
    >>> new_key_secret().startswith("gp_")
    True
    """
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(secret: str) -> str:
    """Return the stored form of a key secret (SHA-256 hex).

    A fast hash is right here: secrets are 256 random bits, so there is nothing to
    brute-force, and every request must look its key up.
    """
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class KeyStore(ABC):
    """Where API keys live: apart from the records, so that a copy of the records (a
    GeoPackage handed to a district office) never carries them.

    The embedded store keeps them in their own SQLite file beside the GeoPackage
    (``<db>.keys.sqlite``, mode 0600); PostGIS in the ``api_keys`` table, which is no
    feature table. Secrets are never stored, only :func:`hash_key` of them.
    """

    #: Where the keys are (secrets masked when shown).
    url: str

    @abstractmethod
    def migrate(self) -> int:
        """Create or upgrade the key schema; return the schema version now in place."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def create_key(self, role: Role, *, zone: str | None = None, name: str = "") -> tuple[ApiKey, str]:
        """Create a key; return it and its secret (the only time the secret is seen).

        Parameters
        ----------
        role : str
            ``editor``, ``inspector`` or ``admin``.
        zone : str, optional
            Inspection zone (เขตตรวจราชการ) the key is limited to; None for all.
        name : str
            Who holds it.
        """
        if role not in ROLES:
            from geoplots.errors import GeoplotsError

            raise GeoplotsError(f"Unknown role {role!r}. Use one of: {', '.join(ROLES)}.")
        secret = new_key_secret()
        key = self._insert_key(
            name=name, role=role, zone=None if zone is None else str(zone), key_hash=hash_key(secret),
            prefix=secret[: len(KEY_PREFIX) + 6],
        )
        return key, secret

    def find_key(self, secret: str) -> ApiKey | None:
        """Return the (not revoked) key with this secret, or None."""
        key = self._key_by_hash(hash_key(secret))
        if key is None or key.revoked:
            return None
        return key

    @abstractmethod
    def list_keys(self) -> list[ApiKey]:
        """Return every key, revoked ones included, by id."""

    @abstractmethod
    def revoke_key(self, key_id: int) -> bool:
        """Revoke a key; return whether it existed."""

    @abstractmethod
    def import_keys(self, keys: list[tuple[ApiKey, str]]) -> int:
        """Take over keys (each with its stored hash) from an older store, keeping their
        ids; return how many were new. Running it again with the same keys adds nothing;
        a different key under a taken id is an error, never a silent drop.
        """

    @abstractmethod
    def _insert_key(self, *, name: str, role: Role, zone: str | None, key_hash: str, prefix: str) -> ApiKey:
        """Insert a key row and return it."""

    @abstractmethod
    def _key_by_hash(self, key_hash: str) -> ApiKey | None:
        """Return the key with this hash (revoked or not), or None."""

    def __enter__(self) -> KeyStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store(ABC):
    """Where the server keeps located records (and, through :attr:`keys`, API keys).

    Open one with :func:`geoplots.server.store.open_store`; a backend is created from a
    URL (``sqlite:///path/to/geoplots.db`` or ``postgresql://...``). Methods are
    synchronous and thread-safe; the app calls them from a thread pool.
    """

    #: The URL the store was opened from (secrets masked when shown).
    url: str

    # -- schema -----------------------------------------------------------------
    @abstractmethod
    def migrate(self) -> int:
        """Create or upgrade the schema; return the schema version now in place."""

    @abstractmethod
    def close(self) -> None:
        """Release connections (the key store's too). The store is unusable afterwards."""

    # -- records ----------------------------------------------------------------
    @abstractmethod
    def add_records(
        self,
        records: gpd.GeoDataFrame,
        *,
        kind: Kind = "pins",
        key_id: int | None = None,
        zone: str | None = None,
        received_at: datetime | str | None = None,
    ) -> BatchResult:
        """Store located records atomically (all rows or none).

        Parameters
        ----------
        records : geopandas.GeoDataFrame
            ``Records.accepted`` from :func:`geoplots.locate` (EPSG:4326), with at least
            :data:`REQUIRED_COLUMNS`. Other columns go to ``properties``.
        kind : str
            ``pins``, ``plots`` or ``households``.
        key_id : int, optional
            The API key that sent the batch, for the audit trail.
        zone : str, optional
            The zone a zone-limited key may reach: a row resending the ``record_id`` of
            a record stored in another zone (or in none) refuses the whole batch with
            :class:`OutsideZoneError`, checked in the batch's own transaction.
        received_at : datetime or str, optional
            When the batch counts as received (with its time zone); default now. For
            loading history kept elsewhere (last year's sheets), never from a client.
        """

    @abstractmethod
    def query(self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0) -> Page:
        """Return the records matching ``filter`` (:class:`RecordFilter`; None = all),
        ordered by id, one page of them. ``limit=None`` returns all from ``offset``.
        """

    def query_features(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[dict], int]:
        """:meth:`query` as GeoJSON Feature dicts and the total matched (an items page).

        Backends may answer this without building a GeoDataFrame (the SQLite store does:
        an items page is then several times cheaper); each feature's properties are the
        record's stored columns and its own extra fields.
        """
        page = self.query(filter, limit=limit, offset=offset)
        return frame_features(page.records, "id"), page.total

    def query_features_json(
        self, filter: RecordFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[str], int]:
        """:meth:`query_features` as one JSON text per feature (an items page is then the
        texts joined with commas, nothing parsed again), and the total matched.

        The PostGIS store builds each text in SQL (``ST_AsGeoJSON``); the same features,
        property for property, as :meth:`query_features`.
        """
        features, total = self.query_features(filter, limit=limit, offset=offset)
        return [json.dumps(f, ensure_ascii=False) for f in features], total

    def feature(self, record_id: int) -> dict | None:
        """Return the record with store id ``record_id`` as a GeoJSON Feature dict (the
        same as its feature in :meth:`query_features`), or None when there is none.

        Backends answer it from the one row, without building a frame: a single feature
        costs less than a page.
        """
        frame = self.get(record_id)
        return frame_features(frame, "id")[0] if len(frame) else None

    def tile(self, tile: TileAddress, filter: RecordFilter | None = None, *, layer: str = "records") -> bytes:
        """Return the records matching ``filter`` in one WebMercatorQuad tile as a Mapbox
        vector tile (MVT) with one layer, ``layer``.

        Each feature's id is the record's store id; its properties are
        :data:`TILE_PROPERTIES` (those with a value). Empty bytes when no record reaches
        the tile. The PostGIS store answers with ``ST_AsMVT``; this encodes the records
        of the tile's box with :mod:`geoplots.server.mvt`.
        """
        where = replace(filter or RecordFilter(), bbox=tile.lonlat_bounds())
        frame = self.query(where).records
        return frame_tile(layer, frame, "id", TILE_PROPERTIES, tile)

    @abstractmethod
    def get(self, record_id: int) -> gpd.GeoDataFrame:
        """Return the record with store id ``record_id`` as a one-row frame (empty if none)."""

    @abstractmethod
    def count(self, filter: RecordFilter | None = None) -> int:
        """Return how many stored records match ``filter`` (None = all)."""

    @abstractmethod
    def counts_by(
        self,
        level: str,
        kind: Kind,
        filter: RecordFilter | None = None,
        *,
        yes_no: str | None = None,
        distinct: str | None = None,
        as_of: str | date | None = None,
        status: str | None = None,
    ) -> pd.DataFrame:
        """Count the records of ``kind`` matching ``filter`` per unit of ``level``, in SQL.

        What :func:`geoplots.coverage` counts, without loading a row: pass the answer to
        :func:`geoplots.counting.coverage_from_counts` (or ``Rule.run_counts``).

        Parameters
        ----------
        level : {"province", "district", "subdistrict"}
            Groups by the stored ``province_code``/``district_code``/``subdistrict_code``
            (จังหวัด/อำเภอ/ตำบล); records without that code are not counted.
        kind : {"pins", "plots", "households"}
        filter : RecordFilter, optional
            Which records (its ``kind``, if given, must be ``kind``).
        yes_no : str, optional
            A yes/no property (e.g. ``has_garden`` ปลูกผักสวนครัว): ``households`` counts
            the records that answer it, ``participating`` those answering yes. A
            :class:`~geoplots.errors.GeoplotsError` when no counted record has it or a
            value is not yes/no, as in :func:`geoplots.coverage`.
        distinct : str, optional
            Count distinct values of this code column instead of records (the
            change-leaders rule: ``"subdistrict_code"`` per district).
        as_of : str or datetime.date, optional
            Count the records as they stood at the end of that day (Asia/Bangkok) from
            the versions known then: per record its latest version received by then and
            reported on or before that day, withdrawn ones left out. The filter applies
            to that version (a bounding box cannot be combined with ``as_of``).
        status : str, optional
            Count only records in this status (``planned``, ``in_progress``,
            ``completed`` or the programme's own word).

        Returns
        -------
        pandas.DataFrame
            ``code`` (string) and ``count``, ``households``, ``participating`` (int64),
            one row per code that has records.
        """

    # -- history (ประวัติ) ---------------------------------------------------------
    @abstractmethod
    def withdraw(
        self, record_ids: list[str], *, kind: Kind = "pins", key_id: int | None = None,
        zone: str | None = None, received_at: datetime | str | None = None,
    ) -> BatchResult:
        """Withdraw records (ถอนรายงาน): add a tombstone version to each, in one transaction.

        The records leave the current view (:meth:`query`, :meth:`counts_by`) and stay in
        every answer ``as_of`` an earlier date. Withdrawing a withdrawn record adds nothing;
        an id never stored, or (with ``zone``) one stored in another zone, refuses the whole
        call. Sending a withdrawn record again brings it back under its own id.
        """

    @abstractmethod
    def rebuild_current(self) -> int:
        """Derive the current view (``records``) again from the versions; return its size.

        ``records`` is an index of ``record_versions`` (the latest version of each record
        not withdrawn), kept in step by every write; this rebuilds it, e.g. after a restore.
        """

    @abstractmethod
    def versions(self, record_id: str, *, kind: Kind = "pins") -> pd.DataFrame:
        """Return every version of one record (:data:`VERSION_COLUMNS`), oldest first."""

    def counts_series(
        self, level: str, kind: Kind, ends: list[date], filter: RecordFilter | None = None, *,
        yes_no: str | None = None, distinct: str | None = None, status: str | None = None,
    ) -> list[pd.DataFrame]:
        """:meth:`counts_by` ``as_of`` each day of ``ends`` (ascending), one frame per day.

        Backends answer it in one pass over the versions (each version counts from the
        first day it is known until the first day a later version is); this default asks
        :meth:`counts_by` once per day.
        """
        return [self.counts_by(level, kind, filter, yes_no=yes_no, distinct=distinct, as_of=day, status=status)
                for day in ends]

    @abstractmethod
    def last_reports(self, kind: Kind, before: date, filter: RecordFilter | None = None) -> pd.DataFrame:
        """Return the current records of ``kind`` last reported before ``before`` (stale
        sites, ไม่มีรายงาน), oldest report first: :data:`STALE_COLUMNS`.
        """

    def all_records(self, filter: RecordFilter | None = None) -> gpd.GeoDataFrame:
        """Return every stored record matching ``filter`` with properties as columns."""
        return self.query(filter).records

    @abstractmethod
    def version(self) -> int:
        """Return the change counter: bumped by every committed batch."""

    def property_types(self, kind: Kind) -> dict[str, str]:
        """Return the JSON type (``string``, ``number``, ``boolean``...) of every field the
        stored records of ``kind`` carry besides the typed columns (the collection's schema).

        Backends answer it in SQL; this default reads the records.
        """
        frame = self.all_records(RecordFilter(kind=kind))
        types: dict[str, str] = {}
        for column in frame.columns:
            if column in RECORD_COLUMNS or column == frame.geometry.name:
                continue
            seen = {_json_type(v) for v in frame[column].tolist()} - {"null"}
            types[column] = seen.pop() if len(seen) == 1 else ("number" if seen == {"number", "integer"} else "string")
        return types

    def extent(self, kind: Kind) -> tuple[float, float, float, float] | None:
        """Return the bounding box (minx, miny, maxx, maxy) of the stored records of
        ``kind``, or None when there are none.
        """
        frame = self.all_records(RecordFilter(kind=kind))
        if len(frame) == 0 or frame.geometry.is_empty.all():
            return None
        return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]
    # -- photos (metadata; the files are kept by geoplots.server.photos) ----------
    def add_photos(self, photos: list[PhotoRow]) -> list[str]:
        """Store photo rows in one transaction; a photo already stored (same id, or the
        same content for the same record) is kept as it is. Return the ids newly added.
        """
        raise NotImplementedError

    def photo(self, photo_id: str) -> PhotoRow | None:
        """Return the photo with this id, with its record's zone, or None."""
        raise NotImplementedError

    def photo_ids_of(self, kind: Kind, record_id: str) -> list[str]:
        """Return the ids of the photos stored for the record ``(kind, record_id)``, oldest first."""
        raise NotImplementedError

    def unit_photos(self, code: str, *, zone: str | None = None, limit: int = 200) -> list[tuple[PhotoRow, str | None]]:
        """Return the newest photos of records in the unit ``code`` (province, district or
        sub-district code), each with its record's name; only zone ``zone`` when given.
        """
        raise NotImplementedError

    # -- API keys (held by the key store) -----------------------------------------
    #: Where this store's API keys live (never inside the records file).
    keys: KeyStore

    def create_key(self, role: Role, *, zone: str | None = None, name: str = "") -> tuple[ApiKey, str]:
        """Create a key; return it and its secret (see :meth:`KeyStore.create_key`)."""
        return self.keys.create_key(role, zone=zone, name=name)

    def find_key(self, secret: str) -> ApiKey | None:
        """Return the (not revoked) key with this secret, or None."""
        return self.keys.find_key(secret)

    def list_keys(self) -> list[ApiKey]:
        """Return every key, revoked ones included, by id."""
        return self.keys.list_keys()

    def revoke_key(self, key_id: int) -> bool:
        """Revoke a key; return whether it existed."""
        return self.keys.revoke_key(key_id)

    # -- live events ------------------------------------------------------------
    def event_bus(self) -> EventBus:
        """Return the event bus for servers on this store: in-process by default; a
        backend shared by several processes returns one that fans out across them.
        """
        return LocalEventBus()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Columns that name a record when ``name`` is empty, first found wins (model villages
#: carry ``village_name``, plots ``plot_name``...).
NAME_COLUMNS: tuple[str, ...] = ("village_name", "plot_name", "household_name")


def with_names(records: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``records`` with ``name`` filled from the first other name column where it is empty.

    Pin items and feeds then show ``"name": "บ้านโนน"`` rather than ``null`` beside a
    filled ``village_name``; the other columns are kept as they came.

    Examples
    --------
    >>> import shapely
    >>> f = gpd.GeoDataFrame({"village_name": ["บ้านโนน"]}, geometry=[shapely.Point(102.8, 16.4)], crs=4326)
    >>> with_names(f)["name"].tolist()
    ['บ้านโนน']
    """
    sources = [c for c in NAME_COLUMNS if c in records.columns]
    if not sources:
        return records
    name = records["name"] if "name" in records.columns else pd.Series(pd.NA, index=records.index, dtype="object")
    name = name.astype("object").where(name.notna() & (name.astype("string").str.strip() != ""), None)
    for column in sources:
        other = records[column].astype("object")
        name = name.where(name.notna(), other.where(other.notna(), None))
    out = records.copy()
    out["name"] = name
    return out
