/*
 * test_th_data.c: the taskhost data model (th_data.c) and th_host.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "../../taskhost/th_data.h"
#include "testhelp.h"

static const struct conn_host *const h = &th_host;

/* --- Buffers and arenas --------------------------------------------------- */

static void test_buf(void)
{
	struct th_buf b = {0};

	CHECK_EQ_INT(th_buf_append(&b, "abc", 3), 0);
	CHECK_EQ_INT(th_buf_putc(&b, 'd'), 0);
	CHECK_EQ_INT(th_buf_printf(&b, "-%d-%s", 42, "x"), 0);
	CHECK_EQ_STR(b.p, "abcd-42-x");
	CHECK_EQ_INT(b.len, 9);
	/* Growth past the first allocation, through printf too. */
	for (int i = 0; i < 1000; i++)
		CHECK_EQ_INT(th_buf_printf(&b, "%04d", i), 0);
	CHECK_EQ_INT(b.len, 9 + 4000);
	CHECK(memcmp(b.p + 9, "000000010002", 12) == 0);
	CHECK(memcmp(b.p + b.len - 4, "0999", 4) == 0);
	CHECK_EQ_INT(b.p[b.len], '\0');
	th_buf_reset(&b);
	CHECK_EQ_INT(b.len, 0);
	CHECK_EQ_STR(b.p, "");
	CHECK(b.cap > 4000);
	th_buf_fini(&b);
	CHECK(b.p == NULL && b.cap == 0);
	th_buf_fini(&b);
}

static void test_arena_growth_and_reset(void)
{
	struct conn_arena *a = th_arena_new();
	struct th_chunk *first;
	unsigned char *ptrs[300], *p0;
	size_t total = 0;

	CHECK(a != NULL);
	CHECK(a->head == NULL); /* nothing until the first allocation */
	p0 = th_arena_alloc(a, 10);
	first = a->head;
	CHECK(p0 != NULL && first != NULL);
	total += 10;
	/* Many sizes: aligned, distinct, and their contents survive. */
	for (int i = 0; i < 300; i++) {
		size_t n = (size_t)(i * 37 % 1000) + 1;

		ptrs[i] = th_arena_alloc(a, n);
		CHECK(ptrs[i] != NULL);
		CHECK_EQ_INT((uintptr_t)ptrs[i] % 16, 0);
		memset(ptrs[i], i & 0xff, n);
		total += n;
	}
	for (int i = 0; i < 300; i++) {
		size_t n = (size_t)(i * 37 % 1000) + 1;

		CHECK_EQ_INT(ptrs[i][0], i & 0xff);
		CHECK_EQ_INT(ptrs[i][n - 1], i & 0xff);
	}
	CHECK_EQ_INT(a->used, total);
	CHECK(a->head != first); /* it grew beyond one chunk */
	/* A request larger than any chunk gets its own. */
	ptrs[0] = th_arena_alloc(a, 3 * 1024 * 1024);
	CHECK(ptrs[0] != NULL);
	memset(ptrs[0], 0x5a, 3 * 1024 * 1024);

	/* Reset keeps the chunks for reuse, oldest first, and starts over
	 * at the start of the first one. */
	th_arena_reset(a);
	CHECK(a->head == NULL);
	CHECK(a->spare == first);
	CHECK_EQ_INT(a->used, 0);
	CHECK(th_arena_alloc(a, 10) == p0);
	CHECK(a->head == first);
	/* the same allocations again take no new chunk */
	for (int i = 0; i < 300; i++) {
		size_t n = (size_t)(i * 37 % 1000) + 1;

		CHECK(th_arena_alloc(a, n) == ptrs[i] || i == 0);
	}
	CHECK(th_arena_alloc(a, 3 * 1024 * 1024) != NULL);
	th_arena_reset(a);
	/* a reset keeps at most 8 MiB: the rest is freed (ASan checks) */
	for (int r = 0; r < 3; r++) {
		for (int i = 0; i < 8; i++)
			CHECK(th_arena_alloc(a, 4 * 1024 * 1024) != NULL);
		th_arena_reset(a);
	}

	/* zalloc, strndup, memdup. */
	{
		unsigned char *z = th_arena_zalloc(a, 64);
		char *s = th_arena_strndup(a, "hello world", 5);
		int *m;
		int src[3] = {1, 2, 3};

		CHECK(z != NULL);
		for (int i = 0; i < 64; i++)
			CHECK_EQ_INT(z[i], 0);
		CHECK_EQ_STR(s, "hello");
		m = th_arena_memdup(a, src, sizeof(src));
		CHECK(m && m != src && m[2] == 3);
		CHECK(th_arena_alloc(NULL, 8) == NULL);
		CHECK(th_arena_strndup(a, NULL, 3) == NULL);
		CHECK(th_arena_alloc(a, SIZE_MAX - 8) == NULL);
	}
	th_arena_free(a);
	th_arena_free(NULL);
	th_arena_reset(NULL);
}

