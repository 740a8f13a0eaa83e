/*
 * test_proto_msg.c: round trips of every protocol message, and rejection
 * of malformed frames (truncations, wrong types, bad counts, trailing
 * bytes, out-of-range values).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "testhelp.h"

static msgpack_sbuffer sb;
static msgpack_packer pk;

static void reset(void)
{
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
}

/* Opens the packed frame; checks its type. */
static int open_frame(struct proto_rd *rd, uint32_t want, uint32_t *nf)
{
	uint32_t type;
	int rc = proto_frame_open(rd, sb.data, sb.size, &type, nf);

	CHECK_EQ_INT(rc, 0);
	CHECK_EQ_INT(type, want);
	return rc;
}

static bool str_is(struct proto_str s, const char *want)
{
	return s.p && s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void test_hello(void)
{
	struct proto_hello h = {PROTO_VERSION, 4242}, out;
	struct proto_rd rd;
	uint32_t nf;

	reset();
	CHECK_EQ_INT(proto_hello_pack(&pk, &h), 0);
	open_frame(&rd, PROTO_HELLO, &nf);
	CHECK_EQ_INT(proto_hello_unpack(&rd, nf, &out), 0);
	CHECK(proto_rd_done(&rd));
	CHECK_EQ_INT(out.version, PROTO_VERSION);
	CHECK_EQ_INT(out.pid, 4242);
}

static void test_start(void)
{
	struct proto_kv cfg[] = {{"file", "/tmp/in"}, {"topic", "t"}};
	struct proto_kv conv[] = {{"value.converter", "X"}};
	struct proto_kv offs[] = {
	    {"{\"filename\":\"/in\"}", "{\"position\":7}"}};
	struct proto_start_out st = {
	    .role = PROTO_ROLE_SOURCE,
	    .connector = "c1",
	    .task_id = 3,
	    .plugin = "/p.so",
	    .config = cfg,
	    .config_n = 2,
	    .converters = conv,
	    .converters_n = 1,
	    .offsets = offs,
	    .offsets_n = 1,
	    .limits = {4, 1000, 1 << 20, 2, 100, PROTO_START_PAUSED},
	};
	struct proto_start m;
	struct proto_str k, v;
	struct proto_rd rd, it;
	uint32_t nf;

	reset();
	CHECK_EQ_INT(proto_start_pack(&pk, &st), 0);
	open_frame(&rd, PROTO_START, &nf);
	CHECK_EQ_INT(proto_start_unpack(&rd, nf, &m), 0);
	CHECK(proto_rd_done(&rd));
	CHECK_EQ_INT(m.role, PROTO_ROLE_SOURCE);
	CHECK(str_is(m.connector, "c1"));
	CHECK_EQ_INT(m.task_id, 3);
	CHECK(str_is(m.plugin, "/p.so"));
	CHECK_EQ_INT(m.config_n, 2);
	it = m.config;
	CHECK_EQ_INT(proto_kv_next(&it, &k, &v), 0);
	CHECK(str_is(k, "file") && str_is(v, "/tmp/in"));
	CHECK_EQ_INT(proto_kv_next(&it, &k, &v), 0);
	CHECK(str_is(k, "topic") && str_is(v, "t"));
	CHECK(proto_rd_done(&it));
	CHECK_EQ_INT(m.offsets_n, 1);
	it = m.offsets;
	CHECK_EQ_INT(proto_kv_next(&it, &k, &v), 0);
	CHECK(str_is(v, "{\"position\":7}"));
	CHECK_EQ_INT(m.limits.credits, 4);
	CHECK_EQ_INT(m.limits.max_records, 1000);
	CHECK_EQ_INT(m.limits.max_bytes, 1 << 20);
	CHECK_EQ_INT(m.limits.max_tasks, 2);
	CHECK_EQ_INT(m.limits.poll_wait_ms, 100);
	CHECK_EQ_INT(m.limits.flags, PROTO_START_PAUSED);

	/* a role that does not exist */
	st.role = 9;
	reset();
	CHECK_EQ_INT(proto_start_pack(&pk, &st), 0);
	open_frame(&rd, PROTO_START, &nf);
	CHECK_EQ_INT(proto_start_unpack(&rd, nf, &m), -EPROTO);
}

static void test_small_messages(void)
{
	struct proto_failed f;
	struct proto_log l;
	struct proto_rd rd;
	uint64_t n;
	uint32_t nf;
	char big[PROTO_LOG_MAX + 100];

	reset();
	CHECK_EQ_INT(proto_u64_pack(&pk, PROTO_PING, 77), 0);
	open_frame(&rd, PROTO_PING, &nf);
	CHECK_EQ_INT(proto_u64_unpack(&rd, nf, &n), 0);
	CHECK_EQ_INT(n, 77);

	reset();
	CHECK_EQ_INT(proto_empty_pack(&pk, PROTO_STOP), 0);
	open_frame(&rd, PROTO_STOP, &nf);
	CHECK_EQ_INT(proto_empty_unpack(&rd, nf), 0);
	CHECK(proto_rd_done(&rd));

	reset();
	CHECK_EQ_INT(proto_failed_pack(&pk, PROTO_FAIL_CONFIG, "bad", "t\nx"),
	             0);
	open_frame(&rd, PROTO_FAILED, &nf);
	CHECK_EQ_INT(proto_failed_unpack(&rd, nf, &f), 0);
	CHECK_EQ_INT(f.kind, PROTO_FAIL_CONFIG);
	CHECK(str_is(f.message, "bad") && str_is(f.trace, "t\nx"));

	reset();
	CHECK_EQ_INT(proto_failed_pack(&pk, 99, "bad", ""), 0);
	open_frame(&rd, PROTO_FAILED, &nf);
	CHECK_EQ_INT(proto_failed_unpack(&rd, nf, &f), -EPROTO);

	/* a LOG message is cut at PROTO_LOG_MAX */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	reset();
	CHECK_EQ_INT(proto_log_pack(&pk, 6, big), 0);
	open_frame(&rd, PROTO_LOG, &nf);
	CHECK_EQ_INT(proto_log_unpack(&rd, nf, &l), 0);
	CHECK_EQ_INT(l.message.n, PROTO_LOG_MAX);
	CHECK_EQ_INT(l.level, 6);
}

static void test_task_configs_and_validation(void)
{
	struct proto_task_configs tc;
	struct proto_validation v;
	struct proto_str a, b;
	struct proto_rd rd, it;
	uint32_t nf, n;

	reset();
	CHECK_EQ_INT(proto_task_configs_begin(&pk, 2), 0);
	CHECK_EQ_INT(proto_kvmap_begin(&pk, 1), 0);
	CHECK_EQ_INT(proto_pack_kv(&pk, "task.id", "0"), 0);
	CHECK_EQ_INT(proto_kvmap_begin(&pk, 0), 0);
	open_frame(&rd, PROTO_TASK_CONFIGS, &nf);
	CHECK_EQ_INT(proto_task_configs_unpack(&rd, nf, &tc), 0);
	CHECK_EQ_INT(tc.tasks_n, 2);
	it = tc.tasks;
	CHECK_EQ_INT(proto_rd_map(&it, &n), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(proto_kv_next(&it, &a, &b), 0);
	CHECK(str_is(a, "task.id") && str_is(b, "0"));
	CHECK_EQ_INT(proto_rd_map(&it, &n), 0);
	CHECK_EQ_INT(n, 0);

	reset();
	CHECK_EQ_INT(proto_validation_begin(&pk, 1), 0);
	CHECK_EQ_INT(proto_validation_error_pack(&pk, "topic", "missing"), 0);
	open_frame(&rd, PROTO_VALIDATION, &nf);
	CHECK_EQ_INT(proto_validation_unpack(&rd, nf, &v), 0);
	CHECK_EQ_INT(v.errors_n, 1);
	it = v.errors;
	CHECK_EQ_INT(proto_pair_next(&it, &a, &b), 0);
	CHECK(str_is(a, "topic") && str_is(b, "missing"));
}

/* Packs a source batch of 2 records (one with headers) to 2 topics. */
static void pack_source_batch(uint64_t seq)
{
	struct proto_record r1 = {
	    .topic = 0,
	    .partition = -1,
	    .timestamp = 1700000000000,
	    .key = {NULL, 0},
	    .value = {"v1", 2},
	    .headers_n = 2,
	};
	struct proto_record r2 = {
	    .topic = 1,
	    .partition = 3,
	    .timestamp = -1,
	    .key = {"k", 1},
	    .value = {"", 0},
	};

	CHECK_EQ_INT(proto_source_batch_begin(&pk, seq, 2), 0);
	CHECK_EQ_INT(proto_pack_cstr(&pk, "t1"), 0);
	CHECK_EQ_INT(proto_pack_cstr(&pk, "t2"), 0);
	CHECK_EQ_INT(proto_batch_records_begin(&pk, 2), 0);
	CHECK_EQ_INT(proto_source_record_pack(&pk, &r1), 0);
	CHECK_EQ_INT(proto_header_pack(&pk, "h1", 2, "x", 1, false), 0);
	CHECK_EQ_INT(proto_header_pack(&pk, "h2", 2, NULL, 0, true), 0);
	CHECK_EQ_INT(proto_source_record_pack(&pk, &r2), 0);
	CHECK_EQ_INT(proto_kvmap_begin(&pk, 1), 0);
	CHECK_EQ_INT(proto_pack_kv(&pk, "{\"f\":\"a\"}", "{\"p\":1}"), 0);
	CHECK_EQ_INT(proto_source_errors_begin(&pk, 1), 0);
	CHECK_EQ_INT(proto_source_error_pack(&pk, PROTO_STAGE_VALUE, "bad"), 0);
}

static void test_source_batch(void)
{
	struct proto_batch b;
	struct proto_record r;
	struct proto_str s, hk, hv;
	struct proto_rd rd, it, hit;
	uint32_t nf, stage;

	reset();
	pack_source_batch(9);
	open_frame(&rd, PROTO_SOURCE_BATCH, &nf);
	CHECK_EQ_INT(proto_source_batch_unpack(&rd, nf, &b), 0);
	CHECK(proto_rd_done(&rd));
	CHECK_EQ_INT(b.seq, 9);
	CHECK_EQ_INT(b.topics_n, 2);
	CHECK_EQ_INT(b.records_n, 2);
	CHECK_EQ_INT(b.offsets_n, 1);
	CHECK_EQ_INT(b.errors_n, 1);
	it = b.topics;
	CHECK_EQ_INT(proto_rd_str(&it, &s), 0);
	CHECK(str_is(s, "t1"));
	it = b.records;
	CHECK_EQ_INT(proto_source_record_next(&it, &r), 0);
	CHECK_EQ_INT(r.topic, 0);
	CHECK_EQ_INT(r.partition, -1);
	CHECK_EQ_INT(r.timestamp, 1700000000000);
	CHECK(r.key.p == NULL);
	CHECK(str_is(r.value, "v1"));
	CHECK_EQ_INT(r.headers_n, 2);
	hit = r.headers;
	CHECK_EQ_INT(proto_header_next(&hit, &hk, &hv), 0);
	CHECK(str_is(hk, "h1") && str_is(hv, "x"));
	CHECK_EQ_INT(proto_header_next(&hit, &hk, &hv), 0);
	CHECK(str_is(hk, "h2") && hv.p == NULL);
	CHECK_EQ_INT(proto_source_record_next(&it, &r), 0);
	CHECK_EQ_INT(r.topic, 1);
	CHECK_EQ_INT(r.partition, 3);
	CHECK(str_is(r.key, "k"));
	/* an empty value is not null */
	CHECK(r.value.p != NULL && r.value.n == 0);
	CHECK_EQ_INT(r.headers_n, 0);
	it = b.errors;
	CHECK_EQ_INT(proto_source_error_next(&it, &stage, &s), 0);
	CHECK_EQ_INT(stage, PROTO_STAGE_VALUE);
	CHECK(str_is(s, "bad"));
}

static void test_sink_messages(void)
{
	struct proto_record r = {
	    .topic = 0,
	    .partition = 2,
	    .offset = 41,
	    .timestamp = 5,
	    .key = {"k", 1},
	    .value = {"v", 1},
	};
	struct proto_batch b;
	struct proto_sink_ack a;
	struct proto_sink_flush f;
	struct proto_record out;
	struct proto_str s;
	struct proto_rd rd, it;
	uint32_t nf, idx, stage;
	int32_t part;
	int64_t off;

	reset();
	CHECK_EQ_INT(proto_sink_batch_begin(&pk, 4, 1), 0);
	CHECK_EQ_INT(proto_pack_cstr(&pk, "t"), 0);
	CHECK_EQ_INT(proto_batch_records_begin(&pk, 1), 0);
	CHECK_EQ_INT(proto_sink_record_pack(&pk, &r), 0);
	open_frame(&rd, PROTO_SINK_BATCH, &nf);
	CHECK_EQ_INT(proto_sink_batch_unpack(&rd, nf, &b), 0);
	it = b.records;
	CHECK_EQ_INT(proto_sink_record_next(&it, &out), 0);
	CHECK_EQ_INT(out.partition, 2);
	CHECK_EQ_INT(out.offset, 41);
	CHECK(str_is(out.value, "v"));

	reset();
	CHECK_EQ_INT(proto_sink_ack_begin(&pk, 4, PROTO_SINK_OK, "", 1), 0);
	CHECK_EQ_INT(proto_sink_error_pack(&pk, 0, PROTO_STAGE_KEY, "x"), 0);
	open_frame(&rd, PROTO_SINK_ACK, &nf);
	CHECK_EQ_INT(proto_sink_ack_unpack(&rd, nf, &a), 0);
	CHECK_EQ_INT(a.seq, 4);
	it = a.errors;
	CHECK_EQ_INT(proto_sink_error_next(&it, &idx, &stage, &s), 0);
	CHECK_EQ_INT(idx, 0);
	CHECK_EQ_INT(stage, PROTO_STAGE_KEY);

	reset();
	CHECK_EQ_INT(proto_sink_flush_begin(&pk, 5, 1), 0);
	CHECK_EQ_INT(proto_position_pack(&pk, "t", 2, 42), 0);
	open_frame(&rd, PROTO_SINK_FLUSH, &nf);
	CHECK_EQ_INT(proto_sink_flush_unpack(&rd, nf, &f), 0);
	it = f.offsets;
	CHECK_EQ_INT(proto_position_next(&it, &s, &part, &off), 0);
	CHECK(str_is(s, "t"));
	CHECK_EQ_INT(part, 2);
	CHECK_EQ_INT(off, 42);

	reset();
	CHECK_EQ_INT(proto_sink_flushed_begin(&pk, 5, PROTO_SINK_OK, "", 1), 0);
	CHECK_EQ_INT(proto_position_pack(&pk, "t", 2, 40), 0);
	open_frame(&rd, PROTO_SINK_FLUSHED, &nf);
	CHECK_EQ_INT(proto_sink_flushed_unpack(&rd, nf, &f), 0);
	CHECK_EQ_INT(f.offsets_n, 1);
}

/* Every strict prefix of a valid frame is rejected. */
static void test_truncations(void)
{
	size_t full;
	char *copy;

	reset();
	pack_source_batch(1);
	full = sb.size;
	copy = malloc(full);
	memcpy(copy, sb.data, full);
	for (size_t n = 0; n < full; n++) {
		struct proto_rd rd;
		struct proto_batch b;
		uint32_t type, nf;
		int rc = proto_frame_open(&rd, copy, n, &type, &nf);

		if (rc == 0)
			rc = proto_source_batch_unpack(&rd, nf, &b);
		if (rc == 0 && !proto_rd_done(&rd))
			rc = -EPROTO;
		CHECK(rc == -EPROTO);
	}
	free(copy);
}

/* Flips each byte of a valid frame to every value: never a crash, and
 * anything accepted is consistent (checked by iterating it fully). */
static void test_mutations(void)
{
	size_t full;
	unsigned char *copy;
	int accepted = 0;

	reset();
	pack_source_batch(1);
	full = sb.size;
	copy = malloc(full);
	for (size_t i = 0; i < full; i++) {
		for (int v = 0; v < 256; v++) {
			struct proto_rd rd, it;
			struct proto_batch b;
			struct proto_record r;
			uint32_t type, nf;

			memcpy(copy, sb.data, full);
			copy[i] = (unsigned char)v;
			if (proto_frame_open(&rd, copy, full, &type, &nf) ||
			    type != PROTO_SOURCE_BATCH ||
			    proto_source_batch_unpack(&rd, nf, &b))
				continue;
			accepted++;
			it = b.records;
			for (uint32_t k = 0; k < b.records_n; k++) {
				CHECK_EQ_INT(proto_source_record_next(&it, &r),
				             0);
				CHECK(r.topic < b.topics_n);
			}
		}
	}
	CHECK(accepted > 0);
	free(copy);
}

static void test_malformed(void)
{
	static const struct {
		const char *what;
		const unsigned char bytes[16];
		size_t len;
	} cases[] = {
	    {"empty", {0}, 0},
	    {"not an array", {0x01}, 1},
	    {"empty array", {0x90}, 1},
	    {"type 0", {0x91, 0x00}, 2},
	    {"unknown type 99", {0x91, 0x63}, 2},
	    {"type as string", {0x91, 0xa1, 'x'}, 3},
	    {"negative type", {0x91, 0xff}, 2},
	    {"array32 claims 4G elements",
	     {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01},
	     6},
	    {"map16 with more entries than bytes", {0xde, 0x00, 0x10, 0x01}, 4},
	};
	uint8_t frame[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proto_rd rd;
		uint32_t type, nf;

		memcpy(frame, cases[i].bytes, cases[i].len);
		if (proto_frame_open(&rd, frame, cases[i].len, &type, &nf) !=
		    -EPROTO)
			fprintf(stderr, "  accepted: %s\n", cases[i].what);
		CHECK(proto_frame_open(&rd, frame, cases[i].len, &type, &nf) ==
		      -EPROTO);
	}
}

static void test_wrong_shapes(void)
{
	struct proto_hello h;
	struct proto_batch b;
	struct proto_rd rd;
	uint32_t nf;

	/* HELLO with an extra field */
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_uint32(&pk, PROTO_HELLO);
	msgpack_pack_uint32(&pk, 1);
	msgpack_pack_uint32(&pk, 2);
	msgpack_pack_uint32(&pk, 3);
	open_frame(&rd, PROTO_HELLO, &nf);
	CHECK_EQ_INT(proto_hello_unpack(&rd, nf, &h), -EPROTO);

	/* a record whose topic index is past the topic table */
	reset();
	proto_source_batch_begin(&pk, 1, 1);
	proto_pack_cstr(&pk, "t");
	proto_batch_records_begin(&pk, 1);
	proto_source_record_pack(&pk,
	                         &(struct proto_record){.topic = 1,
	                                                .partition = -1,
	                                                .timestamp = -1,
	                                                .value = {"v", 1}});
	proto_kvmap_begin(&pk, 0);
	proto_source_errors_begin(&pk, 0);
	open_frame(&rd, PROTO_SOURCE_BATCH, &nf);
	CHECK_EQ_INT(proto_source_batch_unpack(&rd, nf, &b), -EPROTO);

	/* a sink record with a negative offset */
	reset();
	proto_sink_batch_begin(&pk, 1, 1);
	proto_pack_cstr(&pk, "t");
	proto_batch_records_begin(&pk, 1);
	proto_sink_record_pack(&pk, &(struct proto_record){.partition = 0,
	                                                   .offset = -5,
	                                                   .timestamp = -1});
	open_frame(&rd, PROTO_SINK_BATCH, &nf);
	CHECK_EQ_INT(proto_sink_batch_unpack(&rd, nf, &b), -EPROTO);

	/* a partition below -1 */
	reset();
	proto_source_batch_begin(&pk, 1, 1);
	proto_pack_cstr(&pk, "t");
	proto_batch_records_begin(&pk, 1);
	proto_source_record_pack(
	    &pk, &(struct proto_record){.partition = -2, .timestamp = -1});
	proto_kvmap_begin(&pk, 0);
	proto_source_errors_begin(&pk, 0);
	open_frame(&rd, PROTO_SOURCE_BATCH, &nf);
	CHECK_EQ_INT(proto_source_batch_unpack(&rd, nf, &b), -EPROTO);
}

static void test_integers(void)
{
	/* every msgpack integer encoding, and range checks */
	static const struct {
		unsigned char b[9];
		size_t n;
		int64_t v;
	} ok_cases[] = {
	    {{0x05}, 1, 5},
	    {{0xe0}, 1, -32},
	    {{0xcc, 0xff}, 2, 255},
	    {{0xcd, 0x01, 0x00}, 3, 256},
	    {{0xce, 0x00, 0x01, 0x00, 0x00}, 5, 65536},
	    {{0xd0, 0x80}, 2, -128},
	    {{0xd1, 0xff, 0x00}, 3, -256},
	    {{0xd2, 0xff, 0xff, 0xff, 0xff}, 5, -1},
	    {{0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	     9,
	     INT64_MAX},
	};
	unsigned char too_big[9] = {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0};
	struct proto_rd rd;
	int64_t v;
	uint64_t u;

	for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
		proto_rd_init(&rd, ok_cases[i].b, ok_cases[i].n);
		CHECK_EQ_INT(proto_rd_int(&rd, &v), 0);
		CHECK_EQ_INT(v, ok_cases[i].v);
		CHECK(proto_rd_done(&rd));
	}
	proto_rd_init(&rd, too_big, sizeof(too_big));
	CHECK_EQ_INT(proto_rd_int(&rd, &v), -EPROTO);
	CHECK_EQ_INT(proto_rd_uint(&rd, &u), 0);
	proto_rd_init(&rd, (unsigned char[]){0xff}, 1);
	CHECK_EQ_INT(proto_rd_uint(&rd, &u), -EPROTO);
	/* truncated */
	proto_rd_init(&rd, (unsigned char[]){0xce, 0x00}, 2);
	CHECK_EQ_INT(proto_rd_int(&rd, &v), -EPROTO);
}

static void test_skip_depth(void)
{
	unsigned char deep[64];
	struct proto_rd rd;

	/* 40 nested one-element arrays around a nil: too deep */
	for (int i = 0; i < 40; i++)
		deep[i] = 0x91;
	deep[40] = 0xc0;
	proto_rd_init(&rd, deep, 41);
	CHECK_EQ_INT(proto_rd_skip(&rd), -EPROTO);
	/* 10 are fine */
	proto_rd_init(&rd, deep + 30, 11);
	CHECK_EQ_INT(proto_rd_skip(&rd), 0);
	CHECK(proto_rd_done(&rd));
}

/* msgpack-c's own encoding of a record, the reference for the hand-made
 * one in proto_msg.c */
static void ref_record(msgpack_packer *p, const struct proto_record *r,
                       bool sink)
{
	msgpack_pack_array(p, sink ? 7 : 6);
	msgpack_pack_uint32(p, r->topic);
	msgpack_pack_int32(p, r->partition);
	if (sink)
		msgpack_pack_int64(p, r->offset);
	msgpack_pack_int64(p, r->timestamp);
	if (r->key.p) {
		msgpack_pack_bin(p, r->key.n);
		msgpack_pack_bin_body(p, r->key.p, r->key.n);
	} else {
		msgpack_pack_nil(p);
	}
	if (r->value.p) {
		msgpack_pack_bin(p, r->value.n);
		msgpack_pack_bin_body(p, r->value.p, r->value.n);
	} else {
		msgpack_pack_nil(p);
	}
	if (r->headers_n)
		msgpack_pack_array(p, r->headers_n);
	else
		msgpack_pack_nil(p);
}

/* Records are packed by hand: byte for byte what msgpack-c packs, at
 * every integer and length boundary, and they read back. */
static void test_record_encoding(void)
{
	static const int64_t ints[] = {
	    0,         1,      127,    128,          255,
	    256,       65535,  65536,  4294967295LL, 4294967296LL,
	    INT64_MAX, -1,     -32,    -33,          -128,
	    -129,      -32768, -32769, INT32_MIN,    (int64_t)INT32_MIN - 1,
	    INT64_MIN};
	static const size_t lens[] = {0, 1, 64, 65, 255, 256, 65535, 65536};
	static const uint32_t hdrs[] = {0, 1, 15, 16, 65535, 65536};
	char *data = malloc(65536);
	msgpack_sbuffer ref;
	msgpack_packer rp;
	int cases = 0, same = 0;

	CHECK(data != NULL);
	if (!data)
		return;
	memset(data, 'x', 65536);
	msgpack_sbuffer_init(&ref);
	msgpack_packer_init(&rp, &ref, msgpack_sbuffer_write);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		for (size_t k = 0; k <= sizeof(lens) / sizeof(lens[0]); k++) {
			size_t v = (i + k) % (sizeof(lens) / sizeof(lens[0]));
			struct proto_record r = {
			    .topic = (uint32_t)(ints[i] < 0 ? -ints[i] / 2
			                                    : ints[i]),
			    .partition = (int32_t)ints[i],
			    .offset = ints[i],
			    .timestamp = ints[(i + 3) % 21],
			    .key = {k < 8 ? data : NULL,
			            k < 8 ? (uint32_t)lens[k] : 0},
			    .value = {(i % 5) ? data : NULL,
			              (i % 5) ? (uint32_t)lens[v] : 0},
			    .headers_n = hdrs[(i + k) % 6],
			};

			for (int sink = 0; sink < 2; sink++) {
				reset();
				msgpack_sbuffer_clear(&ref);
				CHECK_EQ_INT(
				    sink ? proto_sink_record_pack(&pk, &r)
				         : proto_source_record_pack(&pk, &r),
				    0);
				ref_record(&rp, &r, sink);
				cases++;
				if (sb.size == ref.size &&
				    memcmp(sb.data, ref.data, sb.size) == 0)
					same++;
				else
					fprintf(
					    stderr,
					    "  record %zu/%zu/%d: %zu bytes, "
					    "msgpack-c %zu\n",
					    i, k, sink, sb.size, ref.size);
			}
		}
	}
	CHECK_EQ_INT(same, cases);
	/* and one reads back (headers omitted: a record without any) */
	{
		struct proto_record r = {.topic = 3,
		                         .partition = -1,
		                         .timestamp = 1700000000000LL,
		                         .key = {"k", 1},
		                         .value = {data, 300}},
		                    out;
		struct proto_rd rd;

		reset();
		CHECK_EQ_INT(proto_source_record_pack(&pk, &r), 0);
		proto_rd_init(&rd, sb.data, sb.size);
		CHECK_EQ_INT(proto_source_record_next(&rd, &out), 0);
		CHECK(proto_rd_done(&rd));
		CHECK_EQ_INT(out.topic, 3);
		CHECK_EQ_INT(out.partition, -1);
		CHECK_EQ_INT(out.timestamp, 1700000000000LL);
		CHECK(out.key.n == 1 && out.key.p && out.key.p[0] == 'k');
		CHECK(out.value.n == 300 && out.value.p &&
		      memcmp(out.value.p, data, 300) == 0);
		CHECK_EQ_INT(out.headers_n, 0);
	}
	msgpack_sbuffer_destroy(&ref);
	free(data);
}

static void test_names(void)
{
	CHECK_EQ_STR(proto_type_name(PROTO_SOURCE_BATCH), "SOURCE_BATCH");
	CHECK_EQ_STR(proto_type_name(14), "unknown");
	CHECK_EQ_STR(proto_type_name(1000), "unknown");
	CHECK_EQ_STR(proto_stage_name(PROTO_STAGE_HEADER), "header converter");
}

TEST_LIST = {
    {"hello", test_hello},
    {"start", test_start},
    {"small_messages", test_small_messages},
    {"task_configs_and_validation", test_task_configs_and_validation},
    {"source_batch", test_source_batch},
    {"sink_messages", test_sink_messages},
    {"truncations", test_truncations},
    {"mutations", test_mutations},
    {"malformed", test_malformed},
    {"wrong_shapes", test_wrong_shapes},
    {"integers", test_integers},
    {"record_encoding", test_record_encoding},
    {"skip_depth", test_skip_depth},
    {"names", test_names},
    {NULL, NULL},
};
