/*
 * sv_sink.h: the data path of a sink task in sluiced.
 *
 * One consumer per sink task, in group connect-<connector>, auto-commit
 * off, created when the task first starts and kept across restarts of its
 * process. Records go to the taskhost in SINK_BATCH frames, at most
 * `credits` unacknowledged. A retriable error resends the same records
 * after a backoff; every offset.flush.interval.ms (and before a clean
 * stop) SINK_FLUSH asks the task to make its writes durable, and the
 * positions it confirms are committed. When the process dies, everything
 * after the last commit is read again.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_SINK_H
#define SLUICE_SV_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

struct sv_unit;
struct sv_sink;

/* NULL with err set (a bad topics / topics.regex setting). */
struct sv_sink *sv_sink_new(struct sv_unit *u, char *err, size_t errlen);
/* Closes the consumer (leaves the group). NULL is fine. */
void sv_sink_free(struct sv_sink *s);

/* A process is about to start: creates the consumer the first time,
 * otherwise rewinds to the committed positions. 0 or -errno (err). */
int sv_sink_on_spawn(struct sv_sink *s, char *err, size_t errlen);
/* The task is READY: start sending records. */
void sv_sink_on_ready(struct sv_sink *s);
/* The process is gone: forget what was in flight. */
void sv_sink_on_exit(struct sv_sink *s);

int sv_sink_on_ack(struct sv_sink *s, struct proto_rd *rd, uint32_t nf,
                   char *err, size_t errlen);
int sv_sink_on_flushed(struct sv_sink *s, struct proto_rd *rd, uint32_t nf,
                       char *err, size_t errlen);

/* Periodic commit: asks the task to flush, commits what it confirms. */
void sv_sink_flush(struct sv_sink *s);
/* Graceful stop: no more records; when the last ack is in, flush and
 * commit, then sv_unit_send_stop(). */
void sv_sink_begin_stop(struct sv_sink *s);
void sv_sink_pause(struct sv_sink *s, bool pause);

#endif /* SLUICE_SV_SINK_H */
