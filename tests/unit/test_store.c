/* The git store against a temporary home: apply, read, list, history,
 * revert, the rules at commit time, compare-and-swap races, the index and
 * verify. */
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "db_internal.h"
#include "db_store.h"
#include "fileio.h"
#include "home.h"
#include "retention.h"
#include "store.h"

static char home_dir[128];

/* A fresh home whose config points at the test rules and sets a scope class. */
static struct home *home_fresh(struct store **s)
{
        static int n;
        snprintf(home_dir, sizeof(home_dir), "/tmp/curator-store-%d-%d", (int)getpid(), n++);
        struct err err = {{0}};
        CHECK_INT(fileio_mkdirs(home_dir, &err), 0);
        const char *fixtures = getenv("CURATOR_FIXTURES");
        struct buf conf = BUF_INIT;
        buf_addf(&conf,
                 "[rules]\ndir = %s/store/rules\n\n[retention]\nsession = 30d\nstandard = 365d\n"
                 "pinned = never\n\n[store]\ndefault_retention = standard\n\n"
                 "[scope-retention]\nops = session\nhandbook = pinned\n",
                 fixtures ? fixtures : CURATOR_SOURCE_DIR "/tests/fixtures");
        char *path = fileio_join(home_dir, "curator.conf");
        CHECK_INT(fileio_write_atomic(path, conf.ptr, conf.len, &err), 0);
        free(path);
        buf_free(&conf);
        struct home *h = NULL;
        int created = 0;
        if (home_init(home_dir, &h, &created, &err) < 0) {
                fprintf(stderr, "home_init: %s\n", err.msg);
                exit(1);
        }
        if (store_open(h, s, &err) < 0) {
                fprintf(stderr, "store_open: %s\n", err.msg);
                exit(1);
        }
        return h;
}

static void home_gone(struct home *h, struct store *s)
{
        store_close(s);
        home_close(h);
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", home_dir);
        CHECK_INT(system(cmd), 0);
}

static const struct store_commit_info approver = {
    .author_name = "alice",
    .message = "Approve diff 7\n\nTwo lessons from the release sessions.",
    .diff_id = "diff-7",
    .dream_run = "run-3",
    .approved_by = "alice",
    .evidence = (const char *const[]){"sesn_1/sevt_1", "sesn_2/sevt_9"},
    .nevidence = 2,
};

/* Adds one memory with a known id; returns the commit's result code. */
static int add_one(struct store *s, const char *id, const char *scope, const char *text,
                   const char *base, char out[41], struct err *err)
{
        struct store_change c = {
            .op = STORE_ADD, .id = id, .scope = scope, .text = text, .legal_hold = -1};
        return store_apply_changes(s, &c, 1, &approver, base, out, err);
}

static int update_one(struct store *s, const char *id, const char *text, const char *base,
                      char out[41], struct err *err)
{
        struct store_change c = {.op = STORE_UPDATE, .id = id, .text = text, .legal_hold = -1};
        return store_apply_changes(s, &c, 1, &approver, base, out, err);
}

static void test_init_layout(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char head[41];
        CHECK_INT(store_head(s, head, &err), 0);
        struct buf owners = BUF_INIT, readme = BUF_INIT;
        CHECK_INT(store_read_file(s, "OWNERS", NULL, &owners, &err), 0);
        CHECK(strstr(buf_cstr(&owners), "*   @admins\n") != NULL);
        CHECK_INT(store_read_file(s, "README.md", NULL, &readme, &err), 0);
        CHECK(strstr(buf_cstr(&readme), "memories/<scope>/") != NULL);
        char indexed[41];
        int have = 0;
        CHECK_INT(db_store_index_head(h->db, indexed, &have, &err), 0);
        CHECK_INT(have, 1);
        CHECK_STR(indexed, head);
        /* init again leaves the store alone */
        struct home *h2 = NULL;
        int created = 1;
        CHECK_INT(home_init(home_dir, &h2, &created, &err), 0);
        CHECK_INT(created, 0);
        char again[41];
        CHECK_INT(store_head(s, again, &err), 0);
        CHECK_STR(again, head);
        home_close(h2);
        buf_free(&owners);
        buf_free(&readme);
        home_gone(h, s);
}

