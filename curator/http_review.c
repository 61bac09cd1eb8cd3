/* The review API the review UI calls: diffs (list, show, approve, reject),
 * revert of a commit, and running a dreaming pass. The review module decides
 * ownership and state; these handlers check role and scope first and map
 * its answers to HTTP statuses. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dream.h"
#include "home.h"
#include "review.h"
#include "http_decision.h"
#include "serve_internal.h"
#include "store.h"

/* The review module reports every refusal as -1 with a message for people;
 * its wording (review.c) is what tells a missing diff from a wrong state from
 * a refusal. Anything not recognised is a refusal (403). */
static unsigned review_status(const char *msg)
{
        if (strncmp(msg, "no diff ", 8) == 0)
                return 404;
        if (strstr(msg, "not open for review") || strstr(msg, " is already "))
                return 409;
        if (strstr(msg, "has no hunk") || strstr(msg, "no pending hunk") ||
            strstr(msg, "hunks must be") || strstr(msg, "needs a reason") ||
            strstr(msg, "is empty") || strstr(msg, "is not among"))
                return 400;
        return 403;
}

static const char *status_type(unsigned status)
{
        switch (status) {
        case 400:
                return "invalid_request";
        case 404:
                return "not_found";
        case 409:
                return "conflict";
        default:
                return "forbidden";
        }
}

static int parse_diff_id(const char *s, int64_t *out)
{
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (!*s || !end || *end || v <= 0)
                return -1;
        *out = v;
        return 0;
}

enum MHD_Result http_diffs_list(struct http_req *r)
{
        struct review_filter f = {.scope = http_query(r, "scope"), .state = http_query(r, "state")};
        const char *mine = http_query(r, "mine");
        if (mine && strcmp(mine, "1") && strcmp(mine, "true") && strcmp(mine, "0") &&
            strcmp(mine, "false"))
                return http_reply_error(r, 400, "invalid_request", "mine must be 1 or 0");
        if (mine && (strcmp(mine, "1") == 0 || strcmp(mine, "true") == 0))
                f.mine = r->who.name;
        if (f.scope && !http_scope_ok(r, f.scope))
                return http_deny(r, 403, "forbidden_scope", "%s may not see scope %s", r->who.name,
                                 f.scope);
        cJSON *arr = NULL;
        struct err err;
        if (review_list(r->w->home, r->w->store, &f, &arr, &err) < 0)
                return http_reply_error(r, 400, "invalid_request", "%s", err.msg);
        /* Nothing outside the caller's scopes leaves the server. */
        for (int i = cJSON_GetArraySize(arr) - 1; i >= 0; i--) {
                const cJSON *sc =
                    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, i), "scope");
                if (!cJSON_IsString(sc) || !http_scope_ok(r, sc->valuestring))
                        cJSON_DeleteItemFromArray(arr, i);
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "diffs", arr);
        return http_reply_json(r, 200, o);
}

/* Loads a diff and checks the caller may see its scope. Returns the diff,
 * or NULL having answered. */
static cJSON *load_diff(struct http_req *r, int64_t *id, enum MHD_Result *answered)
{
        if (parse_diff_id(r->params[0], id) < 0) {
                *answered = http_reply_error(r, 400, "invalid_request", "'%s' is not a diff id",
                                             r->params[0]);
                return NULL;
        }
        cJSON *d = NULL;
        struct err err;
        if (review_show(r->w->home, r->w->store, *id, &d, &err) < 0) {
                unsigned st = review_status(err.msg);
                *answered =
                    http_reply_error(r, st == 403 ? 500 : st, status_type(st), "%s", err.msg);
                return NULL;
        }
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "scope");
        if (!cJSON_IsString(sc) || !http_scope_ok(r, sc->valuestring)) {
                cJSON_Delete(d);
                *answered = http_deny(r, 403, "forbidden_scope", "%s may not see diff %lld",
                                      r->who.name, (long long)*id);
                return NULL;
        }
        return d;
}

enum MHD_Result http_diff_show(struct http_req *r)
{
        int64_t id;
        enum MHD_Result rc = MHD_NO;
        cJSON *d = load_diff(r, &id, &rc);
        return d ? http_reply_json(r, 200, d) : rc;
}

static void webhook_for(struct http_req *r, const char *event, int64_t diff, const char *commit,
                        const char *scope)
{
        struct buf b = BUF_INIT;
        buf_adds(&b, "{");
        if (diff)
                buf_addf(&b, "\"diff\":%lld,", (long long)diff);
        if (scope) {
                buf_adds(&b, "\"scope\":\"");
                buf_add_json_str(&b, scope, strlen(scope));
                buf_adds(&b, "\",");
        }
        buf_addf(&b, "\"commit\":\"%s\",\"by\":\"", commit);
        buf_add_json_str(&b, r->who.name, strlen(r->who.name));
        buf_adds(&b, "\"}");
        serve_webhook(r, event, buf_cstr(&b));
        buf_free(&b);
}

