/*
 * th_task.c: START, plugin loading, and the connector and validate roles.
 * See th_task.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "th_task.h"

/* How long a taskhost waits for START before it gives up. */
#define START_TIMEOUT_MS 30000
/* How long an idle loop sleeps in recv between checks. */
#define IDLE_WAIT_MS 1000

static struct th_task *log_task; /* for plugin threads' log calls */

int64_t th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_send(struct th_task *t, int level, const char *msg)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	if (!t || !t->ipc || !t->ipc->open) {
		fprintf(stderr, "%s\n", msg);
		return;
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (proto_log_pack(&pk, (uint32_t)level, msg) == 0)
		th_ipc_send(t->ipc, &sb);
	else
		fprintf(stderr, "%s\n", msg);
	msgpack_sbuffer_destroy(&sb);
}

void th_log(struct th_task *t, int level, const char *fmt, ...)
{
	char msg[PROTO_LOG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_send(t, level, msg);
}

static void plugin_log(struct conn_context *cx, int level, const char *msg)
{
	(void)cx;
	if (level < CONN_LOG_ERROR)
		level = CONN_LOG_ERROR;
	if (level > CONN_LOG_DEBUG)
		level = CONN_LOG_DEBUG;
	log_send(log_task, level, msg ? msg : "(null)");
}

int th_task_flush(struct th_task *t)
{
	return th_ipc_send_buf(t->ipc, &t->mb);
}

static int send_empty(struct th_task *t, uint32_t type)
{
	if (proto_empty_pack(&t->pk, type))
		return -ENOMEM;
	return th_task_flush(t);
}

int th_task_fail(struct th_task *t, uint32_t kind, const char *message)
{
	th_ipc_buf_clear(&t->mb);
	if (proto_failed_pack(&t->pk, kind, message, message) == 0)
		th_task_flush(t);
	switch (kind) {
	case PROTO_FAIL_CONFIG:
	case PROTO_FAIL_LOAD:
		return TH_EXIT_PERMANENT;
	default:
		return TH_EXIT_TEMPORARY;
	}
}

int th_task_control(struct th_task *t, uint32_t type, struct proto_rd *rd,
                    uint32_t nfields)
{
	uint64_t n;

	switch (type) {
	case PROTO_PING:
		if (proto_u64_unpack(rd, nfields, &n) || !proto_rd_done(rd))
			return -EPROTO;
		if (proto_u64_pack(&t->pk, PROTO_PONG, n))
			return -ENOMEM;
		return th_task_flush(t) ? -EIO : 1;
	case PROTO_PAUSE:
	case PROTO_RESUME:
		if (proto_empty_unpack(rd, nfields) || !proto_rd_done(rd))
			return -EPROTO;
		t->paused = type == PROTO_PAUSE;
		return 1;
	case PROTO_STOP:
		if (proto_empty_unpack(rd, nfields) || !proto_rd_done(rd))
			return -EPROTO;
		t->stopping = true;
		return 1;
	default:
		return 0;
	}
}

static char *dup_str(struct proto_str s)
{
	char *p = malloc((size_t)s.n + 1);

	if (p) {
		memcpy(p, s.p, s.n);
		p[s.n] = '\0';
	}
	return p;
}

/* Copies a validated str -> str map into a config. */
static int fill_config(struct conn_config *c, struct proto_rd it, uint32_t n,
                       const char *prefix)
{
	size_t plen = prefix ? strlen(prefix) : 0;
	struct proto_str k, v;
	char *key = NULL, *val = NULL;
	int rc = 0;

	for (uint32_t i = 0; i < n && rc == 0; i++) {
		if (proto_kv_next(&it, &k, &v))
			return -EPROTO;
		if (prefix && (k.n <= plen || memcmp(k.p, prefix, plen) != 0))
			continue;
		key = dup_str((struct proto_str){k.p + plen, k.n - plen});
		val = dup_str(v);
		rc = key && val ? th_config_set(c, key, val) : -ENOMEM;
		free(key);
		free(val);
	}
	return rc;
}

/*
 * Builds one converter from the converter settings. Returns 0, or an exit
 * status after FAILED.
 */
static int make_conv(struct th_task *t, const struct proto_start *st,
                     enum th_conv_kind kind, const char *name, const char *dflt,
                     struct th_conv **out)
{
	char prefix[64], err[512], msg[700];
	struct conn_config *all = NULL, *settings = NULL;
	const char *cls;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s.", name);
	if (!(all = th_config_new(NULL, 0)) ||
	    !(settings = th_config_new(NULL, 0)) ||
	    fill_config(all, st->converters, st->converters_n, NULL) ||
	    fill_config(settings, st->converters, st->converters_n, prefix)) {
		rc = th_task_fail(t, PROTO_FAIL_INTERNAL,
		                  "cannot read converter settings");
		goto out;
	}
	cls = th_config_raw(all, name);
	if (!cls || !*cls)
		cls = dflt;
	*out = th_conv_new(cls, settings, kind, err, sizeof(err));
	if (!*out) {
		snprintf(msg, sizeof(msg), "%s %s: %s", name, cls, err);
		rc = th_task_fail(t, PROTO_FAIL_CONFIG, msg);
		goto out;
	}
	rc = 0;
out:
	th_config_free(all);
	th_config_free(settings);
	return rc;
}

/* Returns 0, or an exit status after FAILED. */
static int setup_converters(struct th_task *t, const struct proto_start *st)
{
	struct conn_config *all = th_config_new(NULL, 0);
	const char *tol;
	int rc;

	if (!all || fill_config(all, st->converters, st->converters_n, NULL)) {
		th_config_free(all);
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot read converter settings");
	}
	tol = th_config_raw(all, "errors.tolerance");
	t->tolerate_all = tol && strcmp(tol, "all") == 0;
	th_config_free(all);
	if ((rc = make_conv(t, st, TH_CONV_KEY, "key.converter",
	                    "org.apache.kafka.connect.json.JsonConverter",
	                    &t->key_conv)) ||
	    (rc = make_conv(t, st, TH_CONV_VALUE, "value.converter",
	                    "org.apache.kafka.connect.json.JsonConverter",
	                    &t->value_conv)) ||
	    (rc = make_conv(
	         t, st, TH_CONV_HEADER, "header.converter",
	         "org.apache.kafka.connect.storage.SimpleHeaderConverter",
	         &t->header_conv)))
		return rc;
	return 0;
}

/* Parses the stored source offsets of START into the context. */
static int setup_offsets(struct th_task *t, const struct proto_start *st)
{
	struct proto_rd it = st->offsets;
	struct proto_str k, v;
	char err[256];
	size_t n = 0;

	if (st->offsets_n == 0)
		return 0;
	t->cx.off_parts = calloc(st->offsets_n, sizeof(*t->cx.off_parts));
	t->cx.off_vals = calloc(st->offsets_n, sizeof(*t->cx.off_vals));
	if (!t->cx.off_parts || !t->cx.off_vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < st->offsets_n; i++) {
		if (proto_kv_next(&it, &k, &v))
			return -EPROTO;
		if (th_json_decode(k.p, k.n, t->cx.arena, &t->cx.off_parts[n],
		                   err, sizeof(err)) ||
		    th_json_decode(v.p, v.n, t->cx.arena, &t->cx.off_vals[n],
		                   err, sizeof(err))) {
			th_log(t, CONN_LOG_WARN,
			       "TH-OFFSET-BAD ignoring a stored offset that "
			       "does not parse: %s",
			       err);
			continue;
		}
		n++;
	}
	t->cx.noff = n;
	return 0;
}

/* Reports every config problem in one FAILED message, Kafka's way. */
static int fail_validation(struct th_task *t, struct conn_validation *v)
{
	struct th_buf b = {0};
	int rc;

	th_buf_printf(&b,
	              "Connector configuration is invalid and contains the "
	              "following %zu error(s):",
	              v->n);
	for (size_t i = 0; i < v->n; i++)
		th_buf_printf(&b, "\n%s", v->errs[i].message);
	rc = th_task_fail(t, PROTO_FAIL_CONFIG, b.p ? b.p : "invalid config");
	th_buf_fini(&b);
	return rc;
}

/* The option table's checks plus the plugin's own validate(). */
static struct conn_validation *validate_config(struct th_task *t)
{
	struct conn_validation *v = th_validation_new();
	const struct conn_plugin *p = t->pl.p;

	if (!v)
		return NULL;
	th_config_check(t->cfg, v, NULL, 0);
	if (p->validate && p->validate(&th_host, t->cfg, v) < 0)
		th_validation_add(v, "", "the plugin's validate() failed");
	return v;
}

static int run_validate(struct th_task *t)
{
	struct conn_validation *v = validate_config(t);
	int rc = TH_EXIT_OK;

	if (!v)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	if (proto_validation_begin(&t->pk, (uint32_t)v->n))
		rc = TH_EXIT_TEMPORARY;
	for (size_t i = 0; i < v->n && rc == TH_EXIT_OK; i++)
		if (proto_validation_error_pack(&t->pk, v->errs[i].key,
		                                v->errs[i].message))
			rc = TH_EXIT_TEMPORARY;
	if (rc == TH_EXIT_OK && th_task_flush(t))
		rc = TH_EXIT_TEMPORARY;
	th_validation_free(v);
	return rc;
}

static int send_task_configs(struct th_task *t)
{
	const struct conn_plugin *p = t->pl.p;
	struct conn_task_configs *tc =
	    th_task_configs_new(p->options, p->option_size);
	char err[1024] = "";
	int rc = 0, max = (int)t->limits.max_tasks;

	if (!tc)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	if (max < 1)
		max = 1;
	if (p->task_configs) {
		rc = p->task_configs(t->ctx, t->cfg, max, tc, err, sizeof(err));
	} else {
		/* one source task; max sink tasks, their consumer group
		 * shares the partitions out */
		int n = p->type == CONN_SINK ? max : 1;

		for (int k = 0; k < n && rc == 0; k++) {
			struct conn_config *c = th_host.task_config_add(tc);

			for (size_t i = 0; c && i < t->cfg->n && rc == 0; i++)
				rc = th_config_set(c, t->cfg->kv[i].key,
				                   t->cfg->kv[i].value);
			if (!c)
				rc = -ENOMEM;
		}
	}
	if (rc < 0) {
		char msg[1200];

		snprintf(msg, sizeof(msg), "task_configs failed: %s",
		         *err ? err : strerror(-rc));
		rc = th_task_fail(t, PROTO_FAIL_PLUGIN, msg);
		goto out;
	}
	if ((int)tc->n > max) {
		rc = th_task_fail(t, PROTO_FAIL_PLUGIN,
		                  "task_configs returned more configs than "
		                  "tasks.max");
		goto out;
	}
	rc = 0;
	if (proto_task_configs_begin(&t->pk, (uint32_t)tc->n))
		rc = -ENOMEM;
	for (size_t i = 0; i < tc->n && rc == 0; i++) {
		const struct conn_config *c = tc->tasks[i];

		if (proto_kvmap_begin(&t->pk, (uint32_t)c->n))
			rc = -ENOMEM;
		for (size_t j = 0; j < c->n && rc == 0; j++)
			rc =
			    proto_pack_kv(&t->pk, c->kv[j].key, c->kv[j].value);
	}
	if (rc == 0 && th_task_flush(t))
		rc = -EIO;
	if (rc)
		rc = th_task_fail(t, PROTO_FAIL_INTERNAL,
		                  "cannot send task configs");
out:
	th_task_configs_free(tc);
	return rc;
}

/* Waits for STOP, answering PING; other messages break the protocol. */
static int idle_until_stop(struct th_task *t)
{
	while (!t->stopping) {
		struct proto_rd rd;
		uint32_t type, nf;
		nng_msg *m;
		int rc = th_ipc_recv(t->ipc, IDLE_WAIT_MS, &m);

		if (rc == -EAGAIN)
			continue;
		if (rc)
			return TH_EXIT_TEMPORARY;
		rc = proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m),
		                      &type, &nf);
		if (rc == 0)
			rc = th_task_control(t, type, &rd, nf);
		nng_msg_free(m);
		if (rc <= 0)
			return th_task_fail(t, PROTO_FAIL_INTERNAL,
			                    "unexpected message from sluiced");
	}
	return TH_EXIT_OK;
}