static void test_apply_read_list_history(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char c0[41], c1[41], c2[41], c3[41];
        setenv("CURATOR_NOW", "2026-08-01T10:00:00Z", 1);
        store_head(s, c0, &err);
        const char *tags[] = {"testing"};
        const char *srcs[] = {"sesn_1/sevt_1"};
        struct store_change adds[] = {
            {.op = STORE_ADD,
             .id = "mem-00000000000000a1",
             .scope = "app",
             .text = "Run the narrow test first.\n",
             .tags = tags,
             .ntags = 1,
             .sources = srcs,
             .nsources = 1,
             .legal_hold = -1},
            {.op = STORE_ADD,
             .id = "mem-00000000000000b2",
             .scope = "ops",
             .text = "The release branch is integration.",
             .legal_hold = 1},
            {.op = STORE_ADD,
             .id = "mem-00000000000000c3",
             .scope = "handbook",
             .text = "We use pnpm.\n",
             .retention = NULL,
             .legal_hold = -1},
        };
        CHECK_INT(store_apply_changes(s, adds, 3, &approver, c0, c1, &err), 0);
        if (err.msg[0])
                fprintf(stderr, "  %s\n", err.msg);

        struct memory *m = NULL;
        CHECK_INT(store_read_memory(s, "mem-00000000000000a1", NULL, &m, &err), 0);
        if (m) {
                CHECK_STR(m->scope, "app");
                CHECK_STR(m->owner, "@admins"); /* from OWNERS */
                CHECK_STR(m->retention, "standard");
                CHECK_STR(m->created, "2026-08-01T10:00:00.000Z");
                CHECK_STR(m->expires, "2027-08-01T10:00:00.000Z");
                CHECK_STR(m->path, "memories/app/run-the-narrow-test-first-00000000000000a1.md");
                CHECK_INT(m->tags.n, 1);
                CHECK_STR(m->sources.v[0], "sesn_1/sevt_1");
                CHECK_STR(m->body, "Run the narrow test first.\n");
        }
        memory_free(m);
        CHECK_INT(store_read_memory(s, "mem-00000000000000b2", NULL, &m, &err), 0);
        if (m) {
                CHECK_STR(m->retention, "session"); /* [scope-retention] ops */
                CHECK_STR(m->expires, "2026-08-31T10:00:00.000Z");
                CHECK_INT(m->legal_hold, 1);
                CHECK_STR(m->body, "The release branch is integration.\n");
        }
        memory_free(m);
        CHECK_INT(store_read_memory(s, "memories/handbook/we-use-pnpm-00000000000000c3.md", NULL,
                                    &m, &err),
                  0);
        if (m)
                CHECK_STR(m->expires, "never");
        memory_free(m);

        setenv("CURATOR_NOW", "2026-09-01T00:00:00Z", 1);
        CHECK_INT(update_one(s, "mem-00000000000000a1", "Run the narrow test first, always.", NULL,
                             c2, &err),
                  0);
        struct store_change del = {
            .op = STORE_DELETE, .id = "mem-00000000000000b2", .legal_hold = -1};
        CHECK_INT(store_apply_changes(s, &del, 1, &approver, NULL, c3, &err), 0);
        unsetenv("CURATOR_NOW");

        CHECK_INT(store_read_memory(s, "mem-00000000000000a1", NULL, &m, &err), 0);
        if (m) {
                CHECK_STR(m->body, "Run the narrow test first, always.\n");
                CHECK_STR(m->created, "2026-08-01T10:00:00.000Z");
                CHECK_STR(m->updated, "2026-09-01T00:00:00.000Z");
                CHECK_STR(m->expires, "2027-09-01T00:00:00.000Z");
        }
        memory_free(m);
        /* at an older commit */
        CHECK_INT(store_read_memory(s, "mem-00000000000000a1", c1, &m, &err), 0);
        if (m)
                CHECK_STR(m->body, "Run the narrow test first.\n");
        memory_free(m);
        CHECK_INT(store_read_memory(s, "mem-00000000000000b2", NULL, &m, &err), -1);
        CHECK(strstr(err.msg, "does not exist") != NULL);
        CHECK_INT(store_read_memory(s, "mem-00000000000000b2", c2, &m, &err), 0);
        memory_free(m);
        m = NULL;

        struct store_memories l = {0};
        CHECK_INT(store_list(s, NULL, NULL, &l, &err), 0);
        CHECK_INT(l.n, 2);
        store_memories_free(&l);
        CHECK_INT(store_list(s, c1, "ops", &l, &err), 0);
        CHECK_INT(l.n, 1);
        if (l.n)
                CHECK_STR(l.v[0]->id, "mem-00000000000000b2");
        store_memories_free(&l);

        struct store_log log = {0};
        CHECK_INT(store_history(s, "mem-00000000000000a1", &log, &err), 0);
        CHECK_INT(log.n, 2);
        if (log.n == 2) {
                CHECK_STR(log.v[0].id, c2);
                CHECK_STR(log.v[1].id, c1);
                CHECK_STR(log.v[1].author_name, "alice");
                CHECK_STR(log.v[1].subject, "Approve diff 7");
                int seen = 0;
                for (size_t i = 0; i < log.v[1].ntrailers; i++) {
                        const struct store_trailer *t = &log.v[1].trailers[i];
                        seen += strcmp(t->key, "Diff-Id") == 0 && strcmp(t->value, "diff-7") == 0;
                        seen += strcmp(t->key, "Dream-Run") == 0 && strcmp(t->value, "run-3") == 0;
                        seen += strcmp(t->key, "Evidence") == 0;
                        seen += strcmp(t->key, "Approved-By") == 0;
                }
                CHECK_INT(seen, 5);
                CHECK_INT(log.v[1].paths.n, 3);
        }
        store_log_free(&log);
        CHECK_INT(store_history(s, "mem-00000000000000b2", &log, &err), 0);
        CHECK_INT(log.n, 2); /* added, deleted */
        if (log.n == 2)
                CHECK_STR(log.v[0].id, c3);
        store_log_free(&log);
        CHECK_INT(store_history(s, "mem-0000000000000fff", &log, &err), -1);
        CHECK_INT(store_log(s, NULL, 0, &log, &err), 0);
        CHECK_INT(log.n, 4);
        store_log_free(&log);

        struct store_paths p = {0};
        CHECK_INT(store_changed_paths(s, c1, c3, &p, &err), 0);
        CHECK_INT(p.n, 2);
        for (size_t i = 0; i < p.n; i++) {
                if (strcmp(p.v[i].memory_id, "mem-00000000000000a1") == 0)
                        CHECK_INT(p.v[i].status, 'M');
                else
                        CHECK(p.v[i].status == 'D' &&
                              strcmp(p.v[i].memory_id, "mem-00000000000000b2") == 0);
        }
        store_paths_free(&p);

        /* errors */
        CHECK_INT(update_one(s, "mem-0000000000000fff", "x", NULL, c3, &err), -1);
        CHECK(strstr(err.msg, "mem-0000000000000fff does not exist") != NULL);
        CHECK_INT(add_one(s, "mem-00000000000000a1", "app", "dup", NULL, c3, &err), -1);
        CHECK(strstr(err.msg, "already exists") != NULL);
        CHECK_INT(add_one(s, NULL, "Bad Scope", "x", NULL, c3, &err), -1);
        struct store_change badret = {
            .op = STORE_ADD, .scope = "app", .text = "x", .retention = "forever", .legal_hold = -1};
        CHECK_INT(store_apply_changes(s, &badret, 1, &approver, NULL, c3, &err), -1);
        CHECK(strstr(err.msg, "unknown retention class 'forever'") != NULL);
        home_gone(h, s);
}

