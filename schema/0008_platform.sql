-- The platform (issue 12, docs/PLATFORM.md): what `curator pull` has read of
-- each Managed Agents session, and what `curator publish` has put into each
-- platform memory store. Ids, times and hashes only: never content, never
-- the API key.

-- Per session: the newest processed_at seen (as the platform wrote it, and
-- in Unix ms for comparing) and the ids of the events stored at exactly that
-- time, so the next pull asks for created_at[gte]=last_processed_at and
-- skips what it already has, without missing an event that shares the time.
-- Updated only after the page it describes is stored: a crash in between
-- refetches that page, which ingest counts as duplicates, never doubles.
CREATE TABLE platform_cursors (
        session_id        TEXT PRIMARY KEY,
        agent_id          TEXT,
        scope             TEXT NOT NULL,
        last_processed_at TEXT,                -- NULL until an event with a time is stored
        last_ms           INTEGER,
        ids_at_last       TEXT NOT NULL DEFAULT '[]', -- JSON array of event ids at last_ms
        events            INTEGER NOT NULL DEFAULT 0, -- new events stored through pulls
        updated_at        TEXT NOT NULL
);

-- Per (platform store, curator memory): the platform memory it was published
-- as, at which path, with which content hash. A row outlives the memory's
-- deletion (retired_at set), so that erasing the memory later still reaches
-- its versions on the platform; erasure removes the row once they are
-- redacted.
CREATE TABLE platform_published (
        memory_store_id    TEXT NOT NULL,
        memory_id          TEXT NOT NULL,      -- curator mem-<hex>
        platform_memory_id TEXT NOT NULL,      -- mem_...
        path               TEXT NOT NULL,
        content_sha256     TEXT NOT NULL,
        scope              TEXT NOT NULL,
        published_at       TEXT NOT NULL,
        retired_at         TEXT,               -- deleted from the platform store at
        PRIMARY KEY (memory_store_id, memory_id)
);
CREATE INDEX platform_published_platform ON platform_published(memory_store_id, platform_memory_id);

-- Per platform store: the scope and store commit it last fully matched, so
-- a rerun with nothing new makes no call at all.
CREATE TABLE platform_publishes (
        memory_store_id TEXT PRIMARY KEY,
        scope           TEXT NOT NULL,
        commit_id       TEXT NOT NULL,
        published_at    TEXT NOT NULL
);

-- Per (platform store, platform memory, curator memory): an import proposed
-- that platform memory's content as that curator memory. If the curator
-- memory is later erased, the platform memory it came from is deleted and its
-- versions redacted too, so the subject does not survive where it came from.
CREATE TABLE platform_imported (
        memory_store_id    TEXT NOT NULL,
        platform_memory_id TEXT NOT NULL,
        memory_id          TEXT NOT NULL,
        diff_id            INTEGER NOT NULL,
        imported_at        TEXT NOT NULL,
        PRIMARY KEY (memory_store_id, platform_memory_id, memory_id)
);
CREATE INDEX platform_imported_memory ON platform_imported(memory_id);
