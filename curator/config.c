#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"

const char config_default_text[] =
        "# curator configuration. Sections and keys are documented in docs/CONFIG.md.\n"
        "\n"
        "[rules]\n"
        "# dir = /path/to/rules        # default: the rules/ folder curator was built with\n"
        "\n"
        "[ingest]\n"
        "# default_scope = default     # scope for sessions nothing else maps\n"
        "\n"
        "[scope-map]\n"
        "# Maps sessions to scopes; first match wins. Keys: cwd:GLOB, agent:GLOB, path:GLOB.\n"
        "# cwd:/srv/app* = app\n"
        "\n"
        "[retention]\n"
        "# class = duration (d, h, m, s, w) or never\n"
        "session = 30d\n"
        "standard = 365d\n"
        "pinned = never\n"
        "\n"
        "[store]\n"
        "default_retention = standard\n"
        "\n"
        "[scope-retention]\n"
        "# scope = class                # default retention class per scope\n";

static void config_push(struct config *cfg, const char *section, const char *key,
                        const char *value, int line)
{
        if (cfg->n == cfg->cap) {
                cfg->cap = cfg->cap ? cfg->cap * 2 : 16;
                cfg->v = xrealloc(cfg->v, cfg->cap * sizeof(*cfg->v));
        }
        struct config_entry *e = &cfg->v[cfg->n++];
        e->section = xstrdup(section);
        e->key = xstrdup(key);
        e->value = xstrdup(value);
        e->line = line;
}

static char *trim(char *s)
{
        while (*s && isspace((unsigned char)*s))
                s++;
        char *end = s + strlen(s);
        while (end > s && isspace((unsigned char)end[-1]))
                *--end = '\0';
        return s;
}

/* Strips a trailing comment that starts with '#' after whitespace. */
static void strip_comment(char *s)
{
        for (char *p = s; *p; p++) {
                if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
                        *p = '\0';
                        return;
                }
        }
}

int config_parse(const char *text, size_t len, const char *name, struct config **out,
                 struct err *err)
{
        struct config *cfg = xcalloc(1, sizeof(*cfg));
        char *section = xstrdup("");
        const char *p = text, *end = text + len;
        int lineno = 0;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                char *line = xstrndup(p, n);
                p += n + (nl ? 1 : 0);
                lineno++;
                if (memchr(line, '\0', n)) {
                        free(line);
                        err_set(err, "%s:%d: NUL byte in configuration", name, lineno);
                        goto fail;
                }
                strip_comment(line);
                char *s = trim(line);
                if (!*s) {
                        free(line);
                        continue;
                }
                if (*s == '[') {
                        char *close = strchr(s, ']');
                        if (!close || close[1] != '\0' || close == s + 1) {
                                err_set(err, "%s:%d: malformed section header '%s'", name,
                                        lineno, s);
                                free(line);
                                goto fail;
                        }
                        *close = '\0';
                        free(section);
                        section = xstrdup(trim(s + 1));
                        free(line);
                        continue;
                }
                char *eq = strchr(s, '=');
                if (!eq) {
                        err_set(err, "%s:%d: expected 'key = value', got '%s'", name, lineno,
                                s);
                        free(line);
                        goto fail;
                }
                *eq = '\0';
                char *key = trim(s), *value = trim(eq + 1);
                if (!*key) {
                        err_set(err, "%s:%d: empty key before '='", name, lineno);
                        free(line);
                        goto fail;
                }
                config_push(cfg, section, key, value, lineno);
                free(line);
        }
        free(section);
        cfg->path = xstrdup(name);
        *out = cfg;
        return 0;
fail:
        free(section);
        config_free(cfg);
        return -1;
}

int config_load(const char *path, struct config **out, struct err *err)
{
        struct buf text = BUF_INIT;
        int missing = 0;
        if (fileio_read_all(path, &text, &missing, err) < 0) {
                if (!missing)
                        return -1;
                *out = xcalloc(1, sizeof(**out));
                (*out)->path = xstrdup(path);
                return 0;
        }
        int rc = config_parse(buf_cstr(&text), text.len, path, out, err);
        buf_free(&text);
        return rc;
}

void config_free(struct config *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < cfg->n; i++) {
                free(cfg->v[i].section);
                free(cfg->v[i].key);
                free(cfg->v[i].value);
        }
        free(cfg->v);
        free(cfg->path);
        free(cfg);
}

const struct config_entry *config_find(const struct config *cfg, const char *section,
                                       const char *key)
{
        if (!cfg)
                return NULL;
        for (size_t i = cfg->n; i-- > 0;) {
                if (strcmp(cfg->v[i].section, section) == 0 && strcmp(cfg->v[i].key, key) == 0)
                        return &cfg->v[i];
        }
        return NULL;
}

const char *config_get(const struct config *cfg, const char *section, const char *key)
{
        const struct config_entry *e = config_find(cfg, section, key);
        return e ? e->value : NULL;
}

int config_parse_duration(const char *text, int64_t *seconds, struct err *err)
{
        if (strcmp(text, "never") == 0) {
                *seconds = -1;
                return 0;
        }
        errno = 0;
        char *end = NULL;
        long long n = strtoll(text, &end, 10);
        if (end == text || errno || n < 0)
                return err_set(err, "'%s' is not a duration (use e.g. 30d, 12h, never)", text);
        int64_t unit;
        if (strcmp(end, "s") == 0)
                unit = 1;
        else if (strcmp(end, "m") == 0)
                unit = 60;
        else if (strcmp(end, "h") == 0)
                unit = 3600;
        else if (strcmp(end, "d") == 0)
                unit = 86400;
        else if (strcmp(end, "w") == 0)
                unit = 7 * 86400;
        else
                return err_set(err, "'%s' has no unit (s, m, h, d, w) or is not 'never'", text);
        if (n > INT64_MAX / unit)
                return err_set(err, "duration '%s' is too large", text);
        *seconds = (int64_t)n * unit;
        return 0;
}
