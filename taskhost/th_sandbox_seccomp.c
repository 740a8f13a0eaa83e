/*
 * th_sandbox_seccomp.c: the task's seccomp filters. See
 * th_sandbox_impl.h.
 *
 * Two filters, both loaded on every thread at once (TSYNC); for each call
 * the kernel takes the strictest answer of the two:
 *
 * - The allow-list: what nng's threads, glibc, the converters and a
 *   plugin's legitimate work need (files, sockets on existing descriptors,
 *   memory, time, threads). Anything not on it kills the process
 *   (SIGSYS). The calls an escape would be made of (ptrace, mount,
 *   unshare, setns, execve, setuid, ...) are refused by name instead: the
 *   SIGSYS handler says which call it was, the task reports it to sluiced
 *   as its failure, then dies of SIGSYS all the same. A few calls that
 *   libraries probe and cope without (io_uring, clone3, memfd) fail with
 *   an errno.
 * - The argument checks, which libseccomp cannot mix into the first
 *   filter (an unconditional rule there wins over conditional ones): no
 *   mapping both writable and executable, no clone into a new namespace,
 *   no TIOCSTI, no new SIGSYS handler, and socket() only for AF_UNIX and
 *   TCP over AF_INET/AF_INET6 (others fail with EAFNOSUPPORT or EACCES:
 *   glibc's resolver probes netlink and UDP and copes).
 *
 * Both check the architecture; a foreign one (i386 int 0x80, x32) kills.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/sched.h>
#include <netinet/in.h>
#include <seccomp.h>

#include "th_sandbox_impl.h"

/* What the task may call. */
static const char *const allowed[] = {
    /* files and descriptors */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "lseek",
    "close",
    "close_range",
    "open",
    "openat",
    "openat2",
    "creat",
    "stat",
    "fstat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents",
    "getdents64",
    "fcntl",
    "dup",
    "dup2",
    "dup3",
    "pipe",
    "pipe2",
    "fsync",
    "fdatasync",
    "sync_file_range",
    "ftruncate",
    "truncate",
    "fallocate",
    "flock",
    "mkdir",
    "mkdirat",
    "rmdir",
    "unlink",
    "unlinkat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "utime",
    "utimes",
    "utimensat",
    "futimesat",
    "getcwd",
    "chdir",
    "fchdir",
    "umask",
    "fadvise64",
    "readahead",
    "sendfile",
    "splice",
    "tee",
    "copy_file_range",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "inotify_init",
    "inotify_init1",
    "inotify_add_watch",
    "inotify_rm_watch",
    "ioctl",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_create",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd",
    "eventfd2",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd",
    "signalfd4",
    /* sockets (socket() itself is checked by the second filter) */
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "getsockname",
    "getpeername",
    "getsockopt",
    "setsockopt",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "shutdown",
    /* memory (mmap/mprotect: no W+X, second filter) */
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    "brk",
    "msync",
    "mincore",
    "mlock",
    "mlock2",
    "munlock",
    "mlockall",
    "munlockall",
    "membarrier",
    "get_mempolicy",
    /* threads, processes, signals */
    "clone",
    "fork",
    "vfork",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "futex",
    "futex_waitv",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "arch_prctl",
    "prctl",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigsuspend",
    "sigaltstack",
    "pause",
    "kill",
    "tgkill",
    "tkill",
    "restart_syscall",
    "getpid",
    "gettid",
    "getppid",
    "getpgrp",
    "getpgid",
    "getsid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getgroups",
    "getresuid",
    "getresgid",
    "capget",
    "sched_yield",
    "sched_getaffinity",
    "sched_setaffinity",
    "sched_getparam",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_getattr",
    "getpriority",
    "setpriority",
    "getrlimit",
    "setrlimit",
    "prlimit64",
    "getrusage",
    "getcpu",
    "ioprio_get",
    "seccomp",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    /* time */
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "gettimeofday",
    "time",
    "nanosleep",
    "times",
    "alarm",
    "setitimer",
    "getitimer",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    /* misc */
    "getrandom",
    "uname",
    "sysinfo",
    /* System V IPC: the task's own namespace */
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    NULL,
};

