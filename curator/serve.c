/* curator serve: the libmicrohttpd daemon, routing, auth, the bundle cache,
 * metrics, the batched audit writer and the scheduled work. The route
 * handlers live in http_*.c. */
#include "serve.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "db_serve.h"
#include "dream.h"
#include "fileio.h"
#include "forget.h"
#include "home.h"
#include "hooks.h"
#include "http_static.h"
#include "platform.h"
#include "purge.h"
#include "rules.h"
#include "serve_internal.h"
#include "sha256.h"
#include "store.h"
#include "strmap.h"
#include "tokens.h"
#include "webhook.h"

struct serve_counters serve_counters;

static const struct serve_route routes[] = {
    {"GET", "/healthz", "healthz", 0, 0, http_healthz},
    {"GET", "/metrics", "metrics", ROLE_ADMIN, 0, http_metrics},
    {"GET", "/v1/whoami", "whoami", ROLE_ANY, 0, http_whoami},
    {"GET", "/v1/memories", "memories", ROLE_ANY, 0, http_memories_get},
    {"GET", "/v1/memories/{}/history", "memory_history", ROLE_OWNER | ROLE_COMPLIANCE | ROLE_ADMIN,
     0, http_memory_history},
    {"POST", "/v1/events", "events", ROLE_AGENT | ROLE_ADMIN, SERVE_EVENTS_BODY_LIMIT,
     http_events_post},
    {"GET", "/v1/diffs", "diffs", ROLE_OWNER | ROLE_COMPLIANCE | ROLE_ADMIN, 0, http_diffs_list},
    {"GET", "/v1/diffs/{}", "diff", ROLE_OWNER | ROLE_COMPLIANCE | ROLE_ADMIN, 0, http_diff_show},
    {"POST", "/v1/diffs/{}/approve", "diff_approve", ROLE_OWNER | ROLE_ADMIN, SERVE_BODY_LIMIT,
     http_diff_approve},
    {"POST", "/v1/diffs/{}/reject", "diff_reject", ROLE_OWNER | ROLE_ADMIN, SERVE_BODY_LIMIT,
     http_diff_reject},
    {"POST", "/v1/commits/{}/revert", "commit_revert", ROLE_OWNER | ROLE_ADMIN, SERVE_BODY_LIMIT,
     http_commit_revert},
    {"GET", "/v1/audit", "audit", ROLE_COMPLIANCE | ROLE_ADMIN, 0, http_audit_list},
    {"GET", "/v1/audit/verify", "audit_verify", ROLE_COMPLIANCE | ROLE_ADMIN, 0, http_audit_verify},
    {"POST", "/v1/dream", "dream", ROLE_ADMIN, SERVE_BODY_LIMIT, http_dream_post},
    /* The signature is this route's authentication, not a bearer token. */
    {"POST", "/v1/hooks/platform", "hooks_platform", 0, SERVE_BODY_LIMIT, http_hooks_platform},
    {"POST", "/mcp", "mcp", ROLE_ANY, SERVE_BODY_LIMIT, http_mcp_post},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define ROUTE_UNMATCHED NROUTES /* the metrics slot for requests no route took */

static const unsigned status_codes[] = {200, 400, 401, 403, 404, 405, 409, 413, 500, 503};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]) + 1) /* + "other" */
static const double latency_buckets[] = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
                                         0.1,    0.25,  0.5,   1,     2.5,  5,     10};
#define NBUCKETS (sizeof(latency_buckets) / sizeof(latency_buckets[0]))

struct audit_pending {
        char *actor, *action, *object, *detail; /* owned */
};

/* A rendered bundle, shared by every request that asks the same question of
 * the same head; freed when the last response using it is sent. */
struct cache_entry {
        atomic_int refs;
        char *body; /* owned */
        size_t len;
        char commit[41];
        char rewritten_from[41]; /* the pinned commit an erasure rewrote, or "" */
        int markdown;
        struct bundle_stats st;
};

struct scope_entry {
        atomic_int refs;
        struct bundle_scope *bs; /* owned */
};

/* What says whether the branch may have moved: the ref file and packed-refs. */
struct ref_signature {
        ino_t ino[2];
        struct timespec mtime[2];
        off_t size[2];
};

struct serve {
        const struct serve_options *o;
        struct home *home; /* owned: the main thread's, for config */
        struct MHD_Daemon *daemon;
        atomic_int inflight;

        pthread_mutex_t workers_mu;
        struct serve_worker *workers; /* owned list */
        pthread_mutex_t write_mu;     /* see serve_write_lock */

        atomic_uint_fast64_t requests[NROUTES + 1][NSTATUS];
        atomic_uint_fast64_t latency[NROUTES + 1][NBUCKETS + 1];
        atomic_uint_fast64_t latency_sum_us[NROUTES + 1];

        pthread_mutex_t audit_mu;
        pthread_cond_t audit_cv;
        struct audit_pending *audit_rows; /* owned */
        size_t audit_n, audit_cap;
        int audit_stop;
        pthread_t audit_thread;

        pthread_mutex_t cache_mu;
        struct strmap bundles; /* key → struct cache_entry * (one reference) */
        struct strmap scopes;  /* key → struct scope_entry * (one reference) */
        char head[41];         /* the head the caches describe */
        struct ref_signature sig;
        int sig_valid;
        char *ref_path, *packed_path; /* owned */

        pthread_mutex_t sched_mu;
        pthread_cond_t sched_cv;
        int sched_stop;
        pthread_t sched_thread;
        int64_t dream_every_ms; /* 0: no scheduled dreaming */
        int64_t purge_every_ms; /* 0: no scheduled retention purge */
        const char *purge_as;   /* borrowed from the config: the purging principal */
        int64_t pull_every_ms;  /* 0: no scheduled platform pull */

        struct hooks_key hook_key; /* owned: the platform webhook signing key */
        int hook_configured;       /* 0: POST /v1/hooks/platform answers 404 */
        /* Bumped when main stops descending from the head last seen (an
         * erasure rewrote history): every worker then reopens its store, since
         * packs it mapped may still hold erased objects. */
        atomic_int store_gen;
};

static __thread struct serve_worker *thread_worker;

/* A token already checked by this thread, trusted for SERVE_AUTH_TTL_MS so
 * the hot path skips three SQLite look-ups; a revocation therefore takes
 * effect within that time. */
#define SERVE_AUTH_TTL_MS 1000
struct serve_auth_entry {
        enum tokens_verdict verdict;
        int64_t until_ms;
        struct principal who; /* owned fields when verdict is TOKENS_OK */
};

static int64_t now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void warn(struct serve *srv, const char *what, const char *msg)
{
        if (srv->o->on_warning)
                srv->o->on_warning(srv->o->ctx, what, msg);
}

/* ---- replies ---------------------------------------------------------- */

static enum MHD_Result queue(struct http_req *r, unsigned status, struct MHD_Response *resp,
                             const char *ctype)
{
        if (!resp)
                return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (status == 401 && (!r->route || r->route->roles)) /* not the signed webhook route */
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Bearer realm=\"curator\"");
        r->status = status;
        r->answered = 1;
        enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
        MHD_destroy_response(resp);
        return rc;
}

