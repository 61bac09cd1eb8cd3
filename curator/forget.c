/* Erasure from history (forget.h): find, check holds, rewrite every commit
 * without the erased memories, pack what is reachable, move main with
 * compare-and-swap, then delete every old object. The order is what makes a
 * kill at any point safe: new objects are durable before the ref moves, and
 * old ones are deleted only after it moved. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "forget.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <pcre2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "db_store.h"
#include "forget_pack.h"
#include "home.h"
#include "purge.h"
#include "sha256.h"
#include "store_internal.h"
#include "timestamp.h"

#define FORGET_MARK "[erased]"
#define LOCK_NAME "curator.lock"

/* Test hook: with CURATOR_TEST_KILL_AT=<point> in the environment the
 * process kills itself there (SIGKILL: no clean-up runs), so the tests can
 * stop an erasure in every window a crash could hit, not only where random
 * timing happens to land. */
void forget_kill_point(const char *point)
{
        const char *at = getenv("CURATOR_TEST_KILL_AT");
        if (at && strcmp(at, point) == 0)
                raise(SIGKILL);
}

/* ---- the writers' lock ---- */

int store_lock_writers(const char *store_path, int exclusive, struct err *err)
{
        char *path = NULL;
        struct buf p = BUF_INIT;
        buf_addf(&p, "%s/%s", store_path, LOCK_NAME);
        path = buf_detach(&p, NULL);
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
                err_set(err, "opening %s: %s", path, strerror(errno));
                free(path);
                return -1;
        }
        int rc;
        while ((rc = flock(fd, exclusive ? LOCK_EX : LOCK_SH)) < 0 && errno == EINTR)
                ;
        if (rc < 0) {
                err_set(err, "locking %s: %s", path, strerror(errno));
                close(fd);
                free(path);
                return -1;
        }
        free(path);
        return fd;
}

void store_unlock_writers(int fd)
{
        if (fd >= 0)
                close(fd); /* closing the descriptor releases the flock */
}

/* ---- a small map from object id to object id ---- */

struct oidmap_entry {
        git_oid key, val;
        int used;
};

struct oidmap {
        struct oidmap_entry *v; /* owned */
        size_t cap, n;
};

static size_t oid_hash(const git_oid *o)
{
        size_t h;
        memcpy(&h, o->id, sizeof(h));
        return h;
}

static struct oidmap_entry *oidmap_slot(const struct oidmap *m, const git_oid *k)
{
        size_t i = oid_hash(k) & (m->cap - 1);
        while (m->v[i].used && !git_oid_equal(&m->v[i].key, k))
                i = (i + 1) & (m->cap - 1);
        return &m->v[i];
}

static void oidmap_put(struct oidmap *m, const git_oid *k, const git_oid *v)
{
        if ((m->n + 1) * 2 > m->cap) {
                struct oidmap old = *m;
                m->cap = old.cap ? old.cap * 2 : 1024;
                m->v = xcalloc(m->cap, sizeof(*m->v));
                m->n = 0;
                for (size_t i = 0; i < old.cap; i++)
                        if (old.v[i].used)
                                oidmap_put(m, &old.v[i].key, &old.v[i].val);
                free(old.v);
        }
        struct oidmap_entry *e = oidmap_slot(m, k);
        if (!e->used) {
                e->used = 1;
                git_oid_cpy(&e->key, k);
                m->n++;
        }
        git_oid_cpy(&e->val, v);
}

static const git_oid *oidmap_get(const struct oidmap *m, const git_oid *k)
{
        if (!m->cap)
                return NULL;
        struct oidmap_entry *e = oidmap_slot(m, k);
        return e->used ? &e->val : NULL;
}

static void oidmap_free(struct oidmap *m)
{
        free(m->v);
        memset(m, 0, sizeof(*m));
}

/* ---- matching ---- */

struct matcher {
        pcre2_code *re;       /* owned */
        pcre2_match_data *md; /* owned */
};

static int matcher_init(struct matcher *m, const struct forget_opts *o, struct err *err)
{
        memset(m, 0, sizeof(*m));
        if ((o->subject == NULL) == (o->pattern == NULL))
                return err_set(err, "give exactly one of --subject TEXT and --pattern REGEX");
        const char *src = o->subject ? o->subject : o->pattern;
        if (!*src)
                return err_set(err, "an empty subject would match everything");
        /* Invalid UTF-8 in old events must not stop the search. */
        uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
        if (o->subject)
                opts |= PCRE2_LITERAL | PCRE2_CASELESS;
        int code;
        PCRE2_SIZE off;
        m->re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
        if (!m->re) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(code, msg, sizeof(msg));
                return err_set(err, "--pattern does not compile at offset %zu: %s", (size_t)off,
                               (const char *)msg);
        }
        pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE);
        m->md = pcre2_match_data_create_from_pattern(m->re, NULL);
        return 0;
}

static void matcher_free(struct matcher *m)
{
        pcre2_match_data_free(m->md);
        pcre2_code_free(m->re);
}

/* 1 and the span if text holds a match at or after from, 0 if not. */
static int matcher_find(struct matcher *m, const char *text, size_t len, size_t from, size_t *start,
                        size_t *end)
{
        if (!text)
                return 0;
        int rc = pcre2_match(m->re, (PCRE2_SPTR)text, len, from, 0, m->md, NULL);
        if (rc < 0)
                return 0;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        *start = ov[0];
        *end = ov[1];
        return 1;
}

static int matches(struct matcher *m, const char *text, size_t len)
{
        size_t a, b;
        return matcher_find(m, text, len, 0, &a, &b);
}

/* Appends text with every match replaced by the erasure mark; returns the
 * number of replacements. */
static size_t scrub_text(struct matcher *m, const char *text, size_t len, struct buf *out)
{
        size_t pos = 0, n = 0, a, b;
        while (pos <= len && matcher_find(m, text, len, pos, &a, &b)) {
                buf_add(out, text + pos, a - pos);
                buf_adds(out, FORGET_MARK);
                n++;
                pos = b > a ? b : b + 1;
                if (b == a && a < len)
                        buf_add(out, text + a, 1);
        }
        if (pos < len)
                buf_add(out, text + pos, len - pos);
        return n;
}

/* ---- results ---- */

