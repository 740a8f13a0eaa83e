/* sv_cluster.c: see sv_cluster.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "sv_cluster.h"
#include "sv_herder.h"
#include "sv_log.h"
#include "sv_mock.h"
#include "sv_offsets.h"
#include "sv_unit.h"

#define CL_CATCHUP_MS 60000
#define CL_FLUSH_MS   10000

enum { T_CONFIG, T_OFFSET, T_STATUS, NTOPICS };

/* one partition of an internal topic the reader follows */
struct cl_part {
	int topic;
	int32_t partition;
	int64_t pos;    /* next offset to read */
	int64_t target; /* end offset to reach for the current catch-up */
};

/* a config topic write waiting to be read back */
struct cl_wait {
	struct sv_cluster *c;
	sv_cluster_cb cb;
	void *arg;
	int64_t offset; /* -1 until delivered */
	TAILQ_ENTRY(cl_wait) link;
};

struct sv_cluster {
	struct sv_ctx *ctx;
	struct sv_herder *h;
	char *group;
	char *topics[NTOPICS];
	int partitions[NTOPICS];
	int replication[NTOPICS];
	char *slots_topic;
	int nslots;
	char *url;
	char *worker_id;

	rd_kafka_t *prod;   /* internal writes */
	rd_kafka_t *reader; /* reads the three topics */
	rd_kafka_t *member; /* the group */
	struct sv_qwatch *wprod, *wreader, *wmember;
	struct event *tick;

	struct cl_part *parts;
	size_t nparts;
	bool catching_up;
	bool started; /* the first catch-up is done: records are live */

	enum sv_cluster_role role;
	unsigned char *owned; /* nslots flags, valid while assigned */
	bool assigned;
	bool revoking;
	bool closing;
	int generation;

	char *leader_id;
	char *leader_url;

	/* views of the config topic */
	json_t *slots;       /* name -> {"connector":s,"tasks":[...]} */
	json_t *task_buf;    /* name -> {"<n>": config} not yet committed */
	json_t *committed;   /* name -> [task configs] */
	json_t *conn_off;    /* name -> offset of its latest connector record */
	json_t *proposals;   /* name -> [offset, [task configs]] */
	json_t *status;      /* status key -> value */
	int64_t cfg_pos;     /* next config offset to read */
	int offset_failures; /* offset writes that failed since the last sync */
	int offsets_inflight;
	bool offsets_waited; /* a nowait sync is waiting for them */

	TAILQ_HEAD(, cl_wait) waits;
};

/* --- small things ------------------------------------------------------- */

enum sv_cluster_role sv_cluster_role(const struct sv_cluster *c)
{
	return c->role;
}

const char *sv_cluster_leader_url(const struct sv_cluster *c)
{
	if (c->role == SV_CLUSTER_LEADER)
		return c->url;
	if (c->role != SV_CLUSTER_FOLLOWER)
		return NULL;
	/* a record of this member's own older leadership is stale */
	if (c->leader_id && strcmp(c->leader_id, c->worker_id) == 0)
		return NULL;
	return c->leader_url;
}

const char *sv_cluster_leader_id(const struct sv_cluster *c)
{
	if (c->role == SV_CLUSTER_LEADER)
		return c->worker_id;
	return c->leader_id;
}

const char *sv_cluster_url(const struct sv_cluster *c)
{
	return c->url;
}

static const char *wget(struct sv_cluster *c, const char *key)
{
	return sv_worker_get(c->ctx->w, key);
}

static int int_key(struct sv_cluster *c, const char *key, long dflt, long min,
                   long max, long *out, char *err, size_t errlen)
{
	const char *s = wget(c, key);
	char *end;
	long v;

	*out = dflt;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		snprintf(err, errlen, "%s: %s=%s: not an integer in [%ld, %ld]",
		         c->ctx->w->path, key, s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static char *unit_key(const char *prefix, const char *conn, int task)
{
	char *k = NULL;

	if (task < 0) {
		if (asprintf(&k, "%s-connector-%s", prefix, conn) < 0)
			return NULL;
	} else if (asprintf(&k, "%s-task-%s-%d", prefix, conn, task) < 0) {
		return NULL;
	}
	return k;
}

/* "<name>-<n>" -> name (malloc'd) and n; NULL if there is no -<n>. */
static char *split_task(const char *s, size_t len, int *task)
{
	const char *dash = NULL;
	char *end, *name;
	long n;

	for (size_t i = len; i > 0; i--)
		if (s[i - 1] == '-') {
			dash = s + i - 1;
			break;
		}
	if (!dash || dash == s || dash + 1 == s + len)
		return NULL;
	errno = 0;
	n = strtol(dash + 1, &end, 10);
	if (errno || end != s + len || n < 0 || n > 100000)
		return NULL;
	if (!(name = strndup(s, (size_t)(dash - s))))
		return NULL;
	*task = (int)n;
	return name;
}

/* --- writes -------------------------------------------------------------- */

static void check_waits(struct sv_cluster *c)
{
	struct cl_wait *w, *next;

	for (w = TAILQ_FIRST(&c->waits); w; w = next) {
		next = TAILQ_NEXT(w, link);
		if (w->offset < 0 || w->offset >= c->cfg_pos)
			continue;
		TAILQ_REMOVE(&c->waits, w, link);
		if (w->cb)
			w->cb(w->arg, 0, NULL);
		free(w);
	}
}

/* msg_opaque of internal writes: a cl_wait, or one of these markers */
static char offset_marker;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque)
{
	struct sv_cluster *c = opaque;
	void *p = m->_private;

	(void)rk;
	if (p == &offset_marker) {
		if (m->err)
			c->offset_failures++;
		if (--c->offsets_inflight == 0 && c->offsets_waited) {
			c->offsets_waited = false;
			if (c->offset_failures)
				sv_error("SV-OFFSETS-FLUSH",
				         "%d offset record(s) not written",
				         c->offset_failures);
			else if (c->h)
				sv_herder_offsets_durable(c->h);
			c->offset_failures = 0;
		}
		return;
	}
	if (m->err)
		sv_error("SV-CLUSTER-WRITE", "cannot write to %s: %s",
		         rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err));
	if (!p)
		return;
	struct cl_wait *w = p;

	if (m->err) {
		TAILQ_REMOVE(&c->waits, w, link);
		if (w->cb)
			w->cb(w->arg, 500, rd_kafka_err2str(m->err));
		free(w);
		return;
	}
	w->offset = m->offset;
	check_waits(c);
}

