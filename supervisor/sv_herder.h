/*
 * sv_herder.h: the standalone herder, as Kafka Connect's
 * StandaloneHerder: it owns every connector of this worker, validates and
 * stores their configs (sv_cfgstore.h), runs one unit per connector
 * instance and per task, rebuilds tasks when a connector's task configs
 * change, commits source offsets and sink positions every
 * offset.flush.interval.ms, tracks the topics each connector uses, and
 * reports status and config in Kafka Connect's REST shapes.
 *
 * Operations that validate (put, validate) finish asynchronously: they
 * call back exactly once, with NULL on success or an error message, also
 * when the herder shuts down first (503). Others return at once.
 *
 * Writes to a connector that is being reconfigured (a put waiting for its
 * validation, units stopping for a new config, a delete in progress, an
 * offsets change) are refused with -EBUSY: the REST API's 409.
 *
 * Config values whose definition is a password (a plugin option of type
 * PASSWORD, and the password-typed Kafka client settings under
 * producer.override., consumer.override. and admin.override.) are shown
 * as "[hidden]" by every function that returns a config; a put that sends
 * "[hidden]" back for such a key keeps the stored value.
 *
 * Event loop thread only, except where a function says otherwise.
 */
#ifndef SLUICE_SV_HERDER_H
#define SLUICE_SV_HERDER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "sv_cfgstore.h"
#include "sv_cluster.h"
#include "sv_unit.h"

struct sv_herder;

/* What a password-typed value is shown as. */
#define SV_HERDER_HIDDEN "[hidden]"

/* error NULL: done. code is an HTTP status for the REST layer (200, 201,
 * 400, 404, 409, 500, 503). */
typedef void (*sv_herder_cb)(void *arg, int code, const char *error);

/* As sv_herder_cb, with Kafka Connect's ConfigInfos (borrowed for the
 * call; NULL when error is set). */
typedef void (*sv_herder_validate_cb)(void *arg, int code, const char *error,
                                      json_t *infos);

enum sv_herder_put_mode {
	SV_HERDER_CREATE, /* 409 if the connector exists */
	SV_HERDER_UPSERT, /* create (201) or replace (200) */
	SV_HERDER_UPDATE, /* replace (200); 404 if it does not exist */
};

struct sv_herder *sv_herder_new(struct sv_ctx *ctx, struct sv_cfgstore *store,
                                char *err, size_t errlen);
/* The herder must be shut down (or never started). Puts and validations
 * still pending are answered 503; a stop or delete still waiting for its
 * units is dropped unanswered. NULL is fine. */
void sv_herder_free(struct sv_herder *h);

/* Starts every connector in the config store. */
void sv_herder_start(struct sv_herder *h);

/*
 * Creates or replaces a connector after validating its config (checks of
 * the common keys here, then the plugin's in a validation taskhost).
 * config is copied; its "name" is set to name. initial_state: RUNNING,
 * PAUSED or STOPPED (NULL: RUNNING; ignored when replacing). cb gets 201
 * (created) or 200 (replaced), or 400 with Kafka Connect's "Connector
 * configuration is invalid and contains the following N error(s)"
 * message, 404 (UPDATE of a missing connector), 409 (exists, or busy),
 * 500, 503 (shutting down).
 */
void sv_herder_put(struct sv_herder *h, const char *name, json_t *config,
                   const char *initial_state, enum sv_herder_put_mode mode,
                   sv_herder_cb cb, void *arg);

/*
 * Validates a config as sv_herder_put would, without storing anything,
 * and answers with Kafka Connect's ConfigInfos: {"name", "error_count",
 * "groups", "configs": [{"definition", "value"}]}. config (copied) must
 * name an installed plugin in connector.class; a value may be JSON null
 * (an error, as in Kafka Connect). Codes: 200, 500, 503.
 */
void sv_herder_validate(struct sv_herder *h, json_t *config,
                        sv_herder_validate_cb cb, void *arg);

/*
 * The config definitions of a plugin as Kafka Connect's ConfigKeyInfo
 * list: the plugin's options, then the common connector keys sluice
 * honours that the plugin does not define. New reference; NULL if the
 * plugin is unknown.
 */
json_t *sv_herder_plugin_config(struct sv_herder *h, const struct sv_plugin *p);

/*
 * Deletes a connector, or stops it (target state STOPPED). Return 0,
 * -ENOENT (unknown connector), -EBUSY (being reconfigured) or -EIO (the
 * config store could not be written). On 0, cb (may be NULL) is called
 * once every unit of the connector has stopped, with 204 (or 503 if
 * sluiced shuts down first); possibly before this function returns.
 */
int sv_herder_delete(struct sv_herder *h, const char *name, sv_herder_cb cb,
                     void *arg);
int sv_herder_stop_connector(struct sv_herder *h, const char *name,
                             sv_herder_cb cb, void *arg);
/* Changes the target state and returns at once: 0, -ENOENT, -EBUSY or
 * -EIO. */
int sv_herder_pause(struct sv_herder *h, const char *name);
int sv_herder_resume(struct sv_herder *h, const char *name);
/*
 * Restarts the connector instance (unless only_failed and it has not
 * failed) and, with include_tasks, its tasks (all, or the failed ones).
 * If plan is not NULL it receives the status as Kafka Connect's restart
 * answer gives it: the instances being restarted shown as RESTARTING (new
 * reference). 0, -ENOENT or -EBUSY.
 */