enum MHD_Result http_reply(struct http_req *r, unsigned status, const char *ctype, const char *body,
                           size_t len)
{
        return queue(r, status,
                     MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY),
                     ctype);
}

enum MHD_Result http_reply_buf(struct http_req *r, unsigned status, const char *ctype,
                               struct buf *b)
{
        size_t len = 0;
        char *p = buf_detach(b, &len);
        if (!p)
                p = xstrdup("");
        return queue(r, status, MHD_create_response_from_buffer_with_free_callback(len, p, free),
                     ctype);
}

enum MHD_Result http_reply_json(struct http_req *r, unsigned status, cJSON *j)
{
        char *s = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (!s)
                return http_reply_error(r, 500, "internal", "could not print JSON");
        struct buf b = BUF_INIT;
        buf_adds(&b, s);
        buf_addc(&b, '\n');
        free(s);
        return http_reply_buf(r, status, "application/json", &b);
}

static void error_body(struct buf *b, const char *type, const char *msg)
{
        buf_adds(b, "{\"error\":{\"type\":\"");
        buf_add_json_str(b, type, strlen(type));
        buf_adds(b, "\",\"message\":\"");
        buf_add_json_str(b, msg, strlen(msg));
        buf_adds(b, "\"}}\n");
}

static enum MHD_Result reply_errorv(struct http_req *r, unsigned status, const char *type,
                                    const char *fmt, va_list ap)
{
        struct buf msg = BUF_INIT, b = BUF_INIT;
        buf_vaddf(&msg, fmt, ap);
        error_body(&b, type, buf_cstr(&msg));
        buf_free(&msg);
        return http_reply_buf(r, status, "application/json", &b);
}

enum MHD_Result http_reply_error(struct http_req *r, unsigned status, const char *type,
                                 const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        enum MHD_Result rc = reply_errorv(r, status, type, fmt, ap);
        va_end(ap);
        return rc;
}

enum MHD_Result http_deny(struct http_req *r, unsigned status, const char *type, const char *fmt,
                          ...)
{
        struct buf msg = BUF_INIT, detail = BUF_INIT, object = BUF_INIT;
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(&msg, fmt, ap);
        va_end(ap);
        buf_addf(&object, "%s", r->route ? r->route->name : "unmatched");
        buf_addf(&detail, "{\"status\":%u,\"type\":\"", status);
        buf_add_json_str(&detail, type, strlen(type));
        buf_adds(&detail, "\",\"reason\":\"");
        buf_add_json_str(&detail, msg.ptr ? msg.ptr : "", msg.len);
        buf_adds(&detail, "\"}");
        serve_audit(r->srv, r->authed ? r->who.name : "anonymous", "http.denied", buf_cstr(&object),
                    buf_cstr(&detail));
        enum MHD_Result rc = http_reply_error(r, status, type, "%s", buf_cstr(&msg));
        buf_free(&msg);
        buf_free(&detail);
        buf_free(&object);
        return rc;
}

const char *http_query(struct http_req *r, const char *key)
{
        return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

cJSON *http_body_object(struct http_req *r, char *msg, size_t msg_size)
{
        if (r->body.len == 0)
                return cJSON_CreateObject();
        const char *end = NULL;
        cJSON *j = cJSON_ParseWithLengthOpts(r->body.ptr, r->body.len, &end, 0);
        if (!j) {
                const char *at = cJSON_GetErrorPtr();
                size_t off = at && at >= r->body.ptr && at <= r->body.ptr + r->body.len
                                 ? (size_t)(at - r->body.ptr)
                                 : 0;
                snprintf(msg, msg_size, "the body is not valid JSON (near byte %zu)", off);
                return NULL;
        }
        while (end && end < r->body.ptr + r->body.len &&
               (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
                end++;
        if (end && end != r->body.ptr + r->body.len) {
                snprintf(msg, msg_size, "the body has text after its JSON value (at byte %zu)",
                         (size_t)(end - r->body.ptr));
                cJSON_Delete(j);
                return NULL;
        }
        if (!cJSON_IsObject(j)) {
                snprintf(msg, msg_size, "the body must be a JSON object");
                cJSON_Delete(j);
                return NULL;
        }
        return j;
}

int http_scope_ok(struct http_req *r, const char *scope)
{
        return r->authed && tokens_scope_allowed(&r->who, scope);
}

int http_scope_of_path(const char *path, char *out, size_t size)
{
        static const char prefix[] = MEMORY_DIR "/";
        if (!path || strncmp(path, prefix, sizeof(prefix) - 1) != 0)
                return 0;
        const char *s = path + sizeof(prefix) - 1, *e = strchr(s, '/');
        if (!e || (size_t)(e - s) + 1 > size || e == s)
                return 0;
        memcpy(out, s, (size_t)(e - s));
        out[e - s] = '\0';
        return 1;
}

struct rules_set *http_rules(struct http_req *r, struct err *err)
{
        if (!r->w->rules && rules_load_default(r->w->home->cfg, &r->w->rules, err) < 0)
                return NULL;
        return r->w->rules;
}

/* ---- workers ---------------------------------------------------------- */

static struct serve_worker *worker_get(struct serve *srv, struct err *err)
{
        if (thread_worker)
                return thread_worker;
        struct serve_worker *w = xcalloc(1, sizeof(*w));
        if (home_open(srv->o->home_dir, &w->home, err) < 0 ||
            store_open(w->home, &w->store, err) < 0) {
                store_close(w->store);
                home_close(w->home);
                free(w);
                return NULL;
        }
        w->store_gen = atomic_load(&srv->store_gen);
        pthread_mutex_lock(&srv->workers_mu);
        w->next = srv->workers;
        srv->workers = w;
        pthread_mutex_unlock(&srv->workers_mu);
        thread_worker = w;
        return w;
}

static void auth_cache_clear(struct strmap *m)
{
        for (size_t i = 0; i < m->cap; i++) {
                if (m->slots && m->slots[i].key) {
                        struct serve_auth_entry *e = m->slots[i].value;
                        principal_clear(&e->who);
                        free(e);
                }
        }
        strmap_free(m);
        *m = (struct strmap)STRMAP_INIT;
}

static void principal_copy(struct principal *to, const struct principal *from)
{
        to->name = from->name ? xstrdup(from->name) : NULL;
        to->role = from->role ? xstrdup(from->role) : NULL;
        to->scopes = from->scopes ? xstrdup(from->scopes) : NULL;
        to->created_at = from->created_at ? xstrdup(from->created_at) : NULL;
        to->groups = from->groups ? xstrdup(from->groups) : NULL;
}

static void workers_free(struct serve *srv)
{
        struct serve_worker *w = srv->workers;
        while (w) {
                struct serve_worker *next = w->next;
                rules_free(w->rules);
                auth_cache_clear(&w->auth);
                store_close(w->store);
                home_close(w->home);
                free(w);
                w = next;
        }
        srv->workers = NULL;
}

/* ---- the batched audit writer ------------------------------------------ */

#define AUDIT_BATCH 512

void serve_audit(struct serve *srv, const char *actor, const char *action, const char *object,
                 const char *detail_json)
{
        pthread_mutex_lock(&srv->audit_mu);
        if (srv->audit_n == srv->audit_cap) {
                srv->audit_cap = srv->audit_cap ? 2 * srv->audit_cap : 256;
                srv->audit_rows =
                    xrealloc(srv->audit_rows, srv->audit_cap * sizeof(*srv->audit_rows));
        }
        struct audit_pending *p = &srv->audit_rows[srv->audit_n++];
        p->actor = xstrdup(actor);
        p->action = xstrdup(action);
        p->object = xstrdup(object);
        p->detail = detail_json ? xstrdup(detail_json) : NULL;
        if (srv->audit_n >= AUDIT_BATCH)
                pthread_cond_signal(&srv->audit_cv);
        pthread_mutex_unlock(&srv->audit_mu);
}

static void audit_pending_free(struct audit_pending *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].actor);
                free(v[i].action);
                free(v[i].object);
                free(v[i].detail);
        }
        free(v);
}

