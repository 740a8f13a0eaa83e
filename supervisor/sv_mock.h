/*
 * sv_mock.h: an in-process Kafka cluster, librdkafka's mock cluster
 * (rdkafka_mock.h), for tests and for users without Kafka.
 *
 * The cluster lives inside a dedicated librdkafka producer handle that
 * sends nothing; its brokers listen on 127.0.0.1 on random ports and any
 * client (another process, kcat) can use them. All data is in memory and
 * each partition keeps only about 5 MiB (PLATFORM-NOTES.md lists what the
 * mock does and does not answer: never point admin APIs at it).
 *
 * What librdkafka 2.0.2's mock does with topics, measured:
 *  - it accepts a topic with 0 partitions or a replication factor of 0 or
 *    above the broker count; sv_mock refuses those, as a broker would;
 *  - it ignores the replication factor asked for: metadata always shows
 *    min(3, brokers) replicas, all in sync;
 *  - topics are also auto-created on first use (4 partitions).
 *
 * Thread-safety: every function may be called from any thread, but not
 * concurrently with sv_mock_free. librdkafka's log lines go to sv_log
 * (event SV-MOCK-RDKAFKA).
 */
#ifndef SLUICE_SV_MOCK_H
#define SLUICE_SV_MOCK_H

#include <stdbool.h>
#include <stddef.h>

#define SV_MOCK_MAX_BROKERS    64
#define SV_MOCK_MAX_PARTITIONS 10000
#define SV_MOCK_TOPIC_MAX      249 /* Kafka's limit on topic names */

struct sv_mock;

/*
 * Starts a cluster of nbrokers brokers (1 to SV_MOCK_MAX_BROKERS), with
 * ids 1 to nbrokers. Returns NULL with errno set (EINVAL, ENOMEM, or EIO
 * when librdkafka fails) and the reason in err. Free with sv_mock_free.
 */
struct sv_mock *sv_mock_new(int nbrokers, char *err, size_t errlen);

/* Stops the brokers and frees everything. NULL is fine. */
void sv_mock_free(struct sv_mock *mock);

/*
 * The bootstrap servers, "127.0.0.1:port,127.0.0.1:port,...". Owned by
 * mock; valid until sv_mock_free.
 */
const char *sv_mock_bootstraps(const struct sv_mock *mock);

/* The number of brokers. */
int sv_mock_nbrokers(const struct sv_mock *mock);

/*
 * Checks a topic to create on a cluster of nbrokers brokers, as a broker
 * would: the name is 1 to SV_MOCK_TOPIC_MAX characters of [a-zA-Z0-9._-]
 * and not "." or ".."; partitions is 1 to SV_MOCK_MAX_PARTITIONS;
 * replication is 1 to nbrokers, or -1 for the default (min(3, nbrokers),
 * what the mock auto-creates with). Returns 0 or -EINVAL with the reason
 * in err.
 */
int sv_mock_topic_check(int nbrokers, const char *topic, int partitions,
                        int replication, char *err, size_t errlen);

/*
 * Creates a topic (see sv_mock_topic_check; replication -1 is the
 * default). Returns 0, -EINVAL for a bad topic, -EEXIST if it exists, or
 * -EIO for another librdkafka error.
 */
int sv_mock_topic_create(struct sv_mock *mock, const char *topic,
                         int partitions, int replication);

/*
 * Takes every broker down (up false: connections are closed and new ones
 * refused; no leader changes) or brings them all back (up true). Data is
 * kept. Returns 0 or -EIO.
 */
int sv_mock_brokers_set_up(struct sv_mock *mock, bool up);

#endif /* SLUICE_SV_MOCK_H */
