/* curator scan: the rules engine on files, directories or stdin. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "fileio.h"
#include "home.h"
#include "rules.h"

const char cmd_scan_usage[] =
    "usage: curator [--home DIR] scan [--rules DIR] [--json] [--redact] PATH...|-\n"
    "\n"
    "Scans files for secrets, PII and prompt injection with the rules engine.\n"
    "Directories are scanned recursively (binary files and symbolic links inside\n"
    "them are skipped); '-' reads standard input. The matched text is never\n"
    "printed.\n"
    "\n"
    "Options:\n"
    "  --rules DIR  load rules from DIR (default: [rules] dir in the home's\n"
    "               curator.conf, else the rules curator was built with)\n"
    "  --json       one JSON object per finding per line:\n"
    "               {\"file\",\"line\",\"start\",\"end\",\"rule\",\"family\",\"action\"}\n"
    "  --redact     print the input with every finding replaced by\n"
    "               [REDACTED:<rule>] instead of listing findings\n"
    "\n"
    "Without --json each finding is one line: FILE:LINE:START-END RULE FAMILY ACTION.\n"
    "LINE counts from 1; START and END are 0-based byte columns in that line, END\n"
    "exclusive (a finding spanning lines, such as a private key block, has an END\n"
    "past the end of its first line).\n"
    "\n"
    "Exit status: 0 no finding, 1 findings, 2 error (unreadable file, bad rules).\n";

struct scan_run {
        const struct rules_set *rules;
        int json;
        int redact;
        size_t findings;
        int errors;
};

/* Formats the findings of text for name into out. */
static void report_findings(const struct scan_run *run, const char *name, const char *text,
                            const struct rule_findings *f, struct buf *out)
{
        size_t line = 1, line_start = 0, at = 0;
        for (size_t i = 0; i < f->n; i++) {
                const struct rule_finding *x = &f->v[i];
                while (at < x->start) {
                        const char *nl = memchr(text + at, '\n', x->start - at);
                        if (!nl) {
                                at = x->start;
                                break;
                        }
                        line++;
                        at = (size_t)(nl - text) + 1;
                        line_start = at;
                }
                size_t s = x->start - line_start, e = x->end - line_start;
                if (run->json) {
                        buf_adds(out, "{\"file\":\"");
                        buf_add_json_str(out, name, strlen(name));
                        buf_addf(out,
                                 "\",\"line\":%zu,\"start\":%zu,\"end\":%zu,\"rule\":\"%s\","
                                 "\"family\":\"%s\",\"action\":\"%s\"}\n",
                                 line, s, e, x->rule_id, rule_family_name(x->family),
                                 rule_action_name(x->action));
                } else {
                        buf_addf(out, "%s:%zu:%zu-%zu %s %s %s\n", name, line, s, e, x->rule_id,
                                 rule_family_name(x->family), rule_action_name(x->action));
                }
        }
}

/* Scans text and formats the result for name into out (findings, or the
 * redacted text); problems go to errout. Returns the number of findings,
 * or -1 on error. Touches nothing shared, so workers may call it at once. */
static long scan_text(const struct scan_run *run, const char *name, const struct buf *text,
                      struct buf *out, struct buf *errout)
{
        struct rule_findings f = {0};
        struct err err;
        if (rules_scan(run->rules, text->ptr, text->len, &f, &err) < 0) {
                buf_addf(errout, "curator scan: %s: %s\n", name, err.msg);
                rule_findings_free(&f);
                return -1;
        }
        if (run->redact)
                rules_redact(text->ptr, text->len, &f, (1u << RULE_FLAG) | RULES_MASK_REDACTING,
                             out);
        else
                report_findings(run, name, text->ptr, &f, out);
        long n = (long)f.n;
        rule_findings_free(&f);
        return n;
}

static int read_stdin(struct buf *out, struct err *err)
{
        for (;;) {
                buf_grow(out, 65536);
                ssize_t n = read(0, out->ptr + out->len, out->cap - out->len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return err_set(err, "cannot read standard input: %s", strerror(errno));
                }
                if (n == 0)
                        break;
                out->len += (size_t)n;
                out->ptr[out->len] = 0;
        }
        return 0;
}

