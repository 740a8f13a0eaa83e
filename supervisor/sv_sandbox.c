/* sv_sandbox.c: see sv_sandbox.h. */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sv_cgroup.h"
#include "sv_log.h"
#include "sv_sandbox.h"

#define MIB               (1ull << 20)
#define DEFAULT_MEMORY    (256 * MIB)
#define DEFAULT_PIDS      128
#define DEFAULT_NOFILE    1024
#define DEFAULT_TASK_SIZE (64 * MIB)
#define DEFAULT_FILE_MAX  (1024 * MIB)
#define KERNEL_SHARE      (32 * MIB) /* page tables, sockets, ... */
#define CPU_PERIOD_US     100000
#define TOPIC_CACHE       32

struct sv_sandbox {
	char **args;
	size_t nargs;
	size_t cap;
};

struct limits {
	uint64_t memory_max;
	uint64_t pids_max;
	uint64_t nofile;
	uint64_t task_size;
	uint64_t file_max;
	uint64_t cpu_quota_us; /* 0: no limit */
};

static const char *cfg(json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

/* "268435456", "256M", "256MiB", "1g": bytes, > 0. */
static int parse_size(const char *s, uint64_t *v)
{
	static const char units[] = "KMGT";
	unsigned long long n;
	const char *u;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || n == 0)
		return -EINVAL;
	if (*end) {
		u = strchr(units, toupper((unsigned char)*end));
		if (!u)
			return -EINVAL;
		shift = 10 * (int)(u - units + 1);
		end++;
		if (strcasecmp(end, "iB") == 0 || strcasecmp(end, "B") == 0)
			end += strlen(end);
		if (*end || n > (UINT64_MAX >> shift))
			return -EINVAL;
	}
	*v = (uint64_t)n << shift;
	return 0;
}

static int parse_count(const char *s, uint64_t max, uint64_t *v)
{
	unsigned long long n;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n == 0 || n > max)
		return -EINVAL;
	*v = n;
	return 0;
}

/* "0.5", "2", "max": microseconds per 100 ms period (0: no limit). */
static int parse_cpu(const char *s, uint64_t *quota)
{
	char *end;
	double cpus;

	if (strcmp(s, "max") == 0) {
		*quota = 0;
		return 0;
	}
	errno = 0;
	cpus = strtod(s, &end);
	if (errno || *end || end == s || !(cpus >= 0.01) || cpus > 4096)
		return -EINVAL;
	*quota = (uint64_t)llround(cpus * CPU_PERIOD_US);
	return 0;
}

/* The key the last refusal was about, for sv_sandbox_check(). */
static const char *bad_key;

static int bad(char *err, size_t errlen, const char *key, const char *val,
               const char *what)
{
	bad_key = key;
	snprintf(err, errlen, "Invalid value %s for configuration %s: %s", val,
	         key, what);
	return -EINVAL;
}

static int get_limits(json_t *config, struct limits *l, char *err,
                      size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
		bool size;
		uint64_t max;
	} keys[] = {
	    {"sandbox.memory.max", offsetof(struct limits, memory_max), true,
	     0},
	    {"sandbox.fs.task.size", offsetof(struct limits, task_size), true,
	     0},
	    {"sandbox.fs.file.max", offsetof(struct limits, file_max), true, 0},
	    {"sandbox.pids.max", offsetof(struct limits, pids_max), false,
	     1u << 22},
	    {"sandbox.nofile", offsetof(struct limits, nofile), false,
	     1u << 20},
	};
	const char *s;

	*l =
	    (struct limits){DEFAULT_MEMORY,    DEFAULT_PIDS,     DEFAULT_NOFILE,
	                    DEFAULT_TASK_SIZE, DEFAULT_FILE_MAX, CPU_PERIOD_US};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint64_t *v = (uint64_t *)((char *)l + keys[i].off);

		if (!(s = cfg(config, keys[i].key)))
			continue;
		if (keys[i].size ? parse_size(s, v)
		                 : parse_count(s, keys[i].max, v))
			return bad(err, errlen, keys[i].key, s,
			           keys[i].size ? "a size in bytes, with an "
			                          "optional K, M, G or T suffix"
			                        : "a positive whole number");
	}
	if (l->pids_max < 16)
		return bad(err, errlen, "sandbox.pids.max",
		           cfg(config, "sandbox.pids.max"),
		           "at least 16 (the taskhost's own threads)");
	if (l->memory_max < 64 * MIB)
		return bad(err, errlen, "sandbox.memory.max",
		           cfg(config, "sandbox.memory.max"), "at least 64MiB");
	if ((s = cfg(config, "sandbox.cpu.max")) &&
	    parse_cpu(s, &l->cpu_quota_us))
		return bad(err, errlen, "sandbox.cpu.max", s,
		           "a number of CPUs (such as 0.5) or max");
	return 0;
}

