/* The libgit2 store: bare repository, commits without a work tree,
 * compare-and-swap ref updates, the SQLite index of head, verify. */
#include "store.h"

#include <git2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "db_store.h"
#include "fileio.h"
#include "retention.h"
#include "rules.h"
#include "timestamp.h"

struct store {
        struct home *home;          /* borrowed */
        git_repository *repo;       /* owned */
        struct rules_set *rules;    /* owned; loaded on the first write */
        struct retention *retention; /* owned; loaded on the first write */
};

/* How often a writer that lost the ref race (or found the ref locked) tries again. */
#define STORE_MAX_ATTEMPTS 200

static const char store_readme_text[] =
        "# curator memory store\n"
        "\n"
        "This repository is written by curator (https://example.invalid/curator); do not\n"
        "commit to it by hand. Every commit is one approved memory diff, authored by\n"
        "the person who approved it, with trailers naming the diff (Diff-Id), the\n"
        "dreaming run (Dream-Run), the evidence (Evidence: session/event ids) and the\n"
        "approver (Approved-By).\n"
        "\n"
        "Layout:\n"
        "\n"
        "    OWNERS                         who owns which paths (CODEOWNERS syntax)\n"
        "    README.md                      this file\n"
        "    memories/<scope>/<slug>-<hex>.md   one memory: front matter + Markdown\n"
        "\n"
        "A memory file starts with a front matter header (id, scope, owner,\n"
        "retention, created, updated, expires, legal_hold, sources, tags) between\n"
        "two '---' lines; see docs/MEMORY-FORMAT.md in the curator sources.\n";

