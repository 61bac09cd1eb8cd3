/* The heuristic dreamer: deterministic, no network. It looks for what a
 * careful colleague would write down after reading the sessions:
 *   - explicit cues by the user ("remember", "always", "never", "from now on",
 *     "we use", "don't ... again");
 *   - corrections of the agent by the user ("No, use X");
 *   - a failing tool call followed by a succeeding variant (a lesson);
 * then merges what several sessions say into one candidate (more sessions,
 * more confidence), matches candidates against the scope's memories
 * (reinforce, update, or contradict), and proposes deletion of memories the
 * user withdrew or that nothing reinforced within their class's staleness
 * window. Precision over volume: every hunk costs a reviewer's attention. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dream.h"
#include "strmap.h"
#include "sha256.h"
#include "textsim.h"
#include "timestamp.h"

enum cand_kind { CAND_WEAK, CAND_LESSON, CAND_CORRECTION, CAND_CUE };

struct cand {
        enum cand_kind kind;
        char *text;                      /* owned */
        struct wordset words;
        struct memory_list_str evidence; /* session/event */
        struct memory_list_str sessions;
        int satisfied, failed;           /* outcomes of the sessions it came from */
        int forget;                      /* the user withdrew something */
        int merged_into;                 /* index of the cluster head, or -1 */
        int64_t last_seq;
};

struct cands {
        struct cand *v;
        size_t n, cap;
};

static struct cand *cand_add(struct cands *cs, enum cand_kind kind, const char *text,
                             const struct dream_event *ev)
{
        if (cs->n == cs->cap) {
                cs->cap = cs->cap ? cs->cap * 2 : 32;
                cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
        }
        struct cand *c = &cs->v[cs->n++];
        memset(c, 0, sizeof(*c));
        c->kind = kind;
        c->text = xstrdup(text);
        c->merged_into = -1;
        textsim_words(text, &c->words);
        struct buf ref = BUF_INIT;
        buf_addf(&ref, "%s/%s", ev->session_id, ev->event_id);
        memory_list_add(&c->evidence, ref.ptr);
        buf_free(&ref);
        memory_list_add(&c->sessions, ev->session_id);
        c->satisfied = ev->outcome && strcmp(ev->outcome, "satisfied") == 0;
        c->failed = ev->outcome && (strcmp(ev->outcome, "failed") == 0 ||
                                    strcmp(ev->outcome, "max_iterations_reached") == 0);
        c->last_seq = ev->seq;
        return c;
}

static void cands_free(struct cands *cs)
{
        for (size_t i = 0; i < cs->n; i++) {
                free(cs->v[i].text);
                wordset_free(&cs->v[i].words);
                memory_list_clear(&cs->v[i].evidence);
                memory_list_clear(&cs->v[i].sessions);
        }
        free(cs->v);
}

/* ---- text helpers ------------------------------------------------------- */

/* Case-insensitive search for a whole word or phrase in s. */
static const char *find_phrase(const char *s, const char *phrase)
{
        size_t n = strlen(phrase);
        for (const char *p = s; *p; p++) {
                if (strncasecmp(p, phrase, n) != 0)
                        continue;
                int start_ok = p == s || !isalnum((unsigned char)p[-1]);
                int end_ok = !isalnum((unsigned char)p[n]);
                if (start_ok && end_ok)
                        return p;
        }
        return NULL;
}

static int starts_with_ci(const char *s, const char *prefix)
{
        return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const char *skip_space(const char *s)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        return s;
}

/* Splits text into sentences at '.', '!', '?' or ';' followed by a space or
 * the end, and at newlines; never inside `code spans`. Each sentence keeps
 * its end punctuation. */
static void split_sentences(const char *text, struct memory_list_str *out)
{
        struct buf cur = BUF_INIT;
        int in_code = 0;
        for (const char *p = text;; p++) {
                char c = *p;
                if (c == '`')
                        in_code = !in_code;
                int end = c == '\0' || c == '\n' ||
                          (!in_code && (c == '.' || c == '!' || c == '?') &&
                           (p[1] == '\0' || isspace((unsigned char)p[1])));
                if (c && c != '\n')
                        buf_addc(&cur, c);
                if (end) {
                        const char *s = skip_space(buf_cstr(&cur));
                        if (*s)
                                memory_list_add(out, s);
                        buf_reset(&cur);
                        in_code = 0;
                }
                if (!c)
                        break;
        }
        buf_free(&cur);
}

