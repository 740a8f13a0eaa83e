/* sv_source.c: see sv_source.h. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "sv_herder.h"
#include "sv_log.h"
#include "sv_sandbox.h"
#include "sv_source.h"
#include "sv_unit.h"

struct src_batch {
	struct sv_delivery d; /* msg_opaque of every record */
	struct sv_src *s;
	nng_msg *m; /* the frame: a message, */
	void *buf;  /* or a copy out of the batch region */
	uint64_t seq;
	uint64_t gen; /* the process that sent it */
	struct proto_batch pb;
	struct sv_ktopic **kts; /* per topic index */
	struct proto_rd next;   /* the next record to produce */
	uint32_t produced;      /* records handed to librdkafka */
	uint32_t total;         /* records that will report */
	uint32_t reported;
	bool all_produced;
	bool failed;
	char error[256];
	TAILQ_ENTRY(src_batch) link;
};

TAILQ_HEAD(batch_list, src_batch);

struct sv_src {
	struct sv_unit *u;
	struct batch_list fifo;   /* oldest first */
	struct src_batch *cursor; /* the first not fully produced */
	uint64_t next_seq;
	uint32_t inflight;   /* unacknowledged batches of this gen */
	uint64_t poison_gen; /* batches up to this gen never commit */
	json_t *committable; /* partition text -> offset text */
	uint64_t committable_seq;
	uint64_t commit_seq; /* what the last sv_src_commit moved */
	uint64_t commit_gen;
	bool blocked;
	TAILQ_ENTRY(sv_src) blocked_link;
};

static TAILQ_HEAD(, sv_src) blocked = TAILQ_HEAD_INITIALIZER(blocked);

struct sv_src *sv_src_new(struct sv_unit *u)
{
	struct sv_src *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->u = u;
	TAILQ_INIT(&s->fifo);
	if (!(s->committable = json_object())) {
		free(s);
		return NULL;
	}
	return s;
}

static void batch_free(struct src_batch *b)
{
	if (b->m)
		nng_msg_free(b->m);
	free(b->buf);
	free(b->kts);
	free(b);
}

void sv_src_free(struct sv_src *s)
{
	struct src_batch *b;

	if (!s)
		return;
	if (s->blocked)
		TAILQ_REMOVE(&blocked, s, blocked_link);
	/* only batches that never reached librdkafka can be left */
	while ((b = TAILQ_FIRST(&s->fifo))) {
		TAILQ_REMOVE(&s->fifo, b, link);
		batch_free(b);
	}
	json_decref(s->committable);
	free(s);
}

void sv_src_on_spawn(struct sv_src *s)
{
	s->next_seq = 1;
	s->inflight = 0;
}

bool sv_src_settled(const struct sv_src *s)
{
	return TAILQ_EMPTY(&s->fifo);
}

size_t sv_src_inflight(const struct sv_src *s)
{
	size_t n = 0;
	struct src_batch *b;

	TAILQ_FOREACH (b, &s->fifo, link)
		n++;
	return n;
}

static void complete_head(struct sv_src *s);

/* A batch whose every record has reported. */
static void batch_done(struct src_batch *b)
{
	struct sv_src *s = b->s;
	struct sv_unit *u = s->u;

	if (b->failed) {
		if (b->gen > s->poison_gen)
			s->poison_gen = b->gen;
		if (b->gen == u->gen && u->pid > 0)
			sv_unit_fail(u, "%s", b->error);
	} else if (b->gen == u->gen && s->inflight > 0) {
		s->inflight--;
		if (sv_unit_live(u) &&
		    proto_u64_pack(&u->pk, PROTO_SOURCE_ACK, b->seq) == 0)
			sv_unit_send(u);
	}
	complete_head(s);
}

/* Pops complete batches in order; their offsets become committable. */
static void complete_head(struct sv_src *s)
{
	struct sv_unit *u = s->u;
	struct src_batch *b;
	bool popped = false;

	while ((b = TAILQ_FIRST(&s->fifo)) && b->all_produced &&
	       b->reported == b->total) {
		if (s->cursor == b)
			s->cursor = TAILQ_NEXT(b, link);
		TAILQ_REMOVE(&s->fifo, b, link);
		if (!b->failed && b->gen > s->poison_gen) {
			struct proto_rd it = b->pb.offsets;

			for (uint32_t i = 0; i < b->pb.offsets_n; i++) {
				struct proto_str k, v;
				char *key;

				if (proto_kv_next(&it, &k, &v) ||
				    !(key = strndup(k.p, k.n)))
					break;
				json_object_set_new(s->committable, key,
				                    json_stringn(v.p, v.n));
				free(key);
			}
			if (b->gen == u->gen)
				s->committable_seq = b->seq;
		}
		batch_free(b);
		popped = true;
		sv_unit_unref(u);
	}
	if (popped && TAILQ_EMPTY(&s->fifo))
		sv_unit_settled(u);
}

