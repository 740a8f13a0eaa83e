/*
 * proto_msg.c: pack and unpack of every message in PROTOCOL.md.
 *
 * Unpack functions check the field count exactly, the msgpack type of
 * every field and every element, and ranges; they leave *rd at the end of
 * the frame, and the caller checks proto_rd_done().
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

const char *proto_type_name(uint32_t type)
{
	static const char *const names[PROTO_TYPE_MAX] = {
	    [PROTO_HELLO] = "HELLO",
	    [PROTO_START] = "START",
	    [PROTO_READY] = "READY",
	    [PROTO_FAILED] = "FAILED",
	    [PROTO_STOP] = "STOP",
	    [PROTO_STOPPED] = "STOPPED",
	    [PROTO_LOG] = "LOG",
	    [PROTO_PING] = "PING",
	    [PROTO_PONG] = "PONG",
	    [PROTO_TASK_CONFIGS] = "TASK_CONFIGS",
	    [PROTO_VALIDATION] = "VALIDATION",
	    [PROTO_PAUSE] = "PAUSE",
	    [PROTO_RESUME] = "RESUME",
	    [PROTO_SOURCE_BATCH] = "SOURCE_BATCH",
	    [PROTO_SOURCE_ACK] = "SOURCE_ACK",
	    [PROTO_SOURCE_COMMIT] = "SOURCE_COMMIT",
	    [PROTO_SOURCE_SHARED] = "SOURCE_SHARED",
	    [PROTO_SINK_BATCH] = "SINK_BATCH",
	    [PROTO_SINK_ACK] = "SINK_ACK",
	    [PROTO_SINK_FLUSH] = "SINK_FLUSH",
	    [PROTO_SINK_FLUSHED] = "SINK_FLUSHED",
	};

	if (type < PROTO_TYPE_MAX && names[type])
		return names[type];
	return "unknown";
}

const char *proto_stage_name(uint32_t stage)
{
	switch (stage) {
	case PROTO_STAGE_KEY:
		return "key converter";
	case PROTO_STAGE_VALUE:
		return "value converter";
	case PROTO_STAGE_HEADER:
		return "header converter";
	case PROTO_STAGE_TRANSFORM:
		return "transform";
	case PROTO_STAGE_PLUGIN:
		return "plugin";
	default:
		return "unknown";
	}
}

/* --- small helpers */

int proto_pack_str(msgpack_packer *pk, const char *s, size_t n)
{
	if (n > UINT32_MAX)
		return -EINVAL;
	if (msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n))
		return -ENOMEM;
	return 0;
}

int proto_pack_cstr(msgpack_packer *pk, const char *s)
{
	return proto_pack_str(pk, s ? s : "", s ? strlen(s) : 0);
}

int proto_pack_bin_nil(msgpack_packer *pk, const void *p, size_t n, bool null)
{
	if (null) {
		if (msgpack_pack_nil(pk))
			return -ENOMEM;
		return 0;
	}
	if (n > UINT32_MAX)
		return -EINVAL;
	if (msgpack_pack_bin(pk, n) || msgpack_pack_bin_body(pk, p, n))
		return -ENOMEM;
	return 0;
}

int proto_pack_kv(msgpack_packer *pk, const char *k, const char *v)
{
	int rc = proto_pack_cstr(pk, k);

	return rc ? rc : proto_pack_cstr(pk, v);
}

int proto_kvmap_begin(msgpack_packer *pk, uint32_t n)
{
	if (msgpack_pack_map(pk, n))
		return -ENOMEM;
	return 0;
}

static int head(msgpack_packer *pk, uint32_t type, uint32_t nfields)
{
	if (msgpack_pack_array(pk, nfields + 1) ||
	    msgpack_pack_uint32(pk, type))
		return -ENOMEM;
	return 0;
}

static int rd_u32(struct proto_rd *rd, uint32_t *v)
{
	uint64_t u;

	if (proto_rd_uint(rd, &u) || u > UINT32_MAX)
		return -EPROTO;
	*v = (uint32_t)u;
	return 0;
}

