/* HMAC-SHA256 against RFC 4231's test vectors, and the constant-time compare. */
#include <string.h>

#include "check.h"
#include "hmac.h"

static void hex_to_bytes(const char *hex, unsigned char *out, size_t *n)
{
        *n = 0;
        for (; hex[0] && hex[1]; hex += 2) {
                unsigned v = 0;
                for (int i = 0; i < 2; i++) {
                        char c = hex[i];
                        v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
                }
                out[(*n)++] = (unsigned char)v;
        }
}

static void check_vector(const char *key_hex, const char *data_hex, const char *want)
{
        unsigned char key[256], data[256];
        size_t kn, dn;
        hex_to_bytes(key_hex, key, &kn);
        hex_to_bytes(data_hex, data, &dn);
        char got[65];
        hmac_sha256_hex(key, kn, data, dn, got);
        CHECK_STR(got, want);
}

static void test_rfc4231_case1(void)
{
        check_vector("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
                     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

static void test_rfc4231_case2_short_key(void)
{
        check_vector("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
                     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_rfc4231_case3(void)
{
        check_vector("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
                     "dddddddddddddddddddddddddddd",
                     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

static void test_rfc4231_case4(void)
{
        check_vector("0102030405060708090a0b0c0d0e0f10111213141516171819",
                     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
                     "cdcdcdcdcdcdcdcdcdcdcdcdcdcd",
                     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

/* Case 6: a 131-byte key, longer than the block, is hashed first. */
static void test_rfc4231_case6_long_key(void)
{
        char key[2 * 131 + 1];
        for (int i = 0; i < 131; i++)
                memcpy(key + 2 * i, "aa", 2);
        key[2 * 131] = '\0';
        check_vector(key,
                     "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b"
                     "6579202d2048617368204b6579204669727374",
                     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* Case 7: a long key and a long message. */
static void test_rfc4231_case7(void)
{
        char key[2 * 131 + 1];
        for (int i = 0; i < 131; i++)
                memcpy(key + 2 * i, "aa", 2);
        key[2 * 131] = '\0';
        const char *msg = "This is a test using a larger than block-size key and a larger than "
                          "block-size data. The key needs to be hashed before being used by the "
                          "HMAC algorithm.";
        unsigned char k[131];
        memset(k, 0xaa, sizeof(k));
        char got[65];
        hmac_sha256_hex(k, sizeof(k), msg, strlen(msg), got);
        CHECK_STR(got, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_equal(void)
{
        CHECK_INT(hmac_equal("abcdef", "abcdef", 6), 1);
        CHECK_INT(hmac_equal("abcdef", "abcdeg", 6), 0);
        CHECK_INT(hmac_equal("xbcdef", "abcdef", 6), 0);
        CHECK_INT(hmac_equal("", "", 0), 1);
}

int main(void)
{
        RUN(test_rfc4231_case1);
        RUN(test_rfc4231_case2_short_key);
        RUN(test_rfc4231_case3);
        RUN(test_rfc4231_case4);
        RUN(test_rfc4231_case6_long_key);
        RUN(test_rfc4231_case7);
        RUN(test_equal);
        return CHECK_DONE();
}
