/*
 * sv_rest_fwd.h: forwarding a REST request to the cluster's leader, as
 * Kafka Connect's RestClient does for writes that reach a follower: the
 * request is sent on (never redirected) and the leader's answer relayed.
 *
 * The forward is an HTTP/1.1 request on the event loop (libevent's evhttp
 * client, asynchronous DNS with evdns; the loop never blocks) to the
 * leader's base URL, http://host:port or https://host:port, with
 *
 *  - the same method, path and query, as sent (percent-encoded);
 *  - the body, and the Content-Type, Accept and Authorization headers;
 *  - Host: the leader's host:port, Connection: close;
 *  - SV_REST_FWD_HEADER: the forwarding member's worker id, so that the
 *    leader can refuse to forward it again (a request is forwarded once).
 *
 * The leader's status code, body, Content-Type and Location are relayed
 * to the client unchanged. If the leader cannot be reached, fails before
 * answering, or does not answer within the timeout, the client gets 409
 * with Kafka Connect's SV_REST_FWD_CONFLICT message and the failure is
 * logged (SV-REST-FORWARD, warn).
 *
 * HTTPS leaders: the certificate is verified against the client TLS
 * context given to sv_rest_fwd_new (sv_rest_tls_client_new: the worker's
 * listeners.https.ssl.ca.location, else the system's CAs) and the URL's
 * host name (or IP address); without a TLS context an https leader gets
 * 409 with a message saying so.
 *
 * A forward in flight is cancelled (its connection to the leader closed,
 * nothing leaks) when the client's connection closes, and by
 * sv_rest_fwd_cancel_all / sv_rest_fwd_free, which answer its client 503.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_REST_FWD_H
#define SLUICE_SV_REST_FWD_H

#include <event2/event.h>
#include <openssl/ssl.h>

#include "sv_rest.h"

#define SV_REST_FWD_HEADER "X-Sluice-Forwarded"
/* Kafka Connect's ConnectRestException for a rebalance in progress. */
#define SV_REST_FWD_CONFLICT                                                \
	"Cannot complete request because of a conflicting operation (e.g. " \
	"worker rebalance)"
#define SV_REST_FWD_DEFAULT_TIMEOUT_MS 10000 /* rest.forward.timeout.ms */

struct sv_rest_fwd;

/*
 * A forwarder on base. timeout_ms bounds each forward from start to the
 * last byte of the answer (> 0). tls (may be NULL: https leaders then get
 * 409) is borrowed: it must outlive the forwarder. NULL with errno set on
 * failure.
 */
struct sv_rest_fwd *sv_rest_fwd_new(struct event_base *base, int timeout_ms,
                                    SSL_CTX *tls);
/* Cancels every forward (their clients get 503) and frees f. Call before
 * the HTTP servers of the forwarded requests are freed. NULL is fine. */
void sv_rest_fwd_free(struct sv_rest_fwd *f);
/* Cancels every forward in flight; their clients get 503. */
void sv_rest_fwd_cancel_all(struct sv_rest_fwd *f);
/* How many forwards are in flight (for tests). */
size_t sv_rest_fwd_pending(const struct sv_rest_fwd *f);

/*
 * Forwards q to leader_url ("http://host:port" or "https://host:port",
 * without a path). self_id is this member's worker id, sent in
 * SV_REST_FWD_HEADER. Takes q: it is answered (sv_rest_reply_raw or
 * sv_rest_error), now on an invalid URL or a failure to start, or later.
 */
void sv_rest_fwd_start(struct sv_rest_fwd *f, struct sv_rest_req *q,
                       const char *leader_url, const char *self_id);

#endif /* SLUICE_SV_REST_FWD_H */
