/* Purges by retention class and legal holds (purge.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "db_store.h"
#include "forget.h"
#include "home.h"
#include "purge.h"
#include "retention.h"
#include "sha256.h"
#include "store_internal.h"

/* ---- holds ---- */

int purge_holds_load(struct db *db, struct purge_holds *out, struct err *err)
{
        memset(out, 0, sizeof(*out));
        return db_holds_list(db, 0, &out->list, err);
}

void purge_holds_free(struct purge_holds *h)
{
        hold_list_free(&h->list);
}

static const struct hold *find_hold(const struct purge_holds *h, const char *kind,
                                    const char *target, size_t target_len)
{
        for (size_t i = 0; target && i < h->list.n; i++) {
                const struct hold *x = &h->list.v[i];
                if (strcmp(x->kind, kind) == 0 && strlen(x->target) == target_len &&
                    memcmp(x->target, target, target_len) == 0)
                        return x;
        }
        return NULL;
}

const struct hold *purge_hold_for_memory(const struct purge_holds *h, const struct memory *m,
                                         int *front_matter)
{
        *front_matter = 0;
        const struct hold *x = find_hold(h, "memory", m->id, strlen(m->id));
        if (!x && m->scope)
                x = find_hold(h, "scope", m->scope, strlen(m->scope));
        for (size_t i = 0; !x && i < m->sources.n; i++) {
                const char *src = m->sources.v[i];
                const char *slash = strchr(src, '/');
                x = find_hold(h, "session", src, slash ? (size_t)(slash - src) : strlen(src));
        }
        if (!x && m->legal_hold)
                *front_matter = 1;
        return x;
}

const struct hold *purge_hold_for_event(const struct purge_holds *h, const char *session_id,
                                        const char *scope)
{
        const struct hold *x = find_hold(h, "session", session_id, strlen(session_id));
        if (!x && scope)
                x = find_hold(h, "scope", scope, strlen(scope));
        return x;
}

void purge_describe_hold(const struct hold *hold, struct buf *out)
{
        if (!hold) {
                buf_adds(out, "its front matter says legal_hold: true");
                return;
        }
        buf_addf(out, "legal hold %lld on %s %s (by %s at %s: %s)", (long long)hold->id, hold->kind,
                 hold->target, hold->created_by, hold->created_at, hold->reason);
}

int purge_check_principal(struct db *db, const char *principal, struct err *err)
{
        struct principal p = {0};
        int found = 0;
        if (!principal || !*principal)
                return err_set(err, "say who is acting with --as PRINCIPAL (role compliance or "
                                    "admin)");
        if (db_principals_get(db, principal, &p, &found, err) < 0)
                return -1;
        if (!found)
                return err_set(err, "'%s' is not a principal (see `curator principals list`)",
                               principal);
        int ok = strcmp(p.role, "compliance") == 0 || strcmp(p.role, "admin") == 0;
        if (!ok)
                err_set(err, "%s has role %s; only compliance and admin principals may do this",
                        principal, p.role);
        principal_clear(&p);
        return ok ? 0 : -1;
}

/* ---- the plan ---- */

void purge_plan_free(struct purge_plan *p)
{
        for (size_t i = 0; i < p->nmemories; i++) {
                free(p->memories[i].path);
                free(p->memories[i].scope);
                free(p->memories[i].expires);
        }
        free(p->memories);
        db_event_refs_free(&p->events);
        for (size_t i = 0; i < p->nskipped; i++) {
                free(p->skipped[i].kind);
                free(p->skipped[i].ref);
                free(p->skipped[i].hold);
        }
        free(p->skipped);
        memset(p, 0, sizeof(*p));
}

