/*
 * test_th_conv.c: the converters (th_conv*.c).
 *
 * The expected JSON bytes are what Kafka Connect's JsonConverter writes for
 * the same data: derived from JsonConverter.asJsonSchema/convertToJson and
 * the cases of JsonConverterTest.java, in Jackson's compact form.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>

#include "../../taskhost/th_conv.h"
#include "testhelp.h"

#define JSON  "org.apache.kafka.connect.json.JsonConverter"
#define DEC   "org.apache.kafka.connect.data.Decimal"
#define DATE  "org.apache.kafka.connect.data.Date"
#define TIME  "org.apache.kafka.connect.data.Time"
#define TSTMP "org.apache.kafka.connect.data.Timestamp"

static const struct conn_host *const h = &th_host;
static char err[512];

/* A converter with settings given as key, value, ..., NULL. */
static struct th_conv *mkconv(const char *cls, enum th_conv_kind kind, ...)
{
	struct conn_config *cfg = th_config_new(NULL, 0);
	struct th_conv *c;
	const char *k;
	va_list ap;

	va_start(ap, kind);
	while ((k = va_arg(ap, const char *)))
		th_config_set(cfg, k, va_arg(ap, const char *));
	va_end(ap);
	err[0] = '\0';
	c = th_conv_new(cls, cfg, kind, err, sizeof(err));
	th_config_free(cfg);
	return c;
}

/* from_connect gives exactly `want` (NULL: a null record). */
static bool from_is(struct th_conv *c, const struct conn_schema *s,
                    const struct conn_value *v, struct conn_arena *a,
                    const char *want)
{
	struct th_bytes out;
	int rc;

	err[0] = '\0';
	rc = th_conv_from_connect(c, "topic", NULL, s, v, a, &out, err,
	                          sizeof(err));
	if (rc) {
		fprintf(stderr, "    from_connect: %d %s\n", rc, err);
		return false;
	}
	if (!want || !out.p) {
		if (want != out.p)
			fprintf(stderr, "    from_connect: null mismatch\n");
		return want == out.p;
	}
	if (out.n != strlen(want) || memcmp(out.p, want, out.n) != 0) {
		fprintf(stderr, "    got  %.*s\n    want %s\n", (int)out.n,
		        (const char *)out.p, want);
		return false;
	}
	return true;
}

/* to_connect of text; 0 or the error. */
static int to(struct th_conv *c, const char *text, struct conn_arena *a,
              const struct conn_schema **s, const struct conn_value **v)
{
	struct th_bytes in = {.p = text, .n = text ? strlen(text) : 0};

	err[0] = '\0';
	return th_conv_to_connect(c, "topic", NULL, &in, a, s, v, err,
	                          sizeof(err));
}

/*
 * from -> want; to -> the same schema (and value, if check_value); from
 * again -> the same bytes.
 */
static bool roundtrip(struct th_conv *c, const struct conn_schema *s,
                      const struct conn_value *v, struct conn_arena *a,
                      const char *want, bool check_value)
{
	const struct conn_schema *s2;
	const struct conn_value *v2;
	bool ok = true;

	if (!from_is(c, s, v, a, want))
		return false;
	if (to(c, want, a, &s2, &v2) != 0) {
		fprintf(stderr, "    to_connect: %s\n", err);
		return false;
	}
	if (!th_schema_equal(s, s2)) {
		fprintf(stderr, "    schema differs after to_connect\n");
		ok = false;
	}
	if (check_value && !th_value_equal(v, v2)) {
		fprintf(stderr, "    value differs after to_connect\n");
		ok = false;
	}
	return ok && from_is(c, s2, v2, a, want);
}

/* The error of from_connect, "" if it succeeded. */
static const char *from_err(struct th_conv *c, const struct conn_schema *s,
                            const struct conn_value *v, struct conn_arena *a)
{
	struct th_bytes out;

	err[0] = '\0';
	if (th_conv_from_connect(c, "t", NULL, s, v, a, &out, err,
	                         sizeof(err)) == 0)
		return "";
	return err;
}

/* The error of to_connect, "" if it succeeded. */
static const char *to_err(struct th_conv *c, const char *text,
                          struct conn_arena *a)
{
	const struct conn_schema *s;
	const struct conn_value *v;

	if (to(c, text, a, &s, &v) == 0)
		return "";
	return err;
}

/* --- Registry ------------------------------------------------------------- */

static void test_registry(void)
{
	static const char *const names[][2] = {
	    {"org.apache.kafka.connect.storage.StringConverter",
	     "StringConverter"},
	    {"org.apache.kafka.connect.converters.ByteArrayConverter",
	     "ByteArrayConverter"},
	    {JSON, "JsonConverter"},
	};
	struct th_conv *c;

	for (size_t i = 0; i < 3; i++) {
		for (size_t k = 0; k < 2; k++) {
			c = mkconv(names[i][k], TH_CONV_VALUE, NULL);
			CHECK(c != NULL);
			CHECK_EQ_STR(th_conv_class(c), names[i][0]);
			th_conv_free(c);
		}
	}
	c = mkconv("SimpleHeaderConverter", TH_CONV_HEADER, NULL);
	CHECK_EQ_STR(th_conv_class(c),
	             "org.apache.kafka.connect.storage.SimpleHeaderConverter");
	th_conv_free(c);
	/* SimpleHeaderConverter is not a Converter. */
	CHECK(mkconv("SimpleHeaderConverter", TH_CONV_VALUE, NULL) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(strstr(err, "HeaderConverter") != NULL);
	CHECK(mkconv("io.confluent.connect.avro.AvroConverter", TH_CONV_KEY,
	             NULL) == NULL);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK_EQ_STR(err, "Converter class io.confluent.connect.avro."
	                  "AvroConverter could not be found.");
	CHECK(th_conv_new(NULL, NULL, TH_CONV_KEY, err, sizeof(err)) == NULL);
	CHECK(th_conv_new(JSON, NULL, 0, err, sizeof(err)) == NULL);
	/* NULL settings: all defaults. */
	c = th_conv_new(JSON, NULL, TH_CONV_KEY, err, sizeof(err));
	CHECK(c != NULL);
	th_conv_free(c);
	th_conv_free(NULL);
	CHECK(th_conv_class(NULL) == NULL);
}

/* --- StringConverter ------------------------------------------------------ */

static void test_string_from(void)
{
	struct th_conv *c = mkconv("StringConverter", TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_value *v = h->value_string(a, "hello", 5);
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	struct conn_value *arr = h->value_array(a), *map = h->value_map(a);
	struct conn_value *sv;
	struct th_bytes out;

	/* Strings are not copied. */
	CHECK_EQ_INT(th_conv_from_connect(c, "t", NULL, NULL, v, a, &out, err,
	                                  sizeof(err)),
	             0);
	CHECK(out.p == h->value_string_get(v, NULL) && out.n == 5);
	CHECK(from_is(c, NULL, NULL, a, NULL));
	CHECK(from_is(c, h->schema_std(CONN_STRING, true), NULL, a, NULL));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT64, 42), a, "42"));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT8, -7), a, "-7"));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT32, 0), a, "0"));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT64, INT64_MAX), a,
	              "9223372036854775807"));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT64, INT64_MIN), a,
	              "-9223372036854775808"));
	CHECK(from_is(c, NULL, h->value_bool(a, true), a, "true"));
	CHECK(from_is(c, NULL, h->value_float(a, CONN_FLOAT64, 0.1), a, "0.1"));
	CHECK(from_is(c, NULL, h->value_float(a, CONN_FLOAT64, 1e10), a,
	              "1.0E10"));
	CHECK(from_is(c, NULL, h->value_float(a, CONN_FLOAT32, 0.1), a, "0.1"));
	CHECK(from_is(c, h->schema_decimal(a, 2),
	              h->value_bytes(a, "\x00\x9c", 2), a, "1.56"));
	CHECK(from_is(c, h->schema_date(a), h->value_int(a, CONN_INT32, 0), a,
	              "Thu Jan 01 00:00:00 UTC 1970"));
	CHECK(from_is(c, h->schema_timestamp(a),
	              h->value_int(a, CONN_INT64, 1700000000123), a,
	              "Tue Nov 14 22:13:20 UTC 2023"));
	/* Raw bytes at the top level. */
	CHECK(from_is(c, NULL, h->value_bytes(a, "raw", 3), a, "raw"));
	/* Containers as Java's List/Map/Struct toString. */
	h->array_append(arr, h->value_int(a, CONN_INT32, 1));
	h->array_append(arr, h->value_string(a, "two", 3));
	h->array_append(arr, NULL);
	CHECK(from_is(c, NULL, arr, a, "[1, two, null]"));
	h->map_put(map, h->value_string(a, "a", 1),
	           h->value_int(a, CONN_INT32, 1));
	h->map_put(map, h->value_string(a, "b", 1), arr);
	CHECK(from_is(c, NULL, map, a, "{a=1, b=[1, two, null]}"));
	h->schema_add_field(st, "id", h->schema_std(CONN_INT32, false));
	h->schema_add_field(st, "note", h->schema_std(CONN_STRING, true));
	h->schema_add_field(st, "ok", h->schema_std(CONN_BOOLEAN, false));
	sv = h->value_struct(a, st);
	h->struct_put(sv, "id", h->value_int(a, CONN_INT32, 5));
	h->struct_put(sv, "ok", h->value_bool(a, false));
	CHECK(from_is(c, st, sv, a, "Struct{id=5,ok=false}"));
	th_conv_free(c);
	th_arena_free(a);
}

