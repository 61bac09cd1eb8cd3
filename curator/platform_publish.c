/* `publish` and `import` (platform.h): a scope's approved memories out to a
 * platform memory store, and a store's contents back in as a pending diff. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "db_dream.h"
#include "db_platform.h"
#include "dream.h"
#include "home.h"
#include "platform.h"
#include "rules.h"
#include "sha256.h"
#include "store.h"
#include "strmap.h"
#include "timestamp.h"
#include "http_client.h"

void platform_publish_result_free(struct platform_publish_result *r)
{
        memory_list_clear(&r->problems);
}

/* The platform path of a memory: "/" + its file name in the store. */
static char *platform_path_of(const struct memory *m)
{
        const char *path = m->path ? m->path : "";
        const char *base = strrchr(path, '/');
        struct buf out = BUF_INIT;
        buf_addf(&out, "/%s", base ? base + 1 : path);
        return buf_detach(&out, NULL);
}

/* Decodes one UTF-8 sequence at s; returns its length, 0 if invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
        if (s[0] < 0x80) {
                *cp = s[0];
                return 1;
        }
        size_t len = (s[0] & 0xe0) == 0xc0   ? 2
                     : (s[0] & 0xf0) == 0xe0 ? 3
                     : (s[0] & 0xf8) == 0xf0 ? 4
                                             : 0;
        if (!len || len > n)
                return 0;
        unsigned c = s[0] & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
            c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return len;
}

/* Checks a path against the platform's rules (PLATFORM.md §2). Combining
 * marks are refused rather than normalized: curator cannot prove NFC
 * without a Unicode library, and its own paths are ASCII. */
static const char *platform_path_problem(const char *path)
{
        size_t n = strlen(path);
        if (n < 2 || path[0] != '/')
                return "the path must start with / and name a file";
        if (n > 1024)
                return "the path is longer than 1,024 bytes";
        const char *seg = path + 1;
        for (;;) {
                const char *end = strchr(seg, '/');
                size_t sl = end ? (size_t)(end - seg) : strlen(seg);
                if (sl == 0 || (sl == 1 && seg[0] == '.') ||
                    (sl == 2 && seg[0] == '.' && seg[1] == '.'))
                        return "the path has an empty, . or .. segment";
                if (!end)
                        break;
                seg = end + 1;
        }
        const unsigned char *s = (const unsigned char *)path;
        for (size_t i = 0; i < n;) {
                unsigned cp;
                size_t l = utf8_next(s + i, n - i, &cp);
                if (!l)
                        return "the path is not valid UTF-8";
                if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x2028 || cp == 0x2029 ||
                    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
                    (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff || cp == 0xad)
                        return "the path holds a control or format character";
                if (cp >= 0x300 && cp <= 0x36f)
                        return "the path holds a combining mark (it may not be NFC)";
                i += l;
        }
        return NULL;
}

/* What the platform store holds now, from a full listing. */
struct remote {
        char *id, *path, *sha; /* owned */
        char *content;         /* owned, view=full listings only */
        char *version;         /* owned: memory_version_id */
        int handled;
};
struct remotes {
        struct remote *v;
        size_t n, cap;
};

static void remotes_free(struct remotes *r)
{
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].id);
                free(r->v[i].path);
                free(r->v[i].sha);
                free(r->v[i].content);
                free(r->v[i].version);
        }
        free(r->v);
        memset(r, 0, sizeof(*r));
}

