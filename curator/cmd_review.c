/* curator review list|show|approve|reject, curator audit list|verify */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "fileio.h"
#include "home.h"
#include "review.h"
#include "rules.h"
#include "store.h"

const char cmd_review_usage[] =
        "usage: curator [--home DIR] review list [--scope S] [--state STATE] [--mine --as P] [--json]\n"
        "       curator [--home DIR] review show ID [--json]\n"
        "       curator [--home DIR] review approve ID [--hunks 1,3] --as PRINCIPAL [--edit N FILE]...\n"
        "       curator [--home DIR] review reject ID [--hunks 1,3] --as PRINCIPAL --reason TEXT\n"
        "\n"
        "Knowledge owners review the memory diffs dreaming proposes, hunk by hunk.\n"
        "\n"
        "  list      open diffs (pending, partially approved) newest first: scope, age,\n"
        "            hunks, pending, blocked, owners. --state all|pending|approved|\n"
        "            rejected|superseded|conflicted|partially_approved; --mine --as P:\n"
        "            only diffs with a pending hunk P may approve.\n"
        "  show      each hunk as a unified diff against the memory as it is in the\n"
        "            store now, with rationale, confidence, rule findings, owners and\n"
        "            the evidence: the (redacted) source events with session and time.\n"
        "  approve   commits the chosen hunks (default: every pending hunk that is\n"
        "            not blocked) as one store commit authored by PRINCIPAL. Only the\n"
        "            owners of a hunk's path\n"
        "            (OWNERS) or an admin may approve it; blocked hunks never. --edit N\n"
        "            FILE replaces hunk N's text with FILE's before approving (the rules\n"
        "            run again on it). If the store moved on in the same memories since\n"
        "            the diff was proposed, nothing is committed: the diff is conflicted.\n"
        "  reject    rejects hunks with a reason; they never reach the store and are\n"
        "            not proposed again.\n"
        "\n"
        "Exit status: 0 done; 1 conflict (approve); 2 error (not the owner, blocked, ...).\n";

const char cmd_audit_usage[] =
        "usage: curator [--home DIR] audit list [--action A] [--actor P] [--after ID] [--limit N] [--json]\n"
        "       curator [--home DIR] audit verify [--json]\n"
        "\n"
        "The audit log: every ingest, dreaming pass, approval, rejection, edit, revert,\n"
        "purge and fetch of memories, with actor, time, object and detail (ids, counts\n"
        "and hashes, never content). Each row holds the SHA-256 of the row before it.\n"
        "verify recomputes the chain and names the first row that was altered or\n"
        "removed (exit 1), or says it is intact (exit 0).\n";

static void print_json(cJSON *j)
{
        char *s = cJSON_Print(j);
        puts(s);
        free(s);
}

static const char *jstr(const cJSON *o, const char *k)
{
        const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
        return v ? v : "";
}

static double jnum(const cJSON *o, const char *k)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
        return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void print_owner_list(const cJSON *arr)
{
        const cJSON *e;
        int first = 1;
        cJSON_ArrayForEach(e, arr)
        {
                printf("%s%s", first ? "" : ", ", e->valuestring);
                first = 0;
        }
        if (first)
                printf("-");
}

static void print_list(const cJSON *arr)
{
        if (!cJSON_GetArraySize(arr)) {
                printf("no diffs\n");
                return;
        }
        printf("%-5s %-14s %-19s %-24s %5s %7s %7s  %s\n", "diff", "scope", "state", "created",
               "hunks", "pending", "blocked", "owners");
        const cJSON *d;
        cJSON_ArrayForEach(d, arr)
        {
                printf("%-5.0f %-14s %-19s %-24s %5.0f %7.0f %7.0f  ", jnum(d, "id"),
                       jstr(d, "scope"), jstr(d, "state"), jstr(d, "created_at"),
                       jnum(d, "hunks"), jnum(d, "pending"), jnum(d, "blocked"));
                print_owner_list(cJSON_GetObjectItemCaseSensitive(d, "owners"));
                printf("\n");
        }
}

