/* curator memories list|show|history|log|revert: reading the store, and
 * undoing a commit. Memories enter the store only through review. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "home.h"
#include "store.h"
#include "timestamp.h"

const char cmd_memories_usage[] =
    "usage: curator [--home DIR] memories <subcommand> [options]\n"
    "\n"
    "Reads the git memory store (docs/STORE.md).\n"
    "\n"
    "  list [--scope S] [--at COMMIT] [--json]   every memory at head or at COMMIT\n"
    "  show ID|PATH [--at COMMIT] [--json]       one memory file, as stored\n"
    "  history ID [--json]                       the commits that added, changed or\n"
    "                                            deleted memory ID, newest first\n"
    "  log [--at COMMIT] [--limit N] [--json]    the store's commits, newest first,\n"
    "                                            with author, trailers and paths\n"
    "  revert COMMIT --as PRINCIPAL [--json]     undo COMMIT with a new commit;\n"
    "                                            only admins or the owners of every\n"
    "                                            path it touched may\n"
    "  fetch --scope S [--q TEXT] [--budget-tokens N] [--format json|markdown]\n"
    "        [--commit COMMIT]                   the bundle an agent gets from\n"
    "                                            GET /v1/memories (docs/SERVING.md)\n"
    "\n"
    "COMMIT is a commit id (full or abbreviated), HEAD, or HEAD~N.\n"
    "Exit status: 0 ok, 2 error (including a revert conflict).\n";

struct memories_opts {
        const char *scope, *at, *as;
        long limit;
        int json;
};

/* Parses the options every subcommand shares; positional arguments stay in
 * argv[optind..]. */
static int parse_opts(int argc, char **argv, struct memories_opts *o)
{
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'}, {"at", required_argument, NULL, 'a'},
            {"as", required_argument, NULL, 'p'},    {"limit", required_argument, NULL, 'n'},
            {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0},
        };
        int c;
        memset(o, 0, sizeof(*o));
        /* 0, not 1: makes glibc forget main's "+" (stop at the first
         * non-option) mode, so options may follow positional arguments. */
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o->scope = optarg;
                        break;
                case 'a':
                        o->at = optarg;
                        break;
                case 'p':
                        o->as = optarg;
                        break;
                case 'n': {
                        char *end = NULL;
                        o->limit = strtol(optarg, &end, 10);
                        if (!end || *end || o->limit < 0) {
                                fprintf(stderr, "curator memories: --limit wants a number\n");
                                return -1;
                        }
                        break;
                }
                case 'j':
                        o->json = 1;
                        break;
                default:
                        return -1;
                }
        }
        return 0;
}

static void json_print(cJSON *j)
{
        char *s = cJSON_Print(j);
        if (s)
                printf("%s\n", s);
        free(s);
        cJSON_Delete(j);
}

static cJSON *json_strings(const struct memory_list_str *l)
{
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < l->n; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(l->v[i]));
        return a;
}

static cJSON *memory_json(const struct memory *m, int with_text)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", m->id);
        cJSON_AddStringToObject(o, "path", m->path ? m->path : "");
        cJSON_AddStringToObject(o, "scope", m->scope);
        cJSON_AddStringToObject(o, "owner", m->owner);
        cJSON_AddStringToObject(o, "retention", m->retention);
        cJSON_AddStringToObject(o, "created", m->created);
        cJSON_AddStringToObject(o, "updated", m->updated);
        cJSON_AddStringToObject(o, "expires", m->expires);
        cJSON_AddBoolToObject(o, "legal_hold", m->legal_hold);
        cJSON_AddItemToObject(o, "sources", json_strings(&m->sources));
        cJSON_AddItemToObject(o, "tags", json_strings(&m->tags));
        if (with_text)
                cJSON_AddStringToObject(o, "text", m->body ? m->body : "");
        return o;
}

