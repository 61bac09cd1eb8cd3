/* OWNERS: gitignore-style patterns, last match wins, groups from SQLite. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "db_store.h"
#include "owners.h"

static void test_patterns(void)
{
        CHECK(owners_pattern_matches("*", "memories/app/x.md"));
        CHECK(owners_pattern_matches("*", "OWNERS"));
        CHECK(owners_pattern_matches("*.md", "memories/app/x.md"));
        CHECK(!owners_pattern_matches("*.md", "OWNERS"));
        CHECK(owners_pattern_matches("memories/app/", "memories/app/x.md"));
        CHECK(!owners_pattern_matches("memories/app/", "memories/app-eu/x.md"));
        CHECK(!owners_pattern_matches("memories/app/", "memories/application/x.md"));
        CHECK(owners_pattern_matches("/memories/app/", "memories/app/x.md"));
        CHECK(owners_pattern_matches("memories/app", "memories/app/x.md"));
        /* no slash: matches at any depth */
        CHECK(owners_pattern_matches("app/", "memories/app/x.md"));
        CHECK(owners_pattern_matches("app", "memories/app/x.md"));
        CHECK(!owners_pattern_matches("/app/", "memories/app/x.md"));
        /* a trailing slash wants a directory, not a file of that name */
        CHECK(!owners_pattern_matches("x.md/", "memories/app/x.md"));
        CHECK(owners_pattern_matches("memories/*/x.md", "memories/web/x.md"));
        CHECK(!owners_pattern_matches("memories/*/x.md", "memories/a/b/x.md"));
        CHECK(owners_pattern_matches("memories/**/x.md", "memories/a/b/x.md"));
        CHECK(owners_pattern_matches("memories/**/x.md", "memories/x.md"));
        CHECK(owners_pattern_matches("**/release-*.md", "memories/ops/release-notes-ab.md"));
        CHECK(owners_pattern_matches("memories/**", "memories/ops/a.md"));
        CHECK(!owners_pattern_matches("memories/**", "OWNERS"));
        CHECK(owners_pattern_matches("memories/app-[0-9]/", "memories/app-7/a.md"));
        CHECK(!owners_pattern_matches("memories/app-[!0-9]/", "memories/app-7/a.md"));
        CHECK(owners_pattern_matches("memories/ap?/", "memories/app/a.md"));
        CHECK(!owners_pattern_matches("memories/ap?/", "memories/ap/a.md"));
}

static const char owners_text[] = "# comment line\n"
                                  "*                    @admins\n"
                                  "memories/app/        alice @app-team   # trailing comment\n"
                                  "memories/app/secrets-*.md  carol\n"
                                  "\n"
                                  "memories/ops/\n"
                                  "memories/#odd/       dave\n";

static void test_last_match_wins(void)
{
        struct owners *o = NULL;
        struct err err = {{0}};
        CHECK_INT(owners_parse(owners_text, strlen(owners_text), "OWNERS", &o, &err), 0);
        if (!o)
                return;
        CHECK_INT(o->n, 5);
        const struct owners_rule *r = owners_for_path(o, "memories/web/a.md");
        CHECK(r && r->line == 2 && r->nowners == 1 && strcmp(r->owners[0], "@admins") == 0);
        r = owners_for_path(o, "memories/app/run-tests-0123456789abcdef.md");
        CHECK(r && r->line == 3 && r->nowners == 2);
        CHECK(r && strcmp(r->owners[1], "@app-team") == 0);
        r = owners_for_path(o, "memories/app/secrets-rotation-0123456789abcdef.md");
        CHECK(r && r->line == 4 && r->nowners == 1 && strcmp(r->owners[0], "carol") == 0);
        r = owners_for_path(o, "memories/ops/a.md");
        CHECK(r && r->line == 6 && r->nowners == 0); /* unowned: admins only */
        r = owners_for_path(o, "memories/#odd/a.md");
        CHECK(r && r->line == 7);
        owners_free(o);

        const char *none = "memories/app/ alice\n";
        CHECK_INT(owners_parse(none, strlen(none), "OWNERS", &o, &err), 0);
        CHECK(owners_for_path(o, "README.md") == NULL);
        owners_free(o);
}

