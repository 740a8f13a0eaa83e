/*
 * th_sandbox_linux.c: the default sandbox. See th_sandbox.h.
 *
 * enter(), single-threaded, before the IPC library starts:
 *
 * 1. The process sluiced started (the monitor) joins the cgroup leaves it
 *    was given, sets no_new_privs, resolves the granted host:port pairs,
 *    enters a new user namespace (mapping only its own uid and gid) and
 *    unshares mount, pid, ipc, uts and cgroup namespaces, and the network
 *    namespace unless the connector was granted addresses to reach.
 * 2. It forks pid 1 of the new pid namespace, which forks pid 2: the
 *    task. The init runs no task code: it reaps what the task orphans,
 *    passes signals on to the task and, when the task ends, hands its
 *    wait status to the monitor and exits, which ends everything left in
 *    the namespace. The task must not be pid 1 itself, which the kernel
 *    shields from signals without a handler (abort() and raise() would
 *    not work); the process sluiced waits for must not be pid 1 either,
 *    or it could not die of the signal that killed the task; and the
 *    task must be the init's child, so that its zombie is reaped inside
 *    the namespace even when sluiced and the monitor are gone.
 * 3. The monitor stays in sluiced's pid namespace, drops its
 *    capabilities, takes a filter that lets it only wait, read, signal
 *    and exit, forwards SIGTERM and its friends to the init, and ends the
 *    way the task ended: the same exit status, or the same signal.
 *    sluiced keeps its pidfd and its process group (a kill of the group
 *    reaches all three; the death of the init ends the namespace).
 * 4. The task builds its root (th_sandbox_mount.c), sets its hostname,
 *    resource limits, drops every capability (and the bounding set), and
 *    restricts itself with Landlock (th_sandbox_landlock.c).
 *
 * lock() (th_sandbox_seccomp.c) then adds the seccomp filters to every
 * thread. sluiced sees the task's IPC peer as the monitor's grandchild,
 * and its HELLO naming the monitor's pid (spec->spawned_pid).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "th_sandbox_impl.h"

static int fail(char *err, size_t errlen, int e, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

static int write_file(const char *path, const char *text, char *err,
                      size_t errlen)
{
	size_t n = strlen(text);
	int fd, e;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "open %s: %s", path, strerror(e));
		return -e;
	}
	if (write(fd, text, n) != (ssize_t)n) {
		e = errno ? errno : EIO;
		close(fd);
		snprintf(err, errlen, "write %s: %s", path, strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

/* Moves this process into each cgroup leaf sluiced made for it. */
static int join_cgroups(const struct th_sandbox_spec *s, char *err,
                        size_t errlen)
{
	char path[4096], pid[32];
	int rc;

	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	for (size_t i = 0; i < s->ncgroup; i++) {
		if (snprintf(path, sizeof(path), "%s/cgroup.procs",
		             s->cgroup[i]) >= (int)sizeof(path))
			return fail(err, errlen, ENAMETOOLONG, "cgroup");
		if ((rc = write_file(path, pid, err, errlen)))
			return rc;
	}
	return 0;
}

/* Splits "host:port" (or "[v6]:port"); 0 or -EINVAL. */
static int split_hostport(const char *hp, char *host, size_t hostlen,
                          uint16_t *port)
{
	const char *colon = strrchr(hp, ':'), *h = hp;
	size_t n;
	char *end;
	unsigned long p;

	if (!colon || colon == hp)
		return -EINVAL;
	n = (size_t)(colon - hp);
	if (hp[0] == '[' && colon[-1] == ']') {
		h = hp + 1;
		n -= 2;
	}
	if (n == 0 || n >= hostlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p == 0 || p > 65535)
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}

static void hosts_add(struct th_sandbox_net *net, const char *addr,
                      const char *name)
{
	size_t len = strlen(net->hosts);

	snprintf(net->hosts + len, sizeof(net->hosts) - len, "%s\t%s\n", addr,
	         name);
}

/*
 * Resolves the granted host:port pairs while the host's resolver is still
 * reachable. The sandbox's /etc/hosts then holds exactly these names, and
 * its nsswitch.conf says "files": a plugin resolves a granted name without
 * any DNS traffic, and no other name at all.
 */
