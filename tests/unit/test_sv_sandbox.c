/*
 * test_sv_sandbox.c: the grants a connector config gives its taskhosts
 * (sv_sandbox.c): plugin option flags, sandbox.* keys and their
 * defaults, refusals that name the key, topics.allowed and the IPC peer
 * check. No cgroup here (a fake, empty cgroup root).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../supervisor/sv_cgroup.h"
#include "../../supervisor/sv_sandbox.h"
#include "testhelp.h"

static struct sv_plugin plugin;

static void setup(void)
{
	static char root[] = "/tmp/test_sv_sandbox.XXXXXX";

	if (!plugin.desc) {
		mkdtemp(root);
		sv_cgroup_set_root(root, "0::/\n", 1);
		plugin.desc = json_loads(
		    "{\"name\":\"P\",\"options\":["
		    "{\"name\":\"file\",\"path_read\":true},"
		    "{\"name\":\"out\",\"path_write\":true,\"default\":"
		    "\"/var/out.txt\"},"
		    "{\"name\":\"hosts\",\"hostport\":true},"
		    "{\"name\":\"other\"}]}",
		    0, NULL);
	}
}

/* The arguments, joined by spaces ("" for none), or NULL. */
static const char *args(const char *config_json, bool validate, char *err,
                        size_t errlen)
{
	static char out[4096];
	json_t *config = json_loads(config_json, 0, NULL);
	struct sv_sandbox *sb;
	char *argv[128];
	int n;

	setup();
	sb = sv_sandbox_new(&plugin, config, "c", 0, validate, 0, "default",
	                    err, errlen);
	json_decref(config);
	if (!sb)
		return NULL;
	n = sv_sandbox_argv(sb, argv, 0, 128);
	out[0] = '\0';
	for (int i = 0; i < n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
		         i ? " " : "", argv[i]);
	sv_sandbox_free(sb);
	return out;
}

static void test_defaults(void)
{
	char err[256];

	CHECK_EQ_STR(args("{}", false, err, sizeof(err)),
	             "--write /var/out.txt --memory-max 268435456 --pids-max "
	             "128 --nofile 1024 --fsize 1073741824 --task-size "
	             "67108864");
}

static void test_option_grants(void)
{
	char err[256];

	CHECK_EQ_STR(
	    args("{\"file\":\"/in.txt\",\"out\":\"/o\",\"other\":\"/x\","
	         "\"hosts\":\"db:5432, cache:6379\"}",
	         false, err, sizeof(err)),
	    "--read /in.txt --write /o --connect-to db:5432 --connect-to "
	    "cache:6379 --memory-max 268435456 --pids-max 128 --nofile 1024 "
	    "--fsize 1073741824 --task-size 67108864");
	/* sandbox.network=none takes the hostport grants away too */
	CHECK_EQ_STR(args("{\"hosts\":\"db:5432\",\"sandbox.network\":\"none\","
	                  "\"out\":\"/o\"}",
	                  false, err, sizeof(err)),
	             "--write /o --memory-max 268435456 --pids-max 128 "
	             "--nofile 1024 --fsize 1073741824 --task-size 67108864");
}

static void test_sandbox_keys(void)
{
	char err[256];

	CHECK_EQ_STR(
	    args("{\"out\":\"/o\",\"sandbox.fs.read\":\"/a, /b\","
	         "\"sandbox.fs.write\":\"/w\",\"sandbox.network\":\"h:1\","
	         "\"sandbox.memory.max\":\"512MiB\",\"sandbox.pids.max\":"
	         "\"32\",\"sandbox.nofile\":\"64\",\"sandbox.cpu.max\":\"0.5\","
	         "\"sandbox.fs.task.size\":\"1m\",\"sandbox.fs.file.max\":"
	         "\"2G\"}",
	         false, err, sizeof(err)),
	    "--write /o --read /a --read /b --write /w --connect-to h:1 "
	    "--memory-max 536870912 --pids-max 32 --nofile 64 --fsize "
	    "2147483648 --task-size 1048576");
}

static void test_validate_no_grants(void)
{
	char err[256];

	CHECK_EQ_STR(args("{\"file\":\"/in.txt\",\"sandbox.fs.read\":\"/a\"}",
	                  true, err, sizeof(err)),
	             "--memory-max 268435456 --pids-max 128 --nofile 1024 "
	             "--fsize 1073741824 --task-size 67108864");
	/* and it reports a bad value (the herder's checks) rather than
	 * failing to start: it runs with the defaults */
	CHECK_EQ_STR(
	    args("{\"sandbox.memory.max\":\"huge\"}", true, err, sizeof(err)),
	    "--memory-max 268435456 --pids-max 128 --nofile 1024 "
	    "--fsize 1073741824 --task-size 67108864");
}

