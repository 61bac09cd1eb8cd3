#include "db_audit.h"

#include <string.h>

#include "db_internal.h"

static const char SQL_TAIL[] = "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1";
static const char SQL_INSERT[] =
        "INSERT INTO audit_log(id, at, actor, action, object, detail, prev_hash, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_EACH[] =
        "SELECT id, at, actor, action, object, detail, prev_hash, hash FROM audit_log"
        " WHERE id > ?1 AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR actor = ?3)"
        " ORDER BY id LIMIT ?4";

int db_in_transaction(struct db *db)
{
        return !sqlite3_get_autocommit(db->sql);
}

int db_audit_tail(struct db *db, int64_t *id, char hash[65], struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_TAIL, err);
        if (!st)
                return -1;
        *id = 0;
        memset(hash, '0', 64);
        hash[64] = '\0';
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *id = sqlite3_column_int64(st, 0);
                const char *h = (const char *)sqlite3_column_text(st, 1);
                if (h && strlen(h) == 64)
                        memcpy(hash, h, 65);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the audit log");
        return 0;
}

int db_audit_insert(struct db *db, const struct audit_row *r, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_INSERT, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, r->id);
        db_bind_text(st, 2, r->at);
        db_bind_text(st, 3, r->actor);
        db_bind_text(st, 4, r->action);
        db_bind_text(st, 5, r->object);
        db_bind_text(st, 6, r->detail);
        db_bind_text(st, 7, r->prev_hash);
        db_bind_text(st, 8, r->hash);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : db_fail(db, err, "appending to the audit log");
}

int db_audit_each(struct db *db, const struct audit_filter *f,
                  int (*fn)(void *ctx, const struct audit_row *row), void *ctx,
                  struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, SQL_EACH, err);
        if (!st)
                return -1;
        sqlite3_bind_int64(st, 1, f ? f->after_id : 0);
        db_bind_text(st, 2, f ? f->action : NULL);
        db_bind_text(st, 3, f ? f->actor : NULL);
        sqlite3_bind_int64(st, 4, f && f->limit > 0 ? f->limit : -1);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                struct audit_row row = {
                        .id = sqlite3_column_int64(st, 0),
                        .at = (const char *)sqlite3_column_text(st, 1),
                        .actor = (const char *)sqlite3_column_text(st, 2),
                        .action = (const char *)sqlite3_column_text(st, 3),
                        .object = (const char *)sqlite3_column_text(st, 4),
                        .detail = (const char *)sqlite3_column_text(st, 5),
                        .prev_hash = (const char *)sqlite3_column_text(st, 6),
                        .hash = (const char *)sqlite3_column_text(st, 7),
                };
                if (fn(ctx, &row) < 0)
                        break;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the audit log");
        return 0;
}
