-- The audit log (issue 6): append-only and hash-chained. Each row's hash is
-- SHA-256 over the previous row's hash and this row's fields (audit.c), so an
-- altered or removed row breaks the chain where it was.
CREATE TABLE audit_log (
        id         INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,   -- ingest, dream, review.approve, review.reject, ...
        object     TEXT NOT NULL,   -- what it acted on: 'diff:12', 'commit:<sha>', 'run:3'
        detail     TEXT NOT NULL,   -- JSON; ids, counts and hashes, never content
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
);
CREATE INDEX audit_log_action ON audit_log(action);

-- Defence in depth: curator itself never changes a row. (Someone with the
-- file can drop these; the hash chain is what detects them.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
