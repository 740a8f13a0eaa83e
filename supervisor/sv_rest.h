/*
 * sv_rest.h: sluiced's HTTP server. It serves Kafka Connect's REST API
 * (the resources are in sv_rest_api.h) on
 *
 *  - the TCP listeners of the worker key `listeners` (comma-separated
 *    http://host:port and https://host:port; default
 *    http://127.0.0.1:8083; port 0 picks a free port, logged with
 *    SV-REST-LISTEN), HTTPS with the PEM files of sv_rest_tls.h, and HTTP
 *    Basic authentication (sv_rest_auth.h) when `rest.basic.auth.file` is
 *    set: then every TCP request without valid credentials gets 401;
 *  - the admin Unix socket `admin.socket` (default
 *    <sluice.state.dir>/admin.sock; empty: none), mode 0600 in a directory
 *    no other user may enter, without authentication: who may connect is
 *    decided by the file system. Every write request on it is logged with
 *    the peer's uid and pid (SO_PEERCRED), event SV-REST-ADMIN; writes over
 *    TCP are logged with the user and address, SV-REST-WRITE.
 *
 * In distributed mode (ctx->cluster set), writes that need the leader
 * are forwarded to it by a follower (sv_rest_fwd.h, timeout
 * `rest.forward.timeout.ms`, default 10000); see sv_rest_set_cluster_ops.
 *
 * Request bodies are limited to `rest.request.max.bytes` (default 1 MiB;
 * 413 over it, see sv_rest_guard.h). Every error answer is Kafka Connect's
 * {"error_code": N, "message": "..."}.
 *
 * Requests are handled on the event loop; a handler answers at once or
 * later (after a validation, an offsets job), never blocking the loop.
 * Event loop thread only.
 */
#ifndef SLUICE_SV_REST_H
#define SLUICE_SV_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "sv_cluster.h"
#include "sv_herder.h"
#include "sv_unit.h"

#define SV_REST_DEFAULT_LISTENER "http://127.0.0.1:8083"
#define SV_REST_DEFAULT_MAX_BODY (1024 * 1024)

struct sv_rest;

/*
 * Reads the REST keys of the worker config, binds every listener and the
 * admin socket. Until sv_rest_ready, the API answers 503 (GET /health:
 * "starting"). NULL with err set if a key is invalid, an explicitly
 * configured listener or the admin socket cannot be set up (the default
 * listener in use only warns: REST then stays on the admin socket).
 */
struct sv_rest *sv_rest_new(struct sv_ctx *ctx, struct sv_herder *h, char *err,
                            size_t errlen);
/* Startup is over: every endpoint answers. */
void sv_rest_ready(struct sv_rest *r);
/* Shutting down: no new connection is accepted and requests on open
 * connections get 503. Call before sv_herder_shutdown. */
void sv_rest_close(struct sv_rest *r);
/* Waits for running offsets jobs, closes everything, removes the admin
 * socket. Before sv_herder_free. NULL is fine. */
void sv_rest_free(struct sv_rest *r);

/*
 * This member's advertised REST base URL: the scheme of the first TCP
 * listener (http without one), "://", and the worker id (host:port).
 * With `listeners` at port 0 and no rest.advertised.port, sv_rest_new
 * has put the bound port into the worker id (ctx->w->worker_id), so the
 * URL is a real one. Owned by r, valid until sv_rest_free.
 */
const char *sv_rest_url(struct sv_rest *r);

/* --- distributed mode ----------------------------------------------------
 *
 * When ctx->cluster is set, the REST layer asks the cluster through these
 * functions (sv_cluster.h's, set by sluiced's main) whether this member
 * is the leader: writes that need the leader (creating, changing,
 * deleting, pausing, resuming, stopping, restarting connectors and
 * tasks, offsets changes, topics resets) are done here on the leader,
 * forwarded to it (sv_rest_fwd.h) by a follower, and answered 409 while
 * there is no leader (joining, rebalancing). Reads are always answered
 * here. GET / shows the leader's worker id.
 */
struct sv_rest_cluster_ops {
	enum sv_cluster_role (*role)(const struct sv_cluster *c);
	const char *(*leader_url)(const struct sv_cluster *c);
	const char *(*leader_id)(const struct sv_cluster *c);
};

/* Sets the cluster functions for every sv_rest of the process (ops is
 * kept, not copied: static storage). NULL: none (then a worker with
 * ctx->cluster set answers writes 409, as while rebalancing). */
void sv_rest_set_cluster_ops(const struct sv_rest_cluster_ops *ops);
/* The functions set, or NULL. */
const struct sv_rest_cluster_ops *sv_rest_get_cluster_ops(void);

/* --- one request, for the handlers (sv_rest_api.c) ---------------------- */

enum sv_rest_method {
	SV_REST_GET = 1,
	SV_REST_HEAD,
	SV_REST_POST,
	SV_REST_PUT,
	SV_REST_DELETE,
	SV_REST_PATCH,
	SV_REST_OPTIONS,
	SV_REST_OTHER,
};

enum sv_rest_via {
	SV_REST_VIA_HTTP,
	SV_REST_VIA_HTTPS,
	SV_REST_VIA_ADMIN,
};

/*
 * A request being handled. Created by the server for each request and
 * freed by sv_rest_reply / sv_rest_error, which a handler must call
 * exactly once, now or later.
 */
struct sv_rest_req {
	struct sv_rest *rest;
	struct evhttp_request *ev;
	enum sv_rest_method method;
	const char *method_name;
	enum sv_rest_via via;
	bool starting; /* sluiced has not finished starting */
	char *path;    /* as sent, percent-encoded, without the query */
	char **seg;    /* decoded path segments */
	size_t nseg;
	json_t *query;  /* [[name, value], ...], decoded, in order */
	char peer[128]; /* "uid 1000 pid 42", or "user alice from 10.0.0.1" */
	bool close;     /* close the connection after the answer */
};

/* The first value of a query parameter, or NULL. */
const char *sv_rest_query(struct sv_rest_req *q, const char *name);
/* Whether the client takes application/json (else answer 406). */
bool sv_rest_accepts_json(struct sv_rest_req *q);
/*
 * The body as JSON, parsed strictly (duplicate keys, trailing data and
 * invalid UTF-8 are errors): returns 0 with *out (a new reference, NULL
 * for an empty body), or -1 after answering 415 (a Content-Type that is
 * not JSON) or 400 (malformed) itself.
 */
int sv_rest_body(struct sv_rest_req *q, json_t **out);
/* The Host header, or NULL. */
const char *sv_rest_host(struct sv_rest_req *q);
/* Adds a response header. */
void sv_rest_header(struct sv_rest_req *q, const char *name, const char *value);
/* Answers with code and body (a reference taken; NULL: no body), and
 * frees q. */
void sv_rest_reply(struct sv_rest_req *q, int code, json_t *body);
/* Answers with code and body as they are (a forwarded request's answer):
 * content_type (may be NULL: none) and body (may be NULL: empty; its
 * contents are moved out), and frees q. */
void sv_rest_reply_raw(struct sv_rest_req *q, int code,
                       const char *content_type, struct evbuffer *body);
/* Forwards q to the leader at leader_url (sv_rest_fwd.h) and answers it
 * with the leader's answer, or 409 if the leader cannot be reached; frees
 * q. */
void sv_rest_forward(struct sv_rest_req *q, const char *leader_url);
/* Answers {"error_code": code, "message": ...} and frees q. */
void sv_rest_error(struct sv_rest_req *q, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* SLUICE_SV_REST_H */
