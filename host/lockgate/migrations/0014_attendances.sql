-- Working time (Anwesenheiten): periods an employee worked on a day. A
-- timed period keeps its times as written (`HH:MM`) and as minutes from
-- the day's 00:00, so overlaps are found by numbers; the end of a night
-- shift lies past 1440. A duration-only period has no times.
CREATE TABLE attendances (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    work_date TEXT NOT NULL,
    start_time TEXT,
    end_time TEXT,
    start_minute BIGINT,
    end_minute BIGINT,
    duration_minutes BIGINT NOT NULL,
    break_minutes BIGINT NOT NULL,
    project TEXT,
    comment TEXT,
    status TEXT NOT NULL,
    -- The connector that wrote the period through the contract (NULL when
    -- the tenant wrote it), and the connector's own id for it.
    source_connector TEXT,
    external_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, source_connector, external_id)
);
CREATE INDEX attendances_date ON attendances (tenant_id, work_date);
CREATE INDEX attendances_employee ON attendances (tenant_id, employee_id, work_date);
