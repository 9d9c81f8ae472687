-- Installs whose connector signs in by authorization code: the admin's
-- tokens, sealed like the install's other secrets, and who signed in when.
ALTER TABLE installs ADD COLUMN oauth_tokens TEXT;
ALTER TABLE installs ADD COLUMN signed_in_at TEXT;
ALTER TABLE installs ADD COLUMN signed_in_by TEXT;

-- A sign-in under way: the admin was sent to the partner and has not come
-- back yet. Found by the hash of the `state` the partner hands back, bound
-- to the admin's browser by the hash of a cookie, holding the PKCE
-- verifier (sealed) and the redirect address the code is exchanged with.
CREATE TABLE oauth_sign_ins (
    state_hash TEXT PRIMARY KEY,
    install_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    binding_hash TEXT NOT NULL,
    verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    started_by TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX oauth_sign_ins_expiry ON oauth_sign_ins (expires_at);
