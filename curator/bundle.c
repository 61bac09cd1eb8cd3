#include "bundle.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int64_t bundle_estimate_tokens(size_t text_bytes)
{
        return BUNDLE_TOKENS_OVERHEAD + (int64_t)((text_bytes + 3) / 4);
}

int bundle_parse_format(const char *s, enum bundle_format *out, struct err *err)
{
        if (!s || strcmp(s, "json") == 0)
                *out = BUNDLE_JSON;
        else if (strcmp(s, "markdown") == 0)
                *out = BUNDLE_MARKDOWN;
        else
                return err_set(err, "format '%s' is not json or markdown", s);
        return 0;
}

struct ranked {
        const struct memory *m;
        int matched;
        double rank; /* lower is better; meaningful when matched */
};

static int ranked_cmp(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;
        if (x->matched != y->matched)
                return y->matched - x->matched;
        if (x->matched && x->rank != y->rank)
                return x->rank < y->rank ? -1 : 1;
        int c = strcmp(y->m->updated ? y->m->updated : "", x->m->updated ? x->m->updated : "");
        if (c)
                return c;
        if (x->m->sources.n != y->m->sources.n)
                return x->m->sources.n > y->m->sources.n ? -1 : 1;
        return strcmp(x->m->id, y->m->id);
}

static int id_cmp(const void *a, const void *b)
{
        const struct ranked *x = a, *y = b;
        return strcmp(x->m->id, y->m->id);
}

/* Counts the distinct query words (ASCII letters and digits, case folded)
 * that occur in text: the ranking where no index describes the commit. */
static int count_words(const char *q, const char *text)
{
        int count = 0;
        char word[128];
        const char *p = q;
        while (*p) {
                while (*p && !isalnum((unsigned char)*p))
                        p++;
                size_t n = 0;
                while (*p && isalnum((unsigned char)*p)) {
                        if (n + 1 < sizeof(word))
                                word[n++] = (char)tolower((unsigned char)*p);
                        p++;
                }
                word[n] = '\0';
                if (n && strcasestr(text, word))
                        count++;
        }
        return count;
}

static void add_json_field(struct buf *out, const char *key, const char *value)
{
        buf_addf(out, "\"%s\":", key);
        if (!value) {
                buf_adds(out, "null");
                return;
        }
        buf_addc(out, '"');
        buf_add_json_str(out, value, strlen(value));
        buf_addc(out, '"');
}

static void render_json(const struct ranked *r, const int *take, size_t n,
                        const struct bundle_query *bq, const char *commit,
                        const struct bundle_stats *st, struct buf *out)
{
        buf_addc(out, '{');
        add_json_field(out, "scope", bq->scope);
        buf_addc(out, ',');
        add_json_field(out, "commit", commit);
        buf_addc(out, ',');
        add_json_field(out, "query", bq->q && *bq->q ? bq->q : NULL);
        if (bq->budget_tokens > 0)
                buf_addf(out, ",\"budget_tokens\":%lld", (long long)bq->budget_tokens);
        else
                buf_adds(out, ",\"budget_tokens\":null");
        buf_addf(out,
                 ",\"tokens\":%lld,\"total\":%zu,\"matched\":%zu,\"returned\":%zu,"
                 "\"memories\":[",
                 (long long)st->tokens, st->total, st->matched, st->returned);
        int first = 1;
        for (size_t i = 0; i < n; i++) {
                if (!take[i])
                        continue;
                const struct memory *m = r[i].m;
                if (!first)
                        buf_addc(out, ',');
                first = 0;
                buf_addc(out, '{');
                add_json_field(out, "id", m->id);
                buf_addc(out, ',');
                add_json_field(out, "path", m->path);
                buf_addc(out, ',');
                add_json_field(out, "updated", m->updated);
                /* what the reviewers' retention view shows */
                buf_addc(out, ',');
                add_json_field(out, "owner", m->owner);
                buf_addc(out, ',');
                add_json_field(out, "retention", m->retention);
                buf_addc(out, ',');
                add_json_field(out, "expires", m->expires);
                buf_addf(out, ",\"legal_hold\":%s", m->legal_hold ? "true" : "false");
                buf_adds(out, ",\"tags\":[");
                for (size_t t = 0; t < m->tags.n; t++) {
                        buf_adds(out, t ? ",\"" : "\"");
                        buf_add_json_str(out, m->tags.v[t], strlen(m->tags.v[t]));
                        buf_addc(out, '"');
                }
                buf_addf(out, "],\"sources\":%zu,\"match\":%s", m->sources.n,
                         r[i].matched ? "true" : "false");
                if (r[i].matched)
                        buf_addf(out, ",\"rank\":%.6g", r[i].rank);
                buf_addf(out, ",\"tokens\":%lld,\"text\":\"",
                         (long long)bundle_estimate_tokens(m->body_len));
                buf_add_json_str(out, m->body ? m->body : "", m->body_len);
                buf_adds(out, "\"}");
        }
        buf_adds(out, "]}\n");
}

/* A block to paste into a system prompt: a heading that says where it came
 * from, then each memory under its id so an agent can cite or ask about it. */