/* Every object in the repository, decompressed, searched for needle. */
struct holds_ctx {
        git_odb *odb;
        const char *needle;
        int found;
};

static int holds_fn(const git_oid *id, void *p)
{
        struct holds_ctx *c = p;
        git_odb_object *o = NULL;
        if (git_odb_read(&o, c->odb, id) == 0) {
                if (memmem(git_odb_object_data(o), git_odb_object_size(o), c->needle,
                           strlen(c->needle)))
                        c->found = 1;
                git_odb_object_free(o);
        }
        return 0;
}

static int repo_holds(struct home *h, const char *needle)
{
        git_repository *repo = NULL;
        struct holds_ctx c = {NULL, needle, 0};
        git_libgit2_init();
        if (git_repository_open_bare(&repo, h->store_path) == 0 &&
            git_repository_odb(&c.odb, repo) == 0)
                git_odb_foreach(c.odb, holds_fn, &c);
        git_odb_free(c.odb);
        git_repository_free(repo);
        git_libgit2_shutdown();
        return c.found;
}

static void test_rules_at_commit(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char before[41], after[41], out[41];
        store_head(s, before, &err);
        const char *secret = "AKIAQWERTYUIOPASDFGH";
        struct buf text = BUF_INIT;
        buf_addf(&text, "Deploy with key %s from the vault.", secret);
        CHECK_INT(add_one(s, "mem-00000000000000d4", "app", buf_cstr(&text), NULL, out, &err), -1);
        CHECK(strstr(err.msg, "mem-00000000000000d4") != NULL);
        CHECK(strstr(err.msg, "test-aws-access-key") != NULL);
        CHECK(strstr(err.msg, secret) == NULL);
        CHECK(strstr(err.msg, "AKIA") == NULL); /* not even in a path */
        store_head(s, after, &err);
        CHECK_STR(after, before);
        CHECK_INT(repo_holds(h, secret), 0);

        /* a secret smuggled into an update of a clean memory is refused too */
        CHECK_INT(add_one(s, "mem-00000000000000d5", "app", "Deploys need a key.", NULL, out, &err),
                  0);
        CHECK_INT(update_one(s, "mem-00000000000000d5", buf_cstr(&text), NULL, after, &err), -1);
        CHECK(strstr(err.msg, "test-aws-access-key") != NULL);
        CHECK_INT(repo_holds(h, secret), 0);
        /* and in a tag */
        const char *tags[] = {secret};
        struct store_change tagged = {.op = STORE_UPDATE,
                                      .id = "mem-00000000000000d5",
                                      .tags = tags,
                                      .ntags = 1,
                                      .tags_set = 1,
                                      .legal_hold = -1};
        CHECK_INT(store_apply_changes(s, &tagged, 1, &approver, NULL, after, &err), -1);
        CHECK_INT(repo_holds(h, secret), 0);

        /* redact findings are replaced before the blob is written */
        CHECK_INT(add_one(s, "mem-00000000000000d6", "app", "Mail ops@example.com for access.",
                          NULL, out, &err),
                  0);
        struct memory *m = NULL;
        CHECK_INT(store_read_memory(s, "mem-00000000000000d6", NULL, &m, &err), 0);
        if (m) {
                CHECK_STR(m->body, "Mail [REDACTED:test-email] for access.\n");
                CHECK(strstr(m->path, "example") == NULL);
        }
        memory_free(m);
        CHECK_INT(repo_holds(h, "ops@example.com"), 0);
        buf_free(&text);
        home_gone(h, s);
}

