/* The JSON API client: retries and backoff around libcurl (http_client.h). */
#include "http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct attempt {
        struct buf body;
        size_t max_body;
        long retry_after_s; /* -1: none given */
        int too_large;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
        struct attempt *a = ctx;
        if (a->body.len + size * n > a->max_body) {
                a->too_large = 1;
                return 0; /* aborts the transfer */
        }
        buf_add(&a->body, data, size * n);
        return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
        struct attempt *a = ctx;
        size_t len = size * n;
        if (len > 12 && strncasecmp(data, "retry-after:", 12) == 0) {
                char *end;
                long s = strtol(data + 12, &end, 10);
                a->retry_after_s = end != data + 12 && s >= 0 ? s : -1;
        }
        return len;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
                ;
}

int http_client_init(struct http_client *c, struct err *err)
{
        memset(c, 0, sizeof(*c));
        c->curl = curl_easy_init();
        if (!c->curl)
                return err_set(err, "cannot start libcurl");
        c->timeout_ms = 60000;
        c->max_tries = 4;
        c->retry_base_ms = 500;
        c->max_wait_ms = 60000;
        c->max_body = 64u * 1024 * 1024;
        return 0;
}

void http_client_free(struct http_client *c)
{
        if (c && c->curl) {
                curl_easy_cleanup(c->curl);
                c->curl = NULL;
        }
}

void http_response_free(struct http_response *r)
{
        buf_free(&r->body);
        r->status = 0;
}

int http_client_request(struct http_client *c, const char *method, const char *url,
                        struct curl_slist *headers, const char *body, size_t body_len,
                        struct http_response *out, struct err *err)
{
        CURL *curl = c->curl;
        int tries = c->max_tries > 0 ? c->max_tries : 1;
        long wait = c->retry_base_ms > 0 ? c->retry_base_ms : 1;
        http_response_free(out);
        for (int attempt = 1;; attempt++) {
                struct attempt a = {BUF_INIT, c->max_body, -1, 0};
                curl_easy_reset(curl);
                curl_easy_setopt(curl, CURLOPT_URL, url);
                curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
                if (strcmp(method, "GET") == 0) {
                        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
                } else if (strcmp(method, "POST") == 0) {
                        curl_easy_setopt(curl, CURLOPT_POST, 1L);
                        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
                        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)(body ? body_len : 0));
                } else {
                        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
                        if (body) {
                                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
                                curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body_len);
                        }
                }
                curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
                curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
                curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
                curl_easy_setopt(curl, CURLOPT_HEADERDATA, &a);
                curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
                curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
                curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
                curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
                c->attempts++;
                if (attempt > 1)
                        c->retries++;
                CURLcode cc = curl_easy_perform(curl);
                long status = 0;
                curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
                int retry;
                if (cc != CURLE_OK) {
                        if (a.too_large)
                                err_set(err, "%s %s: the answer is larger than %zu bytes", method,
                                        url, c->max_body);
                        else
                                err_set(err, "%s %s: %s (attempt %d of %d)", method, url,
                                        curl_easy_strerror(cc), attempt, tries);
                        retry = !a.too_large;
                } else {
                        retry = status == 429 || (status >= 500 && status <= 599);
                }
                if (!retry || attempt >= tries) {
                        if (cc != CURLE_OK) {
                                buf_free(&a.body);
                                return -1;
                        }
                        out->status = status;
                        out->body = a.body;
                        return 0;
                }
                long delay = a.retry_after_s >= 0 ? a.retry_after_s * 1000 : wait;
                buf_free(&a.body);
                sleep_ms(delay > c->max_wait_ms ? c->max_wait_ms : delay);
                wait *= 2;
        }
}

void http_url_escape(struct buf *out, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
                        buf_addc(out, (char)*p);
                } else {
                        buf_addc(out, '%');
                        buf_addc(out, hex[*p >> 4]);
                        buf_addc(out, hex[*p & 15]);
                }
        }
}
