-- When the termination date an employee carries was entered. A departure
-- by termination is dated by the later of the day after the last day and
-- this instant, so a termination entered after a connector last asked is
-- still reported to it. NULL for terminations entered before this
-- migration: they keep the day after the last day, as before. A removal
-- keeps the instant with the termination date.
ALTER TABLE employees ADD COLUMN termination_recorded_at TEXT;
ALTER TABLE employee_removals ADD COLUMN termination_recorded_at TEXT;
CREATE INDEX employees_termination_recorded
    ON employees (tenant_id, termination_recorded_at);
