-- curator serve (issue 7): bearer tokens and the webhook delivery queue.

-- A token is shown once when created; only its SHA-256 is kept, so a copy of
-- curator.db does not hand out access. id is a short public handle for
-- `curator tokens list|revoke`, never enough to authenticate.
CREATE TABLE serve_tokens (
        id          TEXT PRIMARY KEY,          -- tok_<12 hex>
        principal   TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
        hash        TEXT NOT NULL UNIQUE,      -- sha256 hex of the whole token text
        created_at  TEXT NOT NULL,
        expires_at  TEXT,                      -- RFC 3339 UTC, NULL = never
        revoked_at  TEXT                       -- NULL while the token is usable
);
CREATE INDEX serve_tokens_principal ON serve_tokens(principal);

-- Webhook events waiting to be delivered, so a crash between the event and
-- its delivery loses nothing: the deliverer retries with backoff until the
-- receiver answers 2xx or the attempts run out.
CREATE TABLE webhook_queue (
        id           INTEGER PRIMARY KEY,
        event        TEXT NOT NULL,            -- commit, approval, revert, ...
        body         TEXT NOT NULL,            -- the exact JSON that is signed and sent
        created_at   TEXT NOT NULL,
        next_at_ms   INTEGER NOT NULL,         -- when to try next (Unix ms)
        attempts     INTEGER NOT NULL DEFAULT 0,
        state        TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'delivered', 'failed')),
        last_error   TEXT,
        delivered_at TEXT
);
CREATE INDEX webhook_queue_due ON webhook_queue(state, next_at_ms);