static void print_show(const cJSON *d)
{
        printf("diff %.0f  scope %s  %s  proposed %s by dreaming pass %.0f against %.12s\n",
               jnum(d, "id"), jstr(d, "scope"), jstr(d, "state"), jstr(d, "created_at"),
               jnum(d, "run"), jstr(d, "base_commit"));
        const cJSON *h;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(d, "hunks"))
        {
                int blocked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(h, "blocked"));
                printf("\n── hunk %.0f: %s %s  [%s%s]  confidence %.2f  owners ", jnum(h, "idx"),
                       jstr(h, "op"), jstr(h, "memory_id"), jstr(h, "state"),
                       blocked ? ", BLOCKED: can never be approved" : "", jnum(h, "confidence"));
                print_owner_list(cJSON_GetObjectItemCaseSensitive(h, "owners"));
                printf("\n   why: %s\n", jstr(h, "rationale"));
                const cJSON *f;
                cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(h, "findings"))
                        printf("   rule finding: %s (%s, %s) at bytes %.0f-%.0f\n", jstr(f, "rule"),
                               jstr(f, "family"), jstr(f, "action"), jnum(f, "start"),
                               jnum(f, "end"));
                if (*jstr(h, "decided_by"))
                        printf("   %s by %s at %s%s%s%s%s\n", jstr(h, "state"),
                               jstr(h, "decided_by"), jstr(h, "decided_at"),
                               *jstr(h, "commit") ? " in commit " : "", jstr(h, "commit"),
                               *jstr(h, "reason") ? ": " : "", jstr(h, "reason"));
                const char *diff = jstr(h, "diff");
                for (const char *p = diff; *p;) {
                        const char *nl = strchr(p, '\n');
                        size_t n = nl ? (size_t)(nl - p) : strlen(p);
                        printf("   %.*s\n", (int)n, p);
                        p = nl ? nl + 1 : p + n;
                }
                const cJSON *e;
                cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h, "evidence"))
                {
                        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "missing"))) {
                                printf("   evidence %s: no longer stored\n", jstr(e, "ref"));
                                continue;
                        }
                        const char *text = jstr(e, "text");
                        if (!*text && *jstr(e, "tool")) {
                                printf("   evidence %s %s (%s): calls %s %.160s\n",
                                       jstr(e, "session"), jstr(e, "time"), jstr(e, "role"),
                                       jstr(e, "tool"), jstr(e, "tool_input"));
                                continue;
                        }
                        int n = (int)strcspn(text, "\n");
                        printf("   evidence %s %s (%s, %s): %.*s%s\n", jstr(e, "session"),
                               jstr(e, "time"), jstr(e, "role"), jstr(e, "type"),
                               n > 160 ? 160 : n, text, n > 160 || text[n] ? " ..." : "");
                }
        }
}

struct review_args {
        const char *as, *reason, *hunks, *scope, *state;
        int json, mine;
        struct review_edit edits[64];
        size_t nedits;
        char *edit_texts[64];
};

static int parse_review_args(int argc, char **argv, struct review_args *a)
{
        static const struct option opts[] = {
                {"as", required_argument, NULL, 'a'},
                {"reason", required_argument, NULL, 'r'},
                {"hunks", required_argument, NULL, 'H'},
                {"edit", required_argument, NULL, 'e'},
                {"scope", required_argument, NULL, 's'},
                {"state", required_argument, NULL, 'S'},
                {"mine", no_argument, NULL, 'm'},
                {"json", no_argument, NULL, 'j'},
                {NULL, 0, NULL, 0},
        };
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'a': a->as = optarg; break;
                case 'r': a->reason = optarg; break;
                case 'H': a->hunks = optarg; break;
                case 's': a->scope = optarg; break;
                case 'S': a->state = optarg; break;
                case 'm': a->mine = 1; break;
                case 'j': a->json = 1; break;
                case 'e': {
                        /* --edit N FILE: FILE is the next argument */
                        if (optind >= argc || a->nedits == 64) {
                                fprintf(stderr, "curator review: --edit takes N FILE\n");
                                return -1;
                        }
                        char *end;
                        long n = strtol(optarg, &end, 10);
                        if (*end || n < 1) {
                                fprintf(stderr, "curator review: --edit N FILE: '%s' is not a "
                                                "hunk number\n",
                                        optarg);
                                return -1;
                        }
                        struct buf text = BUF_INIT;
                        struct err err;
                        if (fileio_read_all(argv[optind], &text, NULL, &err) < 0) {
                                fprintf(stderr, "curator review: --edit %ld: %s\n", n, err.msg);
                                return -1;
                        }
                        while (text.len && (text.ptr[text.len - 1] == '\n'))
                                text.ptr[--text.len] = '\0';
                        optind++;
                        a->edit_texts[a->nedits] = buf_detach(&text, NULL);
                        a->edits[a->nedits].idx = (int)n;
                        a->edits[a->nedits].text = a->edit_texts[a->nedits];
                        a->nedits++;
                        break;
                }
                default:
                        fputs(cmd_review_usage, stderr);
                        return -1;
                }
        }
        return 0;
}

