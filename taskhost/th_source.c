/*
 * th_source.c: the source task loop.
 *
 * poll() the plugin while there is credit, convert each record with the
 * key, value and header converters, and send the converted records in
 * SOURCE_BATCH frames of at most max_records records and max_bytes bytes,
 * one credit each. Between polls, handle what sluiced sent: SOURCE_ACK
 * gives a credit back, SOURCE_COMMIT calls the plugin's commit().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "th_task.h"

#define IDLE_WAIT_MS         1000
#define DEFAULT_MAX_RECORDS  1000
#define DEFAULT_MAX_BYTES    (1u << 20)
#define DEFAULT_POLL_WAIT_MS 100
/* per-record framing overhead counted against max_bytes */
#define RECORD_OVERHEAD 32

struct src {
	uint32_t credits;
	uint64_t next_seq;
	uint32_t max_records;
	size_t max_bytes;
	/* the batch region: the seq of the batch in each slot, 0: free */
	uint64_t *slot_seq;
	uint32_t slots;
};

/* A free slot of the batch region, or -1 (none, or no region). */
static int free_slot(const struct src *s)
{
	for (uint32_t i = 0; i < s->slots; i++)
		if (!s->slot_seq[i])
			return (int)i;
	return -1;
}

/* Batch seq is acknowledged: its slot (if it had one) is free again. */
static void release_slot(struct src *s, uint64_t seq)
{
	for (uint32_t i = 0; i < s->slots; i++)
		if (s->slot_seq[i] == seq)
			s->slot_seq[i] = 0;
}

/* One record after conversion. */
struct out_rec {
	const struct conn_record *r;
	uint32_t topic; /* index into the frame's topics */
	struct th_bytes key;
	struct th_bytes value;
	struct th_bytes *hvals; /* one per header */
	size_t bytes;
	uint32_t stage;      /* != 0: dropped at this stage */
	const char *message; /* why it was dropped */
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/*
 * Receives and handles messages: waits up to wait_ms for the first one,
 * then takes whatever else is queued. Returns 0 or an exit status.
 */
static int drain(struct th_task *t, struct src *s, int wait_ms)
{
	const struct conn_plugin *p = t->pl.p;

	for (;;) {
		struct proto_rd rd;
		uint32_t type, nf;
		uint64_t seq;
		nng_msg *m;
		int rc = th_ipc_recv(t->ipc, wait_ms, &m);

		if (rc == -EAGAIN)
			return 0;
		if (rc)
			return TH_EXIT_TEMPORARY;
		wait_ms = 0;
		rc = proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m),
		                      &type, &nf);
		if (rc == 0 &&
		    (type == PROTO_SOURCE_ACK || type == PROTO_SOURCE_COMMIT)) {
			rc = proto_u64_unpack(&rd, nf, &seq);
			if (rc == 0 && !proto_rd_done(&rd))
				rc = -EPROTO;
			if (rc == 0 && type == PROTO_SOURCE_ACK) {
				s->credits++;
				release_slot(s, seq);
			} else if (rc == 0 && p->commit && t->started)
				p->commit(t->ctx);
			rc = rc ? rc : 1;
		} else if (rc == 0) {
			rc = th_task_control(t, type, &rd, nf);
		}
		nng_msg_free(m);
		if (rc <= 0)
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "unexpected message from sluiced");
	}
}

