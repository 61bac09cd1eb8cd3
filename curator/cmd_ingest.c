/* curator ingest, curator sessions, curator rejected */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "db_ingest.h"
#include "home.h"
#include "ingest.h"
#include "progress.h"
#include "rules.h"

const char cmd_ingest_usage[] =
        "usage: curator [--home DIR] ingest [options] PATH...|-\n"
        "\n"
        "Reads session event logs (JSON Lines) from files, directories (recursively,\n"
        "*.jsonl) or standard input (-) and stores their sessions and events. Both\n"
        "Claude Managed Agents events and Claude Code transcripts are understood,\n"
        "detected per file. Every event is redacted by the rules (secrets, PII) before\n"
        "it is stored. Ingest is idempotent: an event already stored is counted as a\n"
        "duplicate, never doubled. Each file is stored in one transaction.\n"
        "\n"
        "Options:\n"
        "  --format F      auto (default), managed-agents or claude-code\n"
        "  --session ID    the session of managed-agents input that names none\n"
        "  --scope S       the agent scope new sessions feed (overrides curator.conf)\n"
        "  --rules DIR     rule files to redact with (default: [rules] dir, else built-in)\n"
        "  --json          print one JSON summary object as the last line\n"
        "  --quiet         print nothing but errors\n"
        "\n"
        "Exit status: 0 all lines stored or known; 1 some lines were rejected (each is\n"
        "printed as file:line: reason and kept: see `curator rejected`); 2 an error\n"
        "(unreadable file, database failure): files before it stay stored.\n";

const char cmd_sessions_usage[] =
        "usage: curator [--home DIR] sessions [--scope S] [--json]\n"
        "\n"
        "Lists ingested sessions, most recent activity first: id, format, scope,\n"
        "events, first and last event time, rule findings redacted at ingest.\n";

const char cmd_rejected_usage[] =
        "usage: curator [--home DIR] rejected [--limit N] [--json]\n"
        "\n"
        "Lists the input lines ingest could not store, newest first, with the file,\n"
        "line number and reason. The lines themselves are kept (redacted) in\n"
        "curator.db, table rejected_lines, for inspection and re-ingest.\n";

struct ingest_ui {
        int quiet, json;
        struct progress progress;
};

static void on_reject(void *ctx, const char *source, uint64_t line, const char *reason)
{
        struct ingest_ui *ui = ctx;
        progress_done(&ui->progress);
        if (!ui->quiet)
                fprintf(stderr, "%s:%llu: rejected: %s\n", source, (unsigned long long)line,
                        reason);
}

static void on_progress(void *ctx, const struct ingest_stats *st, uint64_t total)
{
        struct ingest_ui *ui = ctx;
        if (total)
                progress_update(&ui->progress,
                                "ingest: %3.0f%% of %.1f MB, %llu events, %llu duplicates",
                                100.0 * (double)st->bytes / (double)total, (double)total / 1e6,
                                (unsigned long long)st->events,
                                (unsigned long long)st->duplicates);
        else
                progress_update(&ui->progress, "ingest: %.1f MB, %llu events",
                                (double)st->bytes / 1e6, (unsigned long long)st->events);
}

static int parse_format(const char *s, enum ingest_format *out)
{
        if (strcmp(s, "auto") == 0)
                *out = INGEST_AUTO;
        else if (strcmp(s, "managed-agents") == 0)
                *out = INGEST_MANAGED_AGENTS;
        else if (strcmp(s, "claude-code") == 0)
                *out = INGEST_CLAUDE_CODE;
        else
                return -1;
        return 0;
}

