/* The libgit2 store: bare repository, commits without a work tree,
 * compare-and-swap ref updates, the SQLite index of head (verify is in
 * store_verify.c). */
#include "store.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "buf.h"
#include "db.h"
#include "db_store.h"
#include "fileio.h"
#include "forget.h"
#include "retention.h"
#include "rules.h"
#include "store_internal.h"
#include "timestamp.h"

/* How often a writer that lost the ref race (or found the ref locked) tries again. */
#define STORE_MAX_ATTEMPTS 200

static const char store_readme_text[] =
    "# curator memory store\n"
    "\n"
    "This repository is written by curator; do not commit to it by hand (such a\n"
    "commit skips the secret and PII rules, and curator's index lags behind it).\n"
    "Every commit is one approved memory diff, authored by the person who\n"
    "approved it, with trailers naming the diff (Diff-Id), the dreaming run\n"
    "(Dream-Run), the evidence (Evidence: session/event ids), the approver\n"
    "(Approved-By) and, for a revert, the commit it undoes (Reverts).\n"
    "\n"
    "Layout:\n"
    "\n"
    "    OWNERS                             who owns which paths (CODEOWNERS syntax)\n"
    "    README.md                          this file\n"
    "    memories/<scope>/<slug>-<hex>.md   one memory: front matter + Markdown\n"
    "\n"
    "A memory file starts with a front matter header (id, scope, owner,\n"
    "retention, created, updated, expires, legal_hold, sources, tags) between\n"
    "two '---' lines; see docs/MEMORY-FORMAT.md and docs/STORE.md in the\n"
    "curator sources.\n";

int store_git_fail(struct err *err, const char *what)
{
        const git_error *e = git_error_last();
        return err_set(err, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

void store_oid_hex(const git_oid *oid, char out[41])
{
        git_oid_tostr(out, 41, oid);
}

/* ---- small tree helpers ---- */

/* 1 and *out if path exists in tree (blob or tree), 0 if not, -1 on error. */
int store_tree_entry(git_tree *tree, const char *path, git_oid *out, struct err *err)
{
        if (!tree)
                return 0;
        git_tree_entry *e = NULL;
        int rc = git_tree_entry_bypath(&e, tree, path);
        if (rc == GIT_ENOTFOUND)
                return 0;
        if (rc < 0)
                return store_git_fail(err, path);
        git_oid_cpy(out, git_tree_entry_id(e));
        git_tree_entry_free(e);
        return 1;
}

int store_commit_tree(struct store *s, const git_oid *commit, git_tree **out, struct err *err)
{
        git_commit *c = NULL;
        if (git_commit_lookup(&c, s->repo, commit) < 0)
                return store_git_fail(err, "reading a store commit");
        int rc = git_commit_tree(out, c);
        git_commit_free(c);
        return rc < 0 ? store_git_fail(err, "reading a store tree") : 0;
}

int store_read_blob(struct store *s, const git_oid *oid, struct buf *out, struct err *err)
{
        git_blob *b = NULL;
        if (git_blob_lookup(&b, s->repo, oid) < 0)
                return store_git_fail(err, "reading a store blob");
        buf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
        git_blob_free(b);
        return 0;
}

int store_each_memory_file(struct store *s, git_tree *root, const char *scope, const char *suffix,
                           memory_file_fn fn, void *ctx, struct err *err)
{
        git_oid dir;
        int have = store_tree_entry(root, MEMORY_DIR, &dir, err);
        if (have <= 0)
                return have;
        git_tree *mem = NULL;
        if (git_tree_lookup(&mem, s->repo, &dir) < 0)
                return store_git_fail(err, "reading memories/");
        int rc = 0;
        size_t slen = suffix ? strlen(suffix) : 0;
        struct buf path = BUF_INIT;
        for (size_t i = 0; i < git_tree_entrycount(mem) && rc == 0; i++) {
                const git_tree_entry *se = git_tree_entry_byindex(mem, i);
                const char *sname = git_tree_entry_name(se);
                if (git_tree_entry_type(se) != GIT_OBJECT_TREE || (scope && strcmp(sname, scope)))
                        continue;
                git_tree *st = NULL;
                if (git_tree_lookup(&st, s->repo, git_tree_entry_id(se)) < 0) {
                        rc = store_git_fail(err, sname);
                        break;
                }
                for (size_t j = 0; j < git_tree_entrycount(st) && rc == 0; j++) {
                        const git_tree_entry *fe = git_tree_entry_byindex(st, j);
                        const char *name = git_tree_entry_name(fe);
                        size_t nlen = strlen(name);
                        /* Compare names before building paths: a look-up by
                         * id runs over every file of the store. */
                        if (suffix && (nlen <= slen || memcmp(name + nlen - slen, suffix, slen)))
                                continue;
                        buf_reset(&path);
                        buf_addf(&path, "%s/%s/%s", MEMORY_DIR, sname, name);
                        int file = git_tree_entry_type(fe) == GIT_OBJECT_BLOB;
                        rc = fn(buf_cstr(&path), file ? git_tree_entry_id(fe) : NULL, ctx, err);
                }
                git_tree_free(st);
        }
        buf_free(&path);
        git_tree_free(mem);
        return rc;
}

struct find_ctx {
        char *path; /* owned once found */
        git_oid blob;
};

static int find_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        (void)err;
        struct find_ctx *ctx = vctx;
        if (!blob)
                return 0;
        ctx->path = xstrdup(path);
        git_oid_cpy(&ctx->blob, blob);
        return 1;
}

/* Finds memory id in tree: *path (caller frees) or NULL if absent. The id is
 * the end of the file name, so this compares tree entry names and never
 * reads a blob. */
static int find_memory_path(struct store *s, git_tree *tree, const char *id, char **path,
                            git_oid *blob, struct err *err)
{
        *path = NULL;
        if (!tree || !memory_id_valid(id))
                return 0;
        char suffix[MEMORY_ID_HEX + 5]; /* "-<hex>.md" */
        snprintf(suffix, sizeof(suffix), "-%s.md", id + 4);
        struct find_ctx ctx = {NULL, {{0}}};
        if (store_each_memory_file(s, tree, NULL, suffix, find_fn, &ctx, err) < 0)
                return -1;
        *path = ctx.path;
        if (blob && ctx.path)
                git_oid_cpy(blob, &ctx.blob);
        return 0;
}

/* Like find_memory_path, but when the index describes exactly commit, asks
 * it first (one SQLite look-up instead of a scan of every scope's tree). The
 * answer is checked against the tree, so a damaged index only costs the scan. */
static int locate_memory(struct store *s, const git_oid *commit, git_tree *tree, const char *id,
                         char **path, git_oid *blob, struct err *err)
{
        char indexed[41], hex[41], idx_id[MEMORY_ID_LEN + 1];
        int have = 0;
        char *p = NULL;
        *path = NULL;
        store_oid_hex(commit, hex);
        if (db_store_index_head(s->home->db, indexed, &have, err) < 0)
                return -1;
        if (have && strcmp(indexed, hex) == 0 && db_store_path_of(s->home->db, id, &p, err) < 0)
                return -1;
        if (p) {
                git_oid b;
                int found = store_tree_entry(tree, p, &b, err);
                if (found < 0) {
                        free(p);
                        return -1;
                }
                if (found && memory_id_from_path(p, idx_id) && strcmp(idx_id, id) == 0) {
                        *path = p;
                        if (blob)
                                git_oid_cpy(blob, &b);
                        return 0;
                }
                free(p);
        }
        return find_memory_path(s, tree, id, path, blob, err);
}

/* ---- open, init, head ---- */

int store_head_oid(struct store *s, git_oid *out, struct err *err)
{
        int rc = git_reference_name_to_id(out, s->repo, STORE_REF);
        if (rc == GIT_ENOTFOUND)
                return err_set(err, "the memory store %s has no %s branch (run `curator init`)",
                               s->home->store_path, STORE_REF);
        if (rc < 0)
                return store_git_fail(err, "reading the store's main branch");
        return 0;
}

int store_head(struct store *s, char out[41], struct err *err)
{
        git_oid oid;
        if (store_head_oid(s, &oid, err) < 0)
                return -1;
        store_oid_hex(&oid, out);
        return 0;
}

static int resolve_oid(struct store *s, const char *rev, git_oid *out, struct err *err)
{
        if (!rev)
                return store_head_oid(s, out, err);
        git_object *obj = NULL, *peeled = NULL;
        if (git_revparse_single(&obj, s->repo, rev) < 0)
                return err_set(err, "'%s' is not a commit of the memory store", rev);
        int rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
        git_object_free(obj);
        if (rc < 0)
                return err_set(err, "'%s' is not a commit of the memory store", rev);
        git_oid_cpy(out, git_object_id(peeled));
        git_object_free(peeled);
        return 0;
}

int store_resolve(struct store *s, const char *rev, char out[41], struct err *err)
{
        git_oid oid;
        if (resolve_oid(s, rev, &oid, err) < 0)
                return -1;
        store_oid_hex(&oid, out);
        return 0;
}

int store_descends(struct store *s, const char *commit, const char *ancestor, int *yes,
                   struct err *err)
{
        git_oid c, a;
        *yes = 0;
        if (git_oid_fromstr(&c, commit) < 0 || git_oid_fromstr(&a, ancestor) < 0)
                return err_set(err, "store_descends wants two 40-digit commit ids");
        if (git_oid_equal(&c, &a)) {
                *yes = 1;
                return 0;
        }
        int rc = git_graph_descendant_of(s->repo, &c, &a);
        if (rc < 0) {
                /* An ancestor the store no longer holds (an erasure deleted
                 * it) is not one main descends from. */
                git_error_clear();
                return 0;
        }
        *yes = rc == 1;
        return 0;
}

static int store_open_repo(struct home *home, struct store **out, struct err *err)
{
        git_libgit2_init();
        /* libgit2 caches only trees under 4 KiB by default; a scope's tree of
         * thousands of memories is far larger and would be inflated again on
         * every look-up. */
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)64 << 20);
        /* ...but all cached objects together stay under 64 MiB (the default
         * is 256 MiB per process), so a long-running server's memory levels
         * off where a reader expects it to. */
        git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)64 << 20);
        struct store *s = xcalloc(1, sizeof(*s));
        s->home = home;
        if (git_repository_open_bare(&s->repo, home->store_path) < 0) {
                err_set(err, "no memory store at %s (run `curator init`)", home->store_path);
                store_close(s);
                return -1;
        }
        *out = s;
        return 0;
}