/* Text files only when walking a directory: a NUL in the first 8 KiB marks
 * a binary file, which no rule is written for. */
static int looks_binary(const struct buf *b)
{
        size_t n = b->len < 8192 ? b->len : 8192;
        return n && memchr(b->ptr, 0, n) != NULL;
}

/* One input: a file named on the command line or found in a directory, or
 * standard input ("-"). Workers fill out/errout; the main thread prints
 * them in input order, so output does not depend on scheduling. */
struct scan_item {
        char *path;        /* owned */
        int from_walk;     /* found in a directory: skip binary files */
        struct buf out;    /* for stdout */
        struct buf errout; /* for stderr */
        long found;        /* findings, or -1 on error */
        int done;
};

struct scan_queue {
        struct scan_item *v; /* owned */
        size_t n, cap;
        size_t next; /* the next item a worker takes */
        const struct scan_run *run;
        pthread_mutex_t mu;
        pthread_cond_t cond;
};

static struct scan_item *queue_add(struct scan_queue *q, const char *path, int from_walk)
{
        if (q->n == q->cap) {
                q->cap = q->cap ? q->cap * 2 : 64;
                q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
        }
        struct scan_item *it = &q->v[q->n++];
        memset(it, 0, sizeof(*it));
        it->path = xstrdup(path);
        it->from_walk = from_walk;
        return it;
}

/* An input that failed before scanning: its message is all it prints. */
static void queue_add_error(struct scan_queue *q, const char *path, const char *what)
{
        struct scan_item *it = queue_add(q, path, 0);
        buf_addf(&it->errout, "curator scan: %s %s: %s\n", what, path, strerror(errno));
        it->found = -1;
        it->done = 1;
}

/* Lists what path names: itself, or every regular file below it. */
static void queue_collect(struct scan_queue *q, const char *path, int from_walk)
{
        struct stat st;
        if (strcmp(path, "-") == 0 && !from_walk) {
                queue_add(q, path, 0);
                return;
        }
        if ((from_walk ? lstat(path, &st) : stat(path, &st)) < 0) {
                queue_add_error(q, path, "cannot open");
                return;
        }
        if (S_ISLNK(st.st_mode))
                return;
        if (!S_ISDIR(st.st_mode)) {
                if (!from_walk || S_ISREG(st.st_mode))
                        queue_add(q, path, from_walk);
                return;
        }
        struct dirent **names = NULL;
        int count = scandir(path, &names, NULL, alphasort);
        if (count < 0) {
                queue_add_error(q, path, "cannot read directory");
                return;
        }
        for (int i = 0; i < count; i++) {
                const char *n = names[i]->d_name;
                if (strcmp(n, ".") != 0 && strcmp(n, "..") != 0) {
                        char *child = fileio_join(path, n);
                        queue_collect(q, child, 1);
                        free(child);
                }
                free(names[i]);
        }
        free(names);
}

static void item_scan(const struct scan_run *run, struct scan_item *it)
{
        struct buf text = BUF_INIT;
        struct err err;
        int rc = strcmp(it->path, "-") == 0 && !it->from_walk
                     ? read_stdin(&text, &err)
                     : fileio_read_all(it->path, &text, NULL, &err);
        if (rc < 0) {
                buf_addf(&it->errout, "curator scan: %s\n", err.msg);
                it->found = -1;
        } else if (it->from_walk && looks_binary(&text)) {
                it->found = 0;
        } else {
                it->found = scan_text(run, it->path, &text, &it->out, &it->errout);
        }
        buf_free(&text);
}

static void *scan_worker(void *arg)
{
        struct scan_queue *q = arg;
        for (;;) {
                pthread_mutex_lock(&q->mu);
                size_t i = q->next < q->n ? q->next++ : q->n;
                pthread_mutex_unlock(&q->mu);
                if (i == q->n)
                        return NULL;
                if (!q->v[i].done)
                        item_scan(q->run, &q->v[i]);
                pthread_mutex_lock(&q->mu);
                q->v[i].done = 1;
                pthread_cond_broadcast(&q->cond);
                pthread_mutex_unlock(&q->mu);
        }
}

