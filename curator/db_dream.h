/* The db interface for dreaming and diffs: leases, runs, watermarks, diffs
 * and hunks, reinforcements. */
#ifndef CURATOR_DB_DREAM_H
#define CURATOR_DB_DREAM_H

#include <stdint.h>

#include "db.h"
#include "dream.h"
#include "err.h"

/* Takes lease name for holder until expires_ms if it is free or expired
 * (*taken = 1); else *taken = 0 and other, other_expires say who has it
 * (other is the caller's to free). */
int db_lease_take(struct db *db, const char *name, const char *holder, int64_t now_ms,
                  int64_t expires_ms, int *taken, char **other, int64_t *other_expires,
                  struct err *err);
/* Extends a lease the holder still has; fails if it lost it. */
int db_lease_renew(struct db *db, const char *name, const char *holder, int64_t expires_ms,
                   struct err *err);
void db_lease_release(struct db *db, const char *name, const char *holder);

int db_dream_run_start(struct db *db, const char *dreamer, const char *now, int64_t *id,
                       struct err *err);
int db_dream_run_finish(struct db *db, int64_t id, const char *status,
                        const struct dream_result *r, const char *error, const char *now,
                        struct err *err);
/* Marks runs left 'running' by a dead holder as failed. */
int db_dream_abandon_running(struct db *db, const char *now, struct err *err);

/* Scopes that have sessions (only scope, if given). */
int db_dream_scopes(struct db *db, const char *scope, struct memory_list_str *out,
                    struct err *err);
/* The scope's events after its watermark, by session then seq. *max_seq is
 * the highest seq read (the watermark unchanged if none). */
int db_dream_load_events(struct db *db, const char *scope, struct dream_event **out, size_t *n,
                         int64_t *watermark, int64_t *max_seq, struct err *err);
void dream_events_free(struct dream_event *v, size_t n);
/* When each memory of the scope was last reinforced: fills last_reinforced. */
int db_dream_fill_reinforced(struct db *db, struct dream_memory *mems, size_t n,
                             struct err *err);

/* The scope's open diff (pending or partially approved), its undecided hunks
 * appended to out; *diff_id = 0 if there is none. */
int db_dream_open_diff(struct db *db, const char *scope, int64_t *diff_id,
                       struct dream_proposal *out, struct err *err);
/* Every hunk of a diff, in order, appended to out. */
int db_dream_diff_hunks(struct db *db, int64_t diff_id, struct dream_proposal *out,
                        struct err *err);
/* New texts of hunks reviewers rejected in this scope (to not propose them again). */
int db_dream_rejected_texts(struct db *db, const char *scope, struct memory_list_str *out,
                            struct err *err);

/* Inside a transaction: stores a new pending diff with hunks (numbered from
 * 1), supersedes old_diff (if not 0) recording both transitions; *diff_id. */
int db_dream_store_diff(struct db *db, int64_t run_id, const char *scope, const char *base,
                        const struct dream_proposal *p, int64_t old_diff, const char *now,
                        int64_t *diff_id, struct err *err);
int db_dream_set_watermark(struct db *db, const char *scope, int64_t seq, const char *now,
                           struct err *err);
int db_dream_reinforce(struct db *db, const struct dream_proposal *p, const char *now,
                       struct err *err);

#endif