int store_open(struct home *home, struct store **out, struct err *err)
{
        struct store *s = NULL;
        if (store_open_repo(home, &s, err) < 0)
                return -1;
        git_oid h;
        if (store_head_oid(s, &h, err) < 0) {
                store_close(s);
                return -1;
        }
        *out = s;
        return 0;
}

void store_close(struct store *s)
{
        if (!s)
                return;
        git_repository_free(s->repo);
        if (s->rules)
                rules_free(s->rules);
        retention_free(s->retention);
        free(s);
        git_libgit2_shutdown();
}

static int make_signature(const char *name, const char *email, git_signature **out, struct err *err)
{
        struct buf e = BUF_INIT;
        if (email)
                buf_adds(&e, email);
        else
                buf_addf(&e, "%s@curator.invalid", name);
        int64_t now = timestamp_now_ms();
        int rc = git_signature_new(out, name, buf_cstr(&e), (git_time_t)(now / 1000), 0);
        buf_free(&e);
        return rc < 0 ? store_git_fail(err, "making a commit signature") : 0;
}

static int create_initial_commit(struct store *s, struct err *err)
{
        git_treebuilder *tb = NULL;
        git_oid owners, readme, tree_oid, commit_oid;
        git_tree *tree = NULL;
        git_signature *sig = NULL;
        git_reference *ref = NULL;
        int rc = -1;
        if (git_blob_create_from_buffer(&owners, s->repo, owners_default_text,
                                        strlen(owners_default_text)) < 0 ||
            git_blob_create_from_buffer(&readme, s->repo, store_readme_text,
                                        strlen(store_readme_text)) < 0 ||
            git_treebuilder_new(&tb, s->repo, NULL) < 0 ||
            git_treebuilder_insert(NULL, tb, STORE_OWNERS_PATH, &owners, GIT_FILEMODE_BLOB) < 0 ||
            git_treebuilder_insert(NULL, tb, STORE_README_PATH, &readme, GIT_FILEMODE_BLOB) < 0 ||
            git_treebuilder_write(&tree_oid, tb) < 0 ||
            git_tree_lookup(&tree, s->repo, &tree_oid) < 0) {
                store_git_fail(err, "writing the store's first tree");
                goto out;
        }
        if (make_signature("curator", NULL, &sig, err) < 0)
                goto out;
        if (git_commit_create(&commit_oid, s->repo, NULL, sig, sig, NULL,
                              "Create the memory store\n\nOWNERS gives every path to @admins.\n",
                              tree, 0, NULL) < 0) {
                store_git_fail(err, "writing the store's first commit");
                goto out;
        }
        int r = git_reference_create(&ref, s->repo, STORE_REF, &commit_oid, 0,
                                     "curator: create the store");
        if (r < 0 && r != GIT_EEXISTS) { /* EEXISTS: another init won the race; fine */
                store_git_fail(err, "creating the store's main branch");
                goto out;
        }
        rc = 0;
out:
        git_reference_free(ref);
        git_signature_free(sig);
        git_tree_free(tree);
        git_treebuilder_free(tb);
        return rc;
}

int store_init(struct home *home, struct err *err)
{
        git_libgit2_init();
        git_repository *repo = NULL;
        int rc = git_repository_open_bare(&repo, home->store_path);
        if (rc < 0) {
                git_repository_init_options opts;
                git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
                opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
                opts.initial_head = "main";
                opts.description = "curator memory store";
                if (git_repository_init_ext(&repo, home->store_path, &opts) < 0) {
                        store_git_fail(err, "creating the memory store");
                        err_wrap(err, "%s", home->store_path);
                        git_libgit2_shutdown();
                        return -1;
                }
        }
        git_repository_free(repo);
        git_libgit2_shutdown();
        struct store *s = NULL;
        if (store_open_repo(home, &s, err) < 0)
                return -1;
        git_oid h;
        rc = 0;
        if (git_reference_name_to_id(&h, s->repo, STORE_REF) == GIT_ENOTFOUND)
                rc = create_initial_commit(s, err);
        if (rc == 0)
                rc = store_index_sync(s, err);
        store_close(s);
        return rc;
}

/* ---- the index ---- */