static const char *jstr(const cJSON *o, const char *k)
{
        return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static void store_base(struct buf *q, const char *store_id)
{
        buf_adds(q, "/v1/memory_stores/");
        http_url_escape(q, store_id);
}

/* Lists every memory of the store (prefix rows skipped), every page. */
static int list_remote(struct platform *p, const char *store_id, int full, struct remotes *out,
                       struct err *err)
{
        char *page = NULL;
        int rc = 0;
        int limit = platform_page_limit(p);
        if (limit > 100)
                limit = 100;
        if (full && limit > 20)
                limit = 20; /* the most a view=full page may ask for */
        for (;;) {
                struct buf q = BUF_INIT;
                store_base(&q, store_id);
                buf_addf(&q, "/memories?limit=%d&view=%s", limit, full ? "full" : "basic");
                if (page) {
                        buf_adds(&q, "&page=");
                        http_url_escape(&q, page);
                }
                cJSON *res = NULL;
                rc = platform_call(p, PLATFORM_MEMORY, "GET", q.ptr, NULL, &res, NULL, err);
                buf_free(&q);
                if (rc < 0)
                        break;
                const cJSON *m;
                cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(res, "data"))
                {
                        const char *type = jstr(m, "type");
                        if (type && strcmp(type, "memory") != 0)
                                continue;
                        const char *id = jstr(m, "id"), *path = jstr(m, "path");
                        if (!id || !path)
                                continue;
                        if (out->n == out->cap) {
                                out->cap = out->cap ? out->cap * 2 : 32;
                                out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
                        }
                        struct remote *r = &out->v[out->n++];
                        memset(r, 0, sizeof(*r));
                        r->id = xstrdup(id);
                        r->path = xstrdup(path);
                        const char *sha = jstr(m, "content_sha256");
                        r->sha = xstrdup(sha ? sha : "");
                        const char *content = jstr(m, "content");
                        r->content = content ? xstrdup(content) : NULL;
                        const char *ver = jstr(m, "memory_version_id");
                        r->version = ver ? xstrdup(ver) : NULL;
                }
                const char *next = jstr(res, "next_page");
                free(page);
                page = next && *next ? xstrdup(next) : NULL;
                cJSON_Delete(res);
                if (!page)
                        break;
        }
        free(page);
        return rc < 0 ? rc : 0;
}

static struct remote *remote_by(struct remotes *r, const char *path, const char *id)
{
        for (size_t i = 0; i < r->n; i++) {
                if ((path && strcmp(r->v[i].path, path) == 0) ||
                    (id && strcmp(r->v[i].id, id) == 0))
                        return &r->v[i];
        }
        return NULL;
}

struct publish_ctx {
        struct home *h;
        struct platform *p;
        const struct platform_publish_options *o;
        struct platform_publish_result *res;
        const char *actor;
};

static void problem(struct publish_ctx *x, const char *memory_id, const char *why)
{
        struct buf b = BUF_INIT;
        buf_addf(&b, "%s: %s", memory_id, why);
        memory_list_add(&x->res->problems, b.ptr);
        buf_free(&b);
}

static int record(struct publish_ctx *x, const char *memory_id, const char *pid, const char *path,
                  const char *sha, struct err *err)
{
        struct platform_mapping m = {(char *)memory_id, (char *)pid, (char *)path, (char *)sha};
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        return db_platform_mapping_put(x->h->db, x->o->memory_store_id, x->o->scope, &m, now, err);
}

/* The memory's content hash from an answer, or the one we computed. */
static const char *answer_sha(const cJSON *ans, const char *fallback)
{
        const char *s = jstr(ans, "content_sha256");
        return s && *s ? s : fallback;
}

/* POST .../memories/{pid} with the precondition that it still holds
 * expected. Returns 0, PLATFORM_REFUSED with perr, or -1/DENIED. */
static int update_memory(struct publish_ctx *x, const char *pid, const char *content,
                         const char *expected, cJSON **ans, struct platform_error *perr,
                         struct err *err)
{
        struct buf q = BUF_INIT;
        store_base(&q, x->o->memory_store_id);
        buf_adds(&q, "/memories/");
        http_url_escape(&q, pid);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "content", content);
        cJSON *pre = cJSON_AddObjectToObject(body, "precondition");
        cJSON_AddStringToObject(pre, "type", "content_sha256");
        cJSON_AddStringToObject(pre, "content_sha256", expected);
        int rc = platform_call(x->p, PLATFORM_MEMORY, "POST", q.ptr, body, ans, perr, err);
        cJSON_Delete(body);
        buf_free(&q);
        return rc;
}

/* DELETE a platform memory unless it changed from expected; 404 is done. */
static int delete_memory(struct publish_ctx *x, const char *pid, const char *expected,
                         struct err *err)
{
        struct buf q = BUF_INIT;
        store_base(&q, x->o->memory_store_id);
        buf_adds(&q, "/memories/");
        http_url_escape(&q, pid);
        if (expected && *expected) {
                buf_adds(&q, "?expected_content_sha256=");
                http_url_escape(&q, expected);
        }
        struct platform_error perr;
        int rc = platform_call(x->p, PLATFORM_MEMORY, "DELETE", q.ptr, NULL, NULL, &perr, err);
        buf_free(&q);
        if (rc == PLATFORM_REFUSED && perr.status == 404)
                return 0;
        return rc;
}

