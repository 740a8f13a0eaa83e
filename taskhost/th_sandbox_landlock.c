/*
 * th_sandbox_landlock.c: Landlock rules for the task. See
 * th_sandbox_impl.h.
 *
 * A second wall behind the minimal root: even if something of the host
 * were visible, only these paths are usable, each with the rights it
 * needs. With ABI 4 the task may connect by TCP to its granted ports only
 * and bind no TCP port; with ABI 6 it can neither signal a process
 * outside its own Landlock domain (the monitor, the namespace's init) nor
 * reach an abstract Unix socket outside it (which matters when it shares
 * the host's network namespace).
 *
 * The kernel headers of Debian 12 know ABI 2 at most, so the structures
 * and flags of later ABIs are spelled out here (they are stable UAPI).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "th_sandbox_impl.h"

/* include/uapi/linux/landlock.h */
struct th_ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net; /* ABI 4 */
	uint64_t scoped;             /* ABI 6 */
};

struct th_ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

struct th_ll_net_port {
	uint64_t allowed_access;
	uint64_t port;
};

enum {
	TH_LL_CREATE_RULESET_VERSION = 1u << 0,
	TH_LL_RULE_PATH_BENEATH = 1,
	TH_LL_RULE_NET_PORT = 2,
};

enum {
	TH_LL_FS_EXECUTE = 1ull << 0,
	TH_LL_FS_WRITE_FILE = 1ull << 1,
	TH_LL_FS_READ_FILE = 1ull << 2,
	TH_LL_FS_READ_DIR = 1ull << 3,
	TH_LL_FS_REMOVE_DIR = 1ull << 4,
	TH_LL_FS_REMOVE_FILE = 1ull << 5,
	TH_LL_FS_MAKE_CHAR = 1ull << 6,
	TH_LL_FS_MAKE_DIR = 1ull << 7,
	TH_LL_FS_MAKE_REG = 1ull << 8,
	TH_LL_FS_MAKE_SOCK = 1ull << 9,
	TH_LL_FS_MAKE_FIFO = 1ull << 10,
	TH_LL_FS_MAKE_BLOCK = 1ull << 11,
	TH_LL_FS_MAKE_SYM = 1ull << 12,
	TH_LL_FS_REFER = 1ull << 13,           /* ABI 2 */
	TH_LL_FS_TRUNCATE = 1ull << 14,        /* ABI 3 */
	TH_LL_FS_IOCTL_DEV = 1ull << 15,       /* ABI 5 */
	TH_LL_NET_BIND_TCP = 1ull << 0,        /* ABI 4 */
	TH_LL_NET_CONNECT_TCP = 1ull << 1,     /* ABI 4 */
	TH_LL_SCOPE_ABSTRACT_UNIX = 1ull << 0, /* ABI 6 */
	TH_LL_SCOPE_SIGNAL = 1ull << 1,        /* ABI 6 */
};

/* Rights that make sense on a file (not a directory). */
#define FILE_RIGHTS                                                    \
	(TH_LL_FS_EXECUTE | TH_LL_FS_WRITE_FILE | TH_LL_FS_READ_FILE | \
	 TH_LL_FS_TRUNCATE | TH_LL_FS_IOCTL_DEV)
#define READ_RIGHTS (TH_LL_FS_READ_FILE | TH_LL_FS_READ_DIR)
/* A directory the task owns: everything but devices and execution. */
#define DIR_RIGHTS                                                      \
	(READ_RIGHTS | TH_LL_FS_WRITE_FILE | TH_LL_FS_REMOVE_DIR |      \
	 TH_LL_FS_REMOVE_FILE | TH_LL_FS_MAKE_DIR | TH_LL_FS_MAKE_REG | \
	 TH_LL_FS_MAKE_SOCK | TH_LL_FS_MAKE_FIFO | TH_LL_FS_MAKE_SYM |  \
	 TH_LL_FS_REFER | TH_LL_FS_TRUNCATE)

int th_sandbox_landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
	                 TH_LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

static uint64_t fs_handled(int abi)
{
	uint64_t all = (TH_LL_FS_MAKE_SYM << 1) - 1; /* ABI 1 */

	if (abi >= 2)
		all |= TH_LL_FS_REFER;
	if (abi >= 3)
		all |= TH_LL_FS_TRUNCATE;
	if (abi >= 5)
		all |= TH_LL_FS_IOCTL_DEV;
	return all;
}

/* Grants `rights` (as far as the ABI handles them) beneath path. An
 * optional path that does not exist is skipped. */