static int rd_i32(struct proto_rd *rd, int32_t *v)
{
	int64_t i;

	if (proto_rd_int(rd, &i) || i < INT32_MIN || i > INT32_MAX)
		return -EPROTO;
	*v = (int32_t)i;
	return 0;
}

/* Checks a map str -> str of n entries and records where it starts. */
static int rd_strmap(struct proto_rd *rd, struct proto_rd *it, uint32_t *n)
{
	struct proto_str k, v;

	if (proto_rd_map(rd, n))
		return -EPROTO;
	*it = *rd;
	for (uint32_t i = 0; i < *n; i++) {
		if (proto_kv_next(rd, &k, &v))
			return -EPROTO;
	}
	it->end = rd->p;
	return 0;
}

/* Checks an array of n elements, each validated by `check`. */
static int rd_list(struct proto_rd *rd, struct proto_rd *it, uint32_t *n,
                   int (*check)(struct proto_rd *, void *), void *arg)
{
	if (proto_rd_array(rd, n))
		return -EPROTO;
	*it = *rd;
	for (uint32_t i = 0; i < *n; i++) {
		if (check(rd, arg))
			return -EPROTO;
	}
	it->end = rd->p;
	return 0;
}

/* --- fixed messages */

int proto_empty_pack(msgpack_packer *pk, uint32_t type)
{
	return head(pk, type, 0);
}

int proto_empty_unpack(struct proto_rd *rd, uint32_t nfields)
{
	(void)rd;
	return nfields == 0 ? 0 : -EPROTO;
}

int proto_u64_pack(msgpack_packer *pk, uint32_t type, uint64_t v)
{
	int rc = head(pk, type, 1);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, v))
		return -ENOMEM;
	return 0;
}

int proto_u64_unpack(struct proto_rd *rd, uint32_t nfields, uint64_t *v)
{
	if (nfields != 1)
		return -EPROTO;
	return proto_rd_uint(rd, v);
}

int proto_shared_pack(msgpack_packer *pk, uint32_t slot, uint32_t len)
{
	int rc = head(pk, PROTO_SOURCE_SHARED, 2);

	if (rc)
		return rc;
	if (msgpack_pack_uint32(pk, slot) || msgpack_pack_uint32(pk, len))
		return -ENOMEM;
	return 0;
}

int proto_shared_unpack(struct proto_rd *rd, uint32_t nfields, uint32_t *slot,
                        uint32_t *len)
{
	uint64_t s, n;

	if (nfields != 2 || proto_rd_uint(rd, &s) || proto_rd_uint(rd, &n) ||
	    s > UINT32_MAX || n > UINT32_MAX)
		return -EPROTO;
	*slot = (uint32_t)s;
	*len = (uint32_t)n;
	return 0;
}

int proto_hello_pack(msgpack_packer *pk, const struct proto_hello *m)
{
	int rc = head(pk, PROTO_HELLO, 2);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, m->version) ||
	    msgpack_pack_uint64(pk, m->pid))
		return -ENOMEM;
	return 0;
}

int proto_hello_unpack(struct proto_rd *rd, uint32_t nfields,
                       struct proto_hello *m)
{
	if (nfields != 2)
		return -EPROTO;
	if (proto_rd_uint(rd, &m->version) || proto_rd_uint(rd, &m->pid))
		return -EPROTO;
	return 0;
}

/* --- START */

static int pack_kvs(msgpack_packer *pk, const struct proto_kv *kv, size_t n)
{
	int rc;

	if (n > UINT32_MAX)
		return -EINVAL;
	if (msgpack_pack_map(pk, n))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if ((rc = proto_pack_kv(pk, kv[i].k, kv[i].v)))
			return rc;
	return 0;
}