static void add_skip(struct purge_plan *p, const char *kind, const char *ref,
                     const struct hold *hold)
{
        int64_t hid = hold ? hold->id : 0;
        /* Held events are counted per session and hold, not listed one by one. */
        if (strcmp(kind, "events") == 0) {
                for (size_t i = 0; i < p->nskipped; i++) {
                        struct purge_skip *k = &p->skipped[i];
                        if (strcmp(k->kind, kind) == 0 && strcmp(k->ref, ref) == 0 &&
                            k->hold_id == hid) {
                                k->count++;
                                return;
                        }
                }
        }
        p->skipped = xrealloc(p->skipped, (p->nskipped + 1) * sizeof(*p->skipped));
        struct purge_skip *k = &p->skipped[p->nskipped++];
        struct buf d = BUF_INIT;
        purge_describe_hold(hold, &d);
        k->kind = xstrdup(kind);
        k->ref = xstrdup(ref);
        k->count = 1;
        k->hold_id = hid;
        k->hold = buf_detach(&d, NULL);
}

static int plan_memories(struct store *s, const struct purge_holds *holds, struct purge_plan *p,
                         struct err *err)
{
        struct db_store_rows rows = {0};
        struct buf text = BUF_INIT;
        int rc = -1;
        if (db_store_all(s->home->db, &rows, err) < 0)
                goto out;
        for (size_t i = 0; i < rows.n; i++) {
                const struct memory *m = rows.v[i].m;
                if (!m->expires || strcmp(m->expires, MEMORY_NEVER) == 0 ||
                    strcmp(m->expires, p->clock) > 0)
                        continue;
                int fm = 0;
                const struct hold *h = purge_hold_for_memory(holds, m, &fm);
                if (h || fm) {
                        add_skip(p, "memory", m->id, h);
                        continue;
                }
                git_oid blob;
                buf_reset(&text);
                if (git_oid_fromstr(&blob, rows.v[i].blob) < 0) {
                        err_set(err, "the index names a bad blob for %s", m->id);
                        goto out;
                }
                if (store_read_blob(s, &blob, &text, err) < 0)
                        goto out;
                p->memories = xrealloc(p->memories, (p->nmemories + 1) * sizeof(*p->memories));
                struct purge_memory *pm = &p->memories[p->nmemories++];
                memset(pm, 0, sizeof(*pm));
                snprintf(pm->id, sizeof(pm->id), "%s", m->id);
                pm->path = xstrdup(m->path);
                pm->scope = xstrdup(m->scope);
                pm->expires = xstrdup(m->expires);
                sha256_hex(text.ptr ? text.ptr : "", text.len, pm->sha256);
        }
        rc = 0;
out:
        buf_free(&text);
        db_store_rows_free(&rows);
        return rc;
}

/* The class events of scope are kept by: [events-retention] scope = class,
 * else the class called "events", else none (events are kept). */
static const struct retention_class *events_class(const struct store *s, const struct retention *r,
                                                  const char *scope)
{
        const char *name = config_get(s->home->cfg, "events-retention", scope);
        return retention_find(r, name ? name : "events");
}

static int plan_events(struct store *s, const struct retention *r, const struct purge_holds *holds,
                       int64_t now_ms, struct purge_plan *p, struct err *err)
{
        char **scopes = NULL;
        size_t n = 0;
        struct db_event_refs found = {0};
        int rc = -1;
        if (db_purge_event_scopes(s->home->db, &scopes, &n, err) < 0)
                goto out;
        for (size_t i = 0; i < n; i++) {
                const char *named = config_get(s->home->cfg, "events-retention", scopes[i]);
                const struct retention_class *c = events_class(s, r, scopes[i]);
                if (named && !c) {
                        err_set(err,
                                "curator.conf [events-retention] %s = %s: no such class in "
                                "[retention]",
                                scopes[i], named);
                        goto out;
                }
                if (!c || c->seconds < 0)
                        continue;
                char cutoff[TIMESTAMP_LEN + 1];
                timestamp_format(now_ms - c->seconds * 1000, cutoff);
                db_event_refs_free(&found);
                if (db_purge_expired_events(s->home->db, scopes[i], cutoff, &found, err) < 0)
                        goto out;
                for (size_t j = 0; j < found.n; j++) {
                        struct db_event_ref *e = &found.v[j];
                        const struct hold *h = purge_hold_for_event(holds, e->session_id, e->scope);
                        if (h) {
                                add_skip(p, "events", e->session_id, h);
                                continue;
                        }
                        if (p->events.n == p->events.cap) {
                                p->events.cap = p->events.cap ? p->events.cap * 2 : 64;
                                p->events.v =
                                    xrealloc(p->events.v, p->events.cap * sizeof(*p->events.v));
                        }
                        p->events.v[p->events.n++] = *e; /* moves the owned strings */
                        memset(e, 0, sizeof(*e));
                }
        }
        rc = 0;
out:
        db_event_refs_free(&found);
        for (size_t i = 0; i < n; i++)
                free(scopes[i]);
        free(scopes);
        return rc;
}