static int git_fail(struct err *err, const char *what)
{
        const git_error *e = git_error_last();
        return err_set(err, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

static void oid_hex(const git_oid *oid, char out[41])
{
        git_oid_tostr(out, 41, oid);
}

/* ---- small tree helpers ---- */

/* 1 and *out if path exists in tree (blob or tree), 0 if not, -1 on error. */
static int tree_entry_oid(git_tree *tree, const char *path, git_oid *out, struct err *err)
{
        if (!tree)
                return 0;
        git_tree_entry *e = NULL;
        int rc = git_tree_entry_bypath(&e, tree, path);
        if (rc == GIT_ENOTFOUND)
                return 0;
        if (rc < 0)
                return git_fail(err, path);
        git_oid_cpy(out, git_tree_entry_id(e));
        git_tree_entry_free(e);
        return 1;
}

static int commit_tree(struct store *s, const git_oid *commit, git_tree **out, struct err *err)
{
        git_commit *c = NULL;
        if (git_commit_lookup(&c, s->repo, commit) < 0)
                return git_fail(err, "reading a store commit");
        int rc = git_commit_tree(out, c);
        git_commit_free(c);
        return rc < 0 ? git_fail(err, "reading a store tree") : 0;
}

static int read_blob(struct store *s, const git_oid *oid, struct buf *out, struct err *err)
{
        git_blob *b = NULL;
        if (git_blob_lookup(&b, s->repo, oid) < 0)
                return git_fail(err, "reading a store blob");
        buf_add(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
        git_blob_free(b);
        return 0;
}

typedef int (*memory_file_fn)(const char *path, const git_oid *blob, void *ctx,
                              struct err *err);

/* Calls fn for every blob under memories/<scope>/ (one scope if scope is
 * not NULL), in tree order. Stops at the first non-zero return. */
static int each_memory_file(struct store *s, git_tree *root, const char *scope,
                            memory_file_fn fn, void *ctx, struct err *err)
{
        git_oid dir;
        int have = tree_entry_oid(root, MEMORY_DIR, &dir, err);
        if (have <= 0)
                return have;
        git_tree *mem = NULL;
        if (git_tree_lookup(&mem, s->repo, &dir) < 0)
                return git_fail(err, "reading memories/");
        int rc = 0;
        struct buf path = BUF_INIT;
        for (size_t i = 0; i < git_tree_entrycount(mem) && rc == 0; i++) {
                const git_tree_entry *se = git_tree_entry_byindex(mem, i);
                const char *sname = git_tree_entry_name(se);
                if (git_tree_entry_type(se) != GIT_OBJECT_TREE || (scope && strcmp(sname, scope)))
                        continue;
                git_tree *st = NULL;
                if (git_tree_lookup(&st, s->repo, git_tree_entry_id(se)) < 0) {
                        rc = git_fail(err, sname);
                        break;
                }
                for (size_t j = 0; j < git_tree_entrycount(st) && rc == 0; j++) {
                        const git_tree_entry *fe = git_tree_entry_byindex(st, j);
                        buf_reset(&path);
                        buf_addf(&path, "%s/%s/%s", MEMORY_DIR, sname, git_tree_entry_name(fe));
                        if (git_tree_entry_type(fe) != GIT_OBJECT_BLOB) {
                                /* nested trees are not memories: verify reports them */
                                continue;
                        }
                        rc = fn(buf_cstr(&path), git_tree_entry_id(fe), ctx, err);
                }
                git_tree_free(st);
        }
        buf_free(&path);
        git_tree_free(mem);
        return rc;
}

struct find_ctx {
        const char *id;
        char *path; /* owned once found */
        git_oid blob;
};

static int find_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        (void)err;
        struct find_ctx *ctx = vctx;
        char id[MEMORY_ID_LEN + 1];
        if (memory_id_from_path(path, id) && strcmp(id, ctx->id) == 0) {
                ctx->path = xstrdup(path);
                git_oid_cpy(&ctx->blob, blob);
                return 1;
        }
        return 0;
}

/* Finds memory id in tree: *path (caller frees) or NULL if absent. The id is
 * part of the file name, so this reads tree entries, never blobs. */
static int find_memory_path(struct store *s, git_tree *tree, const char *id, char **path,
                            git_oid *blob, struct err *err)
{
        struct find_ctx ctx = {id, NULL, {{0}}};
        *path = NULL;
        if (!tree)
                return 0;
        int rc = each_memory_file(s, tree, NULL, find_fn, &ctx, err);
        if (rc < 0)
                return -1;
        *path = ctx.path;
        if (blob && ctx.path)
                git_oid_cpy(blob, &ctx.blob);
        return 0;
}

/* ---- open, init, head ---- */

static int head_oid(struct store *s, git_oid *out, struct err *err)
{
        int rc = git_reference_name_to_id(out, s->repo, STORE_REF);
        if (rc == GIT_ENOTFOUND)
                return err_set(err, "the memory store %s has no %s branch (run `curator init`)",
                               s->home->store_path, STORE_REF);
        if (rc < 0)
                return git_fail(err, "reading the store's main branch");
        return 0;
}

int store_head(struct store *s, char out[41], struct err *err)
{
        git_oid oid;
        if (head_oid(s, &oid, err) < 0)
                return -1;
        oid_hex(&oid, out);
        return 0;
}

static int resolve_oid(struct store *s, const char *rev, git_oid *out, struct err *err)
{
        if (!rev)
                return head_oid(s, out, err);
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
        oid_hex(&oid, out);
        return 0;
}

static int store_open_repo(struct home *home, struct store **out, struct err *err)
{
        git_libgit2_init();
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
        if (head_oid(s, &h, err) < 0) {
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

static int make_signature(const char *name, const char *email, git_signature **out,
                          struct err *err)
{
        struct buf e = BUF_INIT;
        if (email)
                buf_adds(&e, email);
        else
                buf_addf(&e, "%s@curator.invalid", name);
        int64_t now = timestamp_now_ms();
        int rc = git_signature_new(out, name, buf_cstr(&e), (git_time_t)(now / 1000), 0);
        buf_free(&e);
        return rc < 0 ? git_fail(err, "making a commit signature") : 0;
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
                git_fail(err, "writing the store's first tree");
                goto out;
        }
        if (make_signature("curator", NULL, &sig, err) < 0)
                goto out;
        if (git_commit_create(&commit_oid, s->repo, NULL, sig, sig, NULL,
                              "Create the memory store\n\nOWNERS gives every path to @admins.\n",
                              tree, 0, NULL) < 0) {
                git_fail(err, "writing the store's first commit");
                goto out;
        }
        int r = git_reference_create(&ref, s->repo, STORE_REF, &commit_oid, 0,
                                     "curator: create the store");
        if (r < 0 && r != GIT_EEXISTS) { /* EEXISTS: another init won the race; fine */
                git_fail(err, "creating the store's main branch");
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
                        git_fail(err, "creating the memory store");
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

static int index_put_blob(struct store *s, const char *path, const git_oid *blob,
                          const char *head, struct err *err)
{
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        struct err perr;
        char blob_hex[41];
        int rc = 0;
        if (read_blob(s, blob, &text, err) < 0) {
                rc = -1;
                goto out;
        }
        /* A file that does not parse is left out of the index; verify names it. */
        if (memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, &perr) < 0)
                goto out;
        oid_hex(blob, blob_hex);
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
        if (!memory_id_from_path(path, id))
                return 0;
        ctx->count++;
        return index_put_blob(ctx->s, path, blob, ctx->head, err) < 0 ? -1 : 0;
}

static int index_full(struct store *s, const git_oid *head, size_t *count, struct err *err)
{
        char hex[41];
        oid_hex(head, hex);
        git_tree *tree = NULL;
        if (db_store_clear(s->home->db, err) < 0 || commit_tree(s, head, &tree, err) < 0)
                return -1;
        struct full_ctx ctx = {s, hex, 0};
        int rc = each_memory_file(s, tree, NULL, full_fn, &ctx, err);
        git_tree_free(tree);
        if (rc < 0)
                return -1;
        if (count)
                *count = ctx.count;
        return db_store_set_index_head(s->home->db, hex, err);
}

/* Applies the difference between the indexed commit and head to the rows. */
static int index_delta(struct store *s, const git_oid *from, const git_oid *head,
                       struct err *err)
{
        char hex[41];
        oid_hex(head, hex);
        struct store_paths paths = {0};
        char from_hex[41];
        oid_hex(from, from_hex);
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
                if (head_oid(s, &head, err) < 0 ||
                    db_store_index_head(db, indexed, &have, err) < 0)
                        return -1;
                char hh[41];
                oid_hex(&head, hh);
                if (have && strcmp(hh, indexed) == 0)
                        return 0;
        }
        if (db_begin(db, err) < 0)
                return -1;
        /* Read both again under the write lock: another process may have
         * moved the index meanwhile, and the index must only move forward. */
        if (head_oid(s, &head, err) < 0 || db_store_index_head(db, indexed, &have, err) < 0)
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
                                             what, f.v[i].rule_id,
                                             rule_family_name(f.v[i].family));
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
                rc = guard_text(s, buf_cstr(&what), tags.ptr ? tags.ptr : "", tags.len, NULL,
                                NULL, err);
        }
        buf_free(&what);
        buf_free(&body);
        buf_free(&tags);
        return rc;
}

/* One path's change, compiled against the base commit. */
struct edit {
        char *path;                         /* owned */
        char memory_id[MEMORY_ID_LEN + 1];  /* "" for OWNERS / README.md */
        int remove;
        struct buf content;                 /* the new file, unless remove */
        int had_old;                        /* the path existed at base */
        git_oid old;                        /* its entry at base */
        git_oid blob;                       /* content, once written */
};

static void edits_free(struct edit *e, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(e[i].path);
                buf_free(&e[i].content);
        }
        free(e);
}