/* Drops a leading politeness or framing word ("Good.", "Also", "Remember:",
 * "From now on,") and capitalizes the rest; ends it with a period. */
static void clean_statement(const char *s, struct buf *out)
{
        static const char *const lead[] = {
                "please remember that ", "please remember ", "remember that ", "remember: ",
                "remember, ", "remember ", "note that ", "note: ", "also, ", "also ",
                "again: ", "again, ",
                "and ", "from now on, ", "from now on ", "going forward, ", "going forward ",
                "in the future, ", "in the future ", "okay, ", "ok, ", "so ", NULL};
        buf_reset(out);
        s = skip_space(s);
        for (int changed = 1; changed;) {
                changed = 0;
                for (int i = 0; lead[i]; i++) {
                        if (starts_with_ci(s, lead[i])) {
                                s = skip_space(s + strlen(lead[i]));
                                changed = 1;
                        }
                }
        }
        buf_adds(out, s);
        /* trailing filler that adds nothing to a memory */
        static const char *const tail[] = {", as before", " as before", " too", NULL};
        for (int i = 0; tail[i]; i++) {
                size_t n = strlen(tail[i]);
                for (size_t k = 0; k + n <= out->len; k++) {
                        if (strncasecmp(out->ptr + k, tail[i], n) == 0 &&
                            !isalnum((unsigned char)out->ptr[k + n])) {
                                memmove(out->ptr + k, out->ptr + k + n, out->len - k - n + 1);
                                out->len -= n;
                                break;
                        }
                }
        }
        while (out->len && (isspace((unsigned char)out->ptr[out->len - 1]) ||
                            out->ptr[out->len - 1] == ',' || out->ptr[out->len - 1] == ':'))
                out->ptr[--out->len] = '\0';
        if (out->len && islower((unsigned char)out->ptr[0]))
                out->ptr[0] = (char)toupper((unsigned char)out->ptr[0]);
        if (out->len && !strchr(".!?`", out->ptr[out->len - 1]))
                buf_addc(out, '.');
}

static int is_question(const char *s)
{
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                n--;
        return n && s[n - 1] == '?';
}

static int significant(const char *s);

/* Cues by which a user asks for something to be kept. */
static int has_cue(const char *s)
{
        static const char *const cues[] = {
                "remember", "always", "never", "from now on", "we use", "we always",
                "we never", "make sure", "going forward", "in the future", "must",
                "should always", "should never", "prefer", "do not", "don't", NULL};
        for (int i = 0; cues[i]; i++) {
                if (!find_phrase(s, cues[i]))
                        continue;
                /* "don't"/"do not" count only with "again" or as an imperative opening. */
                if (strcmp(cues[i], "do not") == 0 || strcmp(cues[i], "don't") == 0) {
                        const char *t = skip_space(s);
                        if (!find_phrase(s, "again") && !starts_with_ci(t, cues[i]))
                                continue;
                }
                return 1;
        }
        /* a convention stated against its alternative: "X lives in A, not in B" */
        if ((strstr(s, ", not ") || find_phrase(s, "instead of")) && significant(s) >= 5)
                return 1;
        return 0;
}

/* The user withdraws something without putting anything in its place
 * ("X is no longer A; it is B" replaces, so it is a contradiction instead). */
static int is_forget(const char *s)
{
        int withdraw = find_phrase(s, "forget") || find_phrase(s, "no longer") ||
                       find_phrase(s, "not anymore") || find_phrase(s, "doesn't apply") ||
                       find_phrase(s, "does not apply") || find_phrase(s, "is obsolete");
        int replaces = strchr(s, ';') || find_phrase(s, "now") || find_phrase(s, "instead") ||
                       find_phrase(s, "but");
        return withdraw && !replaces;
}

