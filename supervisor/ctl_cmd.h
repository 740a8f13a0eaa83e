/*
 * ctl_cmd.h: sluicectl's commands, each one or a few requests to Kafka
 * Connect's REST API and the rendering of the answers.
 *
 * Every command prints to stdout either a human-readable form (aligned
 * tables, "Created connector x") or, with ctx->json, the server's answer
 * exactly as it came (nothing for a 204 No Content). Commands that make
 * several requests (describe, version) print one JSON object whose
 * members are those answers. Errors are never printed by a command: it
 * returns a negative errno and leaves the message in ctx->err for main.
 */
#ifndef SLUICE_CTL_CMD_H
#define SLUICE_CTL_CMD_H

#include <stdbool.h>

#include "ctl_http.h"

/* Command options (struct ctl_ctx.flags). */
enum ctl_flag {
	CTL_FLAG_ALL = 1 << 0,           /* get plugins --all */
	CTL_FLAG_INCLUDE_TASKS = 1 << 1, /* restart connector */
	CTL_FLAG_ONLY_FAILED = 1 << 2,   /* restart connector */
	CTL_FLAG_CLIENT = 1 << 3,        /* version --client */
};

struct ctl_ctx {
	struct ctl_http *http; /* NULL for commands that need no server */
	bool json;             /* -o json */
	bool color;            /* colour states (stdout is a terminal) */
	unsigned flags;        /* enum ctl_flag */
	const char *file;      /* apply -f FILE; "-" is stdin */
	int error_code;        /* of the failed request: the server's
	                        * error_code, else its HTTP status; 0 if
	                        * the failure was not an answer */
	char err[8192];        /* why the command failed */
};

/*
 * A command: args are the positional arguments after the verb and noun
 * (their number was checked against the command table). Returns 0, or a
 * negative errno with ctx->err set:
 *   -EINVAL     bad arguments or local input (apply's file);
 *   -EREMOTEIO  the server answered with an error (ctx->error_code);
 *   -ENOTCONN   the server could not be reached;
 *   -EPROTO, -EFBIG, -ENOMEM: a bad answer or no memory.
 */
typedef int ctl_cmd_fn(struct ctl_ctx *ctx, char **args, int nargs);

ctl_cmd_fn ctl_cmd_get_connectors;
ctl_cmd_fn ctl_cmd_get_plugins;
ctl_cmd_fn ctl_cmd_get_offsets;
ctl_cmd_fn ctl_cmd_describe_connector;
ctl_cmd_fn ctl_cmd_apply;
ctl_cmd_fn ctl_cmd_delete_connector;
ctl_cmd_fn ctl_cmd_pause_connector;
ctl_cmd_fn ctl_cmd_resume_connector;
ctl_cmd_fn ctl_cmd_stop_connector;
ctl_cmd_fn ctl_cmd_restart_connector;
ctl_cmd_fn ctl_cmd_restart_task;
ctl_cmd_fn ctl_cmd_reset_offsets;
ctl_cmd_fn ctl_cmd_version;

#endif /* SLUICE_CTL_CMD_H */
