-- What kind of failure ended a Failed run (deadline, memory, denied, trap,
-- partner, …), beside the reason in words.
ALTER TABLE runs ADD COLUMN failure_kind TEXT;