/* Refused with a message that names them, then death by SIGSYS: what an
 * escape or an attack on the host would be made of. */
static const char *const refused[] = {
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "pidfd_getfd",
    "kcmp",
    "execve",
    "execveat",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
    "capset",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "sethostname",
    "setdomainname",
    "iopl",
    "ioperm",
    "quotactl",
    "fanotify_init",
    "pkey_mprotect",
    NULL,
};

/* Refused with an errno: libraries probe these, or call them where they
 * are harmless to refuse (chown as uid 0), and do without. */
static const struct {
	const char *name;
	int err;
} errnos[] = {
    {"clone3", ENOSYS}, /* glibc falls back to clone(), which we check */
    {"io_uring_setup", ENOSYS},
    {"io_uring_enter", ENOSYS},
    {"io_uring_register", ENOSYS},
    {"memfd_create", EPERM}, /* writable + executable through two maps */
    {"memfd_secret", EPERM},
    {"keyctl", ENOSYS}, /* the kernel keyrings of sluiced's user */
    {"add_key", ENOSYS},
    {"request_key", ENOSYS},
    {"pidfd_open", ENOSYS},
    {"pidfd_send_signal", ENOSYS},
    {"pkey_alloc", ENOSYS},
    {"pkey_free", ENOSYS},
    {"chown", EPERM},
    {"fchown", EPERM},
    {"lchown", EPERM},
    {"fchownat", EPERM},
    {"setxattr", EPERM},
    {"lsetxattr", EPERM},
    {"fsetxattr", EPERM},
    {"removexattr", EPERM},
    {"lremovexattr", EPERM},
    {"fremovexattr", EPERM},
    {"mknod", EPERM},
    {"mknodat", EPERM},
    {"setsid", EPERM}, /* the task stays in sluiced's process group */
    {"setpgid", EPERM},
    {"personality", EPERM},
    {"process_madvise", EPERM},
    {"set_mempolicy", EPERM},
    {"mbind", EPERM},
    {"migrate_pages", EPERM},
    {"move_pages", EPERM},
    {"syslog", EPERM},
    {"vhangup", EPERM},
    {"adjtimex", EPERM},
    {"ioprio_set", EPERM},
    {"sched_setparam", EPERM},
    {"sched_setscheduler", EPERM},
    {"sched_setattr", EPERM},
    {"mq_open", ENOSYS},
    {NULL, 0},
};

/* What the second filter traps, as the handler words it. */
static const struct {
	const char *name;
	const char *why;
} arg_traps[] = {
    {"mmap", "mmap of memory both writable and executable"},
    {"mprotect", "mprotect to memory both writable and executable"},
    {"clone", "clone into a new namespace"},
    {"ioctl", "ioctl TIOCSTI or TIOCLINUX (faking terminal input)"},
    {"rt_sigaction", "rt_sigaction on SIGSYS"},
};

/* --- naming a refused call ----------------------------------------- */

#define NAMES_MAX 160

struct call_name {
	int nr;
	const char *name;
};

static struct call_name names[NAMES_MAX];
static size_t nnames;
static char report_line[256];
static atomic_int reported;
static sem_t report_sem;
static void (*report_fn)(const char *msg);

/* Async-signal-safe string building. */
static size_t put(char *buf, size_t at, const char *s)
{
	while (*s && at + 1 < sizeof(report_line))
		buf[at++] = *s++;
	buf[at] = '\0';
	return at;
}

