/* sv_herder.c: see sv_herder.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "sv_connfile.h"
#include "sv_herder.h"
#include "sv_log.h"
#include "sv_sandbox.h"
#include "sv_sink.h"
#include "sv_source.h"

struct conn {
	struct sv_herder *h;
	char *name;
	json_t *config;
	char target[12]; /* RUNNING, PAUSED, STOPPED */
	const struct sv_plugin *plugin;
	char *trace; /* a failure before any unit could run */
	struct sv_unit *cu;
	struct sv_unit **tasks;
	size_t ntasks;
	json_t *task_configs;
	/* units asked to stop whose stop has not been reported yet */
	struct sv_unit **stopping;
	size_t nstopping;
	int hold; /* stop_units is still asking */
	void (*after_stop)(struct conn *c);
	/* the request waiting for the current stop to finish */
	sv_herder_cb waiter;
	void *waiter_arg;
	json_t *topics; /* active topics since the last reset */
	bool deleting;
	int locks; /* offsets requests in progress */
	TAILQ_ENTRY(conn) link;
};

struct vjob {
	struct sv_herder *h;
	char *name;
	json_t *config; /* what the plugin validates */
	json_t *nulls;  /* keys given as null (validate only) */
	char *cls;      /* connector.class as given */
	char initial[12];
	enum sv_herder_put_mode mode;
	bool validate_only;
	sv_herder_cb cb;
	sv_herder_validate_cb vcb;
	void *arg;
	const struct sv_plugin *plugin;
	json_t *errors; /* [[key, message]] */
	struct sv_unit *u;
	TAILQ_ENTRY(vjob) link;
};

struct sv_herder {
	struct sv_ctx *ctx;
	struct sv_cfgstore *store;
	TAILQ_HEAD(, conn) conns;
	TAILQ_HEAD(, vjob) vjobs;
	struct event *ev_commit;
	struct event *ev_deadline;
	bool shutting_down;
	/* distributed mode (NULL: standalone) */
	struct sv_cluster *cl;
	json_t *cl_targets; /* name -> target state read from the cluster */
	bool cl_revoking;
	void (*done)(void *arg);
	void *done_arg;
};

static const char *const known_converters[] = {
    "org.apache.kafka.connect.storage.StringConverter",
    "org.apache.kafka.connect.converters.ByteArrayConverter",
    "org.apache.kafka.connect.json.JsonConverter",
    "org.apache.kafka.connect.storage.SimpleHeaderConverter",
    "StringConverter",
    "ByteArrayConverter",
    "JsonConverter",
    "SimpleHeaderConverter",
    NULL,
};

/*
 * The common connector keys sluice honours, as Kafka Connect's
 * ConnectorConfig and SinkConnectorConfig define them (name, type,
 * default, importance, group, order in group, width, display name).
 */
enum { FOR_SOURCE = 1, FOR_SINK = 2, FOR_BOTH = 3 };

struct keydef {
	const char *name;
	const char *type;
	const char *dflt; /* NULL: null */
	bool required;
	const char *importance;
	const char *doc;
	const char *group;
	int order;
	const char *width;
	const char *display;
	unsigned kinds;
};

static const struct keydef common_keys[] = {
    {"name", "STRING", NULL, true, "HIGH",
     "Globally unique name to use for this connector.", "Common", 1, "MEDIUM",
     "Connector name", FOR_BOTH},
    {"connector.class", "STRING", NULL, true, "HIGH",
     "Name or alias of the class for this connector: a plugin name (for "
     "example FileStreamSource) or one of its aliases (for example "
     "org.apache.kafka.connect.file.FileStreamSourceConnector).",
     "Common", 2, "LONG", "Connector class", FOR_BOTH},
    {"tasks.max", "INT", "1", false, "HIGH",
     "Maximum number of tasks to use for this connector.", "Common", 3, "SHORT",
     "Tasks max", FOR_BOTH},
    {"key.converter", "CLASS", NULL, false, "LOW",
     "Converter class used to convert between Kafka Connect format and the "
     "serialized form that is written to Kafka. This controls the format of "
     "the keys in messages written to or read from Kafka. Inherited from "
     "the worker config when unset.",
     "Common", 4, "SHORT", "Key converter class", FOR_BOTH},
    {"value.converter", "CLASS", NULL, false, "LOW",
     "Converter class used to convert between Kafka Connect format and the "
     "serialized form that is written to Kafka. This controls the format of "
     "the values in messages written to or read from Kafka. Inherited from "
     "the worker config when unset.",
     "Common", 5, "SHORT", "Value converter class", FOR_BOTH},
    {"header.converter", "CLASS", NULL, false, "LOW",
     "HeaderConverter class used to convert between Kafka Connect format "
     "and the serialized form that is written to Kafka. This controls the "
     "format of the header values in messages written to or read from "
     "Kafka. Inherited from the worker config when unset.",
     "Common", 6, "SHORT", "Header converter class", FOR_BOTH},
    {"errors.tolerance", "STRING", "none", false, "MEDIUM",
     "Behavior for tolerating errors during connector operation. 'none' is "
     "the default value and signals that any error will result in an "
     "immediate connector task failure; 'all' changes the behavior to skip "
     "over problematic records.",
     "Error Handling", 3, "SHORT", "Error Tolerance", FOR_BOTH},
    {"topics", "LIST", "", false, "HIGH",
     "List of topics to consume, separated by commas", "Common", 4, "LONG",
     "Topics", FOR_SINK},
    {"topics.regex", "STRING", "", false, "HIGH",
     "Regular expression giving topics to consume. Only one of topics or "
     "topics.regex should be specified.",
     "Common", 4, "LONG", "Topics regex", FOR_SINK},
    {"errors.deadletterqueue.topic.name", "STRING", "", false, "MEDIUM",
     "The name of the topic to be used as the dead letter queue (DLQ) for "
     "messages that result in an error when processed by this sink "
     "connector, or its transformations or converters. The topic name is "
     "blank by default, which means that no messages are to be recorded in "
     "the DLQ.",
     "Error Handling", 6, "MEDIUM", "Dead Letter Queue Topic Name", FOR_SINK},
    {"errors.deadletterqueue.context.headers.enable", "BOOLEAN", "false", false,
     "MEDIUM",
     "If true, add headers containing error context to the messages written "
     "to the dead letter queue. To avoid clashing with headers from the "
     "original record, all error context header keys will start with "
     "__connect.errors.",
     "Error Handling", 8, "MEDIUM", "Enable Error Context Headers", FOR_SINK},
};

#define NCOMMON (sizeof(common_keys) / sizeof(common_keys[0]))

/* Kafka's PASSWORD-typed client settings (and librdkafka's secrets). */
static const char *const client_secrets[] = {
    "sasl.jaas.config",
    "sasl.password",
    "sasl.oauthbearer.client.secret",
    "ssl.key.password",
    "ssl.key.pem",
    "ssl.keystore.password",
    "ssl.keystore.key",
    "ssl.truststore.password",
    NULL,
};

static const char *const override_prefixes[] = {
    "producer.override.",
    "consumer.override.",
    "admin.override.",
    NULL,
};

static void unit_status(struct sv_unit *u);
static void unit_task_configs(struct sv_unit *u, json_t *configs);
static void unit_stopped(struct sv_unit *u);
static void unit_validated(struct sv_unit *u, json_t *errors,
                           const char *failure);

static const struct sv_unit_ops unit_ops = {
    .status = unit_status,
    .task_configs = unit_task_configs,
    .stopped = unit_stopped,
};

static const struct sv_unit_ops validate_ops = {
    .validated = unit_validated,
};

static struct conn *find(struct sv_herder *h, const char *name)
{
	struct conn *c;

	TAILQ_FOREACH (c, &h->conns, link)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* A connector users can see: not being deleted. */
static struct conn *find_live(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);

	return c && !c->deleting ? c : NULL;
}