static void test_string_to(void)
{
	struct th_conv *c = mkconv("StringConverter", TH_CONV_KEY, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_schema *s;
	const struct conn_value *v;
	size_t n;

	CHECK_EQ_INT(to(c, "caf\xc3\xa9", a, &s, &v), 0);
	CHECK(s == h->schema_std(CONN_STRING, true));
	CHECK_EQ_STR(h->value_string_get(v, &n), "caf\xc3\xa9");
	CHECK_EQ_INT(n, 5);
	CHECK_EQ_INT(to(c, NULL, a, &s, &v), 0);
	CHECK(s == h->schema_std(CONN_STRING, true) && v == NULL);
	CHECK_EQ_INT(to(c, "bad\xff", a, &s, &v), -EINVAL);
	CHECK(s == NULL && v == NULL);
	CHECK_EQ_STR(
	    err, "Failed to deserialize string: the data is not valid UTF-8");
	th_conv_free(c);
	th_arena_free(a);
}

static void test_string_encoding(void)
{
	struct th_conv *c;

	c = mkconv("StringConverter", TH_CONV_VALUE, "converter.encoding",
	           "utf-8", NULL);
	CHECK(c != NULL);
	th_conv_free(c);
	c = mkconv("StringConverter", TH_CONV_VALUE, "encoding", "UTF8", NULL);
	CHECK(c != NULL);
	th_conv_free(c);
	c = mkconv("StringConverter", TH_CONV_VALUE, "converter.encoding",
	           "ISO-8859-1", NULL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_STR(err, "StringConverter: unsupported converter.encoding "
	                  "\"ISO-8859-1\": sluice supports only UTF-8");
}

/* --- ByteArrayConverter --------------------------------------------------- */

static void test_bytes(void)
{
	struct th_conv *c = mkconv("ByteArrayConverter", TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_value *b = h->value_bytes(a, "\x00\x01\xff", 3);
	const struct conn_schema *s;
	const struct conn_value *v;
	struct th_bytes out, in = {.p = "\x00zz", .n = 3};
	const void *p;
	size_t n;

	CHECK_EQ_INT(th_conv_from_connect(c, "t", NULL,
	                                  h->schema_std(CONN_BYTES, false), b,
	                                  a, &out, err, sizeof(err)),
	             0);
	CHECK(out.p == h->value_bytes_get(b, NULL) && out.n == 3);
	CHECK(from_is(c, NULL, NULL, a, NULL));
	CHECK_EQ_STR(from_err(c, h->schema_std(CONN_STRING, false),
	                      h->value_string(a, "x", 1), a),
	             "Invalid schema type for ByteArrayConverter: STRING");
	CHECK_EQ_STR(from_err(c, NULL, h->value_string(a, "x", 1), a),
	             "ByteArrayConverter is not compatible with objects of "
	             "type STRING");
	CHECK_EQ_INT(
	    th_conv_to_connect(c, "t", NULL, &in, a, &s, &v, err, sizeof(err)),
	    0);
	CHECK(s == h->schema_std(CONN_BYTES, true));
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\x00zz", 3);
	CHECK_EQ_INT(to(c, NULL, a, &s, &v), 0);
	CHECK(s == h->schema_std(CONN_BYTES, true) && v == NULL);
	th_conv_free(c);
	th_arena_free(a);
}

/* --- JsonConverter: every schema type, both ways -------------------------- */

static void test_json_primitives(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();

	CHECK(roundtrip(c, h->schema_std(CONN_INT8, false),
	                h->value_int(a, CONN_INT8, 12), a,
	                "{\"schema\":{\"type\":\"int8\",\"optional\":false},"
	                "\"payload\":12}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_INT16, false),
	                h->value_int(a, CONN_INT16, -12345), a,
	                "{\"schema\":{\"type\":\"int16\",\"optional\":false},"
	                "\"payload\":-12345}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_INT32, false),
	                h->value_int(a, CONN_INT32, 12), a,
	                "{\"schema\":{\"type\":\"int32\",\"optional\":false},"
	                "\"payload\":12}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_INT64, false),
	                h->value_int(a, CONN_INT64, 4398046511104), a,
	                "{\"schema\":{\"type\":\"int64\",\"optional\":false},"
	                "\"payload\":4398046511104}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_INT64, true),
	                h->value_int(a, CONN_INT64, INT64_MIN), a,
	                "{\"schema\":{\"type\":\"int64\",\"optional\":true},"
	                "\"payload\":-9223372036854775808}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_INT64, false),
	                h->value_int(a, CONN_INT64, 0), a,
	                "{\"schema\":{\"type\":\"int64\",\"optional\":false},"
	                "\"payload\":0}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_FLOAT32, false),
	                h->value_float(a, CONN_FLOAT32, 12.34), a,
	                "{\"schema\":{\"type\":\"float\",\"optional\":false},"
	                "\"payload\":12.34}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_FLOAT64, false),
	                h->value_float(a, CONN_FLOAT64, 12.34), a,
	                "{\"schema\":{\"type\":\"double\",\"optional\":false},"
	                "\"payload\":12.34}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_BOOLEAN, false),
	                h->value_bool(a, true), a,
	                "{\"schema\":{\"type\":\"boolean\",\"optional\":false},"
	                "\"payload\":true}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_STRING, false),
	                h->value_string(a, "foo-bar-baz", 11), a,
	                "{\"schema\":{\"type\":\"string\",\"optional\":false},"
	                "\"payload\":\"foo-bar-baz\"}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_BYTES, false),
	                h->value_bytes(a, "test-string", 11), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":false},"
	                "\"payload\":\"dGVzdC1zdHJpbmc=\"}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_BYTES, true),
	                h->value_bytes(a, "", 0), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":true},"
	                "\"payload\":\"\"}",
	                true));
	CHECK(roundtrip(c, h->schema_std(CONN_BYTES, false),
	                h->value_bytes(a, "ab", 2), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":false},"
	                "\"payload\":\"YWI=\"}",
	                true));
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_containers(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_schema *i32 = h->schema_std(CONN_INT32, false);
	const struct conn_schema *str = h->schema_std(CONN_STRING, false);
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	struct conn_value *arr = h->value_array(a);
	struct conn_value *m1 = h->value_map(a), *m2 = h->value_map(a);
	struct conn_value *sv;

	for (int i = 1; i <= 3; i++)
		h->array_append(arr, h->value_int(a, CONN_INT32, i));
	CHECK(roundtrip(c, h->schema_array(a, i32), arr, a,
	                "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":"
	                "\"int32\",\"optional\":false},\"optional\":false},"
	                "\"payload\":[1,2,3]}",
	                true));
	h->map_put(m1, h->value_string(a, "key1", 4),
	           h->value_int(a, CONN_INT32, 12));
	h->map_put(m1, h->value_string(a, "key2", 4),
	           h->value_int(a, CONN_INT32, 15));
	CHECK(roundtrip(c, h->schema_map(a, str, i32), m1, a,
	                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":"
	                "\"string\",\"optional\":false},\"values\":{\"type\":"
	                "\"int32\",\"optional\":false},\"optional\":false},"
	                "\"payload\":{\"key1\":12,\"key2\":15}}",
	                true));
	h->map_put(m2, h->value_int(a, CONN_INT32, 1),
	           h->value_int(a, CONN_INT32, 12));
	h->map_put(m2, h->value_int(a, CONN_INT32, 2),
	           h->value_int(a, CONN_INT32, 15));
	CHECK(roundtrip(c, h->schema_map(a, i32, i32), m2, a,
	                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":"
	                "\"int32\",\"optional\":false},\"values\":{\"type\":"
	                "\"int32\",\"optional\":false},\"optional\":false},"
	                "\"payload\":[[1,12],[2,15]]}",
	                true));
	h->schema_add_field(st, "field1", h->schema_std(CONN_BOOLEAN, false));
	h->schema_add_field(st, "field2", str);
	sv = h->value_struct(a, st);
	h->struct_put(sv, "field1", h->value_bool(a, true));
	h->struct_put(sv, "field2", h->value_string(a, "string", 6));
	CHECK(
	    roundtrip(c, st, sv, a,
	              "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
	              "\"boolean\",\"optional\":false,\"field\":\"field1\"},"
	              "{\"type\":\"string\",\"optional\":false,\"field\":"
	              "\"field2\"}],\"optional\":false},\"payload\":{"
	              "\"field1\":true,\"field2\":\"string\"}}",
	              true));
	/* An empty struct and an empty array. */
	CHECK(roundtrip(c, h->schema_new(a, CONN_STRUCT),
	                h->value_struct(a, h->schema_new(a, CONN_STRUCT)), a,
	                "{\"schema\":{\"type\":\"struct\",\"fields\":[],"
	                "\"optional\":false},\"payload\":{}}",
	                true));
	CHECK(roundtrip(c, h->schema_array(a, str), h->value_array(a), a,
	                "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":"
	                "\"string\",\"optional\":false},\"optional\":false},"
	                "\"payload\":[]}",
	                true));
	th_conv_free(c);
	th_arena_free(a);
}

/* A nested struct with optional fields, defaults and all metadata. */
static void test_json_nested_struct(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *person = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *addr = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *zip = h->schema_new(a, CONN_INT32);
	struct conn_value *p, *ad, *tags;
	const struct conn_schema *s2;
	const struct conn_value *v2;
	const char *want =
	    "{\"schema\":{\"type\":\"struct\",\"fields\":["
	    "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"
	    "{\"type\":\"int32\",\"optional\":true,\"field\":\"age\"},"
	    "{\"type\":\"struct\",\"fields\":["
	    "{\"type\":\"string\",\"optional\":false,\"field\":\"street\"},"
	    "{\"type\":\"int32\",\"optional\":false,\"default\":12345,"
	    "\"field\":\"zip\"}],"
	    "\"optional\":true,\"name\":\"com.example.Address\","
	    "\"field\":\"address\"},"
	    "{\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":"
	    "true},\"optional\":false,\"field\":\"tags\"}],"
	    "\"optional\":false,\"name\":\"com.example.Person\",\"version\":2,"
	    "\"doc\":\"A person\",\"parameters\":{\"owner\":\"team-a\","
	    "\"since\":\"2024\"}},"
	    "\"payload\":{\"name\":\"Ann\",\"age\":null,\"address\":{"
	    "\"street\":\"Main St\",\"zip\":12345},\"tags\":[\"a\",null]}}";

	h->schema_set_default(zip, h->value_int(a, CONN_INT32, 12345));
	h->schema_add_field(addr, "street", h->schema_std(CONN_STRING, false));
	h->schema_add_field(addr, "zip", zip);
	h->schema_set_optional(addr, true);
	h->schema_set_name(addr, "com.example.Address");
	h->schema_add_field(person, "name", h->schema_std(CONN_STRING, false));
	h->schema_add_field(person, "age", h->schema_std(CONN_INT32, true));
	h->schema_add_field(person, "address", addr);
	h->schema_add_field(
	    person, "tags",
	    h->schema_array(a, h->schema_std(CONN_STRING, true)));
	h->schema_set_name(person, "com.example.Person");
	h->schema_set_version(person, 2);
	h->schema_set_doc(person, "A person");
	h->schema_set_param(person, "owner", "team-a");
	h->schema_set_param(person, "since", "2024");
	p = h->value_struct(a, person);
	ad = h->value_struct(a, addr);
	tags = h->value_array(a);
	h->struct_put(p, "name", h->value_string(a, "Ann", 3));
	h->struct_put(ad, "street", h->value_string(a, "Main St", 7));
	h->struct_put(p, "address", ad);
	h->array_append(tags, h->value_string(a, "a", 1));
	h->array_append(tags, NULL);
	h->struct_put(p, "tags", tags);
	/* zip is unset: the default is written (and read back as set). */
	CHECK(roundtrip(c, person, p, a, want, false));
	CHECK_EQ_INT(to(c, want, a, &s2, &v2), 0);
	CHECK_EQ_INT(h->value_int_get(
	                 h->struct_get(h->struct_get(v2, "address"), "zip")),
	             12345);
	CHECK(h->struct_get(v2, "age") == NULL);
	CHECK_EQ_STR(h->schema_param(s2, "since"), "2024");
	CHECK_EQ_STR(h->schema_doc(s2), "A person");
	/* With the zip set, the value round-trips exactly too. */
	h->struct_put(ad, "zip", h->value_int(a, CONN_INT32, 12345));
	CHECK(roundtrip(c, person, p, a, want, true));
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_metadata(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *b = h->schema_new(a, CONN_BOOLEAN);
	struct conn_schema *d = h->schema_new(a, CONN_BOOLEAN);
	const struct conn_schema *s;
	const struct conn_value *v;

	h->schema_set_name(b, "bool");
	h->schema_set_version(b, 3);
	h->schema_set_doc(b, "the documentation");
	h->schema_set_param(b, "foo", "bar");
	CHECK(roundtrip(c, b, h->value_bool(a, true), a,
	                "{\"schema\":{\"type\":\"boolean\",\"optional\":false,"
	                "\"name\":\"bool\",\"version\":3,\"doc\":\"the "
	                "documentation\",\"parameters\":{\"foo\":\"bar\"}},"
	                "\"payload\":true}",
	                true));
	h->schema_set_default(d, h->value_bool(a, true));
	CHECK(roundtrip(c, d, h->value_bool(a, false), a,
	                "{\"schema\":{\"type\":\"boolean\",\"optional\":false,"
	                "\"default\":true},\"payload\":false}",
	                true));
	/* A null is replaced by the default. */
	CHECK(from_is(c, d, NULL, a,
	              "{\"schema\":{\"type\":\"boolean\",\"optional\":false,"
	              "\"default\":true},\"payload\":true}"));
	CHECK(roundtrip(c, h->schema_std(CONN_BOOLEAN, true), NULL, a,
	                "{\"schema\":{\"type\":\"boolean\",\"optional\":true},"
	                "\"payload\":null}",
	                true));
	/* Kafka's testConnectSchemaMetadataTranslation inputs. */
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"boolean\", \"default\": "
	                "true }, \"payload\": null }",
	                a, &s, &v),
	             0);
	CHECK(h->value_bool_get(v) && !h->schema_optional(s));
	CHECK(h->value_bool_get(h->schema_default(s)));
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"boolean\", \"optional\": "
	                "false, \"name\": \"bool\", \"version\": 2, \"doc\": "
	                "\"the documentation\", \"parameters\": { \"foo\": "
	                "\"bar\" }}, \"payload\": true }",
	                a, &s, &v),
	             0);
	CHECK_EQ_STR(h->schema_name(s), "bool");
	CHECK_EQ_INT(h->schema_version(s), 2);
	CHECK_EQ_STR(h->schema_doc(s), "the documentation");
	CHECK_EQ_STR(h->schema_param(s, "foo"), "bar");
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_nulls(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct th_conv *plain =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_value *m = h->value_map(a), *im = h->value_map(a);
	const struct conn_schema *s;
	const struct conn_value *v;

	/* No schema and no value: a null record, in both modes. */
	CHECK(from_is(c, NULL, NULL, a, NULL));
	CHECK(from_is(plain, NULL, NULL, a, NULL));
	CHECK_EQ_INT(to(c, NULL, a, &s, &v), 0);
	CHECK(s == NULL && v == NULL);
	/* Schemaless data gets "schema":null. */
	CHECK(roundtrip(c, NULL, h->value_bool(a, true), a,
	                "{\"schema\":null,\"payload\":true}", true));
	h->map_put(m, h->value_string(a, "a", 1),
	           h->value_int(a, CONN_INT64, 1));
	CHECK(roundtrip(c, NULL, m, a,
	                "{\"schema\":null,\"payload\":{\"a\":1}}", true));
	/* Non-string keys: an array of pairs. */
	h->map_put(im, h->value_int(a, CONN_INT64, 1), h->value_bool(a, true));
	CHECK(from_is(c, NULL, im, a,
	              "{\"schema\":null,\"payload\":[[1,true]]}"));
	/* A required field without default cannot be null. */
	CHECK_EQ_STR(from_err(c, h->schema_std(CONN_INT32, false), NULL, a),
	             "Conversion error: null value for field that is required "
	             "and has no default value");
	/* Without the envelope, an optional null is the JSON null. */
	CHECK(from_is(plain, h->schema_std(CONN_INT32, true), NULL, a, "null"));
	/* Kafka's nullSchemaPrimitiveToConnect. */
	CHECK_EQ_INT(
	    to(c, "{ \"schema\": null, \"payload\": null }", a, &s, &v), 0);
	CHECK(s == NULL && v == NULL);
	CHECK_EQ_INT(to(c, "{ \"schema\": null, \"payload\": 12 }", a, &s, &v),
	             0);
	CHECK(s == NULL && h->value_type(v) == CONN_INT64 &&
	      h->value_int_get(v) == 12);
	CHECK_EQ_INT(
	    to(c, "{ \"schema\": null, \"payload\": 12.24 }", a, &s, &v), 0);
	CHECK(h->value_type(v) == CONN_FLOAT64 &&
	      h->value_float_get(v) == 12.24);
	CHECK_EQ_INT(to(c, "{ \"schema\": null, \"payload\": [1, \"2\", 3] }",
	                a, &s, &v),
	             0);
	CHECK(h->value_type(v) == CONN_ARRAY && h->value_count(v) == 3);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 1)), CONN_STRING);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": null, \"payload\": { \"field1\": 1, "
	                "\"field2\": 2} }",
	                a, &s, &v),
	             0);
	CHECK(h->value_type(v) == CONN_MAP && h->value_count(v) == 2);
	CHECK_EQ_STR(h->value_string_get(h->value_key_at(v, 1), NULL),
	             "field2");
	th_conv_free(c);
	th_conv_free(plain);
	th_arena_free(a);
}