static size_t put_num(char *buf, size_t at, long v)
{
	char tmp[24];
	size_t n = 0;

	if (v < 0) {
		at = put(buf, at, "-");
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	while (n && at + 1 < sizeof(report_line))
		buf[at++] = tmp[--n];
	buf[at] = '\0';
	return at;
}

/* A call no list names: the allow-list's default, death by SIGSYS. It
 * must stay off every list. */
static void die_of_sigsys(void)
{
	syscall(SYS_afs_syscall);
	_exit(128 + SIGSYS); /* unreachable under the filter */
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	static const char prefix[] = "TH-SANDBOX-VIOLATION ";
	struct timespec ts = {0, 100 * 1000 * 1000};
	const char *what = NULL;
	size_t at;

	(void)sig;
	(void)uc;
	if (atomic_exchange(&reported, 1)) {
		/* another thread is reporting (glibc's setuid() makes every
		 * thread call it): this call failed (ENOSYS, it did not run);
		 * let this thread go on, it may be one the report needs (the
		 * IPC library's), until the reporter ends the process */
		return;
	}
	for (size_t i = 0; i < nnames; i++)
		if (names[i].nr == si->si_syscall)
			what = names[i].name;
	at = put(report_line, 0,
	         "sandbox violation: the seccomp filter refused ");
	at = put(report_line, at, what ? what : "a system call");
	at = put(report_line, at, " (system call ");
	at = put_num(report_line, at, si->si_syscall);
	put(report_line, at, ")");
	/* stderr reaches sluiced's log; a failed write changes nothing */
	if (write(2, prefix, sizeof(prefix) - 1) > 0 &&
	    write(2, report_line, strlen(report_line)) > 0)
		at = (size_t)write(2, "\n", 1);
	sem_post(&report_sem);
	/* the reporter sends the line and ends the process; should it not,
	 * end it anyway */
	for (int i = 0; i < 50; i++)
		nanosleep(&ts, NULL);
	die_of_sigsys();
}

static void *reporter(void *arg)
{
	struct timespec ts = {2, 0};
	uint64_t all = ~0ull;

	(void)arg;
	/* every signal blocked, glibc's internal ones too (the raw call:
	 * pthread_sigmask keeps those open): a setuid() of the plugin makes
	 * glibc run the call on every thread from a signal, and this
	 * thread must stay free to report it */
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, sizeof(all));
	while (sem_wait(&report_sem) == -1 && errno == EINTR)
		;
	if (report_fn)
		report_fn(report_line);
	/* let the channel carry it out: sluiced closes the channel once it
	 * has the FAILED, which ends the process at once (th_ipc.h) */
	nanosleep(&ts, NULL);
	die_of_sigsys();
	return NULL;
}

static void name_add(int nr, const char *name)
{
	if (nr >= 0 && nnames < NAMES_MAX)
		names[nnames++] = (struct call_name){nr, name};
}

static int start_reporter(const struct th_sandbox_spec *s, char *err,
                          size_t errlen)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
	                       .sa_flags = SA_SIGINFO | SA_NODEFER};
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	report_fn = s->report;
	if (sem_init(&report_sem, 0, 0) == -1) {
		snprintf(err, errlen, "sem_init: %s", strerror(errno));
		return -errno;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	rc = pthread_create(&t, &attr, reporter, NULL);
	pthread_attr_destroy(&attr);
	if (rc) {
		snprintf(err, errlen, "reporter thread: %s", strerror(rc));
		return -rc;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1) {
		snprintf(err, errlen, "sigaction SIGSYS: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* --- the filters ------------------------------------------------------- */

static int rule(scmp_filter_ctx f, uint32_t action, const char *name,
                unsigned n, const struct scmp_arg_cmp *cmp, char *err,
                size_t errlen)
{
	int nr = seccomp_syscall_resolve_name(name), rc;

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	rc = seccomp_rule_add_array(f, action, nr, n, cmp);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp rule for %s: %s", name,
		         strerror(-rc));
		return rc;
	}
	return 0;
}

static scmp_filter_ctx new_filter(uint32_t dflt, char *err, size_t errlen)
{
	scmp_filter_ctx f = seccomp_init(dflt);

	if (!f) {
		snprintf(err, errlen, "seccomp_init failed");
		return NULL;
	}
	if (seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH,
	                     SCMP_ACT_KILL_PROCESS) ||
	    seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1)) {
		snprintf(err, errlen, "seccomp attributes");
		seccomp_release(f);
		return NULL;
	}
	return f;
}

