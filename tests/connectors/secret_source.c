/*
 * secret_source.c: SecretSource, a source with a PASSWORD option, for the
 * REST tests of "[hidden]" values. Its validate() accepts only the
 * password "s3cret", so a config that kept its stored password passes and
 * one that stored the literal "[hidden]" is refused; with
 * validate.sleep.ms it takes its time (a slow startup to watch); its
 * tasks produce nothing.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "connector.h"

static const struct conn_option ss_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Unused: the tasks send nothing",
        .group = "Secret",
        .display_name = "Topic",
    },
    {
        .name = "password",
        .type = CONN_OPT_PASSWORD,
        .flags = CONN_OPT_REQUIRED,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Must be s3cret",
        .group = "Secret",
        .display_name = "Password",
    },
    {
        .name = "user",
        .type = CONN_OPT_STRING,
        .default_value = "admin",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "Shown as it is",
    },
    {
        .name = "validate.sleep.ms",
        .type = CONN_OPT_INT,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "How long validate() sleeps first",
    },
    {.name = NULL},
};

static int ss_validate(const struct conn_host *host,
                       const struct conn_config *cfg, struct conn_validation *v)
{
	const char *pw = host->config_get(cfg, "password");
	int64_t ms = 0;

	if (host->config_get_long(cfg, "validate.sleep.ms", &ms) == 0 &&
	    ms > 0) {
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

		nanosleep(&ts, NULL);
	}
	if (pw && strcmp(pw, "s3cret") != 0)
		host->validation_error(v, "password",
		                       "Invalid value for configuration "
		                       "password: wrong password");
	return 0;
}

static int ss_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	(void)host;
	(void)cx;
	(void)cfg;
	(void)err;
	(void)errlen;
	*ctxp = NULL;
	return 0;
}

static int ss_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct timespec ts = {0, 0};
	int ms = max_wait_ms < 100 ? max_wait_ms : 100;

	(void)ctx;
	(void)out;
	(void)err;
	(void)errlen;
	if (ms > 0) {
		ts.tv_nsec = (long)ms * 1000000;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void ss_stop(void *ctx)
{
	(void)ctx;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "SecretSource",
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = ss_options,
    .doc = "A source with a password option; sends nothing.",
    .validate = ss_validate,
    .start = ss_start,
    .poll = ss_poll,
    .stop = ss_stop,
};
