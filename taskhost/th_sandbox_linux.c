/*
 * th_sandbox_linux.c: the default sandbox.
 *
 * enter(), single-threaded, before the IPC library starts: no new
 * privileges, not dumpable (no ptrace or /proc/<pid>/mem from siblings
 * running as the same user), no core files, and resource limits.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "th_sandbox.h"

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

static int linux_enter(const struct th_sandbox_spec *s, char *err,
                       size_t errlen)
{
	int rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1) {
		snprintf(err, errlen, "dumpable: %s", strerror(errno));
		return -errno;
	}
	if ((rc = set_limit(RLIMIT_CORE, "core", 0, err, errlen)))
		return rc;
	if (s->memory_max &&
	    (rc = set_limit(RLIMIT_AS, "as", s->memory_max, err, errlen)))
		return rc;
	if (s->nofile &&
	    (rc = set_limit(RLIMIT_NOFILE, "nofile", s->nofile, err, errlen)))
		return rc;
	if (s->fsize &&
	    (rc = set_limit(RLIMIT_FSIZE, "fsize", s->fsize, err, errlen)))
		return rc;
	return 0;
}

static int linux_lock(const struct th_sandbox_spec *s, char *err, size_t errlen)
{
	(void)s;
	(void)err;
	(void)errlen;
	return 0;
}

const struct th_sandbox_ops th_sandbox_linux_ops = {
    .name = "default",
    .enter = linux_enter,
    .lock = linux_lock,
};
