/* A dreaming pass around the dreamers: lease, watermarks, the rules on every
 * proposed text, carrying over the open diff, and one transaction per scope. */
#include "dream.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "db.h"
#include "db_dream.h"
#include "home.h"
#include "rules.h"
#include "store.h"
#include "strmap.h"
#include "textsim.h"
#include "timestamp.h"

#define DREAM_LEASE "dream"
#define DREAM_LEASE_DEFAULT_MS (10 * 60 * 1000)

const char *dream_op_name(enum dream_op op)
{
        switch (op) {
        case DREAM_UPDATE: return "update";
        case DREAM_DELETE: return "delete";
        default: return "add";
        }
}

struct dream_hunk *dream_proposal_add(struct dream_proposal *p, enum dream_op op)
{
        if (p->n == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 16;
                p->v = xrealloc(p->v, p->cap * sizeof(*p->v));
        }
        struct dream_hunk *h = &p->v[p->n++];
        memset(h, 0, sizeof(*h));
        h->op = op;
        return h;
}

void dream_proposal_reinforce(struct dream_proposal *p, const char *memory_id,
                              const char *session_id, const char *event_id)
{
        if (p->nr == p->capr) {
                p->capr = p->capr ? p->capr * 2 : 16;
                p->r = xrealloc(p->r, p->capr * sizeof(*p->r));
        }
        struct dream_reinforcement *r = &p->r[p->nr++];
        r->memory_id = xstrdup(memory_id);
        r->session_id = xstrdup(session_id);
        r->event_id = xstrdup(event_id);
}

void dream_hunk_clear(struct dream_hunk *h)
{
        free(h->memory_id);
        free(h->path);
        free(h->old_text);
        free(h->new_text);
        free(h->tags);
        free(h->rationale);
        free(h->findings);
        memory_list_clear(&h->evidence);
        memset(h, 0, sizeof(*h));
}

void dream_proposal_free(struct dream_proposal *p)
{
        for (size_t i = 0; i < p->n; i++)
                dream_hunk_clear(&p->v[i]);
        for (size_t i = 0; i < p->nr; i++) {
                free(p->r[i].memory_id);
                free(p->r[i].session_id);
                free(p->r[i].event_id);
        }
        free(p->v);
        free(p->r);
        memset(p, 0, sizeof(*p));
}

void dream_result_free(struct dream_result *r)
{
        memory_list_clear(&r->diff_ids);
}

/* Text that ingest already redacted carries "[REDACTED:<rule>]" markers. A
 * memory built from evidence in which a block rule fired (an injection
 * planted for future agents, a private key) is blocked too: the marker hides
 * the match, not what the sentence was for. Adds those findings to arr. */
static void check_markers(const struct rules_set *rules, struct dream_hunk *h, cJSON *arr)
{
        static const char mark[] = "[REDACTED:";
        for (const char *p = h->new_text; rules && (p = strstr(p, mark)) != NULL;) {
                const char *id = p + sizeof(mark) - 1;
                const char *end = strchr(id, ']');
                if (!end)
                        break;
                enum rule_family family;
                enum rule_action action;
                if (rules_lookup(rules, id, (size_t)(end - id), &family, &action) &&
                    action == RULE_BLOCK) {
                        cJSON *o = cJSON_CreateObject();
                        char *rid = xstrndup(id, (size_t)(end - id));
                        cJSON_AddStringToObject(o, "rule", rid);
                        cJSON_AddStringToObject(o, "family", rule_family_name(family));
                        cJSON_AddStringToObject(o, "action", "block");
                        cJSON_AddNumberToObject(o, "start", (double)(p - h->new_text));
                        cJSON_AddNumberToObject(o, "end", (double)(end + 1 - h->new_text));
                        cJSON_AddStringToObject(o, "found", "at ingest");
                        cJSON_AddItemToArray(arr, o);
                        free(rid);
                        h->blocked = 1;
                }
                p = end + 1;
        }
}