static int run_connector(struct th_task *t)
{
	const struct conn_plugin *p = t->pl.p;
	struct conn_validation *v = validate_config(t);
	char err[1024] = "";
	int rc;

	if (!v)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	if (v->n) {
		rc = fail_validation(t, v);
		th_validation_free(v);
		return rc;
	}
	th_validation_free(v);
	if (p->connector_start) {
		rc = p->connector_start(&th_host, &t->cx, t->cfg, &t->ctx, err,
		                        sizeof(err));
		if (rc < 0) {
			char msg[1200];

			snprintf(msg, sizeof(msg),
			         "connector failed to start: %s",
			         *err ? err : strerror(-rc));
			return th_task_fail(t,
			                    rc == -EINVAL ? PROTO_FAIL_CONFIG
			                                  : PROTO_FAIL_PLUGIN,
			                    msg);
		}
	}
	t->started = true;
	if (send_empty(t, PROTO_READY))
		return TH_EXIT_TEMPORARY;
	if ((rc = send_task_configs(t)))
		return rc;
	return idle_until_stop(t);
}

/* Starts the plugin's task. 0, or an exit status after FAILED. */
static int start_task(struct th_task *t, const struct proto_start *st)
{
	const struct conn_plugin *p = t->pl.p;
	char err[1024] = "", msg[1200];
	int rc;

	if (th_config_check(t->cfg, NULL, err, sizeof(err))) {
		snprintf(msg, sizeof(msg), "invalid task config: %s", err);
		return th_task_fail(t, PROTO_FAIL_CONFIG, msg);
	}
	if ((rc = setup_converters(t, st)))
		return rc;
	if (setup_offsets(t, st))
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot read stored offsets");
	rc = p->start(&th_host, &t->cx, t->cfg, &t->ctx, err, sizeof(err));
	if (rc < 0) {
		snprintf(msg, sizeof(msg), "task failed to start: %s",
		         *err ? err : strerror(-rc));
		/* a bad config or a path it may not use will not get better
		 * by retrying: report those as config errors */
		return th_task_fail(t,
		                    rc == -EINVAL || rc == -EACCES ||
		                            rc == -EPERM || rc == -EISDIR
		                        ? PROTO_FAIL_CONFIG
		                        : PROTO_FAIL_PLUGIN,
		                    msg);
	}
	t->started = true;
	if (send_empty(t, PROTO_READY))
		return TH_EXIT_TEMPORARY;
	return 0;
}