static void test_json_replace_null(void)
{
	struct th_conv *keep = mkconv(
	    JSON, TH_CONV_VALUE, "replace.null.with.default", "false", NULL);
	struct th_conv *repl = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *opt = h->schema_new(a, CONN_INT32);
	struct conn_schema *req = h->schema_new(a, CONN_INT32);
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	const struct conn_schema *s;
	const struct conn_value *v;
	struct conn_value *sv;
	const char *in = "{\"schema\":{\"type\":\"int32\",\"optional\":true,"
	                 "\"default\":5},\"payload\":null}";

	h->schema_set_optional(opt, true);
	h->schema_set_default(opt, h->value_int(a, CONN_INT32, 5));
	h->schema_set_default(req, h->value_int(a, CONN_INT32, 5));
	CHECK(keep != NULL);
	CHECK(from_is(keep, opt, NULL, a, in));
	CHECK(from_is(repl, opt, NULL, a,
	              "{\"schema\":{\"type\":\"int32\",\"optional\":true,"
	              "\"default\":5},\"payload\":5}"));
	CHECK_EQ_INT(to(keep, in, a, &s, &v), 0);
	CHECK(v == NULL);
	CHECK_EQ_INT(to(repl, in, a, &s, &v), 0);
	CHECK_EQ_INT(h->value_int_get(v), 5);
	CHECK_EQ_STR(from_err(keep, req, NULL, a),
	             "Conversion error: null value for field that is required "
	             "and has no default value");
	/* Struct fields follow the same rule. */
	h->schema_add_field(st, "n", opt);
	sv = h->value_struct(a, st);
	CHECK(from_is(keep, st, sv, a,
	              "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
	              "\"int32\",\"optional\":true,\"default\":5,\"field\":"
	              "\"n\"}],\"optional\":false},\"payload\":{\"n\":null}}"));
	CHECK(from_is(repl, st, sv, a,
	              "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
	              "\"int32\",\"optional\":true,\"default\":5,\"field\":"
	              "\"n\"}],\"optional\":false},\"payload\":{\"n\":5}}"));
	th_conv_free(keep);
	th_conv_free(repl);
	th_arena_free(a);
}

