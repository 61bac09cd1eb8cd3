/* The llm dreamer: the same contract as the heuristic one, through a model
 * endpoint over libcurl: the Anthropic Messages API or an OpenAI-compatible
 * chat endpoint (llama.cpp, vLLM, ...). The model answers with JSON
 * operations against the scope's memories; the answer is validated (bad
 * JSON, unknown memory ids or evidence fail the scope, never crash), calls
 * are retried with backoff on 429/5xx/529 and transport errors, and token
 * usage is recorded. The API key comes from the environment or a file and is
 * never logged, stored or put in an error message. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dream.h"
#include "fileio.h"
#include "memory.h"

#define LLM_SECTION "dream.llm"
#define LLM_MAX_EVENT_TEXT 600
#define LLM_MAX_PROMPT (120 * 1024)
#define LLM_MAX_RESPONSE (4 * 1024 * 1024)

enum llm_provider { LLM_ANTHROPIC, LLM_OPENAI };

struct dream_llm {
        enum llm_provider provider;
        char *url, *model; /* owned */
        char *key;         /* owned; never printed */
        long timeout_ms, max_tokens;
        int max_tries;
        long retry_base_ms;
};

static const char *cfg_or(const struct config *cfg, const char *key, const char *def)
{
        const char *v = config_get(cfg, LLM_SECTION, key);
        return v && *v ? v : def;
}

static long cfg_long(const struct config *cfg, const char *key, long def)
{
        const char *v = config_get(cfg, LLM_SECTION, key);
        if (!v)
                return def;
        char *end;
        long n = strtol(v, &end, 10);
        return *end || n <= 0 ? def : n;
}

int dream_llm_new(const struct config *cfg, struct dream_llm **out, struct err *err)
{
        struct dream_llm *llm = xcalloc(1, sizeof(*llm));
        const char *provider = cfg_or(cfg, "provider", "anthropic");
        if (strcmp(provider, "anthropic") == 0) {
                llm->provider = LLM_ANTHROPIC;
        } else if (strcmp(provider, "openai") == 0) {
                llm->provider = LLM_OPENAI;
        } else {
                free(llm);
                return err_set(err, "[%s] provider must be anthropic or openai, not '%s'",
                               LLM_SECTION, provider);
        }
        llm->url = xstrdup(cfg_or(cfg, "url",
                                  llm->provider == LLM_ANTHROPIC
                                          ? "https://api.anthropic.com/v1/messages"
                                          : "http://127.0.0.1:8080/v1/chat/completions"));
        llm->model = xstrdup(cfg_or(cfg, "model", llm->provider == LLM_ANTHROPIC
                                                          ? "claude-sonnet-4-6"
                                                          : "local-model"));
        llm->timeout_ms = cfg_long(cfg, "timeout_ms", 120000);
        llm->max_tokens = cfg_long(cfg, "max_tokens", 4096);
        llm->max_tries = (int)cfg_long(cfg, "max_tries", 4);
        llm->retry_base_ms = cfg_long(cfg, "retry_base_ms", 1000);
        const char *key_file = config_get(cfg, LLM_SECTION, "api_key_file");
        const char *key_env = cfg_or(cfg, "api_key_env", llm->provider == LLM_ANTHROPIC
                                                                 ? "ANTHROPIC_API_KEY"
                                                                 : "OPENAI_API_KEY");
        if (key_file) {
                struct buf k = BUF_INIT;
                if (fileio_read_all(key_file, &k, NULL, err) < 0) {
                        dream_llm_free(llm);
                        return err_wrap(err, "[%s] api_key_file", LLM_SECTION);
                }
                while (k.len && (k.ptr[k.len - 1] == '\n' || k.ptr[k.len - 1] == '\r'))
                        k.ptr[--k.len] = '\0';
                llm->key = buf_detach(&k, NULL);
        } else if (getenv(key_env)) {
                llm->key = xstrdup(getenv(key_env));
        }
        if (!llm->key && llm->provider == LLM_ANTHROPIC) {
                dream_llm_free(llm);
                return err_set(err, "the llm dreamer needs an API key: set %s or [%s] api_key_file",
                               key_env, LLM_SECTION);
        }
        *out = llm;
        return 0;
}