int sv_herder_restart(struct sv_herder *h, const char *name, bool include_tasks,
                      bool only_failed, json_t **plan);
/* -ENOENT: no connector; -ERANGE: no such task; -EBUSY. */
int sv_herder_restart_task(struct sv_herder *h, const char *name, int task);

/* Kafka Connect's status of a connector (ConnectorStateInfo), or NULL if
 * unknown. New reference. */
json_t *sv_herder_status(struct sv_herder *h, const char *name);
/* The status of one task (TaskState), NULL if either is unknown. */
json_t *sv_herder_task_status(struct sv_herder *h, const char *name, int task);
/* Names of all connectors, sorted (array, new reference). */
json_t *sv_herder_names(struct sv_herder *h);
/* The stored config with passwords as they are (borrowed), or NULL. For
 * sluice's own use (a PATCH merges into it); never send it out. */
json_t *sv_herder_config(struct sv_herder *h, const char *name);
/* The config as shown to users: passwords "[hidden]". New reference. */
json_t *sv_herder_config_shown(struct sv_herder *h, const char *name);
/* ConnectorInfo: {"name","config","tasks":[{"connector","task"}],"type"},
 * passwords hidden. New reference, NULL if unknown. */
json_t *sv_herder_info(struct sv_herder *h, const char *name);
/* Task configs, passwords hidden:
 * [{"id":{"connector":..,"task":n},"config":{..}}]. NULL if unknown. */
json_t *sv_herder_tasks(struct sv_herder *h, const char *name);

/*
 * Active topics: the data path of task unit u used topic (a source
 * produced to it, a sink consumed from it). Cheap; called per batch.
 */
void sv_herder_topic_used(struct sv_unit *u, const char *topic, size_t len);
/* The topics used since the last reset, sorted (new reference), or NULL
 * for an unknown connector. */
json_t *sv_herder_topics(struct sv_herder *h, const char *name);
/* Forgets them. -ENOENT if unknown. */
int sv_herder_topics_reset(struct sv_herder *h, const char *name);

/*
 * Offsets (KIP-875). sv_herder_offsets_begin looks a connector up for an
 * offsets request: -ENOENT if unknown, -ENOEXEC (err says why) if its
 * plugin is not loaded, so its kind is unknown; with modify, -EBUSY if
 * busy and -EPERM (err has Kafka Connect's message) unless it is STOPPED
 * with no task left, and on success the connector stays locked (busy)
 * until sv_herder_offsets_end. *source tells the kind; *config (may be
 * NULL) receives a copy of its config.
 */
int sv_herder_offsets_begin(struct sv_herder *h, const char *name, bool modify,
                            bool *source, json_t **config, char *err,
                            size_t errlen);
void sv_herder_offsets_end(struct sv_herder *h, const char *name);
/* A source connector's offsets: {"offsets":[{"partition","offset"}]}. */
json_t *sv_herder_source_offsets(struct sv_herder *h, const char *name);
/*
 * Alters (offsets: an array of {"partition":{..},"offset":{..}|null}) or
 * resets (offsets NULL) a locked source connector's offsets and writes
 * the offset file. 0, -EINVAL (err names the bad entry) or -EIO.
 */
int sv_herder_source_offsets_set(struct sv_herder *h, const char *name,
                                 json_t *offsets, char *err, size_t errlen);

/* Commits source offsets and sink positions now. */
void sv_herder_commit(struct sv_herder *h);
/* The source offsets written so far are durable: the tasks hear it. */
void sv_herder_offsets_durable(struct sv_herder *h);

/*
 * Distributed mode (sv_cluster.h). The herder's connectors are those of
 * the config topic, and it runs only the units whose slots this member
 * owns; writes go to the config topic (this member must be the leader,
 * else -EBUSY / 409) and take effect on every member when read back,
 * through these calls from sv_cluster.c.
 */
void sv_herder_set_cluster(struct sv_herder *h, struct sv_cluster *cl);
/* A connector's config (NULL: deleted). config is copied. */
void sv_herder_cl_connector(struct sv_herder *h, const char *name,
                            json_t *config);
/* RUNNING, PAUSED or STOPPED. */
void sv_herder_cl_target(struct sv_herder *h, const char *name,
                         const char *target);
/* Committed task configs (copied). */
void sv_herder_cl_tasks(struct sv_herder *h, const char *name, json_t *configs);
/* A connector's slots changed: start the units this member now owns. */
void sv_herder_cl_slots(struct sv_herder *h, const char *name);
/* A restart request (task -1: the connector, as Kafka Connect's). */
void sv_herder_cl_restart(struct sv_herder *h, const char *name, int task,
                          bool include_tasks, bool only_failed);
/* Slots revoked: stop every unit, commit, then sv_cluster_revoked. */
void sv_herder_cl_revoke(struct sv_herder *h);
/* Slots assigned: start the units this member now owns. */
void sv_herder_cl_assigned(struct sv_herder *h);

/* Stops every unit gracefully, answers pending puts and validations with
 * 503, commits, then calls done(arg). */
void sv_herder_shutdown(struct sv_herder *h, void (*done)(void *arg),
                        void *arg);

#endif /* SLUICE_SV_HERDER_H */
