/* SQL for holds, purges, the commit map, and purge/forget's work on events,
 * hunks and rejected lines (schema/0006_retention.sql). */
#include "db_purge.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_internal.h"
#include "sha256.h"
#include "timestamp.h"

/* ---- holds ---- */

static void hold_clear(struct hold *h)
{
        free(h->kind);
        free(h->target);
        free(h->reason);
        free(h->created_by);
        free(h->created_at);
        free(h->released_by);
        free(h->released_at);
        free(h->release_reason);
}

void hold_list_free(struct hold_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                hold_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int db_holds_add(struct db *db, const char *kind, const char *target, const char *reason,
                 const char *actor, int64_t *id, struct err *err)
{
        static const char q_find[] = "SELECT id, created_by, created_at FROM holds "
                                     "WHERE kind = ? AND target = ? AND released_at IS NULL";
        static const char q_add[] = "INSERT INTO holds (kind, target, reason, created_by, "
                                    "created_at) VALUES (?, ?, ?, ?, ?)";
        sqlite3_stmt *st = db_stmt(db, q_find, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, kind);
        db_bind_text(st, 2, target);
        if (sqlite3_step(st) == SQLITE_ROW) {
                err_set(err, "%s %s is already under legal hold %lld (by %s at %s)", kind, target,
                        (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1),
                        sqlite3_column_text(st, 2));
                sqlite3_reset(st);
                return -1;
        }
        sqlite3_reset(st);
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        if (!(st = db_stmt(db, q_add, err)))
                return -1;
        db_bind_text(st, 1, kind);
        db_bind_text(st, 2, target);
        db_bind_text(st, 3, reason);
        db_bind_text(st, 4, actor);
        db_bind_text(st, 5, now);
        if (db_step_done(db, st, err, "adding a legal hold") < 0)
                return -1;
        *id = sqlite3_last_insert_rowid(db->sql);
        return 0;
}

int db_holds_release(struct db *db, const char *kind, const char *target, const char *actor,
                     const char *reason, int *found, struct err *err)
{
        static const char q[] = "UPDATE holds SET released_by = ?, released_at = ?, "
                                "release_reason = ? "
                                "WHERE kind = ? AND target = ? AND released_at IS NULL";
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, actor);
        db_bind_text(st, 2, now);
        db_bind_text(st, 3, reason);
        db_bind_text(st, 4, kind);
        db_bind_text(st, 5, target);
        if (db_step_done(db, st, err, "releasing a legal hold") < 0)
                return -1;
        *found = sqlite3_changes(db->sql) > 0;
        return 0;
}

int db_holds_list(struct db *db, int all, struct hold_list *out, struct err *err)
{
        static const char q_active[] =
            "SELECT id, kind, target, reason, created_by, created_at, released_by, "
            "released_at, release_reason FROM holds WHERE released_at IS NULL ORDER BY id";
        static const char q_all[] =
            "SELECT id, kind, target, reason, created_by, created_at, released_by, "
            "released_at, release_reason FROM holds ORDER BY id";
        sqlite3_stmt *st = db_stmt(db, all ? q_all : q_active, err);
        if (!st)
                return -1;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                struct hold *h = &out->v[out->n++];
                h->id = sqlite3_column_int64(st, 0);
                h->kind = db_column_strdup(st, 1);
                h->target = db_column_strdup(st, 2);
                h->reason = db_column_strdup(st, 3);
                h->created_by = db_column_strdup(st, 4);
                h->created_at = db_column_strdup(st, 5);
                h->released_by = db_column_strdup(st, 6);
                h->released_at = db_column_strdup(st, 7);
                h->release_reason = db_column_strdup(st, 8);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "listing legal holds");
}

/* ---- events ---- */

void db_event_refs_free(struct db_event_refs *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].session_id);
                free(l->v[i].event_id);
                free(l->v[i].ts);
                free(l->v[i].scope);
        }
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}

/* Columns: seq, session_id, event_id, ts, scope, raw. */
static void event_ref_fill(sqlite3_stmt *st, struct db_event_ref *r)
{
        r->seq = sqlite3_column_int64(st, 0);
        r->session_id = db_column_strdup(st, 1);
        r->event_id = db_column_strdup(st, 2);
        r->ts = db_column_strdup(st, 3);
        r->scope = db_column_strdup(st, 4);
        const void *raw = sqlite3_column_blob(st, 5);
        sha256_hex(raw ? raw : "", (size_t)sqlite3_column_bytes(st, 5), r->sha256);
}

