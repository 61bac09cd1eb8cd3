#include "db_dream.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

static const char SQL_LEASE_TAKE[] =
        "INSERT INTO leases(name, holder, expires_ms) VALUES (?1, ?2, ?4)"
        " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
        " expires_ms = excluded.expires_ms WHERE leases.expires_ms < ?3 OR leases.holder = ?2";
static const char SQL_LEASE_GET[] = "SELECT holder, expires_ms FROM leases WHERE name = ?";
static const char SQL_LEASE_RENEW[] =
        "UPDATE leases SET expires_ms = ?3 WHERE name = ?1 AND holder = ?2";
static const char SQL_LEASE_RELEASE[] = "DELETE FROM leases WHERE name = ?1 AND holder = ?2";
static const char SQL_RUN_START[] =
        "INSERT INTO dream_runs(dreamer, started_at, status) VALUES (?, ?, 'running')";
static const char SQL_RUN_FINISH[] =
        "UPDATE dream_runs SET status = ?2, finished_at = ?3, events = ?4, scopes = ?5,"
        " diffs = ?6, hunks = ?7, blocked = ?8, input_tokens = ?9, output_tokens = ?10,"
        " error = ?11 WHERE id = ?1";
static const char SQL_RUN_ABANDON[] =
        "UPDATE dream_runs SET status = 'failed', finished_at = ?1,"
        " error = 'abandoned: its pass died before finishing' WHERE status = 'running'";
static const char SQL_SCOPES[] =
        "SELECT DISTINCT scope FROM sessions WHERE ?1 IS NULL OR scope = ?1 ORDER BY scope";
static const char SQL_WATERMARK[] = "SELECT last_seq FROM dream_watermarks WHERE scope = ?";
static const char SQL_EVENTS[] =
        "SELECT e.seq, e.session_id, e.event_id, e.type, coalesce(e.role, ''), e.ts, e.text,"
        " e.tool_name, e.tool_use_id, e.tool_input, s.outcome, e.is_error, e.is_sidechain"
        " FROM sessions s JOIN events e ON e.session_id = s.id"
        " WHERE s.scope = ?1 AND e.seq > ?2 ORDER BY e.session_id, e.seq";
static const char SQL_REINFORCED[] =
        "SELECT max(at) FROM memory_reinforcements WHERE memory_id = ?";
static const char SQL_OPEN_DIFF[] =
        "SELECT id FROM diffs WHERE scope = ? AND state IN ('pending', 'partially_approved')"
        " AND source = 'dream' ORDER BY id DESC LIMIT 1";
static const char SQL_OPEN_HUNKS[] =
        "SELECT op, memory_id, path, old_text, new_text, tags, rationale, evidence, confidence,"
        " blocked, findings FROM hunks WHERE diff_id = ? AND state = 'pending' ORDER BY idx";
static const char SQL_DIFF_HUNKS[] =
        "SELECT op, memory_id, path, old_text, new_text, tags, rationale, evidence, confidence,"
        " blocked, findings FROM hunks WHERE diff_id = ? ORDER BY idx";
static const char SQL_REJECTED_TEXTS[] =
        "SELECT h.new_text FROM hunks h JOIN diffs d ON d.id = h.diff_id"
        " WHERE d.scope = ? AND h.state = 'rejected' AND h.new_text IS NOT NULL"
        " ORDER BY h.id DESC LIMIT 500";
static const char SQL_DIFF_INSERT[] =
        "INSERT INTO diffs(run_id, scope, base_commit, state, created_at, updated_at)"
        " VALUES (?, ?, ?, 'pending', ?4, ?4)";
static const char SQL_HUNK_INSERT[] =
        "INSERT INTO hunks(diff_id, idx, op, memory_id, path, old_text, new_text, tags,"
        " rationale, evidence, confidence, blocked, findings)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_DIFF_SUPERSEDE[] =
        "UPDATE diffs SET state = 'superseded', superseded_by = ?2, updated_at = ?3"
        " WHERE id = ?1";
static const char SQL_DIFF_STATE[] = "SELECT state FROM diffs WHERE id = ?";
static const char SQL_TRANSITION[] =
        "INSERT INTO diff_transitions(diff_id, from_state, to_state, actor, at, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_WATERMARK_SET[] =
        "INSERT INTO dream_watermarks(scope, last_seq, updated_at) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(scope) DO UPDATE SET last_seq = excluded.last_seq,"
        " updated_at = excluded.updated_at";