static void render_markdown(const struct ranked *r, const int *take, size_t n,
                            const struct bundle_query *bq, const char *commit,
                            const struct bundle_stats *st, struct buf *out)
{
        buf_addf(out, "## Memories for scope %s\n\n", bq->scope);
        buf_addf(out, "Store commit %s; %zu of %zu memories, about %lld tokens.", commit,
                 st->returned, st->total, (long long)st->tokens);
        buf_adds(out, " These are curated lessons from earlier sessions; prefer them to "
                      "guessing.\n");
        for (size_t i = 0; i < n; i++) {
                if (!take[i])
                        continue;
                const struct memory *m = r[i].m;
                buf_addf(out, "\n### %s\n", m->id);
                size_t len = m->body_len;
                while (len && (m->body[len - 1] == '\n' || m->body[len - 1] == ' '))
                        len--;
                buf_add(out, m->body ? m->body : "", len);
                buf_addc(out, '\n');
        }
}

int bundle_render(struct memory *const *mems, size_t n, const struct db_store_hits *hits,
                  const struct bundle_query *bq, const char *commit, struct buf *out,
                  struct bundle_stats *st, struct err *err)
{
        if (!bq->scope || !memory_scope_valid(bq->scope))
                return err_set(err, "scope '%s' is not a valid scope name",
                               bq->scope ? bq->scope : "");
        if (bq->budget_tokens < 0)
                return err_set(err, "budget_tokens must be 0 or more, not %lld",
                               (long long)bq->budget_tokens);
        struct ranked *r = xcalloc(n ? n : 1, sizeof(*r));
        int *take = xcalloc(n ? n : 1, sizeof(*take));
        memset(st, 0, sizeof(*st));
        st->total = n;
        for (size_t i = 0; i < n; i++)
                r[i].m = mems[i];
        int have_q = bq->q && *bq->q;
        if (have_q && hits) {
                qsort(r, n, sizeof(*r), id_cmp);
                for (size_t h = 0; h < hits->n; h++) {
                        struct memory key = {.id = hits->v[h].id};
                        struct ranked k = {.m = &key};
                        struct ranked *f = bsearch(&k, r, n, sizeof(*r), id_cmp);
                        if (f && !f->matched) {
                                f->matched = 1;
                                f->rank = hits->v[h].rank;
                        }
                }
        } else if (have_q) {
                for (size_t i = 0; i < n; i++) {
                        int c = count_words(bq->q, r[i].m->body ? r[i].m->body : "");
                        r[i].matched = c > 0;
                        r[i].rank = -(double)c;
                }
        }
        qsort(r, n, sizeof(*r), ranked_cmp);
        for (size_t i = 0; i < n; i++) {
                st->matched += r[i].matched;
                int64_t t = bundle_estimate_tokens(r[i].m->body_len);
                if (bq->budget_tokens > 0 && st->tokens + t > bq->budget_tokens)
                        continue;
                take[i] = 1;
                st->tokens += t;
                st->returned++;
        }
        if (bq->format == BUNDLE_MARKDOWN)
                render_markdown(r, take, n, bq, commit, st, out);
        else
                render_json(r, take, n, bq, commit, st, out);
        free(take);
        free(r);
        return 0;
}

int bundle_scope_load(struct store *s, struct db *db, const char *commit, const char *scope,
                      struct bundle_scope **out, struct err *err)
{
        (void)db;
        if (!scope || !memory_scope_valid(scope))
                return err_set(err, "scope '%s' is not a valid scope name", scope ? scope : "");
        struct bundle_scope *bs = xcalloc(1, sizeof(*bs));
        if (store_resolve(s, commit ? commit : "HEAD", bs->commit, err) < 0 ||
            store_list(s, bs->commit, scope, &bs->mems, err) < 0) {
                bundle_scope_free(bs);
                return -1;
        }
        bs->scope = xstrdup(scope);
        *out = bs;
        return 0;
}

void bundle_scope_free(struct bundle_scope *bs)
{
        if (!bs)
                return;
        store_memories_free(&bs->mems);
        free(bs->scope);
        free(bs);
}

int bundle_render_scope(const struct bundle_scope *bs, struct db *db, const struct bundle_query *bq,
                        struct buf *out, struct bundle_stats *st, struct err *err)
{
        struct db_store_hits hits = {0};
        int use_hits = 0;
        if (bq->q && *bq->q && bs->mems.n) {
                /* bm25 comes from the index only while it describes the commit
                 * being served; a pinned older commit is ranked by word counts. */
                char indexed[41];
                int have = 0;
                if (db_store_index_head(db, indexed, &have, err) < 0)
                        return -1;
                if (have && strcmp(indexed, bs->commit) == 0) {
                        if (db_store_search(db, bq->scope, bq->q, bs->mems.n, &hits, err) < 0)
                                return -1;
                        use_hits = 1;
                }
        }
        int rc = bundle_render(bs->mems.v, bs->mems.n, use_hits ? &hits : NULL, bq, bs->commit, out,
                               st, err);
        db_store_hits_free(&hits);
        return rc;
}

int bundle_fetch(struct store *s, struct db *db, const struct bundle_query *bq, const char *commit,
                 struct buf *out, char commit_out[41], struct bundle_stats *st, struct err *err)
{
        struct bundle_scope *bs = NULL;
        if (bundle_scope_load(s, db, commit, bq->scope, &bs, err) < 0)
                return -1;
        int rc = bundle_render_scope(bs, db, bq, out, st, err);
        memcpy(commit_out, bs->commit, 41);
        bundle_scope_free(bs);
        return rc;
}
