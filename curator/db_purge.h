/* SQL for retention (schema/0006_retention.sql): legal holds, the purge
 * record, the commit map an erasure leaves, and the reads and deletes purge
 * and forget make on events, hunks and rejected lines. */
#ifndef CURATOR_DB_PURGE_H
#define CURATOR_DB_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct hold {
        int64_t id;
        char *kind;           /* owned: memory | scope | session */
        char *target;         /* owned */
        char *reason;         /* owned */
        char *created_by;     /* owned */
        char *created_at;     /* owned */
        char *released_by;    /* owned, NULL while in force */
        char *released_at;    /* owned, NULL while in force */
        char *release_reason; /* owned, may be NULL */
};

struct hold_list {
        struct hold *v; /* owned, each with owned fields */
        size_t n;
};
void hold_list_free(struct hold_list *l);

/* Adds a hold in force; fails naming the existing hold if kind/target is
 * already held. *id gets the new hold's id. */
int db_holds_add(struct db *db, const char *kind, const char *target, const char *reason,
                 const char *actor, int64_t *id, struct err *err);
/* Releases the hold in force on kind/target; *found = 0 if there is none. */
int db_holds_release(struct db *db, const char *kind, const char *target, const char *actor,
                     const char *reason, int *found, struct err *err);
/* Holds in force (all of them, released too, with all = 1), oldest first. */
int db_holds_list(struct db *db, int all, struct hold_list *out, struct err *err);

/* One event as purge and forget see it: ids and a hash, never the text. */
struct db_event_ref {
        int64_t seq;
        char *session_id; /* owned */
        char *event_id;   /* owned */
        char *ts;         /* owned: ts, or ingested_at when the event has none */
        char *scope;      /* owned: its session's scope */
        char sha256[65];  /* of raw */
};
struct db_event_refs {
        struct db_event_ref *v; /* owned */
        size_t n, cap;
};
void db_event_refs_free(struct db_event_refs *l);

/* The scopes sessions were ingested into, sorted; each owned. */
int db_purge_event_scopes(struct db *db, char ***scopes, size_t *n, struct err *err);
/* Appends scope's events older than cutoff (canonical RFC 3339), by seq. */
int db_purge_expired_events(struct db *db, const char *scope, const char *cutoff,
                            struct db_event_refs *out, struct err *err);

/* Calls fn for every event with its text and raw (borrowed for the call);
 * a non-zero return from fn stops the walk and is returned. */
typedef int (*db_event_text_fn)(void *ctx, int64_t seq, const char *session_id,
                                const char *event_id, const char *scope, const char *text,
                                size_t text_len, const char *raw, size_t raw_len);
int db_purge_each_event(struct db *db, db_event_text_fn fn, void *ctx, struct err *err);
/* Fills ref (hash included) for the event seq; *found = 0 if it is gone. */
int db_purge_event_ref(struct db *db, int64_t seq, struct db_event_ref *ref, int *found,
                       struct err *err);

/* Every hunk: its id, memory, and texts (borrowed for the call). */
typedef int (*db_hunk_text_fn)(void *ctx, int64_t id, const char *memory_id, const char *old_text,
                               const char *new_text, const char *rationale);
int db_purge_each_hunk(struct db *db, db_hunk_text_fn fn, void *ctx, struct err *err);
/* Every rejected line that still has content. */
typedef int (*db_rejected_fn)(void *ctx, int64_t id, const void *content, size_t len);
int db_purge_each_rejected(struct db *db, db_rejected_fn fn, void *ctx, struct err *err);

/* A purge's row. */
struct purge_row {
        int64_t id;
        char *kind, *state, *actor, *started_at, *finished_at, *clock; /* owned */
        int64_t memories, events, hunks, skipped, commits;
        char *old_head, *new_head, *memories_sha256, *events_sha256; /* owned, may be NULL */
};
struct purge_rows {
        struct purge_row *v; /* owned */
        size_t n;
};
void purge_rows_free(struct purge_rows *l);

/* Inserts a purge row from r (id ignored); *id gets its id. */
int db_purges_insert(struct db *db, const struct purge_row *r, int64_t *id, struct err *err);
/* Sets state, finished_at (for applied, done and abandoned) and, when not
 * NULL, new_head. */
int db_purges_set_state(struct db *db, int64_t id, const char *state, const char *new_head,
                        struct err *err);
/* Every purge, oldest first (kind NULL: both kinds; state NULL: any). */
int db_purges_list(struct db *db, const char *kind, const char *state, struct purge_rows *out,
                   struct err *err);
int db_purge_items_add(struct db *db, int64_t purge_id, const char *kind, const char *ref,
                       const char *sha256, struct err *err);
/* Carries out what purge_id's items list: deletes its events (and keeps
 * their sessions' counts right), scrubs its hunks (texts and rationale
 * become "[erased]", the path loses its slug; the row, ids and decision
 * stay for the review history) and drops its rejected lines' content (the
 * hash stays). Call inside the caller's transaction. */
int db_purge_apply_items(struct db *db, int64_t purge_id, struct err *err);

/* Records old → new for purge_id, and moves earlier maps, hunks' and
 * diffs' commit ids that pointed at old to new. */
int db_commit_map_put(struct db *db, const char *old_commit, const char *new_commit,
                      int64_t purge_id, struct err *err);
/* Rewrites hunks.commit_id and diffs.base_commit through the map of purge_id. */
int db_commit_map_apply(struct db *db, int64_t purge_id, struct err *err);
/* Drops the map rows of an abandoned erasure. */
int db_commit_map_drop(struct db *db, int64_t purge_id, struct err *err);
/* The commit old was rewritten to; *found = 0 if the map does not know it. */
int db_commit_map_get(struct db *db, const char *old_commit, char new_out[41], int *found,
                      struct err *err);

/* Makes SQLite overwrite deleted content with zeros on this connection. */
int db_purge_secure_delete(struct db *db, struct err *err);
/* Leaves no copy of deleted rows in the file: rebuilds the full-text
 * index, VACUUMs and truncates the WAL. Outside any transaction. */
int db_purge_compact(struct db *db, struct err *err);

#endif
