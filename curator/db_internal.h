/* For the db_*.c files only: the SQLite handle and the statement cache. */
#ifndef CURATOR_DB_INTERNAL_H
#define CURATOR_DB_INTERNAL_H

#include <sqlite3.h>

#include "db.h"

struct db_stmt_slot {
        const char *sql; /* the static string it was prepared from: the cache key */
        sqlite3_stmt *stmt;
};

struct db {
        sqlite3 *sql;
        char *path; /* owned */
        struct db_stmt_slot *stmts;
        size_t nstmts, capstmts;
        int depth; /* open db_begin levels: the first is BEGIN IMMEDIATE, deeper ones savepoints */
};

/* Returns a reset, cleared statement for sql, prepared once per connection and
 * cached by the address of sql (which must be a string literal or static).
 * Returns NULL with err set on a prepare error. */
sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct err *err);
/* Fills err with sqlite's message for the last failure, prefixed by what. */
int db_fail(struct db *db, struct err *err, const char *what);
/* Steps a statement that returns no row and resets it; on failure fills
 * err with what and SQLite's message. */
int db_step_done(struct db *db, sqlite3_stmt *st, struct err *err, const char *what);
/* Runs SQL text with no results (may hold several statements). */
int db_exec(struct db *db, const char *sql, struct err *err);
/* Binds text (NULL binds SQL NULL); the text must live until the step. */
int db_bind_text(sqlite3_stmt *st, int idx, const char *s);
/* Returns a column as a malloc'd string, or NULL for SQL NULL. */
char *db_column_strdup(sqlite3_stmt *st, int col);

#endif
