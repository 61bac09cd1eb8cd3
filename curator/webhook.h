/* Webhooks ([webhooks] url, secret_file): a small JSON event for each store
 * commit, approval and revert, queued in curator.db (so a crash loses none)
 * and POSTed with libcurl, signed with `X-Curator-Signature: sha256=<hex
 * HMAC-SHA256 of the body>`, retried with exponential backoff. */
#ifndef CURATOR_WEBHOOK_H
#define CURATOR_WEBHOOK_H

#include <stdint.h>

#include "config.h"
#include "db.h"
#include "err.h"

#define WEBHOOK_MAX_ATTEMPTS 8

/* Queues event (e.g. "approval") with body_json (an object; event and time
 * are added) if webhooks are configured; does nothing otherwise. */
int webhook_enqueue(struct db *db, const struct config *cfg, const char *event,
                    const char *body_json, struct err *err);

/* Delivers every queued event that is due, one attempt each. *delivered
 * and *failed count this call's outcomes. Does nothing without a url. */
int webhook_deliver_due(struct db *db, const struct config *cfg, int *delivered, int *failed,
                        struct err *err);

#endif
