/* Times as curator stores them: Unix milliseconds in memory, RFC 3339 UTC
 * text ("2026-08-01T10:00:02.000Z") on disk, so text order is time order. */
#ifndef CURATOR_TIMESTAMP_H
#define CURATOR_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#define TIMESTAMP_LEN 24 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */

/* Parses RFC 3339 (date, 'T' or ' ', time, optional fraction, 'Z' or
 * +HH:MM offset). Returns 0, or -1 if text is not such a time. */
int timestamp_parse(const char *text, size_t len, int64_t *unix_ms);
/* Writes the canonical UTC form into out (at least TIMESTAMP_LEN + 1 bytes). */
void timestamp_format(int64_t unix_ms, char *out);
/* Now, in Unix milliseconds. CURATOR_NOW (RFC 3339) in the environment
 * overrides the clock, so tests can move time. */
int64_t timestamp_now_ms(void);
/* Now, formatted as timestamp_format does. */
void timestamp_now(char *out);

#endif
