/* The error a fallible function leaves for its caller: a message fit for a
 * user (what failed, on which input, where). Modules fill it; only cmd_* code
 * prints it. */
#ifndef CURATOR_ERR_H
#define CURATOR_ERR_H

#define CURATOR_ERR_MAX 1024

struct err {
        char msg[CURATOR_ERR_MAX];
};

/* Sets err (if not NULL) and returns -1, so callers can `return err_set(...)`. */
int err_set(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes an existing message with context ("reading X: <old message>"). */
int err_wrap(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
