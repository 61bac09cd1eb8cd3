#include "keywords.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define NO_STATE UINT32_MAX

struct kw_entry {
        uint32_t tag;
        uint32_t len;
};

struct keywords {
        /* What keywords_add collected; folded to lower case. */
        char **words;   /* owned */
        size_t *lens;   /* owned */
        uint32_t *tags; /* owned */
        size_t n, cap;

        /* The compiled automaton. Bytes are mapped to classes first (every
         * byte no keyword uses shares class 0), which keeps the transition
         * table small enough to stay in cache. A transition holds the target
         * row offset shifted left by one, with bit 0 set when the target state
         * reports hits, so the scan loop needs one load per byte. */
        uint8_t cls[256];
        uint32_t ncls;
        uint32_t nstates;
        size_t maxlen;        /* the longest keyword */
        uint32_t *delta;      /* owned: nstates * ncls */
        uint32_t *out_off;    /* owned: per state, first entry in out */
        uint32_t *out_n;      /* owned: per state, number of entries */
        struct kw_entry *out; /* owned */
        int compiled;
};

static unsigned char fold(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

struct keywords *keywords_new(void)
{
        return xcalloc(1, sizeof(struct keywords));
}

void keywords_add(struct keywords *kw, const char *word, size_t len, uint32_t tag)
{
        if (len == 0 || kw->compiled)
                return;
        if (kw->n == kw->cap) {
                kw->cap = kw->cap ? kw->cap * 2 : 64;
                kw->words = xrealloc(kw->words, kw->cap * sizeof(*kw->words));
                kw->lens = xrealloc(kw->lens, kw->cap * sizeof(*kw->lens));
                kw->tags = xrealloc(kw->tags, kw->cap * sizeof(*kw->tags));
        }
        char *w = xmalloc(len);
        for (size_t i = 0; i < len; i++)
                w[i] = (char)fold((unsigned char)word[i]);
        kw->words[kw->n] = w;
        kw->lens[kw->n] = len;
        kw->tags[kw->n] = tag;
        kw->n++;
}

void keywords_compile(struct keywords *kw)
{
        if (kw->compiled)
                return;
        kw->compiled = 1;

        /* Byte classes: one per distinct folded byte used by any keyword. */
        uint8_t used[256] = {0};
        for (size_t i = 0; i < kw->n; i++)
                for (size_t j = 0; j < kw->lens[i]; j++)
                        used[(unsigned char)kw->words[i][j]] = 1;
        uint8_t byfold[256] = {0};
        uint32_t ncls = 1;
        for (int c = 0; c < 256; c++)
                if (used[c] && ncls < 256)
                        byfold[c] = (uint8_t)ncls++;
        for (int c = 0; c < 256; c++)
                kw->cls[c] = byfold[fold((unsigned char)c)];
        kw->ncls = ncls;

        /* The trie; NO_STATE marks a missing child until the BFS fills it. */
        size_t total = 1;
        for (size_t i = 0; i < kw->n; i++) {
                total += kw->lens[i];
                if (kw->lens[i] > kw->maxlen)
                        kw->maxlen = kw->lens[i];
        }
        uint32_t *go = xmalloc(total * ncls * sizeof(uint32_t));
        for (size_t i = 0; i < total * ncls; i++)
                go[i] = NO_STATE;
        uint32_t *head = xmalloc(total * sizeof(uint32_t)); /* own keywords of a state */
        uint32_t *next = xmalloc((kw->n ? kw->n : 1) * sizeof(uint32_t));
        for (size_t i = 0; i < total; i++)
                head[i] = NO_STATE;
        uint32_t nstates = 1;
        for (size_t i = 0; i < kw->n; i++) {
                uint32_t s = 0;
                for (size_t j = 0; j < kw->lens[i]; j++) {
                        uint32_t c = byfold[(unsigned char)kw->words[i][j]];
                        if (go[s * ncls + c] == NO_STATE)
                                go[s * ncls + c] = nstates++;
                        s = go[s * ncls + c];
                }
                next[i] = head[s];
                head[s] = (uint32_t)i;
        }

        /* BFS: failure links, the full transition function and the output
         * lists (a state reports its own keywords and its failure state's). */
        uint32_t *fail = xcalloc(nstates, sizeof(uint32_t));
        uint32_t *queue = xmalloc(nstates * sizeof(uint32_t));
        kw->out_off = xcalloc(nstates, sizeof(uint32_t));
        kw->out_n = xcalloc(nstates, sizeof(uint32_t));
        struct kw_entry *out = NULL;
        size_t nout = 0, capout = 0;
        size_t qh = 0, qt = 0;
        queue[qt++] = 0;
        while (qh < qt) {
                uint32_t s = queue[qh++];
                kw->out_off[s] = (uint32_t)nout;
                for (uint32_t i = head[s]; i != NO_STATE; i = next[i]) {
                        if (nout == capout) {
                                capout = capout ? capout * 2 : 64;
                                out = xrealloc(out, capout * sizeof(*out));
                        }
                        out[nout++] = (struct kw_entry){kw->tags[i], (uint32_t)kw->lens[i]};
                }
                if (s != 0) {
                        uint32_t f = fail[s];
                        for (uint32_t k = 0; k < kw->out_n[f]; k++) {
                                if (nout == capout) {
                                        capout = capout ? capout * 2 : 64;
                                        out = xrealloc(out, capout * sizeof(*out));
                                }
                                out[nout++] = out[kw->out_off[f] + k];
                        }
                }
                kw->out_n[s] = (uint32_t)(nout - kw->out_off[s]);
                for (uint32_t c = 0; c < ncls; c++) {
                        uint32_t u = go[s * ncls + c];
                        if (u != NO_STATE && !(s == 0 && c == 0)) {
                                fail[u] = s == 0 ? 0 : go[fail[s] * ncls + c];
                                queue[qt++] = u;
                        } else {
                                go[s * ncls + c] = s == 0 ? 0 : go[fail[s] * ncls + c];
                        }
                }
        }
        kw->out = out;
        kw->nstates = nstates;

        /* Encode transitions as (row offset << 1) | reports-hits. */
        kw->delta = xmalloc((size_t)nstates * ncls * sizeof(uint32_t));
        for (size_t i = 0; i < (size_t)nstates * ncls; i++) {
                uint32_t t = go[i];
                kw->delta[i] = ((t * ncls) << 1) | (kw->out_n[t] ? 1u : 0u);
        }
        free(go);
        free(head);
        free(next);
        free(fail);
        free(queue);
}

/* Hits of the second half of a text, held back until the first half has
 * reported, so hits still come in text order. */
struct held_hits {
        struct {
                uint32_t tag;
                size_t start;
        } * v;
        size_t n, cap;
};

static void hold_hit(struct held_hits *h, uint32_t tag, size_t start)
{
        if (h->n == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 256;
                h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
        }
        h->v[h->n].tag = tag;
        h->v[h->n].start = start;
        h->n++;
}

void keywords_scan(const struct keywords *kw, const char *text, size_t len, keywords_hit_fn on_hit,
                   void *ctx)
{
        if (!kw->compiled || kw->n == 0)
                return;
        const uint32_t *delta = kw->delta;
        const uint8_t *cls = kw->cls;
        const unsigned char *p = (const unsigned char *)text;
        const uint32_t ncls = kw->ncls;
        size_t overlap = kw->maxlen ? kw->maxlen - 1 : 0;

        /* One automaton step depends on the last, so a single pass is bound
         * by load latency. Long texts run as two interleaved passes over the
         * two halves instead (each overlapping the other by the longest
         * keyword less one byte, and reporting only the hits that start in
         * its own half), which keeps two loads in flight. */
        if (len < 4096 || overlap * 4 > len) {
                uint32_t v = 0;
                for (size_t i = 0; i < len; i++) {
                        v = delta[(v >> 1) + cls[p[i]]];
                        if (v & 1) {
                                uint32_t s = (v >> 1) / ncls;
                                const struct kw_entry *e = kw->out + kw->out_off[s];
                                for (uint32_t k = 0; k < kw->out_n[s]; k++)
                                        on_hit(ctx, e[k].tag, i + 1 - e[k].len);
                        }
                }
                return;
        }
        size_t half = len / 2;
        size_t a = 0, a_end = half + overlap;   /* first pass: starts < half */
        size_t b = half - overlap, b_end = len; /* second pass: starts >= half */
        uint32_t va = 0, vb = 0;
        struct held_hits held = {0};
        size_t steps = a_end - a; /* <= b_end - b */
        for (size_t k = 0; k < steps; k++, a++, b++) {
                va = delta[(va >> 1) + cls[p[a]]];
                vb = delta[(vb >> 1) + cls[p[b]]];
                if (va & 1) {
                        uint32_t s = (va >> 1) / ncls;
                        const struct kw_entry *e = kw->out + kw->out_off[s];
                        for (uint32_t j = 0; j < kw->out_n[s]; j++)
                                if (a + 1 - e[j].len < half)
                                        on_hit(ctx, e[j].tag, a + 1 - e[j].len);
                }
                if (vb & 1) {
                        uint32_t s = (vb >> 1) / ncls;
                        const struct kw_entry *e = kw->out + kw->out_off[s];
                        for (uint32_t j = 0; j < kw->out_n[s]; j++)
                                if (b + 1 - e[j].len >= half)
                                        hold_hit(&held, e[j].tag, b + 1 - e[j].len);
                }
        }
        for (; b < b_end; b++) {
                vb = delta[(vb >> 1) + cls[p[b]]];
                if (vb & 1) {
                        uint32_t s = (vb >> 1) / ncls;
                        const struct kw_entry *e = kw->out + kw->out_off[s];
                        for (uint32_t j = 0; j < kw->out_n[s]; j++)
                                if (b + 1 - e[j].len >= half)
                                        hold_hit(&held, e[j].tag, b + 1 - e[j].len);
                }
        }
        for (size_t k = 0; k < held.n; k++)
                on_hit(ctx, held.v[k].tag, held.v[k].start);
        free(held.v);
}

void keywords_free(struct keywords *kw)
{
        if (!kw)
                return;
        for (size_t i = 0; i < kw->n; i++)
                free(kw->words[i]);
        free(kw->words);
        free(kw->lens);
        free(kw->tags);
        free(kw->delta);
        free(kw->out_off);
        free(kw->out_n);
        free(kw->out);
        free(kw);
}
