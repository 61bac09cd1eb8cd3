/* Unit tests: the two event formats, format detection, timestamps. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include <cjson/cJSON.h>

#include "ingest.h"
#include "rules.h"
#include "timestamp.h"

static int parse(const char *line, enum ingest_format f, struct event *ev, struct err *err)
{
        ingest_event_reset(ev);
        return ingest_parse_line(line, strlen(line), f, ev, err);
}

static void test_detect(void)
{
        const char *ma = "{\"id\":\"sevt_01\",\"type\":\"agent.message\",\"processed_at\":null}";
        const char *cc = "{\"type\":\"user\",\"uuid\":\"u1\",\"sessionId\":\"s1\"}";
        CHECK_INT(ingest_detect_line(ma, strlen(ma)), INGEST_MANAGED_AGENTS);
        CHECK_INT(ingest_detect_line(cc, strlen(cc)), INGEST_CLAUDE_CODE);
        CHECK_INT(ingest_detect_line("{\"type\":\"summary\",\"summary\":\"x\"}", 32),
                  INGEST_CLAUDE_CODE);
        CHECK_INT(ingest_detect_line("{\"type\":\"session.status_idle\"}", 30),
                  INGEST_MANAGED_AGENTS);
        CHECK_INT(ingest_detect_line("not json", 8), INGEST_AUTO);
        CHECK_INT(ingest_detect_line("{\"x\":1}", 7), INGEST_AUTO);
}

static void test_managed_agents_tool_use(void)
{
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        CHECK(parse("{\"id\":\"sevt_01a\",\"type\":\"agent.tool_use\",\"processed_at\":"
                    "\"2026-08-01T10:00:02Z\",\"name\":\"bash\",\"input\":{\"command\":\"ls\"}}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK_STR(ev.event_id, "sevt_01a");
        CHECK_STR(ev.type, "agent.tool_use");
        CHECK_STR(ev.role, "assistant");
        CHECK_STR(ev.tool_name, "bash");
        CHECK_STR(ev.tool_input, "{\"command\":\"ls\"}");
        CHECK_STR(ev.tool_use_id, "sevt_01a");
        CHECK(ev.has_ts);
        char ts[TIMESTAMP_LEN + 1];
        timestamp_format(ev.ts_ms, ts);
        CHECK_STR(ts, "2026-08-01T10:00:02.000Z");
        ingest_event_reset(&ev);
        buf_free(&ev.text);
}

static void test_managed_agents_result_and_blocks(void)
{
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        CHECK(parse("{\"id\":\"sevt_02\",\"type\":\"agent.tool_result\",\"processed_at\":"
                    "\"2026-08-01T10:00:03+02:00\",\"tool_use_id\":\"sevt_01a\",\"is_error\":true,"
                    "\"content\":[{\"type\":\"text\",\"text\":\"line one\"},{\"type\":\"image\","
                    "\"source\":{}},{\"type\":\"text\",\"text\":\"zwei \u00fc\"}]}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK_STR(ev.role, "tool");
        CHECK_STR(ev.tool_use_id, "sevt_01a");
        CHECK(ev.is_error);
        CHECK_STR(ev.text.ptr, "line one\n[image]\nzwei \xc3\xbc");
        char ts[TIMESTAMP_LEN + 1];
        timestamp_format(ev.ts_ms, ts);
        CHECK_STR(ts, "2026-08-01T08:00:03.000Z");
        ingest_event_reset(&ev);
        buf_free(&ev.text);
}

static void test_managed_agents_queued_and_empty_id(void)
{
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        CHECK(parse("{\"id\":\"sevt_q\",\"type\":\"user.message\",\"processed_at\":null,"
                    "\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK(!ev.has_ts);
        CHECK_STR(ev.role, "user");
        CHECK(parse("{\"id\":\"\",\"type\":\"user.interrupt\",\"processed_at\":\"2026-08-01T10:00:"
                    "03Z\"}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK(ev.event_id == NULL);
        CHECK(parse("{\"id\":\"sevt_e\",\"type\":\"session.error\",\"processed_at\":\"2026-08-01T"
                    "10:00:03Z\",\"error\":{\"type\":\"mcp_connection_failed_error\",\"message\":"
                    "\"down\"}}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK(ev.is_error);
        CHECK_STR(ev.text.ptr, "mcp_connection_failed_error: down");
        CHECK(parse("{\"id\":\"sevt_o\",\"type\":\"span.outcome_evaluation_end\",\"processed_at\":"
                    "\"2026-08-01T10:00:03Z\",\"result\":\"satisfied\",\"explanation\":\"ok\"}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK_STR(ev.outcome, "satisfied");
        CHECK(parse("{\"id\":\"sevt_u\",\"type\":\"brand.new_type\",\"processed_at\":\"2026-08-01"
                    "T10:00:03Z\",\"session_id\":\"sesn_x\"}",
                    INGEST_MANAGED_AGENTS, &ev, &err) == 0);
        CHECK_STR(ev.type, "brand.new_type");
        CHECK_STR(ev.session_id, "sesn_x");
        ingest_event_reset(&ev);
        buf_free(&ev.text);
}

static void test_claude_code_lines(void)
{
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        CHECK(parse("{\"type\":\"assistant\",\"uuid\":\"u2\",\"parentUuid\":\"u1\",\"sessionId\":"
                    "\"s1\",\"timestamp\":\"2026-11-02T09:00:07.037Z\",\"cwd\":\"/srv/shop\","
                    "\"gitBranch\":\"main\",\"isSidechain\":false,\"message\":{\"role\":"
                    "\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"secret "
                    "plan\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":"
                    "{\"command\":\"pytest\"}}]}}",
                    INGEST_CLAUDE_CODE, &ev, &err) == 0);
        CHECK_STR(ev.event_id, "u2");
        CHECK_STR(ev.parent_id, "u1");
        CHECK_STR(ev.session_id, "s1");
        CHECK_STR(ev.role, "assistant");
        CHECK_STR(ev.tool_name, "Bash");
        CHECK_STR(ev.tool_use_id, "toolu_1");
        CHECK_STR(ev.tool_input, "{\"command\":\"pytest\"}");
        CHECK_INT(ev.text.len, 0); /* thinking stays in the raw event only */
        CHECK_STR(ev.cwd, "/srv/shop");

        CHECK(parse("{\"type\":\"user\",\"uuid\":\"u3\",\"sessionId\":\"s1\",\"timestamp\":"
                    "\"2026-11-02T09:00:08Z\",\"message\":{\"role\":\"user\",\"content\":[{"
                    "\"type\":\"tool_result\",\"tool_use_id\":\"toolu_1\",\"is_error\":true,"
                    "\"content\":\"ModuleNotFoundError\"}]}}",
                    INGEST_CLAUDE_CODE, &ev, &err) == 0);
        CHECK_STR(ev.role, "tool");
        CHECK_STR(ev.tool_use_id, "toolu_1");
        CHECK(ev.is_error);
        CHECK_STR(ev.text.ptr, "ModuleNotFoundError");

        CHECK(parse("{\"type\":\"user\",\"uuid\":\"u4\",\"sessionId\":\"s1\",\"isMeta\":true,"
                    "\"message\":{\"role\":\"user\",\"content\":\"<command-name>/clear\"}}",
                    INGEST_CLAUDE_CODE, &ev, &err) == 0);
        CHECK_STR(ev.role, "system");

        CHECK(parse("{\"type\":\"file-history-snapshot\",\"messageId\":\"m\"}", INGEST_CLAUDE_CODE,
                    &ev, &err) == 0);
        CHECK(ev.skip);
        CHECK(parse("{\"type\":\"summary\",\"summary\":\"Fix totals\",\"leafUuid\":\"u9\"}",
                    INGEST_CLAUDE_CODE, &ev, &err) == 0);
        CHECK(!ev.skip);
        CHECK_STR(ev.text.ptr, "Fix totals");
        ingest_event_reset(&ev);
        buf_free(&ev.text);
}

