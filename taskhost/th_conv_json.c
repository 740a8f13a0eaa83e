/*
 * th_conv_json.c: JsonConverter (org.apache.kafka.connect.json.JsonConverter)
 * and the schemaless th_json_encode/th_json_decode.
 *
 * Writing: the output is byte for byte what Kafka Connect's JsonConverter
 * writes through Jackson (compact, keys in insertion order):
 *
 * - With schemas.enable (the default), the envelope
 *   {"schema":<schema>,"payload":<value>}; "schema" is null for schemaless
 *   data. A null value without a schema is a null record (tombstone), with
 *   or without the envelope.
 * - A schema is written as JsonConverter.asJsonSchema builds it: "type";
 *   then "items" (ARRAY), "keys" and "values" (MAP) or "fields" (STRUCT);
 *   then "optional", and if set "name", "version", "doc", "parameters",
 *   "default". A struct field is its schema's object with "field": <name>
 *   added last.
 * - Payloads: structs as objects in field order; maps with STRING keys as
 *   objects, other maps as arrays of [key, value] pairs; BYTES as base64;
 *   Decimal as base64 of the unscaled two's complement bytes, or with
 *   decimal.format=NUMERIC as BigDecimal.toString(); Date, Time and
 *   Timestamp as their integer values; doubles and floats as Java's
 *   Double/Float.toString, NaN and infinities as the strings "NaN",
 *   "Infinity", "-Infinity" (Jackson's QUOTE_NON_NUMERIC_NUMBERS).
 * - A null where the schema has a default writes the default when
 *   replace.null.with.default is true (the default); otherwise null if the
 *   schema is optional; otherwise the conversion fails.
 * - Strings are escaped as Jackson does: \" \\ \b \f \n \r \t, other
 *   control characters as \u00XX; "/" and non-ASCII are written as is.
 *
 * Reading uses jansson. Where Kafka (through Jackson) is lax, we are
 * strict and say why: a JSON value of the wrong type for its schema (Kafka
 * reads a string as 0 for an INT32 field), an integer out of range of its
 * INT type (Kafka truncates), numbers beyond 64 bits or beyond double
 * range (jansson refuses them; Jackson reads BigInteger/BigDecimal), text
 * after the JSON value (Jackson ignores it), a NUMERIC Decimal with more
 * fraction digits than its scale. Duplicate object keys keep the last
 * value in the first key's place, as Jackson's ObjectNode does. As an
 * extension, "NaN", "Infinity" and "-Infinity" read back as FLOAT32/64
 * values, so that what we write round-trips. A NUMERIC Decimal written as
 * a non-integer JSON number is read through a double, so one that a
 * double cannot carry exactly (more than 15 significant digits, or below
 * its normal range) is refused; integers are exact up to 64 bits.
 * schemas.cache.size is accepted and ignored: we build schemas per message.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "th_conv_impl.h"

struct json_conv {
	bool schemas_enable;
	bool decimal_numeric;
	bool replace_null;
	struct th_buf buf; /* reused between calls */
};

/* --- Settings ------------------------------------------------------------- */

static int json_init(struct th_conv *c, const struct conn_config *settings,
                     char *err, size_t errlen)
{
	struct json_conv *jc;
	const char *v;
	bool enable, replace, numeric = false;
	int rc;

	rc = th_conv_setting_bool(settings, "schemas.enable", true, &enable,
	                          err, errlen);
	if (rc)
		return rc;
	rc = th_conv_setting_bool(settings, "replace.null.with.default", true,
	                          &replace, err, errlen);
	if (rc)
		return rc;
	v = th_conv_setting(settings, "decimal.format");
	if (v) {
		if (strcasecmp(v, "NUMERIC") == 0)
			numeric = true;
		else if (strcasecmp(v, "BASE64") != 0)
			return th_conv_error(
			    err, errlen, -EINVAL,
			    "Invalid value %s for configuration "
			    "decimal.format: String must be one of (case "
			    "insensitive): BASE64, NUMERIC",
			    v);
	}
	v = th_conv_setting(settings, "schemas.cache.size");
	if (v) {
		char *end;
		long n;

		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < INT32_MIN || n > INT32_MAX)
			return th_conv_error(
			    err, errlen, -EINVAL,
			    "Invalid value %s for configuration "
			    "schemas.cache.size: Not a number of type INT",
			    v);
	}
	jc = calloc(1, sizeof(*jc));
	if (!jc)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	jc->schemas_enable = enable;
	jc->decimal_numeric = numeric;
	jc->replace_null = replace;
	c->priv = jc;
	return 0;
}

static void json_fini(struct th_conv *c)
{
	struct json_conv *jc = c->priv;

	if (!jc)
		return;
	th_buf_fini(&jc->buf);
	free(jc);
}

/* --- Writing -------------------------------------------------------------- */

struct jwriter {
	struct th_buf *b;
	bool decimal_numeric;
	bool replace_null;
	char *err;
	size_t errlen;
};

static int put(struct jwriter *w, const char *s)
{
	return th_buf_append(w->b, s, strlen(s));
}

static int put_string(struct jwriter *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t run = 0;
	int rc;

	rc = th_buf_putc(w->b, '"');
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[7] = "\\u00";
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		rc = th_buf_append(w->b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			elen = 6;
			break;
		}
		if (!rc)
			rc = th_buf_append(w->b, esc, elen);
	}
	if (!rc)
		rc = th_buf_append(w->b, s + run, n - run);
	return rc ? rc : th_buf_putc(w->b, '"');
}

