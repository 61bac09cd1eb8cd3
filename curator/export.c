#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"

int export_write_file(int dirfd, const char *name, const char *data, size_t len, struct err *err)
{
        int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return err_set(err, "creating %s: %s", name, strerror(errno));
        size_t done = 0;
        while (done < len) {
                ssize_t w = write(fd, data + done, len - done);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        err_set(err, "writing %s: %s", name, strerror(errno));
                        close(fd);
                        return -1;
                }
                done += (size_t)w;
        }
        if (fsync(fd) < 0 || close(fd) < 0)
                return err_set(err, "writing %s: %s", name, strerror(errno));
        return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

void export_remove_tree(const char *path)
{
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int export_scope_dir(struct store *s, const char *scope, const char *commit, const char *dir,
                     size_t *count, char commit_out[41], struct err *err)
{
        *count = 0;
        if (!memory_scope_valid(scope))
                return err_set(err, "scope '%s' is not a valid scope name", scope);
        struct stat st;
        int exists = lstat(dir, &st) == 0;
        if (exists && !S_ISDIR(st.st_mode))
                return err_set(err, "%s exists and is not a directory", dir);
        struct store_memories l = {0};
        if (store_resolve(s, commit ? commit : "HEAD", commit_out, err) < 0 ||
            store_list(s, commit_out, scope, &l, err) < 0) {
                store_memories_free(&l);
                return -1;
        }
        /* The new directory sits beside dir (same file system), so the swap
         * is one rename. */
        struct buf tmp = BUF_INIT;
        size_t dl = strlen(dir);
        while (dl > 1 && dir[dl - 1] == '/')
                dl--;
        buf_add(&tmp, dir, dl);
        /* the parent may not exist yet (a fresh mount point, say) */
        char *slash = strrchr(tmp.ptr, '/');
        if (slash && slash != tmp.ptr) {
                *slash = '\0';
                int mk = fileio_mkdirs(tmp.ptr, err);
                *slash = '/';
                if (mk < 0) {
                        buf_free(&tmp);
                        store_memories_free(&l);
                        return -1;
                }
        }
        buf_adds(&tmp, ".export-XXXXXX");
        int rc = -1, dirfd = -1;
        char *tdir = tmp.ptr;
        if (!mkdtemp(tdir)) {
                err_set(err, "creating a directory beside %s: %s", dir, strerror(errno));
                goto out;
        }
        chmod(tdir, 0755);
        dirfd = open(tdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                err_set(err, "opening %s: %s", tdir, strerror(errno));
                goto fail;
        }
        for (size_t i = 0; i < l.n; i++) {
                const struct memory *m = l.v[i];
                const char *base = m->path ? strrchr(m->path, '/') : NULL;
                base = base ? base + 1 : m->id;
                if (export_write_file(dirfd, base, m->body ? m->body : "", m->body_len, err) < 0)
                        goto fail;
                (*count)++;
        }
        if (fsync(dirfd) < 0) {
                err_set(err, "syncing %s: %s", tdir, strerror(errno));
                goto fail;
        }
        if (exists) {
                if (renameat2(AT_FDCWD, tdir, AT_FDCWD, dir, RENAME_EXCHANGE) < 0) {
                        err_set(err, "swapping %s into place: %s", dir, strerror(errno));
                        goto fail;
                }
                export_remove_tree(tdir); /* now the old directory */
        } else if (rename(tdir, dir) < 0) {
                err_set(err, "moving %s into place: %s", dir, strerror(errno));
                goto fail;
        }
        rc = 0;
        goto out;
fail:
        export_remove_tree(tdir);
out:
        if (dirfd >= 0)
                close(dirfd);
        buf_free(&tmp);
        store_memories_free(&l);
        return rc;
}
