/* A multi-keyword matcher (Aho-Corasick, ASCII case-insensitive): one pass
 * over a text reports every occurrence of every keyword, whatever their
 * number. The rules engine uses it to decide which regexes run at all. */
#ifndef CURATOR_KEYWORDS_H
#define CURATOR_KEYWORDS_H

#include <stddef.h>
#include <stdint.h>

struct keywords;

/* Builds an empty matcher; add keywords, then compile before matching. */
struct keywords *keywords_new(void);
/* Adds a keyword (len > 0 bytes; ASCII letters match either case) that
 * reports tag on a hit. The same bytes may be added with several tags. */
void keywords_add(struct keywords *kw, const char *word, size_t len, uint32_t tag);
/* Builds the automaton; the matcher is immutable and thread-safe afterwards. */
void keywords_compile(struct keywords *kw);
void keywords_free(struct keywords *kw);

/* Called for each hit: tag, and the byte offset where the keyword starts. */
typedef void (*keywords_hit_fn)(void *ctx, uint32_t tag, size_t start);

/* Reports every occurrence of every keyword in text, in order of where each
 * occurrence ends. */
void keywords_scan(const struct keywords *kw, const char *text, size_t len, keywords_hit_fn on_hit,
                   void *ctx);

#endif
