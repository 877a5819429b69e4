-- geoplots embedded store, schema 2: the file becomes a valid GeoPackage 1.3 that holds
-- located records and nothing else a GIS would list.
--
-- * records is rebuilt with its geometry column declared by its type name (GEOMETRY:
--   pins and households are points, plots polygons) and address_mismatch as BOOLEAN;
--   every row keeps its id, and the id sequence carries on where it was.
-- * the R-tree becomes the registered gpkg_rtree_index extension (rtree_records_geom and
--   the specification's triggers), so GDAL and QGIS use it; the ST_* functions the
--   triggers call are registered by the store on each connection, as GDAL does.
-- * gpkg_contents gets the extent of the stored geometries (kept up to date per batch).
-- * the change counter and the migration log move into gpkg_metadata (the GeoPackage
--   metadata extension), so no bookkeeping table shows up as a layer.
-- * API keys leave the file: the store hands every api_keys row to its key store
--   (a separate file) before this script runs; the table is then dropped.
--
-- Applied by geoplots.server.store.sqlite.SQLiteStore.migrate() inside one transaction.

-- The specification's definitions of the core tables (schema 1 left out their NOT NULL
-- and foreign key constraints); their rows are copied as they are.
ALTER TABLE gpkg_spatial_ref_sys RENAME TO geoplots_v1_srs;
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL PRIMARY KEY,
    organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL,
    definition TEXT NOT NULL,
    description TEXT);
INSERT INTO gpkg_spatial_ref_sys SELECT * FROM geoplots_v1_srs;
DROP TABLE geoplots_v1_srs;

ALTER TABLE gpkg_contents RENAME TO geoplots_v1_contents;
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY,
    data_type TEXT NOT NULL,
    identifier TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE,
    min_y DOUBLE,
    max_x DOUBLE,
    max_y DOUBLE,
    srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
INSERT INTO gpkg_contents SELECT * FROM geoplots_v1_contents;
DROP TABLE geoplots_v1_contents;

ALTER TABLE gpkg_geometry_columns RENAME TO geoplots_v1_geometry_columns;
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL,
    z TINYINT NOT NULL,
    m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
INSERT INTO gpkg_geometry_columns SELECT * FROM geoplots_v1_geometry_columns;
DROP TABLE geoplots_v1_geometry_columns;

CREATE TABLE gpkg_extensions (
    table_name TEXT,
    column_name TEXT,
    extension_name TEXT NOT NULL,
    definition TEXT NOT NULL,
    scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));

-- Records, rebuilt with the declared column types. Renaming first keeps the old table's
-- row in sqlite_sequence (under its new name) so the next id can follow it.
ALTER TABLE records RENAME TO geoplots_v1_records;
DROP INDEX records_kind_record_id;
DROP INDEX records_zone;
DROP INDEX records_province;
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    received_at TEXT,
    properties TEXT);
INSERT INTO records (
    id, geom, kind, record_id, name, "row", lat, lon, subdistrict_code, district_code,
    province_code, inspection_zone, match, distance_m, address_mismatch,
    declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties)
SELECT
    id, geom, kind, record_id, name, "row", lat, lon, subdistrict_code, district_code,
    province_code, inspection_zone, match, distance_m, address_mismatch,
    declared_subdistrict_code, warnings, batch_id, key_id, received_at, properties
FROM geoplots_v1_records ORDER BY id;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'records', seq FROM sqlite_sequence WHERE name = 'geoplots_v1_records'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'records');
UPDATE sqlite_sequence
    SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'geoplots_v1_records'), 0))
    WHERE name = 'records';
DROP TABLE geoplots_v1_records;
CREATE UNIQUE INDEX records_kind_record_id ON records(kind, record_id)
    WHERE record_id IS NOT NULL;
CREATE INDEX records_zone ON records(inspection_zone, kind);
CREATE INDEX records_province ON records(province_code);

