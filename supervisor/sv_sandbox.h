/*
 * sv_sandbox.h: what a connector's taskhosts are granted, as taskhost
 * arguments, and the supervisor's side of the sandbox (topics.allowed, the
 * IPC peer check, the status note).
 *
 * Grants come from the connector's own config (the one a user wrote),
 * never from a task config, which the connector's plugin code produced: a
 * connector could otherwise grant its tasks any path. They are:
 *
 *	option flags     the value of each plugin option flagged path_read,
 *	                 path_write or hostport (a list of host:port)
 *	sandbox.fs.read  more paths to read (comma-separated)
 *	sandbox.fs.write more paths to write (and create)
 *	sandbox.network  none (the default: no network at all) or a list of
 *	                 host:port the tasks may connect to by TCP; none also
 *	                 drops the hostport options' grants
 *	sandbox.memory.max  address space (RLIMIT_AS), default 256MiB; the
 *	                 cgroup's memory limit adds the task directory's size
 *	                 and 32 MiB for the kernel's share
 *	sandbox.pids.max processes and threads, default 128 (RLIMIT_NPROC and
 *	                 the cgroup's pids.max)
 *	sandbox.cpu.max  CPUs (a decimal number, e.g. 0.5, or "max"), default
 *	                 1 (cgroup only)
 *	sandbox.nofile   open files, default 1024
 *	sandbox.fs.task.size  size of the task directory (a tmpfs), default
 *	                 64MiB
 *	sandbox.fs.file.max   largest file written (RLIMIT_FSIZE), default
 *	                 1GiB
 *
 * Sizes take a K, M, G or T suffix (also KiB, MiB, ...: powers of 1024).
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_SANDBOX_H
#define SLUICE_SV_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sv_plugins.h"

struct sv_sandbox;

/*
 * The grants and limits of one taskhost process of connector `conn`
 * (task >= 0 for a task, -1 for the connector instance; validate: a
 * validation run), with `plugin`'s option flags and the connector config
 * `config` (borrowed). With mode "none" there are none; a validation
 * run gets the limits but no grant (it checks a config, it does not use
 * it). `shared` bytes of memory shared with sluiced (a source task's
 * batch region) are added to the memory limits. Makes or reuses the
 * unit's cgroup leaf (sv_cgroup.h); where there is no cgroup it logs
 * why once (SV-CGROUP-NONE) and goes on with rlimits only. Returns NULL
 * with err set on a bad sandbox.* value or a cgroup that could not be
 * set up. Free with sv_sandbox_free().
 */
struct sv_sandbox *sv_sandbox_new(const struct sv_plugin *plugin,
                                  json_t *config, const char *conn, int task,
                                  bool validate, uint64_t shared,
                                  const char *mode, char *err, size_t errlen);
void sv_sandbox_free(struct sv_sandbox *sb);

/*
 * Appends the taskhost arguments (--read, --write, --connect-to,
 * --memory-max, --pids-max, --nofile, --fsize, --task-size, --cgroup) to
 * argv from argv[argc], leaving room for the terminating NULL within max
 * entries. Returns the new argc, or -E2BIG if they do not fit. The strings
 * belong to sb: keep it until the process is started.
 */
int sv_sandbox_argv(const struct sv_sandbox *sb, char **argv, int argc,
                    int max);

/*
 * Checks the sandbox.* keys and topics.allowed of a connector config (for
 * config validation). 0, or -EINVAL with err saying why and *key (if key
 * is not NULL) set to the key at fault.
 */
int sv_sandbox_check(json_t *config, const char **key, char *err,
                     size_t errlen);

/*
 * topics.allowed (a PCRE2 regex the whole topic name must match), for
 * source connectors: 0 if config has none or topic matches, -EPERM with
 * err saying so if not, -EINVAL if the regex does not compile. Compiled
 * regexes are cached by pattern.
 */
int sv_sandbox_topic_check(json_t *config, const char *topic, size_t n,
                           char *err, size_t errlen);

/*
 * Whether the IPC peer `peer` (NNG_OPT_IPC_PEER_PID) may speak for the
 * process sluiced spawned: it is that process, or its grandchild (a
 * sandboxed task runs as pid 2 of a pid namespace of its own, the child of
 * that namespace's init, which is the child of the small monitor sluiced
 * spawned: see taskhost/th_sandbox_linux.c).
 */
bool sv_sandbox_peer_ok(pid_t spawned, uint64_t peer);

/*
 * The process sluiced spawned (`spawned`) was reaped and its process group
 * killed: waits (2 s at most) until the sandboxed task that was its IPC
 * peer has exited too. The monitor dies first when the group is killed,
 * and the task may still be writing to its channel: nng 1.5's nng_close()
 * can hang on a pipe whose peer floods it, so close the channel only
 * after this. Does nothing for a process whose peer was itself.
 */
void sv_sandbox_reaped(pid_t spawned);

/*
 * What a status should say about the sandbox of this worker: "none:
 * tasks run UNCONFINED" for mode none, the cgroup note when there is no
 * cgroup, or NULL when every part is in place.
 */
const char *sv_sandbox_note(const char *mode);

#endif /* SLUICE_SV_SANDBOX_H */