static int parse_id(const char *s, int64_t *id)
{
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*end || v <= 0)
                return -1;
        *id = v;
        return 0;
}

int cmd_review(int argc, char **argv, const struct cli *cli)
{
        if (argc < 2) {
                fputs(cmd_review_usage, stderr);
                return CMD_ERROR;
        }
        const char *verb = argv[1];
        struct review_args a = {0};
        int status = CMD_ERROR;
        struct home *h = NULL;
        struct store *s = NULL;
        struct rules_set *rules = NULL;
        int *hunks = NULL;
        size_t nhunks = 0;
        cJSON *j = NULL;
        struct err err;
        if (parse_review_args(argc - 1, argv + 1, &a) < 0)
                goto out;
        int64_t id = 0;
        int need_id = strcmp(verb, "list") != 0;
        if (need_id && (optind + 1 >= argc || parse_id(argv[optind + 1], &id) < 0)) {
                fprintf(stderr, "curator review %s: name a diff id (see `curator review list`)\n",
                        verb);
                goto out;
        }
        if (home_open(home_resolve(cli->home), &h, &err) < 0 || store_open(h, &s, &err) < 0) {
                status = cmd_fail("review", &err);
                goto out;
        }
        if (a.hunks && review_parse_hunks(a.hunks, &hunks, &nhunks, &err) < 0) {
                status = cmd_fail("review", &err);
                goto out;
        }
        if (strcmp(verb, "list") == 0) {
                if (a.mine && !a.as) {
                        fprintf(stderr, "curator review list: --mine needs --as PRINCIPAL\n");
                        goto out;
                }
                struct review_filter f = {a.scope, a.state, a.mine ? a.as : NULL};
                if (review_list(h, s, &f, &j, &err) < 0) {
                        status = cmd_fail("review list", &err);
                        goto out;
                }
                if (a.json)
                        print_json(j);
                else
                        print_list(j);
                status = CMD_OK;
        } else if (strcmp(verb, "show") == 0) {
                if (review_show(h, s, id, &j, &err) < 0) {
                        status = cmd_fail("review show", &err);
                        goto out;
                }
                if (a.json)
                        print_json(j);
                else
                        print_show(j);
                status = CMD_OK;
        } else if (strcmp(verb, "approve") == 0 || strcmp(verb, "reject") == 0) {
                if (!a.as) {
                        fprintf(stderr, "curator review %s: say who you are with --as PRINCIPAL\n",
                                verb);
                        goto out;
                }
                if (strcmp(verb, "reject") == 0) {
                        if (review_reject(h, s, id, hunks, nhunks, a.as, a.reason, &err) < 0) {
                                status = cmd_fail("review reject", &err);
                                goto out;
                        }
                        printf("rejected %s of diff %lld\n", a.hunks ? a.hunks : "every pending hunk",
                               (long long)id);
                        status = CMD_OK;
                        goto out;
                }
                if (rules_load_default(h->cfg, &rules, &err) < 0) {
                        status = cmd_fail("review approve", &err);
                        goto out;
                }
                char commit[41];
                int rc = review_approve(h, s, rules, id, hunks, nhunks, a.as, a.edits, a.nedits,
                                        commit, &err);
                if (rc == REVIEW_CONFLICT) {
                        fprintf(stderr, "curator review approve: %s\n", err.msg);
                        status = CMD_FOUND;
                        goto out;
                }
                if (rc < 0) {
                        status = cmd_fail("review approve", &err);
                        goto out;
                }
                if (a.json)
                        printf("{\"diff\":%lld,\"commit\":\"%s\"}\n", (long long)id, commit);
                else
                        printf("approved %s of diff %lld as %s: store commit %s\n",
                               a.hunks ? a.hunks : "every pending hunk", (long long)id, a.as,
                               commit);
                status = CMD_OK;
        } else {
                fprintf(stderr, "curator review: unknown verb '%s'\n", verb);
                fputs(cmd_review_usage, stderr);
        }
out:
        cJSON_Delete(j);
        free(hunks);
        for (size_t i = 0; i < a.nedits; i++)
                free(a.edit_texts[i]);
        rules_free(rules);
        store_close(s);
        home_close(h);
        return status;
}

