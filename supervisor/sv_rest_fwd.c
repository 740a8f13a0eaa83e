/* sv_rest_fwd.c: see sv_rest_fwd.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "sv_log.h"
#include "sv_rest_fwd.h"

/* The request headers that go to the leader as they came. */
static const char *const relayed_in[] = {"Content-Type", "Accept",
                                         "Authorization"};
/* The answer headers that go back to the client. */
static const char *const relayed_out[] = {"Location"};

/*
 * One forward. It stays on the forwarder's list from the start until it
 * is reaped: its outgoing connection cannot be freed inside that
 * connection's own callback, so the end of a forward is deferred to
 * the reap event (event_active), which frees the connection and the call.
 */
struct call {
	TAILQ_ENTRY(call) link;
	struct sv_rest_fwd *f;
	struct sv_rest_req *q;           /* NULL once answered */
	struct evhttp_connection *evcon; /* to the leader; NULL once freed */
	struct event *timer;             /* the whole forward's deadline */
	struct event *gone;              /* EV_CLOSED on the client's socket */
	struct event *reap;              /* frees the call, outside callbacks */
	enum evhttp_request_error error; /* why the outgoing request failed */
	bool failed;
	char target[256]; /* the leader's URL, for messages */
};

TAILQ_HEAD(call_list, call);

struct sv_rest_fwd {
	struct event_base *base;
	struct evdns_base *dns;
	SSL_CTX *tls;
	struct timeval timeout;
	struct call_list calls;
	size_t ncalls;
};

/* --- ending a forward --------------------------------------------------- */

static void call_free(struct call *c)
{
	if (c->evcon)
		evhttp_connection_free(c->evcon);
	c->evcon = NULL;
	if (c->timer)
		event_free(c->timer);
	if (c->gone)
		event_free(c->gone);
	if (c->reap)
		event_free(c->reap);
	TAILQ_REMOVE(&c->f->calls, c, link);
	c->f->ncalls--;
	free(c);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	call_free(arg);
}

/* Stops watching the client and the deadline; the call is freed from the
 * event loop. The client must have been answered. */
static void call_end(struct call *c)
{
	if (c->timer)
		event_del(c->timer);
	if (c->gone)
		event_del(c->gone);
	event_active(c->reap, EV_TIMEOUT, 0);
}

/* Closes the connection to the leader (not from its own callbacks): the
 * outgoing request goes with it, and its callback is not called. */
static void call_cancel(struct call *c)
{
	if (c->evcon)
		evhttp_connection_free(c->evcon);
	c->evcon = NULL;
}

static void answer_conflict(struct call *c, const char *why)
{
	struct sv_rest_req *q = c->q;

	c->q = NULL;
	sv_warn("SV-REST-FORWARD", "%s %s: forward to the leader %s failed: %s",
	        q->method_name, q->path, c->target, why);
	sv_rest_error(q, 409, "%s", SV_REST_FWD_CONFLICT);
}

/* --- callbacks ---------------------------------------------------------- */

static const char *error_name(enum evhttp_request_error e)
{
	switch (e) {
	case EVREQ_HTTP_TIMEOUT:
		return "timed out";
	case EVREQ_HTTP_EOF:
		return "connection refused or closed before an answer";
	case EVREQ_HTTP_INVALID_HEADER:
		return "invalid answer";
	case EVREQ_HTTP_BUFFER_ERROR:
		return "connection error";
	case EVREQ_HTTP_DATA_TOO_LONG:
		return "answer too long";
	default:
		return "request failed";
	}
}

static void on_error(enum evhttp_request_error e, void *arg)
{
	struct call *c = arg;

	c->failed = true;
	c->error = e;
}