static int index_put_blob(struct store *s, const char *path, const git_oid *blob, const char *head,
                          struct err *err)
{
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        struct err perr;
        char blob_hex[41];
        int rc = 0;
        if (store_read_blob(s, blob, &text, err) < 0) {
                rc = -1;
                goto out;
        }
        /* A file that does not parse is left out of the index; verify names it. */
        if (memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, &perr) < 0)
                goto out;
        store_oid_hex(blob, blob_hex);
        rc = db_store_put(s->home->db, m, blob_hex, head, err);
out:
        memory_free(m);
        buf_free(&text);
        return rc;
}

struct full_ctx {
        struct store *s;
        const char *head;
        size_t count;
};

static int full_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        struct full_ctx *ctx = vctx;
        char id[MEMORY_ID_LEN + 1];
        if (!blob || !memory_id_from_path(path, id))
                return 0;
        ctx->count++;
        return index_put_blob(ctx->s, path, blob, ctx->head, err) < 0 ? -1 : 0;
}

static int index_full(struct store *s, const git_oid *head, size_t *count, struct err *err)
{
        char hex[41];
        store_oid_hex(head, hex);
        git_tree *tree = NULL;
        if (db_store_clear(s->home->db, err) < 0 || store_commit_tree(s, head, &tree, err) < 0)
                return -1;
        struct full_ctx ctx = {s, hex, 0};
        int rc = store_each_memory_file(s, tree, NULL, NULL, full_fn, &ctx, err);
        git_tree_free(tree);
        if (rc < 0)
                return -1;
        if (count)
                *count = ctx.count;
        return db_store_set_index_head(s->home->db, hex, err);
}

/* Applies the difference between the indexed commit and head to the rows. */
static int index_delta(struct store *s, const git_oid *from, const git_oid *head, struct err *err)
{
        char hex[41];
        store_oid_hex(head, hex);
        struct store_paths paths = {0};
        char from_hex[41];
        store_oid_hex(from, from_hex);
        if (store_changed_paths(s, from_hex, hex, &paths, err) < 0)
                return -1;
        int rc = 0;
        for (size_t i = 0; i < paths.n && rc == 0; i++) {
                const struct store_path_change *c = &paths.v[i];
                if (!c->memory_id[0])
                        continue;
                if (c->status == STORE_PATH_DELETED) {
                        rc = db_store_delete_path(s->home->db, c->path, err);
                } else {
                        git_oid blob;
                        git_oid_fromstr(&blob, c->new_blob);
                        rc = db_store_delete_path(s->home->db, c->path, err);
                        if (rc == 0)
                                rc = index_put_blob(s, c->path, &blob, hex, err);
                }
        }
        store_paths_free(&paths);
        if (rc < 0)
                return -1;
        return db_store_set_index_head(s->home->db, hex, err);
}

static int index_sync(struct store *s, int full, size_t *count, struct err *err)
{
        struct db *db = s->home->db;
        char indexed[41];
        int have = 0;
        git_oid head, from;
        if (!full) {
                if (store_head_oid(s, &head, err) < 0 ||
                    db_store_index_head(db, indexed, &have, err) < 0)
                        return -1;
                char hh[41];
                store_oid_hex(&head, hh);
                if (have && strcmp(hh, indexed) == 0)
                        return 0;
        }
        if (db_begin(db, err) < 0)
                return -1;
        /* Read both again under the write lock: another process may have
         * moved the index meanwhile, and the index must only move forward. */
        if (store_head_oid(s, &head, err) < 0 || db_store_index_head(db, indexed, &have, err) < 0)
                goto fail;
        git_commit *c = NULL;
        int known = have && git_oid_fromstr(&from, indexed) == 0 &&
                    git_commit_lookup(&c, s->repo, &from) == 0;
        git_commit_free(c);
        int rc;
        if (full || !known)
                rc = index_full(s, &head, count, err);
        else if (git_oid_equal(&from, &head))
                rc = 0;
        else
                rc = index_delta(s, &from, &head, err);
        if (rc < 0)
                goto fail;
        return db_commit(db, err);
fail:
        db_rollback(db);
        return err_wrap(err, "updating the memory index");
}

int store_index_sync(struct store *s, struct err *err)
{
        return index_sync(s, 0, NULL, err);
}

int store_reindex(struct store *s, size_t *count, struct err *err)
{
        return index_sync(s, 1, count, err);
}

/* ---- writing ---- */

static int store_load_policy(struct store *s, struct err *err)
{
        if (!s->retention && retention_load(s->home->cfg, &s->retention, err) < 0)
                return -1;
        if (!s->rules && rules_load_default(s->home->cfg, &s->rules, err) < 0)
                return err_wrap(err, "loading the rules every store write is checked against");
        return 0;
}

/* Scans text for what: a block finding fails naming the rule (never the
 * text); with redact_out, redact findings are replaced into it, else they
 * fail too. *changed says whether redact_out differs from text. */
static int guard_text(struct store *s, const char *what, const char *text, size_t len,
                      struct buf *redact_out, int *changed, struct err *err)
{
        struct rule_findings f = {0};
        int rc = 0;
        if (changed)
                *changed = 0;
        if (rules_scan(s->rules, text, len, &f, err) < 0) {
                rule_findings_free(&f);
                return err_wrap(err, "scanning %s", what);
        }
        int redacts = 0;
        for (size_t i = 0; i < f.n; i++) {
                if (f.v[i].action == RULE_BLOCK) {
                        rc = err_set(err,
                                     "%s: rule '%s' (%s, block) matched its text; nothing was "
                                     "committed",
                                     what, f.v[i].rule_id, rule_family_name(f.v[i].family));
                        goto out;
                }
                if (f.v[i].action == RULE_REDACT) {
                        if (!redact_out) {
                                rc = err_set(err,
                                             "%s: rule '%s' (%s, redact) matched where it "
                                             "cannot be redacted; nothing was committed",
                                             what, f.v[i].rule_id, rule_family_name(f.v[i].family));
                                goto out;
                        }
                        redacts++;
                }
        }
        if (redact_out) {
                if (redacts) {
                        rules_redact(text, len, &f, 1u << RULE_REDACT, redact_out);
                        if (changed)
                                *changed = 1;
                } else {
                        buf_add(redact_out, text, len);
                }
        }
out:
        rule_findings_free(&f);
        return rc;
}

/* Runs the rules over a memory's text and tags; redacts the text in place. */
static int guard_memory(struct store *s, struct memory *m, struct err *err)
{
        struct buf what = BUF_INIT, body = BUF_INIT, tags = BUF_INIT;
        buf_addf(&what, "memory %s (scope %s)", m->id, m->scope);
        int changed = 0;
        int rc = guard_text(s, buf_cstr(&what), m->body ? m->body : "", m->body_len, &body,
                            &changed, err);
        if (rc == 0 && changed)
                memory_set_body(m, body.ptr, body.len);
        for (size_t i = 0; i < m->tags.n; i++) {
                buf_adds(&tags, m->tags.v[i]);
                buf_addc(&tags, '\n');
        }
        for (size_t i = 0; i < m->sources.n; i++) {
                buf_adds(&tags, m->sources.v[i]);
                buf_addc(&tags, '\n');
        }
        buf_addf(&tags, "%s\n", m->owner ? m->owner : "");
        if (rc == 0) {
                buf_adds(&what, " front matter");
                rc = guard_text(s, buf_cstr(&what), tags.ptr ? tags.ptr : "", tags.len, NULL, NULL,
                                err);
        }
        buf_free(&what);
        buf_free(&body);
        buf_free(&tags);
        return rc;
}

