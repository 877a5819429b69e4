-- geoplots PostGIS store, schema 1: located records, API keys, the change counter.
-- Applied by geoplots.server.store.postgis.PostGISStore.migrate() inside one transaction.

CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE records (
    id                        bigserial PRIMARY KEY,
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
    received_at               timestamptz NOT NULL DEFAULT now(),
    properties                jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom                      geometry(Geometry, 4326)
);

-- A resent record (same kind and record_id) replaces the stored one instead of double-counting.
CREATE UNIQUE INDEX records_kind_record_id ON records (kind, record_id) WHERE record_id IS NOT NULL;
CREATE INDEX records_geom ON records USING gist (geom);
CREATE INDEX records_zone ON records (inspection_zone, id);
CREATE INDEX records_province ON records (province_code, id);

CREATE TABLE api_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL CHECK (role IN ('editor', 'inspector', 'admin')),
    zone       text,
    key_hash   text NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked    boolean NOT NULL DEFAULT false
);

-- One row: bumped by every committed batch (cache invalidation); its row lock also
-- serialises writers, so concurrent batches never deadlock on the record_id index.
CREATE TABLE store_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint NOT NULL
);
INSERT INTO store_version (version) VALUES (0);