static void on_delivery(struct sv_delivery *d, const rd_kafka_message_t *m)
{
	struct src_batch *b =
	    (struct src_batch *)((char *)d - offsetof(struct src_batch, d));

	if (m->err && !b->failed) {
		b->failed = true;
		snprintf(b->error, sizeof(b->error),
		         "delivery of a record to topic %s partition %d "
		         "failed: %s",
		         rd_kafka_topic_name(m->rkt), (int)m->partition,
		         rd_kafka_err2str(m->err));
	}
	b->reported++;
	if (b->all_produced && b->reported == b->total)
		batch_done(b);
}

static void produce_failed(struct src_batch *b, rd_kafka_topic_t *rkt,
                           rd_kafka_resp_err_t err)
{
	b->failed = true;
	b->s->poison_gen = b->gen;
	snprintf(b->error, sizeof(b->error),
	         "cannot produce a record to topic %s: %s",
	         rd_kafka_topic_name(rkt), rd_kafka_err2str(err));
}

/*
 * A record rd_kafka_produce_batch takes as it is: librdkafka's partitioner
 * chooses its partition, the time of the call is its timestamp, it has no
 * headers, and it is not too large (the batch call goes on with the
 * records after one it refuses for its size).
 */
static bool plain(const struct proto_record *r, size_t max_msg)
{
	return r->partition < 0 && r->timestamp < 0 && !r->headers_n &&
	       (size_t)r->key.n + r->value.n + 64 <= max_msg;
}

#define RUN_MAX 256
/* every this many runs of a topic, librdkafka partitions one run itself,
 * which refreshes the partition count sluiced partitions by */
#define RUN_REFRESH 64

/*
 * The partition librdkafka's murmur2_random partitioner gives record r of
 * a topic with cnt partitions, or RD_KAFKA_PARTITION_UA: a null key (the
 * sticky partitioner's), or the count is not known.
 */
static int32_t key_partition(const struct sv_ktopic *t, int32_t cnt,
                             const struct proto_record *r)
{
	if (cnt <= 0 || !r->key.p)
		return RD_KAFKA_PARTITION_UA;
	return rd_kafka_msg_partitioner_murmur2_random(
	    t->rkt, r->key.p, r->key.n, cnt, NULL, NULL);
}

/*
 * Produces the plain record r (read from `at`) and the plain records of
 * its topic after it with one rd_kafka_produce_batch call: one clock read
 * and one topic lock for the run instead of per record (librdkafka 2.0.2's
 * producev reads the clock three times for a record without a key).
 *
 * When the run's first two records have keys that go to the same
 * partition, the run is the records after them that go there too, and
 * sluiced names the partition: librdkafka's partitioner reads the clock,
 * looks the partition up and takes a reference on it for every record
 * (a fifth of this thread's samples with 1 KB records). The partition is
 * what librdkafka's murmur2_random gives (Java's for a keyed record), by
 * the partition count librdkafka last partitioned the topic's records
 * with; one run in RUN_REFRESH is partitioned by librdkafka, which keeps
 * the count current when partitions are added.
 *
 * Returns false if librdkafka's queue is full: b->next is then the first
 * record it refused, and every record after it was refused too.
 */
static bool produce_run(struct src_batch *b, struct proto_record r,
                        struct proto_rd at)
{
	static rd_kafka_message_t msgs[RUN_MAX];
	static struct proto_rd pos[RUN_MAX];
	size_t max_msg = b->s->u->ctx->kafka->max_msg;
	struct sv_ktopic *t = b->kts[r.topic];
	rd_kafka_topic_t *rkt = t->rkt;
	uint32_t topic = r.topic;
	int32_t cnt = 0, part;
	int n = 0, full = -1;