static int role_matches(uint32_t role, uint32_t type)
{
	if (role == PROTO_ROLE_SOURCE)
		return type == CONN_SOURCE;
	if (role == PROTO_ROLE_SINK)
		return type == CONN_SINK;
	return 1;
}

static int load_and_configure(struct th_task *t, const struct proto_start *st)
{
	char err[1024], msg[1200];
	const struct conn_plugin *p;
	int rc;

	if (t->spec->plugin && strcmp(t->spec->plugin, t->plugin_path) != 0) {
		snprintf(msg, sizeof(msg),
		         "START names plugin %s but the sandbox grants %s",
		         t->plugin_path, t->spec->plugin);
		return th_task_fail(t, PROTO_FAIL_INTERNAL, msg);
	}
	if (th_plugin_load(t->plugin_path, &t->pl, err, sizeof(err)))
		return th_task_fail(t, PROTO_FAIL_LOAD, err);
	p = t->pl.p;
	if (!role_matches(t->role, p->type)) {
		snprintf(msg, sizeof(msg), "%s is a %s plugin, not a %s",
		         p->name, p->type == CONN_SOURCE ? "source" : "sink",
		         t->role == PROTO_ROLE_SOURCE ? "source" : "sink");
		return th_task_fail(t, PROTO_FAIL_LOAD, msg);
	}
	t->cfg = th_config_new(p->options, p->option_size);
	if (!t->cfg)
		return th_task_fail(t, PROTO_FAIL_INTERNAL, "out of memory");
	rc = fill_config(t->cfg, st->config, st->config_n, NULL);
	if (rc)
		return th_task_fail(t, PROTO_FAIL_INTERNAL,
		                    "cannot copy the config");
	return 0;
}

