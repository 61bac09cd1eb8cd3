/* Who owns what in the store: an OWNERS file at the root of the store tree in
 * CODEOWNERS syntax (docs/STORE.md). Each line is a gitignore-style pattern
 * and the owners of the paths it matches: principal names or @group names.
 * `#` starts a comment; the last matching line wins; a pattern with no owners
 * leaves its paths to admins only. Principals and groups live in SQLite
 * (db_store.h). */
#ifndef CURATOR_OWNERS_H
#define CURATOR_OWNERS_H

#include <stddef.h>

#include "db.h"
#include "err.h"

struct owners_rule {
        char *pattern; /* owned, as written */
        char **owners; /* owned, each owned: "alice" or "@admins" */
        size_t nowners;
        int line;
};

struct owners {
        struct owners_rule *v; /* owned */
        size_t n;
};

/* Parses OWNERS text; name is used in messages. A malformed line (an owner
 * that is not a valid name, a bad pattern) fails naming name:line. */
int owners_parse(const char *text, size_t len, const char *name, struct owners **out,
                 struct err *err);
void owners_free(struct owners *o);

/* The rule that decides path (the last line whose pattern matches), or NULL
 * if no line matches. Borrowed from o. */
const struct owners_rule *owners_for_path(const struct owners *o, const char *path);
/* Returns 1 if the gitignore-style pattern matches path (a file path in the
 * store tree, no leading '/'), else 0. */
int owners_pattern_matches(const char *pattern, const char *path);

/* Sets *owns to 1 if principal is one of rule's owners, directly or as a
 * member of one of its @groups (looked up in db). rule may be NULL (no owner).
 * Returns 0, or -1 with err on a database failure. */
int owners_principal_owns(struct db *db, const struct owners_rule *rule, const char *principal,
                          int *owns, struct err *err);

/* Roles a principal may hold. Returns 1 for owner, compliance, agent, admin. */
int owners_role_valid(const char *role);
/* Returns 1 if s is a valid principal or group name: [A-Za-z0-9._-]{1,128}. */
int owners_name_valid(const char *s);

/* The OWNERS text `curator init` puts in a new store: everything to @admins. */
extern const char owners_default_text[];

#endif