void forget_result_free(struct forget_result *r)
{
        for (size_t i = 0; i < r->nmemories; i++)
                free(r->memories[i].path);
        free(r->memories);
        db_event_refs_free(&r->events);
        for (size_t i = 0; i < r->nholds; i++)
                free(r->holds[i]);
        free(r->holds);
        memset(r, 0, sizeof(*r));
}

/* The id in a memory file name "<slug>-<16 hex>.md", or 0. */
static int name_memory_id(const char *name, char out[MEMORY_ID_LEN + 1])
{
        size_t n = strlen(name);
        if (n < MEMORY_ID_HEX + 4 || strcmp(name + n - 3, ".md") != 0 ||
            name[n - 3 - MEMORY_ID_HEX - 1] != '-')
                return 0;
        const char *hex = name + n - 3 - MEMORY_ID_HEX;
        for (int i = 0; i < MEMORY_ID_HEX; i++)
                if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
                        return 0;
        memcpy(out, MEMORY_ID_PREFIX, 4);
        memcpy(out + 4, hex, MEMORY_ID_HEX);
        out[MEMORY_ID_LEN] = '\0';
        return 1;
}

static int cmp_memory(const void *a, const void *b)
{
        return strcmp(((const struct forget_memory *)a)->id, ((const struct forget_memory *)b)->id);
}

static int is_erased(const struct forget_result *r, const char *id)
{
        struct forget_memory key;
        if (!r->nmemories)
                return 0;
        memcpy(key.id, id, sizeof(key.id));
        return bsearch(&key, r->memories, r->nmemories, sizeof(key), cmp_memory) != NULL;
}

/* ---- finding ---- */

struct find {
        struct store *s;
        struct matcher *mt;
        struct forget_result *r;
        struct oidmap seen; /* trees and blobs already looked at */
        git_oid *newest;    /* per erased memory: the blob its sha256 is of */
        struct buf text;
};

static int find_in_scope(struct find *f, git_tree *scope, const char *scope_name)
{
        static const git_oid none = {{0}};
        for (size_t i = 0; i < git_tree_entrycount(scope); i++) {
                const git_tree_entry *e = git_tree_entry_byindex(scope, i);
                char id[MEMORY_ID_LEN + 1];
                const git_oid *oid = git_tree_entry_id(e);
                if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
                    !name_memory_id(git_tree_entry_name(e), id) || oidmap_get(&f->seen, oid))
                        continue;
                oidmap_put(&f->seen, oid, &none);
                buf_reset(&f->text);
                struct err err;
                if (store_read_blob(f->s, oid, &f->text, &err) < 0)
                        return -1;
                struct forget_result *r = f->r;
                if (!matches(f->mt, f->text.ptr, f->text.len))
                        continue;
                size_t k = 0;
                while (k < r->nmemories && strcmp(r->memories[k].id, id) != 0)
                        k++;
                if (k == r->nmemories) {
                        /* History is walked newest first: the first match is the newest. */
                        r->memories = xrealloc(r->memories, (k + 1) * sizeof(*r->memories));
                        f->newest = xrealloc(f->newest, (k + 1) * sizeof(*f->newest));
                        struct forget_memory *m = &r->memories[k];
                        memset(m, 0, sizeof(*m));
                        memcpy(m->id, id, sizeof(m->id));
                        struct buf path = BUF_INIT;
                        buf_addf(&path, "%s/%s/%s", MEMORY_DIR, scope_name, git_tree_entry_name(e));
                        m->path = buf_detach(&path, NULL);
                        sha256_hex(f->text.ptr, f->text.len, m->sha256);
                        git_oid_cpy(&f->newest[k], oid);
                        r->nmemories++;
                }
                r->memories[k].versions++;
        }
        return 0;
}

/* Looks at every memory file version in history once: trees already seen
 * are skipped whole, which is what keeps this linear in what changed. */
static int find_in_history(struct find *f, const git_oid *head, struct err *err)
{
        static const git_oid none = {{0}};
        git_revwalk *w = NULL;
        if (git_revwalk_new(&w, f->s->repo) < 0 || git_revwalk_push(w, head) < 0) {
                git_revwalk_free(w);
                return store_git_fail(err, "walking the store history");
        }
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
        git_oid c;
        int rc = 0;
        while (rc == 0 && git_revwalk_next(&c, w) == 0) {
                f->r->commits++;
                git_tree *root = NULL, *mem = NULL;
                git_oid dir;
                if (store_commit_tree(f->s, &c, &root, err) < 0) {
                        rc = -1;
                        break;
                }
                int have = store_tree_entry(root, MEMORY_DIR, &dir, err);
                git_tree_free(root);
                if (have < 0) {
                        rc = -1;
                        break;
                }
                if (!have || oidmap_get(&f->seen, &dir))
                        continue;
                oidmap_put(&f->seen, &dir, &none);
                if (git_tree_lookup(&mem, f->s->repo, &dir) < 0) {
                        rc = store_git_fail(err, "reading memories/");
                        break;
                }
                for (size_t i = 0; rc == 0 && i < git_tree_entrycount(mem); i++) {
                        const git_tree_entry *se = git_tree_entry_byindex(mem, i);
                        const git_oid *so = git_tree_entry_id(se);
                        if (git_tree_entry_type(se) != GIT_OBJECT_TREE || oidmap_get(&f->seen, so))
                                continue;
                        oidmap_put(&f->seen, so, &none);
                        git_tree *st = NULL;
                        if (git_tree_lookup(&st, f->s->repo, so) < 0) {
                                rc = store_git_fail(err, git_tree_entry_name(se));
                                break;
                        }
                        if (find_in_scope(f, st, git_tree_entry_name(se)) < 0)
                                rc = store_git_fail(err, "reading a memory file");
                        git_tree_free(st);
                }
                git_tree_free(mem);
        }
        git_revwalk_free(w);
        return rc;
}

struct event_find {
        struct matcher *mt;
        struct forget_result *r;
};

static int event_fn(void *ctx, int64_t seq, const char *session_id, const char *event_id,
                    const char *scope, const char *text, size_t tlen, const char *raw, size_t rlen)
{
        struct event_find *f = ctx;
        if (!matches(f->mt, text, tlen) && !matches(f->mt, raw, rlen))
                return 0;
        struct db_event_refs *l = &f->r->events;
        if (l->n == l->cap) {
                l->cap = l->cap ? l->cap * 2 : 16;
                l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
        }
        struct db_event_ref *e = &l->v[l->n++];
        memset(e, 0, sizeof(*e));
        e->seq = seq;
        e->session_id = xstrdup(session_id);
        e->event_id = xstrdup(event_id);
        e->scope = xstrdup(scope ? scope : "");
        sha256_hex(raw, rlen, e->sha256);
        return 0;
}

