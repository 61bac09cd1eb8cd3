/* The db interface for the platform (schema/0008_platform.sql): pull
 * cursors, the publish mapping and state, and what erasure left behind. */
#ifndef CURATOR_DB_PLATFORM_H
#define CURATOR_DB_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct platform_cursor {
        char *session_id;        /* owned */
        char *agent_id;          /* owned, may be NULL */
        char *scope;             /* owned */
        char *last_processed_at; /* owned, NULL until a timed event was stored */
        int64_t last_ms;
        char *ids_at_last; /* owned: JSON array text */
        int64_t events;
};
void platform_cursor_clear(struct platform_cursor *c);

/* *found = 0 if the session has no cursor yet. */
int db_platform_cursor_get(struct db *db, const char *session_id, struct platform_cursor *out,
                           int *found, struct err *err);
int db_platform_cursor_put(struct db *db, const struct platform_cursor *c, const char *now,
                           struct err *err);

/* Replaces *scope with the scope ingest gave session (unchanged if none). */
int db_platform_session_scope(struct db *db, const char *session_id, char **scope, struct err *err);

struct platform_mapping {
        char *memory_id;          /* owned: curator mem-<hex> */
        char *platform_memory_id; /* owned: mem_... */
        char *path;               /* owned */
        char *content_sha256;     /* owned */
};
struct platform_mappings {
        struct platform_mapping *v; /* owned */
        size_t n, cap;
};
void platform_mappings_free(struct platform_mappings *l);

int db_platform_mappings(struct db *db, const char *store_id, struct platform_mappings *out,
                         struct err *err);
int db_platform_mapping_put(struct db *db, const char *store_id, const char *scope,
                            const struct platform_mapping *m, const char *now, struct err *err);
/* Marks the memory as no longer on the platform; the row stays for erasure. */
int db_platform_mapping_retire(struct db *db, const char *store_id, const char *memory_id,
                               const char *now, struct err *err);
int db_platform_mapping_delete(struct db *db, const char *store_id, const char *memory_id,
                               struct err *err);

/* Every (curator memory, platform memory) pair of the store that erasure
 * must reach: published ones and the import sources; path and hash NULL. */
int db_platform_erasure_refs(struct db *db, const char *store_id, struct platform_mappings *out,
                             struct err *err);
/* Records that an import proposed platform memory pid as memory_id. */
int db_platform_imported_put(struct db *db, const char *store_id, const char *pid,
                             const char *memory_id, int64_t diff_id, const char *now,
                             struct err *err);
/* Drops every record of memory_id for the store (mapping and imports). */
int db_platform_forget_memory(struct db *db, const char *store_id, const char *memory_id,
                              struct err *err);

/* The scope and commit the store last fully matched; *found = 0 if never. */
int db_platform_publish_get(struct db *db, const char *store_id, char **scope, char **commit,
                            int *found, struct err *err);
int db_platform_publish_set(struct db *db, const char *store_id, const char *scope,
                            const char *commit, const char *now, struct err *err);

/* *erased = 1 if a purge or an erasure that was applied removed memory_id. */
int db_platform_memory_erased(struct db *db, const char *memory_id, int *erased, struct err *err);

/* The open (pending or partially approved) import diff of scope, or 0. */
int db_platform_open_import(struct db *db, const char *scope, int64_t *diff_id, struct err *err);
/* Marks a diff as coming from an import. */
int db_platform_mark_import(struct db *db, int64_t diff_id, struct err *err);

#endif
