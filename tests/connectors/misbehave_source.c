/*
 * misbehave_source.c: a source that misbehaves on purpose, for the
 * supervision tests. It emits INT64 seqnos like a small VerifiableSource
 * (partition {"misbehave": "source"}, offset {"seqno": N}, resuming after
 * the stored seqno), `rate` records per poll with a 20 ms pause, and once
 * it has emitted `after` records since its process started it does what
 * `mode` says:
 *
 *	none       nothing: keeps going
 *	segv       crashes with SIGSEGV
 *	abort      abort()
 *	exit       exit(exit.code)
 *	loop       spins in poll() forever (the heartbeat watchdog's case)
 *	hang       sleeps in poll() forever
 *	hang_stop  keeps going, but its stop() never returns and it ignores
 *	           SIGTERM (the stop grace period's case)
 *	memory     allocates and touches memory until it is stopped
 *	log_storm  writes 100000 lines to stderr and the log, then goes on
 *	fail       poll() returns an error ("poll failed on purpose")
 *
 * A real plugin never exits, aborts or touches signal handlers: this one
 * exists to show what happens when one does.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "connector.h"

struct mb_task {
	const struct conn_host *host;
	struct conn_context *cx;
	struct conn_arena *arena;
	const struct conn_value *partition;
	const struct conn_value *seqno_key;
	char topic[256];
	char mode[32];
	int64_t after;
	int64_t rate;
	int64_t exit_code;
	int64_t emitted; /* since this process started */
	int64_t seqno;
	bool stormed;
};

static const struct conn_option mb_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The topic to produce to",
    },
    {
        .name = "mode",
        .type = CONN_OPT_STRING,
        .default_value = "none",
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "none, segv, abort, exit, loop, hang, hang_stop, memory, "
               "log_storm or fail",
    },
    {
        .name = "after",
        .type = CONN_OPT_LONG,
        .default_value = "0",
        .importance = CONN_IMPORTANCE_MEDIUM,
        .doc = "Records to emit (per process start) before misbehaving",
    },
    {
        .name = "rate",
        .type = CONN_OPT_LONG,
        .default_value = "10",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "Records per poll (20 ms apart)",
    },
    {
        .name = "exit.code",
        .type = CONN_OPT_INT,
        .default_value = "3",
        .importance = CONN_IMPORTANCE_LOW,
        .doc = "The exit status for mode exit",
    },
    {.name = NULL},
};

static const char *const modes[] = {
    "none",      "segv",   "abort",     "exit", "loop", "hang",
    "hang_stop", "memory", "log_storm", "fail", NULL,
};

static int mb_validate(const struct conn_host *h, const struct conn_config *cfg,
                       struct conn_validation *v)
{
	const char *m = h->config_get(cfg, "mode");

	for (size_t i = 0; m && modes[i]; i++)
		if (strcmp(m, modes[i]) == 0)
			return 0;
	h->validation_error(v, "mode", "unknown mode");
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static void misbehave(struct mb_task *t)
{
	const char *m = t->mode;

	if (strcmp(m, "segv") == 0) {
		raise(SIGSEGV);
	} else if (strcmp(m, "abort") == 0) {
		abort();
	} else if (strcmp(m, "exit") == 0) {
		exit((int)t->exit_code);
	} else if (strcmp(m, "loop") == 0) {
		for (volatile unsigned long n = 0;; n++)
			;
	} else if (strcmp(m, "hang") == 0) {
		for (;;)
			sleep(1000);
	} else if (strcmp(m, "memory") == 0) {
		for (;;) {
			char *p = malloc(1 << 20);

			if (!p)
				continue; /* keep asking */
			memset(p, 0x5a, 1 << 20);
		}
	} else if (strcmp(m, "log_storm") == 0 && !t->stormed) {
		t->stormed = true;
		for (int i = 0; i < 100000; i++) {
			char line[64];

			fprintf(stderr, "storm line %d to stderr\n", i);
			snprintf(line, sizeof(line), "storm line %d to log", i);
			t->host->log(t->cx, CONN_LOG_INFO, line);
		}
	}
}

static int mb_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct mb_task *t = ctx;
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->batch_arena(out);

	(void)max_wait_ms;
	if (t->emitted >= t->after) {
		if (strcmp(t->mode, "fail") == 0) {
			snprintf(err, errlen, "poll failed on purpose");
			return -EIO;
		}
		misbehave(t);
	}
	sleep_ms(20);
	for (int i = 0; i < t->rate; i++) {
		struct conn_record *r = h->record_add(out);
		struct conn_value *v = h->value_int(a, CONN_INT64, t->seqno);
		struct conn_value *off = h->value_map(a);

		if (!r || !v || !off || h->record_set_topic(r, t->topic) ||
		    h->map_put(off, t->seqno_key, v) ||
		    h->record_set_value(r, h->schema_std(CONN_INT64, false),
		                        v) ||
		    h->record_set_source(r, t->partition, off)) {
			snprintf(err, errlen, "cannot build a record");
			return -EINVAL;
		}
		t->seqno++;
		t->emitted++;
	}
	return 0;
}

static void mb_stop(void *ctx)
{
	struct mb_task *t = ctx;

	if (!t)
		return;
	if (strcmp(t->mode, "hang_stop") == 0) {
		signal(SIGTERM, SIG_IGN);
		for (;;)
			sleep(1000);
	}
	t->host->arena_free(t->arena);
	free(t);
}

static int mb_start(const struct conn_host *h, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	struct mb_task *t = calloc(1, sizeof(*t));
	struct conn_value *part;
	const struct conn_value *stored, *seq;
	const char *topic = h->config_get(cfg, "topic");
	const char *mode = h->config_get(cfg, "mode");

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->host = h;
	t->cx = cx;
	snprintf(t->topic, sizeof(t->topic), "%s", topic ? topic : "");
	snprintf(t->mode, sizeof(t->mode), "%s", mode ? mode : "none");
	if (h->config_get_long(cfg, "after", &t->after) ||
	    h->config_get_long(cfg, "rate", &t->rate) ||
	    h->config_get_long(cfg, "exit.code", &t->exit_code))
		goto out_bad;
	t->arena = h->arena_new();
	part = t->arena ? h->value_map(t->arena) : NULL;
	t->seqno_key = t->arena ? h->value_string(t->arena, "seqno", 5) : NULL;
	if (!part || !t->seqno_key ||
	    h->map_put(part, h->value_string(t->arena, "misbehave", 9),
	               h->value_string(t->arena, "source", 6)))
		goto out_bad;
	t->partition = part;
	stored = h->offset_get(cx, part);
	seq = stored ? h->struct_get(stored, "seqno") : NULL;
	for (size_t i = 0; stored && !seq && i < h->value_count(stored); i++) {
		const struct conn_value *k = h->value_key_at(stored, i);
		size_t n;
		const char *s = k ? h->value_string_get(k, &n) : NULL;

		if (s && n == 5 && memcmp(s, "seqno", 5) == 0)
			seq = h->value_at(stored, i);
	}
	if (seq)
		t->seqno = h->value_int_get(seq) + 1;
	*ctxp = t;
	return 0;
out_bad:
	snprintf(err, errlen, "bad config");
	h->arena_free(t->arena);
	free(t);
	return -EINVAL;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .option_size = sizeof(struct conn_option),
    .name = "MisbehaveSource",
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .options = mb_options,
    .doc = "A source that crashes, hangs or floods on purpose (tests)",
    .validate = mb_validate,
    .start = mb_start,
    .poll = mb_poll,
    .stop = mb_stop,
};
