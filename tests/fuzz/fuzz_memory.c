/* Fuzzes the memory file format. Property: the parser accepts only the
 * canonical form, so whatever it accepts serializes back byte for byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct memory *m = NULL;
        struct err err;
        if (memory_parse((const char *)data, size, "fuzz.md", &m, &err) == 0) {
                struct buf out = BUF_INIT;
                if (memory_serialize(m, &out, &err) < 0 || out.len != size ||
                    memcmp(out.ptr, data, size) != 0)
                        abort(); /* not a round trip */
                buf_free(&out);
                memory_free(m);
        }
        return 0;
}
