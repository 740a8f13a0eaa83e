/*
 * fake_taskhost.c: a taskhost that speaks the protocol badly, for the
 * hostile-peer suite (tests/sandbox/hostile_peer.sh). sluiced runs it in
 * place of sluice-taskhost (worker key sluice.taskhost).
 *
 * For the task of a connector called "peer-<mode>" (its task directory
 * ends in "/peer-<mode>-<n>") it says HELLO, takes START, says READY and
 * then does what <mode> says, answering PING meanwhile so that only the
 * protocol can get it killed:
 *
 *	truncated        a SOURCE_BATCH cut in half
 *	oversized_decl   a frame that declares 2^31 topics in 16 bytes
 *	oversized_frame  a frame larger than PROTO_FRAME_MAX
 *	wrong_type       a SOURCE_BATCH whose seq is a string
 *	unknown_message  message number 99
 *	not_allowed      TASK_CONFIGS, which a source task may not send
 *	out_of_sequence  a SOURCE_BATCH numbered 5 first
 *	flood            SOURCE_BATCHes far past its credit, without waiting
 *	bad_topic        a record for topic "forbidden"
 *	ack_unsent       (sink) SINK_ACK for a batch never sent
 *	flushed_unsent   (sink) SINK_FLUSHED for a flush never asked
 *	shared_bounds    SOURCE_SHARED for a slot past the batch region
 *	shared_long      SOURCE_SHARED longer than a slot
 *	shared_garbage   SOURCE_SHARED for a slot that holds no SOURCE_BATCH
 *	shared_shrink    truncates the batch region (must be refused: it is
 *	                 sealed), then announces a whole slot of zeros
 *
 * Everything else (other connectors, connector instances, validations,
 * --describe) is the real sluice-taskhost, next to this program's
 * directory, which it execs with the same arguments.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "proto.h"

static nng_socket sock;
/* the batch region (--batch-region SLOTS:SIZE, descriptor 3) */
static unsigned char *region;
static unsigned long slots, slot_size;
static msgpack_sbuffer sb;
static msgpack_packer pk;

static void die(const char *what, int rv)
{
	fprintf(stderr, "FAKE %s: %s\n", what, nng_strerror(rv));
	exit(111);
}

static void send_raw(const void *p, size_t n)
{
	nng_msg *m;
	int rv;

	if ((rv = nng_msg_alloc(&m, n)) != 0)
		die("alloc", rv);
	memcpy(nng_msg_body(m), p, n);
	if ((rv = nng_sendmsg(sock, m, 0)) != 0) {
		nng_msg_free(m);
		fprintf(stderr, "FAKE send: %s\n", nng_strerror(rv));
	}
}

static void send_sb(void)
{
	send_raw(sb.data, sb.size);
	msgpack_sbuffer_clear(&sb);
}

/* A well-formed SOURCE_BATCH of one record to `topic`. */
static void pack_batch(uint64_t seq, const char *topic)
{
	struct proto_record r = {
	    .topic = 0, .partition = -1, .timestamp = -1, .value = {"x", 1}};

	if (proto_source_batch_begin(&pk, seq, 1) ||
	    proto_pack_cstr(&pk, topic) || proto_batch_records_begin(&pk, 1) ||
	    proto_source_record_pack(&pk, &r) || proto_kvmap_begin(&pk, 1) ||
	    proto_pack_kv(&pk, "{\"fake\":\"peer\"}", "1") ||
	    proto_source_errors_begin(&pk, 0)) {
		fprintf(stderr, "FAKE cannot pack\n");
		exit(111);
	}
}

static void misbehave(const char *mode, const struct proto_start *st)
{
	if (strcmp(mode, "truncated") == 0) {
		pack_batch(1, "peer");
		send_raw(sb.data, sb.size / 2);
		msgpack_sbuffer_clear(&sb);
	} else if (strcmp(mode, "oversized_decl") == 0) {
		/* [20, 1, <array32 of 2^31-1 topics>...] */
		static const unsigned char f[] = {
		    0x96, 0x14, 0x01, 0xdd, 0x7f, 0xff, 0xff, 0xff,
		    0xa1, 'x',  0x90, 0x80, 0x90, 0,    0,    0};

		send_raw(f, sizeof(f));
	} else if (strcmp(mode, "oversized_frame") == 0) {
		size_t n = PROTO_FRAME_MAX + 4096;
		unsigned char *f = calloc(1, n);

		if (!f)
			exit(111);
		f[0] = 0x92; /* [20, bin32 of the rest] */
		f[1] = 0x14;
		f[2] = 0xc6;
		f[3] = (unsigned char)((n - 7) >> 24);
		f[4] = (unsigned char)((n - 7) >> 16);
		f[5] = (unsigned char)((n - 7) >> 8);
		f[6] = (unsigned char)(n - 7);
		send_raw(f, n);
		free(f);
	} else if (strcmp(mode, "wrong_type") == 0) {
		msgpack_pack_array(&pk, 6);
		msgpack_pack_uint32(&pk, PROTO_SOURCE_BATCH);
		proto_pack_cstr(&pk, "one");
		msgpack_pack_array(&pk, 0);
		msgpack_pack_array(&pk, 0);
		msgpack_pack_map(&pk, 0);
		msgpack_pack_array(&pk, 0);
		send_sb();
	} else if (strcmp(mode, "unknown_message") == 0) {
		msgpack_pack_array(&pk, 1);
		msgpack_pack_uint32(&pk, 99);
		send_sb();
	} else if (strcmp(mode, "not_allowed") == 0) {
		proto_task_configs_begin(&pk, 0);
		send_sb();
	} else if (strcmp(mode, "out_of_sequence") == 0) {
		pack_batch(5, "peer");
		send_sb();
	} else if (strcmp(mode, "flood") == 0) {
		for (uint64_t seq = 1; seq <= st->limits.credits + 100; seq++) {
			pack_batch(seq, "peer");
			send_sb();
		}
	} else if (strcmp(mode, "bad_topic") == 0) {
		pack_batch(1, "forbidden");
		send_sb();
	} else if (strcmp(mode, "ack_unsent") == 0) {
		proto_sink_ack_begin(&pk, 77, PROTO_SINK_OK, "", 0);
		send_sb();
	} else if (strcmp(mode, "shared_bounds") == 0) {
		proto_shared_pack(&pk, (uint32_t)slots, 10);
		send_sb();
	} else if (strcmp(mode, "shared_long") == 0) {
		proto_shared_pack(&pk, 0, (uint32_t)slot_size + 1);
		send_sb();
	} else if (strcmp(mode, "shared_garbage") == 0) {
		if (region)
			memset(region, 0xc1, 64); /* never used in msgpack */
		proto_shared_pack(&pk, 0, 64);
		send_sb();
	} else if (strcmp(mode, "shared_shrink") == 0) {
		proto_shared_pack(&pk, 0, (uint32_t)slot_size);
		send_sb();
	} else if (strcmp(mode, "flushed_unsent") == 0) {
		proto_sink_flushed_begin(&pk, 77, PROTO_SINK_OK, "", 1);
		proto_position_pack(&pk, "peer", 0, 1000);
		send_sb();
	} else {
		fprintf(stderr, "FAKE unknown mode %s\n", mode);
	}
}

