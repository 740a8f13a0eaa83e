/*
 * th_conv.c: the converter registry, and the formatting helpers that the
 * converters share (th_conv_impl.h).
 *
 * The number formats follow Java, because Kafka Connect's converters print
 * with Double.toString, Float.toString and BigDecimal.toString, and sluice
 * must write the same bytes as a Java worker for the same record.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "th_conv_impl.h"

/* --- Registry ------------------------------------------------------------- */

static const struct th_conv_ops *const conv_classes[] = {
    &th_conv_string_ops,
    &th_conv_bytes_ops,
    &th_conv_json_ops,
    &th_conv_header_ops,
};

static const struct th_conv_ops *conv_find(const char *name)
{
	for (size_t i = 0; i < sizeof(conv_classes) / sizeof(conv_classes[0]);
	     i++) {
		const struct th_conv_ops *ops = conv_classes[i];

		if (strcmp(name, ops->class_name) == 0 ||
		    strcmp(name, ops->simple_name) == 0)
			return ops;
	}
	return NULL;
}

struct th_conv *th_conv_new(const char *class_name,
                            const struct conn_config *settings,
                            enum th_conv_kind kind, char *err, size_t errlen)
{
	const struct th_conv_ops *ops;
	struct th_conv *c;
	int rc;

	if (!class_name || kind < TH_CONV_KEY || kind > TH_CONV_HEADER) {
		th_conv_error(err, errlen, 0, "Invalid converter arguments");
		errno = EINVAL;
		return NULL;
	}
	ops = conv_find(class_name);
	if (!ops) {
		th_conv_error(err, errlen, 0,
		              "Converter class %s could not be found.",
		              class_name);
		errno = ENOENT;
		return NULL;
	}
	if (ops->header_only && kind != TH_CONV_HEADER) {
		th_conv_error(err, errlen, 0,
		              "%s is a HeaderConverter and cannot convert "
		              "record keys or values",
		              ops->class_name);
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		th_conv_error(err, errlen, 0, "Out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->ops = ops;
	c->kind = kind;
	rc = ops->init(c, settings, err, errlen);
	if (rc) {
		th_conv_free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

void th_conv_free(struct th_conv *c)
{
	if (!c)
		return;
	if (c->ops->fini)
		c->ops->fini(c);
	c->priv = NULL;
	free(c);
}

const char *th_conv_class(const struct th_conv *c)
{
	return c ? c->ops->class_name : NULL;
}

int th_conv_from_connect(struct th_conv *c, const char *topic, const char *hkey,
                         const struct conn_schema *s,
                         const struct conn_value *v, struct conn_arena *a,
                         struct th_bytes *out, char *err, size_t errlen)
{
	int rc;

	if (!c || !a || !out)
		return th_conv_error(err, errlen, -EINVAL,
		                     "Invalid converter arguments");
	out->p = NULL;
	out->n = 0;
	if (v && v->type == CONN_NULL)
		v = NULL;
	rc = c->ops->from_connect(c, topic, hkey, s, v, a, out, err, errlen);
	if (rc) {
		out->p = NULL;
		out->n = 0;
	}
	return rc;
}

int th_conv_to_connect(struct th_conv *c, const char *topic, const char *hkey,
                       const struct th_bytes *in, struct conn_arena *a,
                       const struct conn_schema **s,
                       const struct conn_value **v, char *err, size_t errlen)
{
	int rc;

	if (!c || !in || !a || !s || !v)
		return th_conv_error(err, errlen, -EINVAL,
		                     "Invalid converter arguments");
	*s = NULL;
	*v = NULL;
	rc = c->ops->to_connect(c, topic, hkey, in, a, s, v, err, errlen);
	if (rc) {
		*s = NULL;
		*v = NULL;
	}
	return rc;
}

/* --- Settings and errors -------------------------------------------------- */

int th_conv_error(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const char *th_conv_setting(const struct conn_config *settings, const char *key)
{
	return settings ? th_config_raw(settings, key) : NULL;
}

int th_conv_setting_bool(const struct conn_config *settings, const char *key,
                         bool def, bool *out, char *err, size_t errlen)
{
	const char *v = th_conv_setting(settings, key), *p;
	size_t n;

	*out = def;
	if (!v)
		return 0;
	/* As ConfigDef parses BOOLEAN: trimmed, in any case. */
	for (p = v; *p && (unsigned char)*p <= ' '; p++)
		;
	n = strlen(p);
	while (n && (unsigned char)p[n - 1] <= ' ')
		n--;
	if (n == 4 && strncasecmp(p, "true", 4) == 0)
		*out = true;
	else if (n == 5 && strncasecmp(p, "false", 5) == 0)
		*out = false;
	else
		return th_conv_error(
		    err, errlen, -EINVAL,
		    "Invalid value %s for configuration %s: Expected value to "
		    "be either true or false",
		    v, key);
	return 0;
}

/* --- Java number formats -------------------------------------------------- */

static bool reads_back(const char *s, double d, bool is_float)
{
	if (is_float)
		return strtof(s, NULL) == (float)d;
	return strtod(s, NULL) == d;
}

/*
 * At a power of two the doubles below are twice as dense as those above,
 * so the decimals that read back as d reach further up than down, and the
 * correctly rounded candidate of some length can miss while its upper
 * neighbour hits. Java takes that neighbour; so do we.
 */
static bool try_neighbour(char *buf, size_t size, int p, double d,
                          bool is_float)
{
	char digits[24], cand[48];
	unsigned long long m;
	int k = 0, exp10;
	char *e;

	for (char *q = buf; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9')
			digits[k++] = *q;
	digits[k] = '\0';
	e = strchr(buf, 'e');
	if (!e)
		return false;
	exp10 = atoi(e + 1) - p;
	m = strtoull(digits, NULL, 10);
	for (int dir = 1; dir >= -1; dir -= 2) {
		unsigned long long c = dir > 0 ? m + 1 : m - 1;

		snprintf(cand, sizeof(cand), "%llue%d", c, exp10);
		if ((int)strcspn(cand, "e") != k ||
		    !reads_back(cand, d, is_float))
			continue;
		/* Rewrite buf as "D.DDDe+X", the form the caller parses. */
		snprintf(buf, size, "%c.%.*se%+d", cand[0], k - 1, cand + 1,
		         exp10 + p);
		return true;
	}
	return false;
}

/* Formats d with p + 1 significant digits into buf; whether they (or, at
 * a power of two, a neighbour) read back as d. */
static bool digits_ok(char *buf, size_t size, int p, double d, bool is_float,
                      bool pow2)
{
	snprintf(buf, size, "%.*e", p, d);
	if (reads_back(buf, d, is_float))
		return true;
	return pow2 && try_neighbour(buf, size, p, d, is_float);
}

size_t th_conv_digits(double d, bool is_float, char digits[32], int *exp10)
{
	char buf[48];
	int lo = 1, hi = is_float ? 8 : 16, e2;
	bool pow2;
	size_t n = 0;
	char *q;

	d = fabs(d);
	pow2 = frexp(d, &e2) == 0.5;
	/*
	 * The shortest precision that reads back. Java considers two-digit
	 * decimals even when one digit would do (Double.MIN_VALUE prints as
	 * 4.9E-324), so start at two. Whether some decimal of a length reads
	 * back only improves with the length, so bisect; 17 digits (9 for a
	 * float) always do.
	 */
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (digits_ok(buf, sizeof(buf), mid, d, is_float, pow2))
			hi = mid;
		else
			lo = mid + 1;
	}
	digits_ok(buf, sizeof(buf), lo, d, is_float, pow2);
	for (q = buf; *q && *q != 'e'; q++)
		if (*q >= '0' && *q <= '9')
			digits[n++] = *q;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*exp10 = *q == 'e' ? atoi(q + 1) + 1 : 1;
	return n;
}

static int fmt_java_fp(struct th_buf *b, double d, bool is_float)
{
	char digits[32];
	int e, rc = 0;
	size_t n;

	if (isnan(d))
		return th_buf_append(b, "NaN", 3);
	if (isinf(d))
		return d > 0 ? th_buf_append(b, "Infinity", 8)
		             : th_buf_append(b, "-Infinity", 9);
	if (signbit(d))
		rc = th_buf_putc(b, '-');
	if (rc)
		return rc;
	if (d == 0)
		return th_buf_append(b, "0.0", 3);
	n = th_conv_digits(d, is_float, digits, &e);
	if (fabs(d) >= 1e-3 && fabs(d) < 1e7) {
		/* Plain: d = 0.DIGITS * 10^e. */
		if (e <= 0) {
			rc = th_buf_append(b, "0.", 2);
			for (int i = 0; i < -e && !rc; i++)
				rc = th_buf_putc(b, '0');
			return rc ? rc : th_buf_append(b, digits, n);
		}
		for (int i = 0; i < e && !rc; i++)
			rc = th_buf_putc(b, (size_t)i < n ? digits[i] : '0');
		if (!rc)
			rc = th_buf_putc(b, '.');
		if (rc)
			return rc;
		if ((size_t)e >= n)
			return th_buf_putc(b, '0');
		return th_buf_append(b, digits + e, n - (size_t)e);
	}
	/* Computerized scientific notation: D.DDDE-X, at least D.0. */
	rc = th_buf_putc(b, digits[0]);
	if (!rc)
		rc = th_buf_putc(b, '.');
	if (!rc)
		rc = n > 1 ? th_buf_append(b, digits + 1, n - 1)
		           : th_buf_putc(b, '0');
	return rc ? rc : th_buf_printf(b, "E%d", e - 1);
}

int th_conv_fmt_double(struct th_buf *b, double d)
{
	return fmt_java_fp(b, d, false);
}

int th_conv_fmt_float(struct th_buf *b, double f)
{
	return fmt_java_fp(b, (float)f, true);
}

/* --- Base64 --------------------------------------------------------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int th_conv_base64_encode(struct th_buf *b, const void *in, size_t n)
{
	const unsigned char *p = in;
	char q[4];
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i += 3) {
		uint32_t w = (uint32_t)p[i] << 16;

		if (i + 1 < n)
			w |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			w |= p[i + 2];
		q[0] = b64[(w >> 18) & 63];
		q[1] = b64[(w >> 12) & 63];
		q[2] = i + 1 < n ? b64[(w >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[w & 63] : '=';
		rc = th_buf_append(b, q, 4);
	}
	return rc;
}

static int b64_index(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int th_conv_base64_decode(const char *s, size_t n, struct conn_arena *a,
                          const void **out, size_t *outlen)
{
	unsigned char *p;
	size_t pad = 0, len = 0;

	if (n % 4)
		return -EINVAL;
	if (n && s[n - 1] == '=') {
		pad++;
		if (s[n - 2] == '=')
			pad++;
	}
	p = th_arena_alloc(a, n / 4 * 3);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i += 4) {
		int x[4];
		bool last = i + 4 == n;

		for (int k = 0; k < 4; k++) {
			x[k] = b64_index(s[i + k]);
			if (x[k] < 0 &&
			    !(last && s[i + k] == '=' && k >= 4 - (int)pad))
				return -EINVAL;
		}
		p[len++] = (unsigned char)(x[0] << 2 | x[1] >> 4);
		if (x[2] >= 0)
			p[len++] =
			    (unsigned char)((x[1] & 15) << 4 | x[2] >> 2);
		if (x[3] >= 0)
			p[len++] = (unsigned char)((x[2] & 3) << 6 | x[3]);
	}
	*out = p;
	*outlen = len;
	return 0;
}

/* --- Logical types and Decimal -------------------------------------------- */

bool th_conv_is_logical(const struct conn_schema *s, const char *name)
{
	return s && s->name && strcmp(s->name, name) == 0;
}

int th_conv_decimal_scale(const struct conn_schema *s, int32_t *scale)
{
	const char *p = th_host.schema_param(s, CONN_DECIMAL_SCALE);
	char *end;
	long v;

	if (!p || !*p)
		return -EINVAL;
	errno = 0;
	v = strtol(p, &end, 10);
	if (errno || *end || v < INT32_MIN || v > INT32_MAX ||
	    !(p[0] == '-' || p[0] == '+' || (p[0] >= '0' && p[0] <= '9')))
		return -EINVAL;
	*scale = (int32_t)v;
	return 0;
}

void th_conv_decimal_trim(const unsigned char **p, size_t *n)
{
	while (*n > 1 && (((*p)[0] == 0x00 && !((*p)[1] & 0x80)) ||
	                  ((*p)[0] == 0xff && ((*p)[1] & 0x80)))) {
		(*p)++;
		(*n)--;
	}
}

/* Negates a two's complement number in place. */
static void twos_negate(unsigned char *p, size_t n)
{
	unsigned carry = 1;

	for (size_t i = n; i-- > 0;) {
		unsigned x = (unsigned)(unsigned char)~p[i] + carry;

		p[i] = (unsigned char)x;
		carry = x >> 8;
	}
}

int th_conv_fmt_decimal(struct th_buf *b, const void *in, size_t n,
                        int32_t scale)
{
	const unsigned char *src = in;
	unsigned char *mag;
	char *digits;
	size_t nd = 0, start = 0;
	int64_t adjusted;
	bool neg;
	int rc = -ENOMEM;

	if (n == 0 || n > TH_CONV_DECIMAL_MAX_BYTES)
		return -EINVAL;
	neg = src[0] & 0x80;
	mag = malloc(n);
	digits = malloc(n * 3 + 2);
	if (!mag || !digits)
		goto out_free;
	memcpy(mag, src, n);
	if (neg)
		twos_negate(mag, n);
	/* Repeated division by 10 of the big-endian magnitude; digits come
	 * out least significant first. */
	do {
		unsigned rem = 0;
		bool zero = true;

		for (size_t i = start; i < n; i++) {
			unsigned x = rem << 8 | mag[i];

			mag[i] = (unsigned char)(x / 10);
			rem = x % 10;
			zero = zero && mag[i] == 0;
		}
		digits[nd++] = (char)('0' + rem);
		while (start < n && mag[start] == 0)
			start++;
		if (zero)
			break;
	} while (start < n);
	for (size_t i = 0; i < nd / 2; i++) {
		char t = digits[i];

		digits[i] = digits[nd - 1 - i];
		digits[nd - 1 - i] = t;
	}
	/* BigDecimal.toString: plain unless the scale is negative or the
	 * adjusted exponent is below -6. */
	adjusted = -(int64_t)scale + (int64_t)nd - 1;
	rc = neg ? th_buf_putc(b, '-') : 0;
	if (rc)
		goto out_free;
	if (scale >= 0 && adjusted >= -6) {
		if (scale == 0) {
			rc = th_buf_append(b, digits, nd);
		} else if (nd > (size_t)scale) {
			rc = th_buf_append(b, digits, nd - (size_t)scale);
			if (!rc)
				rc = th_buf_putc(b, '.');
			if (!rc)
				rc = th_buf_append(b,
				                   digits + nd - (size_t)scale,
				                   (size_t)scale);
		} else {
			rc = th_buf_append(b, "0.", 2);
			for (size_t i = nd; i < (size_t)scale && !rc; i++)
				rc = th_buf_putc(b, '0');
			if (!rc)
				rc = th_buf_append(b, digits, nd);
		}
		goto out_free;
	}
	rc = th_buf_putc(b, digits[0]);
	if (!rc && nd > 1) {
		rc = th_buf_putc(b, '.');
		if (!rc)
			rc = th_buf_append(b, digits + 1, nd - 1);
	}
	if (!rc)
		rc = th_buf_printf(b, "E%s%" PRId64, adjusted > 0 ? "+" : "",
		                   adjusted);

out_free:
	free(digits);
	free(mag);
	return rc;
}

int th_conv_decimal_bytes(struct conn_arena *a, bool neg, const char *digits,
                          size_t ndigits, const void **out, size_t *outlen)
{
	const unsigned char *p;
	unsigned char *mag;
	size_t n;

	if (ndigits == 0 || ndigits > TH_CONV_DECIMAL_MAX_DIGITS)
		return -EINVAL;
	/* log2(10)/8 < 0.42 bytes per digit, plus a sign byte. */
	n = ndigits / 2 + 2;
	mag = th_arena_zalloc(a, n);
	if (!mag)
		return -ENOMEM;
	for (size_t i = 0; i < ndigits; i++) {
		unsigned carry;

		if (digits[i] < '0' || digits[i] > '9')
			return -EINVAL;
		carry = (unsigned)(digits[i] - '0');
		for (size_t k = n; k-- > 0;) {
			unsigned x = mag[k] * 10u + carry;

			mag[k] = (unsigned char)x;
			carry = x >> 8;
		}
	}
	if (neg)
		twos_negate(mag, n);
	p = mag;
	th_conv_decimal_trim(&p, &n);
	*out = p;
	*outlen = n;
	return 0;
}

/* --- Time ----------------------------------------------------------------- */

int th_conv_gmtime(int64_t ms, struct tm *tm, int *millis)
{
	int64_t secs = ms / 1000, rem = ms % 1000;
	time_t t;

	if (rem < 0) {
		rem += 1000;
		secs--;
	}
	t = (time_t)secs;
	if (!gmtime_r(&t, tm))
		return -EINVAL;
	*millis = (int)rem;
	return 0;
}