	if (b->s->u->ctx->kafka->keyed_partitions &&
	    t->runs++ % RUN_REFRESH != 0)
		cnt =
		    atomic_load_explicit(&t->partitions, memory_order_relaxed);
	part = key_partition(t, cnt, &r);
	for (;;) {
		pos[n] = at;
		/* the value is not copied (the frame lives until the
		 * delivery report); librdkafka copies the key */
		msgs[n++] = (rd_kafka_message_t){
		    .payload = (void *)r.value.p,
		    .len = r.value.n,
		    .key = (void *)r.key.p,
		    .key_len = r.key.n,
		    ._private = &b->d,
		};
		if (n == RUN_MAX || b->produced + n >= b->pb.records_n)
			break;
		at = b->next;
		if (proto_source_record_next(&b->next, &r) ||
		    r.topic != topic || !plain(&r, max_msg)) {
			b->next = at;
			break;
		}
		if (part != RD_KAFKA_PARTITION_UA &&
		    key_partition(t, cnt, &r) != part) {
			if (n > 1) {
				b->next = at;
				break;
			}
			/* keys that spread: librdkafka partitions the run */
			part = RD_KAFKA_PARTITION_UA;
		}
	}
	rd_kafka_produce_batch(rkt, part, 0, msgs, n);
	if (part != RD_KAFKA_PARTITION_UA &&
	    msgs[0].err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
		/* fewer partitions than the count (the topic was created
		 * again): nothing went in; librdkafka partitions the run */
		atomic_store_explicit(&t->partitions, 0, memory_order_relaxed);
		rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, 0, msgs, n);
	}
	/* every record that went in reports, whatever came after it */
	for (int i = 0; i < n; i++) {
		if (!msgs[i].err)
			b->produced++;
		else if (msgs[i].err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			full = full < 0 ? i : full;
		else if (!b->failed)
			produce_failed(b, rkt, msgs[i].err);
	}
	if (full >= 0 && !b->failed) {
		b->next = pos[full];
		return false;
	}
	return true;
}

/* Produces what is left of b. Returns false if librdkafka's queue is
 * full (try again later). */
static bool produce_batch(struct src_batch *b)
{
	struct sv_kafka *k = b->s->u->ctx->kafka;
	/* a record without a timestamp gets the time it is produced, as a
	 * Java producer gives it: read once per call, not by librdkafka
	 * once per record (4 % of this thread's samples) */
	int64_t now = 0;

	/* after a record of this process was lost, produce nothing more of
	 * it: the restarted task reads again from the last commit */
	while (b->produced < b->pb.records_n && !b->failed &&
	       b->gen > b->s->poison_gen) {
		struct proto_record r;
		struct proto_rd save = b->next;
		rd_kafka_headers_t *hdrs = NULL;
		rd_kafka_resp_err_t err;

		if (proto_source_record_next(&b->next, &r))
			break; /* validated on receipt: cannot happen */
		if (plain(&r, k->max_msg)) {
			if (!produce_run(b, r, save))
				return false;
			continue;
		}
		if (r.headers_n) {
			struct proto_rd it = r.headers;

			hdrs = rd_kafka_headers_new(r.headers_n);
			for (uint32_t i = 0; i < r.headers_n; i++) {
				struct proto_str hk, hv;

				if (proto_header_next(&it, &hk, &hv))
					break;
				rd_kafka_header_add(hdrs, hk.p, hk.n, hv.p,
				                    hv.p ? (ssize_t)hv.n : 0);
			}
		}
		/* the value is not copied: the frame lives until the
		 * delivery report; librdkafka copies keys and headers */
		err = rd_kafka_producev(
		    k->producer, RD_KAFKA_V_RKT(b->kts[r.topic]->rkt),
		    RD_KAFKA_V_PARTITION(r.partition < 0 ? RD_KAFKA_PARTITION_UA
		                                         : r.partition),
		    RD_KAFKA_V_MSGFLAGS(0),
		    RD_KAFKA_V_VALUE((void *)r.value.p, r.value.n),
		    RD_KAFKA_V_KEY(r.key.p, r.key.n),
		    RD_KAFKA_V_TIMESTAMP(r.timestamp >= 0 ? r.timestamp
		                         : now            ? now
		                               : (now = sv_wall_ms())),
		    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(&b->d),
		    RD_KAFKA_V_END);
		if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			b->next = save;
			return false;
		}
		if (err) {
			if (hdrs)
				rd_kafka_headers_destroy(hdrs);
			produce_failed(b, b->kts[r.topic]->rkt, err);
			break;
		}
		b->produced++;
	}
	b->total = b->produced;
	b->all_produced = true;
	if (b->reported == b->total)
		batch_done(b);
	return true;
}

/* Produces batches in order from the cursor on. */
static void pump(struct sv_src *s)
{
	struct src_batch *b;

	while ((b = s->cursor)) {
		/* not complete, so batch_done cannot free it */
		struct src_batch *next = TAILQ_NEXT(b, link);

		if (!produce_batch(b)) {
			if (!s->blocked) {
				s->blocked = true;
				TAILQ_INSERT_TAIL(&blocked, s, blocked_link);
			}
			return;
		}
		s->cursor = next;
	}
}

void sv_src_retry_blocked(void)
{
	struct sv_src *s;
	size_t n = 0;

	/* pump() may block a source again: take only those blocked now */
	TAILQ_FOREACH (s, &blocked, blocked_link)
		n++;
	while (n-- && (s = TAILQ_FIRST(&blocked))) {
		TAILQ_REMOVE(&blocked, s, blocked_link);
		s->blocked = false;
		pump(s);
	}
}

