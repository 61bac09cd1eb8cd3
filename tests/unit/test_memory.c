/* Memory files: exact round trips, clear errors for bad front matter, paths. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "memory.h"

static const char full_file[] = "---\n"
                                "id: mem-0123456789abcdef\n"
                                "scope: app\n"
                                "owner: alice\n"
                                "retention: standard\n"
                                "created: 2026-08-01T10:00:02.000Z\n"
                                "updated: 2026-08-02T11:30:00.250Z\n"
                                "expires: 2027-08-02T11:30:00.250Z\n"
                                "legal_hold: true\n"
                                "sources:\n"
                                "  - sesn_01HX/sevt_01HY\n"
                                "  - 8c1d2e3f-0000-4000-8000-000000000000/h:ab12\n"
                                "tags:\n"
                                "  - testing\n"
                                "  - ci\n"
                                "---\n"
                                "# Run the narrow test first\n"
                                "\n"
                                "When `npm test` fails with ENOENT, run `npm ci` first.\n";

static const char empty_lists[] = "---\n"
                                  "id: mem-ffffffffffffffff\n"
                                  "scope: support.eu\n"
                                  "owner: @release-team\n"
                                  "retention: pinned\n"
                                  "created: 2026-08-01T10:00:02.000Z\n"
                                  "updated: 2026-08-01T10:00:02.000Z\n"
                                  "expires: never\n"
                                  "legal_hold: false\n"
                                  "sources: []\n"
                                  "tags: []\n"
                                  "---\n";

static void round_trip(const char *text)
{
        struct memory *m = NULL;
        struct err err = {{0}};
        struct buf out = BUF_INIT;
        int rc = memory_parse(text, strlen(text), "memories/app/x.md", &m, &err);
        CHECK_INT(rc, 0);
        if (rc < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_INT(memory_serialize(m, &out, &err), 0);
        CHECK_INT(out.len, strlen(text));
        CHECK(out.len == strlen(text) && memcmp(out.ptr, text, out.len) == 0);
        memory_free(m);
        buf_free(&out);
}

static void test_round_trip_full(void)
{
        round_trip(full_file);
}

static void test_round_trip_empty_lists_and_body(void)
{
        round_trip(empty_lists);
}

static void test_parsed_fields(void)
{
        struct memory *m = NULL;
        struct err err;
        CHECK_INT(memory_parse(full_file, strlen(full_file), "f.md", &m, &err), 0);
        CHECK_STR(m->id, "mem-0123456789abcdef");
        CHECK_STR(m->scope, "app");
        CHECK_STR(m->owner, "alice");
        CHECK_STR(m->retention, "standard");
        CHECK_STR(m->expires, "2027-08-02T11:30:00.250Z");
        CHECK_INT(m->legal_hold, 1);
        CHECK_INT(m->sources.n, 2);
        CHECK_STR(m->sources.v[1], "8c1d2e3f-0000-4000-8000-000000000000/h:ab12");
        CHECK_INT(m->tags.n, 2);
        CHECK_STR(m->tags.v[0], "testing");
        CHECK(m->body_len > 0 && strncmp(m->body, "# Run the narrow", 16) == 0);
        CHECK_STR(m->path, "f.md");
        struct memory *c = memory_dup(m);
        struct buf a = BUF_INIT, b = BUF_INIT;
        memory_serialize(m, &a, &err);
        memory_serialize(c, &b, &err);
        CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
        buf_free(&a);
        buf_free(&b);
        memory_free(c);
        memory_free(m);
}

/* Replaces the first occurrence of from in full_file with to, parses, and
 * checks the error names the file, the line and the reason. */
static void bad(const char *from, const char *to, const char *want_line, const char *want_why)
{
        const char *at = strstr(full_file, from);
        CHECK(at != NULL);
        if (!at)
                return;
        struct buf t = BUF_INIT;
        buf_add(&t, full_file, (size_t)(at - full_file));
        buf_adds(&t, to);
        buf_adds(&t, at + strlen(from));
        struct memory *m = NULL;
        struct err err = {{0}};
        CHECK_INT(memory_parse(t.ptr, t.len, "memories/app/bad.md", &m, &err), -1);
        CHECK(m == NULL);
        if (!strstr(err.msg, want_line) || !strstr(err.msg, want_why)) {
                CHECK(!"error message");
                fprintf(stderr, "  got: %s (want %s ... %s)\n", err.msg, want_line, want_why);
        }
        buf_free(&t);
}

