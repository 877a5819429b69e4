-- geoplots embedded store, schema 4: every version of a record is kept (issue 15).
--
-- * record_versions is append-only: one row per version of a record (id = the record's
--   store id in records, version 1, 2, ...), with when it was received, its reported
--   date (the record's own date, else the Bangkok day it was received), its status and
--   a withdrawn flag (a tombstone: the record was withdrawn, never deleted). Triggers
--   refuse UPDATE and DELETE on it.
-- * records stays the GeoPackage feature layer and becomes the current projection: the
--   latest version of each record that is not withdrawn, written in the same transaction
--   as the version (SQLiteStore.rebuild_current() derives it again from the versions).
--   It gains reported_date, status, version and content_hash (the fingerprint that makes
--   an identical resend add no version).
-- * record_versions is a second feature layer of the GeoPackage (QGIS shows every
--   version on the map; GDAL's validator passes): registered in gpkg_contents and
--   gpkg_geometry_columns like records.
-- * every stored record becomes its version 1, with its stored times.
-- * indexes for "as of" questions: the latest version per record received by a date
--   (id, version, received_at, reported_date), and by reported date.
--
-- Applied by geoplots.server.store.sqlite.SQLiteStore.migrate() inside one transaction.

ALTER TABLE records ADD COLUMN reported_date TEXT;
ALTER TABLE records ADD COLUMN status TEXT;
ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE records ADD COLUMN content_hash TEXT;

UPDATE records SET
    reported_date = CASE
        WHEN json_extract(properties, '$.date') GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN substr(json_extract(properties, '$.date'), 1, 10)
        ELSE date(received_at, '+7 hours') END,
    status = CASE trim(json_extract(properties, '$.status'))
        WHEN '' THEN NULL
        WHEN 'วางแผน' THEN 'planned' WHEN 'planned' THEN 'planned'
        WHEN 'กำลังดำเนินการ' THEN 'in_progress' WHEN 'อยู่ระหว่างดำเนินการ' THEN 'in_progress'
        WHEN 'in progress' THEN 'in_progress' WHEN 'in_progress' THEN 'in_progress'
        WHEN 'เสร็จแล้ว' THEN 'completed' WHEN 'เสร็จสิ้น' THEN 'completed' WHEN 'completed' THEN 'completed'
        ELSE trim(json_extract(properties, '$.status')) END;

CREATE TABLE record_versions (
    vid INTEGER PRIMARY KEY AUTOINCREMENT,
    id INTEGER NOT NULL,
    version INTEGER NOT NULL,
    withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
    reported_date TEXT NOT NULL,
    status TEXT,
    content_hash TEXT,
    geom GEOMETRY,
    kind TEXT NOT NULL,
    record_id TEXT,
    name TEXT,
    "row" INTEGER,
    lat REAL,
    lon REAL,
    subdistrict_code TEXT,
    district_code TEXT,
    province_code TEXT,
    inspection_zone TEXT,
    match TEXT,
    distance_m REAL,
    address_mismatch BOOLEAN,
    declared_subdistrict_code TEXT,
    warnings TEXT,
    batch_id TEXT,
    key_id INTEGER,
    received_at TEXT NOT NULL,
    properties TEXT,
    UNIQUE (id, version));

INSERT INTO record_versions (
    id, version, withdrawn, reported_date, status, content_hash, geom, kind, record_id, name, "row",
    lat, lon, subdistrict_code, district_code, province_code, inspection_zone, match, distance_m,
    address_mismatch, declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties)
SELECT id, 1, 0, reported_date, status, content_hash, geom, kind, record_id, name, "row",
    lat, lon, subdistrict_code, district_code, province_code, inspection_zone, match, distance_m,
    address_mismatch, declared_subdistrict_code, warnings, batch_id, key_id,
    coalesce(received_at, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')), properties
FROM records ORDER BY id;

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id, min_x, min_y, max_x, max_y)
    SELECT 'record_versions', 'features', 'geoplots record versions',
           'Every version of every record, append-only (withdrawn = 1: a tombstone)', 4326,
           min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'records';
INSERT INTO gpkg_geometry_columns VALUES ('record_versions', 'geom', 'GEOMETRY', 4326, 0, 0);

-- "as of" counts and progress series read each record's versions in order from this
-- index alone (when they were known, and the unit codes and status they count under)
CREATE INDEX record_versions_as_of ON record_versions(id, version, kind, received_at, reported_date, withdrawn,
    subdistrict_code, district_code, province_code, inspection_zone, status);
CREATE INDEX record_versions_received ON record_versions(received_at);
CREATE INDEX record_versions_reported ON record_versions(reported_date);
CREATE INDEX record_versions_kind_record_id ON record_versions(kind, record_id, version)
    WHERE record_id IS NOT NULL;

CREATE TRIGGER record_versions_no_update BEFORE UPDATE ON record_versions
BEGIN
    SELECT RAISE(ABORT, 'record_versions is append-only: add a version instead');
END;
CREATE TRIGGER record_versions_no_delete BEFORE DELETE ON record_versions
BEGIN
    SELECT RAISE(ABORT, 'record_versions is append-only: withdraw the record instead');
END;
