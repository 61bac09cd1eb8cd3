/* Store benchmark driver (bench/store/run.sh builds and runs it).
 *
 *   bench_store seed HOME NMEM            one commit adding NMEM memories
 *   bench_store commits HOME NMEM N STREAM  N commits of one updated memory each,
 *                                         timed; then writes the same commits
 *                                         (same blobs, authors, dates, messages)
 *                                         as a git fast-import stream to STREAM
 *   bench_store reads HOME NMEM N PATHS   N reads by id at head, timed; writes
 *                                         the paths read to PATHS
 *
 * Prints key=value lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "home.h"
#include "store.h"

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const struct err *err)
{
        fprintf(stderr, "bench_store: %s: %s\n", what, err->msg);
        exit(2);
}

static void id_of(long i, char out[MEMORY_ID_LEN + 1])
{
        snprintf(out, MEMORY_ID_LEN + 1, "mem-%016lx", 0x5eed0000L + i);
}

static const char *const scopes[] = {"app",  "web",   "ops",    "support", "release",
                                     "data", "infra", "mobile", "docs",    "billing"};

static int seed(struct store *s, long nmem)
{
        struct store_change *ch = calloc((size_t)nmem, sizeof(*ch));
        char(*ids)[MEMORY_ID_LEN + 1] = calloc((size_t)nmem, sizeof(*ids));
        struct buf *texts = calloc((size_t)nmem, sizeof(*texts));
        const char *tags[] = {"bench"};
        for (long i = 0; i < nmem; i++) {
                id_of(i, ids[i]);
                buf_addf(&texts[i],
                         "Lesson %ld: when the %s build fails with exit code %ld, rerun the "
                         "narrow test target first and read its log before retrying.\n",
                         i, scopes[i % 10], i % 97);
                ch[i] = (struct store_change){.op = STORE_ADD,
                                              .id = ids[i],
                                              .scope = scopes[i % 10],
                                              .text = texts[i].ptr,
                                              .tags = tags,
                                              .ntags = 1,
                                              .legal_hold = -1};
        }
        struct store_commit_info info = {
            .author_name = "alice", .message = "Seed the store", .approved_by = "alice"};
        char out[41];
        struct err err;
        double t0 = now_s();
        if (store_apply_changes(s, ch, (size_t)nmem, &info, NULL, out, &err) != 0)
                die("seed", &err);
        printf("seed_commit=%s\nseed_seconds=%.3f\n", out, now_s() - t0);
        for (long i = 0; i < nmem; i++)
                buf_free(&texts[i]);
        free(texts);
        free(ids);
        free(ch);
        return 0;
}

static void stream_data(FILE *f, const char *p, size_t len)
{
        fprintf(f, "data %zu\n", len);
        fwrite(p, 1, len, f);
        fputc('\n', f);
}

static int commits(struct store *s, long nmem, long n, const char *stream)
{
        struct err err;
        char base[41];
        if (store_head(s, base, &err) < 0)
                die("head", &err);
        double t0 = now_s();
        for (long k = 0; k < n; k++) {
                char id[MEMORY_ID_LEN + 1], out[41];
                id_of((k * 7919) % nmem, id);
                struct buf text = BUF_INIT, msg = BUF_INIT;
                buf_addf(&text,
                         "Lesson revised in change %ld: run `make check` before "
                         "pushing to the integration branch.\n",
                         k);
                buf_addf(&msg, "Approve diff %ld", k);
                struct store_change c = {
                    .op = STORE_UPDATE, .id = id, .text = text.ptr, .legal_hold = -1};
                struct store_commit_info info = {.author_name = "alice",
                                                 .message = msg.ptr,
                                                 .diff_id = "bench",
                                                 .approved_by = "alice"};
                if (store_apply_changes(s, &c, 1, &info, NULL, out, &err) != 0)
                        die("commit", &err);
                buf_free(&text);
                buf_free(&msg);
        }
        double dt = now_s() - t0;
        printf("commits=%ld\ncommit_seconds=%.3f\ncommits_per_second=%.1f\n", n, dt, n / dt);

        /* The same commits for git fast-import, oldest first, byte for byte. */
        struct store_log log = {0};
        if (store_log(s, NULL, (size_t)n, &log, &err) < 0)
                die("log", &err);
        FILE *f = fopen(stream, "w");
        if (!f) {
                perror(stream);
                return 2;
        }
        for (size_t i = log.n; i-- > 0;) {
                const struct store_commit *c = &log.v[i];
                fprintf(f, "commit refs/heads/main\n");
                fprintf(f, "author %s <%s> %lld +0000\n", c->author_name, c->author_email,
                        (long long)(c->when_ms / 1000));
                fprintf(f, "committer curator <curator@curator.invalid> %lld +0000\n",
                        (long long)(c->when_ms / 1000));
                stream_data(f, c->message, strlen(c->message));
                if (i == log.n - 1)
                        fprintf(f, "from %s\n", base);
                for (size_t j = 0; j < c->paths.n; j++) {
                        struct buf blob = BUF_INIT;
                        if (store_read_file(s, c->paths.v[j].path, c->id, &blob, &err) < 0)
                                die("read", &err);
                        fprintf(f, "M 100644 inline %s\n", c->paths.v[j].path);
                        stream_data(f, blob.ptr, blob.len);
                        buf_free(&blob);
                }
                fputc('\n', f);
        }
        fclose(f);
        store_log_free(&log);
        return 0;
}

static int reads(struct store *s, long nmem, long n, const char *paths_out)
{
        struct err err;
        FILE *f = fopen(paths_out, "w");
        if (!f) {
                perror(paths_out);
                return 2;
        }
        double t0 = now_s();
        size_t bytes = 0;
        for (long k = 0; k < n; k++) {
                char id[MEMORY_ID_LEN + 1];
                id_of((k * 104729) % nmem, id);
                struct memory *m = NULL;
                if (store_read_memory(s, id, NULL, &m, &err) < 0)
                        die("read", &err);
                bytes += m->body_len;
                fprintf(f, "%s %s\n", id, m->path);
                memory_free(m);
        }
        double dt = now_s() - t0;
        fclose(f);
        printf("reads=%ld\nread_seconds=%.3f\nread_us_each=%.1f\nread_bytes=%zu\n", n, dt,
               dt / n * 1e6, bytes);
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 4) {
                fprintf(stderr, "usage: see the comment at the top of bench_store.c\n");
                return 2;
        }
        struct err err;
        struct home *h = NULL;
        struct store *s = NULL;
        if (home_open(argv[2], &h, &err) < 0 || store_open(h, &s, &err) < 0)
                die("open", &err);
        long nmem = strtol(argv[3], NULL, 10);
        int rc = 2;
        if (strcmp(argv[1], "seed") == 0)
                rc = seed(s, nmem);
        else if (strcmp(argv[1], "commits") == 0 && argc == 6)
                rc = commits(s, nmem, strtol(argv[4], NULL, 10), argv[5]);
        else if (strcmp(argv[1], "reads") == 0 && argc == 6)
                rc = reads(s, nmem, strtol(argv[4], NULL, 10), argv[5]);
        store_close(s);
        home_close(h);
        return rc;
}
