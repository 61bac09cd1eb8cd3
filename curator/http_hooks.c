/* POST /v1/hooks/platform: webhooks from the Claude platform, verified with
 * the Standard Webhooks signature (the route's only authentication). A
 * session going idle or terminated queues a pull of that session, which the
 * scheduler drains. Every refusal is audited as http.denied. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db_serve.h"
#include "home.h"
#include "hooks.h"
#include "serve_internal.h"
#include "timestamp.h"

static const char *header(struct http_req *r, const char *name)
{
        return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static const char *string_member(const cJSON *o, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum MHD_Result http_hooks_platform(struct http_req *r)
{
        const struct hooks_key *key = serve_hook_key(r->srv);
        if (!key)
                return http_deny(r, 404, "not_found",
                                 "no platform webhook secret is configured ([platform] "
                                 "webhook_secret_file or webhook_secret_env)");
        const char *id = header(r, "webhook-id");
        struct err err;
        switch (hooks_verify(key, id, header(r, "webhook-timestamp"),
                             header(r, "webhook-signature"), r->body.ptr ? r->body.ptr : "",
                             r->body.len, (int64_t)time(NULL), &err)) {
        case HOOKS_OK:
                break;
        case HOOKS_MISSING:
                return http_deny(r, 400, "missing_signature", "%s", err.msg);
        case HOOKS_MALFORMED:
                return http_deny(r, 400, "invalid_request", "%s", err.msg);
        case HOOKS_STALE:
                return http_deny(r, 401, "stale_timestamp", "%s", err.msg);
        default:
                return http_deny(r, 401, "invalid_signature", "%s", err.msg);
        }
        if (!hooks_id_valid(id))
                return http_deny(r, 400, "invalid_request", "webhook-id is not a platform id");
        cJSON *j = cJSON_ParseWithLength(r->body.ptr ? r->body.ptr : "", r->body.len);
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
        const char *envelope_id = string_member(j, "id");
        const char *type = string_member(data, "type");
        const char *data_id = string_member(data, "id");
        if (!cJSON_IsObject(j) || !cJSON_IsObject(data) || !type) {
                cJSON_Delete(j);
                return http_deny(r, 400, "invalid_request",
                                 "the body is not a platform event ({\"type\":\"event\", \"id\", "
                                 "\"data\":{\"type\", \"id\"}})");
        }
        if (envelope_id && strcmp(envelope_id, id) != 0) {
                cJSON_Delete(j);
                return http_deny(r, 400, "invalid_request",
                                 "the body's id is not the webhook-id header's");
        }
        const char *session = NULL;
        if (hooks_wants_pull(type)) {
                if (!hooks_id_valid(data_id)) {
                        enum MHD_Result rc = http_deny(r, 400, "invalid_request",
                                                       "%s without a session id in data.id", type);
                        cJSON_Delete(j);
                        return rc;
                }
                session = data_id;
        }
        int duplicate = 0;
        if (db_hook_accept(r->w->home->db, id, type, session, timestamp_now_ms(), &duplicate,
                           &err) < 0) {
                cJSON_Delete(j);
                return http_reply_error(r, 500, "internal", "%s", err.msg);
        }
        if (duplicate) {
                cJSON_Delete(j);
                return http_deny(r, 409, "duplicate_webhook",
                                 "webhook %s was already received; it is not acted on again", id);
        }
        atomic_fetch_add(&serve_counters.platform_hooks, 1);
        struct buf detail = BUF_INIT, object = BUF_INIT;
        buf_adds(&detail, "{\"webhook_id\":\"");
        buf_add_json_str(&detail, id, strlen(id));
        buf_adds(&detail, "\",\"type\":\"");
        buf_add_json_str(&detail, type, strlen(type));
        buf_addf(&detail, "\",\"pull_queued\":%s}", session ? "true" : "false");
        if (session)
                buf_addf(&object, "session:%s", session);
        else
                buf_addf(&object, "webhook:%s", id);
        serve_audit(r->srv, "platform", "platform.webhook", buf_cstr(&object), buf_cstr(&detail));
        buf_free(&detail);
        buf_free(&object);
        if (session)
                serve_wake_scheduler(r->srv);
        cJSON *out = cJSON_CreateObject();
        cJSON_AddBoolToObject(out, "received", 1);
        cJSON_AddStringToObject(out, "type", type);
        cJSON_AddBoolToObject(out, "pull_queued", session != NULL);
        if (session)
                cJSON_AddStringToObject(out, "session", session);
        cJSON_Delete(j);
        return http_reply_json(r, 200, out);
}
