/* no_poll.c: a source plugin without a poll callback. */
#include <stddef.h>

#include "connector.h"

static int start(const struct conn_host *host, struct conn_context *cx,
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

static void stop(void *ctx)
{
	(void)ctx;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "NoPoll",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .start = start,
    .stop = stop,
};