struct scrub_find {
        struct matcher *mt;
        struct forget_result *r;
        int64_t *ids; /* owned */
        size_t n;
};

static void scrub_add(struct scrub_find *f, int64_t id)
{
        f->ids = xrealloc(f->ids, (f->n + 1) * sizeof(*f->ids));
        f->ids[f->n++] = id;
}

static int hunk_fn(void *ctx, int64_t id, const char *memory_id, const char *old_text,
                   const char *new_text, const char *rationale)
{
        struct scrub_find *f = ctx;
        if ((memory_id && is_erased(f->r, memory_id)) ||
            matches(f->mt, old_text, old_text ? strlen(old_text) : 0) ||
            matches(f->mt, new_text, new_text ? strlen(new_text) : 0) ||
            matches(f->mt, rationale, rationale ? strlen(rationale) : 0))
                scrub_add(f, id);
        return 0;
}

static int rejected_fn(void *ctx, int64_t id, const void *content, size_t len)
{
        struct scrub_find *f = ctx;
        if (matches(f->mt, content, len))
                scrub_add(f, id);
        return 0;
}

/* ---- holds ---- */

static void add_hold(struct forget_result *r, const char *what, const struct hold *h)
{
        struct buf d = BUF_INIT;
        buf_addf(&d, "%s is under ", what);
        if (h)
                purge_describe_hold(h, &d);
        else
                buf_adds(&d, "legal hold: its front matter says legal_hold: true");
        for (size_t i = 0; i < r->nholds; i++) {
                if (strcmp(r->holds[i], buf_cstr(&d)) == 0) {
                        buf_free(&d);
                        return;
                }
        }
        r->holds = xrealloc(r->holds, (r->nholds + 1) * sizeof(*r->holds));
        r->holds[r->nholds++] = buf_detach(&d, NULL);
}

static int check_holds(struct store *s, struct find *f, struct err *err)
{
        struct purge_holds holds;
        struct forget_result *r = f->r;
        if (purge_holds_load(s->home->db, &holds, err) < 0)
                return -1;
        int rc = 0;
        struct buf text = BUF_INIT, what = BUF_INIT;
        for (size_t i = 0; i < r->nmemories && rc == 0; i++) {
                struct memory *m = NULL;
                struct err perr;
                buf_reset(&text);
                /* The memory as it stands at head if it is there (its legal_hold
                 * field is current), else its newest matching version. */
                if (r->memories[i].at_head) {
                        if (store_read_memory(s, r->memories[i].id, NULL, &m, &perr) < 0)
                                m = NULL;
                }
                if (!m && store_read_blob(s, &f->newest[i], &text, err) == 0)
                        memory_parse(text.ptr ? text.ptr : "", text.len, r->memories[i].path, &m,
                                     &perr);
                int fm = 0;
                const struct hold *h = NULL;
                if (m) {
                        h = purge_hold_for_memory(&holds, m, &fm);
                } else {
                        struct memory bare = {.id = r->memories[i].id};
                        h = purge_hold_for_memory(&holds, &bare, &fm);
                }
                if (h || fm) {
                        buf_reset(&what);
                        buf_addf(&what, "memory %s", r->memories[i].id);
                        add_hold(r, buf_cstr(&what), h);
                }
                memory_free(m);
        }
        for (size_t i = 0; i < r->events.n; i++) {
                const struct db_event_ref *e = &r->events.v[i];
                const struct hold *h = purge_hold_for_event(&holds, e->session_id, e->scope);
                if (h) {
                        buf_reset(&what);
                        buf_addf(&what, "session %s (events)", e->session_id);
                        add_hold(r, buf_cstr(&what), h);
                }
        }
        buf_free(&text);
        buf_free(&what);
        purge_holds_free(&holds);
        return rc;
}

/* ---- rewriting ---- */

struct rewrite {
        struct store *s;
        git_odb_backend *mempack; /* borrowed: owned by the repository's odb */
        const struct forget_result *r;
        struct matcher *mt;
        char **events; /* sorted "session/event" of erased events; borrowed */
        size_t nevents;
        struct oidmap scopes, dirs, roots; /* old tree → new tree (zero: now empty) */
        struct oidmap commits;             /* old commit → new commit */
        struct oidmap trees;               /* new commit → its tree */
};

static const git_oid zero_oid = {{0}};

/* Stores a new object in memory. Written straight to the mempack: going
 * through git_odb_write would first look for it in every pack (a directory
 * scan per object when it is not there, as no rewritten object is). */
static int put_new(struct rewrite *rw, const void *data, size_t len, git_object_t type,
                   git_oid *out, struct err *err)
{
        if (git_odb_hash(out, data, len, type) < 0 ||
            rw->mempack->write(rw->mempack, out, data, len, type) < 0)
                return store_git_fail(err, "writing a rewritten object");
        return 0;
}

/* Appends one tree entry in git's tree format. Entries keep the order of
 * the tree they come from, which is already git's order. */
static void tree_entry_add(struct buf *b, const git_tree_entry *e, const git_oid *id)
{
        buf_addf(b, "%o %s", (unsigned)git_tree_entry_filemode(e), git_tree_entry_name(e));
        buf_addc(b, '\0');
        buf_add(b, id->id, GIT_OID_RAWSZ);
}

static int rewrite_scope(struct rewrite *rw, const git_oid *in, git_oid *out, struct err *err)
{
        const git_oid *memo = oidmap_get(&rw->scopes, in);
        if (memo) {
                git_oid_cpy(out, memo);
                return 0;
        }
        git_tree *t = NULL;
        if (git_tree_lookup(&t, rw->s->repo, in) < 0)
                return store_git_fail(err, "reading a scope tree");
        int rc = 0;
        size_t kept = 0, n = git_tree_entrycount(t);
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < n; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(t, i);
                char id[MEMORY_ID_LEN + 1];
                if (name_memory_id(git_tree_entry_name(e), id) && is_erased(rw->r, id))
                        continue;
                tree_entry_add(&b, e, git_tree_entry_id(e));
                kept++;
        }
        if (kept == n)
                git_oid_cpy(out, in);
        else if (kept == 0)
                git_oid_cpy(out, &zero_oid);
        else
                rc = put_new(rw, b.ptr, b.len, GIT_OBJECT_TREE, out, err);
        buf_free(&b);
        git_tree_free(t);
        if (rc == 0)
                oidmap_put(&rw->scopes, in, out);
        return rc;
}

