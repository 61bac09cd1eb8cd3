#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "embedded.h"
#include "sha256.h"
#include "timestamp.h"

int db_fail(struct db *db, struct err *err, const char *what)
{
        return err_set(err, "%s: %s (database %s)", what, sqlite3_errmsg(db->sql), db->path);
}

int db_step_done(struct db *db, sqlite3_stmt *st, struct err *err, const char *what)
{
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
}

int db_exec(struct db *db, const char *sql, struct err *err)
{
        char *msg = NULL;
        if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
                err_set(err, "database %s: %s", db->path, msg ? msg : "unknown error");
                sqlite3_free(msg);
                return -1;
        }
        return 0;
}

int db_open(const char *path, struct db **out, struct err *err)
{
        struct db *db = xcalloc(1, sizeof(*db));
        db->path = xstrdup(path);
        int rc = sqlite3_open_v2(path, &db->sql,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                         SQLITE_OPEN_NOMUTEX,
                                 NULL);
        if (rc != SQLITE_OK) {
                err_set(err, "cannot open database %s: %s", path,
                        db->sql ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
                db_close(db);
                return -1;
        }
        sqlite3_busy_timeout(db->sql, 10000);
        sqlite3_extended_result_codes(db->sql, 1);
        if (db_exec(db,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
                    err) < 0) {
                db_close(db);
                return -1;
        }
        *out = db;
        return 0;
}

void db_set_cache_mib(struct db *db, int mib)
{
        char sql[64];
        snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", mib * 1024);
        sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
}

void db_set_busy_timeout(struct db *db, int ms)
{
        sqlite3_busy_timeout(db->sql, ms);
}

void db_close(struct db *db)
{
        if (!db)
                return;
        for (size_t i = 0; i < db->nstmts; i++)
                sqlite3_finalize(db->stmts[i].stmt);
        free(db->stmts);
        if (db->sql)
                sqlite3_close(db->sql);
        free(db->path);
        free(db);
}

sqlite3_stmt *db_stmt(struct db *db, const char *sql, struct err *err)
{
        for (size_t i = 0; i < db->nstmts; i++) {
                if (db->stmts[i].sql == sql) {
                        sqlite3_stmt *st = db->stmts[i].stmt;
                        sqlite3_reset(st);
                        sqlite3_clear_bindings(st);
                        return st;
                }
        }
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v3(db->sql, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK) {
                db_fail(db, err, "preparing a statement");
                return NULL;
        }
        if (db->nstmts == db->capstmts) {
                db->capstmts = db->capstmts ? db->capstmts * 2 : 32;
                db->stmts = xrealloc(db->stmts, db->capstmts * sizeof(*db->stmts));
        }
        db->stmts[db->nstmts].sql = sql;
        db->stmts[db->nstmts].stmt = st;
        db->nstmts++;
        return st;
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
        if (!s)
                return sqlite3_bind_null(st, idx);
        return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

char *db_column_strdup(sqlite3_stmt *st, int col)
{
        const unsigned char *s = sqlite3_column_text(st, col);
        if (!s)
                return NULL;
        return xstrndup((const char *)s, (size_t)sqlite3_column_bytes(st, col));
}

int db_begin(struct db *db, struct err *err)
{
        if (db->depth == 0) {
                if (db_exec(db, "BEGIN IMMEDIATE", err) < 0)
                        return -1;
        } else {
                char sql[48];
                snprintf(sql, sizeof(sql), "SAVEPOINT level%d", db->depth);
                if (db_exec(db, sql, err) < 0)
                        return -1;
        }
        db->depth++;
        return 0;
}

int db_commit(struct db *db, struct err *err)
{
        if (db->depth <= 0)
                return err_set(err, "database %s: commit without a transaction", db->path);
        if (db->depth == 1) {
                /* a failed COMMIT leaves the transaction open for db_rollback */
                if (db_exec(db, "COMMIT", err) < 0)
                        return -1;
        } else {
                char sql[48];
                snprintf(sql, sizeof(sql), "RELEASE level%d", db->depth - 1);
                if (db_exec(db, sql, err) < 0)
                        return -1;
        }
        db->depth--;
        return 0;
}

void db_rollback(struct db *db)
{
        if (db->depth > 1) {
                char sql[64];
                snprintf(sql, sizeof(sql), "ROLLBACK TO level%d; RELEASE level%d", db->depth - 1,
                         db->depth - 1);
                sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
                db->depth--;
                return;
        }
        if (!sqlite3_get_autocommit(db->sql))
                sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
        db->depth = 0;
}

static int migration_number(const char *name)
{
        int n = 0;
        for (int i = 0; i < 4; i++) {
                if (name[i] < '0' || name[i] > '9')
                        return -1;
                n = n * 10 + (name[i] - '0');
        }
        return name[4] == '_' ? n : -1;
}

int db_schema_version(struct db *db, struct err *err)
{
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db->sql, "SELECT coalesce(max(version), 0) FROM schema_version",
                               -1, &st, NULL) != SQLITE_OK) {
                return db_fail(db, err, "reading schema_version");
        }
        int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
        return v;
}

int db_migrate(struct db *db, int *applied, struct err *err)
{
        *applied = 0;
        if (db_exec(db,
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                    " sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)",
                    err) < 0)
                return -1;
        for (const struct embedded_file *f = schema_sqlite; f->name; f++) {
                int version = migration_number(f->name);
                if (version < 0)
                        return err_set(err, "schema/%s: migration names must be NNNN_name.sql",
                                       f->name);
                char hash[65];
                sha256_hex(f->data, f->len, hash);
                if (db_begin(db, err) < 0)
                        return -1;
                sqlite3_stmt *st = NULL;
                sqlite3_prepare_v2(db->sql, "SELECT sha256 FROM schema_version WHERE version = ?",
                                   -1, &st, NULL);
                sqlite3_bind_int(st, 1, version);
                int have = sqlite3_step(st) == SQLITE_ROW;
                int same = have && strcmp((const char *)sqlite3_column_text(st, 0), hash) == 0;
                sqlite3_finalize(st);
                if (have) {
                        db_rollback(db);
                        if (!same)
                                return err_set(err,
                                               "schema/%s was changed after it was applied to "
                                               "%s; add a new migration instead",
                                               f->name, db->path);
                        continue;
                }
                if (db_exec(db, f->data, err) < 0) {
                        db_rollback(db);
                        return err_wrap(err, "applying schema/%s", f->name);
                }
                char now[TIMESTAMP_LEN + 1];
                timestamp_now(now);
                sqlite3_prepare_v2(db->sql,
                                   "INSERT INTO schema_version(version, name, sha256, applied_at)"
                                   " VALUES (?, ?, ?, ?)",
                                   -1, &st, NULL);
                sqlite3_bind_int(st, 1, version);
                sqlite3_bind_text(st, 2, f->name, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
                int rc = sqlite3_step(st);
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE) {
                        db_fail(db, err, "recording a migration");
                        db_rollback(db);
                        return -1;
                }
                if (db_commit(db, err) < 0) {
                        db_rollback(db);
                        return -1;
                }
                (*applied)++;
        }
        return 0;
}
