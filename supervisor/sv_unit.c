/*
 * sv_unit.c: a unit's taskhost process and its lifecycle. See sv_unit.h.
 *
 * Two tables drive it:
 * - fsm[phase][event]: what an event does in each phase;
 * - msg_rules: which taskhost message each unit kind may send in which
 *   phase. Anything else is a protocol violation: that taskhost is killed
 *   and its unit FAILED; nothing else is touched.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "sv_cgroup.h"
#include "sv_log.h"
#include "sv_sandbox.h"
#include "sv_sink.h"
#include "sv_source.h"
#include "sv_spawn.h"
#include "sv_unit.h"

#define EXIT_PERMANENT 100    /* the taskhost's "do not retry" */
#define KILL_GRACE_MS  1000   /* after SIGTERM, before SIGKILL */
#define LOG_RATE       200.0  /* relayed lines per second ... */
#define LOG_BURST      1000.0 /* ... with this burst */

enum sv_event {
	EV_START, /* the owner wants it running */
	EV_STOP,  /* the owner wants it stopped */
	EV_HELLO, /* a valid HELLO from our child */
	EV_READY, /* READY */
	EV_EXIT,  /* the process ended (u->exit_status) */
	EV_TIMER, /* ev_timer fired */
	EV_MAX
};

static const struct sv_unit_ops no_ops;
static int exit_status; /* of the process being handled in EV_EXIT */
static char exit_how[128];

int64_t sv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sv_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *sv_unit_label(const struct sv_unit *u)
{
	static char buf[300];

	if (u->task < 0)
		snprintf(buf, sizeof(buf), "%s", u->conn);
	else
		snprintf(buf, sizeof(buf), "%s-%d", u->conn, u->task);
	return buf;
}

#define ulog(u, level, id, ...) \
	sv_ulog(level, id, (u)->conn, (u)->task, __VA_ARGS__)

static void set_trace(struct sv_unit *u, const char *s)
{
	free(u->trace);
	u->trace = s ? strdup(s) : NULL;
}

static void notify_status(struct sv_unit *u)
{
	if (u->ops->status)
		u->ops->status(u);
}

static void arm_timer(struct sv_unit *u, int64_t ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	evtimer_add(u->ev_timer, &tv);
}

/* --- process plumbing -------------------------------------------------- */

static void on_recv(evutil_socket_t fd, short what, void *arg);
static void on_pid(evutil_socket_t fd, short what, void *arg);
static void on_log(evutil_socket_t fd, short what, void *arg);
static void dispatch(struct sv_unit *u, enum sv_event ev);
static void schedule_restart(struct sv_unit *u, const char *why);

int sv_unit_send(struct sv_unit *u)
{
	nng_msg *m;
	int rc = -EIO;

	if (!u->sock_open) {
		msgpack_sbuffer_clear(&u->sb);
		return -EIO;
	}
	if (nng_msg_alloc(&m, u->sb.size) == 0) {
		memcpy(nng_msg_body(m), u->sb.data, u->sb.size);
		/* pair1 buffers what credits allow; a full buffer means the
		 * taskhost stopped reading: the heartbeat catches that */
		if (nng_sendmsg(u->sock, m, NNG_FLAG_NONBLOCK) == 0)
			rc = 0;
		else
			nng_msg_free(m);
	}
	msgpack_sbuffer_clear(&u->sb);
	return rc;
}

bool sv_unit_live(const struct sv_unit *u)
{
	return (u->phase == SV_PH_RUNNING || u->phase == SV_PH_STOPPING) &&
	       u->sock_open;
}

/* Relays the complete lines of the child's stdout/stderr, rate-limited. */
/*
 * Whether the next line of a task's output (stderr or LOG messages) may
 * go to sluiced's log: a token bucket of LOG_RATE lines a second with a
 * LOG_BURST burst, so a task cannot flood the log or slow sluiced down.
 * Says how many lines were dropped once lines flow again.
 */
static bool log_allowed(struct sv_unit *u)
{
	int64_t now = sv_now_ms();

	u->log_tokens += (double)(now - u->log_tokens_at) * LOG_RATE / 1000.0;
	if (u->log_tokens > LOG_BURST)
		u->log_tokens = LOG_BURST;
	u->log_tokens_at = now;
	if (u->log_tokens < 1.0) {
		u->log_dropped++;
		return false;
	}
	u->log_tokens -= 1.0;
	if (u->log_dropped) {
		sv_log_write(SV_LOG_WARN, 'S', "SV-LOG-DROPPED", u->conn,
		             u->task,
		             "%llu lines of task output dropped (rate limit)",
		             (unsigned long long)u->log_dropped);
		u->log_dropped = 0;
	}
	return true;
}

/* Relays the complete lines of the child's stdout/stderr. */
static void relay_lines(struct sv_unit *u, bool flush)
{
	char *start = u->logbuf, *nl;

	for (;;) {
		size_t left = u->loglen - (size_t)(start - u->logbuf);
		size_t n;

		nl = memchr(start, '\n', left);
		if (!nl && !(flush && left) && left < sizeof(u->logbuf) - 1)
			break;
		n = nl ? (size_t)(nl - start) : left;
		if (log_allowed(u))
			sv_log_write(SV_LOG_INFO, 'T', "TH-OUTPUT", u->conn,
			             u->task, "%.*s", (int)n, start);
		start += n + (nl ? 1 : 0);
		if (!nl)
			break;
	}
	u->loglen -= (size_t)(start - u->logbuf);
	memmove(u->logbuf, start, u->loglen);
}

static void on_log(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;
	ssize_t n;

	(void)what;
	n = read(fd, u->logbuf + u->loglen, sizeof(u->logbuf) - 1 - u->loglen);
	if (n > 0) {
		u->loglen += (size_t)n;
		relay_lines(u, false);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	relay_lines(u, true);
	event_del(u->ev_log);
}

/*
 * Channel loss. nng drops a connection that sends a frame over
 * PROTO_FRAME_MAX (without allocating it), and a taskhost may close its
 * socket and carry on: either way its process is still alive but mute.
 * nng tells us in a pipe callback on one of its threads, where the unit
 * may already be gone: the callback only writes the socket's id to a
 * pipe; the event loop looks the id up among the live units.
 */
static TAILQ_HEAD(, sv_unit) units = TAILQ_HEAD_INITIALIZER(units);
static int gone_fds[2] = {-1, -1};
static struct event *ev_gone;

#define CHANNEL_GRACE_MS 300

static void on_pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	uint32_t id = (uint32_t)nng_socket_id(nng_pipe_socket(p));

	(void)ev;
	(void)arg;
	if (write(gone_fds[1], &id, sizeof(id)) < 0)
		return; /* the heartbeat still catches a mute taskhost */
}

static void on_gone(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval grace = {0, CHANNEL_GRACE_MS * 1000};
	uint32_t ids[64];
	ssize_t n;

	(void)what;
	(void)arg;
	while ((n = read(fd, ids, sizeof(ids))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(ids[0]); i++) {
			struct sv_unit *u;

			TAILQ_FOREACH (u, &units, all) {
				if (!u->sock_open || u->pid <= 0 ||
				    (uint32_t)nng_socket_id(u->sock) != ids[i])
					continue;
				/* a crash closes the channel too: give its
				 * exit event time to come first */
				u->gone_gen = u->gen;
				evtimer_add(u->ev_gone, &grace);
			}
		}
	}
}

