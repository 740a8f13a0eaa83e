/* sv_rest_offsets.c: see sv_rest_offsets.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <unistd.h>

#include "sv_log.h"
#include "sv_rest_offsets.h"
#include "sv_unit.h"

struct job {
	struct sv_rest_offsets *o;
	pthread_t thread;
	int pipe[2];
	struct event *ev;
	rd_kafka_conf_t *conf; /* the thread's until rd_kafka_new */
	char *conn;
	enum sv_rest_offsets_op op;
	json_t *topics; /* names, or NULL with a regex */
	regex_t re;
	bool has_re;
	bool latest;     /* a reset goes to the high watermark */
	bool joined;     /* the group gave this consumer its assignment */
	int64_t join_ms; /* how long joining may take */
	json_t *alter;   /* [[topic, partition, offset|null]] */
	/* the answer, written by the thread */
	int code;
	char error[512];
	json_t *result;
	sv_rest_offsets_cb cb;
	void *arg;
	LIST_ENTRY(job) link;
};

struct sv_rest_offsets {
	struct event_base *base;
	LIST_HEAD(, job) jobs;
};

/* --- parsing a PATCH ----------------------------------------------------- */

/* Java's String.valueOf of a JSON scalar, for messages. */
static char *shown(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* An integer given as a JSON integer or a string of digits. */
static bool integer_of(json_t *v, int64_t min, int64_t max, int64_t *out)
{
	const char *s;
	char *end;
	long long n;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		errno = 0;
		n = strtoll(s, &end, 10);
		if (!*s || *end || errno)
			return false;
	} else {
		return false;
	}
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

json_t *sv_rest_offsets_parse(json_t *offsets, char *err, size_t errlen)
{
	json_t *out = json_array(), *ent;
	size_t i;

	if (!out) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_array_foreach(offsets, i, ent)
	{
		json_t *p = json_object_get(ent, "partition");
		json_t *o = json_object_get(ent, "offset");
		json_t *t = json_object_get(p, "kafka_topic");
		json_t *pn = json_object_get(p, "kafka_partition");
		json_t *ko = json_object_get(o, "kafka_offset");
		int64_t part, off = -1;
		char *s;

		if (!json_is_object(p)) {
			snprintf(err, errlen,
			         "The partition for a sink connector offset "
			         "cannot be null or missing");
			goto out_bad;
		}
		if (!t || !pn) {
			snprintf(
			    err, errlen,
			    "The partition for a sink connector offset must "
			    "contain the keys 'kafka_topic' and "
			    "'kafka_partition'");
			goto out_bad;
		}
		if (!json_is_string(t)) {
			snprintf(
			    err, errlen,
			    "Kafka topic names must be valid strings and may "
			    "not be null");
			goto out_bad;
		}
		if (json_is_null(pn)) {
			snprintf(
			    err, errlen,
			    "Kafka partitions must be valid numbers and may "
			    "not be null");
			goto out_bad;
		}
		if (!integer_of(pn, 0, INT32_MAX, &part)) {
			s = shown(pn);
			snprintf(
			    err, errlen,
			    "Failed to parse the following Kafka partition "
			    "value in the provided offsets: '%s'. Partition "
			    "values for sink connectors need to be "
			    "non-negative integers.",
			    s ? s : "?");
			free(s);
			goto out_bad;
		}
		if (o && !json_is_null(o)) {
			if (!json_is_object(o) || !ko) {
				snprintf(
				    err, errlen,
				    "The offset for a sink connector should "
				    "either be null or contain the key "
				    "'kafka_offset'");
				goto out_bad;
			}
			if (!integer_of(ko, 0, INT64_MAX, &off)) {
				s = shown(ko);
				snprintf(
				    err, errlen,
				    "Failed to parse the following Kafka "
				    "offset value in the provided offsets: "
				    "'%s'. Offset values for sink connectors "
				    "need to be non-negative integers.",
				    s ? s : "?");
				free(s);
				goto out_bad;
			}
		}
		json_array_append_new(
		    out, off >= 0 ? json_pack("[sII]", json_string_value(t),
		                              (json_int_t)part, (json_int_t)off)
		                  : json_pack("[sIn]", json_string_value(t),
		                              (json_int_t)part));
	}
	return out;
out_bad:
	json_decref(out);
	return NULL;
}

/* --- the job thread --------------------------------------------------------
 */

static void set_error(struct job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_error(struct job *j, int code, const char *fmt, ...)
{
	va_list ap;

	j->code = code;
	va_start(ap, fmt);
	vsnprintf(j->error, sizeof(j->error), fmt, ap);
	va_end(ap);
}

static bool wanted(struct job *j, const char *topic)
{
	json_t *t;
	size_t i;

	if (j->has_re)
		return regexec(&j->re, topic, 0, NULL, 0) == 0;
	json_array_foreach(j->topics, i, t)
	{
		if (strcmp(json_string_value(t), topic) == 0)
			return true;
	}
	return false;
}

/* The partitions of the connector's topics that exist. */
static rd_kafka_topic_partition_list_t *partitions(struct job *j,
                                                   rd_kafka_t *rk)
{
	const struct rd_kafka_metadata *md;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t e;

	e = rd_kafka_metadata(rk, 1, NULL, &md, SV_REST_OFFSETS_TIMEOUT_MS);
	if (e) {
		set_error(j, 500, "cannot read the cluster's metadata: %s",
		          rd_kafka_err2str(e));
		return NULL;
	}
	l = rd_kafka_topic_partition_list_new(16);
	for (int t = 0; l && t < md->topic_cnt; t++) {
		const struct rd_kafka_metadata_topic *mt = &md->topics[t];

		if (mt->err || !wanted(j, mt->topic))
			continue;
		for (int p = 0; p < mt->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(l, mt->topic,
			                                  mt->partitions[p].id);
	}
	rd_kafka_metadata_destroy(md);
	if (l)
		rd_kafka_topic_partition_list_sort(l, NULL, NULL);
	return l;
}

static void do_get(struct job *j, rd_kafka_t *rk,
                   rd_kafka_topic_partition_list_t *l)
{
	json_t *list = json_array();
	rd_kafka_resp_err_t e;

	if (!list) {
		set_error(j, 500, "out of memory");
		return;
	}
	e = l->cnt ? rd_kafka_committed(rk, l, SV_REST_OFFSETS_TIMEOUT_MS) : 0;
	if (e) {
		json_decref(list);
		set_error(j, 500, "cannot read the committed offsets: %s",
		          rd_kafka_err2str(e));
		return;
	}
	for (int i = 0; i < l->cnt; i++) {
		rd_kafka_topic_partition_t *p = &l->elems[i];
		bool reset = p->metadata &&
		             p->metadata_size == strlen(SV_REST_OFFSETS_MARK) &&
		             memcmp(p->metadata, SV_REST_OFFSETS_MARK,
		                    p->metadata_size) == 0;

		if (p->err || p->offset < 0 || reset)
			continue;
		json_array_append_new(
		    list, json_pack("{s:{s:s,s:i},s:{s:I}}", "partition",
		                    "kafka_topic", p->topic, "kafka_partition",
		                    (int)p->partition, "offset", "kafka_offset",
		                    (json_int_t)p->offset));
	}
	j->result = json_pack("{s:o}", "offsets", list);
	j->code = 200;
}

/* Sets the offset of every partition of l marked for a reset (offset
 * RD_KAFKA_OFFSET_INVALID) to where an uncommitted consumer starts. */
static int reset_positions(struct job *j, rd_kafka_t *rk,
                           rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_topic_partition_list_t *q =
	    rd_kafka_topic_partition_list_new(l->cnt > 0 ? l->cnt : 1);
	rd_kafka_resp_err_t e;
	int rc = -EIO;

	if (!q) {
		set_error(j, 500, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < l->cnt; i++)
		if (l->elems[i].offset == RD_KAFKA_OFFSET_INVALID)
			rd_kafka_topic_partition_list_add(q, l->elems[i].topic,
			                                  l->elems[i].partition)
			    ->offset = j->latest ? RD_KAFKA_OFFSET_END
			                         : RD_KAFKA_OFFSET_BEGINNING;
	if (q->cnt == 0) {
		rc = 0;
		goto out;
	}
	/* one ListOffsets for all of them: -2 earliest, -1 latest */
	e = rd_kafka_offsets_for_times(rk, q, SV_REST_OFFSETS_TIMEOUT_MS);
	if (e) {
		set_error(j, 500, "cannot read the partitions' watermarks: %s",
		          rd_kafka_err2str(e));
		goto out;
	}
	for (int i = 0; i < q->cnt; i++) {
		rd_kafka_topic_partition_t *w = &q->elems[i];
		rd_kafka_topic_partition_t *p =
		    rd_kafka_topic_partition_list_find(l, w->topic,
		                                       w->partition);

		if (w->err || w->offset < 0) {
			set_error(j, 500,
			          "cannot read the watermark of %s-%d: %s",
			          w->topic, (int)w->partition,
			          rd_kafka_err2str(w->err));
			goto out;
		}
		p->offset = w->offset;
		p->metadata = strdup(SV_REST_OFFSETS_MARK);
		p->metadata_size = p->metadata ? strlen(p->metadata) : 0;
	}
	rc = 0;
out:
	rd_kafka_topic_partition_list_destroy(q);
	return rc;
}

/* Commits l; returns the error (0: done), and sets the job's answer only
 * on success. */
static rd_kafka_resp_err_t commit_once(struct job *j, rd_kafka_t *rk,
                                       rd_kafka_topic_partition_list_t *l)
{
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	const rd_kafka_topic_partition_list_t *res;
	rd_kafka_event_t *ev = NULL;
	rd_kafka_resp_err_t e;

	if (!q) {
		set_error(j, 500, "out of memory");
		return RD_KAFKA_RESP_ERR__FAIL;
	}
	/* asynchronous, so that the wait is bounded */
	e = rd_kafka_commit_queue(rk, l, q, NULL, NULL);
	if (!e &&
	    !(ev = rd_kafka_queue_poll(q, SV_REST_OFFSETS_TIMEOUT_MS * 2)))
		e = RD_KAFKA_RESP_ERR__TIMED_OUT;
	if (!e)
		e = rd_kafka_event_error(ev);
	res = !e ? rd_kafka_event_topic_partition_list(ev) : NULL;
	for (int i = 0; res && i < res->cnt && !e; i++)
		e = res->elems[i].err;
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	if (!e)
		j->code = 200;
	return e;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct job *j = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		rd_kafka_assign(rk, parts);
		j->joined = true;
	} else {
		rd_kafka_assign(rk, NULL);
	}
}

/*
 * Joins the group as its only member (the connector is stopped), for a
 * broker that takes commits from members only. librdkafka's mock cluster
 * is one: it keeps a group that had members and then refuses commits from
 * outside it, where Kafka takes them while the group is empty. The join
 * completes when the previous members' sessions have expired (they left,
 * but the mock waits for their session.timeout.ms).
 */
static int join_group(struct job *j, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *all)
{
	rd_kafka_topic_partition_list_t *topics =
	    rd_kafka_topic_partition_list_new(all->cnt);
	int64_t deadline = sv_now_ms() + j->join_ms;
	rd_kafka_resp_err_t e;

	if (!topics)
		return -ENOMEM;
	for (int i = 0; i < all->cnt; i++)
		if (!rd_kafka_topic_partition_list_find(
		        topics, all->elems[i].topic, RD_KAFKA_PARTITION_UA))
			rd_kafka_topic_partition_list_add(
			    topics, all->elems[i].topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e)
		return -EIO;
	while (!j->joined && sv_now_ms() < deadline) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);

		if (m)
			rd_kafka_message_destroy(m);
	}
	return j->joined ? 0 : -ETIMEDOUT;
}

static void commit(struct job *j, rd_kafka_t *rk,
                   rd_kafka_topic_partition_list_t *l,
                   rd_kafka_topic_partition_list_t *all)
{
	rd_kafka_resp_err_t e = commit_once(j, rk, l);

	if ((e == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
	     e == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION) &&
	    join_group(j, rk, all) == 0)
		e = commit_once(j, rk, l);
	if (e && j->code != 500)
		set_error(j, 500, "cannot commit the offsets: %s",
		          rd_kafka_err2str(e));
}

static void do_change(struct job *j, rd_kafka_t *rk,
                      rd_kafka_topic_partition_list_t *all)
{
	rd_kafka_topic_partition_list_t *l;
	json_t *ent;
	size_t i;

	if (j->op == SV_REST_OFFSETS_RESET) {
		l = rd_kafka_topic_partition_list_copy(all);
		for (int k = 0; l && k < l->cnt; k++)
			l->elems[k].offset = RD_KAFKA_OFFSET_INVALID;
	} else {
		l = rd_kafka_topic_partition_list_new(
		    (int)json_array_size(j->alter) + 1);
		json_array_foreach(j->alter, i, ent)
		{
			const char *t =
			    json_string_value(json_array_get(ent, 0));
			int32_t p =
			    (int32_t)json_integer_value(json_array_get(ent, 1));
			json_t *o = json_array_get(ent, 2);

			if (!rd_kafka_topic_partition_list_find(all, t, p)) {
				set_error(
				    j, 400,
				    "The partition %d of topic %s is not one "
				    "of connector %s's (it does not exist, "
				    "or the connector does not consume that "
				    "topic)",
				    (int)p, t, j->conn);
				goto out;
			}
			if (l)
				rd_kafka_topic_partition_list_add(l, t, p)
				    ->offset = json_is_null(o)
				                   ? RD_KAFKA_OFFSET_INVALID
				                   : json_integer_value(o);
		}
	}
	if (!l) {
		set_error(j, 500, "out of memory");
		return;
	}
	if (l->cnt == 0) {
		j->code = 200;
		goto out;
	}
	if (reset_positions(j, rk, l) == 0)
		commit(j, rk, l, all);
out:
	rd_kafka_topic_partition_list_destroy(l);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	rd_kafka_topic_partition_list_t *l = NULL;
	char errstr[512];
	rd_kafka_t *rk;

	rk = rd_kafka_new(RD_KAFKA_CONSUMER, j->conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(j->conf);
		j->conf = NULL;
		set_error(j, 500, "cannot create a consumer: %s", errstr);
		goto out;
	}
	j->conf = NULL; /* rd_kafka_new took it */
	if (!(l = partitions(j, rk)))
		goto out_destroy;
	if (j->op == SV_REST_OFFSETS_GET)
		do_get(j, rk, l);
	else
		do_change(j, rk, l);
	rd_kafka_topic_partition_list_destroy(l);
out_destroy:
	rd_kafka_destroy(rk);
out:
	/* the loop side takes over from here */
	if (write(j->pipe[1], "x", 1) != 1)
		sv_error("SV-REST-OFFSETS", "cannot wake the event loop: %s",
		         strerror(errno));
	return NULL;
}

/* --- the loop side ----------------------------------------------------- */

static void job_free(struct job *j)
{
	if (j->ev)
		event_free(j->ev);
	if (j->pipe[0] != -1)
		close(j->pipe[0]);
	if (j->pipe[1] != -1)
		close(j->pipe[1]);
	if (j->conf)
		rd_kafka_conf_destroy(j->conf);
	if (j->has_re)
		regfree(&j->re);
	json_decref(j->topics);
	json_decref(j->alter);
	json_decref(j->result);
	free(j->conn);
	free(j);
}

static void job_finish(struct job *j)
{
	pthread_join(j->thread, NULL);
	LIST_REMOVE(j, link);
	if (!j->code)
		set_error(j, 500, "the offsets request did not finish");
	if (j->code == 200)
		sv_ulog(SV_LOG_INFO, "SV-REST-OFFSETS", j->conn, -1,
		        "sink offsets of %s %s", j->conn,
		        j->op == SV_REST_OFFSETS_GET     ? "read"
		        : j->op == SV_REST_OFFSETS_RESET ? "reset"
		                                         : "altered");
	j->cb(j->arg, j->code, j->code == 200 ? NULL : j->error, j->result);
	job_free(j);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	char b;

	(void)what;
	if (read(fd, &b, 1) != 1)
		return;
	job_finish(arg);
}

struct sv_rest_offsets *sv_rest_offsets_new(struct event_base *base)
{
	struct sv_rest_offsets *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->base = base;
	LIST_INIT(&o->jobs);
	return o;
}

void sv_rest_offsets_free(struct sv_rest_offsets *o)
{
	struct job *j;

	if (!o)
		return;
	/* the threads' timeouts bound this wait */
	while ((j = LIST_FIRST(&o->jobs)))
		job_finish(j);
	free(o);
}

/* Connector-level consumer.override.* settings. */
static json_t *overrides(json_t *config)
{
	json_t *o = json_object(), *v;
	const char *k;

	json_object_foreach(config, k, v)
	{
		if (o && strncmp(k, "consumer.override.", 18) == 0)
			json_object_set(o, k + 18, v);
	}
	return o;
}

static json_t *split_topics(const char *list)
{
	json_t *a = json_array();
	char *copy = strdup(list ? list : ""), *tok, *save = NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; a && tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && e[-1] == ' ';)
			*--e = '\0';
		if (*tok)
			json_array_append_new(a, json_string(tok));
	}
	free(copy);
	return a;
}

