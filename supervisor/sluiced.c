/*
 * sluiced.c: main() of the sluice supervisor.
 *
 *	sluiced standalone WORKER.properties [CONNECTOR.properties|.json ...]
 *	sluiced distributed WORKER.properties
 *
 * Loads the worker config, scans plugin.path, connects to Kafka (or
 * starts the embedded cluster), opens the REST listeners and the admin
 * socket (sv_rest.h), validates and starts the connectors given on the
 * command line and those in the config store, and runs until SIGTERM or
 * SIGINT, when it stops accepting requests, stops every task gracefully,
 * commits their offsets and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "sv_cfgstore.h"
#include "sv_cluster.h"
#include "sv_connfile.h"
#include "sv_herder.h"
#include "sv_kafka.h"
#include "sv_log.h"
#include "sv_offsets.h"
#include "sv_plugins.h"
#include "sv_rest.h"
#include "sv_source.h"
#include "sv_unit.h"
#include "sv_worker.h"

struct startup {
	int pending;
	int failed;
};

struct cli_put {
	struct startup *st;
	char *file;
	char *name;
};

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: sluiced standalone WORKER.properties "
	        "[CONNECTOR.properties|CONNECTOR.json ...]\n"
	        "       sluiced distributed WORKER.properties\n"
	        "       sluiced --help | --version\n"
	        "\n"
	        "Runs Kafka Connect connectors, each connector instance and "
	        "task in its own\n"
	        "sandboxed sluice-taskhost process. WORKER.properties takes "
	        "Kafka Connect's\n"
	        "worker keys (bootstrap.servers, plugin.path, "
	        "offset.storage.file.filename,\n"
	        "key.converter, value.converter, producer.*, consumer.*, ...); "
	        "leave\n"
	        "bootstrap.servers unset (or \"embedded\") for an in-process "
	        "test cluster whose\n"
	        "data is lost on exit. In distributed mode, every sluiced "
	        "with the same\n"
	        "group.id is a member of one cluster (see README.md).\n");
}

static void on_put(void *arg, int code, const char *error)
{
	struct cli_put *p = arg;

	if (error) {
		sv_error("SV-CONNECTOR-REJECTED", "%s: connector %s: %s (%d)",
		         p->file, p->name, error, code);
		p->st->failed++;
	}
	p->st->pending--;
	free(p->name);
	free(p);
}

static void on_signal(evutil_socket_t sig, short what, void *arg);

static bool shut_down;

static void shutdown_done(void *arg)
{
	shut_down = true;
	event_base_loopbreak(arg);
}

struct sigctx {
	struct sv_herder *h;
	struct sv_rest *rest;
	struct event_base *base;
	bool stopping;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sigctx *sc = arg;

	(void)what;
	if (sc->stopping) {
		sv_warn("SV-SIGNAL", "signal %d again: exiting now", (int)sig);
		event_base_loopbreak(sc->base);
		return;
	}
	sc->stopping = true;
	sv_info("SV-SHUTDOWN", "signal %d: stopping every task", (int)sig);
	/* no new request from here on; pending ones get their answer */
	sv_rest_close(sc->rest);
	sv_herder_shutdown(sc->h, shutdown_done, sc->base);
}

