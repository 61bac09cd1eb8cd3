/* Bench helper: one commit adding NMEM memories to scope SCOPE, through the
 * store API (as an approval would), so GET /v1/memories has a large store
 * to serve from.   seed HOME SCOPE NMEM   prints the commit id. */
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "home.h"
#include "store.h"

static const char *const topics[] = {"build", "deploy", "test", "release", "database",
                                     "cache", "queue",  "auth", "logging", "metrics"};

int main(int argc, char **argv)
{
        if (argc != 4) {
                fprintf(stderr, "usage: seed HOME SCOPE NMEM\n");
                return 2;
        }
        long n = strtol(argv[3], NULL, 10);
        struct store_change *ch = calloc((size_t)n, sizeof(*ch));
        struct buf *texts = calloc((size_t)n, sizeof(*texts));
        const char *tags[] = {"bench"};
        for (long i = 0; i < n; i++) {
                buf_addf(&texts[i],
                         "Lesson %ld about %s: when the %s step fails with exit code %ld, run the "
                         "narrow target first and read its log before retrying the whole job.\n",
                         i, topics[i % 10], topics[(i / 10) % 10], i % 97);
                ch[i] = (struct store_change){.op = STORE_ADD,
                                              .scope = argv[2],
                                              .text = texts[i].ptr,
                                              .tags = tags,
                                              .ntags = 1,
                                              .legal_hold = -1};
        }
        struct home *h = NULL;
        struct store *s = NULL;
        struct err err;
        if (home_open(argv[1], &h, &err) < 0 || store_open(h, &s, &err) < 0) {
                fprintf(stderr, "seed: %s\n", err.msg);
                return 2;
        }
        struct store_commit_info info = {
            .author_name = "bench", .message = "Seed the store", .approved_by = "bench"};
        char out[41];
        if (store_apply_changes(s, ch, (size_t)n, &info, NULL, out, &err) != 0) {
                fprintf(stderr, "seed: %s\n", err.msg);
                return 2;
        }
        printf("%s\n", out);
        for (long i = 0; i < n; i++)
                buf_free(&texts[i]);
        free(texts);
        free(ch);
        store_close(s);
        home_close(h);
        return 0;
}