static int produce(struct sv_cluster *c, int topic, const char *key,
                   json_t *value, void *opaque)
{
	char *v = value ? json_dumps(value, JSON_COMPACT) : NULL;
	rd_kafka_resp_err_t e;

	if (value && !v)
		return -ENOMEM;
	e = rd_kafka_producev(c->prod, RD_KAFKA_V_TOPIC(c->topics[topic]),
	                      RD_KAFKA_V_KEY(key, strlen(key)),
	                      RD_KAFKA_V_VALUE(v, v ? strlen(v) : 0),
	                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	                      RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
	free(v);
	if (e) {
		sv_error("SV-CLUSTER-WRITE", "cannot write %s to %s: %s", key,
		         c->topics[topic], rd_kafka_err2str(e));
		return -EIO;
	}
	return 0;
}

/* A config record; the last of a write carries the wait. */
static int put_config(struct sv_cluster *c, const char *key, json_t *value,
                      sv_cluster_cb cb, void *arg, bool last)
{
	struct cl_wait *w = NULL;
	int rc;

	if (last) {
		if (!(w = calloc(1, sizeof(*w))))
			return -ENOMEM;
		w->c = c;
		w->cb = cb;
		w->arg = arg;
		w->offset = -1;
		TAILQ_INSERT_TAIL(&c->waits, w, link);
	}
	rc = produce(c, T_CONFIG, key, value, w);
	if (rc && w) {
		TAILQ_REMOVE(&c->waits, w, link);
		free(w);
	}
	return rc;
}

static int put_configf(struct sv_cluster *c, json_t *value, sv_cluster_cb cb,
                       void *arg, bool last, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int put_configf(struct sv_cluster *c, json_t *value, sv_cluster_cb cb,
                       void *arg, bool last, const char *fmt, ...)
{
	char key[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(key, sizeof(key), fmt, ap);
	va_end(ap);
	rc = put_config(c, key, value, cb, arg, last);
	json_decref(value);
	return rc;
}

static int offsets_writer(void *arg, const char *key, const char *value,
                          bool wait)
{
	struct sv_cluster *c = arg;
	rd_kafka_resp_err_t e;
	int failed;

	if (!key && !wait) {
		/* the herder hears of them (sv_herder_offsets_durable) */
		if (c->offsets_inflight == 0 && !c->offset_failures)
			return 0;
		c->offsets_waited = true;
		return -EINPROGRESS;
	}
	if (!key) {
		e = rd_kafka_flush(c->prod, CL_FLUSH_MS);
		failed = c->offset_failures;
		c->offset_failures = 0;
		if (e)
			return -ETIMEDOUT;
		return failed ? -EIO : 0;
	}
	e = rd_kafka_producev(
	    c->prod, RD_KAFKA_V_TOPIC(c->topics[T_OFFSET]),
	    RD_KAFKA_V_KEY(key, strlen(key)),
	    RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_OPAQUE(&offset_marker), RD_KAFKA_V_END);
	if (e)
		return -EIO;
	c->offsets_inflight++;
	return 0;
}

/* --- slots --------------------------------------------------------------- */

static bool slot_used(struct sv_cluster *c, int s)
{
	const char *name;
	json_t *v, *t;
	size_t i;

	if (s == 0)
		return true;
	json_object_foreach(c->slots, name, v)
	{
		if (json_integer_value(json_object_get(v, "connector")) == s)
			return true;
		json_array_foreach(json_object_get(v, "tasks"), i, t)
		{
			if (json_integer_value(t) == s)
				return true;
		}
	}
	return false;
}

static int free_slot(struct sv_cluster *c, json_t *also_taken)
{
	for (int s = 1; s < c->nslots; s++) {
		bool taken = slot_used(c, s);
		size_t i;
		json_t *t;

		json_array_foreach(also_taken, i, t)
		{
			taken |= json_integer_value(t) == s;
		}
		if (!taken)
			return s;
	}
	return -1;
}

static json_t *slots_of(struct sv_cluster *c, const char *name)
{
	return json_object_get(c->slots, name);
}

bool sv_cluster_owns(struct sv_cluster *c, const char *conn, int task)
{
	json_t *s = slots_of(c, conn);
	json_int_t slot;

	if (!c->assigned || c->revoking || !s)
		return false;
	if (task < 0)
		slot = json_integer_value(json_object_get(s, "connector"));
	else
		slot = json_integer_value(
		    json_array_get(json_object_get(s, "tasks"), (size_t)task));
	if (slot <= 0 || slot >= c->nslots)
		return false;
	if (task >= 0 &&
	    (size_t)task >= json_array_size(json_object_get(s, "tasks")))
		return false;
	return c->owned[slot];
}

/* --- leader writes ---------------------------------------------------------
 */

static bool leading(struct sv_cluster *c)
{
	return c->role == SV_CLUSTER_LEADER && !c->closing;
}

static json_t *target_json(const char *target)
{
	/* Kafka Connect: "state" for older readers (STOPPED reads as
	 * PAUSED there), "state.v2" the real one */
	const char *v2 = strcmp(target, "RUNNING") == 0  ? "STARTED"
	                 : strcmp(target, "PAUSED") == 0 ? "PAUSED"
	                                                 : "STOPPED";

	return json_pack("{s:s,s:s}", "state",
	                 strcmp(v2, "STARTED") == 0 ? "STARTED" : "PAUSED",
	                 "state.v2", v2);
}

int sv_cluster_put_connector(struct sv_cluster *c, const char *name,
                             json_t *config, const char *target,
                             sv_cluster_cb cb, void *arg, char *err,
                             size_t errlen)
{
	json_t *s = slots_of(c, name);
	int slot = -1, rc;

	if (!leading(c)) {
		snprintf(err, errlen, "this member is not the leader");
		return -EAGAIN;
	}
	if (!s && (slot = free_slot(c, NULL)) < 0) {
		snprintf(err, errlen,
		         "no free slot for connector %s: the cluster has %d "
		         "(sluice.slots.topic.partitions)",
		         name, c->nslots - 1);
		return -ENOSPC;
	}
	if (target && (rc = put_configf(c, target_json(target), NULL, NULL,
	                                false, "target-state-%s", name)))
		return rc;
	/* the slot first: members start the connector when they read it */
	if (!s) {
		s = json_pack("{s:i,s:[]}", "connector", slot, "tasks");
		json_object_set(c->slots, name, s);
		if ((rc = put_configf(c, s, NULL, NULL, false,
		                      "sluice-slots-%s", name)))
			return rc;
	}
	return put_configf(c, json_pack("{s:O}", "properties", config), cb, arg,
	                   true, "connector-%s", name);
}

int sv_cluster_set_target(struct sv_cluster *c, const char *name,
                          const char *target, sv_cluster_cb cb, void *arg)
{
	int rc;

	if (!leading(c))
		return -EAGAIN;
	if (strcmp(target, "STOPPED") != 0)
		return put_configf(c, target_json(target), cb, arg, true,
		                   "target-state-%s", name);
	/* as Kafka Connect: a stopped connector has no task configs */
	if ((rc = put_configf(c, target_json(target), NULL, NULL, false,
	                      "target-state-%s", name)))
		return rc;
	return put_configf(c, json_pack("{s:i}", "tasks", 0), cb, arg, true,
	                   "commit-%s", name);
}

int sv_cluster_delete(struct sv_cluster *c, const char *name, int ntasks,
                      sv_cluster_cb cb, void *arg)
{
	int rc;

	if (!leading(c))
		return -EAGAIN;
	for (int i = -1; i < ntasks; i++) {
		char *k = unit_key("status", name, i);

		if (k)
			produce(c, T_STATUS, k, NULL, NULL);
		free(k);
	}
	if ((rc = put_configf(c, NULL, NULL, NULL, false, "target-state-%s",
	                      name)) ||
	    (rc = put_configf(c, NULL, NULL, NULL, false, "sluice-slots-%s",
	                      name)))
		return rc;
	return put_configf(c, NULL, cb, arg, true, "connector-%s", name);
}

int sv_cluster_restart(struct sv_cluster *c, const char *name, int task,
                       bool include_tasks, bool only_failed)
{
	if (!leading(c))
		return -EAGAIN;
	if (task >= 0)
		return put_configf(c, json_object(), NULL, NULL, false,
		                   "sluice-restart-task-%s-%d", name, task);
	return put_configf(c,
	                   json_pack("{s:b,s:b}", "include-tasks",
	                             include_tasks, "only-failed", only_failed),
	                   NULL, NULL, false, "restart-connector-%s", name);
}

int sv_cluster_propose_tasks(struct sv_cluster *c, const char *name,
                             json_t *configs)
{
	if (c->closing)
		return -ESHUTDOWN;
	return put_configf(c, json_pack("{s:O}", "tasks", configs), NULL, NULL,
	                   false, "sluice-tasks-%s", name);
}

/* Leader: task configs proposed for a connector become its tasks. */
static void handle_proposal(struct sv_cluster *c, const char *name)
{
	json_t *p = json_object_get(c->proposals, name);
	json_t *configs = json_array_get(p, 1), *s, *old, *tslots;
	json_int_t at = json_integer_value(json_array_get(p, 0));
	json_t *cur = json_object_get(c->committed, name);
	size_t n = json_array_size(configs);

	if (!p || !leading(c))
		return;
	/* older than the connector's config, or already done */
	if (!json_object_get(c->conn_off, name) ||
	    at < json_integer_value(json_object_get(c->conn_off, name)) ||
	    (cur && json_equal(cur, configs)) || !(s = slots_of(c, name))) {
		json_object_del(c->proposals, name);
		return;
	}
	old = json_object_get(s, "tasks");
	if (!(tslots = json_array()))
		return;
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(old, i);
		int slot =
		    t ? (int)json_integer_value(t) : free_slot(c, tslots);

		if (slot < 0) {
			sv_error(
			    "SV-CLUSTER-SLOTS",
			    "connector %s: no free slot for task %zu: the "
			    "cluster has %d (sluice.slots.topic.partitions)",
			    name, i, c->nslots - 1);
			json_decref(tslots);
			json_object_del(c->proposals, name);
			return;
		}
		json_array_append_new(tslots, json_integer(slot));
	}
	for (size_t i = 0; i < n; i++)
		put_configf(c,
		            json_pack("{s:O}", "properties",
		                      json_array_get(configs, i)),
		            NULL, NULL, false, "task-%s-%zu", name, i);
	s = json_pack("{s:O,s:o}", "connector", json_object_get(s, "connector"),
	              "tasks", tslots);
	json_object_set(c->slots, name, s);
	put_configf(c, s, NULL, NULL, false, "sluice-slots-%s", name);
	put_configf(c, json_pack("{s:i}", "tasks", (int)n), NULL, NULL, false,
	            "commit-%s", name);
	sv_info("SV-CLUSTER-TASKS", "connector %s: %zu task config(s) written",
	        name, n);
	json_object_del(c->proposals, name);
}

/*
 * Leader: a connector, or committed tasks, without slots (records that
 * Kafka Connect wrote, or a slots record lost) get them.
 */
static void fix_slots(struct sv_cluster *c, const char *name)
{
	json_t *s = slots_of(c, name), *tslots, *old;
	size_t n = json_array_size(json_object_get(c->committed, name));
	int cslot;

	if (!leading(c) || !json_object_get(c->conn_off, name))
		return;
	old = json_object_get(s, "tasks");
	if (s && json_array_size(old) >= n)
		return;
	cslot = s ? (int)json_integer_value(json_object_get(s, "connector"))
	          : free_slot(c, NULL);
	if (cslot < 0 || !(tslots = json_array()))
		goto full;
	json_array_append_new(tslots, json_integer(cslot));
	for (size_t i = 0; i < n; i++) {
		json_t *t = json_array_get(old, i);
		int slot =
		    t ? (int)json_integer_value(t) : free_slot(c, tslots);

		if (slot < 0) {
			json_decref(tslots);
			goto full;
		}
		json_array_append_new(tslots, json_integer(slot));
	}
	json_array_remove(tslots, 0);
	s = json_pack("{s:i,s:o}", "connector", cslot, "tasks", tslots);
	json_object_set(c->slots, name, s);
	put_configf(c, s, NULL, NULL, false, "sluice-slots-%s", name);
	sv_info("SV-CLUSTER-SLOTS", "connector %s: slots for %zu task(s)", name,
	        n);
	return;
full:
	sv_error("SV-CLUSTER-SLOTS",
	         "connector %s: no free slot: the cluster has %d "
	         "(sluice.slots.topic.partitions)",
	         name, c->nslots - 1);
}

static void fix_all_slots(struct sv_cluster *c)
{
	const char *name;
	json_t *v;

	json_object_foreach(c->conn_off, name, v)
	{
		(void)v;
		fix_slots(c, name);
	}
}

static void handle_proposals(struct sv_cluster *c)
{
	const char *name;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(c->proposals, tmp, name, v)
	{
		(void)v;
		handle_proposal(c, name);
	}
}

/* --- status ----------------------------------------------------------------
 */

void sv_cluster_put_status(struct sv_cluster *c, const char *conn, int task,
                           const char *state, const char *trace, bool safe)
{
	char *k = unit_key("status", conn, task);
	json_t *cur, *v;

	if (!k)
		return;
	cur = json_object_get(c->status, k);
	if (safe && cur &&
	    strcmp(json_string_value(json_object_get(cur, "worker_id"))
	               ? json_string_value(json_object_get(cur, "worker_id"))
	               : "",
	           c->worker_id) != 0) {
		free(k);
		return;
	}
	v = json_pack("{s:s,s:s?,s:s,s:i}", "state", state, "trace", trace,
	              "worker_id", c->worker_id, "generation", c->generation);
	if (v) {
		json_object_set(c->status, k, v);
		produce(c, T_STATUS, k, v, NULL);
		json_decref(v);
	}
	free(k);
}

json_t *sv_cluster_status(struct sv_cluster *c, const char *conn, int task)
{
	char *k = unit_key("status", conn, task);
	json_t *v = k ? json_object_get(c->status, k) : NULL;

	free(k);
	return v;
}

/* --- reading the topics
 * ------------------------------------------------------- */

static json_t *parse(const rd_kafka_message_t *m)
{
	json_error_t e;

	if (!m->payload)
		return NULL;
	return json_loadb(m->payload, m->len, JSON_DECODE_ANY, &e);
}

static bool has_prefix(const char *key, size_t klen, const char *p, size_t *n)
{
	*n = strlen(p);
	return klen > *n && memcmp(key, p, *n) == 0;
}

/* Kafka Connect's config values are strings; sluice's too. */
static json_t *properties(json_t *v)
{
	json_t *p = json_object_get(v, "properties");

	return json_is_object(p) ? p : NULL;
}

static const char *target_of(json_t *v)
{
	const char *s = json_string_value(json_object_get(v, "state.v2"));

	if (!s)
		s = json_string_value(json_object_get(v, "state"));
	if (!s)
		return NULL;
	if (strcmp(s, "STARTED") == 0)
		return "RUNNING";
	if (strcmp(s, "PAUSED") == 0 || strcmp(s, "STOPPED") == 0)
		return s;
	return NULL;
}

static void on_commit(struct sv_cluster *c, const char *name, json_t *v)
{
	json_t *buf = json_object_get(c->task_buf, name);
	json_int_t n = json_integer_value(json_object_get(v, "tasks"));
	json_t *configs = json_array();
	char idx[24];

	if (!configs || n < 0)
		goto out;
	for (json_int_t i = 0; i < n; i++) {
		json_t *t;

		snprintf(idx, sizeof(idx), "%" JSON_INTEGER_FORMAT, i);
		if (!(t = json_object_get(buf, idx))) {
			sv_warn("SV-CLUSTER-CONFIG",
			        "connector %s: commit of %" JSON_INTEGER_FORMAT
			        " tasks without task %s: ignored",
			        name, n, idx);
			goto out;
		}
		json_array_append(configs, t);
	}
	json_object_set(c->committed, name, configs);
	if (c->started)
		fix_slots(c, name);
	if (c->h)
		sv_herder_cl_tasks(c->h, name, configs);
out:
	json_decref(configs);
}

static void on_config(struct sv_cluster *c, const rd_kafka_message_t *m)
{
	const char *key = m->key;
	size_t klen = m->key_len, n;
	json_t *v = parse(m);
	char *name = NULL;
	int task;

	if (!key)
		goto out;
	if (has_prefix(key, klen, "connector-", &n)) {
		if (!(name = strndup(key + n, klen - n)))
			goto out;
		if (v && !properties(v))
			goto bad;
		if (v) {
			json_object_set_new(c->conn_off, name,
			                    json_integer(m->offset));
			if (c->started)
				fix_slots(c, name);
		} else {
			json_object_del(c->conn_off, name);
			json_object_del(c->committed, name);
			json_object_del(c->task_buf, name);
			json_object_del(c->proposals, name);
		}
		if (c->h)
			sv_herder_cl_connector(c->h, name,
			                       v ? properties(v) : NULL);
	} else if (has_prefix(key, klen, "target-state-", &n)) {
		const char *t = v ? target_of(v) : NULL;

		if (!(name = strndup(key + n, klen - n)))
			goto out;
		if (v && !t)
			goto bad;
		if (t && c->h)
			sv_herder_cl_target(c->h, name, t);
	} else if (has_prefix(key, klen, "task-", &n)) {
		json_t *buf;
		char idx[24];

		if (!(name = split_task(key + n, klen - n, &task)))
			goto bad;
		if (!v)
			goto out;
		if (!properties(v))
			goto bad;
		if (!(buf = json_object_get(c->task_buf, name))) {
			buf = json_object();
			json_object_set_new(c->task_buf, name, buf);
		}
		snprintf(idx, sizeof(idx), "%d", task);
		json_object_set(buf, idx, properties(v));
	} else if (has_prefix(key, klen, "commit-", &n)) {
		if (!(name = strndup(key + n, klen - n)))
			goto out;
		if (!v)
			goto out;
		if (!json_is_integer(json_object_get(v, "tasks")))
			goto bad;
		on_commit(c, name, v);
	} else if (has_prefix(key, klen, "restart-connector-", &n)) {
		if (!(name = strndup(key + n, klen - n)) || !v)
			goto out;
		if (c->started && c->h)
			sv_herder_cl_restart(
			    c->h, name, -1,
			    json_is_true(json_object_get(v, "include-tasks")),
			    json_is_true(json_object_get(v, "only-failed")));
	} else if (has_prefix(key, klen, "sluice-restart-task-", &n)) {
		if (!(name = split_task(key + n, klen - n, &task)))
			goto bad;
		if (v && c->started && c->h)
			sv_herder_cl_restart(c->h, name, task, false, false);
	} else if (has_prefix(key, klen, "sluice-slots-", &n)) {
		if (!(name = strndup(key + n, klen - n)))
			goto out;
		if (!v)
			json_object_del(c->slots, name);
		else if (json_is_integer(json_object_get(v, "connector")) &&
		         json_is_array(json_object_get(v, "tasks")))
			json_object_set(c->slots, name, v);
		else
			goto bad;
		if (v && c->started && c->h)
			sv_herder_cl_slots(c->h, name);
	} else if (klen == 13 && memcmp(key, "sluice-leader", 13) == 0) {
		const char *id =
		    json_string_value(json_object_get(v, "worker_id"));
		const char *url = json_string_value(json_object_get(v, "url"));

		if (!id || !url)
			goto bad;
		free(c->leader_id);
		free(c->leader_url);
		c->leader_id = strdup(id);
		c->leader_url = strdup(url);
	} else if (has_prefix(key, klen, "sluice-tasks-", &n)) {
		json_t *t = json_object_get(v, "tasks");

		if (!(name = strndup(key + n, klen - n)) || !v)
			goto out;
		if (!json_is_array(t))
			goto bad;
		json_object_set_new(
		    c->proposals, name,
		    json_pack("[IO]", (json_int_t)m->offset, t));
		if (c->started)
			handle_proposal(c, name);
	}
	goto out;
bad:
	sv_warn("SV-CLUSTER-CONFIG",
	        "config topic offset %" PRId64 ": record %.*s is not valid: "
	        "ignored",
	        m->offset, (int)(klen > 200 ? 200 : klen), key);
out:
	free(name);
	json_decref(v);
}

static void on_status(struct sv_cluster *c, const rd_kafka_message_t *m)
{
	char *k;
	json_t *v;

	if (!m->key || m->key_len < 7 || memcmp(m->key, "status-", 7) != 0)
		return;
	if (!(k = strndup(m->key, m->key_len)))
		return;
	v = parse(m);
	if (!v)
		json_object_del(c->status, k);
	else if (json_is_object(v))
		json_object_set(c->status, k, v);
	json_decref(v);
	free(k);
}

static void on_offset(struct sv_cluster *c, const rd_kafka_message_t *m)
{
	if (!m->key)
		return;
	if (sv_offsets_apply(c->ctx->offsets, m->key, m->key_len, m->payload,
	                     m->payload ? m->len : 0) == -EINVAL)
		sv_warn("SV-CLUSTER-OFFSET",
		        "offset topic partition %" PRId32 " offset %" PRId64
		        ": not Kafka Connect's key shape: ignored",
		        m->partition, m->offset);
}

static struct cl_part *find_part(struct sv_cluster *c, int topic, int32_t p)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].topic == topic && c->parts[i].partition == p)
			return &c->parts[i];
	return NULL;
}

