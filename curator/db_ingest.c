#include "db_ingest.h"

#include "db_internal.h"
#include "ingest.h"

static const char SQL_RUN_START[] = "INSERT INTO ingest_runs(started_at) VALUES (?)";
static const char SQL_RUN_FINISH[] =
        "UPDATE ingest_runs SET finished_at = ?2, files = ?3, sessions = ?4, events = ?5,"
        " duplicates = ?6, rejected = ?7, skipped = ?8 WHERE id = ?1";
static const char SQL_SESSION_INSERT[] =
        "INSERT INTO sessions(id, format, scope, source, created_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(id) DO NOTHING";
static const char SQL_SESSION_REFRESH[] =
        "UPDATE sessions SET events = events + ?7,"
        " first_ts = CASE WHEN ?8 IS NOT NULL AND (first_ts IS NULL OR ?8 < first_ts)"
        " THEN ?8 ELSE first_ts END,"
        " last_ts = CASE WHEN ?9 IS NOT NULL AND (last_ts IS NULL OR ?9 > last_ts)"
        " THEN ?9 ELSE last_ts END,"
        " cwd = coalesce(cwd, ?2), git_branch = coalesce(git_branch, ?3),"
        " agent = coalesce(agent, ?4), outcome = coalesce(?5, outcome),"
        " findings = findings + ?6"
        " WHERE id = ?1";
static const char SQL_EVENT_INSERT[] =
        "INSERT INTO events(session_id, event_id, parent_id, position, type, role, ts, text,"
        " tool_name, tool_use_id, tool_input, is_error, is_sidechain, raw, ingested_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(session_id, event_id) DO NOTHING";
static const char SQL_EVENT_TIME[] =
        "UPDATE events SET ts = ?3, raw = ?4 WHERE session_id = ?1 AND event_id = ?2"
        " AND ts IS NULL";
static const char SQL_REJECTED_INSERT[] =
        "INSERT INTO rejected_lines(run_id, source, line, reason, content, content_sha256,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(source, line, content_sha256) DO NOTHING";

int db_ingest_run_start(struct db *db, const char *now, int64_t *run_id, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_RUN_START, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, now);
        if (db_step_done(db, st, err, "recording an ingest run") < 0)
                return -1;
        *run_id = sqlite3_last_insert_rowid(db->sql);
        return 0;
}

int db_ingest_run_finish(struct db *db, int64_t run_id, const struct ingest_stats *s,
                         const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_RUN_FINISH, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, run_id);
        db_bind_text(st, 2, now);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)s->files);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)s->sessions);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)s->events);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)s->duplicates);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)s->rejected);
        sqlite3_bind_int64(st, 8, (sqlite3_int64)s->skipped);
        return db_step_done(db, st, err, "recording an ingest run");
}

int db_session_ensure(struct db *db, const struct db_session_row *s, int *created,
                      struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_SESSION_INSERT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, s->id);
        db_bind_text(st, 2, s->format);
        db_bind_text(st, 3, s->scope);
        db_bind_text(st, 4, s->source);
        db_bind_text(st, 5, s->created_at);
        if (db_step_done(db, st, err, "storing a session") < 0)
                return -1;
        *created = sqlite3_changes(db->sql) > 0;
        return 0;
}

int db_session_refresh(struct db *db, const char *id, const char *cwd, const char *git_branch,
                       const char *agent, const char *outcome, int64_t findings,
                       int64_t new_events, const char *first_ts, const char *last_ts,
                       struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_SESSION_REFRESH, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, cwd);
        db_bind_text(st, 3, git_branch);
        db_bind_text(st, 4, agent);
        db_bind_text(st, 5, outcome);
        sqlite3_bind_int64(st, 6, findings);
        sqlite3_bind_int64(st, 7, new_events);
        db_bind_text(st, 8, first_ts);
        db_bind_text(st, 9, last_ts);
        return db_step_done(db, st, err, "updating a session");
}

