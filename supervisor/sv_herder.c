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
	int pending_stops;
	void (*after_stop)(struct conn *c);
	TAILQ_ENTRY(conn) link;
};

struct vjob {
	struct sv_herder *h;
	char *name;
	json_t *config;
	char initial[12];
	bool allow_replace;
	sv_herder_cb cb;
	void *arg;
	json_t *errors; /* [[key, message]] found here */
	struct sv_unit *u;
};

struct sv_herder {
	struct sv_ctx *ctx;
	struct sv_cfgstore *store;
	TAILQ_HEAD(, conn) conns;
	struct event *ev_commit;
	struct event *ev_deadline;
	bool shutting_down;
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

static const char *cfg(json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

/* --- stopping and starting units ------------------------------------- */

static void maybe_after_stop(struct conn *c)
{
	void (*next)(struct conn *);

	if (c->pending_stops > 0 || !c->after_stop)
		return;
	next = c->after_stop;
	c->after_stop = NULL;
	next(c);
}

static void stop_unit(struct conn *c, struct sv_unit *u)
{
	if (!u)
		return;
	c->pending_stops++;
	sv_unit_stop(u);
}

/* Stops the tasks (and the connector unit if `all`), then runs next. */
static void stop_units(struct conn *c, bool all, void (*next)(struct conn *))
{
	c->after_stop = next;
	c->pending_stops++; /* hold: stops may finish synchronously */
	if (all)
		stop_unit(c, c->cu);
	for (size_t i = 0; i < c->ntasks; i++)
		stop_unit(c, c->tasks[i]);
	c->pending_stops--;
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

static void start_tasks(struct conn *c)
{
	struct sv_herder *h = c->h;
	size_t n = json_array_size(c->task_configs);
	enum sv_unit_kind kind =
	    c->plugin->source ? SV_UNIT_SOURCE : SV_UNIT_SINK;

	free_tasks(c);
	if (strcmp(c->target, "STOPPED") == 0 || h->shutting_down || n == 0)
		return;
	if (!(c->tasks = calloc(n, sizeof(*c->tasks))))
		return;
	c->ntasks = n;
	for (size_t i = 0; i < n; i++) {
		char err[512];
		struct sv_unit *u =
		    sv_unit_new(h->ctx, kind, c->name, (int)i, c->plugin,
		                json_array_get(c->task_configs, i), c->config,
		                &unit_ops, c, err, sizeof(err));

		if (!u) {
			sv_ulog(SV_LOG_ERROR, "SV-TASK-CREATE", c->name, (int)i,
			        "cannot create task %zu: %s", i, err);
			set_conn_trace(c, err);
			continue;
		}
		c->tasks[i] = u;
		u->want_pause = strcmp(c->target, "PAUSED") == 0;
		sv_unit_start(u);
	}
}

static void start_connector(struct conn *c)
{
	struct sv_herder *h = c->h;
	char err[512];

	set_conn_trace(c, NULL);
	if (strcmp(c->target, "STOPPED") == 0 || h->shutting_down)
		return;
	c->plugin =
	    sv_plugins_find(h->ctx->plugins, cfg(c->config, "connector.class"));
	if (!c->plugin) {
		snprintf(err, sizeof(err),
		         "no plugin named %s is loaded (plugin.path)",
		         cfg(c->config, "connector.class"));
		sv_ulog(SV_LOG_ERROR, "SV-CONNECTOR-FAILED", c->name, -1, "%s",
		        err);
		set_conn_trace(c, err);
		return;
	}
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
	json_decref(c->task_configs);
	c->task_configs = NULL;
	start_connector(c);
}

static void conn_free(struct conn *c)
{
	sv_unit_free(c->cu);
	free_tasks(c);
	json_decref(c->task_configs);
	json_decref(c->config);
	free(c->trace);
	free(c->name);
	free(c);
}

static void finish_delete(struct conn *c)
{
	TAILQ_REMOVE(&c->h->conns, c, link);
	sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-DELETED", c->name, -1,
	        "connector %s deleted", c->name);
	conn_free(c);
}

static struct conn *conn_new(struct sv_herder *h, const char *name,
                             json_t *config, const char *target)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c || !(c->name = strdup(name)) ||
	    !(c->config = json_deep_copy(config))) {
		if (c)
			free(c->name);
		free(c);
		return NULL;
	}
	c->h = h;
	snprintf(c->target, sizeof(c->target), "%s", target);
	TAILQ_INSERT_TAIL(&h->conns, c, link);
	return c;
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
}

static void unit_task_configs(struct sv_unit *u, json_t *configs)
{
	struct conn *c = u->opaque;

	if (c->task_configs && json_equal(c->task_configs, configs) &&
	    c->ntasks == json_array_size(configs))
		return;
	sv_ulog(SV_LOG_INFO, "SV-TASK-CONFIGS", c->name, -1,
	        "%zu task config(s); (re)starting tasks",
	        json_array_size(configs));
	json_decref(c->task_configs);
	c->task_configs = json_deep_copy(configs);
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
	if (c->pending_stops > 0)
		c->pending_stops--;
	maybe_after_stop(c);
}