static int allow_path(int ruleset, const char *path, uint64_t rights,
                      uint64_t handled, bool optional, char *err, size_t errlen)
{
	struct th_ll_path_beneath pb;
	struct stat st;
	int fd, e;

	fd = open(path, O_PATH | O_CLOEXEC);
	if (fd == -1) {
		if (optional && errno == ENOENT)
			return 0;
		e = errno;
		snprintf(err, errlen, "landlock: open %s: %s", path,
		         strerror(e));
		return -e;
	}
	if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode))
		rights &= FILE_RIGHTS;
	pb.allowed_access = rights & handled;
	pb.parent_fd = fd;
	if (pb.allowed_access &&
	    syscall(SYS_landlock_add_rule, ruleset, TH_LL_RULE_PATH_BENEATH,
	            &pb, 0) == -1) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "landlock: rule for %s: %s", path,
		         strerror(e));
		return -e;
	}
	close(fd);
	return 0;
}

static int add_rules(int rs, const struct th_sandbox_spec *s,
                     const struct th_sandbox_net *net, uint64_t fs, int abi,
                     char *err, size_t errlen)
{
	uint64_t write_file =
	    TH_LL_FS_READ_FILE | TH_LL_FS_WRITE_FILE | TH_LL_FS_TRUNCATE;
	char exe[4096];
	ssize_t len;
	int rc;

	for (size_t i = 0; th_sandbox_lib_dirs[i]; i++)
		if ((rc = allow_path(rs, th_sandbox_lib_dirs[i], READ_RIGHTS,
		                     fs, true, err, errlen)))
			return rc;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0) {
		exe[len] = '\0';
		if ((rc = allow_path(rs, exe, READ_RIGHTS, fs, true, err,
		                     errlen)))
			return rc;
	}
	if ((rc =
	         allow_path(rs, "/etc", READ_RIGHTS, fs, false, err, errlen)) ||
	    (rc = allow_path(rs, "/proc", READ_RIGHTS, fs, false, err,
	                     errlen)) ||
	    (rc = allow_path(rs, "/dev/null", write_file, fs, false, err,
	                     errlen)) ||
	    (rc = allow_path(rs, "/dev/urandom", TH_LL_FS_READ_FILE, fs, false,
	                     err, errlen)) ||
	    (s->plugin && (rc = allow_path(rs, s->plugin, READ_RIGHTS, fs,
	                                   false, err, errlen))) ||
	    (s->task_dir && (rc = allow_path(rs, s->task_dir, DIR_RIGHTS, fs,
	                                     false, err, errlen))))
		return rc;
	for (size_t i = 0; i < s->nread; i++)
		if ((rc = allow_path(rs, s->read[i], READ_RIGHTS, fs, false,
		                     err, errlen)))
			return rc;
	for (size_t i = 0; i < s->nwrite; i++)
		if ((rc = allow_path(rs, s->write[i], DIR_RIGHTS, fs, false,
		                     err, errlen)))
			return rc;
	for (size_t i = 0; abi >= 4 && i < net->nports; i++) {
		struct th_ll_net_port np = {TH_LL_NET_CONNECT_TCP,
		                            net->ports[i]};

		if (syscall(SYS_landlock_add_rule, rs, TH_LL_RULE_NET_PORT, &np,
		            0) == -1) {
			rc = -errno;
			snprintf(err, errlen, "landlock: port %u: %s",
			         (unsigned)net->ports[i], strerror(errno));
			return rc;
		}
	}
	return 0;
}

int th_sandbox_landlock(const struct th_sandbox_spec *s,
                        const struct th_sandbox_net *net, int abi, char *err,
                        size_t errlen)
{
	struct th_ll_ruleset_attr attr = {.handled_access_fs = fs_handled(abi)};
	size_t size = sizeof(attr.handled_access_fs);
	int rs, rc;

	if (abi >= 4) {
		attr.handled_access_net =
		    TH_LL_NET_BIND_TCP | TH_LL_NET_CONNECT_TCP;
		size = offsetof(struct th_ll_ruleset_attr, scoped);
	}
	if (abi >= 6) {
		attr.scoped = TH_LL_SCOPE_ABSTRACT_UNIX | TH_LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (rs == -1) {
		rc = -errno;
		snprintf(err, errlen, "landlock_create_ruleset (ABI %d): %s",
		         abi, strerror(errno));
		return rc;
	}
	if ((rc = add_rules(rs, s, net, attr.handled_access_fs, abi, err,
	                    errlen)))
		goto out;
	if (syscall(SYS_landlock_restrict_self, rs, 0) == -1) {
		rc = -errno;
		snprintf(err, errlen, "landlock_restrict_self: %s",
		         strerror(errno));
	}
out:
	close(rs);
	return rc;
}
