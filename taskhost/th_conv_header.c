/*
 * th_conv_header.c: SimpleHeaderConverter
 * (org.apache.kafka.connect.storage.SimpleHeaderConverter), the default
 * header converter.
 *
 * To bytes: the UTF-8 bytes of Kafka's Values.convertToString(schema,
 * value): strings as they are; numbers as Java prints them (Decimal as
 * BigDecimal.toString); booleans; BYTES as base64; Date, Time and Timestamp
 * values as ISO-8601 text, the pattern chosen by the instant as Kafka's
 * Values.dateFormatFor does ("HH:mm:ss.SSS'Z'" below one day,
 * "yyyy-MM-dd" on a day boundary, else "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"),
 * in UTC; arrays as [a,b], maps as {k:v} and structs as {"field":v}, with
 * strings inside them quoted ("\" and "\\" escaped).
 *
 * From bytes, a subset of Values.parseString: empty -> STRING ""; "null"
 * -> null; "true"/"false" -> BOOLEAN; an ISO time, timestamp or date as
 * above -> Time, Timestamp, Date; a number -> the smallest of INT8..INT64
 * that holds it exactly, else FLOAT32 (if it has a fraction and fits),
 * FLOAT64, or Decimal; anything else -> the STRING as it is. Not covered:
 * Kafka also parses "[...]" and "{...}" into ARRAY and MAP values with
 * inferred schemas; we keep those as STRING. Bytes that are not UTF-8
 * come back as BYTES, which is what Kafka falls back to when parsing fails.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "th_conv_impl.h"

static const int64_t ms_per_day = 86400000;

struct header_conv {
	struct th_buf buf; /* reused between calls */
};

static int header_init(struct th_conv *c, const struct conn_config *settings,
                       char *err, size_t errlen)
{
	struct header_conv *hc;

	(void)settings;
	hc = calloc(1, sizeof(*hc));
	if (!hc)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	c->priv = hc;
	return 0;
}

static void header_fini(struct th_conv *c)
{
	struct header_conv *hc = c->priv;

	if (!hc)
		return;
	th_buf_fini(&hc->buf);
	free(hc);
}

/* --- To bytes ------------------------------------------------------------- */

