/* Review: list and show diffs, approve or reject hunks (review.h). */
#include "review.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db_review.h"
#include "db_store.h"
#include "home.h"
#include "owners.h"
#include "rules.h"
#include "sha256.h"
#include "store.h"
#include "timestamp.h"
#include "udiff.h"

#define EVIDENCE_TEXT_MAX 600

static void add_str(cJSON *o, const char *k, const char *v)
{
        if (v)
                cJSON_AddStringToObject(o, k, v);
        else
                cJSON_AddNullToObject(o, k);
}

/* The owners OWNERS gives path, as a JSON array (empty if none). */
static cJSON *owners_json(const struct owners *o, const char *path)
{
        cJSON *arr = cJSON_CreateArray();
        const struct owners_rule *r = o ? owners_for_path(o, path) : NULL;
        for (size_t i = 0; r && i < r->nowners; i++)
                cJSON_AddItemToArray(arr, cJSON_CreateString(r->owners[i]));
        return arr;
}

static cJSON *diff_summary(const struct review_diff_row *d)
{
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)d->id);
        add_str(o, "scope", d->scope);
        add_str(o, "state", d->state);
        add_str(o, "base_commit", d->base_commit);
        add_str(o, "source", d->source);
        cJSON_AddNumberToObject(o, "run", (double)d->run_id);
        add_str(o, "created_at", d->created_at);
        add_str(o, "updated_at", d->updated_at);
        if (d->superseded_by)
                cJSON_AddNumberToObject(o, "superseded_by", (double)d->superseded_by);
        return o;
}

/* May principal approve path? (admins: everything; else OWNERS). */
static int may_approve(struct home *h, const struct owners *o, const struct principal *p,
                       const char *path)
{
        if (strcmp(p->role, "admin") == 0)
                return 1;
        if (strcmp(p->role, "owner") != 0)
                return 0;
        const struct owners_rule *r = o ? owners_for_path(o, path) : NULL;
        struct err ignored;
        int owns = 0;
        return r && owners_principal_owns(h->db, r, p->name, &owns, &ignored) == 0 && owns;
}

int review_list(struct home *h, struct store *s, const struct review_filter *f,
                cJSON **out, struct err *err)
{
        struct review_diff_rows rows = {0};
        struct owners *o = NULL;
        struct principal p = {0};
        int found = 0;
        if (db_review_diffs(h->db, f ? f->scope : NULL, f && f->state ? f->state : "open",
                            &rows, err) < 0)
                return -1;
        if (store_owners(s, NULL, &o, err) < 0)
                goto fail;
        if (f && f->mine) {
                if (db_principals_get(h->db, f->mine, &p, &found, err) < 0)
                        goto fail;
                if (!found) {
                        err_set(err, "no principal '%s' (see `curator principals add`)", f->mine);
                        goto fail;
                }
        }
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < rows.n; i++) {
                const struct review_diff_row *d = &rows.v[i];
                struct review_hunk_rows hunks = {0};
                if (db_review_hunks(h->db, d->id, &hunks, err) < 0) {
                        cJSON_Delete(arr);
                        goto fail;
                }
                cJSON *owners = cJSON_CreateArray();
                int mine = 0;
                for (size_t k = 0; k < hunks.n; k++) {
                        const struct owners_rule *r = o ? owners_for_path(o, hunks.v[k].path) : NULL;
                        for (size_t j = 0; r && j < r->nowners; j++) {
                                int seen = 0;
                                const cJSON *e;
                                cJSON_ArrayForEach(e, owners) seen |=
                                        strcmp(e->valuestring, r->owners[j]) == 0;
                                if (!seen)
                                        cJSON_AddItemToArray(owners,
                                                             cJSON_CreateString(r->owners[j]));
                        }
                        if (found && strcmp(hunks.v[k].state, "pending") == 0 &&
                            !hunks.v[k].blocked)
                                mine |= may_approve(h, o, &p, hunks.v[k].path);
                }
                review_hunk_rows_free(&hunks);
                if (f && f->mine && !mine) {
                        cJSON_Delete(owners);
                        continue;
                }
                cJSON *sum = diff_summary(d);
                cJSON_AddNumberToObject(sum, "hunks", d->hunks);
                cJSON_AddNumberToObject(sum, "pending", d->pending);
                cJSON_AddNumberToObject(sum, "blocked", d->blocked);
                cJSON_AddItemToObject(sum, "owners", owners);
                cJSON_AddItemToArray(arr, sum);
        }
        *out = arr;
        owners_free(o);
        principal_clear(&p);
        review_diff_rows_free(&rows);
        return 0;
