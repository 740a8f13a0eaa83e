/*
 * start_fails.c: a source whose start() always fails with -EINVAL and
 * "start failed on purpose", for tests of the FAILED status and its trace.
 */
#include <errno.h>
#include <stdio.h>

#include "connector.h"

static const struct conn_option sf_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Unused",
    },
    {.name = NULL},
};

static int sf_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	(void)host;
	(void)cx;
	(void)cfg;
	*ctxp = NULL;
	snprintf(err, errlen, "start failed on purpose");
	return -EINVAL;
}

static int sf_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	(void)ctx;
	(void)out;
	(void)max_wait_ms;
	snprintf(err, errlen, "poll called on a task that never started");
	return -EINVAL;
}

static void sf_stop(void *ctx)
{
	(void)ctx;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "StartFails",
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = sf_options,
    .doc = "A source whose tasks always fail to start.",
    .start = sf_start,
    .poll = sf_poll,
    .stop = sf_stop,
};
