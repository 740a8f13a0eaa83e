/* sv_rest_api.c: see sv_rest_api.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sv_connfile.h"
#include "sv_log.h"
#include "sv_rest_api.h"
#include "sv_rest_fwd.h"
#include "sv_rest_offsets.h"

/* The build may say which commit it is built from. */
#ifndef SLUICE_COMMIT
#define SLUICE_COMMIT "unknown"
#endif

#define MAX_ARGS 3

static const char alter_msg[] =
    "The Connect framework-managed offsets for this connector have been "
    "altered successfully. However, if this connector manages offsets "
    "externally, they will need to be manually altered in the system that "
    "the connector uses.";
static const char reset_msg[] =
    "The Connect framework-managed offsets for this connector have been "
    "reset successfully. However, if this connector manages offsets "
    "externally, they will need to be manually reset in the system that "
    "the connector uses.";

struct sv_rest_api {
	struct sv_ctx *ctx;
	struct sv_herder *h;
	struct sv_rest_offsets *offsets;
	char *cluster_id;
	char level[8];          /* the root logger's level, as last set */
	int64_t level_modified; /* ms since the epoch; 0: never set */
};

typedef void handler_fn(struct sv_rest_api *a, struct sv_rest_req *q,
                        char **args);

/* --- helpers ---------------------------------------------------------- */

static json_t *message(const char *text)
{
	return json_pack("{s:s}", "message", text);
}

static void herder_error(struct sv_rest_req *q, int rc, const char *name)
{
	switch (rc) {
	case -ENOENT:
		sv_rest_error(q, 404, "Connector %s not found", name);
		break;
	case -EBUSY:
		sv_rest_error(
		    q, 409,
		    "Cannot complete the request: connector %s is "
		    "being reconfigured by another request; try again",
		    name);
		break;
	case -EIO:
		sv_rest_error(q, 500,
		              "Cannot write the config store (see sluiced's "
		              "log)");
		break;
	default:
		sv_rest_error(q, 500, "%s", strerror(-rc));
	}
}

/* Java's Boolean.valueOf: "true" in any case is true, anything else
 * false. */
static bool query_bool(struct sv_rest_req *q, const char *name, bool dflt)
{
	const char *v = sv_rest_query(q, name);

	if (!v)
		return dflt;
	return strcasecmp(v, "true") == 0;
}

static int parse_task(const char *s, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < INT32_MIN || n > INT32_MAX)
		return -EINVAL;
	*out = (int)n;
	return 0;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_NULL:
		return "null";
	default:
		return "a scalar";
	}
}

/*
 * The string Jackson makes of a JSON scalar for a String field (Kafka
 * Connect's configs are Map<String, String>): numbers and booleans become
 * their text. NULL for null, objects and arrays.
 */
static json_t *scalar_string(json_t *v)
{
	char buf[64];
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_stringn(json_string_value(v),
		                    json_string_length(v));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		return json_string(buf);
	case JSON_REAL:
		d = json_real_value(v);
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return json_string(buf);
	case JSON_TRUE:
		return json_string("true");
	case JSON_FALSE:
		return json_string("false");
	default:
		return NULL;
	}
}

/* A config map (string values; JSON null kept if keep_null) from a
 * request body. NULL with err set. */
static json_t *string_map(json_t *obj, bool keep_null, char *err, size_t errlen)
{
	json_t *out, *v, *s;
	const char *k;

	if (!json_is_object(obj)) {
		snprintf(err, errlen,
		         "The request body must be a JSON object of config "
		         "properties, not %s",
		         json_type_name(obj));
		return NULL;
	}
	if (!(out = json_object())) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_foreach(obj, k, v)
	{
		if (json_is_null(v) && keep_null) {
			json_object_set_new(out, k, json_null());
			continue;
		}
		if (!(s = scalar_string(v))) {
			snprintf(err, errlen,
			         "The value of '%s' must be a string, not %s",
			         k, json_type_name(v));
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, k, s);
	}
	return out;
}

/* --- root, health, loggers ---------------------------------------------- */

static const char *cluster_id(struct sv_rest_api *a, int timeout_ms)
{
	rd_kafka_t *rk = a->ctx->kafka ? a->ctx->kafka->producer : NULL;
	char *id;

	if (a->cluster_id || !rk)
		return a->cluster_id;
	/* the metadata the producer already has answers at once */
	id = rd_kafka_clusterid(rk, timeout_ms);
	if (id) {
		a->cluster_id = strdup(id);
		rd_kafka_mem_free(rk, id);
	}
	return a->cluster_id;
}

static void h_root(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	const struct sv_rest_cluster_ops *ops = sv_rest_get_cluster_ops();
	json_t *out;

	(void)args;
	/* Kafka Connect's fields first, then sluice's */
	out = json_pack("{s:s,s:s,s:s?,s:s?}", "version", SLUICE_VERSION,
	                "commit", SLUICE_COMMIT, "kafka_cluster_id",
	                cluster_id(a, 0), "worker_id", a->ctx->w->worker_id);
	if (out && a->ctx->cluster) {
		const char *leader = ops && ops->leader_id
		                         ? ops->leader_id(a->ctx->cluster)
		                         : NULL;

		json_object_set_new(out, "leader",
		                    leader ? json_string(leader) : json_null());
	}
	sv_rest_reply(q, 200, out);
}

