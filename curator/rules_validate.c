#include "rules_validate.h"

#include <arpa/inet.h>
#include <math.h>
#include <string.h>

#include "buf.h"

static int is_digit(char c)
{
        return c >= '0' && c <= '9';
}

double rules_entropy(const char *s, size_t len)
{
        if (len == 0)
                return 0;
        size_t count[256] = {0};
        for (size_t i = 0; i < len; i++)
                count[(unsigned char)s[i]]++;
        double h = 0;
        for (int c = 0; c < 256; c++) {
                if (count[c]) {
                        double p = (double)count[c] / (double)len;
                        h -= p * log2(p);
                }
        }
        return h;
}

/* Copies the digits of s into out (at most cap), skipping spaces and dashes;
 * returns the digit count, or -1 if s holds anything else. */
static int digits_only(const char *s, size_t len, char *out, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                if (is_digit(s[i])) {
                        if (n == cap)
                                return -1;
                        out[n++] = s[i];
                } else if (s[i] != ' ' && s[i] != '-' && s[i] != '.') {
                        return -1;
                }
        }
        return (int)n;
}

static int luhn_digits(const char *d, int n)
{
        int sum = 0;
        for (int i = 0; i < n; i++) {
                int v = d[n - 1 - i] - '0';
                if (i % 2 == 1) {
                        v *= 2;
                        if (v > 9)
                                v -= 9;
                }
                sum += v;
        }
        return n >= 2 && sum % 10 == 0;
}

static int all_same(const char *d, int n)
{
        for (int i = 1; i < n; i++)
                if (d[i] != d[0])
                        return 0;
        return 1;
}

int rules_valid_luhn(const char *s, size_t len)
{
        char d[64];
        int n = digits_only(s, len, d, sizeof(d));
        return n > 0 && !all_same(d, n) && luhn_digits(d, n);
}

static int prefix_in(const char *d, int width, int lo, int hi)
{
        int v = 0;
        for (int i = 0; i < width; i++)
                v = v * 10 + (d[i] - '0');
        return v >= lo && v <= hi;
}

/* The issuer ranges (IIN) and lengths the major card brands publish. */
static int card_brand_ok(const char *d, int n)
{
        if (d[0] == '4')
                return n == 13 || n == 16 || n == 19; /* Visa */
        if (prefix_in(d, 2, 51, 55) || prefix_in(d, 4, 2221, 2720))
                return n == 16; /* Mastercard */
        if (prefix_in(d, 4, 2200, 2204))
                return n == 16; /* Mir */
        if (prefix_in(d, 2, 34, 34) || prefix_in(d, 2, 37, 37))
                return n == 15; /* American Express */
        if (prefix_in(d, 4, 6011, 6011) || prefix_in(d, 3, 644, 649) || prefix_in(d, 2, 65, 65))
                return n >= 16 && n <= 19; /* Discover */
        if (prefix_in(d, 2, 62, 62))
                return n >= 16 && n <= 19; /* UnionPay */
        if (prefix_in(d, 4, 3528, 3589))
                return n >= 16 && n <= 19; /* JCB */
        if (prefix_in(d, 3, 300, 305) || prefix_in(d, 4, 3095, 3095) || prefix_in(d, 2, 36, 36) ||
            prefix_in(d, 2, 38, 39))
                return n >= 14 && n <= 19; /* Diners Club */
        if (prefix_in(d, 4, 5018, 5018) || prefix_in(d, 4, 5020, 5020) ||
            prefix_in(d, 4, 5038, 5038) || prefix_in(d, 4, 5893, 5893) ||
            prefix_in(d, 4, 6304, 6304) || prefix_in(d, 4, 6759, 6759) ||
            prefix_in(d, 4, 6761, 6763))
                return n >= 12 && n <= 19; /* Maestro */
        return 0;
}

/* Separated card numbers are printed in fixed groups: 4-4-4-4(-1..3), or
 * 4-6-5 / 4-6-4 for Amex and Diners; one separator kind throughout. */
static int card_layout_ok(const char *s, size_t len)
{
        int groups[8], ng = 0, cur = 0;
        char sep = 0;
        for (size_t i = 0; i < len; i++) {
                if (is_digit(s[i])) {
                        cur++;
                        continue;
                }
                if (sep && s[i] != sep)
                        return 0;
                sep = s[i];
                if (ng == 7 || cur == 0)
                        return 0;
                groups[ng++] = cur;
                cur = 0;
        }
        groups[ng++] = cur;
        if (ng == 1)
                return 1;
        if (ng == 3 && groups[0] == 4 && groups[1] == 6 && (groups[2] == 5 || groups[2] == 4))
                return 1;
        for (int i = 0; i < ng - 1; i++)
                if (groups[i] != 4)
                        return 0;
        return groups[ng - 1] >= 1 && groups[ng - 1] <= 4;
}

