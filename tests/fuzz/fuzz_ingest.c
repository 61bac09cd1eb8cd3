/* Fuzzes both event formats: one line through the parser in each format,
 * and the whole input as a JSON Lines file through ingest (reader, worker,
 * redaction, SQLite) into a scratch home. Properties: no crash, no leak, and
 * ingest never counts more stored events than lines. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "home.h"
#include "ingest.h"
#include "rules.h"

static struct home *home;
static struct rules_set *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/curator-fuzz-ingest-%ld", (long)getpid());
        struct err err;
        int created;
        if (home_init(dir, &home, &created, &err) < 0 || rules_load_default(NULL, &rules, &err) < 0) {
                fprintf(stderr, "fuzz_ingest: %s\n", err.msg);
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const enum ingest_format formats[] = {INGEST_AUTO, INGEST_MANAGED_AGENTS,
                                                     INGEST_CLAUDE_CODE};
        struct event ev;
        struct err err;
        ingest_event_init(&ev);
        for (size_t i = 0; i < 3; i++) {
                ingest_event_reset(&ev);
                ingest_parse_line((const char *)data, size, formats[i], &ev, &err);
        }
        ingest_event_reset(&ev);
        buf_free(&ev.text);
        ingest_detect_line((const char *)data, size);

        struct ingest_options o = {.format = INGEST_AUTO, .session = "sesn_fuzz", .rules = rules};
        struct ingest *ing = NULL;
        if (ingest_begin(home->db, &o, &ing, &err) < 0)
                abort();
        ingest_buffer(ing, (const char *)data, size, "fuzz", &err);
        const struct ingest_stats *st = ingest_stats(ing);
        if (st->events + st->duplicates + st->rejected + st->skipped > st->lines)
                abort(); /* more outcomes than lines: something was doubled */
        ingest_finish(ing, &err);
        return 0;
}
