/*
 * devkafka.c: sluice-devkafka, a throwaway Kafka cluster in one process
 * (librdkafka's mock cluster, see sv_mock.h) for tests and for trying
 * sluice without Kafka.
 *
 * It prints the bootstrap address on stdout (one line), optionally writes
 * it to a file (atomically), then waits for signals:
 *	SIGUSR1			take every broker down (fault tests)
 *	SIGUSR2			bring them back up
 *	SIGTERM, SIGINT, SIGHUP	stop, exit 0
 * All data is in memory and lost when it exits.
 *
 * Exit status: 0 after a signal to stop, 1 when the cluster cannot be
 * started or the bootstrap file cannot be written, 2 for bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "sv_log.h"
#include "sv_mock.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "unknown"
#endif

#define DEVKAFKA_DEFAULT_BROKERS 3

struct devkafka_topic {
	char *spec; /* as given, for messages */
	char *name;
	int partitions;
	int replication; /* -1: the default */
};

static const char *progname = "sluice-devkafka";

static void usage(FILE *f)
{
	fprintf(f,
	        "Usage: %s [OPTION]...\n"
	        "Runs an in-memory Kafka cluster (librdkafka's mock cluster) "
	        "for tests and\n"
	        "trials, prints its bootstrap address and runs until "
	        "SIGTERM or SIGINT.\n"
	        "Data lives in memory only and is lost on exit.\n"
	        "\n"
	        "  -b, --brokers N            number of brokers (1 to %d, "
	        "default %d)\n"
	        "  -t, --topic NAME:PARTITIONS[:REPLICATION]\n"
	        "                             create a topic at start "
	        "(repeatable); the\n"
	        "                             default replication is min(3, "
	        "brokers)\n"
	        "  -f, --bootstrap-file PATH  also write the bootstrap "
	        "address to PATH\n"
	        "                             (atomically: readers never "
	        "see a partial file)\n"
	        "  -h, --help                 show this help and exit\n"
	        "  -V, --version              show the version and exit\n"
	        "\n"
	        "Signals: SIGUSR1 takes every broker down, SIGUSR2 brings "
	        "them back up.\n"
	        "Topics are also created on first use, with 4 partitions.\n",
	        progname, SV_MOCK_MAX_BROKERS, DEVKAFKA_DEFAULT_BROKERS);
}

/* Parses a decimal number without sign or blanks. Returns 0 or -EINVAL. */
static int parse_count(const char *s, int *out)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > 1000000)
			return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

/* Parses t->spec, NAME:PARTITIONS[:REPLICATION], into t. */
static int parse_topic(struct devkafka_topic *t, int nbrokers, char *err,
                       size_t errlen)
{
	char why[256];
	char *parts, *colon;
	int r;

	t->name = strdup(t->spec);
	if (!t->name) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	colon = strchr(t->name, ':');
	if (!colon) {
		snprintf(err, errlen,
		         "--topic '%s': expected NAME:PARTITIONS[:REPLICATION]",
		         t->spec);
		return -EINVAL;
	}
	*colon = '\0';
	parts = colon + 1;
	t->replication = -1;
	colon = strchr(parts, ':');
	if (colon) {
		*colon = '\0';
		if (parse_count(colon + 1, &t->replication)) {
			snprintf(err, errlen,
			         "--topic '%s': the replication factor '%s' is "
			         "not a number",
			         t->spec, colon + 1);
			return -EINVAL;
		}
	}
	if (parse_count(parts, &t->partitions)) {
		snprintf(err, errlen,
		         "--topic '%s': the partition count '%s' is not a "
		         "number",
		         t->spec, parts);
		return -EINVAL;
	}
	r = sv_mock_topic_check(nbrokers, t->name, t->partitions,
	                        t->replication, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "--topic '%s': %s", t->spec, why);
		return r;
	}
	return 0;
}

/*
 * Writes text to path through a temporary file in the same directory and
 * rename(2), so that a reader sees either no file or the whole of it.
 */
static int write_file_atomic(const char *path, const char *text, char *err,
                             size_t errlen)
{
	size_t len = strlen(text), off = 0;
	char *tmp;
	ssize_t n;
	int fd, r;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd == -1) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out_free_tmp;
	}
	/* the address is no secret; let other users' tools read it */
	if (fchmod(fd, 0644) == -1) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = -errno;
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (close(fd) == -1) {
		fd = -1;
		r = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out_unlink;
	}
	free(tmp);
	return 0;

out_unlink:
	if (fd != -1)
		close(fd);
	unlink(tmp);
out_free_tmp:
	free(tmp);
	return r;
}

static void free_topics(struct devkafka_topic *topics, int ntopics)
{
	for (int i = 0; i < ntopics; i++)
		free(topics[i].name);
	free(topics);
}