/* Converts one record; on a conversion error marks it dropped or fails. */
static int convert(struct th_task *t, struct conn_arena *a, struct out_rec *o,
                   char *err, size_t errlen)
{
	const struct conn_record *r = o->r;
	int rc;

	o->bytes = RECORD_OVERHEAD + strlen(r->topic);
	rc = th_conv_from_connect(t->key_conv, r->topic, NULL, r->key_schema,
	                          r->key, a, &o->key, err, errlen);
	if (rc) {
		o->stage = PROTO_STAGE_KEY;
		return rc;
	}
	rc =
	    th_conv_from_connect(t->value_conv, r->topic, NULL, r->value_schema,
	                         r->value, a, &o->value, err, errlen);
	if (rc) {
		o->stage = PROTO_STAGE_VALUE;
		return rc;
	}
	o->bytes += o->key.n + o->value.n;
	if (r->nheaders) {
		o->hvals = th_arena_alloc(a, r->nheaders * sizeof(*o->hvals));
		if (!o->hvals)
			return -ENOMEM;
	}
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct th_header *h = &r->headers[i];

		rc = th_conv_from_connect(t->header_conv, r->topic, h->key,
		                          h->schema, h->value, a, &o->hvals[i],
		                          err, errlen);
		if (rc) {
			o->stage = PROTO_STAGE_HEADER;
			return rc;
		}
		o->bytes += strlen(h->key) + o->hvals[i].n + 8;
	}
	return 0;
}

/* The latest source offset of each partition among o[lo, hi). */
struct offs {
	const char **parts;
	const char **vals;
	size_t n;
};

static int collect_offsets(struct conn_arena *a, struct out_rec *o, size_t lo,
                           size_t hi, struct offs *out, char *err,
                           size_t errlen)
{
	const struct conn_value *last_part = NULL;
	struct th_buf b = {0};
	int rc = 0;

	out->n = 0;
	out->parts = th_arena_alloc(a, (hi - lo) * sizeof(*out->parts));
	out->vals = th_arena_alloc(a, (hi - lo) * sizeof(*out->vals));
	if (!out->parts || !out->vals)
		return -ENOMEM;
	/* Backwards: the first offset seen for a partition is its latest.
	 * Plugins usually reuse one partition value, so skip by pointer
	 * before encoding. */
	for (size_t i = hi; i-- > lo;) {
		const struct conn_record *r = o[i].r;
		const char *pj;
		size_t k;

		if (!r->src_partition || r->src_partition == last_part)
			continue;
		last_part = r->src_partition;
		th_buf_reset(&b);
		if ((rc = th_json_encode(r->src_partition, &b, err, errlen)))
			goto out;
		for (k = 0; k < out->n; k++)
			if (strcmp(out->parts[k], b.p) == 0)
				break;
		if (k < out->n)
			continue;
		if (!(pj = th_arena_strndup(a, b.p, b.len))) {
			rc = -ENOMEM;
			goto out;
		}
		th_buf_reset(&b);
		if (r->src_offset) {
			rc = th_json_encode(r->src_offset, &b, err, errlen);
		} else {
			rc = th_buf_append(&b, "null", 4);
		}
		if (rc)
			goto out;
		out->parts[out->n] = pj;
		if (!(out->vals[out->n] = th_arena_strndup(a, b.p, b.len))) {
			rc = -ENOMEM;
			goto out;
		}
		out->n++;
	}
out:
	th_buf_fini(&b);
	return rc;
}

