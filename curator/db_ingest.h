/* The db interface for ingest: sessions, events, runs, rejected lines. */
#ifndef CURATOR_DB_INGEST_H
#define CURATOR_DB_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct ingest_stats;

struct db_event_row {
        const char *session_id, *event_id, *parent_id, *type, *role;
        const char *ts; /* canonical RFC 3339 UTC, or NULL */
        const char *text;
        size_t text_len;
        const char *tool_name, *tool_use_id, *tool_input;
        int is_error, is_sidechain;
        int64_t position;
        const char *raw;
        size_t raw_len;
        const char *ingested_at;
};

struct db_session_row {
        const char *id, *format, *scope, *source, *created_at;
};

/* Records the start of an ingest run; *run_id identifies it. */
int db_ingest_run_start(struct db *db, const char *now, int64_t *run_id, struct err *err);
/* Records a run's totals. */
int db_ingest_run_finish(struct db *db, int64_t run_id, const struct ingest_stats *st,
                         const char *now, struct err *err);
/* Inserts the session if absent; *created is 1 if it was new. */
int db_session_ensure(struct db *db, const struct db_session_row *s, int *created,
                      struct err *err);
/* Adds what a file brought to a session: new_events to its count, the
 * file's time range to its range, findings, and the first seen cwd, branch
 * and agent, the last outcome. */
int db_session_refresh(struct db *db, const char *id, const char *cwd, const char *git_branch,
                       const char *agent, const char *outcome, int64_t findings,
                       int64_t new_events, const char *first_ts, const char *last_ts,
                       struct err *err);
/* Inserts an event unless (session, event id) is stored; *inserted says
 * which. A stored event whose time was NULL (a queued user.* event) takes
 * the time of the processed copy. */
int db_event_insert(struct db *db, const struct db_event_row *e, int *inserted,
                    struct err *err);
/* Keeps a rejected line (once per source, line and content). */
int db_rejected_insert(struct db *db, int64_t run_id, const char *source, int64_t line,
                       const char *reason, const void *content, size_t len,
                       const char *content_sha256, const char *now, struct err *err);



/* One row of `curator sessions`. Strings borrowed for the callback's duration. */
struct db_session_info {
        const char *id, *format, *scope, *source, *cwd, *git_branch, *agent, *first_ts,
                *last_ts, *outcome;
        int64_t events, findings;
};
/* Calls fn for each session (optionally of one scope), newest activity first. */
int db_sessions_list(struct db *db, const char *scope,
                     int (*fn)(void *ctx, const struct db_session_info *s), void *ctx,
                     struct err *err);

struct db_rejected_info {
        int64_t id, run_id, line;
        const char *source, *reason, *created_at;
        size_t content_len;
};
/* Calls fn for each kept rejected line, newest first, at most limit (0: all). */
int db_rejected_list(struct db *db, int64_t limit,
                     int (*fn)(void *ctx, const struct db_rejected_info *r), void *ctx,
                     struct err *err);
#endif