fail:
        owners_free(o);
        principal_clear(&p);
        review_diff_rows_free(&rows);
        return -1;
}

static cJSON *evidence_json(struct home *h, const char *evidence, struct err *err)
{
        cJSON *out = cJSON_CreateArray();
        cJSON *refs = cJSON_Parse(evidence ? evidence : "[]");
        const cJSON *ref;
        cJSON_ArrayForEach(ref, refs)
        {
                if (!cJSON_IsString(ref))
                        continue;
                char *copy = xstrdup(ref->valuestring);
                char *slash = strchr(copy, '/');
                cJSON *o = cJSON_CreateObject();
                add_str(o, "ref", ref->valuestring);
                if (strncmp(ref->valuestring, "memstore_", 9) == 0) {
                        /* imported from a platform memory store: store/memory@version */
                        add_str(o, "type", "platform.memory");
                        add_str(o, "role", "platform");
                        add_str(o, "session", copy);
                        add_str(o, "text", "");
                } else if (slash) {
                        *slash = '\0';
                        struct review_event ev = {0};
                        int found = 0;
                        if (db_review_event(h->db, copy, slash + 1, &ev, &found, err) == 0 &&
                            found) {
                                add_str(o, "session", ev.session_id);
                                add_str(o, "event", ev.event_id);
                                add_str(o, "time", ev.ts);
                                add_str(o, "role", ev.role);
                                add_str(o, "type", ev.type);
                                if (ev.tool_name) {
                                        add_str(o, "tool", ev.tool_name);
                                        add_str(o, "tool_input", ev.tool_input);
                                }
                                size_t n = ev.text ? strlen(ev.text) : 0;
                                if (n > EVIDENCE_TEXT_MAX) {
                                        /* cut on a UTF-8 boundary */
                                        n = EVIDENCE_TEXT_MAX;
                                        while (n && ((unsigned char)ev.text[n] & 0xc0) == 0x80)
                                                n--;
                                        ev.text[n] = '\0';
                                        cJSON_AddBoolToObject(o, "truncated", 1);
                                }
                                add_str(o, "text", ev.text ? ev.text : "");
                        } else {
                                cJSON_AddBoolToObject(o, "missing", 1); /* purged since */
                        }
                        review_event_clear(&ev);
                }
                free(copy);
                cJSON_AddItemToArray(out, o);
        }
        cJSON_Delete(refs);
        return out;
}

