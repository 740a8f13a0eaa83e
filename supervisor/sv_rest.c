/* sv_rest.c: see sv_rest.h. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "sv_log.h"
#include "sv_rest.h"
#include "sv_rest_api.h"
#include "sv_rest_auth.h"
#include "sv_rest_fwd.h"
#include "sv_rest_guard.h"
#include "sv_rest_tls.h"

#define HEADERS_MAX  65536
#define IDLE_TIMEOUT 60 /* seconds a keep-alive connection may idle */

/* One evhttp instance: TLS is set per instance (PLATFORM-NOTES), so
 * plain TCP, TLS and the admin socket each have their own. */
struct front {
	struct sv_rest *r;
	enum sv_rest_via via;
	struct evhttp *http;
};

struct bound {
	struct evhttp *http;
	struct evhttp_bound_socket *sock;
};

struct sv_rest {
	struct sv_ctx *ctx;
	struct sv_rest_api *api;
	struct front fronts[3];
	struct bound *bound;
	size_t nbound;
	SSL_CTX *tls;
	SSL_CTX *tls_client; /* for forwards to an https leader */
	struct sv_rest_fwd *fwd;
	char *url;      /* sv_rest_url */
	bool tcp_seen;  /* the first TCP listener was handled */
	bool tcp_https; /* its scheme */
	struct sv_rest_auth *auth;
	size_t max_body;
	char token[33]; /* the body guard's marker secret */
	char *admin_path;
	dev_t admin_dev;
	ino_t admin_ino;
	bool ready;
	bool closing;
};

static const struct sv_rest_cluster_ops *cluster_ops;

void sv_rest_set_cluster_ops(const struct sv_rest_cluster_ops *ops)
{
	cluster_ops = ops;
}

const struct sv_rest_cluster_ops *sv_rest_get_cluster_ops(void)
{
	return cluster_ops;
}

/* --- connections -------------------------------------------------------- */

static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct front *f = arg;
	struct bufferevent *bev = NULL;
	SSL *ssl;

	if (f->via == SV_REST_VIA_HTTPS) {
		if (!(ssl = SSL_new(f->r->tls)))
			return NULL;
		bev = bufferevent_openssl_socket_new(base, -1, ssl,
		                                     BUFFEREVENT_SSL_ACCEPTING,
		                                     BEV_OPT_CLOSE_ON_FREE);
		if (!bev) {
			SSL_free(ssl);
			return NULL;
		}
		/* clients that close without close_notify are common */
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	} else if (!(bev = bufferevent_socket_new(base, -1,
	                                          BEV_OPT_CLOSE_ON_FREE))) {
		return NULL;
	}
	if (sv_rest_guard_attach(bev)) {
		bufferevent_free(bev);
		return NULL;
	}
	return bev;
}

/* The peer of an admin socket connection, from SO_PEERCRED. */
static void admin_peer(struct sv_rest_req *q)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(q->ev);
	struct bufferevent *bev =
	    evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (fd == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		snprintf(q->peer, sizeof(q->peer), "uid ? pid ?");
		return;
	}
	snprintf(q->peer, sizeof(q->peer), "uid %u pid %d", (unsigned)uc.uid,
	         (int)uc.pid);
}

static void tcp_peer(struct sv_rest_req *q, const char *user)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(q->ev);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(q->peer, sizeof(q->peer), "%s%s%s%s:%u", user ? "user " : "",
	         user ? user : "", user ? " from " : "", addr ? addr : "?",
	         (unsigned)port);
}

/* --- requests ------------------------------------------------------------ */

static void req_free(struct sv_rest_req *q)
{
	for (size_t i = 0; i < q->nseg; i++)
		free(q->seg[i]);
	free(q->seg);
	free(q->path);
	json_decref(q->query);
	free(q);
}

static bool write_method(enum sv_rest_method m)
{
	return m == SV_REST_POST || m == SV_REST_PUT || m == SV_REST_DELETE ||
	       m == SV_REST_PATCH;
}

/* The answer's log line. */
static void log_reply(struct sv_rest_req *q, int code)
{
	if (write_method(q->method) && q->via == SV_REST_VIA_ADMIN)
		sv_info("SV-REST-ADMIN", "%s %s -> %d (%s)", q->method_name,
		        q->path, code, q->peer);
	else if (write_method(q->method))
		sv_info("SV-REST-WRITE", "%s %s -> %d (%s)", q->method_name,
		        q->path, code, q->peer);
	else
		sv_debug("SV-REST-REQUEST", "%s %s -> %d (%s)", q->method_name,
		         q->path, code, q->peer);
}

