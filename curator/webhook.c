#include "webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db_serve.h"
#include "fileio.h"
#include "hmac.h"
#include "timestamp.h"

int webhook_enqueue(struct db *db, const struct config *cfg, const char *event,
                    const char *body_json, struct err *err)
{
        const char *url = config_get(cfg, "webhooks", "url");
        if (!url || !*url)
                return 0;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        struct buf b = BUF_INIT;
        buf_adds(&b, "{\"event\":\"");
        buf_add_json_str(&b, event, strlen(event));
        buf_addf(&b, "\",\"at\":\"%s\"", now);
        /* body_json is an object: splice its members in after ours. */
        const char *p = body_json ? strchr(body_json, '{') : NULL;
        if (p) {
                const char *rest = p + 1;
                while (*rest == ' ')
                        rest++;
                if (*rest != '}')
                        buf_addc(&b, ',');
                buf_adds(&b, rest);
        } else {
                buf_addc(&b, '}');
        }
        int rc = db_webhook_enqueue(db, event, buf_cstr(&b), err);
        buf_free(&b);
        return rc;
}

static size_t discard(char *ptr, size_t size, size_t n, void *ctx)
{
        (void)ptr;
        (void)ctx;
        return size * n;
}

/* One POST; returns 0 on a 2xx answer, else -1 with err saying why. */
static int post(const char *url, const char *secret, size_t secret_len, const char *body,
                struct err *err)
{
        char sig[65];
        hmac_sha256_hex(secret, secret_len, body, strlen(body), sig);
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "X-Curator-Signature: sha256=%s", sig);
        CURL *c = curl_easy_init();
        if (!c)
                return err_set(err, "curl_easy_init failed");
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, hdr);
        h = curl_slist_append(h, "User-Agent: curator-webhook/0.1");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        CURLcode cr = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (cr != CURLE_OK)
                return err_set(err, "%s", curl_easy_strerror(cr));
        if (status < 200 || status > 299)
                return err_set(err, "the receiver answered HTTP %ld", status);
        return 0;
}

int webhook_deliver_due(struct db *db, const struct config *cfg, int *delivered, int *failed,
                        struct err *err)
{
        *delivered = *failed = 0;
        const char *url = config_get(cfg, "webhooks", "url");
        if (!url || !*url)
                return 0;
        struct buf secret = BUF_INIT;
        const char *secret_file = config_get(cfg, "webhooks", "secret_file");
        if (!secret_file)
                return err_set(err, "[webhooks] url is set but secret_file is not");
        if (fileio_read_all(secret_file, &secret, NULL, err) < 0)
                return err_wrap(err, "[webhooks] secret_file");
        while (secret.len &&
               (secret.ptr[secret.len - 1] == '\n' || secret.ptr[secret.len - 1] == '\r'))
                secret.len--;
        int rc = 0;
        for (int i = 0; i < 100; i++) {
                struct db_webhook w = {0};
                int found = 0;
                if (db_webhook_next_due(db, timestamp_now_ms(), &w, &found, err) < 0) {
                        rc = -1;
                        break;
                }
                if (!found)
                        break;
                struct err perr;
                int ok = post(url, secret.ptr ? secret.ptr : "", secret.len, w.body, &perr) == 0;
                /* Backoff doubles from 2 s: 2, 4, 8 ... about 4 min over the attempts. */
                int64_t next = -1;
                if (!ok && w.attempts + 1 < WEBHOOK_MAX_ATTEMPTS)
                        next = timestamp_now_ms() + (int64_t)2000 * (1LL << w.attempts);
                if (db_webhook_mark(db, w.id, ok, ok ? NULL : perr.msg, next, err) < 0) {
                        db_webhook_clear(&w);
                        rc = -1;
                        break;
                }
                if (ok)
                        (*delivered)++;
                else
                        (*failed)++;
                db_webhook_clear(&w);
        }
        if (secret.ptr) /* the secret does not outlive its use */
                memset(secret.ptr, 0, secret.cap);
        buf_free(&secret);
        return rc;
}
