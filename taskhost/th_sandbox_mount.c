/*
 * th_sandbox_mount.c: the task's minimal root. See th_sandbox_impl.h.
 *
 * Every path keeps its host name inside the sandbox, so a config value
 * such as FileStreamSource's `file` works unchanged. The sources are
 * opened (O_PATH) before anything is mounted, then a tmpfs is mounted
 * over /tmp (in our own mount namespace only) to build the new root in,
 * and each source is bound from /proc/self/fd/N: that way a source that
 * lives under /tmp itself (a test's work directory, the runtime
 * directory) is still reachable. Binds are made read-only (and nosuid,
 * nodev; noexec for writable grants) as soon as they are mounted, so
 * that nothing later can create files through them on the host. /proc
 * is mounted before the old root goes: the kernel lets a user namespace
 * mount proc only while a full proc is visible in its mount namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "th_sandbox_impl.h"

#define BINDS_MAX (3 * TH_SANDBOX_PATHS_MAX + 32)

/* Where the new root is built, in our own mount namespace. */
static const char *const staging_dirs[] = {"/tmp", "/mnt", "/var/tmp", NULL};

const char *const th_sandbox_lib_dirs[] = {
    "/lib",           "/lib64",           "/lib32",     "/libx32",
    "/usr/lib",       "/usr/lib64",       "/usr/lib32", "/usr/libx32",
    "/usr/local/lib", "/etc/ld.so.cache", NULL,
};

enum bind_kind {
	BIND_RO,   /* read-only */
	BIND_RW,   /* writable, noexec */
	BIND_LINK, /* a symlink recreated as it is */
};

struct bind {
	char path[PATH_MAX]; /* absolute host path == sandbox path */
	enum bind_kind kind;
	int fd;   /* O_PATH of the source; -1 for links */
	bool dir; /* source is a directory */
	bool dev; /* source is a device node: no nodev on its mount */
	char link[PATH_MAX];
};

static int fail(char *err, size_t errlen, int e, const char *what,
                const char *path)
{
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(e));
	return -e;
}

/* path made absolute against the working directory (which the task gets
 * back inside the sandbox, so relative paths keep working there). */
static int absolute(const char *path, char *out, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return snprintf(out, len, "%s", path) >= (int)len ? -1 : 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	return snprintf(out, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) >=
	               (int)len
	           ? -1
	           : 0;
}

static int add_bind(struct bind *b, size_t *n, const char *path,
                    enum bind_kind kind, bool optional, char *err,
                    size_t errlen)
{
	struct bind *x = &b[*n];
	struct stat st;
	ssize_t len;

	if (*n >= BINDS_MAX)
		return fail(err, errlen, E2BIG, "too many paths at", path);
	memset(x, 0, sizeof(*x));
	if (absolute(path, x->path, sizeof(x->path)))
		return fail(err, errlen, ENAMETOOLONG, "path", path);
	x->kind = kind;
	x->fd = -1;
	if (lstat(path, &st) == -1) {
		if (optional && errno == ENOENT)
			return 0;
		return fail(err, errlen, errno, "cannot grant", path);
	}
	if (S_ISLNK(st.st_mode) && kind == BIND_LINK) {
		len = readlink(path, x->link, sizeof(x->link) - 1);
		if (len < 0)
			return fail(err, errlen, errno, "readlink", path);
		x->link[len] = '\0';
		(*n)++;
		return 0;
	}
	if (kind == BIND_LINK)
		x->kind = BIND_RO;
	x->fd = open(path, O_PATH | O_CLOEXEC);
	if (x->fd == -1 || fstat(x->fd, &st) == -1) {
		if (optional && errno == ENOENT)
			return 0;
		return fail(err, errlen, errno, "cannot grant", path);
	}
	x->dir = S_ISDIR(st.st_mode);
	x->dev = S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
	(*n)++;
	return 0;
}

/*
 * A write grant names a file the task may write, and create: it is
 * created here (empty) if it is missing, since a bind needs something to
 * bind. Its directory must exist.
 */
static int create_if_missing(const char *path, char *err, size_t errlen)
{
	int fd;

	if (access(path, F_OK) == 0)
		return 0;
	if (path[0] && path[strlen(path) - 1] == '/')
		return fail(err, errlen, ENOENT, "cannot grant", path);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd == -1)
		return fail(err, errlen, errno, "cannot create granted file",
		            path);
	close(fd);
	return 0;
}

