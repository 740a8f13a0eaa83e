/* sv_kafka.c: see sv_kafka.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "sv_kafka.h"
#include "sv_log.h"
#include "sv_mock.h"

struct sv_qwatch {
	rd_kafka_queue_t *q;
	int fds[2];
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
};

static void on_qwatch(evutil_socket_t fd, short what, void *arg)
{
	struct sv_qwatch *qw = arg;
	char buf[256];

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	qw->cb(qw->arg);
}

struct sv_qwatch *sv_qwatch_new(struct event_base *base, rd_kafka_queue_t *q,
                                void (*cb)(void *arg), void *arg)
{
	struct sv_qwatch *qw = calloc(1, sizeof(*qw));

	if (!qw)
		return NULL;
	qw->fds[0] = qw->fds[1] = -1;
	qw->q = q;
	qw->cb = cb;
	qw->arg = arg;
	if (pipe2(qw->fds, O_NONBLOCK | O_CLOEXEC) == -1)
		goto out_free;
	qw->ev =
	    event_new(base, qw->fds[0], EV_READ | EV_PERSIST, on_qwatch, qw);
	if (!qw->ev || event_add(qw->ev, NULL) == -1)
		goto out_free;
	rd_kafka_queue_io_event_enable(q, qw->fds[1], "1", 1);
	return qw;
out_free:
	sv_qwatch_free(qw);
	return NULL;
}

/* Consumers closing on threads of their own. */
static pthread_mutex_t closers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t closers_cv = PTHREAD_COND_INITIALIZER;
static int closers;

struct closer {
	rd_kafka_t *rk;
	void *free_after;
};

static void close_now(rd_kafka_t *rk, void *free_after)
{
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	free(free_after);
}

static void *close_thread(void *arg)
{
	struct closer *c = arg;

	close_now(c->rk, c->free_after);
	free(c);
	pthread_mutex_lock(&closers_mu);
	closers--;
	pthread_cond_broadcast(&closers_cv);
	pthread_mutex_unlock(&closers_mu);
	return NULL;
}

void sv_kafka_close_consumer(rd_kafka_t *rk, void *free_after)
{
	struct closer *c = malloc(sizeof(*c));
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;
	int rc = -1;

	if (c && pthread_attr_init(&a) == 0) {
		*c = (struct closer){rk, free_after};
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&closers_mu);
		closers++;
		pthread_mutex_unlock(&closers_mu);
		/* signals stay with the event loop */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&t, &a, close_thread, c);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&a);
		if (rc) {
			pthread_mutex_lock(&closers_mu);
			closers--;
			pthread_mutex_unlock(&closers_mu);
		}
	}
	if (rc) {
		free(c);
		close_now(rk, free_after);
	}
}

void sv_kafka_wait_closers(void)
{
	pthread_mutex_lock(&closers_mu);
	while (closers)
		pthread_cond_wait(&closers_cv, &closers_mu);
	pthread_mutex_unlock(&closers_mu);
}

void sv_qwatch_free(struct sv_qwatch *qw)
{
	if (!qw)
		return;
	if (qw->q) {
		rd_kafka_queue_io_event_enable(qw->q, -1, NULL, 0);
		rd_kafka_queue_destroy(qw->q);
	}
	if (qw->ev)
		event_free(qw->ev);
	if (qw->fds[0] != -1)
		close(qw->fds[0]);
	if (qw->fds[1] != -1)
		close(qw->fds[1]);
	free(qw);
}

