/* Dreaming (DESIGN.md "Dreaming"): a pass reads the events that arrived since
 * the last pass, with the current memories of the affected scopes, and
 * proposes at most one pending memory diff per scope. Dreamers are pluggable
 * behind dream_propose_fn; dream.c runs the pass around them. */
#ifndef CURATOR_DREAM_H
#define CURATOR_DREAM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "memory.h"

struct config;
struct home;
struct rules_set;

enum dream_op { DREAM_ADD, DREAM_UPDATE, DREAM_DELETE };

/* One event as dreamers see it (text already redacted at ingest). */
struct dream_event {
        int64_t seq;
        char *session_id, *event_id, *type, *role, *ts; /* owned */
        char *text, *tool_name, *tool_use_id, *tool_input;  /* owned, may be NULL */
        char *outcome; /* owned: the session's outcome evaluation result, or NULL */
        int is_error, is_sidechain;
};

/* One current memory of the scope. */
struct dream_memory {
        char *id, *path, *text, *retention, *updated, *tags; /* owned */
        char *last_reinforced; /* owned, or NULL */
        int legal_hold;
};

struct dream_input {
        const char *scope;
        const struct dream_event *events; /* ordered by session, then seq */
        size_t nevents;
        const struct dream_memory *memories;
        size_t nmemories;
        const struct config *cfg; /* staleness windows; may be NULL */
        int64_t now_ms;
};

struct dream_hunk {
        enum dream_op op;
        char *memory_id, *path;          /* owned */
        char *old_text;                  /* owned: the memory now (update, delete) */
        char *new_text;                  /* owned: NULL for delete */
        char *tags, *rationale;          /* owned */
        struct memory_list_str evidence; /* "session_id/event_id" each */
        double confidence;               /* 0..1 */
        int blocked;                     /* set by the pass from the rules */
        char *findings;                  /* owned JSON array, set by the pass */
};

/* An existing memory seen again: kept fresh without a reviewer's time. */
struct dream_reinforcement {
        char *memory_id, *session_id, *event_id; /* owned */
};

struct dream_proposal {
        struct dream_hunk *v;
        size_t n, cap;
        struct dream_reinforcement *r;
        size_t nr, capr;
        int64_t input_tokens, output_tokens; /* model usage, for the llm dreamer */
};

/* A dreamer: proposes hunks for one scope. Must not touch the db or store. */
typedef int (*dream_propose_fn)(void *ctx, const struct dream_input *in,
                                struct dream_proposal *out, struct err *err);

/* The heuristic dreamer: deterministic, no network (dream_heuristic.c). */
int dream_heuristic_propose(void *ctx, const struct dream_input *in, struct dream_proposal *out,
                            struct err *err);

/* The llm dreamer (dream_llm.c): ctx is a struct dream_llm made by
 * dream_llm_new from the [dream.llm] config and the environment. */
struct dream_llm;
int dream_llm_new(const struct config *cfg, struct dream_llm **out, struct err *err);
void dream_llm_free(struct dream_llm *llm);
int dream_llm_propose(void *ctx, const struct dream_input *in, struct dream_proposal *out,
                      struct err *err);

/* Runs the rules over a hunk's new text, as every proposal (dreamed or
 * imported) must pass them: redact findings are replaced, a block finding
 * (or the marker of one ingest already redacted) blocks the hunk for good;
 * findings are kept as JSON (rule, family, action, offsets), never the match. */
int dream_check_hunk(const struct rules_set *rules, struct dream_hunk *h, struct err *err);
struct dream_hunk *dream_proposal_add(struct dream_proposal *p, enum dream_op op);
void dream_proposal_reinforce(struct dream_proposal *p, const char *memory_id,
                              const char *session_id, const char *event_id);
void dream_proposal_free(struct dream_proposal *p);
void dream_hunk_clear(struct dream_hunk *h);
const char *dream_op_name(enum dream_op op);

struct dream_options {
        const char *dreamer;            /* "heuristic" (default) or "llm" */
        const char *scope;              /* only this scope, or NULL for all */
        const struct rules_set *rules;  /* checked on every hunk's text */
        int64_t lease_ms;               /* how long the lease lasts between renewals */
        const char *actor;              /* who runs it, for the audit log (NULL: "curator") */
        void (*on_scope)(void *ctx, const char *scope, size_t events); /* progress */
        void *ctx;
};

struct dream_result {
        int64_t run_id;   /* 0 if no pass ran */
        int64_t events;   /* new events read */
        int scopes, diffs, hunks, blocked;
        int64_t input_tokens, output_tokens;
        struct memory_list_str diff_ids; /* the pending diffs created, as text */
};

/* Runs one pass: takes the 'dream' lease (fails if another live pass holds
 * it), reads events past each scope's watermark, proposes, checks every
 * hunk's text with the rules (redact applied, block marks the hunk blocked),
 * and stores per scope, in one transaction, the new diff (carrying over the
 * undecided hunks of the open dreaming diff it supersedes; diffs imported
 * from a platform store are left to their own review) and the new watermark.
 * A pass that dies leaves no half diff; rerunning it reads the same events. */
int dream_run_pass(struct home *h, const struct dream_options *opts, struct dream_result *res,
                   struct err *err);
void dream_result_free(struct dream_result *r);

/* The deterministic id of a new memory proposed for scope with text. */
void dream_memory_id(const char *scope, const char *text, char out[MEMORY_ID_LEN + 1]);

#endif
