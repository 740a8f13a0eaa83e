/*
 * sv_sink.c: see sv_sink.h.
 *
 * One batch is in flight to the taskhost at a time: a sink sees its
 * records in order even when a put() is retried, as in Kafka Connect.
 * While it is, the next batch is already taken from the consumer, so it
 * goes out as soon as the ack comes back and the consumer's per-record
 * work overlaps the task's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv_herder.h"
#include "sv_log.h"
#include "sv_sink.h"
#include "sv_unit.h"

#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 10000

/* A partition of the current assignment. */
struct tp {
	char *topic;
	int32_t partition;
	bool owned;
	int64_t acked;     /* the position after the last acked record */
	int64_t committed; /* the position committed, -1: none known */
	int64_t flushing;  /* sent in the pending SINK_FLUSH, -1: none */
};

/* The consumer's opaque. It outlives the sink while the consumer closes
 * on a thread of its own (sv_kafka_close_consumer): s is NULL then. */
struct sink_ref {
	struct sv_sink *s;
};

struct sv_sink {
	struct sv_unit *u;
	rd_kafka_t *rk;
	struct sink_ref *ref;
	struct sv_qwatch *qw;
	char *dlq; /* errors.deadletterqueue.topic.name */
	bool dlq_headers;
	bool has_regex;

	struct tp *tps;
	size_t ntps;

	/* the batch in flight, or waiting to be sent again */
	rd_kafka_message_t **msgs;
	size_t nmsgs;
	/* the next batch, read while msgs is in flight (never sent) */
	rd_kafka_message_t **next;
	size_t nnext;
	uint64_t batch_seq; /* 0: none in flight */
	bool resend;        /* waiting for ev_retry */
	int retry_ms;
	struct event *ev_retry;

	uint64_t next_seq;
	uint64_t flush_seq; /* != 0: a SINK_FLUSH waits for its answer */
	bool ready, paused, stopping;
	bool final_flush; /* stopping: the last SINK_FLUSH was sent */
};

#define slog(s, level, id, ...) \
	sv_ulog(level, id, (s)->u->conn, (s)->u->task, __VA_ARGS__)

static struct tp *tp_find(struct sv_sink *s, const char *topic, size_t tlen,
                          int32_t partition)
{
	for (size_t i = 0; i < s->ntps; i++)
		if (s->tps[i].partition == partition &&
		    strlen(s->tps[i].topic) == tlen &&
		    memcmp(s->tps[i].topic, topic, tlen) == 0)
			return &s->tps[i];
	return NULL;
}

static struct tp *tp_get(struct sv_sink *s, const char *topic,
                         int32_t partition)
{
	struct tp *t = tp_find(s, topic, strlen(topic), partition), *v;

	if (t)
		return t;
	if (!(v = realloc(s->tps, (s->ntps + 1) * sizeof(*v))))
		return NULL;
	s->tps = v;
	t = &s->tps[s->ntps];
	if (!(t->topic = strdup(topic)))
		return NULL;
	t->partition = partition;
	t->owned = false;
	t->acked = t->committed = t->flushing = -1;
	s->ntps++;
	return t;
}

static void destroy_msgs(rd_kafka_message_t **msgs, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		rd_kafka_message_destroy(msgs[i]);
	*n = 0;
}

/* Drops the batch in flight and the next one: both are read again. */
static void drop_batch(struct sv_sink *s)
{
	destroy_msgs(s->msgs, &s->nmsgs);
	destroy_msgs(s->next, &s->nnext);
	s->batch_seq = 0;
	s->resend = false;
	evtimer_del(s->ev_retry);
}

/* --- sending ---------------------------------------------------------- */

