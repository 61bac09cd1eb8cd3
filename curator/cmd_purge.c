/* curator purge [report] and curator hold add|remove|list: retention by
 * class, with legal holds (docs/RETENTION.md). */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db_purge.h"
#include "home.h"
#include "purge.h"
#include "store.h"
#include "timestamp.h"

const char cmd_purge_usage[] =
    "usage: curator [--home DIR] purge [--dry-run] [--json] --as PRINCIPAL\n"
    "       curator [--home DIR] purge report [--json]\n"
    "\n"
    "Removes memories whose front matter `expires` time has passed and raw events\n"
    "older than their scope's events retention ([events-retention] SCOPE = CLASS,\n"
    "else the [retention] class `events`; without either, events are kept).\n"
    "Anything under a legal hold (`curator hold`) or with legal_hold: true is\n"
    "skipped, and the output names it and the hold. The memories go in one store\n"
    "commit (trailer Purge-Id), the events in one transaction; the purge and the\n"
    "SHA-256 of everything removed are recorded and audited, never the content.\n"
    "CURATOR_NOW sets the clock expiry is judged against.\n"
    "\n"
    "  --dry-run   list exactly what the purge would remove; change nothing\n"
    "  --json      machine-readable output\n"
    "  --as P      the principal purging (role compliance or admin)\n"
    "\n"
    "  report      past purges and erasures: when, who, counts, hashes\n";

const char cmd_hold_usage[] =
    "usage: curator [--home DIR] hold add (--memory ID | --scope S | --session ID)\n"
    "                                 --reason TEXT --as PRINCIPAL\n"
    "       curator [--home DIR] hold remove (--memory ID | --scope S | --session ID)\n"
    "                                 [--reason TEXT] --as PRINCIPAL\n"
    "       curator [--home DIR] hold list [--all] [--json]\n"
    "\n"
    "A legal hold keeps a memory, every memory and event of a scope, or every\n"
    "event of a session and every memory drawn from it, out of `curator purge`\n"
    "and `curator forget` until it is removed. Holding a memory also sets its\n"
    "legal_hold front matter (a store commit). Principals: compliance or admin.\n"
    "\n"
    "  --all    list released holds too\n";

/* Prints j as the command's JSON output and frees it. */
static void print_json(cJSON *j)
{
        char *text = cJSON_Print(j);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(j);
}

static int open_home_store(const struct cli *cli, struct home **h, struct store **s,
                           struct err *err)
{
        if (home_open(home_resolve(cli->home), h, err) < 0)
                return -1;
        if (store_open(*h, s, err) < 0) {
                home_close(*h);
                *h = NULL;
                return -1;
        }
        return 0;
}

static void close_home_store(struct home *h, struct store *s)
{
        store_close(s);
        home_close(h);
}

/* ---- purge ---- */

static cJSON *plan_json(const struct purge_plan *p, int dry_run, const struct purge_result *r)
{
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "dry_run", dry_run);
        if (r)
                cJSON_AddNumberToObject(j, "purge", (double)r->purge_id);
        cJSON_AddStringToObject(j, "clock", p->clock);
        cJSON_AddStringToObject(j, "head", p->head);
        if (r)
                cJSON_AddStringToObject(j, "commit", r->commit);
        cJSON *m = cJSON_AddArrayToObject(j, "memories");
        for (size_t i = 0; i < p->nmemories; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id", p->memories[i].id);
                cJSON_AddStringToObject(o, "path", p->memories[i].path);
                cJSON_AddStringToObject(o, "scope", p->memories[i].scope);
                cJSON_AddStringToObject(o, "expires", p->memories[i].expires);
                cJSON_AddStringToObject(o, "sha256", p->memories[i].sha256);
                cJSON_AddItemToArray(m, o);
        }
        cJSON *e = cJSON_AddArrayToObject(j, "events");
        for (size_t i = 0; i < p->events.n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "session", p->events.v[i].session_id);
                cJSON_AddStringToObject(o, "event", p->events.v[i].event_id);
                cJSON_AddStringToObject(o, "scope", p->events.v[i].scope);
                cJSON_AddStringToObject(o, "ts", p->events.v[i].ts ? p->events.v[i].ts : "");
                cJSON_AddStringToObject(o, "sha256", p->events.v[i].sha256);
                cJSON_AddItemToArray(e, o);
        }
        cJSON *k = cJSON_AddArrayToObject(j, "skipped");
        for (size_t i = 0; i < p->nskipped; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "kind", p->skipped[i].kind);
                cJSON_AddStringToObject(o, "ref", p->skipped[i].ref);
                cJSON_AddNumberToObject(o, "count", (double)p->skipped[i].count);
                cJSON_AddNumberToObject(o, "hold", (double)p->skipped[i].hold_id);
                cJSON_AddStringToObject(o, "why", p->skipped[i].hold);
                cJSON_AddItemToArray(k, o);
        }
        cJSON_AddStringToObject(j, "memories_sha256", p->memories_sha256);
        cJSON_AddStringToObject(j, "events_sha256", p->events_sha256);
        return j;
}

