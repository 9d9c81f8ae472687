-- A run's row counts by operation and status, kept as its rows are
-- appended: a run list shows them without counting every run's rows.
CREATE TABLE run_row_counts (
    run_id TEXT NOT NULL REFERENCES runs (id),
    operation TEXT NOT NULL,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (run_id, operation, status)
);
INSERT INTO run_row_counts (run_id, operation, status, n)
SELECT run_id, operation, status, COUNT(*) FROM run_rows GROUP BY run_id, operation, status;

-- A page of a run's rows filtered by status or by employee, in order,
-- read from the index without sorting the run's rows.
CREATE INDEX run_rows_status ON run_rows (run_id, status, seq);
DROP INDEX run_rows_employee;
CREATE INDEX run_rows_employee ON run_rows (run_id, employee_id, seq);