static void test_json_logical(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct th_conv *num =
	    mkconv(JSON, TH_CONV_VALUE, "decimal.format", "numeric", NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *dec = h->schema_decimal(a, 2);
	const struct conn_schema *s;
	const struct conn_value *v;
	const void *p;
	size_t n;

	/* 1.56: unscaled 156 = 0x009c (BigInteger.toByteArray()). */
	CHECK(roundtrip(c, dec, h->value_bytes(a, "\x00\x9c", 2), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	                "\"name\":\"" DEC "\",\"version\":1,\"parameters\":{"
	                "\"scale\":\"2\"}},\"payload\":\"AJw=\"}",
	                true));
	CHECK(roundtrip(num, dec, h->value_bytes(a, "\x00\x9c", 2), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	                "\"name\":\"" DEC "\",\"version\":1,\"parameters\":{"
	                "\"scale\":\"2\"}},\"payload\":1.56}",
	                true));
	CHECK(roundtrip(num, dec, h->value_bytes(a, "\xff\x64", 2), a,
	                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	                "\"name\":\"" DEC "\",\"version\":1,\"parameters\":{"
	                "\"scale\":\"2\"}},\"payload\":-1.56}",
	                true));
	CHECK(from_is(num, dec, h->value_bytes(a, "\x00", 1), a,
	              "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	              "\"name\":\"" DEC "\",\"version\":1,\"parameters\":{"
	              "\"scale\":\"2\"}},\"payload\":0.00}"));
	/* Redundant sign bytes are dropped, as Kafka's BigInteger does. */
	CHECK(from_is(c, dec, h->value_bytes(a, "\x00\x00\x9c", 3), a,
	              "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	              "\"name\":\"" DEC "\",\"version\":1,\"parameters\":{"
	              "\"scale\":\"2\"}},\"payload\":\"AJw=\"}"));
	/* Kafka's decimalToConnect input. */
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"bytes\", \"name\": "
	                "\"" DEC "\", \"version\": 1, \"parameters\": { "
	                "\"scale\": \"2\" } }, \"payload\": \"AJw=\" }",
	                a, &s, &v),
	             0);
	CHECK(th_schema_equal(s, dec));
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\x00\x9c", 2);
	/* A NUMERIC payload with fewer fraction digits than the scale. */
	CHECK_EQ_INT(to(num,
	                "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                "\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},"
	                "\"payload\":1.5}",
	                a, &s, &v),
	             0);
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\x00\x96", 2);
	CHECK_EQ_INT(to(num,
	                "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                "\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},"
	                "\"payload\":-3}",
	                a, &s, &v),
	             0);
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\xfe\xd4", 2); /* -300 */
	CHECK_EQ_STR(
	    to_err(num,
	           "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	           "\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},"
	           "\"payload\":1.234}",
	           a),
	    "Decimal value does not fit scale 2");
	CHECK_EQ_STR(
	    to_err(c,
	           "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	           "\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},"
	           "\"payload\":true}",
	           a),
	    "Invalid type for Decimal, underlying representation should "
	    "be numeric or bytes but was BOOLEAN");

	/* A Decimal needs its scale, both ways. */
	{
		struct conn_schema *noscale = h->schema_new(a, CONN_BYTES);

		h->schema_set_name(noscale, DEC);
		CHECK_EQ_STR(
		    from_err(c, noscale, h->value_bytes(a, "\x01", 1), a),
		    "Invalid Decimal schema: scale parameter not found.");
		CHECK_EQ_STR(
		    to_err(c,
		           "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
		           "\"},\"payload\":\"AJw=\"}",
		           a),
		    "Invalid Decimal schema: scale parameter not found.");
	}
	/* Found by fuzzing: 39 digits whose double has a short repr. */
	CHECK(strncmp(to_err(num,
	                     "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                     "\",\"parameters\":{\"scale\":\"8\"}},"
	                     "\"payload\":2074492381892700015767682215501."
	                     "70162452}",
	                     a),
	              "Decimal value cannot be read exactly", 36) == 0);
	/* Below the double range: jansson would give 0. */
	CHECK(strncmp(to_err(num,
	                     "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                     "\",\"parameters\":{\"scale\":\"2\"}},"
	                     "\"payload\":1e-400}",
	                     a),
	              "Decimal value cannot be read exactly", 36) == 0);
	/* An inexact double elsewhere does not block an exact Decimal. */
	CHECK_EQ_INT(
	    to(num,
	       "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"field\":"
	       "\"f\",\"type\":\"double\"},{\"field\":\"d\",\"type\":"
	       "\"bytes\",\"name\":\"" DEC "\",\"parameters\":{\"scale\":"
	       "\"2\"}}]},\"payload\":{\"f\":0.66666666666666663,\"d\":"
	       "2.5}}",
	       a, &s, &v),
	    0);
	p = h->value_bytes_get(h->struct_get(v, "d"), &n);
	CHECK_EQ_MEM(p, n, "\x00\xfa", 2); /* 250 */
	/* NUMERIC beyond what a double keeps exactly is refused, not
	 * silently rounded; integers are exact up to 64 bits. */
	CHECK_EQ_STR(
	    to_err(num,
	           "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	           "\",\"parameters\":{\"scale\":\"10\"}},\"payload\":"
	           "1234567890.1234567891}",
	           a),
	    "Decimal value cannot be read exactly from a JSON number (more "
	    "than 15 significant digits, or beyond the range of a double); "
	    "write it with decimal.format=BASE64");
	CHECK_EQ_INT(to(num,
	                "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                "\",\"parameters\":{\"scale\":\"1\"}},\"payload\":"
	                "922337203685477580}",
	                a, &s, &v),
	             0);
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\x7f\xff\xff\xff\xff\xff\xff\xf8", 8);
	CHECK_EQ_INT(to(num,
	                "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DEC
	                "\",\"parameters\":{\"scale\":\"3\"}},\"payload\":"
	                "123456789012.345}",
	                a, &s, &v),
	             0);
	CHECK(from_is(num, s, v, a,
	              "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
	              "\"name\":\"" DEC "\",\"parameters\":{\"scale\":\"3\"}},"
	              "\"payload\":123456789012.345}"));

	CHECK(roundtrip(
	    c, h->schema_date(a), h->value_int(a, CONN_INT32, 10000), a,
	    "{\"schema\":{\"type\":\"int32\",\"optional\":false,"
	    "\"name\":\"" DATE "\",\"version\":1},\"payload\":10000}",
	    true));
	CHECK(roundtrip(c, h->schema_time(a),
	                h->value_int(a, CONN_INT32, 14400000), a,
	                "{\"schema\":{\"type\":\"int32\",\"optional\":false,"
	                "\"name\":\"" TIME "\",\"version\":1},\"payload\":"
	                "14400000}",
	                true));
	CHECK(roundtrip(c, h->schema_timestamp(a),
	                h->value_int(a, CONN_INT64, 4000000000), a,
	                "{\"schema\":{\"type\":\"int64\",\"optional\":false,"
	                "\"name\":\"" TSTMP "\",\"version\":1},\"payload\":"
	                "4000000000}",
	                true));
	CHECK_EQ_STR(to_err(c,
	                    "{\"schema\":{\"type\":\"int32\",\"name\":\"" DATE
	                    "\",\"version\":1},\"payload\":\"2020-01-01\"}",
	                    a),
	             "Invalid type for Date, underlying representation should "
	             "be integer but was STRING");
	CHECK_EQ_STR(
	    from_err(c, h->schema_date(a), h->value_int(a, CONN_INT64, 1), a),
	    "Invalid type for " DATE ": INT64");
	th_conv_free(c);
	th_conv_free(num);
	th_arena_free(a);
}

