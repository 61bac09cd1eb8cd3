/* Erasure of a data subject (GDPR Art. 17): the memories and events that
 * mention it are removed, and the store's history is rewritten so that no
 * commit, tree or blob in store.git still holds them (docs/RETENTION.md).
 * Also the store-side tools the rewrite needs and others use: the writers'
 * lock, the compaction that leaves no unreachable object, and the map from
 * commits that no longer exist to their rewritten counterparts. */
#ifndef CURATOR_FORGET_H
#define CURATOR_FORGET_H

#include <stddef.h>
#include <stdint.h>

#include "db_purge.h"
#include "err.h"
#include "memory.h"
#include "store.h"

/* Returned (instead of -1) when legal holds cover what would be erased:
 * nothing was changed, and the result names every blocking hold. */
#define FORGET_HELD (-3)

struct forget_opts {
        const char *subject;   /* a literal, matched without regard to case; or */
        const char *pattern;   /* a PCRE2 regular expression, as written */
        const char *principal; /* role compliance or admin */
        int dry_run;           /* find and report; change nothing */
};

struct forget_memory {
        char id[MEMORY_ID_LEN + 1];
        char *path;      /* owned: its newest path in history */
        int at_head;     /* it exists at head (else only in history) */
        size_t versions; /* distinct file versions in history */
        char sha256[65]; /* of its newest version */
};

struct forget_result {
        int64_t purge_id;               /* 0 on a dry run */
        struct forget_memory *memories; /* owned, by id */
        size_t nmemories;
        struct db_event_refs events; /* owned: matching events */
        size_t hunks;                /* review hunks to scrub */
        size_t rejected;             /* rejected lines to scrub */
        size_t commits;              /* commits in history before */
        size_t rewritten;            /* commits given a new id */
        size_t dropped;              /* commits that only touched erased memories */
        char old_head[41], new_head[41];
        char **holds; /* owned: descriptions of the holds that blocked it */
        size_t nholds;
};
void forget_result_free(struct forget_result *r);

/* Finishes an erasure or purge a crash interrupted, then finds everything
 * matching the subject or pattern and (unless dry_run) erases it: events
 * deleted, hunks and rejected lines scrubbed, history rewritten without the
 * matching memories, main moved with compare-and-swap, reflog expired, every
 * object not reachable from main deleted, index rebuilt, and the database
 * file vacuumed. Returns 0, FORGET_HELD, or -1 with err. */
int forget_run(struct store *s, const struct forget_opts *o, struct forget_result *out,
               struct err *err);

/* Finishes any erasure a crash left half done (no-op if none). */
int forget_recover(struct store *s, const char *principal, struct err *err);

/* Where a client pinned to commit should go: the commit itself if the
 * store still has it (*rewritten = 0); else the commit an erasure rewrote it
 * to, or for a commit that only touched erased memories its nearest
 * rewritten ancestor (*rewritten = 1). Fails naming the commit if it was
 * never part of this store. */
int store_map_commit(struct store *s, const char *commit, char out[41], int *rewritten,
                     struct err *err);

/* Repacks everything reachable from the store's refs into one new pack,
 * made durable before anything else is touched, then deletes every other
 * pack and loose object: afterwards the repository holds no unreachable
 * object. Takes the writers' lock exclusively. */
int store_compact(struct store *s, struct err *err);

/* The writers' lock (store.git/curator.lock): every commit holds it shared
 * from its first object write to its ref update; an erasure or compaction
 * holds it exclusively, so it never deletes an object a commit is about to
 * reference. Returns a descriptor for store_unlock_writers, or -1 with err. */
int store_lock_writers(const char *store_path, int exclusive, struct err *err);
void store_unlock_writers(int fd);

/* Test hook: kills the process (SIGKILL) at point when the environment's
 * CURATOR_TEST_KILL_AT names it; a no-op otherwise. */
void forget_kill_point(const char *point);

#endif
