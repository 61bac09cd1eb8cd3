#include "tokens.h"

#include <string.h>
#include <sys/random.h>

#include "audit.h"
#include "buf.h"
#include "db_serve.h"
#include "hmac.h"
#include "sha256.h"
#include "timestamp.h"

static int random_bytes(unsigned char *out, size_t n, struct err *err)
{
        size_t got = 0;
        while (got < n) {
                ssize_t r = getrandom(out + got, n - got, 0);
                if (r < 0)
                        return err_set(err, "getrandom failed: no randomness for a token");
                got += (size_t)r;
        }
        return 0;
}

static void base64url(const unsigned char *in, size_t n, char *out)
{
        static const char tab[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        size_t o = 0, i = 0;
        for (; i + 2 < n; i += 3) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
                out[o++] = tab[v >> 18 & 63];
                out[o++] = tab[v >> 12 & 63];
                out[o++] = tab[v >> 6 & 63];
                out[o++] = tab[v & 63];
        }
        if (n - i == 2) {
                uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
                out[o++] = tab[v >> 18 & 63];
                out[o++] = tab[v >> 12 & 63];
                out[o++] = tab[v >> 6 & 63];
        } else if (n - i == 1) {
                uint32_t v = (uint32_t)in[i] << 16;
                out[o++] = tab[v >> 18 & 63];
                out[o++] = tab[v >> 12 & 63];
        }
        out[o] = '\0';
}

int tokens_create(struct db *db, const char *principal, int64_t ttl_seconds, const char *actor,
                  char text[TOKENS_TEXT_LEN + 1], char id[TOKENS_ID_LEN + 1], struct err *err)
{
        struct principal p = {0};
        int found = 0;
        if (db_principals_get(db, principal, &p, &found, err) < 0)
                return -1;
        principal_clear(&p);
        if (!found)
                return err_set(err,
                               "'%s' is not a principal (add it with `curator principals "
                               "add`)",
                               principal);
        unsigned char raw[32], idraw[6];
        if (random_bytes(raw, sizeof(raw), err) < 0 || random_bytes(idraw, sizeof(idraw), err) < 0)
                return -1;
        memcpy(text, TOKENS_PREFIX, 4);
        base64url(raw, sizeof(raw), text + 4);
        memset(raw, 0, sizeof(raw));
        memcpy(id, "tok_", 4);
        for (size_t i = 0; i < sizeof(idraw); i++) {
                static const char hex[] = "0123456789abcdef";
                id[4 + 2 * i] = hex[idraw[i] >> 4];
                id[5 + 2 * i] = hex[idraw[i] & 15];
        }
        id[TOKENS_ID_LEN] = '\0';
        char hash[65];
        sha256_hex(text, TOKENS_TEXT_LEN, hash);
        char expires[TIMESTAMP_LEN + 1];
        if (ttl_seconds > 0)
                timestamp_format(timestamp_now_ms() + ttl_seconds * 1000, expires);
        /* The audit row names the token by id and principal, never by text. */
        struct buf detail = BUF_INIT, object = BUF_INIT;
        buf_adds(&detail, "{\"principal\":\"");
        buf_add_json_str(&detail, principal, strlen(principal));
        buf_addf(&detail, "\",\"expires\":%s%s%s}", ttl_seconds > 0 ? "\"" : "",
                 ttl_seconds > 0 ? expires : "null", ttl_seconds > 0 ? "\"" : "");
        buf_addf(&object, "token:%s", id);
        int rc = -1;
        if (db_begin(db, err) < 0)
                goto out;
        if (db_tokens_add(db, id, principal, hash, ttl_seconds > 0 ? expires : NULL, err) < 0 ||
            audit_append(db, actor, "token.create", object.ptr, detail.ptr, err) < 0) {
                db_rollback(db);
                goto out;
        }
        rc = db_commit(db, err);
out:
        buf_free(&detail);
        buf_free(&object);
        return rc;
}

int tokens_revoke(struct db *db, const char *id, const char *actor, int *changed, struct err *err)
{
        struct buf object = BUF_INIT;
        buf_addf(&object, "token:%s", id);
        int rc = -1;
        if (db_begin(db, err) < 0)
                goto out;
        if (db_tokens_revoke(db, id, changed, err) < 0 ||
            (*changed && audit_append(db, actor, "token.revoke", object.ptr, NULL, err) < 0)) {
                db_rollback(db);
                goto out;
        }
        rc = db_commit(db, err);
out:
        buf_free(&object);
        return rc;
}

int tokens_check(struct db *db, const char *text, size_t len, struct principal *out,
                 enum tokens_verdict *verdict, struct err *err)
{
        *verdict = TOKENS_UNKNOWN;
        if (len != TOKENS_TEXT_LEN || memcmp(text, TOKENS_PREFIX, 4) != 0)
                return 0;
        char hash[65];
        sha256_hex(text, len, hash);
        struct db_token t = {0};
        int found = 0;
        if (db_tokens_get_by_hash(db, hash, &t, &found, err) < 0)
                return -1;
        /* The lookup is by hash, which says nothing of the token; the compare
         * is constant-time anyway so no path ever compares a secret early-out. */
        if (!found || !t.hash || strlen(t.hash) != 64 || !hmac_equal(t.hash, hash, 64)) {
                db_token_clear(&t);
                return 0;
        }
        if (t.revoked_at) {
                *verdict = TOKENS_REVOKED;
        } else if (t.expires_at) {
                int64_t exp = 0;
                if (timestamp_parse(t.expires_at, strlen(t.expires_at), &exp) < 0 ||
                    exp <= timestamp_now_ms())
                        *verdict = TOKENS_EXPIRED;
        }
        if (*verdict == TOKENS_UNKNOWN) {
                int pfound = 0;
                if (db_principals_get(db, t.principal, out, &pfound, err) < 0) {
                        db_token_clear(&t);
                        return -1;
                }
                *verdict = pfound ? TOKENS_OK : TOKENS_UNKNOWN;
        }
        db_token_clear(&t);
        return 0;
}

int tokens_scope_allowed(const struct principal *p, const char *scope)
{
        if (!scope || !*scope)
                return 0;
        if (!p->scopes)
                return 1;
        size_t n = strlen(scope);
        for (const char *s = p->scopes; *s;) {
                const char *e = strchr(s, ',');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                while (len && *s == ' ')
                        s++, len--;
                while (len && s[len - 1] == ' ')
                        len--;
                if (len == n && memcmp(s, scope, n) == 0)
                        return 1;
                if (!e)
                        break;
                s = e + 1;
        }
        return 0;
}