/* Worker threads: one per CPU this process may run on (so `taskset -c 0`
 * gives a single-threaded scan), at most 8, at most one per input. */
static size_t scan_threads(size_t items)
{
        cpu_set_t set;
        size_t n = 1;
        if (sched_getaffinity(0, sizeof(set), &set) == 0)
                n = (size_t)CPU_COUNT(&set);
        if (n > 8)
                n = 8;
        if (n > items)
                n = items;
        return n ? n : 1;
}

/* Scans every item, printing each one's output in order as it completes. */
static void queue_run(struct scan_queue *q, struct scan_run *run)
{
        size_t nthreads = scan_threads(q->n);
        pthread_t *threads = xcalloc(nthreads, sizeof(pthread_t));
        size_t started = 0;
        for (size_t t = 0; t < nthreads; t++)
                if (pthread_create(&threads[t], NULL, scan_worker, q) == 0)
                        started++;
        if (started == 0)
                scan_worker(q); /* no thread could start: scan here */
        for (size_t i = 0; i < q->n; i++) {
                struct scan_item *it = &q->v[i];
                pthread_mutex_lock(&q->mu);
                while (!it->done)
                        pthread_cond_wait(&q->cond, &q->mu);
                pthread_mutex_unlock(&q->mu);
                fwrite(buf_cstr(&it->out), 1, it->out.len, stdout);
                fflush(stdout);
                fputs(buf_cstr(&it->errout), stderr);
                if (it->found < 0)
                        run->errors++;
                else
                        run->findings += (size_t)it->found;
                buf_free(&it->out);
                buf_free(&it->errout);
                free(it->path);
        }
        for (size_t t = 0; t < started; t++)
                pthread_join(threads[t], NULL);
        free(threads);
}

static int load_rules(const char *dir, const struct cli *cli, struct rules_set **out,
                      struct err *err)
{
        if (dir)
                return rules_load_dir(dir, out, err);
        struct config *cfg = NULL;
        char *conf = fileio_join(home_resolve(cli->home), "curator.conf");
        int rc = config_load(conf, &cfg, err);
        free(conf);
        if (rc == 0)
                rc = rules_load_default(cfg, out, err);
        config_free(cfg);
        return rc;
}

int cmd_scan(int argc, char **argv, const struct cli *cli)
{
        static const struct option opts[] = {
            {"rules", required_argument, NULL, 'r'},
            {"json", no_argument, NULL, 'j'},
            {"redact", no_argument, NULL, 'R'},
            {NULL, 0, NULL, 0},
        };
        struct scan_run run = {0};
        const char *rules_dir = NULL;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'r':
                        rules_dir = optarg;
                        break;
                case 'j':
                        run.json = 1;
                        break;
                case 'R':
                        run.redact = 1;
                        break;
                default:
                        fputs(cmd_scan_usage, stderr);
                        return CMD_ERROR;
                }
        }
        if (optind >= argc) {
                fputs(cmd_scan_usage, stderr);
                return CMD_ERROR;
        }
        struct err err;
        struct rules_set *rules = NULL;
        if (load_rules(rules_dir, cli, &rules, &err) < 0)
                return cmd_fail("scan", &err);
        run.rules = rules;
        struct scan_queue q = {.run = &run};
        pthread_mutex_init(&q.mu, NULL);
        pthread_cond_init(&q.cond, NULL);
        for (int i = optind; i < argc; i++)
                queue_collect(&q, argv[i], 0);
        queue_run(&q, &run);
        pthread_mutex_destroy(&q.mu);
        pthread_cond_destroy(&q.cond);
        free(q.v);
        rules_free(rules);
        if (run.errors)
                return CMD_ERROR;
        return run.findings ? CMD_FOUND : CMD_OK;
}