static int topic_index(struct sv_cluster *c, const char *name)
{
	for (int i = 0; i < NTOPICS; i++)
		if (strcmp(c->topics[i], name) == 0)
			return i;
	return -1;
}

static void finish_catchup(struct sv_cluster *c);

static bool caught_up(struct sv_cluster *c)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i].pos < c->parts[i].target)
			return false;
	return true;
}

static void on_record(struct sv_cluster *c, rd_kafka_message_t *m)
{
	int t = m->rkt ? topic_index(c, rd_kafka_topic_name(m->rkt)) : -1;
	struct cl_part *p = t >= 0 ? find_part(c, t, m->partition) : NULL;

	if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
		if (p && m->offset > p->pos)
			p->pos = m->offset;
	} else if (m->err) {
		sv_warn("SV-CLUSTER-READ", "reading the internal topics: %s",
		        rd_kafka_message_errstr(m));
		return;
	} else if (p) {
		p->pos = m->offset + 1;
		if (t == T_CONFIG) {
			c->cfg_pos = m->offset + 1;
			on_config(c, m);
			check_waits(c);
		} else if (t == T_STATUS) {
			on_status(c, m);
		} else {
			on_offset(c, m);
		}
	}
	if (c->catching_up && caught_up(c))
		finish_catchup(c);
}

