/*
 * crash_source.c: a source that crashes its process with SIGSEGV once it
 * has emitted crash.after records since it started, for kill and restart
 * tests. Until then it behaves like a small VerifiableSource: values are
 * INT64 seqnos, the source partition is {"crash": "source"} and the offset
 * {"seqno": N}, and a restarted task resumes after the stored seqno.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connector.h"

#define CS_BATCH 100

struct cs_task {
	const struct conn_host *host;
	struct conn_arena *arena;
	const struct conn_value *partition;
	const struct conn_value *seqno_key;
	char topic[256];
	int64_t crash_after;
	int64_t emitted; /* since this start */
	int64_t seqno;
};

static const struct conn_option cs_options[] = {
    {
        .name = "topic",
        .type = CONN_OPT_STRING,
        .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "The topic to produce to",
    },
    {
        .name = "crash.after",
        .type = CONN_OPT_INT,
        .default_value = "100",
        .importance = CONN_IMPORTANCE_HIGH,
        .doc = "Crash (SIGSEGV) in the poll after this many records",
    },
    {.name = NULL},
};

static int cs_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct cs_task *t = ctx;
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->batch_arena(out);

	(void)max_wait_ms;
	if (t->emitted >= t->crash_after)
		raise(SIGSEGV);
	for (int i = 0; i < CS_BATCH && t->emitted < t->crash_after; i++) {
		struct conn_record *r = h->record_add(out);
		struct conn_value *v = h->value_int(a, CONN_INT64, t->seqno);
		struct conn_value *off = h->value_map(a);

		if (r && h->record_set_topic(r, t->topic) == -EINVAL) {
			snprintf(err, errlen, "invalid topic name");
			return -EINVAL;
		}
		if (!r || !v || !off || h->map_put(off, t->seqno_key, v) ||
		    h->record_set_value(r, h->schema_std(CONN_INT64, false),
		                        v) ||
		    h->record_set_source(r, t->partition, off)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		t->seqno++;
		t->emitted++;
	}
	return 0;
}

static void cs_stop(void *ctx)
{
	struct cs_task *t = ctx;

	if (!t)
		return;
	if (t->host)
		t->host->arena_free(t->arena);
	free(t);
}

static void resume(struct cs_task *t, struct conn_context *cx)
{
	const struct conn_host *h = t->host;
	const struct conn_value *off = h->offset_get(cx, t->partition);

	if (!off || h->value_type(off) != CONN_MAP)
		return;
	for (size_t i = 0; i < h->value_count(off); i++) {
		const struct conn_value *k = h->value_key_at(off, i);
		const struct conn_value *v = h->value_at(off, i);
		uint32_t type = h->value_type(v);
		const char *s;
		size_t n;

		if (h->value_type(k) != CONN_STRING)
			continue;
		s = h->value_string_get(k, &n);
		if (n == 5 && memcmp(s, "seqno", 5) == 0 && type >= CONN_INT8 &&
		    type <= CONN_INT64)
			t->seqno = h->value_int_get(v) + 1;
	}
}

static int cs_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	const char *topic = host->config_get(cfg, "topic");
	struct cs_task *t;
	struct conn_value *part, *k, *v;

	*ctxp = NULL;
	if (!topic || strlen(topic) >= sizeof(t->topic)) {
		snprintf(err, errlen, "topic is missing or too long");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		goto out_nomem;
	t->host = host;
	strcpy(t->topic, topic);
	t->crash_after = 100;
	host->config_get_long(cfg, "crash.after", &t->crash_after);
	t->arena = host->arena_new();
	if (!t->arena)
		goto out_nomem;
	part = host->value_map(t->arena);
	k = host->value_string(t->arena, "crash", 5);
	v = host->value_string(t->arena, "source", 6);
	t->seqno_key = host->value_string(t->arena, "seqno", 5);
	if (!part || !k || !v || !t->seqno_key || host->map_put(part, k, v))
		goto out_nomem;
	t->partition = part;
	resume(t, cx);
	*ctxp = t;
	return 0;

out_nomem:
	cs_stop(t);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "CrashSource",
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = cs_options,
    .doc = "Emits seqnos, then crashes with SIGSEGV after crash.after "
           "records.",
    .start = cs_start,
    .poll = cs_poll,
    .stop = cs_stop,
};