static void h_health(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	(void)a;
	(void)args;
	if (q->starting) {
		sv_rest_reply(q, 503,
		              json_pack("{s:s,s:s}", "status", "starting",
		                        "message",
		                        "Worker is still starting up."));
		return;
	}
	sv_rest_reply(q, 200,
	              json_pack("{s:s,s:s}", "status", "healthy", "message",
	                        "Worker has completed startup and is ready to "
	                        "handle requests."));
}

/* Log4j's levels, as sluiced's. */
static const struct {
	const char *name;
	int level;
} levels[] = {
    {"OFF", 0},
    {"FATAL", SV_LOG_ERROR},
    {"ERROR", SV_LOG_ERROR},
    {"WARN", SV_LOG_WARN},
    {"INFO", SV_LOG_INFO},
    {"DEBUG", SV_LOG_DEBUG},
    {"TRACE", SV_LOG_DEBUG},
    {"ALL", SV_LOG_DEBUG},
};

static json_t *root_level(struct sv_rest_api *a)
{
	if (!a->level[0])
		snprintf(a->level, sizeof(a->level), "%s",
		         sv_log_level_name(sv_log_level));
	return a->level_modified
	           ? json_pack("{s:s,s:I}", "level", a->level, "last_modified",
	                       (json_int_t)a->level_modified)
	           : json_pack("{s:s,s:n}", "level", a->level, "last_modified");
}

static void h_loggers(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	(void)args;
	sv_rest_reply(q, 200, json_pack("{s:o}", "root", root_level(a)));
}

static bool is_root(const char *name)
{
	return strcasecmp(name, "root") == 0;
}

static void h_logger_get(struct sv_rest_api *a, struct sv_rest_req *q,
                         char **args)
{
	if (!is_root(args[0])) {
		sv_rest_error(q, 404,
		              "Logger %s not found. sluiced has one logger, "
		              "root",
		              args[0]);
		return;
	}
	sv_rest_reply(q, 200, root_level(a));
}

static void h_logger_put(struct sv_rest_api *a, struct sv_rest_req *q,
                         char **args)
{
	const char *scope = sv_rest_query(q, "scope"), *want;
	json_t *body;
	struct timespec ts;
	int level = -1;

	if (sv_rest_body(q, &body))
		return;
	want = json_string_value(json_object_get(body, "level"));
	if (!want) {
		json_decref(body);
		sv_rest_error(q, 400,
		              "Desired 'level' parameter was not specified in "
		              "request.");
		return;
	}
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(want, levels[i].name) == 0) {
			level = levels[i].level;
			snprintf(a->level, sizeof(a->level), "%s",
			         levels[i].name);
		}
	if (level < 0) {
		sv_rest_error(q, 404, "invalid log level '%s'.", want);
		json_decref(body);
		return;
	}
	json_decref(body);
	if (!is_root(args[0])) {
		sv_rest_error(q, 404,
		              "Logger %s not found. sluiced has one logger, "
		              "root",
		              args[0]);
		return;
	}
	/* said before the change, so that it shows even when turned down */
	sv_log_write(SV_LOG_INFO, 'S', "SV-LOG-LEVEL", NULL, -1,
	             "log level set to %s (from %s)", a->level,
	             sv_log_level_name(sv_log_level));
	sv_log_level = level;
	clock_gettime(CLOCK_REALTIME, &ts);
	a->level_modified = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	/* standalone: the worker is the whole cluster */
	if (scope && strcasecmp(scope, "cluster") == 0) {
		sv_rest_reply(q, 204, NULL);
		return;
	}
	sv_rest_reply(q, 200, json_pack("[s]", "root"));
}

/* --- connectors ----------------------------------------------------------- */

static void h_list(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	json_t *names = sv_herder_names(a->h), *out, *n, *pair;
	bool expand = false;
	size_t i, k;

	(void)args;
	json_array_foreach(q->query, k, pair)
	{
		expand |= strcmp(json_string_value(json_array_get(pair, 0)),
		                 "expand") == 0;
	}
	if (!names) {
		sv_rest_error(q, 500, "out of memory");
		return;
	}
	if (!expand) {
		sv_rest_reply(q, 200, names);
		return;
	}
	out = json_object();
	json_array_foreach(names, i, n)
	{
		const char *name = json_string_value(n);
		json_t *o = json_object();

		json_array_foreach(q->query, k, pair)
		{
			const char *key =
			    json_string_value(json_array_get(pair, 0));
			const char *val =
			    json_string_value(json_array_get(pair, 1));

			if (strcmp(key, "expand") != 0)
				continue;
			if (strcmp(val, "status") == 0)
				json_object_set_new(
				    o, "status", sv_herder_status(a->h, name));
			else if (strcmp(val, "info") == 0)
				json_object_set_new(o, "info",
				                    sv_herder_info(a->h, name));
		}
		json_object_set_new(out, name, o);
	}
	json_decref(names);
	sv_rest_reply(q, 200, out);
}

struct put_ctx {
	struct sv_rest_api *a;
	struct sv_rest_req *q;
	char *name;
};

static struct put_ctx *put_ctx_new(struct sv_rest_api *a, struct sv_rest_req *q,
                                   const char *name)
{
	struct put_ctx *c = calloc(1, sizeof(*c));

	if (c && !(c->name = strdup(name))) {
		free(c);
		c = NULL;
	}
	if (c) {
		c->a = a;
		c->q = q;
	}
	return c;
}