/* Numbers as Java prints them, through a schemaless JsonConverter. */
static void test_json_floats(void)
{
	static const struct {
		double d;
		const char *want;
	} dbl[] = {
	    {0.1, "0.1"},
	    {1.0, "1.0"},
	    {100.0, "100.0"},
	    {1e7, "1.0E7"},
	    {9999999.0, "9999999.0"},
	    {1.0E-4, "1.0E-4"},
	    {0.001, "0.001"},
	    {123456.789, "123456.789"},
	    {-0.0, "-0.0"},
	    {0.0, "0.0"},
	    {1.234e-5, "1.234E-5"},
	    {1e10, "1.0E10"},
	    {-2.5e-8, "-2.5E-8"},
	    {4.9e-324, "4.9E-324"},
	    {1.7976931348623157e308, "1.7976931348623157E308"},
	    {1e23, "1.0E23"},
	    {2.0 / 3.0, "0.6666666666666666"},
	    {NAN, "\"NaN\""},
	    {INFINITY, "\"Infinity\""},
	    {-INFINITY, "\"-Infinity\""},
	};
	static const struct {
		float f;
		const char *want;
	} flt[] = {
	    {0.1f, "0.1"},         {1.0f, "1.0"},
	    {12.34f, "12.34"},     {3.4028235e38f, "3.4028235E38"},
	    {1.4e-45f, "1.4E-45"}, {1e7f, "1.0E7"},
	    {0.3f, "0.3"},         {16777216.0f, "1.6777216E7"},
	};
	struct th_conv *c =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_schema *f64 = h->schema_std(CONN_FLOAT64, false);
	const struct conn_schema *f32 = h->schema_std(CONN_FLOAT32, false);
	const struct conn_schema *s;
	const struct conn_value *v;

	for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++)
		CHECK(from_is(c, f64, h->value_float(a, CONN_FLOAT64, dbl[i].d),
		              a, dbl[i].want));
	for (size_t i = 0; i < sizeof(flt) / sizeof(flt[0]); i++)
		CHECK(from_is(c, f32, h->value_float(a, CONN_FLOAT32, flt[i].f),
		              a, flt[i].want));
	/* What we write reads back as the same number. */
	CHECK_EQ_INT(to(c, "1.0E7", a, &s, &v), 0);
	CHECK(h->value_float_get(v) == 1e7);
	CHECK_EQ_INT(to(c, "4.9E-324", a, &s, &v), 0);
	CHECK(h->value_float_get(v) == 4.9e-324);
	th_conv_free(c);
	/* Non-finite values read back through their strings. */
	c = mkconv(JSON, TH_CONV_VALUE, NULL);
	CHECK(roundtrip(c, f64, h->value_float(a, CONN_FLOAT64, -INFINITY), a,
	                "{\"schema\":{\"type\":\"double\",\"optional\":false},"
	                "\"payload\":\"-Infinity\"}",
	                true));
	CHECK(roundtrip(c, f32, h->value_float(a, CONN_FLOAT32, NAN), a,
	                "{\"schema\":{\"type\":\"float\",\"optional\":false},"
	                "\"payload\":\"NaN\"}",
	                true));
	/* Kafka's floatToConnect: 12.34 read as a float. */
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"float\" }, \"payload\": "
	                "12.34 }",
	                a, &s, &v),
	             0);
	CHECK(h->value_float_get(v) == (double)12.34f);
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_strings(void)
{
	struct th_conv *c =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	const char raw[] =
	    "q\"b\\s/\n\r\t\b\f\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac";
	const struct conn_value *v = h->value_string(a, raw, sizeof(raw) - 1);
	const struct conn_value *nul = h->value_string(a, "a\0b", 3);
	const char *want = "\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001F\x7f "
	                   "caf\xc3\xa9 \xe2\x82\xac\"";
	const struct conn_schema *s;
	const struct conn_value *v2;
	const char *p;
	size_t n;

	CHECK(from_is(c, h->schema_std(CONN_STRING, false), v, a, want));
	CHECK_EQ_INT(to(c, want, a, &s, &v2), 0);
	CHECK(th_value_equal(v, v2));
	CHECK(from_is(c, NULL, nul, a, "\"a\\u0000b\""));
	CHECK_EQ_INT(to(c, "\"a\\u0000b\"", a, &s, &v2), 0);
	p = h->value_string_get(v2, &n);
	CHECK_EQ_MEM(p, n, "a\0b", 3);
	/* Escapes Jackson does not write are still read. */
	CHECK_EQ_INT(to(c, "\"\\/\\u00e9\\ud83d\\ude00\"", a, &s, &v2), 0);
	CHECK_EQ_STR(h->value_string_get(v2, NULL),
	             "/\xc3\xa9\xf0\x9f\x98\x80");
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_plain(void)
{
	struct th_conv *c =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	struct conn_value *sv;
	const struct conn_schema *s;
	const struct conn_value *v;

	h->schema_add_field(st, "field1", h->schema_std(CONN_BOOLEAN, false));
	h->schema_add_field(st, "field2", h->schema_std(CONN_STRING, false));
	sv = h->value_struct(a, st);
	h->struct_put(sv, "field1", h->value_bool(a, true));
	h->struct_put(sv, "field2", h->value_string(a, "string", 6));
	CHECK(from_is(c, st, sv, a, "{\"field1\":true,\"field2\":\"string\"}"));
	CHECK(from_is(c, h->schema_std(CONN_INT32, false),
	              h->value_int(a, CONN_INT32, 12), a, "12"));
	CHECK_EQ_INT(to(c, "12", a, &s, &v), 0);
	CHECK(s == NULL && h->value_type(v) == CONN_INT64 &&
	      h->value_int_get(v) == 12);
	CHECK_EQ_INT(to(c, " {\"a\":[1,\"x\",null,true,1.5]} \n", a, &s, &v),
	             0);
	CHECK(s == NULL && h->value_type(v) == CONN_MAP);
	v = h->value_at(v, 0);
	CHECK(h->value_type(v) == CONN_ARRAY && h->value_count(v) == 5);
	CHECK(h->value_at(v, 2) == NULL);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 3)), CONN_BOOLEAN);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 4)), CONN_FLOAT64);
	/* The envelope is plain data here. */
	CHECK_EQ_INT(to(c, "{\"schema\":null,\"payload\":1}", a, &s, &v), 0);
	CHECK(h->value_type(v) == CONN_MAP && h->value_count(v) == 2);
	/* Blank input is Jackson's missing node: null. */
	CHECK_EQ_INT(to(c, " ", a, &s, &v), 0);
	CHECK(s == NULL && v == NULL);
	/* Duplicate keys: the last value, in the first key's place. */
	CHECK_EQ_INT(to(c, "{\"a\":1,\"b\":2,\"a\":3}", a, &s, &v), 0);
	CHECK(from_is(c, NULL, v, a, "{\"a\":3,\"b\":2}"));
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_to_connect_kafka_inputs(void)
{
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_schema *s;
	const struct conn_value *v;
	const void *p;
	size_t n;

	CHECK_EQ_INT(
	    to(c, "{ \"schema\": { \"type\": \"int8\" }, \"payload\": 12 }", a,
	       &s, &v),
	    0);
	CHECK(th_schema_equal(s, h->schema_std(CONN_INT8, false)));
	CHECK(h->value_type(v) == CONN_INT8 && h->value_int_get(v) == 12);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"int64\" }, \"payload\": "
	                "4398046511104 }",
	                a, &s, &v),
	             0);
	CHECK_EQ_INT(h->value_int_get(v), 4398046511104);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"bytes\" }, \"payload\": "
	                "\"dGVzdC1zdHJpbmc=\" }",
	                a, &s, &v),
	             0);
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "test-string", 11);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"array\", \"items\": { "
	                "\"type\" : \"int32\" } }, \"payload\": [1, 2, 3] }",
	                a, &s, &v),
	             0);
	CHECK(h->value_count(v) == 3 &&
	      h->value_int_get(h->value_at(v, 2)) == 3);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 0)), CONN_INT32);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"map\", \"keys\": { "
	                "\"type\" : \"int32\" }, \"values\": { \"type\" : "
	                "\"int32\" } }, \"payload\": [ [1, 12], [2, 15] ] }",
	                a, &s, &v),
	             0);
	CHECK(h->value_count(v) == 2);
	CHECK_EQ_INT(h->value_int_get(h->value_key_at(v, 1)), 2);
	CHECK_EQ_INT(h->value_int_get(h->value_at(v, 1)), 15);
	CHECK_EQ_INT(to(c,
	                "{ \"schema\": { \"type\": \"struct\", \"fields\": [{ "
	                "\"field\": \"field1\", \"type\": \"boolean\" }, { "
	                "\"field\": \"field2\", \"type\": \"string\" }] }, "
	                "\"payload\": { \"field1\": true, \"field2\": "
	                "\"string\" } }",
	                a, &s, &v),
	             0);
	CHECK(h->value_bool_get(h->struct_get(v, "field1")));
	CHECK_EQ_STR(h->value_string_get(h->struct_get(v, "field2"), NULL),
	             "string");
	CHECK_EQ_STR(h->schema_field_name(s, 1), "field2");
	/* Extra payload fields are ignored, missing optional ones null. */
	CHECK_EQ_INT(to(c,
	                "{\"schema\":{\"type\":\"struct\",\"fields\":[{"
	                "\"field\":\"x\",\"type\":\"int32\",\"optional\":true}]"
	                "},\"payload\":{\"y\":1}}",
	                a, &s, &v),
	             0);
	CHECK(h->struct_get(v, "x") == NULL);
	th_conv_free(c);
	th_arena_free(a);
}

