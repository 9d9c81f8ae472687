-- Recruiting: the tenant's job positions, and the applications job boards
-- (connectors) create for them.

-- `name_key` is the name trimmed and lower-cased by the host (Unicode, so
-- SQLite and PostgreSQL agree), for finding a position by name whatever
-- the case. `is_open` is 1 while the position takes applications.
CREATE TABLE positions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    department TEXT,
    is_open BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX positions_name ON positions (tenant_id, name_key);

-- One application per idempotency key and connector: a retried call finds
-- the first. `connector_id` and `idempotency_key` are empty (NULL) for an
-- application no connector created; NULLs never collide in the UNIQUE.
CREATE TABLE applications (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    position_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    source TEXT,
    message TEXT,
    connector_id TEXT,
    idempotency_key TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, connector_id, idempotency_key)
);
CREATE INDEX applications_created ON applications (tenant_id, created_at, id);
CREATE INDEX applications_position ON applications (tenant_id, position_id, created_at, id);

-- The files sent with an application, numbered from 1. As in
-- `connector_files`: BYTEA is PostgreSQL's binary type; SQLite stores the
-- bytes as a BLOB whatever the declared type.
CREATE TABLE application_attachments (
    tenant_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, application_id, seq)
);