static void put_ctx_free(struct put_ctx *c)
{
	free(c->name);
	free(c);
}

/* Where a created connector lives, as Kafka Connect's Location header. */
static void set_location(struct sv_rest_req *q, const char *name)
{
	const char *host = sv_rest_host(q);
	char *enc = evhttp_uriencode(name, -1, 0), *loc = NULL;

	if (!enc)
		return;
	if (host && asprintf(&loc, "%s://%s/connectors/%s",
	                     q->via == SV_REST_VIA_HTTPS ? "https" : "http",
	                     host, enc) < 0)
		loc = NULL;
	if (!host && asprintf(&loc, "/connectors/%s", enc) < 0)
		loc = NULL;
	if (loc)
		sv_rest_header(q, "Location", loc);
	free(loc);
	free(enc);
}

static void on_put(void *arg, int code, const char *error)
{
	struct put_ctx *c = arg;
	json_t *info;

	if (error) {
		sv_rest_error(c->q, code, "%s", error);
	} else if (!(info = sv_herder_info(c->a->h, c->name))) {
		sv_rest_error(c->q, 500, "Connector %s went away", c->name);
	} else {
		if (code == 201)
			set_location(c->q, c->name);
		sv_rest_reply(c->q, code, info);
	}
	put_ctx_free(c);
}

static void put(struct sv_rest_api *a, struct sv_rest_req *q, const char *name,
                json_t *config, const char *state, enum sv_herder_put_mode mode)
{
	struct put_ctx *c = put_ctx_new(a, q, name);

	if (!c) {
		sv_rest_error(q, 500, "out of memory");
		return;
	}
	sv_herder_put(a->h, name, config, state, mode, on_put, c);
}

static void h_create(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	static const char *const states[] = {"RUNNING", "PAUSED", "STOPPED"};
	struct sv_connfile *cf;
	json_t *body;
	char err[1024];

	(void)args;
	if (sv_rest_body(q, &body))
		return;
	if (!body) {
		sv_rest_error(q, 400,
		              "The request body must be a connector: "
		              "{\"name\": ..., \"config\": {...}}");
		return;
	}
	cf = sv_connfile_from_json(body, "request body", err, sizeof(err));
	json_decref(body);
	if (!cf) {
		sv_rest_error(q, 400, "%s", err);
		return;
	}
	put(a, q, cf->name, cf->config, states[cf->initial_state],
	    SV_HERDER_CREATE);
	sv_connfile_free(cf);
}

