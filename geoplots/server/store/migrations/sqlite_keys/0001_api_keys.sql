-- geoplots key store (embedded), schema 1: API keys, in their own SQLite file beside the
-- records GeoPackage (<db>.keys.sqlite, mode 0600), never inside it.
-- Only the SHA-256 of each secret is stored. Ids carry on from the keys an older store
-- held in its own api_keys table (moved here on its first start with this schema).
-- Applied by geoplots.server.store.sqlite_keys.SQLiteKeyStore.migrate() in one transaction.

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('editor', 'inspector', 'admin')),
    zone TEXT,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0);
