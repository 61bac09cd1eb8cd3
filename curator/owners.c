#include "owners.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "db_store.h"

/* Longer patterns are refused when OWNERS is parsed. */
#define OWNERS_PATTERN_MAX 1024

const char owners_default_text[] =
    "# Who owns which memories: CODEOWNERS syntax, the last matching line wins.\n"
    "# Owners are principal names or @group names (`curator principals add`,\n"
    "# `curator groups add`). Example:\n"
    "#   memories/app/   alice @release-team\n"
    "*   @admins\n";

int owners_name_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 128)
                return 0;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
               strlen(s);
}

int owners_role_valid(const char *role)
{
        static const char *const roles[] = {"owner", "compliance", "agent", "admin"};
        for (size_t i = 0; role && i < sizeof(roles) / sizeof(roles[0]); i++) {
                if (strcmp(role, roles[i]) == 0)
                        return 1;
        }
        return 0;
}

static void rule_free(struct owners_rule *r)
{
        free(r->pattern);
        for (size_t i = 0; i < r->nowners; i++)
                free(r->owners[i]);
        free(r->owners);
}

void owners_free(struct owners *o)
{
        if (!o)
                return;
        for (size_t i = 0; i < o->n; i++)
                rule_free(&o->v[i]);
        free(o->v);
        free(o);
}

/* Checks that a character class `[...]` starting at p is closed. */
static const char *class_end(const char *p)
{
        const char *q = p + 1;
        if (*q == '!' || *q == '^')
                q++;
        if (*q == ']')
                q++;
        while (*q && *q != ']')
                q++;
        return *q == ']' ? q : NULL;
}

int owners_parse(const char *text, size_t len, const char *name, struct owners **out,
                 struct err *err)
{
        struct owners *o = xcalloc(1, sizeof(*o));
        const char *p = text, *end = text + len;
        int lineno = 0;
        char *line = NULL;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
                lineno++;
                free(line);
                line = xstrndup(p, l);
                p += l + (nl ? 1 : 0);
                if (strlen(line) != l) {
                        err_set(err, "%s:%d: the line holds a NUL byte", name, lineno);
                        goto fail;
                }
                char *hash = strchr(line, '#');
                /* '#' starts a comment at the start or after a blank, as in CODEOWNERS. */
                while (hash && hash != line && hash[-1] != ' ' && hash[-1] != '\t')
                        hash = strchr(hash + 1, '#');
                if (hash)
                        *hash = '\0';
                char *save = NULL;
                char *pat = strtok_r(line, " \t\r", &save);
                if (!pat)
                        continue;
                if (strlen(pat) > OWNERS_PATTERN_MAX) {
                        err_set(err, "%s:%d: pattern is longer than %d bytes", name, lineno,
                                OWNERS_PATTERN_MAX);
                        goto fail;
                }
                for (const char *q = pat; *q; q++) {
                        if (*q == '[' && !class_end(q)) {
                                err_set(err, "%s:%d: pattern '%s' has an unclosed '['", name,
                                        lineno, pat);
                                goto fail;
                        }
                }
                o->v = xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
                struct owners_rule *r = &o->v[o->n++];
                memset(r, 0, sizeof(*r));
                r->pattern = xstrdup(pat);
                r->line = lineno;
                for (char *tok; (tok = strtok_r(NULL, " \t\r", &save));) {
                        if (!owners_name_valid(tok[0] == '@' ? tok + 1 : tok)) {
                                err_set(err,
                                        "%s:%d: owner '%s' is not a principal name or "
                                        "@group ([A-Za-z0-9._-])",
                                        name, lineno, tok);
                                goto fail;
                        }
                        r->owners = xrealloc(r->owners, (r->nowners + 1) * sizeof(char *));
                        r->owners[r->nowners++] = xstrdup(tok);
                }
        }
        free(line);
        *out = o;
        return 0;
fail:
        free(line);
        owners_free(o);
        return -1;
}

/* Glob match of pat against the whole of s: `**` crosses '/', `*` and `?`
 * do not, `[...]` is a class, `\` escapes. */
/* Memo of glob_match results by (position in pattern, position in path):
 * with it, matching costs at most |pattern| x |path| steps however many
 * stars the pattern holds (a pattern of many '*' once took exponential time;
 * found by tests/fuzz/fuzz_config). */
