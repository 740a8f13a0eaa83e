/*
 * test_th_plugin.c: the plugin loader against the built-in plugins and the
 * broken ones of tests/connectors, and the built-in plugins run through
 * th_host.
 *
 * The plugins are found next to this binary: <build>/tests/test_th_plugin
 * looks in <build>/plugins and <build>/test-plugins. SLUICE_PLUGIN_DIR and
 * SLUICE_TEST_PLUGIN_DIR override the two directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "../../taskhost/th_data.h"
#include "../../taskhost/th_plugin.h"
#include "testhelp.h"

static char plugin_dir[PATH_MAX];
static char test_plugin_dir[PATH_MAX];
static char errbuf[1024];

/* <dir of this binary>/../<sub>, or the environment's choice. */
static void find_dir(char *out, size_t outlen, const char *env, const char *sub)
{
	const char *e = getenv(env);
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (e && *e) {
		snprintf(out, outlen, "%s", e);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		snprintf(out, outlen, "build/%s", sub);
		return;
	}
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	if (snprintf(out, outlen, "%s/../%s", exe, sub) >= (int)outlen)
		snprintf(out, outlen, "build/%s", sub);
}

static const char *dirs_init(void)
{
	if (!plugin_dir[0]) {
		find_dir(plugin_dir, sizeof(plugin_dir), "SLUICE_PLUGIN_DIR",
		         "plugins");
		find_dir(test_plugin_dir, sizeof(test_plugin_dir),
		         "SLUICE_TEST_PLUGIN_DIR", "test-plugins");
	}
	return plugin_dir;
}

static const char *plugin_path(const char *name)
{
	static char path[PATH_MAX + 64];

	dirs_init();
	snprintf(path, sizeof(path), "%s/%s.so", plugin_dir, name);
	return path;
}

static const char *test_plugin_path(const char *name)
{
	static char path[PATH_MAX + 64];

	dirs_init();
	snprintf(path, sizeof(path), "%s/%s.so", test_plugin_dir, name);
	return path;
}

/* Checks that err contains want; prints err if not. */
static void check_err_has(const char *err, const char *want)
{
	if (!strstr(err, want)) {
		test_failures++;
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", err, want);
	}
}

/* Loads a plugin that must load; on failure prints why. */
static int load_ok(const char *path, struct th_plugin *pl)
{
	int r;

	errbuf[0] = '\0';
	r = th_plugin_load(path, pl, errbuf, sizeof(errbuf));
	if (r != 0)
		fprintf(stderr, "  cannot load %s: %s\n", path, errbuf);
	CHECK_EQ_INT(r, 0);
	return r;
}

/* Loads a plugin that must be rejected with rc and a reason naming the
 * path and containing want. */
static void load_bad(const char *path, int rc, const char *want)
{
	struct th_plugin pl;
	int r;

	errbuf[0] = '\0';
	memset(&pl, 0xa5, sizeof(pl));
	r = th_plugin_load(path, &pl, errbuf, sizeof(errbuf));
	CHECK_EQ_INT(r, rc);
	CHECK(pl.dl == NULL);
	CHECK(pl.p == NULL);
	CHECK_EQ_INT(pl.noptions, 0);
	check_err_has(errbuf, path);
	check_err_has(errbuf, want);
	th_plugin_unload(&pl); /* a failed load is fine to unload */
}

static const struct conn_option *find_opt(const struct th_plugin *pl,
                                          const char *name)
{
	for (size_t i = 0; i < pl->noptions; i++) {
		if (strcmp(th_plugin_option(pl, i)->name, name) == 0)
			return th_plugin_option(pl, i);
	}
	return NULL;
}

static bool has_alias(const struct th_plugin *pl, const char *alias)
{
	for (size_t i = 0; pl->p->aliases && pl->p->aliases[i]; i++) {
		if (strcmp(pl->p->aliases[i], alias) == 0)
			return true;
	}
	return false;
}

/* --- Loading the built-in plugins ---------------------------------------- */

static void test_file_source(void)
{
	struct th_plugin pl;
	const struct conn_option *o;

	if (load_ok(plugin_path("conn_file_source"), &pl))
		return;
	CHECK_EQ_STR(pl.p->name, "FileStreamSource");
	CHECK(has_alias(&pl, "FileStreamSourceConnector"));
	CHECK(has_alias(
	    &pl, "org.apache.kafka.connect.file.FileStreamSourceConnector"));
	CHECK_EQ_INT(pl.p->type, CONN_SOURCE);
	CHECK(pl.p->poll != NULL);
	CHECK(pl.p->validate != NULL);
	CHECK_EQ_INT(pl.noptions, 3);
	o = find_opt(&pl, "file");
	CHECK(o && o->type == CONN_OPT_STRING);
	CHECK(o && (o->flags & CONN_OPT_PATH_READ));
	CHECK(o && (o->flags & CONN_OPT_REQUIRED));
	o = find_opt(&pl, "topic");
	CHECK(o && (o->flags & CONN_OPT_REQUIRED) &&
	      (o->flags & CONN_OPT_NONEMPTY));
	o = find_opt(&pl, "batch.size");
	CHECK(o && o->type == CONN_OPT_INT);
	CHECK_EQ_STR(o ? o->default_value : NULL, "2000");
	th_plugin_unload(&pl);
	CHECK(pl.dl == NULL && pl.p == NULL);
	th_plugin_unload(&pl); /* twice is fine */
}

static void test_file_sink(void)
{
	struct th_plugin pl;
	const struct conn_option *o;

	if (load_ok(plugin_path("conn_file_sink"), &pl))
		return;
	CHECK_EQ_STR(pl.p->name, "FileStreamSink");
	CHECK(has_alias(&pl, "FileStreamSinkConnector"));
	CHECK(has_alias(
	    &pl, "org.apache.kafka.connect.file.FileStreamSinkConnector"));
	CHECK_EQ_INT(pl.p->type, CONN_SINK);
	CHECK(pl.p->put != NULL);
	CHECK(pl.p->pre_commit != NULL);
	CHECK_EQ_INT(pl.noptions, 1);
	o = find_opt(&pl, "file");
	CHECK(o && (o->flags & CONN_OPT_PATH_WRITE));
	/* topics and topics.regex belong to the host */
	CHECK(find_opt(&pl, "topics") == NULL);
	CHECK(find_opt(&pl, "topics.regex") == NULL);
	th_plugin_unload(&pl);
}

