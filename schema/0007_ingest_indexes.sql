-- Ingest speed (issue 2 benchmark): every secondary index costs each insert.
-- Session time ranges and counts are now kept incrementally by ingest, and
-- nothing reads events by (session, ts) or by tool_use_id through an index.
DROP INDEX events_session_ts;
DROP INDEX events_tool_use;
