-- Platform webhooks into curator serve (issue 12, docs/PLATFORM.md): the
-- webhook ids already accepted, so a replayed or redelivered event is acted
-- on once, and the sessions those events asked to have pulled.

-- One row per accepted webhook-id (the envelope's whe_... id). A second
-- delivery with the same id is acknowledged and not acted on. Rows older than
-- a day are pruned: a replay that old fails the 5-minute timestamp check.
CREATE TABLE platform_hooks (
        webhook_id  TEXT PRIMARY KEY,
        event_type  TEXT NOT NULL,          -- data.type, e.g. session.status_idled
        session_id  TEXT,                   -- data.id when it names a session
        queued      INTEGER NOT NULL,       -- 1 if it queued a pull
        received_at TEXT NOT NULL,
        received_ms INTEGER NOT NULL
);
CREATE INDEX platform_hooks_received ON platform_hooks(received_ms);

-- Sessions to pull, drained by serve's scheduler. One row per session: a new
-- webhook for a queued session only moves it forward (webhook_id changes), so
-- a pull that was running when it arrived does not delete it.
CREATE TABLE platform_pull_queue (
        session_id   TEXT PRIMARY KEY,
        webhook_id   TEXT NOT NULL,         -- the latest webhook that asked
        requested_at TEXT NOT NULL,
        next_at_ms   INTEGER NOT NULL,      -- when to try (Unix ms)
        attempts     INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
        last_error   TEXT
);
CREATE INDEX platform_pull_queue_due ON platform_pull_queue(state, next_at_ms);
