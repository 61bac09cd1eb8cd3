/* The rules engine. A scan is two steps: one Aho-Corasick pass over the text
 * finds every keyword of every rule; then only the rules whose keywords
 * occurred run their regex, and only from near each keyword hit: a match
 * starts at most "reach" bytes (default RULES_KEYWORD_REACH) before one of
 * its rule's keywords, which docs/RULES.md makes part of the rule format.
 * Rules without keywords run over the whole text. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "rules.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "keywords.h"
#include "rules_validate.h"

/* How far before a keyword hit a match may start, unless a rule says
 * ("reach"). */
#define RULES_KEYWORD_REACH 256
#define RULES_MAX_REACH 4096
/* Ovector pairs in the per-thread match data; rules may use fewer groups. */
#define RULES_MAX_GROUPS 64

struct rule {
        char *id;          /* owned */
        char *description; /* owned */
        char *file;        /* owned: the rule file it came from */
        enum rule_family family;
        enum rule_action action;
        pcre2_code *re;   /* owned */
        int jit;          /* 1 if re was JIT-compiled */
        int secret_group; /* capture group holding the secret; 0 = whole match */
        double min_entropy;
        rules_validator_fn validator;
        pcre2_code **allow; /* owned */
        size_t nallow;
        char **stopwords; /* owned, folded to lower case */
        size_t nstop;
        int fallback; /* loses overlap ties against specific rules */
        int has_keywords;
        size_t reach; /* a match starts at most this many bytes before its keyword */
};

struct rules_set {
        struct rule *v; /* owned */
        size_t n;
        struct keywords *kw; /* owned; tags are rule indexes */
        size_t *always;      /* owned: indexes of rules without keywords */
        size_t nalways;
};

const char *rule_family_name(enum rule_family f)
{
        switch (f) {
        case RULE_SECRET:
                return "secret";
        case RULE_PII:
                return "pii";
        case RULE_INJECTION:
                return "injection";
        }
        return "?";
}

const char *rule_action_name(enum rule_action a)
{
        switch (a) {
        case RULE_FLAG:
                return "flag";
        case RULE_REDACT:
                return "redact";
        case RULE_BLOCK:
                return "block";
        }
        return "?";
}

size_t rules_count(const struct rules_set *set)
{
        return set ? set->n : 0;
}

int rules_lookup(const struct rules_set *set, const char *id, size_t id_len,
                 enum rule_family *family, enum rule_action *action)
{
        for (size_t i = 0; set && i < set->n; i++) {
                if (strlen(set->v[i].id) == id_len && memcmp(set->v[i].id, id, id_len) == 0) {
                        *family = set->v[i].family;
                        *action = set->v[i].action;
                        return 1;
                }
        }
        return 0;
}

static void rule_clear(struct rule *r)
{
        free(r->id);
        free(r->description);
        free(r->file);
        pcre2_code_free(r->re);
        for (size_t i = 0; i < r->nallow; i++)
                pcre2_code_free(r->allow[i]);
        free(r->allow);
        for (size_t i = 0; i < r->nstop; i++)
                free(r->stopwords[i]);
        free(r->stopwords);
}

void rules_free(struct rules_set *set)
{
        if (!set)
                return;
        for (size_t i = 0; i < set->n; i++)
                rule_clear(&set->v[i]);
        free(set->v);
        keywords_free(set->kw);
        free(set->always);
        free(set);
}

/* ---- loading ---- */

/* Two shorthands rule files may use in regexes, expanded before compiling:
 * (?&lb) and (?&rb), token boundaries that also treat a JSON escape such as
 * the two characters \n as a boundary, so a token right after an escaped
 * newline in a raw JSON line is still found. */
static const char *const macro_names[] = {"(?&lb)", "(?&rb)"};
static const char *const macro_bodies[] = {"(?:(?<![A-Za-z0-9_])|(?<=\\\\[nrt]))",
                                           "(?![A-Za-z0-9_])"};