static void test_json_errors(void)
{
	static const char envelope[] =
	    "JsonConverter with schemas.enable requires \"schema\" and "
	    "\"payload\" fields and may not contain additional fields. If you "
	    "are trying to deserialize plain JSON data, set "
	    "schemas.enable=false in your converter configuration.";
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"{\"payload\":1}", envelope},
	    {"{\"schema\":null,\"payload\":1,\"x\":2}", envelope},
	    {"[1,2]", envelope},
	    {"12", envelope},
	    {"", envelope},
	    {"{\"schema\":{\"type\":\"nope\"},\"payload\":1}",
	     "Unknown schema type: nope"},
	    {"{\"schema\":{\"optional\":true},\"payload\":1}",
	     "Schema must contain 'type' field"},
	    {"{\"schema\":7,\"payload\":1}",
	     "Schema must contain 'type' field"},
	    {"{\"schema\":{\"type\":\"int32\"},\"payload\":\"x\"}",
	     "Invalid value for INT32 field: found STRING"},
	    {"{\"schema\":{\"type\":\"int32\"},\"payload\":1.5}",
	     "Invalid value for INT32 field: found NUMBER"},
	    {"{\"schema\":{\"type\":\"int8\"},\"payload\":300}",
	     "Invalid value for INT8 field: 300 is out of range"},
	    {"{\"schema\":{\"type\":\"boolean\"},\"payload\":1}",
	     "Invalid value for BOOLEAN field: found NUMBER"},
	    {"{\"schema\":{\"type\":\"int32\"},\"payload\":null}",
	     "Invalid null value for required INT32 field"},
	    {"{\"schema\":{\"type\":\"array\"},\"payload\":[]}",
	     "Array schema did not specify the element type"},
	    {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"}},"
	     "\"payload\":{}}",
	     "Map schema did not specify the value type"},
	    {"{\"schema\":{\"type\":\"struct\",\"fields\":{}},\"payload\":{}}",
	     "Struct schema's \"fields\" argument is not an array."},
	    {"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\"}"
	     "]},\"payload\":{}}",
	     "Struct schema's field name not specified properly"},
	    {"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\","
	     "\"field\":\"a\"},{\"type\":\"int32\",\"field\":\"a\"}]},"
	     "\"payload\":{}}",
	     "Cannot create field because of field name duplication a"},
	    {"{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":[]}",
	     "Structs should be encoded as JSON objects, but found ARRAY"},
	    {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},"
	     "\"values\":{\"type\":\"int32\"}},\"payload\":{\"1\":2}}",
	     "Maps with non-string fields should be encoded as JSON array of "
	     "tuples, but found OBJECT"},
	    {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},"
	     "\"values\":{\"type\":\"int32\"}},\"payload\":[[1]]}",
	     "Found invalid map entry, expected length 2 but found :1"},
	    {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},"
	     "\"values\":{\"type\":\"int32\"}},\"payload\":[3]}",
	     "Found invalid map entry instead of array tuple: NUMBER"},
	    {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},"
	     "\"values\":{\"type\":\"int32\"}},\"payload\":[]}",
	     "Maps with string fields should be encoded as JSON objects, but "
	     "found ARRAY"},
	    {"{\"schema\":{\"type\":\"bytes\"},\"payload\":\"not base64!\"}",
	     "Invalid bytes field"},
	    {"{\"schema\":{\"type\":\"string\",\"parameters\":{\"a\":1}},"
	     "\"payload\":\"x\"}",
	     "Schema parameters must have string values."},
	    {"{\"schema\":{\"type\":\"int32\",\"default\":\"x\"},\"payload\":"
	     "1}",
	     "Invalid value for INT32 field: found STRING"},
	};
	struct th_conv *c = mkconv(JSON, TH_CONV_VALUE, NULL);
	struct th_conv *plain =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *st2 = h->schema_new(a, CONN_STRUCT);
	const char *e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e = to_err(c, cases[i].in, a);
		if (strcmp(e, cases[i].want) != 0)
			fprintf(stderr, "    case %zu: %s\n", i, cases[i].in);
		CHECK_EQ_STR(e, cases[i].want);
	}
	/* Malformed JSON, numbers beyond 64 bits, trailing text. */
	e = to_err(c, "{\"schema\":", a);
	CHECK(strncmp(e,
	              "Converting byte[] to Kafka Connect data failed due "
	              "to serialization error: ",
	              70) == 0);
	CHECK(strncmp(to_err(plain, "123456789012345678901234567890", a),
	              "Converting byte[]", 17) == 0);
	CHECK(strncmp(to_err(plain, "12 x", a), "Converting byte[]", 17) == 0);
	CHECK(strncmp(to_err(plain, "{\"a\":\"\xff\"}", a), "Converting byte[]",
	              17) == 0);

	/* fromConnectData errors. */
	CHECK_EQ_STR(from_err(c, h->schema_std(CONN_INT32, false),
	                      h->value_string(a, "x", 1), a),
	             "Invalid type for INT32: STRING");
	CHECK_EQ_STR(from_err(c, h->schema_std(CONN_INT32, false),
	                      h->value_int(a, CONN_INT64, 1), a),
	             "Invalid type for INT32: INT64");
	h->schema_add_field(st, "a", h->schema_std(CONN_INT32, false));
	h->schema_add_field(st2, "b", h->schema_std(CONN_INT32, false));
	CHECK_EQ_STR(from_err(c, st2, h->value_struct(a, st), a),
	             "Mismatching schema.");
	CHECK_EQ_STR(from_err(c, NULL, h->value_struct(a, st), a),
	             "Mismatching schema.");
	/* A required struct field left unset. */
	CHECK_EQ_STR(from_err(c, st, h->value_struct(a, st), a),
	             "Conversion error: null value for field that is required "
	             "and has no default value");
	CHECK_EQ_STR(
	    from_err(c, h->schema_decimal(a, 2), h->value_bytes(a, "", 0), a),
	    "Invalid Decimal value: no bytes");
	th_conv_free(c);
	th_conv_free(plain);
	th_arena_free(a);
}