/* Receives START and copies what outlives the frame. */
static int receive_start(struct th_task *t, struct proto_start *st,
                         nng_msg **startmsg)
{
	struct proto_rd rd;
	uint32_t type, nf;
	int64_t deadline = th_now_ms() + START_TIMEOUT_MS;
	nng_msg *m;

	for (;;) {
		int64_t left = deadline - th_now_ms();
		int rc;

		if (left <= 0) {
			fprintf(stderr, "TH-START-TIMEOUT no START from "
			                "sluiced\n");
			return TH_EXIT_TEMPORARY;
		}
		rc = th_ipc_recv(t->ipc, (int)left, &m);
		if (rc == -EAGAIN)
			continue;
		if (rc)
			return TH_EXIT_TEMPORARY;
		break;
	}
	if (proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m), &type,
	                     &nf) ||
	    type != PROTO_START || proto_start_unpack(&rd, nf, st) ||
	    !proto_rd_done(&rd)) {
		nng_msg_free(m);
		fprintf(stderr, "TH-START-BAD the first message is not a "
		                "valid START\n");
		return TH_EXIT_TEMPORARY;
	}
	*startmsg = m;
	t->role = st->role;
	t->task_id = st->task_id;
	t->limits = st->limits;
	t->paused = (st->limits.flags & PROTO_START_PAUSED) != 0;
	t->connector = dup_str(st->connector);
	t->plugin_path = dup_str(st->plugin);
	if (!t->connector || !t->plugin_path)
		return TH_EXIT_TEMPORARY;
	return 0;
}

