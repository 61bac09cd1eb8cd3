/* A small libcurl client for JSON APIs: one request with bounded retries
 * (429 honouring retry-after, 5xx and 529 with exponential backoff, transport
 * errors), a cap on the body size, and a count of every attempt made. Header
 * values are never copied into errors, so a secret sent as a header cannot
 * leak through a message. */
#ifndef CURATOR_HTTP_CLIENT_H
#define CURATOR_HTTP_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

struct curl_slist;

struct http_client {
        void *curl;             /* owned: a CURL easy handle */
        long timeout_ms;        /* per attempt */
        int max_tries;          /* attempts per request, at least 1 */
        long retry_base_ms;     /* first backoff; doubles each try */
        long max_wait_ms;       /* cap on one wait, retry-after included */
        size_t max_body;        /* a larger answer fails the request */
        unsigned long attempts; /* every HTTP attempt made, retries included */
        unsigned long retries;  /* attempts that were retries */
};

struct http_response {
        long status; /* 0 if no answer came */
        struct buf body;
};

/* Prepares a client; fails only if libcurl cannot start. */
int http_client_init(struct http_client *c, struct err *err);
void http_client_free(struct http_client *c);

/* Sends method url with headers (borrowed) and body (may be NULL) and leaves
 * the final answer in out (status and body, 2xx or not). Retries 429 (after
 * retry-after seconds when given), 500-599 and transport failures up to
 * max_tries. Returns 0 once an answer that is not retried came (any status),
 * or -1 with err when the last try failed in transport; err names the method
 * and url (which must hold no secret) and never a header. */
int http_client_request(struct http_client *c, const char *method, const char *url,
                        struct curl_slist *headers, const char *body, size_t body_len,
                        struct http_response *out, struct err *err);

void http_response_free(struct http_response *r);

/* Appends s to out percent-encoded for a URL query value or path segment. */
void http_url_escape(struct buf *out, const char *s);

#endif