/* One path's change, compiled against the base commit. */
struct edit {
        char *path;                        /* owned */
        char memory_id[MEMORY_ID_LEN + 1]; /* "" for OWNERS / README.md */
        int remove;
        struct buf content; /* the new file, unless remove */
        int had_old;        /* the path existed at base */
        git_oid old;        /* its entry at base */
        git_oid blob;       /* content, once written */
};

static void edits_free(struct edit *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(e[i].path);
                buf_free(&e[i].content);
        }
        free(e);
}

static int finish_memory_edit(struct store *s, struct memory *m, struct edit *e, struct err *err)
{
        if (guard_memory(s, m, err) < 0)
                return -1;
        if (memory_serialize(m, &e->content, err) < 0)
                return -1;
        return 0;
}

/* Memory files end with a newline, as text files should. */
static void ensure_final_newline(struct memory *m)
{
        if (m->body_len && m->body[m->body_len - 1] != '\n') {
                struct buf b = BUF_INIT;
                buf_add(&b, m->body, m->body_len);
                buf_addc(&b, '\n');
                memory_set_body(m, b.ptr, b.len);
                buf_free(&b);
        }
}

static int set_expires(struct store *s, struct memory *m, int64_t now_ms, struct err *err)
{
        char exp[32];
        if (retention_expires(s->retention, m->retention, now_ms, exp, err) < 0)
                return err_wrap(err, "memory %s", m->id);
        memory_set(&m->expires, exp);
        return 0;
}

static int compile_add(struct store *s, git_tree *base, const struct owners *owners,
                       const struct store_change *c, const struct store_commit_info *info,
                       int64_t now_ms, struct edit *e, struct err *err)
{
        char id[MEMORY_ID_LEN + 1];
        if (c->id) {
                if (!memory_id_valid(c->id))
                        return err_set(err, "'%s' is not a memory id (mem- and 16 hex digits)",
                                       c->id);
                strcpy(id, c->id);
        } else {
                memory_new_id(id);
        }
        if (!memory_scope_valid(c->scope))
                return err_set(err, "adding a memory: scope '%s' must match [a-z0-9][a-z0-9._-]*",
                               c->scope ? c->scope : "");
        if (!c->text)
                return err_set(err, "adding memory %s: it has no text", id);
        char *existing = NULL;
        if (find_memory_path(s, base, id, &existing, NULL, err) < 0)
                return -1;
        if (existing) {
                err_set(err, "adding memory %s: it already exists at %s", id, existing);
                free(existing);
                return -1;
        }
        size_t len = c->text_len ? c->text_len : strlen(c->text);
        struct memory *m = memory_new();
        int rc = -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_format(now_ms, now);
        memory_set(&m->id, id);
        memory_set(&m->scope, c->scope);
        memory_set_body(m, c->text, len);
        ensure_final_newline(m);
        /* Rules first: the slug comes from the text, so it must come from the
         * redacted text, and a refusal must not name a path built from a secret. */
        if (guard_memory(s, m, err) < 0)
                goto out;
        struct buf path = BUF_INIT;
        memory_make_path(c->scope, id, m->body, m->body_len, &path);
        m->path = buf_detach(&path, NULL);
        const char *owner = c->owner;
        const struct owners_rule *rule = owners ? owners_for_path(owners, m->path) : NULL;
        if (!owner && rule && rule->nowners)
                owner = rule->owners[0];
        memory_set(&m->owner, owner ? owner : info->author_name);
        memory_set(&m->retention,
                   c->retention ? c->retention : retention_class_for_scope(s->retention, c->scope));
        memory_set(&m->created, now);
        memory_set(&m->updated, now);
        m->legal_hold = c->legal_hold == 1;
        for (size_t i = 0; i < c->nsources; i++)
                memory_list_add(&m->sources, c->sources[i]);
        for (size_t i = 0; i < c->ntags; i++)
                memory_list_add(&m->tags, c->tags[i]);
        if (set_expires(s, m, now_ms, err) < 0 || finish_memory_edit(s, m, e, err) < 0)
                goto out;
        e->path = xstrdup(m->path);
        strcpy(e->memory_id, id);
        rc = 0;
out:
        memory_free(m);
        return rc;
}

static int compile_update(struct store *s, const git_oid *base_oid, git_tree *base,
                          const char *base_hex, const struct store_change *c, int64_t now_ms,
                          struct edit *e, struct err *err)
{
        if (!memory_id_valid(c->id))
                return err_set(err, "'%s' is not a memory id (mem- and 16 hex digits)",
                               c->id ? c->id : "");
        char *path = NULL;
        if (locate_memory(s, base_oid, base, c->id, &path, &e->old, err) < 0)
                return -1;
        if (!path)
                return err_set(err, "memory %s does not exist at commit %.12s", c->id, base_hex);
        e->path = path;
        e->had_old = 1;
        strcpy(e->memory_id, c->id);
        if (c->op == STORE_DELETE) {
                e->remove = 1;
                return 0;
        }
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        int rc = -1;
        if (store_read_blob(s, &e->old, &text, err) < 0 ||
            memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, err) < 0)
                goto out;
        char now[TIMESTAMP_LEN + 1];
        timestamp_format(now_ms, now);
        if (c->text) {
                memory_set_body(m, c->text, c->text_len ? c->text_len : strlen(c->text));
                ensure_final_newline(m);
        }
        if (c->owner)
                memory_set(&m->owner, c->owner);
        if (c->retention)
                memory_set(&m->retention, c->retention);
        if (c->legal_hold >= 0)
                m->legal_hold = c->legal_hold;
        for (size_t i = 0; i < c->nsources; i++)
                memory_list_add(&m->sources, c->sources[i]);
        if (c->tags_set) {
                memory_list_clear(&m->tags);
                for (size_t i = 0; i < c->ntags; i++)
                        memory_list_add(&m->tags, c->tags[i]);
        }
        /* Placing or lifting a legal hold is not an edit: the retention clock
         * keeps running (docs/RETENTION.md). */
        int hold_only = !c->text && !c->owner && !c->retention && !c->nsources && !c->tags_set &&
                        c->legal_hold >= 0;
        if (!hold_only)
                memory_set(&m->updated, now);
        if ((!hold_only && set_expires(s, m, now_ms, err) < 0) ||
            finish_memory_edit(s, m, e, err) < 0)
                goto out;
        rc = 0;
out:
        memory_free(m);
        buf_free(&text);
        return rc;
}

static int compile_write_file(struct store *s, git_tree *base, const struct store_change *c,
                              struct edit *e, struct err *err)
{
        if (!c->path || (strcmp(c->path, STORE_OWNERS_PATH) && strcmp(c->path, STORE_README_PATH)))
                return err_set(err,
                               "only %s and %s may be written as files; memories go "
                               "through add/update/delete",
                               STORE_OWNERS_PATH, STORE_README_PATH);
        if (!c->text)
                return err_set(err, "writing %s: no content", c->path);
        size_t len = c->text_len ? c->text_len : strlen(c->text);
        if (strcmp(c->path, STORE_OWNERS_PATH) == 0) {
                struct owners *o = NULL;
                if (owners_parse(c->text, len, STORE_OWNERS_PATH, &o, err) < 0)
                        return -1;
                owners_free(o);
        }
        if (guard_text(s, c->path, c->text, len, &e->content, NULL, err) < 0)
                return -1;
        e->path = xstrdup(c->path);
        int had = store_tree_entry(base, c->path, &e->old, err);
        if (had < 0)
                return -1;
        e->had_old = had;
        return 0;
}

