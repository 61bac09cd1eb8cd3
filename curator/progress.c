#include "progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void progress_init(struct progress *p, int quiet)
{
        p->enabled = !quiet && isatty(STDERR_FILENO);
        p->last_ms = 0;
        p->shown = 0;
}

void progress_update(struct progress *p, const char *fmt, ...)
{
        if (!p->enabled)
                return;
        int64_t now = mono_ms();
        if (p->shown && now - p->last_ms < 200)
                return;
        p->last_ms = now;
        va_list ap;
        va_start(ap, fmt);
        fputs("\r\033[K", stderr);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fflush(stderr);
        p->shown = 1;
}

void progress_done(struct progress *p)
{
        if (p->enabled && p->shown)
                fputs("\r\033[K", stderr);
        p->shown = 0;
}
