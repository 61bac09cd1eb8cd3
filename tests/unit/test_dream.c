/* Unit tests: the heuristic dreamer. Quality is measured on a labelled
 * fixture set (tests/fixtures/dream: sessions and the memories a careful
 * human kept); behaviours against existing memories are tested one each. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dream.h"
#include "fileio.h"
#include "ingest.h"
#include "textsim.h"
#include "timestamp.h"

struct events {
        struct dream_event *v;
        size_t n, cap;
};

static char *dup_or_null(const char *s)
{
        return s ? xstrdup(s) : NULL;
}

/* Reads a fixture file through the real ingest parser into dream events. */
static void load(const char *name, struct events *out)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/dream/%s", getenv("CURATOR_FIXTURES"), name);
        struct buf text = BUF_INIT;
        struct err err;
        if (fileio_read_all(path, &text, NULL, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                exit(2);
        }
        char stem[256];
        snprintf(stem, sizeof(stem), "%s", name);
        *strrchr(stem, '.') = '\0';
        char *outcome = NULL;
        size_t first = out->n;
        struct event ev;
        ingest_event_init(&ev);
        char *p = text.ptr;
        int64_t seq = (int64_t)out->n;
        while (p && *p) {
                char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                ingest_event_reset(&ev);
                if (ingest_parse_line(p, len, INGEST_AUTO, &ev, &err) < 0) {
                        fprintf(stderr, "%s: %s\n", name, err.msg);
                        exit(2);
                }
                if (out->n == out->cap) {
                        out->cap = out->cap ? out->cap * 2 : 64;
                        out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                }
                struct dream_event *d = &out->v[out->n++];
                memset(d, 0, sizeof(*d));
                d->seq = ++seq;
                d->session_id = xstrdup(ev.session_id ? ev.session_id : stem);
                char idbuf[64];
                snprintf(idbuf, sizeof(idbuf), "line%lld", (long long)seq);
                d->event_id = xstrdup(ev.event_id ? ev.event_id : idbuf);
                d->type = xstrdup(ev.type);
                d->role = xstrdup(ev.role ? ev.role : "system");
                d->text = xstrdup(ev.text.ptr ? ev.text.ptr : "");
                d->tool_name = dup_or_null(ev.tool_name);
                d->tool_use_id = dup_or_null(ev.tool_use_id);
                d->tool_input = dup_or_null(ev.tool_input);
                d->is_error = ev.is_error;
                if (ev.outcome) {
                        free(outcome);
                        outcome = xstrdup(ev.outcome);
                }
                p = nl ? nl + 1 : NULL;
        }
        for (size_t i = first; i < out->n; i++)
                out->v[i].outcome = dup_or_null(outcome);
        free(outcome);
        ingest_event_reset(&ev);
        buf_free(&ev.text);
        buf_free(&text);
}

static void events_free(struct events *e)
{
        for (size_t i = 0; i < e->n; i++) {
                struct dream_event *d = &e->v[i];
                free(d->session_id);
                free(d->event_id);
                free(d->type);
                free(d->role);
                free(d->text);
                free(d->tool_name);
                free(d->tool_use_id);
                free(d->tool_input);
                free(d->outcome);
        }
        free(e->v);
        memset(e, 0, sizeof(*e));
}

static int matches(const char *hunk, const char *expected)
{
        struct wordset a = {0}, b = {0};
        textsim_words(hunk, &a);
        textsim_words(expected, &b);
        double c = textsim_containment(&a, &b);
        wordset_free(&a);
        wordset_free(&b);
        return c >= 0.6;
}

static int total_hunks, total_right, total_expected, total_found;