/* Rewrites a tree one level up from rewrite_scope: memories/ (its entries
 * are scopes) or the root (its entry memories/). */
static int rewrite_level(struct rewrite *rw, const git_oid *in, git_oid *out,
                         struct oidmap *memo_map, int root, struct err *err)
{
        const git_oid *memo = oidmap_get(memo_map, in);
        if (memo) {
                git_oid_cpy(out, memo);
                return 0;
        }
        git_tree *t = NULL;
        if (git_tree_lookup(&t, rw->s->repo, in) < 0)
                return store_git_fail(err, "reading a store tree");
        int rc = 0, changed = 0;
        size_t kept = 0;
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < git_tree_entrycount(t) && rc == 0; i++) {
                const git_tree_entry *e = git_tree_entry_byindex(t, i);
                const char *name = git_tree_entry_name(e);
                const git_oid *id = git_tree_entry_id(e);
                git_oid sub;
                if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
                    (!root || !strcmp(name, MEMORY_DIR))) {
                        rc = root ? rewrite_level(rw, id, &sub, &rw->dirs, 0, err)
                                  : rewrite_scope(rw, id, &sub, err);
                        if (rc < 0)
                                break;
                        if (!git_oid_equal(&sub, id)) {
                                changed = 1;
                                id = &sub;
                        }
                        if (git_oid_is_zero(id))
                                continue; /* git keeps no empty directory */
                }
                tree_entry_add(&b, e, id);
                kept++;
        }
        if (rc == 0) {
                /* An empty memories/ goes; an empty root stays (a commit needs a tree). */
                if (!changed)
                        git_oid_cpy(out, in);
                else if (!root && kept == 0)
                        git_oid_cpy(out, &zero_oid);
                else
                        rc = put_new(rw, b.ptr ? b.ptr : "", b.len, GIT_OBJECT_TREE, out, err);
        }
        buf_free(&b);
        git_tree_free(t);
        if (rc == 0)
                oidmap_put(memo_map, in, out);
        return rc;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The message without Evidence trailers naming erased events and with every
 * match of the subject replaced; *changed if it differs. */
static void rewrite_message(struct rewrite *rw, const char *msg, struct buf *out, int *changed)
{
        struct buf kept = BUF_INIT;
        const char *p = msg;
        *changed = 0;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
                static const char ev[] = "Evidence: ";
                int drop = 0;
                if (rw->nevents && strncmp(p, ev, sizeof(ev) - 1) == 0) {
                        size_t vlen = n - (sizeof(ev) - 1) - (nl ? 1 : 0);
                        char *v = xstrndup(p + sizeof(ev) - 1, vlen);
                        drop =
                            bsearch(&v, rw->events, rw->nevents, sizeof(char *), cmp_str) != NULL;
                        free(v);
                }
                if (drop)
                        *changed = 1;
                else
                        buf_add(&kept, p, n);
                p += n;
        }
        if (scrub_text(rw->mt, kept.ptr ? kept.ptr : "", kept.len, out))
                *changed = 1;
        buf_free(&kept);
}

/* Writes the commit c with tree and parents replaced (and its message
 * rewritten), keeping every other header line (author, committer with
 * their dates, encoding) byte for byte. */
static int write_commit(struct rewrite *rw, git_commit *c, const git_oid *tree,
                        const git_oid *parents, size_t np, const char *message, git_oid *out,
                        struct err *err)
{
        struct buf b = BUF_INIT;
        char hex[41];
        store_oid_hex(tree, hex);
        buf_addf(&b, "tree %s\n", hex);
        for (size_t i = 0; i < np; i++) {
                store_oid_hex(&parents[i], hex);
                buf_addf(&b, "parent %s\n", hex);
        }
        const char *h = git_commit_raw_header(c);
        int in_sig = 0;
        while (h && *h) {
                const char *nl = strchr(h, '\n');
                size_t n = nl ? (size_t)(nl - h + 1) : strlen(h);
                /* A signature no longer matches the rewritten commit: drop it. */
                if (*h == ' ' && in_sig) {
                        h += n;
                        continue;
                }
                in_sig = strncmp(h, "gpgsig", 6) == 0;
                if (!in_sig && strncmp(h, "tree ", 5) && strncmp(h, "parent ", 7)) {
                        buf_add(&b, h, n);
                        if (!nl)
                                buf_addc(&b, '\n');
                }
                h += n;
        }
        buf_addc(&b, '\n');
        buf_adds(&b, message);
        int rc = put_new(rw, b.ptr, b.len, GIT_OBJECT_COMMIT, out, err);
        buf_free(&b);
        return rc;
}

static int rewrite_commit(struct rewrite *rw, const git_oid *old, struct forget_result *r,
                          struct err *err)
{
        git_commit *c = NULL;
        if (git_commit_lookup(&c, rw->s->repo, old) < 0)
                return store_git_fail(err, "reading a store commit");
        int rc = -1;
        size_t np = git_commit_parentcount(c), nnew = 0;
        git_oid *parents = xcalloc(np ? np : 1, sizeof(*parents));
        int parents_same = 1;
        for (size_t i = 0; i < np; i++) {
                const git_oid *po = git_commit_parent_id(c, (unsigned)i);
                const git_oid *pn = oidmap_get(&rw->commits, po);
                if (!pn) {
                        err_set(err, "rewriting history: a parent was not rewritten first");
                        goto out;
                }
                if (!git_oid_equal(po, pn))
                        parents_same = 0;
                int dup = 0;
                for (size_t j = 0; j < nnew; j++)
                        dup |= git_oid_equal(&parents[j], pn);
                if (dup)
                        parents_same = 0;
                else
                        git_oid_cpy(&parents[nnew++], pn);
        }
        git_oid tree;
        const git_oid *old_tree = git_commit_tree_id(c);
        if (rewrite_level(rw, old_tree, &tree, &rw->roots, 1, err) < 0)
                goto out;
        if (nnew == 1 && np >= 1) {
                /* A commit whose every change was to erased memories has nothing
                 * left to say: it goes, and its children hang on its parent. */
                const git_oid *ptree = oidmap_get(&rw->trees, &parents[0]);
                git_commit *p0 = NULL;
                int was_empty = 0;
                if (git_commit_parent(&p0, c, 0) == 0) {
                        was_empty = git_oid_equal(git_commit_tree_id(p0), old_tree);
                        git_commit_free(p0);
                }
                if (ptree && git_oid_equal(ptree, &tree) && !was_empty) {
                        oidmap_put(&rw->commits, old, &parents[0]);
                        r->dropped++;
                        rc = 0;
                        goto out;
                }
        }
        struct buf msg = BUF_INIT;
        int msg_changed = 0;
        rewrite_message(rw, git_commit_message_raw(c), &msg, &msg_changed);
        git_oid neu;
        if (parents_same && !msg_changed && git_oid_equal(&tree, old_tree)) {
                git_oid_cpy(&neu, old);
        } else if (write_commit(rw, c, &tree, parents, nnew, buf_cstr(&msg), &neu, err) < 0) {
                buf_free(&msg);
                goto out;
        } else {
                r->rewritten++;
        }
        buf_free(&msg);
        oidmap_put(&rw->commits, old, &neu);
        oidmap_put(&rw->trees, &neu, &tree);
        rc = 0;
out:
        free(parents);
        git_commit_free(c);
        return rc;
}

