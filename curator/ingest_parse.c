/* The two event formats (DESIGN.md "Inputs", PLATFORM.md §1 and §5.1): one
 * JSON line → struct event. Pure functions: no I/O, no database. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "timestamp.h"

void ingest_event_init(struct event *ev)
{
        memset(ev, 0, sizeof(*ev));
}

void ingest_event_reset(struct event *ev)
{
        cJSON_Delete(ev->root);
        free(ev->tool_input);
        struct buf text = ev->text;
        buf_reset(&text);
        memset(ev, 0, sizeof(*ev));
        ev->text = text;
}

static const char *str_field(const cJSON *obj, const char *name)
{
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
        return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int bool_field(const cJSON *obj, const char *name)
{
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

/* Claude Code line types that are conversation; every other type is skipped. */
static int cc_is_conversation(const char *type)
{
        return strcmp(type, "user") == 0 || strcmp(type, "assistant") == 0 ||
               strcmp(type, "system") == 0 || strcmp(type, "summary") == 0;
}

/* Line types seen only in Claude Code transcripts (PLATFORM.md §5.1). */
static int cc_known_type(const char *type)
{
        static const char *const types[] = {
                "user", "assistant", "system", "summary", "progress", "file-history-snapshot",
                "queue-operation", "permission-mode", "attachment", NULL};
        for (int i = 0; types[i]; i++) {
                if (strcmp(type, types[i]) == 0)
                        return 1;
        }
        return 0;
}

static enum ingest_format detect_object(const cJSON *root)
{
        if (!cJSON_IsObject(root))
                return INGEST_AUTO;
        if (cJSON_GetObjectItemCaseSensitive(root, "sessionId") ||
            cJSON_GetObjectItemCaseSensitive(root, "parentUuid") ||
            cJSON_GetObjectItemCaseSensitive(root, "uuid"))
                return INGEST_CLAUDE_CODE;
        const char *type = str_field(root, "type");
        const char *id = str_field(root, "id");
        if (id && strncmp(id, "sevt_", 5) == 0)
                return INGEST_MANAGED_AGENTS;
        if (cJSON_GetObjectItemCaseSensitive(root, "processed_at"))
                return INGEST_MANAGED_AGENTS;
        if (type && strchr(type, '.'))
                return INGEST_MANAGED_AGENTS;
        if (type && cc_known_type(type))
                return INGEST_CLAUDE_CODE;
        return INGEST_AUTO;
}

enum ingest_format ingest_detect_line(const char *line, size_t len)
{
        cJSON *root = cJSON_ParseWithLength(line, len);
        enum ingest_format f = detect_object(root);
        cJSON_Delete(root);
        return f;
}

/* Appends a separator when text already holds something. */
static void text_sep(struct buf *text)
{
        if (text->len)
                buf_addc(text, '\n');
}

/* Appends the readable part of a content value: a string, or an array of
 * blocks of which text-like ones are kept (images and documents are named,
 * not inlined; their bytes stay in the raw event). */
static void add_content(struct buf *text, const cJSON *content)
{
        if (cJSON_IsString(content)) {
                text_sep(text);
                buf_adds(text, content->valuestring);
                return;
        }
        if (!cJSON_IsArray(content))
                return;
        const cJSON *block;
        cJSON_ArrayForEach(block, content)
        {
                if (cJSON_IsString(block)) {
                        text_sep(text);
                        buf_adds(text, block->valuestring);
                        continue;
                }
                const char *bt = str_field(block, "type");
                if (!bt)
                        continue;
                if (strcmp(bt, "text") == 0) {
                        const char *t = str_field(block, "text");
                        if (t) {
                                text_sep(text);
                                buf_adds(text, t);
                        }
                } else if (strcmp(bt, "tool_result") == 0 || strcmp(bt, "search_result") == 0) {
                        add_content(text, cJSON_GetObjectItemCaseSensitive(block, "content"));
                } else if (strcmp(bt, "image") == 0 || strcmp(bt, "document") == 0) {
                        text_sep(text);
                        buf_addf(text, "[%s]", bt);
                } else if (strcmp(bt, "redacted") == 0) {
                        text_sep(text);
                        buf_adds(text, "[redacted by the platform]");
                }
        }
}

