-- An audit row written late (kept in the worker while PostgreSQL was down) may be sent twice when
-- a connection drops after the commit: each call's own id makes the second insert a no-op.
ALTER TABLE api_calls ADD COLUMN call_id uuid;
CREATE UNIQUE INDEX api_calls_call_id_idx ON api_calls (call_id);