static int rewrite_history(struct rewrite *rw, const git_oid *head, git_oid *new_head,
                           struct forget_result *r, struct err *err)
{
        git_revwalk *w = NULL;
        if (git_revwalk_new(&w, rw->s->repo) < 0 || git_revwalk_push(w, head) < 0) {
                git_revwalk_free(w);
                return store_git_fail(err, "walking the store history");
        }
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
        git_oid c;
        int rc = 0;
        while (rc == 0 && git_revwalk_next(&c, w) == 0)
                rc = rewrite_commit(rw, &c, r, err);
        git_revwalk_free(w);
        if (rc < 0)
                return -1;
        const git_oid *nh = oidmap_get(&rw->commits, head);
        if (!nh)
                return err_set(err, "rewriting history: the head was not rewritten");
        git_oid_cpy(new_head, nh);
        return 0;
}

/* ---- packing and deleting ---- */

static int fsync_path(const char *path, struct err *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_set(err, "opening %s: %s", path, strerror(errno));
        int rc = fsync(fd);
        close(fd);
        return rc < 0 ? err_set(err, "syncing %s: %s", path, strerror(errno)) : 0;
}

/* Writes one pack of every object reachable from tip into objects/pack,
 * durable before it returns; name gets "pack-<hash>". */
static int write_pack(struct store *s, const git_oid *tip, struct buf *name, struct err *err)
{
        return forget_pack_write(s->repo, s->home->store_path, tip, name, err);
}

static int unlink_checked(const char *path, struct err *err)
{
        if (unlink(path) < 0 && errno != ENOENT)
                return err_set(err, "deleting %s: %s", path, strerror(errno));
        return 0;
}

/* Deletes every pack but keep (index files first, so no pack is ever
 * listed by an index whose pack is gone), every loose object, and the
 * caches that could name old commits. */
static int delete_old_objects(struct store *s, const char *keep, struct err *err)
{
        struct buf dir = BUF_INIT, p = BUF_INIT;
        int rc = 0;
        buf_addf(&dir, "%s/objects/pack", s->home->store_path);
        for (int pass = 0; pass < 2 && rc == 0; pass++) {
                if (pass == 1)
                        forget_kill_point("indexes-deleted");
                DIR *d = opendir(buf_cstr(&dir));
                if (!d)
                        break;
                struct dirent *de;
                while (rc == 0 && (de = readdir(d))) {
                        const char *n = de->d_name;
                        if (n[0] == '.' ||
                            (keep && strncmp(n, keep, strlen(keep)) == 0 && n[strlen(keep)] == '.'))
                                continue;
                        int is_pack = strlen(n) > 5 && strcmp(n + strlen(n) - 5, ".pack") == 0;
                        if (pass == 0 && is_pack)
                                continue;
                        buf_reset(&p);
                        buf_addf(&p, "%s/%s", buf_cstr(&dir), n);
                        rc = unlink_checked(buf_cstr(&p), err);
                }
                closedir(d);
        }
        buf_reset(&dir);
        buf_addf(&dir, "%s/objects", s->home->store_path);
        DIR *d = opendir(buf_cstr(&dir));
        struct dirent *de;
        while (rc == 0 && d && (de = readdir(d))) {
                const char *n = de->d_name;
                int fan = strlen(n) == 2 && strspn(n, "0123456789abcdef") == 2;
                if (!fan)
                        continue;
                struct buf sub = BUF_INIT;
                buf_addf(&sub, "%s/%s", buf_cstr(&dir), n);
                DIR *sd = opendir(buf_cstr(&sub));
                struct dirent *fe;
                while (rc == 0 && sd && (fe = readdir(sd))) {
                        if (fe->d_name[0] == '.')
                                continue;
                        buf_reset(&p);
                        buf_addf(&p, "%s/%s", buf_cstr(&sub), fe->d_name);
                        rc = unlink_checked(buf_cstr(&p), err);
                }
                if (sd)
                        closedir(sd);
                rmdir(buf_cstr(&sub));
                buf_free(&sub);
        }
        if (d)
                closedir(d);
        const char *caches[] = {"objects/info/commit-graph", "objects/info/multi-pack-index",
                                "objects/pack/multi-pack-index", "objects/info/packs"};
        for (size_t i = 0; rc == 0 && i < sizeof(caches) / sizeof(caches[0]); i++) {
                buf_reset(&p);
                buf_addf(&p, "%s/%s", s->home->store_path, caches[i]);
                rc = unlink_checked(buf_cstr(&p), err);
        }
        buf_reset(&dir);
        buf_addf(&dir, "%s/objects/pack", s->home->store_path);
        if (rc == 0)
                rc = fsync_path(buf_cstr(&dir), err);
        buf_free(&dir);
        buf_free(&p);
        return rc;
}

/* The reflog names old commits; it goes entirely (curator keeps its own
 * record of ref moves in the audit log). */
static int expire_reflogs(struct store *s, struct err *err)
{
        int rc = git_reflog_delete(s->repo, STORE_REF);
        if (rc < 0 && rc != GIT_ENOTFOUND)
                return store_git_fail(err, "expiring the store's reflog");
        struct buf p = BUF_INIT;
        buf_addf(&p, "%s/logs/HEAD", s->home->store_path);
        rc = unlink_checked(buf_cstr(&p), err);
        buf_free(&p);
        return rc;
}

