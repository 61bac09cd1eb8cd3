-- Retention, legal holds, purges and erasure (issue 9, docs/RETENTION.md).

-- A legal hold keeps a memory, every memory and event of a scope, or every
-- memory sourced from and every event of a session out of purges and
-- erasures until it is released. Released holds stay, for the record.
CREATE TABLE holds (
        id             INTEGER PRIMARY KEY,
        kind           TEXT NOT NULL CHECK (kind IN ('memory', 'scope', 'session')),
        target         TEXT NOT NULL,          -- memory id, scope name or session id
        reason         TEXT NOT NULL,
        created_by     TEXT NOT NULL,
        created_at     TEXT NOT NULL,
        released_by    TEXT,
        released_at    TEXT,                   -- NULL while the hold is in force
        release_reason TEXT
);
CREATE UNIQUE INDEX holds_active ON holds(kind, target) WHERE released_at IS NULL;

-- One row per purge (retention) or erasure (forget). An erasure is planned
-- ('pending') before the store's ref moves, applied to the database after
-- it moved ('applied'), and 'done' once no old object is left, so a rerun
-- after a crash knows where it stopped. Counts and hashes only: never the
-- content, never the subject.
CREATE TABLE purges (
        id             INTEGER PRIMARY KEY,
        kind           TEXT NOT NULL CHECK (kind IN ('purge', 'forget')),
        state          TEXT NOT NULL CHECK (state IN ('pending', 'applied', 'done', 'abandoned')),
        actor          TEXT NOT NULL,
        started_at     TEXT NOT NULL,
        finished_at    TEXT,
        clock          TEXT,                   -- purge: the time expiry was judged against
        memories       INTEGER NOT NULL DEFAULT 0,
        events         INTEGER NOT NULL DEFAULT 0,
        hunks          INTEGER NOT NULL DEFAULT 0, -- forget: review hunks scrubbed
        skipped        INTEGER NOT NULL DEFAULT 0, -- purge: items held back by holds
        old_head       TEXT,
        new_head       TEXT,                   -- purge: its commit; forget: the rewritten main
        commits        INTEGER NOT NULL DEFAULT 0, -- forget: commits rewritten
        memories_sha256 TEXT,                  -- over the sorted per-memory hashes below
        events_sha256  TEXT                    -- over the sorted per-event hashes below
);

-- What each purge removed: a memory (ref = memory id, sha256 of the file at
-- head, or for an erasure of every version concatenated in history order),
-- an event (ref = session_id/event_id, sha256 of raw), a hunk or a rejected
-- line that was scrubbed (ref = its id).
CREATE TABLE purge_items (
        purge_id       INTEGER NOT NULL REFERENCES purges(id),
        kind           TEXT NOT NULL CHECK (kind IN ('memory', 'event', 'hunk', 'rejected_line')),
        ref            TEXT NOT NULL,
        sha256         TEXT NOT NULL,
        PRIMARY KEY (purge_id, kind, ref)
);

-- Old → new store commit ids after an erasure rewrote history, so a client
-- pinned to a commit that no longer exists gets the nearest rewritten one
-- (a commit that only touched erased memories maps to its rewritten parent).
CREATE TABLE commit_map (
        old_commit     TEXT PRIMARY KEY,
        new_commit     TEXT NOT NULL,
        purge_id       INTEGER NOT NULL REFERENCES purges(id)
);
CREATE INDEX commit_map_new ON commit_map(new_commit);