int rules_valid_card(const char *s, size_t len)
{
        char d[32];
        int n = digits_only(s, len, d, sizeof(d));
        if (n < 12 || n > 19 || all_same(d, n))
                return 0;
        return card_layout_ok(s, len) && card_brand_ok(d, n) && luhn_digits(d, n);
}

/* IBAN lengths by country, from the ISO 13616 registry. */
static const struct {
        char cc[3];
        int len;
} iban_lengths[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
    {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
    {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
    {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
    {"GT", 28}, {"HN", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26},
    {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20},
    {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20},
    {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24},
    {"SC", 31}, {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25},
    {"SV", 28}, {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20},
    {"YE", 30},
};

int rules_valid_iban(const char *s, size_t len)
{
        char c[40];
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                char ch = s[i];
                if (ch == ' ')
                        continue;
                if (ch >= 'a' && ch <= 'z')
                        ch = (char)(ch - 'a' + 'A');
                if (!((ch >= 'A' && ch <= 'Z') || is_digit(ch)) || n == sizeof(c))
                        return 0;
                c[n++] = ch;
        }
        if (n < 15)
                return 0;
        int want = 0;
        for (size_t i = 0; i < sizeof(iban_lengths) / sizeof(iban_lengths[0]); i++)
                if (c[0] == iban_lengths[i].cc[0] && c[1] == iban_lengths[i].cc[1])
                        want = iban_lengths[i].len;
        if (want != (int)n)
                return 0;
        /* mod 97 of the number formed by moving the first four characters to
         * the end and writing letters as 10..35, computed digit by digit. */
        unsigned rem = 0;
        for (size_t k = 0; k < n; k++) {
                char ch = c[(k + 4) % n];
                if (is_digit(ch))
                        rem = (rem * 10 + (unsigned)(ch - '0')) % 97;
                else
                        rem = (rem * 100 + (unsigned)(ch - 'A' + 10)) % 97;
        }
        return rem == 1;
}

static int b64url_value(char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (is_digit(c))
                return c - '0' + 52;
        if (c == '-' || c == '+')
                return 62;
        if (c == '_' || c == '/')
                return 63;
        return -1;
}

/* Decodes base64url (no padding) into out; returns the byte count or -1. */
static int b64url_decode(const char *s, size_t len, char *out, size_t cap)
{
        size_t n = 0;
        unsigned acc = 0;
        int bits = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '=')
                        break;
                int v = b64url_value(s[i]);
                if (v < 0)
                        return -1;
                acc = (acc << 6) | (unsigned)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (n == cap)
                                return (int)n; /* enough to judge */
                        out[n++] = (char)((acc >> bits) & 0xff);
                }
        }
        return (int)n;
}

int rules_valid_jwt(const char *s, size_t len)
{
        const char *dot = memchr(s, '.', len);
        if (!dot)
                return 0;
        char hdr[512];
        int n = b64url_decode(s, (size_t)(dot - s), hdr, sizeof(hdr));
        if (n < 8)
                return 0;
        int i = 0;
        while (i < n && (hdr[i] == ' ' || hdr[i] == '\t' || hdr[i] == '\r' || hdr[i] == '\n'))
                i++;
        if (i == n || hdr[i] != '{' || !memmem(hdr, (size_t)n, "\"alg\"", 5))
                return 0;
        const char *p = dot + 1;
        const char *end = s + len;
        const char *dot2 = memchr(p, '.', (size_t)(end - p));
        if (!dot2)
                return 0;
        char body[16];
        n = b64url_decode(p, (size_t)(dot2 - p), body, sizeof(body));
        for (i = 0; i < n && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r'); i++)
                ;
        return i < n && body[i] == '{';
}

int rules_valid_private_key(const char *s, size_t len)
{
        /* Skip the BEGIN line up to its closing dashes, then count key body
         * characters up to an END line; escape pairs such as a JSON "\n" are
         * not body. */
        const char *p = memmem(s, len, "-----", 5);
        if (!p)
                return 0;
        p = memmem(p + 5, len - (size_t)(p + 5 - s), "-----", 5);
        if (!p)
                return 0;
        size_t body = 0;
        int ended = 0;
        for (size_t i = (size_t)(p + 5 - s); i < len; i++) {
                char c = s[i];
                if (c == '\\') {
                        i++;
                        continue;
                }
                if (c == '-' && i + 4 < len && memcmp(s + i, "-----", 5) == 0) {
                        ended = 1;
                        break;
                }
                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' ||
                    c == '/')
                        body++;
        }
        /* A complete block needs only a token body (examples are often
         * abridged); a block cut short needs enough body to be a key. */
        return body >= (ended ? 16 : 64);
}