static void test_rejections(void)
{
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        CHECK(parse("{\"type\":\"user\",", INGEST_CLAUDE_CODE, &ev, &err) < 0);
        CHECK(strstr(err.msg, "invalid JSON") != NULL);
        CHECK(parse("[1,2]", INGEST_AUTO, &ev, &err) < 0);
        CHECK_STR(err.msg, "a line must be a JSON object");
        CHECK(parse("{\"id\":\"sevt_1\"}", INGEST_MANAGED_AGENTS, &ev, &err) < 0);
        CHECK_STR(err.msg, "missing \"type\"");
        CHECK(parse("{\"id\":\"sevt_1\",\"type\":\"agent.message\",\"processed_at\":\"yesterday\"}",
                    INGEST_MANAGED_AGENTS, &ev, &err) < 0);
        CHECK_STR(err.msg, "\"processed_at\" is not an RFC 3339 time");
        CHECK(parse("{\"type\":\"user\",\"uuid\":\"u\",\"message\":{\"role\":\"user\",\"content\":"
                    "7}}",
                    INGEST_CLAUDE_CODE, &ev, &err) < 0);
        CHECK(parse("{\"type\":\"assistant\",\"uuid\":\"u\"}", INGEST_CLAUDE_CODE, &ev, &err) < 0);
        CHECK_STR(err.msg, "a \"assistant\" line needs a \"message\" object");
        ingest_event_reset(&ev);
        buf_free(&ev.text);
}

