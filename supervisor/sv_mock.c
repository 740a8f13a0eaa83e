/* sv_mock.c: see sv_mock.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "sv_log.h"
#include "sv_mock.h"

struct sv_mock {
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mcluster;
	int nbrokers;
	char *bootstraps;
};

static void mock_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void mock_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Called from librdkafka's threads; sv_log_write is thread-safe. */
static void mock_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                        const char *buf)
{
	int sv_level;

	(void)rk;
	/* The host handle has no bootstrap.servers on purpose. */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "bootstrap.servers"))
		return;
	if (level <= 3)
		sv_level = SV_LOG_ERROR;
	else if (level == 4)
		sv_level = SV_LOG_WARN;
	else if (level <= 6)
		sv_level = SV_LOG_INFO;
	else
		sv_level = SV_LOG_DEBUG;
	sv_log(sv_level, "SV-MOCK-RDKAFKA", "%s: %s", fac, buf);
}

struct sv_mock *sv_mock_new(int nbrokers, char *err, size_t errlen)
{
	char errstr[512];
	rd_kafka_conf_t *conf;
	struct sv_mock *mock;
	const char *boot;

	if (nbrokers < 1 || nbrokers > SV_MOCK_MAX_BROKERS) {
		mock_err(err, errlen,
		         "the broker count must be 1 to %d, not %d",
		         SV_MOCK_MAX_BROKERS, nbrokers);
		errno = EINVAL;
		return NULL;
	}
	mock = calloc(1, sizeof(*mock));
	if (!mock) {
		mock_err(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	mock->nbrokers = nbrokers;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf, mock_log_cb);
	if (rd_kafka_conf_set(conf, "client.id", "sluice-mock", errstr,
	                      sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		mock_err(err, errlen, "librdkafka: %s", errstr);
		goto out_free_mock;
	}
	/* rd_kafka_new owns conf from here, even when it fails */
	mock->rk =
	    rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!mock->rk) {
		mock_err(err, errlen, "librdkafka: %s", errstr);
		goto out_free_mock;
	}
	mock->mcluster = rd_kafka_mock_cluster_new(mock->rk, nbrokers);
	if (!mock->mcluster) {
		mock_err(err, errlen,
		         "librdkafka could not start a mock cluster of %d "
		         "brokers",
		         nbrokers);
		goto out_free_mock;
	}
	boot = rd_kafka_mock_cluster_bootstraps(mock->mcluster);
	mock->bootstraps = boot ? strdup(boot) : NULL;
	if (!mock->bootstraps) {
		mock_err(err, errlen, "out of memory");
		sv_mock_free(mock);
		errno = ENOMEM;
		return NULL;
	}
	return mock;

out_free_mock:
	sv_mock_free(mock);
	errno = EIO;
	return NULL;
}

void sv_mock_free(struct sv_mock *mock)
{
	if (!mock)
		return;
	/* the cluster first: it lives in rk */
	if (mock->mcluster)
		rd_kafka_mock_cluster_destroy(mock->mcluster);
	mock->mcluster = NULL;
	if (mock->rk)
		rd_kafka_destroy(mock->rk);
	mock->rk = NULL;
	free(mock->bootstraps);
	mock->bootstraps = NULL;
	free(mock);
}

const char *sv_mock_bootstraps(const struct sv_mock *mock)
{
	return mock->bootstraps;
}

int sv_mock_nbrokers(const struct sv_mock *mock)
{
	return mock->nbrokers;
}

int sv_mock_topic_check(int nbrokers, const char *topic, int partitions,
                        int replication, char *err, size_t errlen)
{
	size_t n = strlen(topic);

	if (n == 0 || n > SV_MOCK_TOPIC_MAX) {
		mock_err(err, errlen,
		         "a topic name must be 1 to %d characters long",
		         SV_MOCK_TOPIC_MAX);
		return -EINVAL;
	}
	if (strcmp(topic, ".") == 0 || strcmp(topic, "..") == 0) {
		mock_err(err, errlen, "a topic cannot be named \"%s\"", topic);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = topic[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-')) {
			mock_err(err, errlen,
			         "topic \"%s\": a topic name may contain only "
			         "ASCII letters, digits, '.', '_' and '-'",
			         topic);
			return -EINVAL;
		}
	}
	if (partitions < 1 || partitions > SV_MOCK_MAX_PARTITIONS) {
		mock_err(err, errlen,
		         "topic \"%s\": the partition count must be 1 to %d, "
		         "not %d",
		         topic, SV_MOCK_MAX_PARTITIONS, partitions);
		return -EINVAL;
	}
	if (replication != -1 && (replication < 1 || replication > nbrokers)) {
		mock_err(err, errlen,
		         "topic \"%s\": the replication factor must be 1 to %d "
		         "(the broker count), not %d",
		         topic, nbrokers, replication);
		return -EINVAL;
	}
	return 0;
}

int sv_mock_topic_create(struct sv_mock *mock, const char *topic,
                         int partitions, int replication)
{
	rd_kafka_resp_err_t kerr;

	if (sv_mock_topic_check(mock->nbrokers, topic, partitions, replication,
	                        NULL, 0))
		return -EINVAL;
	if (replication == -1)
		replication = mock->nbrokers < 3 ? mock->nbrokers : 3;
	kerr = rd_kafka_mock_topic_create(mock->mcluster, topic, partitions,
	                                  replication);
	if (kerr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
		return -EEXIST;
	if (kerr) {
		sv_error("SV-MOCK-TOPIC", "creating topic %s: %s", topic,
		         rd_kafka_err2str(kerr));
		return -EIO;
	}
	return 0;
}

int sv_mock_brokers_set_up(struct sv_mock *mock, bool up)
{
	rd_kafka_resp_err_t kerr;

	/* broker id -1 means every broker (checked on librdkafka 2.0.2) */
	if (up)
		kerr = rd_kafka_mock_broker_set_up(mock->mcluster, -1);
	else
		kerr = rd_kafka_mock_broker_set_down(mock->mcluster, -1);
	if (kerr) {
		sv_error("SV-MOCK-BROKERS", "setting the brokers %s: %s",
		         up ? "up" : "down", rd_kafka_err2str(kerr));
		return -EIO;
	}
	return 0;
}
