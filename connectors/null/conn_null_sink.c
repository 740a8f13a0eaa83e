/*
 * conn_null_sink.c: NullSink, a sink that discards every record.
 *
 * For benchmarks: it measures what the host costs without any output. It
 * counts records and batches and logs the totals when the task stops.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "connector.h"

struct ns_task {
	const struct conn_host *host;
	struct conn_context *cx;
	uint64_t records;
	uint64_t batches;
};

static const char *const ns_aliases[] = {
    "NullSinkConnector",
    NULL,
};

static const struct conn_option ns_options[] = {
    {.name = NULL},
};

static int ns_put(void *ctx, const struct conn_batch *in, char *err,
                  size_t errlen)
{
	struct ns_task *t = ctx;

	(void)err;
	(void)errlen;
	t->records += t->host->batch_count(in);
	t->batches++;
	return 0;
}

static void ns_stop(void *ctx)
{
	struct ns_task *t = ctx;
	char msg[128];

	if (!t)
		return;
	snprintf(msg, sizeof(msg),
	         "NullSink discarded %llu records in %llu "
	         "batches",
	         (unsigned long long)t->records,
	         (unsigned long long)t->batches);
	t->host->log(t->cx, CONN_LOG_INFO, msg);
	free(t);
}

static int ns_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	struct ns_task *t = calloc(1, sizeof(*t));

	(void)cfg;
	*ctxp = NULL;
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = host;
	t->cx = cx;
	*ctxp = t;
	return 0;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "NullSink",
    .aliases = ns_aliases,
    .version = "0.1.0",
    .type = CONN_SINK,
    .option_size = sizeof(struct conn_option),
    .options = ns_options,
    .doc = "Discards every record; logs how many it got when it stops.",
    .start = ns_start,
    .put = ns_put,
    .stop = ns_stop,
};
