/* Progress lines for long work: shown on a terminal (stderr), silent when
 * stderr is not one or when the caller asked for --json. */
#ifndef CURATOR_PROGRESS_H
#define CURATOR_PROGRESS_H

#include <stdint.h>

struct progress {
        int enabled;
        int64_t last_ms;
        int shown; /* something is on the line and must be cleared */
};

/* Enables progress only when stderr is a terminal and quiet is 0. */
void progress_init(struct progress *p, int quiet);
/* Redraws the line at most five times a second. */
void progress_update(struct progress *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Clears the line so the next output starts clean. */
void progress_done(struct progress *p);

#endif
