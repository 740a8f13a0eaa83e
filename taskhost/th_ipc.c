/* th_ipc.c: see th_ipc.h. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "proto.h"
#include "th_ipc.h"

static atomic_int exit_status = 111;

static void on_pipe_removed(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	(void)p;
	(void)ev;
	(void)arg;
	/* sluiced is gone or dropped us: nobody is left to report to */
	_exit(atomic_load(&exit_status));
}

void th_ipc_finish(struct th_ipc *ipc, int status, int timeout_ms)
{
	int64_t waited = 0;

	atomic_store(&exit_status, status);
	if (!ipc->open)
		return;
	/* Keep reading: nng notices the peer's close only while the pipe
	 * is read, and sluiced may still send acks and pings; a full
	 * receive queue would hide the close. on_pipe_removed ends the
	 * process. */
	nng_socket_set_ms(ipc->sock, NNG_OPT_RECVTIMEO, 10);
	while (waited < timeout_ms) {
		nng_msg *m;

		if (nng_recvmsg(ipc->sock, &m, 0) == 0)
			nng_msg_free(m);
		else
			waited += 10;
	}
}

int th_ipc_open(struct th_ipc *ipc, const char *url, char *err, size_t errlen)
{
	int rv;

	ipc->open = false;
	if ((rv = nng_pair1_open(&ipc->sock)) != 0) {
		snprintf(err, errlen, "nng_pair1_open: %s", nng_strerror(rv));
		return -EIO;
	}
	ipc->open = true;
	if ((rv = nng_socket_set_size(ipc->sock, NNG_OPT_RECVMAXSZ,
	                              PROTO_FRAME_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(ipc->sock, NNG_OPT_SENDTIMEO, 30000)) !=
	        0 ||
	    /* without a receive buffer, a non-blocking receive finds only
	     * what a blocked receiver would have taken: acks and PAUSE
	     * would wait until the credits run out */
	    (rv = nng_socket_set_int(ipc->sock, NNG_OPT_RECVBUF, 1024)) != 0 ||
	    /* nor without a send buffer: each send would wait for nng's
	     * writer thread to take the previous message off the pipe */
	    (rv = nng_socket_set_int(ipc->sock, NNG_OPT_SENDBUF, 1024)) != 0 ||
	    (rv = nng_pipe_notify(ipc->sock, NNG_PIPE_EV_REM_POST,
	                          on_pipe_removed, NULL)) != 0) {
		snprintf(err, errlen, "nng options: %s", nng_strerror(rv));
		goto out_close;
	}
	/* A blocking dial: sluiced listens before it spawns us. */
	if ((rv = nng_dial(ipc->sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "dial %s: %s", url, nng_strerror(rv));
		goto out_close;
	}
	return 0;
out_close:
	th_ipc_close(ipc);
	return -EIO;
}

void th_ipc_close(struct th_ipc *ipc)
{
	if (!ipc->open)
		return;
	nng_close(ipc->sock);
	ipc->open = false;
}

int th_ipc_send(struct th_ipc *ipc, const msgpack_sbuffer *sb)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, sb->size) != 0)
		return -ENOMEM;
	memcpy(nng_msg_body(m), sb->data, sb->size);
	if (nng_sendmsg(ipc->sock, m, 0) != 0) {
		nng_msg_free(m);
		return -EIO;
	}
	return 0;
}

#define BUF_MIN 4096

void th_ipc_buf_init(struct th_ipc_buf *b)
{
	memset(b, 0, sizeof(*b));
	b->hint = BUF_MIN;
}

int th_ipc_region_map(struct th_ipc *ipc, const char *spec, int fd, char *err,
                      size_t errlen)
{
	unsigned long slots, size;
	struct stat st;
	char *end;
	void *p;
	int e;

	errno = 0;
	slots = strtoul(spec, &end, 10);
	if (errno || *end != ':' || !slots || slots > UINT32_MAX)
		goto out_bad;
	size = strtoul(end + 1, &end, 10);
	if (errno || *end || !size || size > UINT32_MAX ||
	    slots > SIZE_MAX / size)
		goto out_bad;
	if (fstat(fd, &st) == -1 || (uint64_t)st.st_size != slots * size) {
		snprintf(err, errlen, "batch region: descriptor %d is not %s",
		         fd, spec);
		close(fd);
		return -EINVAL;
	}
	p = mmap(NULL, slots * size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "mmap of the batch region: %s",
		         strerror(e));
		return -e;
	}
	ipc->region = p;
	ipc->slots = (uint32_t)slots;
	ipc->slot_size = (uint32_t)size;
	return 0;
