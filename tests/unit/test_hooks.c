/* Standard Webhooks verification against the specification's published
 * vector, and each way a delivery is refused. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "hooks.h"

#define VEC_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define VEC_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define VEC_TS "1614265330"
#define VEC_BODY "{\"test\": 2432232314}"
#define VEC_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

static int load(const char *conf, struct hooks_key *k, int *configured, struct err *err)
{
        struct config *cfg = NULL;
        if (config_parse(conf, strlen(conf), "test.conf", &cfg, err) < 0)
                return -1;
        int rc = hooks_key_load(cfg, k, configured, err);
        config_free(cfg);
        return rc;
}

static enum hooks_verdict verify(const struct hooks_key *k, const char *id, const char *ts,
                                 const char *sig, const char *body, int64_t now)
{
        struct err err;
        return hooks_verify(k, id, ts, sig, body, strlen(body), now, &err);
}

static void test_vector(void)
{
        struct hooks_key k;
        struct err err;
        int configured = 0;
        setenv("TEST_HOOKS_SECRET", VEC_SECRET, 1);
        CHECK_INT(
            load("[platform]\nwebhook_secret_env = TEST_HOOKS_SECRET\n", &k, &configured, &err), 0);
        CHECK_INT(configured, 1);
        CHECK_INT(k.len, 24);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, VEC_BODY, 1614265330), HOOKS_OK);
        /* another entry first (a rotated secret, another version) is fine */
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, "v1,AAAA v2,xyz " VEC_SIG, VEC_BODY, 1614265330),
                  HOOKS_OK);
        /* a byte of the body, the id or the timestamp changed */
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, "{\"test\":2432232314}", 1614265330),
                  HOOKS_BAD_SIG);
        CHECK_INT(verify(&k, VEC_ID "x", VEC_TS, VEC_SIG, VEC_BODY, 1614265330), HOOKS_BAD_SIG);
        CHECK_INT(verify(&k, VEC_ID, "1614265331", VEC_SIG, VEC_BODY, 1614265331), HOOKS_BAD_SIG);
        /* the right digest under another version tag, or truncated */
        CHECK_INT(verify(&k, VEC_ID, VEC_TS,
                         "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", VEC_BODY, 1614265330),
                  HOOKS_BAD_SIG);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1O",
                         VEC_BODY, 1614265330),
                  HOOKS_BAD_SIG);
        /* five minutes either way, not a second more */
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, VEC_BODY, 1614265330 + 300), HOOKS_OK);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, VEC_BODY, 1614265330 + 301), HOOKS_STALE);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, VEC_BODY, 1614265330 - 301), HOOKS_STALE);
        CHECK_INT(verify(&k, VEC_ID, "", VEC_SIG, VEC_BODY, 1614265330), HOOKS_MISSING);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, NULL, VEC_BODY, 1614265330), HOOKS_MISSING);
        CHECK_INT(verify(&k, VEC_ID, "16142x", VEC_SIG, VEC_BODY, 1614265330), HOOKS_MALFORMED);
        hooks_key_free(&k);

        /* the wrong secret */
        setenv("TEST_HOOKS_SECRET", "whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxs", 1);
        CHECK_INT(
            load("[platform]\nwebhook_secret_env = TEST_HOOKS_SECRET\n", &k, &configured, &err), 0);
        CHECK_INT(verify(&k, VEC_ID, VEC_TS, VEC_SIG, VEC_BODY, 1614265330), HOOKS_BAD_SIG);
        hooks_key_free(&k);
}

static void test_key_config(void)
{
        struct hooks_key k;
        struct err err;
        int configured = 1;
        CHECK_INT(load("[platform]\nbase_url = http://x\n", &k, &configured, &err), 0);
        CHECK_INT(configured, 0);
        unsetenv("TEST_HOOKS_UNSET");
        CHECK_INT(
            load("[platform]\nwebhook_secret_env = TEST_HOOKS_UNSET\n", &k, &configured, &err), -1);
        CHECK(strstr(err.msg, "TEST_HOOKS_UNSET is not set") != NULL);
        setenv("TEST_HOOKS_SECRET", "whsec_not base64!", 1);
        CHECK_INT(
            load("[platform]\nwebhook_secret_env = TEST_HOOKS_SECRET\n", &k, &configured, &err),
            -1);
        CHECK(strstr(err.msg, "is not whsec_ followed by base64") != NULL);
        CHECK(strstr(err.msg, "whsec_not") == NULL); /* the secret is never quoted */
}

static void test_wants_pull(void)
{
        CHECK_INT(hooks_wants_pull("session.status_idled"), 1);
        CHECK_INT(hooks_wants_pull("session.status_terminated"), 1);
        CHECK_INT(hooks_wants_pull("session.thread_idled"), 1);
        CHECK_INT(hooks_wants_pull("session.outcome_evaluation_ended"), 1);
        CHECK_INT(hooks_wants_pull("session.status_running"), 0);
        CHECK_INT(hooks_wants_pull("session.status_idle"), 0); /* the SSE name, not a webhook */
        CHECK_INT(hooks_wants_pull("memory_store.created"), 0);
        CHECK_INT(hooks_id_valid("sesn_01abc-DEF"), 1);
        CHECK_INT(hooks_id_valid("sesn/../x"), 0);
        CHECK_INT(hooks_id_valid(""), 0);
}

int main(void)
{
        RUN(test_vector);
        RUN(test_key_config);
        RUN(test_wants_pull);
        return CHECK_DONE();
}
