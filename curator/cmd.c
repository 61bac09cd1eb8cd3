#include "cmd.h"

#include <string.h>

int cmd_fail(const char *what, const struct err *err)
{
        fprintf(stderr, "curator %s: %s\n", what, err->msg);
        return CMD_ERROR;
}

void cmd_usage(const struct command *c, FILE *out)
{
        fputs(c->usage, out);
}

int cmd_wants_help(int argc, char **argv)
{
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--") == 0)
                        return 0;
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return 1;
        }
        return 0;
}

const struct command *cmd_find(const char *name)
{
        for (const struct command *c = commands; c->name; c++) {
                if (strcmp(c->name, name) == 0)
                        return c;
        }
        return NULL;
}