/* Writes one batch in one transaction, so the read path costs one commit per
 * second instead of one per request. */
static int audit_write(struct db *db, struct audit_pending *v, size_t n, struct err *err)
{
        if (db_begin(db, err) < 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (audit_append(db, v[i].actor, v[i].action, v[i].object, v[i].detail, err) < 0) {
                        db_rollback(db);
                        return -1;
                }
        }
        return db_commit(db, err);
}

static void *audit_main(void *arg)
{
        struct serve *srv = arg;
        struct err err;
        struct home *h = NULL;
        if (home_open(srv->o->home_dir, &h, &err) < 0)
                warn(srv, "audit writer", err.msg);
        struct audit_pending *held = NULL; /* a batch that failed, retried next time */
        size_t nheld = 0;
        for (;;) {
                pthread_mutex_lock(&srv->audit_mu);
                if (!srv->audit_stop && srv->audit_n < AUDIT_BATCH) {
                        struct timespec until;
                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_sec += 1;
                        pthread_cond_timedwait(&srv->audit_cv, &srv->audit_mu, &until);
                }
                int stop = srv->audit_stop;
                struct audit_pending *v = srv->audit_rows;
                size_t n = srv->audit_n;
                srv->audit_rows = NULL;
                srv->audit_n = srv->audit_cap = 0;
                pthread_mutex_unlock(&srv->audit_mu);
                if (nheld) {
                        held = xrealloc(held, (nheld + n) * sizeof(*held));
                        if (n)
                                memcpy(held + nheld, v, n * sizeof(*v));
                        free(v);
                        v = held;
                        n += nheld;
                        held = NULL;
                        nheld = 0;
                }
                if (n && h) {
                        if (audit_write(h->db, v, n, &err) < 0) {
                                warn(srv, "audit writer", err.msg);
                                held = v;
                                nheld = n;
                                v = NULL;
                                n = 0;
                                if (stop) /* one last try below */
                                        usleep(100000);
                        } else {
                                atomic_fetch_add(&serve_counters.audit_rows_flushed, n);
                        }
                }
                audit_pending_free(v, n);
                if (stop) {
                        pthread_mutex_lock(&srv->audit_mu);
                        int more = srv->audit_n > 0;
                        pthread_mutex_unlock(&srv->audit_mu);
                        if (!more && (!nheld || !h))
                                break;
                        if (nheld && h && audit_write(h->db, held, nheld, &err) == 0) {
                                atomic_fetch_add(&serve_counters.audit_rows_flushed, nheld);
                                audit_pending_free(held, nheld);
                                held = NULL;
                                nheld = 0;
                        } else if (nheld) {
                                warn(srv, "audit writer", "rows lost at shutdown");
                                break;
                        }
                }
        }
        audit_pending_free(held, nheld);
        home_close(h);
        return NULL;
}

/* ---- the bundle cache -------------------------------------------------- */

static void cache_entry_release(void *p)
{
        struct cache_entry *e = p;
        if (atomic_fetch_sub(&e->refs, 1) == 1) {
                free(e->body);
                free(e);
        }
}

static void scope_entry_release(struct scope_entry *e)
{
        if (atomic_fetch_sub(&e->refs, 1) == 1) {
                bundle_scope_free(e->bs);
                free(e);
        }
}

/* Drops every cached bundle and scope; callers hold cache_mu. */
static void cache_clear_locked(struct serve *srv)
{
        for (size_t i = 0; i < srv->bundles.cap; i++)
                if (srv->bundles.slots && srv->bundles.slots[i].key)
                        cache_entry_release(srv->bundles.slots[i].value);
        for (size_t i = 0; i < srv->scopes.cap; i++)
                if (srv->scopes.slots && srv->scopes.slots[i].key)
                        scope_entry_release(srv->scopes.slots[i].value);
        strmap_free(&srv->bundles);
        strmap_free(&srv->scopes);
        srv->bundles = (struct strmap)STRMAP_INIT;
        srv->scopes = (struct strmap)STRMAP_INIT;
}

static void ref_signature_read(struct serve *srv, struct ref_signature *sig)
{
        memset(sig, 0, sizeof(*sig));
        const char *paths[2] = {srv->ref_path, srv->packed_path};
        for (int i = 0; i < 2; i++) {
                struct stat st;
                if (stat(paths[i], &st) == 0) {
                        sig->ino[i] = st.st_ino;
                        sig->mtime[i] = st.st_mtim;
                        sig->size[i] = st.st_size;
                }
        }
}

/* Reopens this worker's store if history was rewritten since it opened it
 * (see store_gen). On failure the old handle is kept and err set. */
static int worker_sync_store(struct serve *srv, struct serve_worker *w, struct err *err)
{
        int gen = atomic_load(&srv->store_gen);
        if (w->store_gen == gen)
                return 0;
        struct store *fresh = NULL;
        if (store_open(w->home, &fresh, err) < 0)
                return -1;
        store_close(w->store);
        w->store = fresh;
        w->store_gen = gen;
        return 0;
}

/* The store's head, read from git only when the ref files changed since the
 * last look (two stat calls otherwise); a moved head empties the caches, and
 * a head that no longer descends from the one last seen (an erasure) makes
 * every worker reopen its store before it reads again. */
static int current_head(struct serve *srv, struct serve_worker *w, char head[41], struct err *err)
{
        struct ref_signature sig;
        ref_signature_read(srv, &sig);
        pthread_mutex_lock(&srv->cache_mu);
        if (srv->sig_valid && memcmp(&sig, &srv->sig, sizeof(sig)) == 0) {
                memcpy(head, srv->head, 41);
                pthread_mutex_unlock(&srv->cache_mu);
                return worker_sync_store(srv, w, err);
        }
        char seen[41];
        memcpy(seen, srv->head, 41);
        pthread_mutex_unlock(&srv->cache_mu);
        char now[41];
        if (store_head(w->store, now, err) < 0)
                return -1;
        int rewritten = 0;
        if (seen[0] && strcmp(now, seen) != 0) {
                int descends = 0;
                if (store_descends(w->store, now, seen, &descends, err) < 0)
                        return -1;
                rewritten = !descends;
        }
        pthread_mutex_lock(&srv->cache_mu);
        if (strcmp(now, srv->head) != 0) {
                cache_clear_locked(srv);
                memcpy(srv->head, now, 41);
        }
        if (rewritten)
                atomic_fetch_add(&srv->store_gen, 1);
        srv->sig = sig;
        srv->sig_valid = 1;
        pthread_mutex_unlock(&srv->cache_mu);
        memcpy(head, now, 41);
        return worker_sync_store(srv, w, err);
}