static void test_conflicts_against_base(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char base[41], a[41], b[41], c[41], head[41];
        CHECK_INT(add_one(s, "mem-00000000000000e1", "app", "one", NULL, base, &err), 0);
        CHECK_INT(add_one(s, "mem-00000000000000e2", "app", "two", NULL, base, &err), 0);
        /* writer A changes e1 on top of base */
        CHECK_INT(update_one(s, "mem-00000000000000e1", "one, by A", base, a, &err), 0);
        /* writer B, also from base, changes e2: disjoint, so it lands on top of A */
        CHECK_INT(update_one(s, "mem-00000000000000e2", "two, by B", base, b, &err), 0);
        struct memory *m = NULL;
        CHECK_INT(store_read_memory(s, "mem-00000000000000e1", NULL, &m, &err), 0);
        if (m)
                CHECK_STR(m->body, "one, by A\n"); /* A's update was not lost */
        memory_free(m);
        git_repository *repo = NULL;
        git_commit *cb = NULL;
        git_oid ob;
        git_libgit2_init();
        git_repository_open_bare(&repo, h->store_path);
        git_oid_fromstr(&ob, b);
        CHECK_INT(git_commit_lookup(&cb, repo, &ob), 0);
        char parent[41];
        git_oid_tostr(parent, sizeof(parent), git_commit_parent_id(cb, 0));
        CHECK_STR(parent, a);
        git_commit_free(cb);
        git_repository_free(repo);
        git_libgit2_shutdown();
        /* writer C, from base too, changes e1 again: a conflict naming A's commit */
        CHECK_INT(update_one(s, "mem-00000000000000e1", "one, by C", base, c, &err),
                  STORE_CONFLICT);
        CHECK(strstr(err.msg, "conflict") != NULL);
        CHECK(strstr(err.msg, "mem-00000000000000e1") != NULL);
        char a12[13];
        memcpy(a12, a, 12);
        a12[12] = '\0';
        CHECK(strstr(err.msg, a12) != NULL);
        CHECK_INT(store_head(s, head, &err), 0);
        CHECK_STR(head, b);
        /* deleting from base after it moved is a conflict too */
        struct store_change del = {
            .op = STORE_DELETE, .id = "mem-00000000000000e2", .legal_hold = -1};
        CHECK_INT(store_apply_changes(s, &del, 1, &approver, base, c, &err), STORE_CONFLICT);
        home_gone(h, s);
}