static const char *cfg(json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

static const struct sv_plugin *conn_plugin(struct conn *c)
{
	return sv_plugins_find(c->h->ctx->plugins,
	                       cfg(c->config, "connector.class"));
}

static bool put_pending(struct sv_herder *h, const char *name)
{
	struct vjob *j;

	TAILQ_FOREACH (j, &h->vjobs, link)
		if (!j->validate_only && strcmp(j->name, name) == 0)
			return true;
	return false;
}

/* Being reconfigured: writes must wait (409). */
static bool busy(struct conn *c)
{
	return c->deleting || c->nstopping > 0 || c->hold > 0 ||
	       c->after_stop || c->locks > 0 || put_pending(c->h, c->name);
}

/* --- passwords ---------------------------------------------------------- */

static bool password_key(const struct sv_plugin *p, const char *key)
{
	json_t *o;

	for (size_t i = 0; override_prefixes[i]; i++) {
		size_t n = strlen(override_prefixes[i]);

		if (strncmp(key, override_prefixes[i], n) != 0)
			continue;
		for (size_t k = 0; client_secrets[k]; k++)
			if (strcmp(key + n, client_secrets[k]) == 0)
				return true;
		return false;
	}
	if (!p || !(o = sv_plugin_option(p, key)))
		return false;
	return strcmp(cfg(o, "type") ? cfg(o, "type") : "", "PASSWORD") == 0;
}

/* A copy of config with password values hidden. */
static json_t *hide(const struct sv_plugin *p, json_t *config)
{
	json_t *out = json_object(), *v;
	const char *k;

	if (!out)
		return NULL;
	json_object_foreach(config, k, v)
	{
		if (json_is_string(v) && password_key(p, k))
			json_object_set_new(out, k,
			                    json_string(SV_HERDER_HIDDEN));
		else
			json_object_set(out, k, v);
	}
	return out;
}

/* "[hidden]" sent back for a password keeps the stored value. */
static void keep_hidden(const struct sv_plugin *p, json_t *config, json_t *old)
{
	const char *k;
	json_t *v;

	json_object_foreach(config, k, v)
	{
		json_t *prev = json_object_get(old, k);

		if (prev && json_is_string(v) &&
		    strcmp(json_string_value(v), SV_HERDER_HIDDEN) == 0 &&
		    password_key(p, k))
			json_object_set(config, k, prev);
	}
}

/* --- stopping and starting units ------------------------------------- */

static void notify_waiter(struct conn *c, int code, const char *error)
{
	sv_herder_cb cb = c->waiter;

	if (!cb)
		return;
	c->waiter = NULL;
	cb(c->waiter_arg, code, error);
}

static void cl_check_revoked(struct sv_herder *h);

static void maybe_after_stop(struct conn *c)
{
	struct sv_herder *h = c->h;
	void (*next)(struct conn *);

	if (c->nstopping > 0 || c->hold > 0 || !c->after_stop)
		return;
	next = c->after_stop;
	c->after_stop = NULL;
	next(c); /* may free c */
	/* a revocation waits for every unit, whatever stopped them */
	if (h->cl)
		cl_check_revoked(h);
}

static void stop_unit(struct conn *c, struct sv_unit *u)
{
	struct sv_unit **v;

	if (!u)
		return;
	/* a unit already stopping reports once: count it once */
	for (size_t i = 0; i < c->nstopping; i++)
		if (c->stopping[i] == u)
			return;
	v = realloc(c->stopping, (c->nstopping + 1) * sizeof(*v));
	if (!v)
		return; /* its stop is then not waited for */
	c->stopping = v;
	c->stopping[c->nstopping++] = u;
	sv_unit_stop(u);
}

/* Stops the tasks (and the connector unit if `all`), then runs next. */
static void stop_units(struct conn *c, bool all, void (*next)(struct conn *))
{
	c->after_stop = next;
	c->hold++; /* stops may finish synchronously */
	if (all)
		stop_unit(c, c->cu);
	for (size_t i = 0; i < c->ntasks; i++)
		stop_unit(c, c->tasks[i]);
	c->hold--;
	maybe_after_stop(c);
}

static void free_tasks(struct conn *c)
{
	for (size_t i = 0; i < c->ntasks; i++)
		sv_unit_free(c->tasks[i]);
	free(c->tasks);
	c->tasks = NULL;
	c->ntasks = 0;
}

static void set_conn_trace(struct conn *c, const char *msg)
{
	free(c->trace);
	c->trace = msg ? strdup(msg) : NULL;
}

/* Starts task i (in distributed mode, if this member owns its slot). */
static void start_task(struct conn *c, size_t i)
{
	struct sv_herder *h = c->h;
	char err[512];
	struct sv_unit *u;

	if (h->cl && !sv_cluster_owns(h->cl, c->name, (int)i))
		return;
	u = sv_unit_new(
	    h->ctx, c->plugin->source ? SV_UNIT_SOURCE : SV_UNIT_SINK, c->name,
	    (int)i, c->plugin, json_array_get(c->task_configs, i), c->config,
	    &unit_ops, c, err, sizeof(err));
	if (!u) {
		sv_ulog(SV_LOG_ERROR, "SV-TASK-CREATE", c->name, (int)i,
		        "cannot create task %zu: %s", i, err);
		set_conn_trace(c, err);
		return;
	}
	c->tasks[i] = u;
	u->want_pause = strcmp(c->target, "PAUSED") == 0;
	sv_unit_start(u);
}

static void start_tasks(struct conn *c)
{
	struct sv_herder *h = c->h;
	size_t n = json_array_size(c->task_configs);

	free_tasks(c);
	if (strcmp(c->target, "STOPPED") == 0 || h->shutting_down ||
	    c->deleting || n == 0 || !c->plugin)
		return;
	if (!(c->tasks = calloc(n, sizeof(*c->tasks))))
		return;
	c->ntasks = n;
	for (size_t i = 0; i < n; i++)
		start_task(c, i);
}

static void start_connector(struct conn *c)
{
	struct sv_herder *h = c->h;
	char err[512];

	set_conn_trace(c, NULL);
	c->plugin = conn_plugin(c);
	if (strcmp(c->target, "STOPPED") == 0 || h->shutting_down)
		return;
	if (!c->plugin) {
		snprintf(err, sizeof(err),
		         "no plugin named %s is loaded (plugin.path)",
		         cfg(c->config, "connector.class"));
		sv_ulog(SV_LOG_ERROR, "SV-CONNECTOR-FAILED", c->name, -1, "%s",
		        err);
		set_conn_trace(c, err);
		return;
	}
	if (h->cl && !sv_cluster_owns(h->cl, c->name, -1))
		return;
	if (!c->cu) {
		c->cu = sv_unit_new(h->ctx, SV_UNIT_CONNECTOR, c->name, -1,
		                    c->plugin, c->config, c->config, &unit_ops,
		                    c, err, sizeof(err));
		if (!c->cu) {
			set_conn_trace(c, err);
			return;
		}
	}
	c->cu->want_pause = strcmp(c->target, "PAUSED") == 0;
	sv_unit_start(c->cu);
}

/* After a config change: everything stopped, start again. */
static void restart_all(struct conn *c)
{
	sv_unit_free(c->cu);
	c->cu = NULL;
	free_tasks(c);
	if (c->h->cl) {
		/* the committed task configs stay until new ones are */
		start_connector(c);
		start_tasks(c);
		return;
	}
	json_decref(c->task_configs);
	c->task_configs = NULL;
	start_connector(c);
	notify_waiter(c, 200, NULL);
}

static void conn_free(struct conn *c)
{
	notify_waiter(c, 503, "sluiced is shutting down");
	sv_unit_free(c->cu);
	free_tasks(c);
	free(c->stopping);
	json_decref(c->task_configs);
	json_decref(c->config);
	json_decref(c->topics);
	free(c->trace);
	free(c->name);
	free(c);
}

static void finish_delete(struct conn *c)
{
	struct sv_herder *h = c->h;

	TAILQ_REMOVE(&c->h->conns, c, link);
	sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-DELETED", c->name, -1,
	        "connector %s deleted", c->name);
	notify_waiter(c, 204, NULL);
	conn_free(c);
	if (h->cl)
		cl_check_revoked(h);
}

static struct conn *conn_new(struct sv_herder *h, const char *name,
                             json_t *config, const char *target)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->name = strdup(name)) ||
	    !(c->config = json_deep_copy(config)) ||
	    !(c->topics = json_array())) {
		if (c) {
			json_decref(c->config);
			free(c->name);
		}
		free(c);
		return NULL;
	}
	c->h = h;
	snprintf(c->target, sizeof(c->target), "%s", target);
	c->plugin = conn_plugin(c);
	TAILQ_INSERT_TAIL(&h->conns, c, link);
	return c;
}

/* The number of tasks a connector has (in distributed mode, also those
 * other members run) and the local unit of one, or NULL. */
static size_t task_count(struct conn *c)
{
	if (c->h->cl && strcmp(c->target, "STOPPED") != 0)
		return json_array_size(c->task_configs);
	return c->ntasks;
}

static struct sv_unit *task_unit(struct conn *c, size_t i)
{
	return i < c->ntasks ? c->tasks[i] : NULL;
}

/* --- unit callbacks ----------------------------------------------------- */

static void unit_status(struct sv_unit *u)
{
	const char *st = sv_unit_state(u);

	if (strcmp(st, u->shown) == 0)
		return;
	snprintf(u->shown, sizeof(u->shown), "%s", st);
	sv_ulog(SV_LOG_INFO, "SV-STATUS", u->conn, u->task, "%s is %s%s%s",
	        sv_unit_label(u), st, u->trace ? ": " : "",
	        u->trace ? u->trace : "");
	if (u->ctx->cluster)
		sv_cluster_put_status(u->ctx->cluster, u->conn, u->task, st,
		                      strcmp(st, "RUNNING") != 0 ? u->trace
		                                                 : NULL,
		                      strcmp(st, "UNASSIGNED") == 0);
}

