#include "memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "timestamp.h"

/* The header's keys in the one order curator writes them. */
enum field {
        F_ID,
        F_SCOPE,
        F_OWNER,
        F_RETENTION,
        F_CREATED,
        F_UPDATED,
        F_EXPIRES,
        F_HOLD,
        F_SOURCES,
        F_TAGS,
        F_COUNT
};
static const char *const field_names[F_COUNT] = {
    "id",      "scope",   "owner",      "retention", "created",
    "updated", "expires", "legal_hold", "sources",   "tags",
};

static int is_hex(char c)
{
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int memory_id_valid(const char *s)
{
        if (!s || strncmp(s, MEMORY_ID_PREFIX, 4) != 0 || strlen(s) != MEMORY_ID_LEN)
                return 0;
        for (int i = 4; i < MEMORY_ID_LEN; i++) {
                if (!is_hex(s[i]))
                        return 0;
        }
        return 1;
}

int memory_scope_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 64)
                return 0;
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return 0;
        for (const char *p = s; *p; p++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

/* Names: principals, groups ('@' first), retention classes. */
static int name_valid(const char *s, int allow_at)
{
        if (!s || !*s || strlen(s) > 128)
                return 0;
        if (allow_at && *s == '@')
                s++;
        if (!*s)
                return 0;
        for (const char *p = s; *p; p++) {
                char c = *p;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

/* A list item (source or tag): printable ASCII or UTF-8, no blanks, none of
 * the characters that would make the header ambiguous to a YAML reader. */
static int item_valid(const char *s)
{
        if (!s || !*s || strlen(s) > 512 || *s == '-')
                return 0;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p <= ' ' || *p == 0x7f || *p == '[' || *p == ']' || *p == ',' || *p == '#' ||
                    *p == '"' || *p == '\'')
                        return 0;
        }
        return 1;
}

static int time_canonical(const char *s)
{
        int64_t ms;
        char again[TIMESTAMP_LEN + 1];
        if (!s || timestamp_parse(s, strlen(s), &ms) < 0)
                return 0;
        timestamp_format(ms, again);
        return strcmp(again, s) == 0;
}

/* Checks one scalar field; returns NULL if fine, else what is wrong. */
static const char *field_problem(enum field f, const char *v)
{
        if (!v || !*v)
                return "is missing";
        switch (f) {
        case F_ID:
                return memory_id_valid(v) ? NULL : "must be \"mem-\" and 16 lowercase hex digits";
        case F_SCOPE:
                return memory_scope_valid(v) ? NULL
                                             : "must match [a-z0-9][a-z0-9._-]* (64 bytes at most)";
        case F_OWNER:
                return name_valid(v, 1) ? NULL
                                        : "must be a principal name or @group ([A-Za-z0-9._-])";
        case F_RETENTION:
                return name_valid(v, 0) ? NULL : "must be a retention class name ([A-Za-z0-9._-])";
        case F_CREATED:
        case F_UPDATED:
                return time_canonical(v) ? NULL
                                         : "must be an RFC 3339 UTC time like "
                                           "2026-08-01T10:00:02.000Z";
        case F_EXPIRES:
                return strcmp(v, MEMORY_NEVER) == 0 || time_canonical(v)
                           ? NULL
                           : "must be \"never\" or an RFC 3339 UTC time like "
                             "2026-08-01T10:00:02.000Z";
        default:
                return NULL;
        }
}

int memory_validate(const struct memory *m, struct err *err)
{
        const char *vals[] = {m->id,      m->scope,   m->owner,  m->retention,
                              m->created, m->updated, m->expires};
        for (int f = F_ID; f <= F_EXPIRES; f++) {
                const char *why = field_problem((enum field)f, vals[f]);
                if (why)
                        return err_set(err, "memory %s: %s %s (got \"%s\")",
                                       m->id ? m->id : "(no id)", field_names[f], why,
                                       vals[f] ? vals[f] : "");
        }
        for (size_t i = 0; i < m->sources.n; i++) {
                if (!item_valid(m->sources.v[i]) || !strchr(m->sources.v[i], '/'))
                        return err_set(err,
                                       "memory %s: source \"%s\" must be session_id/event_id "
                                       "with no blanks",
                                       m->id, m->sources.v[i]);
        }
        for (size_t i = 0; i < m->tags.n; i++) {
                if (!item_valid(m->tags.v[i]))
                        return err_set(err,
                                       "memory %s: tag \"%s\" must be one word with no blanks, "
                                       "quotes, brackets, commas or '#', not starting with '-'",
                                       m->id, m->tags.v[i]);
        }
        if (m->body_len && memchr(m->body, '\0', m->body_len))
                return err_set(err, "memory %s: the text holds a NUL byte", m->id);
        return 0;
}

static void serialize_list(struct buf *out, const char *key, const struct memory_list_str *l)
{
        if (l->n == 0) {
                buf_addf(out, "%s: []\n", key);
                return;
        }
        buf_addf(out, "%s:\n", key);
        for (size_t i = 0; i < l->n; i++)
                buf_addf(out, "  - %s\n", l->v[i]);
}

int memory_serialize(const struct memory *m, struct buf *out, struct err *err)
{
        if (memory_validate(m, err) < 0)
                return -1;
        buf_adds(out, "---\n");
        buf_addf(out, "id: %s\n", m->id);
        buf_addf(out, "scope: %s\n", m->scope);
        buf_addf(out, "owner: %s\n", m->owner);
        buf_addf(out, "retention: %s\n", m->retention);
        buf_addf(out, "created: %s\n", m->created);
        buf_addf(out, "updated: %s\n", m->updated);
        buf_addf(out, "expires: %s\n", m->expires);
        buf_addf(out, "legal_hold: %s\n", m->legal_hold ? "true" : "false");
        serialize_list(out, "sources", &m->sources);
        serialize_list(out, "tags", &m->tags);
        buf_adds(out, "---\n");
        if (m->body_len)
                buf_add(out, m->body, m->body_len);
        return 0;
}

/* A cursor over the lines of a file being parsed. */
struct lines {
        const char *p, *end;
        const char *name;
        int lineno;
        const char *line; /* the current line, without its '\n' */
        size_t len;
};

/* Advances to the next line; returns 0 at the end of the text or if the line
 * has no '\n' (every header line must end with one). */
static int lines_next(struct lines *l)
{
        if (l->p >= l->end)
                return 0;
        const char *nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
        if (!nl)
                return 0;
        l->line = l->p;
        l->len = (size_t)(nl - l->p);
        l->p = nl + 1;
        l->lineno++;
        return 1;
}

static int lines_fail(struct lines *l, struct err *err, const char *fmt, const char *detail)
{
        char msg[512];
        snprintf(msg, sizeof(msg), fmt, detail);
        return err_set(err, "%s:%d: %s", l->name, l->lineno, msg);
}

static int line_is(const struct lines *l, const char *s)
{
        return l->len == strlen(s) && memcmp(l->line, s, l->len) == 0;
}

/* Reads "key: value" for key; *value is a new string. */
static int parse_scalar(struct lines *l, enum field f, char **value, struct err *err)
{
        const char *key = field_names[f];
        size_t klen = strlen(key);
        if (!lines_next(l))
                return err_set(err,
                               "%s:%d: the header ends before '%s:' (expected every field, "
                               "then a closing '---')",
                               l->name, l->lineno + 1, key);
        if (l->len < klen + 2 || memcmp(l->line, key, klen) != 0 || l->line[klen] != ':' ||
            l->line[klen + 1] != ' ')
                return lines_fail(l, err,
                                  "expected '%s: <value>' here (fields come in the order "
                                  "id, scope, owner, retention, created, updated, "
                                  "expires, legal_hold, sources, tags)",
                                  key);
        const char *v = l->line + klen + 2;
        size_t vlen = l->len - klen - 2;
        if (memchr(v, '\0', vlen) || memchr(v, '\r', vlen))
                return lines_fail(l, err, "the %s value holds a NUL or carriage return", key);
        *value = xstrndup(v, vlen);
        const char *why = NULL;
        if (f == F_HOLD)
                why = strcmp(*value, "true") == 0 || strcmp(*value, "false") == 0
                          ? NULL
                          : "must be true or false";
        else
                why = field_problem(f, *value);
        if (vlen && (v[0] == ' ' || v[vlen - 1] == ' '))
                why = "has blanks around it";
        if (why) {
                char msg[256];
                snprintf(msg, sizeof(msg), "%s %s", key, why);
                return lines_fail(l, err, "%s", msg);
        }
        return 0;
}

/* Reads "key: []" or "key:" followed by "  - item" lines. */
static int parse_list(struct lines *l, enum field f, struct memory_list_str *list, struct err *err)
{
        const char *key = field_names[f];
        char empty[32], open[32];
        snprintf(empty, sizeof(empty), "%s: []", key);
        snprintf(open, sizeof(open), "%s:", key);
        if (!lines_next(l))
                return err_set(err, "%s:%d: the header ends before '%s:'", l->name, l->lineno + 1,
                               key);
        if (line_is(l, empty))
                return 0;
        if (!line_is(l, open))
                return lines_fail(l, err, "expected '%s: []' or '%s:' and '  - item' lines", key);
        for (;;) {
                const char *save = l->p;
                int save_no = l->lineno;
                if (!lines_next(l))
                        break;
                if (l->len < 4 || memcmp(l->line, "  - ", 4) != 0) {
                        l->p = save;
                        l->lineno = save_no;
                        break;
                }
                char *item = xstrndup(l->line + 4, l->len - 4);
                int ok = strlen(item) == l->len - 4 && item_valid(item) &&
                         (f != F_SOURCES || strchr(item, '/'));
                if (!ok) {
                        free(item);
                        return lines_fail(l, err,
                                          f == F_SOURCES
                                              ? "a %s item must be session_id/event_id "
                                                "with no blanks"
                                              : "a %s item must be one word with no blanks, "
                                                "quotes, brackets, commas or '#'",
                                          key);
                }
                for (size_t i = 0; i < list->n; i++) {
                        if (strcmp(list->v[i], item) == 0) {
                                free(item);
                                return lines_fail(l, err, "a %s item is listed twice", key);
                        }
                }
                memory_list_add(list, item);
                free(item);
        }
        if (list->n == 0)
                return err_set(err, "%s:%d: '%s:' has no '  - item' lines (write '%s: []')",
                               l->name, l->lineno, key, key);
        return 0;
}

int memory_parse(const char *text, size_t len, const char *name, struct memory **out,
                 struct err *err)
{
        struct lines l = {text, text + len, name ? name : "(memory)", 0, NULL, 0};
        struct memory *m = memory_new();
        m->path = name ? xstrdup(name) : NULL;
        char *hold = NULL;
        if (!lines_next(&l) || !line_is(&l, "---")) {
                if (l.lineno == 0)
                        l.lineno = 1;
                lines_fail(&l, err, "%s", "a memory file must start with a '---' line");
                goto fail;
        }
        char **scalars[] = {&m->id,      &m->scope,   &m->owner,   &m->retention,
                            &m->created, &m->updated, &m->expires, &hold};
        for (int f = F_ID; f <= F_HOLD; f++) {
                if (parse_scalar(&l, (enum field)f, scalars[f], err) < 0)
                        goto fail;
        }
        m->legal_hold = strcmp(hold, "true") == 0;
        if (parse_list(&l, F_SOURCES, &m->sources, err) < 0 ||
            parse_list(&l, F_TAGS, &m->tags, err) < 0)
                goto fail;
        if (!lines_next(&l) || !line_is(&l, "---")) {
                lines_fail(&l, err, "%s", "expected the closing '---' after tags");
                goto fail;
        }
        size_t body_len = (size_t)(l.end - l.p);
        if (memchr(l.p, '\0', body_len)) {
                err_set(err, "%s: the text holds a NUL byte", l.name);
                goto fail;
        }
        memory_set_body(m, l.p, body_len);
        free(hold);
        *out = m;
        return 0;
fail:
        free(hold);
        memory_free(m);
        return -1;
}

void memory_new_id(char out[MEMORY_ID_LEN + 1])
{
        unsigned char raw[MEMORY_ID_HEX / 2];
        size_t got = 0;
        while (got < sizeof(raw)) {
                ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
                if (n <= 0) {
                        /* getrandom only fails before the pool is seeded; an id
                         * needs uniqueness, not secrecy, so time and address do. */
                        uint64_t x = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out ^
                                     ((uint64_t)clock() << 32);
                        for (; got < sizeof(raw); got++, x = x * 6364136223846793005u + 1)
                                raw[got] = (unsigned char)(x >> 56);
                        break;
                }
                got += (size_t)n;
        }
        static const char hex[] = "0123456789abcdef";
        memcpy(out, MEMORY_ID_PREFIX, 4);
        for (size_t i = 0; i < sizeof(raw); i++) {
                out[4 + 2 * i] = hex[raw[i] >> 4];
                out[4 + 2 * i + 1] = hex[raw[i] & 15];
        }
        out[MEMORY_ID_LEN] = '\0';
}

void memory_make_path(const char *scope, const char *id, const char *body, size_t body_len,
                      struct buf *out)
{
        buf_addf(out, "%s/%s/", MEMORY_DIR, scope);
        /* The slug is for people browsing the tree; the id suffix makes it unique. */
        size_t start = out->len, words = 0;
        int dash = 0;
        for (size_t i = 0; i < body_len && body[i] != '\n' && out->len - start < 48; i++) {
                unsigned char c = (unsigned char)body[i];
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
                        if (dash && words)
                                buf_addc(out, '-');
                        dash = 0;
                        buf_addc(out, (char)c);
                        words++;
                } else {
                        dash = 1;
                }
        }
        if (out->len == start)
                buf_adds(out, "memory");
        buf_addf(out, "-%s.md", id + 4);
}

