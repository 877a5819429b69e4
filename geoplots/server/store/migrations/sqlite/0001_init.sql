-- geoplots embedded store, schema 1 (as first shipped): a GeoPackage-style records
-- table, an R*Tree, API keys and the change counter, all in the one SQLite file.
-- Schema 2 (0002_geopackage.sql) makes the file a valid GeoPackage and moves the keys out.
-- Applied by geoplots.server.store.sqlite.SQLiteStore.migrate() inside one transaction.

CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
    ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', NULL),
    ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', NULL),
    ('WGS 84 geodetic', 4326, 'EPSG', 4326,
     'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]',
     'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
CREATE TABLE IF NOT EXISTS gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
    description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
    (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE,
    max_y DOUBLE, srs_id INTEGER);
CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
    table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
    PRIMARY KEY (table_name, column_name));
CREATE TABLE records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    geom BLOB,
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
    address_mismatch INTEGER,
    declared_subdistrict_code TEXT,
    warnings TEXT,
    batch_id TEXT,
    key_id INTEGER,
    received_at TEXT,
    properties TEXT);
CREATE UNIQUE INDEX records_kind_record_id ON records(kind, record_id)
    WHERE record_id IS NOT NULL;
CREATE INDEX records_zone ON records(inspection_zone, kind);
CREATE INDEX records_province ON records(province_code);
CREATE VIRTUAL TABLE records_rtree USING rtree(id, minx, maxx, miny, maxy);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('records', 'features', 'geoplots records',
            'Located field records (pins, plots, households) sent to the war-room server', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('records', 'geom', 'GEOMETRY', 4326, 0, 0);
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    zone TEXT,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO meta VALUES ('version', 0);