static void serve_reader(void *arg)
{
	struct sv_cluster *c = arg;
	rd_kafka_message_t *m;

	for (int i = 0; i < 10000 && c->reader; i++) {
		if (!(m = rd_kafka_consumer_poll(c->reader, 0)))
			break;
		on_record(c, m);
		rd_kafka_message_destroy(m);
	}
}

/* Sets every partition's target to its current end offset. */
static int begin_catchup(struct sv_cluster *c)
{
	for (size_t i = 0; i < c->nparts; i++) {
		struct cl_part *p = &c->parts[i];
		int64_t lo, hi;
		rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
		    c->prod, c->topics[p->topic], p->partition, &lo, &hi, 5000);

		if (e) {
			sv_warn("SV-CLUSTER-READ",
			        "cannot read the end of %s [%" PRId32 "]: %s",
			        c->topics[p->topic], p->partition,
			        rd_kafka_err2str(e));
			return -EIO;
		}
		p->target = hi;
		sv_debug("SV-CLUSTER-READ",
		         "%s [%" PRId32 "] end %" PRId64 " read %" PRId64,
		         c->topics[p->topic], p->partition, hi, p->pos);
	}
	c->catching_up = true;
	return 0;
}

/* --- membership ------------------------------------------------------------
 */

static void set_role(struct sv_cluster *c, enum sv_cluster_role r)
{
	static const char *const names[] = {"joining", "rebalancing",
	                                    "follower", "leader"};

	if (c->role == r)
		return;
	c->role = r;
	sv_info("SV-CLUSTER-ROLE", "this member is now %s%s%s", names[r],
	        r == SV_CLUSTER_FOLLOWER && c->leader_id ? ", leader " : "",
	        r == SV_CLUSTER_FOLLOWER && c->leader_id ? c->leader_id : "");
}