int dream_check_hunk(const struct rules_set *rules, struct dream_hunk *h, struct err *err)
{
        cJSON *arr = cJSON_CreateArray();
        if (h->new_text)
                check_markers(rules, h, arr);
        if (h->new_text && rules) {
                struct rule_findings f = {0};
                size_t len = strlen(h->new_text);
                if (rules_scan(rules, h->new_text, len, &f, err) < 0) {
                        cJSON_Delete(arr);
                        return -1;
                }
                for (size_t i = 0; i < f.n; i++) {
                        cJSON *o = cJSON_CreateObject();
                        cJSON_AddStringToObject(o, "rule", f.v[i].rule_id);
                        cJSON_AddStringToObject(o, "family", rule_family_name(f.v[i].family));
                        cJSON_AddStringToObject(o, "action", rule_action_name(f.v[i].action));
                        cJSON_AddNumberToObject(o, "start", (double)f.v[i].start);
                        cJSON_AddNumberToObject(o, "end", (double)f.v[i].end);
                        cJSON_AddItemToArray(arr, o);
                        if (f.v[i].action == RULE_BLOCK)
                                h->blocked = 1;
                }
                if (f.n) {
                        struct buf red = BUF_INIT;
                        rules_redact(h->new_text, len, &f, RULES_MASK_REDACTING, &red);
                        free(h->new_text);
                        h->new_text = buf_detach(&red, NULL);
                }
                rule_findings_free(&f);
        }
        free(h->findings);
        h->findings = cJSON_PrintUnformatted(arr);
        cJSON_Delete(arr);
        return 0;
}

static void move_hunk(struct dream_proposal *to, struct dream_hunk *h)
{
        struct dream_hunk *slot = dream_proposal_add(to, h->op);
        *slot = *h;
        memset(h, 0, sizeof(*h));
}

/* Word sets of texts, indexed, for finding "the same fact" among many
 * without comparing every pair. */
struct fact_index {
        struct wordset *w; /* owned, one per text */
        size_t n;
        struct word_index ix;
};

static void fact_index_build(struct fact_index *fi, const char *const *texts, size_t n)
{
        fi->w = xcalloc(n ? n : 1, sizeof(*fi->w));
        fi->n = n;
        word_index_init(&fi->ix);
        for (size_t i = 0; i < n; i++) {
                textsim_words(texts[i] ? texts[i] : "", &fi->w[i]);
                word_index_add(&fi->ix, i, &fi->w[i]);
        }
}

static void fact_index_free(struct fact_index *fi)
{
        for (size_t i = 0; i < fi->n; i++)
                wordset_free(&fi->w[i]);
        free(fi->w);
        word_index_free(&fi->ix);
}

/* The first text of fi whose words overlap w by at least threshold
 * (Jaccard), or -1. */
static long fact_index_find(const struct fact_index *fi, const struct wordset *w,
                            double threshold, size_t **buf, size_t *cap)
{
        size_t n = word_index_candidates(&fi->ix, w, SIZE_MAX, buf, cap);
        for (size_t k = 0; k < n; k++) {
                if (textsim_jaccard(w, &fi->w[(*buf)[k]]) >= threshold)
                        return (long)(*buf)[k];
        }
        return -1;
}

/* The diff to store: the open diff's undecided hunks (still valid at the
 * current memories) merged with the new ones, minus texts reviewers already
 * rejected. The new hunk wins where both speak of one memory or one fact.
 * Returns how many new hunks made it. */
