/* Ingest: files, directories and streams of JSON Lines → the db, one
 * transaction per file. Parsing lives in ingest_parse.c, SQL in db_ingest.c. */
#include "ingest.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "config.h"
#include "db.h"
#include "db_ingest.h"
#include "rules.h"
#include "sha256.h"
#include "strmap.h"
#include "timestamp.h"

/* Rejected lines are kept up to this many bytes (the hash covers all of it). */
#define REJECTED_KEEP_MAX (1u << 20)
#define PROGRESS_EVERY_LINES 8192

/* ---- reading lines ------------------------------------------------------ */

/* Reads lines from a descriptor or from memory, in constant memory for lines
 * longer than CURATOR_MAX_LINE (they are reported, not returned). */
struct line_reader {
        int fd;                 /* -1: read from mem */
        const char *mem;        /* borrowed */
        size_t mem_len, mem_pos;
        char *buf;              /* owned */
        size_t cap, start, end; /* buf[start, end) holds unread bytes */
        int eof;
        uint64_t lineno;
        uint64_t bytes;
};

static void reader_init_fd(struct line_reader *r, int fd)
{
        memset(r, 0, sizeof(*r));
        r->fd = fd;
        r->cap = 1u << 20;
        r->buf = xmalloc(r->cap);
}

static void reader_init_mem(struct line_reader *r, const char *data, size_t len)
{
        memset(r, 0, sizeof(*r));
        r->fd = -1;
        r->mem = data;
        r->mem_len = len;
}

static void reader_free(struct line_reader *r)
{
        free(r->buf);
}

/* Reads more bytes into the buffer, growing it up to the line limit. */
static int reader_fill(struct line_reader *r, struct err *err, const char *name)
{
        if (r->start > 0) {
                memmove(r->buf, r->buf + r->start, r->end - r->start);
                r->end -= r->start;
                r->start = 0;
        }
        if (r->end == r->cap) {
                r->cap *= 2;
                r->buf = xrealloc(r->buf, r->cap);
        }
        for (;;) {
                ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return err_set(err, "cannot read %s: %s", name, strerror(errno));
                }
                if (n == 0)
                        r->eof = 1;
                r->end += (size_t)n;
                r->bytes += (uint64_t)n;
                return 0;
        }
}

/* Returns 1 with the next line (without its newline), 0 at the end, -1 on a
 * read error. *too_long is set for a line over CURATOR_MAX_LINE, which is
 * consumed but not returned (*len is then its length so far). */
static int reader_next(struct line_reader *r, const char **line, size_t *len, int *too_long,
                       struct err *err, const char *name)
{
        *too_long = 0;
        if (r->fd < 0) {
                if (r->mem_pos >= r->mem_len)
                        return 0;
                const char *p = r->mem + r->mem_pos;
                size_t left = r->mem_len - r->mem_pos;
                const char *nl = memchr(p, '\n', left);
                size_t n = nl ? (size_t)(nl - p) : left;
                r->mem_pos += n + (nl ? 1 : 0);
                r->bytes = r->mem_pos;
                r->lineno++;
                *line = p;
                *len = n;
                if (n > CURATOR_MAX_LINE)
                        *too_long = 1;
                return 1;
        }
        size_t scanned = 0;
        uint64_t discarded = 0;
        for (;;) {
                char *p = r->buf + r->start + scanned;
                size_t avail = r->end - r->start - scanned;
                char *nl = memchr(p, '\n', avail);
                if (nl) {
                        size_t n = (size_t)(nl - (r->buf + r->start));
                        r->lineno++;
                        if (discarded || n > CURATOR_MAX_LINE) {
                                *too_long = 1;
                                *len = discarded + n;
                                *line = NULL;
                        } else {
                                *line = r->buf + r->start;
                                *len = n;
                        }
                        r->start += n + 1;
                        return 1;
                }
                scanned = r->end - r->start;
                if (scanned > CURATOR_MAX_LINE) {
                        /* Too long: drop what we hold and keep looking for its end. */
                        discarded += scanned;
                        r->start = r->end = 0;
                        scanned = 0;
                }
                if (r->eof) {
                        if (r->end == r->start && !discarded)
                                return 0;
                        size_t n = r->end - r->start;
                        r->lineno++;
                        *too_long = discarded > 0 || n > CURATOR_MAX_LINE;
                        *line = *too_long ? NULL : r->buf + r->start;
                        *len = discarded + n;
                        r->start = r->end;
                        return 1;
                }
                if (reader_fill(r, err, name) < 0)
                        return -1;
                if (r->start != 0)
                        scanned = 0;
        }
}

/* ---- checks ------------------------------------------------------------- */

