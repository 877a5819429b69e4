"""Pydantic models of the HTTP API's JSON answers, so ``/openapi.json`` describes them.

Handlers that answer with ready-encoded bytes (cached coverage, GeoJSON pages) are not
re-validated by FastAPI; the models document those answers. Models whose answers carry
more than the listed fields (an error's details, a rule's own options) allow extra ones.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorModel(BaseModel):
    """Every 4xx answer: a stable code, a message staff can act on, and details."""

    model_config = ConfigDict(extra="allow")
    error: str = Field(description="Stable error code, e.g. not_found, invalid_bbox")
    message: str = Field(description="What went wrong and what to do")


class Link(BaseModel):
    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Extent(BaseModel):
    """A collection's extent: ``spatial`` holds ``bbox`` (a list of boxes) and its ``crs``."""

    model_config = ConfigDict(extra="allow")
    spatial: dict[str, Any]


class Collection(BaseModel):
    """One OGC API Features collection (pins, plots, households, or a boundary level)."""

    id: str
    title: str
    itemType: str = "feature"
    crs: list[str]
    storageCrs: str | None = None
    attribution: str | None = None
    extent: Extent
    links: list[Link]


class LandingPage(BaseModel):
    """``/`` as JSON (``Accept: application/json`` or ``?f=json``): the OGC API landing page."""

    title: str
    description: str
    links: list[Link]


class Collections(BaseModel):
    collections: list[Collection]
    links: list[Link]


class JsonSchemaDocument(BaseModel):
    """``/queryables`` and ``/schema``: a JSON Schema of a collection's feature properties."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    schema_: str = Field(alias="$schema")
    id_: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, dict[str, Any]]


def json_content(model: type[BaseModel]) -> dict[str, Any]:
    """An OpenAPI ``content`` schema for ``model`` (refs into the components), for answers
    documented beside a route's own media type.
    """
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
    schema.pop("$defs", None)
    return {"schema": schema}


class Conformance(BaseModel):
    conformsTo: list[str]


class Feature(BaseModel):
    """A GeoJSON Feature (RFC 7946), with links to itself and its collection."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any] | None
    links: list[Link] | None = None


class FeatureCollection(BaseModel):
    """A page of features with OGC paging metadata."""

    type: Literal["FeatureCollection"]
    features: list[Feature]
    numberMatched: int
    numberReturned: int
    timeStamp: str
    links: list[Link]


class GapUnit(BaseModel):
    """A unit that misses the target (หน่วยที่ยังไม่ผ่าน), as the gap list shows it."""

    model_config = ConfigDict(extra="allow")
    code: str
    name_th: str | None = None
    name_en: str | None = None
    province_code: str | None = None
    province_name_th: str | None = None
    province_name_en: str | None = None
    count: int = Field(description="Records counted in the unit")


class ZoneSummary(BaseModel):
    """One inspection zone (or the whole country) of ``/api/coverage``."""

    model_config = ConfigDict(extra="allow")
    group: str = Field(description="Zone number, 'central' (Bangkok) or 'all'")
    name_th: str = Field(description="เขตตรวจราชการที่ 12, กรุงเทพมหานคร or ทั้งประเทศ")
    name_en: str
    covered: int
    total: int
    percent: float
    uncovered: list[GapUnit] = Field(description="Units missing the target, by province then code")


class FeedItem(BaseModel):
    """One of the latest records (รายงานล่าสุด): name, place, time and photo thumbnail."""

    model_config = ConfigDict(extra="allow")
    id: int | str | None = None
    record_id: str | None = None
    name: str | None = Field(None, description="name, else village_name (or another name column), else the record ID")
    subdistrict_th: str | None = None
    district_th: str | None = None
    province_th: str | None = None
    received_at: str | None = None
    photo: str | None = Field(None, description="/photos/{id}/thumb of the first photo_ids entry, else photo_url")


class CoverageAnswer(BaseModel):
    """``/api/coverage``: summary per zone and the units (or their GeoJSON)."""

    model_config = ConfigDict(extra="allow")
    level: str
    zone: str | None
    rule: str | None
    kind: str
    min_count: int | None = None
    version: int
    title: str = Field(description="Target and area, Thai / English")
    notes: dict[str, Any] | None = None
    records: int
    summary: list[ZoneSummary]
    units: list[dict[str, Any]] | None = Field(None, description="Without format=geojson")
    geojson: dict[str, Any] | None = Field(None, description="With format=geojson")
    title_th: str = Field(description="The target in Thai")
    title_en: str = Field(description="The target in English")
    area_th: str = Field(description="ทั้งประเทศ, เขตตรวจราชการที่ N or กรุงเทพมหานคร")
    area_en: str
    latest: list[FeedItem] = Field(description="The latest records of the kind in the area, newest first")
    records_today: int = Field(description="Records of the kind in the area received since midnight, Thai time")
    today: str = Field(description="That day (ISO date, Asia/Bangkok)")
    options: dict[str, Any] | None = None


class RowOutcome(BaseModel):
    """One row of a batch: accepted (with where it was located, and warnings) or rejected."""

    model_config = ConfigDict(extra="allow")
    row: int
    status: Literal["accepted", "rejected"]
    index: int | None = Field(None, description="Position in a posted JSON array")
    id: int | None = None
    reason: str | None = None
    message: str | None = None
    warnings: list[dict[str, Any]] | None = None


class IngestOutcome(BaseModel):
    """``POST /api/pins``: what was stored, and every row's outcome."""

    kind: str
    batch_id: str | int | None
    version: int | None
    rows_read: int
    accepted: int
    rejected: int
    rejected_by_reason: dict[str, int]
    warnings_by_kind: dict[str, int]
    rows: list[RowOutcome]


class IngestRejected(IngestOutcome):
    """A batch with no valid row (422): nothing stored, every row's reason."""

    error: str
    message: str


class KeyInfo(BaseModel):
    """An API key as listed (never its secret)."""

    id: int
    name: str
    role: str
    zone: str | None
    prefix: str
    created_at: str
    revoked: bool = False


class CreatedKey(KeyInfo):
    key: str = Field(description="The secret: shown once, never again")


class RevokedKey(BaseModel):
    id: int
    revoked: bool


class Health(BaseModel):
    """``/health``: liveness, and to readers what the server holds."""

    status: str
    zone: str | None = None
    store: str | None = None
    version: int | None = None
    records: int | None = None
    boundaries: str | None = Field(None, description="Boundary snapshot served")


#: ``responses=`` of JSON errors, by status.
def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` entries documenting ``statuses`` as :class:`ErrorModel` answers."""
    return {status: {"model": ErrorModel} for status in statuses}