void dream_llm_free(struct dream_llm *llm)
{
        if (!llm)
                return;
        if (llm->key) {
                memset(llm->key, 0, strlen(llm->key));
                free(llm->key);
        }
        free(llm->url);
        free(llm->model);
        free(llm);
}

static const char system_prompt[] =
        "You curate long-term memory for AI agents. You read new session events of one "
        "scope and the scope's current memories, and propose operations on the memories. "
        "Keep only durable, reusable lessons and facts: explicit requests to remember, "
        "corrections of the agent, fixes for failing commands, conventions. Leave out "
        "greetings, one-off values, transient errors, secrets and personal data. Merge "
        "near-duplicates into an update of the existing memory. Propose delete for a memory "
        "the new sessions contradict. Answer with JSON only, no prose, of the form "
        "{\"operations\":[{\"op\":\"add\"|\"update\"|\"delete\",\"memory_id\":\"<existing id, "
        "for update and delete>\",\"text\":\"<the memory, one or two sentences, for add and "
        "update>\",\"rationale\":\"<one line>\",\"evidence\":[\"<session_id>/<event_id>\", "
        "...],\"confidence\":<0..1>,\"tags\":[\"...\"]}]}. Evidence must name events you were "
        "given. Propose nothing rather than something weak.";

/* The user message: the memories, then the events, each cut to a budget. */
static void build_prompt(const struct dream_input *in, struct buf *out)
{
        buf_addf(out, "Scope: %s\n\nCurrent memories (%zu):\n", in->scope, in->nmemories);
        for (size_t i = 0; i < in->nmemories && out->len < LLM_MAX_PROMPT / 3; i++)
                buf_addf(out, "- id=%s: %s\n", in->memories[i].id, in->memories[i].text);
        buf_addf(out, "\nNew events (%zu), as session_id/event_id role [type]: text:\n",
                 in->nevents);
        for (size_t i = 0; i < in->nevents && out->len < LLM_MAX_PROMPT; i++) {
                const struct dream_event *e = &in->events[i];
                const char *text = e->text ? e->text : "";
                if (!*text && !e->tool_name)
                        continue;
                buf_addf(out, "%s/%s %s [%s]%s: ", e->session_id, e->event_id, e->role, e->type,
                         e->is_error ? " ERROR" : "");
                if (e->tool_name)
                        buf_addf(out, "calls %s %.*s ", e->tool_name, LLM_MAX_EVENT_TEXT,
                                 e->tool_input ? e->tool_input : "");
                buf_addf(out, "%.*s\n", LLM_MAX_EVENT_TEXT, text);
        }
}

static void build_request(const struct dream_llm *llm, const char *prompt, struct buf *out)
{
        cJSON *req = cJSON_CreateObject();
        cJSON_AddStringToObject(req, "model", llm->model);
        cJSON_AddNumberToObject(req, "max_tokens", (double)llm->max_tokens);
        cJSON *msgs = cJSON_AddArrayToObject(req, "messages");
        if (llm->provider == LLM_ANTHROPIC) {
                cJSON_AddStringToObject(req, "system", system_prompt);
        } else {
                cJSON *sys = cJSON_CreateObject();
                cJSON_AddStringToObject(sys, "role", "system");
                cJSON_AddStringToObject(sys, "content", system_prompt);
                cJSON_AddItemToArray(msgs, sys);
                cJSON *fmt = cJSON_AddObjectToObject(req, "response_format");
                cJSON_AddStringToObject(fmt, "type", "json_object");
        }
        cJSON *user = cJSON_CreateObject();
        cJSON_AddStringToObject(user, "role", "user");
        cJSON_AddStringToObject(user, "content", prompt);
        cJSON_AddItemToArray(msgs, user);
        char *s = cJSON_PrintUnformatted(req);
        buf_adds(out, s);
        free(s);
        cJSON_Delete(req);
}