static int cmp_bind(const void *a, const void *b)
{
	const struct bind *x = a, *y = b;
	size_t lx = strlen(x->path), ly = strlen(y->path);

	/* parents before children */
	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x->path, y->path);
}

/* mkdir -p of the directories above path (inside the staging root). */
static int make_parents(char *path, char *err, size_t errlen)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			int e = errno;

			*p = '/';
			return fail(err, errlen, e, "mkdir", path);
		}
		*p = '/';
	}
	return 0;
}

static int set_attr(const char *target, uint64_t set, bool recursive, char *err,
                    size_t errlen)
{
	struct mount_attr attr = {.attr_set = set};
	unsigned flags = AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0);

	if (mount_setattr(AT_FDCWD, target, flags, &attr, sizeof(attr)) == -1)
		return fail(err, errlen, errno, "mount_setattr", target);
	return 0;
}

static int do_bind(const char *root, struct bind *b, char *err, size_t errlen)
{
	char target[PATH_MAX], src[64];
	struct stat st;
	uint64_t attr;
	int rc, fd;

	if (snprintf(target, sizeof(target), "%s%s", root, b->path) >=
	    (int)sizeof(target))
		return fail(err, errlen, ENAMETOOLONG, "path", b->path);
	if (b->kind == BIND_LINK) {
		if ((rc = make_parents(target, err, errlen)))
			return rc;
		if (symlink(b->link, target) == -1 && errno != EEXIST)
			return fail(err, errlen, errno, "symlink", target);
		return 0;
	}
	if (lstat(target, &st) == 0) {
		/* already visible through a bind above it: read-only
		 * sources need nothing more; a writable one is bound over
		 * the path, which exists (it is the same host path) */
		if (b->kind == BIND_RO)
			return 0;
	} else {
		if ((rc = make_parents(target, err, errlen)))
			return rc;
		if (b->dir) {
			if (mkdir(target, 0755) == -1)
				return fail(err, errlen, errno, "mkdir",
				            target);
		} else {
			fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			if (fd == -1)
				return fail(err, errlen, errno, "create",
				            target);
			close(fd);
		}
	}
	snprintf(src, sizeof(src), "/proc/self/fd/%d", b->fd);
	if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) == -1)
		return fail(err, errlen, errno, "bind mount", b->path);
	/* libraries and the plugin are mapped executable: only what the
	 * task can write is noexec */
	attr = MOUNT_ATTR_NOSUID;
	if (!b->dev)
		attr |= MOUNT_ATTR_NODEV;
	if (b->kind == BIND_RO)
		attr |= MOUNT_ATTR_RDONLY;
	else
		attr |= MOUNT_ATTR_NOEXEC;
	return set_attr(target, attr, true, err, errlen);
}

static int write_text(const char *root, const char *name, const char *text,
                      char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t n = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return fail(err, errlen, errno, "create", path);
	if (write(fd, text, n) != (ssize_t)n) {
		close(fd);
		return fail(err, errlen, EIO, "write", path);
	}
	close(fd);
	return 0;
}

/* /etc as the task sees it: names from its network grants only, and a
 * user and group for its own ids (some libraries look them up). */
static int write_etc(const char *root, const struct th_sandbox_net *net,
                     char *err, size_t errlen)
{
	char path[PATH_MAX], line[256];
	int rc;

	snprintf(path, sizeof(path), "%s/etc", root);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return fail(err, errlen, errno, "mkdir", path);
	if ((rc = write_text(root, "/etc/hosts", net->hosts, err, errlen)) ||
	    (rc = write_text(root, "/etc/nsswitch.conf",
	                     "passwd: files\ngroup: files\nhosts: files\n", err,
	                     errlen)))
		return rc;
	snprintf(line, sizeof(line),
	         "task:x:%u:%u:sluice task:/:/nonexistent\n",
	         (unsigned)getuid(), (unsigned)getgid());
	if ((rc = write_text(root, "/etc/passwd", line, err, errlen)))
		return rc;
	snprintf(line, sizeof(line), "task:x:%u:\n", (unsigned)getgid());
	return write_text(root, "/etc/group", line, err, errlen);
}