/* Redacts every version of platform memory pid not redacted yet. */
static int redact_versions(struct publish_ctx *x, const char *pid, unsigned *redacted,
                           struct err *err)
{
        char *page = NULL;
        int rc = 0;
        struct memory_list_str todo = {0};
        for (;;) {
                struct buf q = BUF_INIT;
                store_base(&q, x->o->memory_store_id);
                buf_addf(&q, "/memory_versions?limit=%d&memory_id=",
                         platform_page_limit(x->p) > 100 ? 100 : platform_page_limit(x->p));
                http_url_escape(&q, pid);
                if (page) {
                        buf_adds(&q, "&page=");
                        http_url_escape(&q, page);
                }
                cJSON *res = NULL;
                rc = platform_call(x->p, PLATFORM_MEMORY, "GET", q.ptr, NULL, &res, NULL, err);
                buf_free(&q);
                if (rc < 0)
                        break;
                const cJSON *v;
                cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(res, "data"))
                {
                        const char *vid = jstr(v, "id");
                        const cJSON *red = cJSON_GetObjectItemCaseSensitive(v, "redacted_at");
                        if (vid && (!red || cJSON_IsNull(red)))
                                memory_list_add(&todo, vid);
                }
                const char *next = jstr(res, "next_page");
                free(page);
                page = next && *next ? xstrdup(next) : NULL;
                cJSON_Delete(res);
                if (!page)
                        break;
        }
        free(page);
        for (size_t i = 0; rc == 0 && i < todo.n; i++) {
                struct buf q = BUF_INIT;
                store_base(&q, x->o->memory_store_id);
                buf_adds(&q, "/memory_versions/");
                http_url_escape(&q, todo.v[i]);
                buf_adds(&q, "/redact");
                cJSON *empty = cJSON_CreateObject();
                struct platform_error perr;
                rc = platform_call(x->p, PLATFORM_MEMORY, "POST", q.ptr, empty, NULL, &perr, err);
                cJSON_Delete(empty);
                buf_free(&q);
                if (rc == 0)
                        (*redacted)++;
        }
        memory_list_clear(&todo);
        return rc < 0 ? rc : 0;
}

/* An erased memory: gone from the platform, every version redacted, the
 * mapping dropped, the audit log told. */
static int erase_published(struct publish_ctx *x, const struct platform_mapping *m,
                           struct remotes *remote, struct err *err)
{
        struct remote *r = remote_by(remote, NULL, m->platform_memory_id);
        if (r)
                r->handled = 1;
        unsigned redacted = 0;
        if (!x->o->dry_run) {
                if (delete_memory(x, m->platform_memory_id, r ? r->sha : NULL, err) < 0)
                        return -1;
                if (redact_versions(x, m->platform_memory_id, &redacted, err) < 0)
                        return -1;
                struct buf d = BUF_INIT;
                buf_adds(&d, "{\"memory_store\":\"");
                buf_add_json_str(&d, x->o->memory_store_id, strlen(x->o->memory_store_id));
                buf_adds(&d, "\",\"platform_memory\":\"");
                buf_add_json_str(&d, m->platform_memory_id, strlen(m->platform_memory_id));
                buf_addf(&d, "\",\"deleted\":%s,\"versions_redacted\":%u}", r ? "true" : "false",
                         redacted);
                int rc = db_begin(x->h->db, err);
                if (rc == 0)
                        rc = audit_append(x->h->db, x->actor, "platform.erase", m->memory_id, d.ptr,
                                          err);
                if (rc == 0)
                        rc = db_platform_forget_memory(x->h->db, x->o->memory_store_id,
                                                       m->memory_id, err);
                if (rc == 0)
                        rc = db_commit(x->h->db, err);
                else
                        db_rollback(x->h->db);
                buf_free(&d);
                if (rc < 0)
                        return -1;
        }
        x->res->erased++;
        x->res->redacted += redacted;
        if (r)
                x->res->deleted++;
        return 0;
}

/* Creates the memory at path; on a path conflict takes the conflicting
 * memory and updates it with a precondition on what it holds. */