struct response {
        struct buf body;
        long retry_after_s;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
        struct response *r = ctx;
        if (r->body.len + size * n > LLM_MAX_RESPONSE)
                return 0; /* aborts the transfer: the answer is too large */
        buf_add(&r->body, data, size * n);
        return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
        struct response *r = ctx;
        size_t len = size * n;
        if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0)
                r->retry_after_s = strtol(data + 12, NULL, 10);
        return len;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* POSTs the request, retrying what may pass; leaves the 2xx body in out. */
static int llm_call(const struct dream_llm *llm, const char *request, struct buf *out,
                    struct err *err)
{
        CURL *curl = curl_easy_init();
        if (!curl)
                return err_set(err, "cannot start libcurl");
        struct curl_slist *headers = NULL;
        struct buf auth = BUF_INIT;
        headers = curl_slist_append(headers, "content-type: application/json");
        if (llm->provider == LLM_ANTHROPIC) {
                buf_addf(&auth, "x-api-key: %s", llm->key);
                headers = curl_slist_append(headers, "anthropic-version: 2023-06-01");
        } else if (llm->key) {
                buf_addf(&auth, "authorization: Bearer %s", llm->key);
        }
        if (auth.len)
                headers = curl_slist_append(headers, auth.ptr);
        memset(auth.ptr ? auth.ptr : "", 0, auth.len);
        buf_free(&auth);

        int rc = -1;
        long wait = llm->retry_base_ms;
        for (int attempt = 1; attempt <= llm->max_tries; attempt++) {
                struct response r = {BUF_INIT, -1};
                curl_easy_reset(curl);
                curl_easy_setopt(curl, CURLOPT_URL, llm->url);
                curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(request));
                curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r);
                curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
                curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r);
                curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, llm->timeout_ms);
                curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
                curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
                CURLcode cc = curl_easy_perform(curl);
                long status = 0;
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                int retry = 0;
                if (cc != CURLE_OK) {
                        err_set(err, "model endpoint %s: %s (attempt %d of %d)", llm->url,
                                curl_easy_strerror(cc), attempt, llm->max_tries);
                        retry = cc != CURLE_WRITE_ERROR;
                } else if (status >= 200 && status < 300) {
                        buf_add(out, r.body.ptr ? r.body.ptr : "", r.body.len);
                        buf_free(&r.body);
                        rc = 0;
                        break;
                } else {
                        /* name the error type the API gave, not its whole body */
                        cJSON *e = cJSON_ParseWithLength(r.body.ptr ? r.body.ptr : "", r.body.len);
                        const cJSON *eo = cJSON_GetObjectItemCaseSensitive(e, "error");
                        const cJSON *et = cJSON_GetObjectItemCaseSensitive(eo, "type");
                        err_set(err, "model endpoint %s answered HTTP %ld%s%s (attempt %d of %d)",
                                llm->url, status, cJSON_IsString(et) ? " " : "",
                                cJSON_IsString(et) ? et->valuestring : "", attempt,
                                llm->max_tries);
                        cJSON_Delete(e);
                        retry = status == 429 || status >= 500;
                }
                long delay = r.retry_after_s >= 0 ? r.retry_after_s * 1000 : wait;
                buf_free(&r.body);
                if (!retry || attempt == llm->max_tries)
                        break;
                sleep_ms(delay > 60000 ? 60000 : delay);
                wait *= 2;
        }
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        return rc;
}