static int resolve_grants(const struct th_sandbox_spec *s,
                          struct th_sandbox_net *net, char *err, size_t errlen)
{
	net->isolated = s->nconnect == 0;
	net->nports = 0;
	snprintf(net->hosts, sizeof(net->hosts),
	         "127.0.0.1\tlocalhost\n::1\tlocalhost\n");
	for (size_t i = 0; i < s->nconnect; i++) {
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
		struct addrinfo *res = NULL, *ai;
		char host[256];
		uint16_t port;
		bool seen = false;
		int rc;

		if (split_hostport(s->connect[i], host, sizeof(host), &port)) {
			snprintf(err, errlen,
			         "network grant \"%s\" is not host:port",
			         s->connect[i]);
			return -EINVAL;
		}
		for (size_t j = 0; j < net->nports; j++)
			seen |= net->ports[j] == port;
		if (!seen)
			net->ports[net->nports++] = port;
		rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc) {
			snprintf(err, errlen,
			         "network grant %s: cannot resolve %s: %s",
			         s->connect[i], host, gai_strerror(rc));
			return -EHOSTUNREACH;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			char addr[INET6_ADDRSTRLEN];
			const void *a;

			if (ai->ai_family == AF_INET)
				a = &((struct sockaddr_in *)ai->ai_addr)
				         ->sin_addr;
			else if (ai->ai_family == AF_INET6)
				a = &((struct sockaddr_in6 *)ai->ai_addr)
				         ->sin6_addr;
			else
				continue;
			if (inet_ntop(ai->ai_family, a, addr, sizeof(addr)) &&
			    strcmp(host, addr) != 0 &&
			    strcmp(host, "localhost") != 0)
				hosts_add(net, addr, host);
		}
		freeaddrinfo(res);
	}
	return 0;
}

/* A user namespace that maps only our own uid and gid, to themselves. */
static int enter_userns(char *err, size_t errlen)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int rc;

	if (unshare(CLONE_NEWUSER) == -1)
		return fail(err, errlen, errno, "unshare(CLONE_NEWUSER)");
	if ((rc = write_file("/proc/self/setgroups", "deny", err, errlen)))
		return rc;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)uid, (unsigned)uid);
	if ((rc = write_file("/proc/self/uid_map", map, err, errlen)))
		return rc;
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)gid, (unsigned)gid);
	return write_file("/proc/self/gid_map", map, err, errlen);
}

/* Every capability gone: effective, permitted, inheritable, ambient and
 * the bounding set, with the securebits that keep it so locked. */
static int drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	unsigned long bits =
	    SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	    SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	    SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;

	if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) == -1)
		return fail(err, errlen, errno, "securebits");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		return fail(err, errlen, errno, "ambient capabilities");
	for (int cap = 0; cap <= 63; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break; /* past the last capability */
			return fail(err, errlen, errno, "capability bounding");
		}
	}
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		return fail(err, errlen, errno, "capset");
	return 0;
}

static int set_limit(int resource, const char *name, uint64_t v, char *err,
                     size_t errlen)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v};

	if (setrlimit(resource, &rl) == -1) {
		snprintf(err, errlen, "setrlimit %s %llu: %s", name,
		         (unsigned long long)v, strerror(errno));
		return -errno;
	}
	return 0;
}

static int set_limits(const struct th_sandbox_spec *s, char *err, size_t errlen)
{
	int rc;

	if ((rc = set_limit(RLIMIT_NPROC, "nproc",
	                    s->nproc ? s->nproc : TH_SANDBOX_NPROC, err,
	                    errlen)) ||
	    (rc = set_limit(RLIMIT_NOFILE, "nofile",
	                    s->nofile ? s->nofile : TH_SANDBOX_NOFILE, err,
	                    errlen)) ||
	    (s->memory_max &&
	     (rc = set_limit(RLIMIT_AS, "as", s->memory_max, err, errlen))) ||
	    (s->fsize &&
	     (rc = set_limit(RLIMIT_FSIZE, "fsize", s->fsize, err, errlen))) ||
	    (rc = set_limit(RLIMIT_MEMLOCK, "memlock", 0, err, errlen)) ||
	    (rc = set_limit(RLIMIT_MSGQUEUE, "msgqueue", 0, err, errlen)))
		return rc;
	/* a file past RLIMIT_FSIZE: EFBIG for the writer, not a death */
	signal(SIGXFSZ, SIG_IGN);
	return 0;
}