static void print_plan(const struct purge_plan *p, int dry_run, const struct purge_result *r)
{
        const char *verb = dry_run ? "would remove" : "removed";
        for (size_t i = 0; i < p->nmemories; i++)
                printf("%s memory %s %s (expired %s)\n", verb, p->memories[i].id,
                       p->memories[i].path, p->memories[i].expires);
        for (size_t i = 0; i < p->events.n; i++)
                printf("%s event %s/%s (%s, %s)\n", verb, p->events.v[i].session_id,
                       p->events.v[i].event_id, p->events.v[i].scope,
                       p->events.v[i].ts ? p->events.v[i].ts : "");
        for (size_t i = 0; i < p->nskipped; i++) {
                if (strcmp(p->skipped[i].kind, "memory") == 0)
                        printf("skipped memory %s: %s\n", p->skipped[i].ref, p->skipped[i].hold);
                else
                        printf("skipped %zu event%s of session %s: %s\n", p->skipped[i].count,
                               p->skipped[i].count == 1 ? "" : "s", p->skipped[i].ref,
                               p->skipped[i].hold);
        }
        printf("%s %zu memor%s and %zu event%s at %s; %zu skipped under legal hold",
               dry_run ? "purge would remove" : "purged", p->nmemories,
               p->nmemories == 1 ? "y" : "ies", p->events.n, p->events.n == 1 ? "" : "s", p->clock,
               p->nskipped);
        if (r)
                printf(" (purge %lld%s%.12s)", (long long)r->purge_id,
                       r->commit[0] ? ", commit " : "", r->commit);
        printf("\n");
}

static int run_report(const struct cli *cli, int json)
{
        struct err err;
        struct home *h = NULL;
        struct purge_rows rows = {0};
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("purge report", &err);
        if (db_purges_list(h->db, NULL, NULL, &rows, &err) < 0) {
                home_close(h);
                return cmd_fail("purge report", &err);
        }
        if (json) {
                cJSON *a = cJSON_CreateArray();
                for (size_t i = 0; i < rows.n; i++) {
                        struct purge_row *r = &rows.v[i];
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddNumberToObject(o, "id", (double)r->id);
                        cJSON_AddStringToObject(o, "kind", r->kind);
                        cJSON_AddStringToObject(o, "state", r->state);
                        cJSON_AddStringToObject(o, "actor", r->actor);
                        cJSON_AddStringToObject(o, "started_at", r->started_at);
                        cJSON_AddStringToObject(o, "finished_at",
                                                r->finished_at ? r->finished_at : "");
                        cJSON_AddStringToObject(o, "clock", r->clock ? r->clock : "");
                        cJSON_AddNumberToObject(o, "memories", (double)r->memories);
                        cJSON_AddNumberToObject(o, "events", (double)r->events);
                        cJSON_AddNumberToObject(o, "scrubbed", (double)r->hunks);
                        cJSON_AddNumberToObject(o, "skipped", (double)r->skipped);
                        cJSON_AddNumberToObject(o, "commits", (double)r->commits);
                        cJSON_AddStringToObject(o, "old_head", r->old_head ? r->old_head : "");
                        cJSON_AddStringToObject(o, "new_head", r->new_head ? r->new_head : "");
                        cJSON_AddStringToObject(o, "memories_sha256",
                                                r->memories_sha256 ? r->memories_sha256 : "");
                        cJSON_AddStringToObject(o, "events_sha256",
                                                r->events_sha256 ? r->events_sha256 : "");
                        cJSON_AddItemToArray(a, o);
                }
                print_json(a);
        } else {
                for (size_t i = 0; i < rows.n; i++) {
                        struct purge_row *r = &rows.v[i];
                        printf("%lld %-6s %-9s %s by %s: %lld memories, %lld events",
                               (long long)r->id, r->kind, r->state, r->started_at, r->actor,
                               (long long)r->memories, (long long)r->events);
                        if (strcmp(r->kind, "purge") == 0)
                                printf(", %lld skipped (clock %s)", (long long)r->skipped,
                                       r->clock ? r->clock : "");
                        else
                                printf(", %lld scrubbed, %lld commits rewritten",
                                       (long long)r->hunks, (long long)r->commits);
                        printf("\n    memories sha256 %s\n    events sha256   %s\n",
                               r->memories_sha256 ? r->memories_sha256 : "-",
                               r->events_sha256 ? r->events_sha256 : "-");
                }
                if (rows.n == 0)
                        printf("no purges yet\n");
        }
        purge_rows_free(&rows);
        home_close(h);
        return CMD_OK;
}