int review_show(struct home *h, struct store *s, int64_t diff_id, cJSON **out, struct err *err)
{
        struct review_diff_row d = {0};
        struct review_hunk_rows hunks = {0};
        struct owners *o = NULL;
        int found = 0;
        if (db_review_diff(h->db, diff_id, &d, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "no diff %lld", (long long)diff_id);
        if (db_review_hunks(h->db, diff_id, &hunks, err) < 0 ||
            store_owners(s, NULL, &o, err) < 0) {
                review_diff_row_clear(&d);
                review_hunk_rows_free(&hunks);
                return -1;
        }
        cJSON *root = diff_summary(&d);
        cJSON *arr = cJSON_AddArrayToObject(root, "hunks");
        int pending = 0, blocked = 0;
        for (size_t i = 0; i < hunks.n; i++) {
                const struct review_hunk_row *r = &hunks.v[i];
                cJSON *hj = cJSON_CreateObject();
                cJSON_AddNumberToObject(hj, "idx", r->idx);
                add_str(hj, "op", r->op);
                add_str(hj, "memory_id", r->memory_id);
                add_str(hj, "path", r->path);
                add_str(hj, "state", r->state);
                add_str(hj, "rationale", r->rationale);
                cJSON_AddNumberToObject(hj, "confidence", r->confidence);
                cJSON_AddBoolToObject(hj, "blocked", r->blocked);
                cJSON *findings = cJSON_Parse(r->findings ? r->findings : "[]");
                cJSON_AddItemToObject(hj, "findings", findings ? findings : cJSON_CreateArray());
                cJSON *tags = cJSON_AddArrayToObject(hj, "tags");
                if (r->tags && *r->tags) {
                        char *t = xstrdup(r->tags), *save = NULL;
                        for (char *tok = strtok_r(t, ",", &save); tok;
                             tok = strtok_r(NULL, ",", &save))
                                cJSON_AddItemToArray(tags, cJSON_CreateString(tok));
                        free(t);
                }
                cJSON_AddItemToObject(hj, "owners", owners_json(o, r->path));
                /* the memory as it is in the store now, not as it was at base */
                struct memory *now = NULL;
                struct err missing;
                char *current = NULL;
                if (strcmp(r->op, "add") != 0 &&
                    store_read_memory(s, r->memory_id, NULL, &now, &missing) == 0)
                        current = xstrndup(now->body, now->body_len);
                memory_free(now);
                add_str(hj, "old_text", current);
                add_str(hj, "new_text", r->new_text);
                struct buf ud = BUF_INIT;
                udiff_unified(current, strcmp(r->op, "delete") == 0 ? NULL : r->new_text,
                              r->path, &ud);
                add_str(hj, "diff", buf_cstr(&ud));
                buf_free(&ud);
                free(current);
                if (strcmp(r->op, "add") != 0 && !current)
                        cJSON_AddBoolToObject(hj, "memory_gone", 1);
                cJSON_AddItemToObject(hj, "evidence", evidence_json(h, r->evidence, err));
                add_str(hj, "decided_by", r->decided_by);
                add_str(hj, "decided_at", r->decided_at);
                add_str(hj, "reason", r->reason);
                add_str(hj, "commit", r->commit_id);
                pending += strcmp(r->state, "pending") == 0;
                blocked += r->blocked;
                cJSON_AddItemToArray(arr, hj);
        }
        cJSON_AddNumberToObject(root, "pending", pending);
        cJSON_AddNumberToObject(root, "blocked", blocked);
        *out = root;
        owners_free(o);
        review_diff_row_clear(&d);
        review_hunk_rows_free(&hunks);
        return 0;
}

int review_parse_hunks(const char *text, int **out, size_t *n, struct err *err)
{
        *out = NULL;
        *n = 0;
        size_t cap = 0;
        const char *p = text;
        while (*p) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 100000 || (*end && *end != ',')) {
                        free(*out);
                        *out = NULL;
                        return err_set(err, "hunks must be numbers like 1,3,5, not '%s'", text);
                }
                if (*n == cap) {
                        cap = cap ? cap * 2 : 8;
                        *out = xrealloc(*out, cap * sizeof(**out));
                }
                (*out)[(*n)++] = (int)v;
                p = *end ? end + 1 : end;
        }
        if (!*n)
                return err_set(err, "no hunk numbers given");
        return 0;
}

/* Picks the hunks a decision is about: the listed ones (each must exist and
 * be pending) or every pending one. Fills sel with indexes into hunks. */