/* Returns -1 if s is valid UTF-8, else the offset of the first bad byte. */
static long utf8_first_invalid(const unsigned char *s, size_t len)
{
        size_t i = 0;
        while (i < len) {
                unsigned char c = s[i];
                if (c < 0x80) {
                        i++;
                        continue;
                }
                size_t n;
                uint32_t cp;
                if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        cp = c & 0x07;
                } else {
                        return (long)i;
                }
                for (size_t k = 1; k <= n; k++) {
                        if (i + k >= len || (s[i + k] & 0xc0) != 0x80)
                                return (long)i;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return (long)i;
                i += n + 1;
        }
        return -1;
}

static int is_blank(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
                        return 0;
        }
        return 1;
}

/* ---- the run ------------------------------------------------------------ */

/* What one file did to one session, applied when the file commits. */
struct file_session {
        char *id, *cwd, *git_branch, *agent, *outcome; /* owned */
        int64_t findings, new_events;
        int64_t first_ms, last_ms; /* time range of the file's events; valid if has_ts */
        int has_ts;
};

struct ingest {
        struct db *db;                 /* borrowed */
        struct ingest_options opts;
        struct ingest_stats st;
        int64_t run_id;
        uint64_t total_bytes;
        struct strmap run_sessions;    /* every session this run touched; values unused */
        struct strmap file_sessions;   /* id → struct file_session*, per file */
        struct buf scope;
        char now[TIMESTAMP_LEN + 1];
        int failed_files;
};

int ingest_begin(struct db *db, const struct ingest_options *opts, struct ingest **out,
                 struct err *err)
{
        struct ingest *ing = xcalloc(1, sizeof(*ing));
        ing->db = db;
        ing->opts = *opts;
        db_set_cache_mib(db, 64);
        timestamp_now(ing->now);
        if (db_ingest_run_start(db, ing->now, &ing->run_id, err) < 0) {
                free(ing);
                return -1;
        }
        *out = ing;
        return 0;
}

const struct ingest_stats *ingest_stats(const struct ingest *ing)
{
        return &ing->st;
}

static void file_sessions_clear(struct ingest *ing)
{
        for (size_t i = 0; i < ing->file_sessions.cap; i++) {
                struct file_session *fs = ing->file_sessions.slots[i].value;
                if (!ing->file_sessions.slots[i].key || !fs)
                        continue;
                free(fs->id);
                free(fs->cwd);
                free(fs->git_branch);
                free(fs->agent);
                free(fs->outcome);
                free(fs);
        }
        strmap_free(&ing->file_sessions);
}

int ingest_finish(struct ingest *ing, struct err *err)
{
        if (!ing)
                return 0;
        char now[TIMESTAMP_LEN + 1];
        timestamp_now(now);
        int rc = db_ingest_run_finish(ing->db, ing->run_id, &ing->st, now, err);
        if (rc == 0) {
                struct buf detail = BUF_INIT, object = BUF_INIT;
                const struct ingest_stats *st = &ing->st;
                buf_addf(&object, "ingest-run:%lld", (long long)ing->run_id);
                buf_addf(&detail,
                         "{\"files\":%llu,\"sessions\":%llu,\"events\":%llu,\"duplicates\":%llu,"
                         "\"rejected\":%llu,\"skipped\":%llu,\"findings\":%llu}",
                         (unsigned long long)st->files, (unsigned long long)st->sessions,
                         (unsigned long long)st->events, (unsigned long long)st->duplicates,
                         (unsigned long long)st->rejected, (unsigned long long)st->skipped,
                         (unsigned long long)st->findings);
                rc = audit_append(ing->db, ing->opts.actor, "ingest", object.ptr, detail.ptr, err);
                buf_free(&detail);
                buf_free(&object);
        }
        buf_free(&ing->scope);
        file_sessions_clear(ing);
        strmap_free(&ing->run_sessions);
        free(ing);
        return rc;
}

/* Turns free text into a scope name: lowercase [a-z0-9._-], at most 64. */
static void scope_slug(const char *in, struct buf *out)
{
        buf_reset(out);
        int dash = 0;
        for (const unsigned char *p = (const unsigned char *)in; *p && out->len < 64; p++) {
                unsigned char c = *p;
                if (c >= 'A' && c <= 'Z')
                        c = (unsigned char)(c - 'A' + 'a');
                if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_') {
                        if (dash && out->len)
                                buf_addc(out, '-');
                        dash = 0;
                        buf_addc(out, (char)c);
                } else {
                        dash = 1;
                }
        }
        if (!out->len)
                buf_adds(out, "default");
}

static const char *basename_of(const char *path)
{
        const char *end = path + strlen(path);
        while (end > path && end[-1] == '/')
                end--;
        const char *p = end;
        while (p > path && p[-1] != '/')
                p--;
        return p;
}

/* Chooses the scope a new session feeds: --scope, then the first matching
 * [scope-map] entry, then the working directory's or agent's name, then
 * [ingest] default_scope, then "default". */