static void unit_task_configs(struct sv_unit *u, json_t *configs)
{
	struct conn *c = u->opaque;

	if (c->h->cl) {
		/* the leader makes them the tasks (sv_herder_cl_tasks); not
		 * while this connector instance is being stopped */
		if (!c->deleting &&
		    !(c->after_stop && c->after_stop != start_tasks) &&
		    !(c->task_configs && json_equal(c->task_configs, configs)))
			sv_cluster_propose_tasks(c->h->cl, c->name, configs);
		return;
	}
	if (c->task_configs && json_equal(c->task_configs, configs) &&
	    c->ntasks == json_array_size(configs))
		return;
	/* a stop, a delete or a restart with a new config is under way:
	 * what follows it decides about tasks, and these configs must not
	 * take its place */
	if (c->deleting || (c->after_stop && c->after_stop != start_tasks))
		return;
	sv_ulog(SV_LOG_INFO, "SV-TASK-CONFIGS", c->name, -1,
	        "%zu task config(s); (re)starting tasks",
	        json_array_size(configs));
	json_decref(c->task_configs);
	c->task_configs = json_deep_copy(configs);
	/* tasks already stopping for older configs start with these */
	if (c->after_stop != start_tasks)
		stop_units(c, false, start_tasks);
}

/* Makes the offsets of a stopped source durable at once. */
static void commit_stopped_source(struct sv_herder *h, struct sv_unit *u)
{
	char err[512];

	if (!u->src || !sv_src_commit(u->src))
		return;
	if (sv_offsets_flush(h->ctx->offsets, err, sizeof(err)))
		sv_error("SV-OFFSETS-FLUSH", "%s", err);
}

static void unit_stopped(struct sv_unit *u)
{
	struct conn *c = u->opaque;

	commit_stopped_source(c->h, u);
	for (size_t i = 0; i < c->nstopping; i++) {
		if (c->stopping[i] != u)
			continue;
		c->stopping[i] = c->stopping[--c->nstopping];
		break;
	}
	maybe_after_stop(c);
}

/* --- validation ----------------------------------------------------- */

static void vjob_free(struct vjob *j)
{
	sv_unit_free(j->u);
	json_decref(j->errors);
	json_decref(j->config);
	json_decref(j->nulls);
	free(j->cls);
	free(j->name);
	free(j);
}

static void add_error(json_t *errors, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_error(json_t *errors, const char *key, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_pack("[ss]", key, msg));
}

static bool known_converter(const char *cls)
{
	for (size_t i = 0; known_converters[i]; i++)
		if (strcmp(cls, known_converters[i]) == 0)
			return true;
	return false;
}

static void check_topics(json_t *errors, const char *list, const char *dlq)
{
	char *copy = strdup(list), *tok, *save = NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		for (char *e = tok + strlen(tok); e > tok && e[-1] == ' ';)
			*--e = '\0';
		if (!sv_kafka_topic_valid(tok, strlen(tok)))
			add_error(errors, "topics",
			          "Invalid value %s for configuration topics: "
			          "not a valid topic name",
			          tok);
		else if (dlq && strcmp(tok, dlq) == 0)
			add_error(errors, "topics",
			          "The DLQ topic '%s' may not be included in "
			          "the list of topics ('topics=%s') consumed "
			          "by the connector",
			          dlq, list);
	}
	free(copy);
}

/* Kafka Connect's ConnectorConfig / SinkConnectorConfig checks. */
static const struct sv_plugin *check_common(struct sv_herder *h, json_t *config,
                                            json_t *errors)
{
	const char *cls = cfg(config, "connector.class");
	const struct sv_plugin *p = NULL;
	struct sv_restart_policy policy;
	const char *s, *bad_key;
	char *end, why[512];

	if (!cls || !*cls) {
		add_error(errors, "connector.class",
		          "Missing required configuration \"connector.class\" "
		          "which has no default value.");
	} else if (!(p = sv_plugins_find(h->ctx->plugins, cls))) {
		json_t *names = json_array();
		char *list;

		for (size_t i = 0; names && i < h->ctx->plugins->n; i++)
			json_array_append_new(
			    names, json_string(h->ctx->plugins->v[i].name));
		list = names ? json_dumps(names, JSON_COMPACT) : NULL;
		add_error(errors, "connector.class",
		          "Failed to find any class that implements Connector "
		          "and which name matches %s, available connectors "
		          "are: %s",
		          cls, list ? list : "[]");
		free(list);
		json_decref(names);
	}
	/* sandbox.* and topics.allowed (sv_sandbox.h), restart.* */
	if (sv_sandbox_check(config, &bad_key, why, sizeof(why)))
		add_error(errors, bad_key, "%s", why);
	if (sv_restart_policy_get(h->ctx->w, config, &policy, &bad_key, why,
	                          sizeof(why)))
		add_error(errors, bad_key, "%s", why);
	s = cfg(config, "tasks.max");
	if (s) {
		long v = strtol(s, &end, 10);

		if (!*s || *end || v < 1 || v > 10000)
			add_error(
			    errors, "tasks.max",
			    "Invalid value %s for configuration tasks.max: "
			    "Value must be at least 1",
			    s);
	}
	static const char *const conv_keys[] = {
	    "key.converter", "value.converter", "header.converter"};
	for (size_t i = 0; i < 3; i++) {
		s = cfg(config, conv_keys[i]);
		if (s && *s && !known_converter(s))
			add_error(
			    errors, conv_keys[i],
			    "Invalid value %s for configuration %s: Class "
			    "%s could not be found.",
			    s, conv_keys[i], s);
	}
	s = cfg(config, "errors.tolerance");
	if (s && strcasecmp(s, "none") != 0 && strcasecmp(s, "all") != 0)
		add_error(errors, "errors.tolerance",
		          "Invalid value %s for configuration "
		          "errors.tolerance: String must be one of: none, all",
		          s);
	if (p && !p->source) {
		const char *topics = cfg(config, "topics");
		const char *regex = cfg(config, "topics.regex");
		const char *dlq =
		    cfg(config, "errors.deadletterqueue.topic.name");

		if ((topics && *topics) && (regex && *regex))
			add_error(errors, "topics",
			          "topics and topics.regex are mutually "
			          "exclusive options, but both are set.");
		else if (!(topics && *topics) && !(regex && *regex))
			add_error(errors, "topics",
			          "Must configure one of topics or "
			          "topics.regex");
		else if (topics && *topics)
			check_topics(errors, topics, dlq && *dlq ? dlq : NULL);
		if (dlq && *dlq && !sv_kafka_topic_valid(dlq, strlen(dlq)))
			add_error(errors, "errors.deadletterqueue.topic.name",
			          "Invalid value %s for configuration "
			          "errors.deadletterqueue.topic.name: not a "
			          "valid topic name",
			          dlq);
	}
	return p;
}

static json_t *keydef_json(const struct keydef *k)
{
	return json_pack("{s:s,s:s,s:b,s:s?,s:s,s:s,s:s,s:s,s:s,s:[],s:i}",
	                 "name", k->name, "type", k->type, "required",
	                 k->required, "default_value", k->dflt, "importance",
	                 k->importance, "documentation", k->doc, "group",
	                 k->group, "width", k->width, "display_name",
	                 k->display, "dependents", "order", k->order);
}

/* A plugin option (describe JSON) as Kafka Connect's ConfigKeyInfo. */
static json_t *option_json(json_t *opts, size_t index)
{
	json_t *o = json_array_get(opts, index), *other;
	const char *group = cfg(o, "group");
	int order = -1;
	size_t i;

	if (group) {
		/* position within its group, from 1, as orderInGroup */
		order = 0;
		json_array_foreach(opts, i, other)
		{
			const char *g = cfg(other, "group");

			if (g && strcmp(g, group) == 0)
				order++;
			if (i == index)
				break;
		}
	}
	return json_pack(
	    "{s:s?,s:s?,s:b,s:s?,s:s?,s:s?,s:s?,s:s,s:s?,s:[],s:i}", "name",
	    cfg(o, "name"), "type", cfg(o, "type"), "required",
	    json_is_true(json_object_get(o, "required")), "default_value",
	    cfg(o, "default"), "importance", cfg(o, "importance"),
	    "documentation", cfg(o, "doc"), "group", group, "width", "NONE",
	    "display_name", cfg(o, "display_name"), "dependents", "order",
	    order);
}

static unsigned plugin_kind(const struct sv_plugin *p)
{
	return !p ? FOR_BOTH : p->source ? FOR_SOURCE : FOR_SINK;
}

/*
 * The definitions (ConfigKeyInfo list) of a plugin: with common_first
 * (validation, as Kafka Connect's enriched ConfigDef) the common keys
 * come first and a plugin option of the same name takes their place;
 * otherwise (GET .../config) the plugin's options come first.
 */
static json_t *definitions(const struct sv_plugin *p, bool common_first)
{
	json_t *opts = p ? json_object_get(p->desc, "options") : NULL;
	json_t *defs = json_array(), *d;
	unsigned kind = plugin_kind(p);
	size_t i;

	if (!defs)
		return NULL;
	if (!common_first)
		for (i = 0; i < json_array_size(opts); i++)
			json_array_append_new(defs, option_json(opts, i));
	for (i = 0; i < NCOMMON; i++) {
		const struct keydef *k = &common_keys[i];
		json_t *own = p ? sv_plugin_option(p, k->name) : NULL;

		if (!(k->kinds & kind))
			continue;
		if (own && !common_first)
			continue;
		if (own) {
			size_t idx;

			json_array_foreach(opts, idx, d)
			{
				if (d == own)
					break;
			}
			json_array_append_new(defs, option_json(opts, idx));
			continue;
		}
		json_array_append_new(defs, keydef_json(k));
	}
	if (common_first)
		for (i = 0; i < json_array_size(opts); i++) {
			const char *n = cfg(json_array_get(opts, i), "name");
			bool dup = false;

			for (size_t k = 0; k < NCOMMON && n; k++)
				dup |= (common_keys[k].kinds & kind) &&
				       strcmp(common_keys[k].name, n) == 0;
			if (!dup)
				json_array_append_new(defs,
				                      option_json(opts, i));
		}
	return defs;
}

