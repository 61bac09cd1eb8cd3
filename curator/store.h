/* The memory store: a bare git repository (<home>/store.git, branch main)
 * written without a work tree, one commit per approved change set, and an
 * SQLite index of its head (docs/STORE.md). Writers move the branch with a
 * compare-and-swap, so two writers never lose each other's commit; every
 * write runs the rules again and refuses text a `block` rule matches. */
#ifndef CURATOR_STORE_H
#define CURATOR_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "home.h"
#include "memory.h"
#include "owners.h"

#define STORE_REF "refs/heads/main"
#define STORE_OWNERS_PATH "OWNERS"
#define STORE_README_PATH "README.md"

/* Returned (instead of -1) when changes touch memories that moved since the
 * base they were made against: the caller may mark its diff conflicted. */
#define STORE_CONFLICT (-2)

struct store;

enum store_op {
        STORE_ADD,        /* a new memory */
        STORE_UPDATE,     /* change fields of an existing memory; NULL/-1 fields are kept */
        STORE_DELETE,     /* remove a memory */
        STORE_WRITE_FILE, /* replace a non-memory file at the tree root (OWNERS, README.md) */
};

/* One change. Strings are borrowed for the duration of the call. */
struct store_change {
        enum store_op op;
        const char *id;        /* update/delete: the memory; add: NULL mints a new id */
        const char *scope;     /* add: required */
        const char *owner;     /* add: NULL = first owner OWNERS gives the path, else the author */
        const char *retention; /* NULL: scope default on add, kept on update */
        const char *text;      /* add: required; update: NULL keeps the text */
        size_t text_len;       /* 0 with text set means strlen(text) */
        const char *const *sources; /* add: initial; update: added to the existing ones */
        size_t nsources;
        const char *const *tags; /* add: initial; update: replaces them when tags_set */
        size_t ntags;
        int tags_set;     /* update: 1 to replace the tags with tags/ntags */
        int legal_hold;   /* -1 keep (add: false), 0 or 1 set */
        const char *path; /* write_file: OWNERS or README.md */
};

/* Who and why: the commit's author and message with its trailers. */
struct store_commit_info {
        const char *author_name;     /* required: the approver (a principal name) */
        const char *author_email;    /* NULL: <name>@curator.invalid */
        const char *message;         /* required: subject line, optional body */
        const char *diff_id;         /* Diff-Id: trailer, or NULL */
        const char *dream_run;       /* Dream-Run: trailer, or NULL */
        const char *approved_by;     /* Approved-By: trailer, or NULL */
        const char *reverts;         /* Reverts: trailer, or NULL */
        const char *const *evidence; /* one Evidence: trailer each (session/event ids) */
        size_t nevidence;
};

struct store_trailer {
        char *key;   /* owned */
        char *value; /* owned */
};

enum store_path_status {
        STORE_PATH_ADDED = 'A',
        STORE_PATH_MODIFIED = 'M',
        STORE_PATH_DELETED = 'D'
};

struct store_path_change {
        char *path;                        /* owned */
        char status;                       /* 'A', 'M' or 'D' */
        char memory_id[MEMORY_ID_LEN + 1]; /* "" if the path is not a memory file */
        char old_blob[41], new_blob[41];   /* "" when absent */
};

struct store_paths {
        struct store_path_change *v; /* owned */
        size_t n;
};
void store_paths_free(struct store_paths *p);

struct store_commit {
        char id[41];
        char *author_name;  /* owned */
        char *author_email; /* owned */
        int64_t when_ms;
        char *subject;                  /* owned: first line of the message */
        char *message;                  /* owned: whole message */
        struct store_trailer *trailers; /* owned */
        size_t ntrailers;
        struct store_paths paths; /* what the commit changed against its first parent */
};

struct store_log {
        struct store_commit *v; /* owned, newest first */
        size_t n;
};
void store_log_free(struct store_log *log);

struct store_memories {
        struct memory **v; /* owned, each owned; sorted by path */
        size_t n;
};
void store_memories_free(struct store_memories *l);

enum store_problem_kind {
        STORE_PROBLEM_OBJECT,       /* an object reachable from the ref cannot be read */
        STORE_PROBLEM_FRONT_MATTER, /* a memory file does not parse or is misplaced */
        STORE_PROBLEM_OWNERS,       /* OWNERS does not parse */
        STORE_PROBLEM_INDEX,        /* the SQLite index differs from head */
};

struct store_problem {
        enum store_problem_kind kind;
        char *path;   /* owned: the file or object concerned, may be NULL */
        char *detail; /* owned: what is wrong */
};

