/*
 * bench_kafka.c: the baselines and the meter of `make bench`.
 *
 *	bench_kafka produce BOOTSTRAP TOPIC COUNT SIZE [KEY]
 *		produces COUNT records of SIZE bytes (with KEY, or null keys)
 *		with the producer settings sluiced uses for sources
 *		(acks=all, idempotence, linger.ms=5): what a minimal C program
 *		would do instead of a source pipeline. VerifiableSource's
 *		records carry the task id as their key ("0" through
 *		StringConverter), so they all go to one partition: the
 *		baseline passes KEY=0 to produce the same records.
 *	bench_kafka consume BOOTSTRAP TOPIC GROUP COUNT
 *		consumes COUNT records in GROUP and commits as it goes (every
 *		100 ms), with the prefetch limits of sluiced's sink consumers:
 *		what a minimal consumer would do instead of a sink pipeline.
 *	bench_kafka hwm BOOTSTRAP TOPIC
 *		prints the sum of the topic's end offsets.
 *	bench_kafka watch BOOTSTRAP TOPIC COUNT [GROUP]
 *		the meter: polls the topic's end offsets (or GROUP's committed
 *		offsets) every 10 ms until their sum reaches COUNT, and prints
 *		"<rate> records/s <ms>" over the span from 10 % to 90 % of
 *		COUNT, so start-up and the last linger do not count. The same
 *		meter measures sluice and the baselines.
 *	bench_kafka lines FILE COUNT SECONDS
 *		waits until FILE (which may not exist yet) holds COUNT
 *		lines and prints the wall-clock time it saw the last one
 *		arrive, in nanoseconds since the epoch (as `date +%s%N`).
 *		It reads only what was appended since it last looked,
 *		every millisecond: a run of `wc -l` every 10 ms reads the
 *		whole file each time and took a tenth of the machine's CPU
 *		from the pipeline it timed.
 *
 * Exit status 0, or 1 with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap,
                          const char *const *kv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];
	rd_kafka_t *rk;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
	                      sizeof(err)) != RD_KAFKA_CONF_OK)
		goto out_bad;
	for (; kv && kv[0]; kv += 2)
		if (rd_kafka_conf_set(conf, kv[0], kv[1], err, sizeof(err)) !=
		    RD_KAFKA_CONF_OK)
			goto out_bad;
	rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "bench_kafka: %s\n", err);
		exit(1);
	}
	return rk;
out_bad:
	fprintf(stderr, "bench_kafka: config: %s\n", err);
	exit(1);
}

static int64_t delivered, failed;

static void on_dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->err)
		failed++;
	else
		delivered++;
}

static int produce(const char *bootstrap, const char *topic, long count,
                   long size, const char *key)
{
	static const char *const kv[] = {
	    "acks",
	    "all",
	    "enable.idempotence",
	    "true",
	    "linger.ms",
	    "5",
	    "message.timeout.ms",
	    "0",
	    "partitioner",
	    "murmur2_random",
	    NULL,
	};
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	char *buf = malloc((size_t)size + 1);
	char err[512];

	if (!buf)
		return 1;
	memset(buf, '.', (size_t)size);
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_dr_msg_cb(conf, on_dr);
	rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
	                  sizeof(err));
	for (const char *const *p = kv; p[0]; p += 2)
		rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!rk) {
		fprintf(stderr, "bench_kafka: %s\n", err);
		return 1;
	}
	for (long i = 0; i < count; i++) {
		/* the record starts with its number, as VerifiableSource's */
		int n = snprintf(buf, (size_t)size + 1, "%ld", i);

		if (n < size)
			buf[n] = '.';
		while (rd_kafka_producev(
		           rk, RD_KAFKA_V_TOPIC(topic),
		           RD_KAFKA_V_VALUE(buf, (size_t)size),
		           RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
		           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		           RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
			rd_kafka_poll(rk, 10);
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 60000);
	rd_kafka_destroy(rk);
	free(buf);
	if (failed) {
		fprintf(stderr, "bench_kafka: %" PRId64 " records failed\n",
		        failed);
		return 1;
	}
	return 0;
}

static int consume(const char *bootstrap, const char *topic, const char *group,
                   long count)
{
	const char *kv[] = {
	    "group.id",
	    group,
	    "auto.offset.reset",
	    "earliest",
	    "enable.auto.commit",
	    "true",
	    "auto.commit.interval.ms",
	    "100",
	    "enable.partition.eof",
	    "true",
	    /* the prefetch limits sluiced's sink consumers use */
	    "queued.min.messages",
	    "10000000",
	    "queued.max.messages.kbytes",
	    "65536",
	    NULL,
	};
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bootstrap, kv);
	rd_kafka_topic_partition_list_t *l =
	    rd_kafka_topic_partition_list_new(1);
	long got = 0, eofs = 0;

	rd_kafka_poll_set_consumer(rk);
	rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_subscribe(rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	/* until COUNT records, or every partition at its end */
	while (got < count) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
		rd_kafka_topic_partition_list_t *a = NULL;

		if (!m)
			continue;
		if (!m->err)
			got++;
		else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF &&
		         !rd_kafka_assignment(rk, &a) && ++eofs >= a->cnt &&
		         got > 0) {
			rd_kafka_topic_partition_list_destroy(a);
			rd_kafka_message_destroy(m);
			break;
		}
		if (a)
			rd_kafka_topic_partition_list_destroy(a);
		rd_kafka_message_destroy(m);
	}
	rd_kafka_commit(rk, NULL, 0);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}

