/* SQL for the platform: cursors, publish mapping and state (db_platform.h). */
#include "db_platform.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_internal.h"

static const char SQL_CURSOR_GET[] =
    "SELECT session_id, agent_id, scope, last_processed_at, coalesce(last_ms, 0),"
    " ids_at_last, events FROM platform_cursors WHERE session_id = ?";
static const char SQL_CURSOR_PUT[] =
    "INSERT INTO platform_cursors(session_id, agent_id, scope, last_processed_at, last_ms,"
    " ids_at_last, events, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(session_id) DO UPDATE SET agent_id = excluded.agent_id,"
    " scope = excluded.scope, last_processed_at = excluded.last_processed_at,"
    " last_ms = excluded.last_ms, ids_at_last = excluded.ids_at_last,"
    " events = excluded.events, updated_at = excluded.updated_at";
static const char SQL_SESSION_SCOPE[] = "SELECT scope FROM sessions WHERE id = ?";
static const char SQL_MAPPINGS[] =
    "SELECT memory_id, platform_memory_id, path, content_sha256 FROM platform_published"
    " WHERE memory_store_id = ? ORDER BY memory_id";
static const char SQL_MAPPING_PUT[] =
    "INSERT INTO platform_published(memory_store_id, memory_id, platform_memory_id, path,"
    " content_sha256, scope, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT(memory_store_id, memory_id) DO UPDATE SET"
    " platform_memory_id = excluded.platform_memory_id, path = excluded.path,"
    " content_sha256 = excluded.content_sha256, scope = excluded.scope,"
    " published_at = excluded.published_at, retired_at = NULL";
static const char SQL_MAPPING_RETIRE[] =
    "UPDATE platform_published SET retired_at = ?3 WHERE memory_store_id = ?1"
    " AND memory_id = ?2 AND retired_at IS NULL";
static const char SQL_MAPPING_DELETE[] =
    "DELETE FROM platform_published WHERE memory_store_id = ? AND memory_id = ?";
static const char SQL_ERASURE_REFS[] =
    "SELECT memory_id, platform_memory_id FROM platform_published WHERE memory_store_id = ?1"
    " UNION SELECT memory_id, platform_memory_id FROM platform_imported"
    " WHERE memory_store_id = ?1 ORDER BY 1, 2";
static const char SQL_IMPORTED_PUT[] =
    "INSERT INTO platform_imported(memory_store_id, platform_memory_id, memory_id, diff_id,"
    " imported_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
static const char SQL_FORGET_IMPORTED[] =
    "DELETE FROM platform_imported WHERE memory_store_id = ? AND memory_id = ?";
static const char SQL_PUBLISH_GET[] =
    "SELECT scope, commit_id FROM platform_publishes WHERE memory_store_id = ?";
static const char SQL_PUBLISH_SET[] =
    "INSERT INTO platform_publishes(memory_store_id, scope, commit_id, published_at)"
    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(memory_store_id) DO UPDATE SET"
    " scope = excluded.scope, commit_id = excluded.commit_id,"
    " published_at = excluded.published_at";
static const char SQL_ERASED[] =
    "SELECT 1 FROM purge_items i JOIN purges p ON p.id = i.purge_id"
    " WHERE i.kind = 'memory' AND i.ref = ? AND p.state IN ('applied', 'done') LIMIT 1";
static const char SQL_OPEN_IMPORT[] =
    "SELECT id FROM diffs WHERE scope = ? AND source = 'import'"
    " AND state IN ('pending', 'partially_approved') ORDER BY id DESC LIMIT 1";
static const char SQL_MARK_IMPORT[] = "UPDATE diffs SET source = 'import' WHERE id = ?";

void platform_cursor_clear(struct platform_cursor *c)
{
        free(c->session_id);
        free(c->agent_id);
        free(c->scope);
        free(c->last_processed_at);
        free(c->ids_at_last);
        memset(c, 0, sizeof(*c));
}

int db_platform_cursor_get(struct db *db, const char *session_id, struct platform_cursor *out,
                           int *found, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_CURSOR_GET, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, session_id);
        int rc = sqlite3_step(st);
        *found = 0;
        if (rc == SQLITE_ROW) {
                *found = 1;
                out->session_id = db_column_strdup(st, 0);
                out->agent_id = db_column_strdup(st, 1);
                out->scope = db_column_strdup(st, 2);
                out->last_processed_at = db_column_strdup(st, 3);
                out->last_ms = sqlite3_column_int64(st, 4);
                out->ids_at_last = db_column_strdup(st, 5);
                out->events = sqlite3_column_int64(st, 6);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading a pull cursor");
        return 0;
}

int db_platform_cursor_put(struct db *db, const struct platform_cursor *c, const char *now,
                           struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_CURSOR_PUT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, c->session_id);
        db_bind_text(st, 2, c->agent_id);
        db_bind_text(st, 3, c->scope);
        db_bind_text(st, 4, c->last_processed_at);
        if (c->last_processed_at)
                sqlite3_bind_int64(st, 5, c->last_ms);
        else
                sqlite3_bind_null(st, 5);
        db_bind_text(st, 6, c->ids_at_last ? c->ids_at_last : "[]");
        sqlite3_bind_int64(st, 7, c->events);
        db_bind_text(st, 8, now);
        return db_step_done(db, st, err, "saving a pull cursor");
}