int proto_start_pack(msgpack_packer *pk, const struct proto_start_out *m)
{
	int rc;

	if ((rc = head(pk, PROTO_START, 8)))
		return rc;
	if (msgpack_pack_uint32(pk, m->role))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, m->connector)))
		return rc;
	if (msgpack_pack_int32(pk, m->task_id))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, m->plugin)) ||
	    (rc = pack_kvs(pk, m->config, m->config_n)) ||
	    (rc = pack_kvs(pk, m->converters, m->converters_n)) ||
	    (rc = pack_kvs(pk, m->offsets, m->offsets_n)))
		return rc;
	if (msgpack_pack_array(pk, 6) ||
	    msgpack_pack_uint32(pk, m->limits.credits) ||
	    msgpack_pack_uint32(pk, m->limits.max_records) ||
	    msgpack_pack_uint32(pk, m->limits.max_bytes) ||
	    msgpack_pack_uint32(pk, m->limits.max_tasks) ||
	    msgpack_pack_uint32(pk, m->limits.poll_wait_ms) ||
	    msgpack_pack_uint32(pk, m->limits.flags))
		return -ENOMEM;
	return 0;
}

int proto_start_unpack(struct proto_rd *rd, uint32_t nfields,
                       struct proto_start *m)
{
	uint32_t n;

	if (nfields != 8)
		return -EPROTO;
	if (rd_u32(rd, &m->role))
		return -EPROTO;
	if (m->role < PROTO_ROLE_CONNECTOR || m->role > PROTO_ROLE_VALIDATE)
		return -EPROTO;
	if (proto_rd_str(rd, &m->connector) || rd_i32(rd, &m->task_id) ||
	    proto_rd_str(rd, &m->plugin) ||
	    rd_strmap(rd, &m->config, &m->config_n) ||
	    rd_strmap(rd, &m->converters, &m->converters_n) ||
	    rd_strmap(rd, &m->offsets, &m->offsets_n) || proto_rd_array(rd, &n))
		return -EPROTO;
	if (n != 6)
		return -EPROTO;
	if (rd_u32(rd, &m->limits.credits) ||
	    rd_u32(rd, &m->limits.max_records) ||
	    rd_u32(rd, &m->limits.max_bytes) ||
	    rd_u32(rd, &m->limits.max_tasks) ||
	    rd_u32(rd, &m->limits.poll_wait_ms) || rd_u32(rd, &m->limits.flags))
		return -EPROTO;
	if (m->limits.flags & ~PROTO_START_PAUSED)
		return -EPROTO;
	return 0;
}

/* --- FAILED, LOG */

int proto_failed_pack(msgpack_packer *pk, uint32_t kind, const char *message,
                      const char *trace)
{
	int rc = head(pk, PROTO_FAILED, 3);

	if (rc)
		return rc;
	if (msgpack_pack_uint32(pk, kind))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, message)))
		return rc;
	return proto_pack_cstr(pk, trace);
}

int proto_failed_unpack(struct proto_rd *rd, uint32_t nfields,
                        struct proto_failed *m)
{
	if (nfields != 3)
		return -EPROTO;
	if (rd_u32(rd, &m->kind))
		return -EPROTO;
	if (m->kind < PROTO_FAIL_CONFIG || m->kind > PROTO_FAIL_DATA)
		return -EPROTO;
	if (proto_rd_str(rd, &m->message) || proto_rd_str(rd, &m->trace))
		return -EPROTO;
	return 0;
}

int proto_log_pack(msgpack_packer *pk, uint32_t level, const char *message)
{
	size_t n = strlen(message);
	int rc = head(pk, PROTO_LOG, 2);

	if (rc)
		return rc;
	if (msgpack_pack_uint32(pk, level))
		return -ENOMEM;
	return proto_pack_str(pk, message,
	                      n > PROTO_LOG_MAX ? PROTO_LOG_MAX : n);
}

int proto_log_unpack(struct proto_rd *rd, uint32_t nfields, struct proto_log *m)
{
	if (nfields != 2)
		return -EPROTO;
	if (rd_u32(rd, &m->level) || proto_rd_str(rd, &m->message))
		return -EPROTO;
	if (m->message.n > PROTO_LOG_MAX)
		return -EPROTO;
	return 0;
}

/* --- TASK_CONFIGS, VALIDATION */

int proto_task_configs_begin(msgpack_packer *pk, uint32_t ntasks)
{
	int rc = head(pk, PROTO_TASK_CONFIGS, 1);

	if (rc)
		return rc;
	if (msgpack_pack_array(pk, ntasks))
		return -ENOMEM;
	return 0;
}