int db_event_insert(struct db *db, const struct db_event_row *e, int *inserted,
                    struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_EVENT_INSERT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, e->session_id);
        db_bind_text(st, 2, e->event_id);
        db_bind_text(st, 3, e->parent_id);
        sqlite3_bind_int64(st, 4, e->position);
        db_bind_text(st, 5, e->type);
        db_bind_text(st, 6, e->role);
        db_bind_text(st, 7, e->ts);
        sqlite3_bind_text(st, 8, e->text, (int)e->text_len, SQLITE_STATIC);
        db_bind_text(st, 9, e->tool_name);
        db_bind_text(st, 10, e->tool_use_id);
        db_bind_text(st, 11, e->tool_input);
        sqlite3_bind_int(st, 12, e->is_error);
        sqlite3_bind_int(st, 13, e->is_sidechain);
        sqlite3_bind_text(st, 14, e->raw, (int)e->raw_len, SQLITE_STATIC);
        db_bind_text(st, 15, e->ingested_at);
        if (db_step_done(db, st, err, "storing an event") < 0)
                return -1;
        *inserted = sqlite3_changes(db->sql) > 0;
        if (*inserted || !e->ts)
                return 0;
        st = db_stmt(db, SQL_EVENT_TIME, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, e->session_id);
        db_bind_text(st, 2, e->event_id);
        db_bind_text(st, 3, e->ts);
        sqlite3_bind_text(st, 4, e->raw, (int)e->raw_len, SQLITE_STATIC);
        return db_step_done(db, st, err, "updating a queued event");
}

int db_rejected_insert(struct db *db, int64_t run_id, const char *source, int64_t line,
                       const char *reason, const void *content, size_t len,
                       const char *content_sha256, const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_REJECTED_INSERT, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, run_id);
        db_bind_text(st, 2, source);
        sqlite3_bind_int64(st, 3, line);
        db_bind_text(st, 4, reason);
        sqlite3_bind_blob(st, 5, content, (int)len, SQLITE_STATIC);
        db_bind_text(st, 6, content_sha256);
        db_bind_text(st, 7, now);
        return db_step_done(db, st, err, "keeping a rejected line");
}

static const char SQL_SESSIONS_LIST[] =
        "SELECT id, format, scope, source, cwd, git_branch, agent, first_ts, last_ts, outcome,"
        " events, findings FROM sessions WHERE ?1 IS NULL OR scope = ?1"
        " ORDER BY coalesce(last_ts, created_at) DESC, id";
static const char SQL_REJECTED_LIST[] =
        "SELECT id, run_id, line, source, reason, created_at, length(content)"
        " FROM rejected_lines ORDER BY id DESC LIMIT ?1";

int db_sessions_list(struct db *db, const char *scope,
                     int (*fn)(void *ctx, const struct db_session_info *s), void *ctx,
                     struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_SESSIONS_LIST, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct db_session_info s = {
                        .id = (const char *)sqlite3_column_text(st, 0),
                        .format = (const char *)sqlite3_column_text(st, 1),
                        .scope = (const char *)sqlite3_column_text(st, 2),
                        .source = (const char *)sqlite3_column_text(st, 3),
                        .cwd = (const char *)sqlite3_column_text(st, 4),
                        .git_branch = (const char *)sqlite3_column_text(st, 5),
                        .agent = (const char *)sqlite3_column_text(st, 6),
                        .first_ts = (const char *)sqlite3_column_text(st, 7),
                        .last_ts = (const char *)sqlite3_column_text(st, 8),
                        .outcome = (const char *)sqlite3_column_text(st, 9),
                        .events = sqlite3_column_int64(st, 10),
                        .findings = sqlite3_column_int64(st, 11),
                };
                if (fn(ctx, &s) < 0)
                        break;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "listing sessions");
        return 0;
}

int db_rejected_list(struct db *db, int64_t limit,
                     int (*fn)(void *ctx, const struct db_rejected_info *r), void *ctx,
                     struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_REJECTED_LIST, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct db_rejected_info r = {
                        .id = sqlite3_column_int64(st, 0),
                        .run_id = sqlite3_column_int64(st, 1),
                        .line = sqlite3_column_int64(st, 2),
                        .source = (const char *)sqlite3_column_text(st, 3),
                        .reason = (const char *)sqlite3_column_text(st, 4),
                        .created_at = (const char *)sqlite3_column_text(st, 5),
                        .content_len = (size_t)sqlite3_column_int64(st, 6),
                };
                if (fn(ctx, &r) < 0)
                        break;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "listing rejected lines");
        return 0;
}
