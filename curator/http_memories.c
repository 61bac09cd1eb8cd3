/* GET /v1/memories (the agents' bundle), GET /v1/memories/{id}/history and
 * POST /v1/events (ingest over HTTP). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "home.h"
#include "ingest.h"
#include "serve_internal.h"
#include "store.h"
#include "timestamp.h"

enum MHD_Result http_memories_get(struct http_req *r)
{
        const char *scope = http_query(r, "scope");
        if (!scope || !*scope)
                return http_reply_error(r, 400, "invalid_request", "scope is required");
        if (!memory_scope_valid(scope))
                return http_reply_error(r, 400, "invalid_request",
                                        "scope '%s' is not a valid scope name", scope);
        if (!http_scope_ok(r, scope))
                return http_deny(r, 403, "forbidden_scope", "%s may not read scope %s", r->who.name,
                                 scope);
        struct bundle_query bq = {.scope = scope, .q = http_query(r, "q")};
        struct err err;
        if (bundle_parse_format(http_query(r, "format"), &bq.format, &err) < 0)
                return http_reply_error(r, 400, "invalid_request", "%s", err.msg);
        const char *budget = http_query(r, "budget_tokens");
        if (budget) {
                char *end = NULL;
                long long v = strtoll(budget, &end, 10);
                if (!*budget || !end || *end || v < 0)
                        return http_reply_error(r, 400, "invalid_request",
                                                "budget_tokens must be a whole number >= 0, "
                                                "not '%s'",
                                                budget);
                bq.budget_tokens = v;
        }
        const char *commit = http_query(r, "commit");
        if (commit && !*commit)
                commit = NULL;
        return serve_bundle(r, &bq, commit);
}

static cJSON *commit_json(const struct store_commit *c)
{
        char when[TIMESTAMP_LEN + 1];
        timestamp_format(c->when_ms, when);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "commit", c->id);
        cJSON_AddStringToObject(o, "author", c->author_name);
        cJSON_AddStringToObject(o, "date", when);
        cJSON_AddStringToObject(o, "subject", c->subject);
        cJSON *tr = cJSON_AddArrayToObject(o, "trailers");
        for (size_t i = 0; i < c->ntrailers; i++) {
                cJSON *t = cJSON_CreateObject();
                cJSON_AddStringToObject(t, "key", c->trailers[i].key);
                cJSON_AddStringToObject(t, "value", c->trailers[i].value);
                cJSON_AddItemToArray(tr, t);
        }
        cJSON *paths = cJSON_AddArrayToObject(o, "paths");
        for (size_t i = 0; i < c->paths.n; i++) {
                cJSON *pj = cJSON_CreateObject();
                char st[2] = {c->paths.v[i].status, '\0'};
                cJSON_AddStringToObject(pj, "status", st);
                cJSON_AddStringToObject(pj, "path", c->paths.v[i].path);
                cJSON_AddItemToArray(paths, pj);
        }
        return o;
}

enum MHD_Result http_memory_history(struct http_req *r)
{
        const char *id = r->params[0];
        if (!memory_id_valid(id))
                return http_reply_error(r, 400, "invalid_request",
                                        "'%s' is not a memory id (mem- and 16 hex digits)", id);
        struct store_log log = {0};
        struct err err;
        if (store_history(r->w->store, id, &log, &err) < 0)
                return http_reply_error(r, 500, "store", "%s", err.msg);
        if (log.n == 0) {
                store_log_free(&log);
                return http_reply_error(r, 404, "not_found", "no memory %s in the store", id);
        }
        /* The memory's scope is in its path, which every commit touching it names. */
        char scope[80] = "";
        for (size_t i = 0; i < log.v[0].paths.n && !scope[0]; i++)
                if (strcmp(log.v[0].paths.v[i].memory_id, id) == 0)
                        http_scope_of_path(log.v[0].paths.v[i].path, scope, sizeof(scope));
        if (!scope[0] || !http_scope_ok(r, scope)) {
                store_log_free(&log);
                return http_deny(r, 403, "forbidden_scope", "%s may not read memory %s",
                                 r->who.name, id);
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "memory", id);
        cJSON_AddStringToObject(j, "scope", scope);
        cJSON *a = cJSON_AddArrayToObject(j, "commits");
        for (size_t i = 0; i < log.n; i++)
                cJSON_AddItemToArray(a, commit_json(&log.v[i]));
        store_log_free(&log);
        return http_reply_json(r, 200, j);
}

