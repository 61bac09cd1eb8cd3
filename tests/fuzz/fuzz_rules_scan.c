/* Fuzzes the rules engine with the shipped rule set. Properties: findings
 * lie inside the text, sorted and not overlapping; redacting a valid JSON
 * text keeps it valid JSON (ingest redacts raw event lines). */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"
#include "rules.h"

static struct rules_set *rules;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        struct err err;
        if (rules_load_default(NULL, &rules, &err) < 0) {
                fprintf(stderr, "fuzz_rules_scan: %s\n", err.msg);
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct rule_findings f = {0};
        struct err err;
        if (rules_scan(rules, (const char *)data, size, &f, &err) < 0)
                return 0;
        for (size_t i = 0; i < f.n; i++) {
                if (f.v[i].start > f.v[i].end || f.v[i].end > size)
                        abort();
                if (i && f.v[i].start < f.v[i - 1].end)
                        abort(); /* overlapping findings were not merged */
        }
        /* The property holds for a whole JSON text: cJSON alone accepts a valid
         * prefix followed by anything, so insist the parse consumed it all. */
        const char *end = NULL;
        cJSON *in = cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0);
        while (in && end < (const char *)data + size &&
               (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
                end++;
        if (in && end != (const char *)data + size) {
                cJSON_Delete(in);
                in = NULL;
        }
        if (in) {
                /* what ingest stores as an event's raw line */
                struct buf out = BUF_INIT;
                int64_t n = 0;
                if (ingest_redact_json(rules, (const char *)data, size, &out, &n, &err) == 0) {
                        const char *rend = NULL;
                        cJSON *red = cJSON_ParseWithLengthOpts(out.ptr ? out.ptr : "", out.len,
                                                               &rend, 0);
                        while (red && rend < out.ptr + out.len &&
                               (*rend == ' ' || *rend == '\n' || *rend == '\r' || *rend == '\t'))
                                rend++;
                        if (!red || rend != out.ptr + out.len)
                                abort(); /* redaction broke valid JSON */
                        cJSON_Delete(red);
                }
                buf_free(&out);
                cJSON_Delete(in);
        }
        rule_findings_free(&f);
        return 0;
}
