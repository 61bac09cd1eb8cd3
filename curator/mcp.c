#include "mcp.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bundle.h"
#include "home.h"
#include "store.h"
#include "tokens.h"

#define MCP_PROTOCOL "2025-06-18"

/* Appends one JSON-RPC response line: member is "result" or "error". */
static void respond(struct buf *out, const cJSON *id, const char *member, cJSON *value)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "jsonrpc", "2.0");
        cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
        cJSON_AddItemToObject(o, member, value);
        char *s = cJSON_PrintUnformatted(o);
        buf_adds(out, s);
        buf_addc(out, '\n');
        free(s);
        cJSON_Delete(o);
}

static void reply(struct buf *out, const cJSON *id, cJSON *result)
{
        respond(out, id, "result", result);
}

static void reply_error(struct buf *out, const cJSON *id, int code, const char *msg)
{
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", msg);
        respond(out, id, "error", e);
}

/* A tool's answer: text content, flagged as an error when it is one (MCP
 * tool errors are results the model sees, not protocol errors). */
static cJSON *tool_result(const char *text, size_t len, int is_error)
{
        cJSON *r = cJSON_CreateObject();
        cJSON *c = cJSON_AddArrayToObject(r, "content");
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "type", "text");
        char *copy = xstrndup(text, len);
        cJSON_AddStringToObject(t, "text", copy);
        free(copy);
        cJSON_AddItemToArray(c, t);
        cJSON_AddBoolToObject(r, "isError", is_error);
        return r;
}

static cJSON *tool_msg(const char *text)
{
        return tool_result(text, strlen(text), 1);
}

static cJSON *tools_list(void)
{
        static const char tools[] =
            "{\"tools\":["
            "{\"name\":\"memory_search\",\"description\":\"Curated memories of a scope "
            "ranked against a query and cut to a token budget, as a Markdown block with "
            "each memory's id and the store commit.\",\"inputSchema\":{\"type\":\"object\","
            "\"properties\":{\"scope\":{\"type\":\"string\",\"description\":\"the agent "
            "scope\"},\"query\":{\"type\":\"string\",\"description\":\"words to rank by "
            "(optional)\"},\"budget_tokens\":{\"type\":\"integer\",\"minimum\":0,"
            "\"description\":\"token budget (0 or absent: none)\"}},\"required\":"
            "[\"scope\"]}},"
            "{\"name\":\"memory_view\",\"description\":\"One curated memory by id "
            "(mem-...), with its scope, tags and last update.\",\"inputSchema\":{\"type\":"
            "\"object\",\"properties\":{\"id\":{\"type\":\"string\"}},\"required\":"
            "[\"id\"]}}]}";
        return cJSON_Parse(tools);
}

static void audit_tool(struct mcp *m, const char *tool, const char *object)
{
        struct err err;
        struct buf d = BUF_INIT;
        buf_addf(&d, "{\"via\":\"mcp\",\"tool\":\"%s\"}", tool);
        audit_append(m->home->db, m->who->name, "memories.fetch", object, buf_cstr(&d), &err);
        buf_free(&d);
}

static cJSON *call_search(struct mcp *m, const cJSON *args)
{
        const cJSON *scope = cJSON_GetObjectItemCaseSensitive(args, "scope");
        const cJSON *query = cJSON_GetObjectItemCaseSensitive(args, "query");
        const cJSON *budget = cJSON_GetObjectItemCaseSensitive(args, "budget_tokens");
        if (!cJSON_IsString(scope))
                return tool_msg("scope is required (a string)");
        if ((query && !cJSON_IsString(query) && !cJSON_IsNull(query)) ||
            (budget && !cJSON_IsNumber(budget) && !cJSON_IsNull(budget)))
                return tool_msg("query must be a string and budget_tokens a number");
        if (!tokens_scope_allowed(m->who, scope->valuestring)) {
                struct err err;
                struct buf obj = BUF_INIT;
                buf_addf(&obj, "scope:%s", scope->valuestring);
                audit_append(m->home->db, m->who->name, "mcp.denied", buf_cstr(&obj),
                             "{\"via\":\"mcp\",\"tool\":\"memory_search\"}", &err);
                buf_free(&obj);
                struct buf b = BUF_INIT;
                buf_addf(&b, "%s may not read scope %s", m->who->name, scope->valuestring);
                cJSON *r = tool_result(b.ptr, b.len, 1);
                buf_free(&b);
                return r;
        }
        struct bundle_query bq = {.scope = scope->valuestring,
                                  .q = cJSON_IsString(query) ? query->valuestring : NULL,
                                  .budget_tokens = cJSON_IsNumber(budget) && budget->valuedouble > 0
                                                       ? (int64_t)budget->valuedouble
                                                       : 0,
                                  .format = BUNDLE_MARKDOWN};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        char commit[41];
        struct err err;
        cJSON *r;
        if (bundle_fetch(m->store, m->home->db, &bq, NULL, &out, commit, &st, &err) < 0) {
                r = tool_result(err.msg, strlen(err.msg), 1);
        } else {
                r = tool_result(out.ptr ? out.ptr : "", out.len, 0);
                struct buf obj = BUF_INIT;
                buf_addf(&obj, "scope:%s", bq.scope);
                audit_tool(m, "memory_search", buf_cstr(&obj));
                buf_free(&obj);
        }
        buf_free(&out);
        return r;
}

