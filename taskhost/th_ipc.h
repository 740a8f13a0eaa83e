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
};

/* Dials url and waits until connected. 0 or a negative errno, err says
 * why. */
int th_ipc_open(struct th_ipc *ipc, const char *url, char *err, size_t errlen);
void th_ipc_close(struct th_ipc *ipc);

/* Sends sb's bytes as one frame. Thread-safe. 0 or -EIO. */
int th_ipc_send(struct th_ipc *ipc, const msgpack_sbuffer *sb);

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