static int check_strmap(struct proto_rd *rd, void *arg)
{
	struct proto_rd it;
	uint32_t n;

	(void)arg;
	return rd_strmap(rd, &it, &n);
}

int proto_task_configs_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_task_configs *m)
{
	if (nfields != 1)
		return -EPROTO;
	return rd_list(rd, &m->tasks, &m->tasks_n, check_strmap, NULL);
}

int proto_validation_begin(msgpack_packer *pk, uint32_t nerrors)
{
	int rc = head(pk, PROTO_VALIDATION, 1);

	if (rc)
		return rc;
	if (msgpack_pack_array(pk, nerrors))
		return -ENOMEM;
	return 0;
}

int proto_validation_error_pack(msgpack_packer *pk, const char *key,
                                const char *message)
{
	if (msgpack_pack_array(pk, 2))
		return -ENOMEM;
	return proto_pack_kv(pk, key, message);
}

static int check_pair(struct proto_rd *rd, void *arg)
{
	struct proto_str a, b;

	(void)arg;
	return proto_pair_next(rd, &a, &b);
}

int proto_validation_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_validation *m)
{
	if (nfields != 1)
		return -EPROTO;
	return rd_list(rd, &m->errors, &m->errors_n, check_pair, NULL);
}

/* --- batches */

int proto_batch_records_begin(msgpack_packer *pk, uint32_t nrecords)
{
	if (msgpack_pack_array(pk, nrecords))
		return -ENOMEM;
	return 0;
}

int proto_header_pack(msgpack_packer *pk, const char *key, size_t keylen,
                      const void *val, size_t vallen, bool null)
{
	int rc;

	if (msgpack_pack_array(pk, 2))
		return -ENOMEM;
	if ((rc = proto_pack_str(pk, key, keylen)))
		return rc;
	return proto_pack_bin_nil(pk, val, vallen, null);
}

/*
 * A record is packed by hand into a small buffer, handed to the packer's
 * write callback in three pieces (the fields up to the value's header,
 * the value, the headers' head) instead of one call per msgpack item:
 * packing was a tenth of a source task's time. The encodings are
 * msgpack's smallest, as msgpack_pack_* would choose.
 */
static size_t enc_be(unsigned char *p, unsigned char tag, uint64_t v, int n)
{
	p[0] = tag;
	for (int i = 0; i < n; i++)
		p[1 + i] = (unsigned char)(v >> (8 * (n - 1 - i)));
	return (size_t)n + 1;
}

static size_t enc_int(unsigned char *p, int64_t v)
{
	if (v >= 0) {
		uint64_t u = (uint64_t)v;

		if (u < 128) {
			p[0] = (unsigned char)u;
			return 1;
		}
		if (u <= UINT8_MAX)
			return enc_be(p, 0xcc, u, 1);
		if (u <= UINT16_MAX)
			return enc_be(p, 0xcd, u, 2);
		if (u <= UINT32_MAX)
			return enc_be(p, 0xce, u, 4);
		return enc_be(p, 0xcf, u, 8);
	}
	if (v >= -32) {
		p[0] = (unsigned char)(int8_t)v;
		return 1;
	}
	if (v >= INT8_MIN)
		return enc_be(p, 0xd0, (uint64_t)v, 1);
	if (v >= INT16_MIN)
		return enc_be(p, 0xd1, (uint64_t)v, 2);
	if (v >= INT32_MIN)
		return enc_be(p, 0xd2, (uint64_t)v, 4);
	return enc_be(p, 0xd3, (uint64_t)v, 8);
}

/* a bin header for n bytes, or nil */
static size_t enc_bin_head(unsigned char *p, const void *data, size_t n)
{
	if (!data) {
		p[0] = 0xc0;
		return 1;
	}
	if (n <= UINT8_MAX)
		return enc_be(p, 0xc4, n, 1);
	if (n <= UINT16_MAX)
		return enc_be(p, 0xc5, n, 2);
	return enc_be(p, 0xc6, n, 4);
}