/* Values.dateFormatFor(date).format(date), in UTC. */
static int fmt_instant(struct th_buf *b, int64_t ms)
{
	struct tm tm;
	int millis;

	if (th_conv_gmtime(ms, &tm, &millis) != 0)
		return -EINVAL;
	if (ms < ms_per_day)
		return th_buf_printf(b, "%02d:%02d:%02d.%03dZ", tm.tm_hour,
		                     tm.tm_min, tm.tm_sec, millis);
	if (ms % ms_per_day == 0)
		return th_buf_printf(b, "%04d-%02d-%02d", tm.tm_year + 1900,
		                     tm.tm_mon + 1, tm.tm_mday);
	return th_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	                     tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

/* Values.escape(): backslashes doubled, quotes backslashed. */
static int put_quoted(struct th_buf *b, const char *p, size_t n)
{
	int rc = th_buf_putc(b, '"');

	for (size_t i = 0; i < n && !rc; i++) {
		if (p[i] == '\\' || p[i] == '"')
			rc = th_buf_putc(b, '\\');
		if (!rc)
			rc = th_buf_putc(b, p[i]);
	}
	return rc ? rc : th_buf_putc(b, '"');
}

/* Values.append(sb, value, embedded). */
static int append(struct th_buf *b, const struct conn_schema *s,
                  const struct conn_value *v, bool embedded, int depth)
{
	int rc = 0;

	if (depth > TH_MAX_DEPTH)
		return -EINVAL;
	if (!v || v->type == CONN_NULL)
		return th_buf_append(b, "null", 4);
	if (s && s->type != v->type)
		s = NULL;
	switch (v->type) {
	case CONN_INT8:
	case CONN_INT16:
	case CONN_INT32:
	case CONN_INT64:
		/* Date and Time are INT32, Timestamp INT64; a schema that
		 * says otherwise is printed as a plain number. */
		if (th_conv_is_logical(s, CONN_LOGICAL_DATE) &&
		    v->type == CONN_INT32)
			return fmt_instant(b, v->u.i * ms_per_day);
		if ((th_conv_is_logical(s, CONN_LOGICAL_TIME) &&
		     v->type == CONN_INT32) ||
		    (th_conv_is_logical(s, CONN_LOGICAL_TIMESTAMP) &&
		     v->type == CONN_INT64))
			return fmt_instant(b, v->u.i);
		return th_buf_printf(b, "%" PRId64, v->u.i);
	case CONN_FLOAT32:
		return th_conv_fmt_float(b, v->u.f);
	case CONN_FLOAT64:
		return th_conv_fmt_double(b, v->u.f);
	case CONN_BOOLEAN:
		return v->u.b ? th_buf_append(b, "true", 4)
		              : th_buf_append(b, "false", 5);
	case CONN_STRING:
		if (embedded)
			return put_quoted(b, v->u.s.p, v->u.s.n);
		return th_buf_append(b, v->u.s.p, v->u.s.n);
	case CONN_BYTES:
		if (th_conv_is_logical(s, CONN_LOGICAL_DECIMAL)) {
			int32_t scale;

			if (th_conv_decimal_scale(s, &scale) != 0)
				return -EINVAL;
			return th_conv_fmt_decimal(b, v->u.s.p, v->u.s.n,
			                           scale);
		}
		if (embedded)
			rc = th_buf_putc(b, '"');
		if (!rc)
			rc = th_conv_base64_encode(b, v->u.s.p, v->u.s.n);
		if (!rc && embedded)
			rc = th_buf_putc(b, '"');
		return rc;
	case CONN_ARRAY:
		rc = th_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			if (i)
				rc = th_buf_putc(b, ',');
			if (!rc)
				rc = append(b, s ? s->keys : NULL,
				            v->u.c.vals[i], true, depth + 1);
		}
		return rc ? rc : th_buf_putc(b, ']');
	case CONN_MAP:
		rc = th_buf_putc(b, '{');
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			if (i)
				rc = th_buf_putc(b, ',');
			if (!rc)
				rc = append(b, s ? s->keys : NULL,
				            v->u.c.keys[i], true, depth + 1);
			if (!rc)
				rc = th_buf_putc(b, ':');
			if (!rc)
				rc = append(b, s ? s->values : NULL,
				            v->u.c.vals[i], true, depth + 1);
		}
		return rc ? rc : th_buf_putc(b, '}');
	case CONN_STRUCT:
		rc = th_buf_putc(b, '{');
		for (size_t i = 0; i < v->u.st.schema->nfields && !rc; i++) {
			const struct th_field *f = &v->u.st.schema->fields[i];
			/* Struct.get(): an unset field reads as its default. */
			const struct conn_value *fv = th_host.value_at(v, i);

			if (i)
				rc = th_buf_putc(b, ',');
			if (!rc)
				rc = put_quoted(b, f->name, strlen(f->name));
			if (!rc)
				rc = th_buf_putc(b, ':');
			if (!rc)
				rc = append(b, f->schema, fv, true, depth + 1);
		}
		return rc ? rc : th_buf_putc(b, '}');
	default:
		return -EINVAL;
	}
}

static int header_from(struct th_conv *c, const char *topic, const char *hkey,
                       const struct conn_schema *s, const struct conn_value *v,
                       struct conn_arena *a, struct th_bytes *out, char *err,
                       size_t errlen)
{
	struct header_conv *hc = c->priv;
	void *p;
	int rc;

	(void)topic;
	if (!v)
		return 0;
	if (v->type == CONN_STRING) {
		out->p = v->u.s.p;
		out->n = v->u.s.n;
		return 0;
	}
	th_buf_reset(&hc->buf);
	rc = append(&hc->buf, s, v, false, 0);
	if (rc == -ENOMEM)
		return th_conv_error(err, errlen, rc, "Out of memory");
	if (rc)
		return th_conv_error(
		    err, errlen, rc,
		    "Failed to convert header '%s' of type %s to a string",
		    hkey ? hkey : "", th_type_name(v->type));
	p = th_arena_memdup(a, hc->buf.p, hc->buf.len);
	if (!p)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	out->p = p;
	out->n = hc->buf.len;
	return 0;
}

/* --- From bytes ----------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; d may overflow the
 * month, as SimpleDateFormat's lenient parsing allows). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	/* Normalize the month, carrying into the year. */
	m -= 1;
	y += m >= 0 ? m / 12 : (m - 11) / 12;
	m = ((m % 12) + 12) % 12 + 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Reads n digits at p; -1 if they are not all digits. */