static int compact_locked(struct store *s, struct err *err)
{
        git_oid head;
        struct buf name = BUF_INIT;
        git_strarray refs = {0};
        int rc = -1;
        if (store_head_oid(s, &head, err) < 0)
                goto out;
        if (git_reference_list(&refs, s->repo) < 0) {
                store_git_fail(err, "listing the store's refs");
                goto out;
        }
        for (size_t i = 0; i < refs.count; i++) {
                if (strcmp(refs.strings[i], STORE_REF) != 0) {
                        err_set(err,
                                "the store has a ref other than %s (%s); curator only keeps "
                                "main, and would delete what only that ref reaches",
                                STORE_REF, refs.strings[i]);
                        goto out;
                }
        }
        if (write_pack(s, &head, &name, err) < 0 || expire_reflogs(s, err) < 0 ||
            delete_old_objects(s, buf_cstr(&name), err) < 0)
                goto out;
        rc = 0;
out:
        git_strarray_dispose(&refs);
        buf_free(&name);
        return rc;
}

int store_compact(struct store *s, struct err *err)
{
        int lock = store_lock_writers(s->home->store_path, 1, err);
        if (lock < 0)
                return -1;
        git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
        int rc = compact_locked(s, err);
        store_unlock_writers(lock);
        return rc;
}

/* ---- the database side ---- */

static void forget_detail(struct buf *d, int64_t id, const struct forget_result *r)
{
        buf_addf(d,
                 "{\"forget\":%lld,\"old_head\":\"%s\",\"new_head\":\"%s\",\"memories\":%zu,"
                 "\"events\":%zu,\"hunks\":%zu,\"rejected\":%zu,\"commits_rewritten\":%zu,"
                 "\"commits_dropped\":%zu,\"memory_hashes\":[",
                 (long long)id, r->old_head, r->new_head, r->nmemories, r->events.n, r->hunks,
                 r->rejected, r->rewritten, r->dropped);
        for (size_t i = 0; i < r->nmemories; i++)
                buf_addf(d, "%s{\"id\":\"%s\",\"sha256\":\"%s\"}", i ? "," : "", r->memories[i].id,
                         r->memories[i].sha256);
        buf_adds(d, "],\"event_hashes\":[");
        for (size_t i = 0; i < r->events.n; i++)
                buf_addf(d, "%s\"%s\"", i ? "," : "", r->events.v[i].sha256);
        buf_adds(d, "]}");
}

static void digest_items(const struct forget_result *r, char mem[65], char ev[65])
{
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < r->nmemories; i++)
                buf_addf(&b, "%s %s\n", r->memories[i].id, r->memories[i].sha256);
        sha256_hex(b.ptr ? b.ptr : "", b.len, mem);
        buf_reset(&b);
        for (size_t i = 0; i < r->events.n; i++)
                buf_addf(&b, "%s/%s %s\n", r->events.v[i].session_id, r->events.v[i].event_id,
                         r->events.v[i].sha256);
        sha256_hex(b.ptr ? b.ptr : "", b.len, ev);
        buf_free(&b);
}

/* Records the erasure as pending with everything it will do, and the
 * commit map, before the ref moves: a crash after the move finds here all
 * it needs to finish. */
static int record_pending(struct store *s, const char *principal, struct forget_result *r,
                          const struct oidmap *map, const int64_t *hunks, size_t nh,
                          const int64_t *rejected, size_t nr, struct err *err)
{
        struct db *db = s->home->db;
        char mem[65], ev[65], ref[64], hex_old[41], hex_new[41];
        digest_items(r, mem, ev);
        struct purge_row row = {
            .kind = "forget",
            .state = "pending",
            .actor = (char *)principal,
            .memories = (int64_t)r->nmemories,
            .events = (int64_t)r->events.n,
            .hunks = (int64_t)(nh + nr),
            .commits = (int64_t)(r->rewritten + r->dropped),
            .old_head = r->old_head,
            .new_head = r->new_head,
            .memories_sha256 = mem,
            .events_sha256 = ev,
        };
        struct buf b = BUF_INIT;
        if (db_begin(db, err) < 0)
                return -1;
        if (db_purges_insert(db, &row, &r->purge_id, err) < 0)
                goto fail;
        for (size_t i = 0; i < r->nmemories; i++)
                if (db_purge_items_add(db, r->purge_id, "memory", r->memories[i].id,
                                       r->memories[i].sha256, err) < 0)
                        goto fail;
        for (size_t i = 0; i < r->events.n; i++) {
                buf_reset(&b);
                buf_addf(&b, "%s/%s", r->events.v[i].session_id, r->events.v[i].event_id);
                if (db_purge_items_add(db, r->purge_id, "event", buf_cstr(&b),
                                       r->events.v[i].sha256, err) < 0)
                        goto fail;
        }
        for (size_t i = 0; i < nh; i++) {
                snprintf(ref, sizeof(ref), "%lld", (long long)hunks[i]);
                if (db_purge_items_add(db, r->purge_id, "hunk", ref, "", err) < 0)
                        goto fail;
        }
        for (size_t i = 0; i < nr; i++) {
                snprintf(ref, sizeof(ref), "%lld", (long long)rejected[i]);
                if (db_purge_items_add(db, r->purge_id, "rejected_line", ref, "", err) < 0)
                        goto fail;
        }
        for (size_t i = 0; map && i < map->cap; i++) {
                if (!map->v[i].used || git_oid_equal(&map->v[i].key, &map->v[i].val))
                        continue;
                store_oid_hex(&map->v[i].key, hex_old);
                store_oid_hex(&map->v[i].val, hex_new);
                if (db_commit_map_put(db, hex_old, hex_new, r->purge_id, err) < 0)
                        goto fail;
        }
        buf_free(&b);
        return db_commit(db, err);
fail:
        buf_free(&b);
        db_rollback(db);
        return err_wrap(err, "recording the erasure");
}

static void free_refs(char **refs, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(refs[i]);
        free(refs);
}

/* Once main has moved: deletes the events, scrubs hunks and rejected lines,
 * points hunks and diffs at the rewritten commits, audits; one transaction.
 * Reads what to do from the purge's items, so recovery runs it unchanged. */
