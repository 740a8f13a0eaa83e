/*
 * connector.h: the sluice connector plugin ABI, version 1.
 *
 * This is the only sluice header a connector includes. A connector is a
 * shared object that exports exactly one symbol, `conn_plugin`, a const
 * struct conn_plugin filled in with designated initializers. Everything else
 * (configs, schemas, values, records, offsets) is opaque and reached through
 * the struct conn_host function table that the host passes to every entry
 * point. No public struct but conn_plugin, conn_option and conn_host exists,
 * so the host can change its data structures without breaking plugins.
 *
 * The model is Kafka Connect's: a connector instance validates its config
 * and splits the work into task configs; a source task polls records from
 * the outside world, a sink task receives records and writes them out.
 * Each connector instance and each task runs in its own sandboxed
 * sluice-taskhost process, so a plugin never shares memory with another
 * connector or with the supervisor.
 *
 * Conventions:
 * - Callbacks return 0 on success and a negative errno on failure. Where a
 *   callback gets `char *err, size_t errlen`, it writes a human-readable
 *   NUL-terminated reason there on failure; the host shows it in the
 *   connector's status trace.
 * - -EAGAIN from poll() or put() is a retriable error (Kafka Connect's
 *   RetriableException): the host retries after a backoff. Any other
 *   negative value fails the task.
 * - A plugin never exits, aborts or installs signal handlers; it returns
 *   an error.
 * - Data passed into a callback is borrowed for the duration of that call
 *   only, unless the contract says otherwise. Each side frees what it
 *   allocated.
 * - Host functions may be called only from the thread that is running a
 *   callback, while that callback runs, except conn_host.log, which any
 *   thread may call at any time while the task is started.
 * - All strings are UTF-8. Lengths are in bytes.
 *
 * Versioning: `abi` holds a magic in its upper 16 bits ("CN") and the
 * version in the lower 16. Members are only ever appended; `size` tells
 * the host which members a plugin knows about, and conn_host.size tells
 * the plugin which host functions exist.
 */
#ifndef SLUICE_CONNECTOR_H
#define SLUICE_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CONN_ABI_MAGIC      0x434e0000u /* "CN" */
#define CONN_ABI_MAGIC_MASK 0xffff0000u
#define CONN_ABI_V1         0x434e0001u
#define CONN_ABI_VERSION    CONN_ABI_V1

#define CONN_HOST_V1 0x48540001u /* "HT", version 1 */

/* Export the registration struct with default visibility even when the
 * plugin is built with -fvisibility=hidden (recommended). */
#define CONN_EXPORT __attribute__((visibility("default")))

/* --- Opaque host objects ------------------------------------------------ */

struct conn_config;       /* key -> string value map, with defaults applied */
struct conn_context;      /* one running connector instance or task */
struct conn_validation;   /* collects per-key errors in validate() */
struct conn_task_configs; /* output of task_configs() */
struct conn_arena;        /* memory that schemas and values live in */
struct conn_schema;       /* a Connect schema */
struct conn_value;        /* a Connect value (typed, possibly schemaless) */
struct conn_batch;        /* records: built by poll(), read by put() */
struct conn_record;       /* one record of a batch */
struct conn_offsets;      /* sink positions: topic, partition -> offset */

/* --- Plugin description -------------------------------------------------- */

enum conn_plugin_type {
	CONN_SOURCE = 1,
	CONN_SINK = 2,
};

/* Config value types, as Kafka's ConfigDef.Type. */
enum conn_opt_type {
	CONN_OPT_STRING = 1,
	CONN_OPT_INT = 2,  /* 32-bit signed */
	CONN_OPT_LONG = 3, /* 64-bit signed */
	CONN_OPT_DOUBLE = 4,
	CONN_OPT_BOOLEAN = 5,  /* "true" or "false", case-insensitive */
	CONN_OPT_LIST = 6,     /* comma-separated, items trimmed */
	CONN_OPT_PASSWORD = 7, /* never shown back: "[hidden]" */
	CONN_OPT_CLASS = 8,
};

