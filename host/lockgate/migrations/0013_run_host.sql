-- Which host (replica) ran a run, so a run taken over after a stop can be
-- told apart from the one that stopped.
ALTER TABLE runs ADD COLUMN host TEXT;
