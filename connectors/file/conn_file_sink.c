/*
 * conn_file_sink.c: FileStreamSink, Kafka Connect's FileStreamSinkConnector
 * and FileStreamSinkTask.
 *
 * Appends one line per record to a file: the record value as Java's
 * String.valueOf() prints what Kafka Connect hands FileStreamSinkTask, then
 * "\n". The file is opened with O_APPEND | O_CREAT (mode 0644); pre_commit
 * fsyncs it, so a committed consumer offset means the lines before it are
 * on disk.
 *
 * How values print (Java's toString where it is useful):
 *   null                  null
 *   STRING                the string as is
 *   INT8..INT64           decimal
 *   FLOAT32, FLOAT64      as Float.toString / Double.toString: 1.0, 0.001,
 *                         1.0E7, 1.0E-4, NaN, Infinity
 *   BOOLEAN               true, false
 *   BYTES                 the bytes as is (Java would print "[B@1b6d3586",
 *                         which helps nobody; as is suits ByteArrayConverter)
 *   ARRAY                 [a, b, c]             (java.util.List)
 *   MAP                   {k1=v1, k2=v2}        (java.util.Map)
 *   STRUCT                Struct{a=1,b=x}, null fields left out
 *                         (org.apache.kafka.connect.data.Struct)
 *   Decimal               as BigDecimal.toString: 12.34, 1.2E+3
 *   Date, Time, Timestamp ISO 8601 in UTC: 2024-05-01, 13:45:00.250,
 *                         2024-05-01T13:45:00.250Z (Java prints
 *                         java.util.Date in the JVM's time zone)
 *
 * Differences from Kafka: `file` is required (Kafka writes to standard
 * output when it is unset; a sandboxed task has none). The sink's topic
 * selection (`topics`, `topics.regex`) is handled by the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"

#define FK_MAX_DEPTH 64

struct fk_buf {
	char *p;
	size_t len, cap;
	bool oom; /* an append failed; the contents are incomplete */
};

struct fk_task {
	const struct conn_host *host;
	struct conn_context *cx;
	char *file;
	int fd;
	struct fk_buf out;
};

static const char *const fk_aliases[] = {
    "FileStreamSinkConnector",
    "org.apache.kafka.connect.file.FileStreamSinkConnector",
    NULL,
};

static const struct conn_option fk_options[] = {
    {
        .name = "file",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY | CONN_OPT_PATH_WRITE,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Destination filename. Required: a sluice task has no "
               "standard output.",
    },
    {.name = NULL},
};

static void buf_add(struct fk_buf *b, const void *p, size_t n)
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

