/* curator serve's tables in curator.db (schema/0005_serve.sql,
 * schema/0009_hooks.sql): bearer tokens, stored as hashes, the webhook
 * delivery queue, and the platform webhooks received with the session pulls
 * they queue. SQL for them lives in db_serve.c only. */
#ifndef CURATOR_DB_SERVE_H
#define CURATOR_DB_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

struct db_token {
        char *id;         /* owned: tok_<12 hex> */
        char *principal;  /* owned */
        char *hash;       /* owned: sha256 hex of the token text */
        char *created_at; /* owned */
        char *expires_at; /* owned, or NULL for never */
        char *revoked_at; /* owned, or NULL while usable */
};

struct db_tokens {
        struct db_token *v; /* owned, each with owned fields */
        size_t n;
};

/* Records a new token for principal (which must exist). */
int db_tokens_add(struct db *db, const char *id, const char *principal, const char *hash,
                  const char *expires_at, struct err *err);
/* Looks a token up by the hash of its text: *found = 0 if none. out's fields
 * are the caller's (db_token_clear). */
int db_tokens_get_by_hash(struct db *db, const char *hash, struct db_token *out, int *found,
                          struct err *err);
/* Every token, newest first (hashes included; callers do not print them). */
int db_tokens_list(struct db *db, struct db_tokens *out, struct err *err);
/* Marks token id revoked now: *changed = 0 if it does not exist or already is. */
int db_tokens_revoke(struct db *db, const char *id, int *changed, struct err *err);
void db_token_clear(struct db_token *t);
void db_tokens_free(struct db_tokens *l);

struct db_webhook {
        int64_t id;
        char *event; /* owned */
        char *body;  /* owned */
        int attempts;
};

/* Queues an event body for delivery now. */
int db_webhook_enqueue(struct db *db, const char *event, const char *body, struct err *err);
/* The oldest pending delivery due at now_ms: *found = 0 if none. */
int db_webhook_next_due(struct db *db, int64_t now_ms, struct db_webhook *out, int *found,
                        struct err *err);
/* Records a delivery outcome: delivered, or failed with the next try at
 * next_at_ms (or for good when next_at_ms < 0). */
int db_webhook_mark(struct db *db, int64_t id, int delivered, const char *error, int64_t next_at_ms,
                    struct err *err);
/* Counts deliveries in a state ("pending", "delivered", "failed"). */
int db_webhook_count(struct db *db, const char *state, int64_t *n, struct err *err);
void db_webhook_clear(struct db_webhook *w);

/* Records an accepted platform webhook (id from webhook-id) in one
 * transaction with, when session_id is not NULL, a pull of that session due
 * now. *duplicate = 1 (and nothing changes) if the id was accepted before.
 * Prunes records older than a day. */
int db_hook_accept(struct db *db, const char *webhook_id, const char *event_type,
                   const char *session_id, int64_t now_ms, int *duplicate, struct err *err);

struct db_pull_request {
        char *session_id; /* owned */
        char *webhook_id; /* owned: which request this is */
        int attempts;
};
void db_pull_request_clear(struct db_pull_request *p);

/* The oldest pending session pull due at now_ms: *found = 0 if none. */
int db_pull_queue_next(struct db *db, int64_t now_ms, struct db_pull_request *out, int *found,
                       struct err *err);
/* Records a pull's outcome: done removes the request unless a newer webhook
 * replaced it meanwhile; otherwise the next try is at next_at_ms, or never
 * (state failed) when next_at_ms < 0. */
int db_pull_queue_mark(struct db *db, const struct db_pull_request *p, int done, const char *error,
                       int64_t next_at_ms, struct err *err);

#endif
