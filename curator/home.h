/* A curator home: the directory holding curator.db, curator.conf and (once the
 * store exists) store.git. */
#ifndef CURATOR_HOME_H
#define CURATOR_HOME_H

#include "config.h"
#include "db.h"
#include "err.h"

struct home {
        char *dir;         /* owned */
        char *db_path;     /* owned: <dir>/curator.db */
        char *config_path; /* owned: <dir>/curator.conf */
        char *store_path;  /* owned: <dir>/store.git */
        struct config *cfg; /* owned */
        struct db *db;      /* owned */
};

/* The home to use: the --home flag if given, else $CURATOR_HOME, else
 * ./curator-data. Borrowed. */
const char *home_resolve(const char *flag);
/* Creates the home if needed (directory, default curator.conf, curator.db
 * with every migration applied) and opens it. *created is 1 if the database
 * did not exist before. */
int home_init(const char *dir, struct home **out, int *created, struct err *err);
/* Opens an existing home, applying any migrations a newer binary brings.
 * Fails with a hint to run `curator init` if there is none. */
int home_open(const char *dir, struct home **out, struct err *err);
void home_close(struct home *h);

#endif