void serve_write_lock(struct serve *srv)
{
        pthread_mutex_lock(&srv->write_mu);
}

void serve_write_unlock(struct serve *srv)
{
        pthread_mutex_unlock(&srv->write_mu);
}

void serve_store_moved(struct serve *srv)
{
        pthread_mutex_lock(&srv->cache_mu);
        srv->sig_valid = 0;
        pthread_mutex_unlock(&srv->cache_mu);
}

const struct hooks_key *serve_hook_key(struct serve *srv)
{
        return srv->hook_configured ? &srv->hook_key : NULL;
}

void serve_wake_scheduler(struct serve *srv)
{
        pthread_mutex_lock(&srv->sched_mu);
        pthread_cond_signal(&srv->sched_cv);
        pthread_mutex_unlock(&srv->sched_mu);
}

static void audit_fetch(struct http_req *r, const struct bundle_query *bq,
                        const struct cache_entry *e)
{
        struct buf d = BUF_INIT, obj = BUF_INIT;
        buf_addf(&obj, "scope:%s", bq->scope);
        buf_addf(&d, "{\"commit\":\"%s\",\"format\":\"%s\",\"returned\":%zu,\"tokens\":%lld",
                 e->commit, e->markdown ? "markdown" : "json", e->st.returned,
                 (long long)e->st.tokens);
        if (bq->q && *bq->q) {
                /* The query may quote a user; the log keeps its hash only. */
                char hex[65];
                sha256_hex(bq->q, strlen(bq->q), hex);
                buf_addf(&d, ",\"query_sha256\":\"%s\"", hex);
        }
        buf_addc(&d, '}');
        serve_audit(r->srv, r->who.name, "memories.fetch", buf_cstr(&obj), buf_cstr(&d));
        buf_free(&d);
        buf_free(&obj);
}

static enum MHD_Result reply_entry(struct http_req *r, struct cache_entry *e)
{
        struct MHD_Response *resp = MHD_create_response_from_buffer_with_free_callback_cls(
            e->len, e->body, cache_entry_release, e);
        if (!resp) {
                cache_entry_release(e);
                return MHD_NO;
        }
        MHD_add_response_header(resp, "X-Curator-Commit", e->commit);
        if (e->rewritten_from[0])
                MHD_add_response_header(resp, "X-Curator-Commit-Rewritten-From", e->rewritten_from);
        return queue(r, 200, resp,
                     e->markdown ? "text/markdown; charset=utf-8" : "application/json");
}

enum MHD_Result serve_bundle(struct http_req *r, const struct bundle_query *bq, const char *commit)
{
        struct serve *srv = r->srv;
        struct err err;
        char head[41];
        if (current_head(srv, r->w, head, &err) < 0)
                return http_reply_error(r, 500, "store", "%s", err.msg);
        struct buf key = BUF_INIT;
        buf_addf(&key, "%s\x1f%s\x1f%s\x1f%d\x1f%lld\x1f%s", head, commit ? commit : "", bq->scope,
                 (int)bq->format, (long long)bq->budget_tokens, bq->q ? bq->q : "");
        pthread_mutex_lock(&srv->cache_mu);
        struct cache_entry *e =
            strcmp(srv->head, head) == 0 ? strmap_get(&srv->bundles, buf_cstr(&key)) : NULL;
        if (e)
                atomic_fetch_add(&e->refs, 1);
        pthread_mutex_unlock(&srv->cache_mu);
        if (e) {
                atomic_fetch_add(&serve_counters.bundle_cache_hits, 1);
                audit_fetch(r, bq, e);
                buf_free(&key);
                return reply_entry(r, e);
        }
        atomic_fetch_add(&serve_counters.bundle_cache_misses, 1);

        char resolved[41], rewritten_from[41] = "";
        if (commit) {
                /* A commit an erasure rewrote is answered at its rewritten
                 * counterpart, and the answer says so. */
                int rewritten = 0;
                if (store_map_commit(r->w->store, commit, resolved, &rewritten, &err) < 0) {
                        buf_free(&key);
                        return http_reply_error(r, 404, "not_found", "%s", err.msg);
                }
                if (rewritten)
                        snprintf(rewritten_from, sizeof(rewritten_from), "%s", commit);
        } else {
                memcpy(resolved, head, 41);
        }
        struct buf skey = BUF_INIT;
        buf_addf(&skey, "%s\x1f%s", resolved, bq->scope);
        pthread_mutex_lock(&srv->cache_mu);
        struct scope_entry *se = strmap_get(&srv->scopes, buf_cstr(&skey));
        if (se)
                atomic_fetch_add(&se->refs, 1);
        pthread_mutex_unlock(&srv->cache_mu);
        if (!se) {
                struct bundle_scope *bs = NULL;
                if (bundle_scope_load(r->w->store, r->w->home->db, resolved, bq->scope, &bs, &err) <
                    0) {
                        buf_free(&key);
                        buf_free(&skey);
                        return http_reply_error(r, 500, "store", "%s", err.msg);
                }
                se = xcalloc(1, sizeof(*se));
                se->bs = bs;
                atomic_init(&se->refs, 2); /* ours and the cache's */
                pthread_mutex_lock(&srv->cache_mu);
                if (strcmp(srv->head, head) == 0 && !strmap_get(&srv->scopes, buf_cstr(&skey)))
                        strmap_put(&srv->scopes, buf_cstr(&skey), se);
                else
                        atomic_fetch_sub(&se->refs, 1);
                pthread_mutex_unlock(&srv->cache_mu);
        }
        struct buf body = BUF_INIT;
        struct bundle_stats st;
        int rc = bundle_render_scope(se->bs, r->w->home->db, bq, &body, &st, &err);
        scope_entry_release(se);
        buf_free(&skey);
        if (rc < 0) {
                buf_free(&key);
                buf_free(&body);
                return http_reply_error(r, 400, "invalid_request", "%s", err.msg);
        }
        if (rewritten_from[0] && bq->format == BUNDLE_JSON && body.len && body.ptr[0] == '{') {
                struct buf with = BUF_INIT;
                buf_addf(&with, "{\"commit_rewritten_from\":\"%s\",", rewritten_from);
                buf_add(&with, body.ptr + 1, body.len - 1);
                buf_free(&body);
                body = with;
        }
        e = xcalloc(1, sizeof(*e));
        memcpy(e->rewritten_from, rewritten_from, 41);
        e->body = buf_detach(&body, &e->len);
        if (!e->body)
                e->body = xstrdup("");
        memcpy(e->commit, resolved, 41);
        e->markdown = bq->format == BUNDLE_MARKDOWN;
        e->st = st;
        atomic_init(&e->refs, 1);
        pthread_mutex_lock(&srv->cache_mu);
        /* Many distinct questions, or many pinned commits each holding a
         * whole scope: start over rather than grow without bound. */
        if (srv->bundles.n > 4096 || srv->scopes.n > 64)
                cache_clear_locked(srv);
        if (strcmp(srv->head, head) == 0 && !strmap_get(&srv->bundles, buf_cstr(&key))) {
                atomic_fetch_add(&e->refs, 1);
                strmap_put(&srv->bundles, buf_cstr(&key), e);
        }
        pthread_mutex_unlock(&srv->cache_mu);
        buf_free(&key);
        audit_fetch(r, bq, e);
        return reply_entry(r, e);
}