/* A user message that corrects what the agent just did. */
static int is_correction(const char *text)
{
        const char *t = skip_space(text);
        static const char *const openers[] = {"no,", "no.", "no ", "nope", "actually,",
                                              "wrong", "that's not", "that is not",
                                              "not like that", "stop", NULL};
        for (int i = 0; openers[i]; i++) {
                if (starts_with_ci(t, openers[i]))
                        return 1;
        }
        return 0;
}

static int is_greeting_or_thanks(const char *s)
{
        static const char *const words[] = {"hi", "hello", "hey", "thanks", "thank you",
                                            "good", "great", "ok", "okay", "cool", "perfect",
                                            "nice", NULL};
        const char *t = skip_space(s);
        for (int i = 0; words[i]; i++) {
                size_t n = strlen(words[i]);
                if (strncasecmp(t, words[i], n) == 0 && !isalnum((unsigned char)t[n]))
                        return strlen(t) < n + 12;
        }
        return 0;
}

static int significant(const char *s)
{
        struct wordset w = {0};
        textsim_words(s, &w);
        size_t n = w.n;
        wordset_free(&w);
        return (int)n;
}

/* ---- candidates from the user's words ----------------------------------- */

static void from_user_message(struct cands *cs, const struct dream_event *ev, int correction)
{
        struct memory_list_str sentences = {0};
        split_sentences(ev->text, &sentences);
        struct buf clean = BUF_INIT;
        struct buf joined = BUF_INIT;
        for (size_t i = 0; i < sentences.n; i++) {
                const char *s = sentences.v[i];
                if (is_question(s) || is_greeting_or_thanks(s))
                        continue;
                if (correction) {
                        /* "No, don't push to main." → "Don't push to main." */
                        const char *t = skip_space(s);
                        if (i == 0) {
                                static const char *const strip[] = {"no, ", "no. ", "nope, ",
                                                                    "actually, ", NULL};
                                for (int k = 0; strip[k]; k++) {
                                        if (starts_with_ci(t, strip[k]))
                                                t = skip_space(t + strlen(strip[k]));
                                }
                                if (strcasecmp(t, "no.") == 0 || strcasecmp(t, "no") == 0)
                                        continue;
                        }
                        clean_statement(t, &clean);
                        if (significant(clean.ptr) < 2)
                                continue;
                        if (joined.len)
                                buf_addc(&joined, ' ');
                        buf_add(&joined, clean.ptr, clean.len);
                        continue;
                }
                clean_statement(s, &clean);
                if (significant(clean.ptr) < 3)
                        continue;
                if (is_forget(s)) {
                        struct cand *c = cand_add(cs, CAND_CUE, clean.ptr, ev);
                        c->forget = 1;
                } else {
                        cand_add(cs, has_cue(s) ? CAND_CUE : CAND_WEAK, clean.ptr, ev);
                }
        }
        if (correction && joined.len && significant(joined.ptr) >= 3)
                cand_add(cs, CAND_CORRECTION, joined.ptr, ev);
        buf_free(&clean);
        buf_free(&joined);
        memory_list_clear(&sentences);
}

/* ---- lessons from tool calls -------------------------------------------- */

static int is_transient(const char *err)
{
        static const char *const words[] = {"timed out", "timeout", "rate limit", "429", "503",
                                            "overloaded", "econnreset", "connection reset",
                                            "temporarily", "try again", "interrupted", NULL};
        for (int i = 0; words[i]; i++) {
                if (find_phrase(err, words[i]))
                        return 1;
        }
        return 0;
}

/* The command a tool call ran, for shell-like tools; else the tool name with
 * its input. Written into out. Returns 1 for a shell-like command. */
