/*
 * conn_verifiable_source.c: VerifiableSource, Kafka Connect's
 * VerifiableSourceConnector and VerifiableSourceTask, for system tests and
 * benchmarks.
 *
 * The connector makes tasks.max task configs, each the connector config
 * plus "id" = 0..n-1 (Kafka's key). Each task emits records with a
 * sequence number that increases by one per record:
 *
 *   key        INT32 task id, or with key.modulo > 0 (sluice's, to spread
 *              keys) INT64 seqno modulo key.modulo
 *   value      INT64 seqno (Kafka's default), or with record.size > 0 BYTES
 *              of exactly record.size bytes: the decimal seqno, padded
 *              with '.' (cut short if record.size is smaller than the
 *              number), or with complete.record.data=true Kafka's STRUCT
 *              {name, task, topic, time_ms, seqno}
 *   partition  {"id": <task id>}   (INT32 value, as Kafka)
 *   offset     {"seqno": <seqno>}  (INT64 value, as Kafka)
 *
 * A restarted task resumes at the stored seqno + 1, so that a consumer can
 * check for gaps (lost records) and repeats (at-least-once duplicates).
 *
 * throughput is records per second per task, averaged since the task
 * started, as Kafka's ThroughputThrottler: a negative value (the default,
 * where Kafka has no default) means unlimited, 0 sends nothing. Each poll
 * returns at most batch.size records (Kafka's task returns one per poll;
 * sluice moves records in batches). Kafka's task also prints each record
 * as JSON on standard output; a sandboxed task has none.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"

struct vs_task {
	const struct conn_host *host;
	struct conn_context *cx;
	struct conn_arena *arena; /* partition, key, schemas */
	const struct conn_value *partition;
	const struct conn_value *seqno_key;
	const struct conn_value *key;
	const struct conn_schema *key_schema;
	const struct conn_schema *value_schema;
	char *name;
	char *topic;
	int32_t id;
	int64_t throughput;
	int64_t batch_size;
	int64_t record_size;
	int64_t key_modulo;
	bool complete;
	char *payload; /* record.size bytes */
	int64_t seqno;
	int64_t start_seqno;
	int64_t start_ms;
};

static const char *const vs_aliases[] = {
    "VerifiableSourceConnector",
    "org.apache.kafka.connect.tools.VerifiableSourceConnector",
    NULL,
};

static const struct conn_option vs_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The topic to produce to",
    },
    {
        .name = "throughput",
        .type = CONN_OPT_LONG,
        .default_value = "-1",
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Records per second per task; negative: unlimited, 0: none",
    },
    {
        .name = "id",
        .type = CONN_OPT_INT,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "The task id; set for each task by the connector",
    },
    {
        .name = "record.size",
        .type = CONN_OPT_INT,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_MEDIUM,
        .doc = "If above 0, each value is BYTES of exactly this size: the "
               "decimal seqno padded with '.'",
    },
    {
        .name = "key.modulo",
        .type = CONN_OPT_LONG,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "If above 0, each record's key is its seqno modulo this "
               "(INT64) instead of the task id: keys that spread over "
               "the topic's partitions",
    },
    {
        .name = "complete.record.data",
        .type = CONN_OPT_BOOLEAN,
        .default_value = "false",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "If true, each value is a STRUCT {name, task, topic, "
               "time_ms, seqno}",
    },
    {
        .name = "batch.size",
        .type = CONN_OPT_INT,
        .default_value = "1000",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "The most records one poll returns",
    },
    {.name = NULL},
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {
	    .tv_sec = ms / 1000,
	    .tv_nsec = (ms % 1000) * 1000000,
	};

	nanosleep(&ts, NULL);
}

