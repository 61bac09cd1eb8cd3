#include "hmac.h"

#include <string.h>

#include "sha256.h"

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32])
{
        unsigned char k[64] = {0}, pad[64], inner[32];
        struct sha256 s;
        /* A key longer than the block is replaced by its hash (RFC 2104 §2). */
        if (key_len > sizeof(k)) {
                sha256_init(&s);
                sha256_update(&s, key, key_len);
                sha256_final(&s, k);
        } else if (key_len) {
                memcpy(k, key, key_len);
        }
        for (size_t i = 0; i < 64; i++)
                pad[i] = k[i] ^ 0x36;
        sha256_init(&s);
        sha256_update(&s, pad, sizeof(pad));
        sha256_update(&s, msg, msg_len);
        sha256_final(&s, inner);
        for (size_t i = 0; i < 64; i++)
                pad[i] = k[i] ^ 0x5c;
        sha256_init(&s);
        sha256_update(&s, pad, sizeof(pad));
        sha256_update(&s, inner, sizeof(inner));
        sha256_final(&s, out);
        /* The key schedule is as secret as the key. */
        memset(k, 0, sizeof(k));
        memset(pad, 0, sizeof(pad));
}

void hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len, char hex[65])
{
        unsigned char d[32];
        hmac_sha256(key, key_len, msg, msg_len, d);
        sha256_digest_hex(d, hex);
}

int hmac_equal(const void *a, const void *b, size_t n)
{
        const volatile unsigned char *x = a, *y = b;
        unsigned char diff = 0;
        for (size_t i = 0; i < n; i++)
                diff |= x[i] ^ y[i];
        return diff == 0;
}