/*
 * RLIMIT_AS counts reserved address space: with glibc's defaults (8 MiB
 * per thread stack, a 64 MiB heap per malloc arena) the IPC library's
 * threads alone would take most of a 256 MiB limit before the plugin
 * allocates anything. Smaller defaults, set before any thread starts.
 */
static int frugal_defaults(char *err, size_t errlen)
{
	pthread_attr_t attr;
	int rc;

	pthread_attr_init(&attr);
	rc = pthread_attr_setstacksize(&attr, 1u << 20);
	if (rc == 0)
		rc = pthread_setattr_default_np(&attr);
	pthread_attr_destroy(&attr);
	if (rc)
		return fail(err, errlen, rc, "default thread stack size");
	mallopt(M_ARENA_MAX, 2);
	return 0;
}

/* --- the monitor and the namespace's init ------------------------------ */

static const int forwarded[] = {SIGTERM, SIGINT,  SIGHUP,
                                SIGQUIT, SIGUSR1, SIGUSR2};
static volatile pid_t forward_to;

static void forward(int sig)
{
	int e = errno;

	if (forward_to > 0)
		kill(forward_to, sig);
	errno = e;
}

static void forward_signals(pid_t to)
{
	struct sigaction sa = {.sa_handler = forward};

	forward_to = to;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* Ends this process the way `status` says its task ended. */
static void mirror(int status) __attribute__((noreturn));
static void mirror(int status)
{
	sigset_t one;
	int sig;

	if (WIFEXITED(status))
		_exit(WEXITSTATUS(status));
	sig = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	kill(getpid(), sig);
	_exit(128 + sig);
}

/*
 * The process sluiced started, from the fork on: forwards signals to the
 * namespace's init, which passes them on to the task, reads the task's
 * wait status from the init, and ends the same way.
 */
static void monitor(pid_t init, int status_fd) __attribute__((noreturn));
static void monitor(pid_t init, int status_fd)
{
	char err[256];
	int status = 0, init_status = 0;
	ssize_t n;

	forward_signals(init);
	if (drop_caps(err, sizeof(err)) ||
	    th_sandbox_seccomp_monitor(err, sizeof(err))) {
		fprintf(stderr, "TH-SANDBOX-FAILED monitor: %s\n", err);
		kill(init, SIGKILL);
		_exit(100);
	}
	do
		n = read(status_fd, &status, sizeof(status));
	while (n == -1 && errno == EINTR);
	while (waitpid(init, &init_status, __WALL) == -1 && errno == EINTR)
		;
	/* no status: the init itself was killed (with everything in it) */
	mirror(n == (ssize_t)sizeof(status) ? status : init_status);
}

/*
 * pid 1 of the task's namespace: the task is its child, so that it reaps
 * it, and anything the task orphans, whatever happens to the monitor
 * (a dying init takes its whole namespace with it, and waits until it
 * is all reaped). Passes the task's wait status to the monitor.
 */
static void namespace_init(pid_t task, int status_fd) __attribute__((noreturn));
static void namespace_init(pid_t task, int status_fd)
{
	char err[256];
	int status;
	pid_t pid;

	forward_signals(task);
	syscall(SYS_close_range, 0, status_fd - 1, 0);
	syscall(SYS_close_range, status_fd + 1, ~0U, 0);
	if (drop_caps(err, sizeof(err)) ||
	    th_sandbox_seccomp_monitor(err, sizeof(err))) {
		kill(task, SIGKILL);
		_exit(100);
	}
	for (;;) {
		pid = waitpid(-1, &status, __WALL);
		if (pid == task)
			break;
		if (pid == -1 && errno == ECHILD)
			_exit(0); /* cannot happen: the task is ours */
	}
	if (write(status_fd, &status, sizeof(status)) != sizeof(status))
		_exit(100);
	_exit(0);
}

/* --- the task ---------------------------------------------------------- */

static int setup_task(struct th_sandbox_spec *s,
                      const struct th_sandbox_net *net, int abi, char *err,
                      size_t errlen)
{
	static const char hostname[] = "sluice-task";
	int rc;

	if ((rc = th_sandbox_mount_root(s, net, err, errlen)))
		return rc;
	if (sethostname(hostname, sizeof(hostname) - 1) == -1)
		return fail(err, errlen, errno, "sethostname");
	if ((rc = set_limits(s, err, errlen)) ||
	    (rc = frugal_defaults(err, errlen)))
		return rc;
	if ((rc = drop_caps(err, errlen)))
		return rc;
	/* a changed credential may have made us dumpable again */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return fail(err, errlen, errno, "dumpable");
	if (abi == 0) {
		fprintf(stderr, "TH-SANDBOX-NO-LANDLOCK the kernel has no "
		                "Landlock: the file system is confined by the "
		                "mount namespace alone\n");
		return 0;
	}
	return th_sandbox_landlock(s, net, abi, err, errlen);
}

static int linux_enter(struct th_sandbox_spec *s, char *err, size_t errlen)
{
	static struct th_sandbox_net net;
	int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
	            CLONE_NEWCGROUP;
	pid_t self = getpid(), init, task;
	int abi, rc, self_fd, status_pipe[2];

	if ((rc = join_cgroups(s, err, errlen)))
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return fail(err, errlen, errno, "no_new_privs");
	if ((rc = set_limit(RLIMIT_CORE, "core", 0, err, errlen)))
		return rc;
	if ((rc = resolve_grants(s, &net, err, errlen)))
		return rc;
	abi = th_sandbox_landlock_abi();
	if (!net.isolated && abi < 4) {
		snprintf(err, errlen,
		         "network grants need Landlock ABI 4 (Linux 6.7) to "
		         "limit connections to the granted ports; this kernel "
		         "has ABI %d",
		         abi);
		return -EOPNOTSUPP;
	}
	/* not dumpable: no ptrace and no /proc/<pid>/mem for anyone but
	 * root outside; only after the maps are written, since /proc/self
	 * of a non-dumpable process belongs to root */
	if ((rc = enter_userns(err, errlen)))
		return rc;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return fail(err, errlen, errno, "dumpable");
	if (net.isolated)
		flags |= CLONE_NEWNET;
	if (unshare(flags) == -1)
		return fail(err, errlen, errno, "unshare of the namespaces");
	if (pipe2(status_pipe, O_CLOEXEC) == -1)
		return fail(err, errlen, errno, "pipe");
	self_fd = pidfd_open(self, 0);
	if (self_fd == -1) {
		rc = fail(err, errlen, errno, "pidfd_open");
		goto out_close_pipe;
	}
	init = fork();
	if (init == -1) {
		rc = fail(err, errlen, errno, "fork of the namespace's init");
		close(self_fd);
		goto out_close_pipe;
	}
	if (init > 0) {
		close(status_pipe[1]);
		close(self_fd);
		monitor(init, status_pipe[0]);
	}
	/* pid 1 of the new namespace */
	close(status_pipe[0]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* the monitor died before PDEATHSIG was set: nobody needs us */
	if (poll(&(struct pollfd){self_fd, POLLIN, 0}, 1, 0) != 0)
		_exit(111);
	close(self_fd);
	task = fork();
	if (task == -1) {
		fprintf(stderr, "TH-SANDBOX-FAILED fork of the task: %s\n",
		        strerror(errno));
		_exit(100);
	}
	if (task > 0)
		namespace_init(task, status_pipe[1]);
	/* pid 2: the task */
	close(status_pipe[1]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	s->spawned_pid = self;
	return setup_task(s, &net, abi, err, errlen);
out_close_pipe:
	close(status_pipe[0]);
	close(status_pipe[1]);
	return rc;
}

static int linux_lock(const struct th_sandbox_spec *s, char *err, size_t errlen)
{
	return th_sandbox_seccomp_task(s, err, errlen);
}

const struct th_sandbox_ops th_sandbox_linux_ops = {
    .name = "default",
    .enter = linux_enter,
    .lock = linux_lock,
};