static void test_verifiable(void)
{
	struct th_plugin pl;
	const struct conn_option *o;

	if (load_ok(plugin_path("conn_verifiable_source"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "VerifiableSource");
		CHECK(has_alias(&pl, "VerifiableSourceConnector"));
		CHECK(has_alias(&pl, "org.apache.kafka.connect.tools."
		                     "VerifiableSourceConnector"));
		CHECK_EQ_INT(pl.p->type, CONN_SOURCE);
		CHECK(pl.p->task_configs != NULL);
		o = find_opt(&pl, "throughput");
		CHECK(o && o->type == CONN_OPT_LONG);
		CHECK_EQ_STR(o ? o->default_value : NULL, "-1");
		o = find_opt(&pl, "record.size");
		CHECK(o && o->type == CONN_OPT_INT);
		CHECK(find_opt(&pl, "topic") != NULL);
		CHECK(find_opt(&pl, "id") != NULL);
		th_plugin_unload(&pl);
	}
	if (load_ok(plugin_path("conn_verifiable_sink"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "VerifiableSink");
		CHECK(has_alias(&pl, "VerifiableSinkConnector"));
		CHECK(has_alias(&pl, "org.apache.kafka.connect.tools."
		                     "VerifiableSinkConnector"));
		CHECK_EQ_INT(pl.p->type, CONN_SINK);
		o = find_opt(&pl, "file");
		CHECK(o && (o->flags & CONN_OPT_PATH_WRITE) &&
		      (o->flags & CONN_OPT_REQUIRED));
		th_plugin_unload(&pl);
	}
}

static void test_null_and_example(void)
{
	struct th_plugin pl;

	if (load_ok(plugin_path("conn_null_sink"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "NullSink");
		CHECK(has_alias(&pl, "NullSinkConnector"));
		CHECK_EQ_INT(pl.p->type, CONN_SINK);
		CHECK_EQ_INT(pl.noptions, 0);
		th_plugin_unload(&pl);
	}
	if (load_ok(plugin_path("conn_example_source"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "CounterSource");
		CHECK_EQ_INT(pl.p->type, CONN_SOURCE);
		CHECK(find_opt(&pl, "topic") != NULL);
		CHECK(find_opt(&pl, "max.per.poll") != NULL);
		th_plugin_unload(&pl);
	}
}

static void test_test_plugins_load(void)
{
	struct th_plugin pl;

	if (load_ok(test_plugin_path("start_fails"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "StartFails");
		th_plugin_unload(&pl);
	}
	if (load_ok(test_plugin_path("crash_source"), &pl) == 0) {
		CHECK_EQ_STR(pl.p->name, "CrashSource");
		CHECK(find_opt(&pl, "crash.after") != NULL);
		th_plugin_unload(&pl);
	}
}

/* Every .so in the plugin directory loads and describes itself. */
static void test_all_plugins_describe(void)
{
	DIR *d = opendir(dirs_init());
	struct dirent *de;
	int count = 0;

	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[PATH_MAX + 300];
		struct th_plugin pl;
		size_t n = strlen(de->d_name);
		json_t *j;

		if (n < 4 || strcmp(de->d_name + n - 3, ".so") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", plugin_dir, de->d_name);
		if (load_ok(path, &pl))
			continue;
		j = th_plugin_describe(&pl);
		CHECK(j != NULL);
		CHECK_EQ_STR(json_string_value(json_object_get(j, "name")),
		             pl.p->name);
		CHECK(json_is_array(json_object_get(j, "options")));
		CHECK_EQ_INT(json_array_size(json_object_get(j, "options")),
		             pl.noptions);
		json_decref(j);
		th_plugin_unload(&pl);
		count++;
	}
	closedir(d);
	CHECK(count >= 6);
}

static void test_describe_file_source(void)
{
	struct th_plugin pl;
	json_t *j, *opts, *o;
	char *text;

	if (load_ok(plugin_path("conn_file_source"), &pl))
		return;
	j = th_plugin_describe(&pl);
	CHECK(j != NULL);
	if (!j)
		goto out;
	CHECK_EQ_STR(json_string_value(json_object_get(j, "name")),
	             "FileStreamSource");
	CHECK_EQ_STR(json_string_value(json_object_get(j, "type")), "source");
	CHECK_EQ_STR(json_string_value(json_object_get(j, "version")), "0.1.0");
	CHECK(json_is_string(json_object_get(j, "doc")));
	CHECK_EQ_INT(json_array_size(json_object_get(j, "aliases")), 2);
	CHECK_EQ_STR(
	    json_string_value(json_array_get(json_object_get(j, "aliases"), 1)),
	    "org.apache.kafka.connect.file.FileStreamSourceConnector");
	opts = json_object_get(j, "options");
	CHECK_EQ_INT(json_array_size(opts), 3);

	o = json_array_get(opts, 0);
	CHECK_EQ_STR(json_string_value(json_object_get(o, "name")), "file");
	CHECK_EQ_STR(json_string_value(json_object_get(o, "type")), "STRING");
	CHECK(json_is_null(json_object_get(o, "default")));
	CHECK(json_is_true(json_object_get(o, "required")));
	CHECK_EQ_STR(json_string_value(json_object_get(o, "importance")),
	             "HIGH");
	CHECK(json_is_null(json_object_get(o, "group")));
	CHECK_EQ_STR(json_string_value(json_object_get(o, "display_name")),
	             "file");
	CHECK(json_is_true(json_object_get(o, "path_read")));
	CHECK(json_is_false(json_object_get(o, "path_write")));
	CHECK(json_is_false(json_object_get(o, "hostport")));
	CHECK(json_is_true(json_object_get(o, "nonempty")));

	o = json_array_get(opts, 2);
	CHECK_EQ_STR(json_string_value(json_object_get(o, "name")),
	             "batch.size");
	CHECK_EQ_STR(json_string_value(json_object_get(o, "type")), "INT");
	CHECK_EQ_STR(json_string_value(json_object_get(o, "default")), "2000");
	CHECK(json_is_false(json_object_get(o, "required")));
	CHECK_EQ_STR(json_string_value(json_object_get(o, "importance")),
	             "LOW");

	/* Every key of the documented shape is there. */
	text = json_dumps(json_array_get(opts, 1), JSON_SORT_KEYS);
	CHECK_EQ_STR(text, "{\"default\": null, \"display_name\": \"topic\", "
	                   "\"doc\": \"The topic to publish data to\", "
	                   "\"group\": null, \"hostport\": false, "
	                   "\"importance\": \"HIGH\", \"name\": \"topic\", "
	                   "\"nonempty\": true, \"path_read\": false, "
	                   "\"path_write\": false, \"required\": true, "
	                   "\"type\": \"STRING\"}");
	free(text);
	json_decref(j);
out:
	th_plugin_unload(&pl);
}

static void test_describe_null_sink(void)
{
	struct th_plugin pl;
	json_t *j;

	if (load_ok(plugin_path("conn_null_sink"), &pl))
		return;
	j = th_plugin_describe(&pl);
	CHECK_EQ_STR(json_string_value(json_object_get(j, "type")), "sink");
	CHECK_EQ_INT(json_array_size(json_object_get(j, "aliases")), 1);
	CHECK(json_is_array(json_object_get(j, "options")));
	CHECK_EQ_INT(json_array_size(json_object_get(j, "options")), 0);
	json_decref(j);
	th_plugin_unload(&pl);
}

/* A path without a slash is relative to the working directory, never
 * searched for in the library path. */
static void test_relative_path(void)
{
	char cwd[PATH_MAX];
	struct th_plugin pl;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK_EQ_INT(chdir(dirs_init()), 0);
	if (load_ok("conn_null_sink.so", &pl) == 0)
		th_plugin_unload(&pl);
	load_bad("libc.so.6", -ENOENT, "No such file");
	CHECK_EQ_INT(chdir(cwd), 0);
}

/* --- Rejected plugins ---------------------------------------------------- */

static void test_bad_magic(void)
{
	load_bad(test_plugin_path("bad_magic"), -ENOEXEC,
	         "not a sluice plugin: bad magic 0x12345678");
}

static void test_bad_abi(void)
{
	load_bad(test_plugin_path("bad_abi"), -ENOEXEC,
	         "ABI version 99 is newer than this sluice (1)");
}

static void test_bad_size(void)
{
	load_bad(test_plugin_path("bad_size"), -ENOEXEC,
	         "registration size 16 is smaller than version 1 (");
}

static void test_no_symbol(void)
{
	load_bad(test_plugin_path("no_symbol"), -ENOEXEC,
	         "not a sluice plugin: no symbol conn_plugin");
}

static void test_no_poll(void)
{
	load_bad(test_plugin_path("no_poll"), -ENOEXEC,
	         "source plugin has no poll callback");
}

static void test_bad_utf8(void)
{
	load_bad(test_plugin_path("bad_utf8"), -ENOEXEC,
	         "name is not valid UTF-8");
}

static int make_tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/test_th_plugin.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static void test_garbage_file(void)
{
	char dir[64], path[128];
	FILE *f;

	CHECK_EQ_INT(make_tmpdir(dir, sizeof(dir)), 0);
	snprintf(path, sizeof(path), "%s/garbage.so", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	for (int i = 0; i < 4096; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);
	load_bad(path, -ENOEXEC, "cannot load: ");
	/* An empty file. */
	f = fopen(path, "w");
	if (f)
		fclose(f);
	load_bad(path, -ENOEXEC, "cannot load: ");
	unlink(path);
	/* A directory. */
	load_bad(dir, -ENOEXEC, "not a regular file");
	rmdir(dir);
}

static void test_missing_file(void)
{
	load_bad("/nonexistent/dir/conn_nothing.so", -ENOENT,
	         "No such file or directory");
	load_bad(plugin_path("conn_does_not_exist"), -ENOENT,
	         "No such file or directory");
}

/* A shared object that is a library but not a plugin. */
static void test_plain_library(void)
{
	const char *libs[] = {"/lib/x86_64-linux-gnu/libm.so.6",
	                      "/usr/lib/x86_64-linux-gnu/libm.so.6",
	                      "/lib64/libm.so.6", "/usr/lib/libm.so.6"};

	for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
		if (access(libs[i], R_OK) == 0) {
			load_bad(libs[i], -ENOEXEC, "no symbol conn_plugin");
			return;
		}
	}
}

/* A message that does not fit is cut, never overrun. */
static void test_small_errbuf(void)
{
	struct th_plugin pl;
	char small[16];

	memset(small, 'x', sizeof(small));
	CHECK_EQ_INT(th_plugin_load(test_plugin_path("bad_magic"), &pl, small,
	                            sizeof(small)),
	             -ENOEXEC);
	CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
	CHECK_EQ_INT(
	    th_plugin_load(test_plugin_path("bad_magic"), &pl, NULL, 0),
	    -ENOEXEC);
}

/* --- Running the built-in plugins through th_host ------------------------ */

static int nlogs;
static char last_log[1024];

static void test_log(struct conn_context *cx, int level, const char *msg)
{
	(void)cx;
	nlogs++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
	if (getenv("TEST_VERBOSE"))
		fprintf(stderr, "  log %d: %s\n", level, msg);
}

/* One started task (or connector) of a plugin, as the task loop keeps it. */
struct run {
	struct th_plugin pl;
	struct conn_config *cfg;
	struct conn_context cx;
	const struct conn_value *part; /* a stored offset, if any */
	const struct conn_value *off;
	void *ctx;
	bool started;
	char err[512];
};

/* Loads the plugin and makes a config from NULL-terminated key/value
 * pairs. */
static int run_init(struct run *rn, const char *plugin, const char *const *kv)
{
	memset(rn, 0, sizeof(*rn));
	if (load_ok(plugin, &rn->pl))
		return -1;
	rn->cfg = th_config_new(rn->pl.p->options, rn->pl.p->option_size);
	CHECK(rn->cfg != NULL);
	for (size_t i = 0; kv && kv[i]; i += 2)
		CHECK_EQ_INT(th_config_set(rn->cfg, kv[i], kv[i + 1]), 0);
	rn->cx.connector = "test";
	rn->cx.task_id = 0;
	rn->cx.task_dir = "/tmp";
	rn->cx.log = test_log;
	rn->cx.arena = th_arena_new();
	CHECK(rn->cx.arena != NULL);
	return 0;
}

/* Makes {key: value} in the context's arena: value is a string, or an
 * INT64 if str is NULL. */
static struct conn_value *mk_map(struct run *rn, const char *key,
                                 const char *str, int64_t num)
{
	struct conn_arena *a = rn->cx.arena;
	struct conn_value *m = th_host.value_map(a);
	struct conn_value *v = str ? th_host.value_string(a, str, strlen(str))
	                           : th_host.value_int(a, CONN_INT64, num);

	CHECK(m && v);
	CHECK_EQ_INT(
	    th_host.map_put(m, th_host.value_string(a, key, strlen(key)), v),
	    0);
	return m;
}

/* Stores an offset for a partition, as the task loop does from START. */
static void run_store(struct run *rn, struct conn_value *part,
                      struct conn_value *off)
{
	rn->part = part;
	rn->off = off;
	rn->cx.off_parts = &rn->part;
	rn->cx.off_vals = &rn->off;
	rn->cx.noff = 1;
}

static int run_start(struct run *rn)
{
	int r;

	rn->err[0] = '\0';
	r = rn->pl.p->start(&th_host, &rn->cx, rn->cfg, &rn->ctx, rn->err,
	                    sizeof(rn->err));
	rn->started = r == 0;
	if (r != 0)
		CHECK(rn->ctx == NULL);
	return r;
}

static void run_fini(struct run *rn)
{
	if (rn->started)
		rn->pl.p->stop(rn->ctx);
	rn->started = false;
	th_config_free(rn->cfg);
	th_arena_free(rn->cx.arena);
	th_plugin_unload(&rn->pl);
}

/* Polls once into a fresh batch; the caller frees it. */
static struct conn_batch *run_poll(struct run *rn, int max_wait_ms)
{
	struct conn_batch *b = th_batch_new();
	int r;

	CHECK(b != NULL);
	rn->err[0] = '\0';
	r = rn->pl.p->poll(rn->ctx, b, max_wait_ms, rn->err, sizeof(rn->err));
	if (r != 0)
		fprintf(stderr, "  poll: %d %s\n", r, rn->err);
	CHECK_EQ_INT(r, 0);
	return b;
}

static const struct conn_record *rec(const struct conn_batch *b, size_t i)
{
	return th_host.batch_record(b, i);
}

/* The value of record i as a NUL-terminated string (STRING or BYTES). */
static const char *rec_str(const struct conn_batch *b, size_t i)
{
	static char text[4096];
	const struct conn_value *v = th_host.record_value(rec(b, i));
	const char *p = NULL;
	size_t n = 0;

	if (th_host.value_type(v) == CONN_STRING)
		p = th_host.value_string_get(v, &n);
	else if (th_host.value_type(v) == CONN_BYTES)
		p = th_host.value_bytes_get(v, &n);
	if (!p || n >= sizeof(text))
		return NULL;
	memcpy(text, p, n);
	text[n] = '\0';
	return text;
}

/* The integer under key in a source map, or -1. */
static int64_t map_int(const struct conn_value *m, const char *key)
{
	for (size_t i = 0; m && i < th_host.value_count(m); i++) {
		size_t n;
		const char *k =
		    th_host.value_string_get(th_host.value_key_at(m, i), &n);

		if (k && n == strlen(key) && memcmp(k, key, n) == 0)
			return th_host.value_int_get(th_host.value_at(m, i));
	}
	return -1;
}

static const char *map_str(const struct conn_value *m, const char *key)
{
	for (size_t i = 0; m && i < th_host.value_count(m); i++) {
		size_t n;
		const char *k =
		    th_host.value_string_get(th_host.value_key_at(m, i), &n);

		if (k && n == strlen(key) && memcmp(k, key, n) == 0)
			return th_host.value_string_get(th_host.value_at(m, i),
			                                &n);
	}
	return NULL;
}

static int64_t rec_pos(const struct conn_batch *b, size_t i)
{
	return map_int(rec(b, i)->src_offset, "position");
}

static void write_file(const char *path, const char *data, const char *mode)
{
	FILE *f = fopen(path, mode);

	CHECK(f != NULL);
	if (!f)
		return;
	fwrite(data, 1, strlen(data), f);
	fclose(f);
}

static char *read_all(const char *path)
{
	static char data[65536];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	data[0] = '\0';
	if (!f)
		return data;
	n = fread(data, 1, sizeof(data) - 1, f);
	data[n] = '\0';
	fclose(f);
	return data;
}

static char tmpdir[64];

/* Each test removes its files; this removes the directory at exit. */
static void rm_tmpdir(void)
{
	rmdir(tmpdir);
}

static const char *tmp_path(const char *name)
{
	static char path[2][128];
	static int which;

	if (!tmpdir[0]) {
		CHECK_EQ_INT(make_tmpdir(tmpdir, sizeof(tmpdir)), 0);
		atexit(rm_tmpdir);
	}
	which = !which;
	snprintf(path[which], sizeof(path[which]), "%s/%s", tmpdir, name);
	return path[which];
}

static void rm_tmp(const char *name)
{
	unlink(tmp_path(name));
}

static void test_run_file_source_lines(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "lines", NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("lines.txt"));
	write_file(path, "a\nb\r\nc\rd", "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);

	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 3);
	if (th_host.batch_count(b) == 3) {
		CHECK_EQ_STR(rec_str(b, 0), "a");
		CHECK_EQ_STR(rec_str(b, 1), "b");
		CHECK_EQ_STR(rec_str(b, 2), "c");
		CHECK_EQ_INT(rec_pos(b, 0), 2);
		CHECK_EQ_INT(rec_pos(b, 1), 5);
		CHECK_EQ_INT(rec_pos(b, 2), 7);
		CHECK_EQ_STR(th_host.record_topic(rec(b, 0)), "lines");
		CHECK(th_host.record_key(rec(b, 0)) == NULL);
		CHECK(th_host.record_key_schema(rec(b, 0)) == NULL);
		CHECK_EQ_INT(
		    th_host.schema_type(th_host.record_value_schema(rec(b, 0))),
		    CONN_STRING);
		CHECK(!th_host.schema_optional(
		    th_host.record_value_schema(rec(b, 0))));
		CHECK_EQ_STR(map_str(rec(b, 0)->src_partition, "filename"),
		             path);
		CHECK_EQ_INT(th_host.value_type(
		                 th_host.value_at(rec(b, 0)->src_offset, 0)),
		             CONN_INT64);
	}
	th_batch_free(b);

	/* "d" has no line end yet. */
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 0);
	th_batch_free(b);

	write_file(path, "\n", "a");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	if (th_host.batch_count(b) == 1) {
		CHECK_EQ_STR(rec_str(b, 0), "d");
		CHECK_EQ_INT(rec_pos(b, 0), 9);
	}
	th_batch_free(b);

	/* A "\r" at the end may still become "\r\n": wait. */
	write_file(path, "\r", "a");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 0);
	th_batch_free(b);
	write_file(path, "e\n", "a");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 2);
	if (th_host.batch_count(b) == 2) {
		CHECK_EQ_STR(rec_str(b, 0), "");
		CHECK_EQ_INT(rec_pos(b, 0), 10);
		CHECK_EQ_STR(rec_str(b, 1), "e");
		CHECK_EQ_INT(rec_pos(b, 1), 12);
	}
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("lines.txt");
}

static void test_run_file_source_wait(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_batch *b;
	struct run rn;
	struct timespec t0, t1;
	long ms;

	snprintf(path, sizeof(path), "%s", tmp_path("wait.txt"));
	write_file(path, "", "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	b = run_poll(&rn, 300);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CHECK_EQ_INT(th_host.batch_count(b), 0);
	CHECK(ms >= 250 && ms < 1000);
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("wait.txt");
}

static void test_run_file_source_batch(void)
{
	char path[128];
	const char *kv[] = {"file",       path, "topic", "t",
	                    "batch.size", "2",  NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("batch.txt"));
	write_file(path, "1\n2\n3\n4\n5\n", "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	for (int i = 0; i < 3; i++) {
		b = run_poll(&rn, 0);
		CHECK_EQ_INT(th_host.batch_count(b), i < 2 ? 2 : 1);
		if (th_host.batch_count(b) > 0) {
			char want[8];

			snprintf(want, sizeof(want), "%d", 2 * i + 1);
			CHECK_EQ_STR(rec_str(b, 0), want);
			CHECK_EQ_INT(rec_pos(b, 0), 4 * i + 2);
		}
		th_batch_free(b);
	}
	run_fini(&rn);
	rm_tmp("batch.txt");
}

static void test_run_file_source_resume(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("resume.txt"));
	write_file(path, "one\ntwo\nthree\n", "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	run_store(&rn, mk_map(&rn, "filename", path, 0),
	          mk_map(&rn, "position", NULL, 4));
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 2);
	if (th_host.batch_count(b) == 2) {
		CHECK_EQ_STR(rec_str(b, 0), "two");
		CHECK_EQ_INT(rec_pos(b, 0), 8);
		CHECK_EQ_STR(rec_str(b, 1), "three");
		CHECK_EQ_INT(rec_pos(b, 1), 14);
	}
	th_batch_free(b);
	run_fini(&rn);

	/* A stored position past the end: the file was truncated while the
	 * task was stopped, so it is read from the start. */
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	run_store(&rn, mk_map(&rn, "filename", path, 0),
	          mk_map(&rn, "position", NULL, 1000));
	nlogs = 0;
	CHECK_EQ_INT(run_start(&rn), 0);
	CHECK(nlogs > 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 3);
	if (th_host.batch_count(b) == 3)
		CHECK_EQ_STR(rec_str(b, 0), "one");
	th_batch_free(b);
	run_fini(&rn);

	/* An offset of another file is not this one's. */
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	run_store(&rn, mk_map(&rn, "filename", "/other", 0),
	          mk_map(&rn, "position", NULL, 4));
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 3);
	th_batch_free(b);
	run_fini(&rn);

	/* A position that is not a number fails the start. */
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	run_store(&rn, mk_map(&rn, "filename", path, 0),
	          mk_map(&rn, "position", "4", 0));
	CHECK_EQ_INT(run_start(&rn), -EINVAL);
	check_err_has(rn.err, "incorrect type");
	run_fini(&rn);
	rm_tmp("resume.txt");
}