void platform_mappings_free(struct platform_mappings *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].memory_id);
                free(l->v[i].platform_memory_id);
                free(l->v[i].path);
                free(l->v[i].content_sha256);
        }
        free(l->v);
        memset(l, 0, sizeof(*l));
}

/* Runs sql with store_id bound to ?1 and appends its rows to out: memory id
 * and platform memory id, and path and content hash when sql selects them. */
static int read_mappings(struct db *db, const char *sql, const char *store_id,
                         struct platform_mappings *out, const char *what, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, sql, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        int full = sqlite3_column_count(st) >= 4;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 16;
                        out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                }
                struct platform_mapping *m = &out->v[out->n++];
                memset(m, 0, sizeof(*m));
                m->memory_id = db_column_strdup(st, 0);
                m->platform_memory_id = db_column_strdup(st, 1);
                if (full) {
                        m->path = db_column_strdup(st, 2);
                        m->content_sha256 = db_column_strdup(st, 3);
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
}

int db_platform_mappings(struct db *db, const char *store_id, struct platform_mappings *out,
                         struct err *err)
{
        return read_mappings(db, SQL_MAPPINGS, store_id, out, "reading the publish mapping", err);
}

int db_platform_mapping_put(struct db *db, const char *store_id, const char *scope,
                            const struct platform_mapping *m, const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_MAPPING_PUT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, m->memory_id);
        db_bind_text(st, 3, m->platform_memory_id);
        db_bind_text(st, 4, m->path);
        db_bind_text(st, 5, m->content_sha256);
        db_bind_text(st, 6, scope);
        db_bind_text(st, 7, now);
        return db_step_done(db, st, err, "recording a published memory");
}

int db_platform_mapping_retire(struct db *db, const char *store_id, const char *memory_id,
                               const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_MAPPING_RETIRE, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, memory_id);
        db_bind_text(st, 3, now);
        return db_step_done(db, st, err, "retiring a published memory");
}

int db_platform_mapping_delete(struct db *db, const char *store_id, const char *memory_id,
                               struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_MAPPING_DELETE, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, memory_id);
        return db_step_done(db, st, err, "forgetting a published memory");
}

int db_platform_publish_get(struct db *db, const char *store_id, char **scope, char **commit,
                            int *found, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_PUBLISH_GET, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found) {
                *scope = db_column_strdup(st, 0);
                *commit = db_column_strdup(st, 1);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the publish state");
        return 0;
}

int db_platform_publish_set(struct db *db, const char *store_id, const char *scope,
                            const char *commit, const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_PUBLISH_SET, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, scope);
        db_bind_text(st, 3, commit);
        db_bind_text(st, 4, now);
        return db_step_done(db, st, err, "recording the published commit");
}

int db_platform_memory_erased(struct db *db, const char *memory_id, int *erased, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_ERASED, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, memory_id);
        int rc = sqlite3_step(st);
        *erased = rc == SQLITE_ROW;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "looking for an erasure");
        return 0;
}

int db_platform_open_import(struct db *db, const char *scope, int64_t *diff_id, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_OPEN_IMPORT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        int rc = sqlite3_step(st);
        *diff_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "looking for an open import diff");
        return 0;
}

int db_platform_mark_import(struct db *db, int64_t diff_id, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_MARK_IMPORT, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        return db_step_done(db, st, err, "marking an import diff");
}

int db_platform_erasure_refs(struct db *db, const char *store_id, struct platform_mappings *out,
                             struct err *err)
{
        return read_mappings(db, SQL_ERASURE_REFS, store_id, out, "reading what erasure must reach",
                             err);
}

int db_platform_imported_put(struct db *db, const char *store_id, const char *pid,
                             const char *memory_id, int64_t diff_id, const char *now,
                             struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_IMPORTED_PUT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, pid);
        db_bind_text(st, 3, memory_id);
        sqlite3_bind_int64(st, 4, diff_id);
        db_bind_text(st, 5, now);
        return db_step_done(db, st, err, "recording an imported memory");
}

int db_platform_forget_memory(struct db *db, const char *store_id, const char *memory_id,
                              struct err *err)
{
        if (db_platform_mapping_delete(db, store_id, memory_id, err) < 0)
                return -1;
        sqlite3_stmt *st = db_stmt(db, SQL_FORGET_IMPORTED, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, store_id);
        db_bind_text(st, 2, memory_id);
        return db_step_done(db, st, err, "forgetting an imported memory");
}

int db_platform_session_scope(struct db *db, const char *session_id, char **scope, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_SESSION_SCOPE, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, session_id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                free(*scope);
                *scope = db_column_strdup(st, 0);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading a session's scope");
        return 0;
}
