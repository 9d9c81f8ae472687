-- What the host fills in when a connector creates an employee without it,
-- and how logins are formed.
CREATE TABLE tenant_settings (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    default_legal_entity TEXT,
    default_department TEXT,
    default_position TEXT,
    login_format TEXT,
    updated_at TEXT NOT NULL
);