static void measure(const char *scope, const char *const *files)
{
        struct events ev = {0};
        for (int i = 0; files[i]; i++)
                load(files[i], &ev);
        struct dream_input in = {.scope = scope, .events = ev.v, .nevents = ev.n,
                                 .now_ms = 1790000000000};
        struct dream_proposal p = {0};
        struct err err;
        CHECK(dream_heuristic_propose(NULL, &in, &p, &err) == 0);

        char path[512];
        snprintf(path, sizeof(path), "%s/dream/expected.json", getenv("CURATOR_FIXTURES"));
        struct buf text = BUF_INIT;
        fileio_read_all(path, &text, NULL, &err);
        cJSON *root = cJSON_Parse(text.ptr);
        const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, scope);
        int nexp = cJSON_GetArraySize(exp);
        char *found = xcalloc((size_t)nexp + 1, 1);
        for (size_t h = 0; h < p.n; h++) {
                int right = 0;
                for (int e = 0; e < nexp; e++) {
                        const char *want = cJSON_GetArrayItem(exp, e)->valuestring;
                        if (p.v[h].new_text && matches(p.v[h].new_text, want)) {
                                right = 1;
                                found[e] = 1;
                        }
                }
                if (!right)
                        fprintf(stderr, "  [%s] proposed, not expected: %s\n", scope,
                                p.v[h].new_text);
                total_right += right;
        }
        for (int e = 0; e < nexp; e++) {
                if (!found[e])
                        fprintf(stderr, "  [%s] expected, missed: %s\n", scope,
                                cJSON_GetArrayItem(exp, e)->valuestring);
                total_found += found[e];
        }
        total_hunks += (int)p.n;
        total_expected += nexp;
        free(found);
        cJSON_Delete(root);
        buf_free(&text);
        dream_proposal_free(&p);
        events_free(&ev);
}

static void test_quality(void)
{
        static const char *const billing[] = {"coding-1.jsonl", "coding-2.jsonl", NULL};
        static const char *const support[] = {"sesn_support1.jsonl", "sesn_support2.jsonl", NULL};
        static const char *const mobile[] = {"release-1.jsonl", NULL};
        measure("billing", billing);
        measure("support", support);
        measure("mobile", mobile);
        double precision = total_hunks ? (double)total_right / total_hunks : 0;
        double recall = total_expected ? (double)total_found / total_expected : 0;
        fprintf(stderr, "heuristic dreamer on tests/fixtures/dream: %d hunks, precision %.2f, "
                        "recall %.2f (%d of %d expected memories)\n",
                total_hunks, precision, recall, total_found, total_expected);
        CHECK(precision >= 0.8);
        CHECK(recall >= 0.8);
}

/* Builds a one-session input from (role, text) pairs. */
static void user_session(struct events *ev, const char *session, const char *const *texts)
{
        for (int i = 0; texts[i]; i++) {
                if (ev->n == ev->cap) {
                        ev->cap = ev->cap ? ev->cap * 2 : 16;
                        ev->v = xrealloc(ev->v, ev->cap * sizeof(*ev->v));
                }
                struct dream_event *d = &ev->v[ev->n++];
                memset(d, 0, sizeof(*d));
                d->seq = (int64_t)ev->n;
                d->session_id = xstrdup(session);
                char id[32];
                snprintf(id, sizeof(id), "e%zu", ev->n);
                d->event_id = xstrdup(id);
                d->type = xstrdup("user");
                d->role = xstrdup(i % 2 ? "assistant" : "user");
                d->text = xstrdup(texts[i]);
        }
}

static struct dream_memory memory(const char *id, const char *text, const char *updated)
{
        struct dream_memory m = {0};
        m.id = (char *)id;
        m.path = (char *)"memories/app/x.md";
        m.text = (char *)text;
        m.retention = (char *)"standard";
        m.updated = (char *)updated;
        m.tags = (char *)"";
        return m;
}