/* Checks what the option table cannot; NULL if the config is fine. */
static const char *config_problem(const struct conn_host *h,
                                  const struct conn_config *cfg,
                                  const char **key)
{
	int64_t v, size = 0;
	bool complete = false;

	if (h->config_get_long(cfg, "record.size", &size) == 0 &&
	    (size < 0 || size > 64 * 1024 * 1024)) {
		*key = "record.size";
		return "record.size must be between 0 and 67108864";
	}
	if (h->config_get_bool(cfg, "complete.record.data", &complete) == 0 &&
	    complete && size > 0) {
		*key = "record.size";
		return "record.size cannot be combined with "
		       "complete.record.data";
	}
	if (h->config_get_long(cfg, "batch.size", &v) == 0 &&
	    (v < 1 || v > 1000000)) {
		*key = "batch.size";
		return "batch.size must be between 1 and 1000000";
	}
	if (h->config_get_long(cfg, "key.modulo", &v) == 0 && v < 0) {
		*key = "key.modulo";
		return "key.modulo must not be negative";
	}
	if (h->config_get_long(cfg, "id", &v) == 0 && v < 0) {
		*key = "id";
		return "id must not be negative";
	}
	return NULL;
}

static int vs_validate(const struct conn_host *host,
                       const struct conn_config *cfg, struct conn_validation *v)
{
	const char *key = NULL;
	const char *msg = config_problem(host, cfg, &key);

	if (msg)
		host->validation_error(v, key, msg);
	return 0;
}

