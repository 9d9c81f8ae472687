-- What every replica sharing the database needs and no replica's disk may
-- hold alone.
--
-- Connector files (the submitted `.wasm` bytes), keyed by the SHA-256 of
-- their bytes; `size` is their length. BYTEA is PostgreSQL's binary type;
-- SQLite stores the bytes as a BLOB whatever the declared type.
CREATE TABLE connector_files (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- Values the replicas must agree on. `secret-key-check` is an empty map
-- sealed with the secret key by the first host that started: a host with
-- another key cannot open it and refuses to start, instead of failing runs
-- whose secrets another replica sealed.
CREATE TABLE shared_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