static int call_text(const struct dream_event *call, struct buf *out)
{
        buf_reset(out);
        const char *in = call->tool_input ? call->tool_input : "";
        const char *key = strstr(in, "\"command\":\"");
        if (key) {
                /* The JSON string value, unescaped enough for a memory. */
                for (const char *p = key + 11; *p && *p != '"'; p++) {
                        if (*p == '\\' && p[1]) {
                                p++;
                                buf_addc(out, *p == 'n' ? ' ' : *p);
                        } else {
                                buf_addc(out, *p);
                        }
                }
                return 1;
        }
        buf_addf(out, "%s %s", call->tool_name ? call->tool_name : "tool", in);
        return 0;
}

/* The most telling line of an error: the last one naming an error (tools
 * print context first and the cause last), else the first line. */
static void error_line(const char *text, struct buf *out)
{
        static const char *const marks[] = {"error", "not found", "no such", "no rule",
                                            "denied", "failed", "fail", "cannot", "could not",
                                            "unknown", "invalid", "rejected", "enoent", NULL};
        buf_reset(out);
        const char *best = NULL;
        size_t best_len = 0;
        const char *p = text;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t)(nl - p) : strlen(p);
                char *line = xstrndup(p, n);
                for (int i = 0; marks[i]; i++) {
                        if (strcasestr(line, marks[i])) {
                                best = p;
                                best_len = n;
                                break;
                        }
                }
                free(line);
                p = nl ? nl + 1 : p + n;
        }
        if (!best) {
                best = text;
                const char *nl = strchr(text, '\n');
                best_len = nl ? (size_t)(nl - text) : strlen(text);
        }
        /* strip tool prefixes such as "npm ERR! " that say nothing */
        while (best_len && isspace((unsigned char)*best)) {
                best++;
                best_len--;
        }
        if (best_len > 8 && strncmp(best, "npm ERR! ", 9) == 0) {
                best += 9;
                best_len -= 9;
        }
        if (best_len > 120)
                best_len = 120;
        buf_add(out, best, best_len);
        while (out->len && (isspace((unsigned char)out->ptr[out->len - 1]) ||
                            out->ptr[out->len - 1] == '.'))
                out->ptr[--out->len] = '\0';
}

static int instructive(const char *err)
{
        static const char *const words[] = {"must", "should", "use ", "expected", "format",
                                            "e.g.", "instead", "only", NULL};
        for (int i = 0; words[i]; i++) {
                if (strcasestr(err, words[i]))
                        return 1;
        }
        return 0;
}

/* Looks for failing calls followed by a succeeding variant in one session
 * (events [from, to) of in). */
static void lessons_in_session(struct cands *cs, const struct dream_input *in, size_t from,
                               size_t to)
{
        struct buf failed = BUF_INIT, fixed = BUF_INIT, err = BUF_INIT, text = BUF_INIT;
        for (size_t i = from; i < to; i++) {
                const struct dream_event *res = &in->events[i];
                if (!res->is_error || !res->tool_use_id || strcmp(res->role, "tool") != 0)
                        continue;
                /* its call: the nearest earlier event with the same link id */
                const struct dream_event *call = NULL;
                for (size_t k = i; k-- > from;) {
                        const struct dream_event *e = &in->events[k];
                        if (e->tool_name && e->tool_use_id &&
                            strcmp(e->tool_use_id, res->tool_use_id) == 0) {
                                call = e;
                                break;
                        }
                }
                if (!call || !res->text || is_transient(res->text))
                        continue;
                int shell = call_text(call, &failed);
                struct wordset fw = {0};
                textsim_words(failed.ptr, &fw);
                error_line(res->text, &err);
                /* the next calls of the same tool: the first that worked and resembles it */
                int calls_seen = 0;
                for (size_t k = i + 1; k < to && calls_seen < 4; k++) {
                        const struct dream_event *next = &in->events[k];
                        if (!next->tool_name || strcmp(next->role, "tool") == 0 ||
                            !call->tool_name || strcmp(next->tool_name, call->tool_name) != 0)
                                continue;
                        calls_seen++;
                        const struct dream_event *nres = NULL;
                        for (size_t r = k + 1; r < to; r++) {
                                const struct dream_event *e = &in->events[r];
                                if (strcmp(e->role, "tool") == 0 && e->tool_use_id &&
                                    next->tool_use_id &&
                                    strcmp(e->tool_use_id, next->tool_use_id) == 0) {
                                        nres = e;
                                        break;
                                }
                        }
                        if (!nres || nres->is_error)
                                continue;
                        call_text(next, &fixed);
                        if (strcmp(fixed.ptr, failed.ptr) == 0)
                                break; /* the same call again: a retry, not a lesson */
                        struct wordset nw = {0};
                        textsim_words(fixed.ptr, &nw);
                        double overlap = textsim_containment(&fw, &nw);
                        wordset_free(&nw);
                        if (overlap < 0.3)
                                continue;
                        buf_reset(&text);
                        if (shell)
                                buf_addf(&text, "When `%s` fails with `%s`, run `%s` instead.",
                                         failed.ptr, err.ptr, fixed.ptr);
                        else if (instructive(err.ptr))
                                buf_addf(&text, "`%s`: %s.", call->tool_name, err.ptr);
                        else
                                break;
                        struct cand *c = cand_add(cs, CAND_LESSON, text.ptr, res);
                        struct buf ref = BUF_INIT;
                        buf_addf(&ref, "%s/%s", call->session_id, call->event_id);
                        memory_list_add(&c->evidence, ref.ptr);
                        buf_reset(&ref);
                        buf_addf(&ref, "%s/%s", next->session_id, next->event_id);
                        memory_list_add(&c->evidence, ref.ptr);
                        buf_free(&ref);
                        break;
                }
                wordset_free(&fw);
        }
        buf_free(&failed);
        buf_free(&fixed);
        buf_free(&err);
        buf_free(&text);
}

