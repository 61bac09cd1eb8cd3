/* store verify: objects, front matter, OWNERS, and the index against head. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_store.h"
#include "owners.h"
#include "store_internal.h"

/* A set of object ids, so verify reads each object once however many
 * commits share it. Open addressing; ids are uniformly distributed. */
struct oidset {
        git_oid *v;
        unsigned char *used;
        size_t cap, n;
};

static int oidset_add(struct oidset *set, const git_oid *oid)
{
        if ((set->n + 1) * 2 > set->cap) {
                struct oidset bigger = {0};
                bigger.cap = set->cap ? set->cap * 2 : 1024;
                bigger.v = xcalloc(bigger.cap, sizeof(git_oid));
                bigger.used = xcalloc(bigger.cap, 1);
                for (size_t i = 0; i < set->cap; i++) {
                        if (set->used[i])
                                oidset_add(&bigger, &set->v[i]);
                }
                free(set->v);
                free(set->used);
                *set = bigger;
        }
        size_t h;
        memcpy(&h, oid->id, sizeof(h));
        for (size_t i = h & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
                if (!set->used[i]) {
                        set->used[i] = 1;
                        git_oid_cpy(&set->v[i], oid);
                        set->n++;
                        return 1;
                }
                if (git_oid_equal(&set->v[i], oid))
                        return 0;
        }
}

static void oidset_free(struct oidset *set)
{
        free(set->v);
        free(set->used);
}

static void report_add(struct store_report *r, enum store_problem_kind kind, const char *path,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report_add(struct store_report *r, enum store_problem_kind kind, const char *path,
                       const char *fmt, ...)
{
        struct buf d = BUF_INIT;
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(&d, fmt, ap);
        va_end(ap);
        r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
        r->v[r->n].kind = kind;
        r->v[r->n].path = path ? xstrdup(path) : NULL;
        r->v[r->n].detail = buf_detach(&d, NULL);
        r->n++;
}

void store_report_free(struct store_report *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].path);
                free(r->v[i].detail);
        }
        free(r->v);
        r->v = NULL;
        r->n = 0;
}

const char *store_problem_kind_name(enum store_problem_kind k)
{
        switch (k) {
        case STORE_PROBLEM_OBJECT:
                return "object";
        case STORE_PROBLEM_FRONT_MATTER:
                return "front-matter";
        case STORE_PROBLEM_OWNERS:
                return "owners";
        case STORE_PROBLEM_INDEX:
                return "index";
        }
        return "unknown";
}

/* Reads an object through the odb, which checks that its content hashes to
 * its id; reports it if not. Returns 1 if readable. */
static int verify_object(git_odb *odb, const git_oid *oid, const char *where,
                         struct store_report *r)
{
        git_odb_object *obj = NULL;
        if (git_odb_read(&obj, odb, oid) < 0) {
                char hex[41];
                store_oid_hex(oid, hex);
                const git_error *e = git_error_last();
                report_add(r, STORE_PROBLEM_OBJECT, where, "object %s cannot be read: %s", hex,
                           e && e->message ? e->message : "unknown error");
                return 0;
        }
        git_odb_object_free(obj);
        r->objects++;
        return 1;
}

static void verify_tree(struct store *s, git_odb *odb, const git_oid *oid, const char *where,
                        struct oidset *seen, struct store_report *r)
{
        if (!oidset_add(seen, oid) || !verify_object(odb, oid, where, r))
                return;
        git_tree *t = NULL;
        if (git_tree_lookup(&t, s->repo, oid) < 0) {
                report_add(r, STORE_PROBLEM_OBJECT, where, "tree cannot be parsed");
                return;
        }
        struct buf sub = BUF_INIT;
        for (size_t i = 0; i < git_tree_entrycount(t); i++) {
                const git_tree_entry *e = git_tree_entry_byindex(t, i);
                buf_reset(&sub);
                buf_addf(&sub, "%s%s%s", where, *where ? "/" : "", git_tree_entry_name(e));
                if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
                        verify_tree(s, odb, git_tree_entry_id(e), buf_cstr(&sub), seen, r);
                else if (oidset_add(seen, git_tree_entry_id(e)))
                        verify_object(odb, git_tree_entry_id(e), buf_cstr(&sub), r);
        }
        buf_free(&sub);
        git_tree_free(t);
}

