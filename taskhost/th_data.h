/*
 * th_data.h: the Connect data model inside sluice-taskhost.
 *
 * Plugins see these objects only as opaque pointers through th_host (the
 * struct conn_host of connector.h). The taskhost's own code (task loops,
 * converters) uses the definitions below directly.
 *
 * Memory: schemas, values, records and the strings they hold are allocated
 * from a struct conn_arena and freed with it, never one by one. Configs,
 * task-config lists, validations and offset lists are heap objects with
 * _new/_free.
 *
 * Threading: all of it is used from the taskhost's main thread only.
 */
#ifndef SLUICE_TH_DATA_H
#define SLUICE_TH_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connector.h"

/* The function table handed to plugins. */
extern const struct conn_host th_host;

/*
 * The deepest nesting of values and schemas that any walk (validation,
 * equality, converters) follows. Deeper or cyclic data fails with -EINVAL
 * instead of exhausting the stack.
 */
#define TH_MAX_DEPTH 512

/* Whether p[0..n) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points above U+10FFFF). NUL bytes are allowed. */
bool th_utf8_valid(const char *p, size_t n);
/* The host's value_string for text its caller has checked with
 * th_utf8_valid already. */
struct conn_value *th_value_string_checked(struct conn_arena *a, const char *s,
                                           size_t len);

/* --- Byte buffer -----------------------------------------------------------
 */

struct th_buf {
	char *p;
	size_t len;
	size_t cap;
};

