/* HMAC-SHA256 (RFC 2104 over FIPS 180-4) for webhook signatures, and the
 * constant-time comparison every check of a secret uses. */
#ifndef CURATOR_HMAC_H
#define CURATOR_HMAC_H

#include <stddef.h>

/* Writes the 32-byte HMAC-SHA256 of msg under key into out. */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32]);
/* The same, as 64 lowercase hex digits and a NUL. */
void hmac_sha256_hex(const void *key, size_t key_len, const void *msg, size_t msg_len,
                     char hex[65]);
/* Returns 1 if a and b (both n bytes) are equal, in time that depends on n
 * only, so a caller comparing secrets leaks nothing about where they differ. */
int hmac_equal(const void *a, const void *b, size_t n);

#endif
