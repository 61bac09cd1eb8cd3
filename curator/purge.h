/* Retention: legal holds, and purges of memories past their class's expiry
 * and of raw events past the events' retention (docs/RETENTION.md). A purge
 * is computed as a plan first; the dry run prints the plan and the real run
 * carries out exactly the plan the same function computed. */
#ifndef CURATOR_PURGE_H
#define CURATOR_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "db_purge.h"
#include "err.h"
#include "memory.h"
#include "store.h"
#include "timestamp.h"

#define PURGE_ID_TRAILER "Purge-Id"

/* The holds in force, as purge and forget consult them. */
struct purge_holds {
        struct hold_list list; /* owned */
};
int purge_holds_load(struct db *db, struct purge_holds *out, struct err *err);
void purge_holds_free(struct purge_holds *h);
/* The hold that covers memory m (a memory hold, its scope's hold, or a hold
 * on a session it was drawn from), or NULL. front_matter is set to 1 when
 * only the memory's own legal_hold field holds it. */
const struct hold *purge_hold_for_memory(const struct purge_holds *h, const struct memory *m,
                                         int *front_matter);
/* The hold that covers events of session_id in scope, or NULL. */
const struct hold *purge_hold_for_event(const struct purge_holds *h, const char *session_id,
                                        const char *scope);
/* Appends "hold 3 on scope support (by carol at ...: reason)". */
void purge_describe_hold(const struct hold *hold, struct buf *out);

struct purge_memory {
        char id[MEMORY_ID_LEN + 1];
        char *path;      /* owned */
        char *scope;     /* owned */
        char *expires;   /* owned */
        char sha256[65]; /* of the file at head */
};

struct purge_skip {
        char *kind;      /* owned: "memory" or "events" */
        char *ref;       /* owned: memory id, or the session id of held events */
        size_t count;    /* 1 for a memory; events of that session held back */
        int64_t hold_id; /* 0: the memory's front matter says legal_hold: true */
        char *hold;      /* owned: purge_describe_hold text */
};

struct purge_plan {
        char clock[TIMESTAMP_LEN + 1]; /* the time expiry was judged against */
        char head[41];                 /* the store head the plan was made at */
        struct purge_memory *memories; /* owned, by path */
        size_t nmemories;
        struct db_event_refs events; /* owned, by seq */
        struct purge_skip *skipped;  /* owned */
        size_t nskipped;
        char memories_sha256[65]; /* over "id sha256\n" of each memory */
        char events_sha256[65];   /* over "session/event sha256\n" of each event */
};
void purge_plan_free(struct purge_plan *p);

/* Computes what a purge at now_ms removes and what holds keep. Reads only. */
int purge_plan_compute(struct store *s, int64_t now_ms, struct purge_plan *out, struct err *err);

struct purge_result {
        int64_t purge_id;
        char commit[41]; /* the store commit that removed the memories, "" if none */
};

/* Checks that principal may purge and erase (role compliance or admin). */
int purge_check_principal(struct db *db, const char *principal, struct err *err);
/* Purges as principal: finishes a purge a crash interrupted, computes the
 * plan at now_ms (into plan, the caller frees it) and carries it out: the
 * memories in one store commit (trailer Purge-Id), the events in one
 * transaction, the purge, its items and an audit row recorded. */
int purge_run(struct store *s, const char *principal, int64_t now_ms, struct purge_plan *plan,
              struct purge_result *out, struct err *err);

/* Puts kind ("memory", "scope", "session") target under legal hold as
 * principal; a memory hold also sets the memory's legal_hold front matter
 * (one store commit). */
int purge_hold_add(struct store *s, const char *principal, const char *kind, const char *target,
                   const char *reason, int64_t *id, struct err *err);
/* Releases it; a memory's legal_hold goes back to false. */
int purge_hold_remove(struct store *s, const char *principal, const char *kind, const char *target,
                      const char *reason, struct err *err);

#endif
