/* curator pull, curator publish, curator import: the Managed Agents platform
 * (docs/PLATFORM.md). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "export.h"
#include "home.h"
#include "platform.h"
#include "rules.h"
#include "store.h"

const char cmd_pull_usage[] =
    "usage: curator [--home DIR] pull [--agent ID] [--since TIME] [--session ID]\n"
    "                                 [--scope S] [--json]\n"
    "\n"
    "Pulls session event logs from the Claude Managed Agents API ([platform] in\n"
    "curator.conf: base_url, api_key_env or api_key_file): lists sessions, pages\n"
    "through each one's events in order after its cursor, and stores them through\n"
    "ingest (session from the URL, time from processed_at, identity from the event\n"
    "id, the rules' redaction applied). A rerun fetches only what is new; a pull\n"
    "interrupted at any point and rerun stores every event exactly once. 429 is\n"
    "retried after retry-after, 5xx and 529 with backoff; 401/403 stop at once.\n"
    "\n"
    "Options:\n"
    "  --agent ID    only sessions of this agent\n"
    "  --since TIME  only sessions created at or after TIME (RFC 3339)\n"
    "  --session ID  only this session\n"
    "  --scope S     the scope new sessions feed (default: [scope-map] agent:NAME,\n"
    "                else the agent's name)\n"
    "  --json        print one JSON object as the last line: sessions, pages,\n"
    "                events, duplicates, skipped, rejected, calls, retries\n";

const char cmd_publish_usage[] =
    "usage: curator [--home DIR] publish --scope S --memory-store ID [--dry-run] [--json]\n"
    "\n"
    "Makes a platform memory store hold exactly the scope's approved memories at\n"
    "the store head: each memory's text (without its front matter) at\n"
    "/<file name>.md, created by path, updated with a content_sha256\n"
    "precondition, deleted when the scope no longer has it. A memory purged or\n"
    "erased since it was published is deleted on the platform and all its\n"
    "platform versions redacted. A rerun with nothing new makes no call. Memories\n"
    "that cannot be published (over 102,400 bytes, a bad path) are reported, never\n"
    "truncated, and the exit status is then 1.\n"
    "\n"
    "Options:\n"
    "  --scope S          the scope to publish\n"
    "  --memory-store ID  the platform store (memstore_...); one store, one scope\n"
    "  --as P             who publishes, for the audit log\n"
    "  --dry-run          read the store and report; change nothing\n"
    "  --json             print one JSON object as the last line\n";

const char cmd_import_usage[] =
    "usage: curator [--home DIR] import --memory-store ID --scope S [--deletions]\n"
    "                                   [--as PRINCIPAL] [--json]\n"
    "\n"
    "Reads a platform memory store (e.g. one agents wrote through their mount, or a\n"
    "platform Dream's output) and proposes its differences from the scope's\n"
    "approved memories as one pending diff, hunk by hunk: add for a path the scope\n"
    "lacks, update for changed content. The rules run on every text exactly as in\n"
    "a dreaming pass (redact replaced, block blocks the hunk), and the diff goes\n"
    "through the same review and OWNERS as any other: nothing from the platform\n"
    "reaches the store unreviewed. Evidence names the platform memory version\n"
    "(memstore_.../mem_...@memver_...).\n"
    "\n"
    "Options:\n"
    "  --deletions   also propose deleting the scope's memories the store lacks\n"
    "  --as P        who imports, for the audit log\n"
    "  --json        print one JSON object as the last line\n";

static void print_json(cJSON *j)
{
        char *s = cJSON_PrintUnformatted(j);
        puts(s);
        free(s);
        cJSON_Delete(j);
}

int cmd_pull(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"agent", required_argument, NULL, 'a'},   {"since", required_argument, NULL, 's'},
            {"session", required_argument, NULL, 'S'}, {"scope", required_argument, NULL, 'c'},
            {"json", no_argument, NULL, 'j'},          {NULL, 0, NULL, 0},
        };
        struct platform_pull_options o = {0};
        int json = 0, c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        o.agent_id = optarg;
                        break;
                case 's':
                        o.since = optarg;
                        break;
                case 'S':
                        o.session_id = optarg;
                        break;
                case 'c':
                        o.scope = optarg;
                        break;
                case 'j':
                        json = 1;
                        break;
                default:
                        fputs(cmd_pull_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc) {
                fputs(cmd_pull_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct rules_set *rules = NULL;
        struct platform_pull_result res;
        int status = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("pull", &err);
        if (rules_load_default(h->cfg, &rules, &err) < 0) {
                status = cmd_fail("pull", &err);
                goto out;
        }
        o.rules = rules;
        int rc = platform_pull(h, &o, &res, &err);
        if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddBoolToObject(j, "ok", rc == 0);
                cJSON_AddNumberToObject(j, "sessions", (double)res.sessions);
                cJSON_AddNumberToObject(j, "pages", (double)res.pages);
                cJSON_AddNumberToObject(j, "events", (double)res.events);
                cJSON_AddNumberToObject(j, "duplicates", (double)res.duplicates);
                cJSON_AddNumberToObject(j, "skipped", (double)res.skipped);
                cJSON_AddNumberToObject(j, "rejected", (double)res.rejected);
                cJSON_AddNumberToObject(j, "missing", (double)res.missing);
                cJSON_AddNumberToObject(j, "calls", (double)res.calls);
                cJSON_AddNumberToObject(j, "retries", (double)res.retries);
                if (rc < 0)
                        cJSON_AddStringToObject(j, "error", err.msg);
                print_json(j);
        } else {
                printf("pull: %llu session%s, %llu page%s: %llu new event%s, %llu duplicate%s, "
                       "%llu rejected (%lu call%s, %lu retr%s)\n",
                       (unsigned long long)res.sessions, res.sessions == 1 ? "" : "s",
                       (unsigned long long)res.pages, res.pages == 1 ? "" : "s",
                       (unsigned long long)res.events, res.events == 1 ? "" : "s",
                       (unsigned long long)res.duplicates, res.duplicates == 1 ? "" : "s",
                       (unsigned long long)res.rejected, res.calls, res.calls == 1 ? "" : "s",
                       res.retries, res.retries == 1 ? "y" : "ies");
        }
        if (rc < 0)
                status = cmd_fail("pull", &err);
out:
        rules_free(rules);
        home_close(h);
        return status;
}

int cmd_publish(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'}, {"memory-store", required_argument, NULL, 'm'},
            {"as", required_argument, NULL, 'a'},    {"dry-run", no_argument, NULL, 'n'},
            {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0},
        };
        struct platform_publish_options o = {0};
        int json = 0, c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o.scope = optarg;
                        break;
                case 'm':
                        o.memory_store_id = optarg;
                        break;
                case 'a':
                        o.actor = optarg;
                        break;
                case 'n':
                        o.dry_run = 1;
                        break;
                case 'j':
                        json = 1;
                        break;
                default:
                        fputs(cmd_publish_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc || !o.scope || !o.memory_store_id) {
                fputs(cmd_publish_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        struct platform_publish_result res = {0};
        int status = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("publish", &err);
        if (store_open(h, &s, &err) < 0) {
                status = cmd_fail("publish", &err);
                goto out;
        }
        int rc = platform_publish(h, s, &o, &res, &err);
        if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddBoolToObject(j, "ok", rc == 0);
                cJSON_AddStringToObject(j, "commit", res.commit);
                cJSON_AddBoolToObject(j, "up_to_date", res.up_to_date);
                cJSON_AddBoolToObject(j, "dry_run", o.dry_run);
                cJSON_AddNumberToObject(j, "memories", res.memories);
                cJSON_AddNumberToObject(j, "created", res.created);
                cJSON_AddNumberToObject(j, "updated", res.updated);
                cJSON_AddNumberToObject(j, "deleted", res.deleted);
                cJSON_AddNumberToObject(j, "unchanged", res.unchanged);
                cJSON_AddNumberToObject(j, "conflicts", res.conflicts);
                cJSON_AddNumberToObject(j, "erased", res.erased);
                cJSON_AddNumberToObject(j, "redacted", res.redacted);
                cJSON *pr = cJSON_AddArrayToObject(j, "problems");
                for (size_t i = 0; i < res.problems.n; i++)
                        cJSON_AddItemToArray(pr, cJSON_CreateString(res.problems.v[i]));
                cJSON_AddNumberToObject(j, "calls", (double)res.calls);
                cJSON_AddNumberToObject(j, "retries", (double)res.retries);
                if (rc < 0)
                        cJSON_AddStringToObject(j, "error", err.msg);
                print_json(j);
        } else if (rc == 0) {
                if (res.up_to_date)
                        printf("publish: %s already holds scope %s at %.12s; nothing to do\n",
                               o.memory_store_id, o.scope, res.commit);
                else
                        printf("publish%s: scope %s at %.12s to %s: %u created, %u updated, %u "
                               "deleted, %u unchanged, %u erased (%u versions redacted), %u "
                               "conflicts (%lu calls)\n",
                               o.dry_run ? " (dry run)" : "", o.scope, res.commit,
                               o.memory_store_id, res.created, res.updated, res.deleted,
                               res.unchanged, res.erased, res.redacted, res.conflicts, res.calls);
                for (size_t i = 0; i < res.problems.n; i++)
                        printf("not published: %s\n", res.problems.v[i]);
        }
        if (rc < 0)
                status = cmd_fail("publish", &err);
        else if (res.problems.n)
                status = CMD_FOUND;
out:
        platform_publish_result_free(&res);
        store_close(s);
        home_close(h);
        return status;
}

int cmd_import(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'}, {"memory-store", required_argument, NULL, 'm'},
            {"as", required_argument, NULL, 'a'},    {"deletions", no_argument, NULL, 'd'},
            {"json", no_argument, NULL, 'j'},        {NULL, 0, NULL, 0},
        };
        struct platform_import_options o = {0};
        int json = 0, c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o.scope = optarg;
                        break;
                case 'm':
                        o.memory_store_id = optarg;
                        break;
                case 'a':
                        o.actor = optarg;
                        break;
                case 'd':
                        o.deletions = 1;
                        break;
                case 'j':
                        json = 1;
                        break;
                default:
                        fputs(cmd_import_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc || !o.scope || !o.memory_store_id) {
                fputs(cmd_import_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        struct rules_set *rules = NULL;
        struct platform_import_result res = {0};
        int status = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("import", &err);
        if (store_open(h, &s, &err) < 0 || rules_load_default(h->cfg, &rules, &err) < 0) {
                status = cmd_fail("import", &err);
                goto out;
        }
        o.rules = rules;
        int rc = platform_import(h, s, &o, &res, &err);
        if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddBoolToObject(j, "ok", rc == 0);
                cJSON_AddNumberToObject(j, "diff", (double)res.diff_id);
                cJSON_AddNumberToObject(j, "memories", res.memories);
                cJSON_AddNumberToObject(j, "adds", res.adds);
                cJSON_AddNumberToObject(j, "updates", res.updates);
                cJSON_AddNumberToObject(j, "deletes", res.deletes);
                cJSON_AddNumberToObject(j, "unchanged", res.unchanged);
                cJSON_AddNumberToObject(j, "blocked", res.blocked);
                cJSON_AddNumberToObject(j, "empty", res.empty);
                cJSON_AddNumberToObject(j, "rejected_before", res.rejected_before);
                cJSON_AddNumberToObject(j, "calls", (double)res.calls);
                if (rc < 0)
                        cJSON_AddStringToObject(j, "error", err.msg);
                print_json(j);
        } else if (rc == 0) {
                if (!res.diff_id)
                        printf("import: %s matches scope %s (%u memories); no diff\n",
                               o.memory_store_id, o.scope, res.memories);
                else
                        printf("import: diff %lld (pending review) from %s: %u add, %u update, "
                               "%u delete, %u blocked, %u unchanged\n",
                               (long long)res.diff_id, o.memory_store_id, res.adds, res.updates,
                               res.deletes, res.blocked, res.unchanged);
        }
        if (rc < 0)
                status = cmd_fail("import", &err);
out:
        rules_free(rules);
        store_close(s);
        home_close(h);
        return status;
}

/* `curator export --format F ...` (cmd_export.c hands over when --format is
 * given): claude-code writes a Claude Code auto memory folder; memory-tool
 * is the plain /memories layout cmd_export writes without --format. */