static int cmp_event_seq(const void *a, const void *b)
{
        const struct db_event_ref *x = a, *y = b;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void plan_digests(struct purge_plan *p)
{
        struct buf b = BUF_INIT;
        for (size_t i = 0; i < p->nmemories; i++)
                buf_addf(&b, "%s %s\n", p->memories[i].id, p->memories[i].sha256);
        sha256_hex(b.ptr ? b.ptr : "", b.len, p->memories_sha256);
        buf_reset(&b);
        for (size_t i = 0; i < p->events.n; i++)
                buf_addf(&b, "%s/%s %s\n", p->events.v[i].session_id, p->events.v[i].event_id,
                         p->events.v[i].sha256);
        sha256_hex(b.ptr ? b.ptr : "", b.len, p->events_sha256);
        buf_free(&b);
}

int purge_plan_compute(struct store *s, int64_t now_ms, struct purge_plan *out, struct err *err)
{
        struct retention *r = NULL;
        struct purge_holds holds = {0};
        memset(out, 0, sizeof(*out));
        timestamp_format(now_ms, out->clock);
        int rc = -1;
        if (retention_load(s->home->cfg, &r, err) < 0 || store_index_sync(s, err) < 0 ||
            store_head(s, out->head, err) < 0 || purge_holds_load(s->home->db, &holds, err) < 0)
                goto out;
        if (plan_memories(s, &holds, out, err) < 0 ||
            plan_events(s, r, &holds, now_ms, out, err) < 0)
                goto out;
        if (out->events.n)
                qsort(out->events.v, out->events.n, sizeof(*out->events.v), cmp_event_seq);
        plan_digests(out);
        rc = 0;
out:
        purge_holds_free(&holds);
        retention_free(r);
        if (rc < 0)
                purge_plan_free(out);
        return rc;
}

/* ---- carrying it out ---- */

/* 1 if a commit among the newest on main carries Purge-Id: id (its id in
 * commit), 0 if none does. */
static int find_purge_commit(struct store *s, int64_t id, char commit[41], struct err *err)
{
        struct store_log log = {0};
        char want[32];
        snprintf(want, sizeof(want), "%lld", (long long)id);
        if (store_log(s, NULL, 200, &log, err) < 0)
                return -1;
        int found = 0;
        for (size_t i = 0; i < log.n && !found; i++) {
                for (size_t j = 0; j < log.v[i].ntrailers; j++) {
                        if (strcmp(log.v[i].trailers[j].key, PURGE_ID_TRAILER) == 0 &&
                            strcmp(log.v[i].trailers[j].value, want) == 0) {
                                memcpy(commit, log.v[i].id, 41);
                                found = 1;
                        }
                }
        }
        store_log_free(&log);
        return found;
}

static void audit_detail(struct buf *d, int64_t purge_id, const char *clock, const char *commit,
                         const struct purge_plan *p)
{
        buf_addf(d,
                 "{\"purge\":%lld,\"clock\":\"%s\",\"commit\":\"%s\",\"memories\":%zu,"
                 "\"events\":%zu,\"skipped\":%zu,\"memories_sha256\":\"%s\","
                 "\"events_sha256\":\"%s\",\"memory_hashes\":[",
                 (long long)purge_id, clock, commit ? commit : "", p ? p->nmemories : 0,
                 p ? p->events.n : 0, p ? p->nskipped : 0, p ? p->memories_sha256 : "",
                 p ? p->events_sha256 : "");
        for (size_t i = 0; p && i < p->nmemories; i++)
                buf_addf(d, "%s{\"id\":\"%s\",\"sha256\":\"%s\"}", i ? "," : "", p->memories[i].id,
                         p->memories[i].sha256);
        buf_adds(d, "]}");
}

/* Deletes the events recorded for purge id, marks it done and audits it:
 * one transaction, so a crash leaves the purge pending and a rerun ends it. */
static int finish_purge(struct store *s, const char *principal, int64_t id, const char *commit,
                        const struct purge_plan *p, struct err *err)
{
        struct db *db = s->home->db;
        struct buf d = BUF_INIT;
        char object[48];
        if (db_begin(db, err) < 0)
                return -1;
        if (db_purge_apply_items(db, id, err) < 0)
                goto fail;
        snprintf(object, sizeof(object), "purge:%lld", (long long)id);
        audit_detail(&d, id, p ? p->clock : "", commit, p);
        if (db_purges_set_state(db, id, "done", commit && *commit ? commit : NULL, err) < 0 ||
            audit_append(db, principal, "retention.purge", object, buf_cstr(&d), err) < 0 ||
            db_commit(db, err) < 0)
                goto fail;
        buf_free(&d);
        return 0;
fail:
        db_rollback(db);
        buf_free(&d);
        return err_wrap(err, "purge %lld", (long long)id);
}

/* A purge a crash left pending: done if its commit landed (or it had no
 * memories to commit), abandoned if not: its plan is computed again. */
static int recover_purges(struct store *s, const char *principal, struct err *err)
{
        struct purge_rows rows = {0};
        int rc = 0;
        if (db_purges_list(s->home->db, "purge", "pending", &rows, err) < 0)
                return -1;
        for (size_t i = 0; i < rows.n && rc == 0; i++) {
                char commit[41] = "";
                int landed = rows.v[i].memories == 0;
                if (!landed) {
                        landed = find_purge_commit(s, rows.v[i].id, commit, err);
                        if (landed < 0) {
                                rc = -1;
                                break;
                        }
                }
                if (landed)
                        rc = finish_purge(s, principal, rows.v[i].id, commit, NULL, err);
                else
                        rc = db_purges_set_state(s->home->db, rows.v[i].id, "abandoned", NULL, err);
        }
        purge_rows_free(&rows);
        return rc;
}

static int record_plan(struct db *db, const char *principal, const struct purge_plan *p,
                       int64_t *id, struct err *err)
{
        struct purge_row row = {
            .kind = "purge",
            .state = "pending",
            .actor = (char *)principal,
            .clock = (char *)p->clock,
            .memories = (int64_t)p->nmemories,
            .events = (int64_t)p->events.n,
            .skipped = (int64_t)p->nskipped,
            .old_head = (char *)p->head,
            .memories_sha256 = (char *)p->memories_sha256,
            .events_sha256 = (char *)p->events_sha256,
        };
        struct buf ref = BUF_INIT;
        if (db_begin(db, err) < 0)
                return -1;
        if (db_purges_insert(db, &row, id, err) < 0)
                goto fail;
        for (size_t i = 0; i < p->nmemories; i++)
                if (db_purge_items_add(db, *id, "memory", p->memories[i].id, p->memories[i].sha256,
                                       err) < 0)
                        goto fail;
        for (size_t i = 0; i < p->events.n; i++) {
                buf_reset(&ref);
                buf_addf(&ref, "%s/%s", p->events.v[i].session_id, p->events.v[i].event_id);
                if (db_purge_items_add(db, *id, "event", buf_cstr(&ref), p->events.v[i].sha256,
                                       err) < 0)
                        goto fail;
        }
        buf_free(&ref);
        return db_commit(db, err);
fail:
        buf_free(&ref);
        db_rollback(db);
        return -1;
}

static int commit_removal(struct store *s, const char *principal, int64_t id,
                          const struct purge_plan *p, char out[41], struct err *err)
{
        struct store_change *ch = xcalloc(p->nmemories, sizeof(*ch));
        for (size_t i = 0; i < p->nmemories; i++) {
                ch[i].op = STORE_DELETE;
                ch[i].id = p->memories[i].id;
                ch[i].legal_hold = -1;
        }
        struct buf msg = BUF_INIT;
        /* Purge-Id is the message's last paragraph, so git reads it as a trailer. */
        buf_addf(&msg,
                 "Purge %zu expired memor%s\n\nRetention purge at %s: each memory's expires "
                 "time had passed and no legal hold covered it.\n\n%s: %lld\nPurged-By: %s\n",
                 p->nmemories, p->nmemories == 1 ? "y" : "ies", p->clock, PURGE_ID_TRAILER,
                 (long long)id, principal);
        struct store_commit_info info = {.author_name = principal, .message = buf_cstr(&msg)};
        int rc = store_apply_changes(s, ch, p->nmemories, &info, p->head, out, err);
        buf_free(&msg);
        free(ch);
        return rc;
}

int purge_run(struct store *s, const char *principal, int64_t now_ms, struct purge_plan *plan,
              struct purge_result *out, struct err *err)
{
        memset(out, 0, sizeof(*out));
        /* An erasure a crash interrupted is finished first: a purge must not
         * commit on top of a half-rewritten store. */
        if (purge_check_principal(s->home->db, principal, err) < 0 ||
            forget_recover(s, principal, err) < 0 || recover_purges(s, principal, err) < 0 ||
            purge_plan_compute(s, now_ms, plan, err) < 0)
                return -1;
        if (record_plan(s->home->db, principal, plan, &out->purge_id, err) < 0)
                return err_wrap(err, "recording the purge plan");
        forget_kill_point("purge-recorded");
        if (plan->nmemories) {
                int rc = commit_removal(s, principal, out->purge_id, plan, out->commit, err);
                if (rc < 0) {
                        struct err ignored;
                        db_purges_set_state(s->home->db, out->purge_id, "abandoned", NULL,
                                            &ignored);
                        return err_wrap(err,
                                        "removing the expired memories (purge %lld "
                                        "abandoned; nothing was removed)",
                                        (long long)out->purge_id);
                }
        }
        forget_kill_point("purge-committed");
        return finish_purge(s, principal, out->purge_id, out->commit, plan, err);
}

/* ---- holding ---- */

static int check_kind(const char *kind, struct err *err)
{
        if (kind && (!strcmp(kind, "memory") || !strcmp(kind, "scope") || !strcmp(kind, "session")))
                return 0;
        return err_set(err, "a hold is on a memory, a scope or a session");
}

/* Sets memory id's legal_hold front matter, unless it already says so. */
static int set_front_matter_hold(struct store *s, const char *principal, const char *id, int on,
                                 int64_t hold_id, struct err *err)
{
        struct memory *m = NULL;
        if (store_read_memory(s, id, NULL, &m, err) < 0)
                return -1;
        int same = m->legal_hold == on;
        memory_free(m);
        if (same)
                return 0;
        struct store_change ch = {.op = STORE_UPDATE, .id = id, .legal_hold = on};
        struct buf msg = BUF_INIT;
        buf_addf(&msg, "%s legal hold %lld on %s\n\nLegal-Hold: %lld\n", on ? "Place" : "Release",
                 (long long)hold_id, id, (long long)hold_id);
        struct store_commit_info info = {.author_name = principal, .message = buf_cstr(&msg)};
        char commit[41];
        int rc = store_apply_changes(s, &ch, 1, &info, NULL, commit, err);
        buf_free(&msg);
        return rc < 0 ? -1 : 0;
}

static void hold_audit_detail(struct buf *d, int64_t id, const char *kind, const char *target,
                              const char *reason)
{
        char rh[65];
        sha256_hex(reason ? reason : "", reason ? strlen(reason) : 0, rh);
        buf_addf(d, "{\"hold\":%lld,\"kind\":\"%s\",\"target\":\"", (long long)id, kind);
        buf_add_json_str(d, target, strlen(target));
        buf_addf(d, "\",\"reason_sha256\":\"%s\"}", rh);
}

int purge_hold_add(struct store *s, const char *principal, const char *kind, const char *target,
                   const char *reason, int64_t *id, struct err *err)
{
        struct db *db = s->home->db;
        struct buf d = BUF_INIT;
        char object[48];
        if (purge_check_principal(db, principal, err) < 0 || check_kind(kind, err) < 0)
                return -1;
        if (!target || !*target)
                return err_set(err, "name what to hold");
        if (!reason || !*reason)
                return err_set(err, "a legal hold needs a --reason");
        if (strcmp(kind, "memory") == 0) {
                struct memory *m = NULL;
                if (store_read_memory(s, target, NULL, &m, err) < 0)
                        return -1;
                memory_free(m);
        }
        if (db_begin(db, err) < 0)
                return -1;
        if (db_holds_add(db, kind, target, reason, principal, id, err) < 0)
                goto fail;
        snprintf(object, sizeof(object), "hold:%lld", (long long)*id);
        hold_audit_detail(&d, *id, kind, target, reason);
        if (audit_append(db, principal, "hold.add", object, buf_cstr(&d), err) < 0 ||
            db_commit(db, err) < 0)
                goto fail;
        buf_free(&d);
        /* The database hold is what purge and forget obey; the front matter
         * shows it in the store too. */
        if (strcmp(kind, "memory") == 0 &&
            set_front_matter_hold(s, principal, target, 1, *id, err) < 0)
                return err_wrap(err,
                                "hold %lld is in force, but the memory's legal_hold field "
                                "could not be set",
                                (long long)*id);
        return 0;
fail:
        buf_free(&d);
        db_rollback(db);
        return -1;
}

int purge_hold_remove(struct store *s, const char *principal, const char *kind, const char *target,
                      const char *reason, struct err *err)
{
        struct db *db = s->home->db;
        struct purge_holds holds = {0};
        struct buf d = BUF_INIT;
        int64_t id = 0;
        if (purge_check_principal(db, principal, err) < 0 || check_kind(kind, err) < 0)
                return -1;
        if (!target || !*target)
                return err_set(err, "name what to release");
        if (purge_holds_load(db, &holds, err) < 0)
                return -1;
        const struct hold *h = find_hold(&holds, kind, target, strlen(target));
        if (h)
                id = h->id;
        purge_holds_free(&holds);
        if (!h)
                return err_set(err, "%s %s is not under legal hold", kind, target);
        int found = 0;
        char object[48];
        if (db_begin(db, err) < 0)
                return -1;
        if (db_holds_release(db, kind, target, principal, reason, &found, err) < 0)
                goto fail;
        snprintf(object, sizeof(object), "hold:%lld", (long long)id);
        hold_audit_detail(&d, id, kind, target, reason);
        if (audit_append(db, principal, "hold.remove", object, buf_cstr(&d), err) < 0 ||
            db_commit(db, err) < 0)
                goto fail;
        buf_free(&d);
        if (strcmp(kind, "memory") == 0 &&
            set_front_matter_hold(s, principal, target, 0, id, err) < 0)
                return err_wrap(err,
                                "hold %lld is released, but the memory's legal_hold field "
                                "could not be cleared",
                                (long long)id);
        return 0;
fail:
        buf_free(&d);
        db_rollback(db);
        return -1;
}