static void finish_catchup(struct sv_cluster *c)
{
	int n = 0;

	c->catching_up = false;
	if (!c->started || !c->assigned || c->revoking)
		return;
	for (int s = 0; s < c->nslots; s++)
		n += c->owned[s];
	if (c->owned[0]) {
		free(c->leader_id);
		free(c->leader_url);
		c->leader_id = strdup(c->worker_id);
		c->leader_url = strdup(c->url);
		put_configf(c,
		            json_pack("{s:s,s:s}", "worker_id", c->worker_id,
		                      "url", c->url),
		            NULL, NULL, false, "sluice-leader");
		set_role(c, SV_CLUSTER_LEADER);
	} else {
		set_role(c, SV_CLUSTER_FOLLOWER);
	}
	sv_info("SV-CLUSTER-ASSIGNED", "generation %d: %d slot(s) of %d, %s",
	        c->generation, n, c->nslots,
	        c->owned[0] ? "leader" : "follower");
	if (c->role == SV_CLUSTER_LEADER)
		fix_all_slots(c);
	sv_herder_cl_assigned(c->h);
	if (c->role == SV_CLUSTER_LEADER)
		handle_proposals(c);
}

void sv_cluster_revoked(struct sv_cluster *c)
{
	if (!c->revoking)
		return;
	c->revoking = false;
	if (c->member)
		rd_kafka_assign(c->member, NULL);
	sv_info("SV-CLUSTER-REVOKED", "every unit stopped; rejoining");
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct sv_cluster *c = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		memset(c->owned, 0, (size_t)c->nslots);
		for (int i = 0; i < parts->cnt; i++)
			if (parts->elems[i].partition >= 0 &&
			    parts->elems[i].partition < c->nslots)
				c->owned[parts->elems[i].partition] = 1;
		rd_kafka_assign(rk, parts);
		/* the slots carry no data: nothing to fetch */
		rd_kafka_pause_partitions(rk, parts);
		c->assigned = true;
		c->generation++;
		if (c->closing)
			return;
		set_role(c, SV_CLUSTER_REBALANCING);
		/* what the previous owners of our slots wrote must be read
		 * before their units start here */
		if (begin_catchup(c) == 0 && caught_up(c))
			finish_catchup(c);
		else if (!c->catching_up)
			sv_warn("SV-CLUSTER-READ",
			        "cannot catch up with the internal topics; "
			        "retrying");
		return;
	}
	if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
		sv_warn("SV-CLUSTER-REBALANCE", "rebalance error: %s",
		        rd_kafka_err2str(err));
		rd_kafka_assign(rk, NULL);
		return;
	}
	sv_info("SV-CLUSTER-REBALANCE", "slots revoked%s: stopping every unit",
	        rd_kafka_assignment_lost(rk) ? " (membership lost)" : "");
	c->assigned = false;
	c->revoking = true;
	c->catching_up = false;
	set_role(c, rd_kafka_assignment_lost(rk) ? SV_CLUSTER_JOINING
	                                         : SV_CLUSTER_REBALANCING);
	if (c->closing || !c->h) {
		sv_cluster_revoked(c);
		return;
	}
	sv_herder_cl_revoke(c->h);
}

