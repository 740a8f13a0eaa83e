/* bad_utf8.c: a plugin whose name is not valid UTF-8. */
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

static int poll(void *ctx, struct conn_batch *out, int max_wait_ms, char *err,
                size_t errlen)
{
	(void)ctx;
	(void)out;
	(void)max_wait_ms;
	(void)err;
	(void)errlen;
	return 0;
}

static void stop(void *ctx)
{
	(void)ctx;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "Bad\xff\xfeName",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .start = start,
    .poll = poll,
    .stop = stop,
};