static void after_poll(void *arg)
{
	(void)arg;
	sv_src_retry_blocked();
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct sv_worker w;
	struct sv_kafka kafka;
	struct sv_plugins plugins = {0};
	struct sv_ctx ctx = {0};
	struct sv_offsets *offsets = NULL;
	struct sv_cfgstore *store = NULL;
	struct sv_herder *h = NULL;
	struct sv_rest *rest = NULL;
	struct sv_cluster *cl = NULL;
	bool distributed;
	struct event_base *base = NULL;
	struct event *ev_term = NULL, *ev_int = NULL;
	struct startup st = {0};
	struct sigctx sc = {0};
	char err[1024];
	int c, rc = 1;
	bool kafka_up = false, worker_up = false;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sluiced %s (librdkafka %s, protocol %d)\n",
			       SLUICE_VERSION, rd_kafka_version_str(),
			       PROTO_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2 || (strcmp(argv[optind], "standalone") != 0 &&
	                          strcmp(argv[optind], "distributed") != 0)) {
		usage(stderr);
		return 2;
	}
	distributed = strcmp(argv[optind], "distributed") == 0;
	if (distributed && argc - optind > 2) {
		fprintf(stderr, "sluiced: distributed mode takes no connector "
		                "files: create connectors through the REST "
		                "API\n");
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (sv_worker_load(&w, argv[optind + 1], err, sizeof(err))) {
		sv_error("SV-WORKER-CONFIG", "%s", err);
		return 1;
	}
	worker_up = true;
	sv_info("SV-START", "sluiced %s starting, worker %s, pid %d",
	        SLUICE_VERSION, w.worker_id, (int)getpid());
	if (strcmp(w.sandbox, "none") == 0)
		sv_warn("SV-SANDBOX-NONE",
		        "sluice.sandbox=none: tasks run UNCONFINED with "
		        "sluiced's rights; use only for debugging");
	if (!(base = event_base_new())) {
		sv_error("SV-EVENT", "cannot create the event loop");
		goto out;
	}
	if (!(offsets = sv_offsets_open(distributed ? NULL : w.offset_file, err,
	                                sizeof(err))) ||
	    (!distributed &&
	     !(store = sv_cfgstore_open(w.config_file, err, sizeof(err))))) {
		sv_error("SV-STORE", "%s", err);
		goto out;
	}
	if (sv_plugins_scan(&plugins, &w)) {
		sv_error("SV-PLUGINS", "out of memory while loading plugins");
		goto out;
	}
	if (sv_kafka_init(&kafka, base, &w, err, sizeof(err))) {
		sv_error("SV-KAFKA", "%s", err);
		goto out;
	}
	kafka_up = true;
	kafka.after_poll = after_poll;
	ctx = (struct sv_ctx){base, &w, &kafka, offsets, &plugins, 0, NULL};
	if (distributed && w.embedded)
		sv_warn("SV-EMBEDDED-CLUSTER",
		        "distributed mode on the embedded Kafka: other members "
		        "may join at %s, and everything is lost when this "
		        "sluiced stops",
		        w.bootstrap);
	if (!(h = sv_herder_new(&ctx, store, err, sizeof(err)))) {
		sv_error("SV-HERDER", "%s", err);
		goto out;
	}
	/* listening before anything runs: a listener that cannot be had
	 * stops sluiced at once, and /health says "starting" meanwhile */
	if (!(rest = sv_rest_new(&ctx, h, err, sizeof(err)))) {
		sv_error("SV-REST", "%s", err);
		goto out;
	}
	if (distributed) {
		static const struct sv_rest_cluster_ops cluster_ops = {
		    .role = sv_cluster_role,
		    .leader_url = sv_cluster_leader_url,
		    .leader_id = sv_cluster_leader_id,
		};

		sv_rest_set_cluster_ops(&cluster_ops);
		cl = sv_cluster_new(&ctx, sv_rest_url(rest), err, sizeof(err));
		if (!cl) {
			sv_error("SV-CLUSTER", "%s", err);
			goto out;
		}
		ctx.cluster = cl;
		sv_herder_set_cluster(h, cl);
		if (sv_cluster_start(cl, h, err, sizeof(err))) {
			sv_error("SV-CLUSTER", "%s", err);
			goto out;
		}
	}
	/* connectors named on the command line: validated before anything
	 * runs, as connect-standalone does */
	for (int i = optind + 2; i < argc; i++) {
		struct sv_connfile *cf =
		    sv_connfile_load(argv[i], err, sizeof(err));
		struct cli_put *p;
		const char *state;

		if (!cf) {
			sv_error("SV-CONNECTOR-FILE", "%s", err);
			goto out;
		}
		if (!(p = calloc(1, sizeof(*p))) ||
		    !(p->name = strdup(cf->name))) {
			free(p);
			sv_connfile_free(cf);
			goto out;
		}
		p->st = &st;
		p->file = argv[i];
		state = cf->initial_state == SV_CONNFILE_PAUSED    ? "PAUSED"
		        : cf->initial_state == SV_CONNFILE_STOPPED ? "STOPPED"
		                                                   : "RUNNING";
		st.pending++;
		sv_herder_put(h, cf->name, cf->config, state, SV_HERDER_UPSERT,
		              on_put, p);
		sv_connfile_free(cf);
	}
	while (st.pending > 0)
		event_base_loop(base, EVLOOP_ONCE);
	if (st.failed) {
		sv_error("SV-EXIT", "%d connector(s) rejected: not starting",
		         st.failed);
		sv_rest_close(rest);
		sv_herder_shutdown(h, shutdown_done, base);
		while (!shut_down)
			event_base_loop(base, EVLOOP_ONCE);
		goto out;
	}
	sv_herder_start(h);
	sv_rest_ready(rest);
	sc.h = h;
	sc.rest = rest;
	sc.base = base;
	ev_term = evsignal_new(base, SIGTERM, on_signal, &sc);
	ev_int = evsignal_new(base, SIGINT, on_signal, &sc);
	if (!ev_term || !ev_int || event_add(ev_term, NULL) ||
	    event_add(ev_int, NULL)) {
		sv_error("SV-EVENT", "cannot watch signals");
		goto out;
	}
	sv_info("SV-READY", "sluiced is running (%s, Kafka at %s)",
	        distributed ? "distributed" : "standalone", w.bootstrap);
	event_base_dispatch(base);
	rc = 0;
out:
	if (ev_term)
		event_free(ev_term);
	if (ev_int)
		event_free(ev_int);
	/* leaving the group once every unit stopped: the others take over
	 * at once */
	sv_cluster_close(cl);
	/* REST first: its pending requests reach into the herder */
	sv_rest_free(rest);
	sv_herder_free(h);
	sv_cluster_free(cl);
	ctx.cluster = NULL;
	if (kafka_up)
		sv_kafka_fini(&kafka, 5000);
	if (offsets && sv_offsets_flush(offsets, err, sizeof(err)))
		sv_error("SV-OFFSETS-FLUSH", "%s", err);
	sv_offsets_free(offsets);
	sv_cfgstore_free(store);
	sv_plugins_fini(&plugins);
	if (base)
		event_base_free(base);
	if (worker_up) {
		sv_info("SV-EXIT", "sluiced stopped");
		sv_worker_fini(&w);
	}
	return rc;
}