static void on_gone_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;

	(void)fd;
	(void)what;
	siginfo_t si = {0};

	if (u->gone_gen != u->gen || u->pid <= 0 || !u->sock_open ||
	    u->phase == SV_PH_STOPPING)
		return;
	/* ended already: its exit event, not this, says what happened */
	if (waitid(P_PID, (id_t)u->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
	        0 &&
	    si.si_pid == u->pid)
		return;
	sv_unit_fail(u,
	             "protocol violation: the taskhost's channel closed while "
	             "it ran (a frame over %u bytes, or it closed its socket)",
	             PROTO_FRAME_MAX);
}

static int watch_channels(struct event_base *base)
{
	if (ev_gone)
		return 0;
	if (pipe2(gone_fds, O_NONBLOCK | O_CLOEXEC) == -1)
		return -errno;
	ev_gone =
	    event_new(base, gone_fds[0], EV_READ | EV_PERSIST, on_gone, NULL);
	if (!ev_gone || event_add(ev_gone, NULL) == -1)
		return -ENOMEM;
	return 0;
}

static void *close_socket(void *arg)
{
	nng_socket s = {.id = (uint32_t)(uintptr_t)arg};

	nng_close(s);
	return NULL;
}

/*
 * Closes an nng socket on a thread of its own. On the event loop, nng
 * 1.5.2's nng_close waited forever in 2 of 8 local runs of
 * tests/integration/supervision.sh (tasks crashing right after they
 * connected; the loop, i.e. the whole worker, froze inside nng_close:
 * nanomsg/nng#1543, fixed after 1.5.2). Closed on their
 * own threads, every close of 18 runs finished; one that hangs would cost
 * a thread, not the worker. Safe to finish late: the socket's path names
 * the process generation (nothing later reuses it) and its pipe events
 * name a socket no unit has any more (on_gone skips them).
 */
static void close_socket_async(nng_socket s)
{
	pthread_attr_t a;
	pthread_t t;
	bool started = false;

	if (pthread_attr_init(&a) == 0) {
		started =
		    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) ==
		        0 &&
		    pthread_attr_setstacksize(&a, 256 * 1024) == 0 &&
		    pthread_create(&t, &a, close_socket,
		                   (void *)(uintptr_t)nng_socket_id(s)) == 0;
		pthread_attr_destroy(&a);
	}
	if (!started)
		nng_close(s);
}

/* Closes the channel: after its last message (STOPPED, FAILED,
 * VALIDATION) the taskhost waits for this to exit. */
static void close_channel(struct sv_unit *u)
{
	if (u->ev_recv) {
		event_free(u->ev_recv);
		u->ev_recv = NULL;
	}
	if (u->sock_open) {
		close_socket_async(u->sock);
		u->sock_open = false;
		u->listener_open = false;
	}
	if (u->sockpath[0]) {
		unlink(u->sockpath);
		u->sockpath[0] = '\0';
	}
}

/* Closes everything of the current process but the pid itself. */
static void close_process(struct sv_unit *u)
{
	close_channel(u);
	if (u->ev_log) {
		if (u->logfd != -1)
			on_log(u->logfd, EV_READ, u);
		event_free(u->ev_log);
		u->ev_log = NULL;
	}
	if (u->logfd != -1) {
		close(u->logfd);
		u->logfd = -1;
	}
	if (u->ev_pid) {
		event_free(u->ev_pid);
		u->ev_pid = NULL;
	}
	if (u->pidfd != -1) {
		close(u->pidfd);
		u->pidfd = -1;
	}
	if (u->ev_hb)
		event_del(u->ev_hb);
	/* batches hold copies of their frames, never region memory */
	sv_region_unmap(&u->region);
}

static void kill_process(struct sv_unit *u, int sig)
{
	if (u->pid > 0)
		sv_spawn_kill(u->pid, sig);
}