/* The model's text out of the API envelope, plus token usage. */
static int answer_text(const struct dream_llm *llm, const char *body, struct buf *text,
                       struct dream_proposal *out, struct err *err)
{
        cJSON *root = cJSON_Parse(body);
        if (!root)
                return err_set(err, "the model endpoint's answer is not JSON");
        int rc = -1;
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
        if (llm->provider == LLM_ANTHROPIC) {
                const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
                const cJSON *block;
                cJSON_ArrayForEach(block, content)
                {
                        const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");
                        if (cJSON_IsString(t))
                                buf_adds(text, t->valuestring);
                }
                const cJSON *it = cJSON_GetObjectItemCaseSensitive(usage, "input_tokens");
                const cJSON *ot = cJSON_GetObjectItemCaseSensitive(usage, "output_tokens");
                out->input_tokens += cJSON_IsNumber(it) ? (int64_t)it->valuedouble : 0;
                out->output_tokens += cJSON_IsNumber(ot) ? (int64_t)ot->valuedouble : 0;
        } else {
                const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
                const cJSON *msg = cJSON_GetObjectItemCaseSensitive(
                        cJSON_GetArrayItem(choices, 0), "message");
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(msg, "content");
                if (cJSON_IsString(t))
                        buf_adds(text, t->valuestring);
                const cJSON *it = cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens");
                const cJSON *ot = cJSON_GetObjectItemCaseSensitive(usage, "completion_tokens");
                out->input_tokens += cJSON_IsNumber(it) ? (int64_t)it->valuedouble : 0;
                out->output_tokens += cJSON_IsNumber(ot) ? (int64_t)ot->valuedouble : 0;
        }
        if (!text->len)
                err_set(err, "the model's answer holds no text");
        else
                rc = 0;
        cJSON_Delete(root);
        return rc;
}

static const struct dream_memory *find_memory(const struct dream_input *in, const char *id)
{
        for (size_t i = 0; i < in->nmemories; i++) {
                if (strcmp(in->memories[i].id, id) == 0)
                        return &in->memories[i];
        }
        return NULL;
}

static int known_event(const struct dream_input *in, const char *ref)
{
        const char *slash = strchr(ref, '/');
        if (!slash)
                return 0;
        size_t sl = (size_t)(slash - ref);
        for (size_t i = 0; i < in->nevents; i++) {
                const struct dream_event *e = &in->events[i];
                if (strlen(e->session_id) == sl && strncmp(e->session_id, ref, sl) == 0 &&
                    strcmp(e->event_id, slash + 1) == 0)
                        return 1;
        }
        return 0;
}

/* Validates the model's operations and turns them into hunks. Any invalid
 * operation fails the whole answer: a half-trusted answer is not trusted. */