static char *regex_expand(const char *src)
{
        struct buf b = BUF_INIT;
        for (const char *p = src; *p;) {
                int done = 0;
                for (size_t m = 0; m < 2 && !done; m++) {
                        size_t n = strlen(macro_names[m]);
                        if (strncmp(p, macro_names[m], n) == 0) {
                                buf_adds(&b, macro_bodies[m]);
                                p += n;
                                done = 1;
                        }
                }
                if (!done)
                        buf_addc(&b, *p++);
        }
        buf_addc(&b, 0);
        b.len--;
        return buf_detach(&b, NULL);
}

static pcre2_code *regex_compile(const char *src, uint32_t opts, struct buf *why)
{
        char *expanded = regex_expand(src);
        int code;
        PCRE2_SIZE off;
        pcre2_code *re =
            pcre2_compile((PCRE2_SPTR)expanded, PCRE2_ZERO_TERMINATED, opts, &code, &off, NULL);
        free(expanded);
        if (!re) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(code, msg, sizeof(msg));
                buf_addf(why, "%s at offset %zu", (const char *)msg, (size_t)off);
        }
        return re;
}

/* Where in a file a parse error happened, as a line number. */
static int line_of(const char *text, const char *at)
{
        int line = 1;
        for (const char *p = text; at && p < at && *p; p++)
                if (*p == '\n')
                        line++;
        return line;
}

static int is_id_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static const char *const known_fields[] = {
    "id",        "family",    "description", "regex",    "keywords",     "min_entropy", "validator",
    "allowlist", "stopwords", "action",      "fallback", "secret_group", "reach",
};

static int rule_fail(struct err *err, const char *file, const char *id, int index, const char *what)
{
        if (id)
                return err_set(err, "%s: rule '%s': %s", file, id, what);
        return err_set(err, "%s: rule #%d: %s", file, index + 1, what);
}

