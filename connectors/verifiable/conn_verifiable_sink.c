/*
 * conn_verifiable_sink.c: VerifiableSink, the counterpart of
 * VerifiableSource (Kafka Connect's VerifiableSinkConnector and
 * VerifiableSinkTask), for tests.
 *
 * Kafka's task prints JSON on standard output; a sandboxed task has none,
 * so this one appends one line per record to `file`:
 *
 *	<topic> <partition> <offset> <value> <key>
 *
 * with single spaces between the fields, so a test can look for gaps and
 * duplicates per topic partition (offsets) or per source task (the key of
 * a VerifiableSource record is its task id, the value its seqno). Values
 * and keys print as:
 *
 *   null                   null
 *   INT8..INT64            decimal
 *   FLOAT32, FLOAT64       %.17g
 *   BOOLEAN                true, false
 *   STRING, BYTES          the bytes, with backslash, bytes below 0x21 and
 *                          from 0x7f up written as \xNN, so the field never
 *                          holds a space or a line break
 *   STRUCT with an integer the seqno (VerifiableSource with
 *   field "seqno"          complete.record.data=true)
 *   anything else          <ARRAY>, <MAP>, <STRUCT>
 *
 * pre_commit fsyncs the file, so every line of a committed offset is on
 * disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "connector.h"

struct vk_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct vk_task {
	const struct conn_host *host;
	char *file;
	int fd;
	struct vk_buf out;
};

static const char *const vk_aliases[] = {
    "VerifiableSinkConnector",
    "org.apache.kafka.connect.tools.VerifiableSinkConnector",
    NULL,
};

static const struct conn_option vk_options[] = {
    {
        .name = "file",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY | CONN_OPT_PATH_WRITE,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The file to append one line per record to: <topic> "
               "<partition> <offset> <value> <key>",
    },
    {.name = NULL},
};

static void buf_add(struct vk_buf *b, const void *p, size_t n)
{
	if (b->oom)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap - b->len < n)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void buf_printf(struct vk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_printf(struct vk_buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = true;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

/* Writes bytes as one space-free field. */
static void put_escaped(struct vk_buf *b, const unsigned char *p, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\')
			continue;
		buf_add(b, p + run, i - run);
		buf_printf(b, "\\x%02x", p[i]);
		run = i + 1;
	}
	buf_add(b, p + run, n - run);
}

static void put_value(const struct conn_host *h, struct vk_buf *b,
                      const struct conn_value *v)
{
	uint32_t type = v ? h->value_type(v) : CONN_NULL;
	const void *p;
	size_t n;

	switch (type) {
	case CONN_NULL:
		buf_add(b, "null", 4);
		break;
	case CONN_INT8:
	case CONN_INT16:
	case CONN_INT32:
	case CONN_INT64:
		buf_printf(b, "%" PRId64, h->value_int_get(v));
		break;
	case CONN_FLOAT32:
	case CONN_FLOAT64:
		buf_printf(b, "%.17g", h->value_float_get(v));
		break;
	case CONN_BOOLEAN:
		buf_printf(b, "%s", h->value_bool_get(v) ? "true" : "false");
		break;
	case CONN_STRING:
		p = h->value_string_get(v, &n);
		put_escaped(b, p, n);
		break;
	case CONN_BYTES:
		p = h->value_bytes_get(v, &n);
		put_escaped(b, p, n);
		break;
	case CONN_STRUCT: {
		const struct conn_value *seq = h->struct_get(v, "seqno");
		uint32_t st = seq ? h->value_type(seq) : CONN_NULL;

		if (st >= CONN_INT8 && st <= CONN_INT64)
			buf_printf(b, "%" PRId64, h->value_int_get(seq));
		else
			buf_add(b, "<STRUCT>", 8);
		break;
	}
	case CONN_ARRAY:
		buf_add(b, "<ARRAY>", 7);
		break;
	case CONN_MAP:
		buf_add(b, "<MAP>", 5);
		break;
	default:
		buf_printf(b, "<type %u>", type);
		break;
	}
}

static int vk_put(void *ctx, const struct conn_batch *in, char *err,
                  size_t errlen)
{
	struct vk_task *t = ctx;
	const struct conn_host *h = t->host;
	size_t n = h->batch_count(in);
	const char *p;
	size_t len;

	t->out.len = 0;
	t->out.oom = false;
	for (size_t i = 0; i < n; i++) {
		const struct conn_record *r = h->batch_record(in, i);
		const char *topic = h->record_topic(r);

		put_escaped(&t->out, (const unsigned char *)topic,
		            strlen(topic));
		buf_printf(&t->out, " %" PRId32 " %" PRId64 " ",
		           h->record_partition(r), h->record_offset(r));
		put_value(h, &t->out, h->record_value(r));
		buf_add(&t->out, " ", 1);
		put_value(h, &t->out, h->record_key(r));
		buf_add(&t->out, "\n", 1);
	}
	if (t->out.oom) {
		snprintf(err, errlen, "out of memory formatting %zu records",
		         n);
		return -ENOMEM;
	}
	p = t->out.p;
	len = t->out.len;
	while (len > 0) {
		ssize_t w = write(t->fd, p, len);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1) {
			int e = errno;

			snprintf(err, errlen, "cannot write to %s: %s", t->file,
			         strerror(e));
			return -e;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int vk_pre_commit(void *ctx, struct conn_offsets *offsets, char *err,
                         size_t errlen)
{
	struct vk_task *t = ctx;

	(void)offsets;
	if (fsync(t->fd) == -1 && errno != EINVAL) {
		int e = errno;

		snprintf(err, errlen, "cannot sync %s: %s", t->file,
		         strerror(e));
		return -e;
	}
	return 0;
}

static void vk_stop(void *ctx)
{
	struct vk_task *t = ctx;

	if (!t)
		return;
	if (t->fd != -1)
		close(t->fd);
	free(t->out.p);
	free(t->file);
	free(t);
}

/* The host does not call stop() after a failed start(). */
static int vk_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	const char *file = host->config_get(cfg, "file");
	struct vk_task *t;
	int r;

	(void)cx;
	*ctxp = NULL;
	if (!file || !*file) {
		snprintf(err, errlen, "file is required");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = host;
	t->fd = -1;
	t->file = strdup(file);
	if (!t->file) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out_stop;
	}
	t->fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	             0644);
	if (t->fd == -1) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", file, strerror(-r));
		goto out_stop;
	}
	*ctxp = t;
	return 0;

out_stop:
	vk_stop(t);
	return r;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "VerifiableSink",
    .aliases = vk_aliases,
    .version = "0.1.0",
    .type = CONN_SINK,
    .option_size = sizeof(struct conn_option),
    .options = vk_options,
    .doc = "Appends \"<topic> <partition> <offset> <value> <key>\" for "
           "each record to a file, for checking delivery in tests.",
    .start = vk_start,
    .put = vk_put,
    .pre_commit = vk_pre_commit,
    .stop = vk_stop,
};