static int64_t digits_at(const char *p, size_t n)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "HH:mm:ss.SSSZ" -> ms of the day; -1 if it is not one. */
static int64_t parse_time(const char *p)
{
	int64_t h = digits_at(p, 2), m = digits_at(p + 3, 2);
	int64_t s = digits_at(p + 6, 2), ms = digits_at(p + 9, 3);

	if (p[2] != ':' || p[5] != ':' || p[8] != '.' || p[12] != 'Z' ||
	    h < 0 || m < 0 || s < 0 || ms < 0)
		return -1;
	return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/* "yyyy-MM-dd" -> days; INT64_MIN if it is not one. */
static int64_t parse_date(const char *p)
{
	int64_t y = digits_at(p, 4), m = digits_at(p + 5, 2);
	int64_t d = digits_at(p + 8, 2);

	if (p[4] != '-' || p[7] != '-' || y < 0 || m < 0 || d < 0)
		return INT64_MIN;
	return days_from_civil(y, m, d);
}

struct parsed {
	const struct conn_schema *s;
	const struct conn_value *v;
};

/* An ISO time, timestamp or date; -EINVAL if t is none of them. */
static int parse_temporal(struct conn_arena *a, const char *t, size_t n,
                          struct parsed *out)
{
	int64_t days, ms;

	if (n == 13) {
		ms = parse_time(t);
		if (ms < 0 || ms > INT32_MAX)
			return -EINVAL;
		out->s = th_host.schema_time(a);
		out->v = th_host.value_int(a, CONN_INT32, ms);
	} else if (n == 24 && t[10] == 'T') {
		days = parse_date(t);
		ms = parse_time(t + 11);
		if (days == INT64_MIN || ms < 0)
			return -EINVAL;
		out->s = th_host.schema_timestamp(a);
		out->v =
		    th_host.value_int(a, CONN_INT64, days * ms_per_day + ms);
	} else if (n == 10) {
		days = parse_date(t);
		if (days == INT64_MIN || days < INT32_MIN || days > INT32_MAX)
			return -EINVAL;
		out->s = th_host.schema_date(a);
		out->v = th_host.value_int(a, CONN_INT32, days);
	} else {
		return -EINVAL;
	}
	return out->s && out->v ? 0 : -ENOMEM;
}

/* The value of D * 10^E, if it is an integer that fits 64 bits. */
static bool exact_integer(const char *d, size_t nd, int64_t e, bool neg,
                          int64_t *out)
{
	uint64_t acc = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	size_t keep = nd;

	if (nd == 1 && d[0] == '0') {
		*out = 0;
		return true;
	}
	if (e < 0) {
		/* The dropped digits must all be zeros. */
		if ((uint64_t)-e >= nd)
			return false;
		keep = nd - (size_t)-e;
		for (size_t i = keep; i < nd; i++)
			if (d[i] != '0')
				return false;
		e = 0;
	}
	if ((int64_t)keep + e > 19)
		return false;
	for (size_t i = 0; i < keep + (size_t)e; i++) {
		unsigned dig = i < keep ? (unsigned)(d[i] - '0') : 0;

		if (acc > (lim - dig) / 10)
			return false;
		acc = acc * 10 + dig;
	}
	*out =
	    neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc)
	        : (int64_t)acc;
	return true;
}

/*
 * Parses t as Java's new BigDecimal(t) would; -EINVAL if it is not a
 * number (or too long to bother with), -ENOMEM.
 * The result is typed as Values.parse does: an exact integer gets the
 * smallest INT type; else FLOAT32 if the scale is not 0 and the value fits
 * a float, FLOAT64 likewise, else a Decimal.
 */
static int parse_number(struct conn_arena *a, const char *t, size_t n,
                        struct parsed *out)
{
	static const uint32_t int_types[] = {CONN_INT8, CONN_INT16, CONN_INT32,
	                                     CONN_INT64};
	static const int64_t int_max[] = {INT8_MAX, INT16_MAX, INT32_MAX,
	                                  INT64_MAX};
	char *digits, *text;
	size_t i = 0, nd = 0, nfrac = 0, lead;
	int64_t e = 0, scale, iv;
	bool neg = false;
	const void *p;
	size_t plen;
	int rc = -EINVAL;

