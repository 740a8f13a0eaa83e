/*
 * misbehave_sink.c: a sink that misbehaves on purpose, for the
 * supervision tests. It appends each record's value (as a decimal INT64
 * or a string) and a newline to `file`, flushes in pre_commit, and once
 * it has taken `after` records since its process started, put() does what
 * `mode` says:
 *
 *	none    nothing: keeps going
 *	hang    never returns (the heartbeat watchdog's case)
 *	segv    crashes with SIGSEGV
 *	retry   asks to be retried (-EAGAIN) `retries` times, then goes on
 *	fail    returns an error ("put failed on purpose")
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"

struct ms_task {
	const struct conn_host *host;
	int fd;
	char mode[16];
	int64_t after;
	int64_t retries;
	int64_t taken; /* since this process started */
};

static const struct conn_option ms_options[] = {
    {
        .name = "file",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY | CONN_OPT_PATH_WRITE,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The file to append values to",
    },
    {
        .name = "mode",
        .type = CONN_OPT_STRING,
        .default_value = "none",
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "none, hang, segv, retry or fail",
    },
    {
        .name = "after",
        .type = CONN_OPT_LONG,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_MEDIUM,
        .doc = "Records to take (per process start) before misbehaving",
    },
    {
        .name = "retries",
        .type = CONN_OPT_LONG,
        .default_value = "3",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "How many times mode retry asks to be retried",
    },
    {.name = NULL},
};

static int ms_put(void *ctx, const struct conn_batch *in, char *err,
                  size_t errlen)
{
	struct ms_task *t = ctx;
	const struct conn_host *h = t->host;
	size_t n = h->batch_count(in);

	if (t->taken >= t->after) {
		if (strcmp(t->mode, "hang") == 0)
			for (;;)
				sleep(1000);
		if (strcmp(t->mode, "segv") == 0)
			raise(SIGSEGV);
		if (strcmp(t->mode, "fail") == 0) {
			snprintf(err, errlen, "put failed on purpose");
			return -EIO;
		}
		if (strcmp(t->mode, "retry") == 0 && t->retries > 0) {
			t->retries--;
			snprintf(err, errlen, "not now, on purpose");
			return -EAGAIN;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct conn_value *v =
		    h->record_value(h->batch_record(in, i));
		char line[512];
		int len;

		if (h->value_type(v) == CONN_STRING) {
			size_t sl;
			const char *s = h->value_string_get(v, &sl);

			len = snprintf(line, sizeof(line), "%.*s\n",
			               (int)(sl > 400 ? 400 : sl), s);
		} else if (v) {
			len = snprintf(line, sizeof(line), "%lld\n",
			               (long long)h->value_int_get(v));
		} else {
			len = snprintf(line, sizeof(line), "null\n");
		}
		if (write(t->fd, line, (size_t)len) != len) {
			snprintf(err, errlen, "write: %s", strerror(errno));
			return -EIO;
		}
		t->taken++;
	}
	return 0;
}

static int ms_pre_commit(void *ctx, struct conn_offsets *o, char *err,
                         size_t errlen)
{
	struct ms_task *t = ctx;

	(void)o;
	if (fsync(t->fd) == -1) {
		snprintf(err, errlen, "fsync: %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static void ms_stop(void *ctx)
{
	struct ms_task *t = ctx;

	if (!t)
		return;
	close(t->fd);
	free(t);
}

static int ms_start(const struct conn_host *h, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	struct ms_task *t = calloc(1, sizeof(*t));
	const char *file = h->config_get(cfg, "file");
	const char *mode = h->config_get(cfg, "mode");

	(void)cx;
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = h;
	snprintf(t->mode, sizeof(t->mode), "%s", mode ? mode : "none");
	if (h->config_get_long(cfg, "after", &t->after) ||
	    h->config_get_long(cfg, "retries", &t->retries)) {
		snprintf(err, errlen, "bad config");
		free(t);
		return -EINVAL;
	}
	t->fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (t->fd == -1) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		free(t);
		return -EACCES;
	}
	*ctxp = t;
	return 0;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .option_size = sizeof(struct conn_option),
    .name = "MisbehaveSink",
    .version = "0.1.0",
    .type = CONN_SINK,
    .options = ms_options,
    .doc = "A sink that hangs, crashes or fails on purpose (tests)",
    .start = ms_start,
    .put = ms_put,
    .pre_commit = ms_pre_commit,
    .stop = ms_stop,
};