/* The TLS reason of a failed https forward, if any. */
static void tls_reason(struct call *c, char *buf, size_t len)
{
	struct bufferevent *bev =
	    c->evcon ? evhttp_connection_get_bufferevent(c->evcon) : NULL;
	unsigned long e = bev ? bufferevent_get_openssl_error(bev) : 0;
	SSL *ssl = bev ? bufferevent_openssl_get_ssl(bev) : NULL;
	long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;

	*buf = '\0';
	if (vr != X509_V_OK)
		snprintf(buf, len, " (TLS: the leader's certificate: %s)",
		         X509_verify_cert_error_string(vr));
	else if (e)
		snprintf(buf, len, " (TLS: %s)", ERR_reason_error_string(e));
}

/* The leader answered, or the outgoing request failed (ans NULL). */
static void on_answer(struct evhttp_request *ans, void *arg)
{
	struct call *c = arg;
	struct sv_rest_req *q = c->q;
	struct evkeyvalq *in;
	char why[512], tls[300];
	int code = ans ? evhttp_request_get_response_code(ans) : 0;

	if (!q)
		return;
	if (!ans || code == 0) {
		tls_reason(c, tls, sizeof(tls));
		snprintf(why, sizeof(why), "%s%s",
		         error_name(c->failed ? c->error : EVREQ_HTTP_EOF),
		         tls);
		answer_conflict(c, why);
		call_end(c);
		return;
	}
	c->q = NULL;
	in = evhttp_request_get_input_headers(ans);
	for (size_t i = 0; i < sizeof(relayed_out) / sizeof(relayed_out[0]);
	     i++) {
		const char *v = evhttp_find_header(in, relayed_out[i]);

		if (v)
			sv_rest_header(q, relayed_out[i], v);
	}
	sv_debug("SV-REST-FORWARD", "%s %s: the leader %s answered %d",
	         q->method_name, q->path, c->target, code);
	sv_rest_reply_raw(q, code, evhttp_find_header(in, "Content-Type"),
	                  evhttp_request_get_input_buffer(ans));
	call_end(c);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd;
	(void)what;
	call_cancel(c);
	if (c->q)
		answer_conflict(c, "no answer within rest.forward.timeout.ms");
	call_end(c);
}

/* The client closed its connection (or at least its sending half): the
 * forward is of no use any more. The request is answered anyway: that
 * is how libevent, which stopped reading the connection while the
 * request is handled, learns that it is closed and frees it. */
static void on_client_gone(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;
	struct sv_rest_req *q = c->q;

	(void)fd;
	(void)what;
	call_cancel(c);
	if (q) {
		c->q = NULL;
		sv_info("SV-REST-FORWARD",
		        "%s %s: the client closed its connection; forward to "
		        "%s cancelled",
		        q->method_name, q->path, c->target);
		q->close = true;
		sv_rest_error(q, 409, "%s", SV_REST_FWD_CONFLICT);
	}
	call_end(c);
}

/* --- starting a forward ------------------------------------------------- */

static bool is_ip(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 ||
	       inet_pton(AF_INET6, host, buf) == 1;
}

/* A TLS bufferevent that checks the leader's certificate and name. */
static struct bufferevent *tls_bev(struct sv_rest_fwd *f, const char *host)
{
	struct bufferevent *bev;
	SSL *ssl = SSL_new(f->tls);
	int ok;

	if (!ssl)
		return NULL;
	SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
	if (is_ip(host)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		ok = SSL_set1_host(ssl, host) == 1 &&
		     SSL_set_tlsext_host_name(ssl, host) == 1;
	}
	if (ok != 1) {
		SSL_free(ssl);
		return NULL;
	}
	bev = bufferevent_openssl_socket_new(
	    f->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!bev) {
		SSL_free(ssl);
		return NULL;
	}
	/* the leader closes after its answer (Connection: close), maybe
	 * without close_notify */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* "path?query" of the client's request, as sent. */
static char *target_of(struct evhttp_request *ev)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	char *out;

	if (asprintf(&out, "%s%s%s", path && *path ? path : "/",
	             query ? "?" : "", query ? query : "") < 0)
		return NULL;
	return out;
}

