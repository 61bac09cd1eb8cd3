/* POST /mcp: curator's MCP server over Streamable HTTP. The body is one
 * JSON-RPC 2.0 message or a batch; the answer is JSON (no event stream), 202
 * with no body when the body held only notifications. The bearer token's
 * principal is the one `curator mcp --principal` would take, so the same
 * scopes apply through the same dispatch (mcp.c). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "serve_internal.h"

static enum MHD_Result rpc_error(struct http_req *r, unsigned status, int code, const char *msg)
{
        struct buf b = BUF_INIT;
        buf_addf(&b, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,\"message\":\"",
                 code);
        buf_add_json_str(&b, msg, strlen(msg));
        buf_adds(&b, "\"}}\n");
        return http_reply_buf(r, status, "application/json", &b);
}

enum MHD_Result http_mcp_post(struct http_req *r)
{
        struct mcp m = {.home = r->w->home, .store = r->w->store, .who = &r->who};
        const char *p = r->body.ptr ? r->body.ptr : "";
        size_t n = r->body.len;
        while (n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
                p++;
                n--;
        }
        if (!n)
                return rpc_error(r, 400, -32700, "parse error: the body is empty");
        struct buf out = BUF_INIT;
        if (*p != '[') {
                mcp_handle_message(&m, p, n, &out);
        } else {
                cJSON *batch = cJSON_ParseWithLength(p, n);
                if (!cJSON_IsArray(batch) || cJSON_GetArraySize(batch) == 0) {
                        cJSON_Delete(batch);
                        return rpc_error(r, 400, batch ? -32600 : -32700,
                                         batch ? "invalid request: an empty batch"
                                               : "parse error: the body is not JSON");
                }
                struct buf one = BUF_INIT;
                const cJSON *item;
                int first = 1;
                cJSON_ArrayForEach(item, batch)
                {
                        char *s = cJSON_PrintUnformatted(item);
                        buf_reset(&one);
                        mcp_handle_message(&m, s, strlen(s), &one);
                        free(s);
                        while (one.len && one.ptr[one.len - 1] == '\n')
                                one.len--;
                        if (!one.len)
                                continue; /* a notification */
                        buf_addc(&out, first ? '[' : ',');
                        buf_add(&out, one.ptr, one.len);
                        first = 0;
                }
                if (!first)
                        buf_adds(&out, "]\n");
                buf_free(&one);
                cJSON_Delete(batch);
        }
        if (!out.len) { /* notifications and responses only */
                buf_free(&out);
                return http_reply(r, 202, "application/json", "", 0);
        }
        return http_reply_buf(r, 200, "application/json", &out);
}
