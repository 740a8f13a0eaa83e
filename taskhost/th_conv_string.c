/*
 * th_conv_string.c: StringConverter
 * (org.apache.kafka.connect.storage.StringConverter).
 *
 * To bytes, Kafka's StringConverter writes value.toString() and ignores the
 * schema; so do we, printing each type as its Java class would: integers
 * in decimal, floats as Double/Float.toString, booleans as true/false,
 * Decimals as BigDecimal.toString, Date/Time/Timestamp as java.util.Date
 * (in UTC, as a worker with user.timezone=UTC prints them), lists as
 * "[a, b]", maps as "{k=v, k2=v2}" and structs as "Struct{a=1,b=x}".
 * Where Java would print an object identity ("[B@1b6d3586" for a byte
 * array), we write something useful instead: the raw bytes at the top
 * level, their base64 form inside a container.
 *
 * From bytes, the result is always an optional string, and the bytes must
 * be valid UTF-8 (Java would silently put U+FFFD in place of bad bytes).
 *
 * Only the UTF-8 encoding is supported (setting converter.encoding).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "th_conv_impl.h"

struct string_conv {
	struct th_buf buf; /* reused between calls */
};

static const char *const utf8_names[] = {"UTF-8", "UTF8", "unicode-1-1-utf-8"};

static int string_init(struct th_conv *c, const struct conn_config *settings,
                       char *err, size_t errlen)
{
	static const char *const keys[] = {"converter.encoding", "encoding"};
	struct string_conv *sc;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *enc = th_conv_setting(settings, keys[i]);
		bool ok = false;

		if (!enc)
			continue;
		for (size_t k = 0;
		     k < sizeof(utf8_names) / sizeof(utf8_names[0]); k++)
			ok = ok || strcasecmp(enc, utf8_names[k]) == 0;
		if (!ok)
			return th_conv_error(
			    err, errlen, -EINVAL,
			    "StringConverter: unsupported %s \"%s\": sluice "
			    "supports only UTF-8",
			    keys[i], enc);
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	c->priv = sc;
	return 0;
}