static int publish_one(struct publish_ctx *x, const struct memory *m, const char *path,
                       const char *content, size_t len, const char *sha, struct remotes *remote,
                       const struct platform_mapping *mapped, struct err *err)
{
        struct remote *r = remote_by(remote, path, NULL);
        if (!r && mapped)
                r = remote_by(remote, NULL, mapped->platform_memory_id);
        cJSON *ans = NULL;
        struct platform_error perr;
        int rc;
        if (r) {
                r->handled = 1;
                if (strcmp(r->sha, sha) == 0 && strcmp(r->path, path) == 0) {
                        x->res->unchanged++;
                        if (mapped && strcmp(mapped->platform_memory_id, r->id) == 0 &&
                            strcmp(mapped->content_sha256, sha) == 0)
                                return 0;
                        return x->o->dry_run ? 0 : record(x, m->id, r->id, path, sha, err);
                }
                if (x->o->dry_run) {
                        x->res->updated++;
                        return 0;
                }
                rc = update_memory(x, r->id, content, r->sha, &ans, &perr, err);
                if (rc == 0) {
                        x->res->updated++;
                        rc = record(x, m->id, r->id, path, answer_sha(ans, sha), err);
                } else if (rc == PLATFORM_REFUSED && perr.status == 409) {
                        x->res->conflicts++;
                        problem(x, m->id, "changed on the platform during the publish; rerun");
                        rc = 0;
                } else if (rc == PLATFORM_REFUSED && perr.status < 500) {
                        problem(x, m->id, err->msg);
                        rc = 0;
                }
                cJSON_Delete(ans);
                return rc;
        }
        if (x->o->dry_run) {
                x->res->created++;
                return 0;
        }
        struct buf q = BUF_INIT;
        store_base(&q, x->o->memory_store_id);
        buf_adds(&q, "/memories");
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "path", path);
        cJSON_AddStringToObject(body, "content", content);
        (void)len;
        rc = platform_call(x->p, PLATFORM_MEMORY, "POST", q.ptr, body, &ans, &perr, err);
        cJSON_Delete(body);
        buf_free(&q);
        if (rc == 0) {
                x->res->created++;
                const char *pid = jstr(ans, "id");
                rc = pid ? record(x, m->id, pid, path, answer_sha(ans, sha), err)
                         : err_set(err, "creating %s: the platform's answer has no id", path);
        } else if (rc == PLATFORM_REFUSED && perr.status == 409 && perr.conflicting_id[0]) {
                /* a memory holds the path already (a crashed publish, or an agent): read
                 * what it holds, then update it with that as the precondition */
                char cid[sizeof(perr.conflicting_id)];
                memcpy(cid, perr.conflicting_id, sizeof(cid));
                struct buf g = BUF_INIT;
                store_base(&g, x->o->memory_store_id);
                buf_adds(&g, "/memories/");
                http_url_escape(&g, cid);
                buf_adds(&g, "?view=basic");
                cJSON *cur = NULL;
                rc = platform_call(x->p, PLATFORM_MEMORY, "GET", g.ptr, NULL, &cur, &perr, err);
                buf_free(&g);
                if (rc == 0) {
                        const char *csha = jstr(cur, "content_sha256");
                        x->res->conflicts++;
                        if (csha && strcmp(csha, sha) == 0) {
                                x->res->unchanged++;
                                rc = record(x, m->id, cid, path, sha, err);
                        } else {
                                rc = update_memory(x, cid, content, csha ? csha : "", &ans, &perr,
                                                   err);
                                if (rc == 0) {
                                        x->res->updated++;
                                        rc = record(x, m->id, cid, path, answer_sha(ans, sha), err);
                                } else if (rc == PLATFORM_REFUSED && perr.status < 500) {
                                        problem(x, m->id, err->msg);
                                        rc = 0;
                                }
                        }
                }
                cJSON_Delete(cur);
        } else if (rc == PLATFORM_REFUSED && perr.status < 500) {
                problem(x, m->id, err->msg); /* 400 bad path or too large: reported */
                rc = 0;
        }
        cJSON_Delete(ans);
        return rc;
}