bool sv_kafka_topic_valid(const char *name, size_t len)
{
	if (len == 0 || len > 249)
		return false;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* librdkafka threads call this: it only writes a line. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
	int lv = level <= LOG_ERR       ? SV_LOG_ERROR
	         : level <= LOG_WARNING ? SV_LOG_WARN
	         : level <= LOG_INFO    ? SV_LOG_INFO
	                                : SV_LOG_DEBUG;

	if (sv_log_level >= lv)
		sv_log_write(lv, 'S', "SV-KAFKA-LOG", NULL, -1, "%s %s: %s",
		             rd_kafka_name(rk), fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)opaque;
	/* transport errors repeat while a broker is away: keep them at
	 * warning level, they are not ours to fix */
	if (err == RD_KAFKA_RESP_ERR__FATAL)
		sv_error("SV-KAFKA-FATAL", "%s: fatal error: %s",
		         rd_kafka_name(rk), reason);
	else
		sv_warn("SV-KAFKA-ERROR", "%s: %s: %s", rd_kafka_name(rk),
		        rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
	struct sv_delivery *d = m->_private;

	(void)rk;
	(void)opaque;
	if (d)
		d->fn(d, m);
}

/* Java's sasl.jaas.config carries the credentials librdkafka wants as
 * sasl.username and sasl.password. */
static int set_jaas(rd_kafka_conf_t *conf, const char *jaas)
{
	static const char *const keys[] = {"username", "password"};
	char errstr[256];

	for (size_t i = 0; i < 2; i++) {
		char pat[32], val[1024], name[32];
		const char *p;
		size_t n;

		snprintf(pat, sizeof(pat), "%s=\"", keys[i]);
		if (!(p = strstr(jaas, pat)))
			continue;
		p += strlen(pat);
		n = strcspn(p, "\"");
		if (n >= sizeof(val))
			return -EINVAL;
		memcpy(val, p, n);
		val[n] = '\0';
		snprintf(name, sizeof(name), "sasl.%s", keys[i]);
		if (rd_kafka_conf_set(conf, name, val, errstr,
		                      sizeof(errstr)) != RD_KAFKA_CONF_OK)
			return -EINVAL;
	}
	return 0;
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v,
                    char *err, size_t errlen)
{
	char errstr[512];
	rd_kafka_conf_res_t r;

	if (strcmp(k, "sasl.jaas.config") == 0) {
		if (set_jaas(conf, v) == 0)
			return 0;
		snprintf(err, errlen, "cannot use sasl.jaas.config");
		return -EINVAL;
	}
	r = rd_kafka_conf_set(conf, k, v, errstr, sizeof(errstr));
	if (r == RD_KAFKA_CONF_OK)
		return 0;
	if (r == RD_KAFKA_CONF_UNKNOWN) {
		sv_warn("SV-KAFKA-CONF-UNKNOWN",
		        "ignoring client setting %s: librdkafka has no such "
		        "property",
		        k);
		return 0;
	}
	snprintf(err, errlen, "invalid client setting %s=%s: %s", k, v, errstr);
	return -EINVAL;
}

static int conf_set_all(rd_kafka_conf_t *conf, json_t *obj, char *err,
                        size_t errlen)
{
	const char *k;
	json_t *v;

	if (!obj)
		return 0;
	json_object_foreach(obj, k, v)
	{
		if (!json_is_string(v))
			continue;
		if (conf_set(conf, k, json_string_value(v), err, errlen))
			return -EINVAL;
	}
	return 0;
}

static int conf_set_pairs(rd_kafka_conf_t *conf, const char *const *kv,
                          char *err, size_t errlen)
{
	for (; kv && kv[0]; kv += 2)
		if (conf_set(conf, kv[0], kv[1], err, errlen))
			return -EINVAL;
	return 0;
}

rd_kafka_conf_t *sv_kafka_conf(struct sv_kafka *k, const char *const *dflts,
                               json_t *section, json_t *overrides,
                               const char *const *fixed, char *err,
                               size_t errlen)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	if (!conf) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_error_cb(conf, on_error);
	if (conf_set(conf, "bootstrap.servers", k->w->bootstrap, err, errlen) ||
	    conf_set_pairs(conf, dflts, err, errlen) ||
	    conf_set_all(conf, k->w->client, err, errlen) ||
	    conf_set_all(conf, section, err, errlen) ||
	    conf_set_all(conf, overrides, err, errlen) ||
	    conf_set_pairs(conf, fixed, err, errlen)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

/* embedded.topics=name:partitions[:replication],...: topics the embedded
 * cluster creates at start (it auto-creates others with 4 partitions). */
static int create_embedded_topics(struct sv_kafka *k, char *err, size_t errlen)
{
	const char *spec = sv_worker_get(k->w, "embedded.topics");
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (!spec || !*spec)
		return 0;
	if (!(copy = strdup(spec)))
		return -ENOMEM;
	for (tok = strtok_r(copy, ", ", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ", ", &save)) {
		char *c1 = strchr(tok, ':'), *c2 = NULL;
		int parts = 1, repl = -1;

		if (c1) {
			*c1++ = '\0';
			parts = atoi(c1);
			if ((c2 = strchr(c1, ':')))
				repl = atoi(c2 + 1);
		}
		rc = sv_mock_topic_check(sv_mock_nbrokers(k->mock), tok, parts,
		                         repl, err, errlen);
		if (rc == 0)
			rc = sv_mock_topic_create(k->mock, tok, parts, repl);
		if (rc && rc != -EEXIST && !*err)
			snprintf(err, errlen,
			         "embedded.topics: cannot create %s", tok);
		if (rc == -EEXIST)
			rc = 0;
	}
	free(copy);
	return rc;
}

static void serve_producer(void *arg)
{
	struct sv_kafka *k = arg;

	rd_kafka_poll(k->producer, 0);
	if (k->after_poll)
		k->after_poll(k->after_poll_arg);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	serve_producer(arg);
}

/* A numeric setting of a client's config; 0 if it has none. */
static size_t conf_size(rd_kafka_t *rk, const char *key)
{
	char v[32];
	size_t n = sizeof(v);

	if (rd_kafka_conf_get(rd_kafka_conf(rk), key, v, &n) !=
	    RD_KAFKA_CONF_OK)
		return 0;
	return (size_t)strtoull(v, NULL, 10);
}

/*
 * The producer's partitioner when it is murmur2_random: that one, and it
 * notes the partition count of the topic (the topic's opaque, set by
 * sv_kafka_topic; NULL for a topic librdkafka created on its own).
 * librdkafka calls it from the producing thread and from its own threads
 * (records that waited for the topic's metadata).
 */
static int32_t count_partitions(const rd_kafka_topic_t *rkt, const void *key,
                                size_t keylen, int32_t cnt, void *rkt_opaque,
                                void *msg_opaque)
{
	struct sv_ktopic *t = rkt_opaque;

	if (t)
		atomic_store_explicit(&t->partitions, cnt,
		                      memory_order_relaxed);
	return rd_kafka_msg_partitioner_murmur2_random(rkt, key, keylen, cnt,
	                                               rkt_opaque, msg_opaque);
}

/* Installs count_partitions if the configured partitioner is
 * murmur2_random (the default); any other is left to librdkafka alone. */
static void hook_partitioner(struct sv_kafka *k, rd_kafka_conf_t *conf)
{
	rd_kafka_topic_conf_t *tc = rd_kafka_conf_get_default_topic_conf(conf);
	char v[64];
	size_t n = sizeof(v);

	k->keyed_partitions = false;
	if (!tc ||
	    rd_kafka_topic_conf_get(tc, "partitioner", v, &n) !=
	        RD_KAFKA_CONF_OK ||
	    strcmp(v, "murmur2_random") != 0)
		return;
	rd_kafka_topic_conf_set_partitioner_cb(tc, count_partitions);
	k->keyed_partitions = true;
}

struct sv_ktopic *sv_kafka_topic(struct sv_kafka *k, const char *p, size_t n)
{
	rd_kafka_topic_conf_t *tc;
	struct sv_ktopic *t;

	for (t = k->topics; t; t = t->next)
		if (strlen(t->name) == n && memcmp(t->name, p, n) == 0)
			return t;
	if (!(t = calloc(1, sizeof(*t) + n + 1)))
		return NULL;
	memcpy(t->name, p, n);
	atomic_init(&t->partitions, 0);
	if (!(tc = rd_kafka_default_topic_conf_dup(k->producer))) {
		free(t);
		return NULL;
	}
	/* if librdkafka already has this topic, it keeps the topic's
	 * config (and opaque) and destroys tc */
	rd_kafka_topic_conf_set_opaque(tc, t);
	if (!(t->rkt = rd_kafka_topic_new(k->producer, t->name, tc))) {
		free(t);
		return NULL;
	}
	t->next = k->topics;
	k->topics = t;
	return t;
}

int sv_kafka_init(struct sv_kafka *k, struct event_base *base,
                  struct sv_worker *w, char *err, size_t errlen)
{
	/* Kafka Connect's source producer: acks=all and retry forever, so
	 * nothing acknowledged is ever dropped; idempotence keeps order and
	 * avoids duplicates from retries. */
	static const char *const dflts[] = {
	    "acks",
	    "all",
	    "enable.idempotence",
	    "true",
	    "linger.ms",
	    "5",
	    "message.timeout.ms",
	    "0",
	    /* Java's partitioner: a keyed record lands where Kafka Connect
	     * (and every Java producer) puts it */
	    "partitioner",
	    "murmur2_random",
	    "client.id",
	    "sluiced-producer",
	    NULL,
	};
	static const struct timeval tick = {0, 100000};
	rd_kafka_conf_t *conf;
	char errstr[512];

	memset(k, 0, sizeof(*k));
	k->base = base;
	k->w = w;
	if (w->embedded) {
		k->mock = sv_mock_new(w->embedded_brokers, err, errlen);
		if (!k->mock)
			return -EIO;
		free(w->bootstrap_owned);
		if (!(w->bootstrap_owned = strdup(sv_mock_bootstraps(k->mock))))
			goto out_nomem;
		w->bootstrap = w->bootstrap_owned;
		err[0] = '\0';
		if (create_embedded_topics(k, err, errlen))
			goto out_fail;
		sv_warn("SV-EMBEDDED-KAFKA",
		        "EMBEDDED KAFKA at %s: an in-process test cluster; "
		        "data lives in memory only and is LOST when sluiced "
		        "stops. Set bootstrap.servers to use a real cluster.",
		        w->bootstrap);
	}
	if (!(conf = sv_kafka_conf(k, dflts, w->producer, NULL, NULL, err,
	                           errlen)))
		goto out_fail;
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	hook_partitioner(k, conf);
	k->producer =
	    rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!k->producer) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot create the producer: %s", errstr);
		goto out_fail;
	}
	k->max_msg = conf_size(k->producer, "message.max.bytes");
	k->pwatch = sv_qwatch_new(base, rd_kafka_queue_get_main(k->producer),
	                          serve_producer, k);
	k->tick = event_new(base, -1, EV_PERSIST, on_tick, k);
	if (!k->pwatch || !k->tick || event_add(k->tick, &tick) == -1)
		goto out_nomem;
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
out_fail:
	sv_kafka_fini(k, 0);
	return -EIO;
}

void sv_kafka_fini(struct sv_kafka *k, int timeout_ms)
{
	/* sinks' consumers still leaving their groups need the cluster */
	sv_kafka_wait_closers();
	if (k->tick)
		event_free(k->tick);
	k->tick = NULL;
	if (k->producer) {
		rd_kafka_resp_err_t e = rd_kafka_flush(k->producer, timeout_ms);

		if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
			sv_warn("SV-KAFKA-FLUSH",
			        "%d messages not delivered at shutdown",
			        rd_kafka_outq_len(k->producer));
	}
	sv_qwatch_free(k->pwatch);
	k->pwatch = NULL;
	for (struct sv_ktopic *t = k->topics; t; t = t->next)
		rd_kafka_topic_destroy(t->rkt);
	if (k->producer)
		rd_kafka_destroy(k->producer);
	k->producer = NULL;
	/* librdkafka may call the partitioner with a topic's opaque until
	 * it is destroyed */
	while (k->topics) {
		struct sv_ktopic *t = k->topics;

		k->topics = t->next;
		free(t);
	}
	sv_mock_free(k->mock);
	k->mock = NULL;
}