enum MHD_Result http_diff_approve(struct http_req *r)
{
        char msg[256];
        cJSON *body = http_body_object(r, msg, sizeof(msg));
        if (!body)
                return http_reply_error(r, 400, "invalid_json", "%s", msg);
        int *hunks = NULL;
        size_t nhunks = 0, nedits = 0;
        struct review_edit *edits = NULL;
        enum MHD_Result rc = MHD_NO;
        cJSON *d = NULL;
        if (http_parse_decision(body, &hunks, &nhunks, &edits, &nedits, msg, sizeof(msg)) < 0) {
                rc = http_reply_error(r, 400, "invalid_request", "%s", msg);
                goto out;
        }
        int64_t id;
        d = load_diff(r, &id, &rc);
        if (!d)
                goto out;
        struct err err;
        struct rules_set *rules = http_rules(r, &err);
        if (!rules) {
                rc = http_reply_error(r, 500, "rules", "%s", err.msg);
                goto out;
        }
        char commit[41];
        serve_write_lock(r->srv);
        int ar = review_approve(r->w->home, r->w->store, rules, id, hunks, nhunks, r->who.name,
                                edits, nedits, commit, &err);
        serve_write_unlock(r->srv);
        if (ar == REVIEW_CONFLICT) {
                rc = http_reply_error(r, 409, "conflict", "%s", err.msg);
                goto out;
        }
        if (ar < 0) {
                unsigned st = review_status(err.msg);
                rc = st == 403 ? http_deny(r, 403, "forbidden", "%s", err.msg)
                               : http_reply_error(r, st, status_type(st), "%s", err.msg);
                goto out;
        }
        serve_store_moved(r->srv);
        atomic_fetch_add(&serve_counters.approvals, 1);
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(d, "scope");
        webhook_for(r, "approval", id, commit, sc->valuestring);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "diff", (double)id);
        cJSON_AddStringToObject(o, "commit", commit);
        cJSON_AddStringToObject(o, "approved_by", r->who.name);
        rc = http_reply_json(r, 200, o);
out:
        cJSON_Delete(d);
        free(edits);
        free(hunks);
        cJSON_Delete(body);
        return rc;
}

enum MHD_Result http_diff_reject(struct http_req *r)
{
        char msg[256];
        cJSON *body = http_body_object(r, msg, sizeof(msg));
        if (!body)
                return http_reply_error(r, 400, "invalid_json", "%s", msg);
        int *hunks = NULL;
        size_t nhunks = 0;
        enum MHD_Result rc = MHD_NO;
        cJSON *d = NULL;
        if (http_parse_decision(body, &hunks, &nhunks, NULL, NULL, msg, sizeof(msg)) < 0) {
                rc = http_reply_error(r, 400, "invalid_request", "%s", msg);
                goto out;
        }
        const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
        if (!cJSON_IsString(reason) || !*reason->valuestring) {
                rc = http_reply_error(r, 400, "invalid_request",
                                      "reason is required: a string saying why");
                goto out;
        }
        int64_t id;
        d = load_diff(r, &id, &rc);
        if (!d)
                goto out;
        struct err err;
        serve_write_lock(r->srv);
        int jr = review_reject(r->w->home, r->w->store, id, hunks, nhunks, r->who.name,
                               reason->valuestring, &err);
        serve_write_unlock(r->srv);
        if (jr < 0) {
                unsigned st = review_status(err.msg);
                rc = st == 403 ? http_deny(r, 403, "forbidden", "%s", err.msg)
                               : http_reply_error(r, st, status_type(st), "%s", err.msg);
                goto out;
        }
        atomic_fetch_add(&serve_counters.rejections, 1);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "diff", (double)id);
        cJSON_AddStringToObject(o, "rejected_by", r->who.name);
        cJSON *hs = cJSON_AddArrayToObject(o, "hunks");
        for (size_t i = 0; i < nhunks; i++)
                cJSON_AddItemToArray(hs, cJSON_CreateNumber(hunks[i]));
        rc = http_reply_json(r, 200, o);
out:
        cJSON_Delete(d);
        free(hunks);
        cJSON_Delete(body);
        return rc;
}