static void test_bad_owners(void)
{
        struct owners *o = NULL;
        struct err err = {{0}};
        const char *t = "*  @admins\nmemories/app/ alice!\n";
        CHECK_INT(owners_parse(t, strlen(t), "OWNERS", &o, &err), -1);
        CHECK(strstr(err.msg, "OWNERS:2:") && strstr(err.msg, "alice!"));
        t = "memories/[app/ alice\n";
        CHECK_INT(owners_parse(t, strlen(t), "OWNERS", &o, &err), -1);
        CHECK(strstr(err.msg, "OWNERS:1:") && strstr(err.msg, "unclosed"));
}

static void test_groups(void)
{
        char dir[] = "/tmp/curator-owners.XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        char path[256];
        snprintf(path, sizeof(path), "%s/curator.db", dir);
        struct db *db = NULL;
        struct err err = {{0}};
        int applied = 0;
        CHECK_INT(db_open(path, &db, &err), 0);
        CHECK_INT(db_migrate(db, &applied, &err), 0);
        CHECK_INT(db_principals_add(db, "alice", "owner", "app", &err), 0);
        CHECK_INT(db_principals_add(db, "bob", "owner", NULL, &err), 0);
        CHECK_INT(db_principals_add(db, "carol", "agent", NULL, &err), 0);
        CHECK_INT(db_principals_add(db, "alice", "admin", NULL, &err), -1);
        CHECK(strstr(err.msg, "already exists") != NULL);
        CHECK_INT(db_principals_add(db, "dan", "superuser", NULL, &err), -1);
        const char *members[] = {"bob"};
        CHECK_INT(db_groups_add(db, "app-team", members, 1, &err), 0);
        const char *ghost[] = {"bob", "nobody"};
        CHECK_INT(db_groups_add(db, "ghosts", ghost, 2, &err), -1);
        CHECK(strstr(err.msg, "'nobody' is not a principal") != NULL);

        struct owners *o = NULL;
        CHECK_INT(owners_parse(owners_text, strlen(owners_text), "OWNERS", &o, &err), 0);
        const struct owners_rule *app = owners_for_path(o, "memories/app/a-0123456789abcdef.md");
        int owns = -1;
        CHECK_INT(owners_principal_owns(db, app, "alice", &owns, &err), 0);
        CHECK_INT(owns, 1); /* named directly */
        CHECK_INT(owners_principal_owns(db, app, "bob", &owns, &err), 0);
        CHECK_INT(owns, 1); /* through @app-team */
        CHECK_INT(owners_principal_owns(db, app, "carol", &owns, &err), 0);
        CHECK_INT(owns, 0);
        const struct owners_rule *sec =
            owners_for_path(o, "memories/app/secrets-x-0123456789abcdef.md");
        CHECK_INT(owners_principal_owns(db, sec, "alice", &owns, &err), 0);
        CHECK_INT(owns, 0); /* a later line took it from alice */
        CHECK_INT(owners_principal_owns(db, NULL, "alice", &owns, &err), 0);
        CHECK_INT(owns, 0);
        owners_free(o);

        struct principal p = {0};
        int found = 0;
        CHECK_INT(db_principals_get(db, "bob", &p, &found, &err), 0);
        CHECK_INT(found, 1);
        CHECK_STR(p.role, "owner");
        CHECK_STR(p.groups, "app-team");
        CHECK(p.scopes == NULL);
        principal_clear(&p);
        db_close(db);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        CHECK_INT(system(cmd), 0);
}

/* Regression (tests/fuzz/fuzz_config): a pattern of many stars took
 * exponential time against a path it does not match. */
static void test_many_stars(void)
{
        char pat[128] = "memor";
        memset(pat + 5, '*', 60);
        strcpy(pat + 65, "m");
        CHECK(!owners_pattern_matches(pat, "memories/shop/a-very-long-memory-file-name-that-goes-on-"
                                           "and-on-and-on-0123456789abcdef.md"));
        CHECK(owners_pattern_matches("memor*****s/shop/**", "memories/shop/x.md"));
        char longpat[1100];
        memset(longpat, 'a', sizeof(longpat) - 1);
        longpat[sizeof(longpat) - 1] = '\0';
        struct buf text = BUF_INIT;
        buf_addf(&text, "%s alice\n", longpat);
        struct owners *o = NULL;
        struct err err;
        CHECK(owners_parse(text.ptr, text.len, "OWNERS", &o, &err) < 0);
        CHECK(strstr(err.msg, "OWNERS:1: pattern is longer than 1024 bytes") != NULL);
        buf_free(&text);
}

int main(void)
{
        RUN(test_patterns);
        RUN(test_many_stars);
        RUN(test_last_match_wins);
        RUN(test_bad_owners);
        RUN(test_groups);
        return CHECK_DONE();
}
