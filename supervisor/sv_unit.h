/*
 * sv_unit.h: a unit is one connector instance or one task, run by one
 * sluice-taskhost process at a time.
 *
 * The unit spawns its taskhost (sv_spawn.h), listens for it on a private
 * ipc:// socket, checks its pid, sends START, relays its log, watches it
 * (process exit through a pidfd, PING/PONG heartbeats), and restarts it
 * when it dies: at once the first time, then with a doubling backoff.
 * Failures a restart cannot fix (a config error, a plugin that does not
 * load, a record that cannot be converted, a protocol violation) leave the
 * unit FAILED until it is restarted on purpose. The lifecycle is one
 * phase x event table in sv_unit.c; what each taskhost message may do in
 * which phase is another table there.
 *
 * Source and sink tasks carry their data path (sv_source.h, sv_sink.h),
 * which outlives a single process.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_UNIT_H
#define SLUICE_SV_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>
#include <msgpack.h>
#include <nng/nng.h>

#include "proto.h"
#include "sv_cluster.h"
#include "sv_kafka.h"
#include "sv_offsets.h"
#include "sv_plugins.h"
#include "sv_region.h"
#include "sv_worker.h"

/* What every unit shares. */
struct sv_ctx {
	struct event_base *base;
	struct sv_worker *w;
	struct sv_kafka *kafka;
	struct sv_offsets *offsets;
	struct sv_plugins *plugins;
	uint64_t next_id;
	struct sv_cluster *cluster; /* distributed mode; NULL standalone */
};

enum sv_unit_kind {
	SV_UNIT_CONNECTOR = PROTO_ROLE_CONNECTOR,
	SV_UNIT_SOURCE = PROTO_ROLE_SOURCE,
	SV_UNIT_SINK = PROTO_ROLE_SINK,
	SV_UNIT_VALIDATE = PROTO_ROLE_VALIDATE,
};

/* The process's phase; the status shown to users derives from it. */
enum sv_phase {
	SV_PH_IDLE,     /* no process */
	SV_PH_SPAWNED,  /* started, waiting for HELLO */
	SV_PH_STARTING, /* START sent, waiting for READY */
	SV_PH_RUNNING,
	SV_PH_STOPPING, /* stop asked, waiting for the process to end */
	SV_PH_BACKOFF,  /* waiting to restart */
	SV_PH_FAILED,   /* no process; stays until started again */
	SV_PH_MAX
};

struct sv_unit;
struct sv_src;
struct sv_sink;

/*
 * When a unit's process dies, restart n (1, 2, ...) waits `initial_ms` for
 * n = 1, then base_ms * 2^(n-2) capped at max_ms, each with +-20 %
 * jitter; after max_attempts restarts (-1: no limit) the unit is FAILED.
 * A process that ran for stable_ms resets the count. Worker defaults
 * (restart.*), overridden per connector by the same keys.
 */
struct sv_restart_policy {
	int64_t initial_ms;
	int64_t base_ms;
	int64_t max_ms;
	int64_t stable_ms;
	int64_t max_attempts;
};

/*
 * Reads the policy: the worker's defaults, then the connector's keys
 * (restart.backoff.initial.ms, restart.backoff.base.ms,
 * restart.backoff.max.ms, restart.stable.ms, restart.max.attempts).
 * Returns 0, or -EINVAL with the first bad key named in err.
 */
int sv_restart_policy_get(const struct sv_worker *w, json_t *conn_config,
                          struct sv_restart_policy *p, const char **bad_key,
                          char *err, size_t errlen);

struct sv_unit_ops {
	/* The unit's status changed (for the status store and logs). */
	void (*status)(struct sv_unit *u);
	/* Connector units: the connector's task configs, an array of
	 * string->string objects (borrowed). */
	void (*task_configs)(struct sv_unit *u, json_t *configs);
	/* Validate units: errors is an array of [key, message] (borrowed),
	 * or NULL when validation itself failed (failure says why). */
	void (*validated)(struct sv_unit *u, json_t *errors,
	                  const char *failure);
	/* A stop asked with sv_unit_stop has finished: no process, and every
	 * record it produced is settled. */
	void (*stopped)(struct sv_unit *u);
};

struct sv_unit {
	struct sv_ctx *ctx;
	const struct sv_unit_ops *ops;
	void *opaque; /* the owner's */
	enum sv_unit_kind kind;
	uint64_t id;
	char *conn;
	int task; /* -1 for connector and validate units */
	const struct sv_plugin *plugin;
	json_t *config;      /* connector or task config */
	json_t *conn_config; /* the connector's (converters, errors.*) */

