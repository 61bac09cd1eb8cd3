/* The db interface for the audit log (audit.c holds the chain logic). */
#ifndef CURATOR_DB_AUDIT_H
#define CURATOR_DB_AUDIT_H

#include <stdint.h>

#include "audit.h"
#include "db.h"

/* The last row's id and hash (id 0 and 64 zeros when empty). */
int db_audit_tail(struct db *db, int64_t *id, char hash[65], struct err *err);
int db_audit_insert(struct db *db, const struct audit_row *row, struct err *err);
/* Rows in id order from after_id; see audit_list for the filter. */
int db_audit_each(struct db *db, const struct audit_filter *f,
                  int (*fn)(void *ctx, const struct audit_row *row), void *ctx,
                  struct err *err);
/* 1 if a transaction is open on db. */
int db_in_transaction(struct db *db);

#endif