static bool json_text_ok(struct proto_str t, bool object)
{
	json_error_t e;
	json_t *j = json_loadb(t.p, t.n, JSON_DECODE_ANY, &e);
	bool ok = j && (!object || json_is_object(j));

	json_decref(j);
	return ok;
}

int sv_src_on_batch(struct sv_src *s, struct proto_rd *rd, uint32_t nf,
                    nng_msg *m, void *buf, char *err, size_t errlen)
{
	struct sv_unit *u = s->u;
	struct src_batch *b;
	struct proto_rd it;

	if (!(b = calloc(1, sizeof(*b))))
		return -ENOMEM;
	b->d.fn = on_delivery;
	b->s = s;
	b->gen = u->gen;
	if (proto_source_batch_unpack(rd, nf, &b->pb) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed SOURCE_BATCH");
		goto out_bad;
	}
	b->seq = b->pb.seq;
	if (b->seq != s->next_seq) {
		snprintf(err, errlen,
		         "batch %llu out of sequence (expected %llu)",
		         (unsigned long long)b->seq,
		         (unsigned long long)s->next_seq);
		goto out_bad;
	}
	if (s->inflight >= u->ctx->w->credits) {
		snprintf(err, errlen, "batch %llu sent without credit",
		         (unsigned long long)b->seq);
		goto out_bad;
	}
	if (b->pb.topics_n &&
	    !(b->kts = calloc(b->pb.topics_n, sizeof(*b->kts))))
		goto out_nomem;
	it = b->pb.topics;
	for (uint32_t i = 0; i < b->pb.topics_n; i++) {
		struct proto_str t;

		if (proto_rd_str(&it, &t))
			goto out_bad;
		if (!sv_kafka_topic_valid(t.p, t.n)) {
			snprintf(err, errlen,
			         "a record for \"%.*s\", which is not a valid "
			         "topic name",
			         (int)(t.n > 64 ? 64 : t.n), t.p);
			goto out_bad;
		}
		/* --- sandbox: topics.allowed (sv_sandbox.h). A record for
		 * another topic breaks the connector's grant: the task is
		 * FAILED, and nothing of this batch is produced. --- */
		if (sv_sandbox_topic_check(u->conn_config, t.p, t.n, err,
		                           errlen))
			goto out_bad;
		/* --- end of sandbox block --- */
		if (!(b->kts[i] = sv_kafka_topic(u->ctx->kafka, t.p, t.n)))
			goto out_nomem;
		sv_herder_topic_used(u, t.p, t.n);
	}
	it = b->pb.offsets;
	for (uint32_t i = 0; i < b->pb.offsets_n; i++) {
		struct proto_str k, v;

		if (proto_kv_next(&it, &k, &v) || !json_text_ok(k, true) ||
		    !json_text_ok(v, false)) {
			snprintf(err, errlen,
			         "a source partition or offset that is not "
			         "JSON (or a partition that is not an object)");
			goto out_bad;
		}
	}
	it = b->pb.errors;
	for (uint32_t i = 0; i < b->pb.errors_n; i++) {
		uint32_t stage;
		struct proto_str msg;

		if (proto_source_error_next(&it, &stage, &msg) == 0)
			sv_ulog(SV_LOG_WARN, "SV-RECORD-SKIPPED", u->conn,
			        u->task, "skipped a record (%s): %.*s",
			        proto_stage_name(stage), (int)msg.n, msg.p);
	}
	b->next = b->pb.records;
	b->m = m;
	b->buf = buf;
	s->next_seq++;
	s->inflight++;
	sv_unit_ref(u);
	TAILQ_INSERT_TAIL(&s->fifo, b, link);
	if (!s->cursor)
		s->cursor = b;
	if (!s->blocked)
		pump(s);
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
out_bad:
	free(b->kts);
	free(b);
	return -EPROTO;
}

bool sv_src_commit(struct sv_src *s)
{
	struct sv_unit *u = s->u;
	const char *k;
	json_t *v;
	bool any = false;

	json_object_foreach(s->committable, k, v)
	{
		const char *o = json_string_value(v);

		if (sv_offsets_put(u->ctx->offsets, u->conn, k, strlen(k), o,
		                   strlen(o)) == 0)
			any = true;
	}
	json_object_clear(s->committable);
	s->commit_seq = s->committable_seq;
	s->commit_gen = u->gen;
	return any;
}

void sv_src_committed(struct sv_src *s)
{
	struct sv_unit *u = s->u;

	if (!s->commit_seq || s->commit_gen != u->gen || !sv_unit_live(u))
		return;
	if (proto_u64_pack(&u->pk, PROTO_SOURCE_COMMIT, s->commit_seq) == 0)
		sv_unit_send(u);
	s->commit_seq = 0;
}
