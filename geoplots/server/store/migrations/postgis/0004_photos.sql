-- geoplots PostGIS store, schema 4: photos sent with field records (issue #16).
--
-- The image files live in a directory every server process shares (settings.photos_dir);
-- this table keeps what is known of each: the record it came with (records.id, and the
-- sender's kind + record_id so a resend finds its photos), the SHA-256 of the bytes sent
-- (one photo per content per record: a resent report adds nothing), the decoded type and
-- size, and the position and time the camera wrote in its EXIF, with the distance from
-- the pin. (0003 is the history helper's record versions; the numbers are taken in that order.)
-- Applied by geoplots.server.store.postgis.PostGISStore.migrate() inside one transaction.

CREATE TABLE photos (
    id text PRIMARY KEY,
    record bigint NOT NULL,
    kind text NOT NULL,
    record_id text,
    sha256 text NOT NULL,
    media_type text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    bytes bigint NOT NULL,
    taken_at text,
    lat double precision,
    lon double precision,
    distance_m double precision,
    key_id integer,
    received_at text NOT NULL);
CREATE UNIQUE INDEX photos_record_content ON photos (record, sha256);
CREATE INDEX photos_kind_record_id ON photos (kind, record_id);