static void add_trailers(struct buf *msg, const struct store_commit_info *info)
{
        const char *m = info->message;
        size_t len = strlen(m);
        while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
                len--;
        buf_add(msg, m, len);
        buf_adds(msg, "\n\n");
        if (info->diff_id)
                buf_addf(msg, "Diff-Id: %s\n", info->diff_id);
        if (info->dream_run)
                buf_addf(msg, "Dream-Run: %s\n", info->dream_run);
        for (size_t i = 0; i < info->nevidence; i++)
                buf_addf(msg, "Evidence: %s\n", info->evidence[i]);
        if (info->reverts)
                buf_addf(msg, "Reverts: %s\n", info->reverts);
        if (info->approved_by)
                buf_addf(msg, "Approved-By: %s\n", info->approved_by);
}

static int check_info(const struct store_commit_info *info, struct err *err)
{
        if (!info || !info->author_name || !*info->author_name)
                return err_set(err, "a store commit needs an author");
        if (!info->message || !*info->message)
                return err_set(err, "a store commit needs a message");
        const char *single[] = {info->author_name, info->author_email, info->diff_id,
                                info->dream_run,   info->approved_by,  info->reverts};
        for (size_t i = 0; i < sizeof(single) / sizeof(single[0]); i++) {
                if (single[i] && strpbrk(single[i], "\r\n<>"))
                        return err_set(err,
                                       "commit author and trailer values must be one line "
                                       "without '<' or '>' (got \"%s\")",
                                       single[i]);
        }
        for (size_t i = 0; i < info->nevidence; i++) {
                if (!info->evidence[i] || !*info->evidence[i] || strpbrk(info->evidence[i], "\r\n"))
                        return err_set(err, "an Evidence: value must be one non-empty line");
        }
        return 0;
}

/* The newest commit in base..head that changed path, for a conflict message. */
static void find_mover(struct store *s, const git_oid *head, const git_oid *base, const char *path,
                       struct buf *out)
{
        git_revwalk *w = NULL;
        if (git_revwalk_new(&w, s->repo) < 0)
                return;
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL);
        git_revwalk_push(w, head);
        if (base)
                git_revwalk_hide(w, base);
        git_oid oid;
        struct err ignored;
        while (git_revwalk_next(&oid, w) == 0) {
                git_commit *c = NULL, *p = NULL;
                git_tree *t = NULL, *pt = NULL;
                if (git_commit_lookup(&c, s->repo, &oid) < 0)
                        break;
                git_commit_tree(&t, c);
                if (git_commit_parentcount(c) && git_commit_parent(&p, c, 0) == 0)
                        git_commit_tree(&pt, p);
                git_oid a, b;
                int ha = store_tree_entry(t, path, &a, &ignored);
                int hb = store_tree_entry(pt, path, &b, &ignored);
                int moved = ha != hb || (ha == 1 && !git_oid_equal(&a, &b));
                if (moved) {
                        char hex[41];
                        store_oid_hex(&oid, hex);
                        const char *summary = git_commit_summary(c);
                        buf_addf(out, "commit %.12s (\"%s\" by %s)", hex, summary ? summary : "",
                                 git_commit_author(c)->name);
                }
                git_tree_free(t);
                git_tree_free(pt);
                git_commit_free(p);
                git_commit_free(c);
                if (moved)
                        break;
        }
        git_revwalk_free(w);
}

/* Commits edits (compiled against base) on top of whatever main is, with
 * the compare-and-swap loop. Returns 0, STORE_CONFLICT or -1. */
static int commit_edits(struct store *s, struct edit *edits, size_t n, const git_oid *base,
                        const struct store_commit_info *info, char out_commit[41],
                        git_oid *out_parent, struct err *err)
{
        /* Shared with other writers, exclusive with an erasure (forget.h): it
         * must not delete the objects written here before the ref names them. */
        int lock = store_lock_writers(s->home->store_path, 0, err);
        if (lock < 0)
                return -1;
        git_signature *author = NULL, *committer = NULL;
        git_tree_update *ups = xcalloc(n ? n : 1, sizeof(*ups));
        struct buf msg = BUF_INIT;
        int rc = -1;
        for (size_t i = 0; i < n; i++) {
                struct edit *e = &edits[i];
                if (!e->remove && git_blob_create_from_buffer(&e->blob, s->repo,
                                                              e->content.ptr ? e->content.ptr : "",
                                                              e->content.len) < 0) {
                        store_git_fail(err, "writing a memory blob");
                        goto out;
                }
                ups[i].action = e->remove ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT;
                ups[i].filemode = GIT_FILEMODE_BLOB;
                ups[i].path = e->path;
                if (!e->remove)
                        git_oid_cpy(&ups[i].id, &e->blob);
        }
        if (make_signature(info->author_name, info->author_email, &author, err) < 0 ||
            make_signature("curator", NULL, &committer, err) < 0)
                goto out;
        add_trailers(&msg, info);
        for (int attempt = 0;; attempt++) {
                if (attempt >= STORE_MAX_ATTEMPTS) {
                        err_set(err,
                                "the store's main branch kept moving or stayed locked; "
                                "gave up after %d attempts",
                                attempt);
                        goto out;
                }
                git_oid head, tree_oid, commit_oid;
                git_commit *head_commit = NULL;
                git_tree *head_tree = NULL, *new_tree = NULL;
                if (store_head_oid(s, &head, err) < 0)
                        goto out;
                if (git_commit_lookup(&head_commit, s->repo, &head) < 0 ||
                    git_commit_tree(&head_tree, head_commit) < 0) {
                        git_commit_free(head_commit);
                        store_git_fail(err, "reading the store head");
                        goto out;
                }
                int conflict = 0;
                for (size_t i = 0; i < n && !git_oid_equal(&head, base); i++) {
                        git_oid cur;
                        int have = store_tree_entry(head_tree, edits[i].path, &cur, err);
                        if (have < 0)
                                conflict = -1;
                        else if (have != edits[i].had_old ||
                                 (have && !git_oid_equal(&cur, &edits[i].old))) {
                                struct buf mover = BUF_INIT;
                                char bh[41];
                                store_oid_hex(base, bh);
                                find_mover(s, &head, base, edits[i].path, &mover);
                                struct buf what = BUF_INIT;
                                if (edits[i].memory_id[0])
                                        buf_addf(&what, "memory %s (%s)", edits[i].memory_id,
                                                 edits[i].path);
                                else
                                        buf_adds(&what, edits[i].path);
                                err_set(err,
                                        "conflict: %s was changed by %s after %.12s, the commit "
                                        "these changes were made against; nothing was committed",
                                        buf_cstr(&what),
                                        mover.len ? buf_cstr(&mover) : "a later commit", bh);
                                buf_free(&what);
                                buf_free(&mover);
                                conflict = 1;
                        }
                        if (conflict)
                                break;
                }
                if (conflict) {
                        git_tree_free(head_tree);
                        git_commit_free(head_commit);
                        rc = conflict > 0 ? STORE_CONFLICT : -1;
                        goto out;
                }
                const git_commit *parents[1] = {head_commit};
                int ok = git_tree_create_updated(&tree_oid, s->repo, head_tree, n, ups) == 0 &&
                         git_tree_lookup(&new_tree, s->repo, &tree_oid) == 0;
                if (ok && git_oid_equal(&tree_oid, git_tree_id(head_tree))) {
                        git_tree_free(new_tree);
                        git_tree_free(head_tree);
                        git_commit_free(head_commit);
                        err_set(err, "these changes leave the store as it is; nothing was "
                                     "committed");
                        goto out;
                }
                ok = ok && git_commit_create(&commit_oid, s->repo, NULL, author, committer, NULL,
                                             buf_cstr(&msg), new_tree, 1, parents) == 0;
                git_tree_free(new_tree);
                git_tree_free(head_tree);
                git_commit_free(head_commit);
                if (!ok) {
                        store_git_fail(err, "writing the store commit");
                        goto out;
                }
                git_reference *ref = NULL;
                int r = git_reference_create_matching(&ref, s->repo, STORE_REF, &commit_oid, 1,
                                                      &head, "curator: commit");
                git_reference_free(ref);
                if (r == GIT_EMODIFIED || r == GIT_ELOCKED) {
                        /* Lost the race: another writer moved main. Try again on
                         * top of it; the loop re-checks our paths for conflicts. */
                        if (r == GIT_ELOCKED)
                                usleep((useconds_t)(1000 + rand() % 4000));
                        continue;
                }
                if (r < 0) {
                        store_git_fail(err, "moving the store's main branch");
                        goto out;
                }
                store_oid_hex(&commit_oid, out_commit);
                git_oid_cpy(out_parent, &head);
                rc = 0;
                break;
        }
out:
        buf_free(&msg);
        free(ups);
        git_signature_free(author);
        git_signature_free(committer);
        store_unlock_writers(lock);
        return rc;
}

