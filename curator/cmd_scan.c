/* curator scan: the rules engine on files, directories or stdin. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
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
        struct buf text; /* reused for every input */
        struct buf out;  /* reused for every input */
};

static void report_findings(struct scan_run *run, const char *name,
                            const struct rule_findings *f)
{
        const char *text = run->text.ptr;
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
                        buf_adds(&run->out, "{\"file\":\"");
                        buf_add_json_str(&run->out, name, strlen(name));
                        buf_addf(&run->out,
                                 "\",\"line\":%zu,\"start\":%zu,\"end\":%zu,\"rule\":\"%s\","
                                 "\"family\":\"%s\",\"action\":\"%s\"}\n",
                                 line, s, e, x->rule_id, rule_family_name(x->family),
                                 rule_action_name(x->action));
                } else {
                        buf_addf(&run->out, "%s:%zu:%zu-%zu %s %s %s\n", name, line, s, e,
                                 x->rule_id, rule_family_name(x->family),
                                 rule_action_name(x->action));
                }
        }
}

/* Scans what run->text holds and prints the result for name. */
static void scan_text(struct scan_run *run, const char *name)
{
        struct rule_findings f = {0};
        struct err err;
        buf_reset(&run->out);
        if (rules_scan(run->rules, run->text.ptr, run->text.len, &f, &err) < 0) {
                fprintf(stderr, "curator scan: %s: %s\n", name, err.msg);
                run->errors++;
                rule_findings_free(&f);
                return;
        }
        run->findings += f.n;
        if (run->redact)
                rules_redact(run->text.ptr, run->text.len, &f,
                             (1u << RULE_FLAG) | RULES_MASK_REDACTING, &run->out);
        else
                report_findings(run, name, &f);
        fwrite(run->out.ptr ? run->out.ptr : "", 1, run->out.len, stdout);
        rule_findings_free(&f);
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

static void scan_path(struct scan_run *run, const char *path, int from_walk);

static void scan_dir(struct scan_run *run, const char *path)
{
        struct dirent **names = NULL;
        int count = scandir(path, &names, NULL, alphasort);
        if (count < 0) {
                fprintf(stderr, "curator scan: cannot read directory %s: %s\n", path,
                        strerror(errno));
                run->errors++;
                return;
        }
        for (int i = 0; i < count; i++) {
                const char *n = names[i]->d_name;
                if (strcmp(n, ".") != 0 && strcmp(n, "..") != 0) {
                        char *child = fileio_join(path, n);
                        scan_path(run, child, 1);
                        free(child);
                }
                free(names[i]);
        }
        free(names);
}

static void scan_path(struct scan_run *run, const char *path, int from_walk)
{
        struct stat st;
        struct err err;
        if ((from_walk ? lstat(path, &st) : stat(path, &st)) < 0) {
                fprintf(stderr, "curator scan: cannot open %s: %s\n", path, strerror(errno));
                run->errors++;
                return;
        }
        if (S_ISLNK(st.st_mode))
                return;
        if (S_ISDIR(st.st_mode)) {
                scan_dir(run, path);
                return;
        }
        if (from_walk && !S_ISREG(st.st_mode))
                return;
        buf_reset(&run->text);
        if (fileio_read_all(path, &run->text, NULL, &err) < 0) {
                fprintf(stderr, "curator scan: %s\n", err.msg);
                run->errors++;
                return;
        }
        if (from_walk && looks_binary(&run->text))
                return;
        scan_text(run, path);
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
        for (int i = optind; i < argc; i++) {
                if (strcmp(argv[i], "-") == 0) {
                        buf_reset(&run.text);
                        if (read_stdin(&run.text, &err) < 0) {
                                fprintf(stderr, "curator scan: %s\n", err.msg);
                                run.errors++;
                                continue;
                        }
                        scan_text(&run, "-");
                } else {
                        scan_path(&run, argv[i], 0);
                }
        }
        fflush(stdout);
        buf_free(&run.text);
        buf_free(&run.out);
        rules_free(rules);
        if (run.errors)
                return CMD_ERROR;
        return run.findings ? CMD_FOUND : CMD_OK;
}
