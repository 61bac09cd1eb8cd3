/* The Managed Agents client and `pull` (platform.h): headers per endpoint
 * family, the error envelope, 401/403 as a clean stop, paging, and the
 * per-session cursor that makes a rerun fetch only what is new. */
#include "platform.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "db_platform.h"
#include "fileio.h"
#include "home.h"
#include "http_client.h"
#include "ingest.h"
#include "strmap.h"
#include "timestamp.h"

struct platform {
        char *base_url;  /* owned, no trailing slash */
        char *key;       /* owned; never printed, logged or stored */
        char *workspace; /* owned, or NULL */
        int page_limit;
        struct http_client http;
};

static long cfg_long(const struct config *cfg, const char *key, long def, long min, long max)
{
        const char *v = config_get(cfg, PLATFORM_SECTION, key);
        if (!v || !*v)
                return def;
        char *end;
        long n = strtol(v, &end, 10);
        return *end || n < min || n > max ? def : n;
}

static void wipe_free(char *s)
{
        if (s) {
                memset(s, 0, strlen(s));
                free(s);
        }
}

int platform_open(const struct config *cfg, struct platform **out, struct err *err)
{
        struct platform *p = xcalloc(1, sizeof(*p));
        const char *url = config_get(cfg, PLATFORM_SECTION, "base_url");
        p->base_url = xstrdup(url && *url ? url : PLATFORM_DEFAULT_URL);
        size_t n = strlen(p->base_url);
        while (n && p->base_url[n - 1] == '/')
                p->base_url[--n] = '\0';
        const char *ws = config_get(cfg, PLATFORM_SECTION, "workspace_id");
        p->workspace = ws && *ws ? xstrdup(ws) : NULL;
        p->page_limit = (int)cfg_long(cfg, "page_limit", 100, 1, 1000);
        const char *key_file = config_get(cfg, PLATFORM_SECTION, "api_key_file");
        const char *key_env = config_get(cfg, PLATFORM_SECTION, "api_key_env");
        if (!key_env || !*key_env)
                key_env = "ANTHROPIC_API_KEY";
        if (key_file && *key_file) {
                struct buf k = BUF_INIT;
                if (fileio_read_all(key_file, &k, NULL, err) < 0) {
                        buf_free(&k);
                        platform_close(p);
                        return err_wrap(err, "[%s] api_key_file", PLATFORM_SECTION);
                }
                while (k.len && (k.ptr[k.len - 1] == '\n' || k.ptr[k.len - 1] == '\r' ||
                                 k.ptr[k.len - 1] == ' '))
                        k.ptr[--k.len] = '\0';
                p->key = buf_detach(&k, NULL);
        } else if (getenv(key_env) && *getenv(key_env)) {
                p->key = xstrdup(getenv(key_env));
        }
        if (!p->key || !*p->key) {
                platform_close(p);
                return err_set(err,
                               "no API key for the platform: set $%s or [%s] api_key_file in "
                               "curator.conf",
                               key_env, PLATFORM_SECTION);
        }
        if (strpbrk(p->key, "\r\n")) {
                platform_close(p);
                return err_set(err, "the platform API key holds a line break; check where it "
                                    "comes from ([platform] api_key_env / api_key_file)");
        }
        if (http_client_init(&p->http, err) < 0) {
                platform_close(p);
                return -1;
        }
        p->http.max_tries = (int)cfg_long(cfg, "max_tries", 4, 1, 20);
        p->http.retry_base_ms = cfg_long(cfg, "retry_base_ms", 500, 1, 600000);
        p->http.timeout_ms = cfg_long(cfg, "timeout_ms", 60000, 100, 3600000);
        p->http.max_wait_ms = cfg_long(cfg, "max_retry_wait_ms", 60000, 1, 3600000);
        *out = p;
        return 0;
}

void platform_close(struct platform *p)
{
        if (!p)
                return;
        http_client_free(&p->http);
        free(p->base_url);
        free(p->workspace);
        wipe_free(p->key);
        free(p);
}

unsigned long platform_calls(const struct platform *p)
{
        return p ? p->http.attempts : 0;
}

unsigned long platform_retries(const struct platform *p)
{
        return p ? p->http.retries : 0;
}

int platform_page_limit(const struct platform *p)
{
        return p->page_limit;
}