json_t *sv_herder_plugin_config(struct sv_herder *h, const struct sv_plugin *p)
{
	(void)h;
	return p ? definitions(p, false) : NULL;
}

/* ConfigValueInfo for one key. */
static json_t *value_json(const struct sv_plugin *p, json_t *config,
                          json_t *nulls, const char *key, json_t *def,
                          json_t *errs)
{
	json_t *v = json_object_get(config, key);
	const char *shown = NULL;

	if (json_is_string(v))
		shown = json_string_value(v);
	else if (!json_object_get(nulls, key) && def)
		shown = cfg(def, "default_value");
	if (shown && password_key(p, key))
		shown = SV_HERDER_HIDDEN;
	return json_pack("{s:s,s:s?,s:[],s:O,s:b}", "name", key, "value", shown,
	                 "recommended_values", "errors", errs, "visible", 1);
}

/*
 * Kafka Connect's ConfigInfos for a validated config: the values that
 * have no definition first, then every definition with its value. Also
 * gives the total error count.
 */
static json_t *build_infos(const char *cls, const struct sv_plugin *p,
                           json_t *config, json_t *nulls, json_t *errors,
                           size_t *nerrors)
{
	json_t *defs = definitions(p, true), *byk = json_object();
	json_t *configs = json_array(), *groups = json_array(), *e, *d;
	json_t *infos = NULL;
	const char *k;
	size_t i, n = 0;

	if (!defs || !byk || !configs || !groups)
		goto out;
	json_array_foreach(errors, i, e)
	{
		const char *key = json_string_value(json_array_get(e, 0));
		json_t *list = json_object_get(byk, key);

		if (!list) {
			list = json_array();
			json_object_set_new(byk, key, list);
		}
		json_array_append(list, json_array_get(e, 1));
		n++;
	}
	json_object_foreach(byk, k, e)
	{
		bool defined = false;

		json_array_foreach(defs, i, d)
		{
			defined |= strcmp(cfg(d, "name"), k) == 0;
		}
		if (!defined)
			json_array_append_new(
			    configs,
			    json_pack(
			        "{s:n,s:o}", "definition", "value",
			        value_json(p, config, nulls, k, NULL, e)));
	}
	json_array_foreach(defs, i, d)
	{
		const char *name = cfg(d, "name");
		const char *group = cfg(d, "group");
		json_t *errs = json_object_get(byk, name), *g;
		bool seen = false;
		size_t gi;

		if (group) {
			json_array_foreach(groups, gi, g)
			{
				seen |=
				    strcmp(json_string_value(g), group) == 0;
			}
			if (!seen)
				json_array_append_new(groups,
				                      json_string(group));
		}
		errs = errs ? json_incref(errs) : json_array();
		json_array_append_new(
		    configs,
		    json_pack("{s:O,s:o}", "definition", d, "value",
		              value_json(p, config, nulls, name, d, errs)));
		json_decref(errs);
	}
	infos = json_pack("{s:s?,s:i,s:O,s:O}", "name", cls, "error_count",
	                  (int)n, "groups", groups, "configs", configs);
	*nerrors = n;
out:
	json_decref(defs);
	json_decref(byk);
	json_decref(configs);
	json_decref(groups);
	return infos;
}

/* Kafka Connect's message for a rejected config, in ConfigInfos order. */
static char *invalid_message(json_t *infos)
{
	json_t *configs = json_object_get(infos, "configs"), *ci, *m;
	char *msg = NULL, *next;
	size_t i, k;

	if (asprintf(&msg,
	             "Connector configuration is invalid and contains the "
	             "following %d error(s):",
	             (int)json_integer_value(
	                 json_object_get(infos, "error_count"))) < 0)
		return NULL;
	json_array_foreach(configs, i, ci)
	{
		json_t *errs =
		    json_object_get(json_object_get(ci, "value"), "errors");

		json_array_foreach(errs, k, m)
		{
			if (asprintf(&next, "%s\n%s", msg,
			             json_string_value(m)) < 0)
				continue;
			free(msg);
			msg = next;
		}
	}
	if (asprintf(&next,
	             "%s\nYou can also find the above list of errors at the "
	             "endpoint `/connector-plugins/{connectorType}/config/"
	             "validate`",
	             msg) >= 0) {
		free(msg);
		msg = next;
	}
	return msg;
}

static void vjob_unlink(struct vjob *j)
{
	TAILQ_REMOVE(&j->h->vjobs, j, link);
}

/* A REST answer waiting for a leader write to come back. */
struct cl_answer {
	sv_herder_cb cb;
	void *arg;
	int code;
};

static void cl_answered(void *arg, int code, const char *error)
{
	struct cl_answer *a = arg;

	a->cb(a->arg, error ? code : a->code, error);
	free(a);
}

/* Hands a write to the cluster; cb gets `code` once it is read back. */
static struct cl_answer *cl_answer(sv_herder_cb cb, void *arg, int code)
{
	struct cl_answer *a = calloc(1, sizeof(*a));

	if (a) {
		a->cb = cb;
		a->arg = arg;
		a->code = code;
	}
	return a;
}

static void cl_apply(struct vjob *j, struct conn *c)
{
	struct cl_answer *a = cl_answer(j->cb, j->arg, c ? 200 : 201);
	char err[512];
	int rc;

	if (!a) {
		j->cb(j->arg, 500, "out of memory");
		return;
	}
	rc = sv_cluster_put_connector(j->h->cl, j->name, j->config,
	                              c ? NULL : j->initial, cl_answered, a,
	                              err, sizeof(err));
	if (rc) {
		free(a);
		j->cb(j->arg,
		      rc == -EAGAIN   ? 409
		      : rc == -ENOSPC ? 400
		                      : 500,
		      rc == -EAGAIN ? "Cannot complete request because of a "
		                      "conflicting operation (e.g. worker "
		                      "rebalance)"
		                    : err);
	}
}

static void apply(struct vjob *j)
{
	struct sv_herder *h = j->h;
	struct conn *c = find(h, j->name);
	char err[512], msg[600];

	if (c && c->deleting) {
		snprintf(msg, sizeof(msg), "Connector %s is being deleted",
		         j->name);
		j->cb(j->arg, 409, msg);
		return;
	}
	if (c && j->mode == SV_HERDER_CREATE) {
		snprintf(msg, sizeof(msg), "Connector %s already exists",
		         j->name);
		j->cb(j->arg, 409, msg);
		return;
	}
	if (!c && j->mode == SV_HERDER_UPDATE) {
		snprintf(msg, sizeof(msg), "Connector %s not found", j->name);
		j->cb(j->arg, 404, msg);
		return;
	}
	if (h->cl) {
		cl_apply(j, c);
		return;
	}
	if (c) {
		if (sv_cfgstore_put(h->store, j->name, j->config, c->target,
		                    err, sizeof(err))) {
			j->cb(j->arg, 500, err);
			return;
		}
		json_decref(c->config);
		c->config = json_incref(j->config);
		c->plugin = conn_plugin(c);
		sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-UPDATED", c->name, -1,
		        "connector %s reconfigured", c->name);
		/* answered when the new config runs (restart_all) */
		notify_waiter(c, 409, "superseded by a newer request");
		c->waiter = j->cb;
		c->waiter_arg = j->arg;
		stop_units(c, true, restart_all);
		return;
	}
	if (sv_cfgstore_put(h->store, j->name, j->config, j->initial, err,
	                    sizeof(err))) {
		j->cb(j->arg, 500, err);
		return;
	}
	if (!(c = conn_new(h, j->name, j->config, j->initial))) {
		j->cb(j->arg, 500, "out of memory");
		return;
	}
	sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-CREATED", c->name, -1,
	        "connector %s created (%s)", c->name, c->target);
	start_connector(c);
	j->cb(j->arg, 201, NULL);
}

/* Every check has answered: answer the request. Frees j. */
static void vjob_finish(struct vjob *j)
{
	size_t nerr = 0;
	json_t *infos = build_infos(j->cls, j->plugin, j->config, j->nulls,
	                            j->errors, &nerr);
	char *msg;

	vjob_unlink(j);
	if (!infos) {
		if (j->validate_only)
			j->vcb(j->arg, 500, "out of memory", NULL);
		else
			j->cb(j->arg, 500, "out of memory");
	} else if (j->validate_only) {
		j->vcb(j->arg, 200, NULL, infos);
	} else if (nerr) {
		msg = invalid_message(infos);
		j->cb(j->arg, 400, msg ? msg : "invalid config");
		free(msg);
	} else {
		apply(j);
	}
	json_decref(infos);
	vjob_free(j);
}

