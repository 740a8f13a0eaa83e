/*
 * sv_cluster.h: distributed mode. Several sluiced processes with the same
 * group.id form one cluster through Kafka:
 *
 *  - membership: each member's consumer joins group <group.id> on the
 *    slots topic (sluice.slots.topic, default <group.id>-slots, with
 *    sluice.slots.topic.partitions partitions, default 256); owning
 *    partition i means owning slot i. The roundrobin assignor gives slot i
 *    to member (i mod M) in sorted member order, Kafka Connect's
 *    round-robin. Slot 0 is the leader's; every connector instance and
 *    task has a stable slot >= 1 that the leader records in the config
 *    topic, so two members never run the same unit. The rebalance is
 *    eager: on a revocation every local unit stops (and commits its
 *    offsets) before the member rejoins.
 *  - the config topic (config.storage.topic, one partition) holds Kafka
 *    Connect's records (connector-<name>, task-<name>-<n>, commit-<name>,
 *    target-state-<name>, restart-connector-<name>) and sluice's own:
 *    sluice-slots-<name> {"connector":s,"tasks":[s,...]}, sluice-leader
 *    {"worker_id","url"}, sluice-tasks-<name> {"tasks":[{...}]} (task
 *    configs proposed by the member running the connector instance) and
 *    sluice-restart-task-<name>-<n>. Kafka Connect ignores keys it does
 *    not know. The offset topic holds ["<connector>",{partition}] keys
 *    with JSON offsets; the status topic status-connector-<name> and
 *    status-task-<name>-<n> with {"state","trace","worker_id",
 *    "generation"}. Every member reads the three topics from the
 *    beginning and keeps reading.
 *  - writes: the leader writes connector configs, target states, task
 *    configs and slots (REST writes reaching a follower are forwarded to
 *    the leader, sv_rest_fwd.h; while the group rebalances they get 409);
 *    each member writes the statuses and offsets of its own units.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_CLUSTER_H
#define SLUICE_SV_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct sv_cluster;
struct sv_ctx;
struct sv_herder;

enum sv_cluster_role {
	SV_CLUSTER_JOINING,     /* not yet a member, or lost its membership */
	SV_CLUSTER_REBALANCING, /* the group is rebalancing */
	SV_CLUSTER_FOLLOWER,
	SV_CLUSTER_LEADER,
};

enum sv_cluster_role sv_cluster_role(const struct sv_cluster *c);
/* The leader's REST base URL ("http://host:port"), NULL when unknown or
 * while the group rebalances. */
const char *sv_cluster_leader_url(const struct sv_cluster *c);
/* The leader's worker id (host:port), NULL when unknown. */
const char *sv_cluster_leader_id(const struct sv_cluster *c);
/* This member's advertised REST base URL. */
const char *sv_cluster_url(const struct sv_cluster *c);

/*
 * Reads the cluster keys of the worker config, creates the internal
 * topics that are missing (admin API, or the embedded cluster), starts
 * the clients. url is this member's advertised REST URL. NULL with err
 * set on failure.
 */
struct sv_cluster *sv_cluster_new(struct sv_ctx *ctx, const char *url,
                                  char *err, size_t errlen);
/*
 * Reads the three topics to their end (the herder learns every
 * connector), then joins the group. -ETIMEDOUT (err says) if the topics
 * cannot be read within 60 s.
 */
int sv_cluster_start(struct sv_cluster *c, struct sv_herder *h, char *err,
                     size_t errlen);
/* Leaves the group (every unit must have stopped) and flushes the
 * writes. */
void sv_cluster_close(struct sv_cluster *c);
void sv_cluster_free(struct sv_cluster *c); /* NULL is fine */

/* --- for the herder ------------------------------------------------------ */

/* Whether this member runs a unit (task -1: the connector instance):
 * it owns the unit's slot and the group is not rebalancing. */
bool sv_cluster_owns(struct sv_cluster *c, const char *conn, int task);
/* The herder has stopped every unit after sv_herder_cl_revoke. */
void sv_cluster_revoked(struct sv_cluster *c);

/* Completion of a leader write: called once the record is back from the
 * config topic (code 0), or with 500 and a message. */
typedef void (*sv_cluster_cb)(void *arg, int code, const char *error);

/* Leader: writes a connector (a target state first if target is not
 * NULL) and gives it a slot if it has none. -EAGAIN if not the leader,
 * -ENOSPC if no slot is free (err says). */
int sv_cluster_put_connector(struct sv_cluster *c, const char *name,
                             json_t *config, const char *target,
                             sv_cluster_cb cb, void *arg, char *err,
                             size_t errlen);
/* RUNNING, PAUSED or STOPPED (which also writes zero task configs). */
int sv_cluster_set_target(struct sv_cluster *c, const char *name,
                          const char *target, sv_cluster_cb cb, void *arg);
/* Tombstones the connector, its target state, slots and statuses. */
int sv_cluster_delete(struct sv_cluster *c, const char *name, int ntasks,
                      sv_cluster_cb cb, void *arg);
/* A restart request for the members running the units: task -1 is
 * Kafka Connect's connector restart (include_tasks, only_failed). */
int sv_cluster_restart(struct sv_cluster *c, const char *name, int task,
                       bool include_tasks, bool only_failed);
/* Any member: the connector instance it runs produced task configs. */
int sv_cluster_propose_tasks(struct sv_cluster *c, const char *name,
                             json_t *configs);
/* Any member: the state of a unit it runs (task -1: the connector).
 * With safe, only if the stored status is this member's (a unit
 * stopping because it moved must not hide its new owner's status). */
void sv_cluster_put_status(struct sv_cluster *c, const char *conn, int task,
                           const char *state, const char *trace, bool safe);
/* The stored status of a unit: {"state","trace","worker_id",...},
 * borrowed, or NULL. */
json_t *sv_cluster_status(struct sv_cluster *c, const char *conn, int task);

#endif /* SLUICE_SV_CLUSTER_H */
