-- A webhook delivery's body digest in a column of its own, indexed with
-- its install: telling a replay from a new delivery is one index search,
-- not a scan of every delivery the install ever had. Deliveries queued
-- before keep it inside their payload and are still searched there.
ALTER TABLE jobs ADD COLUMN delivery_digest TEXT;
CREATE INDEX jobs_delivery_digest ON jobs (install_id, kind, delivery_digest);
