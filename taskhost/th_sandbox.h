/*
 * th_sandbox.h: puts the taskhost in its sandbox before any plugin code
 * runs.
 *
 * Two implementations, chosen at run time by name: "default"
 * (th_sandbox_linux.c) and "none" (th_sandbox_null.c, for debugging and
 * for ASan/valgrind runs; it logs loudly that nothing is confined). A
 * sandbox that cannot be set up is an error: the taskhost reports it and
 * exits, it never carries on unconfined.
 *
 * th_sandbox_enter() runs first thing in main(), while the process has a
 * single thread (user namespaces and Landlock need that), before the IPC
 * library starts its threads. th_sandbox_lock() runs after the IPC channel
 * is connected and before the plugin is loaded; it installs what applies
 * to every thread (seccomp with TSYNC).
 */
#ifndef SLUICE_TH_SANDBOX_H
#define SLUICE_TH_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

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
	uint64_t memory_max; /* bytes of address space; 0: no limit */
	uint64_t nofile;     /* open files; 0: default */
	uint64_t nproc;      /* processes/threads; 0: default */
	uint64_t fsize;      /* largest file written; 0: no limit */
};

struct th_sandbox_ops {
	const char *name;
	int (*enter)(const struct th_sandbox_spec *s, char *err, size_t errlen);
	int (*lock)(const struct th_sandbox_spec *s, char *err, size_t errlen);
};

extern const struct th_sandbox_ops th_sandbox_linux_ops;
extern const struct th_sandbox_ops th_sandbox_null_ops;

/* The implementation called `mode`, or NULL. */
const struct th_sandbox_ops *th_sandbox_find(const char *mode);

#endif /* SLUICE_TH_SANDBOX_H */
