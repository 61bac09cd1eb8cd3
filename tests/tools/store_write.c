/* Test-only: writes to a home's memory store through the store API, the way
 * review will, so e2e tests and benchmarks can make commits. Not installed;
 * curator itself has no command that bypasses review.
 *
 *   store_write HOME [--as NAME] [--base COMMIT] [--repeat N] OP...
 *   OP: add SCOPE TEXT [ID] | update ID TEXT | delete ID | owners FILE
 *
 * Prints each new commit id. Exit 0 ok, 3 conflict, 2 other error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "home.h"
#include "store.h"

int main(int argc, char **argv)
{
        if (argc < 3) {
                fprintf(stderr, "usage: store_write HOME [--as NAME] [--base C] [--repeat N] "
                                "add SCOPE TEXT [ID] | update ID TEXT | delete ID | owners FILE\n");
                return 2;
        }
        const char *as = "tester", *base = NULL;
        long repeat = 1;
        int i = 2;
        for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
                if (strcmp(argv[i], "--as") == 0)
                        as = argv[i + 1];
                else if (strcmp(argv[i], "--base") == 0)
                        base = argv[i + 1];
                else if (strcmp(argv[i], "--repeat") == 0)
                        repeat = strtol(argv[i + 1], NULL, 10);
        }
        struct store_change ch[64];
        struct buf files[64];
        size_t n = 0;
        memset(ch, 0, sizeof(ch));
        memset(files, 0, sizeof(files));
        while (i < argc && n < 64) {
                struct store_change *c = &ch[n];
                c->legal_hold = -1;
                const char *op = argv[i];
                if (strcmp(op, "add") == 0 && i + 2 < argc) {
                        c->op = STORE_ADD;
                        c->scope = argv[i + 1];
                        c->text = argv[i + 2];
                        i += 3;
                        if (i < argc && strncmp(argv[i], "mem-", 4) == 0)
                                c->id = argv[i++];
                } else if (strcmp(op, "update") == 0 && i + 2 < argc) {
                        c->op = STORE_UPDATE;
                        c->id = argv[i + 1];
                        c->text = argv[i + 2];
                        i += 3;
                } else if (strcmp(op, "delete") == 0 && i + 1 < argc) {
                        c->op = STORE_DELETE;
                        c->id = argv[i + 1];
                        i += 2;
                } else if (strcmp(op, "owners") == 0 && i + 1 < argc) {
                        struct err err;
                        if (fileio_read_all(argv[i + 1], &files[n], NULL, &err) < 0) {
                                fprintf(stderr, "store_write: %s\n", err.msg);
                                return 2;
                        }
                        c->op = STORE_WRITE_FILE;
                        c->path = STORE_OWNERS_PATH;
                        c->text = buf_cstr(&files[n]);
                        i += 2;
                } else {
                        fprintf(stderr, "store_write: bad operation at '%s'\n", op);
                        return 2;
                }
                n++;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(argv[1], &h, &err) < 0 || store_open(h, &s, &err) < 0) {
                fprintf(stderr, "store_write: %s\n", err.msg);
                return 2;
        }
        int rc = 0;
        for (long r = 0; r < repeat && rc == 0; r++) {
                char out[41];
                struct buf msg = BUF_INIT;
                buf_addf(&msg, "Test write %ld by %s", r + 1, as);
                const char *evidence[] = {"sesn_test/sevt_1"};
                struct store_commit_info info = {
                    .author_name = as,
                    .message = buf_cstr(&msg),
                    .diff_id = "diff-test",
                    .approved_by = as,
                    .evidence = evidence,
                    .nevidence = 1,
                };
                /* With --repeat, each add gets a fresh id and each text a counter. */
                struct buf texts[64];
                struct store_change cur[64];
                memcpy(cur, ch, n * sizeof(*ch));
                for (size_t k = 0; k < n; k++) {
                        texts[k] = (struct buf)BUF_INIT;
                        if (repeat > 1 && cur[k].op != STORE_WRITE_FILE && cur[k].text) {
                                buf_addf(&texts[k], "%s (%ld)", cur[k].text, r + 1);
                                cur[k].text = buf_cstr(&texts[k]);
                                if (cur[k].op == STORE_ADD)
                                        cur[k].id = NULL;
                        }
                }
                int r2 = store_apply_changes(s, cur, n, &info, base, out, &err);
                for (size_t k = 0; k < n; k++)
                        buf_free(&texts[k]);
                buf_free(&msg);
                if (r2 == STORE_CONFLICT) {
                        fprintf(stderr, "store_write: %s\n", err.msg);
                        rc = 3;
                } else if (r2 < 0) {
                        fprintf(stderr, "store_write: %s\n", err.msg);
                        rc = 2;
                } else {
                        printf("%s\n", out);
                }
        }
        for (size_t k = 0; k < n; k++)
                buf_free(&files[k]);
        store_close(s);
        home_close(h);
        return rc;
}