static int parse_format(const char *s, enum ingest_format *out)
{
        if (!s || strcmp(s, "auto") == 0)
                *out = INGEST_AUTO;
        else if (strcmp(s, "managed-agents") == 0)
                *out = INGEST_MANAGED_AGENTS;
        else if (strcmp(s, "claude-code") == 0)
                *out = INGEST_CLAUDE_CODE;
        else
                return -1;
        return 0;
}

struct rejects {
        cJSON *list; /* the first few rejected lines, for the caller to fix */
        int n;
};

static void on_reject(void *ctx, const char *source, uint64_t line, const char *reason)
{
        struct rejects *rj = ctx;
        (void)source;
        if (rj->n++ >= 20)
                return;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "line", (double)line);
        cJSON_AddStringToObject(o, "reason", reason);
        cJSON_AddItemToArray(rj->list, o);
}

enum MHD_Result http_events_post(struct http_req *r)
{
        struct ingest_options io = {0};
        if (parse_format(http_query(r, "format"), &io.format) < 0)
                return http_reply_error(r, 400, "invalid_request",
                                        "format must be auto, managed-agents or claude-code");
        io.session = http_query(r, "session");
        io.scope = http_query(r, "scope");
        if (io.scope && !memory_scope_valid(io.scope))
                return http_reply_error(r, 400, "invalid_request",
                                        "scope '%s' is not a valid scope name", io.scope);
        /* A principal held to some scopes names the one its events feed, so
         * it cannot write into another scope through the config's mapping. */
        if (r->who.scopes && !io.scope)
                return http_deny(r, 403, "forbidden_scope",
                                 "%s may write only to its scopes (%s): pass ?scope=", r->who.name,
                                 r->who.scopes);
        if (io.scope && !http_scope_ok(r, io.scope))
                return http_deny(r, 403, "forbidden_scope", "%s may not write to scope %s",
                                 r->who.name, io.scope);
        if (r->body.len == 0)
                return http_reply_error(r, 400, "invalid_request",
                                        "the body is empty: send JSON Lines, one event a line");
        struct err err;
        struct rules_set *rules = http_rules(r, &err);
        if (!rules)
                return http_reply_error(r, 500, "rules", "%s", err.msg);
        struct rejects rj = {cJSON_CreateArray(), 0};
        io.cfg = r->w->home->cfg;
        io.rules = rules;
        io.on_reject = on_reject;
        io.ctx = &rj;
        struct ingest *ing = NULL;
        if (ingest_begin(r->w->home->db, &io, &ing, &err) < 0) {
                cJSON_Delete(rj.list);
                return http_reply_error(r, 500, "ingest", "%s", err.msg);
        }
        char name[64];
        snprintf(name, sizeof(name), "http:%s", r->who.name);
        int rc = ingest_buffer(ing, r->body.ptr, r->body.len, name, &err);
        struct ingest_stats st = *ingest_stats(ing);
        struct err ferr;
        if (ingest_finish(ing, &ferr) < 0 && rc == 0) {
                rc = -1;
                err = ferr;
        }
        if (rc < 0) {
                cJSON_Delete(rj.list);
                return http_reply_error(r, 500, "ingest", "%s", err.msg);
        }
        atomic_fetch_add(&serve_counters.ingest_events, st.events);
        atomic_fetch_add(&serve_counters.ingest_duplicates, st.duplicates);
        atomic_fetch_add(&serve_counters.ingest_rejected, st.rejected);
        /* The same summary `curator ingest --json` prints, plus the rejects. */
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "files", (double)st.files);
        cJSON_AddNumberToObject(o, "sessions", (double)st.sessions);
        cJSON_AddNumberToObject(o, "new_sessions", (double)st.new_sessions);
        cJSON_AddNumberToObject(o, "events", (double)st.events);
        cJSON_AddNumberToObject(o, "duplicates", (double)st.duplicates);
        cJSON_AddNumberToObject(o, "rejected", (double)st.rejected);
        cJSON_AddNumberToObject(o, "skipped", (double)st.skipped);
        cJSON_AddNumberToObject(o, "findings", (double)st.findings);
        cJSON_AddNumberToObject(o, "lines", (double)st.lines);
        cJSON_AddNumberToObject(o, "bytes", (double)st.bytes);
        cJSON_AddItemToObject(o, "rejects", rj.list);
        return http_reply_json(r, 200, o);
}