static int put_int(struct jwriter *w, int64_t i)
{
	char buf[24], *q = buf + sizeof(buf);
	uint64_t m = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;

	do {
		*--q = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (i < 0)
		*--q = '-';
	return th_buf_append(w->b, q, (size_t)(buf + sizeof(buf) - q));
}

static int put_cstring(struct jwriter *w, const char *s)
{
	return put_string(w, s, strlen(s));
}

static int put_base64(struct jwriter *w, const void *p, size_t n)
{
	int rc = th_buf_putc(w->b, '"');

	if (!rc)
		rc = th_conv_base64_encode(w->b, p, n);
	return rc ? rc : th_buf_putc(w->b, '"');
}

static int put_float(struct jwriter *w, double d, bool is_float)
{
	int rc;

	if (isfinite(d))
		return is_float ? th_conv_fmt_float(w->b, d)
		                : th_conv_fmt_double(w->b, d);
	rc = th_buf_putc(w->b, '"');
	if (!rc)
		rc = th_conv_fmt_double(w->b, d);
	return rc ? rc : th_buf_putc(w->b, '"');
}

static const char *const schema_type_names[] = {
    [CONN_INT8] = "int8",       [CONN_INT16] = "int16",
    [CONN_INT32] = "int32",     [CONN_INT64] = "int64",
    [CONN_FLOAT32] = "float",   [CONN_FLOAT64] = "double",
    [CONN_BOOLEAN] = "boolean", [CONN_STRING] = "string",
    [CONN_BYTES] = "bytes",     [CONN_ARRAY] = "array",
    [CONN_MAP] = "map",         [CONN_STRUCT] = "struct",
};

static int too_deep(struct jwriter *w)
{
	return th_conv_error(w->err, w->errlen, -EINVAL,
	                     "Data nested deeper than %d levels", TH_MAX_DEPTH);
}

static int write_value(struct jwriter *w, const struct conn_schema *s,
                       const struct conn_value *v, int depth);

/* Writes s as asJsonSchema does; a struct field passes its name. */
static int write_schema(struct jwriter *w, const struct conn_schema *s,
                        const char *field, int depth)
{
	int rc;

	if (depth > TH_MAX_DEPTH)
		return too_deep(w);
	if (!s)
		return put(w, "null");
	if (s->type < CONN_INT8 || s->type > CONN_STRUCT)
		return th_conv_error(
		    w->err, w->errlen, -EINVAL,
		    "Couldn't translate unsupported schema type %u.", s->type);
	rc = put(w, "{\"type\":");
	if (!rc)
		rc = put_cstring(w, schema_type_names[s->type]);
	if (rc)
		return rc;
	switch (s->type) {
	case CONN_ARRAY:
		rc = put(w, ",\"items\":");
		if (!rc)
			rc = write_schema(w, s->keys, NULL, depth + 1);
		break;
	case CONN_MAP:
		rc = put(w, ",\"keys\":");
		if (!rc)
			rc = write_schema(w, s->keys, NULL, depth + 1);
		if (!rc)
			rc = put(w, ",\"values\":");
		if (!rc)
			rc = write_schema(w, s->values, NULL, depth + 1);
		break;
	case CONN_STRUCT:
		rc = put(w, ",\"fields\":[");
		for (size_t i = 0; i < s->nfields && !rc; i++) {
			if (i)
				rc = th_buf_putc(w->b, ',');
			if (!rc)
				rc = write_schema(w, s->fields[i].schema,
				                  s->fields[i].name, depth + 1);
		}
		if (!rc)
			rc = th_buf_putc(w->b, ']');
		break;
	default:
		break;
	}
	if (!rc)
		rc = put(w, s->optional ? ",\"optional\":true"
		                        : ",\"optional\":false");
	if (!rc && s->name) {
		rc = put(w, ",\"name\":");
		if (!rc)
			rc = put_cstring(w, s->name);
	}
	if (!rc && s->version)
		rc = th_buf_printf(w->b, ",\"version\":%" PRId32, s->version);
	if (!rc && s->doc) {
		rc = put(w, ",\"doc\":");
		if (!rc)
			rc = put_cstring(w, s->doc);
	}
	if (!rc && s->nparams) {
		rc = put(w, ",\"parameters\":{");
		for (size_t i = 0; i < s->nparams && !rc; i++) {
			if (i)
				rc = th_buf_putc(w->b, ',');
			if (!rc)
				rc = put_cstring(w, s->params[i].key);
			if (!rc)
				rc = th_buf_putc(w->b, ':');
			if (!rc)
				rc = put_cstring(w, s->params[i].value);
		}
		if (!rc)
			rc = th_buf_putc(w->b, '}');
	}
	if (!rc && s->def) {
		rc = put(w, ",\"default\":");
		if (!rc)
			rc = write_value(w, s, s->def, depth + 1);
	}
	if (!rc && field) {
		rc = put(w, ",\"field\":");
		if (!rc)
			rc = put_cstring(w, field);
	}
	return rc ? rc : th_buf_putc(w->b, '}');
}

static int wrong_type(struct jwriter *w, const char *what,
                      const struct conn_value *v)
{
	return th_conv_error(w->err, w->errlen, -EINVAL,
	                     "Invalid type for %s: %s", what,
	                     th_type_name(v->type));
}

/* The logical types JsonConverter converts (its LOGICAL_CONVERTERS). */
static bool is_logical(const struct conn_schema *s)
{
	return th_conv_is_logical(s, CONN_LOGICAL_DECIMAL) ||
	       th_conv_is_logical(s, CONN_LOGICAL_DATE) ||
	       th_conv_is_logical(s, CONN_LOGICAL_TIME) ||
	       th_conv_is_logical(s, CONN_LOGICAL_TIMESTAMP);
}

/* Decimal, Date, Time or Timestamp: is_logical(s). */
static int write_logical(struct jwriter *w, const struct conn_schema *s,
                         const struct conn_value *v)
{
	const unsigned char *p;
	int32_t scale;
	size_t n;
	int rc;

	if (th_conv_is_logical(s, CONN_LOGICAL_DECIMAL)) {
		if (v->type != CONN_BYTES || s->type != CONN_BYTES)
			return wrong_type(w, "Decimal", v);
		p = (const unsigned char *)v->u.s.p;
		n = v->u.s.n;
		if (n == 0)
			return th_conv_error(w->err, w->errlen, -EINVAL,
			                     "Invalid Decimal value: no bytes");
		/* BigInteger.toByteArray() is minimal; so is what Kafka
		 * writes for the same number. */
		th_conv_decimal_trim(&p, &n);
		/* Decimal.fromLogical checks the scale in either format. */
		if (th_conv_decimal_scale(s, &scale) != 0)
			return th_conv_error(w->err, w->errlen, -EINVAL,
			                     "Invalid Decimal schema: scale "
			                     "parameter not found.");
		if (!w->decimal_numeric)
			return put_base64(w, p, n);
		rc = th_conv_fmt_decimal(w->b, p, n, scale);
		if (rc == -EINVAL)
			return th_conv_error(
			    w->err, w->errlen, rc,
			    "Invalid Decimal value: more than %d bytes",
			    TH_CONV_DECIMAL_MAX_BYTES);
		return rc;
	}
	if (th_conv_is_logical(s, CONN_LOGICAL_DATE) ||
	    th_conv_is_logical(s, CONN_LOGICAL_TIME)) {
		if (v->type != CONN_INT32 || s->type != CONN_INT32)
			return wrong_type(w, s->name, v);
		return put_int(w, v->u.i);
	}
	/* Timestamp */
	if (v->type != CONN_INT64 || s->type != CONN_INT64)
		return wrong_type(w, s->name, v);
	return put_int(w, v->u.i);
}

static bool all_string_keys(const struct conn_value *m)
{
	for (size_t i = 0; i < m->u.c.n; i++)
		if (!m->u.c.keys[i] || m->u.c.keys[i]->type != CONN_STRING)
			return false;
	return true;
}

static int write_map(struct jwriter *w, const struct conn_schema *s,
                     const struct conn_value *v, int depth)
{
	const struct conn_schema *ks = s ? s->keys : NULL;
	const struct conn_schema *vs = s ? s->values : NULL;
	bool object = s ? ks && ks->type == CONN_STRING : all_string_keys(v);
	int rc = th_buf_putc(w->b, object ? '{' : '[');

	for (size_t i = 0; i < v->u.c.n && !rc; i++) {
		const struct conn_value *k = v->u.c.keys[i];

		if (i)
			rc = th_buf_putc(w->b, ',');
		if (rc)
			break;
		if (object) {
			if (!k || k->type != CONN_STRING)
				return th_conv_error(
				    w->err, w->errlen, -EINVAL,
				    "Invalid type for STRING: %s",
				    th_type_name(k ? k->type : CONN_NULL));
			rc = put_string(w, k->u.s.p, k->u.s.n);
			if (!rc)
				rc = th_buf_putc(w->b, ':');
		} else {
			rc = th_buf_putc(w->b, '[');
			if (!rc)
				rc = write_value(w, ks, k, depth + 1);
			if (!rc)
				rc = th_buf_putc(w->b, ',');
		}
		if (!rc)
			rc = write_value(w, vs, v->u.c.vals[i], depth + 1);
		if (!rc && !object)
			rc = th_buf_putc(w->b, ']');
	}
	return rc ? rc : th_buf_putc(w->b, object ? '}' : ']');
}

static int write_struct(struct jwriter *w, const struct conn_schema *s,
                        const struct conn_value *v, int depth)
{
	int rc;

	if (!s || (v->u.st.schema != s && !th_schema_equal(v->u.st.schema, s)))
		return th_conv_error(w->err, w->errlen, -EINVAL,
		                     "Mismatching schema.");
	rc = th_buf_putc(w->b, '{');
	for (size_t i = 0; i < s->nfields && !rc; i++) {
		const struct conn_value *f = NULL;

		if (i < v->u.st.n)
			f = v->u.st.fields[i];
		if (i)
			rc = th_buf_putc(w->b, ',');
		if (!rc)
			rc = put_cstring(w, s->fields[i].name);
		if (!rc)
			rc = th_buf_putc(w->b, ':');
		if (!rc)
			rc = write_value(w, s->fields[i].schema, f, depth + 1);
	}
	return rc ? rc : th_buf_putc(w->b, '}');
}

/* convertToJson(schema, value). */
static int write_value(struct jwriter *w, const struct conn_schema *s,
                       const struct conn_value *v, int depth)
{
	uint32_t type;
	int rc;

	if (depth > TH_MAX_DEPTH)
		return too_deep(w);
	if (!v || v->type == CONN_NULL) {
		if (!s)
			return put(w, "null");
		if (s->def && w->replace_null)
			return write_value(w, s, s->def, depth + 1);
		if (s->optional)
			return put(w, "null");
		return th_conv_error(
		    w->err, w->errlen, -EINVAL,
		    "Conversion error: null value for field that is required "
		    "and has no default value");
	}
	if (is_logical(s))
		return write_logical(w, s, v);
	type = s ? s->type : v->type;
	if (v->type != type)
		return wrong_type(w, th_type_name(type), v);
	switch (type) {
	case CONN_INT8:
	case CONN_INT16:
	case CONN_INT32:
	case CONN_INT64:
		return put_int(w, v->u.i);
	case CONN_FLOAT32:
		return put_float(w, v->u.f, true);
	case CONN_FLOAT64:
		return put_float(w, v->u.f, false);
	case CONN_BOOLEAN:
		return put(w, v->u.b ? "true" : "false");
	case CONN_STRING:
		return put_string(w, v->u.s.p, v->u.s.n);
	case CONN_BYTES:
		return put_base64(w, v->u.s.p, v->u.s.n);
	case CONN_ARRAY:
		rc = th_buf_putc(w->b, '[');
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			if (i)
				rc = th_buf_putc(w->b, ',');
			if (!rc)
				rc = write_value(w, s ? s->keys : NULL,
				                 v->u.c.vals[i], depth + 1);
		}
		return rc ? rc : th_buf_putc(w->b, ']');
	case CONN_MAP:
		return write_map(w, s, v, depth);
	case CONN_STRUCT:
		return write_struct(w, s, v, depth);
	default:
		return th_conv_error(
		    w->err, w->errlen, -EINVAL,
		    "Couldn't convert a value of type %u to JSON.", type);
	}
}