static int finish_memory_edit(struct store *s, struct memory *m, struct edit *e,
                              struct err *err)
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

static int compile_update(struct store *s, git_tree *base, const char *base_hex,
                          const struct store_change *c, int64_t now_ms, struct edit *e,
                          struct err *err)
{
        if (!memory_id_valid(c->id))
                return err_set(err, "'%s' is not a memory id (mem- and 16 hex digits)",
                               c->id ? c->id : "");
        char *path = NULL;
        if (find_memory_path(s, base, c->id, &path, &e->old, err) < 0)
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
        if (read_blob(s, &e->old, &text, err) < 0 ||
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
        memory_set(&m->updated, now);
        if (set_expires(s, m, now_ms, err) < 0 || finish_memory_edit(s, m, e, err) < 0)
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
                return err_set(err, "only %s and %s may be written as files; memories go "
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
        int had = tree_entry_oid(base, c->path, &e->old, err);
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
                        return err_set(err, "commit author and trailer values must be one line "
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
static void find_mover(struct store *s, const git_oid *head, const git_oid *base,
                       const char *path, struct buf *out)
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
                int ha = tree_entry_oid(t, path, &a, &ignored);
                int hb = tree_entry_oid(pt, path, &b, &ignored);
                int moved = ha != hb || (ha == 1 && !git_oid_equal(&a, &b));
                if (moved) {
                        char hex[41];
                        oid_hex(&oid, hex);
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
                        struct err *err)
{
        git_signature *author = NULL, *committer = NULL;
        git_tree_update *ups = xcalloc(n ? n : 1, sizeof(*ups));
        struct buf msg = BUF_INIT;
        int rc = -1;
        for (size_t i = 0; i < n; i++) {
                struct edit *e = &edits[i];
                if (!e->remove &&
                    git_blob_create_from_buffer(&e->blob, s->repo, e->content.ptr ? e->content.ptr : "",
                                                e->content.len) < 0) {
                        git_fail(err, "writing a memory blob");
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
                        err_set(err, "the store's main branch kept moving or stayed locked; "
                                     "gave up after %d attempts",
                                attempt);
                        goto out;
                }
                git_oid head, tree_oid, commit_oid;
                git_commit *head_commit = NULL;
                git_tree *head_tree = NULL, *new_tree = NULL;
                if (head_oid(s, &head, err) < 0)
                        goto out;
                if (git_commit_lookup(&head_commit, s->repo, &head) < 0 ||
                    git_commit_tree(&head_tree, head_commit) < 0) {
                        git_commit_free(head_commit);
                        git_fail(err, "reading the store head");
                        goto out;
                }
                int conflict = 0;
                for (size_t i = 0; i < n && !git_oid_equal(&head, base); i++) {
                        git_oid cur;
                        int have = tree_entry_oid(head_tree, edits[i].path, &cur, err);
                        if (have < 0)
                                conflict = -1;
                        else if (have != edits[i].had_old ||
                                 (have && !git_oid_equal(&cur, &edits[i].old))) {
                                struct buf mover = BUF_INIT;
                                char bh[41];
                                oid_hex(base, bh);
                                find_mover(s, &head, base, edits[i].path, &mover);
                                err_set(err,
                                        "conflict: %s%s%s (%s) was changed by %s after %.12s, "
                                        "the commit these changes were made against; nothing "
                                        "was committed",
                                        edits[i].memory_id[0] ? "memory " : "",
                                        edits[i].memory_id[0] ? edits[i].memory_id : "file",
                                        edits[i].memory_id[0] ? "" : "", edits[i].path,
                                        mover.len ? buf_cstr(&mover) : "a later commit", bh);
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
                        git_fail(err, "writing the store commit");
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
                        git_fail(err, "moving the store's main branch");
                        goto out;
                }
                oid_hex(&commit_oid, out_commit);
                rc = 0;
                break;
        }
out:
        buf_free(&msg);
        free(ups);
        git_signature_free(author);
        git_signature_free(committer);
        return rc;
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
        oid_hex(&base, base_hex);
        git_tree *base_tree = NULL;
        struct owners *owners = NULL;
        struct edit *edits = xcalloc(n, sizeof(*edits));
        int rc = -1;
        if (commit_tree(s, &base, &base_tree, err) < 0)
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
                        r = compile_update(s, base_tree, base_hex, c, now, &edits[i], err);
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
        rc = commit_edits(s, edits, n, &base, info, out_commit, err);
        if (rc == 0) {
                /* The commit has landed; if the index update fails the next
                 * write or `store verify`/`reindex` sees the drift and heals it. */
                struct err ignored;
                store_index_sync(s, &ignored);
        }
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
        if (resolve_oid(s, commit, &c, err) < 0 || commit_tree(s, &c, &tree, err) < 0)
                return -1;
        oid_hex(&c, hex);
        int have = tree_entry_oid(tree, path, &blob, err);
        git_tree_free(tree);
        if (have < 0)
                return -1;
        if (!have)
                return err_set(err, "%s does not exist at commit %.12s", path, hex);
        return read_blob(s, &blob, out, err);
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
        if (resolve_oid(s, commit, &c, err) < 0 || commit_tree(s, &c, &tree, err) < 0)
                return -1;
        oid_hex(&c, hex);
        if (memory_id_valid(id_or_path)) {
                if (find_memory_path(s, tree, id_or_path, &path, &blob, err) < 0)
                        goto out;
        } else {
                int have = tree_entry_oid(tree, id_or_path, &blob, err);
                if (have < 0)
                        goto out;
                if (have)
                        path = xstrdup(id_or_path);
        }
        if (!path) {
                err_set(err, "memory %s does not exist at commit %.12s", id_or_path, hex);
                goto out;
        }
        if (read_blob(s, &blob, &text, err) < 0 ||
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
        if (!memory_id_from_path(path, id))
                return 0;
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        int rc = read_blob(ctx->s, blob, &text, err);
        if (rc == 0)
                rc = memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, err);
        buf_free(&text);
        if (rc < 0)
                return -1;
        ctx->out->v = xrealloc(ctx->out->v, (ctx->out->n + 1) * sizeof(*ctx->out->v));
        ctx->out->v[ctx->out->n++] = m;
        return 0;
}

int store_list(struct store *s, const char *commit, const char *scope,
               struct store_memories *out, struct err *err)
{
        git_oid c;
        git_tree *tree = NULL;
        if (resolve_oid(s, commit, &c, err) < 0 || commit_tree(s, &c, &tree, err) < 0)
                return -1;
        struct list_ctx ctx = {s, out};
        int rc = each_memory_file(s, tree, scope, list_fn, &ctx, err);
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
                return git_fail(err, "comparing store trees");
        size_t nd = git_diff_num_deltas(diff);
        out->v = xrealloc(out->v, (out->n + nd + 1) * sizeof(*out->v));
        for (size_t i = 0; i < nd; i++) {
                const git_diff_delta *d = git_diff_get_delta(diff, i);
                struct store_path_change *c = &out->v[out->n++];
                memset(c, 0, sizeof(*c));
                int added = d->status == GIT_DELTA_ADDED, deleted = d->status == GIT_DELTA_DELETED;
                c->status = added ? STORE_PATH_ADDED : deleted ? STORE_PATH_DELETED
                                                                : STORE_PATH_MODIFIED;
                c->path = xstrdup(added ? d->new_file.path : d->old_file.path);
                if (!memory_id_from_path(c->path, c->memory_id))
                        c->memory_id[0] = '\0';
                if (!added)
                        oid_hex(&d->old_file.id, c->old_blob);
                if (!deleted)
                        oid_hex(&d->new_file.id, c->new_blob);
        }
        git_diff_free(diff);
        return 0;
}

int store_changed_paths(struct store *s, const char *from, const char *to,
                        struct store_paths *out, struct err *err)
{
        git_oid a, b;
        git_tree *ta = NULL, *tb = NULL;
        int rc = -1;
        if ((from && (resolve_oid(s, from, &a, err) < 0 || commit_tree(s, &a, &ta, err) < 0)) ||
            resolve_oid(s, to, &b, err) < 0 || commit_tree(s, &b, &tb, err) < 0)
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
        oid_hex(git_commit_id(c), out->id);
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
                git_fail(err, "reading a commit tree");
                goto out;
        }
        if (git_commit_parentcount(c) > 0 &&
            (git_commit_parent(&p, c, 0) < 0 || git_commit_tree(&pt, p) < 0)) {
                git_fail(err, "reading a parent commit");
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
                return git_fail(err, "walking the store history");
        }
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
        git_oid oid;
        int rc = 0;
        size_t cap = 0;
        while ((limit == 0 || out->n < limit) && (rc = git_revwalk_next(&oid, w)) == 0) {
                git_commit *c = NULL;
                if (git_commit_lookup(&c, s->repo, &oid) < 0) {
                        rc = git_fail(err, "reading a store commit");
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

int store_history(struct store *s, const char *memory_id, struct store_log *out,
                  struct err *err)
{
        if (!memory_id_valid(memory_id))
                return err_set(err, "'%s' is not a memory id (mem- and 16 hex digits)",
                               memory_id);
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
        if (resolve_oid(s, commit, &c, err) < 0 || commit_tree(s, &c, &tree, err) < 0)
                return -1;
        int have = tree_entry_oid(tree, STORE_OWNERS_PATH, &blob, err);
        git_tree_free(tree);
        if (have < 0 || (have && read_blob(s, &blob, &text, err) < 0)) {
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

static int principal_load(struct store *s, const char *name, struct principal *p,
                          struct err *err)
{
        int found = 0;
        if (db_principals_get(s->home->db, name, p, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "'%s' is not a principal (see `curator principals list`)",
                               name);
        return 0;
}

int store_check_owner(struct store *s, const char *principal, const char *path,
                      struct err *err)
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
static int compile_revert_path(struct store *s, git_tree *parent_tree,
                               const struct store_path_change *pc, struct edit *e,
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
        (void)parent_tree;
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        int rc = -1;
        if (read_blob(s, &prev, &text, err) < 0)
                goto out;
        if (!pc->memory_id[0]) {
                rc = guard_text(s, pc->path, text.ptr ? text.ptr : "", text.len, &e->content,
                                NULL, err);
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

int store_revert(struct store *s, const char *commit, const char *principal,
                 char out_commit[41], struct err *err)
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
        oid_hex(&c, hex);
        if (principal_load(s, principal, &p, err) < 0)
                goto out;
        if (git_commit_lookup(&gc, s->repo, &c) < 0) {
                git_fail(err, "reading the commit to revert");
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
                        err_wrap(err, "%s may not revert %.12s (only admins or the owners of "
                                      "every memory it touched may)",
                                 principal, hex);
                        goto out;
                }
        }
        edits = xcalloc(desc.paths.n, sizeof(*edits));
        for (n = 0; n < desc.paths.n; n++) {
                if (compile_revert_path(s, NULL, &desc.paths.v[n], &edits[n], err) < 0) {
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
        rc = commit_edits(s, edits, n, &c, &info, out_commit, err);
        buf_free(&msg);
        if (rc == STORE_CONFLICT)
                err_wrap(err, "reverting %.12s", hex);
        if (rc == 0) {
                struct err ignored;
                store_index_sync(s, &ignored);
        }
out:
        edits_free(edits, n);
        commit_clear(&desc);
        owners_free(o);
        principal_clear(&p);
        git_commit_free(gc);
        return rc;
}

/* ---- verify ---- */

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
                oid_hex(oid, hex);
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
                oid_hex(&oid, hex);
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
        struct store_memories files; /* parsed memories at head */
        struct memory_list_str blobs; /* their blob ids, aligned with files */
};

static int verify_file_fn(const char *path, const git_oid *blob, void *vctx, struct err *err)
{
        (void)err;
        struct verify_ctx *ctx = vctx;
        char id[MEMORY_ID_LEN + 1];
        if (!memory_id_from_path(path, id)) {
                report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                           "not a memory file name (memories/<scope>/<slug>-<16 hex>.md)");
                return 0;
        }
        struct buf text = BUF_INIT;
        struct memory *m = NULL;
        struct err perr;
        if (read_blob(ctx->s, blob, &text, &perr) < 0) {
                report_add(ctx->r, STORE_PROBLEM_OBJECT, path, "%s", perr.msg);
        } else if (memory_parse(text.ptr ? text.ptr : "", text.len, path, &m, &perr) < 0) {
                report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path, "%s", perr.msg);
        } else {
                const char *scope = path + strlen(MEMORY_DIR) + 1;
                size_t slen = (size_t)(strchr(scope, '/') - scope);
                struct buf again = BUF_INIT;
                if (strcmp(m->id, id) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "id %s does not match the file name (which says %s)", m->id,
                                   id);
                else if (strlen(m->scope) != slen || strncmp(m->scope, scope, slen) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "scope %s does not match the directory it is in", m->scope);
                else if (memory_serialize(m, &again, &perr) < 0 || again.len != text.len ||
                         memcmp(again.ptr, text.ptr, text.len) != 0)
                        report_add(ctx->r, STORE_PROBLEM_FRONT_MATTER, path,
                                   "the file is not in canonical form");
                buf_free(&again);
                char hex[41];
                oid_hex(blob, hex);
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
        const char *names[] = {"id", "scope", "owner", "retention", "created", "updated",
                               "expires"};
        const char *fv[] = {f->id, f->scope, f->owner, f->retention, f->created, f->updated,
                            f->expires};
        const char *mv[] = {m->id, m->scope, m->owner, m->retention, m->created, m->updated,
                            m->expires};
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
                                   "index row for %s has no memory file at head",
                                   rows.v[j].m->id);
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
        if (head_oid(s, &head, err) < 0)
                return -1;
        oid_hex(&head, r->head);
        verify_objects(s, &head, r);
        struct verify_ctx ctx = {s, r, {0}, {0}};
        if (commit_tree(s, &head, &tree, err) < 0) {
                report_add(r, STORE_PROBLEM_OBJECT, r->head, "%s", err->msg);
                return 0;
        }
        struct err ferr;
        if (each_memory_file(s, tree, NULL, verify_file_fn, &ctx, &ferr) < 0)
                report_add(r, STORE_PROBLEM_OBJECT, MEMORY_DIR, "%s", ferr.msg);
        r->memories = ctx.files.n;
        /* Two files with one id would make reads by id ambiguous. */
        struct memory **byid = xmalloc((ctx.files.n ? ctx.files.n : 1) * sizeof(*byid));
        memcpy(byid, ctx.files.v, ctx.files.n * sizeof(*byid));
        qsort(byid, ctx.files.n, sizeof(*byid), memory_cmp_id);
        for (size_t i = 1; i < ctx.files.n; i++) {
                if (strcmp(byid[i - 1]->id, byid[i]->id) == 0)
                        report_add(r, STORE_PROBLEM_FRONT_MATTER, byid[i]->path,
                                   "id %s is also used by %s", byid[i]->id, byid[i - 1]->path);
        }
        free(byid);
        git_oid owners_blob;
        struct buf text = BUF_INIT;
        struct owners *o = NULL;
        int have = tree_entry_oid(tree, STORE_OWNERS_PATH, &owners_blob, &ferr);
        if (have == 0)
                report_add(r, STORE_PROBLEM_OWNERS, STORE_OWNERS_PATH,
                           "there is no OWNERS file: only admins can approve or revert");
        else if (have > 0 && read_blob(s, &owners_blob, &text, &ferr) == 0 &&
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
