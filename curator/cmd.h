/* The subcommands. Each cmd_<name> parses its own flags, calls modules and
 * prints; it returns an exit code (CMD_OK, CMD_FOUND, CMD_ERROR) that main.c
 * passes on. Modules never print. */
#ifndef CURATOR_CMD_H
#define CURATOR_CMD_H

#include <stdio.h>

#include "err.h"

enum { CMD_OK = 0, CMD_FOUND = 1, CMD_ERROR = 2 };

struct cli {
        const char *home; /* --home, or NULL: see home_resolve() */
};

struct command {
        const char *name;
        int (*run)(int argc, char **argv, const struct cli *cli);
        const char *summary; /* one line for `curator --help` */
        const char *usage;   /* the whole `--help` text */
};

/* The table main.c dispatches from, ended by a NULL name. */
extern const struct command commands[];

/* Prints "curator <what>: <err.msg>" to stderr and returns CMD_ERROR. */
int cmd_fail(const char *what, const struct err *err);
/* Prints usage for a command to out. */
void cmd_usage(const struct command *c, FILE *out);
/* Returns 1 if argv holds -h/--help before any "--". */
int cmd_wants_help(int argc, char **argv);
/* Looks a command up by name, or NULL. */
const struct command *cmd_find(const char *name);

int cmd_init(int argc, char **argv, const struct cli *cli);
int cmd_ingest(int argc, char **argv, const struct cli *cli);
int cmd_rejected(int argc, char **argv, const struct cli *cli);
int cmd_sessions(int argc, char **argv, const struct cli *cli);
int cmd_dream(int argc, char **argv, const struct cli *cli);
int cmd_review(int argc, char **argv, const struct cli *cli);
int cmd_audit(int argc, char **argv, const struct cli *cli);
int cmd_owners(int argc, char **argv, const struct cli *cli);
int cmd_scan(int argc, char **argv, const struct cli *cli);

extern const char cmd_init_usage[], cmd_ingest_usage[], cmd_rejected_usage[],
        cmd_sessions_usage[], cmd_dream_usage[], cmd_review_usage[], cmd_audit_usage[],
        cmd_owners_usage[];
extern const char cmd_scan_usage[];

/* The memory store (cmd_memories.c, cmd_store.c, cmd_principals.c). */
int cmd_memories(int argc, char **argv, const struct cli *cli);
int cmd_store(int argc, char **argv, const struct cli *cli);
int cmd_principals(int argc, char **argv, const struct cli *cli);
int cmd_groups(int argc, char **argv, const struct cli *cli);
extern const char cmd_memories_usage[], cmd_store_usage[], cmd_principals_usage[],
        cmd_groups_usage[];

/* The HTTP service and what feeds the platform (cmd_serve.c, cmd_export.c). */
int cmd_serve(int argc, char **argv, const struct cli *cli);
int cmd_tokens(int argc, char **argv, const struct cli *cli);
int cmd_export(int argc, char **argv, const struct cli *cli);
int cmd_mcp(int argc, char **argv, const struct cli *cli);
/* `curator memories fetch`: argv[0] is "fetch". */
int cmd_memories_fetch(int argc, char **argv, const struct cli *cli);
extern const char cmd_serve_usage[], cmd_tokens_usage[], cmd_export_usage[], cmd_mcp_usage[];

/* Retention, legal holds and erasure (cmd_purge.c, cmd_forget.c). */
int cmd_purge(int argc, char **argv, const struct cli *cli);
int cmd_hold(int argc, char **argv, const struct cli *cli);
int cmd_forget(int argc, char **argv, const struct cli *cli);
extern const char cmd_purge_usage[], cmd_hold_usage[], cmd_forget_usage[];

/* The Managed Agents platform: pull sessions, publish and import memory
 * stores (cmd_platform.c). */
int cmd_pull(int argc, char **argv, const struct cli *cli);
int cmd_publish(int argc, char **argv, const struct cli *cli);
int cmd_import(int argc, char **argv, const struct cli *cli);
extern const char cmd_pull_usage[], cmd_publish_usage[], cmd_import_usage[];
/* `curator export --format claude-code|memory-tool`: cmd_export hands over
 * to cmd_export_format when cmd_export_wants_format says --format is given. */
int cmd_export_wants_format(int argc, char **argv);
int cmd_export_format(int argc, char **argv, const struct cli *cli);

#endif