static int send_batch(struct sv_sink *s)
{
	struct sv_unit *u = s->u;
	msgpack_packer *pk = &u->pk;
	const char **topics = NULL;
	uint32_t *tidx = NULL, ntopics = 0;
	int rc = -ENOMEM;

	topics = calloc(s->nmsgs, sizeof(*topics));
	tidx = calloc(s->nmsgs, sizeof(*tidx));
	if (!topics || !tidx)
		goto out;
	for (size_t i = 0; i < s->nmsgs; i++) {
		const char *t = rd_kafka_topic_name(s->msgs[i]->rkt);
		uint32_t k;

		for (k = 0; k < ntopics; k++)
			if (topics[k] == t || strcmp(topics[k], t) == 0)
				break;
		if (k == ntopics)
			topics[ntopics++] = t;
		tidx[i] = k;
	}
	for (uint32_t k = 0; k < ntopics; k++)
		sv_herder_topic_used(u, topics[k], strlen(topics[k]));
	s->batch_seq = ++s->next_seq;
	rc = proto_sink_batch_begin(pk, s->batch_seq, ntopics);
	for (uint32_t k = 0; k < ntopics && rc == 0; k++)
		rc = proto_pack_cstr(pk, topics[k]);
	if (rc == 0)
		rc = proto_batch_records_begin(pk, (uint32_t)s->nmsgs);
	for (size_t i = 0; i < s->nmsgs && rc == 0; i++) {
		const rd_kafka_message_t *m = s->msgs[i];
		rd_kafka_headers_t *hdrs = NULL;
		rd_kafka_timestamp_type_t tst;
		struct proto_record r = {
		    .topic = tidx[i],
		    .partition = m->partition,
		    .offset = m->offset,
		    .timestamp = rd_kafka_message_timestamp(m, &tst),
		    .key = {m->key ? m->key : NULL, (uint32_t)m->key_len},
		    .value = {m->payload ? m->payload : NULL, (uint32_t)m->len},
		};

		if (r.timestamp < 0)
			r.timestamp = -1;
		if (rd_kafka_message_headers(m, &hdrs) == 0 && hdrs)
			r.headers_n = (uint32_t)rd_kafka_header_cnt(hdrs);
		rc = proto_sink_record_pack(pk, &r);
		for (uint32_t h = 0; h < r.headers_n && rc == 0; h++) {
			const char *name;
			const void *val;
			size_t vlen;

			if (rd_kafka_header_get_all(hdrs, h, &name, &val,
			                            &vlen))
				break;
			rc = proto_header_pack(pk, name, strlen(name), val,
			                       vlen, val == NULL);
		}
	}
	if (rc) {
		msgpack_sbuffer_clear(&u->sb);
		goto out;
	}
	rc = sv_unit_send(u);
out:
	free(topics);
	free(tidx);
	return rc;
}

static bool send_flush(struct sv_sink *s);

/*
 * The batch buffer is empty, pending (read, not sent), in flight (sent,
 * batch_seq set) or waiting to be resent. pump() fills an empty buffer
 * from the consumer (which also serves rebalances and commit results) and
 * sends a pending batch when the task can take it.
 */
/* Reads up to a batch from the consumer into msgs (empty); keeps the
 * records, drops errors and end-of-partition events. */
