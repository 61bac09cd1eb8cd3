/* curator forget: erasure of a data subject from memories, events and the
 * store's whole history (docs/RETENTION.md). Prints ids, counts and hashes;
 * never the subject or what matched. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "forget.h"
#include "home.h"
#include "store.h"

const char cmd_forget_usage[] =
    "usage: curator [--home DIR] forget (--subject TEXT | --pattern REGEX) [--dry-run]\n"
    "                                   [--json] --as PRINCIPAL\n"
    "\n"
    "Erases a data subject (GDPR Art. 17). Every memory any version of which\n"
    "matches (text or front matter) is removed from head and from every commit\n"
    "of the store's history; matching events are deleted; review hunks and\n"
    "rejected lines holding it are scrubbed. History is rewritten (authors,\n"
    "dates, messages and trailers of everything else kept; Evidence trailers\n"
    "naming erased events dropped; commits that only touched erased memories\n"
    "dropped), main moves with compare-and-swap, the reflog is expired and every\n"
    "object no longer reachable is deleted. Old commit ids map to new ones\n"
    "(`store_map_commit`). If a legal hold covers anything that matches, nothing\n"
    "is erased and the holds are named (exit 1). A rerun finishes an erasure a\n"
    "crash interrupted.\n"
    "\n"
    "  --subject TEXT   a literal, matched without regard to case\n"
    "  --pattern REGEX  a PCRE2 regular expression\n"
    "  --dry-run        report what would be erased; change nothing\n"
    "  --json           machine-readable output\n"
    "  --as P           the principal erasing (role compliance or admin)\n";

/* Paths are not printed: a memory's file name carries a slug of its text. */
static void print_json(const struct forget_result *r, int dry, int held)
{
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "dry_run", dry);
        cJSON_AddBoolToObject(j, "held", held);
        cJSON_AddNumberToObject(j, "forget", (double)r->purge_id);
        cJSON_AddStringToObject(j, "old_head", r->old_head);
        cJSON_AddStringToObject(j, "new_head", r->new_head);
        cJSON *m = cJSON_AddArrayToObject(j, "memories");
        for (size_t i = 0; i < r->nmemories; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "id", r->memories[i].id);
                cJSON_AddBoolToObject(o, "at_head", r->memories[i].at_head);
                cJSON_AddNumberToObject(o, "matching_versions", (double)r->memories[i].versions);
                cJSON_AddStringToObject(o, "sha256", r->memories[i].sha256);
                cJSON_AddItemToArray(m, o);
        }
        cJSON *e = cJSON_AddArrayToObject(j, "events");
        for (size_t i = 0; i < r->events.n; i++) {
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "session", r->events.v[i].session_id);
                cJSON_AddStringToObject(o, "event", r->events.v[i].event_id);
                cJSON_AddStringToObject(o, "sha256", r->events.v[i].sha256);
                cJSON_AddItemToArray(e, o);
        }
        cJSON_AddNumberToObject(j, "hunks", (double)r->hunks);
        cJSON_AddNumberToObject(j, "rejected_lines", (double)r->rejected);
        cJSON_AddNumberToObject(j, "commits", (double)r->commits);
        cJSON_AddNumberToObject(j, "commits_rewritten", (double)r->rewritten);
        cJSON_AddNumberToObject(j, "commits_dropped", (double)r->dropped);
        cJSON *h = cJSON_AddArrayToObject(j, "holds");
        for (size_t i = 0; i < r->nholds; i++)
                cJSON_AddItemToArray(h, cJSON_CreateString(r->holds[i]));
        char *text = cJSON_Print(j);
        printf("%s\n", text);
        free(text);
        cJSON_Delete(j);
}

static void print_text(const struct forget_result *r, int dry)
{
        const char *verb = dry ? "would erase" : "erased";
        for (size_t i = 0; i < r->nmemories; i++)
                printf("%s memory %s (%s, %zu matching version%s)\n", verb, r->memories[i].id,
                       r->memories[i].at_head ? "at head" : "history only", r->memories[i].versions,
                       r->memories[i].versions == 1 ? "" : "s");
        for (size_t i = 0; i < r->events.n; i++)
                printf("%s event %s/%s\n", verb, r->events.v[i].session_id,
                       r->events.v[i].event_id);
        if (dry) {
                printf("forget would erase %zu memor%s and %zu event%s and scrub %zu hunk%s and "
                       "%zu rejected line%s, across %zu commits\n",
                       r->nmemories, r->nmemories == 1 ? "y" : "ies", r->events.n,
                       r->events.n == 1 ? "" : "s", r->hunks, r->hunks == 1 ? "" : "s", r->rejected,
                       r->rejected == 1 ? "" : "s", r->commits);
                return;
        }
        printf("erased %zu memor%s and %zu event%s, scrubbed %zu hunk%s and %zu rejected line%s; "
               "history rewritten: %zu of %zu commits rewritten, %zu dropped; main %.12s -> "
               "%.12s (forget %lld)\n",
               r->nmemories, r->nmemories == 1 ? "y" : "ies", r->events.n,
               r->events.n == 1 ? "" : "s", r->hunks, r->hunks == 1 ? "" : "s", r->rejected,
               r->rejected == 1 ? "" : "s", r->rewritten, r->commits, r->dropped, r->old_head,
               r->new_head, (long long)r->purge_id);
}

int cmd_forget(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"subject", required_argument, NULL, 's'}, {"pattern", required_argument, NULL, 'p'},
            {"dry-run", no_argument, NULL, 'n'},       {"json", no_argument, NULL, 'j'},
            {"as", required_argument, NULL, 'a'},      {NULL, 0, NULL, 0}};
        struct forget_opts o = {0};
        int json = 0, c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 's':
                        o.subject = optarg;
                        break;
                case 'p':
                        o.pattern = optarg;
                        break;
                case 'n':
                        o.dry_run = 1;
                        break;
                case 'j':
                        json = 1;
                        break;
                case 'a':
                        o.principal = optarg;
                        break;
                default:
                        fputs(cmd_forget_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind != argc) {
                fputs(cmd_forget_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(home_resolve(cli->home), &h, &err) < 0)
                return cmd_fail("forget", &err);
        if (store_open(h, &s, &err) < 0) {
                home_close(h);
                return cmd_fail("forget", &err);
        }
        struct forget_result r;
        int rc = forget_run(s, &o, &r, &err);
        store_close(s);
        home_close(h);
        if (rc == FORGET_HELD) {
                fprintf(stderr, "curator forget: legal holds cover what matches; nothing was "
                                "erased:\n");
                for (size_t i = 0; i < r.nholds; i++)
                        fprintf(stderr, "  %s\n", r.holds[i]);
                if (json)
                        print_json(&r, o.dry_run, 1);
                forget_result_free(&r);
                return CMD_FOUND;
        }
        if (rc < 0) {
                forget_result_free(&r);
                return cmd_fail("forget", &err);
        }
        if (json)
                print_json(&r, o.dry_run, 0);
        else
                print_text(&r, o.dry_run);
        forget_result_free(&r);
        return CMD_OK;
}