static cJSON *commit_json(const struct store_commit *c)
{
        char when[TIMESTAMP_LEN + 1];
        timestamp_format(c->when_ms, when);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "commit", c->id);
        cJSON_AddStringToObject(o, "author", c->author_name);
        cJSON_AddStringToObject(o, "email", c->author_email);
        cJSON_AddStringToObject(o, "date", when);
        cJSON_AddStringToObject(o, "subject", c->subject);
        cJSON_AddStringToObject(o, "message", c->message);
        cJSON *tr = cJSON_AddArrayToObject(o, "trailers");
        for (size_t i = 0; i < c->ntrailers; i++) {
                cJSON *t = cJSON_CreateObject();
                cJSON_AddStringToObject(t, "key", c->trailers[i].key);
                cJSON_AddStringToObject(t, "value", c->trailers[i].value);
                cJSON_AddItemToArray(tr, t);
        }
        cJSON *paths = cJSON_AddArrayToObject(o, "paths");
        for (size_t i = 0; i < c->paths.n; i++) {
                const struct store_path_change *p = &c->paths.v[i];
                cJSON *pj = cJSON_CreateObject();
                char st[2] = {p->status, '\0'};
                cJSON_AddStringToObject(pj, "status", st);
                cJSON_AddStringToObject(pj, "path", p->path);
                if (p->memory_id[0])
                        cJSON_AddStringToObject(pj, "memory", p->memory_id);
                cJSON_AddItemToArray(paths, pj);
        }
        return o;
}

static void commit_print(const struct store_commit *c)
{
        char when[TIMESTAMP_LEN + 1];
        timestamp_format(c->when_ms, when);
        printf("%.12s %s %s  %s\n", c->id, when, c->author_name, c->subject);
        for (size_t i = 0; i < c->ntrailers; i++)
                printf("    %s: %s\n", c->trailers[i].key, c->trailers[i].value);
        for (size_t i = 0; i < c->paths.n; i++)
                printf("    %c %s\n", c->paths.v[i].status, c->paths.v[i].path);
}

static int run_list(struct store *s, const struct memories_opts *o, struct err *err)
{
        char commit[41];
        struct store_memories l = {0};
        if (store_resolve(s, o->at, commit, err) < 0 ||
            store_list(s, commit, o->scope, &l, err) < 0) {
                store_memories_free(&l);
                return cmd_fail("memories list", err);
        }
        if (o->json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "commit", commit);
                cJSON *a = cJSON_AddArrayToObject(j, "memories");
                for (size_t i = 0; i < l.n; i++)
                        cJSON_AddItemToArray(a, memory_json(l.v[i], 1));
                json_print(j);
        } else {
                printf("%-20s %-16s %-16s %-10s %-24s %s\n", "ID", "SCOPE", "OWNER", "RETENTION",
                       "EXPIRES", "PATH");
                for (size_t i = 0; i < l.n; i++) {
                        const struct memory *m = l.v[i];
                        printf("%-20s %-16s %-16s %-10s %-24s %s%s\n", m->id, m->scope, m->owner,
                               m->retention, m->expires, m->path, m->legal_hold ? " (hold)" : "");
                }
                printf("%zu memories at %.12s\n", l.n, commit);
        }
        store_memories_free(&l);
        return CMD_OK;
}

static int run_show(struct store *s, const char *what, const struct memories_opts *o,
                    struct err *err)
{
        char commit[41];
        struct memory *m = NULL;
        if (store_resolve(s, o->at, commit, err) < 0 ||
            store_read_memory(s, what, commit, &m, err) < 0)
                return cmd_fail("memories show", err);
        if (o->json) {
                cJSON *j = memory_json(m, 1);
                cJSON_AddStringToObject(j, "commit", commit);
                json_print(j);
        } else {
                struct buf text = BUF_INIT;
                /* The file exactly as stored, so it can be diffed or piped. */
                if (store_read_file(s, m->path, commit, &text, err) < 0) {
                        memory_free(m);
                        return cmd_fail("memories show", err);
                }
                fwrite(text.ptr, 1, text.len, stdout);
                buf_free(&text);
        }
        memory_free(m);
        return CMD_OK;
}

