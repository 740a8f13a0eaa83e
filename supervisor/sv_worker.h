/*
 * sv_worker.h: the worker config (WORKER.properties), with Kafka Connect's
 * keys and sluice's own (sluice.*).
 *
 * Kafka Connect keys read here: bootstrap.servers, plugin.path,
 * offset.storage.file.filename, offset.flush.interval.ms,
 * key.converter, value.converter, header.converter (and their prefixed
 * settings), producer.*, consumer.*, listeners, rest.advertised.host.name,
 * rest.advertised.port, client.id, security.protocol, ssl.*, sasl.*.
 * sluice's own: config.storage.file.filename, sluice.state.dir,
 * sluice.runtime.dir, sluice.sandbox, sluice.log.level,
 * sluice.task.credits, sluice.batch.max.records, sluice.batch.max.bytes,
 * sluice.poll.wait.ms, sluice.taskhost, task.heartbeat.interval.ms,
 * task.heartbeat.timeout.ms, task.shutdown.graceful.timeout.ms,
 * embedded.brokers, embedded.topics, and the restart policy:
 * restart.backoff.initial.ms, restart.backoff.base.ms,
 * restart.backoff.max.ms, restart.stable.ms, restart.max.attempts.
 */
#ifndef SLUICE_SV_WORKER_H
#define SLUICE_SV_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct sv_worker {
	json_t *props; /* every key of the file, string values */
	const char *path;

	bool embedded;         /* bootstrap.servers unset or "embedded" */
	int embedded_brokers;  /* embedded.brokers, default 1 */
	const char *bootstrap; /* NULL while embedded, until started */
	char *bootstrap_owned;

	char **plugin_path; /* directories and files */
	size_t nplugin_path;

	/* offset.storage.file.filename, default <state dir>/offsets.json */
	const char *offset_file;
	char *offset_file_owned;
	int64_t offset_flush_ms; /* offset.flush.interval.ms */
	/* config.storage.file.filename, default <state dir>/connectors.json */
	const char *config_file;
	char *config_file_owned;

	char *state_dir;   /* sluice.state.dir */
	char *runtime_dir; /* sluice.runtime.dir, created 0700 */
	bool runtime_dir_made;
	const char *sandbox;  /* sluice.sandbox: default | none */
	const char *taskhost; /* path of sluice-taskhost */
	char *taskhost_owned;
	char *worker_id; /* advertised host:port */

	uint32_t credits;
	uint32_t batch_max_records;
	uint32_t batch_max_bytes;
	uint32_t poll_wait_ms;
	bool batch_region; /* sluice.batch.shared.memory */
	/* restart policy defaults (a connector may override each) */
	int64_t restart_initial_ms;   /* restart.backoff.initial.ms */
	int64_t restart_base_ms;      /* restart.backoff.base.ms */
	int64_t restart_max_ms;       /* restart.backoff.max.ms */
	int64_t restart_stable_ms;    /* restart.stable.ms */
	int64_t restart_max_attempts; /* restart.max.attempts, -1: no limit */
	int64_t heartbeat_interval_ms;
	int64_t heartbeat_timeout_ms;
	int64_t shutdown_timeout_ms;

	json_t *converters; /* key/value/header.converter[.*] */
	json_t *client;     /* librdkafka settings for every client */
	json_t *producer;   /* producer.* without the prefix */
	json_t *consumer;   /* consumer.* without the prefix */
};

/*
 * Loads and checks the worker config. On failure returns a negative errno
 * with a message naming the file and key in err; *w is then empty. The
 * program's own path (argv[0] resolved) locates the taskhost and the
 * built-in plugins when the config does not say.
 */
int sv_worker_load(struct sv_worker *w, const char *path, char *err,
                   size_t errlen);
void sv_worker_fini(struct sv_worker *w);

/* A worker key's value, or NULL. */
const char *sv_worker_get(const struct sv_worker *w, const char *key);

/* The directory holding this program's binary (no trailing slash). */
const char *sv_worker_exe_dir(void);

#endif /* SLUICE_SV_WORKER_H */
