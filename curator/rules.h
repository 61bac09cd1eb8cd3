/* The rules engine: secret, PII and prompt-injection detection. Rules are
 * data (rules/ JSON files, docs/RULES.md); a loaded set is immutable and may be
 * shared by any number of threads scanning at once. */
#ifndef CURATOR_RULES_H
#define CURATOR_RULES_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"

enum rule_family { RULE_SECRET, RULE_PII, RULE_INJECTION };
enum rule_action { RULE_FLAG, RULE_REDACT, RULE_BLOCK };

struct rules_set;

struct rule_finding {
        const char *rule_id;     /* borrowed from the set; lives as long as it */
        enum rule_family family;
        enum rule_action action;
        size_t start, end;       /* byte offsets of the match in the scanned text */
};

struct rule_findings {
        struct rule_finding *v; /* owned; sorted by start, overlaps resolved */
        size_t n, cap;
};

/* Loads every *.json rule file in dir. A bad file fails naming the file, the
 * rule id and what is wrong; nothing is half-loaded. */
int rules_load_dir(const char *dir, struct rules_set **out, struct err *err);
/* Loads the rules a home uses: [rules] dir in cfg if set, else the rules/
 * folder curator was built with (CURATOR_RULES_DIR). cfg may be NULL. */
int rules_load_default(const struct config *cfg, struct rules_set **out, struct err *err);
void rules_free(struct rules_set *set);
/* How many rules the set holds. */
size_t rules_count(const struct rules_set *set);
/* Finds the rule named id (id_len bytes): 1 with its family and action, or 0. */
int rules_lookup(const struct rules_set *set, const char *id, size_t id_len,
                 enum rule_family *family, enum rule_action *action);

/* Scans text (not NUL-terminated, may hold any bytes) and appends findings to
 * out, sorted by start with overlapping findings merged so the strongest
 * action wins. Thread-safe. Returns 0, or -1 with err set (e.g. a PCRE2
 * resource limit hit). */
int rules_scan(const struct rules_set *set, const char *text, size_t len,
               struct rule_findings *out, struct err *err);

/* Appends text to out with every finding whose action is in action_mask
 * (bits (1 << RULE_REDACT) | (1 << RULE_BLOCK), say) replaced by
 * "[REDACTED:<rule-id>]". Findings must come from scanning exactly this text. */
void rules_redact(const char *text, size_t len, const struct rule_findings *f,
                  unsigned action_mask, struct buf *out);

/* Scans and redacts in one call: out gets the redacted text (redact and block
 * findings replaced), *nfindings the number of findings, *blocked whether any
 * was a block. Returns 0 or -1 with err. */
int rules_scan_redact(const struct rules_set *set, const char *text, size_t len,
                      struct buf *out, size_t *nfindings, int *blocked, struct err *err);

void rule_findings_reset(struct rule_findings *f);
void rule_findings_free(struct rule_findings *f);

const char *rule_family_name(enum rule_family f); /* "secret", "pii", "injection" */
const char *rule_action_name(enum rule_action a); /* "flag", "redact", "block" */

#define RULES_MASK_REDACTING ((1u << RULE_REDACT) | (1u << RULE_BLOCK))

#endif
