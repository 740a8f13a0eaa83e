/*
 * fuzz_json.c: libFuzzer target for the taskhost's JSON decoders: the
 * JsonConverter (with and without schemas.enable, key and value) that
 * reads what sink tasks get from Kafka, and th_json_decode, which reads
 * stored source offsets. Bytes from Kafka are anyone's.
 *
 * The first input byte picks the converter settings; the rest is the
 * document. What decodes is encoded again, which must work.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th_conv.h"
#include "th_data.h"

static struct th_conv *convs[4];

static struct th_conv *make(bool schemas, enum th_conv_kind kind)
{
	struct conn_config *cfg = th_config_new(NULL, 0);
	struct th_conv *c;
	char err[256];

	if (!cfg ||
	    th_config_set(cfg, "schemas.enable", schemas ? "true" : "false")) {
		fprintf(stderr, "config: out of memory\n");
		abort();
	}
	c = th_conv_new("org.apache.kafka.connect.json.JsonConverter", cfg,
	                kind, err, sizeof(err));
	th_config_free(cfg);
	if (!c) {
		fprintf(stderr, "JsonConverter: %s\n", err);
		abort();
	}
	return c;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	convs[0] = make(true, TH_CONV_VALUE);
	convs[1] = make(false, TH_CONV_VALUE);
	convs[2] = make(true, TH_CONV_KEY);
	convs[3] = make(false, TH_CONV_KEY);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn_arena *a;
	const struct conn_schema *s = NULL;
	const struct conn_value *v = NULL;
	struct th_bytes in, out;
	struct th_buf buf = {0};
	char err[512];
	int which;

	if (size < 1)
		return 0;
	which = data[0] & 3;
	in.p = data + 1;
	in.n = size - 1;
	if (!(a = th_arena_new()))
		return 0;
	if (th_conv_to_connect(convs[which], "t", NULL, &in, a, &s, &v, err,
	                       sizeof(err)) == 0 &&
	    th_conv_from_connect(convs[which], "t", NULL, s, v, a, &out, err,
	                         sizeof(err)) == -ENOMEM) {
		fprintf(stderr, "re-encoding ran out of memory\n");
	}
	v = NULL;
	if (th_json_decode((const char *)in.p, in.n, a, &v, err, sizeof(err)) ==
	    0)
		(void)th_json_encode(v, &buf, err, sizeof(err));
	th_buf_fini(&buf);
	th_arena_free(a);
	return 0;
}
