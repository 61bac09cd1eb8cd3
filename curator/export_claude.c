/* Claude Code auto memory out (platform.h, PLATFORM.md §5.3): a scope as a
 * `memory/` folder: MEMORY.md, the index Claude Code loads at session start
 * (only its first 200 lines / 25 KB are read, so the index is kept within
 * both), and one topic file per memory, read on demand. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "export.h"
#include "platform.h"
#include "store.h"

#define CLAUDE_INDEX_MAX_LINES 200
#define CLAUDE_INDEX_MAX_BYTES 25000 /* under 25 KB whichever way a KB is counted */
#define CLAUDE_TITLE_MAX 100

/* A one-line title from the body's first non-blank line: Markdown markers
 * dropped, brackets softened (they would break the link), cut on a UTF-8
 * boundary. */
static void index_title(const struct memory *m, struct buf *out)
{
        const char *p = m->body ? m->body : "", *end = p + m->body_len;
        while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t'))
                p++;
        while (p < end && (*p == '#' || *p == '-' || *p == '*' || *p == '>' || *p == ' '))
                p++;
        size_t start = out->len;
        int space = 0;
        for (; p < end && *p != '\n' && out->len - start < CLAUDE_TITLE_MAX; p++) {
                char c = *p;
                if (c == '\r' || c == '\t' || c == ' ') {
                        space = 1;
                        continue;
                }
                if (space && out->len > start)
                        buf_addc(out, ' ');
                space = 0;
                buf_addc(out, c == '[' ? '(' : c == ']' ? ')' : c);
        }
        if (p < end && *p != '\n') {
                while (out->len > start && ((unsigned char)out->ptr[out->len - 1] & 0xc0) == 0x80)
                        out->len--; /* continuation bytes of a cut character */
                if (out->len > start && ((unsigned char)out->ptr[out->len - 1] & 0xc0) == 0xc0)
                        out->len--;
                out->ptr[out->len] = '\0';
                buf_adds(out, "…");
        }
        if (out->len == start)
                buf_adds(out, m->id);
}

static int newest_first(const void *a, const void *b)
{
        const struct memory *x = *(const struct memory *const *)a;
        const struct memory *y = *(const struct memory *const *)b;
        int c = strcmp(y->updated ? y->updated : "", x->updated ? x->updated : "");
        return c ? c : strcmp(x->path ? x->path : "", y->path ? y->path : "");
}

int export_claude_code(struct store *s, const char *scope, const char *commit, const char *dir,
                       struct export_claude_result *res, struct err *err)
{
        memset(res, 0, sizeof(*res));
        if (!memory_scope_valid(scope))
                return err_set(err, "scope '%s' is not a valid scope name", scope);
        struct stat st;
        int exists = lstat(dir, &st) == 0;
        if (exists && !S_ISDIR(st.st_mode))
                return err_set(err, "%s exists and is not a directory", dir);
        char at[41];
        struct store_memories l = {0};
        if (store_resolve(s, commit ? commit : "HEAD", at, err) < 0 ||
            store_list(s, at, scope, &l, err) < 0) {
                store_memories_free(&l);
                return -1;
        }
        if (l.n > 1)
                qsort(l.v, l.n, sizeof(*l.v), newest_first);
        struct buf tmp = BUF_INIT, index = BUF_INIT, line = BUF_INIT;
        size_t dl = strlen(dir);
        while (dl > 1 && dir[dl - 1] == '/')
                dl--;
        buf_add(&tmp, dir, dl);
        buf_adds(&tmp, ".claude-XXXXXX");
        int rc = -1, dirfd = -1;
        if (!mkdtemp(tmp.ptr)) {
                err_set(err, "creating a directory beside %s: %s", dir, strerror(errno));
                goto out;
        }
        chmod(tmp.ptr, 0755);
        dirfd = open(tmp.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
                err_set(err, "opening %s: %s", tmp.ptr, strerror(errno));
                goto fail;
        }
        buf_addf(&index,
                 "# Memory: %s\n\nCurated by curator from approved memories (store commit "
                 "%.12s). Each line links a topic file; change them through curator's review, "
                 "not here.\n\n",
                 scope, at);
        size_t lines = 4;
        /* room for the closing line that counts what the index left out */
        const size_t reserve_bytes = 120, reserve_lines = 2;
        for (size_t i = 0; i < l.n; i++) {
                const struct memory *m = l.v[i];
                const char *base = m->path ? strrchr(m->path, '/') : NULL;
                base = base ? base + 1 : m->id;
                if (strcmp(base, "MEMORY.md") == 0) {
                        err_set(err, "memory %s would overwrite MEMORY.md", m->id);
                        goto fail;
                }
                if (export_write_file(dirfd, base, m->body ? m->body : "", m->body_len, err) < 0)
                        goto fail;
                res->memories++;
                buf_reset(&line);
                buf_adds(&line, "- [");
                index_title(m, &line);
                buf_addf(&line, "](%s)\n", base);
                if (lines + 1 + reserve_lines > CLAUDE_INDEX_MAX_LINES ||
                    index.len + line.len + reserve_bytes > CLAUDE_INDEX_MAX_BYTES) {
                        res->left_out++;
                        continue;
                }
                buf_add(&index, line.ptr, line.len);
                lines++;
        }
        if (res->left_out) {
                buf_addf(&index,
                         "\n%zu more topic files in this folder are not listed here (the index "
                         "is kept within what Claude Code loads).\n",
                         res->left_out);
                lines += 2;
        }
        res->index_lines = lines;
        res->index_bytes = index.len;
        if (export_write_file(dirfd, "MEMORY.md", index.ptr, index.len, err) < 0)
                goto fail;
        if (fsync(dirfd) < 0) {
                err_set(err, "syncing %s: %s", tmp.ptr, strerror(errno));
                goto fail;
        }
        if (exists) {
                if (renameat2(AT_FDCWD, tmp.ptr, AT_FDCWD, dir, RENAME_EXCHANGE) < 0) {
                        err_set(err, "swapping %s into place: %s", dir, strerror(errno));
                        goto fail;
                }
                export_remove_tree(tmp.ptr); /* now the old folder */
        } else if (rename(tmp.ptr, dir) < 0) {
                err_set(err, "moving %s into place: %s", dir, strerror(errno));
                goto fail;
        }
        rc = 0;
        goto out;
fail:
        export_remove_tree(tmp.ptr);
out:
        if (dirfd >= 0)
                close(dirfd);
        buf_free(&tmp);
        buf_free(&index);
        buf_free(&line);
        store_memories_free(&l);
        return rc;
}