/* Out-of-memory has no message from the writer; give it one. */
static int writer_result(struct jwriter *w, int rc)
{
	if (rc == -ENOMEM)
		th_conv_error(w->err, w->errlen, rc, "Out of memory");
	return rc;
}

static int json_from(struct th_conv *c, const char *topic, const char *hkey,
                     const struct conn_schema *s, const struct conn_value *v,
                     struct conn_arena *a, struct th_bytes *out, char *err,
                     size_t errlen)
{
	struct json_conv *jc = c->priv;
	struct jwriter w = {
	    .b = &jc->buf,
	    .decimal_numeric = jc->decimal_numeric,
	    .replace_null = jc->replace_null,
	    .err = err,
	    .errlen = errlen,
	};
	void *p;
	int rc = 0;

	(void)topic;
	(void)hkey;
	/* fromConnectData: no schema and no value is a null record. */
	if (!s && !v)
		return 0;
	th_buf_reset(&jc->buf);
	if (jc->schemas_enable) {
		rc = put(&w, "{\"schema\":");
		if (!rc)
			rc = write_schema(&w, s, NULL, 0);
		if (!rc)
			rc = put(&w, ",\"payload\":");
		if (!rc)
			rc = write_value(&w, s, v, 0);
		if (!rc)
			rc = th_buf_putc(&jc->buf, '}');
	} else {
		rc = write_value(&w, s, v, 0);
	}
	if (rc)
		return writer_result(&w, rc);
	p = th_arena_memdup(a, jc->buf.p, jc->buf.len);
	if (!p)
		return th_conv_error(err, errlen, -ENOMEM, "Out of memory");
	out->p = p;
	out->n = jc->buf.len;
	return 0;
}