enum conn_opt_importance {
	CONN_IMPORTANCE_HIGH = 1,
	CONN_IMPORTANCE_MEDIUM = 2,
	CONN_IMPORTANCE_LOW = 3,
};

/* conn_option.flags */
#define CONN_OPT_REQUIRED   0x01u /* no default: the key must be set */
#define CONN_OPT_PATH_READ  0x02u /* the value is a file the task reads */
#define CONN_OPT_PATH_WRITE 0x04u /* the value is a file the task writes */
#define CONN_OPT_HOSTPORT   0x08u /* host:port (a LIST of them) to reach */
#define CONN_OPT_NONEMPTY   0x10u /* if set, the value must not be empty */

/*
 * One config definition, as data (Kafka's ConfigDef.define()). The host
 * checks types, required keys and CONN_OPT_NONEMPTY before validate() or
 * any start callback runs, and applies default_value where a key is unset.
 * A key without CONN_OPT_REQUIRED and with default_value NULL is optional
 * with a null default. PATH_READ, PATH_WRITE and HOSTPORT tell the sandbox
 * what to grant the task: exactly the named file or address, nothing more.
 */
struct conn_option {
	const char *name;
	uint32_t type;             /* enum conn_opt_type */
	uint32_t flags;            /* CONN_OPT_* flags */
	const char *default_value; /* as a string; NULL: none */
	uint32_t importance;       /* enum conn_opt_importance */
	const char *doc;
	const char *group;        /* may be NULL */
	const char *display_name; /* may be NULL: the name is shown */
};

struct conn_host;

/*
 * The registration struct. Export it as
 *
 *	CONN_EXPORT const struct conn_plugin conn_plugin = {
 *		.abi = CONN_ABI_VERSION,
 *		.size = sizeof(struct conn_plugin),
 *		.option_size = sizeof(struct conn_option),
 *		.name = "MySource",
 *		...
 *	};
 *
 * The loader rejects the plugin unless the magic matches, the version is
 * known, size covers every member up to `stop`, option_size is at least
 * the size of a version-1 conn_option, name is set, type is CONN_SOURCE
 * or CONN_SINK, and start, stop and poll (source) or put (sink) are set.
 */
struct conn_plugin {
	uint32_t abi;  /* CONN_ABI_VERSION */
	uint32_t size; /* sizeof(struct conn_plugin) */

	const char *name;           /* "FileStreamSource"; unique per worker */
	const char *const *aliases; /* NULL-terminated; may be NULL */
	const char *version;        /* the plugin's own version, "1.2.0" */
	uint32_t type;              /* enum conn_plugin_type */
	uint32_t option_size;       /* sizeof(struct conn_option) */
	const struct conn_option *options; /* ends with .name == NULL */
	const char *doc;                   /* one paragraph; may be NULL */

	/* --- Connector side: all optional. ---------------------------------
	 *
	 * validate: checks the whole config beyond what the option table says
	 * (ranges, combinations). Report each problem with
	 * host->validation_error(); return 0 even when errors were reported,
	 * or a negative errno if validation itself could not run. May be
	 * called in a short-lived process that runs nothing else.
	 */
	int (*validate)(const struct conn_host *host,
	                const struct conn_config *cfg,
	                struct conn_validation *v);

	/*
	 * connector_start: starts a connector instance; *ctxp is then passed
	 * to task_configs and connector_stop. If NULL, ctx is NULL.
	 */
	int (*connector_start)(const struct conn_host *host,
	                       struct conn_context *cx,
	                       const struct conn_config *cfg, void **ctxp,
	                       char *err, size_t errlen);