static void serve_member(void *arg)
{
	struct sv_cluster *c = arg;
	rd_kafka_message_t *m;

	for (int i = 0; i < 1000 && c->member; i++) {
		if (!(m = rd_kafka_consumer_poll(c->member, 0)))
			break;
		if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			sv_warn("SV-CLUSTER-MEMBER", "%s",
			        rd_kafka_message_errstr(m));
		rd_kafka_message_destroy(m);
	}
}

static void serve_prod(void *arg)
{
	struct sv_cluster *c = arg;

	rd_kafka_poll(c->prod, 0);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sv_cluster *c = arg;

	(void)fd;
	(void)what;
	serve_prod(c);
	serve_reader(c);
	serve_member(c);
	/* an assignment whose catch-up could not start: try again */
	if (c->assigned && !c->revoking && !c->catching_up &&
	    c->role == SV_CLUSTER_REBALANCING && !c->closing) {
		if (begin_catchup(c) == 0 && caught_up(c))
			finish_catchup(c);
	}
}

/* --- setup -----------------------------------------------------------------
 */

static int topic_partitions(rd_kafka_t *rk, const char *topic, char *err,
                            size_t errlen)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	int n = -ENOENT;

	/* every topic: a request naming one may create it with the
	 * broker's defaults (auto.create.topics.enable) */
	e = rd_kafka_metadata(rk, 1, NULL, &md, 10000);
	if (e) {
		snprintf(err, errlen, "cannot read the metadata of %s: %s",
		         topic, rd_kafka_err2str(e));
		return -EIO;
	}
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, topic) == 0 &&
		    !md->topics[i].err && md->topics[i].partition_cnt > 0)
			n = md->topics[i].partition_cnt;
	rd_kafka_metadata_destroy(md);
	return n;
}