void sv_rest_reply(struct sv_rest_req *q, int code, json_t *body)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(q->ev);
	struct evbuffer *buf = NULL;
	char *text = NULL;

	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		evhttp_add_header(out, "Content-Type", "application/json");
		if (text && q->method != SV_REST_HEAD && (buf = evbuffer_new()))
			evbuffer_add(buf, text, strlen(text));
	}
	if (q->close)
		evhttp_add_header(out, "Connection", "close");
	log_reply(q, code);
	evhttp_send_reply(q->ev, code, NULL, buf);
	if (buf)
		evbuffer_free(buf);
	free(text);
	json_decref(body);
	req_free(q);
}

void sv_rest_reply_raw(struct sv_rest_req *q, int code,
                       const char *content_type, struct evbuffer *body)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(q->ev);

	if (content_type)
		evhttp_add_header(out, "Content-Type", content_type);
	if (q->close)
		evhttp_add_header(out, "Connection", "close");
	log_reply(q, code);
	if (body && q->method == SV_REST_HEAD)
		evbuffer_drain(body, evbuffer_get_length(body));
	evhttp_send_reply(q->ev, code, NULL,
	                  body && evbuffer_get_length(body) ? body : NULL);
	req_free(q);
}

void sv_rest_forward(struct sv_rest_req *q, const char *leader_url)
{
	struct sv_rest *r = q->rest;

	if (r->closing || !r->fwd) {
		q->close = true;
		sv_rest_error(q, 503, "sluiced is shutting down");
		return;
	}
	sv_rest_fwd_start(r->fwd, q, leader_url, r->ctx->w->worker_id);
}

void sv_rest_error(struct sv_rest_req *q, int code, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sv_rest_reply(
	    q, code,
	    json_pack("{s:i,s:s}", "error_code", code, "message", msg));
}

const char *sv_rest_query(struct sv_rest_req *q, const char *name)
{
	json_t *pair;
	size_t i;

	json_array_foreach(q->query, i, pair)
	{
		if (strcmp(json_string_value(json_array_get(pair, 0)), name) ==
		    0)
			return json_string_value(json_array_get(pair, 1));
	}
	return NULL;
}

const char *sv_rest_host(struct sv_rest_req *q)
{
	return evhttp_find_header(evhttp_request_get_input_headers(q->ev),
	                          "Host");
}

void sv_rest_header(struct sv_rest_req *q, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(q->ev), name,
	                  value);
}

/* The media type of a header value (before any parameter), trimmed,
 * compared case-insensitively. */
static bool media_is(const char *v, size_t n, const char *type)
{
	while (n && (*v == ' ' || *v == '\t'))
		v++, n--;
	for (const char *semi = memchr(v, ';', n); semi; semi = NULL)
		n = (size_t)(semi - v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	return strlen(type) == n && strncasecmp(v, type, n) == 0;
}

static bool json_media(const char *v, size_t n)
{
	return media_is(v, n, "application/json") ||
	       media_is(v, n, "application/*") || media_is(v, n, "*/*") ||
	       media_is(v, n, "*");
}

bool sv_rest_accepts_json(struct sv_rest_req *q)
{
	const char *a = evhttp_find_header(
	    evhttp_request_get_input_headers(q->ev), "Accept");

	if (!a)
		return true;
	for (;;) {
		const char *comma = strchr(a, ',');
		size_t n = comma ? (size_t)(comma - a) : strlen(a);

		if (json_media(a, n))
			return true;
		if (!comma)
			return false;
		a = comma + 1;
	}
}

int sv_rest_body(struct sv_rest_req *q, json_t **out)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(q->ev);
	const char *ct = evhttp_find_header(
	    evhttp_request_get_input_headers(q->ev), "Content-Type");
	size_t len = evbuffer_get_length(in);
	const char *data;
	json_error_t e;

	*out = NULL;
	if (ct && !media_is(ct, strlen(ct), "application/json")) {
		sv_rest_error(q, 415, "HTTP 415 Unsupported Media Type");
		return -1;
	}
	if (len == 0)
		return 0;
	data = (const char *)evbuffer_pullup(in, -1);
	*out = data ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &e) : NULL;
	if (!*out) {
		sv_rest_error(q, 400,
		              "Invalid JSON in the request body: %s (line %d, "
		              "column %d)",
		              data ? e.text : "out of memory",
		              data ? e.line : 0, data ? e.column : 0);
		return -1;
	}
	return 0;
}

