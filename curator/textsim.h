/* Text similarity for dreaming: normalized word sets and their Jaccard
 * overlap, so "Always run the narrow test first" and "run the narrow tests
 * first, always" are recognized as one fact. */
#ifndef CURATOR_TEXTSIM_H
#define CURATOR_TEXTSIM_H

#include <stddef.h>

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

#endif