static void test_timestamps(void)
{
        int64_t ms;
        CHECK(timestamp_parse("2026-02-29T00:00:00Z", 20, &ms) < 0); /* not a leap year */
        CHECK(timestamp_parse("2024-02-29T00:00:00Z", 20, &ms) == 0);
        CHECK(timestamp_parse("2026-11-02T09:00:07.5Z", 22, &ms) == 0);
        char out[TIMESTAMP_LEN + 1];
        timestamp_format(ms, out);
        CHECK_STR(out, "2026-11-02T09:00:07.500Z");
        CHECK(timestamp_parse("2026-11-02T09:00:07", 19, &ms) < 0); /* no zone */
        CHECK(timestamp_parse("2026-13-02T09:00:07Z", 20, &ms) < 0);
        CHECK(timestamp_parse("1970-01-01T00:00:00Z", 20, &ms) == 0 && ms == 0);
}

/* Regression (tests/fuzz/fuzz_rules_scan): a number that passes Luhn was
 * replaced by a bare marker, leaving the stored raw line invalid JSON. */
static void test_redaction_keeps_json(void)
{
        struct rules_set *rules = NULL;
        struct err err;
        CHECK(rules_load_default(NULL, &rules, &err) == 0);
        const char *line = "{\"id\":\"sevt_1\",\"type\":\"agent.tool_use\",\"input\":"
                           "{\"card\":4111111111111111,\"note\":\"ok\"}}";
        struct buf out = BUF_INIT;
        int64_t findings = 0;
        CHECK(ingest_redact_json(rules, line, strlen(line), &out, &findings, &err) == 0);
        CHECK(findings >= 1);
        cJSON *j = cJSON_Parse(buf_cstr(&out));
        CHECK(j != NULL);
        const cJSON *card = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(j, "input"), "card");
        CHECK(cJSON_IsString(card) && strstr(card->valuestring, "[REDACTED:") != NULL);
        CHECK(strstr(buf_cstr(&out), "4111111111111111") == NULL);
        cJSON_Delete(j);
        buf_free(&out);
        rules_free(rules);
}

int main(void)
{
        RUN(test_redaction_keeps_json);
        RUN(test_detect);
        RUN(test_managed_agents_tool_use);
        RUN(test_managed_agents_result_and_blocks);
        RUN(test_managed_agents_queued_and_empty_id);
        RUN(test_claude_code_lines);
        RUN(test_rejections);
        RUN(test_timestamps);
        return CHECK_DONE();
}
