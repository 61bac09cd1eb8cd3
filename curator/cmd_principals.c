/* curator principals add|list and curator groups add|list: who may approve,
 * revert and purge (roles), and the @groups OWNERS refers to. */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "db_store.h"
#include "home.h"

const char cmd_principals_usage[] =
    "usage: curator [--home DIR] principals add NAME --role ROLE [--scopes a,b]\n"
    "       curator [--home DIR] principals list [--json]\n"
    "\n"
    "Principals are the people and agents curator acts for (`--as NAME`).\n"
    "ROLE is owner (approves and reverts what OWNERS gives it), compliance\n"
    "(retention, holds, purges, erasure), agent (reads its scopes' memories)\n"
    "or admin (everything). --scopes limits a principal to those scopes;\n"
    "without it, every scope.\n";

const char cmd_groups_usage[] =
    "usage: curator [--home DIR] groups add NAME MEMBER...\n"
    "       curator [--home DIR] groups list [--json]\n"
    "\n"
    "Groups of principals, named @NAME in the store's OWNERS file. `add` creates\n"
    "the group if needed and adds each MEMBER (an existing principal).\n";

static int open_home(const struct cli *cli, struct home **h, const char *what)
{
        struct err err;
        if (home_open(home_resolve(cli->home), h, &err) < 0)
                return cmd_fail(what, &err);
        return CMD_OK;
}

static void print_json(cJSON *j)
{
        char *s = cJSON_Print(j);
        printf("%s\n", s ? s : "null");
        free(s);
        cJSON_Delete(j);
}

int cmd_principals(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {{"role", required_argument, NULL, 'r'},
                                             {"scopes", required_argument, NULL, 's'},
                                             {"json", no_argument, NULL, 'j'},
                                             {NULL, 0, NULL, 0}};
        const char *role = NULL, *scopes = NULL;
        int json = 0, c;
        if (argc < 2) {
                fputs(cmd_principals_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1];
        optind = 0; /* full reset: main's getopt state must not carry over */
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                if (c == 'r')
                        role = optarg;
                else if (c == 's')
                        scopes = optarg;
                else if (c == 'j')
                        json = 1;
                else {
                        fputs(cmd_principals_usage, stderr);
                        return CMD_ERROR;
                }
        }
        int npos = argc - 1 - optind;
        char **pos = argv + 1 + optind;
        int add = strcmp(sub, "add") == 0;
        if ((add && (npos != 1 || !role)) || (!add && (strcmp(sub, "list") || npos != 0))) {
                fputs(cmd_principals_usage, stderr);
                return CMD_ERROR;
        }
        struct home *h = NULL;
        struct err err;
        if (open_home(cli, &h, "principals") != CMD_OK)
                return CMD_ERROR;
        int rc = CMD_OK;
        if (add) {
                if (db_principals_add(h->db, pos[0], role, scopes, &err) < 0)
                        rc = cmd_fail("principals add", &err);
                else
                        printf("added principal %s (role %s, scopes %s)\n", pos[0], role,
                               scopes && *scopes ? scopes : "all");
        } else {
                struct principal_list l = {0};
                if (db_principals_list(h->db, &l, &err) < 0) {
                        rc = cmd_fail("principals list", &err);
                } else if (json) {
                        cJSON *a = cJSON_CreateArray();
                        for (size_t i = 0; i < l.n; i++) {
                                cJSON *o = cJSON_CreateObject();
                                cJSON_AddStringToObject(o, "name", l.v[i].name);
                                cJSON_AddStringToObject(o, "role", l.v[i].role);
                                if (l.v[i].scopes)
                                        cJSON_AddStringToObject(o, "scopes", l.v[i].scopes);
                                else
                                        cJSON_AddNullToObject(o, "scopes");
                                cJSON_AddStringToObject(o, "groups",
                                                        l.v[i].groups ? l.v[i].groups : "");
                                cJSON_AddStringToObject(o, "created_at", l.v[i].created_at);
                                cJSON_AddItemToArray(a, o);
                        }
                        print_json(a);
                } else {
                        printf("%-24s %-11s %-24s %s\n", "NAME", "ROLE", "SCOPES", "GROUPS");
                        for (size_t i = 0; i < l.n; i++)
                                printf("%-24s %-11s %-24s %s\n", l.v[i].name, l.v[i].role,
                                       l.v[i].scopes ? l.v[i].scopes : "(all)",
                                       l.v[i].groups ? l.v[i].groups : "");
                }
                principal_list_free(&l);
        }
        home_close(h);
        return rc;
}

int cmd_groups(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
        int json = 0, c;
        if (argc < 2) {
                fputs(cmd_groups_usage, stderr);
                return CMD_ERROR;
        }
        const char *sub = argv[1];
        optind = 0; /* full reset: main's getopt state must not carry over */
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                if (c != 'j') {
                        fputs(cmd_groups_usage, stderr);
                        return CMD_ERROR;
                }
                json = 1;
        }
        int npos = argc - 1 - optind;
        char **pos = argv + 1 + optind;
        int add = strcmp(sub, "add") == 0;
        if ((add && npos < 2) || (!add && (strcmp(sub, "list") || npos != 0))) {
                fputs(cmd_groups_usage, stderr);
                return CMD_ERROR;
        }
        struct home *h = NULL;
        struct err err;
        if (open_home(cli, &h, "groups") != CMD_OK)
                return CMD_ERROR;
        int rc = CMD_OK;
        if (add) {
                const char *name = pos[0][0] == '@' ? pos[0] + 1 : pos[0];
                if (db_groups_add(h->db, name, (const char *const *)pos + 1, (size_t)npos - 1,
                                  &err) < 0)
                        rc = cmd_fail("groups add", &err);
                else
                        printf("group @%s: added %d member%s\n", name, npos - 1,
                               npos == 2 ? "" : "s");
        } else {
                struct memory_list_str names = {0}, members = {0};
                if (db_groups_list(h->db, &names, &members, &err) < 0) {
                        rc = cmd_fail("groups list", &err);
                } else if (json) {
                        cJSON *a = cJSON_CreateArray();
                        for (size_t i = 0; i < names.n; i++) {
                                cJSON *o = cJSON_CreateObject();
                                cJSON_AddStringToObject(o, "name", names.v[i]);
                                cJSON *m = cJSON_AddArrayToObject(o, "members");
                                for (char *p = members.v[i]; p && *p;) {
                                        char *comma = strchr(p, ',');
                                        size_t n = comma ? (size_t)(comma - p) : strlen(p);
                                        char *one = xstrndup(p, n);
                                        cJSON_AddItemToArray(m, cJSON_CreateString(one));
                                        free(one);
                                        p = comma ? comma + 1 : p + n;
                                }
                                cJSON_AddItemToArray(a, o);
                        }
                        print_json(a);
                } else {
                        for (size_t i = 0; i < names.n; i++)
                                printf("@%-23s %s\n", names.v[i], members.v[i]);
                }
                memory_list_clear(&names);
                memory_list_clear(&members);
        }
        home_close(h);
        return rc;
}