/* Packs and sends o[lo, hi) as one SOURCE_BATCH. */
static int send_frame(struct th_task *t, struct src *s, struct conn_arena *a,
                      struct out_rec *o, size_t lo, size_t hi,
                      const char **topics, uint32_t ntopics)
{
	msgpack_packer *pk = &t->pk;
	uint32_t nrec = 0, nerr = 0, used = 0;
	const char **ftopics;
	uint32_t *remap;
	char err[512];
	struct offs offs;
	int rc, slot;

	if ((rc = collect_offsets(a, o, lo, hi, &offs, err, sizeof(err)))) {
		char msg[600];

		snprintf(msg, sizeof(msg), "source offset: %s", err);
		return th_task_fail(t, PROTO_FAIL_PLUGIN, msg);
	}
	/* this frame's topics, renumbered */
	ftopics = th_arena_alloc(a, ntopics * sizeof(*ftopics));
	remap = th_arena_alloc(a, ntopics * sizeof(*remap));
	if (!ftopics || !remap)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	for (uint32_t i = 0; i < ntopics; i++)
		remap[i] = UINT32_MAX;
	for (size_t i = lo; i < hi; i++) {
		if (o[i].stage) {
			nerr++;
			continue;
		}
		nrec++;
		if (remap[o[i].topic] == UINT32_MAX) {
			remap[o[i].topic] = used;
			ftopics[used++] = topics[o[i].topic];
		}
	}
	/* straight into the batch region if a slot is free (a frame that
	 * outgrows it moves into a message and goes through the socket) */
	if ((slot = free_slot(s)) >= 0)
		th_ipc_buf_slot(
		    &t->mb, t->ipc->region + (size_t)slot * t->ipc->slot_size,
		    t->ipc->slot_size);
	rc = proto_source_batch_begin(pk, s->next_seq, used);
	for (uint32_t i = 0; i < used && rc == 0; i++)
		rc = proto_pack_cstr(pk, ftopics[i]);
	if (rc == 0)
		rc = proto_batch_records_begin(pk, nrec);
	for (size_t i = lo; i < hi && rc == 0; i++) {
		const struct conn_record *r = o[i].r;
		struct proto_record pr = {
		    .topic = remap[o[i].topic],
		    .partition = r->partition < 0 ? -1 : r->partition,
		    .timestamp = r->timestamp < 0 ? -1 : r->timestamp,
		    .key = {o[i].key.p, (uint32_t)o[i].key.n},
		    .value = {o[i].value.p, (uint32_t)o[i].value.n},
		    .headers_n = (uint32_t)r->nheaders,
		};

		if (o[i].stage)
			continue;
		rc = proto_source_record_pack(pk, &pr);
		for (size_t h = 0; h < r->nheaders && rc == 0; h++)
			rc = proto_header_pack(
			    pk, r->headers[h].key, strlen(r->headers[h].key),
			    o[i].hvals[h].p, o[i].hvals[h].n, !o[i].hvals[h].p);
	}
	if (rc == 0)
		rc = proto_kvmap_begin(pk, (uint32_t)offs.n);
	for (size_t i = 0; i < offs.n && rc == 0; i++)
		rc = proto_pack_kv(pk, offs.parts[i], offs.vals[i]);
	if (rc == 0)
		rc = proto_source_errors_begin(pk, nerr);
	for (size_t i = lo; i < hi && rc == 0; i++)
		if (o[i].stage)
			rc = proto_source_error_pack(pk, o[i].stage,
			                             o[i].message);
	if (rc == 0 && t->mb.slot) {
		uint32_t len = (uint32_t)t->mb.len;

		th_ipc_buf_clear(&t->mb);
		rc = proto_shared_pack(pk, (uint32_t)slot, len);
		if (rc == 0)
			s->slot_seq[slot] = s->next_seq;
	}
	if (rc) {
		th_ipc_buf_clear(&t->mb);
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot pack a batch");
	}
	if (th_task_flush(t))
		return TH_EXIT_TEMPORARY;
	s->credits--;
	s->next_seq++;
	return 0;
}

static int topic_index(const char **topics, uint32_t *ntopics,
                       const char *topic)
{
	for (uint32_t i = 0; i < *ntopics; i++)
		if (topics[i] == topic || strcmp(topics[i], topic) == 0)
			return (int)i;
	topics[*ntopics] = topic;
	return (int)(*ntopics)++;
}

static int convert_and_send(struct th_task *t, struct src *s,
                            struct conn_batch *b)
{
	struct conn_arena *a = b->arena;
	struct out_rec *o = th_arena_alloc(a, b->n * sizeof(*o));
	const char **topics = th_arena_alloc(a, b->n * sizeof(*topics));
	uint32_t ntopics = 0;
	size_t lo = 0, bytes = 0;
	char err[1024];
	int rc;