static void test_run_file_source_utf8(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("utf8.txt"));
	/* Two stray bytes; a cut 3-byte sequence (one U+FFFD, as Java);
	 * an encoded surrogate; valid text. */
	write_file(path,
	           "ok\xff\xfe!\n\xe2\x82\n\xed\xa0\x80x\n\xc3\xa9t\xc3\xa9\n",
	           "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 4);
	if (th_host.batch_count(b) == 4) {
		CHECK_EQ_STR(rec_str(b, 0), "ok\xef\xbf\xbd\xef\xbf\xbd!");
		CHECK_EQ_STR(rec_str(b, 1), "\xef\xbf\xbd");
		CHECK_EQ_STR(rec_str(b, 2),
		             "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx");
		CHECK_EQ_STR(rec_str(b, 3), "\xc3\xa9t\xc3\xa9");
		/* positions count the bytes of the file */
		CHECK_EQ_INT(rec_pos(b, 0), 6);
		CHECK_EQ_INT(rec_pos(b, 1), 9);
	}
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("utf8.txt");
}

static void test_run_file_source_missing(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("later.txt"));
	unlink(path);
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	nlogs = 0;
	CHECK_EQ_INT(run_start(&rn), 0);
	CHECK_EQ_INT(nlogs, 1);
	check_err_has(last_log, "waiting for it");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 0);
	th_batch_free(b);
	CHECK_EQ_INT(nlogs, 1); /* warned once */
	write_file(path, "here\n", "w");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	if (th_host.batch_count(b) == 1)
		CHECK_EQ_STR(rec_str(b, 0), "here");
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("later.txt");
}

