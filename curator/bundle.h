/* The bundle an agent fetches at session start (DESIGN.md "Serving"): a
 * scope's memories at one store commit, ranked against an optional query,
 * cut to a token budget, rendered as JSON or as a Markdown block ready for a
 * system prompt. `curator serve` (GET /v1/memories), `curator memories
 * fetch` and `curator mcp` all build it here, so they answer byte for byte
 * the same.
 *
 * Ranking: with a query, memories the FTS5 index matches come first by bm25
 * (at the indexed head; at another commit, by how many query words they
 * contain), then the rest; ties, and everything without a query, by recency
 * (updated, newest first), then by confidence (the number of sources that
 * support the memory), then by id.
 *
 * Token estimate (docs/SERVING.md): a memory costs
 * BUNDLE_TOKENS_OVERHEAD + ceil(bytes of its text / 4) tokens. In rank order
 * each memory that still fits the budget is taken; one that does not is
 * skipped, so a smaller one after it may still fit. */
#ifndef CURATOR_BUNDLE_H
#define CURATOR_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "db_store.h"
#include "err.h"
#include "store.h"

#define BUNDLE_TOKENS_OVERHEAD 8

enum bundle_format { BUNDLE_JSON, BUNDLE_MARKDOWN };

struct bundle_query {
        const char *scope;     /* required */
        const char *q;         /* or NULL / "" */
        int64_t budget_tokens; /* 0: no budget */
        enum bundle_format format;
};

struct bundle_stats {
        size_t total;    /* memories in the scope */
        size_t returned; /* memories in the bundle */
        size_t matched;  /* memories the query matched */
        int64_t tokens;  /* estimated tokens of the bundle's memories */
};

/* The estimated tokens of one memory's text in a bundle. */
int64_t bundle_estimate_tokens(size_t text_bytes);

/* Parses "json" or "markdown". Returns 0, or -1 with err. */
int bundle_parse_format(const char *s, enum bundle_format *out, struct err *err);

/* Ranks mems (borrowed; their order is not changed) for bq and appends the
 * rendered bundle to out. hits are the FTS5 matches at commit (NULL when
 * there is no query or no index for commit: then query words are counted in
 * each text). */
int bundle_render(struct memory *const *mems, size_t n, const struct db_store_hits *hits,
                  const struct bundle_query *bq, const char *commit, struct buf *out,
                  struct bundle_stats *st, struct err *err);

/* The whole fetch: resolves commit (NULL: head), lists the scope's memories
 * there, searches the index when it describes that commit, and renders.
 * db is the connection to search with (the store's home's, or the caller's
 * own on another thread). commit_out gets the commit used. */
int bundle_fetch(struct store *s, struct db *db, const struct bundle_query *bq, const char *commit,
                 struct buf *out, char commit_out[41], struct bundle_stats *st, struct err *err);

/* The part of a fetch that costs: the memories of scope at commit, kept so
 * repeated fetches with another query or budget skip the store. */
struct bundle_scope {
        char commit[41];
        char *scope;                /* owned */
        struct store_memories mems; /* owned */
        int indexed;                /* 1 if the FTS5 index described commit when listed */
};
int bundle_scope_load(struct store *s, struct db *db, const char *commit, const char *scope,
                      struct bundle_scope **out, struct err *err);
void bundle_scope_free(struct bundle_scope *bs);
/* Renders from a loaded scope (searching db if bs->indexed and there is a query). */
int bundle_render_scope(const struct bundle_scope *bs, struct db *db, const struct bundle_query *bq,
                        struct buf *out, struct bundle_stats *st, struct err *err);

#endif
