/*
 * sv_spawn.h: starts a child program with fork+exec, safely for a
 * threaded parent (librdkafka and nng run threads in sluiced).
 *
 * Between fork and exec the child only makes system calls: a new session
 * (so its whole process group can be signalled), PR_SET_PDEATHSIG=SIGKILL
 * (it dies with sluiced), stdin from /dev/null, stdout and stderr to the
 * given descriptors, every other descriptor closed, and an empty
 * environment. Call from the event loop thread only: the death signal
 * follows the thread that forked, and that thread lives as long as
 * sluiced.
 */
#ifndef SLUICE_SV_SPAWN_H
#define SLUICE_SV_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Runs path with argv (NULL-terminated, argv[0] included). out_fd and
 * err_fd become the child's stdout and stderr (-1: /dev/null), fd3 (if
 * not -1) its descriptor 3; it has no other descriptor. On success
 * returns the pid and, if pidfd is not NULL, a pidfd for it (O_CLOEXEC).
 * On failure returns -1 with err set.
 */
pid_t sv_spawn(const char *path, char *const argv[], int out_fd, int err_fd,
               int fd3, int *pidfd, char *err, size_t errlen);

/*
 * Sends sig to the process group of pid, a child of sv_spawn that has not
 * been reaped yet, so that its own children get it too. A child that has
 * not reached its setsid() yet (a signal that follows the spawn closely)
 * has no group of its own: it gets the signal alone. 0, or -errno.
 */
int sv_spawn_kill(pid_t pid, int sig);

/*
 * Describes a wait status in words: "exited with status 3",
 * "killed by signal 9 (Killed)".
 */
void sv_spawn_describe_status(int status, char *buf, size_t len);

#endif /* SLUICE_SV_SPAWN_H */