	if (!o || !topics)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	memset(o, 0, b->n * sizeof(*o));
	for (size_t i = 0; i < b->n; i++) {
		o[i].r = b->recs[i];
		if (!o[i].r->topic)
			return th_task_fail(t, PROTO_FAIL_PLUGIN,
			                    "poll returned a record without "
			                    "a topic");
		o[i].topic =
		    (uint32_t)topic_index(topics, &ntopics, o[i].r->topic);
		err[0] = '\0';
		rc = convert(t, a, &o[i], err, sizeof(err));
		if (rc == -ENOMEM)
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "out of memory");
		if (rc) {
			char msg[1200];

			snprintf(msg, sizeof(msg),
			         "error in %s for a record to topic %s: %s",
			         proto_stage_name(o[i].stage), o[i].r->topic,
			         err);
			if (!t->tolerate_all)
				return th_task_fail(t, PROTO_FAIL_DATA, msg);
			th_log(t, CONN_LOG_WARN, "TH-RECORD-SKIPPED %s", msg);
			o[i].message = th_arena_strndup(a, msg, strlen(msg));
			if (!o[i].message)
				return th_task_fail(t, PROTO_FAIL_INTERNAL,
				                    "out of memory");
		}
	}
	/* cut into frames */
	for (size_t i = 0; i < b->n; i++) {
		bool full = i > lo && (i - lo >= s->max_records ||
		                       bytes + o[i].bytes > s->max_bytes);

		if (full) {
			while (s->credits == 0 && !t->stopping)
				if ((rc = drain(t, s, IDLE_WAIT_MS)))
					return rc;
			if (t->stopping)
				return 0;
			if ((rc = send_frame(t, s, a, o, lo, i, topics,
			                     ntopics)))
				return rc;
			lo = i;
			bytes = 0;
		}
		bytes += o[i].stage ? 0 : o[i].bytes;
	}
	while (s->credits == 0 && !t->stopping)
		if ((rc = drain(t, s, IDLE_WAIT_MS)))
			return rc;
	if (t->stopping)
		return 0;
	return send_frame(t, s, a, o, lo, b->n, topics, ntopics);
}

int th_source_run(struct th_task *t)
{
	const struct conn_plugin *p = t->pl.p;
	struct src s = {
	    .credits = t->limits.credits ? t->limits.credits : 1,
	    .next_seq = 1,
	    .max_records = t->limits.max_records ? t->limits.max_records
	                                         : DEFAULT_MAX_RECORDS,
	    .max_bytes =
	        t->limits.max_bytes ? t->limits.max_bytes : DEFAULT_MAX_BYTES,
	};
	int wait = t->limits.poll_wait_ms ? (int)t->limits.poll_wait_ms
	                                  : DEFAULT_POLL_WAIT_MS;
	struct conn_batch *b = th_batch_new();
	int backoff = 0, rc = 0;

	if (!b)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	/* one slot per credit: a free slot for every batch that may go */
	if (t->ipc->region) {
		s.slots = t->ipc->slots < s.credits ? t->ipc->slots : s.credits;
		if (!(s.slot_seq = calloc(s.slots, sizeof(*s.slot_seq)))) {
			th_batch_free(b);
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "out of memory");
		}
	}
	while (!t->stopping) {
		char err[1024] = "";

		if ((rc = drain(t, &s, 0)))
			break;
		if (t->stopping)
			break;
		if (t->paused || s.credits == 0) {
			if ((rc = drain(t, &s, IDLE_WAIT_MS)))
				break;
			continue;
		}
		th_batch_reset(b);
		rc = p->poll(t->ctx, b, wait, err, sizeof(err));
		if (rc == -EAGAIN) {
			/* retriable: poll again after a growing pause */
			backoff = backoff ? backoff * 2 : 10;
			if (backoff > 1000)
				backoff = 1000;
			th_log(t, CONN_LOG_WARN,
			       "TH-POLL-RETRY poll asked to be retried: %s",
			       err);
			sleep_ms(backoff);
			rc = 0;
			continue;
		}
		if (rc < 0) {
			char msg[1200];

			snprintf(msg, sizeof(msg), "poll failed: %s",
			         *err ? err : strerror(-rc));
			rc = th_task_fail(t, PROTO_FAIL_PLUGIN, msg);
			break;
		}
		backoff = 0;
		rc = 0;
		if (b->n && (rc = convert_and_send(t, &s, b)))
			break;
	}
	th_batch_free(b);
	free(s.slot_seq);
	return rc;
}