static int make_task_dir(struct sv_unit *u, char *dir, size_t len)
{
	const char *state = u->ctx->w->state_dir;
	int n;

	n = snprintf(dir, len, "%s/tasks", state);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -errno;
	if (u->task >= 0)
		n = snprintf(dir, len, "%s/tasks/%s-%d", state, u->conn,
		             u->task);
	else
		n = snprintf(dir, len, "%s/tasks/%s", state, u->conn);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * A source task's batch region (sv_region.h): created for each process,
 * given to it as descriptor 3 with "--batch-region SLOTS:SLOT_SIZE". A
 * slot holds one batch frame of up to sluice.batch.max.bytes plus room
 * for its framing; a frame that does not fit goes through the socket.
 * Without sluice.batch.shared.memory, or if the region would exceed
 * REGION_MAX, batches go through the socket only.
 */
#define REGION_SLACK (64u << 10)
#define REGION_MAX   ((size_t)1 << 30)

/* The batch region's slot size for u, 0 if it gets none. */
static uint32_t region_slot(const struct sv_unit *u)
{
	const struct sv_worker *w = u->ctx->w;
	uint32_t slot = w->batch_max_bytes + REGION_SLACK;

	if (u->kind != SV_UNIT_SOURCE || !w->batch_region ||
	    (size_t)w->credits * slot > REGION_MAX)
		return 0;
	return slot;
}

static int region_argv(struct sv_unit *u, char **argv, int *argc, int max,
                       char *arg, int *fd, char *err, size_t errlen)
{
	uint32_t slots = u->ctx->w->credits, slot = region_slot(u);
	int rc;

	if (!slot)
		return 0;
	if (*argc + 2 >= max) {
		snprintf(err, errlen, "too many arguments");
		return -E2BIG;
	}
	if ((rc = sv_region_create(&u->region, slots, slot, fd, err, errlen)))
		return rc;
	snprintf(arg, 32, "%u:%u", slots, slot);
	argv[(*argc)++] = "--batch-region";
	argv[(*argc)++] = arg;
	return 0;
}

/* Starts a process for the unit. 0, or -errno with err set. */
static int spawn(struct sv_unit *u, char *err, size_t errlen)
{
	struct sv_worker *w = u->ctx->w;
	char url[160], taskdir[PATH_MAX], region_arg[32];
	char *argv[320];
	size_t argv_max = sizeof(argv) / sizeof(argv[0]);
	struct sv_sandbox *sb;
	int logp[2] = {-1, -1}, argc = 0, rv, fd, regfd = -1;

	u->gen++;
	u->fail_kind = 0;
	free(u->fail_msg);
	u->fail_msg = NULL;
	if (snprintf(u->sockpath, sizeof(u->sockpath), "%s/u%llu.%llu",
	             w->runtime_dir, (unsigned long long)u->id,
	             (unsigned long long)u->gen) >= (int)sizeof(u->sockpath)) {
		snprintf(err, errlen, "runtime dir path too long: %s",
		         w->runtime_dir);
		u->sockpath[0] = '\0';
		return -ENAMETOOLONG;
	}
	snprintf(url, sizeof(url), "ipc://%s", u->sockpath);
	if ((rv = make_task_dir(u, taskdir, sizeof(taskdir)))) {
		snprintf(err, errlen, "cannot create task dir %.200s: %s",
		         taskdir, strerror(-rv));
		return rv;
	}
	if ((rv = nng_pair1_open(&u->sock))) {
		snprintf(err, errlen, "nng_pair1_open: %s", nng_strerror(rv));
		return -EIO;
	}
	u->sock_open = true;
	nng_pipe_notify(u->sock, NNG_PIPE_EV_REM_POST, on_pipe_gone, NULL);
	if ((rv = nng_socket_set_size(u->sock, NNG_OPT_RECVMAXSZ,
	                              PROTO_FRAME_MAX)) ||
	    (rv = nng_socket_set_int(u->sock, NNG_OPT_SENDBUF,
	                             (int)w->credits + 64)) ||
	    (rv = nng_socket_set_int(u->sock, NNG_OPT_RECVBUF,
	                             (int)w->credits + 64)) ||
	    (rv = nng_listener_create(&u->listener, u->sock, url)) ||
	    (rv = nng_listener_set_int(u->listener, NNG_OPT_IPC_PERMISSIONS,
	                               0600)) ||
	    (rv = nng_listener_start(u->listener, 0)) ||
	    (rv = nng_socket_get_int(u->sock, NNG_OPT_RECVFD, &fd))) {
		snprintf(err, errlen, "listen on %s: %s", url,
		         nng_strerror(rv));
		goto out_close;
	}
	u->listener_open = true;
	u->ev_recv =
	    event_new(u->ctx->base, fd, EV_READ | EV_PERSIST, on_recv, u);
	if (!u->ev_recv || event_add(u->ev_recv, NULL) == -1 ||
	    pipe2(logp, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "cannot set up the task's channels");
		goto out_close;
	}
	argv[argc++] = "sluice-taskhost";
	argv[argc++] = "--connect";
	argv[argc++] = url;
	argv[argc++] = "--plugin";
	argv[argc++] = u->plugin->path;
	argv[argc++] = "--sandbox";
	argv[argc++] = (char *)w->sandbox;
	argv[argc++] = "--task-dir";
	argv[argc++] = taskdir;
	/* --- sandbox (sv_sandbox.h): grants from the connector's config,
	 * limits and the cgroup leaf, which the taskhost joins itself --- */
	sb = sv_sandbox_new(u->plugin, u->conn_config, u->conn, u->task,
	                    u->kind == SV_UNIT_VALIDATE,
	                    (uint64_t)w->credits * region_slot(u), w->sandbox,
	                    err, errlen);
	rv = sb ? sv_sandbox_argv(sb, argv, argc, (int)argv_max) : -EINVAL;
	if (rv < 0) {
		if (sb)
			snprintf(err, errlen, "too many sandbox grants");
		goto out_sandbox;
	}
	argc = rv;
	/* --- end of the sandbox block --- */
	if (region_argv(u, argv, &argc, (int)argv_max, region_arg, &regfd, err,
	                errlen))
		goto out_sandbox;
	argv[argc] = NULL;
	u->pid = sv_spawn(w->taskhost, argv, logp[1], logp[1], regfd, &u->pidfd,
	                  err, errlen);
	if (regfd != -1)
		close(regfd);
	sv_sandbox_free(sb);
	close(logp[1]);
	u->logfd = logp[0];
	if (u->pid == -1) {
		u->pid = 0;
		goto out_close;
	}
	fcntl(u->logfd, F_SETFL, fcntl(u->logfd, F_GETFL) | O_NONBLOCK);
	u->ev_log =
	    event_new(u->ctx->base, u->logfd, EV_READ | EV_PERSIST, on_log, u);
	u->ev_pid = event_new(u->ctx->base, u->pidfd, EV_READ, on_pid, u);
	if (!u->ev_log || !u->ev_pid || event_add(u->ev_log, NULL) == -1 ||
	    event_add(u->ev_pid, NULL) == -1) {
		snprintf(err, errlen, "cannot watch the task process");
		kill_process(u, SIGKILL);
		waitpid(u->pid, NULL, 0);
		u->pid = 0;
		goto out_close;
	}
	u->started_ms = u->last_pong_ms = sv_now_ms();
	u->ready_ms = 0;
	u->next_restart_at = 0;
	u->failing = false;
	u->oom_kills = sv_cgroup_oom_kills(sv_unit_label(u));
	u->loglen = 0;
	ulog(u, SV_LOG_INFO, "SV-UNIT-SPAWN", "taskhost pid %d for %s (%s)",
	     (int)u->pid, sv_unit_label(u), u->plugin->name);
	return 0;
out_sandbox:
	sv_sandbox_free(sb);
	close(logp[1]); /* and logp[0] below: u->logfd is not set yet */
out_close:
	if (logp[0] != -1 && u->logfd == -1)
		close(logp[0]);
	close_process(u);
	return -EIO;
}

/* --- the lifecycle ------------------------------------------------------ */

static void enter(struct sv_unit *u, enum sv_phase ph)
{
	u->phase = ph;
	notify_status(u);
}

static void begin_data(struct sv_unit *u, char *err, size_t errlen, int *rc)
{
	*rc = 0;
	if (u->src)
		sv_src_on_spawn(u->src);
	if (u->sink)
		*rc = sv_sink_on_spawn(u->sink, err, errlen);
}

static void do_spawn(struct sv_unit *u)
{
	char err[512];
	int rc;

	evtimer_del(u->ev_timer);
	begin_data(u, err, sizeof(err), &rc);
	if (rc == 0)
		rc = spawn(u, err, sizeof(err));
	if (rc) {
		ulog(u, SV_LOG_ERROR, "SV-UNIT-SPAWN-FAILED",
		     "cannot start a taskhost: %s", err);
		set_trace(u, err);
		u->permanent = false;
		/* retry like a crash: the cause (no memory, fd limit) may
		 * pass; not at once, it would fail the same way */
		if (u->restarts == 0)
			u->restarts = 1;
		schedule_restart(u, err);
		return;
	}
	enter(u, SV_PH_SPAWNED);
	if (u->ev_hb) {
		struct timeval tv = {u->ctx->w->heartbeat_interval_ms / 1000,
		                     (u->ctx->w->heartbeat_interval_ms % 1000) *
		                         1000};

		event_add(u->ev_hb, &tv);
	}
}

static void send_stop(struct sv_unit *u)
{
	u->stop_deadline_ms = sv_now_ms() + u->ctx->w->shutdown_timeout_ms;
	u->stop_signals = 0;
	arm_timer(u, u->ctx->w->shutdown_timeout_ms);
	if (u->sink) {
		/* flush and commit first; sv_sink calls sv_unit_send_stop */
		sv_sink_begin_stop(u->sink);
		return;
	}
	sv_unit_send_stop(u);
}

void sv_unit_send_stop(struct sv_unit *u)
{
	if (proto_empty_pack(&u->pk, PROTO_STOP) == 0)
		sv_unit_send(u);
}

static void act_spawn(struct sv_unit *u)
{
	do_spawn(u);
}

static void act_kill_now(struct sv_unit *u)
{
	/* not started yet: nothing to stop gracefully */
	kill_process(u, SIGKILL);
	u->stop_signals = 2;
	enter(u, SV_PH_STOPPING);
}

static void act_stop_idle(struct sv_unit *u)
{
	evtimer_del(u->ev_timer);
	if (u->phase == SV_PH_BACKOFF)
		enter(u, SV_PH_IDLE);
	if (u->stop_notify) {
		u->stop_notify = false;
		if (u->src && !sv_src_settled(u->src))
			return; /* sv_unit_settled finishes the stop */
		u->ops->stopped(u);
	}
}

static void act_hello(struct sv_unit *u)
{
	struct sv_worker *w = u->ctx->w;
	struct proto_kv *conf = NULL, *conv = NULL, *offs = NULL;
	json_t *stored = NULL, *convs = json_object(), *pair;
	struct proto_start_out st = {
	    .role = u->kind,
	    .connector = u->conn,
	    .task_id = u->task,
	    .plugin = u->plugin->path,
	    .limits = {w->credits, w->batch_max_records, w->batch_max_bytes, 1,
	               w->poll_wait_ms},
	};
	const char *k;
	json_t *v;
	size_t i, n;

	if (!convs)
		goto out_fail;
	/* converters: the worker's, overridden by the connector's */
	json_object_update(convs, w->converters);
	json_object_foreach(u->conn_config, k, v)
	{
		if (strncmp(k, "key.converter", 13) == 0 ||
		    strncmp(k, "value.converter", 15) == 0 ||
		    strncmp(k, "header.converter", 16) == 0 ||
		    strcmp(k, "errors.tolerance") == 0)
			json_object_set(convs, k, v);
	}
	v = json_object_get(u->conn_config, "tasks.max");
	if (json_is_string(v) && atoi(json_string_value(v)) > 0)
		st.limits.max_tasks = (uint32_t)atoi(json_string_value(v));
	conf = calloc(json_object_size(u->config) + 1, sizeof(*conf));
	conv = calloc(json_object_size(convs) + 1, sizeof(*conv));
	if (!conf || !conv)
		goto out_fail;
	n = 0;
	json_object_foreach(u->config, k, v) conf[n++] =
	    (struct proto_kv){k, json_string_value(v)};
	st.config = conf;
	st.config_n = n;
	n = 0;
	json_object_foreach(convs, k, v) conv[n++] =
	    (struct proto_kv){k, json_string_value(v)};
	st.converters = conv;
	st.converters_n = n;
	if (u->kind == SV_UNIT_SOURCE) {
		stored = sv_offsets_of(u->ctx->offsets, u->conn);
		if (!stored || !(offs = calloc(json_array_size(stored) + 1,
		                               sizeof(*offs))))
			goto out_fail;
		json_array_foreach(stored, i, pair) offs[i] = (struct proto_kv){
		    json_string_value(json_array_get(pair, 0)),
		    json_string_value(json_array_get(pair, 1))};
		st.offsets = offs;
		st.offsets_n = json_array_size(stored);
	}
	/* a source started paused never polls */
	if (u->kind == SV_UNIT_SOURCE && u->want_pause)
		st.limits.flags |= PROTO_START_PAUSED;
	if (proto_start_pack(&u->pk, &st) || sv_unit_send(u))
		goto out_fail;
	enter(u, SV_PH_STARTING);
	goto out;
out_fail:
	msgpack_sbuffer_clear(&u->sb);
	sv_unit_fail(u, "cannot send START to the taskhost");
out:
	free(conf);
	free(conv);
	free(offs);
	json_decref(stored);
	json_decref(convs);
}

static void act_ready(struct sv_unit *u)
{
	u->ready_ms = sv_now_ms();
	set_trace(u, NULL);
	ulog(u, SV_LOG_INFO, "SV-UNIT-RUNNING", "%s is running (pid %d)",
	     sv_unit_label(u), (int)u->pid);
	enter(u, SV_PH_RUNNING);
	if (!u->want_run) {
		enter(u, SV_PH_STOPPING);
		send_stop(u);
		return;
	}
	if (u->want_pause)
		sv_unit_pause(u, true);
	if (u->sink)
		sv_sink_on_ready(u->sink);
}

static void act_stop_running(struct sv_unit *u)
{
	enter(u, SV_PH_STOPPING);
	send_stop(u);
}

/* STOPPING and the grace period is over: SIGTERM, then SIGKILL. */
static void act_stop_timeout(struct sv_unit *u)
{
	if (u->stop_signals == 0) {
		ulog(u, SV_LOG_WARN, "SV-UNIT-STOP-TIMEOUT",
		     "%s did not stop within %lld ms: SIGTERM",
		     sv_unit_label(u),
		     (long long)u->ctx->w->shutdown_timeout_ms);
		kill_process(u, SIGTERM);
		u->stop_signals = 1;
		arm_timer(u, KILL_GRACE_MS);
	} else {
		ulog(u, SV_LOG_WARN, "SV-UNIT-KILL",
		     "%s ignored SIGTERM: SIGKILL", sv_unit_label(u));
		kill_process(u, SIGKILL);
		u->stop_signals = 2;
	}
}

static bool jitter_seeded;

/* The delay before restart u->restarts (see struct sv_restart_policy). */
static int64_t backoff_ms(struct sv_unit *u)
{
	const struct sv_restart_policy *p = &u->policy;
	int64_t ms;

	if (u->restarts <= 1)
		return p->initial_ms;
	ms = p->base_ms;
	for (int i = 2; i < u->restarts && ms < p->max_ms; i++)
		ms *= 2;
	if (ms > p->max_ms)
		ms = p->max_ms;
	/* +-20 %: units that failed together do not restart in lockstep */
	if (!jitter_seeded) {
		srandom((unsigned)(getpid() ^ sv_wall_ms()));
		jitter_seeded = true;
	}
	ms = ms * (80 + random() % 41) / 100;
	return ms > p->max_ms ? p->max_ms : ms;
}

/* Schedules the next restart, or gives up. */
static void schedule_restart(struct sv_unit *u, const char *why)
{
	const struct sv_restart_policy *p = &u->policy;
	int64_t delay;

	if (u->ready_ms && sv_now_ms() - u->ready_ms >= p->stable_ms)
		u->restarts = 0; /* it ran long enough: count anew */
	if (p->max_attempts >= 0 && u->restarts >= p->max_attempts) {
		char trace[1200];

		snprintf(
		    trace, sizeof(trace),
		    "%s; gave up after %d restart(s) (restart.max.attempts=%lld)",
		    why, u->restarts, (long long)p->max_attempts);
		set_trace(u, trace);
		u->permanent = true;
		u->next_restart_at = 0;
		ulog(u, SV_LOG_ERROR, "SV-UNIT-FAILED", "%s FAILED: %s",
		     sv_unit_label(u), trace);
		enter(u, SV_PH_FAILED);
		return;
	}
	u->restarts++;
	delay = backoff_ms(u);
	u->last_restart_at = sv_wall_ms();
	ulog(u, SV_LOG_WARN, "SV-UNIT-RESTART", "%s: %s; restart %d in %lld ms",
	     sv_unit_label(u), why, u->restarts, (long long)delay);
	if (delay == 0) {
		u->next_restart_at = 0;
		do_spawn(u);
		return;
	}
	u->next_restart_ms = sv_now_ms() + delay;
	u->next_restart_at = u->last_restart_at + delay;
	arm_timer(u, delay);
	enter(u, SV_PH_BACKOFF);
}

/* The process ended while it should run. */
static void act_died(struct sv_unit *u)
{
	char trace[1024];
	bool permanent = false;

	if (u->fail_kind) {
		snprintf(trace, sizeof(trace), "%s", u->fail_msg);
		permanent = u->fail_kind == PROTO_FAIL_CONFIG ||
		            u->fail_kind == PROTO_FAIL_LOAD ||
		            u->fail_kind == PROTO_FAIL_DATA;
	} else if (WIFSIGNALED(exit_status) &&
	           WTERMSIG(exit_status) == SIGSYS) {
		snprintf(trace, sizeof(trace),
		         "sandbox violation: the taskhost %s", exit_how);
		permanent = true;
	} else if (WIFSIGNALED(exit_status) &&
	           WTERMSIG(exit_status) == SIGKILL &&
	           sv_cgroup_oom_kills(sv_unit_label(u)) > u->oom_kills) {
		snprintf(trace, sizeof(trace),
		         "out of memory: the kernel killed the taskhost at its "
		         "memory limit (sandbox.memory.max)");
	} else if (u->trace && u->permanent) {
		/* sv_unit_fail() already said why */
		snprintf(trace, sizeof(trace), "%s", u->trace);
		permanent = true;
	} else {
		snprintf(trace, sizeof(trace), "the taskhost %s", exit_how);
		permanent = WIFEXITED(exit_status) &&
		            WEXITSTATUS(exit_status) == EXIT_PERMANENT;
	}
	if (u->kind == SV_UNIT_VALIDATE) {
		/* a validation runs once: done, or failed to run */
		if (u->validated) {
			enter(u, SV_PH_IDLE);
			return;
		}
		set_trace(u, trace);
		if (u->ops->validated)
			u->ops->validated(u, NULL, trace);
		enter(u, SV_PH_FAILED);
		return;
	}
	set_trace(u, trace);
	u->permanent = permanent;
	if (u->sink)
		sv_sink_on_exit(u->sink);
	if (permanent) {
		ulog(u, SV_LOG_ERROR, "SV-UNIT-FAILED", "%s FAILED: %s",
		     sv_unit_label(u), trace);
		enter(u, SV_PH_FAILED);
		return;
	}
	schedule_restart(u, trace);
}

/* The process ended while stopping: that is what we wanted. */
static void act_stopped(struct sv_unit *u)
{
	evtimer_del(u->ev_timer);
	if (u->sink)
		sv_sink_on_exit(u->sink);
	if (u->fail_kind) {
		set_trace(u, u->fail_msg);
		ulog(u, SV_LOG_WARN, "SV-UNIT-STOP-FAILED",
		     "%s failed while stopping: %s", sv_unit_label(u),
		     u->fail_msg);
	}
	ulog(u, SV_LOG_INFO, "SV-UNIT-STOPPED", "%s stopped (%s)",
	     sv_unit_label(u), exit_how);
	enter(u, SV_PH_IDLE);
	if (u->want_run) {
		/* started again while it was stopping */
		do_spawn(u);
		return;
	}
	act_stop_idle(u);
}

static void act_restart_now(struct sv_unit *u)
{
	u->restarts = 0;
	u->permanent = false;
	u->next_restart_at = 0;
	do_spawn(u);
}

/* phase x event -> action; NULL: nothing to do */
static void (*const fsm[SV_PH_MAX][EV_MAX])(struct sv_unit *u) = {
    [SV_PH_IDLE] =
        {
            [EV_START] = act_spawn,
            [EV_STOP] = act_stop_idle,
        },
    [SV_PH_SPAWNED] =
        {
            [EV_STOP] = act_kill_now,
            [EV_HELLO] = act_hello,
            [EV_EXIT] = act_died,
        },
    [SV_PH_STARTING] =
        {
            /* EV_STOP: act_ready sees !want_run and stops */
            [EV_READY] = act_ready,
            [EV_EXIT] = act_died,
        },
    [SV_PH_RUNNING] =
        {
            [EV_STOP] = act_stop_running,
            [EV_EXIT] = act_died,
        },
    [SV_PH_STOPPING] =
        {
            [EV_EXIT] = act_stopped,
            [EV_TIMER] = act_stop_timeout,
        },
    [SV_PH_BACKOFF] =
        {
            [EV_STOP] = act_stop_idle,
            [EV_TIMER] = act_spawn,
        },
    [SV_PH_FAILED] =
        {
            [EV_START] = act_restart_now,
            [EV_STOP] = act_stop_idle,
        },
};

static void dispatch(struct sv_unit *u, enum sv_event ev)
{
	void (*act)(struct sv_unit *) = fsm[u->phase][ev];

	if (act)
		act(u);
}

/* --- messages ------------------------------------------------------------ */

#define K(kind) (1u << (kind))
#define K_ALL                                                         \
	(K(SV_UNIT_CONNECTOR) | K(SV_UNIT_SOURCE) | K(SV_UNIT_SINK) | \
	 K(SV_UNIT_VALIDATE))
#define K_TASKS (K(SV_UNIT_CONNECTOR) | K(SV_UNIT_SOURCE) | K(SV_UNIT_SINK))
#define P(ph)   (1u << (ph))
#define P_UP    (P(SV_PH_STARTING) | P(SV_PH_RUNNING) | P(SV_PH_STOPPING))

static int msg_hello(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                     nng_msg *m, char *err, size_t errlen)
{
	struct proto_hello h;
	uint64_t peer = 0;
	nng_pipe p = nng_msg_get_pipe(m);

	if (proto_hello_unpack(rd, nf, &h) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed HELLO");
		return -EPROTO;
	}
	if (h.version != PROTO_VERSION) {
		snprintf(err, errlen, "protocol version %llu, expected %d",
		         (unsigned long long)h.version, PROTO_VERSION);
		return -EPROTO;
	}
	/* sandbox: the peer may be the task in the sandbox, the grandchild
	 * of the monitor we spawned (sv_sandbox.h) */
	if (nng_pipe_get_uint64(p, NNG_OPT_IPC_PEER_PID, &peer) ||
	    !sv_sandbox_peer_ok(u->pid, peer) || h.pid != (uint64_t)u->pid) {
		/* not our child: drop that connection only */
		sv_ulog(SV_LOG_WARN, "SV-UNIT-PEER", u->conn, u->task,
		        "rejected a connection from pid %llu (expected %d)",
		        (unsigned long long)peer, (int)u->pid);
		nng_pipe_close(p);
		return 1;
	}
	/* one connection per process: with its path gone nobody else can
	 * dial in (closing the listener would close this pipe too) */
	if (u->listener_open) {
		unlink(u->sockpath);
		u->listener_open = false;
	}
	dispatch(u, EV_HELLO);
	return 0;
}

static int msg_ready(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                     nng_msg *m, char *err, size_t errlen)
{
	(void)m;
	if (proto_empty_unpack(rd, nf) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed READY");
		return -EPROTO;
	}
	dispatch(u, EV_READY);
	return 0;
}

static int msg_failed(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                      nng_msg *m, char *err, size_t errlen)
{
	struct proto_failed f;

	(void)m;
	if (proto_failed_unpack(rd, nf, &f) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed FAILED");
		return -EPROTO;
	}
	u->fail_kind = f.kind;
	free(u->fail_msg);
	if (asprintf(&u->fail_msg, "%.*s", (int)f.trace.n, f.trace.p) < 0)
		u->fail_msg = NULL;
	ulog(u, SV_LOG_ERROR, "SV-UNIT-TASK-FAILED", "%s reports: %.*s",
	     sv_unit_label(u), (int)f.message.n, f.message.p);
	/* its last word: the exit that follows decides what happens */
	close_channel(u);
	return 0;
}

static int msg_stopped(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                       nng_msg *m, char *err, size_t errlen)
{
	(void)m;
	(void)u;
	if (proto_empty_unpack(rd, nf) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed STOPPED");
		return -EPROTO;
	}
	close_channel(u); /* its exit follows */
	return 0;
}

static int msg_log(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                   nng_msg *m, char *err, size_t errlen)
{
	struct proto_log l;
	int level;

	(void)m;
	if (proto_log_unpack(rd, nf, &l) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed LOG");
		return -EPROTO;
	}
	level = l.level <= SV_LOG_ERROR  ? SV_LOG_ERROR
	        : l.level <= SV_LOG_WARN ? SV_LOG_WARN
	        : l.level <= SV_LOG_INFO ? SV_LOG_INFO
	                                 : SV_LOG_DEBUG;
	if (sv_log_level >= level && log_allowed(u))
		sv_log_write(level, 'T', "TH-LOG", u->conn, u->task, "%.*s",
		             (int)l.message.n, l.message.p);
	return 0;
}

static int msg_pong(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                    nng_msg *m, char *err, size_t errlen)
{
	uint64_t n;

	(void)m;
	if (proto_u64_unpack(rd, nf, &n) || !proto_rd_done(rd) ||
	    n > u->ping_n) {
		snprintf(err, errlen, "malformed PONG");
		return -EPROTO;
	}
	u->last_pong_ms = sv_now_ms();
	return 0;
}

static int msg_task_configs(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                            nng_msg *m, char *err, size_t errlen)
{
	struct proto_task_configs tc;
	json_t *list = json_array();
	struct proto_rd it;
	int rc = -EPROTO;

	(void)m;
	if (!list)
		return -ENOMEM;
	if (proto_task_configs_unpack(rd, nf, &tc) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed TASK_CONFIGS");
		goto out;
	}
	it = tc.tasks;
	for (uint32_t i = 0; i < tc.tasks_n; i++) {
		json_t *obj = json_object();
		uint32_t n;

		if (!obj || json_array_append_new(list, obj) ||
		    proto_rd_map(&it, &n))
			goto out;
		for (uint32_t j = 0; j < n; j++) {
			struct proto_str k, v;
			json_t *js;
			char key[256];

			if (proto_kv_next(&it, &k, &v))
				goto out;
			js = json_stringn(v.p, v.n);
			if (!js || k.n >= sizeof(key) ||
			    memchr(k.p, '\0', k.n)) {
				json_decref(js);
				snprintf(err, errlen,
				         "TASK_CONFIGS with a key or value "
				         "that is not valid UTF-8 text");
				goto out;
			}
			memcpy(key, k.p, k.n);
			key[k.n] = '\0';
			if (json_object_set_new(obj, key, js))
				goto out;
		}
	}
	rc = 0;
	if (u->ops->task_configs)
		u->ops->task_configs(u, list);
out:
	json_decref(list);
	return rc;
}

static int msg_validation(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                          nng_msg *m, char *err, size_t errlen)
{
	struct proto_validation v;
	json_t *list = json_array();
	struct proto_rd it;
	int rc = -EPROTO;

	(void)m;
	if (!list)
		return -ENOMEM;
	if (proto_validation_unpack(rd, nf, &v) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed VALIDATION");
		goto out;
	}
	it = v.errors;
	for (uint32_t i = 0; i < v.errors_n; i++) {
		struct proto_str k, msg;
		json_t *pair;

		if (proto_pair_next(&it, &k, &msg))
			goto out;
		pair =
		    json_pack("[s%s%]", k.p, (size_t)k.n, msg.p, (size_t)msg.n);
		if (!pair || json_array_append_new(list, pair)) {
			snprintf(err, errlen,
			         "VALIDATION with text that is "
			         "not valid UTF-8");
			goto out;
		}
	}
	rc = 0;
	u->validated = true;
	close_channel(u);
	if (u->ops->validated)
		u->ops->validated(u, list, NULL);
out:
	json_decref(list);
	return rc;
}

static int msg_source_batch(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                            nng_msg *m, char *err, size_t errlen)
{
	int rc = sv_src_on_batch(u->src, rd, nf, m, NULL, err, errlen);

	return rc == 0 ? 2 : rc; /* 2: the frame was taken */
}

/* A SOURCE_BATCH in the batch region: handled on a copy of it. */
static int msg_source_shared(struct sv_unit *u, struct proto_rd *rd,
                             uint32_t nf, nng_msg *m, char *err, size_t errlen)
{
	struct proto_rd frame;
	uint32_t slot, len, type, fnf;
	void *copy;
	int rc;

	(void)m;
	if (proto_shared_unpack(rd, nf, &slot, &len) || !proto_rd_done(rd)) {
		snprintf(err, errlen, "malformed SOURCE_SHARED");
		return -EPROTO;
	}
	if (!(copy = sv_region_copy(&u->region, slot, len, err, errlen)))
		return -EPROTO;
	if (proto_frame_open(&frame, copy, len, &type, &fnf) ||
	    type != PROTO_SOURCE_BATCH) {
		snprintf(err, errlen, "slot %u holds no SOURCE_BATCH", slot);
		free(copy);
		return -EPROTO;
	}
	rc = sv_src_on_batch(u->src, &frame, fnf, NULL, copy, err, errlen);
	if (rc)
		free(copy);
	return rc;
}

static int msg_sink_ack(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                        nng_msg *m, char *err, size_t errlen)
{
	(void)m;
	return sv_sink_on_ack(u->sink, rd, nf, err, errlen);
}

static int msg_sink_flushed(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
                            nng_msg *m, char *err, size_t errlen)
{
	(void)m;
	return sv_sink_on_flushed(u->sink, rd, nf, err, errlen);
}

/*
 * What a taskhost may send: the unit kinds allowed to send it and the
 * phases it may arrive in. Handlers return 0 (handled), 1 (ignored), 2
 * (handled and the frame kept), or -EPROTO with the reason.
 */
static const struct msg_rule {
	uint32_t type;
	unsigned kinds;
	unsigned phases;
	int (*handle)(struct sv_unit *u, struct proto_rd *rd, uint32_t nf,
	              nng_msg *m, char *err, size_t errlen);
} msg_rules[] = {
    {PROTO_HELLO, K_ALL, P(SV_PH_SPAWNED), msg_hello},
    {PROTO_READY, K_TASKS, P(SV_PH_STARTING), msg_ready},
    {PROTO_FAILED, K_ALL, P_UP, msg_failed},
    {PROTO_STOPPED, K_TASKS, P(SV_PH_STOPPING), msg_stopped},
    {PROTO_LOG, K_ALL, P_UP, msg_log},
    {PROTO_PONG, K_ALL, P_UP, msg_pong},
    {PROTO_TASK_CONFIGS, K(SV_UNIT_CONNECTOR),
     P(SV_PH_RUNNING) | P(SV_PH_STOPPING), msg_task_configs},
    {PROTO_VALIDATION, K(SV_UNIT_VALIDATE), P(SV_PH_STARTING), msg_validation},
    {PROTO_SOURCE_BATCH, K(SV_UNIT_SOURCE),
     P(SV_PH_RUNNING) | P(SV_PH_STOPPING), msg_source_batch},
    {PROTO_SOURCE_SHARED, K(SV_UNIT_SOURCE),
     P(SV_PH_RUNNING) | P(SV_PH_STOPPING), msg_source_shared},
    {PROTO_SINK_ACK, K(SV_UNIT_SINK), P(SV_PH_RUNNING) | P(SV_PH_STOPPING),
     msg_sink_ack},
    {PROTO_SINK_FLUSHED, K(SV_UNIT_SINK), P(SV_PH_RUNNING) | P(SV_PH_STOPPING),
     msg_sink_flushed},
};

static const struct msg_rule *find_rule(uint32_t type)
{
	for (size_t i = 0; i < sizeof(msg_rules) / sizeof(msg_rules[0]); i++)
		if (msg_rules[i].type == type)
			return &msg_rules[i];
	return NULL;
}

/* Handles one frame. Returns false if the unit's process was failed. */
static bool handle_frame(struct sv_unit *u, nng_msg *m)
{
	const struct msg_rule *r;
	struct proto_rd rd;
	uint32_t type, nf;
	char err[512] = "";
	int rc;

	if (proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m), &type,
	                     &nf)) {
		size_t len = nng_msg_len(m);

		nng_msg_free(m);
		sv_unit_fail(u,
		             "protocol violation: a frame that is not a "
		             "sluice message (%zu bytes)",
		             len);
		return false;
	}
	r = find_rule(type);
	/* a taskhost killed before it could start may have said HELLO on
	 * its way out: not a violation, it is going anyway */
	if (u->phase == SV_PH_STOPPING && u->stop_signals == 2 &&
	    type == PROTO_HELLO) {
		nng_msg_free(m);
		return false;
	}
	if (!r || !(r->kinds & K(u->kind)) || !(r->phases & P(u->phase))) {
		nng_msg_free(m);
		sv_unit_fail(u,
		             "protocol violation: %s (%u) is not allowed from "
		             "a %s unit in this phase",
		             proto_type_name(type), type,
		             u->kind == SV_UNIT_SOURCE     ? "source task"
		             : u->kind == SV_UNIT_SINK     ? "sink task"
		             : u->kind == SV_UNIT_VALIDATE ? "validation"
		                                           : "connector");
		return false;
	}
	ulog(u, SV_LOG_DEBUG, "SV-UNIT-FRAME", "%s from %s in phase %d",
	     proto_type_name(type), sv_unit_label(u), (int)u->phase);
	rc = r->handle(u, &rd, nf, m, err, sizeof(err));
	if (rc != 2)
		nng_msg_free(m);
	if (rc < 0) {
		sv_unit_fail(u, "protocol violation: %s: %s",
		             proto_type_name(type), *err ? err : strerror(-rc));
		return false;
	}
	return true;
}

