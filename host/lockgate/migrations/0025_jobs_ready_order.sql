-- The queue's next job is the first ready one in (due_at, created_at)
-- order. With both in the index, the search walks it in that order and
-- stops at the first job whose install is free, instead of checking and
-- sorting every queued job: ten thousand due syncs had made each lease
-- slower than the one before.
DROP INDEX jobs_ready;
CREATE INDEX jobs_ready ON jobs (status, due_at, created_at);
