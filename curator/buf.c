#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t n)
{
        fprintf(stderr, "curator: out of memory allocating %zu bytes\n", n);
        abort();
}

void *xmalloc(size_t n)
{
        void *p = malloc(n ? n : 1);
        if (!p)
                out_of_memory(n);
        return p;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                out_of_memory(n * size);
        return p;
}

void *xrealloc(void *p, size_t n)
{
        void *q = realloc(p, n ? n : 1);
        if (!q)
                out_of_memory(n);
        return q;
}

char *xstrndup(const char *s, size_t n)
{
        char *p = xmalloc(n + 1);
        memcpy(p, s, n);
        p[n] = '\0';
        return p;
}

char *xstrdup(const char *s)
{
        return xstrndup(s, strlen(s));
}

void buf_grow(struct buf *b, size_t extra)
{
        if (b->len + extra + 1 <= b->cap)
                return;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + extra + 1)
                cap *= 2;
        b->ptr = xrealloc(b->ptr, cap);
        b->cap = cap;
}

void buf_add(struct buf *b, const void *data, size_t len)
{
        buf_grow(b, len);
        if (len)
                memcpy(b->ptr + b->len, data, len);
        b->len += len;
        b->ptr[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
        buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
        buf_grow(b, 1);
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
        va_list cp;
        va_copy(cp, ap);
        int n = vsnprintf(NULL, 0, fmt, cp);
        va_end(cp);
        if (n < 0)
                return;
        buf_grow(b, (size_t)n);
        vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(b, fmt, ap);
        va_end(ap);
}

void buf_add_json_str(struct buf *b, const char *s, size_t len)
{
        static const char hex[] = "0123456789abcdef";
        buf_grow(b, len + 2);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                switch (c) {
                case '"': buf_add(b, "\\\"", 2); break;
                case '\\': buf_add(b, "\\\\", 2); break;
                case '\n': buf_add(b, "\\n", 2); break;
                case '\r': buf_add(b, "\\r", 2); break;
                case '\t': buf_add(b, "\\t", 2); break;
                default:
                        if (c < 0x20) {
                                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                                buf_add(b, esc, 6);
                        } else {
                                buf_addc(b, (char)c);
                        }
                }
        }
}

void buf_reset(struct buf *b)
{
        b->len = 0;
        if (b->ptr)
                b->ptr[0] = '\0';
}

char *buf_detach(struct buf *b, size_t *len)
{
        char *p = b->ptr ? b->ptr : xstrdup("");
        if (len)
                *len = b->len;
        b->ptr = NULL;
        b->len = b->cap = 0;
        return p;
}

const char *buf_cstr(const struct buf *b)
{
        return b->ptr ? b->ptr : "";
}

void buf_free(struct buf *b)
{
        free(b->ptr);
        b->ptr = NULL;
        b->len = b->cap = 0;
}
