/* The metadata database. Every SQL statement curator runs lives behind this
 * interface (db.c and the db_<area>.c files), so a second backend is a second
 * implementation, not a rewrite. */
#ifndef CURATOR_DB_H
#define CURATOR_DB_H

#include <stddef.h>

#include "err.h"

struct db;

/* Opens (creating if needed) the database at path: WAL journal,
 * synchronous=NORMAL, foreign keys on, a busy timeout so concurrent curator
 * processes wait for each other instead of failing. */
int db_open(const char *path, struct db **out, struct err *err);
/* Sets this connection's page cache. SQLite's default (2 MiB) suits
 * servers with a connection per thread; a large ingest transaction spills far
 * fewer pages to the WAL with more. */
void db_set_cache_mib(struct db *db, int mib);
/* How long a statement waits for another process's lock before failing
 * with "database is locked" (default 10 s). */
void db_set_busy_timeout(struct db *db, int ms);
/* Closes the database, finalizing every cached statement. NULL is fine. */
void db_close(struct db *db);

/* Applies every embedded schema/NNNN_*.sql not yet recorded in
 * schema_version, each in its own transaction with its record. Fails if an
 * applied migration's text has changed since. *applied counts new ones. */
int db_migrate(struct db *db, int *applied, struct err *err);
/* The highest applied migration number, or 0. */
int db_schema_version(struct db *db, struct err *err);

/* BEGIN IMMEDIATE: takes the write lock now, so a transaction never fails
 * half-way for want of it. Calls nest: inside an open transaction, begin,
 * commit and rollback work on a savepoint, so a module's transaction can run
 * inside a caller's (which then decides for both). */
int db_begin(struct db *db, struct err *err);
int db_commit(struct db *db, struct err *err);
/* Rolls back the innermost open level, if any. Never fails. */
void db_rollback(struct db *db);

#endif
