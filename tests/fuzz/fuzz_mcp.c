/* Fuzzes MCP messages (JSON-RPC 2.0) through the server's own handler, on a
 * scratch home with one memory. Property: every answer is exactly one line of
 * valid JSON (a result or a JSON-RPC error), whatever came in. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_store.h"
#include "home.h"
#include "mcp.h"
#include "store.h"

static struct home *home;
static struct store *store;
static struct principal who = {.name = "fuzzer", .role = "agent", .scopes = "shop"};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        char dir[64];
        snprintf(dir, sizeof(dir), "/tmp/curator-fuzz-mcp-%ld", (long)getpid());
        struct err err;
        int created;
        if (home_init(dir, &home, &created, &err) < 0 || store_open(home, &store, &err) < 0) {
                fprintf(stderr, "fuzz_mcp: %s\n", err.msg);
                abort();
        }
        struct store_change ch = {.op = STORE_ADD, .scope = "shop", .owner = "@admins",
                                  .text = "Run the narrow test first.", .legal_hold = -1};
        struct store_commit_info info = {.author_name = "fuzzer", .message = "seed"};
        char commit[41];
        if (store_apply_changes(store, &ch, 1, &info, NULL, commit, &err) != 0) {
                fprintf(stderr, "fuzz_mcp: %s\n", err.msg);
                abort();
        }
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct mcp m = {home, store, &who};
        struct buf out = BUF_INIT;
        mcp_handle_message(&m, (const char *)data, size, &out);
        if (out.len) {
                if (out.ptr[out.len - 1] != '\n' || memchr(out.ptr, '\n', out.len) != out.ptr + out.len - 1)
                        abort(); /* not exactly one line */
                cJSON *j = cJSON_ParseWithLength(out.ptr, out.len - 1);
                if (!j)
                        abort(); /* not JSON */
                cJSON_Delete(j);
        }
        buf_free(&out);
        return 0;
}