static void read_batch(struct sv_sink *s, rd_kafka_message_t **msgs, size_t *n)
{
	struct sv_worker *w = s->u->ctx->w;
	rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(s->rk);
	ssize_t got =
	    rd_kafka_consume_batch_queue(q, 0, msgs, w->batch_max_records);

	rd_kafka_queue_destroy(q);
	for (ssize_t i = 0; i < got; i++) {
		rd_kafka_message_t *m = msgs[i];

		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				slog(s, SV_LOG_WARN, "SV-SINK-CONSUME",
				     "consumer: %s",
				     rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		msgs[(*n)++] = m;
	}
}

static void pump_opt(struct sv_sink *s, bool prefetch)
{
	struct sv_worker *w = s->u->ctx->w;

	if (!s->rk || s->stopping)
		return;
	if ((!s->msgs &&
	     !(s->msgs = calloc(w->batch_max_records, sizeof(*s->msgs)))) ||
	    (!s->next &&
	     !(s->next = calloc(w->batch_max_records, sizeof(*s->next)))))
		return;
	if (s->nmsgs == 0)
		read_batch(s, s->msgs, &s->nmsgs);
	/* a pending batch is held until the task can take it */
	if (s->nmsgs && !s->batch_seq && !s->resend && s->ready && !s->paused &&
	    sv_unit_live(s->u) && send_batch(s)) {
		slog(s, SV_LOG_WARN, "SV-SINK-SEND",
		     "cannot send a batch to the task; it is read again after "
		     "a restart");
		s->batch_seq = 0;
	}
	/* in flight: read the next one meanwhile */
	if (prefetch && s->batch_seq && !s->resend && s->nnext == 0)
		read_batch(s, s->next, &s->nnext);
}

static void pump(struct sv_sink *s)
{
	pump_opt(s, true);
}

static void on_queue(void *arg)
{
	pump(arg);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct sv_sink *s = arg;

	(void)fd;
	(void)what;
	s->resend = false;
	s->batch_seq = 0;
	pump(s);
}

/* --- the consumer ----------------------------------------------------- */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct sv_sink *s = ((struct sink_ref *)opaque)->s;

	if (!s) { /* closing: let go of everything */
		rd_kafka_assign(rk, NULL);
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		/* learn the committed positions: a crashed task rewinds to
		 * them */
		rd_kafka_committed(rk, parts, 10000);
		for (int i = 0; i < parts->cnt; i++) {
			rd_kafka_topic_partition_t *p = &parts->elems[i];
			struct tp *t = tp_get(s, p->topic, p->partition);

			if (!t)
				continue;
			t->owned = true;
			t->acked = t->flushing = -1;
			t->committed = p->offset >= 0 ? p->offset : -1;
		}
		rd_kafka_assign(rk, parts);
		if (s->paused)
			rd_kafka_pause_partitions(rk, parts);
		slog(s, SV_LOG_INFO, "SV-SINK-ASSIGN", "assigned %d partitions",
		     parts->cnt);
		return;
	}
	for (int i = 0; i < parts->cnt; i++) {
		struct tp *t = tp_find(s, parts->elems[i].topic,
		                       strlen(parts->elems[i].topic),
		                       parts->elems[i].partition);

		if (t)
			t->owned = false;
	}
	rd_kafka_assign(rk, NULL);
	slog(s, SV_LOG_INFO, "SV-SINK-REVOKE", "revoked %d partitions",
	     parts->cnt);
}

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct sv_sink *s = ((struct sink_ref *)opaque)->s;

	(void)rk;
	if (!s)
		return;
	if (err) {
		slog(s, SV_LOG_WARN, "SV-SINK-COMMIT",
		     "offset commit failed (retried at the next flush): %s",
		     rd_kafka_err2str(err));
		return;
	}
	for (int i = 0; parts && i < parts->cnt; i++) {
		rd_kafka_topic_partition_t *p = &parts->elems[i];
		struct tp *t =
		    tp_find(s, p->topic, strlen(p->topic), p->partition);

		if (t && !p->err && p->offset > t->committed) {
			t->committed = p->offset;
			slog(s, SV_LOG_DEBUG, "SV-SINK-COMMITTED",
			     "committed %s-%d at %lld", t->topic,
			     (int)t->partition, (long long)t->committed);
		}
	}
}

static int subscribe(struct sv_sink *s, char *err, size_t errlen)
{
	json_t *cc = s->u->conn_config;
	const char *topics = json_string_value(json_object_get(cc, "topics"));
	const char *regex =
	    json_string_value(json_object_get(cc, "topics.regex"));
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);
	rd_kafka_resp_err_t e;
	char *copy = NULL, *tok, *save = NULL;
	int rc = -EINVAL;

	if (!l)
		return -ENOMEM;
	if (regex && *regex) {
		char *re;

		if (asprintf(&re, "%s%s", regex[0] == '^' ? "" : "^", regex) <
		    0)
			goto out;
		rd_kafka_topic_partition_list_add(l, re, RD_KAFKA_PARTITION_UA);
		free(re);
	} else if (topics && (copy = strdup(topics))) {
		for (tok = strtok_r(copy, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			while (*tok == ' ')
				tok++;
			for (char *e2 = tok + strlen(tok);
			     e2 > tok && e2[-1] == ' ';)
				*--e2 = '\0';
			if (*tok)
				rd_kafka_topic_partition_list_add(
				    l, tok, RD_KAFKA_PARTITION_UA);
		}
	}
	if (l->cnt == 0) {
		snprintf(err, errlen,
		         "Must configure one of topics or topics.regex");
		goto out;
	}
	if ((e = rd_kafka_subscribe(s->rk, l))) {
		snprintf(err, errlen, "cannot subscribe: %s",
		         rd_kafka_err2str(e));
		goto out;
	}
	rc = 0;
out:
	free(copy);
	rd_kafka_topic_partition_list_destroy(l);
	return rc;
}

