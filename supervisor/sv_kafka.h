/*
 * sv_kafka.h: sluiced's Kafka clients, driven from the libevent loop.
 *
 * One producer is shared by every source task (and the dead letter
 * queues). Each sink task has its own consumer (sv_sink.c). librdkafka
 * queues are hooked into the event loop with rd_kafka_queue_io_event_enable:
 * librdkafka writes a byte to a pipe when a queue becomes non-empty, and
 * the loop serves the queue; a 100 ms timer also serves it, as a backstop.
 *
 * With bootstrap.servers unset or "embedded", sv_kafka_init starts
 * librdkafka's mock cluster in this process: data is in memory only and
 * is lost when sluiced stops.
 *
 * Everything here runs on the event loop thread, except librdkafka's log
 * callback, which only writes a log line, and the closing of a sink's
 * consumer (sv_kafka_close_consumer).
 */
#ifndef SLUICE_SV_KAFKA_H
#define SLUICE_SV_KAFKA_H

#include <event2/event.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "sv_worker.h"

struct sv_mock;

/*
 * A delivery target: the msg_opaque of every message sluiced produces.
 * fn is called once per message from the event loop with its delivery
 * report.
 */
struct sv_delivery {
	void (*fn)(struct sv_delivery *d, const rd_kafka_message_t *m);
};

struct sv_qwatch;

/*
 * A topic source tasks produce to, kept for the life of the producer.
 * With the default partitioner (murmur2_random), sluiced partitions runs
 * of keyed records itself (sv_source.c), so it needs the topic's
 * partition count: `partitions` is what librdkafka's partitioner was last
 * called with for this topic (0: not known yet), written by whichever
 * librdkafka thread runs the partitioner.
 */
struct sv_ktopic {
	rd_kafka_topic_t *rkt;
	atomic_int partitions;
	uint32_t runs; /* produce runs so far (event loop only) */
	struct sv_ktopic *next;
	char name[];
};

struct sv_kafka {
	struct event_base *base;
	struct sv_worker *w;
	struct sv_mock *mock;
	rd_kafka_t *producer;
	size_t max_msg; /* the producer's message.max.bytes */
	/* the partitioner is murmur2_random: sluiced may partition keyed
	 * records itself, exactly as librdkafka would */
	bool keyed_partitions;
	struct sv_ktopic *topics;
	struct sv_qwatch *pwatch;
	struct event *tick;
	/* called after the producer's queue was served: a place to retry
	 * produce calls refused with QUEUE_FULL */
	void (*after_poll)(void *arg);
	void *after_poll_arg;
};

/* Starts the embedded cluster if configured, then the producer. */
int sv_kafka_init(struct sv_kafka *k, struct event_base *base,
                  struct sv_worker *w, char *err, size_t errlen);
/* Flushes the producer for at most timeout_ms, then frees everything. */
void sv_kafka_fini(struct sv_kafka *k, int timeout_ms);

/* The producer's topic named by p[0..n), created on first use; NULL if out
 * of memory. */
struct sv_ktopic *sv_kafka_topic(struct sv_kafka *k, const char *p, size_t n);

/*
 * A librdkafka config: the worker's client settings, then `section` (the
 * worker's producer.* or consumer.*, may be NULL), then `overrides` (may be
 * NULL; a connector's producer.override.*), then the NULL-terminated
 * key/value pairs of `fixed`, which always win. Keys librdkafka does not
 * know are logged once and skipped. NULL on error, with err set.
 */
rd_kafka_conf_t *sv_kafka_conf(struct sv_kafka *k, const char *const *dflts,
                               json_t *section, json_t *overrides,
                               const char *const *fixed, char *err,
                               size_t errlen);

/*
 * Closes consumer rk (leaves its group) and destroys it on a thread of its
 * own, then frees free_after (may be NULL): librdkafka's close waits for
 * the group's coordinator, seconds during a rebalance, which the event
 * loop must not. rk's callbacks then run on that thread: its opaque must
 * no longer lead to the loop's state. Closes in place if no thread can
 * be started.
 */
void sv_kafka_close_consumer(rd_kafka_t *rk, void *free_after);
/* Waits until every consumer given to sv_kafka_close_consumer is gone
 * (sv_kafka_fini does, before it stops the embedded cluster). */
void sv_kafka_wait_closers(void);

/* Serves queue q from the loop: cb(arg) when it becomes non-empty. */
struct sv_qwatch *sv_qwatch_new(struct event_base *base, rd_kafka_queue_t *q,
                                void (*cb)(void *arg), void *arg);
void sv_qwatch_free(struct sv_qwatch *qw); /* NULL is fine */

/* Kafka's rules for a topic name: 1..249 of [a-zA-Z0-9._-], not . or .. */
bool sv_kafka_topic_valid(const char *name, size_t len);

#endif /* SLUICE_SV_KAFKA_H */
