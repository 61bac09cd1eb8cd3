#include "retention.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "memory.h"
#include "timestamp.h"

static const char *conf_name(const struct config *cfg)
{
        return cfg && cfg->path ? cfg->path : "curator.conf";
}

static void retention_push(struct retention *r, const char *name, int64_t seconds, int line)
{
        r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
        r->v[r->n].name = xstrdup(name);
        r->v[r->n].seconds = seconds;
        r->v[r->n].line = line;
        r->n++;
}

int retention_load(const struct config *cfg, struct retention **out, struct err *err)
{
        struct retention *r = xcalloc(1, sizeof(*r));
        r->cfg = cfg;
        for (size_t i = 0; cfg && i < cfg->n; i++) {
                const struct config_entry *e = &cfg->v[i];
                if (strcmp(e->section, "retention") != 0)
                        continue;
                int64_t seconds;
                if (!*e->key ||
                    strspn(e->key, "abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(e->key)) {
                        err_set(err,
                                "%s:%d: retention class name '%s' may hold only letters, "
                                "digits, '.', '_' and '-'",
                                conf_name(cfg), e->line, e->key);
                        goto fail;
                }
                if (config_parse_duration(e->value, &seconds, err) < 0) {
                        err_wrap(err, "%s:%d: retention class '%s'", conf_name(cfg), e->line,
                                 e->key);
                        goto fail;
                }
                struct retention_class *old = (struct retention_class *)retention_find(r, e->key);
                if (old) { /* the last value set wins, as config_get does */
                        old->seconds = seconds;
                        old->line = e->line;
                } else {
                        retention_push(r, e->key, seconds, e->line);
                }
        }
        if (r->n == 0) {
                retention_push(r, "session", 30 * 86400LL, 0);
                retention_push(r, "standard", 365 * 86400LL, 0);
                retention_push(r, "pinned", -1, 0);
        }
        const struct config_entry *def =
            cfg ? config_find(cfg, "store", "default_retention") : NULL;
        r->default_class = xstrdup(def ? def->value : "standard");
        if (!retention_find(r, r->default_class)) {
                if (def)
                        err_set(err,
                                "%s:%d: [store] default_retention names '%s', which is not "
                                "a class in [retention]",
                                conf_name(cfg), def->line, def->value);
                else
                        err_set(err,
                                "%s: there is no [store] default_retention and no "
                                "'standard' class in [retention]",
                                conf_name(cfg));
                goto fail;
        }
        for (size_t i = 0; cfg && i < cfg->n; i++) {
                const struct config_entry *e = &cfg->v[i];
                if (strcmp(e->section, "scope-retention") != 0)
                        continue;
                if (!retention_find(r, e->value)) {
                        err_set(err,
                                "%s:%d: [scope-retention] %s = %s: no such class in "
                                "[retention]",
                                conf_name(cfg), e->line, e->key, e->value);
                        goto fail;
                }
        }
        *out = r;
        return 0;
fail:
        retention_free(r);
        return -1;
}

void retention_free(struct retention *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                free(r->v[i].name);
        free(r->v);
        free(r->default_class);
        free(r);
}

const struct retention_class *retention_find(const struct retention *r, const char *name)
{
        for (size_t i = 0; name && i < r->n; i++) {
                if (strcmp(r->v[i].name, name) == 0)
                        return &r->v[i];
        }
        return NULL;
}

const char *retention_class_for_scope(const struct retention *r, const char *scope)
{
        const char *c = r->cfg && scope ? config_get(r->cfg, "scope-retention", scope) : NULL;
        return c ? c : r->default_class;
}

int retention_expires(const struct retention *r, const char *name, int64_t updated_ms, char out[32],
                      struct err *err)
{
        const struct retention_class *c = retention_find(r, name);
        if (!c)
                return err_set(err,
                               "unknown retention class '%s' (classes are set in %s, "
                               "[retention])",
                               name, conf_name(r->cfg));
        if (c->seconds < 0) {
                strcpy(out, MEMORY_NEVER);
                return 0;
        }
        timestamp_format(updated_ms + c->seconds * 1000, out);
        return 0;
}
