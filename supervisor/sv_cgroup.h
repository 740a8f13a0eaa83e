/*
 * sv_cgroup.h: a cgroup leaf per unit, with memory, process and CPU
 * limits for its taskhost.
 *
 * Where sluiced may create cgroups, each unit gets a leaf below a
 * directory of this sluiced process, "sluiced-<pid>", next to where
 * sluiced itself lives (/proc/self/cgroup):
 *
 * - cgroup v2, when a delegated subtree is writable and has the memory
 *   and pids controllers (cpu too, if delegated): memory.max, pids.max,
 *   cpu.max. If sluiced's own cgroup has processes, sluiced first moves
 *   itself into a leaf "sluiced-<pid>/supervisor" of its own (cgroup v2
 *   allows controllers for children only in a cgroup without processes).
 * - otherwise cgroup v1, when the memory and pids hierarchies are
 *   writable: memory.limit_in_bytes, pids.max, and cpu.cfs_quota_us and
 *   cpu.cfs_period_us where the cpu hierarchy is writable too.
 * - otherwise none: sv_cgroup_leaf() returns -ENOTSUP and
 *   sv_cgroup_note() says why; the taskhost's rlimits still apply.
 *
 * The taskhost joins its leaf itself, first thing, before it forks
 * anything (it is given the directories with --cgroup): a move made by
 * sluiced after the fork could miss the children the taskhost already
 * started. A leaf is kept while sluiced runs and reused by the unit's
 * later processes (the limits are written again each time); sluiced
 * removes its leaves when it exits (atexit), and the leaves of a sluiced
 * that was killed the next time one starts.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_CGROUP_H
#define SLUICE_SV_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct sv_cgroup_limits {
	uint64_t memory_max;    /* bytes; 0: no limit */
	uint64_t pids_max;      /* processes and threads; 0: no limit */
	uint64_t cpu_quota_us;  /* per period; 0: no limit */
	uint64_t cpu_period_us; /* 0: 100000 */
};

/* The most directories a leaf has (one per v1 hierarchy). */
#define SV_CGROUP_DIRS_MAX 3

/*
 * The leaf called `name` (a unit label: letters, digits, '.', '_' and '-';
 * anything else becomes '_'), created if needed, with `lim` written.
 * Returns 0 and its directories in dirs (owned by this module, valid
 * until sluiced exits), -ENOTSUP when this machine gives sluiced no
 * cgroup (sv_cgroup_note() says why), or another negative errno with err
 * set when the leaf could not be made or limited.
 */
int sv_cgroup_leaf(const char *name, const struct sv_cgroup_limits *lim,
                   const char *dirs[SV_CGROUP_DIRS_MAX], size_t *ndirs,
                   char *err, size_t errlen);

/* Removes the leaf called `name` if no process is left in it (a unit that
 * is deleted). Unknown names are fine. */
void sv_cgroup_forget(const char *name);

/* How many processes of the leaf `name` the kernel killed for want of
 * memory so far, or -1 if unknown (no leaf, no cgroup, an old kernel). */
int64_t sv_cgroup_oom_kills(const char *name);

/* "cgroup v2", "cgroup v1", or NULL before the first sv_cgroup_leaf(). */
const char *sv_cgroup_mode(void);

/* Why there is no cgroup (for logs and status), or NULL if there is one
 * (or if nothing asked yet). */
const char *sv_cgroup_note(void);

/*
 * For tests: looks for cgroups under `root` (a directory that stands for
 * /sys/fs/cgroup: it holds "unified" or "memory", "pids", "cpu"), with
 * `self` as the text of /proc/self/cgroup and `pid` as sluiced's pid,
 * instead of the machine's. Call before anything else.
 */
void sv_cgroup_set_root(const char *root, const char *self, int pid);

#endif /* SLUICE_SV_CGROUP_H */