static void buf_str(struct fk_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_printf(struct fk_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void buf_printf(struct fk_buf *b, const char *fmt, ...)
{
	char tmp[128];
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

/* Java's Double.toString and Float.toString: the shortest digits that read
 * back as the same value, plain for 1e-3 <= |d| < 1e7, else d.dddE<n>. */
static void put_float(struct fk_buf *b, double d, bool f32)
{
	char tmp[40], digits[24];
	int p, nd = 0, exp;
	const char *s;

	if (isnan(d)) {
		buf_str(b, "NaN");
		return;
	}
	if (isinf(d)) {
		buf_str(b, d < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (d == 0) {
		buf_str(b, signbit(d) ? "-0.0" : "0.0");
		return;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, d);
		if (f32 ? strtof(tmp, NULL) == (float)d
		        : strtod(tmp, NULL) == d)
			break;
	}
	s = tmp;
	if (*s == '-') {
		buf_str(b, "-");
		s++;
	}
	for (; *s && *s != 'e'; s++) {
		if (*s >= '0' && *s <= '9' && nd < (int)sizeof(digits) - 1)
			digits[nd++] = *s;
	}
	exp = *s == 'e' ? atoi(s + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';

	if (exp >= -3 && exp < 7) {
		if (exp < 0) {
			buf_str(b, "0.");
			for (int i = -1; i > exp; i--)
				buf_str(b, "0");
			buf_add(b, digits, (size_t)nd);
			return;
		}
		for (int i = 0; i <= exp; i++)
			buf_add(b, i < nd ? &digits[i] : "0", 1);
		buf_str(b, ".");
		if (nd > exp + 1)
			buf_add(b, digits + exp + 1, (size_t)(nd - exp - 1));
		else
			buf_str(b, "0");
		return;
	}
	buf_add(b, digits, 1);
	buf_str(b, ".");
	if (nd > 1)
		buf_add(b, digits + 1, (size_t)(nd - 1));
	else
		buf_str(b, "0");
	buf_printf(b, "E%d", exp);
}

/*
 * A Decimal: two's complement big-endian unscaled value and a scale,
 * printed as BigDecimal.toString does.
 */
static void put_decimal(struct fk_buf *b, const unsigned char *v, size_t n,
                        int scale)
{
	bool neg = n > 0 && (v[0] & 0x80);
	unsigned char *mag = NULL;
	char *dig = NULL;
	size_t nd = 0, i;
	long adjusted;

	mag = malloc(n ? n : 1);
	dig = malloc(n * 3 + 2); /* 256^n < 10^(3n) */
	if (!mag || !dig) {
		b->oom = true;
		goto out_free;
	}
	memcpy(mag, v, n);
	if (neg) {
		unsigned carry = 1;

		for (i = n; i-- > 0;) {
			unsigned x = (unsigned)(unsigned char)~mag[i] + carry;

			mag[i] = (unsigned char)x;
			carry = x >> 8;
		}
	}
	/* Repeated division by 10, least significant digit first. */
	for (;;) {
		unsigned rem = 0;
		bool zero = true;

		for (i = 0; i < n; i++) {
			unsigned cur = (rem << 8) | mag[i];

			mag[i] = (unsigned char)(cur / 10);
			rem = cur % 10;
			zero = zero && mag[i] == 0;
		}
		dig[nd++] = (char)('0' + rem);
		if (zero)
			break;
	}
	/* Reverse into most significant first. */
	for (i = 0; i < nd / 2; i++) {
		char c = dig[i];

		dig[i] = dig[nd - 1 - i];
		dig[nd - 1 - i] = c;
	}
	if (neg)
		buf_str(b, "-");
	adjusted = (long)nd - 1 - scale;
	if (scale >= 0 && adjusted >= -6) {
		if (scale == 0) {
			buf_add(b, dig, nd);
		} else if ((size_t)scale < nd) {
			buf_add(b, dig, nd - (size_t)scale);
			buf_str(b, ".");
			buf_add(b, dig + nd - (size_t)scale, (size_t)scale);
		} else {
			buf_str(b, "0.");
			for (size_t z = nd; z < (size_t)scale; z++)
				buf_str(b, "0");
			buf_add(b, dig, nd);
		}
	} else {
		buf_add(b, dig, 1);
		if (nd > 1) {
			buf_str(b, ".");
			buf_add(b, dig + 1, nd - 1);
		}
		buf_printf(b, "E%s%ld", adjusted >= 0 ? "+" : "", adjusted);
	}

out_free:
	free(mag);
	free(dig);
}

static void put_utc(struct fk_buf *b, int64_t ms, bool date, bool time)
{
	int64_t secs = ms / 1000, frac = ms % 1000;
	time_t tt;
	struct tm tm;

	if (frac < 0) {
		frac += 1000;
		secs--;
	}
	tt = (time_t)secs;
	if (!gmtime_r(&tt, &tm)) {
		buf_printf(b, "%" PRId64, ms);
		return;
	}
	if (date)
		buf_printf(b, "%04d-%02d-%02d", tm.tm_year + 1900,
		           tm.tm_mon + 1, tm.tm_mday);
	if (date && time)
		buf_str(b, "T");
	if (time)
		buf_printf(b, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		           tm.tm_sec, (int)frac);
	if (date && time)
		buf_str(b, "Z");
}

/* Prints a logical type; false if s is not one this knows. */
static bool put_logical(const struct conn_host *h, struct fk_buf *b,
                        const struct conn_schema *s, const struct conn_value *v,
                        uint32_t type)
{
	const char *name = s ? h->schema_name(s) : NULL;

	if (!name)
		return false;
	if (strcmp(name, CONN_LOGICAL_DECIMAL) == 0 && type == CONN_BYTES) {
		const char *sc = h->schema_param(s, CONN_DECIMAL_SCALE);
		const void *p;
		size_t n;

		p = h->value_bytes_get(v, &n);
		put_decimal(b, p, n, sc ? atoi(sc) : 0);
		return true;
	}
	if (strcmp(name, CONN_LOGICAL_DATE) == 0 && type == CONN_INT32) {
		put_utc(b, h->value_int_get(v) * 86400000, true, false);
		return true;
	}
	if (strcmp(name, CONN_LOGICAL_TIME) == 0 && type == CONN_INT32) {
		put_utc(b, h->value_int_get(v), false, true);
		return true;
	}
	if (strcmp(name, CONN_LOGICAL_TIMESTAMP) == 0 && type == CONN_INT64) {
		put_utc(b, h->value_int_get(v), true, true);
		return true;
	}
	return false;
}

/* Appends the Java-like string form of v (schema s, may be NULL). */
static void put_value(const struct conn_host *h, struct fk_buf *b,
                      const struct conn_schema *s, const struct conn_value *v,
                      int depth)
{
	uint32_t type = v ? h->value_type(v) : CONN_NULL;
	const struct conn_schema *ks = NULL, *vs = NULL;
	const char *p;
	size_t n, i;

	if (depth > FK_MAX_DEPTH) {
		buf_str(b, "...");
		return;
	}
	if (type == CONN_NULL) {
		buf_str(b, "null");
		return;
	}
	if (put_logical(h, b, s, v, type))
		return;
	switch (type) {
	case CONN_INT8:
	case CONN_INT16:
	case CONN_INT32:
	case CONN_INT64:
		buf_printf(b, "%" PRId64, h->value_int_get(v));
		break;
	case CONN_FLOAT32:
	case CONN_FLOAT64:
		put_float(b, h->value_float_get(v), type == CONN_FLOAT32);
		break;
	case CONN_BOOLEAN:
		buf_str(b, h->value_bool_get(v) ? "true" : "false");
		break;
	case CONN_STRING:
		p = h->value_string_get(v, &n);
		buf_add(b, p, n);
		break;
	case CONN_BYTES:
		p = h->value_bytes_get(v, &n);
		buf_add(b, p, n);
		break;
	case CONN_ARRAY:
		ks = s ? h->schema_keys(s) : NULL;
		buf_str(b, "[");
		for (i = 0; i < h->value_count(v); i++) {
			if (i > 0)
				buf_str(b, ", ");
			put_value(h, b, ks, h->value_at(v, i), depth + 1);
		}
		buf_str(b, "]");
		break;
	case CONN_MAP:
		ks = s ? h->schema_keys(s) : NULL;
		vs = s ? h->schema_values(s) : NULL;
		buf_str(b, "{");
		for (i = 0; i < h->value_count(v); i++) {
			if (i > 0)
				buf_str(b, ", ");
			put_value(h, b, ks, h->value_key_at(v, i), depth + 1);
			buf_str(b, "=");
			put_value(h, b, vs, h->value_at(v, i), depth + 1);
		}
		buf_str(b, "}");
		break;
	case CONN_STRUCT: {
		const struct conn_schema *st = h->value_schema(v);
		bool first = true;

		buf_str(b, "Struct{");
		for (i = 0; st && i < h->value_count(v); i++) {
			const struct conn_value *f = h->value_at(v, i);

			if (!f || h->value_type(f) == CONN_NULL)
				continue;
			if (!first)
				buf_str(b, ",");
			first = false;
			buf_str(b, h->schema_field_name(st, i));
			buf_str(b, "=");
			put_value(h, b, h->schema_field_schema(st, i), f,
			          depth + 1);
		}
		buf_str(b, "}");
		break;
	}
	default:
		buf_printf(b, "<type %u>", type);
		break;
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int fk_put(void *ctx, const struct conn_batch *in, char *err,
                  size_t errlen)
{
	struct fk_task *t = ctx;
	const struct conn_host *h = t->host;
	size_t n = h->batch_count(in);
	int r;

	t->out.len = 0;
	t->out.oom = false;
	for (size_t i = 0; i < n; i++) {
		const struct conn_record *rec = h->batch_record(in, i);

		put_value(h, &t->out, h->record_value_schema(rec),
		          h->record_value(rec), 0);
		buf_str(&t->out, "\n");
	}
	if (t->out.oom) {
		snprintf(err, errlen, "out of memory formatting %zu records",
		         n);
		return -ENOMEM;
	}
	r = write_all(t->fd, t->out.p, t->out.len);
	if (r != 0)
		snprintf(err, errlen, "cannot write to %s: %s", t->file,
		         strerror(-r));
	return r;
}

static int fk_pre_commit(void *ctx, struct conn_offsets *offsets, char *err,
                         size_t errlen)
{
	struct fk_task *t = ctx;

	(void)offsets;
	/* EINVAL: a file that cannot be synced (a pipe, /dev/null). */
	if (fsync(t->fd) == -1 && errno != EINVAL) {
		int e = errno;

		snprintf(err, errlen, "cannot sync %s: %s", t->file,
		         strerror(e));
		return -e;
	}
	return 0;
}

static void fk_stop(void *ctx)
{
	struct fk_task *t = ctx;

	if (!t)
		return;
	if (t->fd != -1)
		close(t->fd);
	free(t->out.p);
	free(t->file);
	free(t);
}

static int fk_validate(const struct conn_host *host,
                       const struct conn_config *cfg, struct conn_validation *v)
{
	const char *file = host->config_get(cfg, "file");

	if (!file || !*file)
		host->validation_error(
		    v, "file",
		    "file is required: a sluice task has no standard output");
	return 0;
}

/* The host does not call stop() after a failed start(). */
static int fk_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	const char *file = host->config_get(cfg, "file");
	struct fk_task *t;
	int r;

	*ctxp = NULL;
	if (!file || !*file) {
		snprintf(err, errlen,
		         "file is required: a sluice task has no standard "
		         "output");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = host;
	t->cx = cx;
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
		snprintf(err, errlen,
		         "Couldn't find or create file '%s' for "
		         "FileStreamSinkTask: %s",
		         file, strerror(-r));
		goto out_stop;
	}
	*ctxp = t;
	return 0;

out_stop:
	fk_stop(t);
	return r;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "FileStreamSink",
    .aliases = fk_aliases,
    .version = "0.1.0",
    .type = CONN_SINK,
    .option_size = sizeof(struct conn_option),
    .options = fk_options,
    .doc = "Appends each record value as a line of text to a file, and "
           "syncs the file before offsets are committed.",
    .validate = fk_validate,
    .start = fk_start,
    .put = fk_put,
    .pre_commit = fk_pre_commit,
    .stop = fk_stop,
};
