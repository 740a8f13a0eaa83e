/*
 * sv_cluster.h: distributed mode. Several sluiced processes with the same
 * group.id form one cluster through Kafka:
 *
 *  - membership: each member's consumer joins group <group.id> on the
 *    slots topic (sluice.slots.topic, default <group.id>-slots); owning
 *    partition i means owning slot i. The roundrobin assignor gives slot i
 *    to member (i mod M) in sorted member order, Kafka Connect's
 *    round-robin. Slot 0 is the leader's; every connector instance and
 *    task has a stable slot >= 1 that the leader records in the config
 *    topic, so two members never run the same unit.
 *  - the config topic (config.storage.topic, one partition) holds Kafka
 *    Connect's records (connector-<name>, task-<name>-<n>, commit-<name>,
 *    target-state-<name>, restart-connector-<name>) and sluice's own
 *    (sluice-slots-<name>, sluice-leader, sluice-tasks-<name>); the
 *    offset topic Kafka Connect's ["<connector>",{partition}] keys; the
 *    status topic status-connector-<name> and status-task-<name>-<n>.
 *    Every member reads all three from the beginning and keeps reading.
 *  - writes: the leader writes connector configs, task configs and slots;
 *    REST writes reaching a follower are forwarded to the leader
 *    (sv_rest_fwd.h); while the group rebalances they get 409.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_CLUSTER_H
#define SLUICE_SV_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct sv_cluster;

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

#endif /* SLUICE_SV_CLUSTER_H */
