/* Retention and erasure against a temporary home: the purge plan under an
 * injected clock (expiry is exactly `expires`, holds of each kind keep
 * their memories), and store_map_commit after a history rewrite (a kept
 * commit maps to its rewrite, a dropped one to its rewritten parent, an
 * unknown one fails). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db_purge.h"
#include "db_store.h"
#include "fileio.h"
#include "forget.h"
#include "home.h"
#include "purge.h"
#include "store.h"
#include "timestamp.h"

static char home_dir[128];

static struct home *home_fresh(struct store **s)
{
        static int n;
        snprintf(home_dir, sizeof(home_dir), "/tmp/curator-purge-%d-%d", (int)getpid(), n++);
        struct err err = {{0}};
        CHECK_INT(fileio_mkdirs(home_dir, &err), 0);
        static const char conf[] = "[retention]\nsession = 30d\nstandard = 365d\npinned = never\n"
                                   "\n[store]\ndefault_retention = standard\n\n"
                                   "[scope-retention]\nops = session\nhandbook = pinned\n";
        char *path = fileio_join(home_dir, "curator.conf");
        CHECK_INT(fileio_write_atomic(path, conf, strlen(conf), &err), 0);
        free(path);
        struct home *h = NULL;
        int created = 0;
        if (home_init(home_dir, &h, &created, &err) < 0 || store_init(h, &err) < 0 ||
            store_open(h, s, &err) < 0) {
                fprintf(stderr, "setup: %s\n", err.msg);
                exit(1);
        }
        CHECK_INT(db_principals_add(h->db, "carol", "compliance", NULL, &err), 0);
        CHECK_INT(db_principals_add(h->db, "olga", "owner", NULL, &err), 0);
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

static int add_at(struct store *s, const char *when, const char *id, const char *scope,
                  const char *text, const char *source, char out[41])
{
        setenv("CURATOR_NOW", when, 1);
        const char *sources[] = {source};
        struct store_change c = {.op = STORE_ADD,
                                 .id = id,
                                 .scope = scope,
                                 .text = text,
                                 .sources = sources,
                                 .nsources = source ? 1 : 0,
                                 .legal_hold = -1};
        struct store_commit_info info = {.author_name = "alice", .message = "Add a memory"};
        struct err err;
        int rc = store_apply_changes(s, &c, 1, &info, NULL, out, &err);
        if (rc < 0)
                fprintf(stderr, "add: %s\n", err.msg);
        return rc;
}

static int64_t at(const char *t)
{
        int64_t ms = 0;
        timestamp_parse(t, strlen(t), &ms);
        return ms;
}

static int planned(const struct purge_plan *p, const char *id)
{
        for (size_t i = 0; i < p->nmemories; i++)
                if (strcmp(p->memories[i].id, id) == 0)
                        return 1;
        return 0;
}

static void test_plan_follows_the_clock(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        char c[41];
        struct err err;
        /* ops = session (30d): expires 2026-01-31T00:00:00.000Z. */
        CHECK_INT(add_at(s, "2026-01-01T00:00:00Z", "mem-0000000000000001", "ops", "A", NULL, c),
                  0);
        CHECK_INT(
            add_at(s, "2026-01-01T00:00:00Z", "mem-0000000000000002", "handbook", "B", NULL, c), 0);
        struct purge_plan p;
        CHECK_INT(purge_plan_compute(s, at("2026-01-30T23:59:59.999Z"), &p, &err), 0);
        CHECK_INT(p.nmemories, 0);
        purge_plan_free(&p);
        /* Expiry is inclusive: at the expires instant the memory is due. */
        CHECK_INT(purge_plan_compute(s, at("2026-01-31T00:00:00.000Z"), &p, &err), 0);
        CHECK_INT(p.nmemories, 1);
        CHECK(planned(&p, "mem-0000000000000001"));
        CHECK(!planned(&p, "mem-0000000000000002")); /* pinned: never */
        CHECK_STR(p.clock, "2026-01-31T00:00:00.000Z");
        purge_plan_free(&p);
        CHECK_INT(purge_plan_compute(s, at("2099-01-01T00:00:00Z"), &p, &err), 0);
        CHECK_INT(p.nmemories, 1);
        purge_plan_free(&p);
        home_gone(h, s);
}