/* Replaces every copy of the key in err (belt and braces: a server could
 * echo it back in a message). */
static void scrub_key(const struct platform *p, struct err *err)
{
        size_t kl = strlen(p->key);
        if (!err || kl < 4)
                return;
        char *hit;
        while ((hit = strstr(err->msg, p->key)) != NULL) {
                memset(hit, '*', kl);
        }
}

int platform_call(struct platform *p, enum platform_family fam, const char *method,
                  const char *path_query, const cJSON *body, cJSON **out,
                  struct platform_error *perr, struct err *err)
{
        struct buf url = BUF_INIT, auth = BUF_INIT;
        struct curl_slist *headers = NULL;
        char *json = body ? cJSON_PrintUnformatted(body) : NULL;
        struct http_response r = {0, BUF_INIT};
        int rc = -1;
        if (out)
                *out = NULL;
        if (perr)
                memset(perr, 0, sizeof(*perr));
        buf_addf(&url, "%s%s", p->base_url, path_query);
        buf_addf(&auth, "x-api-key: %s", p->key);
        headers = curl_slist_append(headers, auth.ptr);
        memset(auth.ptr, 0, auth.len);
        buf_free(&auth);
        headers = curl_slist_append(headers, "anthropic-version: " PLATFORM_VERSION);
        headers = curl_slist_append(headers, fam == PLATFORM_MEMORY
                                                 ? "anthropic-beta: " PLATFORM_BETA_MEMORY
                                                 : "anthropic-beta: " PLATFORM_BETA_SESSIONS);
        headers = curl_slist_append(headers, "accept: application/json");
        if (json)
                headers = curl_slist_append(headers, "content-type: application/json");
        if (p->workspace) {
                struct buf w = BUF_INIT;
                buf_addf(&w, "anthropic-workspace-id: %s", p->workspace);
                headers = curl_slist_append(headers, w.ptr);
                buf_free(&w);
        }
        if (http_client_request(&p->http, method, url.ptr, headers, json, json ? strlen(json) : 0,
                                &r, err) < 0) {
                err_wrap(err, "the platform at %s", p->base_url);
                goto out;
        }
        cJSON *parsed = r.body.len ? cJSON_ParseWithLength(r.body.ptr, r.body.len) : NULL;
        if (r.status >= 200 && r.status < 300) {
                if (r.body.len && !parsed) {
                        err_set(err, "%s %s: the platform's answer (HTTP %ld) is not JSON", method,
                                path_query, r.status);
                        goto out;
                }
                if (out)
                        *out = parsed;
                else
                        cJSON_Delete(parsed);
                rc = 0;
                goto out;
        }
        const cJSON *eo = cJSON_GetObjectItemCaseSensitive(parsed, "error");
        const char *etype = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eo, "type"));
        const char *emsg = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eo, "message"));
        const char *cid =
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eo, "conflicting_memory_id"));
        if (!cid) /* placement unconfirmed (PLATFORM.md §2): also look at the top level */
                cid = cJSON_GetStringValue(
                    cJSON_GetObjectItemCaseSensitive(parsed, "conflicting_memory_id"));
        if (perr) {
                perr->status = r.status;
                snprintf(perr->type, sizeof(perr->type), "%s", etype ? etype : "");
                snprintf(perr->conflicting_id, sizeof(perr->conflicting_id), "%s", cid ? cid : "");
        }
        if (r.status == 401 || r.status == 403) {
                err_set(err,
                        "the platform at %s refused the API key (HTTP %ld %s): %s the key in "
                        "[platform] api_key_env / api_key_file; nothing more was sent",
                        p->base_url, r.status, etype ? etype : "",
                        r.status == 401 ? "check" : "check the permissions (workspace) of");
                rc = PLATFORM_DENIED;
        } else {
                err_set(err, "%s %s: HTTP %ld %s%s%.300s", method, path_query, r.status,
                        etype ? etype : "error", emsg ? ": " : "", emsg ? emsg : "");
                rc = PLATFORM_REFUSED;
        }
        cJSON_Delete(parsed);
out:
        scrub_key(p, err);
        http_response_free(&r);
        curl_slist_free_all(headers);
        free(json);
        buf_free(&url);
        return rc;
}

/* ---- pull ---- */

