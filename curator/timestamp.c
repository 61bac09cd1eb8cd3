#include "timestamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int digits(const char *p, int n, int *out)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (p[i] < '0' || p[i] > '9')
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        *out = v;
        return 0;
}

/* Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        int64_t yoe = y - era * 400;
        int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
        static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
                return 29;
        return dm[m - 1];
}

int timestamp_parse(const char *s, size_t len, int64_t *unix_ms)
{
        int y, mo, d, h, mi, sec, ms = 0;
        if (len < 20)
                return -1;
        if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
            digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
            digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
            digits(s + 17, 2, &sec))
                return -1;
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
            sec > 60)
                return -1;
        size_t i = 19;
        if (i < len && s[i] == '.') {
                i++;
                size_t start = i;
                int scale = 100;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                        ms += (s[i] - '0') * scale;
                        scale /= 10;
                        i++;
                }
                if (i == start)
                        return -1;
        }
        int offset_min = 0;
        if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
                i++;
        } else if (i + 6 <= len && (s[i] == '+' || s[i] == '-')) {
                int oh, om;
                if (digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || digits(s + i + 4, 2, &om) ||
                    oh > 23 || om > 59)
                        return -1;
                offset_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
                i += 6;
        } else {
                return -1;
        }
        if (i != len)
                return -1;
        if (sec == 60)
                sec = 59; /* a leap second sorts with the second before it */
        int64_t days = days_from_civil(y, mo, d);
        int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)offset_min * 60;
        *unix_ms = secs * 1000 + ms;
        return 0;
}

void timestamp_format(int64_t unix_ms, char *out)
{
        int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
        int ms = (int)(unix_ms - secs * 1000);
        time_t t = (time_t)secs;
        struct tm tm;
        gmtime_r(&t, &tm);
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 (tm.tm_year + 1900) % 10000, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                 tm.tm_sec, ms);
        memcpy(out, tmp, TIMESTAMP_LEN);
        out[TIMESTAMP_LEN] = '\0';
}

int64_t timestamp_now_ms(void)
{
        const char *fake = getenv("CURATOR_NOW");
        int64_t ms;
        if (fake && *fake && timestamp_parse(fake, strlen(fake), &ms) == 0)
                return ms;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void timestamp_now(char *out)
{
        timestamp_format(timestamp_now_ms(), out);
}
