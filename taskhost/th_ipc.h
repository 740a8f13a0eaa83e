/*
 * th_ipc.h: the taskhost's end of its channel to sluiced (an nng pair1
 * socket dialled to the ipc:// URL given on the command line).
 *
 * If the channel closes (sluiced went away or dropped us) the process
 * exits at once with status 111, from nng's pipe callback: there is
 * nobody left to report to and nothing of ours left to flush.
 */
#ifndef SLUICE_TH_IPC_H
#define SLUICE_TH_IPC_H

#include <stdbool.h>

#include <msgpack.h>
#include <nng/nng.h>

struct th_ipc {
	nng_socket sock;
	bool open;
	/* a source task's batch region, shared with sluiced: slots of
	 * slot_size bytes (PROTOCOL.md, SOURCE_SHARED); NULL: none */
	unsigned char *region;
	uint32_t slots;
	uint32_t slot_size;
};

/* Maps the batch region sluiced passed as descriptor fd, described by
 * spec "SLOTS:SLOT_SIZE", and closes fd. 0, or -errno with err set. */
int th_ipc_region_map(struct th_ipc *ipc, const char *spec, int fd, char *err,
                      size_t errlen);

/* Dials url and waits until connected. 0 or a negative errno, err says
 * why. */
int th_ipc_open(struct th_ipc *ipc, const char *url, char *err, size_t errlen);
void th_ipc_close(struct th_ipc *ipc);

/* Sends sb's bytes as one frame. Thread-safe. 0 or -EIO. */
int th_ipc_send(struct th_ipc *ipc, const msgpack_sbuffer *sb);

/*
 * A frame being packed straight into the nng message that will carry it,
 * so that sending does not copy it again: th_ipc_buf_write is a msgpack
 * write callback (msgpack_packer_init(&pk, &buf, th_ipc_buf_write)). The
 * message grows by doubling and starts at the size recent frames needed.
 * The buffer owns its message until th_ipc_send_buf hands it to nng.
 */
struct th_ipc_buf {
	nng_msg *m;  /* NULL until something is written */
	char *body;  /* m's body, or the region slot */
	bool slot;   /* body is a region slot (th_ipc_buf_slot) */
	size_t len;  /* bytes written */
	size_t cap;  /* bytes m can hold */
	size_t hint; /* what the next message is allocated with */
};

void th_ipc_buf_init(struct th_ipc_buf *b);
int th_ipc_buf_write(void *b, const char *p, size_t n); /* 0 or -1 */
/* The next frame is written into mem (a region slot of cap bytes): b
 * must be empty. If the frame outgrows it, what was written moves into
 * a message and b->slot becomes false. */
void th_ipc_buf_slot(struct th_ipc_buf *b, void *mem, size_t cap);
/* Forgets what was written (and the slot); keeps a message for the next
 * frame. */
void th_ipc_buf_clear(struct th_ipc_buf *b);
void th_ipc_buf_fini(struct th_ipc_buf *b);
/* Sends what b holds as one frame and empties b (also on failure).
 * Thread-safe for different buffers. 0, or -EIO (also for a frame in a
 * slot: those are announced with SOURCE_SHARED). */
int th_ipc_send_buf(struct th_ipc *ipc, struct th_ipc_buf *b);

/* Receives one frame. timeout_ms: -1 waits, 0 polls. Returns 0 with *msg
 * (the caller frees it with nng_msg_free), -EAGAIN when nothing came in
 * time, or -EIO. */
int th_ipc_recv(struct th_ipc *ipc, int timeout_ms, nng_msg **msg);

/*
 * Ends the conversation: from now on a closed channel exits the process
 * with `status` (instead of 111), then waits up to timeout_ms for sluiced
 * to close the channel. sluiced closes it once it has read the last
 * message (STOPPED, FAILED, VALIDATION), so nothing queued is lost, as it
 * could be if the taskhost closed first.
 */
void th_ipc_finish(struct th_ipc *ipc, int status, int timeout_ms);

#endif /* SLUICE_TH_IPC_H */