/* The scope a session feeds, when none was given: [scope-map] agent:PATTERN
 * against the agent's name then id, else the agent's name, else ingest's
 * own choice (config default). Returns NULL to let ingest choose. */
static const char *session_scope(const struct config *cfg, const char *agent_name,
                                 const char *agent_id)
{
        for (size_t i = 0; cfg && i < cfg->n; i++) {
                const struct config_entry *e = &cfg->v[i];
                if (strcmp(e->section, "scope-map") != 0 || strncmp(e->key, "agent:", 6) != 0)
                        continue;
                if ((agent_name && fnmatch(e->key + 6, agent_name, 0) == 0) ||
                    (agent_id && fnmatch(e->key + 6, agent_id, 0) == 0))
                        return e->value;
        }
        if (agent_name && *agent_name)
                return agent_name;
        if (agent_id && *agent_id)
                return agent_id;
        return NULL;
}

struct pulled_session {
        char *id, *agent_id, *agent_name; /* owned */
};

static int id_in(const cJSON *ids, const char *id)
{
        const cJSON *x;
        cJSON_ArrayForEach(x, ids)
        {
                if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0)
                        return 1;
        }
        return 0;
}

/* Lists the sessions to pull, every page. */
static int list_sessions(struct platform *p, const struct platform_pull_options *o,
                         struct pulled_session **out, size_t *n, struct err *err)
{
        size_t cap = 0;
        char *page = NULL;
        int rc = 0;
        if (o->session_id) {
                *out = xcalloc(1, sizeof(**out));
                (*out)[0].id = xstrdup(o->session_id);
                *n = 1;
                struct buf q = BUF_INIT;
                buf_adds(&q, "/v1/sessions/");
                http_url_escape(&q, o->session_id);
                cJSON *s = NULL;
                rc = platform_call(p, PLATFORM_SESSIONS, "GET", q.ptr, NULL, &s, NULL, err);
                buf_free(&q);
                if (rc == 0) {
                        const cJSON *agent = cJSON_GetObjectItemCaseSensitive(s, "agent");
                        const char *aid =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "id"));
                        const char *an =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "name"));
                        (*out)[0].agent_id = aid ? xstrdup(aid) : NULL;
                        (*out)[0].agent_name = an ? xstrdup(an) : NULL;
                }
                cJSON_Delete(s);
                return rc;
        }
        for (;;) {
                struct buf q = BUF_INIT;
                buf_addf(&q, "/v1/sessions?order=asc&limit=%d", p->page_limit);
                if (o->agent_id) {
                        buf_adds(&q, "&agent_id=");
                        http_url_escape(&q, o->agent_id);
                }
                if (o->since) {
                        buf_adds(&q, "&created_at%5Bgte%5D=");
                        http_url_escape(&q, o->since);
                }
                if (page) {
                        buf_adds(&q, "&page=");
                        http_url_escape(&q, page);
                }
                cJSON *res = NULL;
                rc = platform_call(p, PLATFORM_SESSIONS, "GET", q.ptr, NULL, &res, NULL, err);
                buf_free(&q);
                if (rc < 0)
                        break;
                const cJSON *s;
                cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res, "data"))
                {
                        const char *id =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id"));
                        if (!id || !*id)
                                continue;
                        if (*n == cap) {
                                cap = cap ? cap * 2 : 16;
                                *out = xrealloc(*out, cap * sizeof(**out));
                        }
                        const cJSON *agent = cJSON_GetObjectItemCaseSensitive(s, "agent");
                        const char *aid =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "id"));
                        const char *an =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(agent, "name"));
                        struct pulled_session *ps = &(*out)[(*n)++];
                        ps->id = xstrdup(id);
                        ps->agent_id = aid ? xstrdup(aid) : NULL;
                        ps->agent_name = an ? xstrdup(an) : NULL;
                }
                const char *next =
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "next_page"));
                free(page);
                page = next && *next ? xstrdup(next) : NULL;
                cJSON_Delete(res);
                if (!page)
                        break;
        }
        free(page);
        return rc;
}

struct pull_session_ctx {
        struct home *h;
        struct platform *p;
        const struct platform_pull_options *o;
        struct platform_pull_result *res;
};

