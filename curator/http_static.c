/* The review UI's static files (http_static.h). Paths are checked twice: by
 * segment (no "..", no hidden names) and, after symlinks are resolved, by
 * prefix against the UI folder, so nothing outside it is ever opened. */
#include "http_static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "home.h"
#include "serve_internal.h"

#ifndef CURATOR_UI_DIR
#define CURATOR_UI_DIR "review-ui"
#endif

#define STATIC_URL_MAX 1024

/* The page loads only its own files and talks only to its own origin: no
 * inline script, no other host, never framed. */
static const char static_csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

static const struct {
        const char *ext, *type;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".woff2", "font/woff2"},
};

int http_static_wants(const char *url)
{
        return url && url[0] == '/' && strcmp(url, "/v1") != 0 && strncmp(url, "/v1/", 4) != 0;
}

static const char *static_type(const char *path)
{
        const char *dot = strrchr(path, '.');
        const char *slash = strrchr(path, '/');
        if (dot && (!slash || dot > slash))
                for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++)
                        if (strcasecmp(dot, static_types[i].ext) == 0)
                                return static_types[i].type;
        return "application/octet-stream";
}

/* 1 if every segment of the decoded url is a plain name: not empty, not "."
 * or "..", not hidden, no backslash or control byte. */
static int static_path_ok(const char *url)
{
        if (strlen(url) > STATIC_URL_MAX)
                return 0;
        const char *s = url + 1;
        while (*s) {
                const char *e = strchr(s, '/');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                if (len == 0 || s[0] == '.')
                        return 0;
                for (size_t i = 0; i < len; i++)
                        if (s[i] == '\\' || (unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                                return 0;
                if (!e)
                        break;
                s = e + 1;
        }
        return 1;
}

static enum MHD_Result static_queue(struct http_req *r, unsigned status, struct MHD_Response *resp,
                                    const char *ctype, const char *etag)
{
        if (!resp)
                return http_reply_error(r, 500, "internal", "could not build a response");
        if (ctype)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        /* Small files that change with each release: always revalidate, and
         * the ETag makes that a 304 with no body. */
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Content-Security-Policy", static_csp);
        r->status = status;
        r->answered = 1;
        enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
        MHD_destroy_response(resp);
        return rc;
}

enum MHD_Result http_static_serve(struct http_req *r, const char *url, const char *method)
{
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return http_reply_error(r, 405, "method_not_allowed",
                                        "%s is not allowed on %s: the review UI's files are "
                                        "read with GET",
                                        method, url);
        if (!static_path_ok(url))
                return http_reply_error(r, 404, "not_found", "no file for %s", url);
        const char *dir = config_get(r->w->home->cfg, "serve", "ui_dir");
        if (!dir || !*dir)
                dir = CURATOR_UI_DIR;
        char root[PATH_MAX], want[PATH_MAX], real[PATH_MAX];
        if (!realpath(dir, root))
                return http_reply_error(r, 404, "not_found",
                                        "the review UI folder %s is not there (%s): set "
                                        "[serve] ui_dir",
                                        dir, strerror(errno));
        int n =
            snprintf(want, sizeof(want), "%s%s", root, strcmp(url, "/") == 0 ? "/index.html" : url);
        if (n < 0 || (size_t)n >= sizeof(want) || !realpath(want, real))
                return http_reply_error(r, 404, "not_found", "no file for %s", url);
        size_t rl = strlen(root);
        if (strncmp(real, root, rl) != 0 || real[rl] != '/')
                return http_reply_error(r, 404, "not_found", "no file for %s", url);
        int fd = open(real, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0)
                return http_reply_error(r, 404, "not_found", "no file for %s", url);
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return http_reply_error(r, 404, "not_found", "no file for %s", url);
        }
        char etag[96];
        snprintf(etag, sizeof(etag), "\"%llx-%llx-%lx\"", (unsigned long long)st.st_size,
                 (unsigned long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
        const char *inm =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
        if (inm && strstr(inm, etag)) {
                close(fd);
                return static_queue(
                    r, 304, MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT),
                    NULL, etag);
        }
        /* The response owns fd from here and closes it once sent. */
        struct MHD_Response *resp = MHD_create_response_from_fd((size_t)st.st_size, fd);
        if (!resp)
                close(fd);
        return static_queue(r, 200, resp, static_type(real), etag);
}
