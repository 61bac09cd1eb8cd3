/* curator.conf: INI-style `[section]` headers and `key = value` lines, `#`
 * comments. Every value remembers its line so errors can point at it. */
#ifndef CURATOR_CONFIG_H
#define CURATOR_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config_entry {
        char *section; /* owned; "" before the first header */
        char *key;     /* owned */
        char *value;   /* owned */
        int line;
};

struct config {
        char *path; /* owned; the file it came from, or NULL for defaults only */
        struct config_entry *v;
        size_t n, cap;
};

/* Parses a config file. A missing file yields an empty config (all defaults);
 * a malformed line fails naming path:line and what is wrong. */
int config_load(const char *path, struct config **out, struct err *err);
/* Parses config text held in memory; name is used in error messages. */
int config_parse(const char *text, size_t len, const char *name, struct config **out,
                 struct err *err);
void config_free(struct config *cfg);

/* Returns the last value set for section.key, or NULL. Borrowed. */
const char *config_get(const struct config *cfg, const char *section, const char *key);
/* Returns the entry for section.key (for its line number), or NULL. */
const struct config_entry *config_find(const struct config *cfg, const char *section,
                                       const char *key);

/* Parses a duration such as "30d", "12h", "90m", "45s", "2w" or "never"
 * (*seconds = -1). Returns 0, or -1 with err naming the text. */
int config_parse_duration(const char *text, int64_t *seconds, struct err *err);

/* The text `curator init` writes into a new home. */
extern const char config_default_text[];

#endif
