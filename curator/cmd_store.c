/* curator store verify|reindex: checking the store and rebuilding its index. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fileio.h"
#include "home.h"
#include "store.h"

const char cmd_store_usage[] =
    "usage: curator [--home DIR] store <subcommand> [--json]\n"
    "\n"
    "  verify    check the memory store: every object reachable from main reads\n"
    "            and hashes to its id, every memory file's front matter is valid\n"
    "            and in place, OWNERS parses, and the SQLite index matches head\n"
    "            row for row. Exit 0 if clean, 1 if problems were found (each is\n"
    "            listed), 2 if the check could not run.\n"
    "  reindex   rebuild the SQLite index of head from store.git (also after\n"
    "            curator.db was lost: it is recreated).\n";

static int run_verify(struct store *s, int json)
{
        struct err err;
        struct store_report r;
        if (store_verify(s, &r, &err) < 0)
                return cmd_fail("store verify", &err);
        if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "head", r.head);
                cJSON_AddStringToObject(j, "indexed", r.indexed);
                cJSON_AddNumberToObject(j, "commits", (double)r.commits);
                cJSON_AddNumberToObject(j, "objects", (double)r.objects);
                cJSON_AddNumberToObject(j, "memories", (double)r.memories);
                cJSON_AddNumberToObject(j, "index_rows", (double)r.index_rows);
                cJSON_AddBoolToObject(j, "ok", r.n == 0);
                cJSON *a = cJSON_AddArrayToObject(j, "problems");
                for (size_t i = 0; i < r.n; i++) {
                        cJSON *p = cJSON_CreateObject();
                        cJSON_AddStringToObject(p, "kind", store_problem_kind_name(r.v[i].kind));
                        if (r.v[i].path)
                                cJSON_AddStringToObject(p, "path", r.v[i].path);
                        cJSON_AddStringToObject(p, "detail", r.v[i].detail);
                        cJSON_AddItemToArray(a, p);
                }
                char *text = cJSON_Print(j);
                printf("%s\n", text);
                free(text);
                cJSON_Delete(j);
        } else {
                for (size_t i = 0; i < r.n; i++)
                        printf("%s: %s%s%s\n", store_problem_kind_name(r.v[i].kind),
                               r.v[i].path ? r.v[i].path : "", r.v[i].path ? ": " : "",
                               r.v[i].detail);
                printf("%s: %zu commits, %zu objects, %zu memories, %zu index rows at %.12s; "
                       "%zu problem%s\n",
                       r.n ? "problems" : "ok", r.commits, r.objects, r.memories, r.index_rows,
                       r.head, r.n, r.n == 1 ? "" : "s");
        }
        int rc = r.n ? CMD_FOUND : CMD_OK;
        store_report_free(&r);
        return rc;
}

static int run_reindex(struct store *s, int json)
{
        struct err err;
        size_t count = 0;
        char head[41];
        if (store_reindex(s, &count, &err) < 0 || store_head(s, head, &err) < 0)
                return cmd_fail("store reindex", &err);
        if (json)
                printf("{\"head\": \"%s\", \"memories\": %zu}\n", head, count);
        else
                printf("indexed %zu memories at %.12s\n", count, head);
        return CMD_OK;
}

int cmd_store(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
        int json = 0, c;
        if (argc < 2) {
                fputs(cmd_store_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1];
        optind = 0; /* full reset: main's getopt state must not carry over */
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                if (c != 'j') {
                        fputs(cmd_store_usage, stderr);
                        return CMD_ERROR;
                }
                json = 1;
        }
        int verify = strcmp(sub, "verify") == 0;
        if ((!verify && strcmp(sub, "reindex") != 0) || optind != argc - 1) {
                fputs(cmd_store_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        const char *dir = home_resolve(cli->home);
        int rc;
        if (verify) {
                rc = home_open(dir, &h, &err);
        } else {
                /* reindex must work when curator.db is gone: the store is the truth. */
                char *store_path = fileio_join(dir, "store.git");
                int have_store = fileio_is_dir(store_path);
                free(store_path);
                if (!have_store) {
                        fprintf(stderr,
                                "curator store reindex: no memory store in %s (run "
                                "`curator init`)\n",
                                dir);
                        return CMD_ERROR;
                }
                int created = 0;
                rc = home_init(dir, &h, &created, &err);
        }
        if (rc < 0)
                return cmd_fail(verify ? "store verify" : "store reindex", &err);
        if (store_open(h, &s, &err) < 0) {
                home_close(h);
                return cmd_fail(verify ? "store verify" : "store reindex", &err);
        }
        rc = verify ? run_verify(s, json) : run_reindex(s, json);
        store_close(s);
        home_close(h);
        return rc;
}
