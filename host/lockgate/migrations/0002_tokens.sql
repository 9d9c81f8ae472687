-- API bearer tokens. Only the SHA-256 of a token is kept; the token itself
-- is shown once, when created.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    partner_id TEXT,
    tenant_id TEXT,
    marketplace_right BIGINT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL
);
