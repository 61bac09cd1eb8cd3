/* curator serve, curator tokens, curator memories fetch */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bundle.h"
#include "cmd.h"
#include "db_serve.h"
#include "home.h"
#include "serve.h"
#include "sha256.h"
#include "store.h"
#include "tokens.h"

const char cmd_serve_usage[] =
    "usage: curator [--home DIR] serve [--listen HOST:PORT] [--threads N]\n"
    "                                  [--max-seconds N] [--grace-ms N]\n"
    "\n"
    "Serves the HTTP API (docs/api.yaml, docs/SERVING.md): agents fetch memory\n"
    "bundles, ingest events; reviewers list, approve and reject diffs; compliance\n"
    "reads the audit log; agents reach the MCP server at /mcp. Callers\n"
    "authenticate with bearer tokens from `curator tokens create`; platform\n"
    "webhooks (POST /v1/hooks/platform) with their signature. Dreaming passes,\n"
    "purges and platform pulls run on [schedule] dream, purge and pull; webhooks\n"
    "are delivered from their queue.\n"
    "\n"
    "Options:\n"
    "  --listen HOST:PORT  where to listen (default [serve] listen, else\n"
    "                      127.0.0.1:8700); port 0 picks a free port\n"
    "  --threads N         worker threads (default [serve] threads, else CPUs)\n"
    "  --max-seconds N     stop by itself after N seconds, as on SIGTERM\n"
    "  --grace-ms N        how long shutdown waits for requests in flight (10000)\n"
    "\n"
    "Prints `listening on HOST:PORT` once ready. SIGTERM or SIGINT stops taking\n"
    "connections, lets requests in flight finish, flushes the audit log and exits 0.\n";

const char cmd_tokens_usage[] =
    "usage: curator [--home DIR] tokens <subcommand> [options]\n"
    "\n"
    "  create --principal P [--expires 30d] [--json]\n"
    "                       a bearer token for principal P, printed once: only\n"
    "                       its SHA-256 is stored\n"
    "  list [--json]        every token: id, principal, created, expires, revoked\n"
    "  revoke ID            revoke a token by its id (tok_...)\n";

static void on_listen(void *ctx, const char *addr)
{
        (void)ctx;
        printf("listening on %s\n", addr);
        fflush(stdout);
}

static void on_warning(void *ctx, const char *what, const char *msg)
{
        (void)ctx;
        fprintf(stderr, "curator serve: %s: %s\n", what, msg);
}

static int parse_long(const char *flag, const char *s, long *out)
{
        char *end = NULL;
        *out = strtol(s, &end, 10);
        if (!*s || !end || *end || *out < 0) {
                fprintf(stderr, "curator: %s wants a number, not '%s'\n", flag, s);
                return -1;
        }
        return 0;
}

int cmd_serve(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"listen", required_argument, NULL, 'l'},
            {"threads", required_argument, NULL, 't'},
            {"max-seconds", required_argument, NULL, 'm'},
            {"grace-ms", required_argument, NULL, 'g'},
            {NULL, 0, NULL, 0},
        };
        struct serve_options o = {
            .home_dir = home_resolve(cli->home), .on_listen = on_listen, .on_warning = on_warning};
        long v;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'l':
                        o.listen = optarg;
                        break;
                case 't':
                        if (parse_long("--threads", optarg, &v) < 0)
                                return CMD_ERROR;
                        o.threads = (int)v;
                        break;
                case 'm':
                        if (parse_long("--max-seconds", optarg, &v) < 0)
                                return CMD_ERROR;
                        o.max_seconds = v;
                        break;
                case 'g':
                        if (parse_long("--grace-ms", optarg, &v) < 0)
                                return CMD_ERROR;
                        o.grace_ms = v;
                        break;
                default:
                        fputs(cmd_serve_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "curator serve: unexpected argument '%s'\n", argv[optind]);
                return CMD_ERROR;
        }
        struct err err;
        if (serve_run(&o, &err) < 0)
                return cmd_fail("serve", &err);
        return CMD_OK;
}

static int tokens_create_cmd(struct home *h, int argc, char **argv)
{
        static const struct option opts[] = {
            {"principal", required_argument, NULL, 'p'},
            {"expires", required_argument, NULL, 'e'},
            {"json", no_argument, NULL, 'j'},
            {NULL, 0, NULL, 0},
        };
        const char *principal = NULL, *expires = NULL;
        int json = 0, c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'p')
                        principal = optarg;
                else if (c == 'e')
                        expires = optarg;
                else if (c == 'j')
                        json = 1;
                else
                        return -2;
        }
        if (!principal) {
                fprintf(stderr, "curator tokens create: --principal P is required\n");
                return CMD_ERROR;
        }
        struct err err;
        int64_t ttl = 0;
        if (expires && config_parse_duration(expires, &ttl, &err) < 0)
                return cmd_fail("tokens create", &err);
        char text[TOKENS_TEXT_LEN + 1], id[TOKENS_ID_LEN + 1];
        if (tokens_create(h->db, principal, ttl, "cli", text, id, &err) < 0)
                return cmd_fail("tokens create", &err);
        if (json)
                printf("{\"id\":\"%s\",\"principal\":\"%s\",\"token\":\"%s\"}\n", id, principal,
                       text);
        else
                printf("%s\n", text);
        if (!json)
                fprintf(stderr, "token %s for %s: shown once; store it now\n", id, principal);
        return CMD_OK;
}