static int parse_time(const char *s, struct event *ev, const char *field, struct err *err)
{
        if (!s)
                return 0;
        if (timestamp_parse(s, strlen(s), &ev->ts_ms) < 0)
                return err_set(err, "\"%s\" is not an RFC 3339 time", field);
        ev->has_ts = 1;
        return 0;
}

static char *print_json(const cJSON *v)
{
        return v ? cJSON_PrintUnformatted(v) : NULL;
}

static const char *ma_role(const char *type)
{
        if (strncmp(type, "user.", 5) == 0)
                return strstr(type, "result") ? "tool" : "user";
        if (strcmp(type, "agent.tool_result") == 0 || strcmp(type, "agent.mcp_tool_result") == 0)
                return "tool";
        if (strncmp(type, "agent.", 6) == 0)
                return "assistant";
        return "system";
}

static int parse_managed_agents(cJSON *root, struct event *ev, struct err *err)
{
        const char *type = ev->type;
        const char *id = str_field(root, "id");
        ev->event_id = id && *id ? id : NULL; /* interrupts may carry an empty id */
        ev->session_id = str_field(root, "session_id");
        ev->role = ma_role(type);

        const cJSON *pa = cJSON_GetObjectItemCaseSensitive(root, "processed_at");
        if (pa && !cJSON_IsNull(pa) && !cJSON_IsString(pa))
                return err_set(err, "\"processed_at\" must be a string or null");
        if (cJSON_IsString(pa)) {
                if (parse_time(pa->valuestring, ev, "processed_at", err) < 0)
                        return -1;
        } else if (!pa) {
                if (parse_time(str_field(root, "created_at"), ev, "created_at", err) < 0)
                        return -1;
        }

        add_content(&ev->text, cJSON_GetObjectItemCaseSensitive(root, "content"));

        const cJSON *input = cJSON_GetObjectItemCaseSensitive(root, "input");
        if (strcmp(type, "agent.tool_use") == 0 || strcmp(type, "agent.mcp_tool_use") == 0 ||
            strcmp(type, "agent.custom_tool_use") == 0) {
                ev->tool_name = str_field(root, "name");
                ev->tool_input = print_json(input);
                ev->tool_use_id = ev->event_id; /* results name the call by its event id */
        }
        const char *use_id = str_field(root, "tool_use_id");
        if (!use_id)
                use_id = str_field(root, "mcp_tool_use_id");
        if (!use_id)
                use_id = str_field(root, "custom_tool_use_id");
        if (use_id)
                ev->tool_use_id = use_id;
        ev->is_error = bool_field(root, "is_error");
        ev->is_sidechain = str_field(root, "session_thread_id") != NULL;

        if (strcmp(type, "session.error") == 0) {
                const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
                const char *et = str_field(e, "type"), *em = str_field(e, "message");
                text_sep(&ev->text);
                buf_addf(&ev->text, "%s%s%s", et ? et : "error", em ? ": " : "", em ? em : "");
                ev->is_error = 1;
        } else if (strcmp(type, "span.outcome_evaluation_end") == 0) {
                ev->outcome = str_field(root, "result");
                const char *ex = str_field(root, "explanation");
                text_sep(&ev->text);
                buf_addf(&ev->text, "outcome %s%s%s", ev->outcome ? ev->outcome : "unknown",
                         ex ? ": " : "", ex ? ex : "");
        } else if (strcmp(type, "user.define_outcome") == 0) {
                const char *d = str_field(root, "description");
                if (d) {
                        text_sep(&ev->text);
                        buf_adds(&ev->text, d);
                }
        } else if (strcmp(type, "user.tool_confirmation") == 0) {
                const char *r = str_field(root, "result"), *dm = str_field(root, "deny_message");
                text_sep(&ev->text);
                buf_addf(&ev->text, "%s%s%s", r ? r : "", dm ? ": " : "", dm ? dm : "");
                ev->tool_use_id = str_field(root, "tool_use_id");
        }

        /* Exporters may add the agent; the API's events carry none. */
        const cJSON *agent = cJSON_GetObjectItemCaseSensitive(root, "agent");
        ev->agent = str_field(root, "agent_id");
        if (!ev->agent && cJSON_IsObject(agent))
                ev->agent = str_field(agent, "name") ? str_field(agent, "name")
                                                     : str_field(agent, "id");
        if (!ev->agent)
                ev->agent = str_field(root, "agent_name");
        return 0;
}