/* an array header, or nil for none */
static size_t enc_array_or_nil(unsigned char *p, uint32_t n)
{
	if (n == 0) {
		p[0] = 0xc0;
		return 1;
	}
	if (n < 16) {
		p[0] = (unsigned char)(0x90 | n);
		return 1;
	}
	if (n <= UINT16_MAX)
		return enc_be(p, 0xdc, n, 2);
	return enc_be(p, 0xdd, n, 4);
}

/* keys up to this size travel in the head piece */
#define REC_KEY_INLINE 64

static int pack_record(msgpack_packer *pk, const struct proto_record *r,
                       bool sink)
{
	unsigned char b[8 * 9 + REC_KEY_INLINE];
	size_t n = 0;

	if (r->key.n > UINT32_MAX || r->value.n > UINT32_MAX)
		return -EINVAL;
	b[n++] = (unsigned char)(0x90 | (sink ? 7 : 6));
	n += enc_int(b + n, r->topic);
	n += enc_int(b + n, r->partition);
	if (sink)
		n += enc_int(b + n, r->offset);
	n += enc_int(b + n, r->timestamp);
	n += enc_bin_head(b + n, r->key.p, r->key.n);
	if (r->key.p && r->key.n > REC_KEY_INLINE) {
		if (pk->callback(pk->data, (const char *)b, n) ||
		    pk->callback(pk->data, r->key.p, r->key.n))
			return -ENOMEM;
		n = 0;
	} else if (r->key.p) {
		memcpy(b + n, r->key.p, r->key.n);
		n += r->key.n;
	}
	n += enc_bin_head(b + n, r->value.p, r->value.n);
	if (r->value.p && r->value.n) {
		if (pk->callback(pk->data, (const char *)b, n) ||
		    pk->callback(pk->data, r->value.p, r->value.n))
			return -ENOMEM;
		n = 0;
	}
	n += enc_array_or_nil(b + n, r->headers_n);
	if (pk->callback(pk->data, (const char *)b, n))
		return -ENOMEM;
	return 0;
}

int proto_source_record_pack(msgpack_packer *pk, const struct proto_record *r)
{
	return pack_record(pk, r, false);
}

int proto_sink_record_pack(msgpack_packer *pk, const struct proto_record *r)
{
	return pack_record(pk, r, true);
}

static int check_header(struct proto_rd *rd, void *arg)
{
	struct proto_str k, v;

	(void)arg;
	return proto_header_next(rd, &k, &v);
}

static int rd_record(struct proto_rd *it, struct proto_record *r, bool sink)
{
	uint32_t n;

	if (proto_rd_array(it, &n))
		return -EPROTO;
	if (n != (sink ? 7u : 6u))
		return -EPROTO;
	if (rd_u32(it, &r->topic) || rd_i32(it, &r->partition))
		return -EPROTO;
	if (r->partition < (sink ? 0 : -1))
		return -EPROTO;
	r->offset = -1;
	if (sink) {
		if (proto_rd_int(it, &r->offset))
			return -EPROTO;
		if (r->offset < 0)
			return -EPROTO;
	}
	if (proto_rd_int(it, &r->timestamp))
		return -EPROTO;
	if (r->timestamp < -1)
		return -EPROTO;
	if (proto_rd_bin_nil(it, &r->key) || proto_rd_bin_nil(it, &r->value))
		return -EPROTO;
	if (proto_rd_nil(it) == 0) {
		r->headers = *it;
		r->headers.end = it->p;
		r->headers_n = 0;
		return 0;
	}
	return rd_list(it, &r->headers, &r->headers_n, check_header, NULL);
}

int proto_source_record_next(struct proto_rd *it, struct proto_record *r)
{
	return rd_record(it, r, false);
}

int proto_sink_record_next(struct proto_rd *it, struct proto_record *r)
{
	return rd_record(it, r, true);
}

struct record_check {
	bool sink;
	uint32_t ntopics;
};

