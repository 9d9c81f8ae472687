-- The secret a partner tool signs or authenticates webhook deliveries
-- with, sealed like the install's other secrets.
ALTER TABLE installs ADD COLUMN webhook_secret TEXT;
