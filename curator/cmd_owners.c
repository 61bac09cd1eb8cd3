/* curator owners show|set */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "cmd.h"
#include "db_store.h"
#include "fileio.h"
#include "home.h"
#include "owners.h"
#include "sha256.h"
#include "store.h"

const char cmd_owners_usage[] =
        "usage: curator [--home DIR] owners show [--at COMMIT]\n"
        "       curator [--home DIR] owners set FILE|- --as ADMIN\n"
        "\n"
        "OWNERS, at the root of the memory store, says who may approve changes to\n"
        "which memories: CODEOWNERS syntax, one pattern and its owners per line\n"
        "(principal names or @groups), the last matching line wins. `set` checks the\n"
        "new file parses and commits it as ADMIN (an admin principal); the change is\n"
        "audited.\n";

int cmd_owners(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
                {"as", required_argument, NULL, 'a'},
                {"at", required_argument, NULL, 't'},
                {NULL, 0, NULL, 0},
        };
        if (argc < 2) {
                fputs(cmd_owners_usage, stderr);
                return CMD_ERROR;
        }
        const char *verb = argv[1], *as = NULL, *at = NULL;
        int c;
        while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
                if (c == 'a')
                        as = optarg;
                else if (c == 't')
                        at = optarg;
                else {
                        fputs(cmd_owners_usage, stderr);
                        return CMD_ERROR;
                }
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        struct buf text = BUF_INIT;
        struct principal p = {0};
        struct owners *o = NULL;
        int status = CMD_ERROR;
        if (home_open(home_resolve(cli->home), &h, &err) < 0 || store_open(h, &s, &err) < 0) {
                status = cmd_fail("owners", &err);
                goto out;
        }
        if (strcmp(verb, "show") == 0) {
                if (store_read_file(s, STORE_OWNERS_PATH, at, &text, &err) < 0) {
                        status = cmd_fail("owners show", &err);
                        goto out;
                }
                fwrite(text.ptr, 1, text.len, stdout);
                status = CMD_OK;
                goto out;
        }
        if (strcmp(verb, "set") != 0 || optind + 1 >= argc) {
                fputs(cmd_owners_usage, stderr);
                goto out;
        }
        const char *file = argv[optind + 1];
        if (!as) {
                fprintf(stderr, "curator owners set: say who you are with --as ADMIN\n");
                goto out;
        }
        int found = 0;
        if (db_principals_get(h->db, as, &p, &found, &err) < 0) {
                status = cmd_fail("owners set", &err);
                goto out;
        }
        if (!found || strcmp(p.role, "admin") != 0) {
                fprintf(stderr, "curator owners set: only an admin may change OWNERS; %s is %s\n",
                        as, found ? p.role : "not a principal");
                goto out;
        }
        int rc = strcmp(file, "-") == 0 ? fileio_read_all("/dev/stdin", &text, NULL, &err)
                                        : fileio_read_all(file, &text, NULL, &err);
        if (rc < 0 || owners_parse(buf_cstr(&text), text.len, file, &o, &err) < 0) {
                status = cmd_fail("owners set", &err);
                goto out;
        }
        struct store_change ch = {.op = STORE_WRITE_FILE, .path = STORE_OWNERS_PATH,
                                  .text = buf_cstr(&text), .text_len = text.len,
                                  .legal_hold = -1};
        struct store_commit_info info = {.author_name = as, .message = "Update OWNERS",
                                         .approved_by = as};
        char commit[41];
        if (store_apply_changes(s, &ch, 1, &info, NULL, commit, &err) != 0) {
                status = cmd_fail("owners set", &err);
                goto out;
        }
        char hash[65];
        sha256_hex(text.ptr, text.len, hash);
        struct buf detail = BUF_INIT;
        buf_addf(&detail, "{\"commit\":\"%s\",\"sha256\":\"%s\",\"rules\":%zu}", commit, hash, o->n);
        rc = audit_append(h->db, as, "owners.set", commit, detail.ptr, &err);
        buf_free(&detail);
        if (rc < 0) {
                status = cmd_fail("owners set", &err);
                goto out;
        }
        printf("OWNERS updated (%zu rules) in store commit %s\n", o->n, commit);
        status = CMD_OK;
out:
        owners_free(o);
        principal_clear(&p);
        buf_free(&text);
        store_close(s);
        home_close(h);
        return status;
}