int cmd_export_wants_format(int argc, char **argv)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--format") == 0 || strncmp(argv[i], "--format=", 9) == 0)
                        return 1;
        }
        return 0;
}

int cmd_export_format(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"scope", required_argument, NULL, 's'},
            {"to", required_argument, NULL, 't'},
            {"commit", required_argument, NULL, 'c'},
            {"format", required_argument, NULL, 'f'},
            {NULL, 0, NULL, 0},
        };
        const char *scope = NULL, *to = NULL, *commit = NULL, *format = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        scope = optarg;
                        break;
                case 't':
                        to = optarg;
                        break;
                case 'c':
                        commit = optarg;
                        break;
                case 'f':
                        format = optarg;
                        break;
                default:
                        fputs(cmd_export_usage, stderr);
                        return CMD_ERROR;
                }
        }
        int claude = format && strcmp(format, "claude-code") == 0;
        if (!scope || !to || optind < argc ||
            (!claude && (!format || strcmp(format, "memory-tool") != 0))) {
                fprintf(stderr, "usage: curator export --format claude-code|memory-tool --scope S "
                                "--to DIR [--commit COMMIT]\n");
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("export", &err);
        int rc = CMD_OK;
        char used[41] = "";
        struct export_claude_result res = {0};
        size_t n = 0;
        if (store_open(h, &s, &err) < 0 ||
            (claude ? store_resolve(s, commit ? commit : "HEAD", used, &err) < 0 ||
                          export_claude_code(s, scope, used, to, &res, &err) < 0
                    : export_scope_dir(s, scope, commit, to, &n, used, &err) < 0)) {
                rc = cmd_fail("export", &err);
                goto out;
        }
        char obj[128];
        struct buf detail = BUF_INIT;
        snprintf(obj, sizeof(obj), "scope:%s", scope);
        buf_addf(&detail, "{\"commit\":\"%s\",\"format\":\"%s\",\"files\":%zu}", used,
                 claude ? "claude-code" : "memory-tool", claude ? res.memories + 1 : n);
        if (audit_append(h->db, "cli", "memories.export", obj, detail.ptr, &err) < 0)
                rc = cmd_fail("export", &err);
        else if (claude)
                printf("exported %zu memories of %s at %.12s to %s as Claude Code auto memory "
                       "(MEMORY.md: %zu lines, %zu bytes, %zu not indexed)\n",
                       res.memories, scope, used, to, res.index_lines, res.index_bytes,
                       res.left_out);
        else
                printf("exported %zu memories of %s at %.12s to %s\n", n, scope, used, to);
        buf_free(&detail);
out:
        store_close(s);
        home_close(h);
        return rc;
}