	/*
	 * task_configs: splits the work into at most max_tasks task configs,
	 * each added with host->task_config_add() and filled with
	 * host->config_set(). If NULL, the host makes tasks whose config is
	 * the connector config: one for a source (what FileStreamSource
	 * does), max_tasks for a sink, whose tasks share the topics'
	 * partitions through their consumer group (what Kafka Connect's
	 * FileStreamSink and VerifiableSink do).
	 */
	int (*task_configs)(void *ctx, const struct conn_config *cfg,
	                    int max_tasks, struct conn_task_configs *out,
	                    char *err, size_t errlen);

	/* connector_stop: accepts NULL and a half-built ctx. */
	void (*connector_stop)(void *ctx);

	/* --- Task side. ----------------------------------------------------
	 *
	 * start: starts a task with its task config. The plugin keeps its
	 * state in *ctxp. Stored source offsets are read here with
	 * host->offset_get(). A failure here FAILs the task (a config
	 * problem is not retried in a loop).
	 */
	int (*start)(const struct conn_host *host, struct conn_context *cx,
	             const struct conn_config *cfg, void **ctxp, char *err,
	             size_t errlen);

	/*
	 * poll (sources): adds zero or more records to `out` with
	 * host->record_add() and returns 0. Should return within about
	 * max_wait_ms when no data is available (returning 0 with no records
	 * is fine); a poll that never returns is killed by the watchdog.
	 * Everything built in the batch arena (host->batch_arena(out)) is
	 * freed by the host after the records have been converted.
	 */
	int (*poll)(void *ctx, struct conn_batch *out, int max_wait_ms,
	            char *err, size_t errlen);

	/*
	 * put (sinks): writes the records of `in` (host->batch_count(),
	 * host->batch_record()). The batch and everything reached from it is
	 * borrowed for this call only. Returning 0 acknowledges the batch
	 * (it will not be delivered again unless the task restarts before
	 * its offsets are committed); -EAGAIN asks for the same batch again
	 * after a backoff.
	 */
	int (*put)(void *ctx, const struct conn_batch *in, char *err,
	           size_t errlen);

	/*
	 * pre_commit (sinks, optional): called before the host commits
	 * consumer offsets. Make everything put() so far durable (flush),
	 * then return 0 to commit `offsets` as they are, or lower an offset
	 * with host->offsets_set() to commit less. If NULL, the host commits
	 * every acknowledged batch at each commit interval.
	 */
	int (*pre_commit)(void *ctx, struct conn_offsets *offsets, char *err,
	                  size_t errlen);

	/*
	 * commit (sources, optional): the offsets of every record returned
	 * by poll() so far and delivered to Kafka have been written to the
	 * offset store.
	 */
	int (*commit)(void *ctx);

	/* stop: releases everything; accepts NULL and a half-built ctx. */
	void (*stop)(void *ctx);
};

/* --- Data model ----------------------------------------------------------- */

/* Value and schema types, as Kafka Connect's Schema.Type. */
enum conn_data_type {
	CONN_NULL = 0, /* value type only: a null value */
	CONN_INT8 = 1,
	CONN_INT16 = 2,
	CONN_INT32 = 3,
	CONN_INT64 = 4,
	CONN_FLOAT32 = 5,
	CONN_FLOAT64 = 6,
	CONN_BOOLEAN = 7,
	CONN_STRING = 8,
	CONN_BYTES = 9,
	CONN_ARRAY = 10,
	CONN_MAP = 11,
	CONN_STRUCT = 12,
};

/* Logical type names, as Kafka Connect's (schema name + base type). */
#define CONN_LOGICAL_DECIMAL   "org.apache.kafka.connect.data.Decimal"
#define CONN_LOGICAL_DATE      "org.apache.kafka.connect.data.Date"
#define CONN_LOGICAL_TIME      "org.apache.kafka.connect.data.Time"
#define CONN_LOGICAL_TIMESTAMP "org.apache.kafka.connect.data.Timestamp"
#define CONN_DECIMAL_SCALE     "scale" /* parameter of a Decimal schema */

