/* For serve.c and the http_*.c route files only: one request's state, the
 * per-thread worker, the route table and the helpers every handler uses. */
#ifndef CURATOR_SERVE_INTERNAL_H
#define CURATOR_SERVE_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "bundle.h"
#include "db_store.h"
#include "err.h"
#include "strmap.h"

struct cJSON;
struct home;
struct store;
struct rules_set;
struct serve;
struct hooks_key;

enum serve_role_bit {
        ROLE_AGENT = 1,
        ROLE_OWNER = 2,
        ROLE_COMPLIANCE = 4,
        ROLE_ADMIN = 8,
        ROLE_ANY = 15,
};

#define SERVE_BODY_LIMIT (1u << 20)         /* 1 MiB: every JSON body */
#define SERVE_EVENTS_BODY_LIMIT (32u << 20) /* 32 MiB: POST /v1/events */

/* What one pool thread keeps: its own home (SQLite connection, config) and
 * store, opened on its first request, since neither is shared across threads. */
struct serve_worker {
        struct home *home;       /* owned */
        struct store *store;     /* owned */
        struct rules_set *rules; /* owned; loaded on the first write */
        struct strmap auth;      /* token hash → struct serve_auth_entry * (owned) */
        int store_gen;           /* the serve's store_gen when store was opened */
        struct serve_worker *next;
};

struct http_req;
typedef enum MHD_Result (*http_handler)(struct http_req *r);

struct serve_route {
        const char *method;
        const char *pattern; /* "/v1/diffs/{}/approve": {} captures one segment */
        const char *name;    /* the metrics label */
        unsigned roles;      /* 0: no token needed */
        size_t body_limit;
        http_handler fn;
};

struct http_req {
        struct serve *srv;
        struct MHD_Connection *conn;
        const struct serve_route *route; /* NULL: no route matched */
        int route_idx;                   /* index in the table; the last slot is "unmatched" */
        char *params[2];                 /* owned: the {} captures */
        struct buf body;
        size_t limit;
        int too_large, answered;
        unsigned status;
        int64_t start_ns;
        struct principal who; /* owned fields once authenticated */
        int authed;
        struct serve_worker *w; /* borrowed: this thread's */
};

/* Counters /metrics reports, updated by the handlers. */
struct serve_counters {
        atomic_uint_fast64_t ingest_events, ingest_duplicates, ingest_rejected;
        atomic_uint_fast64_t dream_passes, dream_diffs, approvals, rejections, reverts, purges;
        atomic_uint_fast64_t bundle_cache_hits, bundle_cache_misses, audit_rows_flushed;
        atomic_uint_fast64_t platform_hooks, platform_pulls, platform_pull_events;
};
extern struct serve_counters serve_counters;

/* Replies; each returns what the MHD handler returns. */
enum MHD_Result http_reply(struct http_req *r, unsigned status, const char *ctype, const char *body,
                           size_t len);
/* Replies with b's content (taken: b is left empty). */
enum MHD_Result http_reply_buf(struct http_req *r, unsigned status, const char *ctype,
                               struct buf *b);
/* Replies with j printed (j is freed). */
enum MHD_Result http_reply_json(struct http_req *r, unsigned status, struct cJSON *j);
/* {"error":{"type":type,"message":...}} */
enum MHD_Result http_reply_error(struct http_req *r, unsigned status, const char *type,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A 401/403: audited as http.denied (batched), then answered as an error. */
enum MHD_Result http_deny(struct http_req *r, unsigned status, const char *type, const char *fmt,
                          ...) __attribute__((format(printf, 4, 5)));

/* A query parameter, or NULL. */
const char *http_query(struct http_req *r, const char *key);
/* Parses the body as a JSON object; NULL with *msg set to what is wrong. An
 * empty body gives an empty object. The caller frees the result. */
struct cJSON *http_body_object(struct http_req *r, char *msg, size_t msg_size);
/* 1 if the caller may see scope. */
int http_scope_ok(struct http_req *r, const char *scope);
/* The scope of a memory path (memories/<scope>/...) into out, or 0. */
int http_scope_of_path(const char *path, char *out, size_t size);
/* This thread's rules (loaded once); NULL with err on failure. */
struct rules_set *http_rules(struct http_req *r, struct err *err);

/* Appends an audit row to the batch the flusher writes (at least every
 * second, and before shutdown returns). */
void serve_audit(struct serve *srv, const char *actor, const char *action, const char *object,
                 const char *detail_json);
/* Serializes this server's store writes (approve, reject, revert). Commits
 * are one per approval, so waiting costs nothing, and two reviewers racing
 * on one hunk then see "already approved" instead of both committing it. */
void serve_write_lock(struct serve *srv);
void serve_write_unlock(struct serve *srv);
/* Tells the caches that the store moved (this process committed). */
void serve_store_moved(struct serve *srv);
/* A fetch answered from the bundle cache when it can. */
enum MHD_Result serve_bundle(struct http_req *r, const struct bundle_query *bq, const char *commit);
/* Queues a webhook event (never fails the request; failures are warned). */
void serve_webhook(struct http_req *r, const char *event, const char *body_json);
/* The platform webhook signing key, or NULL if none is configured. */
const struct hooks_key *serve_hook_key(struct serve *srv);
/* Wakes the scheduler now (a session pull was queued). */
void serve_wake_scheduler(struct serve *srv);

/* Handlers, one per route. */
enum MHD_Result http_healthz(struct http_req *r);
enum MHD_Result http_metrics(struct http_req *r);
enum MHD_Result http_whoami(struct http_req *r);
enum MHD_Result http_memories_get(struct http_req *r);
enum MHD_Result http_events_post(struct http_req *r);
enum MHD_Result http_diffs_list(struct http_req *r);
enum MHD_Result http_diff_show(struct http_req *r);
enum MHD_Result http_diff_approve(struct http_req *r);
enum MHD_Result http_diff_reject(struct http_req *r);
enum MHD_Result http_memory_history(struct http_req *r);
enum MHD_Result http_commit_revert(struct http_req *r);
enum MHD_Result http_audit_list(struct http_req *r);
enum MHD_Result http_audit_verify(struct http_req *r);
enum MHD_Result http_dream_post(struct http_req *r);
enum MHD_Result http_hooks_platform(struct http_req *r);
enum MHD_Result http_mcp_post(struct http_req *r);

/* Metrics text for the routes (serve.c keeps the tables). */
void serve_metrics_render(struct serve *srv, struct buf *out);

#endif