int db_purge_event_scopes(struct db *db, char ***scopes, size_t *n, struct err *err)
{
        static const char q[] = "SELECT DISTINCT scope FROM sessions ORDER BY scope";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        int rc;
        *scopes = NULL;
        *n = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                *scopes = xrealloc(*scopes, (*n + 1) * sizeof(**scopes));
                (*scopes)[(*n)++] = db_column_strdup(st, 0);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "listing the scopes of sessions");
}

int db_purge_expired_events(struct db *db, const char *scope, const char *cutoff,
                            struct db_event_refs *out, struct err *err)
{
        static const char q[] =
            "SELECT e.seq, e.session_id, e.event_id, COALESCE(e.ts, e.ingested_at), s.scope, "
            "e.raw FROM events e JOIN sessions s ON s.id = e.session_id "
            "WHERE s.scope = ? AND COALESCE(e.ts, e.ingested_at) < ? ORDER BY e.seq";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        db_bind_text(st, 2, cutoff);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 64;
                        out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                }
                event_ref_fill(st, &out->v[out->n++]);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading expired events");
}

int db_purge_each_event(struct db *db, db_event_text_fn fn, void *ctx, struct err *err)
{
        static const char q[] = "SELECT e.seq, e.session_id, e.event_id, s.scope, e.text, e.raw "
                                "FROM events e JOIN sessions s ON s.id = e.session_id "
                                "ORDER BY e.seq";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        int rc, stop = 0;
        while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *text = (const char *)sqlite3_column_text(st, 4);
                size_t tlen = (size_t)sqlite3_column_bytes(st, 4);
                const char *raw = (const char *)sqlite3_column_text(st, 5);
                size_t rlen = (size_t)sqlite3_column_bytes(st, 5);
                stop =
                    fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2),
                       (const char *)sqlite3_column_text(st, 3), text, text ? tlen : 0,
                       raw ? raw : "", raw ? rlen : 0);
        }
        sqlite3_reset(st);
        if (stop)
                return stop;
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading events");
}

int db_purge_event_ref(struct db *db, int64_t seq, struct db_event_ref *ref, int *found,
                       struct err *err)
{
        static const char q[] =
            "SELECT e.seq, e.session_id, e.event_id, COALESCE(e.ts, e.ingested_at), s.scope, "
            "e.raw FROM events e JOIN sessions s ON s.id = e.session_id WHERE e.seq = ?";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, seq);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found)
                event_ref_fill(st, ref);
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading an event");
}

int db_purge_each_hunk(struct db *db, db_hunk_text_fn fn, void *ctx, struct err *err)
{
        static const char q[] =
            "SELECT id, memory_id, old_text, new_text, rationale FROM hunks ORDER BY id";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        int rc, stop = 0;
        while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
                stop =
                    fn(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                       (const char *)sqlite3_column_text(st, 2),
                       (const char *)sqlite3_column_text(st, 3),
                       (const char *)sqlite3_column_text(st, 4));
        sqlite3_reset(st);
        if (stop)
                return stop;
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading review hunks");
}

int db_purge_each_rejected(struct db *db, db_rejected_fn fn, void *ctx, struct err *err)
{
        static const char q[] =
            "SELECT id, content FROM rejected_lines WHERE content IS NOT NULL ORDER BY id";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        int rc, stop = 0;
        while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const void *c = sqlite3_column_blob(st, 1);
                stop = fn(ctx, sqlite3_column_int64(st, 0), c ? c : "",
                          (size_t)sqlite3_column_bytes(st, 1));
        }
        sqlite3_reset(st);
        if (stop)
                return stop;
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading rejected lines");
}

/* ---- purges ---- */

static void purge_row_clear(struct purge_row *r)
{
        free(r->kind);
        free(r->state);
        free(r->actor);
        free(r->started_at);
        free(r->finished_at);
        free(r->clock);
        free(r->old_head);
        free(r->new_head);
        free(r->memories_sha256);
        free(r->events_sha256);
}

