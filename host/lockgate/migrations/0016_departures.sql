-- When people arrive and leave, as a connector sees it: the instant an
-- exclusion started (NULL for exclusions from before this migration: they
-- count as made before anyone could ask, and are never reported), the
-- instant an employee was included again, and the employees the tenant
-- removed. A removal keeps ids, instants and the two employment dates
-- only: enough to tell whether a connector could ever see the person.
ALTER TABLE employee_exclusions ADD COLUMN excluded_at TEXT;
CREATE INDEX employee_exclusions_since
    ON employee_exclusions (tenant_id, connector_id, excluded_at);

-- "Include in transfer to <connector>?" set back to Yes: the latest time.
CREATE TABLE employee_inclusions (
    tenant_id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    included_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, connector_id)
);

CREATE TABLE employee_removals (
    tenant_id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    removed_at TEXT NOT NULL,
    hire_date TEXT NOT NULL,
    termination_date TEXT,
    PRIMARY KEY (tenant_id, employee_id)
);
CREATE INDEX employee_removals_since ON employee_removals (tenant_id, removed_at);

-- The exclusions a removed employee had when removed: a connector that
-- lost sight of them earlier is not told again.
CREATE TABLE employee_removal_exclusions (
    tenant_id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    connector_id TEXT NOT NULL,
    excluded_at TEXT,
    PRIMARY KEY (tenant_id, employee_id, connector_id)
);

CREATE INDEX employees_terminated ON employees (tenant_id, termination_date);
