/* Export for the platform: a scope's memories as a `/memories`-style
 * directory (PLATFORM.md §5.2), one Markdown file per memory named from its
 * store path, nothing else, for mounting into an agent's sandbox. */
#ifndef CURATOR_EXPORT_H
#define CURATOR_EXPORT_H

#include <stddef.h>

#include "err.h"
#include "store.h"

/* Writes scope's memories at commit (NULL: head) into dir. The files are
 * written into a new directory beside dir and then swapped in with one
 * rename (renameat2 RENAME_EXCHANGE when dir exists), so a reader sees the
 * old directory or the new one, never a half of either. *count gets the
 * number of files; commit_out the commit exported. */
int export_scope_dir(struct store *s, const char *scope, const char *commit, const char *dir,
                     size_t *count, char commit_out[41], struct err *err);

/* Writes a file in dirfd and syncs it (export's directories are swapped in
 * whole, so each file must be durable before the swap). */
int export_write_file(int dirfd, const char *name, const char *data, size_t len,
                      struct err *err);
/* Removes a directory tree (the one swapped out), not following links. */
void export_remove_tree(const char *path);

#endif
