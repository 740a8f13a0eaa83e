/*
 * test_sv_spawn.c: sv_spawn's children and the signals sent to them with
 * sv_spawn_kill: a child killed the moment it is spawned (before it has
 * a process group of its own) dies, and a child's own children die with
 * it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../supervisor/sv_spawn.h"
#include "testhelp.h"

/* waits up to ms for the child behind pidfd to end; its wait status, or
 * -1 if it is still running (it is then killed and reaped) */
static int reap(pid_t pid, int pidfd, int ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	int status = -1;

	if (poll(&p, 1, ms) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(pidfd);
		return -1;
	}
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	close(pidfd);
	return status;
}

/* A unit stopped right after it was spawned (a rebalance in the same
 * turn of the event loop): the signal must reach the child even when it
 * has not run setsid() yet. 300 rounds: the window is microseconds. */
static void test_kill_at_once(void)
{
	char *const argv[] = {"sleep", "30", NULL};
	char err[256];
	int killed = 0, survived = 0;

	for (int i = 0; i < 300; i++) {
		int pidfd = -1, rc, status;
		pid_t pid = sv_spawn("/bin/sleep", argv, -1, -1, -1, &pidfd,
		                     err, sizeof(err));

		CHECK(pid > 0);
		if (pid <= 0) {
			fprintf(stderr, "  spawn: %s\n", err);
			return;
		}
		rc = sv_spawn_kill(pid, SIGKILL);
		CHECK_EQ_INT(rc, 0);
		status = reap(pid, pidfd, 2000);
		if (status != -1 && WIFSIGNALED(status) &&
		    WTERMSIG(status) == SIGKILL)
			killed++;
		else
			survived++;
		if (survived)
			break; /* one is enough, and each costs 2 s */
	}
	CHECK_EQ_INT(survived, 0);
	CHECK_EQ_INT(killed, 300);
}

/* A child's own child (a plugin's helper process) goes with it. */
static void test_kill_group(void)
{
	char *const argv[] = {"sh", "-c", "sleep 30 & echo $!; wait", NULL};
	char err[256], buf[32] = "";
	int out[2], pidfd = -1, status, gone = 0;
	pid_t pid, grandchild;
	ssize_t n;

	CHECK(pipe(out) == 0);
	pid =
	    sv_spawn("/bin/sh", argv, out[1], -1, -1, &pidfd, err, sizeof(err));
	close(out[1]);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	n = read(out[0], buf, sizeof(buf) - 1);
	close(out[0]);
	grandchild = n > 0 ? (pid_t)atoi(buf) : 0;
	CHECK(grandchild > 0);
	CHECK_EQ_INT(sv_spawn_kill(pid, SIGKILL), 0);
	status = reap(pid, pidfd, 2000);
	CHECK(status != -1 && WIFSIGNALED(status));
	/* the grandchild is reparented and reaped by init: wait for it */
	for (int i = 0; i < 200 && grandchild > 0 && !gone; i++) {
		if (kill(grandchild, 0) == -1 && errno == ESRCH)
			gone = 1;
		else
			nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	CHECK(gone);
	if (!gone && grandchild > 0)
		kill(grandchild, SIGKILL);
}

static void test_bad_pid(void)
{
	CHECK_EQ_INT(sv_spawn_kill(0, SIGKILL), -EINVAL);
	CHECK_EQ_INT(sv_spawn_kill(-1, SIGKILL), -EINVAL);
}

TEST_LIST = {
    {"kill_at_once", test_kill_at_once},
    {"kill_group", test_kill_group},
    {"bad_pid", test_bad_pid},
    {NULL, NULL},
};