static void verify_objects(struct store *s, const git_oid *head, struct store_report *r)
{
        git_odb *odb = NULL;
        git_revwalk *w = NULL;
        struct oidset seen = {0};
        if (git_repository_odb(&odb, s->repo) < 0 || git_revwalk_new(&w, s->repo) < 0 ||
            git_revwalk_push(w, head) < 0) {
                report_add(r, STORE_PROBLEM_OBJECT, NULL, "cannot walk the history: %s",
                           git_error_last() ? git_error_last()->message : "unknown error");
                goto out;
        }
        git_oid oid;
        int rc;
        while ((rc = git_revwalk_next(&oid, w)) == 0) {
                char hex[41];
                store_oid_hex(&oid, hex);
                r->commits++;
                if (!oidset_add(&seen, &oid) || !verify_object(odb, &oid, hex, r))
                        continue;
                git_commit *c = NULL;
                if (git_commit_lookup(&c, s->repo, &oid) < 0) {
                        report_add(r, STORE_PROBLEM_OBJECT, hex, "commit cannot be parsed");
                        continue;
                }
                verify_tree(s, odb, git_commit_tree_id(c), "", &seen, r);
                git_commit_free(c);
        }
        if (rc != GIT_ITEROVER)
                report_add(r, STORE_PROBLEM_OBJECT, NULL, "the history walk stopped: %s",
                           git_error_last() ? git_error_last()->message : "unknown error");
out:
        oidset_free(&seen);
        git_revwalk_free(w);
        git_odb_free(odb);
}

struct verify_ctx {
        struct store *s;
        struct store_report *r;
        struct store_memories files;  /* parsed memories at head */
        struct memory_list_str blobs; /* their blob ids, aligned with files */
};

static int verify_file_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        (void)err;
        struct verify_ctx *ctx = vctx;
        char id[MEMORY_ID_LEN + 1];
        if (!blob) {
                report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                           "a directory inside a scope: memories are files directly in "
                           "memories/<scope>/");
                return 0;
        }
        if (!memory_id_from_path(path, id)) {
                report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                           "not a memory file name (memories/<scope>/<slug>-<16 hex>.md)");
                return 0;
        }
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        struct err perr;
        if (store_read_blob(ctx->s, blob, &text, &perr) < 0) {
                report_add(ctx->r, STORE_PROBLEM_OBJECT, path, "%s", perr.msg);
        } else if (memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, &perr) < 0) {
                report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path, "%s", perr.msg);
        } else {
                const char *scope = path + strlen(MEMORY_DIR) + 1;
                size_t slen = (size_t)(strchr(scope, '/') - scope);
                struct buf again = BUF_INIT;
                if (strcmp(m->id, id) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "id %s does not match the file name (which says %s)", m->id, id);
                else if (strlen(m->scope) != slen || strncmp(m->scope, scope, slen) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "scope %s does not match the directory it is in", m->scope);
                else if (memory_serialize(m, &again, &perr) < 0 || again.len != text.len ||
                         memcmp(again.ptr, text.ptr, text.len) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "the file is not in canonical form");
                buf_free(&again);
                char hex[41];
                store_oid_hex(blob, hex);
                ctx->files.v = xrealloc(ctx->files.v, (ctx->files.n + 1) * sizeof(struct memory *));
                ctx->files.v[ctx->files.n++] = m;
                ctx->blobs.v = xrealloc(ctx->blobs.v, (ctx->blobs.n + 1) * sizeof(char *));
                ctx->blobs.v[ctx->blobs.n++] = xstrdup(hex);
                m = NULL;
        }
        memory_free(m);
        buf_free(&text);
        return 0;
}

static int list_equal(const struct memory_list_str *a, const struct memory_list_str *b)
{
        if (a->n != b->n)
                return 0;
        for (size_t i = 0; i < a->n; i++) {
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return 0;
        }
        return 1;
}

static int str_eq(const char *a, const char *b)
{
        return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Compares one index row with the file at head; names the columns that differ. */
static void verify_row(struct store_report *r, const struct memory *f, const char *blob,
                       const struct db_store_row *row)
{
        const struct memory *m = row->m;
        struct buf cols = BUF_INIT;
        const char *names[] = {"id",      "scope",   "owner",  "retention",
                               "created", "updated", "expires"};
        const char *fv[] = {f->id,      f->scope,   f->owner,  f->retention,
                            f->created, f->updated, f->expires};
        const char *mv[] = {m->id,      m->scope,   m->owner,  m->retention,
                            m->created, m->updated, m->expires};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                if (!str_eq(fv[i], mv[i]))
                        buf_addf(&cols, "%s%s", cols.len ? ", " : "", names[i]);
        }
        if (f->legal_hold != m->legal_hold)
                buf_addf(&cols, "%slegal_hold", cols.len ? ", " : "");
        if (!list_equal(&f->sources, &m->sources))
                buf_addf(&cols, "%ssources", cols.len ? ", " : "");
        if (!list_equal(&f->tags, &m->tags))
                buf_addf(&cols, "%stags", cols.len ? ", " : "");
        if (f->body_len != m->body_len || memcmp(f->body, m->body, f->body_len) != 0)
                buf_addf(&cols, "%stext", cols.len ? ", " : "");
        if (!str_eq(blob, row->blob))
                buf_addf(&cols, "%sblob", cols.len ? ", " : "");
        if (cols.len)
                report_add(r, STORE_PROBLEM_INDEX, f->path,
                           "index row for %s differs from the store in: %s (run `curator store "
                           "reindex`)",
                           f->id, buf_cstr(&cols));
        buf_free(&cols);
}