void purge_rows_free(struct purge_rows *l)
{
        for (size_t i = 0; i < l->n; i++)
                purge_row_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int db_purges_insert(struct db *db, const struct purge_row *r, int64_t *id, struct err *err)
{
        static const char q[] =
            "INSERT INTO purges (kind, state, actor, started_at, clock, memories, events, hunks, "
            "skipped, old_head, new_head, commits, memories_sha256, events_sha256) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        db_bind_text(st, 1, r->kind);
        db_bind_text(st, 2, r->state);
        db_bind_text(st, 3, r->actor);
        db_bind_text(st, 4, r->started_at ? r->started_at : now);
        db_bind_text(st, 5, r->clock);
        sqlite3_bind_int64(st, 6, r->memories);
        sqlite3_bind_int64(st, 7, r->events);
        sqlite3_bind_int64(st, 8, r->hunks);
        sqlite3_bind_int64(st, 9, r->skipped);
        db_bind_text(st, 10, r->old_head);
        db_bind_text(st, 11, r->new_head);
        sqlite3_bind_int64(st, 12, r->commits);
        db_bind_text(st, 13, r->memories_sha256);
        db_bind_text(st, 14, r->events_sha256);
        if (db_step_done(db, st, err, "recording a purge") < 0)
                return -1;
        *id = sqlite3_last_insert_rowid(db->sql);
        return 0;
}

int db_purges_set_state(struct db *db, int64_t id, const char *state, const char *new_head,
                        struct err *err)
{
        static const char q[] = "UPDATE purges SET state = ?, new_head = COALESCE(?, new_head), "
                                "finished_at = CASE WHEN ? = 'pending' THEN NULL ELSE ? END "
                                "WHERE id = ?";
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, state);
        db_bind_text(st, 2, new_head);
        db_bind_text(st, 3, state);
        db_bind_text(st, 4, now);
        sqlite3_bind_int64(st, 5, id);
        return db_step_done(db, st, err, "updating a purge");
}

int db_purges_list(struct db *db, const char *kind, const char *state, struct purge_rows *out,
                   struct err *err)
{
        static const char q[] =
            "SELECT id, kind, state, actor, started_at, finished_at, clock, memories, events, "
            "hunks, skipped, commits, old_head, new_head, memories_sha256, events_sha256 "
            "FROM purges WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR state = ?2) "
            "ORDER BY id";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, kind);
        db_bind_text(st, 2, state);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                struct purge_row *r = &out->v[out->n++];
                r->id = sqlite3_column_int64(st, 0);
                r->kind = db_column_strdup(st, 1);
                r->state = db_column_strdup(st, 2);
                r->actor = db_column_strdup(st, 3);
                r->started_at = db_column_strdup(st, 4);
                r->finished_at = db_column_strdup(st, 5);
                r->clock = db_column_strdup(st, 6);
                r->memories = sqlite3_column_int64(st, 7);
                r->events = sqlite3_column_int64(st, 8);
                r->hunks = sqlite3_column_int64(st, 9);
                r->skipped = sqlite3_column_int64(st, 10);
                r->commits = sqlite3_column_int64(st, 11);
                r->old_head = db_column_strdup(st, 12);
                r->new_head = db_column_strdup(st, 13);
                r->memories_sha256 = db_column_strdup(st, 14);
                r->events_sha256 = db_column_strdup(st, 15);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "listing purges");
}

int db_purge_items_add(struct db *db, int64_t purge_id, const char *kind, const char *ref,
                       const char *sha256, struct err *err)
{
        static const char q[] = "INSERT OR REPLACE INTO purge_items (purge_id, kind, ref, sha256) "
                                "VALUES (?, ?, ?, ?)";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, purge_id);
        db_bind_text(st, 2, kind);
        db_bind_text(st, 3, ref);
        db_bind_text(st, 4, sha256);
        return db_step_done(db, st, err, "recording a purged item");
}

/* ---- deletes and scrubs ---- */

int db_purge_apply_items(struct db *db, int64_t purge_id, struct err *err)
{
        static const char q_events[] =
            "DELETE FROM events WHERE session_id || '/' || event_id IN "
            "(SELECT ref FROM purge_items WHERE purge_id = ?1 AND kind = 'event')";
        static const char q_counts[] =
            "UPDATE sessions SET events = (SELECT count(*) FROM events "
            "WHERE session_id = sessions.id) WHERE id IN (SELECT substr(ref, 1, instr(ref, '/') - "
            "1) FROM purge_items WHERE purge_id = ?1 AND kind = 'event')";
        static const char q_hunks[] =
            "UPDATE hunks SET old_text = CASE WHEN old_text IS NULL THEN NULL ELSE '[erased]' END, "
            "new_text = CASE WHEN new_text IS NULL THEN NULL ELSE '[erased]' END, "
            "rationale = '[erased]', tags = NULL, findings = '[]', "
            "path = 'memories/[erased]/' || memory_id || '.md' "
            "WHERE id IN (SELECT CAST(ref AS INTEGER) FROM purge_items "
            "WHERE purge_id = ?1 AND kind = 'hunk')";
        static const char q_rejected[] =
            "UPDATE rejected_lines SET content = NULL WHERE id IN (SELECT CAST(ref AS INTEGER) "
            "FROM purge_items WHERE purge_id = ?1 AND kind = 'rejected_line')";
        const char *qs[] = {q_events, q_counts, q_hunks, q_rejected};
        for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
                sqlite3_stmt *st = db_stmt(db, qs[i], err);
                if (!st)
                        return -1;
                sqlite3_bind_int64(st, 1, purge_id);
                if (db_step_done(db, st, err, "removing what a purge lists") < 0)
                        return -1;
        }
        return 0;
}