static const char *choose_scope(struct ingest *ing, const struct event *ev, const char *source)
{
        if (ing->opts.scope) {
                scope_slug(ing->opts.scope, &ing->scope);
                return buf_cstr(&ing->scope);
        }
        const struct config *cfg = ing->opts.cfg;
        for (size_t i = 0; cfg && i < cfg->n; i++) {
                const struct config_entry *e = &cfg->v[i];
                if (strcmp(e->section, "scope-map") != 0)
                        continue;
                const char *subject = NULL;
                const char *pattern = NULL;
                if (strncmp(e->key, "cwd:", 4) == 0) {
                        subject = ev->cwd;
                        pattern = e->key + 4;
                } else if (strncmp(e->key, "agent:", 6) == 0) {
                        subject = ev->agent;
                        pattern = e->key + 6;
                } else if (strncmp(e->key, "path:", 5) == 0) {
                        subject = source;
                        pattern = e->key + 5;
                } else if (strncmp(e->key, "session:", 8) == 0) {
                        subject = ev->session_id;
                        pattern = e->key + 8;
                }
                if (subject && pattern && fnmatch(pattern, subject, 0) == 0) {
                        scope_slug(e->value, &ing->scope);
                        return buf_cstr(&ing->scope);
                }
        }
        if (ev->cwd && *ev->cwd && strcmp(ev->cwd, "/") != 0) {
                scope_slug(basename_of(ev->cwd), &ing->scope);
                return buf_cstr(&ing->scope);
        }
        if (ev->agent && *ev->agent) {
                scope_slug(ev->agent, &ing->scope);
                return buf_cstr(&ing->scope);
        }
        const char *def = config_get(cfg, "ingest", "default_scope");
        scope_slug(def ? def : "default", &ing->scope);
        return buf_cstr(&ing->scope);
}

struct file_ctx {
        const char *source;     /* name in messages and rows */
        const char *stem;       /* file name without .jsonl, or NULL */
        enum ingest_format format;
        struct ingest_stats before; /* to undo the counts if the file rolls back */
};

static struct file_session *touch_session(struct ingest *ing, struct file_ctx *fc,
                                          const char *sid, const struct event *ev,
                                          struct err *err)
{
        struct file_session *fs = strmap_get(&ing->file_sessions, sid);
        if (!fs) {
                struct db_session_row row = {
                        .id = sid,
                        .format = fc->format == INGEST_CLAUDE_CODE ? "claude-code"
                                                                   : "managed-agents",
                        .scope = choose_scope(ing, ev, fc->source),
                        .source = fc->source,
                        .created_at = ing->now,
                };
                int created = 0;
                if (db_session_ensure(ing->db, &row, &created, err) < 0)
                        return NULL;
                if (created)
                        ing->st.new_sessions++;
                if (!strmap_get(&ing->run_sessions, sid)) {
                        strmap_put(&ing->run_sessions, sid, (void *)1);
                        ing->st.sessions++;
                }
                fs = xcalloc(1, sizeof(*fs));
                fs->id = xstrdup(sid);
                strmap_put(&ing->file_sessions, sid, fs);
        }
        if (!fs->cwd && ev->cwd && *ev->cwd)
                fs->cwd = xstrdup(ev->cwd);
        if (!fs->git_branch && ev->git_branch && *ev->git_branch)
                fs->git_branch = xstrdup(ev->git_branch);
        if (!fs->agent && ev->agent && *ev->agent)
                fs->agent = xstrdup(ev->agent);
        if (ev->outcome) {
                free(fs->outcome);
                fs->outcome = xstrdup(ev->outcome);
        }
        if (ev->has_ts) {
                if (!fs->has_ts || ev->ts_ms < fs->first_ms)
                        fs->first_ms = ev->ts_ms;
                if (!fs->has_ts || ev->ts_ms > fs->last_ms)
                        fs->last_ms = ev->ts_ms;
                fs->has_ts = 1;
        }
        return fs;
}

/* ---- the pipeline: a worker prepares lines, the caller stores them -------
 *
 * Everything that needs no database (reading, UTF-8 checks, JSON parsing,
 * session resolution, identity, redaction by the rules) runs on a worker
 * thread, a batch of lines at a time; the calling thread applies the batches
 * to SQLite in order, so a file is still one transaction and every line keeps
 * its place. On two cores this roughly halves the wall time of a large file. */

#define BATCH_LINES 1024
#define QUEUE_BATCHES 4
#define SPENT_BATCHES (QUEUE_BATCHES + 2)

enum prep_kind { PREP_EVENT, PREP_SKIP, PREP_REJECT };

struct prepared {
        enum prep_kind kind;
        uint64_t lineno;
        enum ingest_format format;  /* the file's format as decided at this line */
        struct event ev;            /* owned (PREP_EVENT) */
        char *sid, *event_id;       /* owned (PREP_EVENT) */
        struct buf text, raw, tool_input; /* owned: redacted (PREP_EVENT); raw is the kept
                                           * rejected line (PREP_REJECT) */
        int has_tool_input;
        int64_t findings;
        char ts[TIMESTAMP_LEN + 1];
        char *reason;               /* owned (PREP_REJECT) */
        char hash[65];              /* PREP_REJECT: SHA-256 of the whole line */
};