static void vjob_fail(struct vjob *j, int code, const char *error)
{
	vjob_unlink(j);
	if (j->validate_only)
		j->vcb(j->arg, code, error, NULL);
	else
		j->cb(j->arg, code, error);
	vjob_free(j);
}

static void unit_validated(struct sv_unit *u, json_t *errors,
                           const char *failure)
{
	struct vjob *j = u->opaque;
	size_t i;
	json_t *e;

	if (!errors) {
		char buf[1200];

		snprintf(buf, sizeof(buf), "cannot validate the config: %s",
		         failure ? failure : "unknown error");
		vjob_fail(j, 500, buf);
		return;
	}
	json_array_foreach(errors, i, e) json_array_append(j->errors, e);
	vjob_finish(j);
}

static struct vjob *vjob_new(struct sv_herder *h, json_t *config)
{
	struct vjob *j = calloc(1, sizeof(*j));
	const char *cls = cfg(config, "connector.class");

	if (!j)
		return NULL;
	j->h = h;
	if (!(j->config = json_deep_copy(config)) ||
	    !(j->errors = json_array()) || !(j->nulls = json_object()) ||
	    (cls && !(j->cls = strdup(cls)))) {
		vjob_free(j);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&h->vjobs, j, link);
	return j;
}

/* Runs the common checks, then the plugin's in a validation taskhost. */
static void vjob_run(struct vjob *j, const char *label)
{
	struct sv_herder *h = j->h;
	char err[512];

	j->plugin = check_common(h, j->config, j->errors);
	if (!j->plugin) {
		vjob_finish(j);
		return;
	}
	j->u = sv_unit_new(h->ctx, SV_UNIT_VALIDATE, label, -1, j->plugin,
	                   j->config, j->config, &validate_ops, j, err,
	                   sizeof(err));
	if (!j->u) {
		vjob_fail(j, 500, err);
		return;
	}
	sv_unit_start(j->u);
}

void sv_herder_put(struct sv_herder *h, const char *name, json_t *config,
                   const char *initial_state, enum sv_herder_put_mode mode,
                   sv_herder_cb cb, void *arg)
{
	struct conn *c = find(h, name);
	struct vjob *j;
	char err[512], msg[600];

	if (h->shutting_down) {
		cb(arg, 503, "sluiced is shutting down");
		return;
	}
	if ((c && busy(c)) || put_pending(h, name)) {
		snprintf(msg, sizeof(msg),
		         "Cannot complete the request: connector %s is being "
		         "reconfigured by another request; try again",
		         name);
		cb(arg, 409, msg);
		return;
	}
	if (c && mode == SV_HERDER_CREATE) {
		snprintf(msg, sizeof(msg), "Connector %s already exists", name);
		cb(arg, 409, msg);
		return;
	}
	if (!c && mode == SV_HERDER_UPDATE) {
		snprintf(msg, sizeof(msg), "Connector %s not found", name);
		cb(arg, 404, msg);
		return;
	}
	if (!(j = vjob_new(h, config)) || !(j->name = strdup(name))) {
		if (j) {
			vjob_unlink(j);
			vjob_free(j);
		}
		cb(arg, 500, "out of memory");
		return;
	}
	j->cb = cb;
	j->arg = arg;
	j->mode = mode;
	snprintf(j->initial, sizeof(j->initial), "%s",
	         initial_state ? initial_state : "RUNNING");
	json_object_set_new(j->config, "name", json_string(name));
	if (c)
		keep_hidden(sv_plugins_find(h->ctx->plugins,
		                            cfg(j->config, "connector.class")),
		            j->config, c->config);
	if (sv_connfile_check_name(name, err, sizeof(err)))
		add_error(j->errors, "name",
		          "Invalid value %s for configuration name: %s", name,
		          err);
	vjob_run(j, name);
}

void sv_herder_validate(struct sv_herder *h, json_t *config,
                        sv_herder_validate_cb cb, void *arg)
{
	struct vjob *j;
	const char *k, *name;
	bool label_ok = false;
	char err[512];
	json_t *v;
	void *tmp;

	if (h->shutting_down) {
		cb(arg, 503, "sluiced is shutting down", NULL);
		return;
	}
	if (!(j = vjob_new(h, config))) {
		cb(arg, 500, "out of memory", NULL);
		return;
	}
	j->validate_only = true;
	j->vcb = cb;
	j->arg = arg;
	/* a null value is an error of its own, and the plugin never sees
	 * it */
	json_object_foreach_safe(j->config, tmp, k, v)
	{
		if (!json_is_null(v))
			continue;
		add_error(j->errors, k,
		          "Null value can not be supplied as the configuration "
		          "value.");
		json_object_set_new(j->nulls, k, json_true());
		json_object_del(j->config, k);
	}
	name = cfg(j->config, "name");
	if (!name && !json_object_get(j->nulls, "name"))
		add_error(j->errors, "name",
		          "Missing required configuration \"name\" which has "
		          "no default value.");
	else if (name && sv_connfile_check_name(name, err, sizeof(err)))
		add_error(j->errors, "name",
		          "Invalid value %s for configuration name: %s", name,
		          err);
	else if (name)
		label_ok = true;
	/* the validation taskhost gets a task directory named after the
	 * connector: only a valid name may choose it */
	vjob_run(j, label_ok ? name : "validate");
}

/* --- operations -------------------------------------------------------- */

int sv_herder_delete(struct sv_herder *h, const char *name, sv_herder_cb cb,
                     void *arg)
{
	struct conn *c = find_live(h, name);
	char err[512];

	if (!c)
		return -ENOENT;
	if (busy(c))
		return -EBUSY;
	if (h->cl) {
		struct cl_answer *a = cb ? cl_answer(cb, arg, 204) : NULL;
		int rc;

		if (cb && !a)
			return -ENOMEM;
		rc = sv_cluster_delete(h->cl, name, (int)task_count(c),
		                       a ? cl_answered : NULL, a);
		if (rc)
			free(a);
		return rc == -EAGAIN ? -EBUSY : rc ? -EIO : 0;
	}
	if (sv_cfgstore_remove(h->store, name, err, sizeof(err)) &&
	    json_object_get(sv_cfgstore_connectors(h->store), name)) {
		sv_error("SV-CFGSTORE", "%s", err);
		return -EIO;
	}
	c->deleting = true;
	c->waiter = cb;
	c->waiter_arg = arg;
	stop_units(c, true, finish_delete);
	return 0;
}

static int set_target(struct sv_herder *h, struct conn *c, const char *target)
{
	char err[512];

	if (h->cl) {
		int rc =
		    sv_cluster_set_target(h->cl, c->name, target, NULL, NULL);

		return rc == -EAGAIN ? -EBUSY : rc ? -EIO : 0;
	}

	if (sv_cfgstore_set_state(h->store, c->name, target, err,
	                          sizeof(err))) {
		sv_error("SV-CFGSTORE", "%s", err);
		return -EIO;
	}
	snprintf(c->target, sizeof(c->target), "%s", target);
	return 0;
}

/* A connector that may take a write now: 0, -ENOENT or -EBUSY. */
static int writable(struct sv_herder *h, const char *name, struct conn **cp)
{
	struct conn *c = find_live(h, name);

	*cp = c;
	if (!c)
		return -ENOENT;
	return busy(c) ? -EBUSY : 0;
}

int sv_herder_pause(struct sv_herder *h, const char *name)
{
	struct conn *c;
	bool was_stopped;
	int rc;

	if ((rc = writable(h, name, &c)))
		return rc;
	was_stopped = strcmp(c->target, "STOPPED") == 0;
	if ((rc = set_target(h, c, "PAUSED")))
		return rc;
	if (h->cl)
		return 0; /* applied when read back (sv_herder_cl_target) */
	if (was_stopped) {
		start_connector(c);
		return 0;
	}
	if (c->cu)
		sv_unit_pause(c->cu, true);
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i])
			sv_unit_pause(c->tasks[i], true);
	return 0;
}

int sv_herder_resume(struct sv_herder *h, const char *name)
{
	struct conn *c;
	bool was_stopped;
	int rc;

	if ((rc = writable(h, name, &c)))
		return rc;
	was_stopped = strcmp(c->target, "STOPPED") == 0;
	if ((rc = set_target(h, c, "RUNNING")))
		return rc;
	if (h->cl)
		return 0;
	if (was_stopped) {
		start_connector(c);
		return 0;
	}
	if (c->cu)
		sv_unit_pause(c->cu, false);
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i])
			sv_unit_pause(c->tasks[i], false);
	return 0;
}

static void stopped_all(struct conn *c)
{
	sv_unit_free(c->cu);
	c->cu = NULL;
	free_tasks(c);
	notify_waiter(c, 204, NULL);
}

