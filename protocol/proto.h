/*
 * proto.h: the sluiced <-> sluice-taskhost messages (see PROTOCOL.md).
 *
 * Writing uses msgpack-c's packer into a msgpack_sbuffer. Reading uses
 * struct proto_rd, a bounds-checked cursor over the received frame that
 * never allocates and never copies: strings and byte fields point into the
 * frame, so they live as long as the frame does.
 *
 * Every unpack function validates the whole message before it returns 0:
 * after that, the iterators (proto_*_next) over its parts cannot fail on
 * well-formed input and still return -EPROTO rather than read past the
 * end. All functions return 0 or a negative errno: -EPROTO for a
 * malformed frame, -ENOMEM when packing runs out of memory.
 *
 * Thread-safety: none needed; every object is used by one thread.
 */
#ifndef SLUICE_PROTO_H
#define SLUICE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define PROTO_VERSION 2
/* Largest frame either side accepts (NNG_OPT_RECVMAXSZ). */
#define PROTO_FRAME_MAX ((16u << 20) + (64u << 10))
/* Largest LOG message; longer ones are cut. */
#define PROTO_LOG_MAX 4096u

enum proto_type {
	PROTO_HELLO = 1,
	PROTO_START = 2,
	PROTO_READY = 3,
	PROTO_FAILED = 4,
	PROTO_STOP = 5,
	PROTO_STOPPED = 6,
	PROTO_LOG = 7,
	PROTO_PING = 8,
	PROTO_PONG = 9,
	PROTO_TASK_CONFIGS = 10,
	PROTO_VALIDATION = 11,
	PROTO_PAUSE = 12,
	PROTO_RESUME = 13,
	PROTO_SOURCE_BATCH = 20,
	PROTO_SOURCE_ACK = 21,
	PROTO_SOURCE_COMMIT = 22,
	PROTO_SOURCE_SHARED = 23,
	PROTO_SINK_BATCH = 30,
	PROTO_SINK_ACK = 31,
	PROTO_SINK_FLUSH = 32,
	PROTO_SINK_FLUSHED = 33,
	PROTO_TYPE_MAX = 34 /* one past the largest number */
};

enum proto_role {
	PROTO_ROLE_CONNECTOR = 1,
	PROTO_ROLE_SOURCE = 2,
	PROTO_ROLE_SINK = 3,
	PROTO_ROLE_VALIDATE = 4,
};

enum proto_fail_kind {
	PROTO_FAIL_CONFIG = 1,
	PROTO_FAIL_PLUGIN = 2,
	PROTO_FAIL_LOAD = 3,
	PROTO_FAIL_INTERNAL = 4,
	PROTO_FAIL_DATA = 5,
};

enum proto_sink_status {
	PROTO_SINK_OK = 0,
	PROTO_SINK_RETRY = 1,
	PROTO_SINK_FATAL = 2,
};

enum proto_stage {
	PROTO_STAGE_KEY = 1,
	PROTO_STAGE_VALUE = 2,
	PROTO_STAGE_HEADER = 3,
	PROTO_STAGE_TRANSFORM = 4,
	PROTO_STAGE_PLUGIN = 5,
};

/* Returns "HELLO", "START", ... or "unknown". */
const char *proto_type_name(uint32_t type);
/* Returns "key converter", "value converter", ... or "unknown". */
const char *proto_stage_name(uint32_t stage);

/* --- Reading ---------------------------------------------------------------
 */

struct proto_rd {
	const uint8_t *p;
	const uint8_t *end;
};

/* A string or byte field inside a frame; p == NULL means nil. Strings are
 * not NUL-terminated. */
struct proto_str {
	const char *p;
	uint32_t n;
};

void proto_rd_init(struct proto_rd *rd, const void *buf, size_t len);
bool proto_rd_done(const struct proto_rd *rd);
bool proto_rd_is_nil(const struct proto_rd *rd);
int proto_rd_nil(struct proto_rd *rd);
int proto_rd_array(struct proto_rd *rd, uint32_t *n);
int proto_rd_map(struct proto_rd *rd, uint32_t *n);
int proto_rd_uint(struct proto_rd *rd, uint64_t *v);
int proto_rd_int(struct proto_rd *rd, int64_t *v);
int proto_rd_bool(struct proto_rd *rd, bool *v);
int proto_rd_str(struct proto_rd *rd, struct proto_str *s);
/* bin, or nil (s->p = NULL) */
int proto_rd_bin_nil(struct proto_rd *rd, struct proto_str *s);
/* Skips one object of any type, nested at most PROTO_DEPTH_MAX deep. */
int proto_rd_skip(struct proto_rd *rd);
#define PROTO_DEPTH_MAX 16

/*
 * Opens a frame: reads the outer array and its type. *rd is left at the
 * first field and *nfields is the number of fields after the type.
 */
int proto_frame_open(struct proto_rd *rd, const void *buf, size_t len,
                     uint32_t *type, uint32_t *nfields);