int platform_publish(struct home *h, struct store *s, const struct platform_publish_options *o,
                     struct platform_publish_result *res, struct err *err)
{
        memset(res, 0, sizeof(*res));
        struct store_memories mems = {0};
        struct platform_mappings maps = {0}, erefs = {0};
        struct remotes remote = {0};
        struct platform *p = NULL;
        struct strmap wanted = STRMAP_INIT; /* curator memory id -> 1 */
        struct strmap paths = STRMAP_INIT;  /* platform path kept -> 1 */
        char **ppaths = NULL;
        char *old_scope = NULL, *old_commit = NULL;
        int found = 0, rc = -1;
        const char *actor = o->actor ? o->actor : "curator";
        if (!memory_scope_valid(o->scope))
                return err_set(err, "'%s' is not a scope name", o->scope);
        if (store_head(s, res->commit, err) < 0 ||
            store_list(s, res->commit, o->scope, &mems, err) < 0 ||
            db_platform_mappings(h->db, o->memory_store_id, &maps, err) < 0 ||
            db_platform_erasure_refs(h->db, o->memory_store_id, &erefs, err) < 0 ||
            db_platform_publish_get(h->db, o->memory_store_id, &old_scope, &old_commit, &found,
                                    err) < 0)
                goto out;
        if (found && strcmp(old_scope, o->scope) != 0) {
                err_set(err,
                        "platform store %s holds scope %s (published at %.12s); one store holds "
                        "one scope",
                        o->memory_store_id, old_scope, old_commit);
                goto out;
        }
        res->memories = (unsigned)mems.n;
        ppaths = xcalloc(mems.n + 1, sizeof(*ppaths));
        /* what cannot be published is known without asking the platform */
        for (size_t i = 0; i < mems.n; i++) {
                const struct memory *m = mems.v[i];
                ppaths[i] = platform_path_of(m);
                strmap_put(&wanted, m->id, (void *)1);
                strmap_put(&paths, ppaths[i], (void *)1);
        }
        struct publish_ctx x = {h, NULL, o, res, actor};
        int pending_erasure = 0;
        for (size_t i = 0; i < erefs.n; i++) {
                int erased = 0;
                if (!strmap_get(&wanted, erefs.v[i].memory_id) &&
                    db_platform_memory_erased(h->db, erefs.v[i].memory_id, &erased, err) < 0)
                        goto out;
                pending_erasure |= erased;
        }
        if (found && strcmp(old_commit, res->commit) == 0 && !pending_erasure) {
                res->up_to_date = 1;
                for (size_t i = 0; i < mems.n; i++) {
                        const char *why = platform_path_problem(ppaths[i]);
                        if (!why && mems.v[i]->body_len > PLATFORM_MAX_CONTENT)
                                why = "larger than 102,400 bytes";
                        if (why)
                                problem(&x, mems.v[i]->id, why);
                }
                rc = 0;
                goto out;
        }
        if (platform_open(h->cfg, &p, err) < 0)
                goto out;
        x.p = p;
        if ((rc = list_remote(p, o->memory_store_id, 0, &remote, err)) < 0)
                goto out;
        rc = -1;
        /* 1. erasure reaches the platform: delete and redact every version */
        for (size_t i = 0; i < erefs.n; i++) {
                int erased = 0;
                if (strmap_get(&wanted, erefs.v[i].memory_id))
                        continue;
                if (db_platform_memory_erased(h->db, erefs.v[i].memory_id, &erased, err) < 0)
                        goto out;
                if (erased && (rc = erase_published(&x, &erefs.v[i], &remote, err)) < 0)
                        goto out;
                rc = -1;
        }
        /* 2. every memory of the scope, created or updated */
        for (size_t i = 0; i < mems.n; i++) {
                const struct memory *m = mems.v[i];
                const char *why = platform_path_problem(ppaths[i]);
                if (!why && m->body_len > PLATFORM_MAX_CONTENT)
                        why = "larger than 102,400 bytes: not published (never truncated)";
                if (!why && memchr(m->body, '\0', m->body_len))
                        why = "holds a NUL byte";
                if (why) {
                        problem(&x, m->id, why);
                        struct remote *r = remote_by(&remote, ppaths[i], NULL);
                        if (r)
                                r->handled = 1; /* the older copy stays until it can be replaced */
                        continue;
                }
                char sha[65];
                sha256_hex(m->body, m->body_len, sha);
                const struct platform_mapping *mapped = NULL;
                for (size_t k = 0; k < maps.n; k++) {
                        if (strcmp(maps.v[k].memory_id, m->id) == 0)
                                mapped = &maps.v[k];
                }
                char *content = xstrndup(m->body, m->body_len);
                int prc =
                    publish_one(&x, m, ppaths[i], content, m->body_len, sha, &remote, mapped, err);
                free(content);
                if (prc < 0) {
                        rc = prc;
                        goto out;
                }
        }
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        /* 3. what the scope no longer has (deleted, or never curator's) */
        for (size_t i = 0; i < remote.n; i++) {
                struct remote *r = &remote.v[i];
                if (r->handled)
                        continue;
                const char *mid = NULL;
                for (size_t k = 0; k < maps.n; k++) {
                        if (strcmp(maps.v[k].platform_memory_id, r->id) == 0)
                                mid = maps.v[k].memory_id;
                }
                res->deleted++;
                if (o->dry_run)
                        continue;
                int drc = delete_memory(&x, r->id, r->sha, err);
                if (drc == PLATFORM_REFUSED) {
                        res->deleted--;
                        res->conflicts++;
                        problem(&x, mid ? mid : r->path,
                                "changed on the platform during the "
                                "publish; not deleted, rerun");
                        continue;
                }
                if (drc < 0) {
                        rc = drc;
                        goto out;
                }
                if (mid && db_platform_mapping_retire(h->db, o->memory_store_id, mid, now, err) < 0)
                        goto out;
        }
        /* mappings of memories gone from both sides: kept, retired, for erasure */
        for (size_t i = 0; !o->dry_run && i < maps.n; i++) {
                if (strmap_get(&wanted, maps.v[i].memory_id))
                        continue;
                if (db_platform_mapping_retire(h->db, o->memory_store_id, maps.v[i].memory_id, now,
                                               err) < 0)
                        goto out;
        }
        if (!o->dry_run) {
                struct buf d = BUF_INIT;
                buf_adds(&d, "{\"memory_store\":\"");
                buf_add_json_str(&d, o->memory_store_id, strlen(o->memory_store_id));
                buf_addf(&d,
                         "\",\"commit\":\"%s\",\"memories\":%u,\"created\":%u,\"updated\":%u,"
                         "\"deleted\":%u,\"unchanged\":%u,\"conflicts\":%u,\"erased\":%u,"
                         "\"redacted\":%u,\"problems\":%zu}",
                         res->commit, res->memories, res->created, res->updated, res->deleted,
                         res->unchanged, res->conflicts, res->erased, res->redacted,
                         res->problems.n);
                if (db_begin(h->db, err) < 0) {
                        buf_free(&d);
                        goto out;
                }
                if ((!res->problems.n &&
                     db_platform_publish_set(h->db, o->memory_store_id, o->scope, res->commit, now,
                                             err) < 0) ||
                    audit_append(h->db, actor, "platform.publish", o->scope, d.ptr, err) < 0 ||
                    db_commit(h->db, err) < 0) {
                        db_rollback(h->db);
                        buf_free(&d);
                        goto out;
                }
                buf_free(&d);
        }
        rc = 0;
out:
        res->calls = platform_calls(p);
        res->retries = platform_retries(p);
        for (size_t i = 0; ppaths && i < mems.n; i++)
                free(ppaths[i]);
        free(ppaths);
        strmap_free(&wanted);
        strmap_free(&paths);
        free(old_scope);
        free(old_commit);
        remotes_free(&remote);
        platform_mappings_free(&maps);
        platform_mappings_free(&erefs);
        store_memories_free(&mems);
        platform_close(p);
        return rc < 0 ? rc : 0;
}

