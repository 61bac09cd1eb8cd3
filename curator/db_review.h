/* The db interface for review: diffs, hunks, their decisions and evidence. */
#ifndef CURATOR_DB_REVIEW_H
#define CURATOR_DB_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct review_diff_row {
        int64_t id, run_id;
        char *scope, *state, *base_commit, *source, *created_at, *updated_at; /* owned */
        int64_t superseded_by;
        int hunks, pending, blocked; /* counts, filled by lists */
};

struct review_hunk_row {
        int64_t id;
        int idx;
        char *op, *memory_id, *path, *old_text, *new_text, *tags, *rationale; /* owned */
        char *evidence, *findings, *state, *decided_by, *decided_at, *reason, *commit_id;
        double confidence;
        int blocked;
};

struct review_hunk_rows {
        struct review_hunk_row *v; /* owned */
        size_t n;
};

struct review_diff_rows {
        struct review_diff_row *v; /* owned */
        size_t n;
};

void review_diff_row_clear(struct review_diff_row *d);
void review_hunk_rows_free(struct review_hunk_rows *h);
void review_diff_rows_free(struct review_diff_rows *d);

/* *found = 0 if there is no such diff. */
int db_review_diff(struct db *db, int64_t id, struct review_diff_row *out, int *found,
                   struct err *err);
int db_review_hunks(struct db *db, int64_t diff_id, struct review_hunk_rows *out,
                    struct err *err);
/* Diffs by newest first; state: "open", "all" or one state. */
int db_review_diffs(struct db *db, const char *scope, const char *state,
                    struct review_diff_rows *out, struct err *err);
/* Records a decision on a hunk (text replaces new_text when not NULL). */
int db_review_decide(struct db *db, int64_t hunk_id, const char *state, const char *by,
                     const char *at, const char *reason, const char *commit_id,
                     const char *text, struct err *err);
/* Moves a diff to state, recording the transition (nothing if unchanged). */
int db_review_set_state(struct db *db, int64_t diff_id, const char *from, const char *to,
                        const char *actor, const char *at, const char *detail,
                        struct err *err);

struct review_event {
        char *session_id, *event_id, *ts, *role, *type, *text; /* owned */
        char *tool_name, *tool_input;                          /* owned, may be NULL */
};
/* Looks up one source event; *found = 0 if it is gone (purged). */
int db_review_event(struct db *db, const char *session_id, const char *event_id,
                    struct review_event *out, int *found, struct err *err);
void review_event_clear(struct review_event *e);

#endif
