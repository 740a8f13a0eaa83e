/* sv_spawn.c: see sv_spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sv_spawn.h"

static int open_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

pid_t sv_spawn(const char *path, char *const argv[], int out_fd, int err_fd,
               int fd3, int *pidfd, char *err, size_t errlen)
{
	static char *const empty_env[] = {NULL};
	pid_t parent = getpid(), pid;
	int devnull, fd;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull == -1) {
		snprintf(err, errlen, "open /dev/null: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(devnull);
		return -1;
	}
	if (pid == 0) {
		/* child: system calls only until execve */
		setsid();
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(111);
		if (dup2(devnull, 0) == -1 ||
		    dup2(out_fd >= 0 ? out_fd : devnull, 1) == -1 ||
		    dup2(err_fd >= 0 ? err_fd : devnull, 2) == -1)
			_exit(111);
		if (fd3 == 3) {
			if (fcntl(3, F_SETFD, 0) == -1)
				_exit(111);
		} else if (fd3 >= 0 && dup2(fd3, 3) == -1) {
			_exit(111);
		}
		syscall(SYS_close_range, fd3 >= 0 ? 4 : 3, ~0U, 0);
		execve(path, argv, empty_env);
		_exit(127);
	}
	close(devnull);
	if (pidfd) {
		fd = open_pidfd(pid);
		if (fd == -1) {
			snprintf(err, errlen, "pidfd_open: %s",
			         strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		fcntl(fd, F_SETFD, FD_CLOEXEC);
		*pidfd = fd;
	}
	return pid;
}

int sv_spawn_kill(pid_t pid, int sig)
{
	if (pid <= 0)
		return -EINVAL;
	if (kill(-pid, sig) == 0)
		return 0;
	/* no group yet: the child is between fork and setsid() and has
	 * no children; the pid is still ours (not reaped), so it cannot
	 * name another process */
	if (errno == ESRCH && kill(pid, sig) == 0)
		return 0;
	return -errno;
}

void sv_spawn_describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		         WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		         WTERMSIG(status), strsignal(WTERMSIG(status)),
		         WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", status);
}
