/* The body of an approve or reject request, parsed apart from the server so
 * it can be tested and fuzzed on its own. */
#ifndef CURATOR_HTTP_DECISION_H
#define CURATOR_HTTP_DECISION_H

#include <stddef.h>

struct cJSON;
struct review_edit;

/* Reads "hunks": [1, 3] (absent or null: every pending hunk) and, when edits
 * is not NULL, "edits": [{"idx": 1, "text": "..."}] (texts borrowed from
 * body). *hunks and *edits are the caller's to free. Returns 0, or -1 with a
 * message for a 400 in msg. */
int http_parse_decision(const struct cJSON *body, int **hunks, size_t *nhunks,
                        struct review_edit **edits, size_t *nedits, char *msg, size_t size);

#endif