static void test_json_settings(void)
{
	struct th_conv *c;

	c = mkconv(JSON, TH_CONV_VALUE, "decimal.format", "HEX", NULL);
	CHECK(c == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK_EQ_STR(err, "Invalid value HEX for configuration decimal.format: "
	                  "String must be one of (case insensitive): BASE64, "
	                  "NUMERIC");
	c = mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "maybe", NULL);
	CHECK(c == NULL);
	CHECK_EQ_STR(err, "Invalid value maybe for configuration "
	                  "schemas.enable: Expected value to be either true or "
	                  "false");
	c = mkconv(JSON, TH_CONV_VALUE, "schemas.cache.size", "lots", NULL);
	CHECK(c == NULL);
	c = mkconv(JSON, TH_CONV_HEADER, "schemas.cache.size", "10",
	           "schemas.enable", " FALSE ", "decimal.format", "base64",
	           "converter.type", "header", NULL);
	CHECK(c != NULL);
	th_conv_free(c);
}

/* Deep input fails with an error instead of exhausting the stack. */
static void test_json_depth(void)
{
	struct th_conv *c =
	    mkconv(JSON, TH_CONV_VALUE, "schemas.enable", "false", NULL);
	struct conn_arena *a = th_arena_new();
	char *deep = malloc(2 * 1000 + 1);

	memset(deep, '[', 1000);
	memset(deep + 1000, ']', 1000);
	deep[2000] = '\0';
	CHECK_EQ_STR(to_err(c, deep, a), "Data nested deeper than 512 levels");
	free(deep);
	th_conv_free(c);
	th_arena_free(a);
}

/* --- th_json_encode / th_json_decode ---------------------------------------
 */

