/*
 * hostile_source.c: a source that attacks its sandbox, for the escape
 * suite (tests/sandbox/). `attack` names what it tries in start(); when
 * the sandbox holds, start() fails with "refused: <what happened>" (and
 * -EPERM, so the task is FAILED and not restarted); if an attack worked,
 * it fails with "ESCAPED: <what>" instead, which the tests look for. The
 * attacks the seccomp filter refuses never return: the process dies of
 * SIGSYS and the sandbox names the call.
 *
 *	none            no attack: emits records like a small counter
 *	read_shadow     read /etc/shadow
 *	read_file       read `target.path` (the worker properties)
 *	proc_environ    read /proc/<target.pid>/environ
 *	proc_mem        read /proc/<target.pid>/mem
 *	write_outside   create /sluice-escape (outside the task dir)
 *	write_target    write `target.path`
 *	rename_outside  rename a file of the task dir to /sluice-escape
 *	link_outside    hard-link `target.path` into the task dir
 *	ptrace          ptrace(PTRACE_ATTACH, target.pid)
 *	process_vm_readv read target.pid's memory
 *	kill_supervisor kill(target.pid, SIGKILL)
 *	kill_all        look for every other process, then kill(-1, SIGKILL)
 *	fork_bomb       fork until refused
 *	memory_bomb     allocate and touch 1 MiB blocks until refused
 *	fd_exhaust      open /dev/null until refused
 *	disk_fill       write 1 MiB blocks into the task dir until refused
 *	sockets         raw, packet and netlink sockets
 *	connect         connect by TCP to `connect.to` (refused expected)
 *	connect_ok      connect to `connect.to`, then run like none
 *	execve          execve("/bin/sh")
 *	mount           mount a tmpfs
 *	unshare         unshare(CLONE_NEWUSER)
 *	setns           setns into its own network namespace
 *	chroot          chroot("/")
 *	setuid          setuid(0)
 *	tiocsti         ioctl(0, TIOCSTI)
 *	wx_mmap         mmap memory writable and executable
 *	busy            spin `busy.threads` threads for 3 s, then report the
 *	                CPUs it got
 *	list_fds        report every open descriptor
 *	other_topic     run like none, but send to `other.topic`
 *
 * With stderr.lines=N it first writes N lines to stderr (the log relay).
 * A real plugin never does any of this.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netdb.h>
#include <netinet/in.h>

#include "connector.h"

#define MSG 2048

struct hs_task {
	const struct conn_host *host;
	struct conn_context *cx;
	struct conn_arena *arena;
	const struct conn_value *partition;
	const struct conn_value *key;
	char topic[256];
	int64_t n;
};

struct hs_cfg {
	const struct conn_host *host;
	struct conn_context *cx;
	const char *path;    /* target.path */
	long pid;            /* target.pid */
	const char *connect; /* connect.to */
	int threads;         /* busy.threads */
	const char *dir;     /* the task dir */
};

static const struct conn_option hs_options[] = {
    {.name = "topic",
     .type = CONN_OPT_STRING,
     .flags = CONN_OPT_REQUIRED | CONN_OPT_NONEMPTY,
     .importance = CONN_IMPORTANCE_HIGH,
     .doc = "The topic to produce to"},
    {.name = "attack",
     .type = CONN_OPT_STRING,
     .default_value = "none",
     .importance = CONN_IMPORTANCE_HIGH,
     .doc = "What to try (see hostile_source.c)"},
    {.name = "target.path",
     .type = CONN_OPT_STRING,
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "A file outside the sandbox"},
    {.name = "target.pid",
     .type = CONN_OPT_LONG,
     .default_value = "0",
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "sluiced's pid"},
    {.name = "connect.to",
     .type = CONN_OPT_STRING,
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "host:port to connect to"},
    {.name = "other.topic",
     .type = CONN_OPT_STRING,
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "The topic for other_topic"},
    {.name = "stderr.lines",
     .type = CONN_OPT_INT,
     .default_value = "0",
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "Lines to write to stderr in start (log relay checks)"},
    {.name = "busy.threads",
     .type = CONN_OPT_INT,
     .default_value = "2",
     .importance = CONN_IMPORTANCE_LOW,
     .doc = "Threads that spin for busy"},
    {.name = NULL},
};