/* Two processes commit at once from the same home: every commit that
 * reports success is on main, and none is lost. */
static void test_process_race(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char out[41];
        CHECK_INT(add_one(s, "mem-00000000000000f0", "app", "shared", NULL, out, &err), 0);
        enum { WRITERS = 2, EACH = 15 };
        int pipes[WRITERS][2];
        pid_t pids[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
                CHECK_INT(pipe(pipes[w]), 0);
                pids[w] = fork();
                if (pids[w] == 0) {
                        close(pipes[w][0]);
                        struct home *ch = NULL;
                        struct store *cs = NULL;
                        struct err e;
                        if (home_open(home_dir, &ch, &e) < 0 || store_open(ch, &cs, &e) < 0)
                                _exit(2);
                        for (int i = 0; i < EACH; i++) {
                                char id[MEMORY_ID_LEN + 1], text[64], c[41];
                                snprintf(id, sizeof(id), "mem-%016x", 0x100 * (w + 1) + i);
                                snprintf(text, sizeof(text), "writer %d note %d", w, i);
                                int r = add_one(cs, id, "app", text, NULL, c, &e);
                                /* everyone also updates the shared memory: those that
                                 * lose the race to it must get a conflict, not win */
                                snprintf(text, sizeof(text), "shared by %d at %d", w, i);
                                int r2 = update_one(cs, "mem-00000000000000f0", text, NULL, c, &e);
                                char line[128];
                                int len = snprintf(line, sizeof(line), "%d %d %s\n", r, r2,
                                                   r2 == 0 ? c : "-");
                                if (write(pipes[w][1], line, (size_t)len) != len)
                                        _exit(2);
                        }
                        store_close(cs);
                        home_close(ch);
                        _exit(0);
                }
                close(pipes[w][1]);
        }
        int adds_ok = 0, updates_ok = 0, conflicts = 0;
        struct memory_list_str update_commits = {0};
        for (int w = 0; w < WRITERS; w++) {
                struct buf got = BUF_INIT;
                char chunk[512];
                ssize_t n;
                while ((n = read(pipes[w][0], chunk, sizeof(chunk))) > 0)
                        buf_add(&got, chunk, (size_t)n);
                close(pipes[w][0]);
                int status = 0;
                waitpid(pids[w], &status, 0);
                CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
                for (char *line = got.ptr; line && *line;) {
                        char *nl = strchr(line, '\n');
                        int r = 0, r2 = 0;
                        char c[41] = "";
                        sscanf(line, "%d %d %40s", &r, &r2, c);
                        adds_ok += r == 0;
                        updates_ok += r2 == 0;
                        conflicts += r2 == STORE_CONFLICT;
                        if (r2 == 0)
                                memory_list_add(&update_commits, c);
                        line = nl ? nl + 1 : NULL;
                }
                buf_free(&got);
        }
        fprintf(stderr, "  race: %d adds, %d updates landed, %d conflicts\n", adds_ok, updates_ok,
                conflicts);
        CHECK_INT(adds_ok, WRITERS * EACH);
        CHECK_INT(updates_ok + conflicts, WRITERS * EACH);
        CHECK(updates_ok > 0);
        struct store_memories l = {0};
        CHECK_INT(store_list(s, NULL, "app", &l, &err), 0);
        CHECK_INT(l.n, WRITERS * EACH + 1);
        store_memories_free(&l);
        /* every successful update is in the shared memory's history */
        struct store_log log = {0};
        CHECK_INT(store_history(s, "mem-00000000000000f0", &log, &err), 0);
        CHECK_INT(log.n, (size_t)updates_ok + 1);
        for (size_t i = 0; i < update_commits.n; i++) {
                int found = 0;
                for (size_t j = 0; j < log.n; j++)
                        found |= strcmp(log.v[j].id, update_commits.v[i]) == 0;
                CHECK(found);
        }
        store_log_free(&log);
        CHECK_INT(store_log(s, NULL, 0, &log, &err), 0);
        CHECK_INT(log.n, (size_t)(1 + 1 + adds_ok + updates_ok));
        store_log_free(&log);
        memory_list_clear(&update_commits);
        /* and the index caught up with all of it */
        struct store_report r;
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 0);
        for (size_t i = 0; i < r.n; i++)
                fprintf(stderr, "  %s\n", r.v[i].detail);
        store_report_free(&r);
        home_gone(h, s);
}

