/*
 * conn_example_source.c: CounterSource, the smallest complete source
 * plugin, and the example that connectors/README.md walks through.
 *
 * Every interval.ms it sends up to max.per.poll records "hello 0",
 * "hello 1", ... to `topic`. It stores how far it got as its source
 * offset, so a restarted task goes on where the last one stopped instead
 * of starting again from 0.
 *
 * Build it on its own with
 *
 *	cc -shared -fPIC -fvisibility=hidden -I<dir of connector.h> \
 *		-o conn_example_source.so conn_example_source.c
 *
 * A plugin includes only connector.h and the C library. Everything it
 * exchanges with sluice (configs, values, records, offsets) goes through
 * the `host` function table that start() receives.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "connector.h"

/*
 * The task's state. The host never looks inside: start() hands it back as
 * a void pointer and gets it in every later call.
 */
struct counter {
	const struct conn_host *host; /* valid for the life of the process */
	struct conn_context *cx;      /* for host->log and host->offset_get */
	struct conn_arena *arena;     /* things every record shares */
	const struct conn_value *partition; /* {"counter": "hello"} */
	const struct conn_value *n_key;     /* "n", the offset map's key */
	char topic[256];
	int64_t next;         /* the number of the next record */
	int64_t max_per_poll; /* max.per.poll */
	int64_t interval_ms;  /* interval.ms */
	int64_t due_ms;       /* when the next batch may go */
};

/*
 * The options, as data. The host checks types, required keys and
 * NONEMPTY, and fills in defaults, before any callback runs; REST's
 * /connector-plugins/CounterSource/config lists this table.
 */
static const struct conn_option counter_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The topic to send the greetings to",
    },
    {
        .name = "max.per.poll",
        .type = CONN_OPT_INT,
        .default_value = "10",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "The most records one poll returns",
    },
    {
        .name = "interval.ms",
        .type = CONN_OPT_INT,
        .default_value = "1000",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "How long to wait between two batches",
    },
    {.name = NULL}, /* the end of the table */
};

