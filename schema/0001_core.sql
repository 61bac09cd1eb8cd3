-- Sessions and events as ingested from agent session logs (issue 2).

CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,          -- sesn_... or a Claude Code session UUID
        format      TEXT NOT NULL,             -- 'managed-agents' | 'claude-code'
        scope       TEXT NOT NULL,             -- the agent scope the session feeds
        source      TEXT,                      -- the file it was first read from ('-' for stdin)
        cwd         TEXT,                      -- Claude Code working directory
        git_branch  TEXT,
        agent       TEXT,                      -- agent id or name where the log names one
        first_ts    TEXT,                      -- earliest event time (RFC 3339 UTC)
        last_ts     TEXT,                      -- latest event time
        events      INTEGER NOT NULL DEFAULT 0,
        findings    INTEGER NOT NULL DEFAULT 0, -- rule findings redacted at ingest
        outcome     TEXT,                      -- last outcome evaluation result, if any
        created_at  TEXT NOT NULL
);
CREATE INDEX sessions_scope ON sessions(scope);

CREATE TABLE events (
        seq          INTEGER PRIMARY KEY,      -- ingest order; dreaming watermarks count in it
        session_id   TEXT NOT NULL REFERENCES sessions(id),
        event_id     TEXT NOT NULL,            -- the event's own id/uuid, or 'h:' + a content hash
        parent_id    TEXT,                     -- Claude Code parentUuid
        position     INTEGER NOT NULL,         -- line number in the source it came from
        type         TEXT NOT NULL,            -- as it came: 'agent.tool_use', 'assistant', ...
        role         TEXT,                     -- 'user' | 'assistant' | 'tool' | 'system'
        ts           TEXT,                     -- RFC 3339 UTC; NULL for a queued event
        text         TEXT,                     -- the human-readable content, blocks joined
        tool_name    TEXT,
        tool_use_id  TEXT,                     -- on results: the call they answer
        tool_input   TEXT,                     -- JSON
        is_error     INTEGER NOT NULL DEFAULT 0,
        is_sidechain INTEGER NOT NULL DEFAULT 0,
        raw          TEXT NOT NULL,            -- the line exactly as read
        ingested_at  TEXT NOT NULL,
        UNIQUE (session_id, event_id)
);
CREATE INDEX events_session_ts ON events(session_id, ts);
CREATE INDEX events_tool_use ON events(tool_use_id) WHERE tool_use_id IS NOT NULL;

CREATE TABLE ingest_runs (
        id          INTEGER PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        files       INTEGER NOT NULL DEFAULT 0,
        sessions    INTEGER NOT NULL DEFAULT 0,
        events      INTEGER NOT NULL DEFAULT 0,
        duplicates  INTEGER NOT NULL DEFAULT 0,
        rejected    INTEGER NOT NULL DEFAULT 0,
        skipped     INTEGER NOT NULL DEFAULT 0
);

-- Lines that could not be ingested, kept for inspection and re-ingest.
CREATE TABLE rejected_lines (
        id          INTEGER PRIMARY KEY,
        run_id      INTEGER REFERENCES ingest_runs(id),
        source      TEXT NOT NULL,
        line        INTEGER NOT NULL,
        reason      TEXT NOT NULL,
        content     BLOB,                      -- the line as read (capped, see ingest.c)
        content_sha256 TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        UNIQUE (source, line, content_sha256)
);