static int errno_msg(char *msg, const char *what, int e)
{
	snprintf(msg, MSG, "%s: %s", what, strerror(e));
	return -e;
}

static int try_read(const char *path, char *msg)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return errno_msg(msg, path, errno);
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return errno_msg(msg, path, errno);
	snprintf(msg, MSG, "read %zd bytes of %s", n, path);
	return 0;
}

static int a_read_shadow(struct hs_cfg *c, char *msg)
{
	(void)c;
	return try_read("/etc/shadow", msg);
}

static int a_read_file(struct hs_cfg *c, char *msg)
{
	return try_read(c->path ? c->path : "/", msg);
}

static int a_proc_environ(struct hs_cfg *c, char *msg)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%ld/environ", c->pid);
	return try_read(p, msg);
}

static int a_proc_mem(struct hs_cfg *c, char *msg)
{
	char p[64];

	snprintf(p, sizeof(p), "/proc/%ld/mem", c->pid);
	return try_read(p, msg);
}

static int a_write_outside(struct hs_cfg *c, char *msg)
{
	int fd = open("/sluice-escape", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	(void)c;
	if (fd == -1)
		return errno_msg(msg, "create /sluice-escape", errno);
	close(fd);
	snprintf(msg, MSG, "created /sluice-escape");
	return 0;
}

static int a_write_target(struct hs_cfg *c, char *msg)
{
	int fd =
	    open(c->path ? c->path : "/x", O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd == -1)
		return errno_msg(msg, "open for writing", errno);
	if (write(fd, "#escaped\n", 9) != 9) {
		close(fd);
		return errno_msg(msg, "write", errno);
	}
	close(fd);
	snprintf(msg, MSG, "appended to %s", c->path);
	return 0;
}

static int a_rename_outside(struct hs_cfg *c, char *msg)
{
	char p[4096];
	int fd;

	snprintf(p, sizeof(p), "%s/victim", c->dir);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		return errno_msg(msg, "create in the task dir", errno);
	close(fd);
	if (rename(p, "/sluice-escape") == -1)
		return errno_msg(msg, "rename to /sluice-escape", errno);
	snprintf(msg, MSG, "renamed a file to /sluice-escape");
	return 0;
}

static int a_link_outside(struct hs_cfg *c, char *msg)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/link", c->dir);
	if (link(c->path ? c->path : "/etc/passwd", p) == -1)
		return errno_msg(msg, "link into the task dir", errno);
	snprintf(msg, MSG, "linked %s into the task dir", c->path);
	return 0;
}

static int a_ptrace(struct hs_cfg *c, char *msg)
{
	if (ptrace(PTRACE_ATTACH, (pid_t)c->pid, NULL, NULL) == -1)
		return errno_msg(msg, "ptrace", errno);
	snprintf(msg, MSG, "attached to pid %ld", c->pid);
	return 0;
}

static int a_process_vm_readv(struct hs_cfg *c, char *msg)
{
	char buf[16];
	struct iovec local = {buf, sizeof(buf)},
	             remote = {(void *)0x400000, 16};

	if (process_vm_readv((pid_t)c->pid, &local, 1, &remote, 1, 0) == -1)
		return errno_msg(msg, "process_vm_readv", errno);
	snprintf(msg, MSG, "read the memory of pid %ld", c->pid);
	return 0;
}

static int a_kill_supervisor(struct hs_cfg *c, char *msg)
{
	if (kill((pid_t)c->pid, SIGKILL) == -1)
		return errno_msg(msg, "kill of sluiced", errno);
	snprintf(msg, MSG, "sent SIGKILL to sluiced (pid %ld)", c->pid);
	return 0;
}