/* ---- the commit map ---- */

int db_commit_map_put(struct db *db, const char *old_commit, const char *new_commit,
                      int64_t purge_id, struct err *err)
{
        static const char q_put[] = "INSERT OR REPLACE INTO commit_map (old_commit, new_commit, "
                                    "purge_id) VALUES (?, ?, ?)";
        static const char q_chain[] = "UPDATE commit_map SET new_commit = ? WHERE new_commit = ?";
        sqlite3_stmt *st = db_stmt(db, q_chain, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, new_commit);
        db_bind_text(st, 2, old_commit);
        if (db_step_done(db, st, err, "updating the commit map") < 0)
                return -1;
        if (!(st = db_stmt(db, q_put, err)))
                return -1;
        db_bind_text(st, 1, old_commit);
        db_bind_text(st, 2, new_commit);
        sqlite3_bind_int64(st, 3, purge_id);
        return db_step_done(db, st, err, "recording the commit map");
}

int db_commit_map_apply(struct db *db, int64_t purge_id, struct err *err)
{
        static const char q_hunks[] =
            "UPDATE hunks SET commit_id = (SELECT new_commit FROM commit_map "
            "WHERE old_commit = hunks.commit_id AND purge_id = ?1) "
            "WHERE commit_id IN (SELECT old_commit FROM commit_map WHERE purge_id = ?1)";
        static const char q_diffs[] =
            "UPDATE diffs SET base_commit = (SELECT new_commit FROM commit_map "
            "WHERE old_commit = diffs.base_commit AND purge_id = ?1) "
            "WHERE base_commit IN (SELECT old_commit FROM commit_map WHERE purge_id = ?1)";
        const char *qs[] = {q_hunks, q_diffs};
        for (size_t i = 0; i < 2; i++) {
                sqlite3_stmt *st = db_stmt(db, qs[i], err);
                if (!st)
                        return -1;
                sqlite3_bind_int64(st, 1, purge_id);
                if (db_step_done(db, st, err, "moving commit ids to the rewritten history") < 0)
                        return -1;
        }
        return 0;
}

int db_commit_map_drop(struct db *db, int64_t purge_id, struct err *err)
{
        static const char q[] = "DELETE FROM commit_map WHERE purge_id = ?";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, purge_id);
        return db_step_done(db, st, err, "dropping an abandoned commit map");
}

int db_commit_map_get(struct db *db, const char *old_commit, char new_out[41], int *found,
                      struct err *err)
{
        static const char q[] = "SELECT new_commit FROM commit_map WHERE old_commit = ?";
        sqlite3_stmt *st = db_stmt(db, q, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, old_commit);
        int rc = sqlite3_step(st);
        *found = 0;
        if (rc == SQLITE_ROW) {
                const char *v = (const char *)sqlite3_column_text(st, 0);
                if (v && strlen(v) == 40) {
                        memcpy(new_out, v, 41);
                        *found = 1;
                }
        }
        sqlite3_reset(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
                                                     : db_fail(db, err, "reading the commit map");
}

int db_purge_secure_delete(struct db *db, struct err *err)
{
        return db_exec(db, "PRAGMA secure_delete = ON", err);
}

int db_purge_compact(struct db *db, struct err *err)
{
        /* The full-text index keeps deleted terms in old segments until they
         * merge; a rebuild writes it afresh from the rows that remain. */
        if (db_exec(db, "INSERT INTO store_memories_fts(store_memories_fts) VALUES ('rebuild')",
                    err) < 0 ||
            db_exec(db, "VACUUM", err) < 0)
                return -1;
        /* TRUNCATE leaves no old page in the WAL; busy readers only delay it. */
        return db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", err);
}
