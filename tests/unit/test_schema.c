/* Unit tests: migrations apply in order, are recorded once, and a changed
 * applied migration is refused. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "db.h"
#include "db_internal.h"
#include "embedded.h"

static char dir[] = "/tmp/curator-test-schema-XXXXXX";

static void test_migrate_fresh_and_again(void)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/a.db", dir);
        struct db *db = NULL;
        struct err err;
        CHECK(db_open(path, &db, &err) == 0);
        int applied = -1;
        CHECK(db_migrate(db, &applied, &err) == 0);
        int expected = 0;
        for (const struct embedded_file *f = schema_sqlite; f->name; f++)
                expected++;
        CHECK_INT(applied, expected);
        CHECK(db_schema_version(db, &err) >= 1);
        CHECK(db_migrate(db, &applied, &err) == 0);
        CHECK_INT(applied, 0);
        /* WAL, as every writer relies on it */
        sqlite3_stmt *st;
        sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode", -1, &st, NULL);
        CHECK(sqlite3_step(st) == SQLITE_ROW);
        CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
        /* the core tables exist with the columns ingest writes */
        CHECK(db_exec(db, "SELECT seq, session_id, event_id, parent_id, position, type, role, ts,"
                          " text, tool_name, tool_use_id, tool_input, is_error, is_sidechain, raw,"
                          " ingested_at FROM events LIMIT 0", &err) == 0);
        db_close(db);
}

static void test_changed_migration_refused(void)
{
        char path[256];
        snprintf(path, sizeof(path), "%s/b.db", dir);
        struct db *db = NULL;
        struct err err;
        int applied;
        CHECK(db_open(path, &db, &err) == 0);
        CHECK(db_migrate(db, &applied, &err) == 0);
        CHECK(db_exec(db, "UPDATE schema_version SET sha256 = 'x' WHERE version = 1", &err) == 0);
        CHECK(db_migrate(db, &applied, &err) < 0);
        CHECK(strstr(err.msg, "0001_core.sql was changed after it was applied") != NULL);
        db_close(db);
}

int main(void)
{
        if (!mkdtemp(dir))
                return 2;
        RUN(test_migrate_fresh_and_again);
        RUN(test_changed_migration_refused);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        if (system(cmd) != 0)
                return 2;
        return CHECK_DONE();
}