int sv_herder_stop_connector(struct sv_herder *h, const char *name,
                             sv_herder_cb cb, void *arg)
{
	struct conn *c;
	int rc;

	if ((rc = writable(h, name, &c)))
		return rc;
	if (h->cl) {
		struct cl_answer *a = cb ? cl_answer(cb, arg, 204) : NULL;

		if (cb && !a)
			return -ENOMEM;
		rc = sv_cluster_set_target(h->cl, c->name, "STOPPED",
		                           a ? cl_answered : NULL, a);
		if (rc)
			free(a);
		return rc == -EAGAIN ? -EBUSY : rc ? -EIO : 0;
	}
	if (set_target(h, c, "STOPPED"))
		return -EIO;
	c->waiter = cb;
	c->waiter_arg = arg;
	stop_units(c, true, stopped_all);
	return 0;
}

static bool failed(struct sv_unit *u)
{
	return u && u->phase == SV_PH_FAILED;
}

static void restart_unit(struct sv_unit *u)
{
	if (!u)
		return;
	if (u->phase == SV_PH_FAILED || u->phase == SV_PH_BACKOFF) {
		sv_unit_start(u);
		return;
	}
	/* a running one: stop, and start again as soon as it stopped */
	sv_unit_stop(u);
	u->stop_notify = false;
	sv_unit_start(u);
}

static json_t *status_json(struct conn *c, bool restart_conn,
                           bool restart_tasks, bool only_failed);
static bool remote_failed(struct conn *c, int task);
static int restart_local(struct conn *c, bool include_tasks, bool only_failed);

int sv_herder_restart(struct sv_herder *h, const char *name, bool include_tasks,
                      bool only_failed, json_t **plan)
{
	struct conn *c;
	bool conn_failed;
	int rc;

	if ((rc = writable(h, name, &c)))
		return rc;
	conn_failed = h->cl ? remote_failed(c, -1)
	                    : failed(c->cu) || (c->trace && !c->cu);
	if (plan)
		*plan = status_json(c, !only_failed || conn_failed,
		                    include_tasks, only_failed);
	if (h->cl) {
		rc = sv_cluster_restart(h->cl, name, -1, include_tasks,
		                        only_failed);
		if (rc && plan) {
			json_decref(*plan);
			*plan = NULL;
		}
		return rc == -EAGAIN ? -EBUSY : rc ? -EIO : 0;
	}
	return restart_local(c, include_tasks, only_failed);
}

static int restart_local(struct conn *c, bool include_tasks, bool only_failed)
{
	bool conn_failed = failed(c->cu) || (c->trace && !c->cu);

	if (strcmp(c->target, "STOPPED") == 0)
		return 0;
	if (!c->cu) {
		if (!only_failed || conn_failed)
			start_connector(c);
	} else if (!only_failed || failed(c->cu)) {
		restart_unit(c->cu);
	}
	if (!include_tasks)
		return 0;
	for (size_t i = 0; i < c->ntasks; i++)
		if (!only_failed || failed(c->tasks[i]))
			restart_unit(c->tasks[i]);
	return 0;
}

int sv_herder_restart_task(struct sv_herder *h, const char *name, int task)
{
	struct conn *c;
	int rc;

	if ((rc = writable(h, name, &c)))
		return rc;
	if (h->cl) {
		if (task < 0 || (size_t)task >= task_count(c))
			return -ERANGE;
		rc = sv_cluster_restart(h->cl, name, task, false, false);
		return rc == -EAGAIN ? -EBUSY : rc ? -EIO : 0;
	}
	if (task < 0 || (size_t)task >= c->ntasks || !c->tasks[task])
		return -ERANGE;
	restart_unit(c->tasks[task]);
	return 0;
}

/* --- status and config ------------------------------------------------ */

static json_t *unit_json(struct sv_herder *h, struct sv_unit *u, int id,
                         const char *state_override, const char *trace)
{
	json_t *o = json_object();
	const char *state = state_override ? state_override
	                    : u            ? sv_unit_state(u)
	                                   : "UNASSIGNED";
	const char *note;

	if (!o)
		return NULL;
	if (id >= 0)
		json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "worker_id", json_string(h->ctx->w->worker_id));
	if (u && u->trace && strcmp(state, "RUNNING") != 0)
		trace = u->trace;
	if (trace &&
	    (strcmp(state, "FAILED") == 0 || strcmp(state, "RESTARTING") == 0 ||
	     strcmp(state, "UNASSIGNED") == 0))
		json_object_set_new(o, "trace", json_string(trace));
	/* sluice's own fields (restarts, pid, last and next restart),
	 * after Kafka Connect's */
	if (u) {
		json_t *extra = sv_unit_status_extra(u);

		json_object_update(o, extra);
		json_decref(extra);
	}
	/* sandbox=none, or limits without a cgroup, say so here too */
	if ((note = sv_sandbox_note(h->ctx->w->sandbox)))
		json_object_set_new(o, "sandbox", json_string(note));
	return o;
}

static const char *conn_state(struct conn *c)
{
	if (strcmp(c->target, "STOPPED") == 0)
		return "STOPPED";
	if (c->trace && (!c->cu || c->cu->phase == SV_PH_IDLE))
		return "FAILED";
	return NULL;
}

static const char *type_name(const struct sv_plugin *p)
{
	return p ? (p->source ? "source" : "sink") : "unknown";
}

/* Distributed mode: the status another member (or none) wrote for a
 * unit this member does not run. */
static json_t *remote_json(struct conn *c, int id, const char *state_override)
{
	json_t *st = sv_cluster_status(c->h->cl, c->name, id);
	const char *state = json_string_value(json_object_get(st, "state"));
	const char *trace = json_string_value(json_object_get(st, "trace"));
	json_t *o;

	if (state_override)
		state = state_override;
	else if (!state)
		state = "UNASSIGNED";
	if (id < 0 && strcmp(c->target, "STOPPED") == 0)
		state = "STOPPED";
	o = json_object();
	if (o && id >= 0)
		json_object_set_new(o, "id", json_integer(id));
	if (o) {
		json_object_set_new(o, "state", json_string(state));
		json_object_set(o, "worker_id",
		                json_object_get(st, "worker_id")
		                    ? json_object_get(st, "worker_id")
		                    : json_null());
	}
	if (o && trace && strcmp(state, "RUNNING") != 0)
		json_object_set_new(o, "trace", json_string(trace));
	return o;
}

static bool remote_failed(struct conn *c, int task)
{
	struct sv_unit *u = task < 0 ? c->cu : task_unit(c, (size_t)task);
	json_t *st;

	if (u)
		return failed(u);
	st = sv_cluster_status(c->h->cl, c->name, task);
	return strcmp(json_string_value(json_object_get(st, "state"))
	                  ? json_string_value(json_object_get(st, "state"))
	                  : "",
	              "FAILED") == 0;
}

/* ConnectorStateInfo; the instances a restart would restart are shown
 * as RESTARTING. */
static json_t *status_json(struct conn *c, bool restart_conn,
                           bool restart_tasks, bool only_failed)
{
	struct sv_herder *h = c->h;
	json_t *tasks = json_array(), *cj;
	const char *cstate = restart_conn ? "RESTARTING" : conn_state(c);

	for (size_t i = 0; tasks && i < task_count(c); i++) {
		struct sv_unit *u = task_unit(c, i);
		bool again = restart_tasks &&
		             (!only_failed ||
		              (h->cl ? remote_failed(c, (int)i) : failed(u)));

		json_array_append_new(
		    tasks,
		    h->cl && !u
		        ? remote_json(c, (int)i, again ? "RESTARTING" : NULL)
		        : unit_json(h, u, (int)i, again ? "RESTARTING" : NULL,
		                    c->trace));
	}
	if (h->cl && !c->cu && !(c->trace && !restart_conn))
		cj = remote_json(c, -1, restart_conn ? "RESTARTING" : NULL);
	else
		cj = unit_json(h, c->cu, -1, cstate, c->trace);
	return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name, "connector", cj,
	                 "tasks", tasks ? tasks : json_array(), "type",
	                 type_name(c->plugin));
}

json_t *sv_herder_status(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	return c ? status_json(c, false, false, false) : NULL;
}

json_t *sv_herder_task_status(struct sv_herder *h, const char *name, int task)
{
	struct conn *c = find_live(h, name);

	if (!c || task < 0 || (size_t)task >= task_count(c))
		return NULL;
	if (h->cl && !task_unit(c, (size_t)task))
		return remote_json(c, task, NULL);
	return unit_json(h, c->tasks[task], task, NULL, c->trace);
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

/* A sorted copy of an array of strings. */
static json_t *sorted(json_t *a)
{
	size_t n = json_array_size(a);
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

	if (!v || !out) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(a, i);
	qsort(v, n, sizeof(*v), cmp_json_str);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

json_t *sv_herder_names(struct sv_herder *h)
{
	json_t *a = json_array(), *s;
	struct conn *c;

	TAILQ_FOREACH (c, &h->conns, link)
		if (!c->deleting)
			json_array_append_new(a, json_string(c->name));
	s = sorted(a);
	json_decref(a);
	return s;
}

json_t *sv_herder_config(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	return c ? c->config : NULL;
}

json_t *sv_herder_config_shown(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	return c ? hide(c->plugin, c->config) : NULL;
}

/* The task count Kafka Connect shows: none while STOPPED. */
static size_t shown_tasks(struct conn *c)
{
	if (strcmp(c->target, "STOPPED") == 0)
		return 0;
	return json_array_size(c->task_configs);
}

json_t *sv_herder_info(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);
	json_t *tasks;

	if (!c || !(tasks = json_array()))
		return NULL;
	for (size_t i = 0; i < shown_tasks(c); i++)
		json_array_append_new(tasks,
		                      json_pack("{s:s,s:i}", "connector",
		                                c->name, "task", (int)i));
	return json_pack("{s:s,s:o,s:o,s:s}", "name", c->name, "config",
	                 hide(c->plugin, c->config), "tasks", tasks, "type",
	                 type_name(c->plugin));
}

json_t *sv_herder_tasks(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);
	json_t *a;

	if (!c || !(a = json_array()))
		return NULL;
	for (size_t i = 0; i < shown_tasks(c); i++)
		json_array_append_new(
		    a, json_pack("{s:{s:s,s:i},s:o}", "id", "connector",
		                 c->name, "task", (int)i, "config",
		                 hide(c->plugin,
		                      json_array_get(c->task_configs, i))));
	return a;
}

