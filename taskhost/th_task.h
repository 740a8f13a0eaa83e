/*
 * th_task.h: one connector instance or task, from START to exit.
 *
 * th_task_run() takes over once the channel is up: it answers HELLO's
 * START, loads the plugin, runs the role's loop (th_task.c: connector and
 * validate; th_source.c; th_sink.c) and returns the process exit status:
 * 0 after a clean STOP, 100 for a failure that a restart cannot fix
 * (config, plugin load), 111 for one it might (plugin error, lost
 * channel).
 *
 * Runs on the main thread only.
 */
#ifndef SLUICE_TH_TASK_H
#define SLUICE_TH_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include <msgpack.h>
#include <nng/nng.h>

#include "proto.h"
#include "th_conv.h"
#include "th_data.h"
#include "th_ipc.h"
#include "th_plugin.h"
#include "th_sandbox.h"

#define TH_EXIT_OK        0
#define TH_EXIT_PERMANENT 100
#define TH_EXIT_TEMPORARY 111

struct th_task {
	struct th_ipc *ipc;
	const struct th_sandbox_ops *sandbox;
	struct th_sandbox_spec *spec;

	uint32_t role; /* enum proto_role */
	char *connector;
	int32_t task_id;
	char *plugin_path;
	struct proto_limits limits;

	struct th_plugin pl;
	struct conn_config *cfg;
	struct conn_context cx;
	void *ctx; /* the plugin's */
	bool started;

	struct th_conv *key_conv;
	struct th_conv *value_conv;
	struct th_conv *header_conv;
	bool tolerate_all; /* errors.tolerance=all */

	bool paused;
	bool stopping;

	struct th_ipc_buf mb; /* the frame being packed */
	msgpack_packer pk;    /* packs into mb */
};

int th_task_run(struct th_ipc *ipc, const struct th_sandbox_ops *sandbox,
                struct th_sandbox_spec *spec);

/* Sends what t->mb holds and empties it. 0 or -EIO. */
int th_task_flush(struct th_task *t);

/* Sends FAILED and returns the exit status for that kind. */
int th_task_fail(struct th_task *t, uint32_t kind, const char *message);

/*
 * Handles a control message every loop shares (PING, PAUSE, RESUME,
 * STOP). Returns 1 if handled, 0 if the caller must handle it, or a
 * negative errno (a frame that does not parse).
 */
int th_task_control(struct th_task *t, uint32_t type, struct proto_rd *rd,
                    uint32_t nfields);

/* Logs through the channel (or stderr before it is up). Thread-safe. */
void th_log(struct th_task *t, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The role loops; each returns an exit status. */
int th_source_run(struct th_task *t);
int th_sink_run(struct th_task *t);

/* Milliseconds on the monotonic clock. */
int64_t th_now_ms(void);

#endif /* SLUICE_TH_TASK_H */