static int a_kill_all(struct hs_cfg *c, char *msg)
{
	char seen[512] = "";
	size_t at = 0;
	int found = 0;

	(void)c;
	for (pid_t p = 1; p < 65536; p++) {
		char task[64];

		/* our own threads answer too */
		snprintf(task, sizeof(task), "/proc/self/task/%d", (int)p);
		if (p == getpid() || access(task, F_OK) == 0 ||
		    kill(p, 0) == -1)
			continue;
		found++;
		at += (size_t)snprintf(seen + at, sizeof(seen) - at, " %d",
		                       (int)p);
		if (at >= sizeof(seen))
			at = sizeof(seen) - 1;
	}
	kill(-1, SIGKILL);
	snprintf(msg, MSG,
	         "kill(-1, SIGKILL) sent; other processes it could see:%s",
	         found ? seen : " none");
	/* only the namespace's init is there, which ignores it */
	return found <= 1 ? -ESRCH : 0;
}

static int a_fork_bomb(struct hs_cfg *c, char *msg)
{
	static pid_t kids[100000];
	int n = 0, e = 0;

	(void)c;
	for (; n < 100000; n++) {
		pid_t p = fork();

		if (p == 0) {
			pause();
			_exit(0);
		}
		if (p == -1) {
			e = errno;
			break;
		}
		kids[n] = p;
	}
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
	if (!e) {
		snprintf(msg, MSG, "forked %d processes", n);
		return 0;
	}
	snprintf(msg, MSG, "fork refused after %d processes: %s", n,
	         strerror(e));
	return -e;
}

static int a_memory_bomb(struct hs_cfg *c, char *msg)
{
	size_t mib = 0;
	void **blocks = NULL;

	(void)c;
	for (; mib < 65536; mib++) {
		void *p = malloc(1 << 20);
		void **nb;

		if (!p)
			break;
		memset(p, 0xa5, 1 << 20);
		nb = realloc(blocks, (mib + 1) * sizeof(*blocks));
		if (!nb) {
			free(p);
			break;
		}
		blocks = nb;
		blocks[mib] = p;
	}
	for (size_t i = 0; i < mib; i++)
		free(blocks[i]);
	free(blocks);
	if (mib == 65536) {
		snprintf(msg, MSG, "allocated 64 GiB");
		return 0;
	}
	snprintf(msg, MSG, "malloc refused after %zu MiB: %s", mib,
	         strerror(ENOMEM));
	return -ENOMEM;
}

static int a_fd_exhaust(struct hs_cfg *c, char *msg)
{
	int n = 0, e = 0, fd, first = -1;

	(void)c;
	for (; n < 1000000; n++) {
		fd = open("/dev/null", O_RDONLY);
		if (fd == -1) {
			e = errno;
			break;
		}
		if (first == -1)
			first = fd;
	}
	for (int i = first; i >= 0 && i < first + n; i++)
		close(i);
	if (!e) {
		snprintf(msg, MSG, "opened %d descriptors", n);
		return 0;
	}
	snprintf(msg, MSG, "open refused after %d descriptors: %s", n,
	         strerror(e));
	return -e;
}

static int a_disk_fill(struct hs_cfg *c, char *msg)
{
	static char block[1 << 20];
	char p[4096];
	long mib = 0;
	int fd, e = 0, files = 0;

	memset(block, 'x', sizeof(block));
	/* one big file, then many: neither may get past the task dir's
	 * size */
	for (; files < 100000 && !e; files++) {
		snprintf(p, sizeof(p), "%s/fill.%d", c->dir, files);
		fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd == -1) {
			e = errno;
			break;
		}
		for (int i = 0; i < (files == 0 ? 100000 : 1); i++) {
			ssize_t w = write(fd, block, sizeof(block));

			if (w != (ssize_t)sizeof(block)) {
				e = w < 0 ? errno : ENOSPC;
				break;
			}
			mib++;
		}
		close(fd);
		if (mib >= 1 << 20)
			break;
	}
	if (!e) {
		snprintf(msg, MSG, "wrote %ld MiB", mib);
		return 0;
	}
	snprintf(msg, MSG, "write refused after %ld MiB in %d files: %s", mib,
	         files + 1, strerror(e));
	return -e;
}

