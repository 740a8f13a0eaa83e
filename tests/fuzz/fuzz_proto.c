/*
 * fuzz_proto.c: libFuzzer target for the frame decoder both programs use
 * (protocol/proto_rd.c, proto_msg.c), above all the supervisor's side:
 * every frame a taskhost sends is hostile input there.
 *
 * Each input is opened as a frame, then every unpack function runs over
 * its fields (not only the one its type names: a decoder must hold up
 * against any bytes), and everything an unpack accepted is walked with
 * the iterators, as sluiced does. An accepted frame must iterate without
 * error: the iterators only re-read what the unpack validated.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

/* An accepted frame whose parts do not iterate is a decoder bug. */
static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "iterator failed after unpack: %s\n", what);
		abort();
	}
}

static void kv_all(struct proto_rd it, uint32_t n, const char *what)
{
	struct proto_str k, v;

	for (uint32_t i = 0; i < n; i++)
		must(proto_kv_next(&it, &k, &v) == 0, what);
}

static void records(struct proto_rd it, uint32_t n, bool sink)
{
	struct proto_record r;

	for (uint32_t i = 0; i < n; i++) {
		struct proto_rd h;
		struct proto_str hk, hv;

		must((sink ? proto_sink_record_next(&it, &r)
		           : proto_source_record_next(&it, &r)) == 0,
		     "record");
		h = r.headers;
		for (uint32_t j = 0; j < r.headers_n; j++)
			must(proto_header_next(&h, &hk, &hv) == 0, "header");
	}
}

static void strings(struct proto_rd it, uint32_t n)
{
	struct proto_str s;

	for (uint32_t i = 0; i < n; i++)
		must(proto_rd_str(&it, &s) == 0, "topic");
}

static void batch(const struct proto_batch *b, bool sink)
{
	struct proto_rd it;
	struct proto_str msg;
	uint32_t stage;

	strings(b->topics, b->topics_n);
	records(b->records, b->records_n, sink);
	if (sink)
		return;
	kv_all(b->offsets, b->offsets_n, "offsets");
	it = b->errors;
	for (uint32_t i = 0; i < b->errors_n; i++)
		must(proto_source_error_next(&it, &stage, &msg) == 0, "error");
}

static void positions(struct proto_rd it, uint32_t n)
{
	struct proto_str t;
	int32_t p;
	int64_t o;

	for (uint32_t i = 0; i < n; i++)
		must(proto_position_next(&it, &t, &p, &o) == 0, "position");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_rd start, rd;
	uint32_t type, nf;
	uint64_t u;
	struct proto_hello hello;
	struct proto_start st;
	struct proto_failed fl;
	struct proto_log lg;
	struct proto_task_configs tc;
	struct proto_validation va;
	struct proto_batch b;
	struct proto_sink_ack ack;
	struct proto_sink_flush fs;
	uint32_t slot, len;

	/* the whole input, as any object */
	proto_rd_init(&rd, data, size);
	while (!proto_rd_done(&rd) && proto_rd_skip(&rd) == 0)
		;
	if (proto_frame_open(&start, data, size, &type, &nf))
		return 0;
	(void)proto_type_name(type);

	rd = start;
	(void)proto_empty_unpack(&rd, nf);
	rd = start;
	(void)proto_u64_unpack(&rd, nf, &u);
	rd = start;
	(void)proto_hello_unpack(&rd, nf, &hello);
	rd = start;
	(void)proto_shared_unpack(&rd, nf, &slot, &len);
	rd = start;
	if (proto_start_unpack(&rd, nf, &st) == 0) {
		kv_all(st.config, st.config_n, "config");
		kv_all(st.converters, st.converters_n, "converters");
		kv_all(st.offsets, st.offsets_n, "start offsets");
	}
	rd = start;
	(void)proto_failed_unpack(&rd, nf, &fl);
	rd = start;
	(void)proto_log_unpack(&rd, nf, &lg);
	rd = start;
	if (proto_task_configs_unpack(&rd, nf, &tc) == 0) {
		struct proto_rd it = tc.tasks;

		for (uint32_t i = 0; i < tc.tasks_n; i++) {
			uint32_t n;

			must(proto_rd_map(&it, &n) == 0, "task map");
			kv_all(it, n, "task config");
			for (uint32_t j = 0; j < n; j++) {
				struct proto_str k, v;

				proto_kv_next(&it, &k, &v);
			}
		}
	}
	rd = start;
	if (proto_validation_unpack(&rd, nf, &va) == 0) {
		struct proto_rd it = va.errors;
		struct proto_str k, m;

		for (uint32_t i = 0; i < va.errors_n; i++)
			must(proto_pair_next(&it, &k, &m) == 0, "validation");
	}
	rd = start;
	if (proto_source_batch_unpack(&rd, nf, &b) == 0)
		batch(&b, false);
	rd = start;
	if (proto_sink_batch_unpack(&rd, nf, &b) == 0)
		batch(&b, true);
	rd = start;
	if (proto_sink_ack_unpack(&rd, nf, &ack) == 0) {
		struct proto_rd it = ack.errors;
		uint32_t index, stage;
		struct proto_str m;

		for (uint32_t i = 0; i < ack.errors_n; i++)
			must(proto_sink_error_next(&it, &index, &stage, &m) ==
			         0,
			     "sink error");
	}
	rd = start;
	if (proto_sink_flush_unpack(&rd, nf, &fs) == 0)
		positions(fs.offsets, fs.offsets_n);
	rd = start;
	if (proto_sink_flushed_unpack(&rd, nf, &fs) == 0)
		positions(fs.offsets, fs.offsets_n);
	return 0;
}
