-- The git memory store (issue 4): principals and groups (who may approve,
-- revert, purge), and the SQLite index of the store's head that search and
-- serving read. The index is a cache: `curator store reindex` rebuilds it
-- from store.git at any time.

CREATE TABLE principals (
        name        TEXT PRIMARY KEY,          -- [A-Za-z0-9._-]
        role        TEXT NOT NULL CHECK (role IN ('owner', 'compliance', 'agent', 'admin')),
        scopes      TEXT,                      -- comma-separated scopes; NULL = every scope
        created_at  TEXT NOT NULL
);

CREATE TABLE principal_groups (
        name        TEXT PRIMARY KEY,          -- referred to as @name in OWNERS
        created_at  TEXT NOT NULL
);

CREATE TABLE group_members (
        group_name  TEXT NOT NULL REFERENCES principal_groups(name) ON DELETE CASCADE,
        principal   TEXT NOT NULL REFERENCES principals(name) ON DELETE CASCADE,
        PRIMARY KEY (group_name, principal)
);

-- One row per memory file at the indexed commit.
CREATE TABLE store_memories (
        id          TEXT PRIMARY KEY,          -- mem-<16 hex>
        path        TEXT NOT NULL UNIQUE,      -- memories/<scope>/<slug>-<hex>.md
        scope       TEXT NOT NULL,
        owner       TEXT NOT NULL,
        retention   TEXT NOT NULL,
        created     TEXT NOT NULL,
        updated     TEXT NOT NULL,
        expires     TEXT NOT NULL,             -- RFC 3339 UTC or 'never'
        legal_hold  INTEGER NOT NULL DEFAULT 0,
        sources     TEXT NOT NULL,             -- newline-separated session_id/event_id
        tags        TEXT NOT NULL,             -- space-separated
        text        TEXT NOT NULL,             -- the Markdown body
        blob        TEXT NOT NULL,             -- git blob id of the whole file
        commit_id   TEXT NOT NULL              -- the head this row was written at
);
CREATE INDEX store_memories_scope ON store_memories(scope, updated);
CREATE INDEX store_memories_expires ON store_memories(expires);

-- Which store commit the rows above describe (one row). Behind the ref means
-- a writer died between the ref update and the index update: the next write,
-- `store verify` and `store reindex` notice it.
CREATE TABLE store_index_state (
        one         INTEGER PRIMARY KEY CHECK (one = 1),
        head        TEXT NOT NULL,
        indexed_at  TEXT NOT NULL
);

CREATE VIRTUAL TABLE store_memories_fts USING fts5(
        text, tags, content='store_memories', content_rowid='rowid',
        tokenize='unicode61 remove_diacritics 2');

CREATE TRIGGER store_memories_ai AFTER INSERT ON store_memories BEGIN
        INSERT INTO store_memories_fts(rowid, text, tags) VALUES (new.rowid, new.text, new.tags);
END;
CREATE TRIGGER store_memories_ad AFTER DELETE ON store_memories BEGIN
        INSERT INTO store_memories_fts(store_memories_fts, rowid, text, tags)
                VALUES ('delete', old.rowid, old.text, old.tags);
END;
CREATE TRIGGER store_memories_au AFTER UPDATE ON store_memories BEGIN
        INSERT INTO store_memories_fts(store_memories_fts, rowid, text, tags)
                VALUES ('delete', old.rowid, old.text, old.tags);
        INSERT INTO store_memories_fts(rowid, text, tags) VALUES (new.rowid, new.text, new.tags);
END;