/* ---- merging ------------------------------------------------------------ */

static int similar(const struct wordset *a, const struct wordset *b)
{
        size_t small = a->n < b->n ? a->n : b->n;
        if (small < 2)
                return 0;
        return textsim_jaccard(a, b) >= 0.5 ||
               (small >= 3 && textsim_containment(a, b) >= 0.75);
}

static void list_merge(struct memory_list_str *into, const struct memory_list_str *from)
{
        for (size_t i = 0; i < from->n; i++)
                memory_list_add(into, from->v[i]);
}

/* Folds candidate b into the cluster headed by a; the head keeps the
 * strongest text (cue > correction > lesson > weak, then more words). */
static void merge_into(struct cand *a, struct cand *b, int ai)
{
        int b_better = b->kind > a->kind || (b->kind == a->kind && b->words.n > a->words.n);
        if (b_better) {
                char *t = a->text;
                a->text = b->text;
                b->text = t;
                struct wordset w = a->words;
                a->words = b->words;
                b->words = w;
                enum cand_kind k = a->kind;
                a->kind = b->kind;
                b->kind = k;
        }
        list_merge(&a->evidence, &b->evidence);
        list_merge(&a->sessions, &b->sessions);
        a->satisfied += b->satisfied;
        a->failed += b->failed;
        if (b->last_seq > a->last_seq)
                a->last_seq = b->last_seq;
        b->merged_into = ai;
}

/* Words held by more than this many candidates say nothing about similarity. */
static size_t max_df_for(size_t n)
{
        return n / 20 > 64 ? n / 20 : 64;
}

/* Merges similar candidates into clusters, in candidate order. Strong
 * candidates (cues, corrections, lessons) cluster with each other; a weak
 * statement only ever joins a strong cluster (it reinforces, never leads).
 * Similar pairs are found through an inverted word index and exact word-set
 * keys, so the cost grows with the candidates, not with their pairs. */