void serve_webhook(struct http_req *r, const char *event, const char *body_json)
{
        struct err err;
        if (webhook_enqueue(r->w->home->db, r->w->home->cfg, event, body_json, &err) < 0)
                warn(r->srv, "webhook", err.msg);
        pthread_mutex_lock(&r->srv->sched_mu);
        pthread_cond_signal(&r->srv->sched_cv);
        pthread_mutex_unlock(&r->srv->sched_mu);
}

/* ---- metrics ------------------------------------------------------------ */

static size_t status_slot(unsigned status)
{
        for (size_t i = 0; i < NSTATUS - 1; i++)
                if (status_codes[i] == status)
                        return i;
        return NSTATUS - 1;
}

static void metrics_record(struct serve *srv, struct http_req *r)
{
        size_t route = r->route ? (size_t)r->route_idx : ROUTE_UNMATCHED;
        atomic_fetch_add(&srv->requests[route][status_slot(r->status)], 1);
        double secs = (double)(now_ns() - r->start_ns) / 1e9;
        size_t b = 0;
        while (b < NBUCKETS && secs > latency_buckets[b])
                b++;
        atomic_fetch_add(&srv->latency[route][b], 1);
        atomic_fetch_add(&srv->latency_sum_us[route], (uint64_t)(secs * 1e6));
}