/* Parses one rule object into r (zeroed by the caller). */
static int rule_parse(const cJSON *o, const char *file, int index, struct rule *r, struct err *err)
{
        struct buf why = BUF_INIT;
        int rc = -1;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        const char *idname = cJSON_IsString(id) ? id->valuestring : NULL;
        if (!cJSON_IsObject(o)) {
                rule_fail(err, file, NULL, index, "is not a JSON object");
                goto out;
        }
        if (!idname || !*idname) {
                rule_fail(err, file, NULL, index, "has no \"id\" string");
                goto out;
        }
        for (const char *p = idname; *p; p++) {
                if (!is_id_char(*p)) {
                        rule_fail(err, file, idname, index,
                                  "\"id\" may hold only a-z, 0-9, '-' and '_'");
                        goto out;
                }
        }
        r->id = xstrdup(idname);
        r->file = xstrdup(file);
        for (const cJSON *f = o->child; f; f = f->next) {
                int known = 0;
                for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]); i++)
                        if (strcmp(f->string, known_fields[i]) == 0)
                                known = 1;
                if (!known) {
                        buf_addf(&why, "unknown field \"%s\"", f->string);
                        rule_fail(err, file, idname, index, buf_cstr(&why));
                        goto out;
                }
        }

        const cJSON *fam = cJSON_GetObjectItemCaseSensitive(o, "family");
        const char *famname = cJSON_IsString(fam) ? fam->valuestring : "";
        if (strcmp(famname, "secret") == 0)
                r->family = RULE_SECRET;
        else if (strcmp(famname, "pii") == 0)
                r->family = RULE_PII;
        else if (strcmp(famname, "injection") == 0)
                r->family = RULE_INJECTION;
        else {
                rule_fail(err, file, idname, index,
                          "\"family\" must be \"secret\", \"pii\" or \"injection\"");
                goto out;
        }

        const cJSON *act = cJSON_GetObjectItemCaseSensitive(o, "action");
        const char *actname = cJSON_IsString(act) ? act->valuestring : "";
        if (strcmp(actname, "block") == 0)
                r->action = RULE_BLOCK;
        else if (strcmp(actname, "redact") == 0)
                r->action = RULE_REDACT;
        else if (strcmp(actname, "flag") == 0)
                r->action = RULE_FLAG;
        else {
                rule_fail(err, file, idname, index,
                          "\"action\" must be \"block\", \"redact\" or \"flag\"");
                goto out;
        }

        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(o, "description");
        if (!cJSON_IsString(desc) || !*desc->valuestring) {
                rule_fail(err, file, idname, index, "needs a \"description\" string");
                goto out;
        }
        r->description = xstrdup(desc->valuestring);

        const cJSON *kws = cJSON_GetObjectItemCaseSensitive(o, "keywords");
        if (!cJSON_IsArray(kws)) {
                rule_fail(err, file, idname, index,
                          "needs a \"keywords\" array (empty means the regex always runs)");
                goto out;
        }
        for (const cJSON *k = kws->child; k; k = k->next) {
                if (!cJSON_IsString(k) || !*k->valuestring) {
                        rule_fail(err, file, idname, index,
                                  "every keyword must be a non-empty string");
                        goto out;
                }
                r->has_keywords = 1;
        }

        const cJSON *rx = cJSON_GetObjectItemCaseSensitive(o, "regex");
        if (!cJSON_IsString(rx) || !*rx->valuestring) {
                rule_fail(err, file, idname, index, "needs a \"regex\" string");
                goto out;
        }
        /* The offset limit is what lets a keyword rule try matches only near
         * its keyword hits. */
        r->re = regex_compile(rx->valuestring, r->has_keywords ? PCRE2_USE_OFFSET_LIMIT : 0, &why);
        if (!r->re) {
                struct buf msg = BUF_INIT;
                buf_addf(&msg, "\"regex\" does not compile: %s", buf_cstr(&why));
                rule_fail(err, file, idname, index, buf_cstr(&msg));
                buf_free(&msg);
                goto out;
        }
        r->jit = pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE) == 0;
        uint32_t ngroups = 0;
        pcre2_pattern_info(r->re, PCRE2_INFO_CAPTURECOUNT, &ngroups);
        if (ngroups >= RULES_MAX_GROUPS) {
                rule_fail(err, file, idname, index, "\"regex\" has too many capture groups");
                goto out;
        }
        /* The secret is the group named "secret", else group 1, else the
         * whole match. */
        int named = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR) "secret");
        r->secret_group = named > 0 ? named : (ngroups > 0 ? 1 : 0);
        const cJSON *sg = cJSON_GetObjectItemCaseSensitive(o, "secret_group");
        if (sg) {
                if (!cJSON_IsNumber(sg) || sg->valueint < 0 || (uint32_t)sg->valueint > ngroups) {
                        rule_fail(err, file, idname, index,
                                  "\"secret_group\" must be a capture group number of the regex "
                                  "(0 = whole match)");
                        goto out;
                }
                r->secret_group = sg->valueint;
        }

        const cJSON *ent = cJSON_GetObjectItemCaseSensitive(o, "min_entropy");
        if (ent) {
                if (!cJSON_IsNumber(ent) || ent->valuedouble < 0 || ent->valuedouble > 8) {
                        rule_fail(err, file, idname, index,
                                  "\"min_entropy\" must be a number of bits per byte, 0 to 8");
                        goto out;
                }
                r->min_entropy = ent->valuedouble;
        }

        const cJSON *val = cJSON_GetObjectItemCaseSensitive(o, "validator");
        if (val) {
                r->validator = cJSON_IsString(val) ? rules_validator_find(val->valuestring) : NULL;
                if (!r->validator) {
                        buf_addf(&why, "\"validator\" must be one of: %s", rules_validator_names());
                        rule_fail(err, file, idname, index, buf_cstr(&why));
                        goto out;
                }
        }

        const cJSON *allow = cJSON_GetObjectItemCaseSensitive(o, "allowlist");
        if (allow) {
                if (!cJSON_IsArray(allow)) {
                        rule_fail(err, file, idname, index,
                                  "\"allowlist\" must be an array of regexes");
                        goto out;
                }
                r->allow = xcalloc((size_t)cJSON_GetArraySize(allow) + 1, sizeof(*r->allow));
                for (const cJSON *a = allow->child; a; a = a->next) {
                        if (!cJSON_IsString(a)) {
                                rule_fail(err, file, idname, index,
                                          "\"allowlist\" must be an array of regexes");
                                goto out;
                        }
                        buf_reset(&why);
                        pcre2_code *are = regex_compile(a->valuestring, 0, &why);
                        if (!are) {
                                struct buf msg = BUF_INIT;
                                buf_addf(&msg, "allowlist regex \"%s\" does not compile: %s",
                                         a->valuestring, buf_cstr(&why));
                                rule_fail(err, file, idname, index, buf_cstr(&msg));
                                buf_free(&msg);
                                goto out;
                        }
                        pcre2_jit_compile(are, PCRE2_JIT_COMPLETE);
                        r->allow[r->nallow++] = are;
                }
        }

        const cJSON *stop = cJSON_GetObjectItemCaseSensitive(o, "stopwords");
        if (stop) {
                if (!cJSON_IsArray(stop)) {
                        rule_fail(err, file, idname, index,
                                  "\"stopwords\" must be an array of strings");
                        goto out;
                }
                r->stopwords = xcalloc((size_t)cJSON_GetArraySize(stop) + 1, sizeof(char *));
                for (const cJSON *s = stop->child; s; s = s->next) {
                        if (!cJSON_IsString(s) || !*s->valuestring) {
                                rule_fail(err, file, idname, index,
                                          "every stopword must be a non-empty string");
                                goto out;
                        }
                        char *w = xstrdup(s->valuestring);
                        for (char *p = w; *p; p++)
                                if (*p >= 'A' && *p <= 'Z')
                                        *p = (char)(*p - 'A' + 'a');
                        r->stopwords[r->nstop++] = w;
                }
        }

        r->reach = RULES_KEYWORD_REACH;
        const cJSON *reach = cJSON_GetObjectItemCaseSensitive(o, "reach");
        if (reach) {
                if (!cJSON_IsNumber(reach) || reach->valuedouble < 0 ||
                    reach->valuedouble > RULES_MAX_REACH ||
                    reach->valuedouble != (double)reach->valueint) {
                        buf_addf(&why, "\"reach\" must be a whole number of bytes, 0 to %d",
                                 RULES_MAX_REACH);
                        rule_fail(err, file, idname, index, buf_cstr(&why));
                        goto out;
                }
                r->reach = (size_t)reach->valueint;
        }

        const cJSON *fb = cJSON_GetObjectItemCaseSensitive(o, "fallback");
        if (fb) {
                if (!cJSON_IsBool(fb)) {
                        rule_fail(err, file, idname, index, "\"fallback\" must be true or false");
                        goto out;
                }
                r->fallback = cJSON_IsTrue(fb);
        }
        rc = 0;
