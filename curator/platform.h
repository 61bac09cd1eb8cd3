/* The platform (DESIGN.md "The platform", docs/PLATFORM.md): a client for
 * the Claude Managed Agents API and the three things curator does with it:
 * pull sessions' events into ingest, publish a scope's approved memories to a
 * platform memory store, and import a store's contents as a pending diff for
 * review. The API key comes from the environment or a file ([platform] in
 * curator.conf) and is never logged, stored or put in an error message. */
#ifndef CURATOR_PLATFORM_H
#define CURATOR_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "memory.h"

struct cJSON;
struct config;
struct home;
struct store;
struct rules_set;

#define PLATFORM_SECTION "platform"
#define PLATFORM_DEFAULT_URL "https://api.anthropic.com"
#define PLATFORM_VERSION "2023-06-01"
#define PLATFORM_BETA_SESSIONS "managed-agents-2026-04-01"
#define PLATFORM_BETA_MEMORY "agent-memory-2026-07-22"
#define PLATFORM_MAX_CONTENT 102400 /* bytes of one memory's content */

/* Returned (instead of -1) when the platform answered with an error status
 * the caller may handle (409, 404, 400, ...): perr says which. */
#define PLATFORM_REFUSED (-2)
/* Returned when the platform refused the key (401/403): stop everything. */
#define PLATFORM_DENIED (-3)

/* Which beta header a call carries: exactly one, never both. */
enum platform_family { PLATFORM_SESSIONS, PLATFORM_MEMORY };

struct platform;

struct platform_error {
        long status;
        char type[64];            /* error.type, e.g. memory_path_conflict_error */
        char conflicting_id[128]; /* error.conflicting_memory_id, or "" */
};

/* Makes a client from [platform] in cfg (base_url, api_key_env,
 * api_key_file, max_tries, retry_base_ms, timeout_ms, page_limit) and the
 * environment. Fails if there is no key, naming where it was looked for. */
int platform_open(const struct config *cfg, struct platform **out, struct err *err);
void platform_close(struct platform *p);
/* HTTP attempts made so far (retries included), and retries alone. */
unsigned long platform_calls(const struct platform *p);
unsigned long platform_retries(const struct platform *p);
/* The page size lists ask for. */
int platform_page_limit(const struct platform *p);

/* One call: method on path_query ("/v1/..." with its query, values already
 * escaped) with body (NULL: none). On 2xx returns 0 and the parsed answer in
 * *out (caller frees; NULL for an empty body). On another status returns
 * PLATFORM_DENIED (401/403) or PLATFORM_REFUSED with perr and err set;
 * -1 on transport failure or a non-JSON answer. */
int platform_call(struct platform *p, enum platform_family fam, const char *method,
                  const char *path_query, const struct cJSON *body, struct cJSON **out,
                  struct platform_error *perr, struct err *err);

/* ---- pull ---- */

struct platform_pull_options {
        const char *agent_id;          /* only sessions of this agent, or NULL */
        const char *since;             /* only sessions created at or after (RFC 3339), or NULL */
        const char *session_id;        /* only this session (e.g. from a webhook), or NULL */
        const char *scope;             /* scope for new sessions; NULL: [scope-map] agent:, the
                                          agent's name, [ingest] default_scope, "default" */
        const struct rules_set *rules; /* redaction at ingest; NULL stores as read */
        const char *actor;             /* for the audit log; NULL: "curator" */
};

struct platform_pull_result {
        uint64_t sessions;   /* sessions looked at */
        uint64_t pages;      /* event pages read */
        uint64_t events;     /* new events stored */
        uint64_t duplicates; /* events already stored (a refetched page, a queued event seen
                                again with its processed_at) */
        uint64_t skipped;    /* events the cursor already had, not even handed to ingest */
        uint64_t rejected;   /* lines ingest could not store (see `curator rejected`) */
        uint64_t missing;    /* sessions deleted on the platform between listing and paging */
        unsigned long calls, retries;
};

/* Lists sessions, pages through each one's events in order after its
 * cursor, ingests them (session from the URL, time from processed_at,
 * identity from the event id) and advances the cursor once each page is
 * stored. Interrupted at any point and rerun, every event is stored exactly
 * once. Usable from `curator serve`'s schedule: it opens its own client. */
int platform_pull(struct home *h, const struct platform_pull_options *o,
                  struct platform_pull_result *res, struct err *err);

/* ---- publish ---- */

struct platform_publish_options {
        const char *scope;
        const char *memory_store_id;
        const char *actor; /* NULL: "curator" */
        int dry_run;       /* read the store, change nothing, report what would be done */
};

struct platform_publish_result {
        char commit[41]; /* the store commit published */
        int up_to_date;  /* nothing changed since the last complete publish: no call made */
        unsigned memories, created, updated, deleted, unchanged, conflicts, erased, redacted;
        struct memory_list_str problems; /* "<memory id>: <why it was not published>" */
        unsigned long calls, retries;
};
void platform_publish_result_free(struct platform_publish_result *r);

/* Makes the platform store hold exactly the scope's memories at head: each
 * memory's text (front matter excluded) at "/<file name>", created by path,
 * updated with a content_sha256 precondition, deleted when the scope no
 * longer has it; a memory purged or erased since it was published is deleted
 * and all its platform versions redacted. Records the mapping and the
 * commit; a rerun with nothing new makes no call. Memories that cannot be
 * published (too large, bad path, refused) are listed in problems, never
 * truncated, and the commit is then not recorded as published. */
int platform_publish(struct home *h, struct store *s, const struct platform_publish_options *o,
                     struct platform_publish_result *res, struct err *err);

/* ---- import ---- */

struct platform_import_options {
        const char *scope;
        const char *memory_store_id;
        const char *actor;             /* NULL: "curator" */
        const struct rules_set *rules; /* run on every imported text */
        int deletions;                 /* propose deleting memories the store lacks */
};

struct platform_import_result {
        int64_t diff_id; /* 0: nothing differs, no diff */
        unsigned memories, adds, updates, deletes, unchanged, blocked, empty;
        unsigned rejected_before; /* texts a reviewer rejected before: not proposed again */
        unsigned long calls, retries;
};

/* Reads the whole platform store (view=full) and proposes its differences
 * from the scope's memories at head (texts a reviewer already rejected left
 * out) as one pending diff (source 'import'),
 * hunk by hunk, with the rules run on every text exactly as a dreaming pass
 * does; evidence names the platform memory version. Nothing reaches the
 * store until a reviewer approves it. */
int platform_import(struct home *h, struct store *s, const struct platform_import_options *o,
                    struct platform_import_result *res, struct err *err);

/* ---- Claude Code auto memory (export_claude.c) ---- */

struct export_claude_result {
        size_t memories; /* topic files written */
        size_t index_lines, index_bytes;
        size_t left_out; /* memories not listed in MEMORY.md for its limits */
};

/* Writes the scope's memories at commit (NULL: head) as a Claude Code auto
 * memory folder at dir: MEMORY.md (an index kept within the first 200 lines
 * and 25 KB Claude Code loads) and one topic <name>.md per memory. The folder
 * is built beside dir and swapped in with rename, so a reader never sees half
 * of it. */
int export_claude_code(struct store *s, const char *scope, const char *commit, const char *dir,
                       struct export_claude_result *res, struct err *err);

#endif