static void drain(struct sv_unit *u)
{
	uint64_t gen = u->gen;

	/* handlers may end the process: stop when it changed */
	while (u->sock_open && u->gen == gen) {
		nng_msg *m;

		if (nng_recvmsg(u->sock, &m, NNG_FLAG_NONBLOCK) != 0)
			break;
		if (u->failing) {
			nng_msg_free(m); /* being killed: read, not heard */
			continue;
		}
		if (!handle_frame(u, m))
			break;
	}
}

static void on_recv(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;

	(void)fd;
	(void)what;
	sv_unit_ref(u);
	drain(u);
	sv_unit_unref(u);
}

static void on_pid(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;
	int status = 0;

	(void)fd;
	(void)what;
	sv_unit_ref(u);
	/* what it said before it died (FAILED) comes first */
	drain(u);
	if (u->pid > 0 && waitpid(u->pid, &status, 0) == u->pid) {
		/* and whatever is left of its process group */
		kill(-u->pid, SIGKILL);
		/* sandbox: the channel closes after the task itself is gone
		 * (sv_sandbox.h) */
		sv_sandbox_reaped(u->pid);
		u->pid = 0;
		exit_status = status;
		sv_spawn_describe_status(status, exit_how, sizeof(exit_how));
		close_process(u);
		dispatch(u, EV_EXIT);
	}
	sv_unit_unref(u);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;

	(void)fd;
	(void)what;
	sv_unit_ref(u);
	dispatch(u, EV_TIMER);
	sv_unit_unref(u);
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct sv_unit *u = arg;
	struct sv_worker *w = u->ctx->w;
	int64_t quiet = sv_now_ms() - u->last_pong_ms;

	(void)fd;
	(void)what;
	if (!u->pid || u->phase == SV_PH_STOPPING)
		return;
	if (quiet > w->heartbeat_timeout_ms) {
		char why[128];

		snprintf(why, sizeof(why), "no heartbeat for %lld ms",
		         (long long)quiet);
		ulog(u, SV_LOG_ERROR, "SV-UNIT-HEARTBEAT", "%s: %s: SIGKILL",
		     sv_unit_label(u), why);
		set_trace(u, why);
		u->permanent = false;
		kill_process(u, SIGKILL);
		/* the exit event restarts it; this trace explains why */
		free(u->fail_msg);
		u->fail_msg = strdup(why);
		u->fail_kind = u->fail_msg ? PROTO_FAIL_PLUGIN : 0;
		return;
	}
	if (u->phase == SV_PH_SPAWNED)
		return; /* no channel yet; HELLO is due within the timeout */
	if (proto_u64_pack(&u->pk, PROTO_PING, ++u->ping_n) == 0)
		sv_unit_send(u);
}