/* Splits the path into decoded segments. -1 if it is not valid. */
static int parse_path(struct sv_rest_req *q, const char *path)
{
	const char *p = path, *slash;
	size_t cap = 8;

	if (!(q->path = strdup(path)) ||
	    !(q->seg = calloc(cap, sizeof(char *))))
		return -1;
	if (*p == '/')
		p++;
	while (*p) {
		size_t n, dlen;
		char *raw, *dec;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (!slash && n == 0)
			break; /* a trailing slash, as Jersey allows */
		if (q->nseg == cap) {
			char **v = realloc(q->seg, 2 * cap * sizeof(*v));

			if (!v)
				return -1;
			q->seg = v;
			cap *= 2;
		}
		if (!(raw = strndup(p, n)))
			return -1;
		dec = evhttp_uridecode(raw, 0, &dlen);
		free(raw);
		if (!dec)
			return -1;
		q->seg[q->nseg++] = dec;
		if (strlen(dec) != dlen)
			return -1; /* %00 */
		if (!slash)
			break;
		p = slash + 1;
	}
	return 0;
}

/* name=value&... with + as space (what JAX-RS decodes). Keys without a
 * value are kept with "". */
static int parse_query(struct sv_rest_req *q, const char *query)
{
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (!(q->query = json_array()))
		return -1;
	if (!query || !*query)
		return 0;
	if (!(copy = strdup(query)))
		return -1;
	for (tok = strtok_r(copy, "&", &save); tok && rc == 0;
	     tok = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(tok, '='), *k, *v;

		if (eq)
			*eq = '\0';
		k = evhttp_uridecode(tok, 1, NULL);
		v = evhttp_uridecode(eq ? eq + 1 : "", 1, NULL);
		if (!k || !v ||
		    json_array_append_new(q->query, json_pack("[ss]", k, v)))
			rc = -1;
		free(k);
		free(v);
	}
	free(copy);
	return rc;
}

static const struct {
	enum evhttp_cmd_type cmd;
	enum sv_rest_method method;
	const char *name;
} methods[] = {
    {EVHTTP_REQ_GET, SV_REST_GET, "GET"},
    {EVHTTP_REQ_HEAD, SV_REST_HEAD, "HEAD"},
    {EVHTTP_REQ_POST, SV_REST_POST, "POST"},
    {EVHTTP_REQ_PUT, SV_REST_PUT, "PUT"},
    {EVHTTP_REQ_DELETE, SV_REST_DELETE, "DELETE"},
    {EVHTTP_REQ_PATCH, SV_REST_PATCH, "PATCH"},
    {EVHTTP_REQ_OPTIONS, SV_REST_OPTIONS, "OPTIONS"},
    {EVHTTP_REQ_TRACE, SV_REST_OTHER, "TRACE"},
    {EVHTTP_REQ_CONNECT, SV_REST_OTHER, "CONNECT"},
};

