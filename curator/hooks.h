/* Platform webhooks received by `curator serve` (docs/PLATFORM.md,
 * "Webhooks"): the Standard Webhooks signature check and what an event asks
 * of curator. The secret comes from [platform] webhook_secret_file or
 * webhook_secret_env and is never logged or put in an error message. */
#ifndef CURATOR_HOOKS_H
#define CURATOR_HOOKS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct config;

#define HOOKS_TOLERANCE_S 300 /* webhook-timestamp may be this far from now */

struct hooks_key {
        unsigned char *bytes; /* owned; wiped when freed */
        size_t len;
};

/* Loads the signing key: the secret text from [platform] webhook_secret_file
 * (first) or the variable webhook_secret_env names, "whsec_" stripped and the
 * rest base64-decoded. *configured = 0 (and 0 returned) if neither is set;
 * -1 with err if one is set but unreadable, empty or not base64. */
int hooks_key_load(const struct config *cfg, struct hooks_key *out, int *configured,
                   struct err *err);
void hooks_key_free(struct hooks_key *k);

enum hooks_verdict {
        HOOKS_OK,
        HOOKS_MISSING,   /* a header is absent or empty: 400 */
        HOOKS_MALFORMED, /* the timestamp is not a number: 400 */
        HOOKS_BAD_SIG,   /* no v1 entry matches: 401 */
        HOOKS_STALE,     /* signed, but the timestamp is outside the tolerance: 401 */
};

/* Checks headers id, timestamp and signature (space-separated "v1,<base64>"
 * entries) over id "." timestamp "." body (the raw bytes) against key, in
 * constant time per entry, and the timestamp against now_s. err says why a
 * verdict other than HOOKS_OK was given (never quoting the secret). */
enum hooks_verdict hooks_verify(const struct hooks_key *key, const char *id, const char *timestamp,
                                const char *signature, const char *body, size_t len, int64_t now_s,
                                struct err *err);

/* 1 if data.type says the session has new events to pull: it went idle or
 * terminated, a thread of it did, or an outcome evaluation ended. */
int hooks_wants_pull(const char *event_type);

/* 1 if s looks like a platform id (letters, digits, '_' and '-', 1 to 128). */
int hooks_id_valid(const char *s);

#endif
