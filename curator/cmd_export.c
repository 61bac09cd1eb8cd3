/* curator export, curator mcp: feeding the platform. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "export.h"
#include "home.h"
#include "mcp.h"
#include "store.h"

const char cmd_export_usage[] =
    "usage: curator [--home DIR] export --scope S --to DIR [--commit COMMIT]\n"
    "\n"
    "Writes the scope's memories as a /memories-style directory (the layout of the\n"
    "memory tool): one Markdown file per memory, named from its store path, and\n"
    "nothing else. The files are written beside DIR and swapped in with one\n"
    "rename, so a reader never sees a half-written directory.\n";

const char cmd_mcp_usage[] =
    "usage: curator [--home DIR] mcp --principal P\n"
    "\n"
    "Serves MCP over stdio (JSON-RPC 2.0, one message a line) with the tools\n"
    "memory_search {scope, query, budget_tokens} and memory_view {id}, limited to\n"
    "the scopes of principal P.\n";

int cmd_export(int argc, char **argv, const struct cli *cli)
{
        if (cmd_export_wants_format(argc, argv)) /* --format claude-code: cmd_platform.c */
                return cmd_export_format(argc, argv, cli);
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'},
            {"to", required_argument, NULL, 't'},
            {"commit", required_argument, NULL, 'c'},
            {NULL, 0, NULL, 0},
        };
        const char *scope = NULL, *to = NULL, *commit = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's')
                        scope = optarg;
                else if (c == 't')
                        to = optarg;
                else if (c == 'c')
                        commit = optarg;
                else {
                        fputs(cmd_export_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (!scope || !to || optind < argc) {
                fputs(cmd_export_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("export", &err);
        int rc = CMD_OK;
        size_t n = 0;
        char used[41];
        if (store_open(h, &s, &err) < 0 ||
            export_scope_dir(s, scope, commit, to, &n, used, &err) < 0) {
                rc = cmd_fail("export", &err);
        } else {
                char obj[128], detail[160];
                snprintf(obj, sizeof(obj), "scope:%s", scope);
                snprintf(detail, sizeof(detail), "{\"commit\":\"%s\",\"files\":%zu}", used, n);
                if (audit_append(h->db, "cli", "memories.export", obj, detail, &err) < 0)
                        rc = cmd_fail("export", &err);
                else
                        printf("exported %zu memories of %s at %.12s to %s\n", n, scope, used, to);
        }
        store_close(s);
        home_close(h);
        return rc;
}

int cmd_mcp(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"principal", required_argument, NULL, 'p'},
            {NULL, 0, NULL, 0},
        };
        const char *name = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'p') {
                        name = optarg;
                } else {
                        fputs(cmd_mcp_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (!name) {
                fprintf(stderr, "curator mcp: --principal P is required\n");
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        struct principal who = {0};
        int found = 0, rc = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("mcp", &err);
        if (store_open(h, &s, &err) < 0 || db_principals_get(h->db, name, &who, &found, &err) < 0) {
                rc = cmd_fail("mcp", &err);
                goto out;
        }
        if (!found) {
                fprintf(stderr, "curator mcp: '%s' is not a principal\n", name);
                rc = CMD_ERROR;
                goto out;
        }
        struct mcp m = {.home = h, .store = s, .who = &who};
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        struct buf out = BUF_INIT;
        while ((len = getline(&line, &cap, stdin)) >= 0) {
                while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        len--;
                if (!len)
                        continue;
                buf_reset(&out);
                mcp_handle_message(&m, line, (size_t)len, &out);
                if (out.len) {
                        fwrite(out.ptr, 1, out.len, stdout);
                        fflush(stdout);
                }
        }
        free(line);
        buf_free(&out);
out:
        principal_clear(&who);
        store_close(s);
        home_close(h);
        return rc;
}