static int a_sockets(struct hs_cfg *c, char *msg)
{
	static const struct {
		int domain, type, proto;
		const char *name;
	} s[] = {
	    {AF_INET, SOCK_RAW, IPPROTO_ICMP, "raw"},
	    {AF_PACKET, SOCK_RAW, 0, "packet"},
	    {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, "netlink"},
	};
	size_t at = 0;
	int opened = 0;

	(void)c;
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		int fd = socket(s[i].domain, s[i].type, s[i].proto);

		at += (size_t)snprintf(msg + at, MSG - at, "%s%s socket: %s",
		                       i ? "; " : "", s[i].name,
		                       fd == -1 ? strerror(errno) : "OPENED");
		if (fd != -1) {
			opened++;
			close(fd);
		}
	}
	return opened ? 0 : -EACCES;
}

static int tcp_connect(const char *hp, char *msg)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char host[256];
	const char *colon = hp ? strrchr(hp, ':') : NULL;
	int fd, rc, e;

	if (!colon || (size_t)(colon - hp) >= sizeof(host))
		return errno_msg(msg, "connect.to is not host:port", EINVAL);
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc) {
		snprintf(msg, MSG, "resolve %s: %s", host, gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		e = errno;
		freeaddrinfo(res);
		return errno_msg(msg, "socket", e);
	}
	rc = connect(fd, res->ai_addr, res->ai_addrlen);
	e = errno;
	freeaddrinfo(res);
	close(fd);
	if (rc == -1) {
		snprintf(msg, MSG, "connect to %s: %s", hp, strerror(e));
		return -e;
	}
	snprintf(msg, MSG, "connected to %s", hp);
	return 0;
}

static int a_connect(struct hs_cfg *c, char *msg)
{
	return tcp_connect(c->connect, msg);
}

static int a_execve(struct hs_cfg *c, char *msg)
{
	char *argv[] = {"sh", "-c", "true", NULL}, *envp[] = {NULL};

	(void)c;
	execve("/bin/sh", argv, envp);
	return errno_msg(msg, "execve /bin/sh", errno);
}

static int a_mount(struct hs_cfg *c, char *msg)
{
	if (mount("none", c->dir, "tmpfs", 0, NULL) == -1)
		return errno_msg(msg, "mount", errno);
	snprintf(msg, MSG, "mounted a tmpfs");
	return 0;
}

static int a_unshare(struct hs_cfg *c, char *msg)
{
	(void)c;
	if (unshare(CLONE_NEWUSER) == -1)
		return errno_msg(msg, "unshare", errno);
	snprintf(msg, MSG, "made a new user namespace");
	return 0;
}

static int a_setns(struct hs_cfg *c, char *msg)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	(void)c;
	if (setns(fd, 0) == -1)
		return errno_msg(msg, "setns", errno);
	snprintf(msg, MSG, "setns worked");
	return 0;
}

static int a_chroot(struct hs_cfg *c, char *msg)
{
	(void)c;
	if (chroot("/") == -1)
		return errno_msg(msg, "chroot", errno);
	snprintf(msg, MSG, "chroot worked");
	return 0;
}

static int a_setuid(struct hs_cfg *c, char *msg)
{
	(void)c;
	if (setuid(0) == -1)
		return errno_msg(msg, "setuid(0)", errno);
	snprintf(msg, MSG, "setuid(0) worked (uid %d)", (int)getuid());
	return 0;
}

static int a_tiocsti(struct hs_cfg *c, char *msg)
{
	char ch = 'x';

	(void)c;
	if (ioctl(0, TIOCSTI, &ch) == -1)
		return errno_msg(msg, "ioctl TIOCSTI", errno);
	snprintf(msg, MSG, "pushed input into a terminal");
	return 0;
}

static int a_wx_mmap(struct hs_cfg *c, char *msg)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
	               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)c;
	if (p == MAP_FAILED)
		return errno_msg(msg, "mmap W+X", errno);
	munmap(p, 4096);
	snprintf(msg, MSG, "mapped memory writable and executable");
	return 0;
}

static atomic_int spin_stop;

static void *spin(void *arg)
{
	volatile uint64_t x = 0;

	(void)arg;
	while (!atomic_load(&spin_stop))
		x++;
	return NULL;
}

