#include "hooks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "fileio.h"
#include "hmac.h"

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Decodes standard base64 (padding optional) into out (room for len * 3 / 4
 * bytes). Returns the length, or -1 if s is not base64. */
static long b64_decode(const char *s, size_t len, unsigned char *out)
{
        while (len && s[len - 1] == '=')
                len--;
        if (len % 4 == 1)
                return -1;
        long n = 0;
        unsigned acc = 0;
        int bits = 0;
        for (size_t i = 0; i < len; i++) {
                int v = b64_value((unsigned char)s[i]);
                if (v < 0)
                        return -1;
                acc = (acc << 6) | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        out[n++] = (unsigned char)(acc >> bits);
                        acc &= (1u << bits) - 1;
                }
        }
        return n;
}

static void trim(struct buf *b)
{
        while (b->len && (b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == '\r' ||
                          b->ptr[b->len - 1] == ' ' || b->ptr[b->len - 1] == '\t'))
                b->ptr[--b->len] = '\0';
}

int hooks_key_load(const struct config *cfg, struct hooks_key *out, int *configured,
                   struct err *err)
{
        memset(out, 0, sizeof(*out));
        const char *file = config_get(cfg, "platform", "webhook_secret_file");
        const char *env = config_get(cfg, "platform", "webhook_secret_env");
        *configured = (file && *file) || (env && *env);
        if (!*configured)
                return 0;
        struct buf text = BUF_INIT;
        const char *where;
        if (file && *file) {
                where = "[platform] webhook_secret_file";
                if (fileio_read_all(file, &text, NULL, err) < 0) {
                        buf_free(&text);
                        return err_wrap(err, "%s", where);
                }
        } else {
                where = "[platform] webhook_secret_env";
                const char *v = getenv(env);
                if (!v || !*v)
                        return err_set(err, "%s: $%s is not set", where, env);
                buf_adds(&text, v);
        }
        trim(&text);
        const char *s = text.ptr ? text.ptr : "";
        size_t len = text.len;
        if (len >= 6 && strncmp(s, "whsec_", 6) == 0) {
                s += 6;
                len -= 6;
        }
        unsigned char *key = xcalloc(1, len + 1);
        long n = b64_decode(s, len, key);
        if (text.ptr)
                memset(text.ptr, 0, text.len);
        buf_free(&text);
        if (n <= 0) {
                memset(key, 0, len + 1);
                free(key);
                return err_set(err,
                               "%s: the secret is not whsec_ followed by base64 (as the Console "
                               "shows it)",
                               where);
        }
        out->bytes = key;
        out->len = (size_t)n;
        return 0;
}

void hooks_key_free(struct hooks_key *k)
{
        if (k->bytes) {
                memset(k->bytes, 0, k->len);
                free(k->bytes);
        }
        k->bytes = NULL;
        k->len = 0;
}

enum hooks_verdict hooks_verify(const struct hooks_key *key, const char *id, const char *timestamp,
                                const char *signature, const char *body, size_t len, int64_t now_s,
                                struct err *err)
{
        if (!id || !*id || !timestamp || !*timestamp || !signature || !*signature) {
                err_set(err, "webhook-id, webhook-timestamp and webhook-signature are all "
                             "required");
                return HOOKS_MISSING;
        }
        errno = 0;
        char *end = NULL;
        long long ts = strtoll(timestamp, &end, 10);
        if (errno || !end || *end || ts <= 0) {
                err_set(err, "webhook-timestamp must be Unix seconds");
                return HOOKS_MALFORMED;
        }
        struct buf msg = BUF_INIT;
        buf_adds(&msg, id);
        buf_addc(&msg, '.');
        buf_adds(&msg, timestamp);
        buf_addc(&msg, '.');
        buf_add(&msg, body, len);
        unsigned char want[32];
        hmac_sha256(key->bytes, key->len, msg.ptr, msg.len, want);
        buf_free(&msg);
        int ok = 0;
        const char *p = signature;
        while (*p) {
                while (*p == ' ')
                        p++;
                const char *e = strchr(p, ' ');
                size_t n = e ? (size_t)(e - p) : strlen(p);
                /* v1,<44 characters of base64 of 32 bytes>; other versions are skipped. */
                if (n > 3 && strncmp(p, "v1,", 3) == 0 && n - 3 <= 64) {
                        unsigned char got[48];
                        long gl = b64_decode(p + 3, n - 3, got);
                        if (gl == 32 && hmac_equal(got, want, 32))
                                ok = 1;
                }
                p += n;
        }
        memset(want, 0, sizeof(want));
        if (!ok) {
                err_set(err, "no v1 signature in webhook-signature matches the body under the "
                             "configured secret");
                return HOOKS_BAD_SIG;
        }
        if (ts < now_s - HOOKS_TOLERANCE_S || ts > now_s + HOOKS_TOLERANCE_S) {
                err_set(err, "webhook-timestamp %lld is more than %d seconds from now", ts,
                        HOOKS_TOLERANCE_S);
                return HOOKS_STALE;
        }
        return HOOKS_OK;
}

int hooks_wants_pull(const char *t)
{
        static const char *const types[] = {
            "session.status_idled",      "session.status_terminated",        "session.thread_idled",
            "session.thread_terminated", "session.outcome_evaluation_ended",
        };
        if (!t)
                return 0;
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(t, types[i]) == 0)
                        return 1;
        return 0;
}

int hooks_id_valid(const char *s)
{
        size_t n = 0;
        if (!s)
                return 0;
        for (; s[n]; n++) {
                char c = s[n];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-'))
                        return 0;
        }
        return n >= 1 && n <= 128;
}
