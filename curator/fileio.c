#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fileio_read_all(const char *path, struct buf *out, int *missing, struct err *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT && missing)
                        *missing = 1;
                return err_set(err, "cannot open %s: %s", path, strerror(errno));
        }
        for (;;) {
                buf_grow(out, 65536);
                ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = errno;
                        close(fd);
                        return err_set(err, "cannot read %s: %s", path, strerror(e));
                }
                if (n == 0)
                        break;
                out->len += (size_t)n;
                out->ptr[out->len] = '\0';
        }
        close(fd);
        return 0;
}

int fileio_write_atomic(const char *path, const void *data, size_t len, struct err *err)
{
        struct buf tmp = BUF_INIT;
        buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
        int fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                err_set(err, "cannot create %s: %s", tmp.ptr, strerror(errno));
                buf_free(&tmp);
                return -1;
        }
        const char *p = data;
        size_t left = len;
        while (left) {
                ssize_t n = write(fd, p, left);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        err_set(err, "cannot write %s: %s", tmp.ptr, strerror(errno));
                        goto fail;
                }
                p += n;
                left -= (size_t)n;
        }
        if (fsync(fd) < 0) {
                err_set(err, "cannot sync %s: %s", tmp.ptr, strerror(errno));
                goto fail;
        }
        if (close(fd) < 0) {
                fd = -1;
                err_set(err, "cannot close %s: %s", tmp.ptr, strerror(errno));
                goto fail;
        }
        fd = -1;
        if (rename(tmp.ptr, path) < 0) {
                err_set(err, "cannot rename %s to %s: %s", tmp.ptr, path, strerror(errno));
                goto fail;
        }
        buf_free(&tmp);
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        unlink(tmp.ptr);
        buf_free(&tmp);
        return -1;
}

int fileio_is_dir(const char *path)
{
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fileio_mkdirs(const char *path, struct err *err)
{
        char *copy = xstrdup(path);
        for (char *p = copy + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
                        err_set(err, "cannot create directory %s: %s", copy, strerror(errno));
                        free(copy);
                        return -1;
                }
                *p = '/';
        }
        int rc = 0;
        if (mkdir(copy, 0700) < 0 && errno != EEXIST)
                rc = err_set(err, "cannot create directory %s: %s", copy, strerror(errno));
        else if (!fileio_is_dir(copy))
                rc = err_set(err, "%s exists and is not a directory", copy);
        free(copy);
        return rc;
}

char *fileio_join(const char *a, const char *b)
{
        struct buf out = BUF_INIT;
        buf_adds(&out, a);
        if (out.len && out.ptr[out.len - 1] != '/')
                buf_addc(&out, '/');
        buf_adds(&out, b);
        return buf_detach(&out, NULL);
}