static void cluster(struct cands *cs)
{
        struct word_index ix;
        struct strmap exact = STRMAP_INIT;
        struct buf key = BUF_INIT;
        size_t *cand = NULL, cap = 0;
        size_t max_df = max_df_for(cs->n);
        word_index_init(&ix);
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < cs->n; i++) {
                        struct cand *b = &cs->v[i];
                        if ((b->kind == CAND_WEAK) != (pass == 1))
                                continue;
                        textsim_key(&b->words, &key);
                        buf_addf(&key, "|%d", b->forget);
                        size_t head = (size_t)(uintptr_t)strmap_get(&exact, key.ptr);
                        if (head) {
                                merge_into(&cs->v[head - 1], b, (int)(head - 1));
                                continue;
                        }
                        size_t n = word_index_candidates(&ix, &b->words, max_df, &cand, &cap);
                        for (size_t k = 0; k < n; k++) {
                                struct cand *a = &cs->v[cand[k]];
                                if (a->merged_into >= 0 || a->forget != b->forget ||
                                    !similar(&a->words, &b->words))
                                        continue;
                                merge_into(a, b, (int)cand[k]);
                                word_index_add(&ix, cand[k], &a->words);
                                break;
                        }
                        if (b->merged_into >= 0 || pass == 1)
                                continue;
                        word_index_add(&ix, i, &b->words);
                        strmap_put(&exact, key.ptr, (void *)(uintptr_t)(i + 1));
                }
        }
        free(cand);
        buf_free(&key);
        strmap_free(&exact);
        word_index_free(&ix);
}

static double confidence_of(const struct cand *c)
{
        double base = c->kind == CAND_CUE ? 0.7 : c->kind == CAND_CORRECTION ? 0.65 : 0.6;
        base += 0.1 * (double)(c->sessions.n - 1);
        if (c->satisfied)
                base += 0.05;
        if (c->failed)
                base -= 0.1;
        if (base > 0.95)
                base = 0.95;
        if (base < 0.05)
                base = 0.05;
        return (double)(int)(base * 100 + 0.5) / 100;
}

/* ---- tags --------------------------------------------------------------- */

static void tags_for(const struct cand *c, struct buf *out)
{
        static const struct {
                const char *word, *tag;
        } map[] = {
                {"git", "git"}, {"branch", "git"}, {"push", "git"}, {"pr", "git"},
                {"test", "testing"}, {"pytest", "testing"}, {"suite", "testing"},
                {"lint", "lint"}, {"ruff", "lint"}, {"eslint", "lint"},
                {"npm", "dependencies"}, {"pip", "dependencies"}, {"install", "dependencies"},
                {"release", "release"}, {"tag", "release"}, {"deploy", "deploy"},
                {"order", "support"}, {"refund", "support"}, {"customer", "support"},
                {"ci", "ci"}, {"commit", "git"}, {NULL, NULL}};
        buf_reset(out);
        if (c->kind == CAND_LESSON)
                buf_adds(out, "lesson");
        for (int i = 0; map[i].word; i++) {
                if (!textsim_has(&c->words, map[i].word))
                        continue;
                /* each tag once */
                const char *p = strstr(out->ptr ? out->ptr : "", map[i].tag);
                if (p && (p == out->ptr || p[-1] == ',') &&
                    (p[strlen(map[i].tag)] == ',' || p[strlen(map[i].tag)] == '\0'))
                        continue;
                if (out->len)
                        buf_addc(out, ',');
                buf_adds(out, map[i].tag);
        }
}

/* ---- against the scope's memories ---------------------------------------- */

static int negated(const struct wordset *w)
{
        return textsim_has(w, "never") || textsim_has(w, "not") || textsim_has(w, "don") ||
               textsim_has(w, "no") || textsim_has(w, "avoid");
}

static int64_t staleness_of(const struct config *cfg, const char *cls)
{
        const char *v = config_get(cfg, "staleness", cls);
        int64_t secs;
        if (v && config_parse_duration(v, &secs, NULL) == 0)
                return secs;
        if (strcmp(cls, "session") == 0)
                return 14 * 86400;
        if (strcmp(cls, "pinned") == 0)
                return -1;
        return 180 * 86400;
}

void dream_memory_id(const char *scope, const char *text, char out[MEMORY_ID_LEN + 1])
{
        struct sha256 h;
        unsigned char d[32];
        char hex[65];
        sha256_init(&h);
        sha256_update(&h, scope, strlen(scope) + 1);
        sha256_update(&h, text, strlen(text));
        sha256_final(&h, d);
        sha256_digest_hex(d, hex);
        memcpy(out, MEMORY_ID_PREFIX, 4);
        memcpy(out + 4, hex, MEMORY_ID_HEX);
        out[MEMORY_ID_LEN] = '\0';
}

