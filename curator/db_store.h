/* The store's tables in curator.db: principals and groups, and the index of
 * the store's head (memories + FTS5). SQL for them lives in db_store.c only. */
#ifndef CURATOR_DB_STORE_H
#define CURATOR_DB_STORE_H

#include <stddef.h>

#include "db.h"
#include "err.h"
#include "memory.h"

struct principal {
        char *name;       /* owned */
        char *role;       /* owned: owner | compliance | agent | admin */
        char *scopes;     /* owned: comma-separated, or NULL for every scope */
        char *created_at; /* owned */
        char *groups;     /* owned: comma-separated group names, or NULL */
};

struct principal_list {
        struct principal *v; /* owned, each with owned fields */
        size_t n;
};

/* Adds a principal. Fails if the name exists or the role is not one of the four. */
int db_principals_add(struct db *db, const char *name, const char *role, const char *scopes,
                      struct err *err);
/* Looks a principal up: *found = 0 if there is none (out untouched). out's
 * fields are the caller's to free with principal_clear. */
int db_principals_get(struct db *db, const char *name, struct principal *out, int *found,
                      struct err *err);
/* Every principal, by name, with the groups each belongs to. */
int db_principals_list(struct db *db, struct principal_list *out, struct err *err);
void principal_clear(struct principal *p);
void principal_list_free(struct principal_list *l);

/* Creates group name if needed and adds members (each an existing principal),
 * all in one transaction. */
int db_groups_add(struct db *db, const char *name, const char *const *members, size_t n,
                  struct err *err);
/* Sets *yes to 1 if principal is a member of group name. */
int db_groups_has_member(struct db *db, const char *group, const char *principal, int *yes,
                         struct err *err);
/* Every group: names[i] with members[i] (comma-separated, may be ""). */
int db_groups_list(struct db *db, struct memory_list_str *names, struct memory_list_str *members,
                   struct err *err);

/* One index row. */
struct db_store_row {
        struct memory *m; /* owned: fields and body (text) as indexed; m->path set */
        char *blob;       /* owned */
        char *commit_id;  /* owned */
};

struct db_store_rows {
        struct db_store_row *v; /* owned */
        size_t n, cap;
};
void db_store_rows_free(struct db_store_rows *rows);

/* The commit the index describes; *have = 0 if the index was never built. */
int db_store_index_head(struct db *db, char out[41], int *have, struct err *err);
/* Records head as the indexed commit. Call inside the transaction that
 * changed the rows. */
int db_store_set_index_head(struct db *db, const char *head, struct err *err);
/* Inserts or replaces the row for m (m->path must be set). */
int db_store_put(struct db *db, const struct memory *m, const char *blob, const char *commit_id,
                 struct err *err);
/* Deletes the row at path, if any. */
int db_store_delete_path(struct db *db, const char *path, struct err *err);
/* Deletes every row and the indexed commit. */
int db_store_clear(struct db *db, struct err *err);
/* Every row, by path. */
int db_store_all(struct db *db, struct db_store_rows *out, struct err *err);
/* The path of memory id at the indexed commit; *path = NULL if unknown. */
int db_store_path_of(struct db *db, const char *id, char **path, struct err *err);

struct db_store_hit {
        char *id;    /* owned */
        char *path;  /* owned */
        double rank; /* bm25: lower is better */
};
struct db_store_hits {
        struct db_store_hit *v; /* owned */
        size_t n;
};
/* Full-text search over text and tags with bm25 ranking, best first, limited
 * to scope (NULL: every scope). query is FTS5 syntax; a query FTS5 cannot
 * parse is retried as quoted words. */
int db_store_search(struct db *db, const char *scope, const char *query, size_t limit,
                    struct db_store_hits *out, struct err *err);
void db_store_hits_free(struct db_store_hits *h);

#endif
