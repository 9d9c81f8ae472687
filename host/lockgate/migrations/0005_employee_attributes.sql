-- A tenant's own employee fields ("T-shirt size", "Badge number"), by name.
CREATE TABLE employee_attributes (
    tenant_id TEXT NOT NULL,
    employee_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, employee_id, name)
);
