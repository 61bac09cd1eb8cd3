/* Fuzzes the --hunks list parser and the unified diff of two texts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "review.h"
#include "udiff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *s = malloc(size + 1);
        memcpy(s, data, size);
        s[size] = '\0';
        int *hunks = NULL;
        size_t n = 0;
        struct err err;
        if (review_parse_hunks(s, &hunks, &n, &err) == 0 && n == 0)
                abort();
        free(hunks);
        /* split the input in two texts at the first NUL or half way */
        size_t half = strlen(s) < size ? strlen(s) : size / 2;
        char *a = strndup(s, half);
        struct buf out = BUF_INIT;
        udiff_unified(a, s + half + (half < size && s[half] == '\0'), "fuzz.md", &out);
        buf_free(&out);
        free(a);
        free(s);
        return 0;
}