-- The spatial index as the GeoPackage RTree Spatial Indexes extension defines it.
DROP TABLE records_rtree;
CREATE VIRTUAL TABLE rtree_records_geom USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO rtree_records_geom
    SELECT id, ST_MinX(geom), ST_MaxX(geom), ST_MinY(geom), ST_MaxY(geom)
    FROM records WHERE geom NOT NULL AND NOT ST_IsEmpty(geom);
CREATE TRIGGER rtree_records_geom_insert AFTER INSERT ON records
  WHEN (new.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_records_geom VALUES (
    NEW.id,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;
CREATE TRIGGER rtree_records_geom_update1 AFTER UPDATE OF geom ON records
  WHEN OLD.id = NEW.id AND
       (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  INSERT OR REPLACE INTO rtree_records_geom VALUES (
    NEW.id,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;
CREATE TRIGGER rtree_records_geom_update2 AFTER UPDATE OF geom ON records
  WHEN OLD.id = NEW.id AND
       (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_records_geom WHERE id = OLD.id;
END;
CREATE TRIGGER rtree_records_geom_update3 AFTER UPDATE ON records
  WHEN OLD.id != NEW.id AND
       (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_records_geom WHERE id = OLD.id;
  INSERT OR REPLACE INTO rtree_records_geom VALUES (
    NEW.id,
    ST_MinX(NEW.geom), ST_MaxX(NEW.geom),
    ST_MinY(NEW.geom), ST_MaxY(NEW.geom)
  );
END;
CREATE TRIGGER rtree_records_geom_update4 AFTER UPDATE ON records
  WHEN OLD.id != NEW.id AND
       (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
BEGIN
  DELETE FROM rtree_records_geom WHERE id IN (OLD.id, NEW.id);
END;
CREATE TRIGGER rtree_records_geom_delete AFTER DELETE ON records
  WHEN old.geom NOT NULL
BEGIN
  DELETE FROM rtree_records_geom WHERE id = OLD.id;
END;
INSERT INTO gpkg_extensions VALUES
    ('records', 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');

-- The extent of what is stored (NULL while the store is empty); each batch widens it.
UPDATE gpkg_contents SET
    min_x = (SELECT min(minx) FROM rtree_records_geom),
    min_y = (SELECT min(miny) FROM rtree_records_geom),
    max_x = (SELECT max(maxx) FROM rtree_records_geom),
    max_y = (SELECT max(maxy) FROM rtree_records_geom),
    last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
WHERE table_name = 'records';

-- Bookkeeping in the GeoPackage metadata extension: the change counter (one row, its
-- value as text) and one row per applied migration (JSON), all about this GeoPackage.
CREATE TABLE gpkg_metadata (
    id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
    md_scope TEXT NOT NULL DEFAULT 'dataset',
    md_standard_uri TEXT NOT NULL,
    mime_type TEXT NOT NULL DEFAULT 'text/xml',
    metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (
    reference_scope TEXT NOT NULL,
    table_name TEXT,
    column_name TEXT,
    row_id_value INTEGER,
    timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    md_file_id INTEGER NOT NULL,
    md_parent_id INTEGER,
    CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
    CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
INSERT INTO gpkg_extensions VALUES
    ('gpkg_metadata', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write'),
    ('gpkg_metadata_reference', NULL, 'gpkg_metadata', 'http://www.geopackage.org/spec120/#extension_metadata', 'read-write');
INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata)
    SELECT 'dataset', 'urn:geoplots:store:version', 'text/plain', CAST(value AS TEXT)
    FROM meta WHERE key = 'version';
INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata)
    SELECT 'schema', 'urn:geoplots:store:migration', 'application/json',
           json_object('version', version, 'name', name, 'applied_at', applied_at)
    FROM schema_migrations ORDER BY version;
INSERT INTO gpkg_metadata_reference (reference_scope, md_file_id)
    SELECT 'geopackage', id FROM gpkg_metadata ORDER BY id;
DROP TABLE meta;
DROP TABLE schema_migrations;

-- The keys now live in the key store (copied by the store before this script ran).
DROP TABLE api_keys;