/* Log levels for conn_host.log. */
enum conn_log_level {
	CONN_LOG_ERROR = 3,
	CONN_LOG_WARN = 4,
	CONN_LOG_INFO = 6,
	CONN_LOG_DEBUG = 7,
};

/*
 * The host function table, passed to validate, connector_start and start.
 * Keep the pointer: it stays valid for the life of the process. Check
 * `size` before calling a function added after version 1.
 *
 * Memory: schemas and values live in an arena and are freed with it, never
 * one by one. In poll(), build them in host->batch_arena(out); schemas that
 * a task reuses for every record belong in an arena of its own
 * (host->arena_new() at start, host->arena_free() at stop). Values read
 * from a sink batch or from offset_get() are read-only and borrowed.
 *
 * Constructors return NULL when out of memory or when an argument is
 * invalid (a NULL arena, an unknown type). Setters return 0, or -EINVAL
 * when the value does not fit (a struct field that does not exist, a map
 * key for an array), or -ENOMEM.
 */
struct conn_host {
	uint32_t abi;  /* CONN_HOST_V1 */
	uint32_t size; /* sizeof(struct conn_host) of the host */

	/* Logs a line tagged with the connector and task. Thread-safe. */
	void (*log)(struct conn_context *cx, int level, const char *msg);

	/* The writable directory of this task (the sandbox's only one). */
	const char *(*task_dir)(struct conn_context *cx);

	/* --- Configs. Values are strings; typed getters parse them. --- */

	/* The value of key, with the option's default applied; NULL if the
	 * key is unset and has no default. */
	const char *(*config_get)(const struct conn_config *cfg,
	                          const char *key);
	/* 0, -ENOENT if unset (or null), -EINVAL if not of that type. */
	int (*config_get_long)(const struct conn_config *cfg, const char *key,
	                       int64_t *out);
	int (*config_get_double)(const struct conn_config *cfg, const char *key,
	                         double *out);
	int (*config_get_bool)(const struct conn_config *cfg, const char *key,
	                       bool *out);
	/* Iteration over the keys that are set, in sorted order. */
	size_t (*config_count)(const struct conn_config *cfg);
	const char *(*config_key)(const struct conn_config *cfg, size_t i);
	const char *(*config_value)(const struct conn_config *cfg, size_t i);

	/* In task_configs(): adds an empty task config to `out`. */
	struct conn_config *(*task_config_add)(struct conn_task_configs *out);
	/* Sets a key in a config returned by task_config_add(). */
	int (*config_set)(struct conn_config *cfg, const char *key,
	                  const char *value);

	/* In validate(): records an error for key (copied). */
	void (*validation_error)(struct conn_validation *v, const char *key,
	                         const char *msg);

	/* --- Arenas. --- */
	struct conn_arena *(*arena_new)(void);
	void (*arena_free)(struct conn_arena *a); /* NULL is fine */
	struct conn_arena *(*batch_arena)(struct conn_batch *b);

	/* --- Schemas. --- */

	/* A shared, immutable schema of a primitive type (INT8..BYTES), as
	 * Schema.STRING_SCHEMA / OPTIONAL_STRING_SCHEMA. Never freed. */
	const struct conn_schema *(*schema_std)(uint32_t type, bool optional);
	/* A new schema of any type but ARRAY and MAP, to be finished with
	 * the setters below before it is used in a record. */
	struct conn_schema *(*schema_new)(struct conn_arena *a, uint32_t type);
	struct conn_schema *(*schema_array)(struct conn_arena *a,
	                                    const struct conn_schema *items);
	struct conn_schema *(*schema_map)(struct conn_arena *a,
	                                  const struct conn_schema *keys,
	                                  const struct conn_schema *values);
	/* Logical types: Decimal (BYTES, two's complement big-endian
	 * unscaled value), Date (INT32 days since the epoch), Time (INT32
	 * milliseconds since midnight), Timestamp (INT64 milliseconds since
	 * the epoch). */
	struct conn_schema *(*schema_decimal)(struct conn_arena *a, int scale);
	struct conn_schema *(*schema_date)(struct conn_arena *a);
	struct conn_schema *(*schema_time)(struct conn_arena *a);
	struct conn_schema *(*schema_timestamp)(struct conn_arena *a);

