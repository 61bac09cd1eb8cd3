#include "textsim.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

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
