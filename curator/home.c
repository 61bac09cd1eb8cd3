#include "home.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "store.h"

const char *home_resolve(const char *flag)
{
        if (flag && *flag)
                return flag;
        const char *env = getenv("CURATOR_HOME");
        if (env && *env)
                return env;
        return "./curator-data";
}

static struct home *home_new(const char *dir)
{
        struct home *h = xcalloc(1, sizeof(*h));
        h->dir = xstrdup(dir);
        h->db_path = fileio_join(dir, "curator.db");
        h->config_path = fileio_join(dir, "curator.conf");
        h->store_path = fileio_join(dir, "store.git");
        return h;
}

static int home_load(struct home *h, struct err *err)
{
        /* Every command writes curator.db and its WAL: say so plainly rather
         * than SQLite's "unable to open database file". */
        if (access(h->dir, W_OK) != 0)
                return err_set(err, "the curator home %s is not writable (%s): curator writes "
                                    "curator.db, its WAL and store.git there",
                               h->dir, strerror(errno));
        if (config_load(h->config_path, &h->cfg, err) < 0)
                return -1;
        if (db_open(h->db_path, &h->db, err) < 0)
                return -1;
        const struct config_entry *bt = config_find(h->cfg, "database", "busy_timeout_ms");
        if (bt) {
                char *end;
                long ms = strtol(bt->value, &end, 10);
                if (*end || ms < 0 || ms > 3600000)
                        return err_set(err, "%s:%d: busy_timeout_ms must be 0 to 3600000, not '%s'",
                                       h->config_path, bt->line, bt->value);
                db_set_busy_timeout(h->db, (int)ms);
        }
        int applied = 0;
        return db_migrate(h->db, &applied, err);
}

int home_init(const char *dir, struct home **out, int *created, struct err *err)
{
        struct home *h = home_new(dir);
        if (fileio_mkdirs(dir, err) < 0)
                goto fail;
        if (access(h->config_path, F_OK) != 0 &&
            fileio_write_atomic(h->config_path, config_default_text,
                                strlen(config_default_text), err) < 0)
                goto fail;
        *created = access(h->db_path, F_OK) != 0;
        if (home_load(h, err) < 0)
                goto fail;
        if (store_init(h, err) < 0) /* creates store.git once; indexes it */
                goto fail;
        *out = h;
        return 0;
fail:
        home_close(h);
        return -1;
}

int home_open(const char *dir, struct home **out, struct err *err)
{
        struct home *h = home_new(dir);
        if (access(h->db_path, F_OK) != 0) {
                err_set(err, "no curator home at %s (run `curator init` or pass --home)", dir);
                home_close(h);
                return -1;
        }
        if (home_load(h, err) < 0) {
                home_close(h);
                return -1;
        }
        *out = h;
        return 0;
}

void home_close(struct home *h)
{
        if (!h)
                return;
        db_close(h->db);
        config_free(h->cfg);
        free(h->dir);
        free(h->db_path);
        free(h->config_path);
        free(h->store_path);
        free(h);
}