/* Updates the index for a commit that has landed. When the index was at
 * the commit's parent (the usual case), the edits in hand are applied
 * directly; otherwise it catches up from whatever it describes. A failure
 * here is not the caller's: the commit stands, and the next write, `store
 * verify` or `store reindex` sees the drift and heals it. */
static void index_after_commit(struct store *s, const git_oid *parent, const char *commit,
                               struct edit *edits, size_t n)
{
        struct db *db = s->home->db;
        struct err err;
        char indexed[41], parent_hex[41];
        int have = 0;
        store_oid_hex(parent, parent_hex);
        if (db_begin(db, &err) < 0)
                return;
        if (db_store_index_head(db, indexed, &have, &err) < 0 || !have ||
            strcmp(indexed, parent_hex) != 0)
                goto slow;
        for (size_t i = 0; i < n; i++) {
                const struct edit *e = &edits[i];
                if (!e->memory_id[0])
                        continue;
                if (db_store_delete_path(db, e->path, &err) < 0)
                        goto slow;
                if (e->remove)
                        continue;
                struct memory *m = NULL;
                char blob[41];
                store_oid_hex(&e->blob, blob);
                if (memory_parse(e->content.ptr ? e->content.ptr : "", e->content.len, e->path, &m,
                                 &err) < 0 ||
                    db_store_put(db, m, blob, commit, &err) < 0) {
                        memory_free(m);
                        goto slow;
                }
                memory_free(m);
        }
        if (db_store_set_index_head(db, commit, &err) == 0 && db_commit(db, &err) == 0)
                return;
slow:
        db_rollback(db);
        store_index_sync(s, &err);
}

int store_apply_changes(struct store *s, const struct store_change *changes, size_t n,
                        const struct store_commit_info *info, const char *expected_base,
                        char out_commit[41], struct err *err)
{
        if (n == 0)
                return err_set(err, "no changes to commit");
        if (check_info(info, err) < 0 || store_load_policy(s, err) < 0)
                return -1;
        /* A writer that died after its ref update left the index behind: heal it first. */
        if (store_index_sync(s, err) < 0)
                return -1;
        git_oid base;
        if (resolve_oid(s, expected_base, &base, err) < 0)
                return -1;
        char base_hex[41];
        store_oid_hex(&base, base_hex);
        git_tree *base_tree = NULL;
        struct owners *owners = NULL;
        struct edit *edits = xcalloc(n, sizeof(*edits));
        int rc = -1;
        if (store_commit_tree(s, &base, &base_tree, err) < 0)
                goto out;
        if (store_owners(s, base_hex, &owners, err) < 0)
                goto out;
        int64_t now = timestamp_now_ms();
        for (size_t i = 0; i < n; i++) {
                const struct store_change *c = &changes[i];
                int r;
                switch (c->op) {
                case STORE_ADD:
                        r = compile_add(s, base_tree, owners, c, info, now, &edits[i], err);
                        break;
                case STORE_UPDATE:
                case STORE_DELETE:
                        r = compile_update(s, &base, base_tree, base_hex, c, now, &edits[i], err);
                        break;
                case STORE_WRITE_FILE:
                        r = compile_write_file(s, base_tree, c, &edits[i], err);
                        break;
                default:
                        r = err_set(err, "unknown store operation %d", (int)c->op);
                }
                if (r < 0)
                        goto out;
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(edits[j].path, edits[i].path) == 0) {
                                err_set(err, "%s is changed twice in one commit", edits[i].path);
                                goto out;
                        }
                }
        }
        git_oid parent;
        rc = commit_edits(s, edits, n, &base, info, out_commit, &parent, err);
        if (rc == 0)
                index_after_commit(s, &parent, out_commit, edits, n);
out:
        owners_free(owners);
        git_tree_free(base_tree);
        edits_free(edits, n);
        return rc;
}

/* ---- reading ---- */

int store_read_file(struct store *s, const char *path, const char *commit, struct buf *out,
                    struct err *err)
{
        git_oid c, blob;
        git_tree *tree = NULL;
        char hex[41];
        if (resolve_oid(s, commit, &c, err) < 0 || store_commit_tree(s, &c, &tree, err) < 0)
                return -1;
        store_oid_hex(&c, hex);
        int have = store_tree_entry(tree, path, &blob, err);
        git_tree_free(tree);
        if (have < 0)
                return -1;
        if (!have)
                return err_set(err, "%s does not exist at commit %.12s", path, hex);
        return store_read_blob(s, &blob, out, err);
}

int store_read_memory(struct store *s, const char *id_or_path, const char *commit,
                      struct memory **out, struct err *err)
{
        git_oid c, blob;
        git_tree *tree = NULL;
        char hex[41];
        char *path = NULL;
        struct buf text = BUF_INIT;
        int rc = -1;
        if (resolve_oid(s, commit, &c, err) < 0 || store_commit_tree(s, &c, &tree, err) < 0)
                return -1;
        store_oid_hex(&c, hex);
        if (memory_id_valid(id_or_path)) {
                if (locate_memory(s, &c, tree, id_or_path, &path, &blob, err) < 0)
                        goto out;
        } else {
                int have = store_tree_entry(tree, id_or_path, &blob, err);
                if (have < 0)
                        goto out;
                if (have)
                        path = xstrdup(id_or_path);
        }
        if (!path) {
                err_set(err, "memory %s does not exist at commit %.12s", id_or_path, hex);
                goto out;
        }
        if (store_read_blob(s, &blob, &text, err) < 0 ||
            memory_parse(text.ptr ? text.ptr : "", text.len, path, out, err) < 0)
                goto out;
        rc = 0;
out:
        buf_free(&text);
        free(path);
        git_tree_free(tree);
        return rc;
}