static void hunk_fill(struct dream_hunk *h, const struct cand *c, const char *rationale)
{
        list_merge(&h->evidence, &c->evidence);
        h->confidence = confidence_of(c);
        h->rationale = xstrdup(rationale);
        struct buf tags = BUF_INIT;
        tags_for(c, &tags);
        h->tags = buf_detach(&tags, NULL);
}

static const char *kind_name(enum cand_kind k)
{
        switch (k) {
        case CAND_CUE: return "the user asked for it to be kept";
        case CAND_CORRECTION: return "the user corrected the agent";
        case CAND_LESSON: return "a failing call was fixed by a variant";
        default: return "repeated by the user";
        }
}

int dream_heuristic_propose(void *ctx, const struct dream_input *in, struct dream_proposal *out,
                            struct err *err)
{
        (void)ctx;
        (void)err;
        struct cands cs = {0};
        /* 1. candidates, session by session */
        size_t start = 0;
        for (size_t i = 0; i <= in->nevents; i++) {
                if (i < in->nevents && (i == start || strcmp(in->events[i].session_id,
                                                             in->events[start].session_id) == 0))
                        continue;
                for (size_t k = start; k < i; k++) {
                        const struct dream_event *ev = &in->events[k];
                        if (strcmp(ev->role, "user") != 0 || !ev->text || !*ev->text ||
                            ev->is_sidechain)
                                continue;
                        /* a correction answers something the agent did */
                        int after_agent = k > start && (strcmp(in->events[k - 1].role, "assistant") == 0 ||
                                                        strcmp(in->events[k - 1].role, "tool") == 0);
                        from_user_message(&cs, ev, after_agent && is_correction(ev->text));
                }
                lessons_in_session(&cs, in, start, i);
                start = i;
        }

        /* 2. one candidate per fact, whatever the number of sessions saying it */
        cluster(&cs);