int memory_id_from_path(const char *path, char id_out[MEMORY_ID_LEN + 1])
{
        size_t dlen = strlen(MEMORY_DIR);
        if (strncmp(path, MEMORY_DIR, dlen) != 0 || path[dlen] != '/')
                return 0;
        const char *scope = path + dlen + 1;
        const char *slash = strchr(scope, '/');
        if (!slash || slash == scope || strchr(slash + 1, '/'))
                return 0;
        size_t len = strlen(slash + 1);
        const char *name = slash + 1;
        if (len < MEMORY_ID_HEX + 4 || strcmp(name + len - 3, ".md") != 0)
                return 0;
        const char *hex = name + len - 3 - MEMORY_ID_HEX;
        if (hex > name && hex[-1] != '-')
                return 0;
        if (hex == name)
                return 0;
        for (int i = 0; i < MEMORY_ID_HEX; i++) {
                if (!is_hex(hex[i]))
                        return 0;
        }
        memcpy(id_out, MEMORY_ID_PREFIX, 4);
        memcpy(id_out + 4, hex, MEMORY_ID_HEX);
        id_out[MEMORY_ID_LEN] = '\0';
        return 1;
}

struct memory *memory_new(void)
{
        return xcalloc(1, sizeof(struct memory));
}

void memory_set(char **field, const char *value)
{
        free(*field);
        *field = value ? xstrdup(value) : NULL;
}

