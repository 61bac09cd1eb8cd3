/* A string-keyed hash map (open addressing) for small in-memory sets such as
 * the sessions one ingest file touches. */
#ifndef CURATOR_STRMAP_H
#define CURATOR_STRMAP_H

#include <stddef.h>

struct strmap_slot {
        char *key;  /* owned */
        void *value; /* borrowed: the caller owns what it points to */
};

struct strmap {
        struct strmap_slot *slots; /* owned */
        size_t cap, n;
};

#define STRMAP_INIT {NULL, 0, 0}

/* Returns the value stored for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Stores value under key (replacing any); returns the previous value or NULL. */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Frees the keys and the table (not the values). */
void strmap_free(struct strmap *m);

#endif