/* --- public ------------------------------------------------------------- */

void sv_unit_fail(struct sv_unit *u, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (u->failing)
		return; /* the first reason stands */
	ulog(u, SV_LOG_ERROR, "SV-UNIT-VIOLATION", "%s: %s: killing it",
	     sv_unit_label(u), msg);
	set_trace(u, msg);
	u->permanent = true;
	free(u->fail_msg);
	u->fail_msg = NULL;
	u->fail_kind = 0;
	if (u->pid > 0) {
		/* what it still sends is not read: the first reason stands,
		 * and the exit event finishes the job */
		u->failing = true;
		kill_process(u, SIGKILL);
		return;
	}
	if (u->phase != SV_PH_IDLE && u->phase != SV_PH_FAILED)
		enter(u, SV_PH_FAILED);
}

void sv_unit_start(struct sv_unit *u)
{
	u->want_run = true;
	dispatch(u, EV_START);
}

void sv_unit_stop(struct sv_unit *u)
{
	u->want_run = false;
	u->stop_notify = true;
	if (u->phase == SV_PH_STARTING || u->phase == SV_PH_STOPPING)
		return; /* act_ready or the exit finishes it */
	dispatch(u, EV_STOP);
}

void sv_unit_pause(struct sv_unit *u, bool pause)
{
	u->want_pause = pause;
	if (u->phase != SV_PH_RUNNING)
		return;
	if (u->sink) {
		sv_sink_pause(u->sink, pause);
	} else if (u->kind == SV_UNIT_SOURCE) {
		if (proto_empty_pack(&u->pk,
		                     pause ? PROTO_PAUSE : PROTO_RESUME) == 0)
			sv_unit_send(u);
	}
	notify_status(u);
}