static void test_revert(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char c1[41], c2[41], c3[41], rv[41];
        CHECK_INT(db_principals_add(h->db, "root", "admin", NULL, &err), 0);
        CHECK_INT(db_principals_add(h->db, "alice", "owner", NULL, &err), 0);
        CHECK_INT(db_principals_add(h->db, "bob", "owner", NULL, &err), 0);
        const char *team[] = {"bob"};
        CHECK_INT(db_groups_add(h->db, "ops-team", team, 1, &err), 0);
        const char *owners = "*  @admins\nmemories/app/  alice\nmemories/ops/ @ops-team\n";
        struct store_change w = {
            .op = STORE_WRITE_FILE, .path = "OWNERS", .text = owners, .legal_hold = -1};
        CHECK_INT(store_apply_changes(s, &w, 1, &approver, NULL, c1, &err), 0);
        CHECK_INT(add_one(s, "mem-0000000000000a01", "app", "first text", NULL, c1, &err), 0);
        CHECK_INT(update_one(s, "mem-0000000000000a01", "bad text", NULL, c2, &err), 0);

        /* bob owns ops, not app */
        CHECK_INT(store_revert(s, c2, "bob", rv, &err), -1);
        CHECK(strstr(err.msg, "owned by alice") != NULL);
        CHECK(strstr(err.msg, "bob") != NULL);
        CHECK_INT(store_revert(s, c2, "nobody", rv, &err), -1);
        CHECK(strstr(err.msg, "not a principal") != NULL);
        /* alice owns it */
        CHECK_INT(store_revert(s, c2, "alice", rv, &err), 0);
        struct memory *m = NULL;
        CHECK_INT(store_read_memory(s, "mem-0000000000000a01", NULL, &m, &err), 0);
        if (m)
                CHECK_STR(m->body, "first text\n");
        memory_free(m);
        struct store_log log = {0};
        CHECK_INT(store_log(s, NULL, 1, &log, &err), 0);
        if (log.n == 1) {
                CHECK_STR(log.v[0].author_name, "alice");
                int reverts = 0, approved = 0;
                for (size_t i = 0; i < log.v[0].ntrailers; i++) {
                        reverts += strcmp(log.v[0].trailers[i].key, "Reverts") == 0 &&
                                   strcmp(log.v[0].trailers[i].value, c2) == 0;
                        approved += strcmp(log.v[0].trailers[i].key, "Approved-By") == 0 &&
                                    strcmp(log.v[0].trailers[i].value, "alice") == 0;
                }
                CHECK_INT(reverts, 1);
                CHECK_INT(approved, 1);
        }
        store_log_free(&log);
        /* reverting c2 again: the memory changed since c2 (the revert did it) */
        CHECK_INT(store_revert(s, c2, "root", c3, &err), STORE_CONFLICT);
        CHECK(strstr(err.msg, "conflict") != NULL);
        /* an admin may revert anything: revert the revert */
        CHECK_INT(store_revert(s, rv, "root", c3, &err), 0);
        m = NULL;
        CHECK_INT(store_read_memory(s, "mem-0000000000000a01", NULL, &m, &err), 0);
        if (m)
                CHECK_STR(m->body, "bad text\n");
        memory_free(m);
        /* the add cannot be reverted now: the memory changed since */
        CHECK_INT(store_revert(s, c1, "root", c3, &err), STORE_CONFLICT);
        CHECK(strstr(err.msg, "mem-0000000000000a01") != NULL);
        char root[41];
        CHECK_INT(store_resolve(s, "HEAD~5", root, &err), 0);
        CHECK_INT(store_revert(s, root, "root", c3, &err), -1);
        CHECK(strstr(err.msg, "created the store") != NULL);
        home_gone(h, s);
}

static size_t count_kind(const struct store_report *r, enum store_problem_kind k,
                         const char *needle)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n; i++)
                n += r->v[i].kind == k && (!needle || strstr(r->v[i].detail, needle) ||
                                           (r->v[i].path && strstr(r->v[i].path, needle)));
        return n;
}

