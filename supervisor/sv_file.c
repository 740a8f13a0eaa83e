/* sv_file.c: see sv_file.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sv_file.h"

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int sv_file_write_atomic(const char *path, const void *data, size_t len,
                         char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *step = "create";
	int fd, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	        (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = -errno;
		goto out_err;
	}
	step = "write";
	if ((rc = write_all(fd, data, len)))
		goto out_close;
	step = "fsync";
	if (fsync(fd) == -1) {
		rc = -errno;
		goto out_close;
	}
	close(fd);
	step = "rename";
	if (rename(tmp, path) == -1) {
		rc = -errno;
		unlink(tmp);
		goto out_err;
	}
	/* the rename itself must survive a crash too */
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_close:
	close(fd);
	unlink(tmp);
out_err:
	snprintf(err, errlen, "%s: cannot %s %s: %s", path, step,
	         strcmp(step, "rename") == 0 ? "into place" : "temporary file",
	         strerror(-rc));
	return rc;
}

int sv_file_read(const char *path, size_t max, char **data, size_t *len,
                 char *err, size_t errlen)
{
	char *buf = NULL, *nbuf;
	size_t n = 0, cap = 0;
	struct stat st;
	int fd, rc;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (fstat(fd, &st) == -1 || S_ISDIR(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out_close;
	}
	/* pipes and /dev/fd/N too: read to the end, not to st_size */
	for (;;) {
		ssize_t r;

		if (n == cap) {
			/* one byte past the limit tells "too large" apart */
			cap = cap ? cap * 2 : 16 * 1024;
			if (cap > max + 1)
				cap = max + 1;
			if (!(nbuf = realloc(buf, cap + 1))) {
				rc = -ENOMEM;
				snprintf(err, errlen, "%s: out of memory",
				         path);
				goto out_free;
			}
			buf = nbuf;
		}
		r = read(fd, buf + n, cap - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out_free;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			rc = -EFBIG;
			snprintf(err, errlen, "%s: larger than %zu bytes", path,
			         max);
			goto out_free;
		}
	}
	if (!buf && !(buf = malloc(1))) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out_close;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	close(fd);
	return 0;
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}
