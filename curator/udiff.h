/* A line-based unified diff, for showing a hunk against the memory as it is. */
#ifndef CURATOR_UDIFF_H
#define CURATOR_UDIFF_H

#include "buf.h"

/* Appends a unified diff of old_text → new_text (either may be NULL: an add
 * or a delete) with a/ and b/ headers naming path and one hunk of full
 * context (memories are short). Appends nothing if the texts are equal. */
void udiff_unified(const char *old_text, const char *new_text, const char *path,
                   struct buf *out);

#endif