/* --- validation and put --------------------------------------------- */

static void vjob_free(struct vjob *j)
{
	sv_unit_free(j->u);
	json_decref(j->errors);
	json_decref(j->config);
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
	const char *s;
	char *end;

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

/* Kafka Connect's message for a rejected config. */
static char *invalid_message(json_t *errors)
{
	size_t n = json_array_size(errors), i;
	json_t *e;
	char *msg = NULL, *next;

	if (asprintf(&msg,
	             "Connector configuration is invalid and contains the "
	             "following %zu error(s):",
	             n) < 0)
		return NULL;
	json_array_foreach(errors, i, e)
	{
		if (asprintf(&next, "%s\n%s", msg,
		             json_string_value(json_array_get(e, 1))) < 0)
			break;
		free(msg);
		msg = next;
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

static void apply(struct vjob *j)
{
	struct sv_herder *h = j->h;
	struct conn *c = find(h, j->name);
	char err[512];
	int rc;

	if (c) {
		if (!j->allow_replace) {
			j->cb(j->arg, 409, "Connector already exists");
			return;
		}
		rc = sv_cfgstore_put(h->store, j->name, j->config, c->target,
		                     err, sizeof(err));
		if (rc) {
			j->cb(j->arg, 500, err);
			return;
		}
		json_decref(c->config);
		c->config = json_incref(j->config);
		sv_ulog(SV_LOG_INFO, "SV-CONNECTOR-UPDATED", c->name, -1,
		        "connector %s reconfigured", c->name);
		stop_units(c, true, restart_all);
		j->cb(j->arg, 200, NULL);
		return;
	}
	rc = sv_cfgstore_put(h->store, j->name, j->config, j->initial, err,
	                     sizeof(err));
	if (rc) {
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

static void unit_validated(struct sv_unit *u, json_t *errors,
                           const char *failure)
{
	struct vjob *j = u->opaque;
	size_t i;
	json_t *e;
	char *msg;

	if (!errors) {
		char buf[1200];

		snprintf(buf, sizeof(buf), "cannot validate the config: %s",
		         failure ? failure : "unknown error");
		j->cb(j->arg, 500, buf);
		goto out;
	}
	json_array_foreach(errors, i, e) json_array_append(j->errors, e);
	if (json_array_size(j->errors)) {
		msg = invalid_message(j->errors);
		j->cb(j->arg, 400, msg ? msg : "invalid config");
		free(msg);
		goto out;
	}
	apply(j);
out:
	vjob_free(j);
}

void sv_herder_put(struct sv_herder *h, const char *name, json_t *config,
                   const char *initial_state, bool allow_replace,
                   sv_herder_cb cb, void *arg)
{
	struct vjob *j = calloc(1, sizeof(*j));
	const struct sv_plugin *p;
	char err[512];
	char *msg;

	if (!j || !(j->name = strdup(name)) ||
	    !(j->config = json_deep_copy(config)) ||
	    !(j->errors = json_array())) {
		if (j)
			vjob_free(j);
		cb(arg, 500, "out of memory");
		return;
	}
	j->h = h;
	j->cb = cb;
	j->arg = arg;
	j->allow_replace = allow_replace;
	snprintf(j->initial, sizeof(j->initial), "%s",
	         initial_state ? initial_state : "RUNNING");
	json_object_set_new(j->config, "name", json_string(name));
	if (!allow_replace && find(h, name)) {
		cb(arg, 409, "Connector already exists");
		vjob_free(j);
		return;
	}
	if (sv_connfile_check_name(name, err, sizeof(err))) {
		add_error(j->errors, "name", "%s", err);
	}
	p = check_common(h, j->config, j->errors);
	if (!p) {
		msg = invalid_message(j->errors);
		cb(arg, 400, msg ? msg : "invalid config");
		free(msg);
		vjob_free(j);
		return;
	}
	/* the plugin's own checks run in a sandboxed validation taskhost */
	j->u = sv_unit_new(h->ctx, SV_UNIT_VALIDATE, name, -1, p, j->config,
	                   j->config, &validate_ops, j, err, sizeof(err));
	if (!j->u) {
		cb(arg, 500, err);
		vjob_free(j);
		return;
	}
	sv_unit_start(j->u);
}

/* --- operations -------------------------------------------------------- */

int sv_herder_delete(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);
	char err[512];

	if (!c)
		return -ENOENT;
	if (sv_cfgstore_remove(h->store, name, err, sizeof(err)) &&
	    json_object_get(sv_cfgstore_connectors(h->store), name)) {
		sv_error("SV-CFGSTORE", "%s", err);
		return -EIO;
	}
	stop_units(c, true, finish_delete);
	return 0;
}

static int set_target(struct sv_herder *h, struct conn *c, const char *target)
{
	char err[512];

	if (sv_cfgstore_set_state(h->store, c->name, target, err,
	                          sizeof(err))) {
		sv_error("SV-CFGSTORE", "%s", err);
		return -EIO;
	}
	snprintf(c->target, sizeof(c->target), "%s", target);
	return 0;
}

int sv_herder_pause(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);
	bool was_stopped;

	if (!c)
		return -ENOENT;
	was_stopped = strcmp(c->target, "STOPPED") == 0;
	if (set_target(h, c, "PAUSED"))
		return -EIO;
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
	struct conn *c = find(h, name);
	bool was_stopped;

	if (!c)
		return -ENOENT;
	was_stopped = strcmp(c->target, "STOPPED") == 0;
	if (set_target(h, c, "RUNNING"))
		return -EIO;
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
}

int sv_herder_stop_connector(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);

	if (!c)
		return -ENOENT;
	if (set_target(h, c, "STOPPED"))
		return -EIO;
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

int sv_herder_restart(struct sv_herder *h, const char *name, bool include_tasks,
                      bool only_failed)
{
	struct conn *c = find(h, name);

	if (!c)
		return -ENOENT;
	if (strcmp(c->target, "STOPPED") == 0)
		return 0;
	if (!c->cu) {
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
	struct conn *c = find(h, name);

	if (!c)
		return -ENOENT;
	if (task < 0 || (size_t)task >= c->ntasks || !c->tasks[task])
		return -ERANGE;
	restart_unit(c->tasks[task]);
	return 0;
}

/* --- status ------------------------------------------------------------- */

static json_t *unit_json(struct sv_herder *h, struct sv_unit *u, int id,
                         const char *state_override, const char *trace)
{
	json_t *o = json_object();
	const char *state = state_override ? state_override
	                    : u            ? sv_unit_state(u)
	                                   : "UNASSIGNED";

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
	if (u) {
		json_object_set_new(o, "restarts", json_integer(u->restarts));
		if (u->pid > 0)
			json_object_set_new(o, "pid", json_integer(u->pid));
	}
	return o;
}

json_t *sv_herder_status(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);
	json_t *st, *tasks;
	const char *cstate = NULL;

	if (!c)
		return NULL;
	if (strcmp(c->target, "STOPPED") == 0)
		cstate = "STOPPED";
	else if (c->trace && (!c->cu || c->cu->phase == SV_PH_IDLE))
		cstate = "FAILED";
	tasks = json_array();
	for (size_t i = 0; tasks && i < c->ntasks; i++)
		json_array_append_new(
		    tasks, unit_json(h, c->tasks[i], (int)i, NULL, c->trace));
	st = json_pack("{s:s,s:o,s:o,s:s}", "name", c->name, "connector",
	               unit_json(h, c->cu, -1, cstate, c->trace), "tasks",
	               tasks ? tasks : json_array(), "type",
	               c->plugin ? (c->plugin->source ? "source" : "sink")
	                         : "unknown");
	return st;
}

json_t *sv_herder_names(struct sv_herder *h)
{
	json_t *a = json_array();
	struct conn *c;

	TAILQ_FOREACH (c, &h->conns, link)
		json_array_append_new(a, json_string(c->name));
	return a;
}

json_t *sv_herder_config(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);

	return c ? c->config : NULL;
}

json_t *sv_herder_tasks(struct sv_herder *h, const char *name)
{
	struct conn *c = find(h, name);
	json_t *a, *tc;
	size_t i;

	if (!c)
		return NULL;
	a = json_array();
	json_array_foreach(c->task_configs, i, tc) json_array_append_new(
	    a, json_pack("{s:{s:s,s:i},s:O}", "id", "connector", c->name,
	                 "task", (int)i, "config", tc));
	return a;
}

/* --- commits, start and shutdown -------------------------------------- */

void sv_herder_commit(struct sv_herder *h)
{
	struct conn *c;
	char err[512];
	bool any = false;

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
	if (sv_offsets_flush(h->ctx->offsets, err, sizeof(err))) {
		sv_error("SV-OFFSETS-FLUSH", "%s", err);
		return;
	}
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

void sv_herder_start(struct sv_herder *h)
{
	json_t *stored = sv_cfgstore_connectors(h->store), *ent;
	const char *name;

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
		if (c->pending_stops > 0)
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

	h->shutting_down = true;
	h->done = done;
	h->done_arg = arg;
	evtimer_add(h->ev_deadline, &tv);
	TAILQ_FOREACH (c, &h->conns, link)
		stop_units(c, true, shutdown_one);
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
	TAILQ_INIT(&h->conns);
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

	if (!h)
		return;
	while ((c = TAILQ_FIRST(&h->conns))) {
		TAILQ_REMOVE(&h->conns, c, link);
		conn_free(c);
	}
	if (h->ev_commit)
		event_free(h->ev_commit);
	if (h->ev_deadline)
		event_free(h->ev_deadline);
	free(h);
}