static int parse_claude_code(cJSON *root, struct event *ev, struct err *err)
{
        const char *type = ev->type;
        if (!cc_is_conversation(type)) {
                ev->skip = 1;
                return 0;
        }
        ev->event_id = str_field(root, "uuid");
        ev->parent_id = str_field(root, "parentUuid");
        ev->session_id = str_field(root, "sessionId");
        ev->cwd = str_field(root, "cwd");
        ev->git_branch = str_field(root, "gitBranch");
        ev->is_sidechain = bool_field(root, "isSidechain");
        ev->agent = str_field(root, "agentId");
        if (parse_time(str_field(root, "timestamp"), ev, "timestamp", err) < 0)
                return -1;

        if (strcmp(type, "summary") == 0) {
                ev->role = "system";
                const char *s = str_field(root, "summary");
                if (s)
                        buf_adds(&ev->text, s);
                if (!ev->event_id)
                        ev->event_id = NULL; /* identity from content: see ingest.c */
                return 0;
        }
        if (strcmp(type, "system") == 0) {
                ev->role = "system";
                add_content(&ev->text, cJSON_GetObjectItemCaseSensitive(root, "content"));
                return 0;
        }

        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "message");
        if (!cJSON_IsObject(msg))
                return err_set(err, "a \"%s\" line needs a \"message\" object", type);
        const char *role = str_field(msg, "role");
        ev->role = role && strcmp(role, "assistant") == 0 ? "assistant" : "user";
        if (bool_field(root, "isMeta"))
                ev->role = "system"; /* injected notices are not the user speaking */

        const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
        if (cJSON_IsString(content)) {
                buf_adds(&ev->text, content->valuestring);
                return 0;
        }
        if (!cJSON_IsArray(content))
                return err_set(err, "\"message.content\" must be a string or an array");
        const cJSON *block;
        cJSON_ArrayForEach(block, content)
        {
                const char *bt = str_field(block, "type");
                if (!bt)
                        continue;
                if (strcmp(bt, "text") == 0) {
                        const char *t = str_field(block, "text");
                        if (t) {
                                text_sep(&ev->text);
                                buf_adds(&ev->text, t);
                        }
                } else if (strcmp(bt, "tool_use") == 0 && !ev->tool_name) {
                        ev->tool_name = str_field(block, "name");
                        ev->tool_use_id = str_field(block, "id");
                        ev->tool_input =
                                print_json(cJSON_GetObjectItemCaseSensitive(block, "input"));
                } else if (strcmp(bt, "tool_result") == 0) {
                        if (!ev->tool_use_id)
                                ev->tool_use_id = str_field(block, "tool_use_id");
                        ev->is_error |= bool_field(block, "is_error");
                        ev->role = "tool";
                        add_content(&ev->text,
                                    cJSON_GetObjectItemCaseSensitive(block, "content"));
                } else if (strcmp(bt, "image") == 0) {
                        text_sep(&ev->text);
                        buf_adds(&ev->text, "[image]");
                }
                /* thinking blocks stay in the raw event only: they are the
                 * model's scratch work, not something to remember. */
        }
        return 0;
}

int ingest_parse_line(const char *line, size_t len, enum ingest_format format,
                      struct event *ev, struct err *err)
{
        const char *end = NULL;
        ev->root = cJSON_ParseWithLengthOpts(line, len, &end, 0);
        if (!ev->root) {
                size_t col = end && end >= line ? (size_t)(end - line) + 1 : 1;
                return err_set(err, "invalid JSON near byte %zu", col);
        }
        if (!cJSON_IsObject(ev->root))
                return err_set(err, "a line must be a JSON object");
        const char *type = str_field(ev->root, "type");
        if (!type || !*type)
                return err_set(err, "missing \"type\"");
        ev->type = type;
        if (format == INGEST_AUTO)
                format = detect_object(ev->root);
        if (format == INGEST_CLAUDE_CODE)
                return parse_claude_code(ev->root, ev, err);
        if (format == INGEST_MANAGED_AGENTS)
                return parse_managed_agents(ev->root, ev, err);
        return err_set(err, "cannot tell the format of type \"%s\" (use --format)", type);
}
