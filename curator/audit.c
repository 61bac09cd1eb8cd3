#include "audit.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db_audit.h"
#include "sha256.h"
#include "timestamp.h"

/* The bytes a row's hash covers: every field, each ended by a newline
 * (fields are text from curator itself; an actor or object holding a newline
 * still hashes unambiguously because the count of fields is fixed and the
 * detail, the only free text, comes last). */
static void row_hash(const struct audit_row *r, char out[65])
{
        struct buf b = BUF_INIT;
        buf_addf(&b, "%s\n%lld\n%s\n%s\n%s\n%s\n%s", r->prev_hash, (long long)r->id, r->at,
                 r->actor, r->action, r->object, r->detail);
        sha256_hex(b.ptr, b.len, out);
        buf_free(&b);
}

int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct err *err)
{
        int own = !db_in_transaction(db);
        if (own && db_begin(db, err) < 0)
                return -1;
        int64_t last = 0;
        char prev[65], hash[65], at[TIMESTAMP_LEN + 1];
        if (db_audit_tail(db, &last, prev, err) < 0)
                goto fail;
        timestamp_now(at);
        struct audit_row r = {
                .id = last + 1,
                .at = at,
                .actor = actor && *actor ? actor : "curator",
                .action = action,
                .object = object ? object : "",
                .detail = detail_json && *detail_json ? detail_json : "{}",
                .prev_hash = prev,
        };
        row_hash(&r, hash);
        r.hash = hash;
        if (db_audit_insert(db, &r, err) < 0)
                goto fail;
        if (own && db_commit(db, err) < 0)
                goto fail;
        return 0;
fail:
        if (own)
                db_rollback(db);
        return -1;
}

int audit_list(struct db *db, const struct audit_filter *f,
               int (*fn)(void *ctx, const struct audit_row *row), void *ctx, struct err *err)
{
        return db_audit_each(db, f, fn, ctx, err);
}

struct verify_state {
        struct audit_verify_result *out;
        char expect_prev[65];
        int64_t expect_id;
};

static int verify_row(void *ctx, const struct audit_row *row)
{
        struct verify_state *v = ctx;
        struct audit_verify_result *out = v->out;
        out->rows++;
        char hash[65];
        if (row->id != v->expect_id) {
                out->broken_id = row->id;
                snprintf(out->reason, sizeof(out->reason),
                         "row %lld follows row %lld: row %lld is missing", (long long)row->id,
                         (long long)(v->expect_id - 1), (long long)v->expect_id);
                return -1;
        }
        if (strcmp(row->prev_hash, v->expect_prev) != 0) {
                out->broken_id = row->id;
                snprintf(out->reason, sizeof(out->reason),
                         "its prev_hash does not match the hash of row %lld",
                         (long long)(row->id - 1));
                return -1;
        }
        row_hash(row, hash);
        if (strcmp(hash, row->hash) != 0) {
                out->broken_id = row->id;
                snprintf(out->reason, sizeof(out->reason),
                         "its content does not match its hash (altered)");
                return -1;
        }
        memcpy(v->expect_prev, row->hash, 65);
        v->expect_id = row->id + 1;
        return 0;
}

int audit_verify(struct db *db, struct audit_verify_result *out, struct err *err)
{
        memset(out, 0, sizeof(*out));
        struct verify_state v = {.out = out, .expect_id = 1};
        memset(v.expect_prev, '0', 64);
        v.expect_prev[64] = '\0';
        return db_audit_each(db, NULL, verify_row, &v, err);
}
