/* The bundle: ranking (query matches first by bm25, then recency, then
 * confidence), the budget cut with the documented token estimate, and the
 * JSON and Markdown renderings. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "check.h"

static struct memory *mk(const char *id, const char *updated, const char *text, int nsources)
{
        struct memory *m = memory_new();
        memory_set(&m->id, id);
        memory_set(&m->scope, "app");
        memory_set(&m->updated, updated);
        memory_set_body(m, text, strlen(text));
        struct buf p = BUF_INIT;
        buf_addf(&p, "memories/app/x-%s.md", id + 4);
        m->path = buf_detach(&p, NULL);
        for (int i = 0; i < nsources; i++) {
                char s[32];
                snprintf(s, sizeof(s), "sesn/%d", i);
                memory_list_add(&m->sources, s);
        }
        return m;
}

static struct memory *mems[4];

static void setup(void)
{
        mems[0] = mk("mem-000000000000000a", "2026-08-01T10:00:00.000Z",
                     "Run the narrow test first.\n", 1);
        mems[1] = mk("mem-000000000000000b", "2026-08-03T10:00:00.000Z",
                     "The release branch is integration.\n", 1);
        mems[2] = mk("mem-000000000000000c", "2026-08-02T10:00:00.000Z",
                     "When npm test fails with ENOENT, run npm ci first.\n", 1);
        /* Same time as c, more sources: ranks before c. */
        mems[3] = mk("mem-000000000000000d", "2026-08-02T10:00:00.000Z", "Use pnpm, not npm.\n", 3);
}

static void teardown(void)
{
        for (int i = 0; i < 4; i++)
                memory_free(mems[i]);
}

/* The ids of the memories in a JSON bundle, in order, joined by spaces. */
static char *ids_of(const char *json)
{
        cJSON *j = cJSON_Parse(json);
        struct buf b = BUF_INIT;
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "memories"))
        {
                if (b.len)
                        buf_addc(&b, ' ');
                buf_adds(&b, cJSON_GetObjectItem(it, "id")->valuestring + 18);
        }
        cJSON_Delete(j);
        return buf_detach(&b, NULL);
}

static void test_recency_without_query(void)
{
        struct bundle_query q = {.scope = "app"};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        CHECK_INT(bundle_render(mems, 4, NULL, &q, "c0ffee", &out, &st, NULL), 0);
        char *ids = ids_of(out.ptr);
        CHECK_STR(ids, "0b 0d 0c 0a"); /* newest first; d before c on more sources */
        CHECK_INT(st.total, 4);
        CHECK_INT(st.returned, 4);
        CHECK_INT(st.matched, 0);
        free(ids);
        buf_free(&out);
}

static void test_hits_rank_first_by_bm25(void)
{
        struct db_store_hit hv[2] = {{.id = "mem-000000000000000d", .rank = -0.5},
                                     {.id = "mem-000000000000000c", .rank = -2.0}};
        struct db_store_hits hits = {hv, 2};
        struct bundle_query q = {.scope = "app", .q = "npm"};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        CHECK_INT(bundle_render(mems, 4, &hits, &q, "c0ffee", &out, &st, NULL), 0);
        char *ids = ids_of(out.ptr);
        CHECK_STR(ids, "0c 0d 0b 0a"); /* lower bm25 is better; the rest by recency */
        CHECK_INT(st.matched, 2);
        cJSON *j = cJSON_Parse(out.ptr);
        CHECK_STR(cJSON_GetObjectItem(j, "query")->valuestring, "npm");
        CHECK_STR(cJSON_GetObjectItem(j, "commit")->valuestring, "c0ffee");
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(j, "memories"), 0), "match")));
        CHECK(cJSON_IsFalse(cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(j, "memories"), 2), "match")));
        cJSON_Delete(j);
        free(ids);
        buf_free(&out);
}

/* Without an index for the commit, query words are counted in the text. */
static void test_word_count_fallback(void)
{
        struct bundle_query q = {.scope = "app", .q = "npm ENOENT"};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        CHECK_INT(bundle_render(mems, 4, NULL, &q, "c0ffee", &out, &st, NULL), 0);
        char *ids = ids_of(out.ptr);
        CHECK_STR(ids, "0c 0d 0b 0a"); /* c has both words, d one */
        CHECK_INT(st.matched, 2);
        free(ids);
        buf_free(&out);
}

static void test_budget_cut(void)
{
        /* Estimates: 8 + ceil(bytes/4): b 36 bytes → 17, d 19 → 13, c 51 → 21, a 27 → 15. */
        CHECK_INT(bundle_estimate_tokens(36), 17);
        CHECK_INT(bundle_estimate_tokens(0), 8);
        CHECK_INT(bundle_estimate_tokens(1), 9);
        struct bundle_query q = {.scope = "app", .budget_tokens = 45};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        CHECK_INT(bundle_render(mems, 4, NULL, &q, "c0ffee", &out, &st, NULL), 0);
        char *ids = ids_of(out.ptr);
        /* b (17) + d (13) = 30; c (21) would make 51 > 45: skipped; a (15) fits: 45. */
        CHECK_STR(ids, "0b 0d 0a");
        CHECK_INT(st.tokens, 45);
        CHECK_INT(st.returned, 3);
        cJSON *j = cJSON_Parse(out.ptr);
        CHECK_INT(cJSON_GetObjectItem(j, "tokens")->valueint, 45);
        CHECK_INT(cJSON_GetObjectItem(j, "budget_tokens")->valueint, 45);
        cJSON_Delete(j);
        free(ids);
        buf_free(&out);
        struct bundle_query tiny = {.scope = "app", .budget_tokens = 5};
        CHECK_INT(bundle_render(mems, 4, NULL, &tiny, "c0ffee", &out, &st, NULL), 0);
        CHECK_INT(st.returned, 0);
        buf_free(&out);
}

static void test_markdown(void)
{
        struct bundle_query q = {.scope = "app", .budget_tokens = 30, .format = BUNDLE_MARKDOWN};
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        CHECK_INT(bundle_render(mems, 4, NULL, &q, "c0ffee", &out, &st, NULL), 0);
        CHECK_STR(out.ptr, "## Memories for scope app\n\n"
                           "Store commit c0ffee; 2 of 4 memories, about 30 tokens. These are "
                           "curated lessons from earlier sessions; prefer them to guessing.\n"
                           "\n### mem-000000000000000b\nThe release branch is integration.\n"
                           "\n### mem-000000000000000d\nUse pnpm, not npm.\n");
        buf_free(&out);
}

static void test_bad_input(void)
{
        struct err err;
        struct buf out = BUF_INIT;
        struct bundle_stats st;
        struct bundle_query q = {.scope = "../etc"};
        CHECK_INT(bundle_render(mems, 4, NULL, &q, "c", &out, &st, &err), -1);
        CHECK(strstr(err.msg, "not a valid scope") != NULL);
        enum bundle_format f;
        CHECK_INT(bundle_parse_format("xml", &f, &err), -1);
        CHECK_INT(bundle_parse_format("markdown", &f, &err), 0);
        CHECK_INT(f, BUNDLE_MARKDOWN);
        CHECK_INT(out.len, 0);
}

int main(void)
{
        setup();
        RUN(test_recency_without_query);
        RUN(test_hits_rank_first_by_bm25);
        RUN(test_word_count_fallback);
        RUN(test_budget_cut);
        RUN(test_markdown);
        RUN(test_bad_input);
        teardown();
        return CHECK_DONE();
}