out_bad:
	snprintf(err, errlen, "bad --batch-region %s", spec);
	close(fd);
	return -EINVAL;
}

void th_ipc_buf_slot(struct th_ipc_buf *b, void *mem, size_t cap)
{
	if (b->m) {
		nng_msg_free(b->m);
		b->m = NULL;
	}
	b->slot = true;
	b->body = mem;
	b->cap = cap;
	b->len = 0;
}

/* The frame outgrew its slot: on into a message, as any other. */
static int leave_slot(struct th_ipc_buf *b, size_t need)
{
	size_t cap = b->hint;

	while (cap < need)
		cap *= 2;
	if (nng_msg_alloc(&b->m, cap))
		return -1;
	memcpy(nng_msg_body(b->m), b->body, b->len);
	b->slot = false;
	b->body = nng_msg_body(b->m);
	b->cap = cap;
	return 0;
}

int th_ipc_buf_write(void *data, const char *p, size_t n)
{
	struct th_ipc_buf *b = data;

	if (n > b->cap - b->len && b->slot) {
		if (leave_slot(b, b->len + n))
			return -1;
	}
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap * 2 : b->hint;

		while (cap < b->len + n)
			cap *= 2;
		/* nng_msg_realloc keeps the bytes written so far */
		if (b->m ? nng_msg_realloc(b->m, cap)
		         : nng_msg_alloc(&b->m, cap))
			return -1;
		b->cap = cap;
		b->body = nng_msg_body(b->m);
	}
	memcpy(b->body + b->len, p, n);
	b->len += n;
	return 0;
}

void th_ipc_buf_clear(struct th_ipc_buf *b)
{
	b->len = 0;
	if (b->slot) {
		b->slot = false;
		b->body = NULL;
		b->cap = 0;
	}
}

void th_ipc_buf_fini(struct th_ipc_buf *b)
{
	b->slot = false;
	if (b->m)
		nng_msg_free(b->m);
	b->m = NULL;
	b->body = NULL;
	b->len = b->cap = 0;
}

int th_ipc_send_buf(struct th_ipc *ipc, struct th_ipc_buf *b)
{
	nng_msg *m = b->m;
	size_t len = b->len;

	if (!m || b->slot)
		return -EIO;
	/* the next frame starts at about this one's size: big batches
	 * follow big batches; the hint decays after a burst */
	b->hint = len > b->hint ? len : (b->hint * 7 + len) / 8;
	if (b->hint < BUF_MIN)
		b->hint = BUF_MIN;
	b->m = NULL;
	b->body = NULL;
	b->len = b->cap = 0;
	nng_msg_realloc(m, len); /* shrinks: no copy */
	if (nng_sendmsg(ipc->sock, m, 0) != 0) {
		nng_msg_free(m);
		return -EIO;
	}
	return 0;
}

int th_ipc_recv(struct th_ipc *ipc, int timeout_ms, nng_msg **msg)
{
	int rv;

	if (timeout_ms == 0) {
		rv = nng_recvmsg(ipc->sock, msg, NNG_FLAG_NONBLOCK);
	} else {
		nng_socket_set_ms(ipc->sock, NNG_OPT_RECVTIMEO,
		                  timeout_ms < 0 ? NNG_DURATION_INFINITE
		                                 : timeout_ms);
		rv = nng_recvmsg(ipc->sock, msg, 0);
	}
	if (rv == 0)
		return 0;
	if (rv == NNG_EAGAIN || rv == NNG_ETIMEDOUT)
		return -EAGAIN;
	return -EIO;
}