static int load(scmp_filter_ctx f, const char *which, char *err, size_t errlen)
{
	int rc = seccomp_load(f);

	if (rc < 0)
		snprintf(err, errlen, "loading the %s filter: %s", which,
		         strerror(-rc));
	return rc;
}

static int allow_list(char *err, size_t errlen)
{
	scmp_filter_ctx f = new_filter(SCMP_ACT_KILL_PROCESS, err, errlen);
	int rc = -EINVAL;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; allowed[i]; i++)
		if ((rc = rule(f, SCMP_ACT_ALLOW, allowed[i], 0, NULL, err,
		               errlen)))
			goto out;
	for (size_t i = 0; refused[i]; i++) {
		if ((rc = rule(f, SCMP_ACT_TRAP, refused[i], 0, NULL, err,
		               errlen)))
			goto out;
		name_add(seccomp_syscall_resolve_name(refused[i]), refused[i]);
	}
	for (size_t i = 0; errnos[i].name; i++)
		if ((rc = rule(f, SCMP_ACT_ERRNO(errnos[i].err), errnos[i].name,
		               0, NULL, err, errlen)))
			goto out;
	rc = load(f, "allow-list", err, errlen);
out:
	seccomp_release(f);
	return rc;
}

/* Adds `action` for socket(domain == d) with type & 0xf == t (t < 0: any)
 * and protocol == p (p < 0: any). */
static int sock_rule(scmp_filter_ctx f, uint32_t action, long d, long t, long p,
                     char *err, size_t errlen)
{
	struct scmp_arg_cmp c[3];
	unsigned n = 0;

	c[n++] = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)d);
	if (t >= 0)
		c[n++] = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)t);
	if (p >= 0)
		c[n++] = SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)p);
	return rule(f, action, "socket", n, c, err, errlen);
}

/*
 * socket(): AF_UNIX, and SOCK_STREAM with protocol 0 or IPPROTO_TCP over
 * AF_INET and AF_INET6 (Landlock then limits the ports). Every other
 * family fails with EAFNOSUPPORT, every other type or protocol of
 * AF_INET/AF_INET6 (UDP, raw, SCTP, MPTCP) with EACCES.
 */
static int socket_rules(scmp_filter_ctx f, char *err, size_t errlen)
{
	static const long inet[] = {AF_INET, AF_INET6};
	uint32_t noaf = SCMP_ACT_ERRNO(EAFNOSUPPORT);
	uint32_t deny = SCMP_ACT_ERRNO(EACCES);
	struct scmp_arg_cmp c;
	int rc;

	/* families: 0, 3..9 and above 10 (4..7 and 8..9 by masks) */
	if ((rc = sock_rule(f, noaf, AF_UNSPEC, -1, -1, err, errlen)) ||
	    (rc = sock_rule(f, noaf, 3, -1, -1, err, errlen)))
		return rc;
	c = SCMP_A0(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)3, 4);
	if ((rc = rule(f, noaf, "socket", 1, &c, err, errlen)))
		return rc;
	c = SCMP_A0(SCMP_CMP_MASKED_EQ, ~(scmp_datum_t)1, 8);
	if ((rc = rule(f, noaf, "socket", 1, &c, err, errlen)))
		return rc;
	c = SCMP_A0(SCMP_CMP_GT, AF_INET6);
	if ((rc = rule(f, noaf, "socket", 1, &c, err, errlen)))
		return rc;
	for (size_t i = 0; i < 2; i++) {
		for (long t = 0; t < 16; t++)
			if (t != SOCK_STREAM &&
			    (rc = sock_rule(f, deny, inet[i], t, -1, err,
			                    errlen)))
				return rc;
		/* protocols other than 0 and 6 (TCP): 1, 2..3, 4..5, > 6 */
		for (long p = 1; p <= 5; p++)
			if ((rc = sock_rule(f, deny, inet[i], SOCK_STREAM, p,
			                    err, errlen)))
				return rc;
		{
			struct scmp_arg_cmp g[3] = {
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)inet[i]),
			    SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_STREAM),
			    SCMP_A2(SCMP_CMP_GT, IPPROTO_TCP),
			};

			if ((rc = rule(f, deny, "socket", 3, g, err, errlen)))
				return rc;
		}
	}
	/* socketpair: AF_UNIX only */
	c = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
	return rule(f, noaf, "socketpair", 1, &c, err, errlen);
}