static double seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int a_busy(struct hs_cfg *c, char *msg)
{
	pthread_t t[16];
	int n = c->threads < 1 ? 1 : c->threads > 16 ? 16 : c->threads, made;
	double wall0 = seconds(CLOCK_MONOTONIC),
	       cpu0 = seconds(CLOCK_PROCESS_CPUTIME_ID), wall, cpu;
	struct timespec ts = {3, 0};

	atomic_store(&spin_stop, 0);
	for (made = 0; made < n; made++)
		if (pthread_create(&t[made], NULL, spin, NULL))
			break;
	nanosleep(&ts, NULL);
	atomic_store(&spin_stop, 1);
	for (int i = 0; i < made; i++)
		pthread_join(t[i], NULL);
	wall = seconds(CLOCK_MONOTONIC) - wall0;
	cpu = seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	snprintf(msg, MSG, "busy: %d threads got %.2f CPUs for %.1f s", made,
	         cpu / wall, wall);
	return -EBUSY;
}

static int a_list_fds(struct hs_cfg *c, char *msg)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	size_t at;

	(void)c;
	if (!d)
		return errno_msg(msg, "opendir /proc/self/fd", errno);
	at = (size_t)snprintf(msg, MSG, "fds:");
	while ((de = readdir(d)) && at < MSG - 1) {
		char p[300], target[256];
		ssize_t n;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(p, sizeof(p), "/proc/self/fd/%s", de->d_name);
		n = readlink(p, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		at += (size_t)snprintf(msg + at, MSG - at, " %s=%s", de->d_name,
		                       target);
	}
	closedir(d);
	return -EACCES;
}

static const struct {
	const char *name;
	int (*fn)(struct hs_cfg *c, char *msg);
} attacks[] = {
    {"read_shadow", a_read_shadow},
    {"read_file", a_read_file},
    {"proc_environ", a_proc_environ},
    {"proc_mem", a_proc_mem},
    {"write_outside", a_write_outside},
    {"write_target", a_write_target},
    {"rename_outside", a_rename_outside},
    {"link_outside", a_link_outside},
    {"ptrace", a_ptrace},
    {"process_vm_readv", a_process_vm_readv},
    {"kill_supervisor", a_kill_supervisor},
    {"kill_all", a_kill_all},
    {"fork_bomb", a_fork_bomb},
    {"memory_bomb", a_memory_bomb},
    {"fd_exhaust", a_fd_exhaust},
    {"disk_fill", a_disk_fill},
    {"sockets", a_sockets},
    {"connect", a_connect},
    {"execve", a_execve},
    {"mount", a_mount},
    {"unshare", a_unshare},
    {"setns", a_setns},
    {"chroot", a_chroot},
    {"setuid", a_setuid},
    {"tiocsti", a_tiocsti},
    {"wx_mmap", a_wx_mmap},
    {"busy", a_busy},
    {"list_fds", a_list_fds},
};

static int hs_poll(void *ctx, struct conn_batch *out, int max_wait_ms,
                   char *err, size_t errlen)
{
	struct hs_task *t = ctx;
	const struct conn_host *h = t->host;
	struct conn_arena *a = h->batch_arena(out);
	struct timespec ts = {0, 50 * 1000 * 1000};

	(void)max_wait_ms;
	nanosleep(&ts, NULL);
	for (int i = 0; i < 10; i++) {
		struct conn_record *r = h->record_add(out);
		struct conn_value *v = h->value_int(a, CONN_INT64, t->n);
		struct conn_value *off = h->value_map(a);

		if (!r || !v || !off || h->map_put(off, t->key, v) ||
		    h->record_set_topic(r, t->topic) ||
		    h->record_set_value(r, h->schema_std(CONN_INT64, false),
		                        v) ||
		    h->record_set_source(r, t->partition, off)) {
			snprintf(err, errlen, "cannot build a record");
			return -EINVAL;
		}
		t->n++;
	}
	return 0;
}

static void hs_stop(void *ctx)
{
	struct hs_task *t = ctx;

	if (!t)
		return;
	t->host->arena_free(t->arena);
	free(t);
}

