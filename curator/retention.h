/* Retention classes: how long a memory lives after its last update. Classes
 * come from curator.conf `[retention]` (name = duration or never); a scope's
 * default class from `[scope-retention]`, else `[store] default_retention`,
 * else "standard". */
#ifndef CURATOR_RETENTION_H
#define CURATOR_RETENTION_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"

struct retention_class {
        char *name;      /* owned */
        int64_t seconds; /* -1: never expires */
        int line;        /* curator.conf line, 0 for a built-in default */
};

struct retention {
        struct retention_class *v; /* owned */
        size_t n;
        char *default_class;      /* owned: the class for scopes with none of their own */
        const struct config *cfg; /* borrowed: for [scope-retention] look-ups */
};

/* Reads and checks every class, the default and each scope's class. With no
 * [retention] section at all, the built-in session = 30d, standard = 365d,
 * pinned = never apply. A bad duration or an unknown class fails naming
 * curator.conf:line. cfg must outlive *out. */
int retention_load(const struct config *cfg, struct retention **out, struct err *err);
void retention_free(struct retention *r);

/* The class called name, or NULL. Borrowed from r. */
const struct retention_class *retention_find(const struct retention *r, const char *name);
/* The default class name for scope. Borrowed from r (or its config). */
const char *retention_class_for_scope(const struct retention *r, const char *scope);
/* Writes when a memory of class name last updated at updated_ms expires:
 * canonical RFC 3339, or "never". Fails (-1, err) for an unknown class. */
int retention_expires(const struct retention *r, const char *name, int64_t updated_ms, char out[32],
                      struct err *err);

#endif
