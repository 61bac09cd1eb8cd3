/* A growable byte buffer: the one way curator builds text. Always
 * NUL-terminated after any successful call, so buf.ptr is a C string when the
 * content has no NUL of its own; len is authoritative. */
#ifndef CURATOR_BUF_H
#define CURATOR_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
        char *ptr;  /* owned; NULL until the first add */
        size_t len; /* bytes in use, excluding the trailing NUL */
        size_t cap; /* bytes allocated */
};

#define BUF_INIT {NULL, 0, 0}

/* Makes room for at least extra more bytes (plus the NUL). Aborts only on
 * out-of-memory, which curator treats as fatal everywhere. */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as the body of a JSON string (no quotes), escaping as RFC 8259 requires. */
void buf_add_json_str(struct buf *b, const char *s, size_t len);
void buf_reset(struct buf *b);
/* Hands the content to the caller (who frees it) and leaves b empty. */
char *buf_detach(struct buf *b, size_t *len);
/* Returns the content as a C string ("" when empty); b keeps ownership. */
const char *buf_cstr(const struct buf *b);
void buf_free(struct buf *b);

/* Allocation helpers that never return NULL (out-of-memory is fatal). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
