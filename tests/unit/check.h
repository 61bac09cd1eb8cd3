/* A minimal test harness: each test is a function; CHECK records a failure
 * with file:line and goes on; main() returns non-zero if anything failed. */
#ifndef CURATOR_CHECK_H
#define CURATOR_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                    \
        do {                                                                           \
                check_count++;                                                         \
                if (!(cond)) {                                                         \
                        check_failures++;                                              \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
                                #cond);                                                \
                }                                                                      \
        } while (0)

#define CHECK_STR(a, b)                                                                 \
        do {                                                                            \
                const char *check_a_ = (a), *check_b_ = (b);                            \
                check_count++;                                                          \
                if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {        \
                        check_failures++;                                               \
                        fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\" (%s)\n",    \
                                __FILE__, __LINE__, check_b_ ? check_b_ : "(null)",     \
                                check_a_ ? check_a_ : "(null)", #a);                    \
                }                                                                       \
        } while (0)

#define CHECK_INT(a, b)                                                                  \
        do {                                                                             \
                long long check_a_ = (long long)(a), check_b_ = (long long)(b);          \
                check_count++;                                                           \
                if (check_a_ != check_b_) {                                              \
                        check_failures++;                                                \
                        fprintf(stderr, "%s:%d: expected %lld, got %lld (%s)\n", __FILE__, \
                                __LINE__, check_b_, check_a_, #a);                       \
                }                                                                        \
        } while (0)

#define RUN(test)                                                                        \
        do {                                                                             \
                int before_ = check_failures;                                            \
                test();                                                                  \
                fprintf(stderr, "%s %s\n", check_failures == before_ ? "ok  " : "FAIL", #test); \
        } while (0)

#define CHECK_DONE()                                                                     \
        (fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures),         \
         check_failures ? 1 : 0)

#endif