void serve_metrics_render(struct serve *srv, struct buf *out)
{
        buf_adds(out, "# HELP curator_http_requests_total HTTP requests by route and status.\n"
                      "# TYPE curator_http_requests_total counter\n");
        for (size_t i = 0; i <= NROUTES; i++) {
                const char *name = i < NROUTES ? routes[i].name : "unmatched";
                for (size_t s = 0; s < NSTATUS; s++) {
                        uint64_t v = atomic_load(&srv->requests[i][s]);
                        if (!v)
                                continue;
                        if (s < NSTATUS - 1)
                                buf_addf(out,
                                         "curator_http_requests_total{route=\"%s\",status=\"%u\"} "
                                         "%llu\n",
                                         name, status_codes[s], (unsigned long long)v);
                        else
                                buf_addf(
                                    out,
                                    "curator_http_requests_total{route=\"%s\",status=\"other\"}"
                                    " %llu\n",
                                    name, (unsigned long long)v);
                }
        }
        buf_adds(out, "# HELP curator_http_request_duration_seconds Time from the request's "
                      "first byte to its response being queued.\n"
                      "# TYPE curator_http_request_duration_seconds histogram\n");
        for (size_t i = 0; i <= NROUTES; i++) {
                const char *name = i < NROUTES ? routes[i].name : "unmatched";
                uint64_t cum = 0;
                for (size_t b = 0; b <= NBUCKETS; b++) {
                        cum += atomic_load(&srv->latency[i][b]);
                        if (b < NBUCKETS)
                                buf_addf(
                                    out,
                                    "curator_http_request_duration_seconds_bucket{route=\"%s\","
                                    "le=\"%g\"} %llu\n",
                                    name, latency_buckets[b], (unsigned long long)cum);
                        else
                                buf_addf(
                                    out,
                                    "curator_http_request_duration_seconds_bucket{route=\"%s\","
                                    "le=\"+Inf\"} %llu\n",
                                    name, (unsigned long long)cum);
                }
                buf_addf(out, "curator_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                         name, (double)atomic_load(&srv->latency_sum_us[i]) / 1e6);
                buf_addf(out, "curator_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                         name, (unsigned long long)cum);
        }
        struct {
                const char *name, *help;
                atomic_uint_fast64_t *v;
        } counters[] = {
            {"curator_ingest_events_total", "Events stored through POST /v1/events.",
             &serve_counters.ingest_events},
            {"curator_ingest_duplicates_total", "Events POSTed that were already stored.",
             &serve_counters.ingest_duplicates},
            {"curator_ingest_rejected_total", "Lines POSTed that could not be stored.",
             &serve_counters.ingest_rejected},
            {"curator_dream_passes_total", "Dreaming passes run by this server.",
             &serve_counters.dream_passes},
            {"curator_dream_diffs_total", "Diffs proposed by this server's passes.",
             &serve_counters.dream_diffs},
            {"curator_approvals_total", "Approvals committed through the API.",
             &serve_counters.approvals},
            {"curator_rejections_total", "Rejections through the API.", &serve_counters.rejections},
            {"curator_reverts_total", "Reverts committed through the API.",
             &serve_counters.reverts},
            {"curator_bundle_cache_hits_total", "Memory bundles served from the cache.",
             &serve_counters.bundle_cache_hits},
            {"curator_bundle_cache_misses_total", "Memory bundles rendered afresh.",
             &serve_counters.bundle_cache_misses},
            {"curator_audit_rows_flushed_total", "Batched audit rows written.",
             &serve_counters.audit_rows_flushed},
            {"curator_platform_hooks_total",
             "Signed platform webhooks accepted (duplicates "
             "not counted).",
             &serve_counters.platform_hooks},
            {"curator_platform_pulls_total", "Platform pulls run (scheduled or from webhooks).",
             &serve_counters.platform_pulls},
            {"curator_platform_pull_events_total", "New events those pulls stored.",
             &serve_counters.platform_pull_events},
        };
        for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
                buf_addf(out, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counters[i].name,
                         counters[i].help, counters[i].name, counters[i].name,
                         (unsigned long long)atomic_load(counters[i].v));
        buf_addf(out,
                 "# HELP curator_http_in_flight Requests being handled now.\n"
                 "# TYPE curator_http_in_flight gauge\ncurator_http_in_flight %d\n",
                 atomic_load(&srv->inflight));
}

/* ---- the MHD callbacks ------------------------------------------------- */

/* Matches url against pattern segment by segment; {} captures one segment. */
static int route_match(const char *pattern, const char *url, char *params[2])
{
        int np = 0;
        const char *p = pattern, *u = url;
        while (*p && *u) {
                if (p[0] == '{' && p[1] == '}') {
                        const char *e = strchr(u, '/');
                        size_t len = e ? (size_t)(e - u) : strlen(u);
                        if (!len || np == 2)
                                goto no;
                        params[np++] = xstrndup(u, len);
                        p += 2;
                        u += len;
                        continue;
                }
                if (*p != *u)
                        goto no;
                p++;
                u++;
        }
        if (*p == '\0' && *u == '\0')
                return 1;
no:
        for (int i = 0; i < np; i++) {
                free(params[i]);
                params[i] = NULL;
        }
        return 0;
}

static enum MHD_Result authenticate(struct http_req *r)
{
        const char *h =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (!h)
                return http_deny(r, 401, "unauthenticated",
                                 "this route needs a bearer token (Authorization: Bearer cur_...)");
        if (strncasecmp(h, "Bearer ", 7) != 0)
                return http_deny(r, 401, "unauthenticated",
                                 "the Authorization header must be 'Bearer <token>'");
        const char *t = h + 7;
        while (*t == ' ')
                t++;
        enum tokens_verdict v;
        struct err err;
        char hash[65];
        sha256_hex(t, strlen(t), hash);
        int64_t now = now_ns() / 1000000;
        struct serve_auth_entry *e = strmap_get(&r->w->auth, hash);
        if (e && now < e->until_ms) {
                v = e->verdict;
                if (v == TOKENS_OK)
                        principal_copy(&r->who, &e->who);
        } else {
                if (tokens_check(r->w->home->db, t, strlen(t), &r->who, &v, &err) < 0)
                        return http_reply_error(r, 500, "internal", "%s", err.msg);
                if (r->w->auth.n >= 1024) /* bounded: many distinct tokens, start over */
                        auth_cache_clear(&r->w->auth);
                e = strmap_get(&r->w->auth, hash);
                if (!e) {
                        e = xcalloc(1, sizeof(*e));
                        strmap_put(&r->w->auth, hash, e);
                }
                principal_clear(&e->who);
                e->verdict = v;
                e->until_ms = now + SERVE_AUTH_TTL_MS;
                if (v == TOKENS_OK)
                        principal_copy(&e->who, &r->who);
        }
        switch (v) {
        case TOKENS_OK:
                r->authed = 1;
                break;
        case TOKENS_EXPIRED:
                return http_deny(r, 401, "invalid_token", "the token has expired");
        case TOKENS_REVOKED:
                return http_deny(r, 401, "invalid_token", "the token has been revoked");
        default:
                return http_deny(r, 401, "invalid_token", "the token is not known");
        }
        unsigned bit = strcmp(r->who.role, "agent") == 0        ? ROLE_AGENT
                       : strcmp(r->who.role, "owner") == 0      ? ROLE_OWNER
                       : strcmp(r->who.role, "compliance") == 0 ? ROLE_COMPLIANCE
                       : strcmp(r->who.role, "admin") == 0      ? ROLE_ADMIN
                                                                : 0;
        if (!(bit & r->route->roles))
                return http_deny(r, 403, "forbidden", "the role %s may not use %s %s", r->who.role,
                                 r->route->method, r->route->pattern);
        return MHD_YES;
}

static void request_free(struct http_req *r)
{
        free(r->params[0]);
        free(r->params[1]);
        buf_free(&r->body);
        principal_clear(&r->who);
        free(r);
}

static enum MHD_Result first_call(struct serve *srv, struct MHD_Connection *conn, const char *url,
                                  const char *method, struct http_req *r)
{
        int path_known = 0;
        for (size_t i = 0; i < NROUTES; i++) {
                char *params[2] = {NULL, NULL};
                if (!route_match(routes[i].pattern, url, params))
                        continue;
                path_known = 1;
                if (strcmp(routes[i].method, method) != 0) {
                        free(params[0]);
                        free(params[1]);
                        continue;
                }
                r->route = &routes[i];
                r->route_idx = (int)i;
                r->params[0] = params[0];
                r->params[1] = params[1];
                break;
        }
        (void)srv;
        r->limit = r->route && r->route->body_limit ? r->route->body_limit : SERVE_BODY_LIMIT;
        if (!r->route && !path_known && http_static_wants(url)) /* the review UI */
                return http_static_serve(r, url, method);
        if (!r->route) {
                if (path_known)
                        return http_reply_error(r, 405, "method_not_allowed",
                                                "%s is not allowed on %s", method, url);
                return http_reply_error(r, 404, "not_found", "no route for %s %s", method, url);
        }
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
                char *end = NULL;
                unsigned long long n = strtoull(cl, &end, 10);
                if (end && *end == '\0' && n > r->limit)
                        return http_reply_error(r, 413, "payload_too_large",
                                                "the body is %llu bytes; %s takes at most %zu", n,
                                                r->route->pattern, r->limit);
        }
        return MHD_YES;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
        (void)version;
        struct serve *srv = cls;
        struct http_req *r = *con_cls;
        if (!r) {
                r = xcalloc(1, sizeof(*r));
                r->srv = srv;
                r->conn = conn;
                r->start_ns = now_ns();
                *con_cls = r;
                atomic_fetch_add(&srv->inflight, 1);
                struct err err;
                r->w = worker_get(srv, &err);
                if (!r->w)
                        return http_reply_error(r, 503, "unavailable", "%s", err.msg);
                return first_call(srv, conn, url, method, r);
        }
        if (*upload_data_size) {
                /* Past the limit the rest is read and dropped, so the client
                 * gets a clean 413 rather than a reset connection. */
                if (!r->answered && !r->too_large) {
                        if (r->body.len + *upload_data_size > r->limit) {
                                r->too_large = 1;
                                buf_free(&r->body);
                        } else {
                                buf_add(&r->body, upload_data, *upload_data_size);
                        }
                }
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (r->answered)
                return MHD_YES;
        if (r->too_large)
                return http_reply_error(r, 413, "payload_too_large",
                                        "the body is larger than the %zu bytes %s takes", r->limit,
                                        r->route->pattern);
        if (r->route->roles) {
                enum MHD_Result rc = authenticate(r);
                if (r->answered)
                        return rc;
        }
        /* Two stat calls when nothing moved; after an erasure, the reopen
         * every handler's reads depend on. */
        struct err err;
        char head[41];
        if (current_head(srv, r->w, head, &err) < 0)
                warn(srv, "store", err.msg);
        return r->route->fn(r);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
        (void)conn;
        (void)toe;
        struct serve *srv = cls;
        struct http_req *r = *con_cls;
        if (!r)
                return;
        /* A request that ended without an answer (the client went away)
         * keeps status 0 and is counted under status="other". */
        metrics_record(srv, r);
        request_free(r);
        *con_cls = NULL;
        atomic_fetch_sub(&srv->inflight, 1);
}

/* ---- scheduled work ----------------------------------------------------- */

/* One retention sweep as [schedule] purge_as: what expired goes, holds stay;
 * a purge that removed memories is announced like a commit. */
static void sched_purge(struct serve *srv, struct home *h, struct store **store)
{
        struct err err;
        if (!*store && store_open(h, store, &err) < 0) {
                warn(srv, "scheduled purge", err.msg);
                return;
        }
        struct purge_plan plan;
        memset(&plan, 0, sizeof(plan));
        struct purge_result res;
        memset(&res, 0, sizeof(res));
        if (purge_run(*store, srv->purge_as, timestamp_now_ms(), &plan, &res, &err) < 0) {
                warn(srv, "scheduled purge", err.msg);
        } else {
                atomic_fetch_add(&serve_counters.purges, 1);
                if (res.commit[0]) {
                        serve_store_moved(srv);
                        struct buf b = BUF_INIT;
                        buf_addf(&b,
                                 "{\"purge\":%lld,\"commit\":\"%s\",\"memories\":%zu,"
                                 "\"events\":%zu,\"by\":\"",
                                 (long long)res.purge_id, res.commit, plan.nmemories,
                                 plan.events.n);
                        buf_add_json_str(&b, srv->purge_as, strlen(srv->purge_as));
                        buf_adds(&b, "\"}");
                        if (webhook_enqueue(h->db, h->cfg, "purge", buf_cstr(&b), &err) < 0)
                                warn(srv, "webhook", err.msg);
                        buf_free(&b);
                }
        }
        purge_plan_free(&plan);
}

/* One pull of the platform: every session (session NULL) or one a webhook
 * named. Returns platform_pull's result. */
static int sched_pull_one(struct serve *srv, struct home *h, struct rules_set **rules,
                          const char *session, struct err *err)
{
        if (!*rules && rules_load_default(h->cfg, rules, err) < 0)
                return -1;
        struct platform_pull_options o = {.session_id = session, .rules = *rules, .actor = "serve"};
        struct platform_pull_result res;
        memset(&res, 0, sizeof(res));
        int rc = platform_pull(h, &o, &res, err);
        atomic_fetch_add(&serve_counters.platform_pulls, 1);
        atomic_fetch_add(&serve_counters.platform_pull_events, res.events);
        (void)srv;
        return rc;
}

/* Pulls the sessions platform webhooks queued, oldest first; a failed pull
 * is retried with backoff (2 s doubling) up to SERVE_PULL_MAX_ATTEMPTS. */
#define SERVE_PULL_MAX_ATTEMPTS 8
static void sched_pull_queue(struct serve *srv, struct home *h, struct rules_set **rules)
{
        struct err err;
        for (int i = 0; i < 32; i++) {
                struct db_pull_request p = {0};
                int found = 0;
                if (db_pull_queue_next(h->db, timestamp_now_ms(), &p, &found, &err) < 0) {
                        warn(srv, "webhook pull", err.msg);
                        return;
                }
                if (!found)
                        return;
                struct err perr;
                int ok = sched_pull_one(srv, h, rules, p.session_id, &perr) == 0;
                if (!ok) {
                        struct buf m = BUF_INIT;
                        buf_addf(&m, "session %s: %s", p.session_id, perr.msg);
                        warn(srv, "webhook pull", buf_cstr(&m));
                        buf_free(&m);
                }
                int64_t next = -1;
                if (!ok && p.attempts + 1 < SERVE_PULL_MAX_ATTEMPTS)
                        next = timestamp_now_ms() + (int64_t)2000 * (1LL << p.attempts);
                if (db_pull_queue_mark(h->db, &p, ok, ok ? NULL : perr.msg, next, &err) < 0)
                        warn(srv, "webhook pull", err.msg);
                db_pull_request_clear(&p);
        }
}

static void *sched_main(void *arg)
{
        struct serve *srv = arg;
        struct err err;
        struct home *h = NULL;
        struct rules_set *rules = NULL;
        if (home_open(srv->o->home_dir, &h, &err) < 0) {
                warn(srv, "scheduler", err.msg);
                return NULL;
        }
        int64_t next_dream = srv->dream_every_ms ? now_ns() / 1000000 + srv->dream_every_ms : 0;
        int64_t next_purge = srv->purge_every_ms ? now_ns() / 1000000 + srv->purge_every_ms : 0;
        int64_t next_pull = srv->pull_every_ms ? now_ns() / 1000000 + srv->pull_every_ms : 0;
        struct rules_set *pull_rules = NULL;
        struct store *store = NULL;
        const char *url = config_get(h->cfg, "webhooks", "url");
        for (;;) {
                pthread_mutex_lock(&srv->sched_mu);
                if (!srv->sched_stop) {
                        struct timespec until;
                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_sec += 1;
                        pthread_cond_timedwait(&srv->sched_cv, &srv->sched_mu, &until);
                }
                int stop = srv->sched_stop;
                pthread_mutex_unlock(&srv->sched_mu);
                if (stop)
                        break;
                if (url && *url) {
                        int ok = 0, bad = 0;
                        if (webhook_deliver_due(h->db, h->cfg, &ok, &bad, &err) < 0)
                                warn(srv, "webhooks", err.msg);
                }
                sched_pull_queue(srv, h, &pull_rules);
                if (next_pull && now_ns() / 1000000 >= next_pull) {
                        next_pull = now_ns() / 1000000 + srv->pull_every_ms;
                        if (sched_pull_one(srv, h, &pull_rules, NULL, &err) < 0)
                                warn(srv, "scheduled pull", err.msg);
                }
                if (next_purge && now_ns() / 1000000 >= next_purge) {
                        next_purge = now_ns() / 1000000 + srv->purge_every_ms;
                        /* A fresh handle per sweep: an erasure since the last
                         * one may have deleted packs the old one mapped. */
                        store_close(store);
                        store = NULL;
                        sched_purge(srv, h, &store);
                }
                if (next_dream && now_ns() / 1000000 >= next_dream) {
                        next_dream = now_ns() / 1000000 + srv->dream_every_ms;
                        if (!rules && rules_load_default(h->cfg, &rules, &err) < 0) {
                                warn(srv, "scheduled dream", err.msg);
                                continue;
                        }
                        struct dream_options opts = {
                            .dreamer = config_get(h->cfg, "dream", "dreamer"),
                            .rules = rules,
                        };
                        struct dream_result res = {0};
                        if (dream_run_pass(h, &opts, &res, &err) < 0) {
                                warn(srv, "scheduled dream", err.msg);
                        } else if (res.run_id) {
                                atomic_fetch_add(&serve_counters.dream_passes, 1);
                                atomic_fetch_add(&serve_counters.dream_diffs, (uint64_t)res.diffs);
                        }
                        dream_result_free(&res);
                }
        }
        rules_free(rules);
        rules_free(pull_rules);
        store_close(store);
        home_close(h);
        return NULL;
}

/* ---- start and stop ----------------------------------------------------- */

static int listen_socket(const char *listen_at, int *fd_out, char *bound, size_t bound_size,
                         struct err *err)
{
        const char *colon = strrchr(listen_at, ':');
        if (!colon)
                return err_set(err, "--listen wants HOST:PORT, not '%s'", listen_at);
        char host[64];
        size_t hl = (size_t)(colon - listen_at);
        if (hl == 0 || hl >= sizeof(host))
                return err_set(err, "--listen wants HOST:PORT, not '%s'", listen_at);
        memcpy(host, listen_at, hl);
        host[hl] = '\0';
        char *end = NULL;
        long port = strtol(colon + 1, &end, 10);
        if (!end || *end || port < 0 || port > 65535)
                return err_set(err, "--listen: '%s' is not a port", colon + 1);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &a.sin_addr) !=
            1)
                return err_set(err, "--listen: '%s' is not an IPv4 address", host);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return err_set(err, "socket: %s", strerror(errno));
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1024) < 0) {
                err_set(err, "listening on %s: %s", listen_at, strerror(errno));
                close(fd);
                return -1;
        }
        socklen_t len = sizeof(a);
        getsockname(fd, (struct sockaddr *)&a, &len);
        snprintf(bound, bound_size, "%s:%u", host, (unsigned)ntohs(a.sin_port));
        *fd_out = fd;
        return 0;
}

