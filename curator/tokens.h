/* Bearer tokens for curator serve: `cur_` + 43 base64url characters (32
 * random bytes from getrandom), shown once when created, stored only as
 * their SHA-256. A token stands for a principal, whose role and scopes decide
 * what it may do. */
#ifndef CURATOR_TOKENS_H
#define CURATOR_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "db_store.h"
#include "err.h"

#define TOKENS_PREFIX "cur_"
#define TOKENS_TEXT_LEN (4 + 43)
#define TOKENS_ID_LEN (4 + 12)

/* Creates a token for principal (which must exist), valid for ttl_seconds
 * (<= 0: never expires), and audits it as actor, in one transaction. Writes
 * the token text (shown once, never stored) and its public id. */
int tokens_create(struct db *db, const char *principal, int64_t ttl_seconds, const char *actor,
                  char text[TOKENS_TEXT_LEN + 1], char id[TOKENS_ID_LEN + 1], struct err *err);
/* Revokes token id as actor (audited): *changed = 0 if there is no usable
 * token with that id. */
int tokens_revoke(struct db *db, const char *id, const char *actor, int *changed, struct err *err);

enum tokens_verdict {
        TOKENS_OK,
        TOKENS_UNKNOWN, /* malformed, or no such token */
        TOKENS_EXPIRED,
        TOKENS_REVOKED,
};

/* Checks a presented token (len bytes, not necessarily NUL-terminated). On
 * TOKENS_OK fills *out (the caller frees with principal_clear). Returns 0
 * with *verdict set, or -1 with err if the check could not run. */
int tokens_check(struct db *db, const char *text, size_t len, struct principal *out,
                 enum tokens_verdict *verdict, struct err *err);

/* Returns 1 if scope is among p's scopes (NULL scopes: every scope). */
int tokens_scope_allowed(const struct principal *p, const char *scope);

#endif
