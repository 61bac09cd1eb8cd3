#include "textsim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strmap.h"

static const char *const stopwords[] = {
        "a", "about", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as",
        "at", "be", "been", "before", "being", "but", "by", "can", "could", "did", "do",
        "does", "for", "from", "had", "has", "have", "he", "her", "here", "him", "his", "how",
        "i", "if", "in", "into", "is", "it", "its", "just", "let", "me", "my", "of", "on",
        "one", "only", "or", "our", "out", "please", "so", "some", "that", "the", "their",
        "them", "then", "there", "these", "they", "this", "those", "to", "too", "up", "us",
        "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "why",
        "will", "with", "would", "you", "your", NULL};

static int is_stopword(const char *w)
{
        for (int i = 0; stopwords[i]; i++) {
                if (strcmp(w, stopwords[i]) == 0)
                        return 1;
        }
        return 0;
}

/* Folds common English endings so "tests"/"testing"/"test" and
 * "commit"/"committing" meet. */
static void fold(char *w)
{
        size_t n = strlen(w);
        if (n > 5 && strcmp(w + n - 3, "ing") == 0) {
                w[n - 3] = '\0';
                n -= 3;
                if (n > 3 && w[n - 1] == w[n - 2] && !strchr("aeiouls", w[n - 1]))
                        w[n - 1] = '\0'; /* committ → commit, runn → run */
        }
        else if (n > 4 && strcmp(w + n - 3, "ies") == 0)
                strcpy(w + n - 3, "y");
        else if (n > 3 && w[n - 1] == 's' && w[n - 2] != 's' && w[n - 2] != 'u')
                w[n - 1] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_word(struct wordset *s, const char *w, size_t len)
{
        if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 16;
                s->w = xrealloc(s->w, s->cap * sizeof(*s->w));
        }
        s->w[s->n++] = xstrndup(w, len);
}

void wordset_free(struct wordset *s)
{
        for (size_t i = 0; i < s->n; i++)
                free(s->w[i]);
        free(s->w);
        s->w = NULL;
        s->n = s->cap = 0;
}

void textsim_words(const char *text, struct wordset *set)
{
        for (size_t i = 0; i < set->n; i++)
                free(set->w[i]);
        set->n = 0;
        struct buf word = BUF_INIT;
        const unsigned char *p = (const unsigned char *)text;
        while (*p) {
                if (*p == '`') {
                        /* A code span is one word: `npm ci` must not meet "ci". */
                        const unsigned char *end = (const unsigned char *)strchr((const char *)p + 1, '`');
                        if (end && end > p + 1) {
                                /* the span whole, and its words as well */
                                buf_reset(&word);
                                for (const unsigned char *q = p + 1; q < end; q++)
                                        buf_addc(&word, (char)tolower(*q));
                                add_word(set, word.ptr, word.len);
                                struct wordset inner = {0};
                                char *span = xstrndup((const char *)p + 1,
                                                      (size_t)(end - p - 1));
                                textsim_words(span, &inner);
                                for (size_t i = 0; i < inner.n; i++) {
                                        add_word(set, inner.w[i], strlen(inner.w[i]));
                                }
                                wordset_free(&inner);
                                free(span);
                                buf_reset(&word);
                                p = end + 1;
                                continue;
                        }
                        p++;
                        continue;
                }
                if (isalnum(*p) || *p >= 0x80 || *p == '_' ||
                    ((*p == '-' || *p == '.' || *p == '/') && word.len && isalnum(p[1]))) {
                        buf_addc(&word, (char)tolower(*p));
                        p++;
                        if (*p)
                                continue;
                }
                if (word.len) {
                        fold(word.ptr);
                        if (!is_stopword(word.ptr) && strlen(word.ptr) > 0)
                                add_word(set, word.ptr, strlen(word.ptr));
                        buf_reset(&word);
                }
                if (*p)
                        p++;
        }
        buf_free(&word);
        if (!set->n)
                return;
        qsort(set->w, set->n, sizeof(*set->w), cmp_str);
        size_t out = 1;
        for (size_t i = 1; i < set->n; i++) {
                if (strcmp(set->w[i], set->w[out - 1]) == 0)
                        free(set->w[i]);
                else
                        set->w[out++] = set->w[i];
        }
        set->n = out;
}