static int apply_pending(struct store *s, const char *principal, int64_t id, const char *detail,
                         struct err *err)
{
        struct db *db = s->home->db;
        char object[48];
        if (db_begin(db, err) < 0)
                return -1;
        if (db_purge_apply_items(db, id, err) < 0)
                goto fail;
        snprintf(object, sizeof(object), "forget:%lld", (long long)id);
        if (db_commit_map_apply(db, id, err) < 0 ||
            db_purges_set_state(db, id, "applied", NULL, err) < 0 ||
            audit_append(db, principal, "retention.forget", object, detail ? detail : "{}", err) <
                0 ||
            db_commit(db, err) < 0)
                goto fail;
        return 0;
fail:
        db_rollback(db);
        return err_wrap(err, "applying erasure %lld to the database", (long long)id);
}

/* After the repository holds nothing old: the database file too. */
static int finish_done(struct store *s, int64_t id, struct err *err)
{
        if (db_purges_set_state(s->home->db, id, "done", NULL, err) < 0)
                return -1;
        return db_purge_compact(s->home->db, err);
}

static int recover_locked(struct store *s, const char *principal, struct err *err)
{
        struct purge_rows rows = {0};
        int rc = 0, compact = 0;
        git_oid head;
        if (db_purges_list(s->home->db, "forget", NULL, &rows, err) < 0)
                return -1;
        if (store_head_oid(s, &head, err) < 0) {
                purge_rows_free(&rows);
                return -1;
        }
        for (size_t i = 0; i < rows.n && rc == 0; i++) {
                struct purge_row *r = &rows.v[i];
                if (strcmp(r->state, "pending") == 0) {
                        git_oid nh;
                        int moved = r->new_head && git_oid_fromstr(&nh, r->new_head) == 0 &&
                                    (git_oid_equal(&nh, &head) ||
                                     git_graph_descendant_of(s->repo, &head, &nh) == 1);
                        if (moved) {
                                struct buf d = BUF_INIT;
                                buf_addf(&d,
                                         "{\"forget\":%lld,\"recovered\":true,\"old_head\":\"%s\","
                                         "\"new_head\":\"%s\",\"memories\":%lld,\"events\":%lld,"
                                         "\"memories_sha256\":\"%s\",\"events_sha256\":\"%s\"}",
                                         (long long)r->id, r->old_head ? r->old_head : "",
                                         r->new_head, (long long)r->memories, (long long)r->events,
                                         r->memories_sha256 ? r->memories_sha256 : "",
                                         r->events_sha256 ? r->events_sha256 : "");
                                rc = apply_pending(s, principal, r->id, buf_cstr(&d), err);
                                buf_free(&d);
                                free(r->state);
                                r->state = xstrdup("applied");
                        } else {
                                /* The ref never moved: the old state stands. */
                                rc = db_commit_map_drop(s->home->db, r->id, err);
                                if (rc == 0)
                                        rc = db_purges_set_state(s->home->db, r->id, "abandoned",
                                                                 NULL, err);
                                compact = 1;
                                continue;
                        }
                }
                if (rc == 0 && strcmp(r->state, "applied") == 0) {
                        rc = store_reindex(s, NULL, err);
                        if (rc == 0)
                                rc = compact_locked(s, err);
                        if (rc == 0)
                                rc = finish_done(s, r->id, err);
                        compact = 0;
                }
        }
        if (rc == 0 && compact)
                rc = compact_locked(s, err);
        purge_rows_free(&rows);
        return rc < 0 ? err_wrap(err, "finishing an interrupted erasure") : 0;
}

int forget_recover(struct store *s, const char *principal, struct err *err)
{
        int lock = store_lock_writers(s->home->store_path, 1, err);
        if (lock < 0)
                return -1;
        git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
        db_purge_secure_delete(s->home->db, err);
        int rc = recover_locked(s, principal, err);
        store_unlock_writers(lock);
        return rc;
}

/* ---- the whole erasure ---- */

static int heads_at(struct store *s, struct forget_result *r, const git_oid *head, struct err *err)
{
        git_tree *t = NULL;
        if (store_commit_tree(s, head, &t, err) < 0)
                return -1;
        for (size_t i = 0; i < r->nmemories; i++) {
                git_oid b;
                int have = store_tree_entry(t, r->memories[i].path, &b, err);
                if (have < 0) {
                        git_tree_free(t);
                        return -1;
                }
                r->memories[i].at_head = have;
        }
        git_tree_free(t);
        return 0;
}

static int sort_find(struct find *f)
{
        /* Sorted by id for bsearch; the newest-blob array follows the same order. */
        struct forget_result *r = f->r;
        for (size_t i = 1; i < r->nmemories; i++) {
                for (size_t j = i; j > 0 && strcmp(r->memories[j - 1].id, r->memories[j].id) > 0;
                     j--) {
                        struct forget_memory t = r->memories[j];
                        r->memories[j] = r->memories[j - 1];
                        r->memories[j - 1] = t;
                        git_oid o = f->newest[j];
                        f->newest[j] = f->newest[j - 1];
                        f->newest[j - 1] = o;
                }
        }
        return 0;
}