static void test_run_file_source_truncate_rotate(void)
{
	char path[128], old[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_batch *b;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("rot.txt"));
	snprintf(old, sizeof(old), "%s", tmp_path("rot.txt.1"));
	write_file(path, "aaaa\nbbbb\n", "w");
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 2);
	th_batch_free(b);

	/* Truncated in place: read again from the start. */
	write_file(path, "c\n", "w");
	nlogs = 0;
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	if (th_host.batch_count(b) == 1) {
		CHECK_EQ_STR(rec_str(b, 0), "c");
		CHECK_EQ_INT(rec_pos(b, 0), 2);
	}
	CHECK(nlogs > 0);
	check_err_has(last_log, "truncated");
	th_batch_free(b);

	/* Renamed away and replaced: the rest of the old file first, then
	 * the new one from its start. */
	write_file(path, "tail\n", "a");
	CHECK_EQ_INT(rename(path, old), 0);
	write_file(path, "new\n", "w");
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	if (th_host.batch_count(b) == 1)
		CHECK_EQ_STR(rec_str(b, 0), "tail");
	th_batch_free(b);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	if (th_host.batch_count(b) == 1) {
		CHECK_EQ_STR(rec_str(b, 0), "new");
		CHECK_EQ_INT(rec_pos(b, 0), 4);
	}
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("rot.txt");
	rm_tmp("rot.txt.1");
}