/* Iterators over validated parts. */
/* map str -> str */
int proto_kv_next(struct proto_rd *it, struct proto_str *k,
                  struct proto_str *v);
/* array of [str, str] */
int proto_pair_next(struct proto_rd *it, struct proto_str *a,
                    struct proto_str *b);
/* array of [key str, value bin?] */
int proto_header_next(struct proto_rd *it, struct proto_str *k,
                      struct proto_str *v);

/* --- Writing ---------------------------------------------------------------
 */

/* Convenience wrappers that turn msgpack-c's -1 into -ENOMEM. */
int proto_pack_str(msgpack_packer *pk, const char *s, size_t n);
int proto_pack_cstr(msgpack_packer *pk, const char *s);
int proto_pack_bin_nil(msgpack_packer *pk, const void *p, size_t n, bool null);
int proto_pack_kv(msgpack_packer *pk, const char *k, const char *v);

struct proto_kv {
	const char *k;
	const char *v;
};

/* Messages without fields: READY, STOP, STOPPED, PAUSE, RESUME. */
int proto_empty_pack(msgpack_packer *pk, uint32_t type);
int proto_empty_unpack(struct proto_rd *rd, uint32_t nfields);

/* Messages with one uint: PING, PONG, SOURCE_ACK, SOURCE_COMMIT. */
int proto_u64_pack(msgpack_packer *pk, uint32_t type, uint64_t v);
int proto_u64_unpack(struct proto_rd *rd, uint32_t nfields, uint64_t *v);

/* SOURCE_SHARED: a SOURCE_BATCH frame of len bytes at the start of slot
 * `slot` of the task's batch region (PROTOCOL.md). */
int proto_shared_pack(msgpack_packer *pk, uint32_t slot, uint32_t len);
int proto_shared_unpack(struct proto_rd *rd, uint32_t nfields, uint32_t *slot,
                        uint32_t *len);

/* HELLO */
struct proto_hello {
	uint64_t version;
	uint64_t pid;
};
int proto_hello_pack(msgpack_packer *pk, const struct proto_hello *m);
int proto_hello_unpack(struct proto_rd *rd, uint32_t nfields,
                       struct proto_hello *m);

/* START */
struct proto_limits {
	uint32_t credits;
	uint32_t max_records;
	uint32_t max_bytes;
	uint32_t max_tasks;
	uint32_t poll_wait_ms;
	uint32_t flags; /* PROTO_START_* */
};

/* START limits flags */
#define PROTO_START_PAUSED 1u /* a source task starts paused: no poll */

struct proto_start_out {
	uint32_t role;
	const char *connector;
	int32_t task_id;
	const char *plugin;
	const struct proto_kv *config;
	size_t config_n;
	const struct proto_kv *converters;
	size_t converters_n;
	const struct proto_kv *offsets;
	size_t offsets_n;
	struct proto_limits limits;
};
int proto_start_pack(msgpack_packer *pk, const struct proto_start_out *m);

struct proto_start {
	uint32_t role;
	struct proto_str connector;
	int32_t task_id;
	struct proto_str plugin;
	struct proto_rd config; /* map str -> str: proto_kv_next */
	uint32_t config_n;
	struct proto_rd converters; /* map str -> str */
	uint32_t converters_n;
	struct proto_rd offsets; /* map str -> str */
	uint32_t offsets_n;
	struct proto_limits limits;
};
int proto_start_unpack(struct proto_rd *rd, uint32_t nfields,
                       struct proto_start *m);

/* FAILED */
struct proto_failed {
	uint32_t kind;
	struct proto_str message;
	struct proto_str trace;
};
int proto_failed_pack(msgpack_packer *pk, uint32_t kind, const char *message,
                      const char *trace);
int proto_failed_unpack(struct proto_rd *rd, uint32_t nfields,
                        struct proto_failed *m);

/* LOG */
struct proto_log {
	uint32_t level;
	struct proto_str message;
};
int proto_log_pack(msgpack_packer *pk, uint32_t level, const char *message);
int proto_log_unpack(struct proto_rd *rd, uint32_t nfields,
                     struct proto_log *m);

/* TASK_CONFIGS: pack with _begin(n), then per task proto_kvmap_begin(n)
 * and n proto_pack_kv(). */
int proto_task_configs_begin(msgpack_packer *pk, uint32_t ntasks);
int proto_kvmap_begin(msgpack_packer *pk, uint32_t n);
struct proto_task_configs {
	struct proto_rd tasks; /* each: proto_rd_map() then proto_kv_next */
	uint32_t tasks_n;
};
int proto_task_configs_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_task_configs *m);

/* VALIDATION: pack with _begin(n), then n proto_validation_error_pack(). */
int proto_validation_begin(msgpack_packer *pk, uint32_t nerrors);
int proto_validation_error_pack(msgpack_packer *pk, const char *key,
                                const char *message);
struct proto_validation {
	struct proto_rd errors; /* proto_pair_next */
	uint32_t errors_n;
};
int proto_validation_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_validation *m);