static void string_fini(struct th_conv *c)
{
	struct string_conv *sc = c->priv;

	if (!sc)
		return;
	th_buf_fini(&sc->buf);
	free(sc);
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* java.util.Date.toString(): "EEE MMM dd HH:mm:ss zzz yyyy", in UTC. */
static int fmt_java_date(struct th_buf *b, int64_t ms)
{
	struct tm tm;
	int millis;

	if (th_conv_gmtime(ms, &tm, &millis) != 0)
		return -EINVAL;
	return th_buf_printf(b, "%s %s %02d %02d:%02d:%02d UTC %d",
	                     wdays[tm.tm_wday], months[tm.tm_mon], tm.tm_mday,
	                     tm.tm_hour, tm.tm_min, tm.tm_sec,
	                     tm.tm_year + 1900);
}

/* Appends the value as Java's toString() would print it. */
/* Appends i in decimal: what "%" PRId64 prints, without printf (a key
 * converted per record made snprintf a tenth of a source task's time). */
static int append_i64(struct th_buf *b, int64_t i)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	return th_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

static int java_str(struct th_buf *b, const struct conn_schema *s,
                    const struct conn_value *v, bool nested, int depth)
{
	const char *sep = "";
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
			return fmt_java_date(b, v->u.i * 86400000);
		if ((th_conv_is_logical(s, CONN_LOGICAL_TIME) &&
		     v->type == CONN_INT32) ||
		    (th_conv_is_logical(s, CONN_LOGICAL_TIMESTAMP) &&
		     v->type == CONN_INT64))
			return fmt_java_date(b, v->u.i);
		return append_i64(b, v->u.i);
	case CONN_FLOAT32:
		return th_conv_fmt_float(b, v->u.f);
	case CONN_FLOAT64:
		return th_conv_fmt_double(b, v->u.f);
	case CONN_BOOLEAN:
		return v->u.b ? th_buf_append(b, "true", 4)
		              : th_buf_append(b, "false", 5);
	case CONN_STRING:
		return th_buf_append(b, v->u.s.p, v->u.s.n);
	case CONN_BYTES:
		if (th_conv_is_logical(s, CONN_LOGICAL_DECIMAL)) {
			int32_t scale;

			if (th_conv_decimal_scale(s, &scale) != 0)
				return -EINVAL;
			return th_conv_fmt_decimal(b, v->u.s.p, v->u.s.n,
			                           scale);
		}
		if (nested)
			return th_conv_base64_encode(b, v->u.s.p, v->u.s.n);
		return th_buf_append(b, v->u.s.p, v->u.s.n);
	case CONN_ARRAY:
		rc = th_buf_putc(b, '[');
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			rc = th_buf_append(b, sep, strlen(sep));
			if (!rc)
				rc = java_str(b, s ? s->keys : NULL,
				              v->u.c.vals[i], true, depth + 1);
			sep = ", ";
		}
		return rc ? rc : th_buf_putc(b, ']');
	case CONN_MAP:
		rc = th_buf_putc(b, '{');
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			rc = th_buf_append(b, sep, strlen(sep));
			if (!rc)
				rc = java_str(b, s ? s->keys : NULL,
				              v->u.c.keys[i], true, depth + 1);
			if (!rc)
				rc = th_buf_putc(b, '=');
			if (!rc)
				rc = java_str(b, s ? s->values : NULL,
				              v->u.c.vals[i], true, depth + 1);
			sep = ", ";
		}
		return rc ? rc : th_buf_putc(b, '}');
	case CONN_STRUCT:
		/* Struct.toString() lists the fields that are set. */
		rc = th_buf_append(b, "Struct{", 7);
		for (size_t i = 0; i < v->u.st.n && !rc; i++) {
			const struct th_field *f = &v->u.st.schema->fields[i];

			if (!v->u.st.fields[i])
				continue;
			rc = th_buf_printf(b, "%s%s=", sep, f->name);
			if (!rc)
				rc = java_str(b, f->schema, v->u.st.fields[i],
				              true, depth + 1);
			sep = ",";
		}
		return rc ? rc : th_buf_putc(b, '}');
	default:
		return -EINVAL;
	}
}

static int string_from(struct th_conv *c, const char *topic, const char *hkey,
                       const struct conn_schema *s, const struct conn_value *v,
                       struct conn_arena *a, struct th_bytes *out, char *err,
                       size_t errlen)
{
	struct string_conv *sc = c->priv;
	void *p;
	int rc;

	(void)topic;
	(void)hkey;
	if (!v)
		return 0;
	if (v->type == CONN_STRING) {
		out->p = v->u.s.p;
		out->n = v->u.s.n;
		return 0;
	}
	th_buf_reset(&sc->buf);
	rc = java_str(&sc->buf, s, v, false, 0);
	if (rc == -ENOMEM)
		return th_conv_error(err, errlen, rc, "Out of memory");
	if (rc)
		return th_conv_error(err, errlen, rc,
		                     "Failed to serialize to a string: cannot "
		                     "format a value of type %s",
		                     th_type_name(v->type));
	p = th_arena_memdup(a, sc->buf.p, sc->buf.len);
	if (!p)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	out->p = p;
	out->n = sc->buf.len;
	return 0;
}

static int string_to(struct th_conv *c, const char *topic, const char *hkey,
                     const struct th_bytes *in, struct conn_arena *a,
                     const struct conn_schema **s, const struct conn_value **v,
                     char *err, size_t errlen)
{
	(void)c;
	(void)topic;
	(void)hkey;
	*s = th_host.schema_std(CONN_STRING, true);
	if (!in->p)
		return 0;
	if (!th_utf8_valid(in->p, in->n))
		return th_conv_error(err, errlen, -EINVAL,
		                     "Failed to deserialize string: the data "
		                     "is not valid UTF-8");
	*v = th_value_string_checked(a, in->p, in->n);
	if (!*v)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	return 0;
}

const struct th_conv_ops th_conv_string_ops = {
    .class_name = "org.apache.kafka.connect.storage.StringConverter",
    .simple_name = "StringConverter",
    .init = string_init,
    .fini = string_fini,
    .from_connect = string_from,
    .to_connect = string_to,
};