static size_t merge_proposals(struct dream_proposal *carried, struct dream_proposal *fresh,
                              const struct memory_list_str *rejected,
                              const struct store_memories *mems, struct dream_proposal *out)
{
        size_t kept = 0, *buf = NULL, cap = 0;
        struct fact_index rej, old_adds;
        fact_index_build(&rej, (const char *const *)rejected->v, rejected->n);
        const char **old_texts = xcalloc(carried->n + 1, sizeof(*old_texts));
        struct strmap old_by_memory = STRMAP_INIT;
        for (size_t c = 0; c < carried->n; c++) {
                old_texts[c] = carried->v[c].op == DREAM_ADD ? carried->v[c].new_text : NULL;
                strmap_put(&old_by_memory, carried->v[c].memory_id, (void *)(uintptr_t)(c + 1));
        }
        fact_index_build(&old_adds, old_texts, carried->n);
        struct wordset w = {0};
        for (size_t i = 0; i < fresh->n; i++) {
                struct dream_hunk *h = &fresh->v[i];
                textsim_words(h->new_text ? h->new_text : "", &w);
                if (h->new_text && fact_index_find(&rej, &w, 0.8, &buf, &cap) >= 0) {
                        dream_hunk_clear(h);
                        continue;
                }
                long same = (long)(uintptr_t)strmap_get(&old_by_memory, h->memory_id) - 1;
                if (same < 0 && h->op == DREAM_ADD && h->new_text)
                        same = fact_index_find(&old_adds, &w, 0.5, &buf, &cap);
                if (same < 0 || !carried->v[same].memory_id)
                        continue;
                struct dream_hunk *old = &carried->v[same];
                for (size_t e = 0; e < old->evidence.n; e++)
                        memory_list_add(&h->evidence, old->evidence.v[e]);
                if (old->confidence > h->confidence)
                        h->confidence = old->confidence;
                dream_hunk_clear(old);
        }
        wordset_free(&w);
        free(buf);
        fact_index_free(&rej);
        fact_index_free(&old_adds);
        strmap_free(&old_by_memory);
        free(old_texts);

        struct strmap now_by_id = STRMAP_INIT;
        for (size_t m = 0; m < mems->n; m++)
                strmap_put(&now_by_id, mems->v[m]->id, mems->v[m]);
        for (size_t c = 0; c < carried->n; c++) {
                struct dream_hunk *old = &carried->v[c];
                if (!old->memory_id)
                        continue;
                if (old->op == DREAM_ADD) {
                        move_hunk(out, old);
                        continue;
                }
                /* update/delete: refresh what it changes, or drop it if the memory is gone */
                const struct memory *now = strmap_get(&now_by_id, old->memory_id);
                if (!now) {
                        dream_hunk_clear(old);
                        continue;
                }
                free(old->old_text);
                old->old_text = xstrndup(now->body, now->body_len);
                move_hunk(out, old);
        }
        strmap_free(&now_by_id);
        for (size_t i = 0; i < fresh->n; i++) {
                if (fresh->v[i].memory_id) {
                        move_hunk(out, &fresh->v[i]);
                        kept++;
                }
        }
        return kept;
}

static void holder_name(struct buf *out)
{
        char host[256] = "";
        gethostname(host, sizeof(host) - 1);
        buf_addf(out, "%s:%ld", host, (long)getpid());
}

static int to_dream_memories(const struct store_memories *mems, struct dream_memory **out)
{
        struct dream_memory *v = xcalloc(mems->n ? mems->n : 1, sizeof(*v));
        for (size_t i = 0; i < mems->n; i++) {
                const struct memory *m = mems->v[i];
                v[i].id = xstrdup(m->id);
                v[i].path = xstrdup(m->path ? m->path : "");
                v[i].text = xstrndup(m->body, m->body_len);
                v[i].retention = m->retention ? xstrdup(m->retention) : NULL;
                v[i].updated = m->updated ? xstrdup(m->updated) : NULL;
                struct buf tags = BUF_INIT;
                for (size_t t = 0; t < m->tags.n; t++)
                        buf_addf(&tags, "%s%s", t ? "," : "", m->tags.v[t]);
                v[i].tags = buf_detach(&tags, NULL);
                v[i].legal_hold = m->legal_hold;
        }
        *out = v;
        return 0;
}