static int print_audit_row(void *ctx, const struct audit_row *r)
{
        int json = *(int *)ctx;
        if (json) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddNumberToObject(o, "id", (double)r->id);
                cJSON_AddStringToObject(o, "at", r->at);
                cJSON_AddStringToObject(o, "actor", r->actor);
                cJSON_AddStringToObject(o, "action", r->action);
                cJSON_AddStringToObject(o, "object", r->object);
                cJSON *detail = cJSON_Parse(r->detail);
                cJSON_AddItemToObject(o, "detail", detail ? detail : cJSON_CreateString(r->detail));
                cJSON_AddStringToObject(o, "hash", r->hash);
                char *s = cJSON_PrintUnformatted(o);
                puts(s);
                free(s);
                cJSON_Delete(o);
        } else {
                printf("%6lld %s %-12s %-16s %-14s %s\n", (long long)r->id, r->at, r->actor,
                       r->action, r->object, r->detail);
        }
        return 0;
}

int cmd_audit(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
                {"action", required_argument, NULL, 'a'},
                {"actor", required_argument, NULL, 'p'},
                {"after", required_argument, NULL, 'f'},
                {"limit", required_argument, NULL, 'l'},
                {"json", no_argument, NULL, 'j'},
                {NULL, 0, NULL, 0},
        };
        if (argc < 2) {
                fputs(cmd_audit_usage, stderr);
                return CMD_ERROR;
        }
        const char *verb = argv[1];
        struct audit_filter f = {0};
        int json = 0, c;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                switch (c) {
                case 'a': f.action = optarg; break;
                case 'p': f.actor = optarg; break;
                case 'f': f.after_id = strtoll(optarg, NULL, 10); break;
                case 'l': f.limit = strtoll(optarg, NULL, 10); break;
                case 'j': json = 1; break;
                default: fputs(cmd_audit_usage, stderr); return CMD_ERROR;
                }
        }
        struct err err;
        struct home *h = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("audit", &err);
        int status = CMD_OK;
        if (strcmp(verb, "list") == 0) {
                if (audit_list(h->db, &f, print_audit_row, &json, &err) < 0)
                        status = cmd_fail("audit list", &err);
        } else if (strcmp(verb, "verify") == 0) {
                struct audit_verify_result r;
                if (audit_verify(h->db, &r, &err) < 0) {
                        status = cmd_fail("audit verify", &err);
                } else if (json) {
                        printf("{\"rows\":%lld,\"intact\":%s,\"broken_row\":%lld,\"reason\":\"%s\"}\n",
                               (long long)r.rows, r.broken_id ? "false" : "true",
                               (long long)r.broken_id, r.reason);
                        status = r.broken_id ? CMD_FOUND : CMD_OK;
                } else if (r.broken_id) {
                        printf("audit log BROKEN at row %lld: %s\n", (long long)r.broken_id,
                               r.reason);
                        status = CMD_FOUND;
                } else {
                        printf("audit log intact: %lld rows, hash chain verified\n",
                               (long long)r.rows);
                }
        } else {
                fprintf(stderr, "curator audit: unknown verb '%s'\n", verb);
                status = CMD_ERROR;
        }
        home_close(h);
        return status;
}