static int run_attack(const struct conn_host *host, struct conn_context *cx,
                      const struct conn_config *cfg, const char *attack,
                      char *err, size_t errlen)
{
	struct hs_cfg c = {host, cx};
	char msg[MSG] = "", line[MSG + 64];
	int64_t v = 0;
	int rc;

	c.path = host->config_get(cfg, "target.path");
	c.connect = host->config_get(cfg, "connect.to");
	host->config_get_long(cfg, "target.pid", &v);
	c.pid = (long)v;
	v = 2;
	host->config_get_long(cfg, "busy.threads", &v);
	c.threads = (int)v;
	c.dir = host->task_dir(cx) ? host->task_dir(cx) : "/tmp";
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		if (strcmp(attacks[i].name, attack) != 0)
			continue;
		snprintf(line, sizeof(line), "HOSTILE trying %s", attack);
		host->log(cx, CONN_LOG_INFO, line);
		rc = attacks[i].fn(&c, msg);
		snprintf(line, sizeof(line), "HOSTILE %s: %s: %s", attack,
		         rc == 0 ? "ESCAPED" : "refused", msg);
		host->log(cx, CONN_LOG_INFO, line);
		snprintf(err, errlen, "%s %s: %s",
		         rc == 0 ? "ESCAPED" : "refused", attack, msg);
		return -EPERM;
	}
	snprintf(err, errlen, "unknown attack %s", attack);
	return -EINVAL;
}

static int hs_start(const struct conn_host *host, struct conn_context *cx,
                    const struct conn_config *cfg, void **ctxp, char *err,
                    size_t errlen)
{
	const char *attack = host->config_get(cfg, "attack");
	const char *topic = host->config_get(cfg, "topic");
	char msg[MSG];
	struct hs_task *t;
	struct conn_value *part, *k, *v;
	int64_t lines = 0;

	*ctxp = NULL;
	host->config_get_long(cfg, "stderr.lines", &lines);
	for (int64_t i = 0; i < lines; i++)
		fprintf(stderr, "HOSTILE stderr line %lld\n", (long long)i);
	if (strcmp(attack, "connect_ok") == 0) {
		const char *to = host->config_get(cfg, "connect.to");

		if (tcp_connect(to, msg)) {
			snprintf(err, errlen, "refused connect_ok: %s", msg);
			return -EPERM;
		}
		snprintf(err, errlen, "HOSTILE connect_ok: %s", msg);
		host->log(cx, CONN_LOG_INFO, err);
	} else if (strcmp(attack, "other_topic") == 0) {
		topic = host->config_get(cfg, "other.topic");
	} else if (strcmp(attack, "none") != 0) {
		return run_attack(host, cx, cfg, attack, err, errlen);
	}
	if (!topic || strlen(topic) >= sizeof(t->topic)) {
		snprintf(err, errlen, "topic is missing or too long");
		return -EINVAL;
	}
	if (!(t = calloc(1, sizeof(*t))))
		return -ENOMEM;
	t->host = host;
	t->cx = cx;
	strcpy(t->topic, topic);
	t->arena = host->arena_new();
	part = t->arena ? host->value_map(t->arena) : NULL;
	k = part ? host->value_string(t->arena, "hostile", 7) : NULL;
	v = k ? host->value_string(t->arena, "source", 6) : NULL;
	t->key = v ? host->value_string(t->arena, "n", 1) : NULL;
	if (!t->key || host->map_put(part, k, v)) {
		hs_stop(t);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->partition = part;
	*ctxp = t;
	return 0;
}

CONN_EXPORT const struct conn_plugin conn_plugin = {
    .abi = CONN_ABI_VERSION,
    .size = sizeof(struct conn_plugin),
    .name = "HostileSource",
    .version = "0.1.0",
    .type = CONN_SOURCE,
    .option_size = sizeof(struct conn_option),
    .options = hs_options,
    .doc = "Attacks its sandbox (escape suite).",
    .start = hs_start,
    .poll = hs_poll,
    .stop = hs_stop,
};