static void dream_memories_free(struct dream_memory *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].id);
                free(v[i].path);
                free(v[i].text);
                free(v[i].retention);
                free(v[i].updated);
                free(v[i].tags);
                free(v[i].last_reinforced);
        }
        free(v);
}

/* One scope: propose, check, and store diff + watermark in one transaction. */
static int dream_scope(struct home *h, struct store *store, const char *base, const char *scope,
                       dream_propose_fn propose, void *dctx, const struct dream_options *opts,
                       const char *dreamer, struct dream_result *res, struct err *err)
{
        struct dream_event *events = NULL;
        size_t nevents = 0;
        int64_t watermark = 0, max_seq = 0;
        struct store_memories mems = {0};
        struct dream_memory *dmems = NULL;
        struct dream_proposal fresh = {0}, carried = {0}, final = {0};
        struct memory_list_str rejected = {0};
        int rc = -1;

        if (db_dream_load_events(h->db, scope, &events, &nevents, &watermark, &max_seq, err) < 0)
                return -1;
        if (!nevents) {
                dream_events_free(events, nevents);
                return 0; /* nothing new: a pass creates nothing */
        }
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        if (!res->run_id && db_dream_run_start(h->db, dreamer, now, &res->run_id, err) < 0)
                goto out;
        if (opts->on_scope)
                opts->on_scope(opts->ctx, scope, nevents);
        res->scopes++;
        res->events += (int64_t)nevents;
        if (store_list(store, base, scope, &mems, err) < 0)
                goto out;
        to_dream_memories(&mems, &dmems);
        if (db_dream_fill_reinforced(h->db, dmems, mems.n, err) < 0)
                goto out;
        struct dream_input in = {
                .scope = scope,
                .events = events,
                .nevents = nevents,
                .memories = dmems,
                .nmemories = mems.n,
                .cfg = h->cfg,
                .now_ms = timestamp_now_ms(),
        };
        if (propose(dctx, &in, &fresh, err) < 0) {
                err_wrap(err, "scope %s", scope);
                goto out;
        }
        res->input_tokens += fresh.input_tokens;
        res->output_tokens += fresh.output_tokens;
        for (size_t i = 0; i < fresh.n; i++) {
                if (dream_check_hunk(opts->rules, &fresh.v[i], err) < 0)
                        goto out;
        }

        timestamp_now(now);
        if (db_begin(h->db, err) < 0)
                goto out;
        int64_t old_diff = 0;
        if (db_dream_open_diff(h->db, scope, &old_diff, &carried, err) < 0 ||
            db_dream_rejected_texts(h->db, scope, &rejected, err) < 0)
                goto rollback;
        /* a pass with nothing to add leaves an open diff as it is */
        size_t new_hunks = merge_proposals(&carried, &fresh, &rejected, &mems, &final);
        if (new_hunks) {
                int64_t diff_id = 0;
                if (db_dream_store_diff(h->db, res->run_id, scope, base, &final, old_diff, now,
                                        &diff_id, err) < 0)
                        goto rollback;
                res->diffs++;
                res->hunks += (int)final.n;
                for (size_t i = 0; i < final.n; i++)
                        res->blocked += final.v[i].blocked;
                struct buf id = BUF_INIT;
                buf_addf(&id, "%lld", (long long)diff_id);
                memory_list_add(&res->diff_ids, id.ptr);
                buf_free(&id);
        }
        if (db_dream_reinforce(h->db, &fresh, now, err) < 0 ||
            db_dream_set_watermark(h->db, scope, max_seq, now, err) < 0 ||
            db_commit(h->db, err) < 0)
                goto rollback;
        rc = 0;
        goto out;
rollback:
        db_rollback(h->db);
out:
        dream_events_free(events, nevents);
        dream_memories_free(dmems, mems.n);
        store_memories_free(&mems);
        dream_proposal_free(&fresh);
        dream_proposal_free(&carried);
        dream_proposal_free(&final);
        memory_list_clear(&rejected);
        return rc;
}