static int tokens_list_cmd(struct home *h, int json)
{
        struct db_tokens l = {0};
        struct err err;
        if (db_tokens_list(h->db, &l, &err) < 0)
                return cmd_fail("tokens list", &err);
        if (json) {
                cJSON *a = cJSON_CreateArray();
                for (size_t i = 0; i < l.n; i++) {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddStringToObject(o, "id", l.v[i].id);
                        cJSON_AddStringToObject(o, "principal", l.v[i].principal);
                        cJSON_AddStringToObject(o, "created_at", l.v[i].created_at);
                        if (l.v[i].expires_at)
                                cJSON_AddStringToObject(o, "expires_at", l.v[i].expires_at);
                        else
                                cJSON_AddNullToObject(o, "expires_at");
                        if (l.v[i].revoked_at)
                                cJSON_AddStringToObject(o, "revoked_at", l.v[i].revoked_at);
                        else
                                cJSON_AddNullToObject(o, "revoked_at");
                        cJSON_AddItemToArray(a, o);
                }
                char *s = cJSON_PrintUnformatted(a);
                puts(s);
                free(s);
                cJSON_Delete(a);
        } else {
                printf("%-17s %-16s %-24s %-24s %s\n", "ID", "PRINCIPAL", "CREATED", "EXPIRES",
                       "REVOKED");
                for (size_t i = 0; i < l.n; i++)
                        printf("%-17s %-16s %-24s %-24s %s\n", l.v[i].id, l.v[i].principal,
                               l.v[i].created_at, l.v[i].expires_at ? l.v[i].expires_at : "never",
                               l.v[i].revoked_at ? l.v[i].revoked_at : "-");
        }
        db_tokens_free(&l);
        return CMD_OK;
}

int cmd_tokens(int argc, char **argv, const struct cli *cli)
{
        if (argc < 2) {
                fputs(cmd_tokens_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1];
        if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
                fprintf(stderr, "curator tokens: '%s' is not a subcommand (create, list, revoke)\n",
                        sub);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("tokens", &err);
        int rc;
        if (strcmp(sub, "create") == 0) {
                rc = tokens_create_cmd(h, argc - 1, argv + 1);
                if (rc == -2) {
                        fputs(cmd_tokens_usage, stderr);
                        rc = CMD_ERROR;
                }
        } else if (strcmp(sub, "list") == 0) {
                rc = tokens_list_cmd(h, argc > 2 && strcmp(argv[2], "--json") == 0);
        } else if (argc != 3) {
                fprintf(stderr, "curator tokens revoke: takes exactly one token id\n");
                rc = CMD_ERROR;
        } else {
                int changed = 0;
                if (tokens_revoke(h->db, argv[2], "cli", &changed, &err) < 0) {
                        rc = cmd_fail("tokens revoke", &err);
                } else if (!changed) {
                        fprintf(stderr, "curator tokens revoke: no usable token %s\n", argv[2]);
                        rc = CMD_ERROR;
                } else {
                        printf("revoked %s\n", argv[2]);
                        rc = CMD_OK;
                }
        }
        home_close(h);
        return rc;
}

int cmd_memories_fetch(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'},
            {"q", required_argument, NULL, 'q'},
            {"budget-tokens", required_argument, NULL, 'b'},
            {"format", required_argument, NULL, 'f'},
            {"commit", required_argument, NULL, 'c'},
            {NULL, 0, NULL, 0},
        };
        struct bundle_query bq = {0};
        const char *commit = NULL, *format = NULL;
        long v;
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        bq.scope = optarg;
                        break;
                case 'q':
                        bq.q = optarg;
                        break;
                case 'b':
                        if (parse_long("--budget-tokens", optarg, &v) < 0)
                                return CMD_ERROR;
                        bq.budget_tokens = v;
                        break;
                case 'f':
                        format = optarg;
                        break;
                case 'c':
                        commit = optarg;
                        break;
                default:
                        fputs(cmd_memories_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (!bq.scope) {
                fprintf(stderr, "curator memories fetch: --scope S is required\n");
                return CMD_ERROR;
        }
        struct err err;
        if (bundle_parse_format(format, &bq.format, &err) < 0)
                return cmd_fail("memories fetch", &err);
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("memories fetch", &err);
        if (store_open(h, &s, &err) < 0) {
                home_close(h);
                return cmd_fail("memories fetch", &err);
        }
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        char used[41];
        int rc = CMD_OK;
        if (bundle_fetch(s, h->db, &bq, commit, &out, used, &st, &err) < 0) {
                rc = cmd_fail("memories fetch", &err);
        } else {
                /* Audited like a fetch over HTTP: counts and the commit, the
                 * query only as its hash. */
                struct buf d = BUF_INIT, obj = BUF_INIT;
                buf_addf(&obj, "scope:%s", bq.scope);
                buf_addf(&d,
                         "{\"commit\":\"%s\",\"format\":\"%s\",\"returned\":%zu,\"tokens\":%lld",
                         used, bq.format == BUNDLE_MARKDOWN ? "markdown" : "json", st.returned,
                         (long long)st.tokens);
                if (bq.q && *bq.q) {
                        char hex[65];
                        sha256_hex(bq.q, strlen(bq.q), hex);
                        buf_addf(&d, ",\"query_sha256\":\"%s\"", hex);
                }
                buf_adds(&d, ",\"via\":\"cli\"}");
                if (audit_append(h->db, "cli", "memories.fetch", obj.ptr, d.ptr, &err) < 0)
                        rc = cmd_fail("memories fetch", &err);
                else
                        fwrite(out.ptr ? out.ptr : "", 1, out.len, stdout);
                buf_free(&d);
                buf_free(&obj);
        }
        buf_free(&out);
        store_close(s);
        home_close(h);
        return rc;
}