struct batch {
        struct prepared v[BATCH_LINES];
        size_t n;
        uint64_t lines, bytes; /* lines read (blank ones too) and bytes read so far */
        int eof;               /* the last batch of the file */
        int failed;            /* reading failed: err holds why */
        struct err err;
};

struct pipe {
        pthread_mutex_t mu;
        pthread_cond_t changed;
        struct batch *q[QUEUE_BATCHES];
        size_t head, count;
        int stop; /* the consumer gave up: the worker must finish */
        /* Applied batches go back to the worker, which clears and refills
         * them: memory is freed by the thread that allocated it (no
         * cross-thread frees) and buffers keep their capacity. */
        struct batch *spent[SPENT_BATCHES];
        size_t nspent;
        /* worker inputs */
        const struct ingest_options *opts;
        struct line_reader *r;
        const char *source, *stem;
};

static void prepared_clear(struct prepared *p)
{
        ingest_event_reset(&p->ev);
        buf_free(&p->ev.text);
        free(p->sid);
        free(p->event_id);
        free(p->reason);
        buf_free(&p->text);
        buf_free(&p->raw);
        buf_free(&p->tool_input);
        memset(p, 0, sizeof(*p));
}

/* Empties p for reuse, keeping its buffers' memory. */
static void prepared_recycle(struct prepared *p)
{
        ingest_event_reset(&p->ev);
        free(p->sid);
        free(p->event_id);
        free(p->reason);
        p->sid = p->event_id = p->reason = NULL;
        buf_reset(&p->text);
        buf_reset(&p->raw);
        buf_reset(&p->tool_input);
        p->kind = PREP_SKIP;
        p->lineno = 0;
        p->has_tool_input = 0;
        p->findings = 0;
        p->ts[0] = '\0';
        p->hash[0] = '\0';
}

static void batch_free(struct batch *b)
{
        if (!b)
                return;
        /* every slot: a reused batch keeps buffers past its last fill */
        for (size_t i = 0; i < BATCH_LINES; i++)
                prepared_clear(&b->v[i]);
        free(b);
}

/* Redacts src into dst with the rules (or copies it); counts findings. */
static int redact_into(const struct rules_set *rules, const char *src, size_t len,
                       struct buf *dst, int64_t *findings, struct err *err)
{
        buf_reset(dst);
        if (!rules) {
                buf_add(dst, src, len);
                return 0;
        }
        size_t nf = 0;
        int blocked = 0;
        if (rules_scan_redact(rules, src, len, dst, &nf, &blocked, err) < 0)
                return -1;
        *findings += (int64_t)nf;
        return 0;
}

/* Redacts every string (keys included) and number of a JSON tree in place;
 * a number that matches becomes the redaction marker as a string. */
static int redact_tree(const struct rules_set *rules, cJSON *node, int64_t *findings,
                       struct err *err)
{
        struct buf out = BUF_INIT;
        int rc = 0;
        for (cJSON *c = node; c && rc == 0; c = c->next) {
                if (c->string) {
                        int64_t n = 0;
                        buf_reset(&out);
                        if (redact_into(rules, c->string, strlen(c->string), &out, &n, err) < 0) {
                                rc = -1;
                                break;
                        }
                        if (n) {
                                cJSON_free(c->string);
                                c->string = cJSON_malloc(out.len + 1);
                                memcpy(c->string, buf_cstr(&out), out.len + 1);
                                *findings += n;
                        }
                }
                if (cJSON_IsString(c) && c->valuestring) {
                        int64_t n = 0;
                        buf_reset(&out);
                        if (redact_into(rules, c->valuestring, strlen(c->valuestring), &out, &n,
                                        err) < 0) {
                                rc = -1;
                                break;
                        }
                        if (n) {
                                cJSON_SetValuestring(c, buf_cstr(&out));
                                *findings += n;
                        }
                } else if (cJSON_IsNumber(c)) {
                        char *text = cJSON_PrintUnformatted(c);
                        int64_t n = 0;
                        buf_reset(&out);
                        if (redact_into(rules, text, strlen(text), &out, &n, err) < 0)
                                rc = -1;
                        else if (n) {
                                /* a number cannot hold the marker: it becomes a string */
                                c->type = cJSON_String;
                                c->valuestring = cJSON_malloc(out.len + 1);
                                memcpy(c->valuestring, buf_cstr(&out), out.len + 1);
                                *findings += n;
                        }
                        cJSON_free(text);
                } else if (c->child) {
                        rc = redact_tree(rules, c->child, findings, err);
                }
        }
        buf_free(&out);
        return rc;
}