/* The length the body guard announced, or -1 (a genuine marker only). */
static long long oversized(struct sv_rest *r, struct evhttp_request *ev)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(ev);
	const char *v = evhttp_find_header(in, SV_REST_GUARD_HEADER);
	size_t n = strlen(r->token);
	long long len = -1;

	if (!v)
		return -1;
	if (strncmp(v, r->token, n) == 0 && v[n] == ' ')
		len = strtoll(v + n + 1, NULL, 10);
	evhttp_remove_header(in, SV_REST_GUARD_HEADER);
	return len;
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct front *f = arg;
	struct sv_rest *r = f->r;
	struct sv_rest_req *q = calloc(1, sizeof(*q));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	long long too_big = oversized(r, ev);
	char user[128];

	if (!q) {
		evhttp_send_error(ev, 500, NULL);
		return;
	}
	q->rest = r;
	q->ev = ev;
	q->via = f->via;
	q->method = SV_REST_OTHER;
	q->method_name = "?";
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].cmd == evhttp_request_get_command(ev)) {
			q->method = methods[i].method;
			q->method_name = methods[i].name;
		}
	if (parse_path(q, path && *path ? path : "/") ||
	    parse_query(q, uri ? evhttp_uri_get_query(uri) : NULL)) {
		if (!q->path)
			q->path = strdup("?");
		if (!q->query)
			q->query = json_array();
		snprintf(q->peer, sizeof(q->peer), "?");
		sv_rest_error(q, 400, "Invalid request path: %s",
		              path ? path : "(none)");
		return;
	}
	if (f->via == SV_REST_VIA_ADMIN)
		admin_peer(q);
	else
		tcp_peer(q, NULL);
	if (r->closing) {
		q->close = true;
		sv_rest_error(q, 503, "sluiced is shutting down");
		return;
	}
	if (f->via != SV_REST_VIA_ADMIN && r->auth) {
		const char *auth = evhttp_find_header(
		    evhttp_request_get_input_headers(ev), "Authorization");

		if (sv_rest_auth_check(r->auth, auth, user, sizeof(user))) {
			sv_warn("SV-REST-AUTH-FAILED", "%s %s from %s: %s",
			        q->method_name, q->path, q->peer,
			        auth ? "invalid credentials"
			             : "no credentials");
			sv_rest_header(
			    q, "WWW-Authenticate",
			    "Basic realm=\"sluice\", charset=\"UTF-8\"");
			sv_rest_error(q, 401,
			              "Unauthorized: this request needs valid "
			              "HTTP Basic credentials");
			return;
		}
		tcp_peer(q, user);
	}
	if (too_big >= 0) {
		sv_rest_error(q, 413,
		              "The request body (%lld bytes) is larger than "
		              "the limit of %zu bytes (rest.request.max.bytes)",
		              too_big, r->max_body);
		return;
	}
	q->starting = !r->ready;
	sv_rest_api_handle(r->api, q);
}

/* --- listeners ---------------------------------------------------------- */

static struct front *front_get(struct sv_rest *r, enum sv_rest_via via)
{
	struct front *f = &r->fronts[via];

	if (f->http)
		return f;
	f->r = r;
	f->via = via;
	if (!(f->http = evhttp_new(r->ctx->base)))
		return NULL;
	evhttp_set_allowed_methods(
	    f->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                 EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                 EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                 EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/* the guard has a JSON 413 answered over the limit; this is the
	 * backstop for bodies it does not follow (chunked) */
	evhttp_set_max_body_size(f->http, (ev_ssize_t)r->max_body);
	evhttp_set_max_headers_size(f->http, HEADERS_MAX);
	evhttp_set_timeout(f->http, IDLE_TIMEOUT);
	evhttp_set_gencb(f->http, on_request, f);
	evhttp_set_bevcb(f->http, make_bev, f);
	return f;
}

static int remember(struct sv_rest *r, struct evhttp *http,
                    struct evhttp_bound_socket *sock)
{
	struct bound *v = realloc(r->bound, (r->nbound + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	r->bound = v;
	r->bound[r->nbound++] = (struct bound){http, sock};
	return 0;
}

/* "host:port" of a bound TCP socket. */
static void bound_name(evutil_socket_t fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			port = ntohs(s6->sin6_port);
			snprintf(buf, len, "[%s]:%u", host, port);
			return;
		}
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
		          sizeof(host));
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	snprintf(buf, len, "%s:%u", host, port);
}

/* Parses scheme://host:port; host may be empty (every interface) or
 * [IPv6]. */
static int parse_listener(const char *spec, bool *https, char *host,
                          size_t hostlen, unsigned *port)
{
	const char *p, *colon;
	char *end;
	long n;

	if (strncasecmp(spec, "http://", 7) == 0) {
		*https = false;
		p = spec + 7;
	} else if (strncasecmp(spec, "https://", 8) == 0) {
		*https = true;
		p = spec + 8;
	} else {
		return -EINVAL;
	}
	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close || close[1] != ':' ||
		    (size_t)(close - p - 1) >= hostlen)
			return -EINVAL;
		snprintf(host, hostlen, "%.*s", (int)(close - p - 1), p + 1);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon || (size_t)(colon - p) >= hostlen ||
		    memchr(p, '/', (size_t)(colon - p)))
			return -EINVAL;
		snprintf(host, hostlen, "%.*s", (int)(colon - p), p);
		if (!*host)
			snprintf(host, hostlen, "0.0.0.0");
	}
	errno = 0;
	n = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || n < 0 || n > 65535)
		return -EINVAL;
	*port = (unsigned)n;
	return 0;
}