struct glob_memo {
        const char *pat0, *s0;
        size_t cols;
        unsigned char *known; /* 0 unknown, 1 no, 2 yes */
};

static int glob_match_m(struct glob_memo *m, const char *pat, const char *s);

static int glob_match(struct glob_memo *m, const char *pat, const char *s)
{
        size_t at = (size_t)(pat - m->pat0) * m->cols + (size_t)(s - m->s0);
        if (m->known[at])
                return m->known[at] - 1;
        int r = glob_match_m(m, pat, s);
        m->known[at] = (unsigned char)(r + 1);
        return r;
}

static int glob_match_m(struct glob_memo *m, const char *pat, const char *s)
{
        while (*pat) {
                if (pat[0] == '*' && pat[1] == '*') {
                        const char *rest = pat + 2;
                        if (*rest == '/') {
                                /* "**" + "/" also matches no directory at all. */
                                if (glob_match(m, rest + 1, s))
                                        return 1;
                        }
                        for (const char *t = s;; t++) {
                                if (glob_match(m, rest, t))
                                        return 1;
                                if (!*t)
                                        return 0;
                        }
                }
                if (*pat == '*') {
                        for (const char *t = s;; t++) {
                                if (glob_match(m, pat + 1, t))
                                        return 1;
                                if (!*t || *t == '/')
                                        return 0;
                        }
                }
                if (!*s)
                        return 0;
                if (*pat == '?') {
                        if (*s == '/')
                                return 0;
                } else if (*pat == '[') {
                        const char *close = class_end(pat);
                        if (!close || *s == '/')
                                return 0;
                        const char *q = pat + 1;
                        int negate = *q == '!' || *q == '^';
                        if (negate)
                                q++;
                        int hit = 0;
                        for (const char *c = q; c < close; c++) {
                                if (c + 2 < close && c[1] == '-') {
                                        hit |= *s >= c[0] && *s <= c[2];
                                        c += 2;
                                } else {
                                        hit |= *s == *c;
                                }
                        }
                        if (hit == negate)
                                return 0;
                        pat = close;
                } else {
                        if (*pat == '\\' && pat[1])
                                pat++;
                        if (*pat != *s)
                                return 0;
                }
                pat++;
                s++;
        }
        return *s == '\0';
}

int owners_pattern_matches(const char *pattern, const char *path)
{
        size_t plen = strlen(pattern);
        int dir_only = plen > 1 && pattern[plen - 1] == '/';
        const char *body = pattern;
        if (*body == '/')
                body++;
        char *pat = xstrndup(body, strlen(body) - (dir_only ? 1 : 0));
        /* gitignore: a slash anywhere but at the end anchors to the root. */
        int anchored = pattern[0] == '/' || strchr(pat, '/') != NULL;
        int hit = 0;
        size_t n = strlen(path);
        char *prefix = xmalloc(n + 1);
        /* A pattern that names a directory owns everything beneath it, so try
         * every directory prefix (and the whole path unless dir_only). */
        for (size_t i = 0; i <= n && !hit; i++) {
                if (i < n && path[i] != '/')
                        continue;
                if (i == n && dir_only)
                        break;
                memcpy(prefix, path, i);
                prefix[i] = '\0';
                const char *subject = prefix;
                if (!anchored) {
                        const char *last = strrchr(prefix, '/');
                        subject = last ? last + 1 : prefix;
                }
                struct glob_memo m = {pat, subject, strlen(subject) + 1, NULL};
                m.known = xcalloc((strlen(pat) + 1) * m.cols, 1);
                hit = glob_match(&m, pat, subject);
                free(m.known);
        }
        free(prefix);
        free(pat);
        return hit;
}

const struct owners_rule *owners_for_path(const struct owners *o, const char *path)
{
        for (size_t i = o->n; i-- > 0;) {
                if (owners_pattern_matches(o->v[i].pattern, path))
                        return &o->v[i];
        }
        return NULL;
}

int owners_principal_owns(struct db *db, const struct owners_rule *rule, const char *principal,
                          int *owns, struct err *err)
{
        *owns = 0;
        for (size_t i = 0; rule && i < rule->nowners && !*owns; i++) {
                const char *o = rule->owners[i];
                if (o[0] != '@') {
                        *owns = strcmp(o, principal) == 0;
                        continue;
                }
                if (db_groups_has_member(db, o + 1, principal, owns, err) < 0)
                        return -1;
        }
        return 0;
}
