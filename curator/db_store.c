/* SQL for principals, groups and the store index (schema/0002_store.sql). */
#include "db_store.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_internal.h"
#include "owners.h"
#include "timestamp.h"

void principal_clear(struct principal *p)
{
        free(p->name);
        free(p->role);
        free(p->scopes);
        free(p->created_at);
        free(p->groups);
        memset(p, 0, sizeof(*p));
}

void principal_list_free(struct principal_list *l)
{
        for (size_t i = 0; i < l->n; i++)
                principal_clear(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

int db_principals_add(struct db *db, const char *name, const char *role, const char *scopes,
                      struct err *err)
{
        if (!owners_name_valid(name))
                return err_set(err,
                               "principal name '%s' may hold only letters, digits, '.', "
                               "'_' and '-'",
                               name);
        if (!owners_role_valid(role))
                return err_set(err, "role '%s' is not one of owner, compliance, agent, admin",
                               role ? role : "");
        for (const char *p = scopes; p && *p;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                char *one = xstrndup(p, n);
                int ok = memory_scope_valid(one);
                free(one);
                if (!ok)
                        return err_set(err,
                                       "--scopes '%s': each scope must match "
                                       "[a-z0-9][a-z0-9._-]*, separated by commas",
                                       scopes);
                p = comma ? comma + 1 : p + n;
        }
        int found = 0;
        struct principal old = {0};
        if (db_principals_get(db, name, &old, &found, err) < 0)
                return -1;
        principal_clear(&old);
        if (found)
                return err_set(err, "principal '%s' already exists", name);
        sqlite3_stmt *st = db_stmt(db,
                                   "INSERT INTO principals(name, role, scopes, created_at)"
                                   " VALUES (?, ?, ?, ?)",
                                   err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, role);
        db_bind_text(st, 3, scopes && *scopes ? scopes : NULL);
        db_bind_text(st, 4, now);
        return db_step_done(db, st, err, "adding a principal");
}

static const char sql_principal_groups[] =
    "SELECT group_concat(group_name, ',') FROM"
    " (SELECT group_name FROM group_members WHERE principal = ?1 ORDER BY group_name)";

static void principal_from_row(struct db *db, sqlite3_stmt *st, struct principal *p)
{
        p->name = db_column_strdup(st, 0);
        p->role = db_column_strdup(st, 1);
        p->scopes = db_column_strdup(st, 2);
        p->created_at = db_column_strdup(st, 3);
        struct err ignored;
        sqlite3_stmt *g = db_stmt(db, sql_principal_groups, &ignored);
        if (g) {
                db_bind_text(g, 1, p->name);
                if (sqlite3_step(g) == SQLITE_ROW)
                        p->groups = db_column_strdup(g, 0);
                sqlite3_reset(g);
        }
}

int db_principals_get(struct db *db, const char *name, struct principal *out, int *found,
                      struct err *err)
{
        *found = 0;
        sqlite3_stmt *st = db_stmt(
            db, "SELECT name, role, scopes, created_at FROM principals WHERE name = ?", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, name);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *found = 1;
                char *n = db_column_strdup(st, 0), *r = db_column_strdup(st, 1),
                     *s = db_column_strdup(st, 2), *c = db_column_strdup(st, 3);
                sqlite3_reset(st);
                memset(out, 0, sizeof(*out));
                out->name = n;
                out->role = r;
                out->scopes = s;
                out->created_at = c;
                sqlite3_stmt *g = db_stmt(db, sql_principal_groups, err);
                if (!g)
                        return -1;
                db_bind_text(g, 1, name);
                if (sqlite3_step(g) == SQLITE_ROW)
                        out->groups = db_column_strdup(g, 0);
                sqlite3_reset(g);
                return 0;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "reading a principal");
        return 0;
}

int db_principals_list(struct db *db, struct principal_list *out, struct err *err)
{
        /* A statement of its own: principal_from_row uses the cached groups one. */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db->sql,
                               "SELECT name, role, scopes, created_at FROM principals"
                               " ORDER BY name",
                               -1, &st, NULL) != SQLITE_OK)
                return db_fail(db, err, "listing principals");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                memset(&out->v[out->n], 0, sizeof(out->v[0]));
                principal_from_row(db, st, &out->v[out->n++]);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "listing principals");
        return 0;
}

int db_groups_add(struct db *db, const char *name, const char *const *members, size_t n,
                  struct err *err)
{
        if (!owners_name_valid(name))
                return err_set(err,
                               "group name '%s' may hold only letters, digits, '.', '_' "
                               "and '-'",
                               name);
        if (db_begin(db, err) < 0)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        sqlite3_stmt *st = db_stmt(
            db, "INSERT OR IGNORE INTO principal_groups(name, created_at) VALUES (?, ?)", err);
        if (!st)
                goto fail;
        db_bind_text(st, 1, name);
        db_bind_text(st, 2, now);
        if (db_step_done(db, st, err, "creating a group") < 0)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                int found = 0;
                struct principal p = {0};
                if (db_principals_get(db, members[i], &p, &found, err) < 0)
                        goto fail;
                principal_clear(&p);
                if (!found) {
                        err_set(err,
                                "'%s' is not a principal (add it first with `curator "
                                "principals add`)",
                                members[i]);
                        goto fail;
                }
                st = db_stmt(db,
                             "INSERT OR IGNORE INTO group_members(group_name, principal)"
                             " VALUES (?, ?)",
                             err);
                if (!st)
                        goto fail;
                db_bind_text(st, 1, name);
                db_bind_text(st, 2, members[i]);
                if (db_step_done(db, st, err, "adding a group member") < 0)
                        goto fail;
        }
        return db_commit(db, err);
