/* SQL for tokens, the webhook queue (schema/0005_serve.sql), and platform
 * webhooks with the session pulls they queue (schema/0009_hooks.sql). */
#include "db_serve.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_internal.h"
#include "timestamp.h"

void db_token_clear(struct db_token *t)
{
        free(t->id);
        free(t->principal);
        free(t->hash);
        free(t->created_at);
        free(t->expires_at);
        free(t->revoked_at);
        memset(t, 0, sizeof(*t));
}

void db_tokens_free(struct db_tokens *l)
{
        for (size_t i = 0; i < l->n; i++)
                db_token_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int db_tokens_add(struct db *db, const char *id, const char *principal, const char *hash,
                  const char *expires_at, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "INSERT INTO serve_tokens(id, principal, hash, created_at, "
                                   "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                   err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, principal);
        db_bind_text(st, 3, hash);
        db_bind_text(st, 4, now);
        db_bind_text(st, 5, expires_at);
        return db_step_done(db, st, err, "storing a token");
}

static void token_from_row(sqlite3_stmt *st, struct db_token *t)
{
        t->id = db_column_strdup(st, 0);
        t->principal = db_column_strdup(st, 1);
        t->hash = db_column_strdup(st, 2);
        t->created_at = db_column_strdup(st, 3);
        t->expires_at = db_column_strdup(st, 4);
        t->revoked_at = db_column_strdup(st, 5);
}

int db_tokens_get_by_hash(struct db *db, const char *hash, struct db_token *out, int *found,
                          struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT id, principal, hash, created_at, expires_at, "
                                   "revoked_at FROM serve_tokens WHERE hash = ?1",
                                   err);
        if (!st)
                return -1;
        db_bind_text(st, 1, hash);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found)
                token_from_row(st, out);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "looking a token up");
        return 0;
}

int db_tokens_list(struct db *db, struct db_tokens *out, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT id, principal, hash, created_at, expires_at, "
                                   "revoked_at FROM serve_tokens ORDER BY created_at DESC, id",
                                   err);
        if (!st)
                return -1;
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == cap) {
                        cap = cap ? 2 * cap : 8;
                        out->v = xrealloc(out->v, cap * sizeof(*out->v));
                }
                memset(&out->v[out->n], 0, sizeof(out->v[0]));
                token_from_row(st, &out->v[out->n++]);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "listing tokens");
        return 0;
}

int db_tokens_revoke(struct db *db, const char *id, int *changed, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "UPDATE serve_tokens SET revoked_at = ?2 "
                                   "WHERE id = ?1 AND revoked_at IS NULL",
                                   err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        db_bind_text(st, 1, id);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, err, "revoking a token") < 0)
                return -1;
        *changed = sqlite3_changes(db->sql) > 0;
        return 0;
}

void db_webhook_clear(struct db_webhook *w)
{
        free(w->event);
        free(w->body);
        memset(w, 0, sizeof(*w));
}

int db_webhook_enqueue(struct db *db, const char *event, const char *body, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "INSERT INTO webhook_queue(event, body, created_at, next_at_ms) "
                                   "VALUES (?1, ?2, ?3, ?4)",
                                   err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        int64_t ms = timestamp_now_ms();
        timestamp_format(ms, now);
        db_bind_text(st, 1, event);
        db_bind_text(st, 2, body);
        db_bind_text(st, 3, now);
        sqlite3_bind_int64(st, 4, ms);
        return db_step_done(db, st, err, "queueing a webhook");
}

int db_webhook_next_due(struct db *db, int64_t now_ms, struct db_webhook *out, int *found,
                        struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT id, event, body, attempts FROM webhook_queue "
                                   "WHERE state = 'pending' AND next_at_ms <= ?1 "
                                   "ORDER BY next_at_ms, id LIMIT 1",
                                   err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, now_ms);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found) {
                out->id = sqlite3_column_int64(st, 0);
                out->event = db_column_strdup(st, 1);
                out->body = db_column_strdup(st, 2);
                out->attempts = sqlite3_column_int(st, 3);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the webhook queue");
        return 0;
}

int db_webhook_mark(struct db *db, int64_t id, int delivered, const char *error, int64_t next_at_ms,
                    struct err *err)
{
        sqlite3_stmt *st =
            db_stmt(db,
                    "UPDATE webhook_queue SET attempts = attempts + 1, last_error = ?2, "
                    "state = CASE WHEN ?3 THEN 'delivered' WHEN ?4 < 0 THEN 'failed' "
                    "ELSE 'pending' END, "
                    "next_at_ms = CASE WHEN ?4 < 0 THEN next_at_ms ELSE ?4 END, "
                    "delivered_at = CASE WHEN ?3 THEN ?5 ELSE NULL END WHERE id = ?1",
                    err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        sqlite3_bind_int64(st, 1, id);
        db_bind_text(st, 2, error);
        sqlite3_bind_int(st, 3, delivered);
        sqlite3_bind_int64(st, 4, next_at_ms);
        db_bind_text(st, 5, now);
        return db_step_done(db, st, err, "recording a webhook delivery");
}

int db_webhook_count(struct db *db, const char *state, int64_t *n, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, "SELECT count(*) FROM webhook_queue WHERE state = ?1", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, state);
        int rc = sqlite3_step(st);
        *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
                return db_fail(db, err, "counting webhooks");
        return 0;
}

