#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static uint64_t hash_str(const char *s)
{
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        for (; *s; s++) {
                h ^= (unsigned char)*s;
                h *= 1099511628211ull;
        }
        return h;
}

static struct strmap_slot *find(const struct strmap *m, const char *key)
{
        size_t mask = m->cap - 1;
        for (size_t i = hash_str(key) & mask;; i = (i + 1) & mask) {
                struct strmap_slot *s = &m->slots[i];
                if (!s->key || strcmp(s->key, key) == 0)
                        return s;
        }
}

void *strmap_get(const struct strmap *m, const char *key)
{
        if (!m->cap)
                return NULL;
        struct strmap_slot *s = find(m, key);
        return s->key ? s->value : NULL;
}

static void grow(struct strmap *m)
{
        struct strmap old = *m;
        m->cap = old.cap ? old.cap * 2 : 16;
        m->slots = xcalloc(m->cap, sizeof(*m->slots));
        m->n = 0;
        for (size_t i = 0; i < old.cap; i++) {
                if (!old.slots[i].key)
                        continue;
                struct strmap_slot *s = find(m, old.slots[i].key);
                *s = old.slots[i];
                m->n++;
        }
        free(old.slots);
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
        if ((m->n + 1) * 4 > m->cap * 3)
                grow(m);
        struct strmap_slot *s = find(m, key);
        if (s->key) {
                void *prev = s->value;
                s->value = value;
                return prev;
        }
        s->key = xstrdup(key);
        s->value = value;
        m->n++;
        return NULL;
}

void strmap_free(struct strmap *m)
{
        for (size_t i = 0; i < m->cap; i++)
                free(m->slots[i].key);
        free(m->slots);
        m->slots = NULL;
        m->cap = m->n = 0;
}
