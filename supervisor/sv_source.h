/*
 * sv_source.h: the data path of a source task in sluiced.
 *
 * Each SOURCE_BATCH from the taskhost is checked (credit, sequence, topic
 * names, offset JSON) and its records are produced with the shared
 * producer without copying: the frame stays alive until librdkafka has
 * reported every record. Batches complete in order (a FIFO): when all of a
 * batch's records are acknowledged by Kafka, its credit goes back to the
 * taskhost, and once every earlier batch is complete too, its source
 * offsets become committable. A record that cannot be delivered fails the
 * task, and nothing from that batch on is ever committed.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_SOURCE_H
#define SLUICE_SV_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include <nng/nng.h>

#include "proto.h"

struct sv_unit;
struct sv_src;

struct sv_src *sv_src_new(struct sv_unit *u);
/* The unit must be stopped and settled. NULL is fine. */
void sv_src_free(struct sv_src *s);

/* A new process is starting: its batch sequence starts at 1 again. */
void sv_src_on_spawn(struct sv_src *s);

/*
 * Takes a SOURCE_BATCH, whose frame (rd reads it) is the message m or,
 * from the batch region, the malloc'd copy buf (the other is NULL).
 * Returns 0 and owns m or buf, or -EPROTO (the frame breaks the
 * protocol; err says how; m or buf is still the caller's).
 */
int sv_src_on_batch(struct sv_src *s, struct proto_rd *rd, uint32_t nf,
                    nng_msg *m, void *buf, char *err, size_t errlen);

/* Moves the committable offsets into the offset store. Returns true if
 * any moved (then sv_src_committed after the store is flushed). */
bool sv_src_commit(struct sv_src *s);
/* The offsets given by the last sv_src_commit are durable: tells the
 * task (SOURCE_COMMIT) if it is still running. */
void sv_src_committed(struct sv_src *s);

/* No batch waits for Kafka. */
bool sv_src_settled(const struct sv_src *s);

/* Retries produce calls that librdkafka refused with a full queue. */
void sv_src_retry_blocked(void);

/* Batches in flight and records produced, for status and tests. */
size_t sv_src_inflight(const struct sv_src *s);

#endif /* SLUICE_SV_SOURCE_H */