static void h_info(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	json_t *info = sv_herder_info(a->h, args[0]);

	if (!info) {
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	sv_rest_reply(q, 200, info);
}

/* Answers a stop or delete when its units have stopped. */
static void on_stopped(void *arg, int code, const char *error)
{
	struct sv_rest_req *q = arg;

	if (error)
		sv_rest_error(q, code, "%s", error);
	else
		sv_rest_reply(q, 204, NULL);
}

static void h_delete(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	int rc = sv_herder_delete(a->h, args[0], on_stopped, q);

	/* on 0, on_stopped answers (maybe already did) */
	if (rc)
		herder_error(q, rc, args[0]);
}

static void h_config_get(struct sv_rest_api *a, struct sv_rest_req *q,
                         char **args)
{
	json_t *config = sv_herder_config_shown(a->h, args[0]);

	if (!config) {
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	sv_rest_reply(q, 200, config);
}

/* The config's name must be the URL's, as Kafka Connect checks. */
static bool check_name(struct sv_rest_req *q, json_t *config, const char *url)
{
	const char *in = json_string_value(json_object_get(config, "name"));

	if (in && strcmp(in, url) != 0) {
		sv_rest_error(q, 400,
		              "Connector name configuration (%s) doesn't match "
		              "connector name in the URL (%s)",
		              in, url);
		return false;
	}
	json_object_set_new(config, "name", json_string(url));
	return true;
}

static void h_config_put(struct sv_rest_api *a, struct sv_rest_req *q,
                         char **args)
{
	json_t *body, *config;
	char err[512];

	if (sv_rest_body(q, &body))
		return;
	config = string_map(body, false, err, sizeof(err));
	json_decref(body);
	if (!config) {
		sv_rest_error(q, 400, "%s", err);
		return;
	}
	if (check_name(q, config, args[0]))
		put(a, q, args[0], config, NULL, SV_HERDER_UPSERT);
	json_decref(config);
}

static void h_config_patch(struct sv_rest_api *a, struct sv_rest_req *q,
                           char **args)
{
	json_t *body, *stored, *merged, *v, *s;
	const char *k;

	if (sv_rest_body(q, &body))
		return;
	if (!json_is_object(body)) {
		sv_rest_error(
		    q, 400,
		    "The request body must be a JSON object of config "
		    "properties, not %s",
		    json_type_name(body));
		json_decref(body);
		return;
	}
	if (!(stored = sv_herder_config(a->h, args[0]))) {
		json_decref(body);
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	merged = json_deep_copy(stored);
	json_object_foreach(body, k, v)
	{
		if (json_is_null(v)) {
			/* KIP-477: null removes the key */
			json_object_del(merged, k);
			continue;
		}
		if (!(s = scalar_string(v))) {
			sv_rest_error(
			    q, 400,
			    "The value of '%s' must be a string or null, "
			    "not %s",
			    k, json_type_name(v));
			goto out;
		}
		json_object_set_new(merged, k, s);
	}
	if (check_name(q, merged, args[0]))
		put(a, q, args[0], merged, NULL, SV_HERDER_UPDATE);
out:
	json_decref(merged);
	json_decref(body);
}

static void h_status(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	json_t *st = sv_herder_status(a->h, args[0]);

	if (!st) {
		sv_rest_error(q, 404, "No status found for connector %s",
		              args[0]);
		return;
	}
	sv_rest_reply(q, 200, st);
}

static void h_restart(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	bool tasks = query_bool(q, "includeTasks", false);
	bool only_failed = query_bool(q, "onlyFailed", false);
	json_t *plan = NULL;
	int rc;

	if (!tasks && !only_failed) {
		/* Kafka Connect's old form: the connector instance only */
		rc = sv_herder_restart(a->h, args[0], false, false, NULL);
		if (rc)
			herder_error(q, rc, args[0]);
		else
			sv_rest_reply(q, 204, NULL);
		return;
	}
	rc = sv_herder_restart(a->h, args[0], tasks, only_failed, &plan);
	if (rc == -ENOENT)
		sv_rest_error(q, 404, "Unknown connector: %s", args[0]);
	else if (rc)
		herder_error(q, rc, args[0]);
	else
		sv_rest_reply(q, 202, plan);
}

static void h_pause(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	int rc = sv_herder_pause(a->h, args[0]);

	if (rc == -ENOENT)
		sv_rest_error(q, 404, "Unknown connector %s", args[0]);
	else if (rc)
		herder_error(q, rc, args[0]);
	else
		sv_rest_reply(q, 202, NULL);
}

static void h_resume(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	int rc = sv_herder_resume(a->h, args[0]);

	if (rc == -ENOENT)
		sv_rest_error(q, 404, "Unknown connector %s", args[0]);
	else if (rc)
		herder_error(q, rc, args[0]);
	else
		sv_rest_reply(q, 202, NULL);
}

static void h_stop(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	int rc = sv_herder_stop_connector(a->h, args[0], on_stopped, q);

	if (rc == -ENOENT)
		sv_rest_error(q, 404, "Unknown connector %s", args[0]);
	else if (rc)
		herder_error(q, rc, args[0]);
}

static void h_tasks(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	json_t *tasks = sv_herder_tasks(a->h, args[0]);

	if (!tasks) {
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	sv_rest_reply(q, 200, tasks);
}

/* The deprecated GET .../tasks-config: {"name-0": {...}, ...}. */
static void h_tasks_config(struct sv_rest_api *a, struct sv_rest_req *q,
                           char **args)
{
	json_t *tasks = sv_herder_tasks(a->h, args[0]), *out, *t;
	size_t i;

	if (!tasks || json_array_size(tasks) == 0) {
		json_decref(tasks);
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	out = json_object();
	json_array_foreach(tasks, i, t)
	{
		char key[300];

		snprintf(key, sizeof(key), "%s-%zu", args[0], i);
		json_object_set(out, key, json_object_get(t, "config"));
	}
	json_decref(tasks);
	sv_rest_reply(q, 200, out);
}

static void h_task_status(struct sv_rest_api *a, struct sv_rest_req *q,
                          char **args)
{
	json_t *st;
	int task;

	if (parse_task(args[1], &task)) {
		sv_rest_error(q, 404, "HTTP 404 Not Found");
		return;
	}
	if (!(st = sv_herder_task_status(a->h, args[0], task))) {
		sv_rest_error(q, 404, "No status found for task %s-%d", args[0],
		              task);
		return;
	}
	sv_rest_reply(q, 200, st);
}

static void h_task_restart(struct sv_rest_api *a, struct sv_rest_req *q,
                           char **args)
{
	int task, rc;

	if (parse_task(args[1], &task)) {
		sv_rest_error(q, 404, "HTTP 404 Not Found");
		return;
	}
	rc = sv_herder_restart_task(a->h, args[0], task);
	if (rc == -ERANGE)
		sv_rest_error(q, 404, "Task %s-%d not found", args[0], task);
	else if (rc)
		herder_error(q, rc, args[0]);
	else
		sv_rest_reply(q, 204, NULL);
}

/* --- active topics -------------------------------------------------------- */

static bool worker_flag(struct sv_rest_api *a, const char *key, bool dflt)
{
	const char *v = sv_worker_get(a->ctx->w, key);

	if (!v)
		return dflt;
	return strcasecmp(v, "false") != 0;
}

static void h_topics(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	json_t *topics;

	if (!worker_flag(a, "topic.tracking.enable", true)) {
		sv_rest_error(q, 403, "Topic tracking is disabled.");
		return;
	}
	if (!(topics = sv_herder_topics(a->h, args[0]))) {
		herder_error(q, -ENOENT, args[0]);
		return;
	}
	sv_rest_reply(q, 200,
	              json_pack("{s:{s:o}}", args[0], "topics", topics));
}

static void h_topics_reset(struct sv_rest_api *a, struct sv_rest_req *q,
                           char **args)
{
	int rc;

	if (!worker_flag(a, "topic.tracking.enable", true)) {
		sv_rest_error(q, 403, "Topic tracking is disabled.");
		return;
	}
	if (!worker_flag(a, "topic.tracking.allow.reset", true)) {
		sv_rest_error(q, 403, "Topic tracking reset is disabled.");
		return;
	}
	if ((rc = sv_herder_topics_reset(a->h, args[0]))) {
		herder_error(q, rc, args[0]);
		return;
	}
	sv_rest_reply(q, 202, NULL);
}

/* --- offsets -------------------------------------------------------------- */

struct off_ctx {
	struct sv_rest_api *a;
	struct sv_rest_req *q;
	char *name;
	enum sv_rest_offsets_op op;
	bool locked;
};

static void off_done(struct off_ctx *c, int code, const char *error,
                     json_t *result)
{
	if (c->locked)
		sv_herder_offsets_end(c->a->h, c->name);
	if (error)
		sv_rest_error(c->q, code, "%s", error);
	else if (c->op == SV_REST_OFFSETS_GET)
		sv_rest_reply(c->q, 200, json_incref(result));
	else
		sv_rest_reply(c->q, 200,
		              message(c->op == SV_REST_OFFSETS_RESET
		                          ? reset_msg
		                          : alter_msg));
	free(c->name);
	free(c);
}

static void on_offsets(void *arg, int code, const char *error, json_t *result)
{
	off_done(arg, code, error, result);
}

/* Looks the connector up and, for a change, locks it. NULL after
 * answering the request. */
static struct off_ctx *off_begin(struct sv_rest_api *a, struct sv_rest_req *q,
                                 const char *name, enum sv_rest_offsets_op op,
                                 bool *source, json_t **config)
{
	struct off_ctx *c = calloc(1, sizeof(*c));
	bool modify = op != SV_REST_OFFSETS_GET;
	char err[1024];
	int rc;

	if (!c || !(c->name = strdup(name))) {
		free(c);
		sv_rest_error(q, 500, "out of memory");
		return NULL;
	}
	c->a = a;
	c->q = q;
	c->op = op;
	rc = sv_herder_offsets_begin(a->h, name, modify, source, config, err,
	                             sizeof(err));
	if (rc == 0) {
		c->locked = modify;
		return c;
	}
	free(c->name);
	free(c);
	if (rc == -EPERM)
		sv_rest_error(q, 400, "%s", err);
	else if (rc == -ENOEXEC)
		sv_rest_error(q, 500, "%s", err);
	else
		herder_error(q, rc, name);
	return NULL;
}

/* Runs a sink offsets job; answers through on_offsets. */
static void off_sink(struct off_ctx *c, json_t *config, json_t *alter)
{
	char err[1024];
	int rc = sv_rest_offsets_run(c->a->offsets, c->a->ctx->kafka, c->name,
	                             config, c->op, alter, on_offsets, c, err,
	                             sizeof(err));

	if (rc)
		off_done(c, 500, err, NULL);
}

static void h_offsets_get(struct sv_rest_api *a, struct sv_rest_req *q,
                          char **args)
{
	json_t *config = NULL;
	struct off_ctx *c;
	bool source;

	if (!(c = off_begin(a, q, args[0], SV_REST_OFFSETS_GET, &source,
	                    &config)))
		return;
	if (source) {
		json_t *o = sv_herder_source_offsets(a->h, args[0]);

		off_done(c, o ? 200 : 500, o ? NULL : "out of memory", o);
		json_decref(o);
	} else {
		off_sink(c, config, NULL);
	}
	json_decref(config);
}

static void h_offsets_patch(struct sv_rest_api *a, struct sv_rest_req *q,
                            char **args)
{
	json_t *body, *offsets, *config = NULL, *alter = NULL, *e;
	struct off_ctx *c;
	char err[1024];
	bool source;
	size_t i;

	if (sv_rest_body(q, &body))
		return;
	offsets = json_object_get(body, "offsets");
	if (!json_is_array(offsets) || json_array_size(offsets) == 0) {
		json_decref(body);
		sv_rest_error(q, 400,
		              "Partitions / offsets need to be provided for an "
		              "alter offsets request");
		return;
	}
	json_array_foreach(offsets, i, e)
	{
		if (json_is_object(e))
			continue;
		json_decref(body);
		sv_rest_error(q, 400,
		              "offsets[%zu] must be an object {\"partition\": "
		              "{...}, \"offset\": {...}}",
		              i);
		return;
	}
	if (!(c = off_begin(a, q, args[0], SV_REST_OFFSETS_ALTER, &source,
	                    &config))) {
		json_decref(body);
		return;
	}
	if (source) {
		int rc = sv_herder_source_offsets_set(a->h, args[0], offsets,
		                                      err, sizeof(err));

		off_done(c, rc == -EINVAL ? 400 : 500, rc ? err : NULL, NULL);
	} else if (!(alter =
	                 sv_rest_offsets_parse(offsets, err, sizeof(err)))) {
		off_done(c, 400, err, NULL);
	} else {
		off_sink(c, config, alter);
	}
	json_decref(alter);
	json_decref(config);
	json_decref(body);
}

static void h_offsets_delete(struct sv_rest_api *a, struct sv_rest_req *q,
                             char **args)
{
	json_t *config = NULL;
	struct off_ctx *c;
	char err[1024];
	bool source;

	if (!(c = off_begin(a, q, args[0], SV_REST_OFFSETS_RESET, &source,
	                    &config)))
		return;
	if (source) {
		int rc = sv_herder_source_offsets_set(a->h, args[0], NULL, err,
		                                      sizeof(err));

		off_done(c, 500, rc ? err : NULL, NULL);
	} else {
		off_sink(c, config, NULL);
	}
	json_decref(config);
}

/* --- plugins ----------------------------------------------------------- */

/* sluice's converters, by Kafka Connect class name; value: a key/value
 * converter too (else a header converter only). */
static const struct conv {
	const char *cls;
	const char *simple;
	bool value;
} converters[] = {
    {"org.apache.kafka.connect.converters.ByteArrayConverter",
     "ByteArrayConverter", true},
    {"org.apache.kafka.connect.json.JsonConverter", "JsonConverter", true},
    {"org.apache.kafka.connect.storage.SimpleHeaderConverter",
     "SimpleHeaderConverter", false},
    {"org.apache.kafka.connect.storage.StringConverter", "StringConverter",
     true},
};

#define NCONV (sizeof(converters) / sizeof(converters[0]))

/* The settings sluice's converters read. */
static const struct convkey {
	const char *conv;
	const char *name;
	const char *type;
	const char *dflt;
	const char *importance;
	const char *doc;
} conv_keys[] = {
    {"StringConverter", "converter.encoding", "STRING", "UTF-8", "HIGH",
     "The name of the character set to use for encoding strings as byte "
     "arrays (sluice supports UTF-8)."},
    {"JsonConverter", "schemas.enable", "BOOLEAN", "true", "HIGH",
     "Include schemas within each of the serialized values and keys."},
    {"JsonConverter", "schemas.cache.size", "INT", "1000", "HIGH",
     "The maximum number of schemas that can be cached in this converter "
     "instance."},
    {"JsonConverter", "decimal.format", "STRING", "BASE64", "MEDIUM",
     "Controls which format this converter will serialize decimals in: "
     "BASE64 (the default) or NUMERIC, in any case."},
    {"JsonConverter", "replace.null.with.default", "BOOLEAN", "true", "LOW",
     "Whether to replace fields that have a default value and that are "
     "null to the default value."},
};

static const struct conv *find_converter(const char *name)
{
	for (size_t i = 0; i < NCONV; i++)
		if (strcmp(name, converters[i].cls) == 0 ||
		    strcmp(name, converters[i].simple) == 0)
			return &converters[i];
	return NULL;
}

/* The class a plugin is listed as: its Java-style alias if it has one
 * (what Kafka Connect lists), else its name. */
static const char *plugin_class(const struct sv_plugin *p)
{
	json_t *aliases = json_object_get(p->desc, "aliases"), *al;
	size_t i;

	json_array_foreach(aliases, i, al)
	{
		const char *s = json_string_value(al);

		if (s && strchr(s, '.'))
			return s;
	}
	return p->name;
}

static int cmp_class(const void *x, const void *y)
{
	return strcmp(
	    json_string_value(json_object_get(*(json_t *const *)x, "class")),
	    json_string_value(json_object_get(*(json_t *const *)y, "class")));
}

/* Appends the plugin infos of one type, sorted by class. */
static void add_sorted(json_t *out, json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = calloc(n + 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(list, i);
	qsort(v, n, sizeof(*v), cmp_class);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
}

static json_t *plugin_info(const char *cls, const char *type,
                           const char *version)
{
	return json_pack("{s:s,s:s,s:s?}", "class", cls, "type", type,
	                 "version", version);
}

static void h_plugins(struct sv_rest_api *a, struct sv_rest_req *q, char **args)
{
	struct sv_plugins *ps = a->ctx->plugins;
	json_t *out = json_array(), *sinks = json_array(),
	       *sources = json_array(), *convs = json_array(),
	       *hconvs = json_array();

	(void)args;
	for (size_t i = 0; i < ps->n; i++) {
		const struct sv_plugin *p = &ps->v[i];

		json_array_append_new(p->source ? sources : sinks,
		                      plugin_info(plugin_class(p),
		                                  p->source ? "source" : "sink",
		                                  p->version));
	}
	for (size_t i = 0; i < NCONV; i++) {
		if (converters[i].value)
			json_array_append_new(
			    convs, plugin_info(converters[i].cls, "converter",
			                       SLUICE_VERSION));
		json_array_append_new(hconvs, plugin_info(converters[i].cls,
		                                          "header_converter",
		                                          SLUICE_VERSION));
	}
	/* Kafka Connect's order: sinks, sources, then transformations and
	 * predicates (sluice has none yet) and converters */
	add_sorted(out, sinks);
	add_sorted(out, sources);
	if (!query_bool(q, "connectorsOnly", true)) {
		add_sorted(out, convs);
		add_sorted(out, hconvs);
	}
	json_decref(sinks);
	json_decref(sources);
	json_decref(convs);
	json_decref(hconvs);
	sv_rest_reply(q, 200, out);
}

static void h_plugin_config(struct sv_rest_api *a, struct sv_rest_req *q,
                            char **args)
{
	const struct sv_plugin *p = sv_plugins_find(a->ctx->plugins, args[0]);
	const struct conv *cv;
	json_t *out;

	if (p && !(out = sv_herder_plugin_config(a->h, p))) {
		sv_rest_error(q, 500, "out of memory");
		return;
	}
	if (p) {
		sv_rest_reply(q, 200, out);
		return;
	}
	if (!(cv = find_converter(args[0]))) {
		sv_rest_error(q, 404, "Unknown plugin %s.", args[0]);
		return;
	}
	out = json_array();
	for (size_t i = 0; i < sizeof(conv_keys) / sizeof(conv_keys[0]); i++) {
		const struct convkey *k = &conv_keys[i];

		if (strcmp(k->conv, cv->simple) != 0)
			continue;
		json_array_append_new(
		    out,
		    json_pack("{s:s,s:s,s:b,s:s,s:s,s:s,s:n,s:s,s:s,s:[],s:i}",
		              "name", k->name, "type", k->type, "required", 0,
		              "default_value", k->dflt, "importance",
		              k->importance, "documentation", k->doc, "group",
		              "width", "NONE", "display_name", k->name,
		              "dependents", "order", -1));
	}
	sv_rest_reply(q, 200, out);
}

/* Kafka Connect's normalizedPluginName: without a "Connector" suffix. */
static size_t normalized_len(const char *s)
{
	size_t n = strlen(s), k = strlen("Connector");

	if (n > k && strcmp(s + n - k, "Connector") == 0)
		return n - k;
	return n;
}

static bool same_type(struct sv_rest_api *a, const char *included,
                      const char *path)
{
	size_t ni = normalized_len(included), np = normalized_len(path);

	if (ni >= np && strncmp(included + ni - np, path, np) == 0)
		return true;
	/* two names of the same plugin */
	return sv_plugins_find(a->ctx->plugins, included) ==
	       sv_plugins_find(a->ctx->plugins, path);
}

static void on_validated(void *arg, int code, const char *error, json_t *infos)
{
	struct sv_rest_req *q = arg;

	if (error)
		sv_rest_error(q, code, "%s", error);
	else
		sv_rest_reply(q, 200, json_incref(infos));
}

static void h_validate(struct sv_rest_api *a, struct sv_rest_req *q,
                       char **args)
{
	const struct sv_plugin *p = sv_plugins_find(a->ctx->plugins, args[0]);
	json_t *body, *config;
	const char *cls;
	char err[512];

	if (!p) {
		if (find_converter(args[0]))
			sv_rest_error(q, 400,
			              "%s is not a connector: only connector "
			              "configs can be validated",
			              args[0]);
		else
			sv_rest_error(q, 404, "Unknown plugin %s.", args[0]);
		return;
	}
	if (sv_rest_body(q, &body))
		return;
	config = string_map(body, true, err, sizeof(err));
	json_decref(body);
	if (!config) {
		sv_rest_error(q, 400, "%s", err);
		return;
	}
	cls = json_string_value(json_object_get(config, "connector.class"));
	if (cls && !same_type(a, cls, args[0])) {
		sv_rest_error(
		    q, 400,
		    "Included connector type %s does not match request "
		    "type %s",
		    cls, args[0]);
		json_decref(config);
		return;
	}
	if (!cls)
		json_object_set_new(config, "connector.class",
		                    json_string(args[0]));
	sv_herder_validate(a->h, config, on_validated, q);
	json_decref(config);
}

/* --- routing ------------------------------------------------------------- */

enum {
	R_STARTING = 1, /* answered while sluiced starts */
	R_LEADER = 2,   /* a write done by the cluster's leader */
};

static const struct route {
	enum sv_rest_method method;
	const char *pattern; /* "{}" matches one non-empty segment */
	handler_fn *fn;
	unsigned flags;
} routes[] = {
    {SV_REST_GET, "/", h_root, R_STARTING},
    {SV_REST_GET, "/health", h_health, R_STARTING},
    {SV_REST_GET, "/connectors", h_list, 0},
    {SV_REST_POST, "/connectors", h_create, R_LEADER},
    {SV_REST_GET, "/connectors/{}", h_info, 0},
    {SV_REST_DELETE, "/connectors/{}", h_delete, R_LEADER},
    {SV_REST_GET, "/connectors/{}/config", h_config_get, 0},
    {SV_REST_PUT, "/connectors/{}/config", h_config_put, R_LEADER},
    {SV_REST_PATCH, "/connectors/{}/config", h_config_patch, R_LEADER},
    {SV_REST_GET, "/connectors/{}/status", h_status, 0},
    {SV_REST_POST, "/connectors/{}/restart", h_restart, R_LEADER},
    {SV_REST_PUT, "/connectors/{}/pause", h_pause, R_LEADER},
    {SV_REST_PUT, "/connectors/{}/resume", h_resume, R_LEADER},
    {SV_REST_PUT, "/connectors/{}/stop", h_stop, R_LEADER},
    {SV_REST_GET, "/connectors/{}/tasks", h_tasks, 0},
    {SV_REST_GET, "/connectors/{}/tasks-config", h_tasks_config, 0},
    {SV_REST_GET, "/connectors/{}/tasks/{}/status", h_task_status, 0},
    {SV_REST_POST, "/connectors/{}/tasks/{}/restart", h_task_restart, R_LEADER},
    {SV_REST_GET, "/connectors/{}/offsets", h_offsets_get, 0},
    {SV_REST_PATCH, "/connectors/{}/offsets", h_offsets_patch, R_LEADER},
    {SV_REST_DELETE, "/connectors/{}/offsets", h_offsets_delete, R_LEADER},
    {SV_REST_GET, "/connectors/{}/topics", h_topics, 0},
    {SV_REST_PUT, "/connectors/{}/topics/reset", h_topics_reset, R_LEADER},
    {SV_REST_GET, "/connector-plugins", h_plugins, 0},
    {SV_REST_GET, "/connector-plugins/{}/config", h_plugin_config, 0},
    {SV_REST_PUT, "/connector-plugins/{}/config/validate", h_validate, 0},
    {SV_REST_GET, "/admin/loggers", h_loggers, 0},
    {SV_REST_GET, "/admin/loggers/{}", h_logger_get, 0},
    {SV_REST_PUT, "/admin/loggers/{}", h_logger_put, 0},
};

static const char *const method_names[] = {
    [SV_REST_GET] = "GET",         [SV_REST_HEAD] = "HEAD",
    [SV_REST_POST] = "POST",       [SV_REST_PUT] = "PUT",
    [SV_REST_DELETE] = "DELETE",   [SV_REST_PATCH] = "PATCH",
    [SV_REST_OPTIONS] = "OPTIONS", [SV_REST_OTHER] = "?",
};

/*
 * Distributed mode: whether a write that needs the leader is done here.
 * A follower forwards it (and q is answered there); without a leader
 * (joining, rebalancing) it is 409, as is a request that was forwarded
 * already: never twice, or two members that each think the other leads
 * would pass it back and forth.
 */
static bool leader_here(struct sv_rest_api *a, struct sv_rest_req *q)
{
	const struct sv_rest_cluster_ops *ops = sv_rest_get_cluster_ops();
	const struct sv_cluster *c = a->ctx->cluster;
	enum sv_cluster_role role =
	    ops && ops->role ? ops->role(c) : SV_CLUSTER_JOINING;
	const char *url = ops && ops->leader_url ? ops->leader_url(c) : NULL;
	const char *from = evhttp_find_header(
	    evhttp_request_get_input_headers(q->ev), SV_REST_FWD_HEADER);

	if (role == SV_CLUSTER_LEADER)
		return true;
	if (role == SV_CLUSTER_FOLLOWER && url && *url && !from) {
		sv_rest_forward(q, url);
		return false;
	}
	if (from)
		sv_warn("SV-REST-FORWARD",
		        "%s %s forwarded by %s, but this member is not the "
		        "leader: 409",
		        q->method_name, q->path, from);
	sv_rest_error(q, 409, "%s", SV_REST_FWD_CONFLICT);
	return false;
}

/* Whether the request's path matches pattern; the {} segments go to
 * args. */
static bool match(const char *pattern, struct sv_rest_req *q, char **args)
{
	const char *p = pattern + 1;
	size_t i = 0, na = 0;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (i >= q->nseg)
			return false;
		if (n == 2 && strncmp(p, "{}", 2) == 0) {
			if (!q->seg[i][0] || na >= MAX_ARGS)
				return false;
			args[na++] = q->seg[i];
		} else if (strlen(q->seg[i]) != n ||
		           strncmp(q->seg[i], p, n) != 0) {
			return false;
		}
		i++;
		p += n + (slash ? 1 : 0);
	}
	return i == q->nseg;
}

void sv_rest_api_handle(struct sv_rest_api *a, struct sv_rest_req *q)
{
	enum sv_rest_method m =
	    q->method == SV_REST_HEAD ? SV_REST_GET : q->method;
	const struct route *chosen = NULL;
	char *args[MAX_ARGS] = {NULL}, *tmp[MAX_ARGS];
	char allow[128] = "";
	bool found = false;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (!match(r->pattern, q, tmp))
			continue;
		found = true;
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
		         "%s%s", allow[0] ? ", " : "", method_names[r->method]);
		if (r->method == SV_REST_GET)
			snprintf(allow + strlen(allow),
			         sizeof(allow) - strlen(allow), ", HEAD");
		if (r->method == m && !chosen) {
			chosen = r;
			memcpy(args, tmp, sizeof(args));
		}
	}
	if (!found) {
		sv_rest_error(q, 404, "HTTP 404 Not Found");
		return;
	}
	if (q->method == SV_REST_OPTIONS) {
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow),
		         ", OPTIONS");
		sv_rest_header(q, "Allow", allow);
		sv_rest_reply(q, 204, NULL);
		return;
	}
	if (!chosen) {
		sv_rest_header(q, "Allow", allow);
		sv_rest_error(q, 405, "HTTP 405 Method Not Allowed");
		return;
	}
	if (q->starting && !(chosen->flags & R_STARTING)) {
		sv_rest_error(q, 503, "Worker is still starting up.");
		return;
	}
	if (!sv_rest_accepts_json(q)) {
		sv_rest_error(q, 406, "HTTP 406 Not Acceptable");
		return;
	}
	if ((chosen->flags & R_LEADER) && a->ctx->cluster && !leader_here(a, q))
		return;
	chosen->fn(a, q, args);
}

struct sv_rest_api *sv_rest_api_new(struct sv_ctx *ctx, struct sv_herder *h)
{
	struct sv_rest_api *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->ctx = ctx;
	a->h = h;
	if (!(a->offsets = sv_rest_offsets_new(ctx->base))) {
		free(a);
		return NULL;
	}
	return a;
}

void sv_rest_api_ready(struct sv_rest_api *a)
{
	cluster_id(a, 1000);
}

void sv_rest_api_free(struct sv_rest_api *a)
{
	if (!a)
		return;
	sv_rest_offsets_free(a->offsets);
	a->offsets = NULL;
	free(a->cluster_id);
	free(a);
}