static int select_hunks(const struct review_hunk_rows *hunks, const int *want, size_t nwant,
                        int64_t diff_id, int skip_blocked, size_t **sel, size_t *nsel,
                        struct err *err)
{
        *sel = xcalloc(hunks->n + 1, sizeof(**sel));
        *nsel = 0;
        if (!want || !nwant) {
                /* "the whole diff": every pending hunk that may be decided this way;
                 * an approval leaves blocked hunks pending, for a rejection */
                size_t blocked = 0;
                for (size_t i = 0; i < hunks->n; i++) {
                        if (strcmp(hunks->v[i].state, "pending") != 0)
                                continue;
                        if (skip_blocked && hunks->v[i].blocked) {
                                blocked++;
                                continue;
                        }
                        (*sel)[(*nsel)++] = i;
                }
                if (!*nsel)
                        return err_set(err, "diff %lld has no pending hunk%s", (long long)diff_id,
                                       blocked ? " that may be approved (the rest are blocked: "
                                                 "reject them)"
                                               : "");
                return 0;
        }
        for (size_t w = 0; w < nwant; w++) {
                size_t k = 0;
                while (k < hunks->n && hunks->v[k].idx != want[w])
                        k++;
                if (k == hunks->n)
                        return err_set(err, "diff %lld has no hunk %d (it has %zu)",
                                       (long long)diff_id, want[w], hunks->n);
                if (strcmp(hunks->v[k].state, "pending") != 0)
                        return err_set(err, "hunk %d of diff %lld is already %s", want[w],
                                       (long long)diff_id, hunks->v[k].state);
                int dup = 0;
                for (size_t j = 0; j < *nsel; j++)
                        dup |= (*sel)[j] == k;
                if (!dup)
                        (*sel)[(*nsel)++] = k;
        }
        return 0;
}

/* The diff's state from its hunks: some pending → pending or partially
 * approved; none pending → approved if any was approved, else rejected. */
static const char *state_from(const struct review_hunk_rows *hunks)
{
        int pending = 0, approved = 0, decided = 0;
        for (size_t i = 0; i < hunks->n; i++) {
                if (strcmp(hunks->v[i].state, "pending") == 0)
                        pending++;
                else
                        decided++;
                approved += strcmp(hunks->v[i].state, "approved") == 0;
        }
        if (pending)
                return decided ? "partially_approved" : "pending";
        return approved ? "approved" : "rejected";
}

static int open_state(const char *state)
{
        return strcmp(state, "pending") == 0 || strcmp(state, "partially_approved") == 0;
}