static void test_run_file_source_errors(void)
{
	char path[128];
	const char *kv[] = {"file", path, "topic", "t", NULL};
	struct conn_validation *v;
	struct run rn;

	/* A directory. */
	snprintf(path, sizeof(path), "%s", tmp_path("adir"));
	CHECK_EQ_INT(mkdir(path, 0755), 0);
	if (run_init(&rn, plugin_path("conn_file_source"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), -EISDIR);
	check_err_has(rn.err, path);
	run_fini(&rn);
	rmdir(path);

	/* Unreadable (root reads anything: skip). */
	snprintf(path, sizeof(path), "%s", tmp_path("secret.txt"));
	write_file(path, "x\n", "w");
	chmod(path, 0);
	if (geteuid() != 0 &&
	    run_init(&rn, plugin_path("conn_file_source"), kv) == 0) {
		CHECK_EQ_INT(run_start(&rn), -EACCES);
		check_err_has(rn.err, path);
		run_fini(&rn);
	}
	rm_tmp("secret.txt");

	/* validate(): one topic only, batch.size of at least 1. */
	{
		const char *bad[] = {"file", "/x", "topic", "a,b", NULL};
		const char *bad2[] = {"file",       "/x", "topic", "a",
		                      "batch.size", "0",  NULL};

		if (run_init(&rn, plugin_path("conn_file_source"), bad))
			return;
		v = th_validation_new();
		CHECK_EQ_INT(rn.pl.p->validate(&th_host, rn.cfg, v), 0);
		CHECK_EQ_INT(v->n, 1);
		if (v->n == 1) {
			CHECK_EQ_STR(v->errs[0].key, "topic");
			check_err_has(v->errs[0].message, "single topic");
		}
		th_validation_free(v);
		CHECK_EQ_INT(run_start(&rn), -EINVAL);
		run_fini(&rn);

		if (run_init(&rn, plugin_path("conn_file_source"), bad2))
			return;
		v = th_validation_new();
		CHECK_EQ_INT(rn.pl.p->validate(&th_host, rn.cfg, v), 0);
		CHECK_EQ_INT(v->n, 1);
		if (v->n == 1)
			CHECK_EQ_STR(v->errs[0].key, "batch.size");
		th_validation_free(v);
		run_fini(&rn);
	}
}

/* Adds a sink record with value v (schema s) to b. */
static void add_sink(struct conn_batch *b, int64_t offset,
                     const struct conn_schema *s, const struct conn_value *v)
{
	struct conn_record *r = th_batch_add_sink(b, "in", 2, 3, offset, -1);

	CHECK(r != NULL);
	if (!r)
		return;
	r->value_schema = s;
	r->value = v;
}

static void test_run_file_sink(void)
{
	char path[128];
	const char *kv[] = {"file", path, NULL};
	struct conn_batch *b = th_batch_new();
	struct conn_arena *a = b ? th_host.batch_arena(b) : NULL;
	const struct conn_host *h = &th_host;
	struct conn_schema *st, *dec;
	struct conn_value *sv, *arr, *map, *bytes;
	struct conn_offsets *offs;
	struct run rn;
	unsigned char neg[] = {0xff, 0x85}; /* -123 */
	unsigned char big[] = {0x30, 0x39}; /* 12345 */

	CHECK(a != NULL);
	if (!a)
		return;
	snprintf(path, sizeof(path), "%s", tmp_path("sink.txt"));
	write_file(path, "before\n", "w");
	if (run_init(&rn, plugin_path("conn_file_sink"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);

	add_sink(b, 0, h->schema_std(CONN_STRING, false),
	         h->value_string(a, "hello world", 11));
	add_sink(b, 1, NULL, NULL);
	add_sink(b, 2, h->schema_std(CONN_INT32, false),
	         h->value_int(a, CONN_INT32, -42));
	add_sink(b, 3, NULL, h->value_float(a, CONN_FLOAT64, 1.5));
	add_sink(b, 4, NULL, h->value_float(a, CONN_FLOAT64, 1e7));
	add_sink(b, 5, NULL, h->value_float(a, CONN_FLOAT32, 0.1));
	add_sink(b, 6, NULL, h->value_float(a, CONN_FLOAT64, 0.001));
	add_sink(b, 7, NULL, h->value_float(a, CONN_FLOAT64, 100));
	add_sink(b, 8, NULL, h->value_bool(a, true));
	bytes = h->value_bytes(a, "raw", 3);
	add_sink(b, 9, NULL, bytes);
	arr = h->value_array(a);
	h->array_append(arr, h->value_int(a, CONN_INT64, 1));
	h->array_append(arr, h->value_string(a, "x", 1));
	add_sink(b, 10, NULL, arr);
	map = h->value_map(a);
	h->map_put(map, h->value_string(a, "k", 1), h->value_bool(a, false));
	add_sink(b, 11, NULL, map);
	st = h->schema_new(a, CONN_STRUCT);
	h->schema_add_field(st, "a", h->schema_std(CONN_INT32, false));
	h->schema_add_field(st, "b", h->schema_std(CONN_STRING, true));
	h->schema_add_field(st, "c", h->schema_std(CONN_STRING, true));
	sv = h->value_struct(a, st);
	CHECK_EQ_INT(h->struct_put(sv, "a", h->value_int(a, CONN_INT32, 1)), 0);
	CHECK_EQ_INT(h->struct_put(sv, "c", h->value_string(a, "z", 1)), 0);
	add_sink(b, 12, st, sv);
	dec = h->schema_decimal(a, 2);
	add_sink(b, 13, dec, h->value_bytes(a, big, 2));
	dec = h->schema_decimal(a, 0);
	add_sink(b, 14, dec, h->value_bytes(a, neg, 2));
	add_sink(b, 15, h->schema_timestamp(a),
	         h->value_int(a, CONN_INT64, 1700000000123LL));
	add_sink(b, 16, h->schema_date(a), h->value_int(a, CONN_INT32, 19000));
	add_sink(b, 17, NULL, h->value_float(a, CONN_FLOAT64, -2.5e-7));

	CHECK_EQ_INT(rn.pl.p->put(rn.ctx, b, rn.err, sizeof(rn.err)), 0);
	offs = th_offsets_new();
	CHECK_EQ_INT(rn.pl.p->pre_commit(rn.ctx, offs, rn.err, sizeof(rn.err)),
	             0);
	CHECK_EQ_STR(read_all(path), "before\n"
	                             "hello world\n"
	                             "null\n"
	                             "-42\n"
	                             "1.5\n"
	                             "1.0E7\n"
	                             "0.1\n"
	                             "0.001\n"
	                             "100.0\n"
	                             "true\n"
	                             "raw\n"
	                             "[1, x]\n"
	                             "{k=false}\n"
	                             "Struct{a=1,c=z}\n"
	                             "123.45\n"
	                             "-123\n"
	                             "2023-11-14T22:13:20.123Z\n"
	                             "2022-01-08\n"
	                             "-2.5E-7\n");
	th_offsets_free(offs);
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("sink.txt");

	/* A file that cannot be created. */
	snprintf(path, sizeof(path), "/nonexistent/dir/out.txt");
	if (run_init(&rn, plugin_path("conn_file_sink"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), -ENOENT);
	check_err_has(rn.err, "Couldn't find or create file '/nonexistent");
	run_fini(&rn);
}

static void test_run_verifiable_source(void)
{
	const char *kv[] = {"topic",      "v", "tasks.max", "3",
	                    "batch.size", "5", NULL};
	struct conn_task_configs *tc;
	struct conn_batch *b;
	struct run rn;
	void *cctx = NULL;

	if (run_init(&rn, plugin_path("conn_verifiable_source"), kv))
		return;
	/* The connector: one config per task with its id. */
	CHECK_EQ_INT(rn.pl.p->connector_start(&th_host, &rn.cx, rn.cfg, &cctx,
	                                      rn.err, sizeof(rn.err)),
	             0);
	tc = th_task_configs_new(rn.pl.p->options, rn.pl.p->option_size);
	CHECK_EQ_INT(
	    rn.pl.p->task_configs(cctx, rn.cfg, 3, tc, rn.err, sizeof(rn.err)),
	    0);
	CHECK_EQ_INT(tc->n, 3);
	for (size_t i = 0; i < tc->n; i++) {
		char id[24];

		snprintf(id, sizeof(id), "%zu", i);
		CHECK_EQ_STR(th_config_raw(tc->tasks[i], "id"), id);
		CHECK_EQ_STR(th_config_raw(tc->tasks[i], "topic"), "v");
	}
	th_task_configs_free(tc);
	if (rn.pl.p->connector_stop)
		rn.pl.p->connector_stop(cctx);

	/* Task 1, resuming after seqno 41. */
	CHECK_EQ_INT(th_config_set(rn.cfg, "id", "1"), 0);
	{
		struct conn_value *part = th_host.value_map(rn.cx.arena);

		th_host.map_put(part,
		                th_host.value_string(rn.cx.arena, "id", 2),
		                th_host.value_int(rn.cx.arena, CONN_INT32, 1));
		run_store(&rn, part, mk_map(&rn, "seqno", NULL, 41));
	}
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 5);
	for (size_t i = 0; i < th_host.batch_count(b); i++) {
		const struct conn_record *r = rec(b, i);

		CHECK_EQ_STR(th_host.record_topic(r), "v");
		CHECK_EQ_INT(th_host.value_type(th_host.record_key(r)),
		             CONN_INT32);
		CHECK_EQ_INT(th_host.value_int_get(th_host.record_key(r)), 1);
		CHECK_EQ_INT(th_host.value_type(th_host.record_value(r)),
		             CONN_INT64);
		CHECK_EQ_INT(th_host.value_int_get(th_host.record_value(r)),
		             42 + (int64_t)i);
		CHECK_EQ_INT(map_int(r->src_offset, "seqno"), 42 + (int64_t)i);
		CHECK_EQ_INT(map_int(r->src_partition, "id"), 1);
	}
	th_batch_free(b);
	run_fini(&rn);
}

static void test_run_verifiable_source_values(void)
{
	const char *sized[] = {"topic",      "v",  "record.size", "8",
	                       "batch.size", "12", NULL};
	const char *complete[] = {
	    "topic", "v", "complete.record.data", "true", "name", "conn", NULL};
	const char *slow[] = {"topic", "v", "throughput", "20", NULL};
	struct conn_batch *b;
	struct run rn;

	if (run_init(&rn, plugin_path("conn_verifiable_source"), sized))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 12);
	if (th_host.batch_count(b) == 12) {
		CHECK_EQ_STR(rec_str(b, 0), "0.......");
		CHECK_EQ_STR(rec_str(b, 11), "11......");
		CHECK_EQ_INT(
		    th_host.schema_type(th_host.record_value_schema(rec(b, 0))),
		    CONN_BYTES);
	}
	th_batch_free(b);
	run_fini(&rn);

	if (run_init(&rn, plugin_path("conn_verifiable_source"), complete))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK(th_host.batch_count(b) > 0);
	if (th_host.batch_count(b) > 1) {
		const struct conn_value *v = th_host.record_value(rec(b, 1));
		size_t n;

		CHECK_EQ_INT(th_host.value_type(v), CONN_STRUCT);
		CHECK_EQ_INT(
		    th_host.value_int_get(th_host.struct_get(v, "seqno")), 1);
		CHECK_EQ_INT(
		    th_host.value_int_get(th_host.struct_get(v, "task")), 0);
		const char *name =
		    th_host.value_string_get(th_host.struct_get(v, "name"), &n);

		CHECK_EQ_MEM(name, n, "conn", 4);
		CHECK(th_value_validate(th_host.record_value_schema(rec(b, 1)),
		                        v, NULL, 0) == 0);
	}
	th_batch_free(b);
	run_fini(&rn);

	/* 20 records per second: one at once, then one per 50 ms. */
	if (run_init(&rn, plugin_path("conn_verifiable_source"), slow))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 1);
	th_batch_free(b);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 0);
	th_batch_free(b);
	{
		struct timespec t0, t1;
		long ms = 0;
		int total = 1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (ms < 1000) {
			b = run_poll(&rn, 100);
			total += (int)th_host.batch_count(b);
			th_batch_free(b);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000;
		}
		/* 21 in the first second, give or take scheduling */
		if (total < 18 || total > 23)
			fprintf(stderr, "  %d records in %ld ms at 20/s\n",
			        total, ms);
		CHECK(total >= 18 && total <= 23);
	}
	run_fini(&rn);

	/* record.size with complete.record.data is rejected. */
	{
		const char *both[] = {
		    "topic", "v", "record.size", "8", "complete.record.data",
		    "true",  NULL};
		struct conn_validation *v;

		if (run_init(&rn, plugin_path("conn_verifiable_source"), both))
			return;
		v = th_validation_new();
		CHECK_EQ_INT(rn.pl.p->validate(&th_host, rn.cfg, v), 0);
		CHECK_EQ_INT(v->n, 1);
		th_validation_free(v);
		CHECK_EQ_INT(run_start(&rn), -EINVAL);
		run_fini(&rn);
	}
}