static void test_utf8(void)
{
	CHECK(th_utf8_valid("", 0));
	CHECK(th_utf8_valid("plain ascii", 11));
	CHECK(th_utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
	CHECK(th_utf8_valid("nul\0inside", 10));
	CHECK(!th_utf8_valid("\xff", 1));
	CHECK(!th_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
	CHECK(!th_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	CHECK(!th_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
	CHECK(!th_utf8_valid("\xe2\x82", 2));         /* truncated */
	CHECK(!th_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!th_utf8_valid("a\x80", 2));            /* lone continuation */
	CHECK(!th_utf8_valid(NULL, 1));

	/* a bad or a good sequence at every offset of a longer text (ASCII
	 * is checked a word at a time) */
	for (size_t k = 0; k < 40; k++) {
		char b[41];

		memset(b, 'a', sizeof(b));
		b[k] = '\xff';
		CHECK(!th_utf8_valid(b, 40));
		b[k] = '\x80';
		CHECK(!th_utf8_valid(b, 40));
		memset(b, 'a', sizeof(b));
		b[k] = '\xc3';
		b[k + 1] = '\xa9';
		CHECK(th_utf8_valid(b, 41));
		CHECK(th_utf8_valid(b, k + 2));
		CHECK(!th_utf8_valid(b, k + 1)); /* cut in the sequence */
		memset(b, 'a', sizeof(b));
		b[k] = '\0';
		CHECK(th_utf8_valid(b, 40));
	}
}

/* --- Schemas -------------------------------------------------------------- */

static void test_schema_std(void)
{
	const struct conn_schema *s = h->schema_std(CONN_STRING, false);
	const struct conn_schema *o = h->schema_std(CONN_STRING, true);

	CHECK(s && o && s != o);
	CHECK(s == h->schema_std(CONN_STRING, false));
	CHECK_EQ_INT(h->schema_type(s), CONN_STRING);
	CHECK(!h->schema_optional(s));
	CHECK(h->schema_optional(o));
	CHECK(h->schema_name(s) == NULL);
	CHECK_EQ_INT(h->schema_version(s), 0);
	/* Shared schemas are immutable. */
	CHECK_EQ_INT(h->schema_set_optional((struct conn_schema *)s, true),
	             -EINVAL);
	CHECK_EQ_INT(h->schema_set_name((struct conn_schema *)s, "x"), -EINVAL);
	CHECK_EQ_INT(h->schema_set_doc((struct conn_schema *)s, "x"), -EINVAL);
	CHECK_EQ_INT(h->schema_set_version((struct conn_schema *)s, 2),
	             -EINVAL);
	CHECK_EQ_INT(h->schema_set_param((struct conn_schema *)s, "k", "v"),
	             -EINVAL);
	CHECK(!h->schema_optional(h->schema_std(CONN_STRING, false)));
	for (uint32_t t = CONN_INT8; t <= CONN_BYTES; t++)
		CHECK_EQ_INT(h->schema_type(h->schema_std(t, true)), t);
	CHECK(h->schema_std(CONN_NULL, false) == NULL);
	CHECK(h->schema_std(CONN_ARRAY, false) == NULL);
	CHECK(h->schema_std(99, false) == NULL);
}

static void test_schema_constructors(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *s, *st, *arr, *map;
	const struct conn_schema *i32 = h->schema_std(CONN_INT32, false);

	CHECK(h->schema_new(NULL, CONN_INT32) == NULL);
	CHECK(h->schema_new(a, CONN_NULL) == NULL);
	CHECK(h->schema_new(a, 13) == NULL);
	CHECK(h->schema_new(a, CONN_ARRAY) == NULL);
	CHECK(h->schema_new(a, CONN_MAP) == NULL);
	CHECK(h->schema_array(a, NULL) == NULL);
	CHECK(h->schema_array(NULL, i32) == NULL);
	CHECK(h->schema_map(a, i32, NULL) == NULL);
	CHECK(h->schema_map(a, NULL, i32) == NULL);

	s = h->schema_new(a, CONN_INT64);
	CHECK(s && h->schema_type(s) == CONN_INT64 && !h->schema_optional(s));
	CHECK_EQ_INT(h->schema_set_optional(s, true), 0);
	CHECK_EQ_INT(h->schema_set_name(s, "com.example.Id"), 0);
	CHECK_EQ_INT(h->schema_set_version(s, 7), 0);
	CHECK_EQ_INT(h->schema_set_doc(s, "the id"), 0);
	CHECK_EQ_INT(h->schema_set_param(s, "a", "1"), 0);
	CHECK_EQ_INT(h->schema_set_param(s, "b", "2"), 0);
	CHECK_EQ_INT(h->schema_set_param(s, "a", "3"), 0);
	CHECK_EQ_INT(h->schema_set_param(s, "c", NULL), -EINVAL);
	CHECK_EQ_INT(h->schema_set_param(s, NULL, "x"), -EINVAL);
	CHECK_EQ_INT(h->schema_set_name(s, "bad\xff"), -EINVAL);
	CHECK(h->schema_optional(s));
	CHECK_EQ_STR(h->schema_name(s), "com.example.Id");
	CHECK_EQ_INT(h->schema_version(s), 7);
	CHECK_EQ_STR(h->schema_doc(s), "the id");
	CHECK_EQ_STR(h->schema_param(s, "a"), "3");
	CHECK_EQ_STR(h->schema_param(s, "b"), "2");
	CHECK(h->schema_param(s, "zz") == NULL);
	CHECK_EQ_INT(s->nparams, 2); /* replaced in place */
	CHECK_EQ_STR(s->params[0].key, "a");
	CHECK_EQ_INT(h->schema_set_name(s, NULL), 0);
	CHECK(h->schema_name(s) == NULL);

	arr = h->schema_array(a, i32);
	CHECK(arr && h->schema_type(arr) == CONN_ARRAY);
	CHECK(h->schema_keys(arr) == i32 && h->schema_values(arr) == NULL);
	map = h->schema_map(a, h->schema_std(CONN_STRING, false), arr);
	CHECK(map && h->schema_type(map) == CONN_MAP);
	CHECK(h->schema_values(map) == arr);
	CHECK_EQ_INT(h->schema_type(h->schema_keys(map)), CONN_STRING);

	st = h->schema_new(a, CONN_STRUCT);
	CHECK(st != NULL);
	CHECK_EQ_INT(h->schema_add_field(st, "id", i32), 0);
	CHECK_EQ_INT(h->schema_add_field(st, "tags", arr), 0);
	CHECK_EQ_INT(h->schema_add_field(st, "id", i32), -EINVAL);
	CHECK_EQ_INT(h->schema_add_field(st, "", i32), -EINVAL);
	CHECK_EQ_INT(h->schema_add_field(st, NULL, i32), -EINVAL);
	CHECK_EQ_INT(h->schema_add_field(st, "x", NULL), -EINVAL);
	CHECK_EQ_INT(h->schema_add_field(s, "x", i32), -EINVAL);
	CHECK_EQ_INT(h->schema_add_field(st, "self", st), -EINVAL);
	CHECK_EQ_INT(h->schema_field_count(st), 2);
	CHECK_EQ_STR(h->schema_field_name(st, 1), "tags");
	CHECK(h->schema_field_schema(st, 1) == arr);
	CHECK(h->schema_field_name(st, 2) == NULL);
	CHECK(h->schema_field_schema(st, 2) == NULL);
	CHECK_EQ_INT(h->schema_field_count(arr), 0);

	/* A struct inside an array cannot get that array as a field. */
	{
		struct conn_schema *inner = h->schema_new(a, CONN_STRUCT);
		struct conn_schema *list = h->schema_array(a, inner);

		CHECK_EQ_INT(h->schema_add_field(inner, "loop", list), -EINVAL);
	}

	/* NULL-safe getters. */
	CHECK_EQ_INT(h->schema_type(NULL), CONN_NULL);
	CHECK(!h->schema_optional(NULL));
	CHECK(h->schema_name(NULL) == NULL && h->schema_doc(NULL) == NULL);
	CHECK(h->schema_param(NULL, "a") == NULL);
	CHECK(h->schema_default(NULL) == NULL);
	CHECK_EQ_INT(h->schema_field_count(NULL), 0);
	CHECK(h->schema_keys(NULL) == NULL && h->schema_values(NULL) == NULL);
	CHECK_EQ_INT(h->schema_set_optional(NULL, true), -EINVAL);
	CHECK_EQ_INT(h->schema_set_name(NULL, "x"), -EINVAL);
	th_arena_free(a);
}

static void test_schema_logical(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *d = h->schema_decimal(a, 2);
	struct conn_schema *dt = h->schema_date(a);
	struct conn_schema *tm = h->schema_time(a);
	struct conn_schema *ts = h->schema_timestamp(a);

	CHECK(d && dt && tm && ts);
	CHECK_EQ_INT(h->schema_type(d), CONN_BYTES);
	CHECK_EQ_STR(h->schema_name(d), CONN_LOGICAL_DECIMAL);
	CHECK_EQ_INT(h->schema_version(d), 1);
	CHECK_EQ_STR(h->schema_param(d, CONN_DECIMAL_SCALE), "2");
	CHECK_EQ_STR(h->schema_param(h->schema_decimal(a, -3), "scale"), "-3");
	CHECK_EQ_INT(h->schema_type(dt), CONN_INT32);
	CHECK_EQ_STR(h->schema_name(dt), CONN_LOGICAL_DATE);
	CHECK_EQ_INT(h->schema_type(tm), CONN_INT32);
	CHECK_EQ_STR(h->schema_name(tm), CONN_LOGICAL_TIME);
	CHECK_EQ_INT(h->schema_type(ts), CONN_INT64);
	CHECK_EQ_STR(h->schema_name(ts), CONN_LOGICAL_TIMESTAMP);
	CHECK_EQ_INT(h->schema_version(ts), 1);
	CHECK(h->schema_decimal(NULL, 2) == NULL);
	CHECK(h->schema_date(NULL) == NULL);
	th_arena_free(a);
}

static void test_schema_default(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *s = h->schema_new(a, CONN_INT32);

	CHECK_EQ_INT(h->schema_set_default(s, h->value_string(a, "x", 1)),
	             -EINVAL);
	CHECK_EQ_INT(h->schema_set_default(s, h->value_int(a, CONN_INT64, 5)),
	             -EINVAL);
	CHECK(h->schema_default(s) == NULL);
	CHECK_EQ_INT(h->schema_set_default(s, h->value_int(a, CONN_INT32, 5)),
	             0);
	CHECK_EQ_INT(h->value_int_get(h->schema_default(s)), 5);
	CHECK_EQ_INT(h->schema_set_default(s, NULL), 0);
	CHECK(h->schema_default(s) == NULL);
	th_arena_free(a);
}

static void test_schema_equal(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *x = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *y = h->schema_new(a, CONN_STRUCT);

	h->schema_add_field(x, "a", h->schema_std(CONN_INT32, false));
	h->schema_add_field(y, "a", h->schema_std(CONN_INT32, false));
	h->schema_set_param(x, "p", "1");
	h->schema_set_param(x, "q", "2");
	h->schema_set_param(y, "q", "2");
	h->schema_set_param(y, "p", "1");
	CHECK(th_schema_equal(x, y)); /* parameters in any order */
	h->schema_set_version(y, 3);
	CHECK(!th_schema_equal(x, y));
	h->schema_set_version(y, 0);
	h->schema_add_field(y, "b", h->schema_std(CONN_INT32, false));
	CHECK(!th_schema_equal(x, y));
	CHECK(!th_schema_equal(h->schema_std(CONN_INT32, false),
	                       h->schema_std(CONN_INT32, true)));
	CHECK(
	    th_schema_equal(h->schema_decimal(a, 2), h->schema_decimal(a, 2)));
	CHECK(
	    !th_schema_equal(h->schema_decimal(a, 2), h->schema_decimal(a, 3)));
	CHECK(th_schema_equal(NULL, NULL));
	CHECK(!th_schema_equal(x, NULL));
	th_arena_free(a);
}

/* --- Values --------------------------------------------------------------- */

static void test_value_primitives(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *v;
	const char *p;
	size_t n;
	char src[4] = "abc";

	CHECK_EQ_INT(h->value_type(h->value_null(a)), CONN_NULL);
	CHECK(h->value_null(NULL) == NULL);
	CHECK(h->value_bool_get(h->value_bool(a, true)));
	CHECK(!h->value_bool_get(h->value_bool(a, false)));
	CHECK_EQ_INT(h->value_int_get(h->value_bool(a, true)), 1);

	/* Integer ranges per width. */
	CHECK(h->value_int(a, CONN_INT8, 127) != NULL);
	CHECK(h->value_int(a, CONN_INT8, -128) != NULL);
	CHECK(h->value_int(a, CONN_INT8, 128) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(h->value_int(a, CONN_INT8, -129) == NULL);
	CHECK(h->value_int(a, CONN_INT16, 32767) != NULL);
	CHECK(h->value_int(a, CONN_INT16, 32768) == NULL);
	CHECK(h->value_int(a, CONN_INT16, -32769) == NULL);
	CHECK(h->value_int(a, CONN_INT32, INT32_MAX) != NULL);
	CHECK(h->value_int(a, CONN_INT32, (int64_t)INT32_MAX + 1) == NULL);
	CHECK(h->value_int(a, CONN_INT32, (int64_t)INT32_MIN - 1) == NULL);
	CHECK_EQ_INT(h->value_int_get(h->value_int(a, CONN_INT64, INT64_MIN)),
	             INT64_MIN);
	CHECK(h->value_int(a, CONN_STRING, 1) == NULL);
	CHECK(h->value_int(a, CONN_FLOAT64, 1) == NULL);
	CHECK(h->value_int(NULL, CONN_INT32, 1) == NULL);
	v = h->value_int(a, CONN_INT16, -300);
	CHECK_EQ_INT(h->value_type(v), CONN_INT16);
	CHECK_EQ_INT(h->value_int_get(v), -300);
	CHECK(h->value_float_get(v) == -300.0);

	/* Floats: FLOAT32 keeps float precision; overflow is refused. */
	v = h->value_float(a, CONN_FLOAT32, 0.1);
	CHECK(v && h->value_float_get(v) == (double)0.1f);
	CHECK(h->value_float_get(h->value_float(a, CONN_FLOAT64, 0.1)) == 0.1);
	CHECK(h->value_float(a, CONN_FLOAT32, 1e300) == NULL);
	CHECK(h->value_float(a, CONN_FLOAT32, INFINITY) != NULL);
	CHECK(isnan(h->value_float_get(h->value_float(a, CONN_FLOAT64, NAN))));
	CHECK(h->value_float(a, CONN_INT32, 1.0) == NULL);

	/* Strings are copied and must be UTF-8. */
	v = h->value_string(a, src, 3);
	src[0] = 'X';
	p = h->value_string_get(v, &n);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(p, "abc");
	CHECK(h->value_string(a, "\xff\xfe", 2) == NULL);
	CHECK_EQ_INT(errno, EINVAL);
	CHECK(h->value_string(a, "\xc0\xaf", 2) == NULL);
	CHECK(h->value_string(a, "ok\xe2\x82", 4) == NULL);
	CHECK(h->value_string(a, NULL, 3) == NULL);
	v = h->value_string(a, NULL, 0);
	CHECK(v && h->value_string_get(v, &n) && n == 0);
	CHECK(h->value_string(NULL, "x", 1) == NULL);
	CHECK(h->value_bytes_get(h->value_string(a, "x", 1), &n) == NULL);

	/* Bytes are copied, anything goes. */
	v = h->value_bytes(a, "\x00\xff\x80", 3);
	CHECK(v != NULL);
	CHECK_EQ_MEM(h->value_bytes_get(v, &n), 3, "\x00\xff\x80", 3);
	CHECK_EQ_INT(n, 3);
	CHECK(h->value_bytes(a, NULL, 2) == NULL);
	CHECK(h->value_bytes(a, NULL, 0) != NULL);
	CHECK(h->value_string_get(v, &n) == NULL && n == 0);

	/* Getters on NULL and on the wrong type. */
	CHECK_EQ_INT(h->value_type(NULL), CONN_NULL);
	CHECK_EQ_INT(h->value_int_get(NULL), 0);
	CHECK(h->value_float_get(NULL) == 0);
	CHECK(!h->value_bool_get(NULL));
	CHECK(h->value_string_get(NULL, NULL) == NULL);
	CHECK(h->value_bytes_get(NULL, NULL) == NULL);
	CHECK_EQ_INT(h->value_count(NULL), 0);
	CHECK(h->value_at(NULL, 0) == NULL);
	CHECK(h->value_key_at(NULL, 0) == NULL);
	CHECK(h->struct_get(NULL, "a") == NULL);
	CHECK(h->value_schema(NULL) == NULL);
	th_arena_free(a);
}

static void test_value_containers(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *arr = h->value_array(a), *map = h->value_map(a);
	struct conn_value *other = h->value_array(a);
	const struct conn_value *k;

	CHECK(arr && map);
	for (int i = 0; i < 100; i++)
		CHECK_EQ_INT(
		    h->array_append(arr, h->value_int(a, CONN_INT32, i)), 0);
	CHECK_EQ_INT(h->array_append(arr, NULL), 0); /* a null item */
	CHECK_EQ_INT(h->value_count(arr), 101);
	CHECK_EQ_INT(h->value_int_get(h->value_at(arr, 57)), 57);
	CHECK(h->value_at(arr, 100) == NULL);
	CHECK(h->value_at(arr, 101) == NULL);
	CHECK(h->value_key_at(arr, 0) == NULL);
	CHECK_EQ_INT(h->array_append(NULL, arr), -EINVAL);
	CHECK_EQ_INT(h->array_append(map, arr), -EINVAL);
	/* No cycles: not into itself, not through another container. */
	CHECK_EQ_INT(h->array_append(arr, arr), -EINVAL);
	CHECK_EQ_INT(h->array_append(other, arr), 0);
	CHECK_EQ_INT(h->array_append(arr, other), -EINVAL);

	k = h->value_string(a, "k", 1);
	CHECK_EQ_INT(h->map_put(map, k, h->value_int(a, CONN_INT32, 1)), 0);
	CHECK_EQ_INT(h->map_put(map, h->value_int(a, CONN_INT32, 7),
	                        h->value_bool(a, true)),
	             0);
	/* An equal key replaces the value (INT64 7 equals INT32 7). */
	CHECK_EQ_INT(h->map_put(map, h->value_int(a, CONN_INT64, 7),
	                        h->value_bool(a, false)),
	             0);
	CHECK_EQ_INT(h->value_count(map), 2);
	CHECK_EQ_INT(h->value_int_get(h->value_key_at(map, 1)), 7);
	CHECK(!h->value_bool_get(h->value_at(map, 1)));
	CHECK(h->value_key_at(map, 0) == k);
	CHECK_EQ_INT(h->map_put(map, NULL, k), -EINVAL);
	CHECK_EQ_INT(h->map_put(map, h->value_null(a), k), -EINVAL);
	CHECK_EQ_INT(h->map_put(arr, k, k), -EINVAL);
	CHECK_EQ_INT(h->map_put(map, k, map), -EINVAL);
	CHECK_EQ_INT(th_map_append(map, k, NULL), 0); /* no dedup */
	CHECK_EQ_INT(h->value_count(map), 3);
	th_arena_free(a);
}

static struct conn_schema *address_schema(struct conn_arena *a)
{
	struct conn_schema *s = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *zip = h->schema_new(a, CONN_INT32);

	h->schema_set_default(zip, h->value_int(a, CONN_INT32, 12345));
	h->schema_add_field(s, "street", h->schema_std(CONN_STRING, false));
	h->schema_add_field(s, "zip", zip);
	h->schema_add_field(s, "note", h->schema_std(CONN_STRING, true));
	return s;
}

static void test_value_struct(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *s = address_schema(a);
	struct conn_value *st = h->value_struct(a, s);
	const struct conn_value *v;

	CHECK(st != NULL);
	CHECK(h->value_struct(a, h->schema_std(CONN_INT32, false)) == NULL);
	CHECK(h->value_struct(a, NULL) == NULL);
	CHECK(h->value_struct(NULL, s) == NULL);
	CHECK(h->value_schema(st) == s);
	CHECK_EQ_INT(h->value_count(st), 3);
	CHECK_EQ_INT(h->struct_put(st, "street", h->value_string(a, "Main", 4)),
	             0);
	CHECK_EQ_INT(h->struct_put(st, "nope", h->value_string(a, "x", 1)),
	             -EINVAL);
	CHECK_EQ_INT(h->struct_put(st, NULL, h->value_string(a, "x", 1)),
	             -EINVAL);
	CHECK_EQ_INT(h->struct_put(st, "zip", h->value_string(a, "x", 1)),
	             -EINVAL);
	CHECK_EQ_INT(h->struct_put(st, "zip", h->value_int(a, CONN_INT64, 1)),
	             -EINVAL);
	CHECK_EQ_INT(h->struct_put(h->value_array(a), "zip", NULL), -EINVAL);
	CHECK_EQ_INT(h->struct_put(st, "note", NULL), 0);
	/* Unset reads as the field's default, as Kafka's Struct.get. */
	v = h->struct_get(st, "zip");
	CHECK_EQ_INT(h->value_int_get(v), 12345);
	CHECK_EQ_INT(h->value_int_get(h->value_at(st, 1)), 12345);
	CHECK(st->u.st.fields[1] == NULL);
	CHECK_EQ_INT(h->struct_put(st, "zip", h->value_int(a, CONN_INT32, 99)),
	             0);
	CHECK_EQ_INT(h->value_int_get(h->struct_get(st, "zip")), 99);
	CHECK(h->struct_get(st, "note") == NULL);
	CHECK(h->struct_get(st, "nope") == NULL);
	CHECK(h->value_at(st, 3) == NULL);
	CHECK_EQ_STR(h->value_string_get(h->struct_get(st, "street"), NULL),
	             "Main");
	/* A field added after the struct was made reads as null. */
	CHECK_EQ_INT(
	    h->schema_add_field(s, "late", h->schema_std(CONN_INT8, true)), 0);
	CHECK(h->struct_get(st, "late") == NULL);
	CHECK_EQ_INT(h->struct_put(st, "late", h->value_int(a, CONN_INT8, 1)),
	             -EINVAL);
	th_arena_free(a);
}

static void test_value_equal(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *m1 = h->value_map(a), *m2 = h->value_map(a);
	struct conn_value *a1 = h->value_array(a), *a2 = h->value_array(a);
	const struct conn_value *x = h->value_string(a, "x", 1);
	const struct conn_value *y = h->value_string(a, "y", 1);

	CHECK(th_value_equal(h->value_int(a, CONN_INT8, 5),
	                     h->value_int(a, CONN_INT64, 5)));
	CHECK(!th_value_equal(h->value_int(a, CONN_INT8, 5),
	                      h->value_int(a, CONN_INT64, 6)));
	CHECK(!th_value_equal(h->value_int(a, CONN_INT32, 1),
	                      h->value_float(a, CONN_FLOAT64, 1.0)));
	CHECK(!th_value_equal(h->value_int(a, CONN_INT32, 1),
	                      h->value_bool(a, true)));
	CHECK(th_value_equal(h->value_float(a, CONN_FLOAT64, NAN),
	                     h->value_float(a, CONN_FLOAT64, NAN)));
	CHECK(th_value_equal(h->value_float(a, CONN_FLOAT32, 0.5),
	                     h->value_float(a, CONN_FLOAT64, 0.5)));
	CHECK(th_value_equal(NULL, h->value_null(a)));
	CHECK(!th_value_equal(NULL, x));
	CHECK(th_value_equal(x, h->value_string(a, "x", 1)));
	CHECK(!th_value_equal(x, y));
	CHECK(!th_value_equal(x, h->value_bytes(a, "x", 1)));

	/* Maps compare regardless of order. */
	h->map_put(m1, x, h->value_int(a, CONN_INT32, 1));
	h->map_put(m1, y, h->value_int(a, CONN_INT32, 2));
	h->map_put(m2, y, h->value_int(a, CONN_INT64, 2));
	h->map_put(m2, x, h->value_int(a, CONN_INT64, 1));
	CHECK(th_value_equal(m1, m2));
	h->map_put(m2, x, h->value_int(a, CONN_INT64, 3));
	CHECK(!th_value_equal(m1, m2));
	/* Arrays do not. */
	h->array_append(a1, x);
	h->array_append(a1, y);
	h->array_append(a2, y);
	h->array_append(a2, x);
	CHECK(!th_value_equal(a1, a2));
	CHECK(th_value_equal(a1, a1));
	th_arena_free(a);
}

static void test_value_validate(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_schema *addr = address_schema(a);
	struct conn_schema *person = h->schema_new(a, CONN_STRUCT);
	struct conn_schema *tags =
	    h->schema_array(a, h->schema_std(CONN_STRING, false));
	struct conn_value *p, *ad, *t;
	char err[256];

	h->schema_add_field(person, "name", h->schema_std(CONN_STRING, false));
	h->schema_add_field(person, "address", addr);
	h->schema_add_field(person, "tags", tags);
	p = h->value_struct(a, person);
	ad = h->value_struct(a, addr);
	t = h->value_array(a);
	h->struct_put(p, "name", h->value_string(a, "Ann", 3));
	h->struct_put(ad, "street", h->value_string(a, "Main", 4));
	h->struct_put(p, "address", ad);
	h->struct_put(p, "tags", t);
	/* zip unset has a default, note is optional. */
	CHECK_EQ_INT(th_value_validate(person, p, err, sizeof(err)), 0);

	/* A wrong type deep down, reached by a plugin writing the field. */
	ad->u.st.fields[1] = h->value_string(a, "x", 1);
	CHECK_EQ_INT(th_value_validate(person, p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "field \"address.zip\": expected INT32, got STRING");
	ad->u.st.fields[1] = NULL;
	ad->u.st.fields[0] = NULL;
	CHECK_EQ_INT(th_value_validate(person, p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "field \"address.street\": null used for required "
	                  "STRING");
	h->struct_put(ad, "street", h->value_string(a, "Main", 4));
	h->array_append(t, h->value_string(a, "a", 1));
	h->array_append(t, h->value_int(a, CONN_INT64, 2));
	CHECK_EQ_INT(th_value_validate(person, p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "field \"tags[1]\": expected STRING, got INT64");

	CHECK_EQ_INT(th_value_validate(h->schema_std(CONN_INT32, false),
	                               h->value_string(a, "1", 1), err,
	                               sizeof(err)),
	             -EINVAL);
	CHECK_EQ_STR(err, "value: expected INT32, got STRING");
	CHECK_EQ_INT(th_value_validate(h->schema_std(CONN_INT32, false),
	                               h->value_int(a, CONN_INT64, 1), err,
	                               sizeof(err)),
	             -EINVAL);
	CHECK_EQ_INT(th_value_validate(h->schema_std(CONN_INT32, false), NULL,
	                               err, sizeof(err)),
	             -EINVAL);
	CHECK_EQ_STR(err, "value: null used for required INT32");
	CHECK_EQ_INT(th_value_validate(h->schema_std(CONN_INT32, true), NULL,
	                               err, sizeof(err)),
	             0);
	CHECK_EQ_INT(th_value_validate(NULL, h->value_bool(a, true), NULL, 0),
	             0);
	/* A struct of another schema. */
	CHECK_EQ_INT(th_value_validate(addr, p, err, sizeof(err)), -EINVAL);
	CHECK_EQ_STR(err, "value: struct schemas do not match");
	th_arena_free(a);
}

/* Records of one topic share one copy of its name; a plugin that reuses
 * its buffer for another name gets that name, and a bad name after a
 * good one is still refused. */
static void test_record_topics(void)
{
	struct conn_batch *b = th_batch_new();
	struct conn_record *r[5];
	char name[16];

	for (int i = 0; i < 5; i++)
		r[i] = h->record_add(b);
	strcpy(name, "alpha");
	CHECK_EQ_INT(h->record_set_topic(r[0], name), 0);
	CHECK_EQ_INT(h->record_set_topic(r[1], name), 0);
	strcpy(name, "beta"); /* the same buffer, another topic */
	CHECK_EQ_INT(h->record_set_topic(r[2], name), 0);
	CHECK_EQ_INT(h->record_set_topic(r[3], "alpha"), 0);
	strcpy(name, "bad topic");
	CHECK_EQ_INT(h->record_set_topic(r[4], name), -EINVAL);
	CHECK_EQ_STR(h->record_topic(r[0]), "alpha");
	CHECK_EQ_STR(h->record_topic(r[1]), "alpha");
	CHECK(h->record_topic(r[0]) == h->record_topic(r[1]));
	CHECK(h->record_topic(r[0]) != name);
	CHECK_EQ_STR(h->record_topic(r[2]), "beta");
	CHECK_EQ_STR(h->record_topic(r[3]), "alpha");
	CHECK(h->record_topic(r[4]) == NULL);
	/* a reset forgets the shared copy with the arena */
	th_batch_reset(b);
	r[0] = h->record_add(b);
	CHECK_EQ_INT(h->record_set_topic(r[0], "alpha"), 0);
	CHECK_EQ_STR(h->record_topic(r[0]), "alpha");
	th_batch_free(b);
}

static void test_type_name(void)
{
	CHECK_EQ_STR(th_type_name(CONN_INT8), "INT8");
	CHECK_EQ_STR(th_type_name(CONN_FLOAT64), "FLOAT64");
	CHECK_EQ_STR(th_type_name(CONN_STRUCT), "STRUCT");
	CHECK_EQ_STR(th_type_name(CONN_NULL), "NULL");
	CHECK_EQ_STR(th_type_name(1234), "UNKNOWN");
}

/* --- Records -------------------------------------------------------------- */

static void test_records(void)
{
	struct conn_batch *b = th_batch_new();
	struct conn_arena *a = h->batch_arena(b);
	struct conn_record *r;
	const struct conn_record *cr;
	struct conn_value *part = h->value_map(a), *off = h->value_map(a);
	struct conn_value *bad = h->value_map(a);
	char longname[300];

	CHECK(h->record_add(NULL) == NULL);
	r = h->record_add(b);
	CHECK(r != NULL);
	CHECK_EQ_INT(h->record_set_topic(r, "orders.v1_x-y"), 0);
	CHECK_EQ_INT(h->record_set_topic(r, "bad topic"), -EINVAL);
	CHECK_EQ_INT(h->record_set_topic(r, ""), -EINVAL);
	CHECK_EQ_INT(h->record_set_topic(r, ".."), -EINVAL);
	CHECK_EQ_INT(h->record_set_topic(r, NULL), -EINVAL);
	memset(longname, 'a', 250);
	longname[250] = '\0';
	CHECK_EQ_INT(h->record_set_topic(r, longname), -EINVAL);
	CHECK_EQ_STR(h->record_topic(r), "orders.v1_x-y");
	CHECK_EQ_INT(h->record_partition(r), -1);
	CHECK_EQ_INT(h->record_set_partition(r, 3), 0);
	CHECK_EQ_INT(h->record_set_partition(r, -1), -EINVAL);
	CHECK_EQ_INT(h->record_partition(r), 3);
	CHECK_EQ_INT(h->record_set_timestamp(r, 1700000000000), 0);
	CHECK_EQ_INT(h->record_set_timestamp(r, -5), -EINVAL);
	CHECK_EQ_INT(h->record_timestamp(r), 1700000000000);
	CHECK_EQ_INT(h->record_offset(r), -1);
	CHECK_EQ_INT(h->record_set_key(r, NULL, h->value_string(a, "k", 1)), 0);
	CHECK_EQ_INT(h->record_set_value(r, h->schema_std(CONN_INT32, false),
	                                 h->value_int(a, CONN_INT32, 9)),
	             0);
	CHECK_EQ_INT(
	    h->record_add_header(r, "h1", NULL, h->value_bool(a, true)), 0);
	CHECK_EQ_INT(h->record_add_header(r, "h2", NULL, NULL), 0);
	CHECK_EQ_INT(h->record_add_header(r, NULL, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(h->record_add_header(r, "\xff", NULL, NULL), -EINVAL);

	/* Source partition and offset: string keys, primitive values. */
	h->map_put(part, h->value_string(a, "filename", 8),
	           h->value_string(a, "/tmp/in.txt", 11));
	h->map_put(off, h->value_string(a, "position", 8),
	           h->value_int(a, CONN_INT64, 42));
	h->map_put(bad, h->value_int(a, CONN_INT32, 1),
	           h->value_int(a, CONN_INT64, 42));
	CHECK_EQ_INT(h->record_set_source(r, part, off), 0);
	CHECK_EQ_INT(h->record_set_source(r, bad, off), -EINVAL);
	CHECK_EQ_INT(
	    h->record_set_source(r, part, h->value_int(a, CONN_INT32, 1)),
	    -EINVAL);
	h->map_put(bad, h->value_string(a, "x", 1), h->value_map(a));
	CHECK_EQ_INT(h->record_set_source(r, part, bad), -EINVAL);
	CHECK(r->src_partition == part && r->src_offset == off);

	CHECK_EQ_INT(h->batch_count(b), 1);
	cr = h->batch_record(b, 0);
	CHECK(cr == r);
	CHECK(h->batch_record(b, 1) == NULL);
	CHECK_EQ_INT(h->value_int_get(h->record_value(cr)), 9);
	CHECK_EQ_INT(h->schema_type(h->record_value_schema(cr)), CONN_INT32);
	CHECK(h->record_key_schema(cr) == NULL);
	CHECK_EQ_STR(h->value_string_get(h->record_key(cr), NULL), "k");
	CHECK_EQ_INT(h->record_header_count(cr), 2);
	CHECK_EQ_STR(h->record_header_key(cr, 1), "h2");
	CHECK(h->record_header_value(cr, 1) == NULL);
	CHECK(h->value_bool_get(h->record_header_value(cr, 0)));
	CHECK(h->record_header_key(cr, 2) == NULL);

	/* Sink records are read-only. */
	r = th_batch_add_sink(b, "in-topic", 8, 2, 100, 5);
	CHECK(r != NULL);
	CHECK_EQ_STR(h->record_topic(r), "in-topic");
	CHECK_EQ_INT(h->record_offset(r), 100);
	CHECK_EQ_INT(h->record_partition(r), 2);
	CHECK_EQ_INT(h->record_set_topic(r, "other"), -EINVAL);
	CHECK_EQ_INT(h->record_set_value(r, NULL, NULL), -EINVAL);
	CHECK_EQ_INT(h->record_add_header(r, "x", NULL, NULL), -EINVAL);

	/* Reset empties the batch and keeps it usable. */
	for (int i = 0; i < 500; i++)
		CHECK(h->record_add(b) != NULL);
	CHECK_EQ_INT(h->batch_count(b), 502);
	th_batch_reset(b);
	CHECK_EQ_INT(h->batch_count(b), 0);
	CHECK(h->record_add(b) != NULL);
	CHECK_EQ_INT(h->batch_count(b), 1);

	/* NULL-safe record getters. */
	CHECK(h->record_topic(NULL) == NULL);
	CHECK_EQ_INT(h->record_partition(NULL), -1);
	CHECK_EQ_INT(h->record_offset(NULL), -1);
	CHECK_EQ_INT(h->record_header_count(NULL), 0);
	CHECK_EQ_INT(h->batch_count(NULL), 0);
	CHECK(h->batch_arena(NULL) == NULL);
	CHECK_EQ_INT(h->record_set_topic(NULL, "x"), -EINVAL);
	th_batch_free(b);
	th_batch_free(NULL);
}

/* --- Configs -------------------------------------------------------------- */

static const struct conn_option opts[] = {
    {.name = "topic",
     .type = CONN_OPT_STRING,
     .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY},
    {.name = "batch.size", .type = CONN_OPT_INT, .default_value = "2000"},
    {.name = "max.bytes", .type = CONN_OPT_LONG},
    {.name = "ratio", .type = CONN_OPT_DOUBLE, .default_value = "0.5"},
    {.name = "enabled", .type = CONN_OPT_BOOLEAN, .default_value = "true"},
    {.name = "hosts", .type = CONN_OPT_LIST, .default_value = "a:1, b:2"},
    {.name = "secret", .type = CONN_OPT_PASSWORD},
    {.name = "file", .type = CONN_OPT_STRING, .flags = CONN_OPT_NONEMPTY},
    {.name = NULL},
};

static void test_config_basics(void)
{
	struct conn_config *c = th_config_new(opts, sizeof(opts[0]));

	CHECK(c != NULL);
	CHECK_EQ_INT(th_config_set(c, "zeta", "1"), 0);
	CHECK_EQ_INT(th_config_set(c, "alpha", "2"), 0);
	CHECK_EQ_INT(th_config_set(c, "mid", "3"), 0);
	CHECK_EQ_INT(th_config_set(c, "alpha", "4"), 0);
	CHECK_EQ_INT(th_config_set(c, NULL, "x"), -EINVAL);
	CHECK_EQ_INT(th_config_set(c, "bad", "\xff"), -EINVAL);
	CHECK_EQ_INT(h->config_count(c), 3);
	CHECK_EQ_STR(h->config_key(c, 0), "alpha");
	CHECK_EQ_STR(h->config_value(c, 0), "4");
	CHECK_EQ_STR(h->config_key(c, 1), "mid");
	CHECK_EQ_STR(h->config_key(c, 2), "zeta");
	CHECK(h->config_key(c, 3) == NULL);
	CHECK_EQ_INT(th_config_set(c, "mid", NULL), 0); /* unset */
	CHECK_EQ_INT(h->config_count(c), 2);
	CHECK(th_config_raw(c, "mid") == NULL);
	/* Defaults apply in config_get, not in the raw view. */
	CHECK(th_config_raw(c, "batch.size") == NULL);
	CHECK_EQ_STR(h->config_get(c, "batch.size"), "2000");
	CHECK(h->config_get(c, "max.bytes") == NULL);
	CHECK(h->config_get(c, "unknown") == NULL);
	CHECK_EQ_INT(h->config_set(c, "batch.size", "10"), 0);
	CHECK_EQ_STR(h->config_get(c, "batch.size"), "10");
	CHECK(th_option_find(opts, sizeof(opts[0]), "ratio") == &opts[3]);
	CHECK(th_option_find(opts, sizeof(opts[0]), "nope") == NULL);
	CHECK(th_option_find(NULL, 0, "ratio") == NULL);
	CHECK(h->config_get(NULL, "x") == NULL);
	CHECK_EQ_INT(h->config_count(NULL), 0);
	th_config_free(c);
	th_config_free(NULL);
}

static void test_config_typed(void)
{
	struct conn_config *c = th_config_new(opts, sizeof(opts[0]));
	struct conn_arena *a = th_arena_new();
	const char **items;
	int64_t l;
	double d;
	bool b;
	size_t n;

	CHECK_EQ_INT(h->config_get_long(c, "batch.size", &l), 0);
	CHECK_EQ_INT(l, 2000);
	th_config_set(c, "batch.size", " +42 ");
	CHECK_EQ_INT(h->config_get_long(c, "batch.size", &l), 0);
	CHECK_EQ_INT(l, 42);
	/* INT is 32-bit, LONG 64-bit. */
	th_config_set(c, "batch.size", "2147483648");
	CHECK_EQ_INT(h->config_get_long(c, "batch.size", &l), -EINVAL);
	th_config_set(c, "batch.size", "-2147483648");
	CHECK_EQ_INT(h->config_get_long(c, "batch.size", &l), 0);
	CHECK_EQ_INT(l, INT32_MIN);
	th_config_set(c, "max.bytes", "2147483648");
	CHECK_EQ_INT(h->config_get_long(c, "max.bytes", &l), 0);
	CHECK_EQ_INT(l, 2147483648LL);
	th_config_set(c, "max.bytes", "9223372036854775808");
	CHECK_EQ_INT(h->config_get_long(c, "max.bytes", &l), -EINVAL);
	th_config_set(c, "max.bytes", "-9223372036854775808");
	CHECK_EQ_INT(h->config_get_long(c, "max.bytes", &l), 0);
	CHECK_EQ_INT(l, INT64_MIN);
	for (const char *const *p = (const char *const[]){"abc", "1.5", "", "-",
	                                                  "1 2", "0x10", NULL};
	     *p; p++) {
		th_config_set(c, "max.bytes", *p);
		CHECK_EQ_INT(h->config_get_long(c, "max.bytes", &l), -EINVAL);
	}
	th_config_set(c, "max.bytes", NULL);
	CHECK_EQ_INT(h->config_get_long(c, "max.bytes", &l), -ENOENT);
	CHECK_EQ_INT(h->config_get_long(c, "batch.size", NULL), -EINVAL);

	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), 0);
	CHECK(d == 0.5);
	th_config_set(c, "ratio", " 1e3 ");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), 0);
	CHECK(d == 1000.0);
	th_config_set(c, "ratio", "2.5f");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), 0);
	CHECK(d == 2.5);
	th_config_set(c, "ratio", "-Infinity");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), 0);
	CHECK(isinf(d) && d < 0);
	th_config_set(c, "ratio", "NaN");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), 0);
	CHECK(isnan(d));
	th_config_set(c, "ratio", "0x1p3");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), -EINVAL);
	th_config_set(c, "ratio", "nan");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), -EINVAL);
	th_config_set(c, "ratio", "1e");
	CHECK_EQ_INT(h->config_get_double(c, "ratio", &d), -EINVAL);

	CHECK_EQ_INT(h->config_get_bool(c, "enabled", &b), 0);
	CHECK(b);
	th_config_set(c, "enabled", " FaLsE");
	CHECK_EQ_INT(h->config_get_bool(c, "enabled", &b), 0);
	CHECK(!b);
	th_config_set(c, "enabled", "TRUE");
	CHECK_EQ_INT(h->config_get_bool(c, "enabled", &b), 0);
	CHECK(b);
	th_config_set(c, "enabled", "yes");
	CHECK_EQ_INT(h->config_get_bool(c, "enabled", &b), -EINVAL);
	CHECK_EQ_INT(h->config_get_bool(c, "secret", &b), -ENOENT);

	CHECK_EQ_INT(th_config_get_list(c, "hosts", a, &items, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(items[0], "a:1");
	CHECK_EQ_STR(items[1], "b:2");
	th_config_set(c, "hosts", "  x ,y,, z  ");
	CHECK_EQ_INT(th_config_get_list(c, "hosts", a, &items, &n), 0);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_STR(items[0], "x");
	CHECK_EQ_STR(items[1], "y");
	CHECK_EQ_STR(items[2], "");
	CHECK_EQ_STR(items[3], "z");
	th_config_set(c, "hosts", "   ");
	CHECK_EQ_INT(th_config_get_list(c, "hosts", a, &items, &n), 0);
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(th_config_get_list(c, "secret", a, &items, &n), -ENOENT);
	th_arena_free(a);
	th_config_free(c);
}

static void test_config_check(void)
{
	struct conn_config *c = th_config_new(opts, sizeof(opts[0]));
	struct conn_validation *v = th_validation_new();
	char err[256] = "";

	CHECK_EQ_INT(th_config_check(c, NULL, err, sizeof(err)), 1);
	CHECK_EQ_STR(err, "Missing required configuration \"topic\" which "
	                  "has no default value.");
	th_config_set(c, "topic", "t");
	CHECK_EQ_INT(th_config_check(c, NULL, err, sizeof(err)), 0);

	th_config_set(c, "batch.size", "abc");
	th_config_set(c, "enabled", "maybe");
	th_config_set(c, "ratio", "x");
	th_config_set(c, "max.bytes", "99999999999999999999");
	th_config_set(c, "file", "  ");
	th_config_set(c, "topic", "");
	CHECK_EQ_INT(th_config_check(c, v, err, sizeof(err)), 6);
	CHECK_EQ_INT(v->n, 6);
	CHECK_EQ_STR(err, "Invalid value  for configuration topic: String "
	                  "must be non-empty");
	CHECK_EQ_STR(v->errs[1].key, "batch.size");
	CHECK_EQ_STR(v->errs[1].message,
	             "Invalid value abc for configuration batch.size: Not a "
	             "number of type INT");
	CHECK_EQ_STR(v->errs[2].message,
	             "Invalid value 99999999999999999999 for configuration "
	             "max.bytes: Not a number of type LONG");
	CHECK_EQ_STR(v->errs[3].message,
	             "Invalid value x for configuration ratio: Not a number "
	             "of type DOUBLE");
	CHECK_EQ_STR(v->errs[4].message,
	             "Invalid value maybe for configuration enabled: Expected "
	             "value to be either true or false");
	CHECK_EQ_STR(v->errs[5].key, "file");
	/* A bad default is reported too; an INT beyond 32 bits is bad. */
	th_validation_free(v);
	th_config_free(c);
	CHECK_EQ_INT(th_config_check(NULL, NULL, NULL, 0), 0);
}

static void test_task_configs(void)
{
	struct conn_task_configs *t =
	    th_task_configs_new(opts, sizeof(opts[0]));
	struct conn_config *c;

	CHECK(t != NULL);
	for (int i = 0; i < 20; i++) {
		char buf[16];

		c = h->task_config_add(t);
		CHECK(c != NULL);
		snprintf(buf, sizeof(buf), "%d", i);
		CHECK_EQ_INT(h->config_set(c, "task.id", buf), 0);
	}
	CHECK_EQ_INT(t->n, 20);
	CHECK_EQ_STR(th_config_raw(t->tasks[13], "task.id"), "13");
	/* Task configs carry the option table: defaults apply. */
	CHECK_EQ_STR(h->config_get(t->tasks[0], "batch.size"), "2000");
	CHECK(h->task_config_add(NULL) == NULL);
	th_task_configs_free(t);
	th_task_configs_free(NULL);
}

static void test_validation(void)
{
	struct conn_validation *v = th_validation_new();
	char key[8] = "k";

	h->validation_error(v, key, "bad value");
	key[0] = 'X';
	h->validation_error(v, NULL, NULL);
	h->validation_error(v, "u", "caf\xc3\xa9 \xff!");
	h->validation_error(NULL, "k", "m");
	CHECK_EQ_INT(v->n, 3);
	CHECK_EQ_STR(v->errs[0].key, "k");
	CHECK_EQ_STR(v->errs[0].message, "bad value");
	CHECK_EQ_STR(v->errs[1].key, "");
	CHECK_EQ_STR(v->errs[2].message, "caf\xc3\xa9 ?!");
	th_validation_free(v);
	th_validation_free(NULL);
}

/* --- Offsets and context -------------------------------------------------- */

static void test_offsets(void)
{
	struct conn_offsets *o = th_offsets_new();
	const char *topic;
	int32_t part;
	int64_t off;

	CHECK_EQ_INT(th_offsets_add(o, "t1xyz", 2, 0, 100), 0);
	CHECK_EQ_INT(th_offsets_add(o, "t1", 2, 1, 200), 0);
	CHECK_EQ_INT(th_offsets_add(o, "t2", 2, 0, 300), 0);
	CHECK_EQ_INT(h->offsets_count(o), 3);
	CHECK_EQ_INT(h->offsets_at(o, 1, &topic, &part, &off), 0);
	CHECK_EQ_STR(topic, "t1");
	CHECK_EQ_INT(part, 1);
	CHECK_EQ_INT(off, 200);
	CHECK_EQ_INT(h->offsets_at(o, 3, &topic, &part, &off), -EINVAL);
	/* Lowering works, raising is refused, unknown partitions too. */
	CHECK_EQ_INT(h->offsets_set(o, "t1", 1, 150), 0);
	CHECK_EQ_INT(h->offsets_set(o, "t1", 1, 180), -EINVAL);
	CHECK_EQ_INT(h->offsets_set(o, "t1", 1, -1), -EINVAL);
	CHECK_EQ_INT(h->offsets_set(o, "t1", 7, 1), -ENOENT);
	CHECK_EQ_INT(h->offsets_set(o, "t3", 0, 1), -ENOENT);
	CHECK_EQ_INT(h->offsets_set(o, "t1", 1, 150), 0);
	h->offsets_at(o, 1, NULL, NULL, &off);
	CHECK_EQ_INT(off, 150);
	h->offsets_at(o, 0, NULL, NULL, &off);
	CHECK_EQ_INT(off, 100);
	CHECK_EQ_INT(h->offsets_count(NULL), 0);
	CHECK_EQ_INT(h->offsets_set(NULL, "t1", 1, 1), -EINVAL);
	th_offsets_free(o);
	th_offsets_free(NULL);
}

static int logged_level;
static char logged_msg[64];

static void capture_log(struct conn_context *cx, int level, const char *msg)
{
	(void)cx;
	logged_level = level;
	snprintf(logged_msg, sizeof(logged_msg), "%s", msg);
}

static void test_context(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *p1 = h->value_map(a), *p2 = h->value_map(a);
	struct conn_value *q = h->value_map(a);
	const struct conn_value *parts[2], *vals[2];
	struct conn_context cx = {
	    .connector = "c",
	    .task_id = 0,
	    .task_dir = "/var/lib/sluice/c-0",
	    .log = capture_log,
	};

	h->log(&cx, CONN_LOG_WARN, "careful");
	CHECK_EQ_INT(logged_level, CONN_LOG_WARN);
	CHECK_EQ_STR(logged_msg, "careful");
	h->log(NULL, CONN_LOG_INFO, "dropped");
	cx.log = NULL;
	h->log(&cx, CONN_LOG_INFO, "dropped");
	CHECK_EQ_STR(logged_msg, "careful");
	CHECK_EQ_STR(h->task_dir(&cx), "/var/lib/sluice/c-0");
	CHECK(h->task_dir(NULL) == NULL);

	/* Stored partitions come from JSON (INT64); the plugin may ask with
	 * an INT32 and another key order. */
	h->map_put(p1, h->value_string(a, "file", 4),
	           h->value_string(a, "a", 1));
	h->map_put(p1, h->value_string(a, "part", 4),
	           h->value_int(a, CONN_INT64, 1));
	h->map_put(p2, h->value_string(a, "file", 4),
	           h->value_string(a, "b", 1));
	parts[0] = p1;
	parts[1] = p2;
	vals[0] = h->value_int(a, CONN_INT64, 10);
	vals[1] = h->value_int(a, CONN_INT64, 20);
	cx.off_parts = parts;
	cx.off_vals = vals;
	cx.noff = 2;
	h->map_put(q, h->value_string(a, "part", 4),
	           h->value_int(a, CONN_INT32, 1));
	h->map_put(q, h->value_string(a, "file", 4),
	           h->value_string(a, "a", 1));
	CHECK(h->offset_get(&cx, q) == vals[0]);
	CHECK(h->offset_get(&cx, p2) == vals[1]);
	h->map_put(q, h->value_string(a, "file", 4),
	           h->value_string(a, "c", 1));
	CHECK(h->offset_get(&cx, q) == NULL);
	CHECK(h->offset_get(&cx, NULL) == NULL);
	CHECK(h->offset_get(NULL, p1) == NULL);
	th_arena_free(a);
}

static void test_host_table(void)
{
	const char *p = (const char *)&th_host;
	size_t first = offsetof(struct conn_host, log);

	CHECK_EQ_INT(th_host.abi, CONN_HOST_V1);
	CHECK_EQ_INT(th_host.size, sizeof(struct conn_host));
	/* Every member after the header is a function pointer: all set. */
	for (size_t off = first;
	     off + sizeof(void (*)(void)) <= sizeof(th_host);
	     off += sizeof(void (*)(void))) {
		void (*fn)(void);

		memcpy(&fn, p + off, sizeof(fn));
		CHECK(fn != NULL);
	}
	CHECK(th_host.offsets_set != NULL);
}

/* Deep or cyclic data must fail cleanly, not blow the stack. */
static void test_depth_limits(void)
{
	struct conn_arena *a = th_arena_new();
	struct conn_value *outer = h->value_array(a), *cur = outer;
	const struct conn_schema *s = h->schema_std(CONN_STRING, false);
	char err[128];
	int i;

	for (i = 0; i < TH_MAX_DEPTH + 10; i++) {
		struct conn_value *next = h->value_array(a);

		if (h->array_append(cur, next) != 0)
			break;
		cur = next;
	}
	CHECK(i == TH_MAX_DEPTH + 10);
	CHECK(th_value_equal(outer, outer));
	/* Comparing two distinct deep values stops at the limit. */
	{
		struct conn_value *o2 = h->value_array(a), *c2 = o2;

		for (int k = 0; k < TH_MAX_DEPTH + 10; k++) {
			struct conn_value *next = h->value_array(a);

			h->array_append(c2, next);
			c2 = next;
		}
		CHECK(!th_value_equal(outer, o2));
	}
	for (i = 0; i < TH_MAX_DEPTH + 5; i++)
		s = h->schema_array(a, s);
	CHECK_EQ_INT(th_value_validate(s, outer, err, sizeof(err)), -EINVAL);
	th_arena_free(a);
}

TEST_LIST = {
    {"buf", test_buf},
    {"arena_growth_and_reset", test_arena_growth_and_reset},
    {"utf8", test_utf8},
    {"schema_std", test_schema_std},
    {"schema_constructors", test_schema_constructors},
    {"schema_logical", test_schema_logical},
    {"schema_default", test_schema_default},
    {"schema_equal", test_schema_equal},
    {"value_primitives", test_value_primitives},
    {"value_containers", test_value_containers},
    {"value_struct", test_value_struct},
    {"value_equal", test_value_equal},
    {"value_validate", test_value_validate},
    {"type_name", test_type_name},
    {"records", test_records},
    {"record_topics", test_record_topics},
    {"config_basics", test_config_basics},
    {"config_typed", test_config_typed},
    {"config_check", test_config_check},
    {"task_configs", test_task_configs},
    {"validation", test_validation},
    {"offsets", test_offsets},
    {"context", test_context},
    {"host_table", test_host_table},
    {"depth_limits", test_depth_limits},
    {NULL, NULL},
};