static int load_open_diff(struct home *h, int64_t diff_id, struct review_diff_row *d,
                          struct review_hunk_rows *hunks, struct err *err)
{
        int found = 0;
        if (db_review_diff(h->db, diff_id, d, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "no diff %lld", (long long)diff_id);
        if (!open_state(d->state))
                return err_set(err, "diff %lld is %s, not open for review", (long long)diff_id,
                               d->state);
        return db_review_hunks(h->db, diff_id, hunks, err);
}

static int load_reviewer(struct home *h, const struct review_diff_row *d, const char *name,
                         struct principal *p, struct err *err)
{
        int found = 0;
        if (db_principals_get(h->db, name, p, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "no principal '%s' (see `curator principals add`)", name);
        if (strcmp(p->role, "owner") != 0 && strcmp(p->role, "admin") != 0)
                return err_set(err, "%s has the role %s; only owners and admins review", name,
                               p->role);
        if (p->scopes && *p->scopes && strcmp(p->role, "admin") != 0) {
                int in = 0;
                char *copy = xstrdup(p->scopes), *save = NULL;
                for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                        in |= strcmp(t, d->scope) == 0;
                free(copy);
                if (!in)
                        return err_set(err, "%s may review the scopes %s, not %s", name,
                                       p->scopes, d->scope);
        }
        return 0;
}

static void hunk_list_text(const struct review_hunk_rows *hunks, const size_t *sel, size_t n,
                           struct buf *out)
{
        for (size_t i = 0; i < n; i++)
                buf_addf(out, "%s%d", i ? "," : "", hunks->v[sel[i]].idx);
}

/* A commit of this diff that already took some of these hunks (a previous
 * approval that died after the commit and before recording it)? Fills
 * commit with its id and returns 1. */
static int already_committed(struct store *s, int64_t diff_id, const char *hunk_list,
                             char commit[41])
{
        struct store_log log = {0};
        struct err ignored;
        int hit = 0;
        if (store_log(s, NULL, 200, &log, &ignored) < 0)
                return 0;
        char want[64];
        snprintf(want, sizeof(want), "%lld", (long long)diff_id);
        for (size_t i = 0; i < log.n && !hit; i++) {
                const struct store_commit *c = &log.v[i];
                int same_diff = 0;
                for (size_t t = 0; t < c->ntrailers; t++)
                        same_diff |= strcmp(c->trailers[t].key, "Diff-Id") == 0 &&
                                     strcmp(c->trailers[t].value, want) == 0;
                struct buf line = BUF_INIT;
                buf_addf(&line, "hunks %s of diff", hunk_list);
                if (same_diff && c->message && strstr(c->message, line.ptr)) {
                        memcpy(commit, c->id, 41);
                        hit = 1;
                }
                buf_free(&line);
        }
        store_log_free(&log);
        return hit;
}

static void split_csv(const char *s, struct memory_list_str *out)
{
        if (!s || !*s)
                return;
        char *copy = xstrdup(s), *save = NULL;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
                memory_list_add(out, t);
        free(copy);
}

static int approve_locked(struct home *h, struct store *s, const struct rules_set *rules,
                          int64_t diff_id, const int *want, size_t nwant, const char *principal,
                          const struct review_edit *edits, size_t nedits, char out_commit[41],
                          struct err *err)
{
        struct review_diff_row d = {0};
        struct review_hunk_rows hunks = {0};
        struct principal p = {0};
        struct owners *o = NULL;
        size_t *sel = NULL, nsel = 0;
        char **texts = NULL;
        struct store_change *changes = NULL;
        struct memory_list_str *srcs = NULL, *tags = NULL, evidence = {0};
        struct buf msg = BUF_INIT, list = BUF_INIT, detail = BUF_INIT;
        int rc = -1;

        if (load_open_diff(h, diff_id, &d, &hunks, err) < 0 ||
            load_reviewer(h, &d, principal, &p, err) < 0 ||
            select_hunks(&hunks, want, nwant, diff_id, 1, &sel, &nsel, err) < 0 ||
            store_owners(s, NULL, &o, err) < 0)
                goto out;
        for (size_t e = 0; e < nedits; e++) {
                int ok = 0;
                for (size_t i = 0; i < nsel; i++)
                        ok |= hunks.v[sel[i]].idx == edits[e].idx;
                if (!ok) {
                        err_set(err, "--edit %d: hunk %d is not among those being approved",
                                edits[e].idx, edits[e].idx);
                        goto out;
                }
        }
        texts = xcalloc(nsel, sizeof(*texts));
        for (size_t i = 0; i < nsel; i++) {
                const struct review_hunk_row *r = &hunks.v[sel[i]];
                if (r->blocked) {
                        err_set(err,
                                "hunk %d of diff %lld is blocked by the rules (findings: %s); "
                                "no one can approve it",
                                r->idx, (long long)diff_id, r->findings);
                        goto out;
                }
                if (!may_approve(h, o, &p, r->path)) {
                        const struct owners_rule *rule = o ? owners_for_path(o, r->path) : NULL;
                        struct buf who = BUF_INIT;
                        for (size_t k = 0; rule && k < rule->nowners; k++)
                                buf_addf(&who, "%s%s", k ? ", " : "", rule->owners[k]);
                        err_set(err,
                                "%s does not own hunk %d (%s): it is owned by %s (OWNERS line "
                                "%d); ask one of them or an admin",
                                principal, r->idx, r->path, who.len ? who.ptr : "no one",
                                rule ? rule->line : 0);
                        buf_free(&who);
                        goto out;
                }
                const char *text = r->new_text;
                for (size_t e = 0; e < nedits; e++) {
                        if (edits[e].idx == r->idx)
                                text = edits[e].text;
                }
                if (strcmp(r->op, "delete") != 0 && (!text || !*text)) {
                        err_set(err, "hunk %d: the text to approve is empty", r->idx);
                        goto out;
                }
                if (text && rules) {
                        /* the final text, edits included, passes the rules again */
                        struct rule_findings f = {0};
                        if (rules_scan(rules, text, strlen(text), &f, err) < 0)
                                goto out;
                        for (size_t k = 0; k < f.n; k++) {
                                if (f.v[k].action == RULE_BLOCK) {
                                        err_set(err,
                                                "hunk %d: the text is blocked by rule %s; edit "
                                                "it out or reject the hunk",
                                                r->idx, f.v[k].rule_id);
                                        rule_findings_free(&f);
                                        goto out;
                                }
                        }
                        struct buf red = BUF_INIT;
                        rules_redact(text, strlen(text), &f, RULES_MASK_REDACTING, &red);
                        texts[i] = buf_detach(&red, NULL);
                        rule_findings_free(&f);
                } else if (text) {
                        texts[i] = xstrdup(text);
                }
        }