static const char SQL_REINFORCE[] =
        "INSERT INTO memory_reinforcements(memory_id, session_id, event_id, at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";

int db_lease_take(struct db *db, const char *name, const char *holder, int64_t now_ms,
                  int64_t expires_ms, int *taken, char **other, int64_t *other_expires,
                  struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_LEASE_TAKE, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, holder);
        sqlite3_bind_int64(st, 3, now_ms);
        sqlite3_bind_int64(st, 4, expires_ms);
        if (db_step_done(db, st, err, "taking a lease") < 0)
                return -1;
        *taken = sqlite3_changes(db->sql) > 0;
        *other = NULL;
        *other_expires = 0;
        if (*taken)
                return 0;
        st = db_stmt(db, SQL_LEASE_GET, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, name);
        if (sqlite3_step(st) == SQLITE_ROW) {
                *other = db_column_strdup(st, 0);
                *other_expires = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        return 0;
}

int db_lease_renew(struct db *db, const char *name, const char *holder, int64_t expires_ms,
                   struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_LEASE_RENEW, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, holder);
        sqlite3_bind_int64(st, 3, expires_ms);
        if (db_step_done(db, st, err, "renewing a lease") < 0)
                return -1;
        if (sqlite3_changes(db->sql) == 0)
                return err_set(err, "lost the '%s' lease to another holder", name);
        return 0;
}

void db_lease_release(struct db *db, const char *name, const char *holder)
{
        struct err err;
        sqlite3_stmt *st = db_stmt(db, SQL_LEASE_RELEASE, &err);
        if (!st)
                return;
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, holder);
        sqlite3_step(st);
        sqlite3_reset(st);
}

int db_dream_run_start(struct db *db, const char *dreamer, const char *now, int64_t *id,
                       struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_RUN_START, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, dreamer);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, err, "recording a dreaming pass") < 0)
                return -1;
        *id = sqlite3_last_insert_rowid(db->sql);
        return 0;
}

int db_dream_run_finish(struct db *db, int64_t id, const char *status,
                        const struct dream_result *r, const char *error, const char *now,
                        struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_RUN_FINISH, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, id);
        db_bind_text(st, 2, status);
        db_bind_text(st, 3, now);
        sqlite3_bind_int64(st, 4, r->events);
        sqlite3_bind_int(st, 5, r->scopes);
        sqlite3_bind_int(st, 6, r->diffs);
        sqlite3_bind_int(st, 7, r->hunks);
        sqlite3_bind_int(st, 8, r->blocked);
        sqlite3_bind_int64(st, 9, r->input_tokens);
        sqlite3_bind_int64(st, 10, r->output_tokens);
        db_bind_text(st, 11, error);
        return db_step_done(db, st, err, "recording a dreaming pass");
}

int db_dream_abandon_running(struct db *db, const char *now, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_RUN_ABANDON, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, now);
        return db_step_done(db, st, err, "closing abandoned passes");
}

