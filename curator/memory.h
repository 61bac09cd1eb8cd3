/* One memory: a Markdown file `memories/<scope>/<slug>-<hex>.md` in the store,
 * with a front matter header (docs/MEMORY-FORMAT.md). The parser accepts
 * exactly the canonical form memory_serialize writes, so
 * serialize(parse(x)) == x byte for byte for every file curator writes, and
 * anything else is an error naming the file and the line. */
#ifndef CURATOR_MEMORY_H
#define CURATOR_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define MEMORY_ID_PREFIX "mem-"
#define MEMORY_ID_HEX 16
#define MEMORY_ID_LEN (4 + MEMORY_ID_HEX) /* "mem-" + 16 hex digits */
#define MEMORY_DIR "memories"
#define MEMORY_NEVER "never" /* expires of a class with no expiry */

struct memory_list_str {
        char **v; /* owned, each owned */
        size_t n, cap;
};

struct memory {
        char *id;                       /* owned: "mem-" + 16 lowercase hex */
        char *scope;                    /* owned */
        char *owner;                    /* owned: a principal name or "@group" */
        char *retention;                /* owned: a retention class name */
        char *created;                  /* owned: canonical RFC 3339 UTC (timestamp_format) */
        char *updated;                  /* owned: canonical RFC 3339 UTC */
        char *expires;                  /* owned: canonical RFC 3339 UTC, or "never" */
        int legal_hold;                 /* 0 or 1 */
        struct memory_list_str sources; /* "session_id/event_id" each */
        struct memory_list_str tags;
        char *body; /* owned: the Markdown after the header, any length */
        size_t body_len;
        char *path; /* owned: path in the store tree, or NULL if not known */
};

/* Parses a memory file. name (the path, for messages) is copied into m->path.
 * Returns 0 and a new memory in *out (caller frees with memory_free), or -1
 * with err naming name:line and what is wrong. */
int memory_parse(const char *text, size_t len, const char *name, struct memory **out,
                 struct err *err);
/* Appends the canonical file text of m to out. Fails (-1, err) if a field is
 * missing or not valid (see memory_validate); out is then unchanged. */
int memory_serialize(const struct memory *m, struct buf *out, struct err *err);
/* Checks every field against the format: id shape, scope and class names,
 * canonical times, no line breaks or surrounding blanks in values, body free
 * of NUL bytes. Returns 0, or -1 with err naming the field. */
int memory_validate(const struct memory *m, struct err *err);

/* Writes a new random id ("mem-" + 16 hex) into out. */
void memory_new_id(char out[MEMORY_ID_LEN + 1]);
/* Returns 1 if s is a well-formed memory id. */
int memory_id_valid(const char *s);
/* Returns 1 if s may be a scope (also a directory name): [a-z0-9][a-z0-9._-]*,
 * at most 64 bytes. */
int memory_scope_valid(const char *s);
/* Appends the store path for a new memory: memories/<scope>/<slug>-<hex>.md,
 * the slug made from the body's first line. The id is part of the name, so a
 * path never changes while the memory lives. */
void memory_make_path(const char *scope, const char *id, const char *body, size_t body_len,
                      struct buf *out);
/* If path names a memory file (memories/<scope>/<anything>-<16 hex>.md),
 * writes its id into id_out and returns 1; else returns 0. */
int memory_id_from_path(const char *path, char id_out[MEMORY_ID_LEN + 1]);

/* A fresh, empty memory (all strings NULL); free with memory_free. */
struct memory *memory_new(void);
/* A deep copy of m. */
struct memory *memory_dup(const struct memory *m);
/* Replaces *field with a copy of value (NULL clears it). */
void memory_set(char **field, const char *value);
void memory_set_body(struct memory *m, const char *body, size_t len);
/* Appends a copy of s to list, unless it is already there. */
void memory_list_add(struct memory_list_str *list, const char *s);
void memory_list_clear(struct memory_list_str *list);
/* Frees owned fields and m; NULL is fine. */
void memory_free(struct memory *m);

#endif
