-- A tenant admin's request for a connector the tenant has not connected:
-- "request this integration" (`integration`) or "request a demo"
-- (`demo`), with an optional message. The operator sees every request,
-- the connector's partner those for its connectors (through `plugins`).
-- `requested_by` is the label of the admin's token.
CREATE TABLE integration_requests (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    connector_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    message TEXT,
    requested_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX integration_requests_connector ON integration_requests (connector_id, created_at);
CREATE INDEX integration_requests_tenant ON integration_requests (tenant_id, created_at);
