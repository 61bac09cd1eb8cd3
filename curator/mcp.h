/* curator's MCP server (JSON-RPC 2.0, one message a line): the tools
 * memory_search {scope, query, budget_tokens} and memory_view {id}, answered
 * for one principal and only within its scopes. Transport-free: `curator
 * mcp` feeds it stdin lines; /mcp in serve can feed it request bodies. */
#ifndef CURATOR_MCP_H
#define CURATOR_MCP_H

#include <stddef.h>

#include "buf.h"
#include "db_store.h"
#include "err.h"

struct home;
struct store;

struct mcp {
        struct home *home;           /* borrowed */
        struct store *store;         /* borrowed */
        const struct principal *who; /* borrowed: whose scopes apply */
};

/* Handles one JSON-RPC message (len bytes). Appends the response line
 * (ending in '\n') to out, or nothing for a notification. Never fails: bad
 * input gets a JSON-RPC error response. */
void mcp_handle_message(struct mcp *m, const char *msg, size_t len, struct buf *out);

#endif