int dream_run_pass(struct home *h, const struct dream_options *opts, struct dream_result *res,
                   struct err *err)
{
        memset(res, 0, sizeof(*res));
        const char *dreamer = opts->dreamer ? opts->dreamer : "heuristic";
        dream_propose_fn propose = NULL;
        void *dctx = NULL;
        struct dream_llm *llm = NULL;
        if (strcmp(dreamer, "heuristic") == 0) {
                propose = dream_heuristic_propose;
        } else if (strcmp(dreamer, "llm") == 0) {
                if (dream_llm_new(h->cfg, &llm, err) < 0)
                        return -1;
                propose = dream_llm_propose;
                dctx = llm;
        } else {
                return err_set(err, "unknown dreamer '%s' (heuristic or llm)", dreamer);
        }

        int64_t lease_ms = opts->lease_ms > 0 ? opts->lease_ms : DREAM_LEASE_DEFAULT_MS;
        struct buf holder = BUF_INIT;
        holder_name(&holder);
        struct store *store = NULL;
        struct memory_list_str scopes = {0};
        int taken = 0, rc = -1;
        char *other = NULL;
        int64_t other_expires = 0;
        int64_t now_ms = timestamp_now_ms();
        if (db_lease_take(h->db, DREAM_LEASE, holder.ptr, now_ms, now_ms + lease_ms, &taken,
                          &other, &other_expires, err) < 0)
                goto out;
        if (!taken) {
                char until[TIMESTAMP_LEN + 1];
                timestamp_format(other_expires, until);
                err_set(err, "another dreaming pass is running (%s holds the lease until %s)",
                        other ? other : "?", until);
                goto out;
        }
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        if (db_dream_abandon_running(h->db, now, err) < 0 ||
            db_dream_scopes(h->db, opts->scope, &scopes, err) < 0 ||
            store_open(h, &store, err) < 0)
                goto release;
        char base[41];
        if (store_head(store, base, err) < 0)
                goto release;
        for (size_t i = 0; i < scopes.n; i++) {
                if (db_lease_renew(h->db, DREAM_LEASE, holder.ptr,
                                   timestamp_now_ms() + lease_ms, err) < 0)
                        goto fail_run;
                /* the run is recorded by the first scope with something new */
                if (dream_scope(h, store, base, scopes.v[i], propose, dctx, opts, dreamer, res,
                                err) < 0)
                        goto fail_run;
        }
        if (res->run_id) {
                timestamp_now(now);
                if (db_dream_run_finish(h->db, res->run_id, "done", res, NULL, now, err) < 0)
                        goto release;
                struct buf detail = BUF_INIT, object = BUF_INIT;
                buf_addf(&object, "dream-run:%lld", (long long)res->run_id);
                buf_addf(&detail,
                         "{\"dreamer\":\"%s\",\"events\":%lld,\"scopes\":%d,\"diffs\":%d,"
                         "\"hunks\":%d,\"blocked\":%d}",
                         dreamer, (long long)res->events, res->scopes, res->diffs, res->hunks,
                         res->blocked);
                int arc = audit_append(h->db, opts->actor, "dream", object.ptr, detail.ptr, err);
                buf_free(&detail);
                buf_free(&object);
                if (arc < 0)
                        goto release;
        }
        rc = 0;
        goto release;
fail_run:
        if (res->run_id) {
                struct err ignored;
                timestamp_now(now);
                db_dream_run_finish(h->db, res->run_id, "failed", res, err->msg, now, &ignored);
        }
release:
        db_lease_release(h->db, DREAM_LEASE, holder.ptr);
out:
        free(other);
        store_close(store);
        memory_list_clear(&scopes);
        buf_free(&holder);
        dream_llm_free(llm);
        return rc;
}
