/* curator: argument parsing, the subcommand table, exit codes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct command commands[] = {
        {"init", cmd_init, "create a curator home (database, config)", cmd_init_usage},
        {NULL, NULL, NULL, NULL},
};

static void usage(FILE *out)
{
        fprintf(out, "usage: curator [--home DIR] <command> [options]\n\n"
                     "Memory and dreaming curation for AI agents.\n\n"
                     "Commands:\n");
        for (const struct command *c = commands; c->name; c++)
                fprintf(out, "  %-12s %s\n", c->name, c->summary);
        fprintf(out, "\nGlobal options:\n"
                     "  --home DIR   the curator home (default $CURATOR_HOME, else ./curator-data)\n"
                     "  --help       this text; `curator <command> --help` for one command\n"
                     "  --version    print the version\n");
}

int main(int argc, char **argv)
{
        struct cli cli = {0};
        static const struct option opts[] = {
                {"home", required_argument, NULL, 'H'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {NULL, 0, NULL, 0},
        };
        int c;
        opterr = 0;
        /* '+' stops at the first non-option: the subcommand owns the rest. */
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                switch (c) {
                case 'H':
                        cli.home = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return CMD_OK;
                case 'V':
                        printf("curator 0.1.0\n");
                        return CMD_OK;
                default:
                        fprintf(stderr, "curator: unknown option '%s'\n", argv[optind - 1]);
                        usage(stderr);
                        return CMD_ERROR;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return CMD_ERROR;
        }
        const char *name = argv[optind];
        if (strcmp(name, "help") == 0) {
                const struct command *cmd = optind + 1 < argc ? cmd_find(argv[optind + 1]) : NULL;
                if (cmd)
                        cmd_usage(cmd, stdout);
                else
                        usage(stdout);
                return CMD_OK;
        }
        const struct command *cmd = cmd_find(name);
        if (!cmd) {
                fprintf(stderr, "curator: '%s' is not a command; see `curator --help`\n", name);
                return CMD_ERROR;
        }
        int sub_argc = argc - optind;
        char **sub_argv = argv + optind;
        if (cmd_wants_help(sub_argc, sub_argv)) {
                cmd_usage(cmd, stdout);
                return CMD_OK;
        }
        optind = 1; /* each command runs getopt_long over its own argv */
        opterr = 1;
        return cmd->run(sub_argc, sub_argv, &cli);
}
