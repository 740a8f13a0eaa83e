/*
 * th_sandbox_impl.h: the parts of the default sandbox, shared by
 * th_sandbox_linux.c (namespaces, processes, capabilities, rlimits),
 * th_sandbox_mount.c (the minimal root), th_sandbox_landlock.c and
 * th_sandbox_seccomp.c. Not for the rest of the taskhost.
 */
#ifndef SLUICE_TH_SANDBOX_IMPL_H
#define SLUICE_TH_SANDBOX_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "th_sandbox.h"

/* Defaults where the command line says nothing. */
#define TH_SANDBOX_TASK_SIZE (64ull << 20) /* the task dir's tmpfs */
#define TH_SANDBOX_NPROC     128
#define TH_SANDBOX_NOFILE    1024

/* What the network grants resolved to, before the sandbox closed. */
struct th_sandbox_net {
	bool isolated; /* no grant: a network namespace of our own */
	uint16_t ports[TH_SANDBOX_PATHS_MAX];
	size_t nports;    /* distinct TCP ports that may be connected to */
	char hosts[4096]; /* /etc/hosts of the sandbox */
};

/*
 * Builds the sandbox's root and makes it the root: a read-only tmpfs with
 * the system library directories, the taskhost binary and the plugin
 * (read-only), the task directory (a fresh tmpfs of s->task_size bytes),
 * the IPC socket, the granted paths, /proc of the task's pid namespace,
 * /dev/null, /dev/urandom and a generated /etc (hosts, nsswitch.conf,
 * passwd, group). Runs in the task process, in its new user, mount and
 * pid namespaces, with every capability there. 0 or a negative errno
 * (-ENOENT: a granted path that does not exist).
 */
int th_sandbox_mount_root(const struct th_sandbox_spec *s,
                          const struct th_sandbox_net *net, char *err,
                          size_t errlen);

/*
 * The directories of system libraries the root holds (NULL-terminated),
 * for th_sandbox_landlock(). Only those that exist are bound.
 */
extern const char *const th_sandbox_lib_dirs[];

/* The Landlock ABI version of the running kernel, 0 if it has none. */
int th_sandbox_landlock_abi(void);

/*
 * Restricts the calling thread (and what it starts later) to the paths of
 * the sandbox's root with the rights each needs, TCP connect to the
 * granted ports only and no TCP bind (ABI 4), and no signal or abstract
 * Unix socket beyond the task (ABI 6). Runs after the root is in place.
 * 0 (also when the kernel has no Landlock: the caller decides), or a
 * negative errno with err set.
 */
int th_sandbox_landlock(const struct th_sandbox_spec *s,
                        const struct th_sandbox_net *net, int abi, char *err,
                        size_t errlen);

/*
 * The task's seccomp filters, loaded with TSYNC on every thread: an
 * allow-list that kills the process for anything else, and refusals that
 * name the call (SIGSYS handler, then death by SIGSYS) for the calls an
 * escape would need. Starts the thread that reports a refusal through
 * s->report. 0 or a negative errno with err set.
 */
int th_sandbox_seccomp_task(const struct th_sandbox_spec *s, char *err,
                            size_t errlen);

/*
 * The filter of the monitor and of the placeholder init: waiting,
 * signals, writing to stderr and exiting, nothing else.
 */
int th_sandbox_seccomp_monitor(char *err, size_t errlen);

#endif /* SLUICE_TH_SANDBOX_IMPL_H */