	int (*schema_set_optional)(struct conn_schema *s, bool optional);
	int (*schema_set_name)(struct conn_schema *s, const char *name);
	int (*schema_set_version)(struct conn_schema *s, int32_t version);
	int (*schema_set_doc)(struct conn_schema *s, const char *doc);
	int (*schema_set_param)(struct conn_schema *s, const char *key,
	                        const char *value);
	/* The default must be a value of this schema (same arena or a
	 * longer-lived one). */
	int (*schema_set_default)(struct conn_schema *s,
	                          const struct conn_value *v);
	/* STRUCT only: appends a field; -EINVAL if the name exists. */
	int (*schema_add_field)(struct conn_schema *s, const char *name,
	                        const struct conn_schema *field);

	uint32_t (*schema_type)(const struct conn_schema *s);
	bool (*schema_optional)(const struct conn_schema *s);
	const char *(*schema_name)(const struct conn_schema *s); /* or NULL */
	int32_t (*schema_version)(const struct conn_schema *s);  /* 0: none */
	const char *(*schema_doc)(const struct conn_schema *s);  /* or NULL */
	const char *(*schema_param)(const struct conn_schema *s,
	                            const char *key); /* or NULL */
	const struct conn_value *(*schema_default)(
	    const struct conn_schema *s); /* or NULL */
	size_t (*schema_field_count)(const struct conn_schema *s);
	const char *(*schema_field_name)(const struct conn_schema *s, size_t i);
	const struct conn_schema *(*schema_field_schema)(
	    const struct conn_schema *s, size_t i);
	/* ARRAY: items (keys NULL). MAP: keys and values. Else NULL. */
	const struct conn_schema *(*schema_keys)(const struct conn_schema *s);
	const struct conn_schema *(*schema_values)(const struct conn_schema *s);

	/* --- Values. Constructors copy what they are given. --- */
	struct conn_value *(*value_null)(struct conn_arena *a);
	struct conn_value *(*value_bool)(struct conn_arena *a, bool b);
	/* type is CONN_INT8..CONN_INT64; -EINVAL/NULL if v does not fit. */
	struct conn_value *(*value_int)(struct conn_arena *a, uint32_t type,
	                                int64_t v);
	/* type is CONN_FLOAT32 or CONN_FLOAT64. */
	struct conn_value *(*value_float)(struct conn_arena *a, uint32_t type,
	                                  double v);
	/* Must be valid UTF-8, else NULL with errno EINVAL (ENOMEM: out of
	 * memory). */
	struct conn_value *(*value_string)(struct conn_arena *a, const char *s,
	                                   size_t len);
	struct conn_value *(*value_bytes)(struct conn_arena *a, const void *p,
	                                  size_t len);
	struct conn_value *(*value_array)(struct conn_arena *a);
	struct conn_value *(*value_map)(struct conn_arena *a);
	/* A struct of a STRUCT schema; its fields start null. */
	struct conn_value *(*value_struct)(struct conn_arena *a,
	                                   const struct conn_schema *s);
	/* Item, entry and field values must live at least as long. */
	int (*array_append)(struct conn_value *arr,
	                    const struct conn_value *item);
	int (*map_put)(struct conn_value *map, const struct conn_value *key,
	               const struct conn_value *val);
	int (*struct_put)(struct conn_value *st, const char *field,
	                  const struct conn_value *val);

