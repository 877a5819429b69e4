-- geoplots key store (PostGIS), schema 1: the api_keys table, which is no feature table
-- (no geometry, not in geometry_columns). Databases made by the records schema 1 already
-- have it (postgis/0001_init.sql created it there), so this only creates it when missing.
-- Applied by geoplots.server.store.postgis.PostGISKeyStore.migrate() in one transaction,
-- after the records migrations.

CREATE TABLE IF NOT EXISTS api_keys (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    role       text NOT NULL CHECK (role IN ('editor', 'inspector', 'admin')),
    zone       text,
    key_hash   text NOT NULL UNIQUE,
    prefix     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked    boolean NOT NULL DEFAULT false
);
