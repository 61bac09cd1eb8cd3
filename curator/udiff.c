#include "udiff.h"

#include <stdlib.h>
#include <string.h>

struct lines {
        const char **v; /* borrowed starts */
        size_t *len;
        size_t n;
};

static void split(const char *s, struct lines *l)
{
        l->n = 0;
        l->v = NULL;
        l->len = NULL;
        if (!s || !*s)
                return;
        size_t cap = 0;
        const char *p = s;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                if (l->n == cap) {
                        cap = cap ? cap * 2 : 16;
                        l->v = xrealloc(l->v, cap * sizeof(*l->v));
                        l->len = xrealloc(l->len, cap * sizeof(*l->len));
                }
                l->v[l->n] = p;
                l->len[l->n] = n;
                l->n++;
                p = nl ? nl + 1 : p + n;
        }
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
        return a->len[i] == b->len[j] && memcmp(a->v[i], b->v[j], a->len[i]) == 0;
}

void udiff_unified(const char *old_text, const char *new_text, const char *path,
                   struct buf *out)
{
        if (old_text && new_text && strcmp(old_text, new_text) == 0)
                return;
        struct lines a, b;
        split(old_text, &a);
        split(new_text, &b);
        /* LCS table; memories are a few lines, so O(n*m) is fine. */
        size_t w = b.n + 1;
        size_t *t = xcalloc((a.n + 1) * w, sizeof(*t));
        for (size_t i = a.n; i-- > 0;)
                for (size_t j = b.n; j-- > 0;)
                        t[i * w + j] = same(&a, i, &b, j)
                                               ? t[(i + 1) * w + j + 1] + 1
                                               : (t[(i + 1) * w + j] > t[i * w + j + 1]
                                                          ? t[(i + 1) * w + j]
                                                          : t[i * w + j + 1]);
        buf_addf(out, "--- %s%s\n+++ %s%s\n", old_text ? "a/" : "", old_text ? path : "/dev/null",
                 new_text ? "b/" : "", new_text ? path : "/dev/null");
        buf_addf(out, "@@ -%zu,%zu +%zu,%zu @@\n", a.n ? (size_t)1 : 0, a.n,
                 b.n ? (size_t)1 : 0, b.n);
        size_t i = 0, j = 0;
        while (i < a.n || j < b.n) {
                if (i < a.n && j < b.n && same(&a, i, &b, j)) {
                        buf_addc(out, ' ');
                        buf_add(out, a.v[i], a.len[i]);
                        i++;
                        j++;
                } else if (j < b.n && (i == a.n || t[i * w + j + 1] >= t[(i + 1) * w + j])) {
                        buf_addc(out, '+');
                        buf_add(out, b.v[j], b.len[j]);
                        j++;
                } else {
                        buf_addc(out, '-');
                        buf_add(out, a.v[i], a.len[i]);
                        i++;
                }
                buf_addc(out, '\n');
        }
        free(t);
        free(a.v);
        free(a.len);
        free(b.v);
        free(b.len);
}