int sv_rest_offsets_run(struct sv_rest_offsets *o, struct sv_kafka *k,
                        const char *conn, json_t *config,
                        enum sv_rest_offsets_op op, json_t *alter,
                        sv_rest_offsets_cb cb, void *arg, char *err,
                        size_t errlen)
{
	struct job *j = calloc(1, sizeof(*j));
	json_t *ov = overrides(config);
	const char *g = json_string_value(json_object_get(ov, "group.id"));
	const char *regex =
	    json_string_value(json_object_get(config, "topics.regex"));
	const char *reset =
	    json_string_value(json_object_get(ov, "auto.offset.reset"));
	const char *session;
	char group[300], client[320];
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
	int rc = -ENOMEM;

	if (!j || !ov || !(j->conn = strdup(conn)))
		goto out_nomem;
	j->o = o;
	j->pipe[0] = j->pipe[1] = -1;
	j->op = op;
	j->cb = cb;
	j->arg = arg;
	/* the group sv_sink uses */
	if (g)
		snprintf(group, sizeof(group), "%s", g);
	else
		snprintf(group, sizeof(group), "connect-%s", conn);
	snprintf(client, sizeof(client), "connector-offsets-%s", conn);
	if (!reset)
		reset = json_string_value(
		    json_object_get(k->w->consumer, "auto.offset.reset"));
	/* the group's session timeout bounds a join (join_group) */
	session = json_string_value(json_object_get(ov, "session.timeout.ms"));
	if (!session)
		session = json_string_value(
		    json_object_get(k->w->consumer, "session.timeout.ms"));
	j->join_ms =
	    (session ? atoll(session) : 45000) + SV_REST_OFFSETS_TIMEOUT_MS;
	if (j->join_ms < SV_REST_OFFSETS_TIMEOUT_MS || j->join_ms > 300000)
		j->join_ms = 50000;
	j->latest = reset && (strcasecmp(reset, "latest") == 0 ||
	                      strcasecmp(reset, "largest") == 0 ||
	                      strcasecmp(reset, "end") == 0);
	if (regex && *regex) {
		/* anchored at the start, as the sink's subscription */
		char *re;
		int e;

		if (asprintf(&re, "^(%s)", regex) < 0)
			goto out_nomem;
		e = regcomp(&j->re, re, REG_EXTENDED | REG_NOSUB);
		free(re);
		if (e) {
			snprintf(err, errlen,
			         "topics.regex %s does not compile", regex);
			rc = -EINVAL;
			goto out_free;
		}
		j->has_re = true;
	} else if (!(j->topics = split_topics(json_string_value(
	                 json_object_get(config, "topics"))))) {
		goto out_nomem;
	}
	if (alter && !(j->alter = json_deep_copy(alter)))
		goto out_nomem;
	if (!(j->conf = sv_kafka_conf(k, NULL, k->w->consumer, ov, fixed, err,
	                              errlen))) {
		rc = -EINVAL;
		goto out_free;
	}
	rd_kafka_conf_set_opaque(j->conf, j);
	rd_kafka_conf_set_rebalance_cb(j->conf, on_rebalance);
	if (pipe2(j->pipe, O_CLOEXEC) == -1 ||
	    !(j->ev = event_new(o->base, j->pipe[0], EV_READ, on_done, j)) ||
	    event_add(j->ev, NULL) == -1) {
		snprintf(err, errlen, "cannot set up the job: %s",
		         strerror(errno));
		rc = -EIO;
		goto out_free;
	}
	if ((rc = pthread_create(&j->thread, NULL, job_main, j))) {
		snprintf(err, errlen, "cannot start a thread: %s",
		         strerror(rc));
		rc = -rc;
		goto out_free;
	}
	LIST_INSERT_HEAD(&o->jobs, j, link);
	json_decref(ov);
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out_free:
	json_decref(ov);
	if (j)
		job_free(j);
	return rc;
}