static int arg_checks(char *err, size_t errlen)
{
	static const uint64_t ns_flags[] = {
	    CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,    CLONE_NEWUSER,
	    CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
	};
	const scmp_datum_t wx = PROT_WRITE | PROT_EXEC;
	scmp_filter_ctx f = new_filter(SCMP_ACT_ALLOW, err, errlen);
	struct scmp_arg_cmp c;
	int rc;

	if (!f)
		return -ENOMEM;
	c = SCMP_A2(SCMP_CMP_MASKED_EQ, wx, wx);
	if ((rc = rule(f, SCMP_ACT_TRAP, "mmap", 1, &c, err, errlen)) ||
	    (rc = rule(f, SCMP_ACT_TRAP, "mprotect", 1, &c, err, errlen)))
		goto out;
	for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
		c = SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]);
		if ((rc = rule(f, SCMP_ACT_TRAP, "clone", 1, &c, err, errlen)))
			goto out;
	}
	/* the kernel takes the low 32 bits of these: so does the check */
	c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
	if ((rc = rule(f, SCMP_ACT_TRAP, "ioctl", 1, &c, err, errlen)))
		goto out;
	c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
	if ((rc = rule(f, SCMP_ACT_TRAP, "ioctl", 1, &c, err, errlen)))
		goto out;
	c = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, SIGSYS);
	if ((rc = rule(f, SCMP_ACT_TRAP, "rt_sigaction", 1, &c, err, errlen)) ||
	    (rc = socket_rules(f, err, errlen)))
		goto out;
	for (size_t i = 0; i < sizeof(arg_traps) / sizeof(arg_traps[0]); i++)
		name_add(seccomp_syscall_resolve_name(arg_traps[i].name),
		         arg_traps[i].why);
	rc = load(f, "argument", err, errlen);
out:
	seccomp_release(f);
	return rc;
}

int th_sandbox_seccomp_task(const struct th_sandbox_spec *s, char *err,
                            size_t errlen)
{
	int rc;

	nnames = 0;
	if ((rc = start_reporter(s, err, errlen)) ||
	    (rc = arg_checks(err, errlen)) || (rc = allow_list(err, errlen)))
		return rc;
	return 0;
}

int th_sandbox_seccomp_monitor(char *err, size_t errlen)
{
	static const char *const monitor_calls[] = {
	    "wait4",
	    "waitid",
	    "kill",
	    "tgkill",
	    "getpid",
	    "gettid",
	    "read",
	    "rt_sigaction",
	    "rt_sigprocmask",
	    "rt_sigreturn",
	    "rt_sigtimedwait",
	    "restart_syscall",
	    "write",
	    "close",
	    "exit",
	    "exit_group",
	    NULL,
	};
	scmp_filter_ctx f = new_filter(SCMP_ACT_KILL_PROCESS, err, errlen);
	int rc = 0;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; monitor_calls[i] && rc == 0; i++)
		rc = rule(f, SCMP_ACT_ALLOW, monitor_calls[i], 0, NULL, err,
		          errlen);
	if (rc == 0)
		rc = load(f, "monitor", err, errlen);
	seccomp_release(f);
	return rc;
}
