/* Fuzzes curator.conf and OWNERS parsing, and durations. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "owners.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct config *cfg = NULL;
        struct err err;
        if (config_parse((const char *)data, size, "fuzz.conf", &cfg, &err) == 0) {
                for (size_t i = 0; i < cfg->n; i++) {
                        int64_t secs;
                        config_parse_duration(cfg->v[i].value, &secs, &err);
                }
                config_free(cfg);
        }
        struct owners *o = NULL;
        if (owners_parse((const char *)data, size, "OWNERS", &o, &err) == 0) {
                owners_for_path(o, "memories/shop/a-b-0123456789abcdef.md");
                owners_for_path(o, "OWNERS");
                owners_free(o);
        }
        return 0;
}
