/* Fuzzes rule files: the input is written as a rule file and loaded the way
 * curator loads rules/. Properties: a file that fails to load says which
 * file; one that loads can scan text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "rules.h"

static char dir[64], path[96];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        snprintf(dir, sizeof(dir), "/tmp/curator-fuzz-rules-%ld", (long)getpid());
        snprintf(path, sizeof(path), "%s/fuzz.json", dir);
        struct err err;
        if (fileio_mkdirs(dir, &err) < 0)
                abort();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct err err;
        FILE *f = fopen(path, "wb");
        if (!f)
                abort();
        fwrite(data, 1, size, f);
        fclose(f);
        struct rules_set *set = NULL;
        if (rules_load_dir(dir, &set, &err) < 0) {
                if (!strstr(err.msg, "fuzz.json") && !strstr(err.msg, dir))
                        abort(); /* an error must name the file */
                return 0;
        }
        static const char text[] = "token=ghp_0123456789abcdefghijABCDEFGHIJ0123456789 mail a@b.io";
        struct rule_findings fs = {0};
        rules_scan(set, text, sizeof(text) - 1, &fs, &err);
        rule_findings_free(&fs);
        rules_free(set);
        return 0;
}