static void test_json_offsets(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *part = h->value_map(a), *off = h->value_map(a);
	struct conn_value *key = h->value_array(a);
	const struct conn_value *v;
	struct th_buf b = {0};

	h->map_put(part, h->value_string(a, "filename", 8),
	           h->value_string(a, "/tmp/in.txt", 11));
	h->map_put(off, h->value_string(a, "position", 8),
	           h->value_int(a, CONN_INT64, 42));
	CHECK_EQ_INT(th_json_encode(part, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.p, "{\"filename\":\"/tmp/in.txt\"}");
	th_buf_reset(&b);
	CHECK_EQ_INT(th_json_encode(off, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.p, "{\"position\":42}");
	/* Kafka Connect's offset key: ["<connector>",{partition}]. */
	th_buf_reset(&b);
	h->array_append(key, h->value_string(a, "local-file-source", 17));
	h->array_append(key, part);
	CHECK_EQ_INT(th_json_encode(key, &b, err, sizeof(err)), 0);
	CHECK_EQ_STR(b.p,
	             "[\"local-file-source\",{\"filename\":\"/tmp/in.txt\"}]");
	CHECK_EQ_INT(th_json_decode(b.p, b.len, a, &v, err, sizeof(err)), 0);
	CHECK(th_value_equal(v, key));
	/* Appends. */
	CHECK_EQ_INT(th_json_encode(NULL, &b, err, sizeof(err)), 0);
	CHECK(b.len > 4 && strcmp(b.p + b.len - 4, "null") == 0);

	CHECK_EQ_INT(
	    th_json_decode("{\"position\":42}", 15, a, &v, err, sizeof(err)),
	    0);
	CHECK(th_value_equal(v, off));
	CHECK_EQ_INT(h->value_type(h->value_at(v, 0)), CONN_INT64);
	CHECK_EQ_INT(th_json_decode("{\"x\":1.5,\"y\":true,\"z\":null}", 27, a,
	                            &v, err, sizeof(err)),
	             0);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 0)), CONN_FLOAT64);
	CHECK_EQ_INT(h->value_type(h->value_at(v, 1)), CONN_BOOLEAN);
	CHECK(h->value_at(v, 2) == NULL);
	CHECK_EQ_INT(th_json_decode("{\"x\":", 5, a, &v, err, sizeof(err)),
	             -EINVAL);
	CHECK(strncmp(err, "Converting byte[]", 17) == 0);
	CHECK_EQ_INT(th_json_decode("", 0, a, &v, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(th_json_decode(NULL, 0, a, &v, err, sizeof(err)), -EINVAL);
	th_buf_fini(&b);
	th_arena_free(a);
}

/* --- SimpleHeaderConverter ------------------------------------------------ */

static void test_header_from(void)
{
	struct th_conv *c =
	    mkconv("SimpleHeaderConverter", TH_CONV_HEADER, NULL);
	struct conn_arena *a = th_arena_new();
	struct conn_value *arr = h->value_array(a), *map = h->value_map(a);
	struct conn_schema *st = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *def = h->schema_new(a, CONN_INT32);
	struct conn_value *sv;

	CHECK(from_is(c, NULL, NULL, a, NULL));
	CHECK(from_is(c, NULL, h->value_string(a, "plain \"text\"", 12), a,
	              "plain \"text\""));
	CHECK(from_is(c, NULL, h->value_int(a, CONN_INT16, -42), a, "-42"));
	CHECK(from_is(c, NULL, h->value_bool(a, false), a, "false"));
	CHECK(from_is(c, NULL, h->value_float(a, CONN_FLOAT64, 1e-5), a,
	              "1.0E-5"));
	CHECK(from_is(c, NULL, h->value_bytes(a, "hi!", 3), a, "aGkh"));
	CHECK(from_is(c, h->schema_decimal(a, 3),
	              h->value_bytes(a, "\x30\x39", 2), a, "12.345"));
	/* Dates by instant, as Values.dateFormatFor. */
	CHECK(from_is(c, h->schema_date(a), h->value_int(a, CONN_INT32, 18262),
	              a, "2020-01-01"));
	CHECK(from_is(c, h->schema_time(a),
	              h->value_int(a, CONN_INT32, 45296789), a,
	              "12:34:56.789Z"));
	CHECK(from_is(c, h->schema_timestamp(a),
	              h->value_int(a, CONN_INT64, 1577882096789), a,
	              "2020-01-01T12:34:56.789Z"));
	/* A Date schema on the wrong base type is just a number. */
	{
		struct conn_schema *odd = h->schema_new(a, CONN_INT64);

		h->schema_set_name(odd, DATE);
		CHECK(from_is(c, odd, h->value_int(a, CONN_INT64, INT64_MAX), a,
		              "9223372036854775807"));
	}
	h->array_append(arr, h->value_int(a, CONN_INT32, 1));
	h->array_append(arr, h->value_string(a, "a\"b\\", 4));
	h->array_append(arr, NULL);
	CHECK(from_is(c, NULL, arr, a, "[1,\"a\\\"b\\\\\",null]"));
	h->map_put(map, h->value_string(a, "k", 1), h->value_bool(a, true));
	CHECK(from_is(c, NULL, map, a, "{\"k\":true}"));
	h->schema_set_default(def, h->value_int(a, CONN_INT32, 7));
	h->schema_add_field(st, "n", def);
	h->schema_add_field(st, "s", h->schema_std(CONN_STRING, true));
	sv = h->value_struct(a, st);
	CHECK(from_is(c, st, sv, a, "{\"n\":7,\"s\":null}"));
	th_conv_free(c);
	th_arena_free(a);
}

static void test_header_to(void)
{
	static const struct {
		const char *in;
		uint32_t type;
		int64_t i;
	} ints[] = {
	    {"42", CONN_INT8, 42},
	    {" -128 ", CONN_INT8, -128},
	    {"1000", CONN_INT16, 1000},
	    {"100000", CONN_INT32, 100000},
	    {"10000000000", CONN_INT64, 10000000000},
	    {"1.0", CONN_INT8, 1},
	    {"1e5", CONN_INT32, 100000},
	    {"+7", CONN_INT8, 7},
	    {"-9223372036854775808", CONN_INT64, INT64_MIN},
	};
	struct th_conv *c =
	    mkconv("SimpleHeaderConverter", TH_CONV_HEADER, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_schema *s;
	const struct conn_value *v;
	const void *p;
	size_t n;

	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		CHECK_EQ_INT(to(c, ints[i].in, a, &s, &v), 0);
		CHECK_EQ_INT(h->schema_type(s), ints[i].type);
		CHECK_EQ_INT(h->value_type(v), ints[i].type);
		CHECK_EQ_INT(h->value_int_get(v), ints[i].i);
	}
	CHECK_EQ_INT(to(c, "true", a, &s, &v), 0);
	CHECK(h->schema_type(s) == CONN_BOOLEAN && h->value_bool_get(v));
	CHECK_EQ_INT(to(c, "null", a, &s, &v), 0);
	CHECK(s == NULL && v == NULL);
	CHECK_EQ_INT(to(c, NULL, a, &s, &v), 0);
	CHECK(s == NULL && v == NULL);
	CHECK_EQ_INT(to(c, "1.5", a, &s, &v), 0);
	CHECK(h->schema_type(s) == CONN_FLOAT32 &&
	      h->value_float_get(v) == 1.5);
	CHECK_EQ_INT(to(c, "1e-400", a, &s, &v), 0);
	CHECK_EQ_INT(h->schema_type(s), CONN_FLOAT32); /* as Java: 0.0f */
	CHECK_EQ_INT(to(c, "1e300", a, &s, &v), 0);
	CHECK_EQ_INT(h->schema_type(s), CONN_FLOAT64);
	/* Too big for INT64 with scale 0: a Decimal. */
	CHECK_EQ_INT(to(c, "123456789012345678901234567890", a, &s, &v), 0);
	CHECK_EQ_STR(h->schema_name(s), DEC);
	CHECK_EQ_STR(h->schema_param(s, "scale"), "0");
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(
	    p, n, "\x01\x8e\xe9\x0f\xf6\xc3\x73\xe0\xee\x4e\x3f\x0a\xd2", 13);
	CHECK_EQ_INT(to(c, "2020-01-01", a, &s, &v), 0);
	CHECK_EQ_STR(h->schema_name(s), DATE);
	CHECK_EQ_INT(h->value_int_get(v), 18262);
	CHECK_EQ_INT(to(c, "12:34:56.789Z", a, &s, &v), 0);
	CHECK_EQ_STR(h->schema_name(s), TIME);
	CHECK_EQ_INT(h->value_int_get(v), 45296789);
	CHECK_EQ_INT(to(c, "2020-01-01T12:34:56.789Z", a, &s, &v), 0);
	CHECK_EQ_STR(h->schema_name(s), TSTMP);
	CHECK_EQ_INT(h->value_int_get(v), 1577882096789);
	/* Strings stay as they were, spaces included. */
	for (const char *const *in =
	         (const char *const[]){"hello", " x ", "", "12abc", "true}",
	                               "[1,2]", ".5", "1.2.3", "- 1", NULL};
	     *in; in++) {
		CHECK_EQ_INT(to(c, *in, a, &s, &v), 0);
		CHECK(s == h->schema_std(CONN_STRING, false));
		CHECK_EQ_STR(h->value_string_get(v, NULL), *in);
	}
	/* Not UTF-8: kept as bytes. */
	CHECK_EQ_INT(to(c, "\xff\xfe", a, &s, &v), 0);
	CHECK(s == h->schema_std(CONN_BYTES, false));
	p = h->value_bytes_get(v, &n);
	CHECK_EQ_MEM(p, n, "\xff\xfe", 2);
	th_conv_free(c);
	th_arena_free(a);
}

static void test_header_roundtrip(void)
{
	struct th_conv *c =
	    mkconv("SimpleHeaderConverter", TH_CONV_HEADER, NULL);
	struct conn_arena *a = th_arena_new();
	const struct conn_value *vals[] = {
	    h->value_int(a, CONN_INT8, 5),
	    h->value_int(a, CONN_INT64, -5000000000),
	    h->value_bool(a, true),
	    h->value_float(a, CONN_FLOAT32, 0.25),
	    h->value_string(a, "some text", 9),
	};
	const struct conn_schema *s;
	const struct conn_value *v;
	struct th_bytes out;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		CHECK_EQ_INT(th_conv_from_connect(c, "t", "h", NULL, vals[i], a,
		                                  &out, err, sizeof(err)),
		             0);
		CHECK_EQ_INT(th_conv_to_connect(c, "t", "h", &out, a, &s, &v,
		                                err, sizeof(err)),
		             0);
		CHECK(th_value_equal(v, vals[i]));
		CHECK_EQ_INT(h->value_type(v), h->value_type(vals[i]));
	}
	th_conv_free(c);
	th_arena_free(a);
}

TEST_LIST = {
    {"registry", test_registry},
    {"string_from", test_string_from},
    {"string_to", test_string_to},
    {"string_encoding", test_string_encoding},
    {"bytes", test_bytes},
    {"json_primitives", test_json_primitives},
    {"json_containers", test_json_containers},
    {"json_nested_struct", test_json_nested_struct},
    {"json_metadata", test_json_metadata},
    {"json_nulls", test_json_nulls},
    {"json_replace_null", test_json_replace_null},
    {"json_logical", test_json_logical},
    {"json_floats", test_json_floats},
    {"json_strings", test_json_strings},
    {"json_plain", test_json_plain},
    {"json_to_connect_kafka_inputs", test_json_to_connect_kafka_inputs},
    {"json_errors", test_json_errors},
    {"json_settings", test_json_settings},
    {"json_depth", test_json_depth},
    {"json_offsets", test_json_offsets},
    {"header_from", test_header_from},
    {"header_to", test_header_to},
    {"header_roundtrip", test_header_roundtrip},
    {NULL, NULL},
};
