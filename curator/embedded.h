/* Files compiled into the binary (schema migrations), so a curator binary
 * needs no source tree at run time. */
#ifndef CURATOR_EMBEDDED_H
#define CURATOR_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
        const char *name; /* e.g. "0001_core.sql"; NULL ends a table */
        const char *data; /* NUL-terminated */
        size_t len;
};

/* schema/NNNN_*.sql in name order. */
extern const struct embedded_file schema_sqlite[];

#endif