static void test_index_verify_reindex(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char c1[41], c2[41];
        CHECK_INT(add_one(s, "mem-0000000000000b01", "app", "alpha npm ci", NULL, c1, &err), 0);
        CHECK_INT(add_one(s, "mem-0000000000000b02", "web", "beta pnpm", NULL, c1, &err), 0);
        struct store_report r;
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 0);
        CHECK_INT(r.memories, 2);
        CHECK_INT(r.index_rows, 2);
        CHECK(r.commits == 3 && r.objects > 6);
        store_report_free(&r);

        struct db_store_hits hits = {0};
        CHECK_INT(db_store_search(h->db, NULL, "npm", 10, &hits, &err), 0);
        CHECK_INT(hits.n, 1);
        if (hits.n)
                CHECK_STR(hits.v[0].id, "mem-0000000000000b01");
        db_store_hits_free(&hits);
        CHECK_INT(db_store_search(h->db, "app", "pnpm", 10, &hits, &err), 0);
        CHECK_INT(hits.n, 0);
        db_store_hits_free(&hits);
        CHECK_INT(db_store_search(h->db, NULL, "npm ci: \"ENOENT", 10, &hits, &err), 0);
        CHECK_INT(hits.n, 1);
        db_store_hits_free(&hits);

        /* a hand-corrupted row is named, with the column */
        CHECK_INT(db_exec(h->db,
                          "UPDATE store_memories SET text = 'tampered' "
                          "WHERE id = 'mem-0000000000000b02'",
                          &err),
                  0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "mem-0000000000000b02"), 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "text"), 1);
        store_report_free(&r);
        /* rows deleted */
        CHECK_INT(
            db_exec(h->db, "DELETE FROM store_memories WHERE id = 'mem-0000000000000b01'", &err),
            0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "missing from the index"), 1);
        store_report_free(&r);
        size_t count = 0;
        CHECK_INT(store_reindex(s, &count, &err), 0);
        CHECK_INT(count, 2);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 0);
        store_report_free(&r);

        /* a writer that died between the ref update and the index update:
         * the index says an older commit; verify sees it, the next write heals it */
        char head[41];
        store_head(s, head, &err);
        CHECK_INT(
            db_exec(h->db, "DELETE FROM store_memories WHERE id = 'mem-0000000000000b02'", &err),
            0);
        char c1p[41];
        CHECK_INT(store_resolve(s, "HEAD~1", c1p, &err), 0);
        CHECK_INT(db_store_set_index_head(h->db, c1p, &err), 0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "main is at"), 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "missing from the index"), 1);
        store_report_free(&r);
        CHECK_INT(add_one(s, "mem-0000000000000b03", "web", "gamma", NULL, c2, &err), 0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 0);
        CHECK_INT(r.index_rows, 3);
        store_report_free(&r);

        /* an indexed commit that no longer exists (history rewritten by an
         * erasure): the next sync rebuilds from scratch */
        CHECK_INT(db_exec(h->db, "DELETE FROM store_memories", &err), 0);
        CHECK_INT(db_store_set_index_head(h->db, "0123456789012345678901234567890123456789", &err),
                  0);
        CHECK_INT(store_index_sync(s, &err), 0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(r.n, 0);
        CHECK_INT(r.index_rows, 3);
        store_report_free(&r);

        /* changed paths from the empty tree: everything at that commit */
        struct store_paths p = {0};
        CHECK_INT(store_changed_paths(s, NULL, c2, &p, &err), 0);
        CHECK_INT(p.n, 5); /* OWNERS, README.md, three memories */
        size_t added = 0;
        for (size_t i = 0; i < p.n; i++)
                added += p.v[i].status == 'A' && p.v[i].new_blob[0] && !p.v[i].old_blob[0];
        CHECK_INT(added, 5);
        store_paths_free(&p);
        home_gone(h, s);
}