fail:
        db_rollback(db);
        return -1;
}

int db_groups_has_member(struct db *db, const char *group, const char *principal, int *yes,
                         struct err *err)
{
        *yes = 0;
        sqlite3_stmt *st =
            db_stmt(db, "SELECT 1 FROM group_members WHERE group_name = ? AND principal = ?", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, group);
        db_bind_text(st, 2, principal);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
                *yes = 1;
        else if (rc != SQLITE_DONE)
                return db_fail(db, err, "reading group members");
        return 0;
}

int db_groups_list(struct db *db, struct memory_list_str *names, struct memory_list_str *members,
                   struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT g.name, coalesce((SELECT group_concat(principal, ',')"
                                   " FROM (SELECT principal FROM group_members"
                                   " WHERE group_name = g.name ORDER BY principal)), '')"
                                   " FROM principal_groups g ORDER BY g.name",
                                   err);
        if (!st)
                return -1;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                /* memory_list_add drops duplicates, so push by hand to keep pairs aligned. */
                names->v = xrealloc(names->v, (names->n + 1) * sizeof(char *));
                names->v[names->n++] = db_column_strdup(st, 0);
                members->v = xrealloc(members->v, (members->n + 1) * sizeof(char *));
                members->v[members->n++] = db_column_strdup(st, 1);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "listing groups");
        names->cap = names->n;
        members->cap = members->n;
        return 0;
}

int db_store_index_head(struct db *db, char out[41], int *have, struct err *err)
{
        *have = 0;
        sqlite3_stmt *st = db_stmt(db, "SELECT head FROM store_index_state WHERE one = 1", err);
        if (!st)
                return -1;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                const char *h = (const char *)sqlite3_column_text(st, 0);
                if (h && strlen(h) == 40) {
                        memcpy(out, h, 41);
                        *have = 1;
                }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "reading the store index state");
        return 0;
}

int db_store_set_index_head(struct db *db, const char *head, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "INSERT INTO store_index_state(one, head, indexed_at)"
                                   " VALUES (1, ?1, ?2) ON CONFLICT(one) DO UPDATE SET"
                                   " head = ?1, indexed_at = ?2",
                                   err);
        if (!st)
                return -1;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        db_bind_text(st, 1, head);
        db_bind_text(st, 2, now);
        return db_step_done(db, st, err, "recording the indexed store commit");
}

static void join_list(const struct memory_list_str *l, char sep, struct buf *out)
{
        for (size_t i = 0; i < l->n; i++) {
                if (i)
                        buf_addc(out, sep);
                buf_adds(out, l->v[i]);
        }
}

int db_store_put(struct db *db, const struct memory *m, const char *blob, const char *commit_id,
                 struct err *err)
{
        if (db_store_delete_path(db, m->path, err) < 0)
                return -1;
        sqlite3_stmt *st = db_stmt(db, "DELETE FROM store_memories WHERE id = ?", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, m->id);
        if (db_step_done(db, st, err, "replacing an index row") < 0)
                return -1;
        st = db_stmt(db,
                     "INSERT INTO store_memories(id, path, scope, owner, retention, created,"
                     " updated, expires, legal_hold, sources, tags, text, blob, commit_id)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     err);
        if (!st)
                return -1;
        struct buf sources = BUF_INIT, tags = BUF_INIT;
        join_list(&m->sources, '\n', &sources);
        join_list(&m->tags, ' ', &tags);
        db_bind_text(st, 1, m->id);
        db_bind_text(st, 2, m->path);
        db_bind_text(st, 3, m->scope);
        db_bind_text(st, 4, m->owner);
        db_bind_text(st, 5, m->retention);
        db_bind_text(st, 6, m->created);
        db_bind_text(st, 7, m->updated);
        db_bind_text(st, 8, m->expires);
        sqlite3_bind_int(st, 9, m->legal_hold);
        db_bind_text(st, 10, buf_cstr(&sources));
        db_bind_text(st, 11, buf_cstr(&tags));
        sqlite3_bind_text(st, 12, m->body ? m->body : "", (int)m->body_len, SQLITE_STATIC);
        db_bind_text(st, 13, blob);
        db_bind_text(st, 14, commit_id);
        int rc = db_step_done(db, st, err, "writing an index row");
        buf_free(&sources);
        buf_free(&tags);
        return rc;
}

int db_store_delete_path(struct db *db, const char *path, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db, "DELETE FROM store_memories WHERE path = ?", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, path);
        return db_step_done(db, st, err, "deleting an index row");
}