out:
        buf_free(&why);
        return rc;
}

static int json_name_filter(const struct dirent *d)
{
        size_t n = strlen(d->d_name);
        return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* Parses one rule file, appending its rules to set. */
static int rules_load_file(struct rules_set *set, size_t *cap, const char *path, struct err *err)
{
        struct buf text = BUF_INIT;
        cJSON *root = NULL;
        int rc = -1;
        if (fileio_read_all(path, &text, NULL, err) < 0)
                goto out;
        root = cJSON_ParseWithLength(text.ptr ? text.ptr : "", text.len);
        if (!root) {
                err_set(err, "%s:%d: not valid JSON", path,
                        line_of(buf_cstr(&text), cJSON_GetErrorPtr()));
                goto out;
        }
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "rules");
        if (!cJSON_IsObject(root) || !cJSON_IsArray(list)) {
                err_set(err, "%s: a rule file is an object with a \"rules\" array", path);
                goto out;
        }
        int index = 0;
        for (const cJSON *o = list->child; o; o = o->next, index++) {
                if (set->n == *cap) {
                        *cap = *cap ? *cap * 2 : 64;
                        set->v = xrealloc(set->v, *cap * sizeof(*set->v));
                }
                struct rule *r = &set->v[set->n];
                memset(r, 0, sizeof(*r));
                if (rule_parse(o, path, index, r, err) < 0) {
                        rule_clear(r);
                        goto out;
                }
                for (size_t i = 0; i < set->n; i++) {
                        if (strcmp(set->v[i].id, r->id) == 0) {
                                err_set(err, "%s: rule '%s': id already used in %s", path, r->id,
                                        set->v[i].file);
                                rule_clear(r);
                                goto out;
                        }
                }
                const cJSON *kws = cJSON_GetObjectItemCaseSensitive(o, "keywords");
                for (const cJSON *k = kws->child; k; k = k->next)
                        keywords_add(set->kw, k->valuestring, strlen(k->valuestring),
                                     (uint32_t)set->n);
                set->n++;
        }
        rc = 0;
out:
        cJSON_Delete(root);
        buf_free(&text);
        return rc;
}