/* Runs sql with scope bound to ?1 and appends each row's first column to out. */
static int text_column(struct db *db, const char *sql, const char *scope,
                       struct memory_list_str *out, const char *what, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, sql, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                memory_list_add(out, (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
}

int db_dream_scopes(struct db *db, const char *scope, struct memory_list_str *out,
                    struct err *err)
{
        return text_column(db, SQL_SCOPES, scope, out, "listing scopes", err);
}

static char *col(sqlite3_stmt *st, int i)
{
        return db_column_strdup(st, i);
}

void dream_events_free(struct dream_event *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct dream_event *e = &v[i];
                free(e->session_id);
                free(e->event_id);
                free(e->type);
                free(e->role);
                free(e->ts);
                free(e->text);
                free(e->tool_name);
                free(e->tool_use_id);
                free(e->tool_input);
                free(e->outcome);
        }
        free(v);
}

int db_dream_load_events(struct db *db, const char *scope, struct dream_event **out, size_t *n,
                         int64_t *watermark, int64_t *max_seq, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_WATERMARK, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        *watermark = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        *max_seq = *watermark;
        st = db_stmt(db, SQL_EVENTS, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        sqlite3_bind_int64(st, 2, *watermark);
        struct dream_event *v = NULL;
        size_t count = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (count == cap) {
                        cap = cap ? cap * 2 : 256;
                        v = xrealloc(v, cap * sizeof(*v));
                }
                struct dream_event *e = &v[count++];
                e->seq = sqlite3_column_int64(st, 0);
                e->session_id = col(st, 1);
                e->event_id = col(st, 2);
                e->type = col(st, 3);
                e->role = col(st, 4);
                e->ts = col(st, 5);
                e->text = col(st, 6);
                e->tool_name = col(st, 7);
                e->tool_use_id = col(st, 8);
                e->tool_input = col(st, 9);
                e->outcome = col(st, 10);
                e->is_error = sqlite3_column_int(st, 11);
                e->is_sidechain = sqlite3_column_int(st, 12);
                if (e->seq > *max_seq)
                        *max_seq = e->seq;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
                dream_events_free(v, count);
                return db_fail(db, err, "reading new events");
        }
        *out = v;
        *n = count;
        return 0;
}

int db_dream_fill_reinforced(struct db *db, struct dream_memory *mems, size_t n,
                             struct err *err)
{
        for (size_t i = 0; i < n; i++) {
                sqlite3_stmt *st = db_stmt(db, SQL_REINFORCED, err);
                if (!st)
                        return -1;
                db_bind_text(st, 1, mems[i].id);
                if (sqlite3_step(st) == SQLITE_ROW)
                        mems[i].last_reinforced = col(st, 0);
                sqlite3_reset(st);
        }
        return 0;
}

static void evidence_from_json(const char *json, struct memory_list_str *out)
{
        cJSON *arr = cJSON_Parse(json ? json : "[]");
        const cJSON *v;
        cJSON_ArrayForEach(v, arr)
        {
                if (cJSON_IsString(v))
                        memory_list_add(out, v->valuestring);
        }
        cJSON_Delete(arr);
}

static enum dream_op op_from(const char *s)
{
        if (strcmp(s, "update") == 0)
                return DREAM_UPDATE;
        if (strcmp(s, "delete") == 0)
                return DREAM_DELETE;
        return DREAM_ADD;
}

static int read_hunks(struct db *db, sqlite3_stmt *st, struct dream_proposal *out,
                      struct err *err)
{
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct dream_hunk *h =
                        dream_proposal_add(out, op_from((const char *)sqlite3_column_text(st, 0)));
                h->memory_id = col(st, 1);
                h->path = col(st, 2);
                h->old_text = col(st, 3);
                h->new_text = col(st, 4);
                h->tags = col(st, 5);
                h->rationale = col(st, 6);
                evidence_from_json((const char *)sqlite3_column_text(st, 7), &h->evidence);
                h->confidence = sqlite3_column_double(st, 8);
                h->blocked = sqlite3_column_int(st, 9);
                h->findings = col(st, 10);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading hunks");
}

int db_dream_diff_hunks(struct db *db, int64_t diff_id, struct dream_proposal *out,
                        struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_DIFF_HUNKS, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        return read_hunks(db, st, out, err);
}

int db_dream_open_diff(struct db *db, const char *scope, int64_t *diff_id,
                       struct dream_proposal *out, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_OPEN_DIFF, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        *diff_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_reset(st);
        if (!*diff_id)
                return 0;
        st = db_stmt(db, SQL_OPEN_HUNKS, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, *diff_id);
        return read_hunks(db, st, out, err);
}

int db_dream_rejected_texts(struct db *db, const char *scope, struct memory_list_str *out,
                            struct err *err)
{
        return text_column(db, SQL_REJECTED_TEXTS, scope, out, "reading rejected hunks", err);
}

static int transition(struct db *db, int64_t diff_id, const char *from, const char *to,
                      const char *actor, const char *now, const char *detail, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_TRANSITION, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        db_bind_text(st, 2, from);
        db_bind_text(st, 3, to);
        db_bind_text(st, 4, actor);
        db_bind_text(st, 5, now);
        db_bind_text(st, 6, detail);
        return db_step_done(db, st, err, "recording a diff transition");
}

int db_dream_store_diff(struct db *db, int64_t run_id, const char *scope, const char *base,
                        const struct dream_proposal *p, int64_t old_diff, const char *now,
                        int64_t *diff_id, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_DIFF_INSERT, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, run_id);
        db_bind_text(st, 2, scope);
        db_bind_text(st, 3, base);
        db_bind_text(st, 4, now);
        if (db_step_done(db, st, err, "storing a diff") < 0)
                return -1;
        *diff_id = sqlite3_last_insert_rowid(db->sql);
        for (size_t i = 0; i < p->n; i++) {
                const struct dream_hunk *h = &p->v[i];
                cJSON *ev = cJSON_CreateArray();
                for (size_t k = 0; k < h->evidence.n; k++)
                        cJSON_AddItemToArray(ev, cJSON_CreateString(h->evidence.v[k]));
                char *evidence = cJSON_PrintUnformatted(ev);
                cJSON_Delete(ev);
                st = db_stmt(db, SQL_HUNK_INSERT, err);
                if (!st) {
                        free(evidence);
                        return -1;
                }
                sqlite3_bind_int64(st, 1, *diff_id);
                sqlite3_bind_int64(st, 2, (int64_t)i + 1);
                db_bind_text(st, 3, dream_op_name(h->op));
                db_bind_text(st, 4, h->memory_id);
                db_bind_text(st, 5, h->path);
                db_bind_text(st, 6, h->old_text);
                db_bind_text(st, 7, h->new_text);
                db_bind_text(st, 8, h->tags);
                db_bind_text(st, 9, h->rationale ? h->rationale : "");
                db_bind_text(st, 10, evidence);
                sqlite3_bind_double(st, 11, h->confidence);
                sqlite3_bind_int(st, 12, h->blocked);
                db_bind_text(st, 13, h->findings ? h->findings : "[]");
                int rc = db_step_done(db, st, err, "storing a hunk");
                free(evidence);
                if (rc < 0)
                        return -1;
        }
        struct buf detail = BUF_INIT;
        buf_addf(&detail, "dreaming pass %lld proposed %zu hunks", (long long)run_id, p->n);
        int rc = transition(db, *diff_id, NULL, "pending", "curator", now, detail.ptr, err);
        buf_free(&detail);
        if (rc < 0 || !old_diff)
                return rc;
        st = db_stmt(db, SQL_DIFF_STATE, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, old_diff);
        char *old_state = sqlite3_step(st) == SQLITE_ROW ? col(st, 0) : NULL;
        sqlite3_reset(st);
        st = db_stmt(db, SQL_DIFF_SUPERSEDE, err);
        if (!st) {
                free(old_state);
                return -1;
        }
        sqlite3_bind_int64(st, 1, old_diff);
        sqlite3_bind_int64(st, 2, *diff_id);
        db_bind_text(st, 3, now);
        rc = db_step_done(db, st, err, "superseding a diff");
        if (rc == 0) {
                struct buf d = BUF_INIT;
                buf_addf(&d, "replaced by diff %lld", (long long)*diff_id);
                rc = transition(db, old_diff, old_state, "superseded", "curator", now, d.ptr,
                                err);
                buf_free(&d);
        }
        free(old_state);
        return rc;
}

int db_dream_set_watermark(struct db *db, const char *scope, int64_t seq, const char *now,
                           struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_WATERMARK_SET, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        sqlite3_bind_int64(st, 2, seq);
        db_bind_text(st, 3, now);
        return db_step_done(db, st, err, "moving a watermark");
}

int db_dream_reinforce(struct db *db, const struct dream_proposal *p, const char *now,
                       struct err *err)
{
        for (size_t i = 0; i < p->nr; i++) {
                sqlite3_stmt *st = db_stmt(db, SQL_REINFORCE, err);
                if (!st)
                        return -1;
                db_bind_text(st, 1, p->r[i].memory_id);
                db_bind_text(st, 2, p->r[i].session_id);
                db_bind_text(st, 3, p->r[i].event_id);
                db_bind_text(st, 4, now);
                if (db_step_done(db, st, err, "recording a reinforcement") < 0)
                        return -1;
        }
        return 0;
}
