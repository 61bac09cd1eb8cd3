/* Review: knowledge owners approve or reject memory diffs hunk by hunk.
 * Approval commits the approved hunks as one store commit authored by the
 * approver, after checking ownership (OWNERS, admins excepted), blocks, the
 * rules on the final text, and conflicts with what moved in the store since
 * the diff's base. Every state change is recorded and audited. The JSON
 * builders are shared by the CLI and the HTTP API. */
#ifndef CURATOR_REVIEW_H
#define CURATOR_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct cJSON;
struct home;
struct store;
struct rules_set;

#define REVIEW_CONFLICT (-2) /* same value as STORE_CONFLICT */

struct review_filter {
        const char *scope;     /* or NULL */
        const char *state;     /* "open" (pending + partially approved, the default), a state, or "all" */
        const char *mine;      /* principal: only diffs with hunks it may approve; or NULL */
};

/* Diffs as a JSON array of summaries: id, scope, state, base_commit,
 * created_at, updated_at, hunks, pending, blocked, owners. The caller frees. */
int review_list(struct home *h, struct store *s, const struct review_filter *f,
                struct cJSON **out, struct err *err);

/* One diff as JSON: the summary plus every hunk with op, memory_id, path,
 * state, rationale, confidence, blocked, findings, owners, old_text,
 * new_text, a unified diff against the memory as it is in the store now,
 * and evidence: each source event's session, time, role, type and redacted
 * text. Fails naming the id if there is no such diff. */
int review_show(struct home *h, struct store *s, int64_t diff_id, struct cJSON **out,
                struct err *err);

/* A reviewer's edit of hunk idx's text before approving it. */
struct review_edit {
        int idx;
        const char *text;
};

/* Approves hunks (1-based idx; NULL/0 = every pending hunk) of diff_id as
 * principal, applying edits first, and commits them as one store commit.
 * Returns 0 with out_commit set, REVIEW_CONFLICT (the diff is marked
 * conflicted, err says which memory moved in which commit), or -1 with err
 * (not the owner: err names the owners; blocked; a block finding on an
 * edited text; unknown hunk; diff not open). */
int review_approve(struct home *h, struct store *s, const struct rules_set *rules,
                   int64_t diff_id, const int *hunks, size_t nhunks, const char *principal,
                   const struct review_edit *edits, size_t nedits, char out_commit[41],
                   struct err *err);

/* Rejects hunks (NULL/0 = every pending hunk) with a reason. */
int review_reject(struct home *h, struct store *s, int64_t diff_id, const int *hunks,
                  size_t nhunks, const char *principal, const char *reason, struct err *err);

/* Parses "1,3,5" into hunk numbers (caller frees *out). */
int review_parse_hunks(const char *text, int **out, size_t *n, struct err *err);

#endif