int ingest_redact_json(const struct rules_set *rules, const char *line, size_t len,
                       struct buf *out, int64_t *findings, struct err *err)
{
        int64_t n = 0;
        if (redact_into(rules, line, len, out, &n, err) < 0)
                return -1;
        *findings += n;
        if (!n)
                return 0;
        /* Plain redaction keeps JSON valid when matches sit inside strings;
         * check, and where it does not (a number that looks like a card, a
         * match across quotes), redact value by value instead. */
        const char *end = NULL;
        cJSON *check = cJSON_ParseWithLengthOpts(out->ptr, out->len, &end, 0);
        int whole = check && end == out->ptr + out->len;
        cJSON_Delete(check);
        if (whole)
                return 0;
        cJSON *tree = cJSON_ParseWithLengthOpts(line, len, &end, 0);
        if (!tree)
                return 0; /* not JSON to begin with: the plain redaction stands */
        *findings -= n;
        n = 0;
        int rc = redact_tree(rules, tree, &n, err);
        if (rc == 0) {
                char *text = cJSON_PrintUnformatted(tree);
                buf_reset(out);
                buf_adds(out, text);
                cJSON_free(text);
                *findings += n;
        }
        cJSON_Delete(tree);
        return rc;
}

/* Resolves the session of a parsed event; NULL (with reason) if none. */
static const char *resolve_session(const struct ingest_options *opts, enum ingest_format format,
                                   const char *stem, const struct event *ev, const char **reason)
{
        if (format == INGEST_MANAGED_AGENTS) {
                if (opts->session)
                        return opts->session;
                if (ev->session_id && *ev->session_id)
                        return ev->session_id;
                if (stem && strncmp(stem, "sesn_", 5) == 0)
                        return stem;
                *reason = "no session id: name the file sesn_<id>.jsonl, pass --session, or "
                          "add a \"session_id\" field";
                return NULL;
        }
        if (ev->session_id && *ev->session_id)
                return ev->session_id;
        if (opts->session)
                return opts->session;
        if (stem && *stem)
                return stem;
        *reason = "no \"sessionId\" and no file name to take it from";
        return NULL;
}

/* Makes p a rejection of line (NULL for a line too long to keep) for reason. */
static int prepare_reject(const struct ingest_options *opts, struct prepared *p,
                          const char *line, size_t len, const char *reason, struct err *err)
{
        ingest_event_reset(&p->ev);
        p->kind = PREP_REJECT;
        p->reason = xstrdup(reason);
        sha256_hex(line ? line : "", line ? len : 0, p->hash);
        if (!line)
                return 0;
        size_t keep = len > REJECTED_KEEP_MAX ? REJECTED_KEEP_MAX : len;
        /* A rejected line is still input full of secrets: keep it redacted. */
        int64_t unused = 0;
        return redact_into(opts->rules, line, keep, &p->raw, &unused, err);
}

/* Prepares one line of the file (all but the database work). Returns -1 only
 * when the rules engine fails (the file cannot be stored safely). */
static int prepare_line(const struct ingest_options *opts, enum ingest_format *format,
                        const char *stem, uint64_t lineno, const char *line, size_t len,
                        struct prepared *p, struct err *err)
{
        struct err why;
        p->lineno = lineno;
        long bad = utf8_first_invalid((const unsigned char *)line, len);
        if (bad >= 0) {
                err_set(&why, "invalid UTF-8 at byte %ld", bad + 1);
                return prepare_reject(opts, p, line, len, why.msg, err);
        }
        if (*format == INGEST_AUTO)
                *format = ingest_detect_line(line, len);
        p->format = *format;
        struct event *ev = &p->ev;
        if (ingest_parse_line(line, len, *format, ev, &why) < 0)
                return prepare_reject(opts, p, line, len, why.msg, err);
        if (ev->skip) {
                p->kind = PREP_SKIP;
                ingest_event_reset(ev);
                return 0;
        }
        const char *reason = NULL;
        const char *sid = resolve_session(opts, *format, stem, ev, &reason);
        if (!sid)
                return prepare_reject(opts, p, line, len, reason, err);
        p->kind = PREP_EVENT;
        p->sid = xstrdup(sid);
        if (ev->event_id) {
                p->event_id = xstrdup(ev->event_id);
        } else {
                /* No id of its own: identity from session, position and content. */
                struct sha256 h;
                unsigned char d[32];
                char hex[65];
                char pos[32];
                int n = snprintf(pos, sizeof(pos), "%llu", (unsigned long long)lineno);
                sha256_init(&h);
                sha256_update(&h, sid, strlen(sid) + 1);
                sha256_update(&h, pos, (size_t)n + 1);
                sha256_update(&h, line, len);
                sha256_final(&h, d);
                sha256_digest_hex(d, hex);
                struct buf id = BUF_INIT;
                buf_addf(&id, "h:%.32s", hex);
                p->event_id = buf_detach(&id, NULL);
        }
        if (redact_into(opts->rules, ev->text.ptr ? ev->text.ptr : "", ev->text.len, &p->text,
                        &p->findings, err) < 0 ||
            ingest_redact_json(opts->rules, line, len, &p->raw, &p->findings, err) < 0)
                return -1;
        if (ev->tool_input) {
                int64_t unused = 0;
                if (ingest_redact_json(opts->rules, ev->tool_input, strlen(ev->tool_input),
                                       &p->tool_input, &unused, err) < 0)
                        return -1;
                p->has_tool_input = 1;
        }
        if (ev->has_ts)
                timestamp_format(ev->ts_ms, p->ts);
        return 0;
}

