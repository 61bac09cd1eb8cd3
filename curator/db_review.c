#include "db_review.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_internal.h"

static const char SQL_DIFF[] =
        "SELECT id, run_id, scope, state, base_commit, source, created_at, updated_at,"
        " coalesce(superseded_by, 0) FROM diffs WHERE id = ?";
static const char SQL_HUNKS[] =
        "SELECT id, idx, op, memory_id, path, old_text, new_text, tags, rationale, evidence,"
        " findings, state, decided_by, decided_at, reason, commit_id, confidence, blocked"
        " FROM hunks WHERE diff_id = ? ORDER BY idx";
static const char SQL_DIFFS[] =
        "SELECT d.id, d.run_id, d.scope, d.state, d.base_commit, d.source, d.created_at,"
        " d.updated_at, coalesce(d.superseded_by, 0), count(h.id),"
        " coalesce(sum(h.state = 'pending'), 0), coalesce(sum(h.blocked), 0)"
        " FROM diffs d LEFT JOIN hunks h ON h.diff_id = d.id"
        " WHERE (?1 IS NULL OR d.scope = ?1)"
        " AND (?2 = 'all' OR (?2 = 'open' AND d.state IN ('pending', 'partially_approved'))"
        " OR d.state = ?2)"
        " GROUP BY d.id ORDER BY d.id DESC";
static const char SQL_DECIDE[] =
        "UPDATE hunks SET state = ?2, decided_by = ?3, decided_at = ?4, reason = ?5,"
        " commit_id = ?6, new_text = coalesce(?7, new_text) WHERE id = ?1";
static const char SQL_SET_STATE[] = "UPDATE diffs SET state = ?2, updated_at = ?3 WHERE id = ?1";
static const char SQL_TRANSITION[] =
        "INSERT INTO diff_transitions(diff_id, from_state, to_state, actor, at, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_EVENT[] =
        "SELECT session_id, event_id, ts, role, type, text, tool_name, tool_input FROM events"
        " WHERE session_id = ? AND event_id = ?";

#define COL(i) db_column_strdup(st, (i))

void review_diff_row_clear(struct review_diff_row *d)
{
        free(d->scope);
        free(d->state);
        free(d->base_commit);
        free(d->source);
        free(d->created_at);
        free(d->updated_at);
        memset(d, 0, sizeof(*d));
}

void review_diff_rows_free(struct review_diff_rows *d)
{
        for (size_t i = 0; i < d->n; i++)
                review_diff_row_clear(&d->v[i]);
        free(d->v);
        memset(d, 0, sizeof(*d));
}

void review_hunk_rows_free(struct review_hunk_rows *h)
{
        for (size_t i = 0; i < h->n; i++) {
                struct review_hunk_row *r = &h->v[i];
                free(r->op);
                free(r->memory_id);
                free(r->path);
                free(r->old_text);
                free(r->new_text);
                free(r->tags);
                free(r->rationale);
                free(r->evidence);
                free(r->findings);
                free(r->state);
                free(r->decided_by);
                free(r->decided_at);
                free(r->reason);
                free(r->commit_id);
        }
        free(h->v);
        memset(h, 0, sizeof(*h));
}

static void read_diff(sqlite3_stmt *st, struct review_diff_row *d)
{
        d->id = sqlite3_column_int64(st, 0);
        d->run_id = sqlite3_column_int64(st, 1);
        d->scope = COL(2);
        d->state = COL(3);
        d->base_commit = COL(4);
        d->source = COL(5);
        d->created_at = COL(6);
        d->updated_at = COL(7);
        d->superseded_by = sqlite3_column_int64(st, 8);
}

int db_review_diff(struct db *db, int64_t id, struct review_diff_row *out, int *found,
                   struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_DIFF, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found)
                read_diff(st, out);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading a diff");
        return 0;
}

int db_review_hunks(struct db *db, int64_t diff_id, struct review_hunk_rows *out,
                    struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_HUNKS, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == cap) {
                        cap = cap ? cap * 2 : 8;
                        out->v = xrealloc(out->v, cap * sizeof(*out->v));
                }
                struct review_hunk_row *r = &out->v[out->n++];
                r->id = sqlite3_column_int64(st, 0);
                r->idx = sqlite3_column_int(st, 1);
                r->op = COL(2);
                r->memory_id = COL(3);
                r->path = COL(4);
                r->old_text = COL(5);
                r->new_text = COL(6);
                r->tags = COL(7);
                r->rationale = COL(8);
                r->evidence = COL(9);
                r->findings = COL(10);
                r->state = COL(11);
                r->decided_by = COL(12);
                r->decided_at = COL(13);
                r->reason = COL(14);
                r->commit_id = COL(15);
                r->confidence = sqlite3_column_double(st, 16);
                r->blocked = sqlite3_column_int(st, 17);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "reading hunks");
}

int db_review_diffs(struct db *db, const char *scope, const char *state,
                    struct review_diff_rows *out, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_DIFFS, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, scope);
        db_bind_text(st, 2, state ? state : "open");
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == cap) {
                        cap = cap ? cap * 2 : 8;
                        out->v = xrealloc(out->v, cap * sizeof(*out->v));
                }
                struct review_diff_row *d = &out->v[out->n++];
                memset(d, 0, sizeof(*d));
                read_diff(st, d);
                d->hunks = sqlite3_column_int(st, 9);
                d->pending = sqlite3_column_int(st, 10);
                d->blocked = sqlite3_column_int(st, 11);
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "listing diffs");
}

int db_review_decide(struct db *db, int64_t hunk_id, const char *state, const char *by,
                     const char *at, const char *reason, const char *commit_id,
                     const char *text, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_DECIDE, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, hunk_id);
        db_bind_text(st, 2, state);
        db_bind_text(st, 3, by);
        db_bind_text(st, 4, at);
        db_bind_text(st, 5, reason);
        db_bind_text(st, 6, commit_id);
        db_bind_text(st, 7, text);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "recording a decision");
}

int db_review_set_state(struct db *db, int64_t diff_id, const char *from, const char *to,
                        const char *actor, const char *at, const char *detail,
                        struct err *err)
{
        if (from && strcmp(from, to) == 0)
                return 0;
        sqlite3_stmt *st = db_stmt(db, SQL_SET_STATE, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        db_bind_text(st, 2, to);
        db_bind_text(st, 3, at);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "changing a diff's state");
        st = db_stmt(db, SQL_TRANSITION, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, diff_id);
        db_bind_text(st, 2, from);
        db_bind_text(st, 3, to);
        db_bind_text(st, 4, actor);
        db_bind_text(st, 5, at);
        db_bind_text(st, 6, detail);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "recording a transition");
}

void review_event_clear(struct review_event *e)
{
        free(e->session_id);
        free(e->event_id);
        free(e->ts);
        free(e->role);
        free(e->type);
        free(e->text);
        free(e->tool_name);
        free(e->tool_input);
        memset(e, 0, sizeof(*e));
}

int db_review_event(struct db *db, const char *session_id, const char *event_id,
                    struct review_event *out, int *found, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_EVENT, err);
        if (!st)
                return -1;
        db_bind_text(st, 1, session_id);
        db_bind_text(st, 2, event_id);
        int rc = sqlite3_step(st);
        *found = rc == SQLITE_ROW;
        if (*found) {
                out->session_id = COL(0);
                out->event_id = COL(1);
                out->ts = COL(2);
                out->role = COL(3);
                out->type = COL(4);
                out->text = COL(5);
                out->tool_name = COL(6);
                out->tool_input = COL(7);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading an event");
        return 0;
}
