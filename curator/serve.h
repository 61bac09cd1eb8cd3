/* curator serve (DESIGN.md "Serving", docs/SERVING.md): the HTTP API on
 * libmicrohttpd with a thread pool, bearer-token auth by role and scope,
 * cached memory bundles, metrics, and the scheduled work (dreaming passes,
 * webhook deliveries) that runs beside it. */
#ifndef CURATOR_SERVE_H
#define CURATOR_SERVE_H

#include <stdint.h>

#include "err.h"

struct serve_options {
        const char *home_dir; /* required */
        const char *listen;   /* "HOST:PORT"; port 0 picks a free one */
        int threads;          /* worker threads; 0: [serve] threads, else the CPU count */
        int64_t max_seconds;  /* stop by itself after this long (0: never), as on SIGTERM */
        int64_t grace_ms;     /* how long shutdown waits for requests in flight */
        /* Called once the socket listens, with "HOST:PORT" as bound. */
        void (*on_listen)(void *ctx, const char *addr);
        /* Called for scheduled work that failed (the service keeps running). */
        void (*on_warning)(void *ctx, const char *what, const char *msg);
        void *ctx;
};

/* Runs the service until SIGTERM or SIGINT (or max_seconds): then stops
 * accepting connections, lets requests in flight finish (up to grace_ms),
 * flushes the batched audit rows and returns 0. Returns -1 with err if it
 * could not start. Blocks SIGTERM/SIGINT in the calling thread. */
int serve_run(const struct serve_options *o, struct err *err);

#endif