/* One task config per task: the connector config plus "id". */
static int vs_task_configs(void *ctx, const struct conn_config *cfg,
                           int max_tasks, struct conn_task_configs *out,
                           char *err, size_t errlen)
{
	const struct conn_host *h = ctx;
	char id[16];

	for (int i = 0; i < max_tasks; i++) {
		struct conn_config *tc = h->task_config_add(out);

		if (!tc)
			goto out_nomem;
		for (size_t k = 0; k < h->config_count(cfg); k++) {
			if (h->config_set(tc, h->config_key(cfg, k),
			                  h->config_value(cfg, k)) != 0)
				goto out_nomem;
		}
		snprintf(id, sizeof(id), "%d", i);
		if (h->config_set(tc, "id", id) != 0)
			goto out_nomem;
	}
	return 0;

out_nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* The connector keeps nothing but the host table. */
static int vs_connector_start(const struct conn_host *host,
                              struct conn_context *cx,
                              const struct conn_config *cfg, void **ctxp,
                              char *err, size_t errlen)
{
	(void)cx;
	(void)cfg;
	(void)err;
	(void)errlen;
	*ctxp = (void *)host;
	return 0;
}

static bool is_key(const struct conn_host *h, const struct conn_value *k,
                   const char *name)
{
	const char *s;
	size_t n;

	if (h->value_type(k) != CONN_STRING)
		return false;
	s = h->value_string_get(k, &n);
	return n == strlen(name) && memcmp(s, name, n) == 0;
}

/* The seqno to start at: the stored one + 1, or 0. */
static int resume_seqno(struct vs_task *t, char *err, size_t errlen)
{
	const struct conn_host *h = t->host;
	const struct conn_value *off = h->offset_get(t->cx, t->partition);

	t->seqno = 0;
	if (!off || h->value_type(off) != CONN_MAP)
		return 0;
	for (size_t i = 0; i < h->value_count(off); i++) {
		const struct conn_value *v = h->value_at(off, i);
		uint32_t type = h->value_type(v);

		if (!is_key(h, h->value_key_at(off, i), "seqno"))
			continue;
		if (type < CONN_INT8 || type > CONN_INT64 ||
		    h->value_int_get(v) < 0 ||
		    h->value_int_get(v) == INT64_MAX) {
			snprintf(err, errlen,
			         "stored offset seqno is not a valid LONG");
			return -EINVAL;
		}
		t->seqno = h->value_int_get(v) + 1;
	}
	return 0;
}

static struct conn_schema *complete_schema(const struct conn_host *h,
                                           struct conn_arena *a)
{
	struct conn_schema *s = h->schema_new(a, CONN_STRUCT);

	if (!s ||
	    h->schema_add_field(s, "name", h->schema_std(CONN_STRING, false)) ||
	    h->schema_add_field(s, "task", h->schema_std(CONN_INT32, false)) ||
	    h->schema_add_field(s, "topic",
	                        h->schema_std(CONN_STRING, false)) ||
	    h->schema_add_field(s, "time_ms",
	                        h->schema_std(CONN_INT64, false)) ||
	    h->schema_add_field(s, "seqno", h->schema_std(CONN_INT64, false)))
		return NULL;
	return s;
}

/* The decimal digits of seqno (>= 0) at buf (21 bytes), no NUL; their
 * count. snprintf took a tenth of a fast task's time. */
static int format_seqno(char *buf, int64_t seqno)
{
	char tmp[24];
	uint64_t v = seqno < 0 ? 0 : (uint64_t)seqno;
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (int i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

static struct conn_value *make_value(struct vs_task *t, struct conn_arena *a)
{
	const struct conn_host *h = t->host;
	struct conn_value *v;
	char num[24];
	int n;

	if (t->complete) {
		struct conn_value *name, *task, *topic, *time, *seqno;

		v = h->value_struct(a, t->value_schema);
		name = h->value_string(a, t->name, strlen(t->name));
		task = h->value_int(a, CONN_INT32, t->id);
		topic = h->value_string(a, t->topic, strlen(t->topic));
		time = h->value_int(a, CONN_INT64, wall_ms());
		seqno = h->value_int(a, CONN_INT64, t->seqno);
		if (!v || !name || !task || !topic || !time || !seqno ||
		    h->struct_put(v, "name", name) ||
		    h->struct_put(v, "task", task) ||
		    h->struct_put(v, "topic", topic) ||
		    h->struct_put(v, "time_ms", time) ||
		    h->struct_put(v, "seqno", seqno))
			return NULL;
		return v;
	}
	if (t->record_size > 0) {
		n = format_seqno(num, t->seqno);
		if (n > t->record_size)
			n = (int)t->record_size;
		/* Digits only grow, so the padding after them stays '.'. */
		memcpy(t->payload, num, (size_t)n);
		return h->value_bytes(a, t->payload, (size_t)t->record_size);
	}
	return h->value_int(a, CONN_INT64, t->seqno);
}

static int add_record(struct vs_task *t, struct conn_batch *out, char *err,
                      size_t errlen)
{
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->batch_arena(out);
	struct conn_record *r = h->record_add(out);
	struct conn_value *offset, *seqno, *value;
	const struct conn_value *key = t->key;

	if (r && h->record_set_topic(r, t->topic) == -EINVAL) {
		snprintf(err, errlen, "invalid topic name \"%s\"", t->topic);
		return -EINVAL;
	}
	offset = h->value_map(a);
	seqno = h->value_int(a, CONN_INT64, t->seqno);
	value = make_value(t, a);
	if (t->key_modulo > 0)
		key = h->value_int(a, CONN_INT64, t->seqno % t->key_modulo);
	if (!r || !offset || !seqno || !value || !key ||
	    h->map_put(offset, t->seqno_key, seqno) ||
	    h->record_set_key(r, t->key_schema, key) ||
	    h->record_set_value(r, t->value_schema, value) ||
	    h->record_set_source(r, t->partition, offset)) {
		snprintf(err, errlen, "out of memory building a record");
		return -ENOMEM;
	}
	t->seqno++;
	return 0;
}

/*
 * How many records may go at `now` to hold the throughput since the task
 * started: the first at once, then one every 1/throughput s. Sets *due to
 * when the next one may go if none may now.
 */
static int64_t allowed_now(struct vs_task *t, int64_t now, int64_t *due)
{
	int64_t sent = t->seqno - t->start_seqno;
	int64_t elapsed = now - t->start_ms;
	int64_t n;

	*due = INT64_MAX;
	if (t->throughput < 0 || t->throughput >= 1000000000)
		return t->batch_size;
	if (t->throughput == 0)
		return 0;
	n = elapsed / 1000 * t->throughput +
	    (elapsed % 1000) * t->throughput / 1000 + 1 - sent;
	if (n <= 0)
		*due = t->start_ms +
		       (sent * 1000 + t->throughput - 1) / t->throughput;
	return n;
}

static int vs_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct vs_task *t = ctx;
	int64_t deadline = mono_ms() + (max_wait_ms > 0 ? max_wait_ms : 0);
	int64_t now, n, due;

	for (;;) {
		now = mono_ms();
		n = allowed_now(t, now, &due);
		if (n > 0)
			break;
		if (now >= deadline)
			return 0;
		if (due > deadline)
			due = deadline;
		sleep_ms(due > now ? due - now : 1);
	}
	if (n > t->batch_size)
		n = t->batch_size;
	for (int64_t i = 0; i < n; i++) {
		int r = add_record(t, out, err, errlen);

		if (r != 0)
			return r;
	}
	return 0;
}

static void vs_stop(void *ctx)
{
	struct vs_task *t = ctx;

	if (!t)
		return;
	if (t->host && t->start_ms) {
		char msg[256];

		snprintf(
		    msg, sizeof(msg),
		    "VerifiableSource task %d stopping after seqno %" PRId64
		    " (started at %" PRId64 ")",
		    t->id, t->seqno - 1, t->start_seqno);
		t->host->log(t->cx, CONN_LOG_INFO, msg);
	}
	if (t->host)
		t->host->arena_free(t->arena);
	free(t->payload);
	free(t->name);
	free(t->topic);
	free(t);
}

/* Builds what every record shares. */
static int setup(struct vs_task *t)
{
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->arena_new();
	struct conn_value *part, *idkey, *idval;

	t->arena = a;
	if (!a)
		return -ENOMEM;
	part = h->value_map(a);
	idkey = h->value_string(a, "id", 2);
	idval = h->value_int(a, CONN_INT32, t->id);
	t->seqno_key = h->value_string(a, "seqno", 5);
	t->key = h->value_int(a, CONN_INT32, t->id);
	t->key_schema =
	    h->schema_std(t->key_modulo > 0 ? CONN_INT64 : CONN_INT32, false);
	if (t->complete)
		t->value_schema = complete_schema(h, a);
	else if (t->record_size > 0)
		t->value_schema = h->schema_std(CONN_BYTES, false);
	else
		t->value_schema = h->schema_std(CONN_INT64, false);
	if (!part || !idkey || !idval || !t->seqno_key || !t->key ||
	    !t->key_schema || !t->value_schema ||
	    h->map_put(part, idkey, idval))
		return -ENOMEM;
	t->partition = part;
	if (t->record_size > 0) {
		t->payload = malloc((size_t)t->record_size);
		if (!t->payload)
			return -ENOMEM;
		memset(t->payload, '.', (size_t)t->record_size);
	}
	return 0;
}

/* The host does not call stop() after a failed start(). */
static int vs_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	const char *name = host->config_get(cfg, "name");
	const char *topic = host->config_get(cfg, "topic");
	const char *key = NULL, *msg;
	struct vs_task *t;
	int64_t id = 0;
	char line[256];
	int r;

	*ctxp = NULL;
	msg = config_problem(host, cfg, &key);
	if (!msg && (!topic || !*topic))
		msg = "topic is required";
	if (msg) {
		snprintf(err, errlen, "%s", msg);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = host;
	t->cx = cx;
	t->throughput = -1;
	t->batch_size = 1000;
	host->config_get_long(cfg, "id", &id);
	host->config_get_long(cfg, "throughput", &t->throughput);
	host->config_get_long(cfg, "batch.size", &t->batch_size);
	host->config_get_long(cfg, "record.size", &t->record_size);
	host->config_get_long(cfg, "key.modulo", &t->key_modulo);
	host->config_get_bool(cfg, "complete.record.data", &t->complete);
	t->id = (int32_t)id;
	t->name = strdup(name ? name : "");
	t->topic = strdup(topic);
	r = -ENOMEM;
	if (!t->name || !t->topic || setup(t) != 0)
		goto out_nomem;
	r = resume_seqno(t, err, errlen);
	if (r != 0)
		goto out_stop;
	t->start_seqno = t->seqno;
	t->start_ms = mono_ms();
	snprintf(line, sizeof(line),
	         "Started VerifiableSource task %d producing to topic %s "
	         "resuming from seqno %" PRId64,
	         t->id, t->topic, t->seqno);
	host->log(cx, CONN_LOG_INFO, line);
	*ctxp = t;
	return 0;

out_nomem:
	snprintf(err, errlen, "out of memory");
out_stop:
	vs_stop(t);
	return r;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "VerifiableSource",
    .aliases = vs_aliases,
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = vs_options,
    .doc = "Emits records with increasing sequence numbers, one sequence "
           "per task, for checking delivery (gaps, duplicates) and for "
           "benchmarks.",
    .validate = vs_validate,
    .connector_start = vs_connector_start,
    .task_configs = vs_task_configs,
    .start = vs_start,
    .poll = vs_poll,
    .stop = vs_stop,
};
