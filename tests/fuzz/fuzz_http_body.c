/* Fuzzes the JSON body of the review API's approve and reject requests, the
 * way the server reads it. Properties: a parsed decision holds only hunk
 * numbers from 1 to 1e6 and edits with a number and a text. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "http_decision.h"
#include "review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        cJSON *body = cJSON_ParseWithLength((const char *)data, size);
        if (!cJSON_IsObject(body)) {
                cJSON_Delete(body);
                return 0;
        }
        int *hunks = NULL;
        size_t nh = 0, ne = 0;
        struct review_edit *edits = NULL;
        char msg[256];
        if (http_parse_decision(body, &hunks, &nh, &edits, &ne, msg, sizeof(msg)) == 0) {
                for (size_t i = 0; i < nh; i++) {
                        if (hunks[i] < 1 || hunks[i] > 1000000)
                                abort();
                }
                for (size_t i = 0; i < ne; i++) {
                        if (edits[i].idx < 1 || !edits[i].text)
                                abort();
                }
        } else if (hunks || edits) {
                abort(); /* a failure leaves nothing to free */
        }
        free(hunks);
        free(edits);
        cJSON_Delete(body);
        return 0;
}
