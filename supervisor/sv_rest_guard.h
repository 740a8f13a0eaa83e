/*
 * sv_rest_guard.h: the request body limit, in front of evhttp.
 *
 * libevent 2.1's evhttp answers a body over its limit with an HTML page
 * of its own, and the REST API promises {"error_code","message"} for every
 * error. So the guard watches the input buffer of every REST connection
 * (an evbuffer callback: it runs when bytes arrive, before evhttp reads
 * them) and follows the HTTP/1.1 framing of each request line by line.
 * When a request's Content-Length is over the limit, the guard rewrites
 * that header line into "Content-Length: 0" and a marker header
 * (SV_REST_GUARD_HEADER: "<token> <length>"; the token is unguessable, so
 * a client cannot forge the marker), and discards the body as it comes
 * (never buffering it). The request handler sees the marker and answers
 * 413 in JSON; the connection stays usable for the next request (closing
 * it with unread data would reset it, and the client could lose the
 * answer), and a client that does not send the body closes it. A request
 * whose framing the guard does not follow (Transfer-Encoding, a second
 * Content-Length, an unparsable one, a line over SV_REST_GUARD_LINE_MAX)
 * turns the guard into a pass-through for the rest of that connection;
 * evhttp's own limit (evhttp_set_max_body_size, the same value) still
 * applies then.
 *
 * (A bufferevent filter would be the obvious tool, but in libevent 2.1
 * evhttp enables writing only after it queued its answer, which a
 * filter's output side never notices: answers stall.)
 *
 * The per-connection state lives in a table indexed by file descriptor,
 * so it needs no allocation tied to the connection's lifetime: a new
 * connection on a descriptor takes its entry over. One guard
 * configuration per process.
 *
 * Event loop thread only.
 */
#ifndef SLUICE_SV_REST_GUARD_H
#define SLUICE_SV_REST_GUARD_H

#include <stddef.h>

#include <event2/bufferevent.h>

#define SV_REST_GUARD_HEADER "X-Sluice-Body-Too-Large"
/* Longest request line or header line the guard follows. */
#define SV_REST_GUARD_LINE_MAX 16384

/* Sets the largest body accepted and the marker's secret (copied, at most
 * 64 characters) for every connection watched from now on. */
void sv_rest_guard_config(size_t limit, const char *token);

/* Watches the input of bev, a new connection's bufferevent (not yet
 * connected). 0 or -ENOMEM. */
int sv_rest_guard_attach(struct bufferevent *bev);

/* Frees the state of every connection (when the server goes). */
void sv_rest_guard_fini(void);

#endif /* SLUICE_SV_REST_GUARD_H */