/* --- active topics ------------------------------------------------------ */

void sv_herder_topic_used(struct sv_unit *u, const char *topic, size_t len)
{
	struct conn *c;
	json_t *t;
	size_t i;

	if (u->dead || (u->kind != SV_UNIT_SOURCE && u->kind != SV_UNIT_SINK))
		return;
	c = u->opaque;
	json_array_foreach(c->topics, i, t)
	{
		if (json_string_length(t) == len &&
		    memcmp(json_string_value(t), topic, len) == 0)
			return;
	}
	json_array_append_new(c->topics, json_stringn(topic, len));
}

json_t *sv_herder_topics(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	return c ? sorted(c->topics) : NULL;
}

int sv_herder_topics_reset(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	if (!c)
		return -ENOENT;
	json_array_clear(c->topics);
	return 0;
}

/* --- offsets ------------------------------------------------------------ */

int sv_herder_offsets_begin(struct sv_herder *h, const char *name, bool modify,
                            bool *source, json_t **config, char *err,
                            size_t errlen)
{
	struct conn *c = find_live(h, name);

	if (!c)
		return -ENOENT;
	if (!c->plugin) {
		snprintf(err, errlen,
		         "The type of connector %s cannot be determined: no "
		         "plugin named %s is loaded",
		         name, cfg(c->config, "connector.class"));
		return -ENOEXEC;
	}
	if (modify && busy(c))
		return -EBUSY;
	if (modify &&
	    (strcmp(c->target, "STOPPED") != 0 || c->cu || c->ntasks != 0)) {
		snprintf(
		    err, errlen,
		    "Connectors must be in the STOPPED state before their "
		    "offsets can be modified. This can be done for the "
		    "specified connector by issuing a 'PUT' request to the "
		    "'/connectors/%s/stop' endpoint",
		    name);
		return -EPERM;
	}
	*source = c->plugin->source;
	if (config && !(*config = json_deep_copy(c->config)))
		return -ENOMEM;
	if (modify)
		c->locks++;
	return 0;
}

void sv_herder_offsets_end(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);

	if (c && c->locks > 0)
		c->locks--;
}

json_t *sv_herder_source_offsets(struct sv_herder *h, const char *name)
{
	json_t *pairs = sv_offsets_of(h->ctx->offsets, name), *list, *pair;
	size_t i;

	if (!pairs || !(list = json_array())) {
		json_decref(pairs);
		return NULL;
	}
	json_array_foreach(pairs, i, pair)
	{
		json_error_t e;
		json_t *p =
		    json_loads(json_string_value(json_array_get(pair, 0)),
		               JSON_DECODE_ANY, &e);
		json_t *o =
		    json_loads(json_string_value(json_array_get(pair, 1)),
		               JSON_DECODE_ANY, &e);

		if (p && o)
			json_array_append_new(list, json_pack("{s:O,s:O}",
			                                      "partition", p,
			                                      "offset", o));
		json_decref(p);
		json_decref(o);
	}
	json_decref(pairs);
	return json_pack("{s:o}", "offsets", list);
}

/*
 * The stored text of a partition equal to p, if any: a partition given
 * with its keys in another order still names the same stored entry.
 */
static char *partition_text(json_t *stored, json_t *p)
{
	json_t *pair;
	size_t i;

	json_array_foreach(stored, i, pair)
	{
		json_error_t e;
		const char *text = json_string_value(json_array_get(pair, 0));
		json_t *sp = json_loads(text, 0, &e);
		bool same = sp && json_equal(sp, p);

		json_decref(sp);
		if (same)
			return strdup(text);
	}
	return json_dumps(p, JSON_COMPACT);
}

int sv_herder_source_offsets_set(struct sv_herder *h, const char *name,
                                 json_t *offsets, char *err, size_t errlen)
{
	struct sv_offsets *store = h->ctx->offsets;
	json_t *stored = NULL, *ent;
	size_t i;
	int rc = -EINVAL;

	if (!offsets) {
		sv_offsets_remove_connector(store, name);
		goto out_flush;
	}
	/* check everything first: a bad entry changes nothing */
	json_array_foreach(offsets, i, ent)
	{
		json_t *p = json_object_get(ent, "partition");
		json_t *o = json_object_get(ent, "offset");

		if (!json_is_object(p)) {
			snprintf(
			    err, errlen,
			    "Source partitions may not be null: offsets[%zu]"
			    " needs a \"partition\" object",
			    i);
			return -EINVAL;
		}
		if (o && !json_is_object(o) && !json_is_null(o)) {
			snprintf(err, errlen,
			         "The offset of offsets[%zu] must be an object "
			         "or null",
			         i);
			return -EINVAL;
		}
	}
	if (!(stored = sv_offsets_of(store, name)))
		return -ENOMEM;
	json_array_foreach(offsets, i, ent)
	{
		json_t *o = json_object_get(ent, "offset");
		char *pt =
		    partition_text(stored, json_object_get(ent, "partition"));
		char *ot = o && !json_is_null(o) ? json_dumps(o, JSON_COMPACT)
		                                 : strdup("null");

		rc = pt && ot ? sv_offsets_put(store, name, pt, strlen(pt), ot,
		                               strlen(ot))
		              : -ENOMEM;
		free(pt);
		free(ot);
		if (rc) {
			snprintf(err, errlen, "cannot store offsets[%zu]: %s",
			         i, strerror(-rc));
			goto out;
		}
	}
out_flush:
	rc = sv_offsets_flush(store, err, errlen) ? -EIO : 0;
	if (rc == 0)
		sv_ulog(SV_LOG_INFO, "SV-OFFSETS-CHANGED", name, -1,
		        "source offsets of %s %s", name,
		        offsets ? "altered" : "reset");
out:
	json_decref(stored);
	return rc;
}

/* --- commits, start and shutdown -------------------------------------- */

void sv_herder_commit(struct sv_herder *h)
{
	struct conn *c;
	char err[512];
	bool any = false;
	int rc;

	TAILQ_FOREACH (c, &h->conns, link)
		for (size_t i = 0; i < c->ntasks; i++) {
			struct sv_unit *u = c->tasks[i];

			if (u && u->src)
				any |= sv_src_commit(u->src);
			else if (u && u->sink)
				sv_sink_flush(u->sink);
		}
	if (!any && !sv_offsets_dirty(h->ctx->offsets))
		return;
	/* the offset topic does not hold up the loop: its writes tell
	 * when they are durable (sv_herder_offsets_durable) */
	if (h->shutting_down)
		rc = sv_offsets_flush(h->ctx->offsets, err, sizeof(err));
	else
		rc = sv_offsets_flush_nowait(h->ctx->offsets, err, sizeof(err));
	if (rc == -EINPROGRESS)
		return;
	if (rc) {
		sv_error("SV-OFFSETS-FLUSH", "%s", err);
		return;
	}
	sv_herder_offsets_durable(h);
}

void sv_herder_offsets_durable(struct sv_herder *h)
{
	struct conn *c;

	TAILQ_FOREACH (c, &h->conns, link)
		for (size_t i = 0; i < c->ntasks; i++)
			if (c->tasks[i] && c->tasks[i]->src)
				sv_src_committed(c->tasks[i]->src);
}

static void on_commit_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sv_herder_commit(arg);
}

/* --- distributed mode ------------------------------------------------- */

void sv_herder_set_cluster(struct sv_herder *h, struct sv_cluster *cl)
{
	h->cl = cl;
}

/* Applies a target state read from the config topic. */
static void cl_apply_target(struct conn *c, const char *target)
{
	bool was_stopped = strcmp(c->target, "STOPPED") == 0;

	if (strcmp(c->target, target) == 0)
		return;
	snprintf(c->target, sizeof(c->target), "%s", target);
	sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-TARGET", c->name, -1,
	        "connector %s: target state %s", c->name, target);
	if (strcmp(target, "STOPPED") == 0) {
		stop_units(c, true, stopped_all);
		return;
	}
	if (was_stopped) {
		start_connector(c);
		start_tasks(c);
		return;
	}
	if (c->cu)
		sv_unit_pause(c->cu, strcmp(target, "PAUSED") == 0);
	for (size_t i = 0; i < c->ntasks; i++)
		if (c->tasks[i])
			sv_unit_pause(c->tasks[i],
			              strcmp(target, "PAUSED") == 0);
}