int rules_load_dir(const char *dir, struct rules_set **out, struct err *err)
{
        *out = NULL;
        struct dirent **names = NULL;
        int count = scandir(dir, &names, json_name_filter, alphasort);
        if (count < 0)
                return err_set(err, "cannot read rules directory %s: %s", dir, strerror(errno));
        struct rules_set *set = xcalloc(1, sizeof(*set));
        set->kw = keywords_new();
        size_t cap = 0;
        int rc = -1;
        if (count == 0) {
                err_set(err, "rules directory %s holds no *.json rule file", dir);
                goto out;
        }
        for (int i = 0; i < count; i++) {
                char *path = fileio_join(dir, names[i]->d_name);
                int r = rules_load_file(set, &cap, path, err);
                free(path);
                if (r < 0)
                        goto out;
        }
        keywords_compile(set->kw);
        set->always = xcalloc(set->n + 1, sizeof(size_t));
        for (size_t i = 0; i < set->n; i++)
                if (!set->v[i].has_keywords)
                        set->always[set->nalways++] = i;
        rc = 0;
out:
        for (int i = 0; i < count; i++)
                free(names[i]);
        free(names);
        if (rc < 0) {
                rules_free(set);
                return -1;
        }
        *out = set;
        return 0;
}

int rules_load_default(const struct config *cfg, struct rules_set **out, struct err *err)
{
        const char *dir = cfg ? config_get(cfg, "rules", "dir") : NULL;
        if (!dir || !*dir)
                return rules_load_dir(CURATOR_RULES_DIR, out, err);
        if (dir[0] == '/' || !cfg->path)
                return rules_load_dir(dir, out, err);
        /* A relative [rules] dir is relative to the config file, not to
         * wherever curator happens to run. */
        char *base = xstrdup(cfg->path);
        char *slash = strrchr(base, '/');
        char *full;
        if (slash) {
                *slash = 0;
                full = fileio_join(base, dir);
        } else {
                full = xstrdup(dir);
        }
        int rc = rules_load_dir(full, out, err);
        free(full);
        free(base);
        return rc;
}

/* ---- scanning ---- */

/* What each thread keeps between scans, so a scan allocates nothing for
 * PCRE2 once its thread has scanned before. */
struct scan_cache {
        pcre2_match_data *md;
        pcre2_match_context *mctx;
        pcre2_jit_stack *stack;
};

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

static void cache_destroy(void *p)
{
        struct scan_cache *c = p;
        pcre2_match_data_free(c->md);
        pcre2_match_context_free(c->mctx);
        pcre2_jit_stack_free(c->stack);
        free(c);
}

static void cache_key_create(void)
{
        pthread_key_create(&cache_key, cache_destroy);
}