/* Calls fn for each non-empty, trimmed item of a comma-separated list. */
static int each_item(const char *list, int (*fn)(void *arg, const char *item),
                     void *arg)
{
	char *copy = strdup(list ? list : ""), *save = NULL, *it;
	int rc = copy ? 0 : -ENOMEM;

	for (it = copy ? strtok_r(copy, ",", &save) : NULL; it && rc == 0;
	     it = strtok_r(NULL, ",", &save)) {
		char *e;

		while (isspace((unsigned char)*it))
			it++;
		e = it + strlen(it);
		while (e > it && isspace((unsigned char)e[-1]))
			*--e = '\0';
		if (*it)
			rc = fn(arg, it);
	}
	free(copy);
	return rc;
}

static int check_hostport(void *arg, const char *item)
{
	const char *colon = strrchr(item, ':');
	char *end;
	long port;

	(void)arg;
	if (!colon || colon == item)
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	return *end || end == colon + 1 || port < 1 || port > 65535 ? -EINVAL
	                                                            : 0;
}

static int check_path(void *arg, const char *item)
{
	(void)arg;
	return item[0] == '/' ? 0 : -EINVAL;
}

static int compile(const char *pattern, pcre2_code **re, char *err,
                   size_t errlen)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE at;
	int code;

	*re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                    PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED,
	                    &code, &at, NULL);
	if (*re)
		return 0;
	pcre2_get_error_message(code, msg, sizeof(msg));
	snprintf(err, errlen,
	         "Invalid value %s for configuration topics.allowed: %s at "
	         "offset %zu",
	         pattern, (const char *)msg, (size_t)at);
	return -EINVAL;
}

int sv_sandbox_check(json_t *config, const char **key, char *err, size_t errlen)
{
	static const struct {
		const char *key;
		int (*fn)(void *arg, const char *item);
		const char *what;
	} lists[] = {
	    {"sandbox.fs.read", check_path, "a list of absolute paths"},
	    {"sandbox.fs.write", check_path, "a list of absolute paths"},
	};
	struct limits l;
	const char *s;
	pcre2_code *re;
	int rc;

	bad_key = NULL;
	if (key)
		*key = NULL;
	if ((rc = get_limits(config, &l, err, errlen)))
		goto out;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if ((s = cfg(config, lists[i].key)) &&
		    each_item(s, lists[i].fn, NULL)) {
			rc = bad(err, errlen, lists[i].key, s, lists[i].what);
			goto out;
		}
	s = cfg(config, "sandbox.network");
	if (s && strcmp(s, "none") != 0 && each_item(s, check_hostport, NULL)) {
		rc = bad(err, errlen, "sandbox.network", s,
		         "none, or a list of host:port");
		goto out;
	}
	if ((s = cfg(config, "topics.allowed"))) {
		bad_key = "topics.allowed";
		if ((rc = compile(s, &re, err, errlen)))
			goto out;
		pcre2_code_free(re);
	}
	rc = 0;
out:
	if (key && rc)
		*key = bad_key;
	return rc;
}

/* --- the arguments ------------------------------------------------------ */

static int add_arg(struct sv_sandbox *sb, const char *flag, const char *val)
{
	char **v;

	if (sb->nargs + 2 > sb->cap) {
		size_t cap = sb->cap ? 2 * sb->cap : 16;

		if (!(v = realloc(sb->args, cap * sizeof(*v))))
			return -ENOMEM;
		sb->args = v;
		sb->cap = cap;
	}
	if (!(sb->args[sb->nargs] = strdup(flag)))
		return -ENOMEM;
	sb->nargs++;
	if (!(sb->args[sb->nargs] = strdup(val)))
		return -ENOMEM;
	sb->nargs++;
	return 0;
}

static int add_u64(struct sv_sandbox *sb, const char *flag, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return add_arg(sb, flag, buf);
}

static int add_read(void *arg, const char *item)
{
	return add_arg(arg, "--read", item);
}

static int add_write(void *arg, const char *item)
{
	return add_arg(arg, "--write", item);
}

static int add_connect(void *arg, const char *item)
{
	return add_arg(arg, "--connect-to", item);
}