void store_memories_free(struct store_memories *l)
{
        for (size_t i = 0; i < l->n; i++)
                memory_free(l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

struct list_ctx {
        struct store *s;
        struct store_memories *out;
};

static int list_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        struct list_ctx *ctx = vctx;
        char id[MEMORY_ID_LEN + 1];
        if (!blob || !memory_id_from_path(path, id))
                return 0;
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        int rc = store_read_blob(ctx->s, blob, &text, err);
        if (rc == 0)
                rc = memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, err);
        buf_free(&text);
        if (rc < 0)
                return -1;
        ctx->out->v = xrealloc(ctx->out->v, (ctx->out->n + 1) * sizeof(*ctx->out->v));
        ctx->out->v[ctx->out->n++] = m;
        return 0;
}

int store_list(struct store *s, const char *commit, const char *scope, struct store_memories *out,
               struct err *err)
{
        git_oid c;
        git_tree *tree = NULL;
        if (resolve_oid(s, commit, &c, err) < 0 || store_commit_tree(s, &c, &tree, err) < 0)
                return -1;
        struct list_ctx ctx = {s, out};
        int rc = store_each_memory_file(s, tree, scope, NULL, list_fn, &ctx, err);
        git_tree_free(tree);
        return rc < 0 ? -1 : 0;
}

void store_paths_free(struct store_paths *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->v[i].path);
        free(p->v);
        p->v = NULL;
        p->n = 0;
}

static int diff_trees(struct store *s, git_tree *a, git_tree *b, struct store_paths *out,
                      struct err *err)
{
        git_diff *diff = NULL;
        git_diff_options opts;
        git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
        opts.flags = GIT_DIFF_SKIP_BINARY_CHECK;
        if (git_diff_tree_to_tree(&diff, s->repo, a, b, &opts) < 0)
                return store_git_fail(err, "comparing store trees");
        size_t nd = git_diff_num_deltas(diff);
        out->v = xrealloc(out->v, (out->n + nd + 1) * sizeof(*out->v));
        for (size_t i = 0; i < nd; i++) {
                const git_diff_delta *d = git_diff_get_delta(diff, i);
                struct store_path_change *c = &out->v[out->n++];
                memset(c, 0, sizeof(*c));
                int added = d->status == GIT_DELTA_ADDED, deleted = d->status == GIT_DELTA_DELETED;
                c->status = added     ? STORE_PATH_ADDED
                            : deleted ? STORE_PATH_DELETED
                                      : STORE_PATH_MODIFIED;
                c->path = xstrdup(added ? d->new_file.path : d->old_file.path);
                if (!memory_id_from_path(c->path, c->memory_id))
                        c->memory_id[0] = '\0';
                if (!added)
                        store_oid_hex(&d->old_file.id, c->old_blob);
                if (!deleted)
                        store_oid_hex(&d->new_file.id, c->new_blob);
        }
        git_diff_free(diff);
        return 0;
}

int store_changed_paths(struct store *s, const char *from, const char *to, struct store_paths *out,
                        struct err *err)
{
        git_oid a, b;
        git_tree *ta = NULL, *tb = NULL;
        int rc = -1;
        if ((from &&
             (resolve_oid(s, from, &a, err) < 0 || store_commit_tree(s, &a, &ta, err) < 0)) ||
            resolve_oid(s, to, &b, err) < 0 || store_commit_tree(s, &b, &tb, err) < 0)
                goto out;
        rc = diff_trees(s, ta, tb, out, err);
out:
        git_tree_free(ta);
        git_tree_free(tb);
        return rc;
}

static void commit_clear(struct store_commit *c)
{
        free(c->author_name);
        free(c->author_email);
        free(c->subject);
        free(c->message);
        for (size_t j = 0; j < c->ntrailers; j++) {
                free(c->trailers[j].key);
                free(c->trailers[j].value);
        }
        free(c->trailers);
        store_paths_free(&c->paths);
        memset(c, 0, sizeof(*c));
}

void store_log_free(struct store_log *log)
{
        for (size_t i = 0; i < log->n; i++)
                commit_clear(&log->v[i]);
        free(log->v);
        log->v = NULL;
        log->n = 0;
}

/* Fills one log entry for commit c, with the paths it changed. */
static int describe_commit(struct store *s, git_commit *c, struct store_commit *out,
                           struct err *err)
{
        memset(out, 0, sizeof(*out));
        store_oid_hex(git_commit_id(c), out->id);
        const git_signature *a = git_commit_author(c);
        out->author_name = xstrdup(a->name);
        out->author_email = xstrdup(a->email);
        out->when_ms = (int64_t)a->when.time * 1000;
        const char *summary = git_commit_summary(c);
        out->subject = xstrdup(summary ? summary : "");
        out->message = xstrdup(git_commit_message(c));
        git_message_trailer_array arr = {0};
        if (git_message_trailers(&arr, out->message) == 0) {
                out->trailers = xcalloc(arr.count ? arr.count : 1, sizeof(*out->trailers));
                for (size_t i = 0; i < arr.count; i++) {
                        out->trailers[i].key = xstrdup(arr.trailers[i].key);
                        out->trailers[i].value = xstrdup(arr.trailers[i].value);
                }
                out->ntrailers = arr.count;
                git_message_trailer_array_free(&arr);
        }
        git_tree *t = NULL, *pt = NULL;
        git_commit *p = NULL;
        int rc = -1;
        if (git_commit_tree(&t, c) < 0) {
                store_git_fail(err, "reading a commit tree");
                goto out;
        }
        if (git_commit_parentcount(c) > 0 &&
            (git_commit_parent(&p, c, 0) < 0 || git_commit_tree(&pt, p) < 0)) {
                store_git_fail(err, "reading a parent commit");
                goto out;
        }
        rc = diff_trees(s, pt, t, &out->paths, err);
out:
        git_tree_free(t);
        git_tree_free(pt);
        git_commit_free(p);
        return rc;
}

/* Walks commits from start (newest first); keep decides which to return. */
static int walk_log(struct store *s, const char *start, size_t limit, const char *memory_id,
                    struct store_log *out, struct err *err)
{
        git_oid from;
        if (resolve_oid(s, start, &from, err) < 0)
                return -1;
        git_revwalk *w = NULL;
        if (git_revwalk_new(&w, s->repo) < 0 || git_revwalk_push(w, &from) < 0) {
                git_revwalk_free(w);
                return store_git_fail(err, "walking the store history");
        }
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
        git_oid oid;
        int rc = 0;
        size_t cap = 0;
        while ((limit == 0 || out->n < limit) && (rc = git_revwalk_next(&oid, w)) == 0) {
                git_commit *c = NULL;
                if (git_commit_lookup(&c, s->repo, &oid) < 0) {
                        rc = store_git_fail(err, "reading a store commit");
                        break;
                }
                struct store_commit entry;
                rc = describe_commit(s, c, &entry, err);
                git_commit_free(c);
                if (rc < 0) {
                        commit_clear(&entry);
                        break;
                }
                int keep = !memory_id;
                for (size_t i = 0; !keep && i < entry.paths.n; i++)
                        keep = strcmp(entry.paths.v[i].memory_id, memory_id) == 0;
                if (!keep) {
                        commit_clear(&entry);
                        continue;
                }
                if (out->n == cap) {
                        cap = cap ? cap * 2 : 16;
                        out->v = xrealloc(out->v, cap * sizeof(*out->v));
                }
                out->v[out->n++] = entry;
        }
        git_revwalk_free(w);
        if (rc == GIT_ITEROVER)
                rc = 0;
        return rc < 0 ? -1 : 0;
}

int store_log(struct store *s, const char *commit, size_t limit, struct store_log *out,
              struct err *err)
{
        return walk_log(s, commit, limit, NULL, out, err);
}

