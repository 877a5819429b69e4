-- geoplots PostGIS store, schema 3: every version of a record is kept (issue 15).
--
-- * record_versions is append-only: one row per version of a record (id = the record's
--   id in records, version 1, 2, ...), with when it was received, its reported date (the
--   record's own date, else the Bangkok day it was received), its status and a withdrawn
--   flag (a tombstone: the record was withdrawn, never deleted). A trigger refuses UPDATE
--   and DELETE on it.
-- * records becomes the current projection (the latest version of each record not
--   withdrawn), written in the same transaction as the version
--   (PostGISStore.rebuild_current() derives it again). It gains reported_date, status,
--   version and content_hash (the fingerprint that makes an identical resend add nothing).
-- * every stored record becomes its version 1, with its stored times.
-- * indexes for "as of" questions: latest version per record received by a date, and by
--   reported date.
-- Applied by geoplots.server.store.postgis.PostGISStore.migrate() inside one transaction.

ALTER TABLE records ADD COLUMN reported_date date;
ALTER TABLE records ADD COLUMN status text;
ALTER TABLE records ADD COLUMN version integer NOT NULL DEFAULT 1;
ALTER TABLE records ADD COLUMN content_hash text;

UPDATE records SET
    reported_date = CASE
        WHEN properties ->> 'date' ~ '^\d{4}-\d{2}-\d{2}' THEN substr(properties ->> 'date', 1, 10)::date
        ELSE (received_at AT TIME ZONE 'Asia/Bangkok')::date END,
    status = CASE btrim(properties ->> 'status')
        WHEN '' THEN NULL
        WHEN 'วางแผน' THEN 'planned' WHEN 'planned' THEN 'planned'
        WHEN 'กำลังดำเนินการ' THEN 'in_progress' WHEN 'อยู่ระหว่างดำเนินการ' THEN 'in_progress'
        WHEN 'in progress' THEN 'in_progress' WHEN 'in_progress' THEN 'in_progress'
        WHEN 'เสร็จแล้ว' THEN 'completed' WHEN 'เสร็จสิ้น' THEN 'completed' WHEN 'completed' THEN 'completed'
        ELSE btrim(properties ->> 'status') END;

CREATE TABLE record_versions (
    vid                       bigserial PRIMARY KEY,
    id                        bigint NOT NULL,
    version                   integer NOT NULL,
    withdrawn                 boolean NOT NULL DEFAULT false,
    reported_date             date NOT NULL,
    status                    text,
    content_hash              text,
    kind                      text NOT NULL CHECK (kind IN ('pins', 'plots', 'households')),
    record_id                 text,
    name                      text,
    "row"                     integer,
    lat                       double precision,
    lon                       double precision,
    subdistrict_code          text,
    district_code             text,
    province_code             text,
    inspection_zone           text,
    match                     text,
    distance_m                double precision,
    address_mismatch          boolean,
    declared_subdistrict_code text,
    warnings                  jsonb NOT NULL DEFAULT '[]'::jsonb,
    batch_id                  text NOT NULL,
    key_id                    bigint,
    received_at               timestamptz NOT NULL,
    properties                jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom                      geometry(Geometry, 4326),
    UNIQUE (id, version)
);

INSERT INTO record_versions (
    id, version, withdrawn, reported_date, status, content_hash, kind, record_id, name, "row", lat, lon,
    subdistrict_code, district_code, province_code, inspection_zone, match, distance_m, address_mismatch,
    declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties, geom)
SELECT id, 1, false, reported_date, status, content_hash, kind, record_id, name, "row", lat, lon,
    subdistrict_code, district_code, province_code, inspection_zone, match, distance_m, address_mismatch,
    declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties, geom
FROM records ORDER BY id;

-- the latest version per record known by a date, read from the index alone
CREATE INDEX record_versions_as_of ON record_versions (id, version) INCLUDE (kind, received_at, reported_date, withdrawn,
    subdistrict_code, district_code, province_code, inspection_zone, status);
CREATE INDEX record_versions_received ON record_versions (received_at);
CREATE INDEX record_versions_reported ON record_versions (reported_date);
CREATE INDEX record_versions_kind_record_id ON record_versions (kind, record_id, version DESC)
    WHERE record_id IS NOT NULL;

CREATE FUNCTION record_versions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'record_versions is append-only: add a version (or a withdrawn one) instead';
END $$;
CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON record_versions
    FOR EACH ROW EXECUTE FUNCTION record_versions_append_only();