static int check_record(struct proto_rd *rd, void *arg)
{
	const struct record_check *c = arg;
	struct proto_record r;

	if (rd_record(rd, &r, c->sink))
		return -EPROTO;
	return r.topic < c->ntopics ? 0 : -EPROTO;
}

static int check_str(struct proto_rd *rd, void *arg)
{
	struct proto_str s;

	(void)arg;
	return proto_rd_str(rd, &s);
}

static int rd_batch_common(struct proto_rd *rd, struct proto_batch *b,
                           bool sink)
{
	struct record_check c = {.sink = sink};

	memset(&b->offsets, 0, sizeof(b->offsets));
	memset(&b->errors, 0, sizeof(b->errors));
	b->offsets_n = b->errors_n = 0;
	if (proto_rd_uint(rd, &b->seq) ||
	    rd_list(rd, &b->topics, &b->topics_n, check_str, NULL))
		return -EPROTO;
	c.ntopics = b->topics_n;
	if (rd_list(rd, &b->records, &b->records_n, check_record, &c))
		return -EPROTO;
	return 0;
}

int proto_source_batch_begin(msgpack_packer *pk, uint64_t seq, uint32_t ntopics)
{
	int rc = head(pk, PROTO_SOURCE_BATCH, 5);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, seq) || msgpack_pack_array(pk, ntopics))
		return -ENOMEM;
	return 0;
}

int proto_source_errors_begin(msgpack_packer *pk, uint32_t nerrors)
{
	if (msgpack_pack_array(pk, nerrors))
		return -ENOMEM;
	return 0;
}

int proto_source_error_pack(msgpack_packer *pk, uint32_t stage,
                            const char *message)
{
	if (msgpack_pack_array(pk, 2) || msgpack_pack_uint32(pk, stage))
		return -ENOMEM;
	return proto_pack_cstr(pk, message);
}

int proto_source_error_next(struct proto_rd *it, uint32_t *stage,
                            struct proto_str *message)
{
	uint32_t n;

	if (proto_rd_array(it, &n))
		return -EPROTO;
	if (n != 2)
		return -EPROTO;
	if (rd_u32(it, stage))
		return -EPROTO;
	if (*stage < PROTO_STAGE_KEY || *stage > PROTO_STAGE_PLUGIN)
		return -EPROTO;
	return proto_rd_str(it, message);
}

static int check_source_error(struct proto_rd *rd, void *arg)
{
	uint32_t stage;
	struct proto_str m;

	(void)arg;
	return proto_source_error_next(rd, &stage, &m);
}

int proto_source_batch_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_batch *b)
{
	if (nfields != 5)
		return -EPROTO;
	if (rd_batch_common(rd, b, false) ||
	    rd_strmap(rd, &b->offsets, &b->offsets_n) ||
	    rd_list(rd, &b->errors, &b->errors_n, check_source_error, NULL))
		return -EPROTO;
	return 0;
}

int proto_sink_batch_begin(msgpack_packer *pk, uint64_t seq, uint32_t ntopics)
{
	int rc = head(pk, PROTO_SINK_BATCH, 3);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, seq) || msgpack_pack_array(pk, ntopics))
		return -ENOMEM;
	return 0;
}

int proto_sink_batch_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_batch *b)
{
	if (nfields != 3)
		return -EPROTO;
	return rd_batch_common(rd, b, true);
}

/* --- SINK_ACK */

int proto_sink_ack_begin(msgpack_packer *pk, uint64_t seq, uint32_t status,
                         const char *message, uint32_t nerrors)
{
	int rc = head(pk, PROTO_SINK_ACK, 4);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, seq) || msgpack_pack_uint32(pk, status))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, message)))
		return rc;
	if (msgpack_pack_array(pk, nerrors))
		return -ENOMEM;
	return 0;
}

int proto_sink_error_pack(msgpack_packer *pk, uint32_t index, uint32_t stage,
                          const char *message)
{
	if (msgpack_pack_array(pk, 3) || msgpack_pack_uint32(pk, index) ||
	    msgpack_pack_uint32(pk, stage))
		return -ENOMEM;
	return proto_pack_cstr(pk, message);
}