/* The grants the plugin's option table asks for, with this config. */
static int option_grants(struct sv_sandbox *sb, const struct sv_plugin *p,
                         json_t *config, bool network)
{
	json_t *opts = json_object_get(p->desc, "options"), *o;
	size_t i;
	int rc = 0;

	json_array_foreach(opts, i, o)
	{
		const char *name =
		    json_string_value(json_object_get(o, "name"));
		const char *val = name ? cfg(config, name) : NULL;

		if (!val)
			val = json_string_value(json_object_get(o, "default"));
		if (!val || !*val)
			continue;
		if (json_is_true(json_object_get(o, "path_read")))
			rc = add_arg(sb, "--read", val);
		else if (json_is_true(json_object_get(o, "path_write")))
			rc = add_arg(sb, "--write", val);
		else if (network &&
		         json_is_true(json_object_get(o, "hostport")))
			rc = each_item(val, add_connect, sb);
		if (rc)
			return rc;
	}
	return 0;
}

static int cgroup_args(struct sv_sandbox *sb, const char *conn, int task,
                       bool validate, const struct limits *l, char *err,
                       size_t errlen)
{
	struct sv_cgroup_limits cl = {
	    .memory_max = l->memory_max + l->task_size + KERNEL_SHARE,
	    .pids_max = l->pids_max,
	    .cpu_quota_us = l->cpu_quota_us,
	    .cpu_period_us = CPU_PERIOD_US,
	};
	const char *dirs[SV_CGROUP_DIRS_MAX];
	static bool told;
	char name[300];
	size_t n;
	int rc;

	if (task >= 0)
		snprintf(name, sizeof(name), "%s-%d", conn, task);
	else
		snprintf(name, sizeof(name), "%s%s", conn,
		         validate ? ".validate" : "");
	rc = sv_cgroup_leaf(name, &cl, dirs, &n, err, errlen);
	if (rc == -ENOTSUP) {
		if (!told)
			sv_warn("SV-CGROUP-NONE", "%s", sv_cgroup_note());
		told = true;
		return 0;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		if ((rc = add_arg(sb, "--cgroup", dirs[i])))
			return rc;
	return 0;
}

struct sv_sandbox *sv_sandbox_new(const struct sv_plugin *plugin,
                                  json_t *config, const char *conn, int task,
                                  bool validate, uint64_t shared,
                                  const char *mode, char *err, size_t errlen)
{
	struct sv_sandbox *sb = calloc(1, sizeof(*sb));
	const char *net = cfg(config, "sandbox.network");
	bool network = !net || strcmp(net, "none") != 0;
	struct limits l;
	int rc;

	if (!sb) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (mode && strcmp(mode, "none") == 0)
		return sb;
	/* a validation reports bad values rather than failing on them: it
	 * runs with the defaults */
	if (validate)
		rc = get_limits(NULL, &l, err, errlen);
	else if (!(rc = sv_sandbox_check(config, NULL, err, errlen)))
		rc = get_limits(config, &l, err, errlen);
	if (rc)
		goto out_free;
	/* memory shared with sluiced (a source task's batch region) is the
	 * task's address space and, once it writes it, its cgroup's: on
	 * top of what the plugin may use */
	l.memory_max += shared;
	/* a validation checks a config, it does not use it: no grant (a
	 * file that does not exist yet must not fail it) */
	if (!validate &&
	    ((rc = option_grants(sb, plugin, config, network)) ||
	     (rc = each_item(cfg(config, "sandbox.fs.read"), add_read, sb)) ||
	     (rc = each_item(cfg(config, "sandbox.fs.write"), add_write, sb)) ||
	     (network && net && (rc = each_item(net, add_connect, sb))))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if ((rc = add_u64(sb, "--memory-max", l.memory_max)) ||
	    (rc = add_u64(sb, "--pids-max", l.pids_max)) ||
	    (rc = add_u64(sb, "--nofile", l.nofile)) ||
	    (rc = add_u64(sb, "--fsize", l.file_max)) ||
	    (rc = add_u64(sb, "--task-size", l.task_size))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if ((rc = cgroup_args(sb, conn, task, validate, &l, err, errlen)))
		goto out_free;
	return sb;
out_free:
	sv_sandbox_free(sb);
	return NULL;
}

void sv_sandbox_free(struct sv_sandbox *sb)
{
	if (!sb)
		return;
	for (size_t i = 0; i < sb->nargs; i++)
		free(sb->args[i]);
	free(sb->args);
	free(sb);
}

int sv_sandbox_argv(const struct sv_sandbox *sb, char **argv, int argc, int max)
{
	if ((size_t)argc + sb->nargs + 1 > (size_t)max)
		return -E2BIG;
	for (size_t i = 0; i < sb->nargs; i++)
		argv[argc++] = sb->args[i];
	return argc;
}

/* --- topics.allowed ----------------------------------------------------- */

static struct {
	char *pattern;
	pcre2_code *re;
} topic_cache[TOPIC_CACHE];

static pcre2_code *topic_regex(const char *pattern, char *err, size_t errlen)
{
	pcre2_code *re;
	size_t i;

	for (i = 0; i < TOPIC_CACHE && topic_cache[i].pattern; i++)
		if (strcmp(topic_cache[i].pattern, pattern) == 0)
			return topic_cache[i].re;
	if (compile(pattern, &re, err, errlen))
		return NULL;
	if (i == TOPIC_CACHE) {
		/* full: drop the oldest */
		free(topic_cache[0].pattern);
		pcre2_code_free(topic_cache[0].re);
		memmove(topic_cache, topic_cache + 1,
		        (TOPIC_CACHE - 1) * sizeof(topic_cache[0]));
		i = TOPIC_CACHE - 1;
	}
	if (!(topic_cache[i].pattern = strdup(pattern))) {
		pcre2_code_free(re);
		snprintf(err, errlen, "out of memory");
		topic_cache[i].re = NULL;
		return NULL;
	}
	topic_cache[i].re = re;
	return re;
}

int sv_sandbox_topic_check(json_t *config, const char *topic, size_t n,
                           char *err, size_t errlen)
{
	const char *pattern = cfg(config, "topics.allowed");
	pcre2_match_data *md;
	pcre2_code *re;
	int rc;

	if (!pattern)
		return 0;
	if (!(re = topic_regex(pattern, err, errlen)))
		return -EINVAL;
	if (!(md = pcre2_match_data_create_from_pattern(re, NULL))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = pcre2_match(re, (PCRE2_SPTR)topic, n, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return 0;
	snprintf(err, errlen,
	         "a record for topic \"%.*s\", which topics.allowed (%s) does "
	         "not allow",
	         (int)(n > 200 ? 200 : n), topic, pattern);
	return -EPERM;
}

/* --- the peer and the status --------------------------------------------- */

/* The parent of pid, from /proc/<pid>/stat (readable by anyone), or 0. */
static long parent_of(uint64_t pid)
{
	char path[64], buf[512], *close_paren;
	long ppid = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%llu/stat",
	         (unsigned long long)pid);
	if (!(f = fopen(path, "re")))
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* "pid (comm) state ppid ...": comm may hold anything but ends at
	 * the last ')' */
	close_paren = strrchr(buf, ')');
	if (!close_paren || sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
		return 0;
	return ppid;
}

/* The sandboxed tasks whose IPC peer was checked: a pidfd of the task
 * (the peer) per spawned monitor, for sv_sandbox_reaped(). */
struct peer {
	pid_t spawned;
	int pidfd;
};

static struct peer *peers;
static size_t npeers, peers_cap;

static void remember_peer(pid_t spawned, pid_t peer)
{
	int fd = pidfd_open(peer, 0);
	struct peer *v;

	if (fd == -1)
		return; /* gone already: nothing to wait for */
	if (npeers == peers_cap) {
		size_t cap = peers_cap ? 2 * peers_cap : 16;

		if (!(v = realloc(peers, cap * sizeof(*v)))) {
			close(fd);
			return;
		}
		peers = v;
		peers_cap = cap;
	}
	peers[npeers++] = (struct peer){spawned, fd};
}

bool sv_sandbox_peer_ok(pid_t spawned, uint64_t peer)
{
	long parent;

	if (peer == (uint64_t)spawned)
		return true;
	if (peer == 0 || peer > INT32_MAX || spawned <= 0)
		return false;
	/* the sandboxed task: a child of the namespace's init, itself the
	 * child of the monitor sluiced spawned */
	parent = parent_of(peer);
	if (parent <= 0 || parent_of((uint64_t)parent) != (long)spawned)
		return false;
	remember_peer(spawned, (pid_t)peer);
	return true;
}

void sv_sandbox_reaped(pid_t spawned)
{
	for (size_t i = 0; i < npeers; i++) {
		struct pollfd pfd = {peers[i].pidfd, POLLIN, 0};

		if (peers[i].spawned != spawned)
			continue;
		/* killed with the monitor's group: it goes within ms */
		while (poll(&pfd, 1, 2000) == -1 && errno == EINTR)
			;
		close(peers[i].pidfd);
		peers[i] = peers[--npeers];
		i--;
	}
}

const char *sv_sandbox_note(const char *mode)
{
	if (mode && strcmp(mode, "none") == 0)
		return "sluice.sandbox=none: tasks run UNCONFINED, with the "
		       "rights of sluiced's user";
	return sv_cgroup_note();
}