static void test_against_existing(void)
{
        struct events ev = {0};
        static const char *const s1[] = {
                "Remember: the release branch is `integration`.", "ok",
                "From now on, never use npm; we use pnpm for installs.", "ok",
                "Forget the rule about running the smoke tests on Fridays, it no longer applies.",
                "ok", NULL};
        user_session(&ev, "s1", s1);
        struct dream_memory mems[4] = {
                memory("mem-0000000000000001", "The release branch is `integration`.",
                       "2026-09-01T00:00:00.000Z"),
                memory("mem-0000000000000002", "Always use npm for installs.",
                       "2026-09-01T00:00:00.000Z"),
                memory("mem-0000000000000003", "Run the smoke tests on Fridays.",
                       "2026-09-01T00:00:00.000Z"),
                memory("mem-0000000000000004", "The staging host is called kestrel.",
                       "2025-01-01T00:00:00.000Z"),
        };
        int64_t now;
        timestamp_parse("2026-09-20T00:00:00Z", 20, &now);
        struct dream_input in = {.scope = "app", .events = ev.v, .nevents = ev.n,
                                 .memories = mems, .nmemories = 4, .now_ms = now};
        struct dream_proposal p = {0};
        struct err err;
        CHECK(dream_heuristic_propose(NULL, &in, &p, &err) == 0);
        int reinforced = 0, updated_npm = 0, deleted_smoke = 0, deleted_stale = 0, adds = 0;
        for (size_t i = 0; i < p.nr; i++)
                reinforced += strcmp(p.r[i].memory_id, "mem-0000000000000001") == 0;
        for (size_t i = 0; i < p.n; i++) {
                const struct dream_hunk *h = &p.v[i];
                if (h->op == DREAM_UPDATE && strcmp(h->memory_id, "mem-0000000000000002") == 0)
                        updated_npm = strstr(h->rationale, "contradict") != NULL;
                if (h->op == DREAM_DELETE && strcmp(h->memory_id, "mem-0000000000000003") == 0)
                        deleted_smoke = 1;
                if (h->op == DREAM_DELETE && strcmp(h->memory_id, "mem-0000000000000004") == 0)
                        deleted_stale = strstr(h->rationale, "stale") != NULL;
                adds += h->op == DREAM_ADD;
        }
        CHECK_INT(reinforced, 1);  /* the same fact again: no hunk, kept fresh */
        CHECK(updated_npm);        /* pnpm contradicts npm: an update, not a second memory */
        CHECK(deleted_smoke);      /* withdrawn by the user */
        CHECK(deleted_stale);      /* not reinforced in 180 days (standard) */
        CHECK_INT(adds, 0);
        CHECK_INT(p.n, 3);
        dream_proposal_free(&p);
        events_free(&ev);
}

static void test_noise_and_determinism(void)
{
        struct events ev = {0};
        static const char *const s1[] = {"Hi!", "hello", "Thanks a lot!", "np",
                                         "Can you always check this for me?", "sure",
                                         "Remember: deploys go through `make ship`.", "ok",
                                         NULL};
        user_session(&ev, "s1", s1);
        struct dream_input in = {.scope = "app", .events = ev.v, .nevents = ev.n};
        struct dream_proposal a = {0}, b = {0};
        struct err err;
        CHECK(dream_heuristic_propose(NULL, &in, &a, &err) == 0);
        CHECK(dream_heuristic_propose(NULL, &in, &b, &err) == 0);
        CHECK_INT(a.n, 1); /* greetings, thanks and questions are left out */
        CHECK(a.n == 1 && strcmp(a.v[0].new_text, "Deploys go through `make ship`.") == 0);
        CHECK(a.n == b.n && a.n && strcmp(a.v[0].memory_id, b.v[0].memory_id) == 0 &&
              strcmp(a.v[0].path, b.v[0].path) == 0);
        dream_proposal_free(&a);
        dream_proposal_free(&b);
        events_free(&ev);
}

int main(void)
{
        RUN(test_quality);
        RUN(test_against_existing);
        RUN(test_noise_and_determinism);
        return CHECK_DONE();
}