int th_json_encode(const struct conn_value *v, struct th_buf *out, char *err,
                   size_t errlen)
{
	struct jwriter w = {
	    .b = out,
	    .replace_null = true,
	    .err = err,
	    .errlen = errlen,
	};

	if (!out)
		return th_conv_error(err, errlen, -EINVAL, "No output buffer");
	return writer_result(&w, write_value(&w, NULL, v, 0));
}

/* --- Reading -------------------------------------------------------------- */

struct jreader {
	struct conn_arena *a;
	bool replace_null;
	char *err;
	size_t errlen;
	/* The input, scanned for inexact reals when a Decimal needs it. */
	const char *text;
	size_t textlen;
	bool scanned;
	double *inexact; /* sorted */
	size_t ninexact;
};

/* Jackson's JsonNodeType names, for messages. */
static const char *node_type(const json_t *j)
{
	if (!j)
		return "MISSING";
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "OBJECT";
	case JSON_ARRAY:
		return "ARRAY";
	case JSON_STRING:
		return "STRING";
	case JSON_INTEGER:
	case JSON_REAL:
		return "NUMBER";
	case JSON_TRUE:
	case JSON_FALSE:
		return "BOOLEAN";
	default:
		return "NULL";
	}
}

static int rfail(struct jreader *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int rfail(struct jreader *r, int rc, const char *fmt, ...)
{
	va_list ap;

	if (r->err && r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err, r->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int nomem(struct jreader *r)
{
	return rfail(r, -ENOMEM, "Out of memory");
}

static int read_value(struct jreader *r, const struct conn_schema *s,
                      const json_t *j, const struct conn_value **out,
                      int depth);

static int schema_type_of(const char *name, uint32_t *type)
{
	for (uint32_t t = CONN_INT8; t <= CONN_STRUCT; t++) {
		if (strcmp(name, schema_type_names[t]) == 0) {
			*type = t;
			return 0;
		}
	}
	return -EINVAL;
}

static int read_struct_schema(struct jreader *r, struct conn_schema *s,
                              const json_t *j, int depth);

/* asConnectSchema(jsonSchema): NULL for a JSON null. */
static int read_schema(struct jreader *r, const json_t *j,
                       const struct conn_schema **out, int depth)
{
	const struct conn_schema *items = NULL, *keys = NULL, *vals = NULL;
	const struct conn_value *def;
	const json_t *t, *x;
	struct conn_schema *s;
	const char *key;
	uint32_t type;
	int rc;

	*out = NULL;
	if (depth > TH_MAX_DEPTH)
		return rfail(r, -EINVAL, "Schema nested deeper than %d levels",
		             TH_MAX_DEPTH);
	if (json_is_null(j))
		return 0;
	t = json_object_get(j, "type");
	if (!json_is_string(t))
		return rfail(r, -EINVAL, "Schema must contain 'type' field");
	if (schema_type_of(json_string_value(t), &type) != 0)
		return rfail(r, -EINVAL, "Unknown schema type: %s",
		             json_string_value(t));
	switch (type) {
	case CONN_ARRAY:
		x = json_object_get(j, "items");
		if (!x || json_is_null(x))
			return rfail(
			    r, -EINVAL,
			    "Array schema did not specify the element type");
		rc = read_schema(r, x, &items, depth + 1);
		if (rc)
			return rc;
		s = th_host.schema_array(r->a, items);
		break;
	case CONN_MAP:
		x = json_object_get(j, "keys");
		if (!x)
			return rfail(r, -EINVAL,
			             "Map schema did not specify the key type");
		rc = read_schema(r, x, &keys, depth + 1);
		if (rc)
			return rc;
		x = json_object_get(j, "values");
		if (!x)
			return rfail(
			    r, -EINVAL,
			    "Map schema did not specify the value type");
		rc = read_schema(r, x, &vals, depth + 1);
		if (rc)
			return rc;
		if (!keys || !vals)
			return rfail(
			    r, -EINVAL,
			    "Map schema keys and values may not be null");
		s = th_host.schema_map(r->a, keys, vals);
		break;
	default:
		s = th_host.schema_new(r->a, type);
		break;
	}
	if (!s)
		return nomem(r);
	if (type == CONN_STRUCT) {
		rc = read_struct_schema(r, s, j, depth);
		if (rc)
			return rc;
	}
	s->optional = json_is_true(json_object_get(j, "optional"));
	x = json_object_get(j, "name");
	if (json_is_string(x) &&
	    th_host.schema_set_name(s, json_string_value(x)))
		return nomem(r);
	/* Jackson's intValue(): a wider integer is truncated. */
	x = json_object_get(j, "version");
	if (json_is_integer(x))
		s->version = (int32_t)(uint32_t)json_integer_value(x);
	x = json_object_get(j, "doc");
	if (json_is_string(x) &&
	    th_host.schema_set_doc(s, json_string_value(x)))
		return nomem(r);
	x = json_object_get(j, "parameters");
	if (json_is_object(x)) {
		json_t *pv;

		json_object_foreach((json_t *)x, key, pv)
		{
			if (!json_is_string(pv))
				return rfail(r, -EINVAL,
				             "Schema parameters must have "
				             "string values.");
			if (th_host.schema_set_param(s, key,
			                             json_string_value(pv)))
				return nomem(r);
		}
	}
	x = json_object_get(j, "default");
	if (x) {
		rc = read_value(r, s, x, &def, depth + 1);
		if (rc)
			return rc;
		if (def && th_host.schema_set_default(s, def) != 0)
			return rfail(
			    r, -EINVAL,
			    "Invalid default value for schema of type %s",
			    th_type_name(type));
	}
	*out = s;
	return 0;
}

static int read_struct_schema(struct jreader *r, struct conn_schema *s,
                              const json_t *j, int depth)
{
	const json_t *fields = json_object_get(j, "fields"), *f;
	size_t i;

	if (!json_is_array(fields))
		return rfail(
		    r, -EINVAL,
		    "Struct schema's \"fields\" argument is not an array.");
	json_array_foreach((json_t *)fields, i, f)
	{
		const json_t *name = json_object_get(f, "field");
		const struct conn_schema *fs;
		const char *fname;
		int rc;

		if (!json_is_string(name))
			return rfail(r, -EINVAL,
			             "Struct schema's field name not specified "
			             "properly");
		fname = json_string_value(name);
		rc = read_schema(r, f, &fs, depth + 1);
		if (rc)
			return rc;
		for (size_t k = 0; k < s->nfields; k++)
			if (strcmp(s->fields[k].name, fname) == 0)
				return rfail(r, -EINVAL,
				             "Cannot create field because of "
				             "field name duplication %s",
				             fname);
		if (!*fname)
			return rfail(r, -EINVAL, "fieldName cannot be null.");
		if (th_host.schema_add_field(s, fname, fs) != 0)
			return nomem(r);
	}
	return 0;
}

static struct conn_value *new_value(struct jreader *r, uint32_t type)
{
	struct conn_value *v = th_arena_zalloc(r->a, sizeof(*v));

	if (v)
		v->type = type;
	return v;
}

/*
 * Splits a JSON number into decimal digits D and exponent E, value =
 * D * 10^E; D has no leading zeros ("0" for zero). jansson gives us a
 * non-integer as a double, which keeps any decimal of up to 15 (DBL_DIG)
 * significant digits exactly; a longer one may have lost digits, so it is
 * refused (-ERANGE) rather than read as a different number.
 */
static int number_digits(const json_t *j, char *d, size_t size, bool *neg,
                         int *exp10)
{
	if (json_is_integer(j)) {
		json_int_t i = json_integer_value(j);
		unsigned long long m;

		*neg = i < 0;
		m = *neg ? 0ULL - (unsigned long long)i : (unsigned long long)i;
		snprintf(d, size, "%llu", m);
		*exp10 = 0;
		return 0;
	} else {
		double x = json_real_value(j);
		int e;
		size_t n;

		if (!isfinite(x))
			return -EINVAL;
		*neg = signbit(x);
		if (x == 0) {
			snprintf(d, size, "0");
			*exp10 = 0;
			return 0;
		}
		n = th_conv_digits(x, false, d, &e);
		if (n > 15)
			return -ERANGE;
		*exp10 = e - (int)n;
		return 0;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Records the value of every real in the input that a double does not
 * carry exactly: more than 15 significant digits, or below the normal
 * range (jansson turns an underflow into 0 without a word).
 */
static int scan_inexact(struct jreader *r)
{
	const char *p = r->text, *end = r->text + r->textlen;
	size_t cap = 0;

	r->scanned = true;
	while (p < end) {
		const char *start = p;
		size_t sig = 0, zeros = 0;
		bool real = false, lead = true;
		char buf[64], *copy;
		double d;

		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			p++;
			continue;
		}
		if (*p != '-' && (*p < '0' || *p > '9')) {
			p++;
			continue;
		}
		/* A number token: count its significant digits. */
		for (p += *p == '-'; p < end; p++) {
			if (*p >= '0' && *p <= '9') {
				if (lead && *p == '0')
					continue;
				lead = false;
				if (*p == '0') {
					zeros++;
				} else {
					sig += zeros + 1;
					zeros = 0;
				}
			} else if (*p == '.') {
				real = true;
			} else {
				break;
			}
		}
		if (p < end && (*p == 'e' || *p == 'E')) {
			real = true;
			for (p++; p < end && (*p == '+' || *p == '-' ||
			                      (*p >= '0' && *p <= '9'));
			     p++)
				;
		}
		if (!real)
			continue;
		copy = (size_t)(p - start) < sizeof(buf)
		           ? buf
		           : th_arena_alloc(r->a, (size_t)(p - start) + 1);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, start, (size_t)(p - start));
		copy[p - start] = '\0';
		d = strtod(copy, NULL);
		if (sig <= 15 && (sig == 0 || fabs(d) >= DBL_MIN))
			continue;
		if (r->ninexact == cap) {
			double *n;

			cap = cap ? cap * 2 : 16;
			n = th_arena_alloc(r->a, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			if (r->ninexact)
				memcpy(n, r->inexact, r->ninexact * sizeof(*n));
			r->inexact = n;
		}
		r->inexact[r->ninexact++] = d;
	}
	if (r->ninexact)
		qsort(r->inexact, r->ninexact, sizeof(*r->inexact), cmp_double);
	return 0;
}

/* 0 if the real d read from the input is exactly what the text said (as
 * far as we can tell: another inexact real with the same value makes us
 * refuse too), -ERANGE if not. */
static int real_is_exact(struct jreader *r, double d)
{
	int rc;

	if (!r->text)
		return 0;
	if (!r->scanned) {
		rc = scan_inexact(r);
		if (rc)
			return rc;
	}
	if (r->ninexact && bsearch(&d, r->inexact, r->ninexact,
	                           sizeof(*r->inexact), cmp_double))
		return -ERANGE;
	return 0;
}

/* A NUMERIC Decimal: the number at the schema's scale, as bytes. */
static int read_decimal_number(struct jreader *r, const struct conn_schema *s,
                               const json_t *j, const void **p, size_t *n)
{
	char digits[TH_CONV_DECIMAL_MAX_DIGITS + 32];
	int32_t scale;
	bool neg;
	int e, rc;
	int64_t k;
	size_t nd;

	if (th_conv_decimal_scale(s, &scale) != 0)
		return rfail(
		    r, -EINVAL,
		    "Invalid Decimal schema: scale parameter not found.");
	if (json_is_real(j)) {
		rc = real_is_exact(r, json_real_value(j));
		if (rc == -ENOMEM)
			return nomem(r);
		if (rc)
			return rfail(
			    r, -EINVAL,
			    "Decimal value cannot be read exactly from a JSON "
			    "number (more than 15 significant digits, or "
			    "beyond the range of a double); write it with "
			    "decimal.format=BASE64");
	}
	rc = number_digits(j, digits, 32, &neg, &e);
	if (rc)
		return rfail(
		    r, -EINVAL,
		    "Decimal value cannot be read exactly from a JSON number "
		    "(more than 15 significant digits, or beyond the range of "
		    "a double); write it with decimal.format=BASE64");
	nd = strlen(digits);
	k = (int64_t)e + scale;
	if (strcmp(digits, "0") == 0) {
		k = 0;
	} else if (k >= 0) {
		if (k > TH_CONV_DECIMAL_MAX_DIGITS - (int64_t)nd)
			return rfail(r, -EINVAL, "Decimal value too large");
		memset(digits + nd, '0', (size_t)k);
		nd += (size_t)k;
		digits[nd] = '\0';
	} else {
		/* More fraction digits than the scale keeps. */
		if ((uint64_t)-k >= nd)
			return rfail(
			    r, -EINVAL,
			    "Decimal value does not fit scale %" PRId32, scale);
		for (size_t i = nd - (size_t)-k; i < nd; i++)
			if (digits[i] != '0')
				return rfail(
				    r, -EINVAL,
				    "Decimal value does not fit scale %" PRId32,
				    scale);
		nd -= (size_t)-k;
	}
	if (th_conv_decimal_bytes(r->a, neg, digits, nd, p, n) != 0)
		return nomem(r);
	return 0;
}

/* Decimal, Date, Time or Timestamp: is_logical(s). */
static int read_logical(struct jreader *r, const struct conn_schema *s,
                        const json_t *j, const struct conn_value **out)
{
	int32_t scale;
	struct conn_value *v;
	const void *p;
	size_t n;
	int rc;

	if (th_conv_is_logical(s, CONN_LOGICAL_DECIMAL)) {
		if (s->type != CONN_BYTES)
			return rfail(
			    r, -EINVAL,
			    "Invalid Decimal schema: type %s, not BYTES",
			    th_type_name(s->type));
		/* Decimal.toLogical needs the scale whatever the payload. */
		if (th_conv_decimal_scale(s, &scale) != 0)
			return rfail(r, -EINVAL,
			             "Invalid Decimal schema: scale parameter "
			             "not found.");
		if (json_is_number(j)) {
			rc = read_decimal_number(r, s, j, &p, &n);
		} else if (json_is_string(j)) {
			rc = th_conv_base64_decode(json_string_value(j),
			                           json_string_length(j), r->a,
			                           &p, &n);
			if (rc == -ENOMEM)
				return nomem(r);
			if (rc || n == 0)
				return rfail(r, -EINVAL,
				             "Invalid bytes for Decimal field");
		} else {
			return rfail(r, -EINVAL,
			             "Invalid type for Decimal, underlying "
			             "representation should be numeric or "
			             "bytes but was %s",
			             node_type(j));
		}
		if (rc)
			return rc;
		v = new_value(r, CONN_BYTES);
		if (!v)
			return nomem(r);
		v->u.s.p = p;
		v->u.s.n = n;
		*out = v;
		return 0;
	}
	if (th_conv_is_logical(s, CONN_LOGICAL_DATE) ||
	    th_conv_is_logical(s, CONN_LOGICAL_TIME)) {
		const char *what =
		    th_conv_is_logical(s, CONN_LOGICAL_DATE) ? "Date" : "Time";

		if (s->type != CONN_INT32 || !json_is_integer(j) ||
		    json_integer_value(j) < INT32_MIN ||
		    json_integer_value(j) > INT32_MAX)
			return rfail(
			    r, -EINVAL,
			    "Invalid type for %s, underlying representation "
			    "should be integer but was %s",
			    what, node_type(j));
		*out =
		    th_host.value_int(r->a, CONN_INT32, json_integer_value(j));
		return *out ? 0 : nomem(r);
	}
	/* Timestamp */
	if (s->type != CONN_INT64 || !json_is_integer(j))
		return rfail(r, -EINVAL,
		             "Invalid type for Timestamp, underlying "
		             "representation should be integral but was %s",
		             node_type(j));
	*out = th_host.value_int(r->a, CONN_INT64, json_integer_value(j));
	return *out ? 0 : nomem(r);
}

static int read_map(struct jreader *r, const struct conn_schema *s,
                    const json_t *j, const struct conn_value **out, int depth)
{
	const struct conn_schema *vs = s ? s->values : NULL;
	const struct conn_value *k, *v;
	struct conn_value *m;
	const char *key;
	const json_t *x;
	size_t i;
	int rc;

	m = th_host.value_map(r->a);
	if (!m)
		return nomem(r);
	if (!s || (s->keys && s->keys->type == CONN_STRING)) {
		if (!json_is_object(j))
			return rfail(r, -EINVAL,
			             "Maps with string fields should be "
			             "encoded as JSON objects, but found %s",
			             node_type(j));
		json_object_foreach((json_t *)j, key, x)
		{
			k = th_host.value_string(r->a, key, strlen(key));
			if (!k)
				return nomem(r);
			rc = read_value(r, vs, x, &v, depth + 1);
			if (rc)
				return rc;
			if (th_map_append(m, k, v) != 0)
				return nomem(r);
		}
		*out = m;
		return 0;
	}
	if (!json_is_array(j))
		return rfail(r, -EINVAL,
		             "Maps with non-string fields should be encoded as "
		             "JSON array of tuples, but found %s",
		             node_type(j));
	json_array_foreach((json_t *)j, i, x)
	{
		if (!json_is_array(x))
			return rfail(r, -EINVAL,
			             "Found invalid map entry instead of array "
			             "tuple: %s",
			             node_type(x));
		if (json_array_size(x) != 2)
			return rfail(r, -EINVAL,
			             "Found invalid map entry, expected length "
			             "2 but found :%zu",
			             json_array_size(x));
		rc =
		    read_value(r, s->keys, json_array_get(x, 0), &k, depth + 1);
		if (!rc)
			rc = read_value(r, vs, json_array_get(x, 1), &v,
			                depth + 1);
		if (rc)
			return rc;
		if (!k)
			return rfail(r, -EINVAL, "Map keys may not be null");
		rc = th_host.map_put(m, k, v);
		if (rc)
			return rc == -ENOMEM
			           ? nomem(r)
			           : rfail(r, rc, "Invalid map entry");
	}
	*out = m;
	return 0;
}

static int read_struct(struct jreader *r, const struct conn_schema *s,
                       const json_t *j, const struct conn_value **out,
                       int depth)
{
	struct conn_value *st;

	if (!json_is_object(j))
		return rfail(
		    r, -EINVAL,
		    "Structs should be encoded as JSON objects, but found %s",
		    node_type(j));
	st = th_host.value_struct(r->a, s);
	if (!st)
		return nomem(r);
	for (size_t i = 0; i < s->nfields && i < st->u.st.n; i++) {
		const struct conn_value *f;
		int rc;

		rc = read_value(r, s->fields[i].schema,
		                json_object_get(j, s->fields[i].name), &f,
		                depth + 1);
		if (rc)
			return rc;
		st->u.st.fields[i] = f && f->type != CONN_NULL ? f : NULL;
	}
	*out = st;
	return 0;
}

static int read_int(struct jreader *r, uint32_t type, const json_t *j,
                    const struct conn_value **out)
{
	if (!json_is_integer(j))
		return rfail(r, -EINVAL, "Invalid value for %s field: found %s",
		             th_type_name(type), node_type(j));
	*out = th_host.value_int(r->a, type, json_integer_value(j));
	if (!*out && errno == EINVAL)
		return rfail(r, -EINVAL,
		             "Invalid value for %s field: %" JSON_INTEGER_FORMAT
		             " is out of range",
		             th_type_name(type), json_integer_value(j));
	return *out ? 0 : nomem(r);
}

static int read_float(struct jreader *r, uint32_t type, const json_t *j,
                      const struct conn_value **out)
{
	double d;

	if (json_is_number(j)) {
		d = json_number_value(j);
	} else if (json_is_string(j) &&
	           strcmp(json_string_value(j), "NaN") == 0) {
		d = NAN;
	} else if (json_is_string(j) &&
	           strcmp(json_string_value(j), "Infinity") == 0) {
		d = INFINITY;
	} else if (json_is_string(j) &&
	           strcmp(json_string_value(j), "-Infinity") == 0) {
		d = -INFINITY;
	} else {
		return rfail(r, -EINVAL, "Invalid value for %s field: found %s",
		             th_type_name(type), node_type(j));
	}
	*out = th_host.value_float(r->a, type, d);
	if (!*out && errno == EINVAL)
		return rfail(r, -EINVAL,
		             "Invalid value for %s field: out of range",
		             th_type_name(type));
	return *out ? 0 : nomem(r);
}

static int read_bytes(struct jreader *r, const json_t *j,
                      const struct conn_value **out)
{
	struct conn_value *v;
	const void *p;
	size_t n;
	int rc;

	if (!json_is_string(j))
		return rfail(r, -EINVAL,
		             "Invalid value for BYTES field: found %s",
		             node_type(j));
	rc = th_conv_base64_decode(json_string_value(j), json_string_length(j),
	                           r->a, &p, &n);
	if (rc == -ENOMEM)
		return nomem(r);
	if (rc)
		return rfail(r, rc, "Invalid bytes field");
	v = new_value(r, CONN_BYTES);
	if (!v)
		return nomem(r);
	v->u.s.p = p;
	v->u.s.n = n;
	*out = v;
	return 0;
}

/* The schema a schemaless JSON value gets. */
static uint32_t infer_type(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_TRUE:
	case JSON_FALSE:
		return CONN_BOOLEAN;
	case JSON_INTEGER:
		return CONN_INT64;
	case JSON_REAL:
		return CONN_FLOAT64;
	case JSON_STRING:
		return CONN_STRING;
	case JSON_ARRAY:
		return CONN_ARRAY;
	case JSON_OBJECT:
		return CONN_MAP;
	default:
		return CONN_NULL;
	}
}

/* convertToConnect(schema, jsonValue); j NULL is a missing struct field. */
static int read_value(struct jreader *r, const struct conn_schema *s,
                      const json_t *j, const struct conn_value **out, int depth)
{
	struct conn_value *v;
	uint32_t type;
	size_t i;
	int rc;

	*out = NULL;
	if (depth > TH_MAX_DEPTH)
		return rfail(r, -EINVAL, "Data nested deeper than %d levels",
		             TH_MAX_DEPTH);
	if (!j || json_is_null(j)) {
		if (!s)
			return 0;
		if (s->def && r->replace_null) {
			*out = s->def;
			return 0;
		}
		if (s->optional)
			return 0;
		return rfail(r, -EINVAL,
		             "Invalid null value for required %s field",
		             th_type_name(s->type));
	}
	if (is_logical(s))
		return read_logical(r, s, j, out);
	type = s ? s->type : infer_type(j);
	switch (type) {
	case CONN_BOOLEAN:
		if (!json_is_boolean(j))
			return rfail(
			    r, -EINVAL,
			    "Invalid value for BOOLEAN field: found %s",
			    node_type(j));
		*out = th_host.value_bool(r->a, json_is_true(j));
		return *out ? 0 : nomem(r);
	case CONN_INT8:
	case CONN_INT16:
	case CONN_INT32:
	case CONN_INT64:
		return read_int(r, type, j, out);
	case CONN_FLOAT32:
	case CONN_FLOAT64:
		return read_float(r, type, j, out);
	case CONN_STRING:
		if (!json_is_string(j))
			return rfail(r, -EINVAL,
			             "Invalid value for STRING field: found %s",
			             node_type(j));
		*out = th_host.value_string(r->a, json_string_value(j),
		                            json_string_length(j));
		return *out ? 0 : nomem(r);
	case CONN_BYTES:
		if (!json_is_string(j))
			return rfail(r, -EINVAL,
			             "Invalid value for BYTES field: found %s",
			             node_type(j));
		return read_bytes(r, j, out);
	case CONN_ARRAY: {
		const json_t *x;

		if (!json_is_array(j))
			return rfail(r, -EINVAL,
			             "Invalid value for ARRAY field: found %s",
			             node_type(j));
		v = th_host.value_array(r->a);
		if (!v)
			return nomem(r);
		json_array_foreach((json_t *)j, i, x)
		{
			const struct conn_value *item;

			rc = read_value(r, s ? s->keys : NULL, x, &item,
			                depth + 1);
			if (rc)
				return rc;
			if (th_host.array_append(v, item) != 0)
				return nomem(r);
		}
		*out = v;
		return 0;
	}
	case CONN_MAP:
		return read_map(r, s, j, out, depth);
	case CONN_STRUCT:
		return read_struct(r, s, j, out, depth);
	default:
		return rfail(r, -EINVAL, "Unknown schema type: %s",
		             th_type_name(type));
	}
}

/* Parses the whole input as one JSON value; *j NULL if it is blank (what
 * Jackson reads as a MissingNode). */
static int parse(struct jreader *r, const char *p, size_t n, json_t **j)
{
	json_error_t e;
	size_t k = 0;

	*j = NULL;
	while (k < n &&
	       (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
		k++;
	if (k == n)
		return 0;
	*j = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
	if (!*j)
		return rfail(
		    r, -EINVAL,
		    "Converting byte[] to Kafka Connect data failed due to "
		    "serialization error: %s at line %d, column %d",
		    e.text, e.line, e.column);
	return 0;
}

static int json_to(struct th_conv *c, const char *topic, const char *hkey,
                   const struct th_bytes *in, struct conn_arena *a,
                   const struct conn_schema **s, const struct conn_value **v,
                   char *err, size_t errlen)
{
	struct json_conv *jc = c->priv;
	struct jreader r = {
	    .a = a,
	    .replace_null = jc->replace_null,
	    .err = err,
	    .errlen = errlen,
	    .text = in->p,
	    .textlen = in->n,
	};
	const json_t *payload;
	json_t *j;
	int rc;

	(void)topic;
	(void)hkey;
	/* A null record (tombstone) is a null value without a schema. */
	if (!in->p)
		return 0;
	rc = parse(&r, in->p, in->n, &j);
	if (rc)
		return rc;
	if (!jc->schemas_enable) {
		rc = read_value(&r, NULL, j, v, 0);
		goto out_decref;
	}
	if (!json_is_object(j) || json_object_size(j) != 2 ||
	    !json_object_get(j, "schema") || !json_object_get(j, "payload")) {
		rc = rfail(
		    &r, -EINVAL,
		    "JsonConverter with schemas.enable requires \"schema\" and "
		    "\"payload\" fields and may not contain additional fields. "
		    "If you are trying to deserialize plain JSON data, set "
		    "schemas.enable=false in your converter configuration.");
		goto out_decref;
	}
	rc = read_schema(&r, json_object_get(j, "schema"), s, 0);
	if (rc)
		goto out_decref;
	payload = json_object_get(j, "payload");
	rc = read_value(&r, *s, payload, v, 0);

out_decref:
	json_decref(j);
	return rc;
}

int th_json_decode(const char *p, size_t n, struct conn_arena *a,
                   const struct conn_value **v, char *err, size_t errlen)
{
	struct jreader r = {
	    .a = a,
	    .replace_null = true,
	    .err = err,
	    .errlen = errlen,
	};
	json_t *j;
	int rc;

	if (!p || !a || !v)
		return rfail(&r, -EINVAL, "Invalid arguments");
	*v = NULL;
	rc = parse(&r, p, n, &j);
	if (rc)
		return rc;
	if (!j)
		return rfail(&r, -EINVAL, "No JSON value in the input");
	rc = read_value(&r, NULL, j, v, 0);
	json_decref(j);
	return rc;
}

const struct th_conv_ops th_conv_json_ops = {
    .class_name = "org.apache.kafka.connect.json.JsonConverter",
    .simple_name = "JsonConverter",
    .init = json_init,
    .fini = json_fini,
    .from_connect = json_from,
    .to_connect = json_to,
};