        /* 3. against what the scope already remembers */
        struct wordset *mw = xcalloc(in->nmemories ? in->nmemories : 1, sizeof(*mw));
        char *touched = xcalloc(in->nmemories ? in->nmemories : 1, 1);
        struct word_index mix;
        word_index_init(&mix);
        for (size_t m = 0; m < in->nmemories; m++) {
                textsim_words(in->memories[m].text ? in->memories[m].text : "", &mw[m]);
                word_index_add(&mix, m, &mw[m]);
        }
        size_t *near = NULL, near_cap = 0;
        size_t mem_max_df = max_df_for(in->nmemories);
        struct buf why = BUF_INIT;
        for (size_t i = 0; i < cs.n; i++) {
                struct cand *c = &cs.v[i];
                if (c->merged_into >= 0 || c->kind == CAND_WEAK)
                        continue; /* weak statements only ever reinforce a cue */
                size_t best = SIZE_MAX;
                double best_sim = 0;
                size_t nnear = word_index_candidates(&mix, &c->words, mem_max_df, &near,
                                                     &near_cap);
                for (size_t k = 0; k < nnear; k++) {
                        size_t m = near[k];
                        double s = textsim_jaccard(&c->words, &mw[m]);
                        double cont = textsim_containment(&c->words, &mw[m]);
                        if (cont > s && c->words.n >= 3 && mw[m].n >= 3)
                                s = (s + cont) / 2;
                        if (s > best_sim) {
                                best_sim = s;
                                best = m;
                        }
                }
                const struct dream_memory *mem = best != SIZE_MAX ? &in->memories[best] : NULL;
                if (c->forget) {
                        if (!mem || best_sim < 0.3 || mem->legal_hold)
                                continue;
                        struct dream_hunk *h = dream_proposal_add(out, DREAM_DELETE);
                        h->memory_id = xstrdup(mem->id);
                        h->path = xstrdup(mem->path);
                        h->old_text = xstrdup(mem->text);
                        buf_reset(&why);
                        buf_addf(&why, "the user withdrew it: \"%.80s\"", c->text);
                        hunk_fill(h, c, why.ptr);
                        touched[best] = 1;
                        continue;
                }
                if (mem && best_sim >= 0.45) {
                        touched[best] = 1;
                        int contradicts = negated(&c->words) != negated(&mw[best]);
                        if (!contradicts && best_sim >= 0.75) {
                                /* the same fact again: keep it fresh, spend no review */
                                for (size_t e = 0; e < c->evidence.n; e++) {
                                        char *ref = xstrdup(c->evidence.v[e]);
                                        char *slash = strchr(ref, '/');
                                        if (slash) {
                                                *slash = '\0';
                                                dream_proposal_reinforce(out, mem->id, ref,
                                                                         slash + 1);
                                        }
                                        free(ref);
                                }
                                continue;
                        }
                        struct dream_hunk *h = dream_proposal_add(out, DREAM_UPDATE);
                        h->memory_id = xstrdup(mem->id);
                        h->path = xstrdup(mem->path);
                        h->old_text = xstrdup(mem->text);
                        h->new_text = xstrdup(c->text);
                        buf_reset(&why);
                        if (contradicts)
                                buf_addf(&why, "newer sessions contradict it (%zu session%s)",
                                         c->sessions.n, c->sessions.n == 1 ? "" : "s");
                        else
                                buf_addf(&why, "restates it with new detail; %s",
                                         kind_name(c->kind));
                        hunk_fill(h, c, why.ptr);
                        continue;
                }
                struct dream_hunk *h = dream_proposal_add(out, DREAM_ADD);
                char id[MEMORY_ID_LEN + 1];
                dream_memory_id(in->scope, c->text, id);
                h->memory_id = xstrdup(id);
                struct buf path = BUF_INIT;
                memory_make_path(in->scope, id, c->text, strlen(c->text), &path);
                h->path = buf_detach(&path, NULL);
                h->new_text = xstrdup(c->text);
                buf_reset(&why);
                if (c->sessions.n > 1)
                        buf_addf(&why, "%s, in %zu sessions", kind_name(c->kind),
                                 c->sessions.n);
                else
                        buf_adds(&why, kind_name(c->kind));
                hunk_fill(h, c, why.ptr);
        }

        /* 4. memories nothing reinforced within their class's staleness window */
        for (size_t m = 0; m < in->nmemories; m++) {
                const struct dream_memory *mem = &in->memories[m];
                if (touched[m] || mem->legal_hold || !mem->retention)
                        continue;
                int64_t window = staleness_of(in->cfg, mem->retention);
                if (window < 0)
                        continue;
                const char *last = mem->last_reinforced && mem->updated &&
                                                   strcmp(mem->last_reinforced, mem->updated) > 0
                                           ? mem->last_reinforced
                                           : mem->updated;
                int64_t last_ms;
                if (!last || timestamp_parse(last, strlen(last), &last_ms) < 0)
                        continue;
                if (in->now_ms - last_ms <= window * 1000)
                        continue;
                int reinforced_now = 0;
                for (size_t r = 0; r < out->nr; r++)
                        reinforced_now |= strcmp(out->r[r].memory_id, mem->id) == 0;
                if (reinforced_now)
                        continue;
                struct dream_hunk *h = dream_proposal_add(out, DREAM_DELETE);
                h->memory_id = xstrdup(mem->id);
                h->path = xstrdup(mem->path);
                h->old_text = xstrdup(mem->text);
                buf_reset(&why);
                buf_addf(&why, "not reinforced since %.10s; class %s goes stale after %lld days",
                         last, mem->retention, (long long)(window / 86400));
                h->rationale = xstrdup(why.ptr);
                h->tags = xstrdup(mem->tags ? mem->tags : "");
                h->confidence = 0.5;
        }
        buf_free(&why);
        free(near);
        word_index_free(&mix);
        for (size_t m = 0; m < in->nmemories; m++)
                wordset_free(&mw[m]);
        free(mw);
        free(touched);
        cands_free(&cs);
        return 0;
}
