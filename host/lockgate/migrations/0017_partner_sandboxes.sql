-- A partner's sandbox tenant: one per partner, filled with synthetic
-- employees, where the partner installs its own versions (approved or
-- not) and runs them against the test hosts it declared (a JSON list of
-- origins). It lasts until `expires_at`; then its tenant's data is
-- removed (`removed_at`) and the row stays to say so until the partner
-- creates a new one.
CREATE TABLE partner_sandboxes (
    partner_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE,
    test_hosts TEXT NOT NULL,
    employees BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX partner_sandboxes_expiry ON partner_sandboxes (removed_at, expires_at);

-- A submission's test endpoint and test credentials, sealed like install
-- secrets, for the review to reach the partner's test API; erased when
-- the operator decides. `test_access_at` says when they were given, so a
-- review made with older ones does not overwrite the report of newer ones.
ALTER TABLE plugin_versions ADD COLUMN test_access TEXT;
ALTER TABLE plugin_versions ADD COLUMN test_access_at TEXT;
