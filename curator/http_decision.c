#include "http_decision.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "review.h"

int http_parse_decision(const cJSON *body, int **hunks, size_t *nhunks,
                        struct review_edit **edits, size_t *nedits, char *msg, size_t size)
{
        *hunks = NULL;
        *nhunks = 0;
        if (edits) {
                *edits = NULL;
                *nedits = 0;
        }
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(body, "hunks");
        if (h && !cJSON_IsNull(h)) {
                if (!cJSON_IsArray(h)) {
                        snprintf(msg, size, "hunks must be an array of hunk numbers");
                        return -1;
                }
                int count = cJSON_GetArraySize(h);
                *hunks = xcalloc((size_t)(count ? count : 1), sizeof(int));
                const cJSON *it;
                cJSON_ArrayForEach(it, h)
                {
                        if (!cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 1e6 ||
                            it->valuedouble != (double)(int)it->valuedouble) {
                                snprintf(msg, size, "hunks[%zu] must be a hunk number (1, 2, ...)",
                                         *nhunks);
                                goto fail;
                        }
                        (*hunks)[(*nhunks)++] = it->valueint;
                }
        }
        if (!edits)
                return 0;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "edits");
        if (!e || cJSON_IsNull(e))
                return 0;
        if (!cJSON_IsArray(e)) {
                snprintf(msg, size, "edits must be an array of {idx, text}");
                goto fail;
        }
        *edits = xcalloc((size_t)cJSON_GetArraySize(e) + 1, sizeof(**edits));
        const cJSON *it;
        cJSON_ArrayForEach(it, e)
        {
                const cJSON *idx = cJSON_GetObjectItemCaseSensitive(it, "idx");
                const cJSON *text = cJSON_GetObjectItemCaseSensitive(it, "text");
                if (!cJSON_IsNumber(idx) || idx->valuedouble < 1 || idx->valuedouble > 1e6 ||
                    !cJSON_IsString(text)) {
                        snprintf(msg, size,
                                 "edits[%zu] must be {\"idx\": hunk number, \"text\": string}",
                                 *nedits);
                        goto fail;
                }
                (*edits)[*nedits].idx = (int)idx->valuedouble;
                (*edits)[*nedits].text = text->valuestring;
                (*nedits)++;
        }
        return 0;
fail:
        free(*hunks);
        *hunks = NULL;
        *nhunks = 0;
        if (edits) {
                free(*edits);
                *edits = NULL;
                *nedits = 0;
        }
        return -1;
}