void sv_herder_cl_connector(struct sv_herder *h, const char *name,
                            json_t *config)
{
	struct conn *c = find(h, name);
	const char *target;

	if (!config) {
		json_object_del(h->cl_targets, name);
		if (!c || c->deleting)
			return;
		c->deleting = true;
		stop_units(c, true, finish_delete);
		return;
	}
	if (c && c->deleting) {
		sv_warn("SV-CLUSTER-CONFIG",
		        "connector %s re-created while its deletion runs: "
		        "applied after a restart of this member",
		        name);
		return;
	}
	if (c) {
		if (json_equal(c->config, config))
			return;
		json_decref(c->config);
		c->config = json_deep_copy(config);
		c->plugin = conn_plugin(c);
		sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-UPDATED", c->name, -1,
		        "connector %s reconfigured", c->name);
		stop_units(c, true, restart_all);
		return;
	}
	target = json_string_value(json_object_get(h->cl_targets, name));
	if (!(c = conn_new(h, name, config, target ? target : "RUNNING"))) {
		sv_error("SV-HERDER", "out of memory");
		return;
	}
	sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-CREATED", c->name, -1,
	        "connector %s (%s)", c->name, c->target);
	start_connector(c);
}

void sv_herder_cl_target(struct sv_herder *h, const char *name,
                         const char *target)
{
	struct conn *c = find_live(h, name);

	json_object_set_new(h->cl_targets, name, json_string(target));
	if (c)
		cl_apply_target(c, target);
}

void sv_herder_cl_tasks(struct sv_herder *h, const char *name, json_t *configs)
{
	struct conn *c = find_live(h, name);

	if (!c)
		return;
	if (c->task_configs && json_equal(c->task_configs, configs))
		return;
	sv_ulog(SV_LOG_INFO, "SV-TASK-CONFIGS", c->name, -1,
	        "%zu task config(s) committed", json_array_size(configs));
	json_decref(c->task_configs);
	c->task_configs = json_deep_copy(configs);
	/* a stop under way (a new config, a stop, a revocation) decides
	 * what starts next, with these configs */
	if (!c->after_stop)
		stop_units(c, false, start_tasks);
}

void sv_herder_cl_slots(struct sv_herder *h, const char *name)
{
	struct conn *c = find_live(h, name);

	if (!c || h->shutting_down || c->after_stop || c->nstopping ||
	    strcmp(c->target, "STOPPED") == 0)
		return;
	if (!c->cu)
		start_connector(c);
	if (!c->plugin || !c->task_configs)
		return;
	if (c->ntasks != json_array_size(c->task_configs)) {
		start_tasks(c);
		return;
	}
	for (size_t i = 0; i < c->ntasks; i++)
		if (!c->tasks[i])
			start_task(c, i);
}

void sv_herder_cl_restart(struct sv_herder *h, const char *name, int task,
                          bool include_tasks, bool only_failed)
{
	struct conn *c = find_live(h, name);

	if (!c)
		return;
	if (task >= 0) {
		restart_unit(task_unit(c, (size_t)task));
		return;
	}
	/* only what this member runs: the others restart their own */
	if (strcmp(c->target, "STOPPED") == 0)
		return;
	if (c->cu && (!only_failed || failed(c->cu)))
		restart_unit(c->cu);
	if (!include_tasks)
		return;
	for (size_t i = 0; i < c->ntasks; i++)
		if (!only_failed || failed(c->tasks[i]))
			restart_unit(c->tasks[i]);
}

static void cl_check_revoked(struct sv_herder *h)
{
	struct conn *c;

	if (!h->cl_revoking)
		return;
	TAILQ_FOREACH (c, &h->conns, link) {
		if (c->nstopping > 0 || c->hold > 0 || c->cu)
			return;
		for (size_t i = 0; i < c->ntasks; i++)
			if (c->tasks[i])
				return;
	}
	h->cl_revoking = false;
	sv_cluster_revoked(h->cl);
}

static void cl_unit_gone(struct sv_unit *u)
{
	if (u)
		sv_cluster_put_status(u->ctx->cluster, u->conn, u->task,
		                      "UNASSIGNED", NULL, true);
}

static void cl_revoked_one(struct conn *c)
{
	cl_unit_gone(c->cu);
	sv_unit_free(c->cu);
	c->cu = NULL;
	for (size_t i = 0; i < c->ntasks; i++)
		cl_unit_gone(c->tasks[i]);
	free_tasks(c);
}

void sv_herder_cl_revoke(struct sv_herder *h)
{
	struct conn *c, *next;

	h->cl_revoking = true;
	for (c = TAILQ_FIRST(&h->conns); c; c = next) {
		next = TAILQ_NEXT(c, link);
		/* a delete under way finishes by itself */
		if (c->deleting)
			continue;
		stop_units(c, true, cl_revoked_one);
	}
	cl_check_revoked(h);
}

void sv_herder_cl_assigned(struct sv_herder *h)
{
	struct conn *c;

	if (h->shutting_down)
		return;
	TAILQ_FOREACH (c, &h->conns, link) {
		if (c->deleting || strcmp(c->target, "STOPPED") == 0)
			continue;
		start_connector(c);
		if (c->task_configs && c->after_stop != start_tasks)
			start_tasks(c);
	}
}

void sv_herder_start(struct sv_herder *h)
{
	json_t *stored, *ent;
	const char *name;

	if (h->cl || !h->store)
		return;
	stored = sv_cfgstore_connectors(h->store);

	json_object_foreach(stored, name, ent)
	{
		struct conn *c;

		if (find(h, name))
			continue;
		c = conn_new(
		    h, name, json_object_get(ent, "config"),
		    json_string_value(json_object_get(ent, "target_state")));
		if (!c) {
			sv_error("SV-HERDER", "out of memory");
			continue;
		}
		sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-RESTORED", name, -1,
		        "connector %s restored (%s)", name, c->target);
		start_connector(c);
	}
}

static void shutdown_done(struct sv_herder *h)
{
	void (*done)(void *) = h->done;

	if (!done)
		return;
	h->done = NULL;
	evtimer_del(h->ev_deadline);
	evtimer_del(h->ev_commit);
	sv_herder_commit(h);
	done(h->done_arg);
}

static void check_shutdown(struct sv_herder *h)
{
	struct conn *c;

	TAILQ_FOREACH (c, &h->conns, link)
		if (c->nstopping > 0 || c->hold > 0)
			return;
	shutdown_done(h);
}

static void shutdown_one(struct conn *c)
{
	check_shutdown(c->h);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sv_warn("SV-SHUTDOWN-TIMEOUT",
	        "not every task finished in time; exiting anyway");
	shutdown_done(arg);
}

void sv_herder_shutdown(struct sv_herder *h, void (*done)(void *arg), void *arg)
{
	struct timeval tv = {h->ctx->w->shutdown_timeout_ms / 1000 + 5, 0};
	struct conn *c;
	struct vjob *j;

	h->shutting_down = true;
	h->done = done;
	h->done_arg = arg;
	evtimer_add(h->ev_deadline, &tv);
	while ((j = TAILQ_FIRST(&h->vjobs)))
		vjob_fail(j, 503, "sluiced is shutting down");
	TAILQ_FOREACH (c, &h->conns, link) {
		notify_waiter(c, 503, "sluiced is shutting down");
		stop_units(c, true, shutdown_one);
	}
	check_shutdown(h);
}

struct sv_herder *sv_herder_new(struct sv_ctx *ctx, struct sv_cfgstore *store,
                                char *err, size_t errlen)
{
	struct sv_herder *h = calloc(1, sizeof(*h));
	int64_t ms = ctx->w->offset_flush_ms;
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->ctx = ctx;
	h->store = store;
	if (!(h->cl_targets = json_object())) {
		snprintf(err, errlen, "out of memory");
		free(h);
		return NULL;
	}
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->vjobs);
	h->ev_commit = event_new(ctx->base, -1, EV_PERSIST, on_commit_timer, h);
	h->ev_deadline = evtimer_new(ctx->base, on_deadline, h);
	if (!h->ev_commit || !h->ev_deadline ||
	    event_add(h->ev_commit, &tv) == -1) {
		snprintf(err, errlen, "out of memory");
		sv_herder_free(h);
		return NULL;
	}
	return h;
}

void sv_herder_free(struct sv_herder *h)
{
	struct conn *c;
	struct vjob *j;

	if (!h)
		return;
	while ((j = TAILQ_FIRST(&h->vjobs)))
		vjob_fail(j, 503, "sluiced is shutting down");
	while ((c = TAILQ_FIRST(&h->conns))) {
		TAILQ_REMOVE(&h->conns, c, link);
		/* sv_herder_shutdown answered every waiter; whoever would
		 * get a late answer may be gone by now */
		c->waiter = NULL;
		conn_free(c);
	}
	if (h->ev_commit)
		event_free(h->ev_commit);
	if (h->ev_deadline)
		event_free(h->ev_deadline);
	json_decref(h->cl_targets);
	free(h);
}