static size_t intersection(const struct wordset *a, const struct wordset *b)
{
        size_t i = 0, j = 0, n = 0;
        while (i < a->n && j < b->n) {
                int c = strcmp(a->w[i], b->w[j]);
                if (c == 0) {
                        n++;
                        i++;
                        j++;
                } else if (c < 0) {
                        i++;
                } else {
                        j++;
                }
        }
        return n;
}

double textsim_jaccard(const struct wordset *a, const struct wordset *b)
{
        if (!a->n && !b->n)
                return 0;
        size_t in = intersection(a, b);
        return (double)in / (double)(a->n + b->n - in);
}

double textsim_containment(const struct wordset *a, const struct wordset *b)
{
        size_t m = a->n < b->n ? a->n : b->n;
        if (!m)
                return 0;
        return (double)intersection(a, b) / (double)m;
}

int textsim_has(const struct wordset *s, const char *word)
{
        return bsearch(&word, s->w, s->n, sizeof(*s->w), cmp_str) != NULL;
}

struct word_posting {
        size_t *ids;
        size_t n, cap;
};

void word_index_init(struct word_index *ix)
{
        ix->words = xcalloc(1, sizeof(*ix->words));
        ix->ids = 0;
}

void word_index_free(struct word_index *ix)
{
        if (!ix->words)
                return;
        for (size_t i = 0; i < ix->words->cap; i++) {
                struct word_posting *p = ix->words->slots[i].value;
                if (ix->words->slots[i].key && p) {
                        free(p->ids);
                        free(p);
                }
        }
        strmap_free(ix->words);
        free(ix->words);
        ix->words = NULL;
}

void word_index_add(struct word_index *ix, size_t id, const struct wordset *w)
{
        for (size_t i = 0; i < w->n; i++) {
                struct word_posting *p = strmap_get(ix->words, w->w[i]);
                if (!p) {
                        p = xcalloc(1, sizeof(*p));
                        strmap_put(ix->words, w->w[i], p);
                }
                if (p->n && p->ids[p->n - 1] == id)
                        continue;
                if (p->n == p->cap) {
                        p->cap = p->cap ? p->cap * 2 : 4;
                        p->ids = xrealloc(p->ids, p->cap * sizeof(*p->ids));
                }
                p->ids[p->n++] = id;
        }
        if (id + 1 > ix->ids)
                ix->ids = id + 1;
}

static int cmp_size(const void *a, const void *b)
{
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        return x < y ? -1 : x > y;
}

size_t word_index_candidates(const struct word_index *ix, const struct wordset *w,
                             size_t max_df, size_t **out, size_t *cap)
{
        size_t n = 0;
        for (size_t i = 0; i < w->n; i++) {
                const struct word_posting *p = strmap_get(ix->words, w->w[i]);
                if (!p || p->n > max_df)
                        continue;
                if (n + p->n > *cap) {
                        *cap = (n + p->n) * 2;
                        *out = xrealloc(*out, *cap * sizeof(**out));
                }
                memcpy(*out + n, p->ids, p->n * sizeof(**out));
                n += p->n;
        }
        if (!n)
                return 0;
        qsort(*out, n, sizeof(**out), cmp_size);
        size_t u = 1;
        for (size_t i = 1; i < n; i++) {
                if ((*out)[i] != (*out)[u - 1])
                        (*out)[u++] = (*out)[i];
        }
        return u;
}

void textsim_key(const struct wordset *w, struct buf *out)
{
        buf_reset(out);
        for (size_t i = 0; i < w->n; i++) {
                if (i)
                        buf_addc(out, ' ');
                buf_adds(out, w->w[i]);
        }
}
