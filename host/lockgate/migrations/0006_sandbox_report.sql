-- The report of running a submitted version in the review sandbox.
ALTER TABLE plugin_versions ADD COLUMN sandbox_report TEXT;