/* Pulls one session's new events, page by page. */
static int pull_session(struct pull_session_ctx *x, const struct pulled_session *ps,
                        struct err *err)
{
        struct platform_cursor cur = {0};
        int found = 0, rc = -1;
        struct ingest *ing = NULL;
        char *page = NULL;
        cJSON *seen = NULL;
        if (db_platform_cursor_get(x->h->db, ps->id, &cur, &found, err) < 0)
                return -1;
        if (!found) {
                cur.session_id = xstrdup(ps->id);
                const char *scope = x->o->scope
                                        ? x->o->scope
                                        : session_scope(x->h->cfg, ps->agent_name, ps->agent_id);
                if (!scope)
                        scope = config_get(x->h->cfg, "ingest", "default_scope");
                cur.scope = xstrdup(scope ? scope : "default");
                cur.ids_at_last = xstrdup("[]");
        }
        if (!cur.agent_id && ps->agent_id)
                cur.agent_id = xstrdup(ps->agent_id);
        seen = cJSON_Parse(cur.ids_at_last ? cur.ids_at_last : "[]");
        if (!cJSON_IsArray(seen)) {
                cJSON_Delete(seen);
                seen = cJSON_CreateArray();
        }
        struct buf name = BUF_INIT;
        buf_addf(&name, "platform:%s", ps->id);
        /* one filter for the whole paging run: the cursor as it was at the start */
        char *from = cur.last_processed_at ? xstrdup(cur.last_processed_at) : NULL;
        int64_t from_ms = cur.last_ms;
        /* ingest borrows it until ingest_finish, while cur.scope may be replaced */
        char *asked_scope = xstrdup(cur.scope);
        for (;;) {
                struct buf q = BUF_INIT;
                buf_adds(&q, "/v1/sessions/");
                http_url_escape(&q, ps->id);
                buf_addf(&q, "/events?order=asc&limit=%d", x->p->page_limit);
                if (from) {
                        /* gte, not gt: an event stored later at the same instant is not
                         * missed; the ids already seen at that instant are skipped */
                        buf_adds(&q, "&created_at%5Bgte%5D=");
                        http_url_escape(&q, from);
                }
                if (page) {
                        buf_adds(&q, "&page=");
                        http_url_escape(&q, page);
                }
                cJSON *res = NULL;
                struct platform_error perr;
                int crc =
                    platform_call(x->p, PLATFORM_SESSIONS, "GET", q.ptr, NULL, &res, &perr, err);
                buf_free(&q);
                if (crc == PLATFORM_REFUSED && perr.status == 404) {
                        /* deleted since it was listed: what was stored stays; the rest is gone */
                        x->res->missing++;
                        rc = 0;
                        goto out;
                }
                if (crc < 0) {
                        rc = crc;
                        goto out;
                }
                x->res->pages++;
                struct buf lines = BUF_INIT;
                int64_t page_max = cur.last_processed_at ? cur.last_ms : INT64_MIN;
                const char *page_max_text = NULL;
                const cJSON *ev;
                cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(res, "data"))
                {
                        const char *id =
                            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "id"));
                        const char *pa = cJSON_GetStringValue(
                            cJSON_GetObjectItemCaseSensitive(ev, "processed_at"));
                        int64_t ms = 0;
                        int timed = pa && timestamp_parse(pa, strlen(pa), &ms) == 0;
                        if (timed && cur.last_processed_at && id && *id &&
                            (ms < cur.last_ms || (ms == cur.last_ms && id_in(seen, id)))) {
                                x->res->skipped++;
                                continue;
                        }
                        /* an event with no id (an interrupt may have none) at the instant the
                         * run started from was stored by an earlier run: its identity is a
                         * hash of its position, so storing it again would double it */
                        if (timed && from && (!id || !*id) && ms <= from_ms) {
                                x->res->skipped++;
                                continue;
                        }
                        char *line = cJSON_PrintUnformatted(ev);
                        buf_adds(&lines, line);
                        buf_addc(&lines, '\n');
                        free(line);
                        if (timed && id && *id) {
                                if (ms > page_max) {
                                        page_max = ms;
                                        page_max_text = pa;
                                        cJSON_Delete(seen);
                                        seen = cJSON_CreateArray();
                                }
                                if (ms == page_max && !id_in(seen, id))
                                        cJSON_AddItemToArray(seen, cJSON_CreateString(id));
                        }
                }
                if (lines.len) {
                        if (!ing) {
                                struct ingest_options io = {
                                    .format = INGEST_MANAGED_AGENTS,
                                    .session = ps->id,
                                    .scope = asked_scope,
                                    .cfg = x->h->cfg,
                                    .rules = x->o->rules,
                                    .actor = x->o->actor,
                                };
                                if (ingest_begin(x->h->db, &io, &ing, err) < 0) {
                                        buf_free(&lines);
                                        cJSON_Delete(res);
                                        goto out;
                                }
                        }
                        struct ingest_stats before = *ingest_stats(ing);
                        if (ingest_buffer(ing, lines.ptr, lines.len, name.ptr, err) < 0) {
                                buf_free(&lines);
                                cJSON_Delete(res);
                                goto out;
                        }
                        if (!found && !cur.events &&
                            db_platform_session_scope(x->h->db, ps->id, &cur.scope, err) < 0) {
                                buf_free(&lines);
                                cJSON_Delete(res);
                                goto out;
                        }
                        const struct ingest_stats *after = ingest_stats(ing);
                        x->res->events += after->events - before.events;
                        x->res->duplicates += after->duplicates - before.duplicates;
                        x->res->rejected += after->rejected - before.rejected;
                        cur.events += (int64_t)(after->events - before.events);
                }
                buf_free(&lines);
                /* the page is stored: only now may the cursor move past it */
                if (page_max_text) {
                        free(cur.last_processed_at);
                        cur.last_processed_at = xstrdup(page_max_text);
                        cur.last_ms = page_max;
                }
                free(cur.ids_at_last);
                cur.ids_at_last = cJSON_PrintUnformatted(seen);
                char now[TIMESTAMP_LEN + 1];
                timestamp_now(now);
                if (db_platform_cursor_put(x->h->db, &cur, now, err) < 0) {
                        cJSON_Delete(res);
                        goto out;
                }
                const char *next =
                    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "next_page"));
                free(page);
                page = next && *next ? xstrdup(next) : NULL;
                cJSON_Delete(res);
                if (!page)
                        break;
        }
        rc = 0;