static void pipe_push(struct pipe *pp, struct batch *b)
{
        pthread_mutex_lock(&pp->mu);
        while (pp->count == QUEUE_BATCHES && !pp->stop)
                pthread_cond_wait(&pp->changed, &pp->mu);
        if (pp->stop) {
                pthread_mutex_unlock(&pp->mu);
                batch_free(b);
                return;
        }
        pp->q[(pp->head + pp->count) % QUEUE_BATCHES] = b;
        pp->count++;
        pthread_cond_broadcast(&pp->changed);
        pthread_mutex_unlock(&pp->mu);
}

static struct batch *pipe_pop(struct pipe *pp)
{
        pthread_mutex_lock(&pp->mu);
        while (pp->count == 0)
                pthread_cond_wait(&pp->changed, &pp->mu);
        struct batch *b = pp->q[pp->head];
        pp->head = (pp->head + 1) % QUEUE_BATCHES;
        pp->count--;
        pthread_cond_broadcast(&pp->changed);
        pthread_mutex_unlock(&pp->mu);
        return b;
}

static int pipe_stopped(struct pipe *pp)
{
        pthread_mutex_lock(&pp->mu);
        int stop = pp->stop;
        pthread_mutex_unlock(&pp->mu);
        return stop;
}

/* A batch for the worker to fill: a spent one, cleared, or a new one. */
static struct batch *batch_get(struct pipe *pp)
{
        pthread_mutex_lock(&pp->mu);
        struct batch *b = pp->nspent ? pp->spent[--pp->nspent] : NULL;
        pthread_mutex_unlock(&pp->mu);
        if (!b)
                return xcalloc(1, sizeof(*b));
        for (size_t i = 0; i < b->n; i++)
                prepared_recycle(&b->v[i]);
        b->n = 0;
        b->lines = b->bytes = 0;
        b->eof = b->failed = 0;
        return b;
}

/* Hands an applied batch back to the worker (or frees it if enough wait). */
static void batch_return(struct pipe *pp, struct batch *b)
{
        pthread_mutex_lock(&pp->mu);
        if (pp->nspent < SPENT_BATCHES) {
                pp->spent[pp->nspent++] = b;
                b = NULL;
        }
        pthread_mutex_unlock(&pp->mu);
        batch_free(b);
}

/* The worker: reads the file and prepares its lines, batch by batch. */
static void *pipe_worker(void *arg)
{
        struct pipe *pp = arg;
        enum ingest_format format = pp->opts->format;
        struct batch *b = batch_get(pp);
        const char *line;
        size_t len;
        int too_long, rc;
        uint64_t lines = 0;
        while ((rc = reader_next(pp->r, &line, &len, &too_long, &b->err, pp->source)) == 1) {
                lines++;
                if (too_long || !is_blank(line, len)) {
                        struct prepared *p = &b->v[b->n++];
                        int prc;
                        if (too_long) {
                                struct err why;
                                err_set(&why, "line is %zu bytes, over the %u-byte limit", len,
                                        CURATOR_MAX_LINE);
                                p->lineno = pp->r->lineno;
                                prc = prepare_reject(pp->opts, p, NULL, 0, why.msg, &b->err);
                        } else {
                                prc = prepare_line(pp->opts, &format, pp->stem, pp->r->lineno,
                                                   line, len, p, &b->err);
                        }
                        if (prc < 0) {
                                err_wrap(&b->err, "%s:%llu", pp->source,
                                         (unsigned long long)pp->r->lineno);
                                rc = -1;
                                break;
                        }
                }
                if (b->n == BATCH_LINES) {
                        b->lines = lines;
                        b->bytes = pp->r->bytes;
                        pipe_push(pp, b);
                        if (pipe_stopped(pp))
                                return NULL;
                        b = batch_get(pp);
                }
        }
        b->lines = lines;
        b->bytes = pp->r->bytes;
        b->eof = 1;
        b->failed = rc < 0;
        pipe_push(pp, b);
        return NULL;
}

/* Stores one prepared line. Returns 0 (stored, duplicate, skipped or
 * rejected) or -1 on a database error that must roll the file back. */
