/* /healthz, /metrics, /v1/whoami and the audit log routes. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "home.h"
#include "review.h"
#include "serve_internal.h"

enum MHD_Result http_healthz(struct http_req *r)
{
        static const char ok[] = "{\"status\":\"ok\"}\n";
        return http_reply(r, 200, "application/json", ok, sizeof(ok) - 1);
}

enum MHD_Result http_metrics(struct http_req *r)
{
        struct buf b = BUF_INIT;
        serve_metrics_render(r->srv, &b);
        /* Pending diffs are counted at scrape time from the review queue. */
        cJSON *arr = NULL;
        struct err err;
        struct review_filter f = {.state = "open"};
        if (review_list(r->w->home, r->w->store, &f, &arr, &err) == 0) {
                buf_addf(&b,
                         "# HELP curator_pending_diffs Diffs open for review.\n"
                         "# TYPE curator_pending_diffs gauge\ncurator_pending_diffs %d\n",
                         cJSON_GetArraySize(arr));
                cJSON_Delete(arr);
        }
        return http_reply_buf(r, 200, "text/plain; version=0.0.4", &b);
}

enum MHD_Result http_whoami(struct http_req *r)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "principal", r->who.name);
        cJSON_AddStringToObject(o, "role", r->who.role);
        cJSON *sc = cJSON_AddArrayToObject(o, "scopes");
        if (r->who.scopes) {
                char *copy = xstrdup(r->who.scopes), *save = NULL;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        cJSON_AddItemToArray(sc, cJSON_CreateString(t));
                free(copy);
        } else {
                cJSON_AddItemToArray(sc, cJSON_CreateString("*"));
        }
        return http_reply_json(r, 200, o);
}

/* The audit log spans every scope, so only principals with every scope read it. */
static int audit_allowed(struct http_req *r)
{
        return r->who.scopes == NULL;
}

static int parse_nonneg(const char *s, int64_t *out)
{
        if (!s)
                return 0;
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        if (!*s || !end || *end || v < 0)
                return -1;
        *out = v;
        return 0;
}

static int add_row(void *ctx, const struct audit_row *row)
{
        cJSON *arr = ctx;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)row->id);
        cJSON_AddStringToObject(o, "at", row->at);
        cJSON_AddStringToObject(o, "actor", row->actor);
        cJSON_AddStringToObject(o, "action", row->action);
        cJSON_AddStringToObject(o, "object", row->object);
        cJSON *detail = cJSON_Parse(row->detail ? row->detail : "{}");
        cJSON_AddItemToObject(o, "detail", detail ? detail : cJSON_CreateString(row->detail));
        cJSON_AddStringToObject(o, "prev_hash", row->prev_hash);
        cJSON_AddStringToObject(o, "hash", row->hash);
        cJSON_AddItemToArray(arr, o);
        return 0;
}

enum MHD_Result http_audit_list(struct http_req *r)
{
        if (!audit_allowed(r))
                return http_deny(r, 403, "forbidden_scope",
                                 "the audit log spans every scope; %s is held to %s", r->who.name,
                                 r->who.scopes);
        struct audit_filter f = {
            .action = http_query(r, "action"), .actor = http_query(r, "actor"), .limit = 100};
        if (parse_nonneg(http_query(r, "after"), &f.after_id) < 0 ||
            parse_nonneg(http_query(r, "limit"), &f.limit) < 0)
                return http_reply_error(r, 400, "invalid_request",
                                        "after and limit must be whole numbers >= 0");
        if (f.limit == 0 || f.limit > 1000)
                f.limit = 1000;
        cJSON *arr = cJSON_CreateArray();
        struct err err;
        if (audit_list(r->w->home->db, &f, add_row, arr, &err) < 0) {
                cJSON_Delete(arr);
                return http_reply_error(r, 500, "audit", "%s", err.msg);
        }
        cJSON *o = cJSON_CreateObject();
        int n = cJSON_GetArraySize(arr);
        const cJSON *last =
            n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(arr, n - 1), "id") : NULL;
        cJSON_AddItemToObject(o, "rows", arr);
        if (last)
                cJSON_AddNumberToObject(o, "next_after", last->valuedouble);
        else
                cJSON_AddNullToObject(o, "next_after");
        return http_reply_json(r, 200, o);
}

enum MHD_Result http_audit_verify(struct http_req *r)
{
        if (!audit_allowed(r))
                return http_deny(r, 403, "forbidden_scope",
                                 "the audit log spans every scope; %s is held to %s", r->who.name,
                                 r->who.scopes);
        struct audit_verify_result res = {0};
        struct err err;
        if (audit_verify(r->w->home->db, &res, &err) < 0)
                return http_reply_error(r, 500, "audit", "%s", err.msg);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "intact", res.broken_id == 0);
        cJSON_AddNumberToObject(o, "rows", (double)res.rows);
        if (res.broken_id) {
                cJSON_AddNumberToObject(o, "broken_id", (double)res.broken_id);
                cJSON_AddStringToObject(o, "reason", res.reason);
        }
        return http_reply_json(r, 200, o);
}
