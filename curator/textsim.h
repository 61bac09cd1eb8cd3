/* Text similarity for dreaming: normalized word sets and their Jaccard
 * overlap, so "Always run the narrow test first" and "run the narrow tests
 * first, always" are recognized as one fact. */
#ifndef CURATOR_TEXTSIM_H
#define CURATOR_TEXTSIM_H

#include <stddef.h>

#include "buf.h"

struct strmap;

struct wordset {
        char **w;   /* owned, each owned; sorted, unique */
        size_t n, cap;
};

/* Fills set with the significant words of text: lowercased, punctuation
 * stripped (but `code spans` kept whole), stopwords dropped, plural and -ing
 * endings folded. Clears set first. */
void textsim_words(const char *text, struct wordset *set);
/* |a ∩ b| / |a ∪ b|, 0 for two empty sets. */
double textsim_jaccard(const struct wordset *a, const struct wordset *b);
/* |a ∩ b| / min(|a|, |b|): how much of the smaller set the larger covers. */
double textsim_containment(const struct wordset *a, const struct wordset *b);
int textsim_has(const struct wordset *s, const char *word);
void wordset_free(struct wordset *s);


/* An inverted index from words to the ids of the word sets holding them, so
 * similar sets are found through shared words, not by comparing all pairs. */
struct word_index {
        struct strmap *words; /* owned: word → struct word_posting* (owned) */
        size_t ids;           /* one more than the largest id added */
};

void word_index_init(struct word_index *ix);
void word_index_free(struct word_index *ix);
/* Adds id under each word of w. */
void word_index_add(struct word_index *ix, size_t id, const struct wordset *w);
/* Fills out (a reusable buffer; *cap is its size) with the ids, ascending and
 * unique, that share a word with w, ignoring words held by more than max_df
 * ids (words that common say nothing about similarity). Returns the count. */
size_t word_index_candidates(const struct word_index *ix, const struct wordset *w,
                             size_t max_df, size_t **out, size_t *cap);
/* The words of w joined by spaces: equal keys mean equal word sets. */
void textsim_key(const struct wordset *w, struct buf *out);
#endif
