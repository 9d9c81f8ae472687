-- Connectors and their versions as partners submit them and the operator
-- reviews them. A plugin id belongs to the partner who first submitted it.
CREATE TABLE plugins (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    first_party BIGINT NOT NULL,
    tier TEXT,
    listed_version TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE plugin_versions (
    plugin_id TEXT NOT NULL REFERENCES plugins (id),
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    manifest TEXT NOT NULL,
    imports TEXT NOT NULL,
    status TEXT NOT NULL,
    review_reasons TEXT,
    submitted_at TEXT NOT NULL,
    reviewed_at TEXT,
    PRIMARY KEY (plugin_id, version)
);
