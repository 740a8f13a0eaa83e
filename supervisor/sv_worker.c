/* sv_worker.c: see sv_worker.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv_log.h"
#include "sv_props.h"
#include "sv_worker.h"

static char exe_dir[PATH_MAX];

const char *sv_worker_exe_dir(void)
{
	char *slash;
	ssize_t n;

	if (exe_dir[0])
		return exe_dir;
	n = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	if (n <= 0) {
		strcpy(exe_dir, ".");
		return exe_dir;
	}
	exe_dir[n] = '\0';
	slash = strrchr(exe_dir, '/');
	if (slash && slash != exe_dir)
		*slash = '\0';
	return exe_dir;
}

const char *sv_worker_get(const struct sv_worker *w, const char *key)
{
	return json_string_value(json_object_get(w->props, key));
}

static char *path_join(const char *a, const char *b)
{
	char *p, *real;

	if (asprintf(&p, "%s/%s", a, b) < 0)
		return NULL;
	/* bin/../lib/... reads better in logs as lib/... */
	if (strstr(p, "/../") && (real = realpath(p, NULL))) {
		free(p);
		return real;
	}
	return p;
}

static bool is_file(const char *p, mode_t type)
{
	struct stat st;

	return stat(p, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* Reads an integer key in [min, max]; dflt when unset. */
static int get_int(const struct sv_worker *w, const char *key, int64_t dflt,
                   int64_t min, int64_t max, int64_t *out, char *err,
                   size_t errlen)
{
	const char *s = sv_worker_get(w, key);
	char *end;
	long long v;

	if (!s) {
		*out = dflt;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno || end == s || *end || v < min || v > max) {
		snprintf(err, errlen,
		         "%s: invalid value \"%s\" for %s: expected an integer "
		         "from %lld to %lld",
		         w->path, s, key, (long long)min, (long long)max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/* Reads a boolean key ("true" or "false", any case); dflt when unset. */
static int get_bool(const struct sv_worker *w, const char *key, bool dflt,
                    bool *out, char *err, size_t errlen)
{
	const char *s = sv_worker_get(w, key);

	if (!s) {
		*out = dflt;
		return 0;
	}
	if (strcasecmp(s, "true") == 0) {
		*out = true;
	} else if (strcasecmp(s, "false") == 0) {
		*out = false;
	} else {
		snprintf(err, errlen,
		         "%s: invalid value \"%s\" for %s: expected true or "
		         "false",
		         w->path, s, key);
		return -EINVAL;
	}
	return 0;
}

static int split_plugin_path(struct sv_worker *w)
{
	const char *s = sv_worker_get(w, "plugin.path");
	char *copy, *tok, *save = NULL;

	if (!s || !*s) {
		const char *dir = sv_worker_exe_dir();
		char *p = path_join(dir, "plugins");

		if (p && !is_file(p, S_IFDIR)) {
			free(p);
			p = path_join(dir, "../lib/sluice/plugins");
		}
		if (!p || !(w->plugin_path = calloc(1, sizeof(char *)))) {
			free(p);
			return -ENOMEM;
		}
		w->plugin_path[w->nplugin_path++] = p;
		return 0;
	}
	if (!(copy = strdup(s)))
		return -ENOMEM;
	w->plugin_path = calloc(strlen(s) / 2 + 2, sizeof(char *));
	if (!w->plugin_path) {
		free(copy);
		return -ENOMEM;
	}
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok);
		     e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (*tok &&
		    !(w->plugin_path[w->nplugin_path++] = strdup(tok))) {
			free(copy);
			return -ENOMEM;
		}
	}
	free(copy);
	return 0;
}

/* Keys copied into the settings of every librdkafka client. */
static bool is_client_key(const char *k)
{
	static const char *const exact[] = {
	    "client.id",
	    "security.protocol",
	    "client.dns.lookup",
	    "socket.connection.setup.timeout.ms",
	    "reconnect.backoff.ms",
	    "reconnect.backoff.max.ms",
	    "metadata.max.age.ms",
	};

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(k, exact[i]) == 0)
			return true;
	return strncmp(k, "ssl.", 4) == 0 || strncmp(k, "sasl.", 5) == 0;
}

static bool has_prefix(const char *k, const char *prefix)
{
	return strncmp(k, prefix, strlen(prefix)) == 0;
}

static int collect_sections(struct sv_worker *w)
{
	const char *k;
	json_t *v;

	w->converters = json_object();
	w->client = json_object();
	w->producer = json_object();
	w->consumer = json_object();
	if (!w->converters || !w->client || !w->producer || !w->consumer)
		return -ENOMEM;
	json_object_foreach(w->props, k, v)
	{
		json_t *target = NULL;
		const char *name = k;

		if (has_prefix(k, "key.converter") ||
		    has_prefix(k, "value.converter") ||
		    has_prefix(k, "header.converter"))
			target = w->converters;
		else if (has_prefix(k, "producer.") &&
		         !has_prefix(k, "producer.override."))
			target = w->producer, name = k + 9;
		else if (has_prefix(k, "consumer.") &&
		         !has_prefix(k, "consumer.override."))
			target = w->consumer, name = k + 9;
		else if (is_client_key(k))
			target = w->client;
		if (target && json_object_set(target, name, v))
			return -ENOMEM;
	}
	return 0;
}

static char *default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *p = NULL;

	if (geteuid() == 0)
		return strdup("/var/lib/sluice");
	if (xdg && *xdg)
		return path_join(xdg, "sluice");
	if (home && *home && asprintf(&p, "%s/.local/state/sluice", home) > 0)
		return p;
	return strdup("/tmp/sluice-state");
}

/* mkdir -p with mode for the last component. */
static int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

static int setup_dirs(struct sv_worker *w, char *err, size_t errlen)
{
	const char *s = sv_worker_get(w, "sluice.state.dir");
	const char *tmp = getenv("TMPDIR");
	int rc;

	w->state_dir = s && *s ? strdup(s) : default_state_dir();
	if (!w->state_dir)
		return -ENOMEM;
	if ((rc = make_dirs(w->state_dir, 0700))) {
		snprintf(err, errlen,
		         "%s: cannot create sluice.state.dir %s: %s", w->path,
		         w->state_dir, strerror(-rc));
		return rc;
	}
	s = sv_worker_get(w, "sluice.runtime.dir");
	if (s && *s) {
		if (!(w->runtime_dir = strdup(s)))
			return -ENOMEM;
		if ((rc = make_dirs(w->runtime_dir, 0700)) ||
		    chmod(w->runtime_dir, 0700) == -1) {
			rc = rc ? rc : -errno;
			snprintf(err, errlen,
			         "%s: cannot create sluice.runtime.dir %s: %s",
			         w->path, w->runtime_dir, strerror(-rc));
			return rc;
		}
		return 0;
	}
	/* short, private, and ours alone: sockets live here */
	if (asprintf(&w->runtime_dir, "%s/sluiced.XXXXXX",
	             tmp && *tmp ? tmp : "/tmp") < 0) {
		w->runtime_dir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(w->runtime_dir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot create a runtime directory: %s",
		         strerror(errno));
		return rc;
	}
	w->runtime_dir_made = true;
	return 0;
}

static int set_worker_id(struct sv_worker *w)
{
	const char *host = sv_worker_get(w, "rest.advertised.host.name");
	const char *port = sv_worker_get(w, "rest.advertised.port");
	const char *listeners = sv_worker_get(w, "listeners");
	char lhost[256] = "127.0.0.1", lport[16] = "8083";

	if (listeners && *listeners) {
		/* first listener: scheme://host:port */
		const char *p = strstr(listeners, "://");
		const char *colon, *end;

		p = p ? p + 3 : listeners;
		end = p + strcspn(p, ",");
		colon = memrchr(p, ':', (size_t)(end - p));
		if (colon && (size_t)(colon - p) < sizeof(lhost) &&
		    (size_t)(end - colon - 1) < sizeof(lport)) {
			if (colon > p)
				snprintf(lhost, sizeof(lhost), "%.*s",
				         (int)(colon - p), p);
			snprintf(lport, sizeof(lport), "%.*s",
			         (int)(end - colon - 1), colon + 1);
		}
	}
	if (asprintf(&w->worker_id, "%s:%s", host && *host ? host : lhost,
	             port && *port ? port : lport) < 0) {
		w->worker_id = NULL;
		return -ENOMEM;
	}
	return 0;
}

int sv_worker_load(struct sv_worker *w, const char *path, char *err,
                   size_t errlen)
{
	int64_t v;
	const char *s;
	int rc;

	memset(w, 0, sizeof(*w));
	w->path = path;
	if (!(w->props = sv_props_load(path, err, errlen)))
		return -EINVAL;
	s = sv_worker_get(w, "bootstrap.servers");
	w->embedded = !s || !*s || strcmp(s, "embedded") == 0;
	w->bootstrap = w->embedded ? NULL : s;
	if ((rc = get_int(w, "embedded.brokers", 1, 1, 16, &v, err, errlen)))
		goto out_fail;
	w->embedded_brokers = (int)v;
	if ((rc = split_plugin_path(w)) || (rc = collect_sections(w)))
		goto out_nomem;
	if ((rc = get_int(w, "offset.flush.interval.ms", 60000, 1, INT32_MAX,
	                  &w->offset_flush_ms, err, errlen)) ||
	    (rc = get_int(w, "sluice.task.credits", 16, 1, 1024, &v, err,
	                  errlen)))
		goto out_fail;
	w->credits = (uint32_t)v;
	if ((rc = get_int(w, "sluice.batch.max.records", 1000, 1, 100000, &v,
	                  err, errlen)))
		goto out_fail;
	w->batch_max_records = (uint32_t)v;
	if ((rc = get_int(w, "sluice.batch.max.bytes", 1 << 20, 1024, 16 << 20,
	                  &v, err, errlen)))
		goto out_fail;
	w->batch_max_bytes = (uint32_t)v;
	if ((rc = get_int(w, "sluice.poll.wait.ms", 100, 1, 60000, &v, err,
	                  errlen)))
		goto out_fail;
	w->poll_wait_ms = (uint32_t)v;
	if ((rc = get_bool(w, "sluice.batch.shared.memory", true,
	                   &w->batch_region, err, errlen)))
		goto out_fail;
	if ((rc = get_int(w, "restart.backoff.initial.ms", 0, 0, 86400000,
	                  &w->restart_initial_ms, err, errlen)) ||
	    (rc = get_int(w, "restart.backoff.base.ms", 1000, 1, 86400000,
	                  &w->restart_base_ms, err, errlen)) ||
	    (rc = get_int(w, "restart.backoff.max.ms", 60000, 1, 86400000,
	                  &w->restart_max_ms, err, errlen)) ||
	    (rc = get_int(w, "restart.stable.ms", 600000, 1, INT64_MAX / 2,
	                  &w->restart_stable_ms, err, errlen)) ||
	    (rc = get_int(w, "restart.max.attempts", -1, -1, INT32_MAX,
	                  &w->restart_max_attempts, err, errlen)))
		goto out_fail;
	if ((rc = get_int(w, "task.heartbeat.interval.ms", 2000, 10, 3600000,
	                  &w->heartbeat_interval_ms, err, errlen)) ||
	    (rc = get_int(w, "task.heartbeat.timeout.ms", 30000, 100, 86400000,
	                  &w->heartbeat_timeout_ms, err, errlen)) ||
	    (rc = get_int(w, "task.shutdown.graceful.timeout.ms", 5000, 0,
	                  3600000, &w->shutdown_timeout_ms, err, errlen)))
		goto out_fail;
	s = sv_worker_get(w, "sluice.log.level");
	if (s && (sv_log_level = sv_log_parse_level(s)) < 0) {
		snprintf(
		    err, errlen,
		    "%s: invalid sluice.log.level \"%s\": use ERROR, WARN, "
		    "INFO or DEBUG",
		    path, s);
		sv_log_level = SV_LOG_INFO;
		rc = -EINVAL;
		goto out_fail;
	}
	w->sandbox = sv_worker_get(w, "sluice.sandbox");
	if (!w->sandbox)
		w->sandbox = getenv("SLUICE_SANDBOX");
	if (!w->sandbox || !*w->sandbox)
		w->sandbox = "default";
	if (strcmp(w->sandbox, "default") != 0 &&
	    strcmp(w->sandbox, "none") != 0) {
		snprintf(err, errlen,
		         "%s: invalid sluice.sandbox \"%s\": use default or "
		         "none",
		         path, w->sandbox);
		rc = -EINVAL;
		goto out_fail;
	}
	w->taskhost = sv_worker_get(w, "sluice.taskhost");
	if (!w->taskhost) {
		w->taskhost_owned =
		    path_join(sv_worker_exe_dir(), "sluice-taskhost");
		if (w->taskhost_owned && !is_file(w->taskhost_owned, S_IFREG)) {
			free(w->taskhost_owned);
			w->taskhost_owned =
			    path_join(sv_worker_exe_dir(),
			              "../libexec/sluice/sluice-taskhost");
		}
		if (!w->taskhost_owned)
			goto out_nomem;
		w->taskhost = w->taskhost_owned;
	}
	if (access(w->taskhost, X_OK) == -1) {
		snprintf(err, errlen, "cannot run the taskhost %s: %s",
		         w->taskhost, strerror(errno));
		rc = -ENOENT;
		goto out_fail;
	}
	if ((rc = setup_dirs(w, err, errlen)))
		goto out_fail;
	w->offset_file = sv_worker_get(w, "offset.storage.file.filename");
	if (!w->offset_file || !*w->offset_file) {
		w->offset_file_owned = path_join(w->state_dir, "offsets.json");
		if (!(w->offset_file = w->offset_file_owned))
			goto out_nomem;
	}
	w->config_file = sv_worker_get(w, "config.storage.file.filename");
	if (!w->config_file || !*w->config_file) {
		w->config_file_owned =
		    path_join(w->state_dir, "connectors.json");
		if (!(w->config_file = w->config_file_owned))
			goto out_nomem;
	}
	if ((rc = set_worker_id(w)))
		goto out_nomem;
	return 0;
out_nomem:
	snprintf(err, errlen, "out of memory");
	rc = -ENOMEM;
out_fail:
	sv_worker_fini(w);
	return rc;
}

void sv_worker_fini(struct sv_worker *w)
{
	for (size_t i = 0; i < w->nplugin_path; i++)
		free(w->plugin_path[i]);
	free(w->plugin_path);
	w->plugin_path = NULL;
	w->nplugin_path = 0;
	if (w->runtime_dir_made && w->runtime_dir)
		rmdir(w->runtime_dir);
	free(w->runtime_dir);
	w->runtime_dir = NULL;
	free(w->state_dir);
	w->state_dir = NULL;
	free(w->taskhost_owned);
	w->taskhost_owned = NULL;
	free(w->offset_file_owned);
	w->offset_file_owned = NULL;
	free(w->config_file_owned);
	w->config_file_owned = NULL;
	free(w->bootstrap_owned);
	w->bootstrap_owned = NULL;
	free(w->worker_id);
	w->worker_id = NULL;
	json_decref(w->converters);
	json_decref(w->client);
	json_decref(w->producer);
	json_decref(w->consumer);
	json_decref(w->props);
	w->converters = w->client = w->producer = w->consumer = NULL;
	w->props = NULL;
}
