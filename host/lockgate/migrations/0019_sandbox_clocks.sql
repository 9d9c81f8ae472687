-- A sandbox tenant's own clock, set with `lockgate sandbox clock`: how far
-- ahead of the system clock it runs, in milliseconds (behind when
-- negative). The sandbox commands stamp their changes by it, and
-- `lockgate plugin run` runs a connector on that tenant by it. A tenant
-- without a row follows the system clock.
CREATE TABLE sandbox_clocks (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (id),
    ahead_ms BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