out:
        if (ing) {
                struct err e2;
                if (ingest_finish(ing, rc == 0 ? err : &e2) < 0 && rc == 0)
                        rc = -1;
        }
        buf_free(&name);
        free(from);
        free(asked_scope);
        free(page);
        cJSON_Delete(seen);
        platform_cursor_clear(&cur);
        return rc;
}

int platform_pull(struct home *h, const struct platform_pull_options *o,
                  struct platform_pull_result *res, struct err *err)
{
        memset(res, 0, sizeof(*res));
        struct platform *p = NULL;
        struct pulled_session *sessions = NULL;
        size_t n = 0;
        if (platform_open(h->cfg, &p, err) < 0)
                return -1;
        int rc = list_sessions(p, o, &sessions, &n, err);
        struct pull_session_ctx x = {h, p, o, res};
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                res->sessions++;
                rc = pull_session(&x, &sessions[i], err);
                if (rc < 0)
                        err_wrap(err, "session %s", sessions[i].id);
        }
        res->calls = platform_calls(p);
        res->retries = platform_retries(p);
        struct buf detail = BUF_INIT;
        buf_addf(&detail,
                 "{\"sessions\":%llu,\"pages\":%llu,\"events\":%llu,\"duplicates\":%llu,"
                 "\"calls\":%lu,\"ok\":%s}",
                 (unsigned long long)res->sessions, (unsigned long long)res->pages,
                 (unsigned long long)res->events, (unsigned long long)res->duplicates, res->calls,
                 rc >= 0 ? "true" : "false");
        struct err e2;
        if (audit_append(h->db, o->actor ? o->actor : "curator", "platform.pull",
                         o->session_id ? o->session_id : (o->agent_id ? o->agent_id : "sessions"),
                         detail.ptr, &e2) < 0 &&
            rc >= 0) {
                *err = e2;
                rc = -1;
        }
        buf_free(&detail);
        for (size_t i = 0; i < n; i++) {
                free(sessions[i].id);
                free(sessions[i].agent_id);
                free(sessions[i].agent_name);
        }
        free(sessions);
        platform_close(p);
        return rc < 0 ? rc : 0;
}