struct store_report {
        char head[41];
        char indexed[41]; /* "" if the index was never built */
        size_t commits, objects, memories, index_rows;
        struct store_problem *v; /* owned */
        size_t n;
};
void store_report_free(struct store_report *r);
const char *store_problem_kind_name(enum store_problem_kind k); /* "object", ... */

/* Creates store.git in the home if it is missing: a bare repository whose
 * main branch starts with a commit holding OWNERS (everything to @admins) and
 * a README.md explaining the layout, and indexes it. Does nothing to a store
 * that exists. */
int store_init(struct home *home, struct err *err);
/* Opens the home's store; home is borrowed and must outlive it. Fails with a
 * hint to run `curator init` if there is no store. */
int store_open(struct home *home, struct store **out, struct err *err);
/* Closes the store; NULL is fine. */
void store_close(struct store *s);

/* The commit main points at (40 hex digits). */
int store_head(struct store *s, char out[41], struct err *err);
/* Resolves a revision (full or abbreviated id, "HEAD", "main", "HEAD~2") to a
 * commit id, failing clearly if it is not a commit of this store. */
int store_resolve(struct store *s, const char *rev, char out[41], struct err *err);
/* *yes = 1 if commit is ancestor or descends from it (both 40 hex digits);
 * 0 if not, or if the store no longer holds ancestor. */
int store_descends(struct store *s, const char *commit, const char *ancestor, int *yes,
                   struct err *err);

/* Applies changes as one commit on main and updates the index. If
 * expected_base is given, the changes were made against it: any change to a
 * memory the head moved since is a conflict (STORE_CONFLICT, naming the memory
 * and the commit that moved it); moves of other memories are kept and the
 * changes land on top. A writer that loses the ref race re-applies the same
 * way. Every new text is scanned with the rules first; a `block` finding
 * refuses the whole commit (naming the memory and the rule, never the text)
 * and `redact` findings are replaced before anything is written. out_commit
 * gets the new commit. Returns 0, STORE_CONFLICT, or -1 with err. */
int store_apply_changes(struct store *s, const struct store_change *changes, size_t n,
                        const struct store_commit_info *info, const char *expected_base,
                        char out_commit[41], struct err *err);

/* Reads a memory (by id, or by path in the tree) at commit (NULL: head).
 * *out is the caller's; m->path is set. A missing memory fails naming it. */
int store_read_memory(struct store *s, const char *id_or_path, const char *commit,
                      struct memory **out, struct err *err);
/* Reads any file of the tree at commit (NULL: head), appending it to out. */
int store_read_file(struct store *s, const char *path, const char *commit, struct buf *out,
                    struct err *err);
/* Every memory at commit (NULL: head), optionally only those of scope. */
int store_list(struct store *s, const char *commit, const char *scope, struct store_memories *out,
               struct err *err);
/* Commits reachable from commit (NULL: head), newest first, at most limit
 * (0: all), each with the paths it changed. */
int store_log(struct store *s, const char *commit, size_t limit, struct store_log *out,
              struct err *err);
/* The commits that changed memory id (added, updated or deleted it), newest
 * first, found from head, with author, date and trailers. */
int store_history(struct store *s, const char *memory_id, struct store_log *out, struct err *err);
/* The paths that differ between two commits (from may be NULL: the empty tree). */
int store_changed_paths(struct store *s, const char *from, const char *to, struct store_paths *out,
                        struct err *err);

/* The OWNERS of commit (NULL: head); *out is the caller's. */
int store_owners(struct store *s, const char *commit, struct owners **out, struct err *err);
/* Checks that principal may change path: it exists and is an admin or an
 * owner of path by OWNERS at head. Fails (-1) with err saying who owns it. */
int store_check_owner(struct store *s, const char *principal, const char *path, struct err *err);

/* Undoes commit on top of head as principal (an admin, or an owner of every
 * path the commit touched): each path goes back to its state before commit.
 * A path changed again since is a conflict (STORE_CONFLICT). The revert
 * commit is authored by principal and carries Reverts: and Approved-By:. */
int store_revert(struct store *s, const char *commit, const char *principal, char out_commit[41],
                 struct err *err);

/* Brings the index to head by applying the difference between the indexed
 * commit and head (a full rebuild if the indexed commit is gone). */
int store_index_sync(struct store *s, struct err *err);
/* Rebuilds the index from head; *count gets the number of memories. */
int store_reindex(struct store *s, size_t *count, struct err *err);
/* Checks the store: every object reachable from main is readable and
 * hashes to its id, every memory file at head parses and sits at the path
 * its id and scope give, OWNERS parses, and the index matches head row for
 * row. Problems go into report (which the caller frees); returns -1 only if
 * the check itself could not run. */
int store_verify(struct store *s, struct store_report *report, struct err *err);

#endif