static const char *const counter_aliases[] = {
    "CounterSourceConnector",
    NULL,
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * validate: checks what the option table cannot say, here a range. It
 * reports problems per key and returns 0; it runs before any connector
 * or task starts, when a user PUTs a config (and for
 * PUT /connector-plugins/.../config/validate).
 */
static int counter_validate(const struct conn_host *host,
                            const struct conn_config *cfg,
                            struct conn_validation *v)
{
	int64_t n;

	if (host->config_get_long(cfg, "max.per.poll", &n) == 0 && n < 1)
		host->validation_error(v, "max.per.poll",
		                       "max.per.poll must be at least 1");
	if (host->config_get_long(cfg, "interval.ms", &n) == 0 && n < 0)
		host->validation_error(v, "interval.ms",
		                       "interval.ms must not be negative");
	return 0;
}

/*
 * stop: frees everything. It must accept NULL and a half-built state,
 * because start() below calls it to clean up after a failure (the host
 * calls stop() only after a successful start()).
 */
static void counter_stop(void *ctx)
{
	struct counter *c = ctx;

	if (!c)
		return;
	if (c->host)
		c->host->arena_free(c->arena); /* NULL is fine */
	free(c);
}

/*
 * Reads the stored offset of our partition: the number of the last record
 * that reached Kafka. offset_get may be called only in start().
 */
static void resume(struct counter *c)
{
	const struct conn_host *h = c->host;
	const struct conn_value *off = h->offset_get(c->cx, c->partition);

	c->next = 0;
	if (!off || h->value_type(off) != CONN_MAP)
		return; /* a first run */
	for (size_t i = 0; i < h->value_count(off); i++) {
		const struct conn_value *k = h->value_key_at(off, i);
		const struct conn_value *v = h->value_at(off, i);
		uint32_t type = h->value_type(v);
		size_t len;
		const char *s;

		if (h->value_type(k) != CONN_STRING)
			continue;
		s = h->value_string_get(k, &len); /* not NUL-terminated */
		/* Stored as JSON: any integer type may come back. */
		if (len == 1 && s[0] == 'n' && type >= CONN_INT8 &&
		    type <= CONN_INT64 && h->value_int_get(v) >= 0)
			c->next = h->value_int_get(v) + 1;
	}
}

/*
 * start: reads the task config, builds what every record shares, and
 * finds where to resume. On failure it writes a reason to err and returns
 * a negative errno: -EINVAL for a config problem, which FAILs the task
 * without retries.
 */
static int counter_start(const struct conn_host *host, struct conn_context *cx,
                         const struct conn_config *cfg, void **ctxp, char *err,
                         size_t errlen)
{
	struct counter *c;
	struct conn_value *part, *k, *v;
	const char *topic = host->config_get(cfg, "topic");

	*ctxp = NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->host = host;
	c->cx = cx;
	if (!topic || strlen(topic) >= sizeof(c->topic)) {
		snprintf(err, errlen, "topic is missing or too long");
		counter_stop(c);
		return -EINVAL;
	}
	strcpy(c->topic, topic);
	/* Defaults are applied by the host, so these always succeed. */
	host->config_get_long(cfg, "max.per.poll", &c->max_per_poll);
	host->config_get_long(cfg, "interval.ms", &c->interval_ms);

	/*
	 * Values live in arenas. What every record shares goes in an arena
	 * of our own that lives as long as the task; per-record values go
	 * in the batch's arena (see counter_poll).
	 */
	c->arena = host->arena_new();
	part = c->arena ? host->value_map(c->arena) : NULL;
	k = c->arena ? host->value_string(c->arena, "counter", 7) : NULL;
	v = c->arena ? host->value_string(c->arena, "hello", 5) : NULL;
	c->n_key = c->arena ? host->value_string(c->arena, "n", 1) : NULL;
	if (!part || !k || !v || !c->n_key || host->map_put(part, k, v) != 0) {
		snprintf(err, errlen, "out of memory");
		counter_stop(c);
		return -ENOMEM;
	}
	c->partition = part;
	resume(c);
	*ctxp = c;
	return 0;
}

/* Adds "hello <n>" with its source offset {"n": <n>} to the batch. */
static int add_greeting(struct counter *c, struct conn_batch *out, char *err,
                        size_t errlen)
{
	const struct conn_host *h = c->host;
	struct conn_arena *a = h->batch_arena(out); /* freed by the host */
	struct conn_record *r = h->record_add(out);
	struct conn_value *value, *offset, *n;
	char text[32];
	int len;

	/* The host checks topic names as Kafka does: -EINVAL if invalid. */
	if (r && h->record_set_topic(r, c->topic) == -EINVAL) {
		snprintf(err, errlen, "invalid topic name \"%s\"", c->topic);
		return -EINVAL;
	}
	len = snprintf(text, sizeof(text), "hello %" PRId64, c->next);
	value = h->value_string(a, text, (size_t)len); /* copies text */
	offset = h->value_map(a);
	n = h->value_int(a, CONN_INT64, c->next);
	if (!r || !value || !offset || !n ||
	    h->map_put(offset, c->n_key, n) != 0 ||
	    h->record_set_value(r, h->schema_std(CONN_STRING, false), value) !=
	        0 ||
	    h->record_set_source(r, c->partition, offset) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->next++;
	return 0;
}

/*
 * poll: returns 0 with up to max.per.poll records, or with none. It must
 * not block for much longer than max_wait_ms: when nothing is due it
 * sleeps until the next batch is due or max_wait_ms is over, whichever
 * comes first, and returns an empty batch in the latter case.
 */
static int counter_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                        char *err, size_t errlen)
{
	struct counter *c = ctx;
	int64_t now = now_ms();
	int64_t wait = c->due_ms - now;

	if (wait > 0) {
		struct timespec ts;

		if (wait > max_wait_ms)
			wait = max_wait_ms > 0 ? max_wait_ms : 0;
		ts.tv_sec = wait / 1000;
		ts.tv_nsec = (wait % 1000) * 1000000;
		nanosleep(&ts, NULL);
		if (now_ms() < c->due_ms)
			return 0; /* nothing yet: an empty batch is fine */
	}
	for (int64_t i = 0; i < c->max_per_poll; i++) {
		int r = add_greeting(c, out, err, errlen);

		if (r != 0)
			return r;
	}
	c->due_ms = now_ms() + c->interval_ms;
	return 0;
}

/*
 * The registration: the one symbol the plugin exports. Unset callbacks
 * (connector_start, task_configs, commit, ...) are optional; without
 * task_configs the host runs one task with the connector's config.
 */
CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "CounterSource",
    .aliases = counter_aliases,
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = counter_options,
    .doc = "Sends \"hello 0\", \"hello 1\", ... to a topic: the example "
           "plugin of connectors/README.md.",
    .validate = counter_validate,
    .start = counter_start,
    .poll = counter_poll,
    .stop = counter_stop,
};