static int apply_prepared(struct ingest *ing, struct file_ctx *fc, struct prepared *p,
                          struct err *err)
{
        if (p->kind == PREP_SKIP) {
                ing->st.skipped++;
                return 0;
        }
        if (p->kind == PREP_REJECT) {
                ing->st.rejected++;
                if (ing->opts.on_reject)
                        ing->opts.on_reject(ing->opts.ctx, fc->source, p->lineno, p->reason);
                return db_rejected_insert(ing->db, ing->run_id, fc->source, (int64_t)p->lineno,
                                          p->reason, p->raw.ptr, p->raw.len, p->hash, ing->now,
                                          err);
        }
        fc->format = p->format;
        struct event *ev = &p->ev;
        struct file_session *fs = touch_session(ing, fc, p->sid, ev, err);
        if (!fs)
                return -1;
        struct db_event_row row = {
                .session_id = p->sid,
                .event_id = p->event_id,
                .parent_id = ev->parent_id,
                .type = ev->type,
                .role = ev->role,
                .ts = ev->has_ts ? p->ts : NULL,
                .text = buf_cstr(&p->text),
                .text_len = p->text.len,
                .tool_name = ev->tool_name,
                .tool_use_id = ev->tool_use_id,
                .tool_input = p->has_tool_input ? buf_cstr(&p->tool_input) : NULL,
                .is_error = ev->is_error,
                .is_sidechain = ev->is_sidechain,
                .position = (int64_t)p->lineno,
                .raw = buf_cstr(&p->raw),
                .raw_len = p->raw.len,
                .ingested_at = ing->now,
        };
        int inserted = 0;
        if (db_event_insert(ing->db, &row, &inserted, err) < 0)
                return -1;
        if (inserted) {
                ing->st.events++;
                fs->new_events++;
                /* findings count what was redacted in stored events, not in duplicates */
                fs->findings += p->findings;
                ing->st.findings += (uint64_t)p->findings;
        } else {
                ing->st.duplicates++;
        }
        return 0;
}

static int commit_sessions(struct ingest *ing, struct err *err)
{
        for (size_t i = 0; i < ing->file_sessions.cap; i++) {
                struct file_session *fs = ing->file_sessions.slots[i].value;
                if (!ing->file_sessions.slots[i].key || !fs)
                        continue;
                char first[TIMESTAMP_LEN + 1], last[TIMESTAMP_LEN + 1];
                if (fs->has_ts) {
                        timestamp_format(fs->first_ms, first);
                        timestamp_format(fs->last_ms, last);
                }
                if (db_session_refresh(ing->db, fs->id, fs->cwd, fs->git_branch, fs->agent,
                                       fs->outcome, fs->findings, fs->new_events,
                                       fs->has_ts ? first : NULL, fs->has_ts ? last : NULL,
                                       err) < 0)
                        return -1;
        }
        return 0;
}

static void progress(struct ingest *ing)
{
        if (ing->opts.on_progress)
                ing->opts.on_progress(ing->opts.ctx, &ing->st, ing->total_bytes);
}

/* Ingests every line of r as one file, in one transaction. */
static int ingest_reader(struct ingest *ing, struct line_reader *r, const char *source,
                         const char *stem, struct err *err)
{
        struct file_ctx fc = {.source = source, .stem = stem, .format = ing->opts.format};
        fc.before = ing->st;
        uint64_t bytes_before = ing->st.bytes, lines_before = ing->st.lines;
        if (db_begin(ing->db, err) < 0)
                return -1;
        struct pipe pp = {.opts = &ing->opts, .r = r, .source = source, .stem = stem};
        pthread_mutex_init(&pp.mu, NULL);
        pthread_cond_init(&pp.changed, NULL);
        pthread_t worker;
        if (pthread_create(&worker, NULL, pipe_worker, &pp) != 0) {
                db_rollback(ing->db);
                return err_set(err, "cannot start the ingest worker thread");
        }
        int rc = 0;
        for (;;) {
                struct batch *b = pipe_pop(&pp);
                for (size_t i = 0; i < b->n && rc == 0; i++) {
                        if (apply_prepared(ing, &fc, &b->v[i], err) < 0) {
                                err_wrap(err, "%s:%llu", source,
                                         (unsigned long long)b->v[i].lineno);
                                rc = -1;
                        }
                }
                ing->st.lines = lines_before + b->lines;
                ing->st.bytes = bytes_before + b->bytes;
                int last = b->eof;
                if (rc == 0 && b->failed) {
                        *err = b->err;
                        rc = -1;
                }
                batch_return(&pp, b);
                if (rc == 0)
                        progress(ing);
                if (last)
                        break;
                if (rc < 0) {
                        /* tell the worker to stop, and drain what it already queued */
                        pthread_mutex_lock(&pp.mu);
                        pp.stop = 1;
                        pthread_cond_broadcast(&pp.changed);
                        while (pp.count) {
                                batch_free(pp.q[pp.head]);
                                pp.head = (pp.head + 1) % QUEUE_BATCHES;
                                pp.count--;
                        }
                        pthread_mutex_unlock(&pp.mu);
                        break;
                }
        }
        pthread_join(worker, NULL);
        while (pp.count) { /* a last batch pushed while stopping */
                batch_free(pp.q[pp.head]);
                pp.head = (pp.head + 1) % QUEUE_BATCHES;
                pp.count--;
        }
        while (pp.nspent)
                batch_free(pp.spent[--pp.nspent]);
        pthread_cond_destroy(&pp.changed);
        pthread_mutex_destroy(&pp.mu);
        if (rc < 0)
                goto fail;
        if (commit_sessions(ing, err) < 0 || db_commit(ing->db, err) < 0)
                goto fail;
        ing->st.files++;
        file_sessions_clear(ing);
        progress(ing);
        return 0;
fail:
        db_rollback(ing->db);
        /* Nothing of this file is stored, so none of it is counted either. */
        uint64_t sessions = ing->st.sessions;
        ing->st = fc.before;
        ing->st.sessions = sessions;
        file_sessions_clear(ing);
        return -1;
}