static int forget_locked(struct store *s, const struct forget_opts *o, struct forget_result *r,
                         struct matcher *mt, struct err *err)
{
        struct find f = {.s = s, .mt = mt, .r = r};
        struct scrub_find hunks = {.mt = mt, .r = r}, rejected = {.mt = mt, .r = r};
        struct event_find ef = {.mt = mt, .r = r};
        struct rewrite rw = {.s = s, .r = r, .mt = mt};
        git_odb_backend *mempack = NULL;
        git_odb *odb = NULL;
        struct buf pack = BUF_INIT, detail = BUF_INIT;
        char **evkeys = NULL;
        int rc = -1;
        git_oid head, new_head;
        if (!o->dry_run && recover_locked(s, o->principal, err) < 0)
                goto out;
        if (store_index_sync(s, err) < 0 || store_head_oid(s, &head, err) < 0)
                goto out;
        store_oid_hex(&head, r->old_head);
        memcpy(r->new_head, r->old_head, 41);
        if (find_in_history(&f, &head, err) < 0)
                goto out;
        sort_find(&f);
        if (heads_at(s, r, &head, err) < 0)
                goto out;
        int erc = db_purge_each_event(s->home->db, event_fn, &ef, err);
        if (erc < 0 || db_purge_each_hunk(s->home->db, hunk_fn, &hunks, err) < 0 ||
            db_purge_each_rejected(s->home->db, rejected_fn, &rejected, err) < 0)
                goto out;
        r->hunks = hunks.n;
        r->rejected = rejected.n;
        if (check_holds(s, &f, err) < 0)
                goto out;
        if (r->nholds) {
                rc = FORGET_HELD;
                goto out;
        }
        if (o->dry_run) {
                rc = 0;
                goto out;
        }
        evkeys = xcalloc(r->events.n ? r->events.n : 1, sizeof(*evkeys));
        for (size_t i = 0; i < r->events.n; i++) {
                struct buf k = BUF_INIT;
                buf_addf(&k, "%s/%s", r->events.v[i].session_id, r->events.v[i].event_id);
                evkeys[i] = buf_detach(&k, NULL);
        }
        qsort(evkeys, r->events.n, sizeof(*evkeys), cmp_str);
        rw.events = evkeys;
        rw.nevents = r->events.n;
        git_oid_cpy(&new_head, &head);
        /* New objects go to memory first and reach the disk only inside the
         * new pack: no loose object is ever written for the rewrite. */
        if (git_repository_odb(&odb, s->repo) < 0 || git_mempack_new(&mempack) < 0 ||
            git_odb_add_backend(odb, mempack, 1000) < 0) {
                store_git_fail(err, "preparing the history rewrite");
                goto out;
        }
        rw.mempack = mempack;
        if (rewrite_history(&rw, &head, &new_head, r, err) < 0)
                goto out;
        store_oid_hex(&new_head, r->new_head);
        if (write_pack(s, &new_head, &pack, err) < 0)
                goto out;
        forget_kill_point("packed");
        forget_detail(&detail, 0, r);
        if (record_pending(s, o->principal, r, &rw.commits, hunks.ids, hunks.n, rejected.ids,
                           rejected.n, err) < 0)
                goto out;
        forget_kill_point("recorded");
        buf_reset(&detail);
        forget_detail(&detail, r->purge_id, r);
        if (!git_oid_equal(&new_head, &head)) {
                git_reference *ref = NULL;
                int m = git_reference_create_matching(&ref, s->repo, STORE_REF, &new_head, 1, &head,
                                                      "curator: forget (history rewritten)");
                git_reference_free(ref);
                if (m < 0) {
                        struct err ignored;
                        db_commit_map_drop(s->home->db, r->purge_id, &ignored);
                        db_purges_set_state(s->home->db, r->purge_id, "abandoned", NULL, &ignored);
                        compact_locked(s, &ignored);
                        err_set(err,
                                "the store's main branch moved during the erasure (%s); nothing "
                                "was erased: run it again",
                                m == GIT_EMODIFIED ? "another writer" : "locked");
                        goto out;
                }
        }
        forget_kill_point("moved");
        if (apply_pending(s, o->principal, r->purge_id, buf_cstr(&detail), err) < 0)
                goto out;
        forget_kill_point("applied");
        if (store_reindex(s, NULL, err) < 0 || expire_reflogs(s, err) < 0 ||
            delete_old_objects(s, buf_cstr(&pack), err) < 0)
                goto out;
        forget_kill_point("deleted");
        if (finish_done(s, r->purge_id, err) < 0)
                goto out;
        rc = 0;
out:
        if (evkeys)
                free_refs(evkeys, r->events.n);
        free(f.newest);
        buf_free(&f.text);
        oidmap_free(&f.seen);
        oidmap_free(&rw.scopes);
        oidmap_free(&rw.dirs);
        oidmap_free(&rw.roots);
        oidmap_free(&rw.commits);
        oidmap_free(&rw.trees);
        free(hunks.ids);
        free(rejected.ids);
        buf_free(&pack);
        buf_free(&detail);
        git_odb_free(odb); /* the repository keeps the mempack until it is closed */
        return rc;
}

int forget_run(struct store *s, const struct forget_opts *o, struct forget_result *out,
               struct err *err)
{
        memset(out, 0, sizeof(*out));
        struct matcher mt;
        if (purge_check_principal(s->home->db, o->principal, err) < 0 ||
            matcher_init(&mt, o, err) < 0)
                return -1;
        int lock = store_lock_writers(s->home->store_path, 1, err);
        if (lock < 0) {
                matcher_free(&mt);
                return -1;
        }
        git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
        int rc = 0;
        if (!o->dry_run)
                rc = db_purge_secure_delete(s->home->db, err);
        if (rc == 0)
                rc = forget_locked(s, o, out, &mt, err);
        store_unlock_writers(lock);
        matcher_free(&mt);
        return rc;
}

/* ---- serving old commits ---- */

int store_map_commit(struct store *s, const char *commit, char out[41], int *rewritten,
                     struct err *err)
{
        git_oid oid;
        git_commit *c = NULL;
        *rewritten = 0;
        if (!commit || strlen(commit) != 40 || git_oid_fromstr(&oid, commit) < 0)
                return store_resolve(s, commit ? commit : "", out, err);
        /* The map first: a process that had the store open across an erasure
         * may still read the old commit from a deleted pack it has mapped. */
        char cur[41];
        memcpy(cur, commit, 41);
        for (int hop = 0; hop < 64; hop++) {
                int found = 0;
                char next[41];
                if (db_commit_map_get(s->home->db, cur, next, &found, err) < 0)
                        return -1;
                if (!found)
                        break;
                memcpy(cur, next, 41);
        }
        git_oid head;
        /* A map whose erasure never moved main (a crash before the move,
         * not yet cleaned up) points outside main's history: not used. */
        if (strcmp(cur, commit) != 0 && git_oid_fromstr(&oid, cur) == 0 &&
            store_head_oid(s, &head, err) == 0 &&
            (git_oid_equal(&oid, &head) || git_graph_descendant_of(s->repo, &head, &oid) == 1) &&
            git_commit_lookup(&c, s->repo, &oid) == 0) {
                git_commit_free(c);
                memcpy(out, cur, 41);
                *rewritten = 1;
                return 0;
        }
        if (git_oid_fromstr(&oid, commit) == 0 && git_commit_lookup(&c, s->repo, &oid) == 0) {
                git_commit_free(c);
                memcpy(out, commit, 41);
                return 0;
        }
        return err_set(err,
                       "commit %.12s is not in the memory store, and no erasure rewrote it "
                       "(it was never part of this store, or its history was lost)",
                       commit);
}
