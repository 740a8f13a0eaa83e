/*
 * th_sink.c: the sink task loop.
 *
 * Each SINK_BATCH is converted (key, value, headers), handed to the
 * plugin's put() and answered with SINK_ACK. Each SINK_FLUSH calls
 * pre_commit() and is answered with the positions that may be committed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "th_task.h"

#define IDLE_WAIT_MS 1000

struct sink_err {
	uint32_t index;
	uint32_t stage;
	const char *message;
};

struct sink {
	struct conn_batch *b;
	struct sink_err *errs;
	size_t nerrs, caperrs;
};

static int add_err(struct sink *s, uint32_t index, uint32_t stage,
                   const char *message)
{
	if (s->nerrs == s->caperrs) {
		size_t cap = s->caperrs ? s->caperrs * 2 : 16;
		struct sink_err *e = realloc(s->errs, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		s->errs = e;
		s->caperrs = cap;
	}
	s->errs[s->nerrs++] = (struct sink_err){index, stage, message};
	return 0;
}

/* Converts one record into r; on error sets *stage. */
static int convert(struct th_task *t, struct conn_arena *a,
                   const struct proto_record *pr, struct conn_record *r,
                   uint32_t *stage, char *err, size_t errlen)
{
	struct th_bytes in = {pr->key.p, pr->key.n};
	struct proto_rd it = pr->headers;
	int rc;

	*stage = PROTO_STAGE_KEY;
	if ((rc = th_conv_to_connect(t->key_conv, r->topic, NULL, &in, a,
	                             &r->key_schema, &r->key, err, errlen)))
		return rc;
	*stage = PROTO_STAGE_VALUE;
	in = (struct th_bytes){pr->value.p, pr->value.n};
	if ((rc = th_conv_to_connect(t->value_conv, r->topic, NULL, &in, a,
	                             &r->value_schema, &r->value, err, errlen)))
		return rc;
	*stage = PROTO_STAGE_HEADER;
	if (!pr->headers_n)
		return 0;
	r->headers = th_arena_alloc(a, pr->headers_n * sizeof(*r->headers));
	if (!r->headers)
		return -ENOMEM;
	r->capheaders = pr->headers_n;
	for (uint32_t i = 0; i < pr->headers_n; i++) {
		struct th_header *h = &r->headers[i];
		struct proto_str k, v;

		if (proto_header_next(&it, &k, &v))
			return -EPROTO;
		if (!(h->key = th_arena_strndup(a, k.p, k.n)))
			return -ENOMEM;
		in = (struct th_bytes){v.p, v.n};
		if ((rc = th_conv_to_connect(t->header_conv, r->topic, h->key,
		                             &in, a, &h->schema, &h->value, err,
		                             errlen)))
			return rc;
		r->nheaders++;
	}
	return 0;
}

static int send_ack(struct th_task *t, struct sink *s, uint64_t seq,
                    uint32_t status, const char *message)
{
	uint32_t n = status == PROTO_SINK_OK ? (uint32_t)s->nerrs : 0;
	int rc = proto_sink_ack_begin(&t->pk, seq, status, message, n);

	for (uint32_t i = 0; i < n && rc == 0; i++)
		rc =
		    proto_sink_error_pack(&t->pk, s->errs[i].index,
		                          s->errs[i].stage, s->errs[i].message);
	if (rc) {
		th_ipc_buf_clear(&t->mb);
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot pack an ack");
	}
	return th_task_flush(t) ? TH_EXIT_TEMPORARY : 0;
}

