-- One schema for SQLite and PostgreSQL: text ids, text instants in a
-- canonical sortable form, BIGINT for counters and flags.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE employees (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    preferred_name TEXT,
    department TEXT,
    position TEXT,
    status TEXT NOT NULL,
    work_email TEXT,
    personal_email TEXT,
    phone TEXT,
    birth_date TEXT,
    hire_date TEXT NOT NULL,
    termination_date TEXT,
    legal_entity TEXT,
    contract_type TEXT,
    weekly_hours DOUBLE PRECISION,
    supervisor_id TEXT,
    cost_center TEXT,
    salary_minor BIGINT,
    hourly_wage_minor BIGINT,
    currency TEXT,
    login TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX employees_updated ON employees (tenant_id, updated_at);

-- The tenant's "include in transfer to <connector>?" field, stored only
-- when the answer is No.
CREATE TABLE employee_exclusions (
    tenant_id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, connector_id)
);

CREATE TABLE absences (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    type_name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    half_day_start BIGINT NOT NULL,
    half_day_end BIGINT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX absences_window ON absences (tenant_id, start_date, end_date);
CREATE INDEX absences_employee ON absences (tenant_id, employee_id);

-- A connector connected to a tenant, pinned to one plugin build.
CREATE TABLE installs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    connector_id TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    plugin_sha256 TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- The connector's cursor, committed when a run does not fail.
CREATE TABLE install_state (
    install_id TEXT PRIMARY KEY REFERENCES installs (id),
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    install_id TEXT NOT NULL REFERENCES installs (id),
    tenant_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    plugin_version TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_trigger TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    duration_ms BIGINT,
    failure_reason TEXT,
    requests BIGINT NOT NULL DEFAULT 0,
    peak_memory BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX runs_install ON runs (install_id, started_at);

-- Monitoring rows: one per employee and operation.
CREATE TABLE run_rows (
    run_id TEXT NOT NULL REFERENCES runs (id),
    seq BIGINT NOT NULL,
    recorded_at TEXT NOT NULL,
    employee_id TEXT,
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    partner_status BIGINT,
    partner_body TEXT,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_rows_employee ON run_rows (run_id, employee_id);

CREATE TABLE run_logs (
    run_id TEXT NOT NULL REFERENCES runs (id),
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    level TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Employees created by connectors, by idempotency key: a retried delivery
-- finds the first employee instead of creating a second.
CREATE TABLE created_employees (
    tenant_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, connector_id, idempotency_key)
);
