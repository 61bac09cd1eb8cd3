/* curator dream */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db_dream.h"
#include "dream.h"
#include "home.h"
#include "progress.h"
#include "rules.h"

const char cmd_dream_usage[] =
        "usage: curator [--home DIR] dream [--dreamer heuristic|llm] [--scope S] [--json]\n"
        "\n"
        "Runs one dreaming pass over the events ingested since the last pass (a\n"
        "watermark per scope) with the current memories of the affected scopes, and\n"
        "proposes at most one pending memory diff per scope for review. Every hunk's\n"
        "text goes through the rules: redact findings are replaced, block findings\n"
        "mark the hunk blocked (it can never be approved). A pass that finds nothing\n"
        "new creates nothing. Only one pass runs at a time (a lease that expires if\n"
        "its holder dies), so cron or a systemd timer may start it as often as it\n"
        "likes (docs/DREAMING.md).\n"
        "\n"
        "Options:\n"
        "  --dreamer D   heuristic (default: deterministic, no network) or llm\n"
        "                ([dream.llm] in curator.conf: provider, url, model, api_key_env)\n"
        "  --scope S     only this scope\n"
        "  --json        print one JSON object as the last line: run, diffs, hunks,\n"
        "                blocked, events, scopes, input_tokens, output_tokens, diff_ids\n";

struct dream_ui {
        struct progress progress;
};

static void on_scope(void *ctx, const char *scope, size_t events)
{
        struct dream_ui *ui = ctx;
        progress_update(&ui->progress, "dream: scope %s, %zu new events", scope, events);
}

static void print_hunks(struct db *db, const char *diff_id)
{
        struct dream_proposal p = {0};
        struct err err;
        if (db_dream_diff_hunks(db, strtoll(diff_id, NULL, 10), &p, &err) < 0) {
                fprintf(stderr, "curator dream: %s\n", err.msg);
                return;
        }
        for (size_t i = 0; i < p.n; i++) {
                const struct dream_hunk *h = &p.v[i];
                printf("  %zu. %-6s %s%s (confidence %.2f)\n", i + 1, dream_op_name(h->op),
                       h->path, h->blocked ? "  BLOCKED" : "", h->confidence);
                if (h->new_text)
                        printf("     + %s\n", h->new_text);
                if (h->op == DREAM_DELETE && h->old_text)
                        printf("     - %s\n", h->old_text);
                printf("     why: %s; evidence: %zu event%s\n", h->rationale, h->evidence.n,
                       h->evidence.n == 1 ? "" : "s");
        }
        dream_proposal_free(&p);
}

int cmd_dream(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
                {"dreamer", required_argument, NULL, 'd'},
                {"scope", required_argument, NULL, 's'},
                {"json", no_argument, NULL, 'j'},
                {NULL, 0, NULL, 0},
        };
        struct dream_options o = {0};
        int json = 0, c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        o.dreamer = optarg;
                        break;
                case 's':
                        o.scope = optarg;
                        break;
                case 'j':
                        json = 1;
                        break;
                default:
                        fputs(cmd_dream_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc) {
                fputs(cmd_dream_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct rules_set *rules = NULL;
        struct dream_ui ui;
        struct dream_result res = {0};
        int status = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("dream", &err);
        if (rules_load_default(h->cfg, &rules, &err) < 0) {
                status = cmd_fail("dream", &err);
                goto out;
        }
        progress_init(&ui.progress, json);
        o.rules = rules;
        o.on_scope = on_scope;
        o.ctx = &ui;
        int rc = dream_run_pass(h, &o, &res, &err);
        progress_done(&ui.progress);
        if (rc < 0) {
                status = cmd_fail("dream", &err);
                goto out;
        }
        if (json) {
                cJSON *j = cJSON_CreateObject();
                cJSON_AddNumberToObject(j, "run", (double)res.run_id);
                cJSON_AddNumberToObject(j, "diffs", res.diffs);
                cJSON_AddNumberToObject(j, "hunks", res.hunks);
                cJSON_AddNumberToObject(j, "blocked", res.blocked);
                cJSON_AddNumberToObject(j, "events", (double)res.events);
                cJSON_AddNumberToObject(j, "scopes", res.scopes);
                cJSON_AddNumberToObject(j, "input_tokens", (double)res.input_tokens);
                cJSON_AddNumberToObject(j, "output_tokens", (double)res.output_tokens);
                cJSON *ids = cJSON_AddArrayToObject(j, "diff_ids");
                for (size_t i = 0; i < res.diff_ids.n; i++)
                        cJSON_AddItemToArray(ids, cJSON_CreateNumber(strtod(res.diff_ids.v[i], NULL)));
                char *s = cJSON_PrintUnformatted(j);
                puts(s);
                free(s);
                cJSON_Delete(j);
        } else if (!res.run_id) {
                printf("dream: nothing new since the last pass\n");
        } else {
                printf("dream: pass %lld read %lld new events in %d scope%s: %d diff%s, %d hunk%s, "
                       "%d blocked\n",
                       (long long)res.run_id, (long long)res.events, res.scopes,
                       res.scopes == 1 ? "" : "s", res.diffs, res.diffs == 1 ? "" : "s",
                       res.hunks, res.hunks == 1 ? "" : "s", res.blocked);
                for (size_t i = 0; i < res.diff_ids.n; i++) {
                        printf("diff %s (pending review):\n", res.diff_ids.v[i]);
                        print_hunks(h->db, res.diff_ids.v[i]);
                }
        }
out:
        dream_result_free(&res);
        rules_free(rules);
        home_close(h);
        return status;
}
