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
  is durable when it returns, or none is. A row whose ``(kind, record_id)`` is already
  stored replaces the stored row (a resend corrects a pin, it never double-counts).
  Rows without ``record_id`` are always new. With ``zone=``, a row may replace only a
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
from dataclasses import dataclass, replace
from typing import Literal

import geopandas as gpd
import pandas as pd
import shapely

from geoplots.errors import GeoplotsError
from geoplots.server.events import EventBus, LocalEventBus

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

    Examples
    --------
    >>> RecordFilter(zone="12", kind="pins")
    RecordFilter(bbox=None, zone='12', province=None, kind='pins')
    """

    bbox: tuple[float, float, float, float] | None = None
    zone: str | None = None
    province: str | None = None
    kind: Kind | None = None

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


def frame_features(frame: gpd.GeoDataFrame, id_column: str = "id") -> list[dict]:
    """Return the rows of ``frame`` as GeoJSON Feature dicts (``id`` from ``id_column``).

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
    geoms = shapely.to_geojson(frame.geometry.values)
    ids = frame[id_column].tolist()
    return [
        {"type": "Feature", "id": fid, "geometry": None if g is None else json.loads(g), "properties": p}
        for fid, g, p in zip(ids, geoms, table)
    ]


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
    """What :meth:`Store.add_records` did: ids in input order, and the new version."""

    ids: list[int]
    replaced: list[bool]
    version: int
    batch_id: str


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

        Returns
        -------
        pandas.DataFrame
            ``code`` (string) and ``count``, ``households``, ``participating`` (int64),
            one row per code that has records.
        """

    def all_records(self, filter: RecordFilter | None = None) -> gpd.GeoDataFrame:
        """Return every stored record matching ``filter`` with properties as columns."""
        return self.query(filter).records

    @abstractmethod
    def version(self) -> int:
        """Return the change counter: bumped by every committed batch."""

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
