/*
 * sv_rest_api.h: Kafka Connect 3.9's REST resources, on top of the herder:
 *
 *	GET /, GET /health
 *	GET, POST /connectors (?expand=status, ?expand=info)
 *	GET, DELETE /connectors/{name}
 *	GET, PUT, PATCH /connectors/{name}/config
 *	GET /connectors/{name}/status, /tasks, /tasks-config
 *	POST /connectors/{name}/restart (?includeTasks, ?onlyFailed)
 *	PUT /connectors/{name}/pause, /resume, /stop
 *	GET /connectors/{name}/tasks/{id}/status
 *	POST /connectors/{name}/tasks/{id}/restart
 *	GET, PATCH, DELETE /connectors/{name}/offsets
 *	GET /connectors/{name}/topics, PUT /connectors/{name}/topics/reset
 *	GET /connector-plugins (?connectorsOnly=false)
 *	GET /connector-plugins/{plugin}/config
 *	PUT /connector-plugins/{plugin}/config/validate
 *	GET /admin/loggers, GET and PUT /admin/loggers/{logger}
 *
 * with Kafka Connect's status codes, messages and JSON shapes (field names
 * and order as Jackson writes them). An unknown path is 404, a known path
 * with another method 405 (with Allow), a body that is not JSON 415, an
 * Accept that excludes JSON 406.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_REST_API_H
#define SLUICE_SV_REST_API_H

#include "sv_herder.h"
#include "sv_rest.h"
#include "sv_unit.h"

struct sv_rest_api;

/* NULL on ENOMEM. */
struct sv_rest_api *sv_rest_api_new(struct sv_ctx *ctx, struct sv_herder *h);
/* Waits for running offsets jobs, which answer their requests. NULL is
 * fine. */
void sv_rest_api_free(struct sv_rest_api *a);

/* Startup is over. Learns the Kafka cluster id (waits for it at most
 * one second; GET / tries again later if it is not known yet). */
void sv_rest_api_ready(struct sv_rest_api *a);

/* Routes and answers q (now, or later for validations and offsets). */
void sv_rest_api_handle(struct sv_rest_api *a, struct sv_rest_req *q);

#endif /* SLUICE_SV_REST_API_H */