        /* one commit for the approved hunks */
        changes = xcalloc(nsel, sizeof(*changes));
        srcs = xcalloc(nsel, sizeof(*srcs));
        tags = xcalloc(nsel, sizeof(*tags));
        for (size_t i = 0; i < nsel; i++) {
                const struct review_hunk_row *r = &hunks.v[sel[i]];
                struct store_change *c = &changes[i];
                cJSON *ev = cJSON_Parse(r->evidence ? r->evidence : "[]");
                const cJSON *e;
                cJSON_ArrayForEach(e, ev)
                {
                        if (cJSON_IsString(e)) {
                                memory_list_add(&srcs[i], e->valuestring);
                                memory_list_add(&evidence, e->valuestring);
                        }
                }
                cJSON_Delete(ev);
                split_csv(r->tags, &tags[i]);
                c->id = r->memory_id;
                c->legal_hold = -1;
                if (strcmp(r->op, "add") == 0) {
                        c->op = STORE_ADD;
                        c->scope = d.scope;
                        c->text = texts[i];
                        c->tags = (const char *const *)tags[i].v;
                        c->ntags = tags[i].n;
                        c->sources = (const char *const *)srcs[i].v;
                        c->nsources = srcs[i].n;
                } else if (strcmp(r->op, "update") == 0) {
                        c->op = STORE_UPDATE;
                        c->text = texts[i];
                        c->sources = (const char *const *)srcs[i].v;
                        c->nsources = srcs[i].n;
                        if (tags[i].n) {
                                c->tags = (const char *const *)tags[i].v;
                                c->ntags = tags[i].n;
                                c->tags_set = 1;
                        }
                } else {
                        c->op = STORE_DELETE;
                }
        }
        hunk_list_text(&hunks, sel, nsel, &list);
        buf_addf(&msg, "Approve %s in scope %s\n\nApproves hunks %s of diff %lld (%zu change%s).",
                 nsel == 1 ? "a memory change" : "memory changes", d.scope, list.ptr,
                 (long long)diff_id, nsel, nsel == 1 ? "" : "s");
        char diff_s[32], run_s[32], object[40];
        snprintf(diff_s, sizeof(diff_s), "%lld", (long long)diff_id);
        snprintf(object, sizeof(object), "diff:%lld", (long long)diff_id);
        snprintf(run_s, sizeof(run_s), "%lld", (long long)d.run_id);
        struct store_commit_info info = {
                .author_name = principal,
                .message = msg.ptr,
                .diff_id = diff_s,
                .dream_run = d.run_id ? run_s : NULL,
                .approved_by = principal,
                .evidence = (const char *const *)evidence.v,
                .nevidence = evidence.n,
        };
        char commit[41] = "";
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        if (!already_committed(s, diff_id, list.ptr, commit)) {
                int arc = store_apply_changes(s, changes, nsel, &info, d.base_commit, commit, err);
                if (arc == STORE_CONFLICT) {
                        struct err why = *err;
                        struct err e2;
                        if (db_begin(h->db, &e2) == 0) {
                                buf_addf(&detail, "{\"hunks\":\"%s\"}", list.ptr);
                                if (db_review_set_state(h->db, diff_id, d.state, "conflicted",
                                                        principal, now, why.msg, &e2) == 0 &&
                                    audit_append(h->db, principal, "review.conflict", object,
                                                 detail.ptr, &e2) == 0)
                                        db_commit(h->db, &e2);
                                else
                                        db_rollback(h->db);
                        }
                        err_set(err,
                                "diff %lld conflicts with the store: %s. The diff is marked "
                                "conflicted; the next dreaming pass proposes against the new "
                                "head.",
                                (long long)diff_id, why.msg);
                        rc = REVIEW_CONFLICT;
                        goto out;
                }
                if (arc < 0)
                        goto out;
        } else if (store_index_sync(s, err) < 0) {
                /* an approval that died after its commit: its index update was
                 * rolled back with it, so bring the index to head first */
                goto out;
        }