static int handle_batch(struct th_task *t, struct sink *s, struct proto_rd *rd,
                        uint32_t nf)
{
	const struct conn_plugin *p = t->pl.p;
	struct conn_batch *b = s->b;
	struct conn_arena *a = b->arena;
	struct proto_batch pb;
	struct proto_rd it;
	const char **topics;
	char err[1024], msg[1200];
	int rc;

	if (proto_sink_batch_unpack(rd, nf, &pb) || !proto_rd_done(rd))
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "malformed SINK_BATCH from sluiced");
	th_batch_reset(b);
	s->nerrs = 0;
	topics = th_arena_alloc(a, (pb.topics_n + 1) * sizeof(*topics));
	if (!topics)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	it = pb.topics;
	for (uint32_t i = 0; i < pb.topics_n; i++) {
		struct proto_str ts;

		if (proto_rd_str(&it, &ts) ||
		    !(topics[i] = th_arena_strndup(a, ts.p, ts.n)))
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "out of memory");
	}
	it = pb.records;
	for (uint32_t i = 0; i < pb.records_n; i++) {
		struct proto_record pr;
		struct conn_record *r;
		uint32_t stage;
		const char *topic;

		if (proto_sink_record_next(&it, &pr))
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "malformed record from sluiced");
		topic = topics[pr.topic];
		r = th_batch_add_sink(b, topic, strlen(topic), pr.partition,
		                      pr.offset, pr.timestamp);
		if (!r)
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "out of memory");
		err[0] = '\0';
		rc = convert(t, a, &pr, r, &stage, err, sizeof(err));
		if (rc == 0)
			continue;
		if (rc == -ENOMEM || rc == -EPROTO)
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "cannot convert a record");
		snprintf(msg, sizeof(msg),
		         "error in %s for record %s-%d@%lld: %s",
		         proto_stage_name(stage), topic, (int)pr.partition,
		         (long long)pr.offset, err);
		if (!t->tolerate_all)
			return th_task_fail(t, PROTO_FAIL_DATA, msg);
		th_log(t, CONN_LOG_WARN, "TH-RECORD-SKIPPED %s", msg);
		b->n--; /* drop the record just added */
		if (add_err(s, i, stage, th_arena_strndup(a, msg, strlen(msg))))
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "out of memory");
	}
	err[0] = '\0';
	rc = b->n ? p->put(t->ctx, b, err, sizeof(err)) : 0;
	if (rc == -EAGAIN) {
		th_log(t, CONN_LOG_WARN,
		       "TH-PUT-RETRY put asked to be retried: %s", err);
		return send_ack(t, s, pb.seq, PROTO_SINK_RETRY, err);
	}
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "put failed: %s",
		         *err ? err : strerror(-rc));
		return th_task_fail(t, PROTO_FAIL_PLUGIN, msg);
	}
	return send_ack(t, s, pb.seq, PROTO_SINK_OK, "");
}

static int handle_flush(struct th_task *t, struct proto_rd *rd, uint32_t nf)
{
	const struct conn_plugin *p = t->pl.p;
	struct proto_sink_flush f;
	struct conn_offsets *o;
	struct proto_rd it;
	uint32_t status = PROTO_SINK_OK;
	char err[1024] = "";
	int rc = 0;

	if (proto_sink_flush_unpack(rd, nf, &f) || !proto_rd_done(rd))
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "malformed SINK_FLUSH from sluiced");
	if (!(o = th_offsets_new()))
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	it = f.offsets;
	for (uint32_t i = 0; i < f.offsets_n && rc == 0; i++) {
		struct proto_str topic;
		int32_t part;
		int64_t off;

		rc = proto_position_next(&it, &topic, &part, &off);
		if (rc == 0)
			rc = th_offsets_add(o, topic.p, topic.n, part, off);
	}
	if (rc) {
		th_offsets_free(o);
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	}
	if (p->pre_commit) {
		rc = p->pre_commit(t->ctx, o, err, sizeof(err));
		if (rc < 0) {
			/* as Kafka Connect: skip this commit, keep running */
			th_log(t, CONN_LOG_WARN,
			       "TH-PRECOMMIT-FAILED pre_commit failed, "
			       "offsets not committed this time: %s",
			       *err ? err : strerror(-rc));
			status = PROTO_SINK_RETRY;
		}
	}
	rc = proto_sink_flushed_begin(&t->pk, f.seq, status, err,
	                              status == PROTO_SINK_OK ? (uint32_t)o->n
	                                                      : 0);
	for (size_t i = 0; status == PROTO_SINK_OK && i < o->n && rc == 0; i++)
		rc = proto_position_pack(&t->pk, o->pos[i].topic,
		                         o->pos[i].partition, o->pos[i].offset);
	th_offsets_free(o);
	if (rc) {
		th_ipc_buf_clear(&t->mb);
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot pack SINK_FLUSHED");
	}
	return th_task_flush(t) ? TH_EXIT_TEMPORARY : 0;
}

int th_sink_run(struct th_task *t)
{
	struct sink s = {.b = th_batch_new()};
	int rc = 0;

	if (!s.b)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	while (!t->stopping && rc == 0) {
		struct proto_rd rd;
		uint32_t type, nf;
		nng_msg *m;

		rc = th_ipc_recv(t->ipc, IDLE_WAIT_MS, &m);
		if (rc == -EAGAIN) {
			rc = 0;
			continue;
		}
		if (rc) {
			rc = TH_EXIT_TEMPORARY;
			break;
		}
		if (proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m),
		                     &type, &nf)) {
			rc = th_task_fail(t, PROTO_FAIL_INTERNAL,
			                  "malformed frame from sluiced");
		} else if (type == PROTO_SINK_BATCH) {
			rc = handle_batch(t, &s, &rd, nf);
		} else if (type == PROTO_SINK_FLUSH) {
			rc = handle_flush(t, &rd, nf);
		} else {
			rc = th_task_control(t, type, &rd, nf);
			rc = rc == 1 ? 0
			             : th_task_fail(t, PROTO_FAIL_INTERNAL,
			                            "unexpected message from "
			                            "sluiced");
		}
		nng_msg_free(m);
	}
	th_batch_free(s.b);
	free(s.errs);
	return rc;
}