static struct scan_cache *cache_get(void)
{
        pthread_once(&cache_once, cache_key_create);
        struct scan_cache *c = pthread_getspecific(cache_key);
        if (c)
                return c;
        c = xcalloc(1, sizeof(*c));
        c->md = pcre2_match_data_create(RULES_MAX_GROUPS, NULL);
        c->mctx = pcre2_match_context_create(NULL);
        /* Multi-line rules (private key blocks) need more than the default
         * 32 KiB JIT stack on large inputs. */
        c->stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, NULL);
        if (!c->md || !c->mctx || !c->stack) {
                cache_destroy(c);
                return NULL;
        }
        pcre2_jit_stack_assign(c->mctx, NULL, c->stack);
        pcre2_set_match_limit(c->mctx, 10 * 1000 * 1000);
        pcre2_set_depth_limit(c->mctx, 100 * 1000);
        pthread_setspecific(cache_key, c);
        return c;
}

struct kw_hit {
        uint32_t rule;
        size_t pos;
};

struct hit_list {
        struct kw_hit *v;
        size_t n, cap;
};

static void on_keyword(void *ctx, uint32_t tag, size_t start)
{
        struct hit_list *h = ctx;
        if (h->n == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 256;
                h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
        }
        h->v[h->n++] = (struct kw_hit){tag, start};
}

/* A finding before merging, with the rule that made it. */
struct raw_finding {
        size_t start, end;
        const struct rule *rule;
};

struct raw_list {
        struct raw_finding *v;
        size_t n, cap;
};

static int contains_folded(const char *s, size_t len, const char *word)
{
        size_t wl = strlen(word);
        for (size_t i = 0; i + wl <= len; i++) {
                size_t k = 0;
                while (k < wl) {
                        char c = s[i + k];
                        if (c >= 'A' && c <= 'Z')
                                c = (char)(c - 'A' + 'a');
                        if (c != word[k])
                                break;
                        k++;
                }
                if (k == wl)
                        return 1;
        }
        return 0;
}