/* Returns the file name without directory and without a .jsonl suffix. */
static char *stem_of(const char *path)
{
        const char *base = basename_of(path);
        size_t n = strlen(base);
        while (n && base[n - 1] == '/')
                n--;
        if (n > 6 && strncmp(base + n - 6, ".jsonl", 6) == 0)
                n -= 6;
        return xstrndup(base, n);
}

static int ingest_file(struct ingest *ing, const char *path, struct err *err)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return err_set(err, "cannot open %s: %s", path, strerror(errno));
        char *real = realpath(path, NULL);
        char *stem = stem_of(path);
        struct line_reader r;
        reader_init_fd(&r, fd);
        int rc = ingest_reader(ing, &r, real ? real : path, stem, err);
        reader_free(&r);
        close(fd);
        free(stem);
        free(real);
        return rc;
}

static int name_filter(const struct dirent *d)
{
        return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

static int has_suffix(const char *s, const char *suffix)
{
        size_t n = strlen(s), k = strlen(suffix);
        return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Walks dir in name order; symlinked directories are not followed (no loops). */
static int ingest_dir(struct ingest *ing, const char *dir, struct err *err)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, name_filter, alphasort);
        if (n < 0)
                return err_set(err, "cannot read directory %s: %s", dir, strerror(errno));
        int rc = 0;
        for (int i = 0; i < n; i++) {
                struct buf path = BUF_INIT;
                buf_addf(&path, "%s/%s", dir, names[i]->d_name);
                struct stat lst, st;
                if (lstat(path.ptr, &lst) == 0 && stat(path.ptr, &st) == 0) {
                        struct err sub;
                        int r = 0;
                        if (S_ISDIR(lst.st_mode))
                                r = ingest_dir(ing, path.ptr, &sub);
                        else if (S_ISREG(st.st_mode) && has_suffix(names[i]->d_name, ".jsonl"))
                                r = ingest_file(ing, path.ptr, &sub);
                        if (r < 0) {
                                /* Keep going: one bad file must not stop the others. */
                                ing->failed_files++;
                                if (rc == 0)
                                        memcpy(err->msg, sub.msg, sizeof(sub.msg));
                                rc = -1;
                        }
                }
                buf_free(&path);
                free(names[i]);
        }
        free(names);
        return rc;
}

int ingest_stream(struct ingest *ing, FILE *f, const char *name, struct err *err)
{
        struct line_reader r;
        reader_init_fd(&r, fileno(f));
        int rc = ingest_reader(ing, &r, name, NULL, err);
        reader_free(&r);
        return rc;
}

int ingest_buffer(struct ingest *ing, const char *data, size_t len, const char *name,
                  struct err *err)
{
        struct line_reader r;
        reader_init_mem(&r, data, len);
        int rc = ingest_reader(ing, &r, name, NULL, err);
        reader_free(&r);
        return rc;
}

int ingest_path(struct ingest *ing, const char *path, struct err *err)
{
        if (strcmp(path, "-") == 0)
                return ingest_stream(ing, stdin, "<stdin>", err);
        struct stat st;
        if (stat(path, &st) < 0)
                return err_set(err, "cannot read %s: %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode))
                return ingest_dir(ing, path, err);
        return ingest_file(ing, path, err);
}

void ingest_set_total(struct ingest *ing, uint64_t total_bytes)
{
        ing->total_bytes = total_bytes;
}

uint64_t ingest_size_of(const char *path)
{
        struct stat st;
        if (strcmp(path, "-") == 0 || stat(path, &st) < 0)
                return 0;
        if (!S_ISDIR(st.st_mode))
                return (uint64_t)st.st_size;
        uint64_t total = 0;
        struct dirent **names = NULL;
        int n = scandir(path, &names, name_filter, alphasort);
        for (int i = 0; i < n; i++) {
                struct buf sub = BUF_INIT;
                buf_addf(&sub, "%s/%s", path, names[i]->d_name);
                struct stat lst;
                if (lstat(sub.ptr, &lst) == 0 &&
                    (S_ISDIR(lst.st_mode) || has_suffix(names[i]->d_name, ".jsonl")))
                        total += ingest_size_of(sub.ptr);
                buf_free(&sub);
                free(names[i]);
        }
        free(names);
        return total;
}
