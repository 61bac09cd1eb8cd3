-- Dreaming (issue 5): passes, their lease and watermarks, and the memory
-- diffs they propose, hunk by hunk, for review (issue 6).

-- Named leases: one row per kind of exclusive work ('dream'). A holder renews
-- its lease while it works; a lease whose holder died simply expires.
CREATE TABLE leases (
        name        TEXT PRIMARY KEY,
        holder      TEXT NOT NULL,
        expires_ms  INTEGER NOT NULL
);

-- Per scope: the last event (events.seq) a pass has read.
CREATE TABLE dream_watermarks (
        scope       TEXT PRIMARY KEY,
        last_seq    INTEGER NOT NULL,
        updated_at  TEXT NOT NULL
);

CREATE TABLE dream_runs (
        id            INTEGER PRIMARY KEY,
        dreamer       TEXT NOT NULL,           -- 'heuristic' | 'llm'
        started_at    TEXT NOT NULL,
        finished_at   TEXT,
        status        TEXT NOT NULL,           -- 'running' | 'done' | 'failed'
        events        INTEGER NOT NULL DEFAULT 0,
        scopes        INTEGER NOT NULL DEFAULT 0,
        diffs         INTEGER NOT NULL DEFAULT 0,
        hunks         INTEGER NOT NULL DEFAULT 0,
        blocked       INTEGER NOT NULL DEFAULT 0,
        input_tokens  INTEGER NOT NULL DEFAULT 0,
        output_tokens INTEGER NOT NULL DEFAULT 0,
        error         TEXT
);

CREATE TABLE diffs (
        id           INTEGER PRIMARY KEY,
        run_id       INTEGER NOT NULL REFERENCES dream_runs(id),
        scope        TEXT NOT NULL,
        base_commit  TEXT,                     -- the store head it was proposed against
        state        TEXT NOT NULL,            -- pending | partially_approved | approved |
                                               -- rejected | superseded | conflicted
        source       TEXT NOT NULL DEFAULT 'dream', -- 'dream' | 'import'
        superseded_by INTEGER REFERENCES diffs(id),
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL
);
CREATE INDEX diffs_scope_state ON diffs(scope, state);

CREATE TABLE hunks (
        id           INTEGER PRIMARY KEY,
        diff_id      INTEGER NOT NULL REFERENCES diffs(id),
        idx          INTEGER NOT NULL,         -- 1-based position in its diff
        op           TEXT NOT NULL,            -- add | update | delete
        memory_id    TEXT NOT NULL,
        path         TEXT NOT NULL,
        old_text     TEXT,                     -- the memory at base_commit (update, delete)
        new_text     TEXT,                     -- redacted; NULL for delete
        tags         TEXT,                     -- comma-separated
        rationale    TEXT NOT NULL,
        evidence     TEXT NOT NULL,            -- JSON array of "session_id/event_id"
        confidence   REAL NOT NULL,
        blocked      INTEGER NOT NULL DEFAULT 0,
        findings     TEXT NOT NULL DEFAULT '[]', -- JSON array of rule findings on new_text
        state        TEXT NOT NULL DEFAULT 'pending', -- pending | approved | rejected
        decided_by   TEXT,
        decided_at   TEXT,
        reason       TEXT,
        commit_id    TEXT,                     -- the store commit that took it
        UNIQUE (diff_id, idx)
);
CREATE INDEX hunks_memory ON hunks(memory_id);

-- Every state change of a diff, by whom and why.
CREATE TABLE diff_transitions (
        id          INTEGER PRIMARY KEY,
        diff_id     INTEGER NOT NULL REFERENCES diffs(id),
        from_state  TEXT,
        to_state    TEXT NOT NULL,
        actor       TEXT NOT NULL,
        at          TEXT NOT NULL,
        detail      TEXT
);

-- Reinforcement of existing memories seen in new sessions: no reviewer
-- attention is spent on it, but it keeps a memory from going stale.
CREATE TABLE memory_reinforcements (
        memory_id   TEXT NOT NULL,
        session_id  TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        at          TEXT NOT NULL,
        PRIMARY KEY (memory_id, session_id, event_id)
);

-- A pass reads one scope's new events session by session, in ingest order.
CREATE INDEX events_session_seq ON events(session_id, seq);