static int parse_operations(const struct dream_input *in, const char *text,
                            struct dream_proposal *out, struct err *err)
{
        /* models sometimes fence JSON in ```json ... ``` */
        const char *start = strchr(text, '{');
        const char *end = strrchr(text, '}');
        if (!start || !end || end < start)
                return err_set(err, "the model's answer holds no JSON object");
        cJSON *root = cJSON_ParseWithLength(start, (size_t)(end - start + 1));
        if (!root)
                return err_set(err, "the model's answer is not valid JSON");
        const cJSON *ops = cJSON_GetObjectItemCaseSensitive(root, "operations");
        if (!cJSON_IsArray(ops)) {
                cJSON_Delete(root);
                return err_set(err, "the model's answer has no \"operations\" array");
        }
        size_t first = out->n;
        int idx = 0;
        const cJSON *op;
        cJSON_ArrayForEach(op, ops)
        {
                idx++;
                const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "op"));
                const char *mid = cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(op, "memory_id"));
                const char *mtext = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(op, "text"));
                const char *why = cJSON_GetStringValue(
                        cJSON_GetObjectItemCaseSensitive(op, "rationale"));
                const cJSON *conf = cJSON_GetObjectItemCaseSensitive(op, "confidence");
                const cJSON *evidence = cJSON_GetObjectItemCaseSensitive(op, "evidence");
                enum dream_op dop;
                if (kind && strcmp(kind, "add") == 0)
                        dop = DREAM_ADD;
                else if (kind && strcmp(kind, "update") == 0)
                        dop = DREAM_UPDATE;
                else if (kind && strcmp(kind, "delete") == 0)
                        dop = DREAM_DELETE;
                else {
                        err_set(err, "operation %d: \"op\" must be add, update or delete", idx);
                        goto fail;
                }
                const struct dream_memory *mem = NULL;
                if (dop != DREAM_ADD) {
                        mem = mid ? find_memory(in, mid) : NULL;
                        if (!mem) {
                                err_set(err, "operation %d: unknown memory id '%.64s'", idx,
                                        mid ? mid : "");
                                goto fail;
                        }
                }
                if (dop != DREAM_DELETE && (!mtext || !*mtext || strlen(mtext) > 4000)) {
                        err_set(err, "operation %d: \"text\" must be 1 to 4000 characters", idx);
                        goto fail;
                }
                if (!cJSON_IsNumber(conf) || conf->valuedouble < 0 || conf->valuedouble > 1) {
                        err_set(err, "operation %d: \"confidence\" must be a number from 0 to 1",
                                idx);
                        goto fail;
                }
                if (!cJSON_IsArray(evidence) || cJSON_GetArraySize(evidence) == 0) {
                        err_set(err, "operation %d: \"evidence\" must name events", idx);
                        goto fail;
                }
                struct dream_hunk *h = dream_proposal_add(out, dop);
                const cJSON *ev;
                cJSON_ArrayForEach(ev, evidence)
                {
                        if (!cJSON_IsString(ev) || !known_event(in, ev->valuestring)) {
                                err_set(err, "operation %d: evidence '%.80s' is not an event it "
                                             "was given",
                                        idx, cJSON_IsString(ev) ? ev->valuestring : "?");
                                goto fail;
                        }
                        memory_list_add(&h->evidence, ev->valuestring);
                }
                h->confidence = conf->valuedouble;
                h->rationale = xstrdup(why && *why ? why : "proposed by the llm dreamer");
                struct buf tags = BUF_INIT;
                const cJSON *tag;
                cJSON_ArrayForEach(tag, cJSON_GetObjectItemCaseSensitive(op, "tags"))
                {
                        if (cJSON_IsString(tag) && memory_scope_valid(tag->valuestring))
                                buf_addf(&tags, "%s%s", tags.len ? "," : "", tag->valuestring);
                }
                h->tags = buf_detach(&tags, NULL);
                if (mem) {
                        h->memory_id = xstrdup(mem->id);
                        h->path = xstrdup(mem->path);
                        h->old_text = xstrdup(mem->text);
                } else {
                        char id[MEMORY_ID_LEN + 1];
                        dream_memory_id(in->scope, mtext, id);
                        h->memory_id = xstrdup(id);
                        struct buf path = BUF_INIT;
                        memory_make_path(in->scope, id, mtext, strlen(mtext), &path);
                        h->path = buf_detach(&path, NULL);
                }
                if (dop != DREAM_DELETE)
                        h->new_text = xstrdup(mtext);
        }
        cJSON_Delete(root);
        return 0;
fail:
        while (out->n > first)
                dream_hunk_clear(&out->v[--out->n]);
        cJSON_Delete(root);
        return -1;
}

int dream_llm_propose(void *ctx, const struct dream_input *in, struct dream_proposal *out,
                      struct err *err)
{
        const struct dream_llm *llm = ctx;
        struct buf prompt = BUF_INIT, request = BUF_INIT, body = BUF_INIT, text = BUF_INIT;
        build_prompt(in, &prompt);
        build_request(llm, prompt.ptr, &request);
        int rc = llm_call(llm, request.ptr, &body, err);
        if (rc == 0)
                rc = answer_text(llm, body.ptr ? body.ptr : "", &text, out, err);
        if (rc == 0)
                rc = parse_operations(in, text.ptr, out, err);
        buf_free(&prompt);
        buf_free(&request);
        buf_free(&body);
        buf_free(&text);
        return rc;
}