static int config_int(const struct config *cfg, const char *section, const char *key, long dflt,
                      long *out, struct err *err)
{
        const char *v = config_get(cfg, section, key);
        *out = dflt;
        if (!v)
                return 0;
        char *end = NULL;
        *out = strtol(v, &end, 10);
        if (!end || *end || *out < 0)
                return err_set(err, "[%s] %s: '%s' is not a number", section, key, v);
        return 0;
}

/* [schedule] key as milliseconds into *ms (0: absent, 0s or never). */
static int schedule_every(const struct config *cfg, const char *key, int64_t *ms, struct err *err)
{
        const char *v = config_get(cfg, "schedule", key);
        int64_t secs = 0;
        *ms = 0;
        if (!v)
                return 0;
        if (config_parse_duration(v, &secs, err) < 0)
                return err_wrap(err, "[schedule] %s", key);
        *ms = secs > 0 ? secs * 1000 : 0;
        return 0;
}

int serve_run(const struct serve_options *o, struct err *err)
{
        struct serve *srv = xcalloc(1, sizeof(*srv));
        srv->o = o;
        int rc = -1, fd = -1;
        int audit_started = 0, sched_started = 0;
        pthread_mutex_init(&srv->workers_mu, NULL);
        pthread_mutex_init(&srv->write_mu, NULL);
        pthread_mutex_init(&srv->audit_mu, NULL);
        pthread_cond_init(&srv->audit_cv, NULL);
        pthread_mutex_init(&srv->cache_mu, NULL);
        pthread_mutex_init(&srv->sched_mu, NULL);
        pthread_cond_init(&srv->sched_cv, NULL);

        /* Signals are taken synchronously by this thread (sigtimedwait), so
         * every thread started below inherits the mask and none is interrupted. */
        sigset_t stop_set;
        sigemptyset(&stop_set);
        sigaddset(&stop_set, SIGTERM);
        sigaddset(&stop_set, SIGINT);
        pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
        signal(SIGPIPE, SIG_IGN);

        if (home_open(o->home_dir, &srv->home, err) < 0)
                goto out;
        {
                struct store *probe = NULL; /* fail now, not on the first request */
                if (store_open(srv->home, &probe, err) < 0)
                        goto out;
                /* The head erasures are detected against (current_head). */
                int hrc = store_head(probe, srv->head, err);
                store_close(probe);
                if (hrc < 0)
                        goto out;
        }
        if (hooks_key_load(srv->home->cfg, &srv->hook_key, &srv->hook_configured, err) < 0)
                goto out;
        srv->ref_path = fileio_join(srv->home->store_path, STORE_REF);
        srv->packed_path = fileio_join(srv->home->store_path, "packed-refs");
        if (schedule_every(srv->home->cfg, "dream", &srv->dream_every_ms, err) < 0 ||
            schedule_every(srv->home->cfg, "pull", &srv->pull_every_ms, err) < 0 ||
            schedule_every(srv->home->cfg, "purge", &srv->purge_every_ms, err) < 0)
                goto out;
        if (srv->purge_every_ms) {
                srv->purge_as = config_get(srv->home->cfg, "schedule", "purge_as");
                if (!srv->purge_as) {
                        err_set(err, "[schedule] purge needs purge_as: the compliance or admin "
                                     "principal the sweeps run as");
                        goto out;
                }
                if (purge_check_principal(srv->home->db, srv->purge_as, err) < 0) {
                        err_wrap(err, "[schedule] purge_as");
                        goto out;
                }
        }
        long threads = o->threads;
        if (!threads && config_int(srv->home->cfg, "serve", "threads", 0, &threads, err) < 0)
                goto out;
        if (!threads)
                threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads < 1)
                threads = 1;
        const char *listen_at =
            o->listen ? o->listen : config_get(srv->home->cfg, "serve", "listen");
        char bound[96];
        if (listen_socket(listen_at ? listen_at : "127.0.0.1:8700", &fd, bound, sizeof(bound),
                          err) < 0)
                goto out;

        if (pthread_create(&srv->audit_thread, NULL, audit_main, srv) != 0) {
                err_set(err, "could not start the audit writer");
                goto out;
        }
        audit_started = 1;
        if (pthread_create(&srv->sched_thread, NULL, sched_main, srv) != 0) {
                err_set(err, "could not start the scheduler");
                goto out;
        }
        sched_started = 1;
        srv->daemon = MHD_start_daemon(
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC, 0, NULL, NULL,
            access_handler, srv, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_THREAD_POOL_SIZE,
            (unsigned int)threads, MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60, MHD_OPTION_CONNECTION_LIMIT,
            (unsigned int)4096, MHD_OPTION_END);
        if (!srv->daemon) {
                err_set(err, "libmicrohttpd could not start on %s", bound);
                goto out;
        }
        if (o->on_listen)
                o->on_listen(o->ctx, bound);

        int64_t deadline = o->max_seconds > 0 ? now_ns() + o->max_seconds * 1000000000 : 0;
        for (;;) {
                struct timespec tick = {0, 200 * 1000000};
                int sig = sigtimedwait(&stop_set, NULL, &tick);
                if (sig == SIGTERM || sig == SIGINT)
                        break;
                if (deadline && now_ns() >= deadline)
                        break;
        }
        /* Stop taking connections, let the requests in flight finish, then
         * close what is left (idle keep-alive connections). */
        MHD_quiesce_daemon(srv->daemon);
        int64_t grace_end = now_ns() + (o->grace_ms > 0 ? o->grace_ms : 10000) * 1000000;
        while (atomic_load(&srv->inflight) > 0 && now_ns() < grace_end)
                usleep(5000);
        MHD_stop_daemon(srv->daemon);
        srv->daemon = NULL;
        close(fd); /* quiesced: the socket is ours again */
        fd = -1;
        rc = 0;
out:
        if (srv->daemon)
                MHD_stop_daemon(srv->daemon);
        if (fd >= 0)
                close(fd);
        if (sched_started) {
                pthread_mutex_lock(&srv->sched_mu);
                srv->sched_stop = 1;
                pthread_cond_signal(&srv->sched_cv);
                pthread_mutex_unlock(&srv->sched_mu);
                pthread_join(srv->sched_thread, NULL);
        }
        if (audit_started) {
                pthread_mutex_lock(&srv->audit_mu);
                srv->audit_stop = 1;
                pthread_cond_signal(&srv->audit_cv);
                pthread_mutex_unlock(&srv->audit_mu);
                pthread_join(srv->audit_thread, NULL);
        }
        audit_pending_free(srv->audit_rows, srv->audit_n);
        pthread_mutex_lock(&srv->cache_mu);
        cache_clear_locked(srv);
        pthread_mutex_unlock(&srv->cache_mu);
        workers_free(srv);
        free(srv->ref_path);
        free(srv->packed_path);
        hooks_key_free(&srv->hook_key);
        home_close(srv->home);
        free(srv);
        return rc;
}