/* Connector-level consumer.override.* settings. */
static json_t *overrides(json_t *cc)
{
	json_t *o = json_object();
	const char *k;
	json_t *v;

	json_object_foreach(cc, k, v)
	{
		if (o && strncmp(k, "consumer.override.", 18) == 0)
			json_object_set(o, k + 18, v);
	}
	return o;
}

static int create_consumer(struct sv_sink *s, char *err, size_t errlen)
{
	struct sv_unit *u = s->u;
	struct sv_kafka *k = u->ctx->kafka;
	/* Prefetch bounded by bytes, not by a count of messages: librdkafka
	 * 2.0 stops fetching once the consumer queue holds
	 * queued.min.messages or queued.max.messages.kbytes, and its broker
	 * thread then sleeps up to a second before it looks again (2.1 made
	 * that fetch.queue.backoff.ms). A sink that keeps up with less than a
	 * second of queue idles for the rest of it: the default 100,000
	 * messages capped a null sink at about 160,000 records/s. */
	static const char *const dflts[] = {
	    "auto.offset.reset",
	    "earliest",
	    "queued.min.messages",
	    "10000000",
	    "queued.max.messages.kbytes",
	    "65536",
	    NULL,
	};
	char group[300], client[320], errstr[512];
	const char *fixed[] = {
	    "group.id",
	    group,
	    "client.id",
	    client,
	    "enable.auto.commit",
	    "false",
	    "enable.auto.offset.store",
	    "false",
	    NULL,
	};
	json_t *ov = overrides(u->conn_config);
	rd_kafka_conf_t *conf;
	const char *g = json_string_value(json_object_get(ov, "group.id"));

	/* Kafka Connect's group, unless the connector overrides it */
	snprintf(group, sizeof(group), "%s", g ? g : "");
	if (!g)
		snprintf(group, sizeof(group), "connect-%s", u->conn);
	snprintf(client, sizeof(client), "connector-consumer-%s-%d", u->conn,
	         u->task);
	conf = sv_kafka_conf(k, dflts, u->ctx->w->consumer, ov, fixed, err,
	                     errlen);
	json_decref(ov);
	if (!conf)
		return -EINVAL;
	rd_kafka_conf_set_opaque(conf, s->ref);
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
	s->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!s->rk) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot create the consumer: %s", errstr);
		return -EIO;
	}
	rd_kafka_poll_set_consumer(s->rk);
	s->qw = sv_qwatch_new(u->ctx->base, rd_kafka_queue_get_consumer(s->rk),
	                      on_queue, s);
	if (!s->qw) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return subscribe(s, err, errlen);
}

/* --- public ------------------------------------------------------------ */

struct sv_sink *sv_sink_new(struct sv_unit *u, char *err, size_t errlen)
{
	struct sv_sink *s = calloc(1, sizeof(*s));
	json_t *cc = u->conn_config;
	const char *topics = json_string_value(json_object_get(cc, "topics"));
	const char *regex =
	    json_string_value(json_object_get(cc, "topics.regex"));
	const char *dlq = json_string_value(
	    json_object_get(cc, "errors.deadletterqueue.topic.name"));
	const char *hdrs = json_string_value(json_object_get(
	    cc, "errors.deadletterqueue.context.headers.enable"));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->u = u;
	s->retry_ms = RETRY_MIN_MS;
	if (!(s->ref = calloc(1, sizeof(*s->ref))))
		goto out_nomem;
	s->ref->s = s;
	if ((topics && *topics) == (regex && *regex)) {
		snprintf(err, errlen,
		         "Must configure one of topics or topics.regex, not "
		         "both and not neither");
		goto out_free;
	}
	s->has_regex = regex && *regex;
	if (dlq && *dlq) {
		if (!sv_kafka_topic_valid(dlq, strlen(dlq))) {
			snprintf(err, errlen,
			         "errors.deadletterqueue.topic.name \"%s\" is "
			         "not a valid topic name",
			         dlq);
			goto out_free;
		}
		if (!(s->dlq = strdup(dlq)))
			goto out_nomem;
		s->dlq_headers = hdrs && strcmp(hdrs, "true") == 0;
	}
	s->ev_retry = evtimer_new(u->ctx->base, on_retry, s);
	if (!s->ev_retry)
		goto out_nomem;
	return s;
out_nomem:
	snprintf(err, errlen, "out of memory");
out_free:
	sv_sink_free(s);
	return NULL;
}