static void test_run_verifiable_sink(void)
{
	char path[128];
	const char *kv[] = {"file", path, NULL};
	struct conn_batch *b = th_batch_new();
	struct conn_arena *a = th_host.batch_arena(b);
	struct conn_record *r;
	struct run rn;

	snprintf(path, sizeof(path), "%s", tmp_path("verify.txt"));
	unlink(path);
	if (run_init(&rn, plugin_path("conn_verifiable_sink"), kv))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	add_sink(b, 7, NULL, th_host.value_int(a, CONN_INT64, 42));
	r = th_batch_add_sink(b, "in", 2, 0, 8, -1);
	r->value = th_host.value_string(a, "a b\n\\", 5);
	r->key = th_host.value_int(a, CONN_INT32, 3);
	add_sink(b, 9, NULL, NULL);
	CHECK_EQ_INT(rn.pl.p->put(rn.ctx, b, rn.err, sizeof(rn.err)), 0);
	CHECK_EQ_INT(rn.pl.p->pre_commit(rn.ctx, NULL, rn.err, sizeof(rn.err)),
	             0);
	CHECK_EQ_STR(read_all(path), "in 3 7 42 null\n"
	                             "in 0 8 a\\x20b\\x0a\\x5c 3\n"
	                             "in 3 9 null null\n");
	th_batch_free(b);
	run_fini(&rn);
	rm_tmp("verify.txt");
}