	uint32_t (*value_type)(const struct conn_value *v);   /* NULL: NULL */
	int64_t (*value_int_get)(const struct conn_value *v); /* INT*, BOOL */
	double (*value_float_get)(
	    const struct conn_value *v); /* FLOAT*, INT* */
	bool (*value_bool_get)(const struct conn_value *v);
	/* STRING: not NUL-terminated in general; use *len. */
	const char *(*value_string_get)(const struct conn_value *v,
	                                size_t *len);
	const void *(*value_bytes_get)(const struct conn_value *v, size_t *len);
	/* ARRAY items, MAP entries, STRUCT fields (schema order). */
	size_t (*value_count)(const struct conn_value *v);
	const struct conn_value *(*value_at)(const struct conn_value *v,
	                                     size_t i);
	const struct conn_value *(*value_key_at)(const struct conn_value *v,
	                                         size_t i); /* MAP only */
	const struct conn_value *(*struct_get)(const struct conn_value *st,
	                                       const char *field);
	/* STRUCT: its schema. */
	const struct conn_schema *(*value_schema)(const struct conn_value *v);

	/* --- Source records (in poll()). --- */

	/* Appends a record to the batch; set at least its topic. */
	struct conn_record *(*record_add)(struct conn_batch *b);
	int (*record_set_topic)(struct conn_record *r, const char *topic);
	/* Kafka partition; unset: the producer's partitioner decides. */
	int (*record_set_partition)(struct conn_record *r, int32_t partition);
	/* Schema may be NULL (schemaless); value NULL means null. */
	int (*record_set_key)(struct conn_record *r,
	                      const struct conn_schema *s,
	                      const struct conn_value *v);
	int (*record_set_value)(struct conn_record *r,
	                        const struct conn_schema *s,
	                        const struct conn_value *v);
	/* Milliseconds since the epoch; unset: the time of conversion. */
	int (*record_set_timestamp)(struct conn_record *r, int64_t ms);
	int (*record_add_header)(struct conn_record *r, const char *key,
	                         const struct conn_schema *s,
	                         const struct conn_value *v);
	/* Source partition and offset: MAPs with STRING keys and primitive
	 * values (Kafka Connect's Map<String, ?>). The host stores the
	 * latest offset of each partition once the record is in Kafka. */
	int (*record_set_source)(struct conn_record *r,
	                         const struct conn_value *partition,
	                         const struct conn_value *offset);

	/* --- Sink records (in put()), read-only. --- */
	size_t (*batch_count)(const struct conn_batch *b);
	const struct conn_record *(*batch_record)(const struct conn_batch *b,
	                                          size_t i);
	const char *(*record_topic)(const struct conn_record *r);
	int32_t (*record_partition)(const struct conn_record *r);
	int64_t (*record_offset)(const struct conn_record *r);
	int64_t (*record_timestamp)(const struct conn_record *r);
	const struct conn_schema *(*record_key_schema)(
	    const struct conn_record *r);
	const struct conn_value *(*record_key)(const struct conn_record *r);
	const struct conn_schema *(*record_value_schema)(
	    const struct conn_record *r);
	const struct conn_value *(*record_value)(const struct conn_record *r);
	size_t (*record_header_count)(const struct conn_record *r);
	const char *(*record_header_key)(const struct conn_record *r, size_t i);
	const struct conn_value *(*record_header_value)(
	    const struct conn_record *r, size_t i);

	/* --- Offsets. --- */

	/* Sources, in start(): the stored offset of a source partition (a
	 * MAP as given to record_set_source), or NULL if none. Borrowed for
	 * the life of the task. */
	const struct conn_value *(*offset_get)(struct conn_context *cx,
	                                       const struct conn_value *part);

	/* Sinks, in pre_commit(): the positions about to be committed
	 * (the offset of the next record to read, as Kafka commits it). */
	size_t (*offsets_count)(const struct conn_offsets *o);
	int (*offsets_at)(const struct conn_offsets *o, size_t i,
	                  const char **topic, int32_t *partition,
	                  int64_t *offset);
	/* Lowers (never raises) the offset to commit for a partition. */
	int (*offsets_set)(struct conn_offsets *o, const char *topic,
	                   int32_t partition, int64_t offset);
};

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_CONNECTOR_H */