/* Stops the plugin and frees what the task holds; safe to call twice. */
static void task_fini(struct th_task *t)
{
	const struct conn_plugin *p = t->pl.p;

	if (p && t->started) {
		if (t->role == PROTO_ROLE_CONNECTOR) {
			if (p->connector_stop)
				p->connector_stop(t->ctx);
		} else if (p->stop) {
			p->stop(t->ctx);
		}
	}
	t->started = false;
	t->ctx = NULL;
	th_conv_free(t->key_conv);
	t->key_conv = NULL;
	th_conv_free(t->value_conv);
	t->value_conv = NULL;
	th_conv_free(t->header_conv);
	t->header_conv = NULL;
	th_config_free(t->cfg);
	t->cfg = NULL;
	free(t->cx.off_parts);
	t->cx.off_parts = NULL;
	free(t->cx.off_vals);
	t->cx.off_vals = NULL;
	t->cx.noff = 0;
	th_arena_free(t->cx.arena);
	t->cx.arena = NULL;
	/* The plugin is not unloaded: a plugin thread that outlived stop()
	 * must not find its code gone. The process exits next. */
}

int th_task_run(struct th_ipc *ipc, const struct th_sandbox_ops *sandbox,
                struct th_sandbox_spec *spec)
{
	struct th_task t = {.ipc = ipc, .sandbox = sandbox, .spec = spec};
	/* the pid sluiced started: the sandbox's monitor, or this process */
	struct proto_hello hello = {
	    PROTO_VERSION,
	    (uint64_t)(spec->spawned_pid ? spec->spawned_pid : getpid())};
	struct proto_start st;
	nng_msg *startmsg = NULL;
	char err[512];
	int rc;

	th_ipc_buf_init(&t.mb);
	msgpack_packer_init(&t.pk, &t.mb, th_ipc_buf_write);
	log_task = &t;
	if (proto_hello_pack(&t.pk, &hello) || th_task_flush(&t)) {
		rc = TH_EXIT_TEMPORARY;
		goto out;
	}
	if ((rc = receive_start(&t, &st, &startmsg)))
		goto out;
	t.cx.connector = t.connector;
	t.cx.task_id = t.task_id;
	t.cx.task_dir = spec->task_dir;
	t.cx.log = plugin_log;
	if (!(t.cx.arena = th_arena_new())) {
		rc = th_task_fail(&t, PROTO_FAIL_INTERNAL, "out of memory");
		goto out;
	}
	if (sandbox->lock(spec, err, sizeof(err))) {
		char msg[600];

		snprintf(msg, sizeof(msg), "sandbox: %s", err);
		rc = th_task_fail(&t, PROTO_FAIL_INTERNAL, msg);
		goto out;
	}
	if ((rc = load_and_configure(&t, &st)))
		goto out;
	switch (t.role) {
	case PROTO_ROLE_VALIDATE:
		rc = run_validate(&t);
		break;
	case PROTO_ROLE_CONNECTOR:
		rc = run_connector(&t);
		break;
	case PROTO_ROLE_SOURCE:
		if (!(rc = start_task(&t, &st)))
			rc = th_source_run(&t);
		break;
	case PROTO_ROLE_SINK:
		if (!(rc = start_task(&t, &st)))
			rc = th_sink_run(&t);
		break;
	}
	if (rc == TH_EXIT_OK && t.stopping) {
		/* stop the plugin before saying STOPPED, so that what it
		 * flushes in stop() is done when sluiced hears it */
		task_fini(&t);
		send_empty(&t, PROTO_STOPPED);
	}
out:
	if (startmsg)
		nng_msg_free(startmsg);
	task_fini(&t);
	log_task = NULL;
	free(t.connector);
	free(t.plugin_path);
	th_ipc_buf_fini(&t.mb);
	return rc;
}
