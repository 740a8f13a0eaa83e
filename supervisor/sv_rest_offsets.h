/*
 * sv_rest_offsets.h: a sink connector's offsets for the REST API: the
 * committed offsets of its consumer group (connect-<name>, or its
 * consumer.override.group.id), read and changed without admin requests.
 *
 * Each request runs in a thread of its own with a short-lived librdkafka
 * consumer in that group that never subscribes (so it never joins the
 * group): metadata finds the partitions of the connector's topics (topics,
 * or every topic topics.regex matches), rd_kafka_committed reads their
 * committed offsets, rd_kafka_commit writes explicit ones. Every blocking
 * call has a timeout (SV_REST_OFFSETS_TIMEOUT_MS); the answer comes back
 * on the event loop. A broker that takes commits from group members only
 * (librdkafka's mock cluster, once the group had members) gets them from
 * a consumer that joins the group for the commit: that waits for the
 * previous members' session timeout (consumer.session.timeout.ms).
 *
 * A Kafka group offset cannot be deleted without the admin API, so a
 * reset (DELETE .../offsets, or a null offset in PATCH) commits, for each
 * partition, the offset where a consumer without a committed offset would
 * start: the low watermark with auto.offset.reset earliest (sluice's
 * default), the high watermark with latest. Such commits carry the
 * metadata SV_REST_OFFSETS_MARK and are not listed by GET, so a reset
 * connector shows no offsets, as in Kafka Connect.
 *
 * Event loop thread only (the job threads touch nothing of sluiced's).
 */
#ifndef SLUICE_SV_REST_OFFSETS_H
#define SLUICE_SV_REST_OFFSETS_H

#include <stddef.h>

#include <event2/event.h>
#include <jansson.h>

#include "sv_kafka.h"

#define SV_REST_OFFSETS_TIMEOUT_MS 5000
#define SV_REST_OFFSETS_MARK       "sluice:reset"

enum sv_rest_offsets_op {
	SV_REST_OFFSETS_GET,   /* {"offsets":[...]} */
	SV_REST_OFFSETS_ALTER, /* alter: [[topic, partition, offset|null]] */
	SV_REST_OFFSETS_RESET, /* every partition */
};

/* code: 200, 400 (a partition that does not exist), 500 (Kafka), 503
 * (sluiced stops). result (GET: the offsets) is borrowed for the call. */
typedef void (*sv_rest_offsets_cb)(void *arg, int code, const char *error,
                                   json_t *result);

struct sv_rest_offsets;

struct sv_rest_offsets *sv_rest_offsets_new(struct event_base *base);
/* Waits for every running job (their timeouts bound the wait) and calls
 * its callback with its answer. NULL is fine. */
void sv_rest_offsets_free(struct sv_rest_offsets *o);

/*
 * Parses the "offsets" array of a PATCH for a sink connector into
 * [[topic, partition, offset|null]], as Kafka Connect's SinkUtils does
 * ("10" and 10 are both accepted). NULL with Kafka Connect's message in
 * err if an entry is malformed.
 */
json_t *sv_rest_offsets_parse(json_t *offsets, char *err, size_t errlen);

/*
 * Starts a job for connector conn with config (copied). alter is the
 * parsed PATCH (op ALTER only; copied). 0, or a negative errno with err.
 * cb is called exactly once on success.
 */
int sv_rest_offsets_run(struct sv_rest_offsets *o, struct sv_kafka *k,
                        const char *conn, json_t *config,
                        enum sv_rest_offsets_op op, json_t *alter,
                        sv_rest_offsets_cb cb, void *arg, char *err,
                        size_t errlen);

#endif /* SLUICE_SV_REST_OFFSETS_H */