void sv_sink_free(struct sv_sink *s)
{
	if (!s)
		return;
	drop_batch(s);
	free(s->msgs);
	free(s->next);
	if (s->ev_retry)
		event_free(s->ev_retry);
	sv_qwatch_free(s->qw);
	if (s->rk) {
		/* leave the group now, so the partitions move at once, but
		 * on another thread: during a rebalance librdkafka waits
		 * seconds for the coordinator, and a blocked event loop
		 * holds up every other unit (a source's last offsets, a
		 * rejoin the coordinator gives up on) */
		s->ref->s = NULL;
		sv_kafka_close_consumer(s->rk, s->ref);
	} else {
		free(s->ref);
	}
	for (size_t i = 0; i < s->ntps; i++)
		free(s->tps[i].topic);
	free(s->tps);
	free(s->dlq);
	free(s);
}

int sv_sink_on_spawn(struct sv_sink *s, char *err, size_t errlen)
{
	s->ready = false;
	s->stopping = false;
	s->final_flush = false;
	s->flush_seq = 0;
	if (!s->rk)
		return create_consumer(s, err, errlen);
	return 0;
}

void sv_sink_on_ready(struct sv_sink *s)
{
	s->ready = true;
	s->retry_ms = RETRY_MIN_MS;
	pump(s);
}

void sv_sink_on_exit(struct sv_sink *s)
{
	rd_kafka_topic_partition_list_t *l;

	s->ready = false;
	s->flush_seq = 0;
	drop_batch(s);
	/* stopped for good: the consumer is closed next. Assigning again
	 * right before the close can make librdkafka 2.0.2 stop a partition
	 * twice and abort (rd_kafka_assignment_partition_stopped) */
	if (!s->rk || !s->u->want_run)
		return;
	/* everything after the last commit is read again: what the task
	 * had acknowledged may not have been written out */
	l = rd_kafka_topic_partition_list_new((int)s->ntps);
	for (size_t i = 0; l && i < s->ntps; i++) {
		struct tp *t = &s->tps[i];

		t->acked = t->flushing = -1;
		if (!t->owned)
			continue;
		rd_kafka_topic_partition_list_add(l, t->topic, t->partition)
		    ->offset =
		    t->committed >= 0 ? t->committed : RD_KAFKA_OFFSET_INVALID;
	}
	if (l && l->cnt) {
		rd_kafka_assign(s->rk, l);
		if (s->paused)
			rd_kafka_pause_partitions(s->rk, l);
	}
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
}

/* Writes the records the task skipped to the dead letter queue. */
static void to_dlq(struct sv_sink *s, uint32_t index, uint32_t stage,
                   struct proto_str msg)
{
	struct sv_unit *u = s->u;
	const rd_kafka_message_t *m = s->msgs[index];
	rd_kafka_headers_t *h = NULL;
	char num[32];

	if (!s->dlq)
		return;
	if (rd_kafka_message_headers(m, &h) == 0 && h)
		h = rd_kafka_headers_copy(h);
	else
		h = rd_kafka_headers_new(8);
	if (s->dlq_headers) {
		const char *t = rd_kafka_topic_name(m->rkt);

		rd_kafka_header_add(h, "__connect.errors.topic", -1, t, -1);
		snprintf(num, sizeof(num), "%d", (int)m->partition);
		rd_kafka_header_add(h, "__connect.errors.partition", -1, num,
		                    -1);
		snprintf(num, sizeof(num), "%lld", (long long)m->offset);
		rd_kafka_header_add(h, "__connect.errors.offset", -1, num, -1);
		rd_kafka_header_add(h, "__connect.errors.connector.name", -1,
		                    u->conn, -1);
		snprintf(num, sizeof(num), "%d", u->task);
		rd_kafka_header_add(h, "__connect.errors.task.id", -1, num, -1);
		rd_kafka_header_add(
		    h, "__connect.errors.stage", -1,
		    stage == PROTO_STAGE_KEY         ? "KEY_CONVERTER"
		    : stage == PROTO_STAGE_VALUE     ? "VALUE_CONVERTER"
		    : stage == PROTO_STAGE_HEADER    ? "HEADER_CONVERTER"
		    : stage == PROTO_STAGE_TRANSFORM ? "TRANSFORMATION"
		                                     : "TASK_PUT",
		    -1);
		rd_kafka_header_add(h, "__connect.errors.exception.message", -1,
		                    msg.p, (ssize_t)msg.n);
	}
	if (rd_kafka_producev(u->ctx->kafka->producer, RD_KAFKA_V_TOPIC(s->dlq),
	                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                      RD_KAFKA_V_KEY(m->key, m->key_len),
	                      RD_KAFKA_V_VALUE(m->payload, m->len),
	                      RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END)) {
		rd_kafka_headers_destroy(h);
		slog(s, SV_LOG_WARN, "SV-DLQ-FAILED",
		     "cannot write a skipped record to %s", s->dlq);
	}
}

