/* Files: whole reads, atomic writes (write-then-rename), directories. */
#ifndef CURATOR_FILEIO_H
#define CURATOR_FILEIO_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Reads a whole file into out (appending). If the file does not exist and
 * missing is not NULL, sets *missing = 1 and fails. */
int fileio_read_all(const char *path, struct buf *out, int *missing, struct err *err);
/* Writes data to path atomically: a temp file beside it, fsync, rename. */
int fileio_write_atomic(const char *path, const void *data, size_t len, struct err *err);
/* Creates a directory and its parents (mode 0700 for new ones). */
int fileio_mkdirs(const char *path, struct err *err);
/* Returns 1 if path is a directory, 0 if not or missing. */
int fileio_is_dir(const char *path);
/* Joins two path parts with one '/'; the result is owned by the caller. */
char *fileio_join(const char *a, const char *b);

#endif
