/* curator init */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "home.h"

const char cmd_init_usage[] =
        "usage: curator [--home DIR] init\n"
        "\n"
        "Creates the curator home if it does not exist: the directory, a default\n"
        "curator.conf, curator.db (SQLite, WAL) with every schema migration applied,\n"
        "and the git memory store. Running it again applies new migrations only.\n";

int cmd_init(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {{NULL, 0, NULL, 0}};
        if (getopt_long(argc, argv, "", opts, NULL) != -1 || optind != argc) {
                fputs(cmd_init_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct home *h = NULL;
        int created = 0;
        const char *dir = home_resolve(cli->home);
        if (home_init(dir, &h, &created, &err) < 0)
                return cmd_fail("init", &err);
        int version = db_schema_version(h->db, &err);
        printf("%s curator home at %s (schema version %d)\n",
               created ? "created" : "updated", dir, version);
        home_close(h);
        return CMD_OK;
}
