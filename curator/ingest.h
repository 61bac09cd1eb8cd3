/* Ingest: session event logs (JSON Lines) → sessions and events in the db.
 * Two formats (DESIGN.md "Inputs"), detected per file; idempotent, one
 * transaction per file, and no line silently dropped: every line is stored,
 * counted as a duplicate, skipped by type (counted), or rejected with its
 * file, line number and reason. */
#ifndef CURATOR_INGEST_H
#define CURATOR_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"

struct cJSON;
struct db;
struct config;
struct rules_set;

enum ingest_format { INGEST_AUTO, INGEST_MANAGED_AGENTS, INGEST_CLAUDE_CODE };

/* Longest line ingest accepts; a longer one is rejected (and skipped in
 * constant memory), never truncated into a wrong event. */
#define CURATOR_MAX_LINE (64u * 1024 * 1024)

/* One parsed line. String fields are borrowed from root (the parsed JSON) or
 * from the ingest context, and live until ingest_event_reset(). */
struct event {
        struct cJSON *root;      /* owned */
        const char *session_id;  /* may be NULL until resolved */
        const char *event_id;    /* NULL: no id of its own (identity is then a hash) */
        const char *parent_id;
        const char *type;
        const char *role;        /* "user", "assistant", "tool", "system" */
        int64_t ts_ms;           /* valid if has_ts */
        int has_ts;
        struct buf text;         /* owned: content blocks joined, human-readable */
        const char *tool_name;
        const char *tool_use_id;
        char *tool_input;        /* owned: JSON text, or NULL */
        int is_error;
        int is_sidechain;
        int skip;                /* a line type that carries no event (counted, not stored) */
        /* session-level hints */
        const char *cwd;
        const char *git_branch;
        const char *agent;
        const char *outcome;     /* span.outcome_evaluation_end result */
};

void ingest_event_init(struct event *ev);
void ingest_event_reset(struct event *ev);

/* Decides the format of one line: managed-agents, claude-code, or INGEST_AUTO
 * when the line does not say. */
enum ingest_format ingest_detect_line(const char *line, size_t len);

/* Parses one line of the given (decided) format. Returns 0, or -1 with err
 * holding the reason the line is rejected. Never keeps a pointer to line. */
int ingest_parse_line(const char *line, size_t len, enum ingest_format format,
                      struct event *ev, struct err *err);

struct ingest_stats {
        uint64_t files;
        uint64_t lines;
        uint64_t bytes;
        uint64_t events;     /* new events stored */
        uint64_t duplicates; /* events already stored */
        uint64_t rejected;   /* lines that could not be stored */
        uint64_t skipped;    /* lines of types that carry no event */
        uint64_t findings;   /* rule findings redacted before storing */
        uint64_t sessions;   /* distinct sessions that received input */
        uint64_t new_sessions;
};

struct ingest_options {
        enum ingest_format format;
        const char *session;          /* --session: the session for managed-agents input */
        const char *scope;            /* --scope: overrides every other scope choice */
        const struct config *cfg;     /* scope mapping; may be NULL */
        const struct rules_set *rules; /* redaction before storing; NULL stores as read */
        const char *actor;            /* who ingests, for the audit log (NULL: "curator") */
        /* Called for each rejected line (for printing). May be NULL. */
        void (*on_reject)(void *ctx, const char *source, uint64_t line, const char *reason);
        /* Called now and then with bytes done so far and the total (0 if unknown). */
        void (*on_progress)(void *ctx, const struct ingest_stats *st, uint64_t total_bytes);
        void *ctx;
};

struct ingest;

/* Starts an ingest run (recorded in ingest_runs). */
int ingest_begin(struct db *db, const struct ingest_options *opts, struct ingest **out,
                 struct err *err);
/* Ingests a file, or every *.jsonl under a directory (recursively, in name
 * order), or standard input for "-". A failure to read or commit one file
 * leaves the others stored and is reported in err after the rest ran. */
int ingest_path(struct ingest *ing, const char *path, struct err *err);
/* Ingests an open stream named name (e.g. stdin or an HTTP body) as one file. */
int ingest_stream(struct ingest *ing, FILE *f, const char *name, struct err *err);
/* Ingests a buffer of JSON Lines as one file named name. */
int ingest_buffer(struct ingest *ing, const char *data, size_t len, const char *name,
                  struct err *err);
/* Totals so far. */
const struct ingest_stats *ingest_stats(const struct ingest *ing);
/* Records the run's totals and frees the context. NULL is fine. */
int ingest_finish(struct ingest *ing, struct err *err);

/* Tells the run how many bytes it will read in all, for progress. */
void ingest_set_total(struct ingest *ing, uint64_t total_bytes);
/* Redacts one JSON line with the rules into out (replacing its content), keeping it valid
 * JSON: where replacing matches in the text would break it (a number that
 * looks like a card number), strings, keys and numbers are redacted one by one
 * and the line re-serialized. Adds the findings to *findings. */
int ingest_redact_json(const struct rules_set *rules, const char *line, size_t len,
                       struct buf *out, int64_t *findings, struct err *err);
/* Scans a whole path to learn how many bytes ingest will read (for progress). */
uint64_t ingest_size_of(const char *path);

#endif
