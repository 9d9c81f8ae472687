-- The stored report is the automated review's, which includes the sandbox run.
ALTER TABLE plugin_versions RENAME COLUMN sandbox_report TO review_report;