static void print_summary(const struct ingest_stats *st, int json, double seconds)
{
        if (json) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "files", (double)st->files);
                cJSON_AddNumberToObject(o, "sessions", (double)st->sessions);
                cJSON_AddNumberToObject(o, "new_sessions", (double)st->new_sessions);
                cJSON_AddNumberToObject(o, "events", (double)st->events);
                cJSON_AddNumberToObject(o, "duplicates", (double)st->duplicates);
                cJSON_AddNumberToObject(o, "rejected", (double)st->rejected);
                cJSON_AddNumberToObject(o, "skipped", (double)st->skipped);
                cJSON_AddNumberToObject(o, "findings", (double)st->findings);
                cJSON_AddNumberToObject(o, "lines", (double)st->lines);
                cJSON_AddNumberToObject(o, "bytes", (double)st->bytes);
                cJSON_AddNumberToObject(o, "seconds", seconds);
                char *s = cJSON_PrintUnformatted(o);
                puts(s);
                free(s);
                cJSON_Delete(o);
                return;
        }
        printf("ingested %llu file%s: %llu new events in %llu session%s (%llu new), "
               "%llu duplicates, %llu rejected, %llu skipped lines, %llu findings redacted\n",
               (unsigned long long)st->files, st->files == 1 ? "" : "s",
               (unsigned long long)st->events, (unsigned long long)st->sessions,
               st->sessions == 1 ? "" : "s", (unsigned long long)st->new_sessions,
               (unsigned long long)st->duplicates, (unsigned long long)st->rejected,
               (unsigned long long)st->skipped, (unsigned long long)st->findings);
}

static double now_seconds(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_ingest(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
                {"format", required_argument, NULL, 'f'},
                {"session", required_argument, NULL, 's'},
                {"scope", required_argument, NULL, 'S'},
                {"rules", required_argument, NULL, 'r'},
                {"json", no_argument, NULL, 'j'},
                {"quiet", no_argument, NULL, 'q'},
                {NULL, 0, NULL, 0},
        };
        struct ingest_options io = {.format = INGEST_AUTO};
        struct ingest_ui ui = {0};
        const char *rules_dir = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'f':
                        if (parse_format(optarg, &io.format) < 0) {
                                fprintf(stderr, "curator ingest: unknown format '%s' (auto, "
                                                "managed-agents, claude-code)\n",
                                        optarg);
                                return CMD_ERROR;
                        }
                        break;
                case 's':
                        io.session = optarg;
                        break;
                case 'S':
                        io.scope = optarg;
                        break;
                case 'r':
                        rules_dir = optarg;
                        break;
                case 'j':
                        ui.json = 1;
                        break;
                case 'q':
                        ui.quiet = 1;
                        break;
                default:
                        fputs(cmd_ingest_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind >= argc) {
                fprintf(stderr, "curator ingest: name at least one file, directory or -\n");
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct rules_set *rules = NULL;
        struct ingest *ing = NULL;
        int status = CMD_OK;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("ingest", &err);
        if ((rules_dir ? rules_load_dir(rules_dir, &rules, &err)
                       : rules_load_default(h->cfg, &rules, &err)) < 0) {
                status = cmd_fail("ingest", &err);
                goto out;
        }
        progress_init(&ui.progress, ui.quiet || ui.json);
        io.cfg = h->cfg;
        io.rules = rules;
        io.on_reject = on_reject;
        io.on_progress = on_progress;
        io.ctx = &ui;
        if (ingest_begin(h->db, &io, &ing, &err) < 0) {
                status = cmd_fail("ingest", &err);
                goto out;
        }
        uint64_t total = 0;
        for (int i = optind; i < argc; i++)
                total += ingest_size_of(argv[i]);
        ingest_set_total(ing, total);
        double start = now_seconds();
        for (int i = optind; i < argc; i++) {
                if (ingest_path(ing, argv[i], &err) < 0) {
                        progress_done(&ui.progress);
                        cmd_fail("ingest", &err);
                        status = CMD_ERROR;
                }
        }
        progress_done(&ui.progress);
        const struct ingest_stats *st = ingest_stats(ing);
        if (status == CMD_OK && st->rejected)
                status = CMD_FOUND;
        if (!ui.quiet)
                print_summary(st, ui.json, now_seconds() - start);
        if (ingest_finish(ing, &err) < 0)
                status = cmd_fail("ingest", &err);
        ing = NULL;
out:
        ingest_finish(ing, &err);
        rules_free(rules);
        home_close(h);
        return status;
}

static int json_flag_only(int argc, char **argv, const char *usage, int *json,
                          const char **scope, long *limit)
{
        static const struct option opts[] = {
                {"json", no_argument, NULL, 'j'},
                {"scope", required_argument, NULL, 's'},
                {"limit", required_argument, NULL, 'l'},
                {NULL, 0, NULL, 0},
        };
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'j') {
                        *json = 1;
                } else if (c == 's' && scope) {
                        *scope = optarg;
                } else if (c == 'l' && limit) {
                        char *end;
                        *limit = strtol(optarg, &end, 10);
                        if (*end || *limit < 0) {
                                fprintf(stderr, "--limit takes a number, not '%s'\n", optarg);
                                return -1;
                        }
                } else {
                        fputs(usage, stderr);
                        return -1;
                }
        }
        if (optind != argc) {
                fputs(usage, stderr);
                return -1;
        }
        return 0;
}