void sv_unit_settled(struct sv_unit *u)
{
	if (u->phase == SV_PH_IDLE || u->phase == SV_PH_FAILED) {
		if (u->want_run || !u->ops->stopped)
			return;
		u->ops->stopped(u);
	}
}

const char *sv_unit_state(const struct sv_unit *u)
{
	switch (u->phase) {
	case SV_PH_RUNNING:
	case SV_PH_STOPPING:
		return u->want_pause ? "PAUSED" : "RUNNING";
	case SV_PH_SPAWNED:
	case SV_PH_STARTING:
		return u->restarts ? "RESTARTING" : "UNASSIGNED";
	case SV_PH_BACKOFF:
		return "RESTARTING";
	case SV_PH_FAILED:
		return "FAILED";
	default:
		return "UNASSIGNED";
	}
}

int sv_restart_policy_get(const struct sv_worker *w, json_t *conn_config,
                          struct sv_restart_policy *p, const char **bad_key,
                          char *err, size_t errlen)
{
	static const struct {
		const char *key;
		size_t off;
		int64_t min;
	} keys[] = {
	    {"restart.backoff.initial.ms",
	     offsetof(struct sv_restart_policy, initial_ms), 0},
	    {"restart.backoff.base.ms",
	     offsetof(struct sv_restart_policy, base_ms), 1},
	    {"restart.backoff.max.ms",
	     offsetof(struct sv_restart_policy, max_ms), 1},
	    {"restart.stable.ms", offsetof(struct sv_restart_policy, stable_ms),
	     1},
	    {"restart.max.attempts",
	     offsetof(struct sv_restart_policy, max_attempts), -1},
	};

	*p = (struct sv_restart_policy){
	    .initial_ms = w->restart_initial_ms,
	    .base_ms = w->restart_base_ms,
	    .max_ms = w->restart_max_ms,
	    .stable_ms = w->restart_stable_ms,
	    .max_attempts = w->restart_max_attempts,
	};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = json_string_value(
		    json_object_get(conn_config, keys[i].key));
		char *end;
		long long v;

		if (!s)
			continue;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno || end == s || *end || v < keys[i].min ||
		    v > INT32_MAX * 1000LL) {
			snprintf(
			    err, errlen,
			    "Invalid value %s for configuration %s: must be an integer of at least %lld",
			    s, keys[i].key, (long long)keys[i].min);
			if (bad_key)
				*bad_key = keys[i].key;
			return -EINVAL;
		}
		*(int64_t *)((char *)p + keys[i].off) = v;
	}
	return 0;
}

