/* For store.c and store_verify.c only: the store's handle and the small
 * libgit2 helpers both use. */
#ifndef CURATOR_STORE_INTERNAL_H
#define CURATOR_STORE_INTERNAL_H

#include <git2.h>

#include "buf.h"
#include "err.h"
#include "store.h"

struct store {
        struct home *home;           /* borrowed */
        git_repository *repo;        /* owned */
        struct rules_set *rules;     /* owned; loaded on the first write */
        struct retention *retention; /* owned; loaded on the first write */
};

/* blob is NULL for an entry that is not a file (a nested tree: not a memory). */
typedef int (*memory_file_fn)(const char *path, const git_oid *blob, void *ctx, struct err *err);

/* Fills err with libgit2's last error, prefixed by what; returns -1. */
int store_git_fail(struct err *err, const char *what);
/* Writes the 40 hex digits of oid and a NUL into out. */
void store_oid_hex(const git_oid *oid, char out[41]);
/* 1 and *out if path exists in tree (file or directory), 0 if not, -1 on error. */
int store_tree_entry(git_tree *tree, const char *path, git_oid *out, struct err *err);
/* The tree of a commit; *out is the caller's (git_tree_free). */
int store_commit_tree(struct store *s, const git_oid *commit, git_tree **out, struct err *err);
/* Appends a blob's bytes to out. */
int store_read_blob(struct store *s, const git_oid *oid, struct buf *out, struct err *err);
/* The commit main points at. */
int store_head_oid(struct store *s, git_oid *out, struct err *err);
/* Calls fn for every entry under memories/<scope>/ (one scope if scope is
 * not NULL) whose name ends with suffix (any if NULL), in tree order. Stops
 * at the first non-zero return, which it returns. */
int store_each_memory_file(struct store *s, git_tree *root, const char *scope, const char *suffix,
                           memory_file_fn fn, void *ctx, struct err *err);

#endif