void memory_set_body(struct memory *m, const char *body, size_t len)
{
        free(m->body);
        m->body = xstrndup(body ? body : "", body ? len : 0);
        m->body_len = body ? len : 0;
}

void memory_list_add(struct memory_list_str *list, const char *s)
{
        for (size_t i = 0; i < list->n; i++) {
                if (strcmp(list->v[i], s) == 0)
                        return;
        }
        if (list->n == list->cap) {
                list->cap = list->cap ? list->cap * 2 : 4;
                list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
        }
        list->v[list->n++] = xstrdup(s);
}

void memory_list_clear(struct memory_list_str *list)
{
        for (size_t i = 0; i < list->n; i++)
                free(list->v[i]);
        free(list->v);
        list->v = NULL;
        list->n = list->cap = 0;
}

struct memory *memory_dup(const struct memory *m)
{
        struct memory *c = memory_new();
        memory_set(&c->id, m->id);
        memory_set(&c->scope, m->scope);
        memory_set(&c->owner, m->owner);
        memory_set(&c->retention, m->retention);
        memory_set(&c->created, m->created);
        memory_set(&c->updated, m->updated);
        memory_set(&c->expires, m->expires);
        memory_set(&c->path, m->path);
        c->legal_hold = m->legal_hold;
        for (size_t i = 0; i < m->sources.n; i++)
                memory_list_add(&c->sources, m->sources.v[i]);
        for (size_t i = 0; i < m->tags.n; i++)
                memory_list_add(&c->tags, m->tags.v[i]);
        memory_set_body(c, m->body, m->body_len);
        return c;
}

void memory_free(struct memory *m)
{
        if (!m)
                return;
        free(m->id);
        free(m->scope);
        free(m->owner);
        free(m->retention);
        free(m->created);
        free(m->updated);
        free(m->expires);
        memory_list_clear(&m->sources);
        memory_list_clear(&m->tags);
        free(m->body);
        free(m->path);
        free(m);
}