/* Stopping, and nothing is in flight: the last flush, then STOP. */
static void finish_stop_if_idle(struct sv_sink *s)
{
	if (!s->stopping || s->batch_seq || s->flush_seq)
		return;
	if (!s->final_flush) {
		s->final_flush = true;
		if (sv_unit_live(s->u) && s->ready && send_flush(s))
			return; /* its answer comes back here */
	}
	sv_unit_send_stop(s->u);
}

int sv_sink_on_ack(struct sv_sink *s, struct proto_rd *rd, uint32_t nf,
                   char *err, size_t errlen)
{
	struct proto_sink_ack a;
	struct proto_rd it;

	if (proto_sink_ack_unpack(rd, nf, &a) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed SINK_ACK");
		return -EPROTO;
	}
	if (!s->batch_seq || a.seq != s->batch_seq || s->resend) {
		snprintf(err, errlen, "ack for batch %llu, which was not sent",
		         (unsigned long long)a.seq);
		return -EPROTO;
	}
	if (a.status == PROTO_SINK_RETRY) {
		struct timeval tv = {s->retry_ms / 1000,
		                     (s->retry_ms % 1000) * 1000};

		slog(s, SV_LOG_WARN, "SV-SINK-RETRY",
		     "put asked to be retried (%.*s); again in %d ms",
		     (int)a.message.n, a.message.p, s->retry_ms);
		s->resend = true;
		evtimer_add(s->ev_retry, &tv);
		s->retry_ms = s->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
		                                             : s->retry_ms * 2;
		if (s->stopping) {
			/* not written: read again after the restart */
			drop_batch(s);
			finish_stop_if_idle(s);
		}
		return 0;
	}
	if (a.status != PROTO_SINK_OK) {
		snprintf(err, errlen, "SINK_ACK with status %u", a.status);
		return -EPROTO;
	}
	it = a.errors;
	for (uint32_t i = 0; i < a.errors_n; i++) {
		uint32_t index, stage;
		struct proto_str msg;

		if (proto_sink_error_next(&it, &index, &stage, &msg) ||
		    index >= s->nmsgs) {
			snprintf(err, errlen,
			         "SINK_ACK names a record not in the batch");
			return -EPROTO;
		}
		to_dlq(s, index, stage, msg);
	}
	/* a batch holds runs of one partition: look each run up once */
	for (size_t i = 0; i < s->nmsgs;) {
		const rd_kafka_message_t *m = s->msgs[i];
		const char *t = rd_kafka_topic_name(m->rkt);
		struct tp *tp = tp_find(s, t, strlen(t), m->partition);
		int64_t last = m->offset;

		for (i++; i < s->nmsgs && s->msgs[i]->rkt == m->rkt &&
		          s->msgs[i]->partition == m->partition;
		     i++)
			if (s->msgs[i]->offset > last)
				last = s->msgs[i]->offset;
		if (tp && tp->owned && last + 1 > tp->acked)
			tp->acked = last + 1;
	}
	s->retry_ms = RETRY_MIN_MS;
	{
		/* the next batch goes out before this one's records are
		 * released: that is slow (a lock and a free per record) */
		rd_kafka_message_t **done = s->msgs;
		size_t ndone = s->nmsgs;

		s->msgs = s->next;
		s->nmsgs = s->nnext;
		s->next = done;
		s->nnext = 0;
		s->batch_seq = 0;
		finish_stop_if_idle(s);
		pump_opt(s, false); /* next (done) is not free yet */
		destroy_msgs(done, &ndone);
		pump(s); /* read the one after */
	}
	return 0;
}