int store_history(struct store *s, const char *memory_id, struct store_log *out, struct err *err)
{
        if (!memory_id_valid(memory_id))
                return err_set(err, "'%s' is not a memory id (mem- and 16 hex digits)", memory_id);
        if (walk_log(s, NULL, 0, memory_id, out, err) < 0)
                return -1;
        if (out->n == 0)
                return err_set(err, "no commit of the store ever touched memory %s", memory_id);
        return 0;
}

/* ---- owners and revert ---- */

int store_owners(struct store *s, const char *commit, struct owners **out, struct err *err)
{
        struct buf text = BUF_INIT;
        git_oid c, blob;
        git_tree *tree = NULL;
        if (resolve_oid(s, commit, &c, err) < 0 || store_commit_tree(s, &c, &tree, err) < 0)
                return -1;
        int have = store_tree_entry(tree, STORE_OWNERS_PATH, &blob, err);
        git_tree_free(tree);
        if (have < 0 || (have && store_read_blob(s, &blob, &text, err) < 0)) {
                buf_free(&text);
                return -1;
        }
        int rc = owners_parse(text.ptr ? text.ptr : "", text.len, STORE_OWNERS_PATH, out, err);
        buf_free(&text);
        return rc;
}

static void describe_owners(const struct owners_rule *rule, struct buf *out)
{
        if (!rule || rule->nowners == 0) {
                buf_adds(out, "nobody (admins only)");
                return;
        }
        for (size_t i = 0; i < rule->nowners; i++)
                buf_addf(out, "%s%s", i ? " " : "", rule->owners[i]);
        buf_addf(out, " (OWNERS line %d)", rule->line);
}

static int check_owner_with(struct store *s, const struct owners *o, const struct principal *p,
                            const char *path, struct err *err)
{
        if (strcmp(p->role, "admin") == 0)
                return 0;
        const struct owners_rule *rule = owners_for_path(o, path);
        int owns = 0;
        if (owners_principal_owns(s->home->db, rule, p->name, &owns, err) < 0)
                return -1;
        if (owns)
                return 0;
        struct buf who = BUF_INIT;
        describe_owners(rule, &who);
        err_set(err, "%s is owned by %s; %s (role %s) is not one of its owners", path,
                buf_cstr(&who), p->name, p->role);
        buf_free(&who);
        return -1;
}

static int principal_load(struct store *s, const char *name, struct principal *p, struct err *err)
{
        int found = 0;
        if (db_principals_get(s->home->db, name, p, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "'%s' is not a principal (see `curator principals list`)",
                               name);
        return 0;
}

int store_check_owner(struct store *s, const char *principal, const char *path, struct err *err)
{
        struct principal p = {0};
        struct owners *o = NULL;
        int rc = -1;
        if (principal_load(s, principal, &p, err) == 0 && store_owners(s, NULL, &o, err) == 0)
                rc = check_owner_with(s, o, &p, path, err);
        owners_free(o);
        principal_clear(&p);
        return rc;
}

/* Compiles the inverse of one path's change in commit (parent → commit). */
static int compile_revert_path(struct store *s, const struct store_path_change *pc, struct edit *e,
                               struct err *err)
{
        e->path = xstrdup(pc->path);
        strcpy(e->memory_id, pc->memory_id);
        e->had_old = pc->status != STORE_PATH_DELETED;
        if (e->had_old)
                git_oid_fromstr(&e->old, pc->new_blob);
        if (pc->status == STORE_PATH_ADDED) {
                e->remove = 1;
                return 0;
        }
        git_oid prev;
        git_oid_fromstr(&prev, pc->old_blob);
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        int rc = -1;
        if (store_read_blob(s, &prev, &text, err) < 0)
                goto out;
        if (!pc->memory_id[0]) {
                rc = guard_text(s, pc->path, text.ptr ? text.ptr : "", text.len, &e->content, NULL,
                                err);
                goto out;
        }
        /* The old text is checked again: rules may have grown since it was written. */
        if (memory_parse(text.ptr ? text.ptr : "", text.len, pc->path, &m, err) < 0 ||
            guard_memory(s, m, err) < 0 || memory_serialize(m, &e->content, err) < 0)
                goto out;
        rc = 0;
out:
        memory_free(m);
        buf_free(&text);
        return rc;
}

int store_revert(struct store *s, const char *commit, const char *principal, char out_commit[41],
                 struct err *err)
{
        git_oid c;
        git_commit *gc = NULL;
        struct principal p = {0};
        struct owners *o = NULL;
        struct store_commit desc = {0};
        struct edit *edits = NULL;
        size_t n = 0;
        int rc = -1;
        char hex[41];
        if (store_load_policy(s, err) < 0 || store_index_sync(s, err) < 0)
                return -1;
        if (resolve_oid(s, commit, &c, err) < 0)
                return -1;
        store_oid_hex(&c, hex);
        if (principal_load(s, principal, &p, err) < 0)
                goto out;
        if (git_commit_lookup(&gc, s->repo, &c) < 0) {
                store_git_fail(err, "reading the commit to revert");
                goto out;
        }
        if (git_commit_parentcount(gc) == 0) {
                err_set(err, "commit %.12s created the store; it cannot be reverted", hex);
                goto out;
        }
        if (describe_commit(s, gc, &desc, err) < 0 || store_owners(s, NULL, &o, err) < 0)
                goto out;
        if (desc.paths.n == 0) {
                err_set(err, "commit %.12s changed nothing; there is nothing to revert", hex);
                goto out;
        }
        for (size_t i = 0; i < desc.paths.n; i++) {
                if (check_owner_with(s, o, &p, desc.paths.v[i].path, err) < 0) {
                        err_wrap(err,
                                 "%s may not revert %.12s (only admins or the owners of "
                                 "every memory it touched may)",
                                 principal, hex);
                        goto out;
                }
        }
        edits = xcalloc(desc.paths.n, sizeof(*edits));
        for (n = 0; n < desc.paths.n; n++) {
                if (compile_revert_path(s, &desc.paths.v[n], &edits[n], err) < 0) {
                        n++;
                        goto out;
                }
        }
        struct buf msg = BUF_INIT;
        buf_addf(&msg, "Revert \"%s\"\n\nThis reverts commit %s.", desc.subject, hex);
        struct store_commit_info info = {
            .author_name = principal,
            .message = buf_cstr(&msg),
            .reverts = hex,
            .approved_by = principal,
        };
        git_oid parent;
        rc = commit_edits(s, edits, n, &c, &info, out_commit, &parent, err);
        buf_free(&msg);
        if (rc == STORE_CONFLICT)
                err_wrap(err, "reverting %.12s", hex);
        if (rc == 0) {
                index_after_commit(s, &parent, out_commit, edits, n);
                struct buf detail = BUF_INIT;
                buf_addf(&detail, "{\"reverts\":\"%s\",\"commit\":\"%s\",\"paths\":%zu}", hex,
                         out_commit, n);
                struct err audit_err;
                if (audit_append(s->home->db, principal, "memories.revert", out_commit,
                                 detail.ptr, &audit_err) < 0) {
                        /* the revert stands; say it could not be recorded */
                        err_set(err, "reverted in %s, but the audit log could not record it: %s",
                                out_commit, audit_err.msg);
                        rc = -1;
                }
                buf_free(&detail);
        }
out:
        edits_free(edits, n);
        commit_clear(&desc);
        owners_free(o);
        principal_clear(&p);
        git_commit_free(gc);
        return rc;
}
