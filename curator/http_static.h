/* The review UI's files (review-ui/), served by curator serve at / beside the
 * API: index.html at /, every other file by its path under the UI folder. */
#ifndef CURATOR_HTTP_STATIC_H
#define CURATOR_HTTP_STATIC_H

#include <microhttpd.h>

struct http_req;

/* 1 if url is one the UI may answer: anything outside the API's /v1/ tree
 * (and /v1 itself) that no route took. */
int http_static_wants(const char *url);

/* Answers url from the UI folder ([serve] ui_dir, else CURATOR_UI_DIR): GET
 * and HEAD only (405 otherwise); a file outside the folder, a hidden file, a
 * directory or a missing file is a 404; a known ETag is a 304. */
enum MHD_Result http_static_serve(struct http_req *r, const char *url, const char *method);

#endif