int proto_sink_error_next(struct proto_rd *it, uint32_t *index, uint32_t *stage,
                          struct proto_str *message)
{
	uint32_t n;

	if (proto_rd_array(it, &n))
		return -EPROTO;
	if (n != 3)
		return -EPROTO;
	if (rd_u32(it, index) || rd_u32(it, stage))
		return -EPROTO;
	if (*stage < PROTO_STAGE_KEY || *stage > PROTO_STAGE_PLUGIN)
		return -EPROTO;
	return proto_rd_str(it, message);
}

static int check_sink_error(struct proto_rd *rd, void *arg)
{
	uint32_t index, stage;
	struct proto_str m;

	(void)arg;
	return proto_sink_error_next(rd, &index, &stage, &m);
}

int proto_sink_ack_unpack(struct proto_rd *rd, uint32_t nfields,
                          struct proto_sink_ack *m)
{
	if (nfields != 4)
		return -EPROTO;
	if (proto_rd_uint(rd, &m->seq) || rd_u32(rd, &m->status))
		return -EPROTO;
	if (m->status > PROTO_SINK_FATAL)
		return -EPROTO;
	if (proto_rd_str(rd, &m->message))
		return -EPROTO;
	return rd_list(rd, &m->errors, &m->errors_n, check_sink_error, NULL);
}

/* --- SINK_FLUSH, SINK_FLUSHED */

int proto_sink_flush_begin(msgpack_packer *pk, uint64_t seq, uint32_t noffsets)
{
	int rc = head(pk, PROTO_SINK_FLUSH, 2);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, seq) || msgpack_pack_array(pk, noffsets))
		return -ENOMEM;
	return 0;
}

int proto_sink_flushed_begin(msgpack_packer *pk, uint64_t seq, uint32_t status,
                             const char *message, uint32_t noffsets)
{
	int rc = head(pk, PROTO_SINK_FLUSHED, 4);

	if (rc)
		return rc;
	if (msgpack_pack_uint64(pk, seq) || msgpack_pack_uint32(pk, status))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, message)))
		return rc;
	if (msgpack_pack_array(pk, noffsets))
		return -ENOMEM;
	return 0;
}

int proto_position_pack(msgpack_packer *pk, const char *topic,
                        int32_t partition, int64_t offset)
{
	int rc;

	if (msgpack_pack_array(pk, 3))
		return -ENOMEM;
	if ((rc = proto_pack_cstr(pk, topic)))
		return rc;
	if (msgpack_pack_int32(pk, partition) || msgpack_pack_int64(pk, offset))
		return -ENOMEM;
	return 0;
}

int proto_position_next(struct proto_rd *it, struct proto_str *topic,
                        int32_t *partition, int64_t *offset)
{
	uint32_t n;

	if (proto_rd_array(it, &n))
		return -EPROTO;
	if (n != 3)
		return -EPROTO;
	if (proto_rd_str(it, topic) || rd_i32(it, partition) ||
	    proto_rd_int(it, offset))
		return -EPROTO;
	if (*partition < 0 || *offset < 0)
		return -EPROTO;
	return 0;
}

static int check_position(struct proto_rd *rd, void *arg)
{
	struct proto_str t;
	int32_t p;
	int64_t o;

	(void)arg;
	return proto_position_next(rd, &t, &p, &o);
}

int proto_sink_flush_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_sink_flush *m)
{
	if (nfields != 2)
		return -EPROTO;
	m->status = 0;
	m->message.p = "";
	m->message.n = 0;
	if (proto_rd_uint(rd, &m->seq))
		return -EPROTO;
	return rd_list(rd, &m->offsets, &m->offsets_n, check_position, NULL);
}

int proto_sink_flushed_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_sink_flush *m)
{
	if (nfields != 4)
		return -EPROTO;
	if (proto_rd_uint(rd, &m->seq) || rd_u32(rd, &m->status))
		return -EPROTO;
	if (m->status > PROTO_SINK_FATAL)
		return -EPROTO;
	if (proto_rd_str(rd, &m->message))
		return -EPROTO;
	return rd_list(rd, &m->offsets, &m->offsets_n, check_position, NULL);
}