/*
 * The first listener took a free port (port 0): the worker id, which
 * said port 0, gets the real one, unless rest.advertised.port says
 * otherwise.
 */
static int set_bound_port(struct sv_rest *r, evutil_socket_t fd)
{
	struct sv_worker *w = r->ctx->w;
	const char *adv = sv_worker_get(w, "rest.advertised.port");
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *colon;
	char *id;
	unsigned port;

	if ((adv && *adv) || !w->worker_id ||
	    !(colon = strrchr(w->worker_id, ':')) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return 0;
	port = ss.ss_family == AF_INET6
	           ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	           : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (asprintf(&id, "%.*s:%u", (int)(colon - w->worker_id), w->worker_id,
	             port) < 0)
		return -ENOMEM;
	free(w->worker_id);
	w->worker_id = id;
	return 0;
}

static int add_listener(struct sv_rest *r, const char *spec, bool configured,
                        char *err, size_t errlen)
{
	struct sv_worker *w = r->ctx->w;
	struct evhttp_bound_socket *sock;
	struct front *f;
	char host[256], name[300];
	unsigned port;
	bool https;

	if (parse_listener(spec, &https, host, sizeof(host), &port)) {
		snprintf(err, errlen,
		         "%s: invalid listener \"%s\" in listeners: use "
		         "http://host:port or https://host:port",
		         w->path, spec);
		return -EINVAL;
	}
	if (https && !r->tls && !(r->tls = sv_rest_tls_new(w, err, errlen)))
		return -EINVAL;
	if (!r->tcp_seen)
		r->tcp_https = https;
	if (!(f = front_get(r, https ? SV_REST_VIA_HTTPS : SV_REST_VIA_HTTP))) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sock = evhttp_bind_socket_with_handle(f->http, host, (ev_uint16_t)port);
	if (!sock) {
		if (!configured) {
			sv_warn(
			    "SV-REST-LISTEN",
			    "cannot listen on the default %s (%s); the REST "
			    "API is on the admin socket only (set listeners "
			    "to choose another address)",
			    spec, strerror(errno));
			return 0;
		}
		snprintf(err, errlen, "%s: cannot listen on %s: %s", w->path,
		         spec, strerror(errno));
		return -EADDRINUSE;
	}
	if (remember(r, f->http, sock)) {
		evhttp_del_accept_socket(f->http, sock);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	bound_name(evhttp_bound_socket_get_fd(sock), name, sizeof(name));
	if (!r->tcp_seen && port == 0 &&
	    set_bound_port(r, evhttp_bound_socket_get_fd(sock)))
		return -ENOMEM;
	r->tcp_seen = true;
	sv_info("SV-REST-LISTEN", "REST API on %s://%s%s",
	        https ? "https" : "http", name,
	        r->auth ? " (HTTP Basic authentication)" : "");
	return 0;
}

static int add_listeners(struct sv_rest *r, char *err, size_t errlen)
{
	const char *spec = sv_worker_get(r->ctx->w, "listeners");
	bool configured = spec && *spec;
	char *copy, *tok, *save = NULL;
	int rc = 0;

	if (!(copy = strdup(configured ? spec : SV_REST_DEFAULT_LISTENER)))
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		for (char *e = tok + strlen(tok);
		     e > tok && (e[-1] == ' ' || e[-1] == '\t');)
			*--e = '\0';
		if (*tok)
			rc = add_listener(r, tok, configured, err, errlen);
	}
	free(copy);
	return rc;
}

/* The admin socket's directory must keep every other user out. */
static int check_admin_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "admin.socket: directory %s: %s", dir,
		         strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0077)) {
		snprintf(err, errlen,
		         "admin.socket: directory %s must belong to uid %u and "
		         "be closed to other users (mode 0700; it is %04o, "
		         "owner %u): the socket gives full control of sluiced",
		         dir, (unsigned)geteuid(),
		         (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
		return -EPERM;
	}
	return 0;
}

/* A socket file left by a sluiced that died: removed, unless someone
 * still answers on it. */
static int clear_stale(const struct sockaddr_un *sun, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
		         "admin.socket: %s exists and is not a "
		         "socket",
		         sun->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd == -1 ? -1
	              : connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (fd != -1)
		close(fd);
	if (rc == 0) {
		snprintf(err, errlen,
		         "admin.socket: another process listens on %s (is "
		         "another sluiced running with this state directory?)",
		         sun->sun_path);
		return -EADDRINUSE;
	}
	unlink(sun->sun_path);
	return 0;
}

static int add_admin(struct sv_rest *r, char *err, size_t errlen)
{
	struct sv_worker *w = r->ctx->w;
	const char *cfgd = sv_worker_get(w, "admin.socket");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct evconnlistener *lev;
	struct evhttp_bound_socket *sock;
	struct front *f;
	struct stat st;
	mode_t old;
	int rc;

	if (cfgd && !*cfgd) {
		sv_info("SV-REST-ADMIN", "no admin socket (admin.socket is "
		                         "empty)");
		return 0;
	}
	if (cfgd)
		r->admin_path = strdup(cfgd);
	else if (asprintf(&r->admin_path, "%s/admin.sock", w->state_dir) < 0)
		r->admin_path = NULL;
	if (!r->admin_path)
		return -ENOMEM;
	if (strlen(r->admin_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen,
		         "admin.socket: %s is longer than %zu bytes (set "
		         "admin.socket to a shorter path)",
		         r->admin_path, sizeof(sun.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, r->admin_path, strlen(r->admin_path) + 1);
	if ((rc = check_admin_dir(r->admin_path, err, errlen)) ||
	    (rc = clear_stale(&sun, err, errlen)))
		return rc;
	if (!(f = front_get(r, SV_REST_VIA_ADMIN)))
		return -ENOMEM;
	/* owner only from the start, not after a chmod */
	old = umask(0177);
	lev = evconnlistener_new_bind(r->ctx->base, NULL, NULL,
	                              LEV_OPT_CLOSE_ON_FREE |
	                                  LEV_OPT_CLOSE_ON_EXEC,
	                              64, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (!lev) {
		snprintf(err, errlen, "admin.socket: cannot listen on %s: %s",
		         r->admin_path, strerror(errno));
		return -EIO;
	}
	if (chmod(r->admin_path, 0600) == -1 ||
	    stat(r->admin_path, &st) == -1) {
		snprintf(err, errlen, "admin.socket: %s: %s", r->admin_path,
		         strerror(errno));
		evconnlistener_free(lev);
		unlink(r->admin_path);
		return -EIO;
	}
	r->admin_dev = st.st_dev;
	r->admin_ino = st.st_ino;
	if (!(sock = evhttp_bind_listener(f->http, lev)) ||
	    remember(r, f->http, sock)) {
		if (sock)
			evhttp_del_accept_socket(f->http, sock);
		else
			evconnlistener_free(lev);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	sv_info("SV-REST-LISTEN", "admin API on unix:%s", r->admin_path);
	return 0;
}

/* Removes the admin socket if it is still ours. */
static void remove_admin(struct sv_rest *r)
{
	struct stat st;

	if (!r->admin_path)
		return;
	if (lstat(r->admin_path, &st) == 0 && st.st_dev == r->admin_dev &&
	    st.st_ino == r->admin_ino)
		unlink(r->admin_path);
	free(r->admin_path);
	r->admin_path = NULL;
}

static int read_limits(struct sv_rest *r, char *err, size_t errlen)
{
	struct sv_worker *w = r->ctx->w;
	const char *s = sv_worker_get(w, "rest.request.max.bytes");
	const char *auth = sv_worker_get(w, "rest.basic.auth.file");
	char *end;
	long long n;

	r->max_body = SV_REST_DEFAULT_MAX_BODY;
	if (s) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno || end == s || *end || n < 1024 ||
		    n > 256LL * 1024 * 1024) {
			snprintf(err, errlen,
			         "%s: invalid rest.request.max.bytes \"%s\": "
			         "expected an integer from 1024 to 268435456",
			         w->path, s);
			return -EINVAL;
		}
		r->max_body = (size_t)n;
	}
	if (auth && *auth && !(r->auth = sv_rest_auth_new(auth, err, errlen)))
		return -EINVAL;
	return 0;
}

/* The forwarder, for distributed mode: rest.forward.timeout.ms, and the
 * client TLS context for an https leader. */
static int make_forwarder(struct sv_rest *r, char *err, size_t errlen)
{
	struct sv_worker *w = r->ctx->w;
	const char *s = sv_worker_get(w, "rest.forward.timeout.ms");
	long long ms = SV_REST_FWD_DEFAULT_TIMEOUT_MS;
	char terr[512] = "";
	char *end;

	if (s) {
		errno = 0;
		ms = strtoll(s, &end, 10);
		if (errno || end == s || *end || ms < 1 || ms > 3600000) {
			snprintf(err, errlen,
			         "%s: invalid rest.forward.timeout.ms \"%s\": "
			         "expected an integer from 1 to 3600000",
			         w->path, s);
			return -EINVAL;
		}
	}
	/* only a leader behind https:// needs it: a worker that cannot
	 * build it still runs, and says why its forwards fail */
	if (!(r->tls_client = sv_rest_tls_client_new(w, terr, sizeof(terr))))
		sv_warn("SV-REST-FORWARD",
		        "requests cannot be forwarded to an https:// leader: "
		        "%s",
		        terr);
	if (!(r->fwd = sv_rest_fwd_new(r->ctx->base, (int)ms, r->tls_client))) {
		snprintf(err, errlen, "cannot set up request forwarding: %s",
		         strerror(errno));
		return -ENOMEM;
	}
	return 0;
}

/* scheme://worker_id, as it is now. */
static int make_url(struct sv_rest *r)
{
	free(r->url);
	if (asprintf(&r->url, "%s://%s", r->tcp_https ? "https" : "http",
	             r->ctx->w->worker_id ? r->ctx->w->worker_id : "") < 0) {
		r->url = NULL;
		return -ENOMEM;
	}
	return 0;
}

const char *sv_rest_url(struct sv_rest *r)
{
	return r->url;
}

struct sv_rest *sv_rest_new(struct sv_ctx *ctx, struct sv_herder *h, char *err,
                            size_t errlen)
{
	struct sv_rest *r = calloc(1, sizeof(*r));
	unsigned char rnd[16];

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->ctx = ctx;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto out_free;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(r->token + 2 * i, 3, "%02x", rnd[i]);
	r->max_body = SV_REST_DEFAULT_MAX_BODY;
	if (!(r->api = sv_rest_api_new(ctx, h))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (read_limits(r, err, errlen))
		goto out_free;
	sv_rest_guard_config(r->max_body, r->token);
	if (add_listeners(r, err, errlen) || add_admin(r, err, errlen) ||
	    make_forwarder(r, err, errlen) || make_url(r))
		goto out_free;
	if (r->nbound == 0)
		sv_warn(
		    "SV-REST-NONE",
		    "no REST listener and no admin socket: sluiced can only "
		    "be controlled by its files and signals");
	return r;
out_free:
	if (!*err)
		snprintf(err, errlen, "out of memory");
	sv_rest_free(r);
	return NULL;
}

void sv_rest_ready(struct sv_rest *r)
{
	sv_rest_api_ready(r->api);
	r->ready = true;
}

void sv_rest_close(struct sv_rest *r)
{
	if (!r)
		return;
	r->closing = true;
	sv_rest_fwd_cancel_all(r->fwd);
	for (size_t i = 0; i < r->nbound; i++)
		evhttp_del_accept_socket(r->bound[i].http, r->bound[i].sock);
	r->nbound = 0;
	remove_admin(r);
}

void sv_rest_free(struct sv_rest *r)
{
	if (!r)
		return;
	sv_rest_close(r);
	/* offsets jobs answer their requests: before the servers go */
	sv_rest_api_free(r->api);
	r->api = NULL;
	/* forwards answer their requests: before the servers go */
	sv_rest_fwd_free(r->fwd);
	r->fwd = NULL;
	for (size_t i = 0; i < 3; i++)
		if (r->fronts[i].http)
			evhttp_free(r->fronts[i].http);
	sv_rest_guard_fini();
	free(r->bound);
	if (r->tls)
		SSL_CTX_free(r->tls);
	if (r->tls_client)
		SSL_CTX_free(r->tls_client);
	free(r->url);
	sv_rest_auth_free(r->auth);
	free(r);
}