int cmd_purge(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"as", required_argument, NULL, 'a'},
                                             {NULL, 0, NULL, 0}};
        int dry = 0, json = 0, c;
        const char *as = NULL;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'n':
                        dry = 1;
                        break;
                case 'j':
                        json = 1;
                        break;
                case 'a':
                        as = optarg;
                        break;
                default:
                        fputs(cmd_purge_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind < argc) {
                if (strcmp(argv[optind], "report") == 0 && optind + 1 == argc)
                        return run_report(cli, json);
                fputs(cmd_purge_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (open_home_store(cli, &h, &s, &err) < 0)
                return cmd_fail("purge", &err);
        struct purge_plan plan = {0};
        struct purge_result res = {0};
        int64_t now = timestamp_now_ms();
        int rc;
        if (dry)
                rc = purge_check_principal(h->db, as, &err) == 0 &&
                             purge_plan_compute(s, now, &plan, &err) == 0
                         ? 0
                         : -1;
        else
                rc = purge_run(s, as, now, &plan, &res, &err);
        if (rc < 0) {
                purge_plan_free(&plan);
                close_home_store(h, s);
                return cmd_fail("purge", &err);
        }
        if (json) {
                cJSON *j = plan_json(&plan, dry, dry ? NULL : &res);
                print_json(j);
        } else {
                print_plan(&plan, dry, dry ? NULL : &res);
        }
        purge_plan_free(&plan);
        close_home_store(h, s);
        return CMD_OK;
}

/* ---- hold ---- */

static int run_hold_list(const struct cli *cli, int all, int json)
{
        struct err err;
        struct home *h = NULL;
        struct hold_list l = {0};
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("hold list", &err);
        if (db_holds_list(h->db, all, &l, &err) < 0) {
                home_close(h);
                return cmd_fail("hold list", &err);
        }
        if (json) {
                cJSON *a = cJSON_CreateArray();
                for (size_t i = 0; i < l.n; i++) {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddNumberToObject(o, "id", (double)l.v[i].id);
                        cJSON_AddStringToObject(o, "kind", l.v[i].kind);
                        cJSON_AddStringToObject(o, "target", l.v[i].target);
                        cJSON_AddStringToObject(o, "reason", l.v[i].reason);
                        cJSON_AddStringToObject(o, "created_by", l.v[i].created_by);
                        cJSON_AddStringToObject(o, "created_at", l.v[i].created_at);
                        if (l.v[i].released_at) {
                                cJSON_AddStringToObject(o, "released_by", l.v[i].released_by);
                                cJSON_AddStringToObject(o, "released_at", l.v[i].released_at);
                        }
                        cJSON_AddItemToArray(a, o);
                }
                print_json(a);
        } else {
                for (size_t i = 0; i < l.n; i++) {
                        printf("%lld %-7s %s by %s at %s: %s", (long long)l.v[i].id, l.v[i].kind,
                               l.v[i].target, l.v[i].created_by, l.v[i].created_at, l.v[i].reason);
                        if (l.v[i].released_at)
                                printf(" (released by %s at %s)", l.v[i].released_by,
                                       l.v[i].released_at);
                        printf("\n");
                }
                if (l.n == 0)
                        printf("no legal holds in force\n");
        }
        hold_list_free(&l);
        home_close(h);
        return CMD_OK;
}

int cmd_hold(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"memory", required_argument, NULL, 'm'},  {"scope", required_argument, NULL, 's'},
            {"session", required_argument, NULL, 'S'}, {"reason", required_argument, NULL, 'r'},
            {"as", required_argument, NULL, 'a'},      {"all", no_argument, NULL, 'A'},
            {"json", no_argument, NULL, 'j'},          {NULL, 0, NULL, 0}};
        if (argc < 2) {
                fputs(cmd_hold_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1], *kind = NULL, *target = NULL, *reason = NULL, *as = NULL;
        int all = 0, json = 0, c, kinds = 0;
        optind = 0;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                switch (c) {
                case 'm':
                case 's':
                case 'S':
                        kind = c == 'm' ? "memory" : c == 's' ? "scope" : "session";
                        target = optarg;
                        kinds++;
                        break;
                case 'r':
                        reason = optarg;
                        break;
                case 'a':
                        as = optarg;
                        break;
                case 'A':
                        all = 1;
                        break;
                case 'j':
                        json = 1;
                        break;
                default:
                        fputs(cmd_hold_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc - 1) {
                fputs(cmd_hold_usage, stderr);
                return CMD_ERROR;
        }
        if (strcmp(sub, "list") == 0)
                return run_hold_list(cli, all, json);
        int add = strcmp(sub, "add") == 0;
        if ((!add && strcmp(sub, "remove") != 0) || kinds != 1) {
                if (kinds != 1)
                        fprintf(stderr, "curator hold: name exactly one of --memory, --scope, "
                                        "--session\n");
                fputs(cmd_hold_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (open_home_store(cli, &h, &s, &err) < 0)
                return cmd_fail(add ? "hold add" : "hold remove", &err);
        int64_t id = 0;
        int rc = add ? purge_hold_add(s, as, kind, target, reason, &id, &err)
                     : purge_hold_remove(s, as, kind, target, reason, &err);
        close_home_store(h, s);
        if (rc < 0)
                return cmd_fail(add ? "hold add" : "hold remove", &err);
        if (add)
                printf("legal hold %lld on %s %s\n", (long long)id, kind, target);
        else
                printf("released the legal hold on %s %s\n", kind, target);
        return CMD_OK;
}