static void test_bad_values(void)
{
	static const char *const bad[][3] = {
	    {"{\"sandbox.memory.max\":\"lots\"}", "sandbox.memory.max",
	     "sandbox.memory.max"},
	    {"{\"sandbox.memory.max\":\"1M\"}", "at least 64MiB",
	     "sandbox.memory.max"},
	    {"{\"sandbox.pids.max\":\"-1\"}", "sandbox.pids.max",
	     "sandbox.pids.max"},
	    {"{\"sandbox.pids.max\":\"4\"}", "at least 16", "sandbox.pids.max"},
	    {"{\"sandbox.cpu.max\":\"fast\"}", "sandbox.cpu.max",
	     "sandbox.cpu.max"},
	    {"{\"sandbox.nofile\":\"0\"}", "sandbox.nofile", "sandbox.nofile"},
	    {"{\"sandbox.network\":\"db\"}", "sandbox.network",
	     "sandbox.network"},
	    {"{\"sandbox.network\":\"db:99999\"}", "sandbox.network",
	     "sandbox.network"},
	    {"{\"sandbox.fs.read\":\"relative/path\"}", "sandbox.fs.read",
	     "sandbox.fs.read"},
	    {"{\"topics.allowed\":\"(\"}", "topics.allowed", "topics.allowed"},
	};
	const char *key;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *c = json_loads(bad[i][0], 0, NULL);

		err[0] = '\0';
		CHECK(args(bad[i][0], false, err, sizeof(err)) == NULL);
		CHECK(strstr(err, bad[i][1]) != NULL);
		key = NULL;
		CHECK_EQ_INT(sv_sandbox_check(c, &key, err, sizeof(err)),
		             -EINVAL);
		CHECK_EQ_STR(key, bad[i][2]);
		json_decref(c);
	}
}

static void test_mode_none(void)
{
	json_t *c = json_loads("{\"file\":\"/in\"}", 0, NULL);
	char err[256], *argv[4];
	struct sv_sandbox *sb;

	setup();
	sb = sv_sandbox_new(&plugin, c, "c", 0, false, 0, "none", err,
	                    sizeof(err));
	CHECK(sb && sv_sandbox_argv(sb, argv, 1, 4) == 1);
	sv_sandbox_free(sb);
	json_decref(c);
	CHECK(strstr(sv_sandbox_note("none"), "UNCONFINED"));
}

static void test_argv_full(void)
{
	json_t *c = json_loads("{}", 0, NULL);
	char err[256], *argv[8];
	struct sv_sandbox *sb;

	setup();
	sb = sv_sandbox_new(&plugin, c, "c", 0, false, 0, "default", err,
	                    sizeof(err));
	CHECK(sb && sv_sandbox_argv(sb, argv, 0, 8) == -E2BIG);
	sv_sandbox_free(sb);
	json_decref(c);
}

static void test_topics_allowed(void)
{
	json_t *c =
	    json_loads("{\"topics.allowed\":\"orders-.*|audit\"}", 0, NULL);
	json_t *none = json_object();
	char err[256];

	CHECK_EQ_INT(
	    sv_sandbox_topic_check(c, "orders-eu", 9, err, sizeof(err)), 0);
	CHECK_EQ_INT(sv_sandbox_topic_check(c, "audit", 5, err, sizeof(err)),
	             0);
	/* the whole name must match, as Java's matches() */
	CHECK_EQ_INT(
	    sv_sandbox_topic_check(c, "xorders-eu", 10, err, sizeof(err)),
	    -EPERM);
	CHECK(strstr(err, "\"xorders-eu\"") && strstr(err, "topics.allowed"));
	CHECK_EQ_INT(sv_sandbox_topic_check(c, "audits", 6, err, sizeof(err)),
	             -EPERM);
	/* a prefix of the buffer only: n counts */
	CHECK_EQ_INT(sv_sandbox_topic_check(c, "auditXX", 5, err, sizeof(err)),
	             0);
	CHECK_EQ_INT(sv_sandbox_topic_check(none, "any", 3, err, sizeof(err)),
	             0);
	json_decref(c);
	json_decref(none);
}

static void test_peer(void)
{
	int p[2], status;
	pid_t child, grandchild = 0;

	CHECK(sv_sandbox_peer_ok(getpid(), (uint64_t)getpid()));
	CHECK(!sv_sandbox_peer_ok(getpid(), 1));
	CHECK(!sv_sandbox_peer_ok(getpid(), 0));
	CHECK(!sv_sandbox_peer_ok(getpid(), 1ull << 40));
	if (pipe(p) == -1)
		return;
	child = fork();
	if (child == 0) {
		pid_t g = fork();

		if (g == 0) {
			pause();
			_exit(0);
		}
		if (write(p[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	if (read(p[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild))
		grandchild = 0;
	/* the task is the grandchild of what sluiced spawned */
	CHECK(sv_sandbox_peer_ok(getpid(), (uint64_t)grandchild));
	CHECK(!sv_sandbox_peer_ok(getpid(), (uint64_t)child));
	CHECK(!sv_sandbox_peer_ok(child, (uint64_t)grandchild));
	kill(grandchild, SIGKILL);
	waitpid(child, &status, 0);
	close(p[0]);
	close(p[1]);
}

TEST_LIST = {
    {"defaults", test_defaults},
    {"option_grants", test_option_grants},
    {"sandbox_keys", test_sandbox_keys},
    {"validate_no_grants", test_validate_no_grants},
    {"bad_values", test_bad_values},
    {"mode_none", test_mode_none},
    {"argv_full", test_argv_full},
    {"topics_allowed", test_topics_allowed},
    {"peer", test_peer},
    {NULL, NULL},
};