int rules_valid_ipv4_public(const char *s, size_t len)
{
        int o[4], k = 0, digits = 0, v = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i == len || s[i] == '.') {
                        if (digits == 0 || k == 4)
                                return 0;
                        o[k++] = v;
                        v = 0;
                        digits = 0;
                        continue;
                }
                if (!is_digit(s[i]) || (digits == 1 && v == 0))
                        return 0; /* leading zeros: a version string, not an address */
                v = v * 10 + (s[i] - '0');
                if (++digits > 3 || v > 255)
                        return 0;
        }
        if (k != 4)
                return 0;
        /* Not public: this-network, private, shared CGN, loopback, link-local,
         * the IETF and documentation blocks, benchmarking, multicast, reserved. */
        if (o[0] == 0 || o[0] == 10 || o[0] == 127 || o[0] >= 224)
                return 0;
        if (o[0] == 100 && o[1] >= 64 && o[1] <= 127)
                return 0;
        if (o[0] == 169 && o[1] == 254)
                return 0;
        if (o[0] == 172 && o[1] >= 16 && o[1] <= 31)
                return 0;
        if (o[0] == 192 && o[1] == 168)
                return 0;
        if (o[0] == 192 && o[1] == 0 && (o[2] == 0 || o[2] == 2))
                return 0;
        if (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                return 0;
        if (o[0] == 198 && o[1] == 51 && o[2] == 100)
                return 0;
        if (o[0] == 203 && o[1] == 0 && o[2] == 113)
                return 0;
        return 1;
}

int rules_valid_ipv6_public(const char *s, size_t len)
{
        char tmp[64];
        if (len >= sizeof(tmp))
                return 0;
        memcpy(tmp, s, len);
        tmp[len] = 0;
        /* At least three written groups: "ab::cd" is more often code (a C++
         * scope) than an address. */
        int groups = 0;
        for (size_t i = 0; i < len; i++)
                if (tmp[i] != ':' && (i == 0 || tmp[i - 1] == ':'))
                        groups++;
        if (groups < 3)
                return 0;
        unsigned char a[16];
        if (inet_pton(AF_INET6, tmp, a) != 1)
                return 0;
        static const unsigned char zero[16] = {0};
        if (memcmp(a, zero, 15) == 0)
                return 0; /* :: and ::1 */
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
                return 0; /* link-local fe80::/10 */
        if ((a[0] & 0xfe) == 0xfc)
                return 0; /* unique local fc00::/7 */
        if (a[0] == 0xff)
                return 0; /* multicast */
        if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8)
                return 0; /* documentation 2001:db8::/32 */
        if (memcmp(a, zero, 10) == 0)
                return 0; /* IPv4-mapped and -compatible: judged as IPv4 elsewhere */
        return 1;
}

static int count_phone_digits(const char *s, size_t len, char *d, size_t cap)
{
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                if (is_digit(s[i])) {
                        if (n == cap)
                                return -1;
                        d[n++] = s[i];
                }
        }
        return (int)n;
}

int rules_valid_phone(const char *s, size_t len)
{
        char d[32];
        int n = count_phone_digits(s, len, d, sizeof(d));
        return n >= 8 && n <= 15 && !all_same(d, n);
}

int rules_valid_national_phone(const char *s, size_t len)
{
        char d[32];
        int n = count_phone_digits(s, len, d, sizeof(d));
        return n >= 10 && n <= 12 && !all_same(d + 1, n - 1);
}

static const struct {
        const char *name;
        rules_validator_fn fn;
} validators[] = {
    {"luhn", rules_valid_luhn},
    {"card", rules_valid_card},
    {"iban", rules_valid_iban},
    {"jwt", rules_valid_jwt},
    {"private_key", rules_valid_private_key},
    {"ipv4_public", rules_valid_ipv4_public},
    {"ipv6_public", rules_valid_ipv6_public},
    {"phone", rules_valid_phone},
    {"national_phone", rules_valid_national_phone},
};

rules_validator_fn rules_validator_find(const char *name)
{
        for (size_t i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
                if (strcmp(validators[i].name, name) == 0)
                        return validators[i].fn;
        return NULL;
}

const char *rules_validator_names(void)
{
        return "luhn, card, iban, jwt, private_key, ipv4_public, ipv6_public, phone, "
               "national_phone";
}