static void verify_index(struct store *s, struct verify_ctx *ctx, struct store_report *r)
{
        struct db_store_rows rows = {0};
        struct err err;
        int have = 0;
        if (db_store_index_head(s->home->db, r->indexed, &have, &err) < 0 ||
            db_store_all(s->home->db, &rows, &err) < 0) {
                report_add(r, STORE_PROBLEM_INDEX, NULL, "cannot read the index: %s", err.msg);
                db_store_rows_free(&rows);
                return;
        }
        if (!have) {
                r->indexed[0] = '\0';
                report_add(r, STORE_PROBLEM_INDEX, NULL,
                           "the index was never built (run `curator store reindex`)");
        } else if (strcmp(r->indexed, r->head) != 0) {
                report_add(r, STORE_PROBLEM_INDEX, NULL,
                           "the index describes commit %.12s but main is at %.12s (a writer "
                           "stopped between its commit and the index update, or the store was "
                           "written outside curator): run `curator store reindex`",
                           r->indexed, r->head);
        }
        r->index_rows = rows.n;
        /* Rows come ORDER BY path (byte order), so each file is found by bisection. */
        unsigned char *matched = xcalloc(rows.n ? rows.n : 1, 1);
        for (size_t i = 0; i < ctx->files.n; i++) {
                const struct memory *f = ctx->files.v[i];
                size_t lo = 0, hi = rows.n;
                while (lo < hi) {
                        size_t mid = lo + (hi - lo) / 2;
                        if (strcmp(rows.v[mid].m->path, f->path) < 0)
                                lo = mid + 1;
                        else
                                hi = mid;
                }
                if (lo == rows.n || strcmp(rows.v[lo].m->path, f->path) != 0) {
                        report_add(r, STORE_PROBLEM_INDEX, f->path,
                                   "memory %s is missing from the index", f->id);
                        continue;
                }
                matched[lo] = 1;
                verify_row(r, f, ctx->blobs.v[i], &rows.v[lo]);
        }
        for (size_t j = 0; j < rows.n; j++) {
                if (!matched[j])
                        report_add(r, STORE_PROBLEM_INDEX, rows.v[j].m->path,
                                   "index row for %s has no memory file at head", rows.v[j].m->id);
        }
        free(matched);
        db_store_rows_free(&rows);
}

static int memory_cmp_id(const void *a, const void *b)
{
        return strcmp((*(struct memory *const *)a)->id, (*(struct memory *const *)b)->id);
}

int store_verify(struct store *s, struct store_report *r, struct err *err)
{
        memset(r, 0, sizeof(*r));
        git_oid head;
        git_tree *tree = NULL;
        if (store_head_oid(s, &head, err) < 0)
                return -1;
        store_oid_hex(&head, r->head);
        verify_objects(s, &head, r);
        struct verify_ctx ctx = {s, r, {0}, {0}};
        if (store_commit_tree(s, &head, &tree, err) < 0) {
                report_add(r, STORE_PROBLEM_OBJECT, r->head, "%s", err->msg);
                return 0;
        }
        struct err ferr;
        if (store_each_memory_file(s, tree, NULL, NULL, verify_file_fn, &ctx, &ferr) < 0)
                report_add(r, STORE_PROBLEM_OBJECT, MEMORY_DIR, "%s", ferr.msg);
        r->memories = ctx.files.n;
        /* Two files with one id would make reads by id ambiguous. */
        struct memory **byid = xmalloc((ctx.files.n ? ctx.files.n : 1) * sizeof(*byid));
        if (ctx.files.n) { /* an empty store has no array at all */
                memcpy(byid, ctx.files.v, ctx.files.n * sizeof(*byid));
                qsort(byid, ctx.files.n, sizeof(*byid), memory_cmp_id);
        }
        for (size_t i = 1; i < ctx.files.n; i++) {
                if (strcmp(byid[i - 1]->id, byid[i]->id) == 0)
                        report_add(r, STORE_PROBLEM_FRONT_MATTER, byid[i]->path,
                                   "id %s is also used by %s", byid[i]->id, byid[i - 1]->path);
        }
        free(byid);
        git_oid owners_blob;
        struct buf text = BUF_INIT;
        struct owners *o = NULL;
        int have = store_tree_entry(tree, STORE_OWNERS_PATH, &owners_blob, &ferr);
        if (have == 0)
                report_add(r, STORE_PROBLEM_OWNERS, STORE_OWNERS_PATH,
                           "there is no OWNERS file: only admins can approve or revert");
        else if (have > 0 && store_read_blob(s, &owners_blob, &text, &ferr) == 0 &&
                 owners_parse(text.ptr ? text.ptr : "", text.len, STORE_OWNERS_PATH, &o, &ferr) < 0)
                report_add(r, STORE_PROBLEM_OWNERS, STORE_OWNERS_PATH, "%s", ferr.msg);
        owners_free(o);
        buf_free(&text);
        git_tree_free(tree);
        verify_index(s, &ctx, r);
        store_memories_free(&ctx.files);
        memory_list_clear(&ctx.blobs);
        return 0;
}
