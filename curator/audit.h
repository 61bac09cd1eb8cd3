/* The audit log: append-only, hash-chained rows in curator.db. Every ingest,
 * dreaming pass, approval, rejection, edit, revert, purge and fetch of
 * memories is a row with actor, time, action, object and detail; each row
 * holds the SHA-256 of the row before it, so altering or removing a row
 * breaks the chain at that row. Details name things by id or hash, never by
 * content. */
#ifndef CURATOR_AUDIT_H
#define CURATOR_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "err.h"

struct audit_row {
        int64_t id;
        const char *at, *actor, *action, *object, *detail; /* detail: JSON text */
        const char *prev_hash, *hash;
};

/* Appends a row. Runs inside the caller's transaction if one is open (so the
 * row commits or rolls back with the work it records), else in its own.
 * detail_json may be NULL ("{}"). */
int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct err *err);

struct audit_filter {
        const char *action; /* or NULL */
        const char *actor;  /* or NULL */
        int64_t after_id;   /* rows with id > after_id */
        int64_t limit;      /* 0: all */
};

/* Calls fn for each matching row, oldest first. Strings live for the call. */
int audit_list(struct db *db, const struct audit_filter *f,
               int (*fn)(void *ctx, const struct audit_row *row), void *ctx, struct err *err);

struct audit_verify_result {
        int64_t rows;      /* rows checked */
        int64_t broken_id; /* 0 if the chain is intact, else the first bad row */
        char reason[256];  /* why that row is bad */
};

/* Recomputes the chain from the first row. */
int audit_verify(struct db *db, struct audit_verify_result *out, struct err *err);

#endif
