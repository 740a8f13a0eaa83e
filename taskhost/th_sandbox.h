/*
 * th_sandbox.h: puts the taskhost in its sandbox before any plugin code
 * runs.
 *
 * Two implementations, chosen at run time by name: "default"
 * (th_sandbox_linux.c with th_sandbox_mount.c, th_sandbox_landlock.c and
 * th_sandbox_seccomp.c) and "none" (th_sandbox_null.c, for debugging and
 * for ASan/valgrind runs; it logs loudly that nothing is confined). A
 * sandbox that cannot be set up is an error: the taskhost reports it and
 * exits, it never carries on unconfined.
 *
 * th_sandbox_enter() runs first thing in main(), while the process has a
 * single thread (user namespaces and Landlock need that), before the IPC
 * library starts its threads. The default sandbox splits the process in
 * three there (see th_sandbox_linux.c): the process sluiced started stays
 * in sluiced's pid namespace as a small monitor, a placeholder init is pid
 * 1 of the task's new pid namespace, and enter() returns only in the
 * third, pid 2 of that namespace, which goes on to run the task. The two
 * others never return from enter(): the monitor exits with the task's
 * wait status (the same exit code or the same signal) when the task ends.
 *
 * th_sandbox_lock() runs after the IPC channel is connected and before the
 * plugin is loaded; it installs what applies to every thread (seccomp with
 * TSYNC).
 */
#ifndef SLUICE_TH_SANDBOX_H
#define SLUICE_TH_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TH_SANDBOX_PATHS_MAX 64

struct th_sandbox_spec {
	const char *mode;     /* "default" or "none" */
	const char *plugin;   /* the plugin's shared object: read-only */
	const char *task_dir; /* the one writable directory; may be NULL */
	const char *ipc_path; /* the IPC socket file; may be NULL */
	const char *read[TH_SANDBOX_PATHS_MAX]; /* extra read-only paths */
	size_t nread;
	const char *write[TH_SANDBOX_PATHS_MAX]; /* extra writable paths */
	size_t nwrite;
	/* host:port the task may connect to (--connect-to); none: the task
	 * gets a network namespace of its own, without any interface up */
	const char *connect[TH_SANDBOX_PATHS_MAX];
	size_t nconnect;
	/* cgroup directories to join before anything else (--cgroup) */
	const char *cgroup[4];
	size_t ncgroup;
	uint64_t memory_max; /* bytes of address space; 0: no limit */
	uint64_t nofile;     /* open files; 0: default */
	uint64_t nproc;      /* processes/threads; 0: default */
	uint64_t fsize;      /* largest file written; 0: no limit */
	uint64_t task_size;  /* bytes of the task dir (a tmpfs); 0: default */

	/* Set by enter(): the pid sluiced started (HELLO reports it, sluiced
	 * checks it); 0 when the process itself is that one. */
	pid_t spawned_pid;
	/*
	 * Called by lock()'s reporter thread when the seccomp filter refused
	 * a system call, with a line that names it, just before the process
	 * dies of SIGSYS: the task sends it to sluiced as its failure. May be
	 * NULL. Called from a thread of its own, once.
	 */
	void (*report)(const char *msg);
};

struct th_sandbox_ops {
	const char *name;
	/* 0, or a negative errno with err set. -ENOENT: a granted path that
	 * does not exist (yet), which a later restart may find. */
	int (*enter)(struct th_sandbox_spec *s, char *err, size_t errlen);
	int (*lock)(const struct th_sandbox_spec *s, char *err, size_t errlen);
};

extern const struct th_sandbox_ops th_sandbox_linux_ops;
extern const struct th_sandbox_ops th_sandbox_null_ops;

/* The implementation called `mode`, or NULL. */
const struct th_sandbox_ops *th_sandbox_find(const char *mode);

#endif /* SLUICE_TH_SANDBOX_H */