static void test_run_null_sink(void)
{
	struct conn_batch *b = th_batch_new();
	struct run rn;

	if (run_init(&rn, plugin_path("conn_null_sink"), NULL))
		return;
	CHECK_EQ_INT(run_start(&rn), 0);
	add_sink(b, 0, NULL, NULL);
	add_sink(b, 1, NULL, NULL);
	CHECK_EQ_INT(rn.pl.p->put(rn.ctx, b, rn.err, sizeof(rn.err)), 0);
	CHECK_EQ_INT(rn.pl.p->put(rn.ctx, b, rn.err, sizeof(rn.err)), 0);
	th_batch_free(b);
	run_fini(&rn);
	CHECK_EQ_STR(last_log, "NullSink discarded 4 records in 2 batches");
}

static void test_run_example_source(void)
{
	const char *kv[] = {"topic", "greetings",   "max.per.poll",
	                    "3",     "interval.ms", "0",
	                    NULL};
	struct conn_batch *b;
	struct run rn;

	if (run_init(&rn, plugin_path("conn_example_source"), kv))
		return;
	run_store(&rn, mk_map(&rn, "counter", "hello", 0),
	          mk_map(&rn, "n", NULL, 9));
	CHECK_EQ_INT(run_start(&rn), 0);
	b = run_poll(&rn, 0);
	CHECK_EQ_INT(th_host.batch_count(b), 3);
	if (th_host.batch_count(b) == 3) {
		CHECK_EQ_STR(rec_str(b, 0), "hello 10");
		CHECK_EQ_STR(rec_str(b, 2), "hello 12");
		CHECK_EQ_INT(map_int(rec(b, 2)->src_offset, "n"), 12);
		CHECK_EQ_STR(th_host.record_topic(rec(b, 0)), "greetings");
	}
	th_batch_free(b);
	run_fini(&rn);

	/* A topic Kafka would refuse fails the poll with a clear reason. */
	{
		const char *bad[] = {"topic", "no spaces", NULL};
		int r;

		if (run_init(&rn, plugin_path("conn_example_source"), bad))
			return;
		CHECK_EQ_INT(run_start(&rn), 0);
		b = th_batch_new();
		r = rn.pl.p->poll(rn.ctx, b, 0, rn.err, sizeof(rn.err));
		CHECK_EQ_INT(r, -EINVAL);
		check_err_has(rn.err, "invalid topic name");
		th_batch_free(b);
		run_fini(&rn);
	}
}