/* "…/peer-<mode>-<n>" -> mode, or NULL. */
static const char *mode_of(const char *task_dir, char *buf, size_t len)
{
	const char *base = task_dir ? strrchr(task_dir, '/') : NULL;
	char *dash;

	if (!base || strncmp(base + 1, "peer-", 5) != 0)
		return NULL;
	snprintf(buf, len, "%s", base + 6);
	dash = strrchr(buf, '-');
	if (!dash || !dash[1] ||
	    strspn(dash + 1, "0123456789") != strlen(dash + 1))
		return NULL; /* the connector instance, not a task */
	*dash = '\0';
	return buf;
}

static void exec_real(char **argv)
{
	char self[PATH_MAX], real[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		exit(111);
	self[n] = '\0';
	slash = strrchr(self, '/');
	*slash = '\0';
	snprintf(real, sizeof(real), "%s/../sluice-taskhost", self);
	execv(real, argv);
	fprintf(stderr, "FAKE exec %s: %s\n", real, strerror(errno));
	exit(127);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *task_dir = NULL, *mode;
	char modebuf[128];
	struct proto_hello hello = {PROTO_VERSION, (uint64_t)getpid()};
	struct proto_start st;
	struct proto_rd rd;
	uint32_t type, nf;
	nng_msg *m;
	int rv;

	for (int i = 1; i + 1 < argc; i++) {
		if (strcmp(argv[i], "--connect") == 0)
			url = argv[i + 1];
		else if (strcmp(argv[i], "--task-dir") == 0)
			task_dir = argv[i + 1];
		else if (strcmp(argv[i], "--batch-region") == 0 &&
		         sscanf(argv[i + 1], "%lu:%lu", &slots, &slot_size) !=
		             2)
			slots = slot_size = 0;
	}
	if (!url || !(mode = mode_of(task_dir, modebuf, sizeof(modebuf))))
		exec_real(argv);
	if (slots && slot_size) {
		if (strcmp(mode, "shared_shrink") == 0) {
			if (ftruncate(3, 0) == -1)
				fprintf(stderr, "FAKE shrink refused: %s\n",
				        strerror(errno));
			else
				fprintf(stderr, "FAKE shrink done\n");
		}
		region = mmap(NULL, slots * slot_size, PROT_READ | PROT_WRITE,
		              MAP_SHARED, 3, 0);
		if (region == MAP_FAILED)
			region = NULL;
		close(3);
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if ((rv = nng_pair1_open(&sock)) != 0)
		die("open", rv);
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, PROTO_FRAME_MAX);
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0)
		die("dial", rv);
	proto_hello_pack(&pk, &hello);
	send_sb();
	if ((rv = nng_recvmsg(sock, &m, 0)) != 0)
		die("recv START", rv);
	if (proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m), &type,
	                     &nf) ||
	    type != PROTO_START || proto_start_unpack(&rd, nf, &st)) {
		fprintf(stderr, "FAKE no START\n");
		return 111;
	}
	proto_empty_pack(&pk, PROTO_READY);
	send_sb();
	fprintf(stderr, "FAKE %s: misbehaving\n", mode);
	misbehave(mode, &st);
	nng_msg_free(m);
	/* answer PING until sluiced kills us: only the protocol may */
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 60000);
	while (nng_recvmsg(sock, &m, 0) == 0) {
		uint64_t n;

		if (proto_frame_open(&rd, nng_msg_body(m), nng_msg_len(m),
		                     &type, &nf) == 0 &&
		    type == PROTO_PING && proto_u64_unpack(&rd, nf, &n) == 0 &&
		    proto_u64_pack(&pk, PROTO_PONG, n) == 0)
			send_sb();
		nng_msg_free(m);
	}
	return 0;
}