static int mount_task_dir(const char *root, const struct th_sandbox_spec *s,
                          char *err, size_t errlen)
{
	char target[PATH_MAX], dir[PATH_MAX], opts[128];
	unsigned long long size =
	    s->task_size ? s->task_size : TH_SANDBOX_TASK_SIZE;
	int rc;

	if (!s->task_dir)
		return 0;
	if (absolute(s->task_dir, dir, sizeof(dir)) ||
	    snprintf(target, sizeof(target), "%s%s", root, dir) >=
	        (int)sizeof(target))
		return fail(err, errlen, ENAMETOOLONG, "task dir", s->task_dir);
	if ((rc = make_parents(target, err, errlen)))
		return rc;
	if (mkdir(target, 0700) == -1 && errno != EEXIST)
		return fail(err, errlen, errno, "mkdir", target);
	snprintf(opts, sizeof(opts), "mode=0700,size=%llu,nr_inodes=16384",
	         size);
	if (mount("sluice-task", target, "tmpfs",
	          MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) == -1)
		return fail(err, errlen, errno, "mount the task dir", target);
	return 0;
}

static int collect(const struct th_sandbox_spec *s, struct bind *b, size_t *n,
                   char *exe, char *err, size_t errlen)
{
	ssize_t len;
	int rc;

	for (size_t i = 0; th_sandbox_lib_dirs[i]; i++)
		if ((rc = add_bind(b, n, th_sandbox_lib_dirs[i], BIND_LINK,
		                   true, err, errlen)))
			return rc;
	len = readlink("/proc/self/exe", exe, PATH_MAX - 1);
	if (len > 0) {
		exe[len] = '\0';
		if ((rc = add_bind(b, n, exe, BIND_RO, true, err, errlen)))
			return rc;
	}
	if ((s->plugin &&
	     (rc = add_bind(b, n, s->plugin, BIND_RO, false, err, errlen))) ||
	    (s->ipc_path &&
	     (rc = add_bind(b, n, s->ipc_path, BIND_RO, false, err, errlen))) ||
	    (rc = add_bind(b, n, "/dev/null", BIND_RW, false, err, errlen)) ||
	    (rc = add_bind(b, n, "/dev/urandom", BIND_RO, false, err, errlen)))
		return rc;
	for (size_t i = 0; i < s->nread; i++)
		if ((rc = add_bind(b, n, s->read[i], BIND_RO, false, err,
		                   errlen)))
			return rc;
	for (size_t i = 0; i < s->nwrite; i++)
		if ((rc = create_if_missing(s->write[i], err, errlen)) ||
		    (rc = add_bind(b, n, s->write[i], BIND_RW, false, err,
		                   errlen)))
			return rc;
	return 0;
}

int th_sandbox_mount_root(const struct th_sandbox_spec *s,
                          const struct th_sandbox_net *net, char *err,
                          size_t errlen)
{
	static struct bind binds[BINDS_MAX];
	static char exe[PATH_MAX];
	const char *root = NULL;
	char path[PATH_MAX], cwd[PATH_MAX];
	size_t n = 0;
	int rc;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return fail(err, errlen, errno, "make private", "/");
	if ((rc = collect(s, binds, &n, exe, err, errlen)))
		goto out;
	qsort(binds, n, sizeof(binds[0]), cmp_bind);
	for (size_t i = 0; staging_dirs[i] && !root; i++)
		if (mount("sluice-root", staging_dirs[i], "tmpfs",
		          MS_NOSUID | MS_NODEV,
		          "mode=0755,size=1m,nr_inodes=4096") == 0)
			root = staging_dirs[i];
	if (!root) {
		rc = fail(err, errlen, errno, "mount a tmpfs for the root at",
		          staging_dirs[0]);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = do_bind(root, &binds[i], err, errlen)))
			goto out;
	if ((rc = mount_task_dir(root, s, err, errlen)) ||
	    (rc = write_etc(root, net, err, errlen)))
		goto out;
	snprintf(path, sizeof(path), "%s/proc", root);
	if (mkdir(path, 0555) == -1 ||
	    mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "subset=pid") == -1) {
		rc = fail(err, errlen, errno, "mount proc at", path);
		goto out;
	}
	if (chdir(root) == -1 || syscall(SYS_pivot_root, ".", ".") == -1 ||
	    umount2(".", MNT_DETACH) == -1 ||
	    (chdir(cwd) == -1 && chdir("/") == -1)) {
		rc = fail(err, errlen, errno, "pivot_root into", root);
		goto out;
	}
	/* the root itself only: the task dir and the writable grants are
	 * mounts of their own and stay writable */
	rc = set_attr("/",
	              MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
	                  MOUNT_ATTR_NOEXEC,
	              false, err, errlen);
out:
	for (size_t i = 0; i < n; i++)
		if (binds[i].fd != -1)
			close(binds[i].fd);
	return rc;
}
