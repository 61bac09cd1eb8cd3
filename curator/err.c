#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *err, const char *fmt, ...)
{
        if (!err)
                return -1;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        return -1;
}

int err_wrap(struct err *err, const char *fmt, ...)
{
        if (!err)
                return -1;
        char old[CURATOR_ERR_MAX];
        memcpy(old, err->msg, sizeof(old));
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(err->msg) - 2)
                return -1;
        size_t at = (size_t)n;
        size_t room = sizeof(err->msg) - at - 1;
        size_t oldlen = strnlen(old, sizeof(old));
        memcpy(err->msg + at, ": ", 2);
        at += 2;
        room -= 2;
        if (oldlen > room)
                oldlen = room;
        memcpy(err->msg + at, old, oldlen);
        err->msg[at + oldlen] = '\0';
        return -1;
}