        /* record the decisions; the commit above is recoverable if this dies */
        if (db_begin(h->db, err) < 0)
                goto out;
        for (size_t i = 0; i < nsel; i++) {
                const struct review_hunk_row *r = &hunks.v[sel[i]];
                int edited = texts[i] && r->new_text && strcmp(texts[i], r->new_text) != 0;
                if (db_review_decide(h->db, r->id, "approved", principal, now, NULL, commit,
                                     edited ? texts[i] : NULL, err) < 0)
                        goto rollback;
                free(hunks.v[sel[i]].state);
                hunks.v[sel[i]].state = xstrdup("approved");
                if (edited) {
                        char before[65], after[65];
                        sha256_hex(r->new_text, strlen(r->new_text), before);
                        sha256_hex(texts[i], strlen(texts[i]), after);
                        buf_reset(&detail);
                        buf_addf(&detail,
                                 "{\"diff\":%lld,\"hunk\":%d,\"before_sha256\":\"%s\","
                                 "\"after_sha256\":\"%s\"}",
                                 (long long)diff_id, r->idx, before, after);
                        if (audit_append(h->db, principal, "review.edit", object, detail.ptr,
                                         err) < 0)
                                goto rollback;
                }
        }
        const char *to = state_from(&hunks);
        buf_reset(&detail);
        buf_addf(&detail, "approved hunks %s in commit %s", list.ptr, commit);
        if (db_review_set_state(h->db, diff_id, d.state, to, principal, now, detail.ptr, err) < 0)
                goto rollback;
        buf_reset(&detail);
        buf_addf(&detail, "{\"hunks\":[%s],\"commit\":\"%s\",\"state\":\"%s\"}", list.ptr, commit,
                 to);
        if (audit_append(h->db, principal, "review.approve", object, detail.ptr, err) < 0 ||
            db_commit(h->db, err) < 0)
                goto rollback;
        memcpy(out_commit, commit, 41);
        rc = 0;
        goto out;
rollback:
        db_rollback(h->db);
out:
        for (size_t i = 0; texts && i < nsel; i++)
                free(texts[i]);
        free(texts);
        for (size_t i = 0; srcs && i < nsel; i++) {
                memory_list_clear(&srcs[i]);
                memory_list_clear(&tags[i]);
        }
        free(srcs);
        free(tags);
        free(changes);
        free(sel);
        memory_list_clear(&evidence);
        buf_free(&msg);
        buf_free(&list);
        buf_free(&detail);
        owners_free(o);
        principal_clear(&p);
        review_diff_row_clear(&d);
        review_hunk_rows_free(&hunks);
        return rc;
}

static int reject_locked(struct home *h, struct store *s, int64_t diff_id, const int *want,
                         size_t nwant, const char *principal, const char *reason,
                         struct err *err)
{
        struct review_diff_row d = {0};
        struct review_hunk_rows hunks = {0};
        struct principal p = {0};
        struct owners *o = NULL;
        size_t *sel = NULL, nsel = 0;
        struct buf list = BUF_INIT, detail = BUF_INIT;
        int rc = -1;
        if (!reason || !*reason) {
                err_set(err, "a rejection needs a reason");
                goto out;
        }
        if (load_open_diff(h, diff_id, &d, &hunks, err) < 0 ||
            load_reviewer(h, &d, principal, &p, err) < 0 ||
            select_hunks(&hunks, want, nwant, diff_id, 0, &sel, &nsel, err) < 0 ||
            store_owners(s, NULL, &o, err) < 0)
                goto out;
        for (size_t i = 0; i < nsel; i++) {
                const struct review_hunk_row *r = &hunks.v[sel[i]];
                /* blocked hunks may be rejected by anyone who may review the scope */
                if (!r->blocked && !may_approve(h, o, &p, r->path)) {
                        err_set(err, "%s does not own hunk %d (%s); ask its owner or an admin",
                                principal, r->idx, r->path);
                        goto out;
                }
        }
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        char object[40];
        snprintf(object, sizeof(object), "diff:%lld", (long long)diff_id);
        hunk_list_text(&hunks, sel, nsel, &list);
        if (db_begin(h->db, err) < 0)
                goto out;
        for (size_t i = 0; i < nsel; i++) {
                if (db_review_decide(h->db, hunks.v[sel[i]].id, "rejected", principal, now,
                                     reason, NULL, NULL, err) < 0)
                        goto rollback;
                free(hunks.v[sel[i]].state);
                hunks.v[sel[i]].state = xstrdup("rejected");
        }
        const char *to = state_from(&hunks);
        buf_addf(&detail, "rejected hunks %s", list.ptr);
        if (db_review_set_state(h->db, diff_id, d.state, to, principal, now, detail.ptr, err) < 0)
                goto rollback;
        char reason_hash[65];
        sha256_hex(reason, strlen(reason), reason_hash);
        buf_reset(&detail);
        buf_addf(&detail, "{\"hunks\":[%s],\"state\":\"%s\",\"reason_sha256\":\"%s\"}", list.ptr,
                 to, reason_hash);
        if (audit_append(h->db, principal, "review.reject", object, detail.ptr, err) < 0 ||
            db_commit(h->db, err) < 0)
                goto rollback;
        rc = 0;
        goto out;
rollback:
        db_rollback(h->db);
out:
        free(sel);
        buf_free(&list);
        buf_free(&detail);
        owners_free(o);
        principal_clear(&p);
        review_diff_row_clear(&d);
        review_hunk_rows_free(&hunks);
        return rc;
}

/* Decisions hold the database's write lock from reading the hunks' states to
 * recording the outcome (the store commit included), so two reviewers, in
 * one process or several, can never both approve one hunk: the second sees
 * it already decided. */
int review_approve(struct home *h, struct store *s, const struct rules_set *rules,
                   int64_t diff_id, const int *want, size_t nwant, const char *principal,
                   const struct review_edit *edits, size_t nedits, char out_commit[41],
                   struct err *err)
{
        if (db_begin(h->db, err) < 0)
                return -1;
        int rc = approve_locked(h, s, rules, diff_id, want, nwant, principal, edits, nedits,
                                out_commit, err);
        if (rc == -1) {
                db_rollback(h->db);
                return -1;
        }
        struct err cerr;
        if (db_commit(h->db, &cerr) < 0) {
                db_rollback(h->db);
                *err = cerr;
                return -1;
        }
        return rc;
}

int review_reject(struct home *h, struct store *s, int64_t diff_id, const int *want,
                  size_t nwant, const char *principal, const char *reason, struct err *err)
{
        if (db_begin(h->db, err) < 0)
                return -1;
        int rc = reject_locked(h, s, diff_id, want, nwant, principal, reason, err);
        if (rc < 0) {
                db_rollback(h->db);
                return -1;
        }
        if (db_commit(h->db, err) < 0) {
                db_rollback(h->db);
                return -1;
        }
        return 0;
}