/* ---- import ---- */

static void evidence_of(const char *store_id, const struct remote *r, struct memory_list_str *ev)
{
        struct buf b = BUF_INIT;
        buf_addf(&b, "%s/%s", store_id, r->id);
        if (r->version)
                buf_addf(&b, "@%s", r->version);
        memory_list_add(ev, b.ptr);
        buf_free(&b);
}

int platform_import(struct home *h, struct store *s, const struct platform_import_options *o,
                    struct platform_import_result *res, struct err *err)
{
        memset(res, 0, sizeof(*res));
        struct store_memories mems = {0};
        struct platform_mappings maps = {0};
        struct remotes remote = {0};
        struct dream_proposal prop = {0};
        struct platform *p = NULL;
        struct strmap seen = STRMAP_INIT; /* curator memory ids the store has */
        struct memory_list_str rejected = {0};
        char head[41];
        int rc = -1;
        int64_t run_id = 0;
        const char *actor = o->actor ? o->actor : "curator";
        if (!memory_scope_valid(o->scope))
                return err_set(err, "'%s' is not a scope name", o->scope);
        /* published and imported pairs both say which curator memory a platform one is */
        if (store_head(s, head, err) < 0 || store_list(s, head, o->scope, &mems, err) < 0 ||
            db_platform_erasure_refs(h->db, o->memory_store_id, &maps, err) < 0 ||
            db_dream_rejected_texts(h->db, o->scope, &rejected, err) < 0 ||
            platform_open(h->cfg, &p, err) < 0)
                goto out;
        if ((rc = list_remote(p, o->memory_store_id, 1, &remote, err)) < 0)
                goto out;
        rc = -1;
        res->memories = (unsigned)remote.n;
        for (size_t i = 0; i < remote.n; i++) {
                const struct remote *r = &remote.v[i];
                const struct memory *m = NULL;
                for (size_t k = 0; !m && k < maps.n; k++) {
                        if (strcmp(maps.v[k].platform_memory_id, r->id) != 0)
                                continue;
                        for (size_t j = 0; j < mems.n; j++) {
                                if (strcmp(mems.v[j]->id, maps.v[k].memory_id) == 0)
                                        m = mems.v[j];
                        }
                }
                for (size_t j = 0; !m && j < mems.n; j++) {
                        char *pp = platform_path_of(mems.v[j]);
                        if (strcmp(pp, r->path) == 0)
                                m = mems.v[j];
                        free(pp);
                }
                /* the same text at another path (e.g. imported before, not yet published
                 * at curator's path) is that memory, unchanged */
                for (size_t j = 0; !m && r->content && j < mems.n; j++) {
                        if (mems.v[j]->body_len == strlen(r->content) &&
                            memcmp(mems.v[j]->body, r->content, mems.v[j]->body_len) == 0)
                                m = mems.v[j];
                }
                if (!r->content || !*r->content) {
                        res->empty++; /* an empty memory cannot be approved; nothing to propose */
                        if (m)
                                strmap_put(&seen, m->id, (void *)1);
                        continue;
                }
                if (m) {
                        strmap_put(&seen, m->id, (void *)1);
                        if (m->body_len == strlen(r->content) &&
                            memcmp(m->body, r->content, m->body_len) == 0) {
                                res->unchanged++;
                                continue;
                        }
                }
                struct dream_hunk *hk = dream_proposal_add(&prop, m ? DREAM_UPDATE : DREAM_ADD);
                hk->new_text = xstrdup(r->content);
                hk->confidence = 1.0;
                hk->tags = xstrdup("");
                evidence_of(o->memory_store_id, r, &hk->evidence);
                struct buf why = BUF_INIT;
                buf_addf(&why, "imported from platform memory store %s (%s, %s)",
                         o->memory_store_id, r->path, m ? "changed there" : "new there");
                hk->rationale = buf_detach(&why, NULL);
                if (m) {
                        hk->memory_id = xstrdup(m->id);
                        hk->path = xstrdup(m->path);
                        hk->old_text = xstrndup(m->body, m->body_len);
                        res->updates++;
                } else {
                        char id[MEMORY_ID_LEN + 1];
                        dream_memory_id(o->scope, r->content, id);
                        hk->memory_id = xstrdup(id);
                        struct buf path = BUF_INIT;
                        memory_make_path(o->scope, id, r->content, strlen(r->content), &path);
                        hk->path = buf_detach(&path, NULL);
                        res->adds++;
                }
                if (dream_check_hunk(o->rules, hk, err) < 0)
                        goto out;
                /* with the rules' redaction applied, it may be what curator holds; or
                 * a text a reviewer rejected before: neither is proposed (again) */
                const struct memory *same = NULL;
                for (size_t j = 0; !same && j < mems.n; j++) {
                        if ((!m || m == mems.v[j]) && mems.v[j]->body_len == strlen(hk->new_text) &&
                            memcmp(mems.v[j]->body, hk->new_text, mems.v[j]->body_len) == 0)
                                same = mems.v[j];
                }
                int refused = 0;
                for (size_t k = 0; !same && k < rejected.n && !refused; k++)
                        refused = strcmp(rejected.v[k], hk->new_text) == 0;
                if (same || refused) {
                        if (same) {
                                strmap_put(&seen, same->id, (void *)1);
                                res->unchanged++;
                        } else {
                                res->rejected_before++;
                        }
                        if (hk->op == DREAM_ADD)
                                res->adds--;
                        else
                                res->updates--;
                        dream_hunk_clear(hk);
                        prop.n--;
                        continue;
                }
                res->blocked += (unsigned)hk->blocked;
        }
        for (size_t j = 0; o->deletions && j < mems.n; j++) {
                const struct memory *m = mems.v[j];
                if (strmap_get(&seen, m->id))
                        continue;
                struct dream_hunk *hk = dream_proposal_add(&prop, DREAM_DELETE);
                hk->memory_id = xstrdup(m->id);
                hk->path = xstrdup(m->path);
                hk->old_text = xstrndup(m->body, m->body_len);
                hk->confidence = 1.0;
                hk->tags = xstrdup("");
                struct buf ev = BUF_INIT, why = BUF_INIT;
                buf_addf(&ev, "%s/absent", o->memory_store_id);
                memory_list_add(&hk->evidence, ev.ptr);
                buf_addf(&why, "absent from platform memory store %s", o->memory_store_id);
                hk->rationale = buf_detach(&why, NULL);
                buf_free(&ev);
                if (dream_check_hunk(o->rules, hk, err) < 0)
                        goto out;
                res->deletes++;
        }
        if (!prop.n) {
                rc = 0;
                goto out;
        }
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        if (db_dream_run_start(h->db, "import", now, &run_id, err) < 0)
                goto out;
        if (db_begin(h->db, err) < 0)
                goto fail_run;
        int64_t old = 0;
        struct buf d = BUF_INIT;
        if (db_platform_open_import(h->db, o->scope, &old, err) < 0 ||
            db_dream_store_diff(h->db, run_id, o->scope, head, &prop, old, now, &res->diff_id,
                                err) < 0 ||
            db_platform_mark_import(h->db, res->diff_id, err) < 0)
                goto rollback;
        for (size_t i = 0; i < prop.n; i++) {
                const struct dream_hunk *hk = &prop.v[i];
                for (size_t e = 0; e < hk->evidence.n; e++) {
                        /* "<store>/<mem_...>@<memver_...>": the platform memory it came from */
                        const char *ref = hk->evidence.v[e];
                        size_t sl = strlen(o->memory_store_id);
                        if (strncmp(ref, o->memory_store_id, sl) != 0 || ref[sl] != '/')
                                continue;
                        char *pid = xstrdup(ref + sl + 1);
                        char *at = strchr(pid, '@');
                        if (at)
                                *at = '\0';
                        int prc =
                            strcmp(pid, "absent") == 0
                                ? 0
                                : db_platform_imported_put(h->db, o->memory_store_id, pid,
                                                           hk->memory_id, res->diff_id, now, err);
                        free(pid);
                        if (prc < 0)
                                goto rollback;
                }
        }
        buf_adds(&d, "{\"memory_store\":\"");
        buf_add_json_str(&d, o->memory_store_id, strlen(o->memory_store_id));
        buf_addf(&d,
                 "\",\"diff\":%lld,\"adds\":%u,\"updates\":%u,\"deletes\":%u,\"blocked\":%u,"
                 "\"unchanged\":%u}",
                 (long long)res->diff_id, res->adds, res->updates, res->deletes, res->blocked,
                 res->unchanged);
        if (audit_append(h->db, actor, "platform.import", o->scope, d.ptr, err) < 0 ||
            db_commit(h->db, err) < 0)
                goto rollback;
        buf_free(&d);
        struct dream_result dr = {0};
        dr.scopes = 1;
        dr.diffs = 1;
        dr.hunks = (int)prop.n;
        dr.blocked = (int)res->blocked;
        timestamp_now(now);
        if (db_dream_run_finish(h->db, run_id, "done", &dr, NULL, now, err) < 0)
                goto out;
        rc = 0;
        goto out;
rollback:
        buf_free(&d);
        db_rollback(h->db);
fail_run : {
        struct err e2;
        struct dream_result dr = {0};
        timestamp_now(now);
        db_dream_run_finish(h->db, run_id, "failed", &dr, err->msg, now, &e2);
}
out:
        res->calls = platform_calls(p);
        res->retries = platform_retries(p);
        strmap_free(&seen);
        memory_list_clear(&rejected);
        dream_proposal_free(&prop);
        remotes_free(&remote);
        platform_mappings_free(&maps);
        store_memories_free(&mems);
        platform_close(p);
        return rc < 0 ? rc : 0;
}