static int allowlisted(const struct rule *r, const char *s, size_t len, pcre2_match_data *md)
{
        for (size_t i = 0; i < r->nallow; i++)
                if (pcre2_match(r->allow[i], (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0)
                        return 1;
        return 0;
}

/* Keeps a finding from cutting a JSON string apart, so that redacting the
 * raw JSON line an event came from still yields valid JSON: it must not
 * start inside a backslash escape, end on an escaping backslash, or reach
 * past an unescaped double quote. In plain text the same trims only ever
 * shorten a finding at a quote or a backslash, which no secret pattern
 * includes. Returns 0 if nothing is left. */
static int span_make_json_safe(const char *text, size_t *start, size_t *end)
{
        size_t s = *start, e = *end;
        size_t run = 0;
        while (run < s && text[s - 1 - run] == '\\')
                run++;
        if (run % 2 == 1)
                s++; /* text[s] is the escaped character: skip it */
        for (size_t i = s; i < e; i++) {
                if (text[i] == '\\') {
                        if (i + 1 >= e) {
                                e = i;
                                break;
                        }
                        i++;
                } else if (text[i] == '"') {
                        e = i;
                        break;
                }
        }
        if (e <= s)
                return 0;
        *start = s;
        *end = e;
        return 1;
}

/* The entropy a secret of len bytes must reach: the rule's minimum, or for
 * values too short to ever reach it (n bytes carry at most log2(n) bits per
 * byte), 80% of the most they can carry. */
static double entropy_bar(double min_entropy, size_t len)
{
        double most = 0.8 * log2((double)len);
        return most < min_entropy ? most : min_entropy;
}

/* Judges one regex match; appends it to raw if no filter suppresses it. */
static void match_judge(const struct rule *r, const char *text, pcre2_match_data *md,
                        struct raw_list *raw)
{
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        size_t s = ms, e = me;
        if (r->secret_group > 0 && ov[2 * r->secret_group] != PCRE2_UNSET) {
                s = ov[2 * r->secret_group];
                e = ov[2 * r->secret_group + 1];
        }
        if (e <= s)
                return;
        const char *sec = text + s;
        size_t len = e - s;
        if (r->min_entropy > 0 && rules_entropy(sec, len) < entropy_bar(r->min_entropy, len))
                return;
        if (r->validator && !r->validator(sec, len))
                return;
        for (size_t i = 0; i < r->nstop; i++)
                if (contains_folded(sec, len, r->stopwords[i]))
                        return;
        /* The allowlist runs last: it reuses md, whose ovector we no longer need. */
        if (r->nallow && (allowlisted(r, sec, len, md) || allowlisted(r, text + ms, me - ms, md)))
                return;
        if (!span_make_json_safe(text, &s, &e))
                return;
        if (raw->n == raw->cap) {
                raw->cap = raw->cap ? raw->cap * 2 : 32;
                raw->v = xrealloc(raw->v, raw->cap * sizeof(*raw->v));
        }
        raw->v[raw->n++] = (struct raw_finding){s, e, r};
}

/* Runs r's regex over match starts in [from, limit] (limit SIZE_MAX: no
 * limit). Returns the first offset not yet tried, or -1 with err set. */
static int rule_run(const struct rule *r, const char *text, size_t len, size_t from, size_t limit,
                    struct scan_cache *c, struct raw_list *raw, size_t *next, struct err *err)
{
        pcre2_set_offset_limit(c->mctx, limit == SIZE_MAX ? PCRE2_UNSET : limit);
        size_t off = from;
        while (off <= len && (limit == SIZE_MAX || off <= limit)) {
                int rc = r->jit
                             ? pcre2_jit_match(r->re, (PCRE2_SPTR)text, len, off, 0, c->md, c->mctx)
                             : pcre2_match(r->re, (PCRE2_SPTR)text, len, off, 0, c->md, c->mctx);
                if (rc == PCRE2_ERROR_NOMATCH) {
                        off = limit == SIZE_MAX ? len + 1 : limit + 1;
                        break;
                }
                if (rc < 0) {
                        PCRE2_UCHAR msg[256];
                        pcre2_get_error_message(rc, msg, sizeof(msg));
                        return err_set(err, "rule '%s' (%s): matching failed: %s", r->id, r->file,
                                       (const char *)msg);
                }
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
                size_t ms = ov[0], me = ov[1];
                match_judge(r, text, c->md, raw);
                off = me > ms ? me : ms + 1;
        }
        *next = off;
        return 0;
}

static int raw_cmp(const void *a, const void *b)
{
        const struct raw_finding *x = a, *y = b;
        if (x->start != y->start)
                return x->start < y->start ? -1 : 1;
        if (x->end != y->end)
                return x->end > y->end ? -1 : 1;
        /* Rule order breaks exact ties, so the rule a merged finding is named
         * for never depends on the sort. */
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Whether b should name a merged finding instead of a: the stronger action;
 * then a specific rule over a fallback; then a secret over PII (a password
 * in a URL is a secret even where it looks like an e-mail address). */
static int stronger(const struct rule *b, const struct rule *a)
{
        if (b->action != a->action)
                return b->action > a->action;
        if (a->fallback != b->fallback)
                return a->fallback;
        return b->family == RULE_SECRET && a->family != RULE_SECRET;
}

static void findings_push(struct rule_findings *out, const struct raw_finding *f)
{
        if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 16;
                out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
        }
        out->v[out->n++] =
            (struct rule_finding){f->rule->id, f->rule->family, f->rule->action, f->start, f->end};
}

static void findings_merge(struct raw_list *raw, struct rule_findings *out)
{
        if (raw->n == 0)
                return;
        qsort(raw->v, raw->n, sizeof(*raw->v), raw_cmp);
        struct raw_finding cur = raw->v[0];
        for (size_t i = 1; i < raw->n; i++) {
                const struct raw_finding *f = &raw->v[i];
                if (f->start < cur.end) {
                        if (f->end > cur.end)
                                cur.end = f->end;
                        if (stronger(f->rule, cur.rule))
                                cur.rule = f->rule;
                        continue;
                }
                findings_push(out, &cur);
                cur = *f;
        }
        findings_push(out, &cur);
}

int rules_scan(const struct rules_set *set, const char *text, size_t len, struct rule_findings *out,
               struct err *err)
{
        struct hit_list hits = {0};
        struct raw_list raw = {0};
        size_t *count = NULL;
        struct kw_hit *byrule = NULL;
        int rc = -1;
        if (!text)
                text = "";

        keywords_scan(set->kw, text, len, on_keyword, &hits);
        if (hits.n == 0 && set->nalways == 0)
                return 0;
        struct scan_cache *c = cache_get();
        if (!c)
                return err_set(err, "out of memory for PCRE2 match data");

        /* Group the hits by rule (a counting sort keeps each rule's hits in
         * text order), then let each rule try matches only near its hits. */
        count = xcalloc(set->n + 1, sizeof(size_t));
        for (size_t i = 0; i < hits.n; i++)
                count[hits.v[i].rule + 1]++;
        for (size_t i = 1; i <= set->n; i++)
                count[i] += count[i - 1];
        byrule = xmalloc((hits.n ? hits.n : 1) * sizeof(*byrule));
        for (size_t i = 0; i < hits.n; i++)
                byrule[count[hits.v[i].rule]++] = hits.v[i];
        /* count[r] is now the end of rule r's hits (and the start of r+1's). */
        size_t begin = 0;
        for (size_t r = 0; r < set->n; r++) {
                size_t end = count[r];
                struct kw_hit *h = byrule + begin;
                size_t nh = end - begin;
                begin = end;
                if (nh == 0)
                        continue;
                /* Hits come in order of where keywords end; keywords of
                 * different lengths can swap starts, so restore start order. */
                for (size_t i = 1; i < nh; i++) {
                        struct kw_hit t = h[i];
                        size_t j = i;
                        while (j > 0 && h[j - 1].pos > t.pos) {
                                h[j] = h[j - 1];
                                j--;
                        }
                        h[j] = t;
                }
                size_t cursor = 0;
                for (size_t i = 0; i < nh; i++) {
                        size_t p = h[i].pos;
                        size_t reach = set->v[r].reach;
                        size_t from = p > reach ? p - reach : 0;
                        if (from < cursor)
                                from = cursor;
                        if (from > p)
                                continue;
                        if (rule_run(&set->v[r], text, len, from, p, c, &raw, &cursor, err) < 0)
                                goto out;
                }
        }
        for (size_t i = 0; i < set->nalways; i++) {
                size_t next;
                if (rule_run(&set->v[set->always[i]], text, len, 0, SIZE_MAX, c, &raw, &next, err) <
                    0)
                        goto out;
        }
        findings_merge(&raw, out);
        rc = 0;
out:
        free(hits.v);
        free(raw.v);
        free(count);
        free(byrule);
        return rc;
}

void rules_redact(const char *text, size_t len, const struct rule_findings *f, unsigned action_mask,
                  struct buf *out)
{
        size_t at = 0;
        for (size_t i = 0; i < f->n; i++) {
                const struct rule_finding *x = &f->v[i];
                if (!(action_mask & (1u << x->action)) || x->start < at || x->end > len)
                        continue;
                buf_add(out, text + at, x->start - at);
                buf_addf(out, "[REDACTED:%s]", x->rule_id);
                at = x->end;
        }
        buf_add(out, text + at, len - at);
}

int rules_scan_redact(const struct rules_set *set, const char *text, size_t len, struct buf *out,
                      size_t *nfindings, int *blocked, struct err *err)
{
        struct rule_findings f = {0};
        if (rules_scan(set, text, len, &f, err) < 0) {
                rule_findings_free(&f);
                return -1;
        }
        rules_redact(text, len, &f, RULES_MASK_REDACTING, out);
        if (nfindings)
                *nfindings = f.n;
        if (blocked) {
                *blocked = 0;
                for (size_t i = 0; i < f.n; i++)
                        if (f.v[i].action == RULE_BLOCK)
                                *blocked = 1;
        }
        rule_findings_free(&f);
        return 0;
}

void rule_findings_reset(struct rule_findings *f)
{
        f->n = 0;
}

void rule_findings_free(struct rule_findings *f)
{
        if (!f)
                return;
        free(f->v);
        f->v = NULL;
        f->n = f->cap = 0;
}