int db_store_clear(struct db *db, struct err *err)
{
        return db_exec(db,
                       "DELETE FROM store_memories; DELETE FROM store_index_state;"
                       " INSERT INTO store_memories_fts(store_memories_fts) VALUES ('delete-all');",
                       err);
}

static void split_into(const char *s, char sep, struct memory_list_str *out)
{
        while (s && *s) {
                const char *e = strchr(s, sep);
                size_t n = e ? (size_t)(e - s) : strlen(s);
                if (n) {
                        char *item = xstrndup(s, n);
                        memory_list_add(out, item);
                        free(item);
                }
                s = e ? e + 1 : NULL;
        }
}

void db_store_rows_free(struct db_store_rows *rows)
{
        for (size_t i = 0; i < rows->n; i++) {
                memory_free(rows->v[i].m);
                free(rows->v[i].blob);
                free(rows->v[i].commit_id);
        }
        free(rows->v);
        rows->v = NULL;
        rows->n = rows->cap = 0;
}

int db_store_all(struct db *db, struct db_store_rows *out, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT id, path, scope, owner, retention, created, updated,"
                                   " expires, legal_hold, sources, tags, text, blob, commit_id"
                                   " FROM store_memories ORDER BY path",
                                   err);
        if (!st)
                return -1;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 64;
                        out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                }
                struct db_store_row *r = &out->v[out->n++];
                struct memory *m = memory_new();
                m->id = db_column_strdup(st, 0);
                m->path = db_column_strdup(st, 1);
                m->scope = db_column_strdup(st, 2);
                m->owner = db_column_strdup(st, 3);
                m->retention = db_column_strdup(st, 4);
                m->created = db_column_strdup(st, 5);
                m->updated = db_column_strdup(st, 6);
                m->expires = db_column_strdup(st, 7);
                m->legal_hold = sqlite3_column_int(st, 8);
                split_into((const char *)sqlite3_column_text(st, 9), '\n', &m->sources);
                split_into((const char *)sqlite3_column_text(st, 10), ' ', &m->tags);
                memory_set_body(m, (const char *)sqlite3_column_text(st, 11),
                                (size_t)sqlite3_column_bytes(st, 11));
                r->m = m;
                r->blob = db_column_strdup(st, 12);
                r->commit_id = db_column_strdup(st, 13);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "reading the store index");
        return 0;
}

int db_store_path_of(struct db *db, const char *id, char **path, struct err *err)
{
        *path = NULL;
        sqlite3_stmt *st = db_stmt(db, "SELECT path FROM store_memories WHERE id = ?", err);
        if (!st)
                return -1;
        db_bind_text(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *path = db_column_strdup(st, 0);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return db_fail(db, err, "looking up a memory in the index");
        return 0;
}

void db_store_hits_free(struct db_store_hits *h)
{
        for (size_t i = 0; i < h->n; i++) {
                free(h->v[i].id);
                free(h->v[i].path);
        }
        free(h->v);
        h->v = NULL;
        h->n = 0;
}

static int search_run(struct db *db, const char *scope, const char *match, size_t limit,
                      struct db_store_hits *out, struct err *err)
{
        sqlite3_stmt *st = db_stmt(db,
                                   "SELECT m.id, m.path, bm25(store_memories_fts)"
                                   " FROM store_memories_fts JOIN store_memories m"
                                   " ON m.rowid = store_memories_fts.rowid"
                                   " WHERE store_memories_fts MATCH ?1"
                                   " AND (?2 IS NULL OR m.scope = ?2)"
                                   " ORDER BY bm25(store_memories_fts) LIMIT ?3",
                                   err);
        if (!st)
                return -1;
        db_bind_text(st, 1, match);
        db_bind_text(st, 2, scope);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                out->v[out->n].id = db_column_strdup(st, 0);
                out->v[out->n].path = db_column_strdup(st, 1);
                out->v[out->n].rank = sqlite3_column_double(st, 2);
                out->n++;
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return db_fail(db, err, "searching memories");
        return 0;
}

int db_store_search(struct db *db, const char *scope, const char *query, size_t limit,
                    struct db_store_hits *out, struct err *err)
{
        if (search_run(db, scope, query, limit, out, err) == 0)
                return 0;
        db_store_hits_free(out);
        /* Agents' queries are plain words, not FTS5 syntax: quote each word
         * and OR them, so "npm ci: ENOENT" still finds something. */
        struct buf q = BUF_INIT;
        const char *p = query;
        while (*p) {
                while (*p == ' ' || *p == '\t' || *p == '\n')
                        p++;
                const char *s = p;
                while (*p && *p != ' ' && *p != '\t' && *p != '\n')
                        p++;
                if (p == s)
                        continue;
                if (q.len)
                        buf_adds(&q, " OR ");
                buf_addc(&q, '"');
                for (const char *c = s; c < p; c++) {
                        if (*c == '"')
                                buf_addc(&q, '"');
                        buf_addc(&q, *c);
                }
                buf_addc(&q, '"');
        }
        int rc = q.len ? search_run(db, scope, buf_cstr(&q), limit, out, err) : 0;
        buf_free(&q);
        return rc;
}