static void add_str(cJSON *o, const char *k, const char *v)
{
        if (v)
                cJSON_AddStringToObject(o, k, v);
        else
                cJSON_AddNullToObject(o, k);
}

static int print_session(void *ctx, const struct db_session_info *s)
{
        int json = *(int *)ctx;
        if (json) {
                cJSON *o = cJSON_CreateObject();
                add_str(o, "id", s->id);
                add_str(o, "format", s->format);
                add_str(o, "scope", s->scope);
                add_str(o, "source", s->source);
                add_str(o, "cwd", s->cwd);
                add_str(o, "git_branch", s->git_branch);
                add_str(o, "agent", s->agent);
                add_str(o, "first_ts", s->first_ts);
                add_str(o, "last_ts", s->last_ts);
                add_str(o, "outcome", s->outcome);
                cJSON_AddNumberToObject(o, "events", (double)s->events);
                cJSON_AddNumberToObject(o, "findings", (double)s->findings);
                char *txt = cJSON_PrintUnformatted(o);
                puts(txt);
                free(txt);
                cJSON_Delete(o);
        } else {
                printf("%-40s %-14s %-16s %6lld events  %s .. %s  %lld findings%s%s\n", s->id,
                       s->format, s->scope, (long long)s->events,
                       s->first_ts ? s->first_ts : "-", s->last_ts ? s->last_ts : "-",
                       (long long)s->findings, s->outcome ? "  outcome " : "",
                       s->outcome ? s->outcome : "");
        }
        return 0;
}

int cmd_sessions(int argc, char **argv, const struct cli *cli)
{
        int json = 0;
        const char *scope = NULL;
        if (json_flag_only(argc, argv, cmd_sessions_usage, &json, &scope, NULL) < 0)
                return CMD_ERROR;
        struct err err;
        struct home *h = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("sessions", &err);
        int rc = db_sessions_list(h->db, scope, print_session, &json, &err);
        home_close(h);
        return rc < 0 ? cmd_fail("sessions", &err) : CMD_OK;
}

static int print_rejected(void *ctx, const struct db_rejected_info *r)
{
        int json = *(int *)ctx;
        if (json) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "id", (double)r->id);
                cJSON_AddNumberToObject(o, "run", (double)r->run_id);
                add_str(o, "file", r->source);
                cJSON_AddNumberToObject(o, "line", (double)r->line);
                add_str(o, "reason", r->reason);
                cJSON_AddNumberToObject(o, "bytes_kept", (double)r->content_len);
                add_str(o, "at", r->created_at);
                char *txt = cJSON_PrintUnformatted(o);
                puts(txt);
                free(txt);
                cJSON_Delete(o);
        } else {
                printf("%s:%lld: %s\n", r->source, (long long)r->line, r->reason);
        }
        return 0;
}

int cmd_rejected(int argc, char **argv, const struct cli *cli)
{
        int json = 0;
        long limit = 0;
        if (json_flag_only(argc, argv, cmd_rejected_usage, &json, NULL, &limit) < 0)
                return CMD_ERROR;
        struct err err;
        struct home *h = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("rejected", &err);
        int rc = db_rejected_list(h->db, limit, print_rejected, &json, &err);
        home_close(h);
        return rc < 0 ? cmd_fail("rejected", &err) : CMD_OK;
}