/* --- Batches ---------------------------------------------------------------
 */

/*
 * One record of a SOURCE_BATCH or SINK_BATCH. For a source record `offset`
 * is unused. key and value: p == NULL is null. Headers are packed after the
 * record with proto_header_pack(), headers_n of them.
 */
struct proto_record {
	uint32_t topic;    /* index into the batch's topics */
	int32_t partition; /* -1: unset (source only) */
	int64_t offset;    /* sink only */
	int64_t timestamp; /* ms since the epoch, -1: none */
	struct proto_str key;
	struct proto_str value;
	struct proto_rd headers; /* unpacked: proto_header_next */
	uint32_t headers_n;      /* 0 with headers nil or empty */
};

/*
 * SOURCE_BATCH packing, in this order:
 *	proto_source_batch_begin(pk, seq, ntopics); ntopics x proto_pack_str
 *	proto_batch_records_begin(pk, nrecords); per record
 *		proto_source_record_pack(pk, &rec); headers_n x
 *proto_header_pack proto_kvmap_begin(pk, noffsets); noffsets x proto_pack_kv
 *(offsets) proto_source_errors_begin(pk, nerrors); nerrors x
 *		proto_source_error_pack
 */
int proto_source_batch_begin(msgpack_packer *pk, uint64_t seq,
                             uint32_t ntopics);
int proto_batch_records_begin(msgpack_packer *pk, uint32_t nrecords);
int proto_source_record_pack(msgpack_packer *pk, const struct proto_record *r);
int proto_header_pack(msgpack_packer *pk, const char *key, size_t keylen,
                      const void *val, size_t vallen, bool null);
int proto_source_errors_begin(msgpack_packer *pk, uint32_t nerrors);
int proto_source_error_pack(msgpack_packer *pk, uint32_t stage,
                            const char *message);

struct proto_batch {
	uint64_t seq;
	struct proto_rd topics; /* proto_rd_str */
	uint32_t topics_n;
	struct proto_rd records; /* proto_*_record_next */
	uint32_t records_n;
	struct proto_rd offsets; /* source: map str -> str */
	uint32_t offsets_n;
	struct proto_rd errors; /* source: [stage, message] */
	uint32_t errors_n;
};
int proto_source_batch_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_batch *b);
int proto_source_record_next(struct proto_rd *it, struct proto_record *r);
int proto_source_error_next(struct proto_rd *it, uint32_t *stage,
                            struct proto_str *message);

/*
 * SINK_BATCH packing:
 *	proto_sink_batch_begin(pk, seq, ntopics); ntopics x proto_pack_str
 *	proto_batch_records_begin(pk, nrecords); per record
 *		proto_sink_record_pack(pk, &rec); headers_n x proto_header_pack
 */
int proto_sink_batch_begin(msgpack_packer *pk, uint64_t seq, uint32_t ntopics);
int proto_sink_record_pack(msgpack_packer *pk, const struct proto_record *r);
int proto_sink_batch_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_batch *b);
int proto_sink_record_next(struct proto_rd *it, struct proto_record *r);

/* SINK_ACK: pack with _begin, then nerrors x proto_sink_error_pack. */
int proto_sink_ack_begin(msgpack_packer *pk, uint64_t seq, uint32_t status,
                         const char *message, uint32_t nerrors);
int proto_sink_error_pack(msgpack_packer *pk, uint32_t index, uint32_t stage,
                          const char *message);
struct proto_sink_ack {
	uint64_t seq;
	uint32_t status;
	struct proto_str message;
	struct proto_rd errors; /* proto_sink_error_next */
	uint32_t errors_n;
};
int proto_sink_ack_unpack(struct proto_rd *rd, uint32_t nfields,
                          struct proto_sink_ack *m);
int proto_sink_error_next(struct proto_rd *it, uint32_t *index, uint32_t *stage,
                          struct proto_str *message);

/*
 * SINK_FLUSH (status and message unused) and SINK_FLUSHED: pack with
 * _begin, then noffsets x proto_position_pack.
 */
int proto_sink_flush_begin(msgpack_packer *pk, uint64_t seq, uint32_t noffsets);
int proto_sink_flushed_begin(msgpack_packer *pk, uint64_t seq, uint32_t status,
                             const char *message, uint32_t noffsets);
int proto_position_pack(msgpack_packer *pk, const char *topic,
                        int32_t partition, int64_t offset);
struct proto_sink_flush {
	uint64_t seq;
	uint32_t status;
	struct proto_str message;
	struct proto_rd offsets; /* proto_position_next */
	uint32_t offsets_n;
};
int proto_sink_flush_unpack(struct proto_rd *rd, uint32_t nfields,
                            struct proto_sink_flush *m);
int proto_sink_flushed_unpack(struct proto_rd *rd, uint32_t nfields,
                              struct proto_sink_flush *m);
int proto_position_next(struct proto_rd *it, struct proto_str *topic,
                        int32_t *partition, int64_t *offset);

#endif /* SLUICE_PROTO_H */