static cJSON *call_view(struct mcp *m, const cJSON *args)
{
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(args, "id");
        if (!cJSON_IsString(id) || !memory_id_valid(id->valuestring))
                return tool_msg("id must be a memory id (mem- and 16 hex digits)");
        struct memory *mem = NULL;
        struct err err;
        /* Not found and not allowed read the same, so ids outside the
         * principal's scopes cannot be probed. */
        if (store_read_memory(m->store, id->valuestring, NULL, &mem, &err) < 0 ||
            !tokens_scope_allowed(m->who, mem->scope)) {
                memory_free(mem);
                struct buf b = BUF_INIT;
                buf_addf(&b, "no memory %s in your scopes", id->valuestring);
                cJSON *r = tool_result(b.ptr, b.len, 1);
                buf_free(&b);
                return r;
        }
        struct buf b = BUF_INIT;
        buf_addf(&b, "### %s\nscope: %s\nupdated: %s\n", mem->id, mem->scope, mem->updated);
        if (mem->tags.n) {
                buf_adds(&b, "tags:");
                for (size_t i = 0; i < mem->tags.n; i++)
                        buf_addf(&b, " %s", mem->tags.v[i]);
                buf_addc(&b, '\n');
        }
        buf_addc(&b, '\n');
        buf_add(&b, mem->body ? mem->body : "", mem->body_len);
        cJSON *r = tool_result(b.ptr, b.len, 0);
        struct buf obj = BUF_INIT;
        buf_addf(&obj, "memory:%s", mem->id);
        audit_tool(m, "memory_view", buf_cstr(&obj));
        buf_free(&obj);
        buf_free(&b);
        memory_free(mem);
        return r;
}

void mcp_handle_message(struct mcp *m, const char *msg, size_t len, struct buf *out)
{
        cJSON *req = cJSON_ParseWithLength(msg, len);
        if (!req) {
                reply_error(out, NULL, -32700, "parse error: the line is not JSON");
                return;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(req, "method");
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(req, "params");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
        if (!cJSON_IsObject(req) || !cJSON_IsString(method) || !cJSON_IsString(ver) ||
            strcmp(ver->valuestring, "2.0") != 0) {
                if (!cJSON_IsObject(req) || id || !cJSON_IsString(method))
                        reply_error(out, id, -32600,
                                    "invalid request: want {jsonrpc: \"2.0\", method, id}");
                cJSON_Delete(req);
                return;
        }
        const char *name = method->valuestring;
        if (!id) { /* a notification (notifications/initialized, ...): no answer */
                cJSON_Delete(req);
                return;
        }
        if (strcmp(name, "initialize") == 0) {
                const cJSON *pv = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "protocolVersion",
                                        cJSON_IsString(pv) ? pv->valuestring : MCP_PROTOCOL);
                cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
                cJSON_AddObjectToObject(caps, "tools");
                cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
                cJSON_AddStringToObject(info, "name", "curator");
                cJSON_AddStringToObject(info, "version", "0.1.0");
                reply(out, id, r);
        } else if (strcmp(name, "ping") == 0) {
                reply(out, id, cJSON_CreateObject());
        } else if (strcmp(name, "tools/list") == 0) {
                reply(out, id, tools_list());
        } else if (strcmp(name, "tools/call") == 0) {
                const cJSON *tool = cJSON_GetObjectItemCaseSensitive(params, "name");
                const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
                if (!cJSON_IsString(tool))
                        reply_error(out, id, -32602, "tools/call needs params.name");
                else if (strcmp(tool->valuestring, "memory_search") == 0)
                        reply(out, id, call_search(m, args));
                else if (strcmp(tool->valuestring, "memory_view") == 0)
                        reply(out, id, call_view(m, args));
                else
                        reply_error(out, id, -32602, "unknown tool (memory_search, memory_view)");
        } else {
                reply_error(out, id, -32601, "method not found");
        }
        cJSON_Delete(req);
}