static json_t *iso_time(int64_t ms)
{
	char buf[80];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	         tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return json_string(buf);
}

json_t *sv_unit_status_extra(const struct sv_unit *u)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "restarts", json_integer(u->restarts));
	if (u->pid > 0)
		json_object_set_new(o, "pid", json_integer(u->pid));
	if (u->last_restart_at)
		json_object_set_new(o, "last_restart",
		                    iso_time(u->last_restart_at));
	if (u->next_restart_at && u->phase == SV_PH_BACKOFF)
		json_object_set_new(o, "next_restart",
		                    iso_time(u->next_restart_at));
	return o;
}

struct sv_unit *sv_unit_new(struct sv_ctx *ctx, enum sv_unit_kind kind,
                            const char *conn, int task,
                            const struct sv_plugin *plugin, json_t *config,
                            json_t *conn_config, const struct sv_unit_ops *ops,
                            void *opaque, char *err, size_t errlen)
{
	struct sv_unit *u = calloc(1, sizeof(*u));

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	u->ctx = ctx;
	u->ops = ops;
	u->opaque = opaque;
	u->kind = kind;
	u->id = ++ctx->next_id;
	u->task = task;
	u->plugin = plugin;
	u->pidfd = u->logfd = -1;
	u->refs = 1;
	u->log_tokens = LOG_BURST;
	u->log_tokens_at = sv_now_ms();
	msgpack_sbuffer_init(&u->sb);
	msgpack_packer_init(&u->pk, &u->sb, msgpack_sbuffer_write);
	u->conn = strdup(conn);
	u->config = json_deep_copy(config);
	u->conn_config = json_deep_copy(conn_config);
	u->ev_timer = evtimer_new(ctx->base, on_timer, u);
	u->ev_hb = event_new(ctx->base, -1, EV_PERSIST, on_heartbeat, u);
	u->ev_gone = evtimer_new(ctx->base, on_gone_timer, u);
	TAILQ_INSERT_TAIL(&units, u, all);
	u->listed = true;
	if (!u->ev_gone || watch_channels(ctx->base)) {
		snprintf(err, errlen, "cannot watch task channels");
		goto out_free;
	}
	if (!u->conn || !u->config || !u->conn_config || !u->ev_timer ||
	    !u->ev_hb) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (sv_restart_policy_get(ctx->w, conn_config, &u->policy, NULL, err,
	                          errlen))
		goto out_free;
	if (kind == SV_UNIT_SOURCE && !(u->src = sv_src_new(u))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (kind == SV_UNIT_SINK && !(u->sink = sv_sink_new(u, err, errlen)))
		goto out_free;
	return u;
out_free:
	sv_unit_free(u);
	return NULL;
}

static void destroy(struct sv_unit *u)
{
	if (u->pid > 0) {
		kill_process(u, SIGKILL);
		waitpid(u->pid, NULL, 0);
		sv_sandbox_reaped(u->pid); /* sandbox: see on_pid */
		u->pid = 0;
	}
	close_process(u);
	if (u->listed)
		TAILQ_REMOVE(&units, u, all);
	sv_src_free(u->src);
	sv_sink_free(u->sink);
	if (u->ev_gone)
		event_free(u->ev_gone);
	if (u->ev_timer)
		event_free(u->ev_timer);
	if (u->ev_hb)
		event_free(u->ev_hb);
	msgpack_sbuffer_destroy(&u->sb);
	json_decref(u->config);
	json_decref(u->conn_config);
	free(u->conn);
	free(u->trace);
	free(u->fail_msg);
	free(u);
}

void sv_unit_ref(struct sv_unit *u)
{
	u->refs++;
}

void sv_unit_unref(struct sv_unit *u)
{
	if (--u->refs == 0)
		destroy(u);
}

void sv_unit_free(struct sv_unit *u)
{
	if (!u)
		return;
	u->dead = true;
	u->ops = &no_ops;
	sv_unit_unref(u);
}