/* Serves signals until one says stop. */
static void serve(struct sv_mock *mock, const sigset_t *sigs)
{
	siginfo_t si;
	int sig;

	for (;;) {
		sig = sigwaitinfo(sigs, &si);
		if (sig == -1) {
			if (errno != EINTR)
				sv_error("SV-DEVKAFKA-SIGWAIT",
				         "sigwaitinfo: %s", strerror(errno));
			continue;
		}
		switch (sig) {
		case SIGUSR1:
			if (sv_mock_brokers_set_up(mock, false) == 0)
				sv_info("SV-DEVKAFKA-DOWN",
				        "all %d brokers are down (SIGUSR1 from "
				        "pid %d)",
				        sv_mock_nbrokers(mock), (int)si.si_pid);
			break;
		case SIGUSR2:
			if (sv_mock_brokers_set_up(mock, true) == 0)
				sv_info(
				    "SV-DEVKAFKA-UP",
				    "all %d brokers are up (SIGUSR2 from pid "
				    "%d)",
				    sv_mock_nbrokers(mock), (int)si.si_pid);
			break;
		default:
			sv_info("SV-DEVKAFKA-STOP", "stopping on %s",
			        strsignal(sig));
			return;
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"topic", required_argument, NULL, 't'},
	    {"bootstrap-file", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct devkafka_topic *topics = NULL, *more;
	const char *bootstrap_file = NULL;
	int nbrokers = DEVKAFKA_DEFAULT_BROKERS;
	int ntopics = 0, opt, r, status = 2;
	struct sv_mock *mock = NULL;
	char err[512], *line = NULL;
	sigset_t sigs;

	while ((opt = getopt_long(argc, argv, "b:t:f:hV", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'b':
			if (parse_count(optarg, &nbrokers) || nbrokers < 1 ||
			    nbrokers > SV_MOCK_MAX_BROKERS) {
				fprintf(stderr,
				        "%s: --brokers '%s': expected a number "
				        "from 1 to %d\n",
				        progname, optarg, SV_MOCK_MAX_BROKERS);
				goto out_usage;
			}
			break;
		case 't':
			more = realloc(topics,
			               (size_t)(ntopics + 1) * sizeof(*topics));
			if (!more) {
				fprintf(stderr, "%s: out of memory\n",
				        progname);
				goto out_free_topics;
			}
			topics = more;
			memset(&topics[ntopics], 0, sizeof(*topics));
			topics[ntopics++].spec = optarg;
			break;
		case 'f':
			bootstrap_file = optarg;
			break;
		case 'h':
			usage(stdout);
			status = 0;
			goto out_free_topics;
		case 'V':
			printf("%s %s (librdkafka %s)\n", progname,
			       SLUICE_VERSION, rd_kafka_version_str());
			status = 0;
			goto out_free_topics;
		default:
			goto out_usage;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", progname,
		        argv[optind]);
		goto out_usage;
	}
	/* --brokers may come after --topic: check topics now */
	for (int i = 0; i < ntopics; i++) {
		if (parse_topic(&topics[i], nbrokers, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", progname, err);
			goto out_usage;
		}
		for (int j = 0; j < i; j++) {
			if (strcmp(topics[i].name, topics[j].name) == 0) {
				fprintf(stderr,
				        "%s: --topic '%s': topic \"%s\" is "
				        "given twice\n",
				        progname, topics[i].spec,
				        topics[i].name);
				goto out_usage;
			}
		}
	}

	/*
	 * Block the signals before librdkafka starts its threads, which
	 * inherit the mask: then only sigwaitinfo below receives them, and
	 * no work happens in a signal handler.
	 */
	status = 1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	r = pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (r) {
		fprintf(stderr, "%s: pthread_sigmask: %s\n", progname,
		        strerror(r));
		goto out_free_topics;
	}
	signal(SIGPIPE, SIG_IGN);

	mock = sv_mock_new(nbrokers, err, sizeof(err));
	if (!mock) {
		sv_error("SV-DEVKAFKA-START", "cannot start the cluster: %s",
		         err);
		goto out_free_topics;
	}
	for (int i = 0; i < ntopics; i++) {
		struct devkafka_topic *t = &topics[i];

		r = sv_mock_topic_create(mock, t->name, t->partitions,
		                         t->replication);
		if (r) {
			sv_error("SV-DEVKAFKA-TOPIC",
			         "cannot create topic %s: %s", t->name,
			         strerror(-r));
			goto out_free_mock;
		}
		sv_info("SV-DEVKAFKA-TOPIC",
		        "created topic %s with %d partitions", t->name,
		        t->partitions);
	}
	if (asprintf(&line, "%s\n", sv_mock_bootstraps(mock)) == -1) {
		line = NULL;
		sv_error("SV-DEVKAFKA-START", "out of memory");
		goto out_free_mock;
	}
	/* written after the topics exist: a reader may use them at once */
	if (bootstrap_file) {
		r = write_file_atomic(bootstrap_file, line, err, sizeof(err));
		if (r) {
			sv_error("SV-DEVKAFKA-BOOTFILE",
			         "cannot write the bootstrap file: %s", err);
			goto out_free_mock;
		}
	}
	if (fputs(line, stdout) == EOF || fflush(stdout) == EOF)
		sv_warn("SV-DEVKAFKA-STDOUT",
		        "cannot print the bootstrap address: %s",
		        strerror(errno));
	sv_info("SV-DEVKAFKA-START",
	        "%d brokers at %s (pid %d; SIGUSR1: brokers down, SIGUSR2: "
	        "up, SIGTERM: stop)",
	        nbrokers, sv_mock_bootstraps(mock), (int)getpid());
	sv_warn("SV-DEVKAFKA-MEMORY",
	        "NOT A REAL KAFKA: this is librdkafka's mock cluster; all data "
	        "is kept in this process's memory only (about 5 MiB per "
	        "partition, older records silently dropped) and is lost when "
	        "it exits");
	serve(mock, &sigs);
	status = 0;

out_free_mock:
	free(line);
	sv_mock_free(mock);
out_free_topics:
	free_topics(topics, ntopics);
	return status;

out_usage:
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	free_topics(topics, ntopics);
	return 2;
}