	if (n > TH_CONV_DECIMAL_MAX_DIGITS)
		return -EINVAL;
	digits = malloc(n + 1);
	text = malloc(n + 1);
	if (!digits || !text) {
		rc = -ENOMEM;
		goto out_free;
	}
	memcpy(text, t, n);
	text[n] = '\0';
	if (t[i] == '+' || t[i] == '-')
		neg = t[i++] == '-';
	for (; i < n && t[i] >= '0' && t[i] <= '9'; i++)
		digits[nd++] = t[i];
	if (i < n && t[i] == '.')
		for (i++; i < n && t[i] >= '0' && t[i] <= '9'; i++, nfrac++)
			digits[nd++] = t[i];
	if (nd == 0)
		goto out_free;
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		bool eneg = false;
		size_t start;

		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			eneg = t[i++] == '-';
		start = i;
		for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
			e = e * 10 + (t[i] - '0');
			if (e > INT32_MAX)
				goto out_free;
		}
		if (i == start)
			goto out_free;
		if (eneg)
			e = -e;
	}
	if (i != n)
		goto out_free;
	/* BigDecimal's scale is fraction digits minus the exponent; Java
	 * refuses a number whose scale does not fit an int. */
	scale = (int64_t)nfrac - e;
	if (scale < INT32_MIN || scale > INT32_MAX)
		goto out_free;
	for (lead = 0; lead + 1 < nd && digits[lead] == '0'; lead++)
		;
	if (exact_integer(digits + lead, nd - lead, -scale, neg, &iv)) {
		for (size_t k = 0; k < 4; k++) {
			if (iv < -int_max[k] - 1 || iv > int_max[k])
				continue;
			out->s = th_host.schema_std(int_types[k], false);
			out->v = th_host.value_int(a, int_types[k], iv);
			break;
		}
	} else if (scale != 0 && isfinite(strtof(text, NULL))) {
		out->s = th_host.schema_std(CONN_FLOAT32, false);
		out->v =
		    th_host.value_float(a, CONN_FLOAT32, strtof(text, NULL));
	} else if (scale != 0 && isfinite(strtod(text, NULL))) {
		out->s = th_host.schema_std(CONN_FLOAT64, false);
		out->v =
		    th_host.value_float(a, CONN_FLOAT64, strtod(text, NULL));
	} else {
		rc = th_conv_decimal_bytes(a, neg, digits + lead, nd - lead, &p,
		                           &plen);
		if (rc)
			goto out_free;
		out->s = th_host.schema_decimal(a, (int)scale);
		out->v = th_host.value_bytes(a, p, plen);
	}
	rc = out->s && out->v ? 0 : -ENOMEM;

out_free:
	free(text);
	free(digits);
	return rc;
}

static int header_to(struct th_conv *c, const char *topic, const char *hkey,
                     const struct th_bytes *in, struct conn_arena *a,
                     const struct conn_schema **s, const struct conn_value **v,
                     char *err, size_t errlen)
{
	struct parsed out = {0};
	const char *t = in->p;
	size_t n = in->n;
	int rc = -EINVAL;

	(void)c;
	(void)topic;
	(void)hkey;
	if (!in->p)
		return 0;
	if (!th_utf8_valid(in->p, in->n)) {
		*s = th_host.schema_std(CONN_BYTES, false);
		*v = th_host.value_bytes(a, in->p, in->n);
		goto out_check;
	}
	/* Tokens are trimmed; a value that is only a string keeps its
	 * spaces. */
	while (n && (unsigned char)*t <= ' ') {
		t++;
		n--;
	}
	while (n && (unsigned char)t[n - 1] <= ' ')
		n--;
	if (n == 4 && memcmp(t, "null", 4) == 0)
		return 0;
	if ((n == 4 && memcmp(t, "true", 4) == 0) ||
	    (n == 5 && memcmp(t, "false", 5) == 0)) {
		*s = th_host.schema_std(CONN_BOOLEAN, false);
		*v = th_host.value_bool(a, n == 4);
		goto out_check;
	}
	if (n && t[0] >= '0' && t[0] <= '9')
		rc = parse_temporal(a, t, n, &out);
	if (rc == -EINVAL && n &&
	    ((t[0] >= '0' && t[0] <= '9') || t[0] == '+' || t[0] == '-'))
		rc = parse_number(a, t, n, &out);
	if (rc == -ENOMEM)
		return th_conv_error(err, errlen, rc, "Out of memory");
	if (rc == 0) {
		*s = out.s;
		*v = out.v;
		return 0;
	}
	*s = th_host.schema_std(CONN_STRING, false);
	*v = th_value_string_checked(a, in->p, in->n);

out_check:
	if (!*s || !*v)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	return 0;
}

const struct th_conv_ops th_conv_header_ops = {
    .class_name = "org.apache.kafka.connect.storage.SimpleHeaderConverter",
    .simple_name = "SimpleHeaderConverter",
    .header_only = true,
    .init = header_init,
    .fini = header_fini,
    .from_connect = header_from,
    .to_connect = header_to,
};