static void test_bad_front_matter(void)
{
        bad("---\nid", "--\nid", "memories/app/bad.md:1:", "start with a '---'");
        bad("id: mem-0123456789abcdef", "id: mem-XYZ", "bad.md:2:", "16 lowercase hex");
        bad("scope: app", "scope: App Team", "bad.md:3:", "scope must match");
        bad("owner: alice", "owner: alice smith", "bad.md:4:", "owner must be");
        bad("created: 2026-08-01T10:00:02.000Z", "created: yesterday", "bad.md:6:", "RFC 3339");
        bad("created: 2026-08-01T10:00:02.000Z", "created: 2026-08-01T12:00:02+02:00",
            "bad.md:6:", "RFC 3339");
        bad("expires: 2027", "expires: soon2027", "bad.md:8:", "never");
        bad("legal_hold: true", "legal_hold: yes", "bad.md:9:", "true or false");
        bad("scope: app\nowner: alice", "owner: alice\nscope: app",
            "bad.md:3:", "expected 'scope: <value>'");
        bad("  - testing\n", "  - two words\n", "bad.md:14:", "tags item");
        bad("  - sesn_01HX/sevt_01HY\n", "  - no-slash\n", "bad.md:11:", "session_id/event_id");
        bad("  - ci\n---\n", "  - ci\n", "bad.md:", "closing '---'");
        bad("tags:\n  - testing\n  - ci\n", "tags:\n", "bad.md:", "has no '  - item' lines");
        bad("  - ci\n", "  - testing\n", "bad.md:15:", "listed twice");
}

static void test_nul_and_truncation(void)
{
        struct memory *m = NULL;
        struct err err = {{0}};
        char text[sizeof(full_file)];
        memcpy(text, full_file, sizeof(full_file));
        text[sizeof(full_file) - 5] = '\0';
        CHECK_INT(memory_parse(text, sizeof(full_file) - 1, "n.md", &m, &err), -1);
        CHECK(strstr(err.msg, "NUL") != NULL);
        CHECK_INT(memory_parse(full_file, 40, "t.md", &m, &err), -1);
        CHECK(strstr(err.msg, "t.md:") != NULL);
        CHECK_INT(memory_parse("", 0, "e.md", &m, &err), -1);
        CHECK(strstr(err.msg, "e.md:1:") != NULL);
}

static void test_serialize_refuses_invalid(void)
{
        struct memory *m = memory_new();
        struct buf out = BUF_INIT;
        struct err err = {{0}};
        memory_set(&m->id, "mem-0123456789abcdef");
        memory_set(&m->scope, "app");
        memory_set(&m->owner, "alice");
        memory_set(&m->retention, "standard");
        memory_set(&m->created, "2026-08-01T10:00:02.000Z");
        memory_set(&m->updated, "2026-08-01T10:00:02.000Z");
        memory_set(&m->expires, "never");
        memory_list_add(&m->tags, "a\nscope: injected");
        CHECK_INT(memory_serialize(m, &out, &err), -1);
        CHECK(strstr(err.msg, "tag") != NULL);
        CHECK_INT(out.len, 0);
        memory_list_clear(&m->tags);
        memory_set(&m->owner, "eve\nlegal_hold: true");
        CHECK_INT(memory_serialize(m, &out, &err), -1);
        CHECK(strstr(err.msg, "owner") != NULL);
        memory_set(&m->owner, "alice");
        CHECK_INT(memory_serialize(m, &out, &err), 0);
        memory_free(m);
        buf_free(&out);
}

static void test_paths_and_ids(void)
{
        char id[MEMORY_ID_LEN + 1], back[MEMORY_ID_LEN + 1];
        memory_new_id(id);
        CHECK(memory_id_valid(id));
        char id2[MEMORY_ID_LEN + 1];
        memory_new_id(id2);
        CHECK(strcmp(id, id2) != 0);
        struct buf p = BUF_INIT;
        const char *body = "# When `npm test` fails: run *npm ci* first!\nmore";
        memory_make_path("app", "mem-0123456789abcdef", body, strlen(body), &p);
        CHECK_STR(buf_cstr(&p),
                  "memories/app/when-npm-test-fails-run-npm-ci-first-0123456789abcdef.md");
        CHECK_INT(memory_id_from_path(buf_cstr(&p), back), 1);
        CHECK_STR(back, "mem-0123456789abcdef");
        buf_reset(&p);
        memory_make_path("app", "mem-0123456789abcdef", "!!!", 3, &p);
        CHECK_STR(buf_cstr(&p), "memories/app/memory-0123456789abcdef.md");
        CHECK_INT(memory_id_from_path("memories/app/x-0123456789abcdeg.md", back), 0);
        CHECK_INT(memory_id_from_path("memories/app/sub/x-0123456789abcdef.md", back), 0);
        CHECK_INT(memory_id_from_path("OWNERS", back), 0);
        CHECK_INT(memory_id_from_path("memories/app/0123456789abcdef.md", back), 0);
        CHECK(memory_scope_valid("app-eu.2"));
        CHECK(!memory_scope_valid("../etc"));
        CHECK(!memory_scope_valid("App"));
        CHECK(!memory_scope_valid(""));
        buf_free(&p);
}

int main(void)
{
        RUN(test_round_trip_full);
        RUN(test_round_trip_empty_lists_and_body);
        RUN(test_parsed_fields);
        RUN(test_bad_front_matter);
        RUN(test_nul_and_truncation);
        RUN(test_serialize_refuses_invalid);
        RUN(test_paths_and_ids);
        return CHECK_DONE();
}