/* Sends SINK_FLUSH with every owned position ahead of its commit. */
static bool send_flush(struct sv_sink *s)
{
	struct sv_unit *u = s->u;
	uint32_t n = 0;
	int rc;

	for (size_t i = 0; i < s->ntps; i++) {
		struct tp *t = &s->tps[i];

		t->flushing = -1;
		if (t->owned && t->acked > t->committed) {
			t->flushing = t->acked;
			n++;
		}
	}
	if (n == 0)
		return false;
	rc = proto_sink_flush_begin(&u->pk, ++s->next_seq, n);
	for (size_t i = 0; i < s->ntps && rc == 0; i++)
		if (s->tps[i].flushing >= 0)
			rc = proto_position_pack(&u->pk, s->tps[i].topic,
			                         s->tps[i].partition,
			                         s->tps[i].flushing);
	if (rc || sv_unit_send(u)) {
		msgpack_sbuffer_clear(&u->sb);
		return false;
	}
	s->flush_seq = s->next_seq;
	return true;
}

void sv_sink_flush(struct sv_sink *s)
{
	if (!s->ready || s->stopping || s->flush_seq || !sv_unit_live(s->u)) {
		pump(s);
		return;
	}
	send_flush(s);
	pump(s);
}

int sv_sink_on_flushed(struct sv_sink *s, struct proto_rd *rd, uint32_t nf,
                       char *err, size_t errlen)
{
	struct proto_sink_flush f;
	rd_kafka_topic_partition_list_t *l;
	struct proto_rd it;
	bool final = s->stopping;

	if (proto_sink_flushed_unpack(rd, nf, &f) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed SINK_FLUSHED");
		return -EPROTO;
	}
	if (!s->flush_seq || f.seq != s->flush_seq) {
		snprintf(err, errlen, "SINK_FLUSHED %llu answers no flush",
		         (unsigned long long)f.seq);
		return -EPROTO;
	}
	s->flush_seq = 0;
	l = rd_kafka_topic_partition_list_new((int)f.offsets_n + 1);
	if (!l)
		return -ENOMEM;
	it = f.offsets;
	for (uint32_t i = 0; i < f.offsets_n; i++) {
		struct proto_str topic;
		int32_t part;
		int64_t off;
		struct tp *t;

		if (proto_position_next(&it, &topic, &part, &off) ||
		    !(t = tp_find(s, topic.p, topic.n, part)) ||
		    t->flushing < 0 || off > t->flushing) {
			rd_kafka_topic_partition_list_destroy(l);
			snprintf(err, errlen,
			         "SINK_FLUSHED confirms a position that was "
			         "not asked for");
			return -EPROTO;
		}
		if (t->owned && off > t->committed)
			rd_kafka_topic_partition_list_add(l, t->topic, part)
			    ->offset = off;
	}
	if (f.status == PROTO_SINK_OK && l->cnt) {
		/* a clean stop commits before it goes on, others do not
		 * wait */
		rd_kafka_resp_err_t e =
		    rd_kafka_commit(s->rk, l, final ? 0 : 1);

		if (final && e == RD_KAFKA_RESP_ERR_NO_ERROR)
			on_commit(s->rk, e, l, s->ref);
		else if (final)
			on_commit(s->rk, e, NULL, s->ref);
	}
	rd_kafka_topic_partition_list_destroy(l);
	finish_stop_if_idle(s);
	return 0;
}

void sv_sink_begin_stop(struct sv_sink *s)
{
	s->stopping = true;
	s->final_flush = false;
	/* a batch not sent, or refused, was not written: it is read again
	 * after a restart; so is the next one */
	destroy_msgs(s->next, &s->nnext);
	if (!s->batch_seq || s->resend)
		drop_batch(s);
	finish_stop_if_idle(s);
}

void sv_sink_pause(struct sv_sink *s, bool pause)
{
	rd_kafka_topic_partition_list_t *l = NULL;

	s->paused = pause;
	if (!s->rk || rd_kafka_assignment(s->rk, &l) || !l)
		return;
	if (pause)
		rd_kafka_pause_partitions(s->rk, l);
	else
		rd_kafka_resume_partitions(s->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (!pause)
		pump(s);
}