static void test_run_start_fails(void)
{
	struct run rn;

	if (run_init(&rn, test_plugin_path("start_fails"), NULL))
		return;
	CHECK_EQ_INT(run_start(&rn), -EINVAL);
	CHECK_EQ_STR(rn.err, "start failed on purpose");
	run_fini(&rn);
}

/* crash_source dies in the poll after crash.after records. */
static void test_run_crash_source(void)
{
	const char *kv[] = {"topic", "c", "crash.after", "150", NULL};
	int fds[2], status = 0;
	long total = -1, got;
	pid_t pid;

	CHECK_EQ_INT(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid != -1);
	if (pid == 0) {
		struct run rn;
		long n = 0;

		close(fds[0]);
		/* No sanitizer report for the crash this test expects. */
		signal(SIGSEGV, SIG_DFL);
		if (run_init(&rn, test_plugin_path("crash_source"), kv) ||
		    run_start(&rn) != 0)
			_exit(2);
		for (int i = 0; i < 10; i++) {
			struct conn_batch *b = run_poll(&rn, 0);

			n += (long)th_host.batch_count(b);
			th_batch_free(b);
			if (write(fds[1], &n, sizeof(n)) != sizeof(n))
				_exit(3);
		}
		_exit(0);
	}
	close(fds[1]);
	while (read(fds[0], &got, sizeof(got)) == sizeof(got))
		total = got;
	close(fds[0]);
	CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
	CHECK_EQ_INT(total, 150);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
}

TEST_LIST = {
    {"file_source", test_file_source},
    {"file_sink", test_file_sink},
    {"verifiable", test_verifiable},
    {"null_and_example", test_null_and_example},
    {"test_plugins_load", test_test_plugins_load},
    {"all_plugins_describe", test_all_plugins_describe},
    {"describe_file_source", test_describe_file_source},
    {"describe_null_sink", test_describe_null_sink},
    {"relative_path", test_relative_path},
    {"bad_magic", test_bad_magic},
    {"bad_abi", test_bad_abi},
    {"bad_size", test_bad_size},
    {"no_symbol", test_no_symbol},
    {"no_poll", test_no_poll},
    {"bad_utf8", test_bad_utf8},
    {"garbage_file", test_garbage_file},
    {"missing_file", test_missing_file},
    {"plain_library", test_plain_library},
    {"small_errbuf", test_small_errbuf},
    {"run_file_source_lines", test_run_file_source_lines},
    {"run_file_source_wait", test_run_file_source_wait},
    {"run_file_source_batch", test_run_file_source_batch},
    {"run_file_source_resume", test_run_file_source_resume},
    {"run_file_source_utf8", test_run_file_source_utf8},
    {"run_file_source_missing", test_run_file_source_missing},
    {"run_file_source_truncate_rotate", test_run_file_source_truncate_rotate},
    {"run_file_source_errors", test_run_file_source_errors},
    {"run_file_sink", test_run_file_sink},
    {"run_verifiable_source", test_run_verifiable_source},
    {"run_verifiable_source_values", test_run_verifiable_source_values},
    {"run_verifiable_sink", test_run_verifiable_sink},
    {"run_null_sink", test_run_null_sink},
    {"run_example_source", test_run_example_source},
    {"run_start_fails", test_run_start_fails},
    {"run_crash_source", test_run_crash_source},
    {NULL, NULL},
};