static int create_topic(struct sv_cluster *c, const char *topic, int parts,
                        int repl, bool compact, char *err, size_t errlen)
{
	struct sv_kafka *k = c->ctx->kafka;
	rd_kafka_NewTopic_t *nt;
	rd_kafka_queue_t *q;
	rd_kafka_event_t *ev;
	rd_kafka_AdminOptions_t *opts;
	char es[256];
	int rc = -EIO;

	if (k->mock) {
		rc = sv_mock_topic_create(k->mock, topic, parts, repl);
		return rc == -EEXIST ? 0 : rc;
	}
	nt = rd_kafka_NewTopic_new(topic, parts, repl, es, sizeof(es));
	if (!nt) {
		snprintf(err, errlen, "cannot create topic %s: %s", topic, es);
		return -EINVAL;
	}
	if (compact)
		rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	q = rd_kafka_queue_new(c->prod);
	opts =
	    rd_kafka_AdminOptions_new(c->prod, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opts, 15000, es, sizeof(es));
	rd_kafka_CreateTopics(c->prod, &nt, 1, opts, q);
	ev = rd_kafka_queue_poll(q, 20000);
	if (!ev) {
		snprintf(err, errlen,
		         "cannot create topic %s: Kafka did not answer within "
		         "20 s (a broker that cannot create topics, such as "
		         "sluice-devkafka, needs it made beforehand: "
		         "sluice-devkafka --topic %s:%d)",
		         topic, topic, parts);
		rc = -ETIMEDOUT;
	} else if (rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
		snprintf(err, errlen,
		         "cannot create topic %s: Kafka did not answer within "
		         "15 s (a broker that cannot create topics, such as "
		         "sluice-devkafka, needs it made beforehand: "
		         "sluice-devkafka --topic %s:%d)",
		         topic, topic, parts);
		rc = -ETIMEDOUT;
	} else if (rd_kafka_event_error(ev)) {
		snprintf(err, errlen, "cannot create topic %s: %s", topic,
		         rd_kafka_event_error_string(ev));
	} else {
		const rd_kafka_CreateTopics_result_t *r =
		    rd_kafka_event_CreateTopics_result(ev);
		size_t cnt;
		const rd_kafka_topic_result_t **tr =
		    rd_kafka_CreateTopics_result_topics(r, &cnt);
		rd_kafka_resp_err_t e =
		    cnt ? rd_kafka_topic_result_error(tr[0]) : 0;

		if (!e || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			rc = 0;
		else
			snprintf(err, errlen, "cannot create topic %s: %s",
			         topic,
			         rd_kafka_topic_result_error_string(tr[0]));
	}
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_AdminOptions_destroy(opts);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	return rc;
}

/* The partition count of an internal topic, created if missing. */
static int ensure_topic(struct sv_cluster *c, const char *topic, int parts,
                        int repl, bool compact, char *err, size_t errlen)
{
	int n = topic_partitions(c->prod, topic, err, errlen);

	if (n != -ENOENT)
		return n;
	sv_info("SV-CLUSTER-TOPIC", "creating topic %s (%d partition(s))",
	        topic, parts);
	if (create_topic(c, topic, parts, repl, compact, err, errlen))
		return -EIO;
	for (int i = 0; i < 50; i++) {
		n = topic_partitions(c->prod, topic, err, errlen);
		if (n != -ENOENT)
			return n;
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "topic %s does not appear after creation", topic);
	return -ETIMEDOUT;
}

static int read_keys(struct sv_cluster *c, char *err, size_t errlen)
{
	static const char *const keys[NTOPICS] = {"config.storage.topic",
	                                          "offset.storage.topic",
	                                          "status.storage.topic"};
	static const long dflt_parts[NTOPICS] = {1, 25, 5};
	char key[64];
	const char *s;
	long v;

	if (!(s = wget(c, "group.id")) || !*s) {
		snprintf(err, errlen,
		         "%s: group.id is required in distributed mode",
		         c->ctx->w->path);
		return -EINVAL;
	}
	c->group = strdup(s);
	for (int i = 0; i < NTOPICS; i++) {
		if (!(s = wget(c, keys[i])) || !*s) {
			snprintf(err, errlen,
			         "%s: %s is required in distributed mode",
			         c->ctx->w->path, keys[i]);
			return -EINVAL;
		}
		if (!sv_kafka_topic_valid(s, strlen(s))) {
			snprintf(err, errlen,
			         "%s: %s=%s: not a valid topic name",
			         c->ctx->w->path, keys[i], s);
			return -EINVAL;
		}
		c->topics[i] = strdup(s);
		snprintf(key, sizeof(key), "%.*s.partitions",
		         (int)(strlen(keys[i]) - 6), keys[i]);
		if (i != T_CONFIG &&
		    int_key(c, key, dflt_parts[i], 1, 10000, &v, err, errlen))
			return -EINVAL;
		c->partitions[i] = i == T_CONFIG ? 1 : (int)v;
		snprintf(key, sizeof(key), "%.*s.replication.factor",
		         (int)(strlen(keys[i]) - 6), keys[i]);
		if (int_key(c, key, -1, -1, 32767, &v, err, errlen) || v == 0) {
			if (v == 0)
				snprintf(err, errlen,
				         "%s: %s must be -1 or at least 1",
				         c->ctx->w->path, key);
			return -EINVAL;
		}
		c->replication[i] = (int)v;
	}
	if (strcmp(c->topics[0], c->topics[1]) == 0 ||
	    strcmp(c->topics[0], c->topics[2]) == 0 ||
	    strcmp(c->topics[1], c->topics[2]) == 0) {
		snprintf(err, errlen,
		         "%s: config, offset and status storage topics must "
		         "differ",
		         c->ctx->w->path);
		return -EINVAL;
	}
	s = wget(c, "sluice.slots.topic");
	if (s && *s)
		c->slots_topic = strdup(s);
	else if (asprintf(&c->slots_topic, "%s-slots", c->group) < 0)
		c->slots_topic = NULL;
	if (!c->slots_topic ||
	    !sv_kafka_topic_valid(c->slots_topic, strlen(c->slots_topic))) {
		snprintf(err, errlen,
		         "%s: sluice.slots.topic: not a valid topic",
		         c->ctx->w->path);
		return -EINVAL;
	}
	if (int_key(c, "sluice.slots.topic.partitions", 256, 2, 100000, &v, err,
	            errlen))
		return -EINVAL;
	c->nslots = (int)v;
	return 0;
}

static rd_kafka_t *client(struct sv_cluster *c, rd_kafka_type_t type,
                          const char *const *fixed, bool member, char *err,
                          size_t errlen)
{
	rd_kafka_conf_t *conf =
	    sv_kafka_conf(c->ctx->kafka, NULL, NULL, NULL, fixed, err, errlen);
	rd_kafka_t *rk;
	char es[512];

	if (!conf)
		return NULL;
	rd_kafka_conf_set_opaque(conf, c);
	if (type == RD_KAFKA_PRODUCER)
		rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	if (member)
		rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	if (!(rk = rd_kafka_new(type, conf, es, sizeof(es)))) {
		rd_kafka_conf_destroy(conf);
		snprintf(err, errlen, "cannot create a Kafka client: %s", es);
		return NULL;
	}
	return rk;
}

struct sv_cluster *sv_cluster_new(struct sv_ctx *ctx, const char *url,
                                  char *err, size_t errlen)
{
	static const char *const prod_conf[] = {
	    "acks", "all", "enable.idempotence", "true", "linger.ms", "0",
	    "message.timeout.ms", "0",
	    /* Java's partitioner: a key lands where Kafka Connect puts it */
	    "partitioner", "murmur2_random", "client.id", "sluiced-stores",
	    NULL};
	static const char *const reader_conf[] = {"group.id",
	                                          "sluiced-stores-reader",
	                                          "enable.auto.commit",
	                                          "false",
	                                          "enable.auto.offset.store",
	                                          "false",
	                                          "enable.partition.eof",
	                                          "true",
	                                          "auto.offset.reset",
	                                          "earliest",
	                                          "client.id",
	                                          "sluiced-stores",
	                                          NULL};
	struct sv_cluster *c = calloc(1, sizeof(*c));
	rd_kafka_topic_partition_list_t *tl = NULL;
	char st[32], hb[32], rb[32];
	long session, heartbeat, rebalance;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->ctx = ctx;
	TAILQ_INIT(&c->waits);
	c->url = strdup(url);
	c->worker_id = strdup(ctx->w->worker_id);
	c->slots = json_object();
	c->task_buf = json_object();
	c->committed = json_object();
	c->conn_off = json_object();
	c->proposals = json_object();
	c->status = json_object();
	if (!c->url || !c->worker_id || !c->slots || !c->task_buf ||
	    !c->committed || !c->conn_off || !c->proposals || !c->status) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (read_keys(c, err, errlen))
		goto fail;
	if (int_key(c, "session.timeout.ms", 10000, 1000, 3600000, &session,
	            err, errlen) ||
	    int_key(c, "heartbeat.interval.ms", 3000, 100, 3600000, &heartbeat,
	            err, errlen) ||
	    int_key(c, "rebalance.timeout.ms", 60000, 1000, 3600000, &rebalance,
	            err, errlen))
		goto fail;
	if (heartbeat >= session) {
		snprintf(err, errlen,
		         "%s: heartbeat.interval.ms must be lower than "
		         "session.timeout.ms",
		         ctx->w->path);
		goto fail;
	}
	if (rebalance < session)
		rebalance = session;
	if (!(c->owned = calloc((size_t)c->nslots, 1))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (!(c->prod =
	          client(c, RD_KAFKA_PRODUCER, prod_conf, false, err, errlen)))
		goto fail;
	/* the internal topics, and the slots topic */
	for (int i = 0; i < NTOPICS; i++) {
		int n = ensure_topic(c, c->topics[i], c->partitions[i],
		                     c->replication[i], true, err, errlen);

		if (n < 0)
			goto fail;
		if (i == T_CONFIG && n != 1) {
			snprintf(err, errlen,
			         "config.storage.topic %s has %d partitions: "
			         "it must have exactly one",
			         c->topics[i], n);
			goto fail;
		}
		c->partitions[i] = n;
	}
	{
		int n =
		    ensure_topic(c, c->slots_topic, c->nslots,
		                 c->replication[T_CONFIG], false, err, errlen);

		if (n < 0)
			goto fail;
		if (n < 2) {
			snprintf(err, errlen,
			         "slots topic %s has %d partition(s): it needs "
			         "at least 2",
			         c->slots_topic, n);
			goto fail;
		}
		if (n != c->nslots) {
			sv_info("SV-CLUSTER-SLOTS",
			        "slots topic %s has %d partitions: %d slots",
			        c->slots_topic, n, n);
			free(c->owned);
			if (!(c->owned = calloc((size_t)n, 1)))
				goto fail;
			c->nslots = n;
		}
	}
	/* the reader: every partition of the three topics, from the start */
	if (!(c->reader = client(c, RD_KAFKA_CONSUMER, reader_conf, false, err,
	                         errlen)))
		goto fail;
	rd_kafka_poll_set_consumer(c->reader);
	for (int i = 0; i < NTOPICS; i++)
		c->nparts += (size_t)c->partitions[i];
	if (!(c->parts = calloc(c->nparts, sizeof(*c->parts))) ||
	    !(tl = rd_kafka_topic_partition_list_new((int)c->nparts)))
		goto nomem;
	for (int i = 0, k = 0; i < NTOPICS; i++)
		for (int p = 0; p < c->partitions[i]; p++, k++) {
			c->parts[k].topic = i;
			c->parts[k].partition = p;
			rd_kafka_topic_partition_list_add(tl, c->topics[i], p)
			    ->offset = RD_KAFKA_OFFSET_BEGINNING;
		}
	if (rd_kafka_assign(c->reader, tl)) {
		snprintf(err, errlen, "cannot read the internal topics");
		goto fail;
	}
	rd_kafka_topic_partition_list_destroy(tl);
	tl = NULL;
	/* the member */
	snprintf(st, sizeof(st), "%ld", session);
	snprintf(hb, sizeof(hb), "%ld", heartbeat);
	snprintf(rb, sizeof(rb), "%ld", rebalance);
	{
		const char *member_conf[] = {"group.id",
		                             c->group,
		                             "session.timeout.ms",
		                             st,
		                             "heartbeat.interval.ms",
		                             hb,
		                             "max.poll.interval.ms",
		                             rb,
		                             "partition.assignment.strategy",
		                             "roundrobin",
		                             "enable.auto.commit",
		                             "false",
		                             "enable.auto.offset.store",
		                             "false",
		                             "client.id",
		                             "sluiced-member",
		                             NULL};

		if (!(c->member = client(c, RD_KAFKA_CONSUMER, member_conf,
		                         true, err, errlen)))
			goto fail;
	}
	rd_kafka_poll_set_consumer(c->member);
	sv_offsets_set_writer(ctx->offsets, offsets_writer, c);
	c->wprod = sv_qwatch_new(ctx->base, rd_kafka_queue_get_main(c->prod),
	                         serve_prod, c);
	c->wreader = sv_qwatch_new(
	    ctx->base, rd_kafka_queue_get_consumer(c->reader), serve_reader, c);
	c->wmember = sv_qwatch_new(
	    ctx->base, rd_kafka_queue_get_consumer(c->member), serve_member, c);
	c->tick = event_new(ctx->base, -1, EV_PERSIST, on_tick, c);
	{
		struct timeval tv = {0, 200000};

		if (!c->wprod || !c->wreader || !c->wmember || !c->tick ||
		    event_add(c->tick, &tv))
			goto nomem;
	}
	return c;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (tl)
		rd_kafka_topic_partition_list_destroy(tl);
	sv_cluster_free(c);
	return NULL;
}

int sv_cluster_start(struct sv_cluster *c, struct sv_herder *h, char *err,
                     size_t errlen)
{
	rd_kafka_topic_partition_list_t *sub;
	struct timespec t0, now;
	rd_kafka_resp_err_t e;

	c->h = h;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (begin_catchup(c)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > CL_CATCHUP_MS / 1000) {
			snprintf(
			    err, errlen,
			    "cannot read the internal topics' end offsets");
			return -ETIMEDOUT;
		}
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	while (!caught_up(c)) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c->reader, 100);

		if (m) {
			on_record(c, m);
			rd_kafka_message_destroy(m);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > CL_CATCHUP_MS / 1000) {
			snprintf(err, errlen,
			         "cannot read the internal topics to their end "
			         "within %d s",
			         CL_CATCHUP_MS / 1000);
			return -ETIMEDOUT;
		}
	}
	c->catching_up = false;
	c->started = true;
	sv_info("SV-CLUSTER-READ",
	        "internal topics read: %zu connector(s); joining group %s",
	        json_object_size(c->conn_off), c->group);
	if (!(sub = rd_kafka_topic_partition_list_new(1)))
		return -ENOMEM;
	rd_kafka_topic_partition_list_add(sub, c->slots_topic,
	                                  RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(c->member, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e) {
		snprintf(err, errlen, "cannot join group %s: %s", c->group,
		         rd_kafka_err2str(e));
		return -EIO;
	}
	return 0;
}

void sv_cluster_close(struct sv_cluster *c)
{
	struct cl_wait *w;

	if (!c || c->closing)
		return;
	c->closing = true;
	set_role(c, SV_CLUSTER_JOINING);
	if (c->member) {
		/* leaving the group: the others take our slots at once */
		rd_kafka_consumer_close(c->member);
	}
	if (c->prod && rd_kafka_flush(c->prod, CL_FLUSH_MS))
		sv_warn("SV-CLUSTER-FLUSH",
		        "%d internal record(s) not written at shutdown",
		        rd_kafka_outq_len(c->prod));
	while ((w = TAILQ_FIRST(&c->waits))) {
		TAILQ_REMOVE(&c->waits, w, link);
		if (w->cb)
			w->cb(w->arg, 503, "sluiced is shutting down");
		free(w);
	}
}

void sv_cluster_free(struct sv_cluster *c)
{
	struct cl_wait *w;

	if (!c)
		return;
	if (c->tick)
		event_free(c->tick);
	sv_qwatch_free(c->wmember);
	sv_qwatch_free(c->wreader);
	sv_qwatch_free(c->wprod);
	if (c->ctx && c->ctx->offsets)
		sv_offsets_set_writer(c->ctx->offsets, NULL, NULL);
	if (c->member) {
		if (!c->closing)
			rd_kafka_consumer_close(c->member);
		rd_kafka_destroy(c->member);
	}
	if (c->reader) {
		rd_kafka_consumer_close(c->reader);
		rd_kafka_destroy(c->reader);
	}
	if (c->prod)
		rd_kafka_destroy(c->prod);
	while ((w = TAILQ_FIRST(&c->waits))) {
		TAILQ_REMOVE(&c->waits, w, link);
		free(w);
	}
	for (int i = 0; i < NTOPICS; i++)
		free(c->topics[i]);
	free(c->parts);
	free(c->owned);
	free(c->group);
	free(c->slots_topic);
	free(c->url);
	free(c->worker_id);
	free(c->leader_id);
	free(c->leader_url);
	json_decref(c->slots);
	json_decref(c->task_buf);
	json_decref(c->committed);
	json_decref(c->conn_off);
	json_decref(c->proposals);
	json_decref(c->status);
	free(c);
}