int db_hook_accept(struct db *db, const char *webhook_id, const char *event_type,
                   const char *session_id, int64_t now_ms, int *duplicate, struct err *err)
{
        *duplicate = 0;
        char now[TIMESTAMP_LEN + 1];
        timestamp_format(now_ms, now);
        if (db_begin(db, err) < 0)
                return -1;
        sqlite3_stmt *st = db_stmt(db, "DELETE FROM platform_hooks WHERE received_ms < ?1", err);
        if (!st)
                goto fail;
        sqlite3_bind_int64(st, 1, now_ms - 86400000);
        if (db_step_done(db, st, err, "pruning old platform webhooks") < 0)
                goto fail;
        st = db_stmt(db,
                     "INSERT INTO platform_hooks(webhook_id, event_type, session_id, queued, "
                     "received_at, received_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                     "ON CONFLICT(webhook_id) DO NOTHING",
                     err);
        if (!st)
                goto fail;
        db_bind_text(st, 1, webhook_id);
        db_bind_text(st, 2, event_type);
        db_bind_text(st, 3, session_id);
        sqlite3_bind_int(st, 4, session_id != NULL);
        db_bind_text(st, 5, now);
        sqlite3_bind_int64(st, 6, now_ms);
        if (db_step_done(db, st, err, "recording a platform webhook") < 0)
                goto fail;
        if (sqlite3_changes(db->sql) == 0) {
                *duplicate = 1;
                db_rollback(db);
                return 0;
        }
        if (session_id) {
                st = db_stmt(
                    db,
                    "INSERT INTO platform_pull_queue(session_id, webhook_id, requested_at, "
                    "next_at_ms) VALUES (?1, ?2, ?3, ?4) "
                    "ON CONFLICT(session_id) DO UPDATE SET webhook_id = excluded.webhook_id, "
                    "requested_at = excluded.requested_at, next_at_ms = excluded.next_at_ms, "
                    "attempts = 0, state = 'pending', last_error = NULL",
                    err);
                if (!st)
                        goto fail;
                db_bind_text(st, 1, session_id);
                db_bind_text(st, 2, webhook_id);
                db_bind_text(st, 3, now);
                sqlite3_bind_int64(st, 4, now_ms);
                if (db_step_done(db, st, err, "queueing a session pull") < 0)
                        goto fail;
        }
        return db_commit(db, err);
fail:
        db_rollback(db);
        return -1;
}

void db_pull_request_clear(struct db_pull_request *p)
{
        free(p->session_id);
        free(p->webhook_id);
        memset(p, 0, sizeof(*p));
}

int db_pull_queue_next(struct db *db, int64_t now_ms, struct db_pull_request *out, int *found,
                       struct err *err)
{
        sqlite3_stmt *st =
            db_stmt(db,
                    "SELECT session_id, webhook_id, attempts FROM platform_pull_queue "
                    "WHERE state = 'pending' AND next_at_ms <= ?1 "
                    "ORDER BY next_at_ms, session_id LIMIT 1",
                    err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, now_ms);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found) {
                out->session_id = db_column_strdup(st, 0);
                out->webhook_id = db_column_strdup(st, 1);
                out->attempts = sqlite3_column_int(st, 2);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the session pull queue");
        return 0;
}

int db_pull_queue_mark(struct db *db, const struct db_pull_request *p, int done, const char *error,
                       int64_t next_at_ms, struct err *err)
{
        sqlite3_stmt *st =
            done ? db_stmt(
                       db,
                       "DELETE FROM platform_pull_queue WHERE session_id = ?1 AND webhook_id = ?2",
                       err)
                 : db_stmt(db,
                           "UPDATE platform_pull_queue SET attempts = attempts + 1, "
                           "last_error = ?3, state = CASE WHEN ?4 < 0 THEN 'failed' ELSE "
                           "'pending' END, next_at_ms = CASE WHEN ?4 < 0 THEN next_at_ms ELSE ?4 "
                           "END WHERE session_id = ?1 AND webhook_id = ?2",
                           err);
        if (!st)
                return -1;
        db_bind_text(st, 1, p->session_id);
        db_bind_text(st, 2, p->webhook_id);
        if (!done) {
                db_bind_text(st, 3, error);
                sqlite3_bind_int64(st, 4, next_at_ms);
        }
        return db_step_done(db, st, err, "recording a session pull");
}
