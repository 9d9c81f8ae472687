-- Every read and write of HR data a connector made, per install and run.
CREATE TABLE audit_log (
    tenant_id TEXT NOT NULL,
    install_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL,
    employee_ids TEXT NOT NULL,
    attribute_groups TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at);
