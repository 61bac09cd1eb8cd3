/* curator: argument parsing, the subcommand table, exit codes. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct command commands[] = {
        {"init", cmd_init, "create a curator home (database, config)", cmd_init_usage},
        {"scan", cmd_scan, "scan files for secrets, PII and prompt injection", cmd_scan_usage},
        {"ingest", cmd_ingest, "ingest session event logs (JSON Lines)", cmd_ingest_usage},
        {"sessions", cmd_sessions, "list ingested sessions", cmd_sessions_usage},
        {"rejected", cmd_rejected, "list input lines ingest could not store", cmd_rejected_usage},
        {"dream", cmd_dream, "run a dreaming pass: propose memory diffs from new events",
         cmd_dream_usage},
        {"review", cmd_review, "list, show, approve and reject memory diffs", cmd_review_usage},
        {"audit", cmd_audit, "list and verify the hash-chained audit log", cmd_audit_usage},
        {"owners", cmd_owners, "show or set OWNERS: who approves which memories",
         cmd_owners_usage},
        {"memories", cmd_memories, "read the memory store; revert a commit", cmd_memories_usage},
        {"store", cmd_store, "verify the memory store; rebuild its index", cmd_store_usage},
        {"principals", cmd_principals, "add and list principals (people, agents)",
         cmd_principals_usage},
        {"groups", cmd_groups, "add and list groups of principals for OWNERS", cmd_groups_usage},
        {"serve", cmd_serve, "serve the HTTP API (memories, events, review, audit)",
         cmd_serve_usage},
        {"tokens", cmd_tokens, "create, list and revoke bearer tokens for serve", cmd_tokens_usage},
        {"export", cmd_export, "write a scope's memories as a /memories directory",
         cmd_export_usage},
        {"mcp", cmd_mcp, "serve memory_search and memory_view over MCP stdio", cmd_mcp_usage},
        {"purge", cmd_purge, "purge expired memories and events; report past purges",
         cmd_purge_usage},
        {"hold", cmd_hold, "add, remove and list legal holds", cmd_hold_usage},
        {"forget", cmd_forget, "erase a data subject from memories, events and history",
         cmd_forget_usage},
        {"pull", cmd_pull, "pull sessions' events from the Managed Agents API", cmd_pull_usage},
        {"publish", cmd_publish, "make a platform memory store hold a scope's memories",
         cmd_publish_usage},
        {"import", cmd_import, "propose a platform memory store's changes as a diff",
         cmd_import_usage},
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
        curl_global_init(CURL_GLOBAL_DEFAULT); /* once, before any thread exists */
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
        optind = 0; /* glibc: 0 re-initializes getopt, so each command parses its own argv
                       with the usual permutation (options after operands work) */
        opterr = 1;
        return cmd->run(sub_argc, sub_argv, &cli);
}
