/* Checks a candidate secret or identifier beyond what a regex can say:
 * checksums (Luhn, IBAN mod-97), structure (a JWT header that decodes to
 * JSON with "alg"), and ranges (public IP addresses). Used by the rules
 * engine; each validator is named in rule files by the string below. */
#ifndef CURATOR_RULES_VALIDATE_H
#define CURATOR_RULES_VALIDATE_H

#include <stddef.h>

/* Returns 1 if s passes, 0 if not. */
typedef int (*rules_validator_fn)(const char *s, size_t len);

/* Looks a validator up by name ("luhn", "card", "iban", ...), or NULL. */
rules_validator_fn rules_validator_find(const char *name);
/* The names rules_validator_find knows, ", "-separated, for error messages. */
const char *rules_validator_names(void);

/* Shannon entropy of the bytes of s, in bits per byte. */
double rules_entropy(const char *s, size_t len);

int rules_valid_luhn(const char *s, size_t len);
int rules_valid_card(const char *s, size_t len);
int rules_valid_iban(const char *s, size_t len);
int rules_valid_jwt(const char *s, size_t len);
int rules_valid_private_key(const char *s, size_t len);
int rules_valid_ipv4_public(const char *s, size_t len);
int rules_valid_ipv6_public(const char *s, size_t len);
int rules_valid_phone(const char *s, size_t len);
int rules_valid_national_phone(const char *s, size_t len);

#endif