/* The sum of the topic's end offsets, or of GROUP's committed ones. */
static int64_t progress(rd_kafka_t *rk, const char *topic, int nparts,
                        rd_kafka_topic_partition_list_t *l)
{
	int64_t sum = 0;

	if (l) {
		for (int i = 0; i < l->cnt; i++)
			l->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
		if (rd_kafka_committed(rk, l, 2000))
			return -1;
		for (int i = 0; i < l->cnt; i++)
			if (l->elems[i].offset > 0)
				sum += l->elems[i].offset;
		return sum;
	}
	for (int p = 0; p < nparts; p++) {
		int64_t lo, hi;

		if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi,
		                                     2000))
			return -1;
		sum += hi;
	}
	return sum;
}

static int watch(const char *bootstrap, const char *topic, long count,
                 const char *group)
{
	const char *kv[] = {"group.id", group ? group : "bench-watch", NULL};
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bootstrap, kv);
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_topic_partition_list_t *l = NULL;
	int64_t lo = count / 10, hi = count * 9 / 10, t_lo = 0, t_hi = 0;
	int64_t deadline = now_us() + 600 * 1000000LL, base = -1;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int nparts;

	if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) || md->topic_cnt != 1 ||
	    md->topics[0].partition_cnt < 1) {
		fprintf(stderr, "bench_kafka: no metadata for %s\n", topic);
		return 1;
	}
	nparts = md->topics[0].partition_cnt;
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	if (group) {
		l = rd_kafka_topic_partition_list_new(nparts);
		for (int p = 0; p < nparts; p++)
			rd_kafka_topic_partition_list_add(l, topic, p);
	}
	while (now_us() < deadline) {
		int64_t t0 = now_us(), v = progress(rk, topic, nparts, l);

		if (getenv("BENCH_DEBUG"))
			fprintf(stderr, "watch: %lld ms %lld (%lld us)\n",
			        (long long)(t0 / 1000), (long long)v,
			        (long long)(now_us() - t0));

		if (v >= 0 && base < 0)
			base = v; /* what was there before the run */
		if (v >= 0) {
			v -= base;
			if (!t_lo && v >= lo)
				t_lo = now_us();
			if (v >= hi) {
				t_hi = now_us();
				break;
			}
		}
		usleep(10000);
	}
	if (l)
		rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	if (!t_hi || t_hi <= t_lo) {
		fprintf(stderr, "bench_kafka: %s did not reach %" PRId64 "\n",
		        topic, hi);
		return 1;
	}
	printf("%.0f records/s %.0f ms\n",
	       (double)(hi - lo) * 1e6 / (double)(t_hi - t_lo),
	       (double)(t_hi - t_lo) / 1000.0);
	return 0;
}

/* Waits for count lines in path; prints when the last one came. */
static int lines(const char *path, long count, long secs)
{
	int64_t deadline = now_us() + (int64_t)secs * 1000000;
	static char buf[1 << 16];
	struct timespec ts;
	long seen = 0;
	int fd = -1;

	while (seen < count) {
		ssize_t n;

		if (now_us() > deadline) {
			fprintf(stderr,
			        "bench_kafka: %s has %ld of %ld lines\n", path,
			        seen, count);
			return 1;
		}
		if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			usleep(1000);
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n < 0) {
			fprintf(stderr, "bench_kafka: %s: %s\n", path,
			        strerror(errno));
			return 1;
		}
		if (n == 0) {
			usleep(1000);
			continue;
		}
		for (char *p = buf;
		     (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
			seen++;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	printf("%lld%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
	close(fd);
	return 0;
}

/* Prints the sum of the topic's end offsets. */
static int hwm(const char *bootstrap, const char *topic)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bootstrap, NULL);
	const rd_kafka_metadata_t *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	int64_t sum;

	if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) || md->topic_cnt != 1) {
		fprintf(stderr, "bench_kafka: no metadata for %s\n", topic);
		return 1;
	}
	sum = progress(rk, topic, md->topics[0].partition_cnt, NULL);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	printf("%" PRId64 "\n", sum);
	return sum < 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "produce") == 0)
		return produce(argv[2], argv[3], atol(argv[4]), atol(argv[5]),
		               argc == 7 ? argv[6] : NULL);
	if (argc == 6 && strcmp(argv[1], "consume") == 0)
		return consume(argv[2], argv[3], argv[4], atol(argv[5]));
	if (argc == 4 && strcmp(argv[1], "hwm") == 0)
		return hwm(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "watch") == 0)
		return watch(argv[2], argv[3], atol(argv[4]),
		             argc == 6 ? argv[5] : NULL);
	if (argc == 5 && strcmp(argv[1], "lines") == 0)
		return lines(argv[2], atol(argv[3]), atol(argv[4]));
	fprintf(stderr,
	        "usage: bench_kafka produce BOOTSTRAP TOPIC COUNT SIZE [KEY]\n"
	        "       bench_kafka consume BOOTSTRAP TOPIC GROUP COUNT\n"
	        "       bench_kafka watch BOOTSTRAP TOPIC COUNT [GROUP]\n"
	        "       bench_kafka lines FILE COUNT SECONDS\n");
	return 2;
}
