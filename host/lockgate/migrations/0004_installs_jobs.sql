-- Installs as tenants manage them: sealed secrets, a schedule, a status
-- with its reason, and the next scheduled slot.
ALTER TABLE installs ADD COLUMN secrets TEXT;
ALTER TABLE installs ADD COLUMN schedule TEXT;
ALTER TABLE installs ADD COLUMN status_reason TEXT;
ALTER TABLE installs ADD COLUMN failure_streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE installs ADD COLUMN next_run_at TEXT;
ALTER TABLE installs ADD COLUMN last_check_at TEXT;
ALTER TABLE installs ADD COLUMN updated_at TEXT;
CREATE INDEX installs_tenant ON installs (tenant_id, connector_id);
CREATE INDEX installs_due ON installs (status, next_run_at);

-- Durable work: scheduled and manual syncs (and later events and webhook
-- deliveries). Workers lease a job until `lease_until`; a lease that runs
-- out belongs to a stopped host and the job is picked up again.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    install_id TEXT NOT NULL REFERENCES installs (id),
    tenant_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_trigger TEXT NOT NULL,
    payload TEXT,
    -- A scheduled slot is enqueued once, whichever replica gets there first.
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL,
    due_at TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TEXT,
    run_id TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX jobs_ready ON jobs (status, due_at);
CREATE INDEX jobs_install ON jobs (install_id, status);

ALTER TABLE runs ADD COLUMN job_id TEXT;
