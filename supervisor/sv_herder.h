/*
 * sv_herder.h: the standalone herder, as Kafka Connect's
 * StandaloneHerder: it owns every connector of this worker, validates and
 * stores their configs (sv_cfgstore.h), runs one unit per connector
 * instance and per task, rebuilds tasks when a connector's task configs
 * change, commits source offsets and sink positions every
 * offset.flush.interval.ms, and reports status in Kafka Connect's shapes.
 *
 * Operations that validate (put) finish asynchronously: they call back
 * with NULL on success or an error message. Others return at once.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_HERDER_H
#define SLUICE_SV_HERDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sv_cfgstore.h"
#include "sv_unit.h"

struct sv_herder;

/* error NULL: done. code is an HTTP status for the REST layer (200, 201,
 * 400, 404, 409, 500). */
typedef void (*sv_herder_cb)(void *arg, int code, const char *error);

struct sv_herder *sv_herder_new(struct sv_ctx *ctx, struct sv_cfgstore *store,
                                char *err, size_t errlen);
/* The herder must be shut down (or never started). NULL is fine. */
void sv_herder_free(struct sv_herder *h);

/* Starts every connector in the config store. */
void sv_herder_start(struct sv_herder *h);

/*
 * Creates or replaces a connector after validating its config (checks of
 * the common keys here, then the plugin's in a validation taskhost).
 * initial_state: RUNNING, PAUSED or STOPPED (NULL: RUNNING; ignored when
 * replacing). allow_replace false: 409 if it exists. code 201 created,
 * 200 updated.
 */
void sv_herder_put(struct sv_herder *h, const char *name, json_t *config,
                   const char *initial_state, bool allow_replace,
                   sv_herder_cb cb, void *arg);

/* 0, or -ENOENT for an unknown connector. */
int sv_herder_delete(struct sv_herder *h, const char *name);
int sv_herder_pause(struct sv_herder *h, const char *name);
int sv_herder_resume(struct sv_herder *h, const char *name);
int sv_herder_stop_connector(struct sv_herder *h, const char *name);
int sv_herder_restart(struct sv_herder *h, const char *name, bool include_tasks,
                      bool only_failed);
/* -ENOENT: no connector; -ERANGE: no such task. */
int sv_herder_restart_task(struct sv_herder *h, const char *name, int task);

/* Kafka Connect's status JSON of a connector, or NULL if unknown. New
 * reference. */
json_t *sv_herder_status(struct sv_herder *h, const char *name);
/* Names of all connectors (array, new reference). */
json_t *sv_herder_names(struct sv_herder *h);
/* The connector's config (borrowed), or NULL. */
json_t *sv_herder_config(struct sv_herder *h, const char *name);
/* Task configs: [{"id":{"connector":..,"task":n},"config":{..}}]. */
json_t *sv_herder_tasks(struct sv_herder *h, const char *name);

/* Commits source offsets and sink positions now. */
void sv_herder_commit(struct sv_herder *h);

/* Stops every unit gracefully, commits, then calls done(arg). */
void sv_herder_shutdown(struct sv_herder *h, void (*done)(void *arg),
                        void *arg);

#endif /* SLUICE_SV_HERDER_H */
