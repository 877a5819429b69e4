-- geoplots embedded store, schema 5: photos sent with field records (issue #16).
--
-- The image files live beside the store (settings.photos_dir, default <db>.photos/);
-- this table keeps what is known of each: the record it came with (records.id, and the
-- sender's kind + record_id so a resend finds its photos), the SHA-256 of the bytes sent
-- (one photo per content per record: a resent report adds nothing), the decoded type and
-- size, and the position and time the camera wrote in its EXIF, with the distance from
-- the pin. Registered in gpkg_contents as an attributes table: GIS tools (QGIS, GDAL) list
-- it beside records, so an inspector can join a record's photos and their EXIF positions.
-- (0004 is the history helper's record versions; the numbers are taken in that order.)
-- Applied by geoplots.server.store.sqlite.SQLiteStore.migrate() inside one transaction.

CREATE TABLE photos (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,  -- GeoPackage attribute tables have an integer key
    id TEXT NOT NULL UNIQUE,
    record INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record_id TEXT,
    sha256 TEXT NOT NULL,
    media_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    taken_at TEXT,
    lat REAL,
    lon REAL,
    distance_m REAL,
    key_id INTEGER,
    received_at TEXT NOT NULL);
CREATE UNIQUE INDEX photos_record_content ON photos(record, sha256);
CREATE INDEX photos_kind_record_id ON photos(kind, record_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description)
    VALUES ('photos', 'attributes', 'geoplots photos',
            'Photos sent with field records: record (records.id), type, size, EXIF time and position, distance from the pin; image files beside the store');