enum MHD_Result http_commit_revert(struct http_req *r)
{
        char msg[256];
        cJSON *body = http_body_object(r, msg, sizeof(msg));
        if (!body)
                return http_reply_error(r, 400, "invalid_json", "%s", msg);
        cJSON_Delete(body);
        struct err err;
        char full[41];
        if (store_resolve(r->w->store, r->params[0], full, &err) < 0)
                return http_reply_error(r, 404, "not_found", "%s", err.msg);
        struct store_log log = {0};
        if (store_log(r->w->store, full, 1, &log, &err) < 0 || log.n != 1) {
                store_log_free(&log);
                return http_reply_error(r, 500, "store", "%s", err.msg);
        }
        /* Every memory the commit touched must be in the caller's scopes; a
         * commit that changed OWNERS or README.md is for admins only. */
        char scope[80] = "";
        for (size_t i = 0; i < log.v[0].paths.n; i++) {
                char sc[80];
                const char *p = log.v[0].paths.v[i].path;
                if (!http_scope_of_path(p, sc, sizeof(sc)) ? strcmp(r->who.role, "admin") != 0
                                                           : !http_scope_ok(r, sc)) {
                        enum MHD_Result rc = http_deny(r, 403, "forbidden_scope",
                                                       "%s may not revert %.12s: it touched %s",
                                                       r->who.name, full, p);
                        store_log_free(&log);
                        return rc;
                }
                if (!scope[0] && http_scope_of_path(p, sc, sizeof(sc)))
                        snprintf(scope, sizeof(scope), "%s", sc);
        }
        store_log_free(&log);
        char out[41];
        serve_write_lock(r->srv);
        int rc = store_revert(r->w->store, full, r->who.name, out, &err);
        serve_write_unlock(r->srv);
        if (rc == STORE_CONFLICT)
                return http_reply_error(r, 409, "conflict", "%s", err.msg);
        if (rc < 0) {
                if (strstr(err.msg, "owner") || strstr(err.msg, "may not"))
                        return http_deny(r, 403, "forbidden", "%s", err.msg);
                return http_reply_error(r, 400, "invalid_request", "%s", err.msg);
        }
        serve_store_moved(r->srv);
        atomic_fetch_add(&serve_counters.reverts, 1);
        webhook_for(r, "revert", 0, out, scope[0] ? scope : NULL);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "commit", out);
        cJSON_AddStringToObject(o, "reverts", full);
        cJSON_AddStringToObject(o, "approved_by", r->who.name);
        return http_reply_json(r, 200, o);
}

enum MHD_Result http_dream_post(struct http_req *r)
{
        char msg[256];
        cJSON *body = http_body_object(r, msg, sizeof(msg));
        if (!body)
                return http_reply_error(r, 400, "invalid_json", "%s", msg);
        const cJSON *scope = cJSON_GetObjectItemCaseSensitive(body, "scope");
        const cJSON *dreamer = cJSON_GetObjectItemCaseSensitive(body, "dreamer");
        if ((scope && !cJSON_IsString(scope)) || (dreamer && !cJSON_IsString(dreamer))) {
                cJSON_Delete(body);
                return http_reply_error(r, 400, "invalid_request",
                                        "scope and dreamer, when given, must be strings");
        }
        struct err err;
        struct rules_set *rules = http_rules(r, &err);
        if (!rules) {
                cJSON_Delete(body);
                return http_reply_error(r, 500, "rules", "%s", err.msg);
        }
        struct dream_options opts = {
            .dreamer =
                dreamer ? dreamer->valuestring : config_get(r->w->home->cfg, "dream", "dreamer"),
            .scope = scope ? scope->valuestring : NULL,
            .rules = rules,
        };
        struct dream_result res = {0};
        int rc = dream_run_pass(r->w->home, &opts, &res, &err);
        cJSON_Delete(body);
        if (rc < 0) {
                dream_result_free(&res);
                return http_reply_error(r, strstr(err.msg, "lease") ? 409 : 500, "dream", "%s",
                                        err.msg);
        }
        if (res.run_id) {
                atomic_fetch_add(&serve_counters.dream_passes, 1);
                atomic_fetch_add(&serve_counters.dream_diffs, (uint64_t)res.diffs);
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "run", (double)res.run_id);
        cJSON_AddNumberToObject(j, "diffs", res.diffs);
        cJSON_AddNumberToObject(j, "hunks", res.hunks);
        cJSON_AddNumberToObject(j, "blocked", res.blocked);
        cJSON_AddNumberToObject(j, "events", (double)res.events);
        cJSON_AddNumberToObject(j, "scopes", res.scopes);
        cJSON *ids = cJSON_AddArrayToObject(j, "diff_ids");
        for (size_t i = 0; i < res.diff_ids.n; i++)
                cJSON_AddItemToArray(ids, cJSON_CreateNumber(strtod(res.diff_ids.v[i], NULL)));
        dream_result_free(&res);
        return http_reply_json(r, 200, j);
}