static void test_holds_keep_memories(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        char c[41];
        struct err err;
        const char *t0 = "2026-01-01T00:00:00Z";
        CHECK_INT(add_at(s, t0, "mem-00000000000000a1", "ops", "held by id", NULL, c), 0);
        CHECK_INT(add_at(s, t0, "mem-00000000000000a2", "ops", "held by session", "sesn_x/e1", c),
                  0);
        CHECK_INT(add_at(s, t0, "mem-00000000000000a3", "ops", "free", "sesn_y/e1", c), 0);
        CHECK_INT(add_at(s, t0, "mem-00000000000000b1", "ops2", "held by scope", NULL, c), 0);
        int64_t id;
        CHECK_INT(purge_hold_add(s, "olga", "memory", "mem-00000000000000a1", "r", &id, &err), -1);
        CHECK_INT(purge_hold_add(s, "carol", "memory", "mem-00000000000000a1", "r", &id, &err), 0);
        CHECK_INT(purge_hold_add(s, "carol", "session", "sesn_x", "r", &id, &err), 0);
        CHECK_INT(purge_hold_add(s, "carol", "scope", "ops2", "r", &id, &err), 0);
        struct purge_plan p;
        /* ops2 has the default class, standard (365d). */
        CHECK_INT(purge_plan_compute(s, at("2028-01-01T00:00:00Z"), &p, &err), 0);
        CHECK_INT(p.nmemories, 1);
        CHECK(planned(&p, "mem-00000000000000a3"));
        CHECK_INT(p.nskipped, 3);
        for (size_t i = 0; i < p.nskipped; i++) {
                const struct purge_skip *k = &p.skipped[i];
                CHECK_STR(k->kind, "memory");
                CHECK(k->hold_id >= 1 && k->hold_id <= 3);
                CHECK(strstr(k->hold, "legal hold") != NULL);
        }
        purge_plan_free(&p);
        /* Released: the memory is due again, and its front matter says so. */
        CHECK_INT(purge_hold_remove(s, "carol", "memory", "mem-00000000000000a1", NULL, &err), 0);
        struct memory *m = NULL;
        CHECK_INT(store_read_memory(s, "mem-00000000000000a1", NULL, &m, &err), 0);
        CHECK_INT(m ? m->legal_hold : -1, 0);
        memory_free(m);
        CHECK_INT(purge_plan_compute(s, at("2028-01-01T00:00:00Z"), &p, &err), 0);
        CHECK_INT(p.nmemories, 2);
        purge_plan_free(&p);
        home_gone(h, s);
}

static void test_map_commit_after_rewrite(void)
{
        struct store *s = NULL;
        struct home *h = home_fresh(&s);
        char keep1[41], secret[41], keep2[41], out[41];
        struct err err;
        const char *t0 = "2026-01-01T00:00:00Z";
        CHECK_INT(add_at(s, t0, "mem-00000000000000c1", "ops", "Kept one", NULL, keep1), 0);
        CHECK_INT(add_at(s, t0, "mem-00000000000000c2", "ops", "Mentions Ada Zyx", NULL, secret),
                  0);
        CHECK_INT(add_at(s, t0, "mem-00000000000000c3", "ops", "Kept two", NULL, keep2), 0);
        int rewritten = -1;
        CHECK_INT(store_map_commit(s, keep2, out, &rewritten, &err), 0);
        CHECK_STR(out, keep2);
        CHECK_INT(rewritten, 0);
        struct forget_opts o = {.subject = "ada zyx", .principal = "carol"};
        struct forget_result r;
        CHECK_INT(forget_run(s, &o, &r, &err), 0);
        CHECK_INT(r.nmemories, 1);
        CHECK_INT(r.dropped, 1);
        char head[41];
        CHECK_INT(store_head(s, head, &err), 0);
        CHECK_STR(r.new_head, head);
        /* keep1 predates the erased memory: unchanged. */
        CHECK_INT(store_map_commit(s, keep1, out, &rewritten, &err), 0);
        CHECK_STR(out, keep1);
        CHECK_INT(rewritten, 0);
        /* The commit that only added the erased memory maps to its parent. */
        CHECK_INT(store_map_commit(s, secret, out, &rewritten, &err), 0);
        CHECK_STR(out, keep1);
        CHECK_INT(rewritten, 1);
        CHECK_INT(store_map_commit(s, keep2, out, &rewritten, &err), 0);
        CHECK_STR(out, head);
        CHECK_INT(rewritten, 1);
        CHECK_INT(
            store_map_commit(s, "0123456789012345678901234567890123456789", out, &rewritten, &err),
            -1);
        CHECK(strstr(err.msg, "not in the memory store") != NULL);
        forget_result_free(&r);
        home_gone(h, s);
}

int main(void)
{
        test_plan_follows_the_clock();
        test_holds_keep_memories();
        test_map_commit_after_rewrite();
        unsetenv("CURATOR_NOW");
        printf("%d checks, %d failed\n", check_count, check_failures);
        return check_failures != 0;
}
