/* For forget.c only: writes one pack (and its version 2 index) holding
 * every object reachable from a commit. libgit2's packbuilder searches
 * deltas among all objects and recompresses everything, which is most of
 * an erasure's time; this writer knows the shape of a store instead: a tree
 * at a given path is stored as a delta against the last tree written at the
 * same path (consecutive versions differ by the entries one commit changed),
 * everything else whole. Entries are zlib streams of stored blocks: the
 * pack is written at copy speed; `git repack -a -d -F` recompresses it. */
#ifndef CURATOR_FORGET_PACK_H
#define CURATOR_FORGET_PACK_H

#include <git2.h>

#include "buf.h"
#include "err.h"

/* Writes objects/pack/pack-<sha1>.{pack,idx} under git_dir for everything
 * reachable from tip, fsyncs both and the directory (the index is renamed
 * into place last, so a pack is never visible before it is whole), and puts
 * "pack-<sha1>" into name. */
int forget_pack_write(git_repository *repo, const char *git_dir, const git_oid *tip,
                      struct buf *name, struct err *err);

#endif