/* 0 or -ENOMEM. The buffer is always NUL-terminated after a success. */
int th_buf_append(struct th_buf *b, const void *p, size_t n);
int th_buf_putc(struct th_buf *b, char c);
int th_buf_printf(struct th_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void th_buf_reset(struct th_buf *b); /* len = 0, keeps memory */
void th_buf_fini(struct th_buf *b);  /* frees; the struct may be reused */

/* --- Arena ------------------------------------------------------------------
 */

struct th_chunk;
struct conn_arena {
	struct th_chunk *head;  /* newest chunk first */
	struct th_chunk *spare; /* kept by the last reset, oldest first */
	size_t used;            /* bytes handed out since the last reset */
};

struct conn_arena *th_arena_new(void);
void th_arena_free(struct conn_arena *a); /* NULL is fine */
/* Frees everything allocated; keeps the chunks (up to ARENA_KEEP bytes)
 * for the next allocations, so a task that fills a batch after batch does
 * not ask malloc, and the kernel, for the same memory each time. */
void th_arena_reset(struct conn_arena *a);
/* 16-byte aligned; NULL on ENOMEM. The memory is not initialized. */
void *th_arena_alloc(struct conn_arena *a, size_t n);
/* Same, zero-filled. */
void *th_arena_zalloc(struct conn_arena *a, size_t n);
/* Copies n bytes and appends a NUL. */
char *th_arena_strndup(struct conn_arena *a, const char *s, size_t n);
void *th_arena_memdup(struct conn_arena *a, const void *p, size_t n);

/* --- Schemas and values -----------------------------------------------------
 */

struct th_field {
	const char *name;
	const struct conn_schema *schema;
};

struct th_param {
	const char *key;
	const char *value;
};

struct conn_schema {
	uint32_t type; /* enum conn_data_type */
	bool optional;
	bool is_static;               /* from schema_std(): immutable */
	int32_t version;              /* 0: none */
	const char *name;             /* NULL: none */
	const char *doc;              /* NULL: none */
	const struct conn_value *def; /* NULL: no default */
	struct th_param *params;
	size_t nparams, capparams;
	struct th_field *fields; /* STRUCT */
	size_t nfields, capfields;
	const struct conn_schema *keys;   /* ARRAY items, MAP keys */
	const struct conn_schema *values; /* MAP values */
	struct conn_arena *arena;         /* where it grows */
};

struct conn_value {
	uint32_t type; /* enum conn_data_type */
	union {
		int64_t i; /* INT8..INT64 */
		double f;  /* FLOAT32, FLOAT64 */
		bool b;
		struct { /* STRING (NUL-terminated too), BYTES */
			const char *p;
			size_t n;
		} s;
		struct { /* ARRAY items; MAP keys[i] -> vals[i] */
			const struct conn_value **keys;
			const struct conn_value **vals;
			size_t n, cap;
			struct conn_arena *arena;
		} c;
		struct { /* STRUCT: fields in schema order, NULL = unset */
			const struct conn_schema *schema;
			const struct conn_value **fields;
			/* entries in fields: the schema's nfields when the
			 * struct was made (fields added later read as null) */
			size_t n;
		} st;
	} u;
};

/* Value equality as Connect means it: same type and content; integers
 * compare by value across INT8..INT64 (floats across FLOAT32/FLOAT64), maps
 * regardless of entry order. NULL and a CONN_NULL value are both null. */
bool th_value_equal(const struct conn_value *a, const struct conn_value *b);

/* Schema equality as ConnectSchema.equals: type, optional, name, version,
 * doc, parameters (in any order), default, fields, keys and values. */
bool th_schema_equal(const struct conn_schema *a, const struct conn_schema *b);

/* Appends an entry to a MAP without looking for an equal key (map_put
 * replaces one): for callers that know the keys are distinct, such as a
 * JSON object decoder. 0, -EINVAL (not a MAP, NULL key) or -ENOMEM. */
int th_map_append(struct conn_value *map, const struct conn_value *key,
                  const struct conn_value *val);

/*
 * Checks that v fits schema s, as Kafka Connect's
 * ConnectSchema.validateValue: the type matches, a null value only where
 * the schema is optional or has a default, struct fields recursively,
 * logical types on their base type. s NULL accepts any value. On failure
 * writes the reason (naming the field path) to err.
 */
int th_value_validate(const struct conn_schema *s, const struct conn_value *v,
                      char *err, size_t errlen);

/* Returns "INT8", "STRING", ... as Kafka Connect names Schema.Type. */
const char *th_type_name(uint32_t type);

/* --- Records and batches -------------------------------------------------- */

struct th_header {
	const char *key;
	const struct conn_schema *schema;
	const struct conn_value *value;
};

struct conn_record {
	const char *topic;
	int32_t partition; /* -1: unset */
	int64_t offset;    /* sink only; -1 otherwise */
	int64_t timestamp; /* -1: unset */
	const struct conn_schema *key_schema;
	const struct conn_value *key; /* NULL: null */
	const struct conn_schema *value_schema;
	const struct conn_value *value; /* NULL: null */
	struct th_header *headers;
	size_t nheaders, capheaders;
	const struct conn_value *src_partition; /* source only */
	const struct conn_value *src_offset;
	struct conn_batch *batch;
};

struct conn_batch {
	struct conn_arena *arena;
	struct conn_record **recs;
	size_t n, cap;
	/* the arena copy of the last topic set on a record: records of
	 * one topic share it (and compare equal by pointer) */
	const char *last_topic;
};

struct conn_batch *th_batch_new(void);
void th_batch_free(struct conn_batch *b); /* NULL is fine */
/* Empties the batch and its arena, keeps memory for reuse. */
void th_batch_reset(struct conn_batch *b);
/* Appends a sink record; topic is copied. NULL on ENOMEM. */
struct conn_record *th_batch_add_sink(struct conn_batch *b, const char *topic,
                                      size_t topiclen, int32_t partition,
                                      int64_t offset, int64_t timestamp);

/* --- Configs ------------------------------------------------------------- */

/*
 * A config: keys and values copied in, kept sorted by key. `options` (may be
 * NULL) supplies defaults to config_get: the plugin's option table, with
 * option_size its element size.
 */
struct th_kv {
	char *key;
	char *value;
};

struct conn_config {
	struct th_kv *kv;
	size_t n, cap;
	const struct conn_option *options;
	size_t option_size;
};

struct conn_config *th_config_new(const struct conn_option *options,
                                  size_t option_size);
void th_config_free(struct conn_config *c); /* NULL is fine */
/* Sets (or replaces) key; value NULL unsets it. 0, -EINVAL (NULL key, key
 * or value not UTF-8) or -ENOMEM. */
int th_config_set(struct conn_config *c, const char *key, const char *value);
/* The value as set, without defaults; NULL if unset. */
const char *th_config_raw(const struct conn_config *c, const char *key);
/* The option definition of key, or NULL. */
const struct conn_option *th_option_find(const struct conn_option *options,
                                         size_t option_size, const char *key);
/*
 * A LIST value (with its default applied) split at commas, each item
 * trimmed, as Kafka's ConfigDef parses LIST. The array and the items are
 * allocated from a. An empty or blank value gives no items. 0, -ENOENT
 * if unset, -EINVAL, or -ENOMEM.
 */
int th_config_get_list(const struct conn_config *c, const char *key,
                       struct conn_arena *a, const char ***items, size_t *n);

/*
 * Checks cfg against its option table as Kafka's ConfigDef does: every
 * CONN_OPT_REQUIRED key is set, every set or defaulted value parses as its
 * type, CONN_OPT_NONEMPTY values are not empty. Each problem is added to v
 * (if v is NULL, the first is written to err). Returns the number of
 * problems found.
 */
int th_config_check(const struct conn_config *cfg, struct conn_validation *v,
                    char *err, size_t errlen);

struct conn_task_configs {
	struct conn_config **tasks;
	size_t n, cap;
	const struct conn_option *options;
	size_t option_size;
};

struct conn_task_configs *th_task_configs_new(const struct conn_option *opts,
                                              size_t option_size);
void th_task_configs_free(struct conn_task_configs *t);

struct th_verror {
	char *key;
	char *message;
};

struct conn_validation {
	struct th_verror *errs;
	size_t n, cap;
};

struct conn_validation *th_validation_new(void);
void th_validation_free(struct conn_validation *v);
/* Same as th_host.validation_error: copies key and msg. */
void th_validation_add(struct conn_validation *v, const char *key,
                       const char *msg);

struct th_position {
	char *topic;
	int32_t partition;
	int64_t offset;
};

struct conn_offsets {
	struct th_position *pos;
	size_t n, cap;
};

struct conn_offsets *th_offsets_new(void);
void th_offsets_free(struct conn_offsets *o);
/* Appends a position (no lowering rule): 0 or -ENOMEM. */
int th_offsets_add(struct conn_offsets *o, const char *topic, size_t topiclen,
                   int32_t partition, int64_t offset);

/* --- Context ---------------------------------------------------------------
 */

/*
 * One running connector instance or task, as plugins reach it. The task
 * loop (th_task.c) fills it in; th_host's log, task_dir and offset_get use
 * it.
 */
struct conn_context {
	const char *connector;
	int32_t task_id; /* -1 for a connector instance */
	const char *task_dir;
	/* Sends a log line to the supervisor. Thread-safe. */
	void (*log)(struct conn_context *cx, int level, const char *msg);
	/* Stored source offsets: parts[i] -> offs[i], parsed from JSON. */
	struct conn_arena *arena;
	const struct conn_value **off_parts;
	const struct conn_value **off_vals;
	size_t noff;
};

#endif /* SLUICE_TH_DATA_H */