static int print_log(const struct store_log *log, const char *memory, int json)
{
        if (json) {
                cJSON *j = cJSON_CreateObject();
                if (memory)
                        cJSON_AddStringToObject(j, "memory", memory);
                cJSON *a = cJSON_AddArrayToObject(j, "commits");
                for (size_t i = 0; i < log->n; i++)
                        cJSON_AddItemToArray(a, commit_json(&log->v[i]));
                json_print(j);
        } else {
                for (size_t i = 0; i < log->n; i++)
                        commit_print(&log->v[i]);
        }
        return CMD_OK;
}

static int run_revert(struct store *s, const char *commit, const struct memories_opts *o,
                      struct err *err)
{
        if (!o->as) {
                fprintf(stderr, "curator memories revert: --as PRINCIPAL is required\n");
                return CMD_ERROR;
        }
        char full[41], out[41];
        if (store_resolve(s, commit, full, err) < 0)
                return cmd_fail("memories revert", err);
        if (store_revert(s, full, o->as, out, err) != 0)
                return cmd_fail("memories revert", err);
        if (o->json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddStringToObject(j, "commit", out);
                cJSON_AddStringToObject(j, "reverts", full);
                cJSON_AddStringToObject(j, "approved_by", o->as);
                json_print(j);
        } else {
                printf("reverted %.12s as %s (commit %s)\n", full, o->as, out);
        }
        return CMD_OK;
}

int cmd_memories(int argc, char **argv, const struct cli *cli)
{
        if (argc < 2) {
                fputs(cmd_memories_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1];
        if (strcmp(sub, "fetch") == 0) /* its own flags: cmd_serve.c */
                return cmd_memories_fetch(argc - 1, argv + 1, cli);
        struct memories_opts o;
        if (parse_opts(argc - 1, argv + 1, &o) < 0) {
                fputs(cmd_memories_usage, stderr);
                return CMD_ERROR;
        }
        int npos = argc - 1 - optind;
        char **pos = argv + 1 + optind;
        int want =
            strcmp(sub, "show") == 0 || strcmp(sub, "history") == 0 || strcmp(sub, "revert") == 0
                ? 1
                : 0;
        if (strcmp(sub, "list") && strcmp(sub, "log") && !want) {
                fprintf(stderr,
                        "curator memories: '%s' is not a subcommand (list, show, history, "
                        "log, revert)\n",
                        sub);
                return CMD_ERROR;
        }
        if (npos != want) {
                fprintf(stderr, "curator memories %s: %s\n", sub,
                        want ? "takes exactly one ID, PATH or COMMIT" : "takes no arguments");
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("memories", &err);
        if (store_open(h, &s, &err) < 0) {
                home_close(h);
                return cmd_fail("memories", &err);
        }
        int rc;
        if (strcmp(sub, "list") == 0) {
                rc = run_list(s, &o, &err);
        } else if (strcmp(sub, "show") == 0) {
                rc = run_show(s, pos[0], &o, &err);
        } else if (strcmp(sub, "revert") == 0) {
                rc = run_revert(s, pos[0], &o, &err);
        } else {
                struct store_log log = {0};
                int r = strcmp(sub, "history") == 0
                            ? store_history(s, pos[0], &log, &err)
                            : store_log(s, o.at, (size_t)o.limit, &log, &err);
                rc = r < 0 ? cmd_fail(strcmp(sub, "history") == 0 ? "memories history"
                                                                  : "memories log",
                                      &err)
                           : print_log(&log, strcmp(sub, "history") == 0 ? pos[0] : NULL, o.json);
                store_log_free(&log);
        }
        store_close(s);
        home_close(h);
        return rc;
}