/* Builds and sends the outgoing request. 0, or -1 with why set. */
static int send_request(struct call *c, struct sv_rest_req *q, const char *host,
                        int port, bool https, const char *self_id,
                        const char **why)
{
	struct sv_rest_fwd *f = c->f;
	struct evhttp_request *out;
	struct evkeyvalq *in_h = evhttp_request_get_input_headers(q->ev), *oh;
	struct evbuffer *body = evhttp_request_get_input_buffer(q->ev);
	struct bufferevent *bev = NULL;
	char hostport[300], len[32], *target = NULL;
	size_t n = evbuffer_get_length(body);
	int rc = -1;

	*why = "out of memory";
	if (https) {
		if (!f->tls) {
			*why = "the leader is https:// and this worker has no "
			       "TLS client context (see SV-REST-FORWARD at "
			       "startup)";
			return -1;
		}
		if (!(bev = tls_bev(f, host)))
			return -1;
	}
	c->evcon = evhttp_connection_base_bufferevent_new(
	    f->base, f->dns, bev, host, (ev_uint16_t)port);
	if (!c->evcon) {
		if (bev)
			bufferevent_free(bev);
		return -1;
	}
	evhttp_connection_set_timeout_tv(c->evcon, &f->timeout);
	evhttp_connection_set_retries(c->evcon, 0);
	if (!(out = evhttp_request_new(on_answer, c)))
		return -1;
	evhttp_request_set_error_cb(out, on_error);
	oh = evhttp_request_get_output_headers(out);
	snprintf(hostport, sizeof(hostport),
	         strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	snprintf(len, sizeof(len), "%zu", n);
	if (evhttp_add_header(oh, "Host", hostport) ||
	    evhttp_add_header(oh, "Connection", "close") ||
	    evhttp_add_header(oh, SV_REST_FWD_HEADER, self_id) ||
	    evhttp_add_header(oh, "Content-Length", len))
		goto out_free;
	for (size_t i = 0; i < sizeof(relayed_in) / sizeof(relayed_in[0]);
	     i++) {
		const char *v = evhttp_find_header(in_h, relayed_in[i]);

		if (v && evhttp_add_header(oh, relayed_in[i], v))
			goto out_free;
	}
	/* a copy: the client's buffer stays as it came */
	if (n && evbuffer_add(evhttp_request_get_output_buffer(out),
	                      evbuffer_pullup(body, -1), n))
		goto out_free;
	if (!(target = target_of(q->ev)))
		goto out_free;
	/* on failure, evhttp_make_request has freed out */
	rc = evhttp_make_request(c->evcon, out,
	                         evhttp_request_get_command(q->ev), target);
	free(target);
	if (rc)
		*why = "cannot start the request";
	return rc;
out_free:
	evhttp_request_free(out);
	return -1;
}

/* Watches the client's socket for its close. Best effort: without a
 * socket (or a backend without EV_CLOSED), the forward just runs on. */
static void watch_client(struct call *c, struct sv_rest_req *q)
{
	struct evhttp_connection *in = evhttp_request_get_connection(q->ev);
	struct bufferevent *bev =
	    in ? evhttp_connection_get_bufferevent(in) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;

	if (fd == -1)
		return;
	c->gone = event_new(c->f->base, fd, EV_CLOSED, on_client_gone, c);
	if (c->gone && event_add(c->gone, NULL)) {
		event_free(c->gone);
		c->gone = NULL;
	}
}

/* Parses http(s)://host[:port][/]. 0, or -1. */
static int parse_url(const char *url, bool *https, char *host, size_t hostlen,
                     int *port)
{
	struct evhttp_uri *u = evhttp_uri_parse(url);
	const char *scheme = u ? evhttp_uri_get_scheme(u) : NULL;
	const char *h = u ? evhttp_uri_get_host(u) : NULL;
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	size_t n;
	int rc = -1;

	if (!scheme || !h || !*h || (path && *path && strcmp(path, "/") != 0))
		goto out;
	if (strcasecmp(scheme, "http") == 0)
		*https = false;
	else if (strcasecmp(scheme, "https") == 0)
		*https = true;
	else
		goto out;
	n = strlen(h);
	if (h[0] == '[' && n > 2 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n >= hostlen)
		goto out;
	snprintf(host, hostlen, "%.*s", (int)n, h);
	*port = evhttp_uri_get_port(u);
	if (*port == -1)
		*port = *https ? 443 : 80;
	rc = *port > 0 && *port <= 65535 ? 0 : -1;
out:
	if (u)
		evhttp_uri_free(u);
	return rc;
}

void sv_rest_fwd_start(struct sv_rest_fwd *f, struct sv_rest_req *q,
                       const char *leader_url, const char *self_id)
{
	struct call *c = calloc(1, sizeof(*c));
	char host[256];
	const char *why = "out of memory";
	struct timeval tv;
	bool https;
	int port;

	if (!c) {
		sv_rest_error(q, 500, "out of memory");
		return;
	}
	c->f = f;
	c->q = q;
	snprintf(c->target, sizeof(c->target), "%s", leader_url);
	TAILQ_INSERT_TAIL(&f->calls, c, link);
	f->ncalls++;
	if (!(c->reap = event_new(f->base, -1, 0, on_reap, c))) {
		c->q = NULL;
		sv_rest_error(q, 500, "out of memory");
		call_free(c);
		return;
	}
	if (parse_url(leader_url, &https, host, sizeof(host), &port)) {
		why = "invalid leader URL";
		goto out_fail;
	}
	tv = f->timeout;
	if (!(c->timer = evtimer_new(f->base, on_timeout, c)) ||
	    evtimer_add(c->timer, &tv))
		goto out_fail;
	sv_debug("SV-REST-FORWARD", "%s %s: forwarding to the leader %s",
	         q->method_name, q->path, leader_url);
	/* a connection that fails at once may answer q from in there */
	if (send_request(c, q, host, port, https, self_id, &why))
		goto out_fail;
	if (c->q)
		watch_client(c, q);
	return;
out_fail:
	call_cancel(c);
	if (c->q)
		answer_conflict(c, why);
	call_end(c);
}

/* --- the forwarder ------------------------------------------------------ */

struct sv_rest_fwd *sv_rest_fwd_new(struct event_base *base, int timeout_ms,
                                    SSL_CTX *tls)
{
	struct sv_rest_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->base = base;
	f->tls = tls;
	f->timeout.tv_sec = timeout_ms / 1000;
	f->timeout.tv_usec = (timeout_ms % 1000) * 1000;
	TAILQ_INIT(&f->calls);
	/* asynchronous name lookups: getaddrinfo would block the loop */
	f->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                                  EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!f->dns) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	evdns_base_load_hosts(f->dns, NULL);
	return f;
}

size_t sv_rest_fwd_pending(const struct sv_rest_fwd *f)
{
	size_t n = 0;
	const struct call *c;

	TAILQ_FOREACH (c, &f->calls, link) {
		n += c->q != NULL;
	}
	return n;
}

void sv_rest_fwd_cancel_all(struct sv_rest_fwd *f)
{
	struct call *c;

	if (!f)
		return;
	TAILQ_FOREACH (c, &f->calls, link) {
		struct sv_rest_req *q = c->q;

		call_cancel(c);
		if (!q)
			continue;
		c->q = NULL;
		q->close = true;
		sv_rest_error(q, 503,
		              "sluiced is shutting down: the request forwarded "
		              "to the leader %s may or may not have been done",
		              c->target);
		call_end(c);
	}
}

void sv_rest_fwd_free(struct sv_rest_fwd *f)
{
	if (!f)
		return;
	sv_rest_fwd_cancel_all(f);
	while (!TAILQ_EMPTY(&f->calls))
		call_free(TAILQ_FIRST(&f->calls));
	if (f->dns)
		evdns_base_free(f->dns, 1);
	free(f);
}