static void test_verify_finds_corrupt_objects_and_files(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        struct err err = {{0}};
        char c1[41];
        CHECK_INT(add_one(s, "mem-0000000000000c01", "app", "alpha", NULL, c1, &err), 0);
        /* a file written behind curator's back, with bad front matter */
        git_repository *repo = NULL;
        git_libgit2_init();
        CHECK_INT(git_repository_open_bare(&repo, h->store_path), 0);
        const char *bad = "---\nid: mem-0000000000000c02\nscope: app\nowner: x y\n";
        git_oid blob, tree_oid, commit_oid, head;
        git_reference_name_to_id(&head, repo, STORE_REF);
        git_commit *hc = NULL;
        git_tree *ht = NULL, *nt = NULL;
        git_commit_lookup(&hc, repo, &head);
        git_commit_tree(&ht, hc);
        git_blob_create_from_buffer(&blob, repo, bad, strlen(bad));
        git_tree_update up[] = {
            {GIT_TREE_UPDATE_UPSERT, blob, GIT_FILEMODE_BLOB,
             "memories/app/hand-0000000000000c02.md"},
            {GIT_TREE_UPDATE_UPSERT, blob, GIT_FILEMODE_BLOB,
             "memories/app/nested/x-0000000000000c03.md"},
            {GIT_TREE_UPDATE_UPSERT, blob, GIT_FILEMODE_BLOB, "memories/app/notes.txt"},
        };
        CHECK_INT(git_tree_create_updated(&tree_oid, repo, ht, 3, up), 0);
        git_tree_lookup(&nt, repo, &tree_oid);
        git_signature *sig = NULL;
        git_signature_now(&sig, "mallory", "m@example.invalid");
        const git_commit *parents[] = {hc};
        CHECK_INT(git_commit_create(&commit_oid, repo, STORE_REF, sig, sig, NULL, "by hand", nt, 1,
                                    parents),
                  0);
        git_signature_free(sig);
        git_tree_free(nt);
        git_tree_free(ht);
        git_commit_free(hc);
        git_repository_free(repo);
        git_libgit2_shutdown();
        struct store_report r;
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_FRONT_MATTER, "hand-0000000000000c02.md:4:"), 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_FRONT_MATTER, "a directory inside a scope"), 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_FRONT_MATTER, "not a memory file name"), 1);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_FRONT_MATTER, NULL), 3);
        CHECK_INT(count_kind(&r, STORE_PROBLEM_INDEX, "main is at"), 1);
        store_report_free(&r);

        /* damage a loose object on disk: verify reports it as unreadable */
        char hex[41];
        git_oid_tostr(hex, sizeof(hex), &blob);
        char path[512];
        snprintf(path, sizeof(path), "%s/objects/%.2s/%s", h->store_path, hex, hex + 2);
        CHECK_INT(chmod(path, 0644), 0);
        FILE *f = fopen(path, "r+b");
        CHECK(f != NULL);
        if (f) {
                fseek(f, 10, SEEK_SET);
                fputc(0x55, f);
                fputc(0xAA, f);
                fclose(f);
        }
        store_close(s); /* drop libgit2's object cache */
        CHECK_INT(store_open(h, &s, &err), 0);
        CHECK_INT(store_verify(s, &r, &err), 0);
        CHECK(count_kind(&r, STORE_PROBLEM_OBJECT, hex) >= 1);
        store_report_free(&r);
        home_gone(h, s);
}

static void test_retention_config_errors(void)
{
        struct config *cfg = NULL;
        struct retention *r = NULL;
        struct err err = {{0}};
        const char *t = "[retention]\nsession = 30d\nstandard = 1 year\n";
        CHECK_INT(config_parse(t, strlen(t), "curator.conf", &cfg, &err), 0);
        CHECK_INT(retention_load(cfg, &r, &err), -1);
        CHECK(strstr(err.msg, "curator.conf:3:") && strstr(err.msg, "standard"));
        config_free(cfg);
        t = "[retention]\nsession = 30d\nstandard = 365d\n[scope-retention]\napp = forever\n";
        CHECK_INT(config_parse(t, strlen(t), "curator.conf", &cfg, &err), 0);
        CHECK_INT(retention_load(cfg, &r, &err), -1);
        CHECK(strstr(err.msg, "curator.conf:5:") && strstr(err.msg, "forever"));
        config_free(cfg);
        t = "[retention]\nshort = 2h\n[store]\ndefault_retention = short\n";
        CHECK_INT(config_parse(t, strlen(t), "curator.conf", &cfg, &err), 0);
        CHECK_INT(retention_load(cfg, &r, &err), 0);
        CHECK_STR(retention_class_for_scope(r, "any"), "short");
        char out[32];
        CHECK_INT(retention_expires(r, "short", 0, out, &err), 0);
        CHECK_STR(out, "1970-01-01T02:00:00.000Z");
        CHECK_INT(retention_expires(r, "standard", 0, out, &err), -1);
        retention_free(r);
        config_free(cfg);
        CHECK_INT(retention_load(NULL, &r, &err), 0); /* built-in classes */
        CHECK_INT(retention_expires(r, "pinned", 0, out, &err), 0);
        CHECK_STR(out, "never");
        retention_free(r);
}

int main(void)
{
        RUN(test_init_layout);
        RUN(test_apply_read_list_history);
        RUN(test_rules_at_commit);
        RUN(test_conflicts_against_base);
        RUN(test_process_race);
        RUN(test_revert);
        RUN(test_index_verify_reindex);
        RUN(test_verify_finds_corrupt_objects_and_files);
        RUN(test_retention_config_errors);
        return CHECK_DONE();
}