	/* the current process, if any */
	enum sv_phase phase;
	pid_t pid;
	int pidfd;
	int logfd;
	uint64_t gen;
	char sockpath[108];
	struct sv_region region; /* a source task's batch region */
	nng_socket sock;
	bool sock_open;
	nng_listener listener;
	bool listener_open;
	struct event *ev_pid;
	struct event *ev_recv;
	struct event *ev_log;
	struct event *ev_timer; /* backoff, stop grace, heartbeat */
	struct event *ev_hb;
	char logbuf[4096];
	size_t loglen;
	int64_t log_tokens_at; /* log rate limit: token bucket */
	double log_tokens;
	uint64_t log_dropped;

	/* what the owner wants */
	bool want_run;
	bool want_pause;
	bool stop_notify; /* call ops->stopped when stopped */

	/* what happened */
	uint32_t fail_kind; /* from FAILED, 0: none */
	char *fail_msg;
	char *trace;           /* shown in the status */
	bool permanent;        /* the last failure is not retried */
	bool validated;        /* a validate unit got its answer */
	int64_t oom_kills;     /* its cgroup's OOM kills when it started */
	struct event *ev_gone; /* the channel closed under a live process */
	uint64_t gone_gen;
	bool listed; /* in sv_unit.c's list of units */
	TAILQ_ENTRY(sv_unit) all;
	bool failing; /* sv_unit_fail() killed it: ignore its frames */
	struct sv_restart_policy policy;
	int restarts;       /* consecutive, reset after a stable period */
	int64_t started_ms; /* the process was spawned */
	int64_t ready_ms;   /* it said READY, 0: not yet */
	int64_t next_restart_ms;
	int64_t last_restart_at; /* wall clock, ms since the epoch, 0: none */
	int64_t next_restart_at; /* wall clock, 0: none pending */
	int64_t stop_deadline_ms;
	int stop_signals; /* 0, then SIGTERM sent (1), then SIGKILL (2) */
	uint64_t ping_n;
	int64_t last_pong_ms;

	msgpack_sbuffer sb;
	msgpack_packer pk;

	struct sv_src *src;   /* SV_UNIT_SOURCE */
	struct sv_sink *sink; /* SV_UNIT_SINK */

	char shown[16]; /* the owner's: the state last reported */

	int refs;  /* in-flight deliveries and the owner */
	bool dead; /* freed when refs reaches 0 */
};

/*
 * Creates a unit (no process yet). config and conn_config are copied.
 * NULL with err set on failure.
 */
struct sv_unit *sv_unit_new(struct sv_ctx *ctx, enum sv_unit_kind kind,
                            const char *conn, int task,
                            const struct sv_plugin *plugin, json_t *config,
                            json_t *conn_config, const struct sv_unit_ops *ops,
                            void *opaque, char *err, size_t errlen);

/*
 * Drops the owner's reference. The unit must be stopped (phase IDLE or
 * FAILED); it is freed once its last in-flight delivery has reported.
 */
void sv_unit_free(struct sv_unit *u);
void sv_unit_ref(struct sv_unit *u);
void sv_unit_unref(struct sv_unit *u);

/* Runs the unit (spawns its process); also restarts a FAILED one. */
void sv_unit_start(struct sv_unit *u);
/* Stops the unit gracefully; ops->stopped is called when done. */
void sv_unit_stop(struct sv_unit *u);
/* Pauses or resumes: the process stays, data stops or flows. */
void sv_unit_pause(struct sv_unit *u, bool pause);
/* Kills the process now and fails the unit with this reason (a protocol
 * violation, a delivery failure): not retried. */
void sv_unit_fail(struct sv_unit *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends STOP now (the sink sends it after its last flush). */
void sv_unit_send_stop(struct sv_unit *u);

/* Sends what u->sb holds as one frame. 0 or -EIO. */
int sv_unit_send(struct sv_unit *u);

/* True while a started process (READY, possibly stopping) listens. */
bool sv_unit_live(const struct sv_unit *u);

/* Kafka Connect's state name for the unit: UNASSIGNED, RUNNING, PAUSED,
 * FAILED, RESTARTING (STOPPED is the owner's to say). */
const char *sv_unit_state(const struct sv_unit *u);

/* The sluice fields of a unit's status beside Kafka Connect's: restart
 * count, pid, last and next restart times (ISO 8601). New reference. */
json_t *sv_unit_status_extra(const struct sv_unit *u);

/* "conn" or "conn-3", for logs. */
const char *sv_unit_label(const struct sv_unit *u);

/* A stopped unit whose data path still waits for deliveries calls this
 * when they have settled (sv_source.c). */
void sv_unit_settled(struct sv_unit *u);

/* Milliseconds: monotonic (sv_now_ms), and since the epoch (sv_wall_ms). */
int64_t sv_now_ms(void);
int64_t sv_wall_ms(void);

#endif /* SLUICE_SV_UNIT_H */
