/*
 * test_sv_rest_fwd.c: forwarding a REST request to the leader, for real,
 * on loopback: a "leader" evhttp server records what it receives; a
 * "follower" evhttp server hands each request to sv_rest_fwd_start; an
 * evhttp client talks to the follower. Checked: method, path, query,
 * body and headers relayed, X-Sluice-Forwarded sent, the answer relayed
 * unchanged (status, body, Content-Type, Location), 409 on a refused
 * connection, on a leader that never answers and for an https leader
 * without TLS, the forward cancelled when the client goes away, 503 when
 * the forwarder is freed with a forward in flight; an https leader whose
 * certificate (made here, for 127.0.0.1) is trusted gets the request, one
 * whose certificate is not gets none (409). No leak under ASan.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "../../supervisor/sv_log.h"
#include "../../supervisor/sv_rest_fwd.h"
#include "testhelp.h"

#define SELF_ID "10.0.0.7:8083"

enum leader_mode { ANSWER, NEVER };

struct seen {
	int n;
	enum evhttp_cmd_type cmd;
	char uri[512];
	char body[512];
	char ctype[128], accept[128], auth[128], fwd[128], host[128];
	struct evhttp_request *held; /* NEVER: the request left unanswered */
};

struct env {
	struct event_base *base;
	struct evhttp *leader, *front;
	int leader_port, front_port;
	enum leader_mode mode;
	struct seen seen;
	struct sv_rest_fwd *fwd;
	char leader_url[128];
	/* the client's view */
	bool done;
	int code;
	char body[1024], ctype[128], location[256];
	struct evhttp_connection *client;
	bool break_on_leader;
	SSL_CTX *server_tls; /* the leader's, for the https cases */
};

static struct env E;

static void copy_header(struct evkeyvalq *h, const char *name, char *dst,
                        size_t len)
{
	const char *v = evhttp_find_header(h, name);

	snprintf(dst, len, "%s", v ? v : "");
}

static void on_leader(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req), *out;
	size_t n = evbuffer_get_length(in);

	(void)arg;
	E.seen.n++;
	E.seen.cmd = evhttp_request_get_command(req);
	snprintf(E.seen.uri, sizeof(E.seen.uri), "%s",
	         evhttp_request_get_uri(req));
	if (n >= sizeof(E.seen.body))
		n = sizeof(E.seen.body) - 1;
	evbuffer_copyout(in, E.seen.body, n);
	E.seen.body[n] = '\0';
	copy_header(h, "Content-Type", E.seen.ctype, sizeof(E.seen.ctype));
	copy_header(h, "Accept", E.seen.accept, sizeof(E.seen.accept));
	copy_header(h, "Authorization", E.seen.auth, sizeof(E.seen.auth));
	copy_header(h, SV_REST_FWD_HEADER, E.seen.fwd, sizeof(E.seen.fwd));
	copy_header(h, "Host", E.seen.host, sizeof(E.seen.host));
	if (E.break_on_leader)
		event_base_loopbreak(E.base);
	if (E.mode == NEVER) {
		E.seen.held = req;
		return;
	}
	out = evbuffer_new();
	evbuffer_add_printf(out, "{\"name\":\"x\",\"config\":{}}");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	                  "Content-Type", "application/json; charset=utf-8");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	                  "http://leader:8083/connectors/x");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Other",
	                  "not relayed");
	evhttp_send_reply(req, 201, "Created", out);
	evbuffer_free(out);
}

/* The follower: what sv_rest does for a write that needs the leader. */
static void on_front(struct evhttp_request *ev, void *arg)
{
	struct sv_rest_req *q = calloc(1, sizeof(*q));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);

	(void)arg;
	q->ev = ev;
	q->method = SV_REST_PUT;
	q->method_name = "PUT";
	q->via = SV_REST_VIA_HTTP;
	q->path = strdup(evhttp_uri_get_path(uri));
	q->query = json_array();
	snprintf(q->peer, sizeof(q->peer), "test");
	sv_rest_fwd_start(E.fwd, q, E.leader_url, SELF_ID);
}

static void on_client(struct evhttp_request *req, void *arg)
{
	(void)arg;
	E.done = true;
	E.code = req ? evhttp_request_get_response_code(req) : -1;
	if (req) {
		struct evbuffer *b = evhttp_request_get_input_buffer(req);
		struct evkeyvalq *h = evhttp_request_get_input_headers(req);
		size_t n = evbuffer_get_length(b);

		if (n >= sizeof(E.body))
			n = sizeof(E.body) - 1;
		evbuffer_copyout(b, E.body, n);
		E.body[n] = '\0';
		copy_header(h, "Content-Type", E.ctype, sizeof(E.ctype));
		copy_header(h, "Location", E.location, sizeof(E.location));
	}
	event_base_loopbreak(E.base);
}

static int bind_server(struct evhttp *http)
{
	struct evhttp_bound_socket *s =
	    evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (!s || getsockname(evhttp_bound_socket_get_fd(s),
	                      (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

static struct bufferevent *leader_bev(struct event_base *base, void *arg)
{
	(void)arg;
	return bufferevent_openssl_socket_new(base, -1, SSL_new(E.server_tls),
	                                      BUFFEREVENT_SSL_ACCEPTING,
	                                      BEV_OPT_CLOSE_ON_FREE);
}

static void setup_tls(enum leader_mode mode, int timeout_ms, SSL_CTX *server,
                      SSL_CTX *client)
{
	memset(&E, 0, sizeof(E));
	E.base = event_base_new();
	E.leader = evhttp_new(E.base);
	E.front = evhttp_new(E.base);
	evhttp_set_allowed_methods(E.leader, EVHTTP_REQ_PUT | EVHTTP_REQ_POST);
	evhttp_set_allowed_methods(E.front, EVHTTP_REQ_PUT | EVHTTP_REQ_POST);
	evhttp_set_gencb(E.leader, on_leader, NULL);
	evhttp_set_gencb(E.front, on_front, NULL);
	E.leader_port = bind_server(E.leader);
	E.front_port = bind_server(E.front);
	E.mode = mode;
	E.server_tls = server;
	if (server)
		evhttp_set_bevcb(E.leader, leader_bev, NULL);
	snprintf(E.leader_url, sizeof(E.leader_url), "%s://127.0.0.1:%d",
	         server ? "https" : "http", E.leader_port);
	E.fwd = sv_rest_fwd_new(E.base, timeout_ms, client);
	CHECK(E.base && E.leader_port > 0 && E.front_port > 0 && E.fwd);
}

static void setup(enum leader_mode mode, int timeout_ms)
{
	setup_tls(mode, timeout_ms, NULL, NULL);
}

static void teardown(void)
{
	sv_rest_fwd_free(E.fwd);
	if (E.client)
		evhttp_connection_free(E.client);
	evhttp_free(E.front);
	evhttp_free(E.leader);
	event_base_free(E.base);
}

/* Sends PUT /connectors/x/config?... to the follower. */
static void send_put(void)
{
	struct evhttp_request *req = evhttp_request_new(on_client, NULL);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	E.client = evhttp_connection_base_new(E.base, NULL, "127.0.0.1",
	                                      (ev_uint16_t)E.front_port);
	evhttp_add_header(h, "Host", "follower");
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Accept", "application/json");
	evhttp_add_header(h, "Authorization", "Basic YWxpY2U6c2VjcmV0");
	evhttp_add_header(h, "X-Other", "not forwarded");
	evbuffer_add_printf(evhttp_request_get_output_buffer(req),
	                    "{\"connector.class\":\"FileStreamSource\"}");
	evhttp_make_request(E.client, req, EVHTTP_REQ_PUT,
	                    "/connectors/my%20conn/config?a=1&b=x%2By");
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
	event_base_loopbreak(E.base);
}

/* Runs the loop until it is broken or seconds pass; false on the
 * deadline. */
static bool run(double seconds)
{
	bool late = false;
	struct timeval tv = {(time_t)seconds,
	                     (suseconds_t)((seconds - (time_t)seconds) * 1e6)};
	struct event *t = evtimer_new(E.base, on_deadline, &late);

	evtimer_add(t, &tv);
	event_base_dispatch(E.base);
	event_free(t);
	return !late;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_relayed(void)
{
	setup(ANSWER, 5000);
	send_put();
	CHECK(run(5));
	CHECK(E.done);
	CHECK_EQ_INT(E.seen.n, 1);
	CHECK_EQ_INT(E.seen.cmd, EVHTTP_REQ_PUT);
	CHECK_EQ_STR(E.seen.uri, "/connectors/my%20conn/config?a=1&b=x%2By");
	CHECK_EQ_STR(E.seen.body, "{\"connector.class\":\"FileStreamSource\"}");
	CHECK_EQ_STR(E.seen.ctype, "application/json");
	CHECK_EQ_STR(E.seen.accept, "application/json");
	CHECK_EQ_STR(E.seen.auth, "Basic YWxpY2U6c2VjcmV0");
	CHECK_EQ_STR(E.seen.fwd, SELF_ID);
	{
		char host[64];

		snprintf(host, sizeof(host), "127.0.0.1:%d", E.leader_port);
		CHECK_EQ_STR(E.seen.host, host);
	}
	CHECK_EQ_INT(E.code, 201);
	CHECK_EQ_STR(E.body, "{\"name\":\"x\",\"config\":{}}");
	CHECK_EQ_STR(E.ctype, "application/json; charset=utf-8");
	CHECK_EQ_STR(E.location, "http://leader:8083/connectors/x");
	CHECK_EQ_INT(sv_rest_fwd_pending(E.fwd), 0);
	teardown();
}

static void check_conflict(void)
{
	json_t *j = json_loads(E.body, 0, NULL);

	CHECK_EQ_INT(E.code, 409);
	CHECK_EQ_INT(json_integer_value(json_object_get(j, "error_code")), 409);
	CHECK_EQ_STR(json_string_value(json_object_get(j, "message")),
	             "Cannot complete request because of a conflicting "
	             "operation (e.g. worker rebalance)");
	json_decref(j);
}

static void test_refused(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);

	setup(ANSWER, 5000);
	/* a port nobody listens on: bound, then closed */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	CHECK(getsockname(fd, (struct sockaddr *)&sin, &len) == 0);
	close(fd);
	snprintf(E.leader_url, sizeof(E.leader_url), "http://127.0.0.1:%d",
	         ntohs(sin.sin_port));
	send_put();
	CHECK(run(5));
	check_conflict();
	CHECK_EQ_INT(E.seen.n, 0);
	teardown();
}

static void test_timeout(void)
{
	double t0;

	setup(NEVER, 200);
	t0 = now();
	send_put();
	CHECK(run(5));
	CHECK(now() - t0 < 4);
	CHECK_EQ_INT(E.seen.n, 1);
	check_conflict();
	teardown();
}

static void test_bad_urls(void)
{
	setup(ANSWER, 5000);
	snprintf(E.leader_url, sizeof(E.leader_url), "https://127.0.0.1:%d",
	         E.leader_port);
	send_put();
	CHECK(run(5));
	check_conflict();
	evhttp_connection_free(E.client);
	E.client = NULL;
	E.done = false;
	snprintf(E.leader_url, sizeof(E.leader_url), "ftp://nowhere");
	send_put();
	CHECK(run(5));
	check_conflict();
	CHECK_EQ_INT(E.seen.n, 0);
	teardown();
}

/* The client goes away while the leader has not answered: the forward
 * is cancelled at once, not at its timeout. */
static void test_client_gone(void)
{
	double t0;

	setup(NEVER, 10000);
	E.break_on_leader = true;
	send_put();
	CHECK(run(5));
	CHECK_EQ_INT(E.seen.n, 1);
	CHECK_EQ_INT(sv_rest_fwd_pending(E.fwd), 1);
	evhttp_connection_free(E.client);
	E.client = NULL;
	t0 = now();
	while (sv_rest_fwd_pending(E.fwd) > 0 && now() - t0 < 5)
		run(0.05);
	CHECK_EQ_INT(sv_rest_fwd_pending(E.fwd), 0);
	CHECK(now() - t0 < 4);
	CHECK(!E.done);
	teardown();
}

/* Shutting down with a forward in flight: its client gets 503. */
static void test_shutdown(void)
{
	setup(NEVER, 10000);
	E.break_on_leader = true;
	send_put();
	CHECK(run(5));
	CHECK_EQ_INT(sv_rest_fwd_pending(E.fwd), 1);
	sv_rest_fwd_free(E.fwd);
	E.fwd = NULL;
	CHECK(run(5));
	CHECK(E.done);
	CHECK_EQ_INT(E.code, 503);
	teardown();
}

/* A self-signed certificate for IP 127.0.0.1, and its key. */
static void make_cert(X509 **certp, EVP_PKEY **keyp)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	                           (const unsigned char *)"leader", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	                          "IP:127.0.0.1");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	                          "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, key, EVP_sha256());
	*certp = x;
	*keyp = key;
}

static SSL_CTX *server_ctx(X509 *cert, EVP_PKEY *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	CHECK(SSL_CTX_use_certificate(ctx, cert) == 1);
	CHECK(SSL_CTX_use_PrivateKey(ctx, key) == 1);
	return ctx;
}

/* A client context that trusts ca only (what sv_rest_tls_client_new
 * makes of listeners.https.ssl.ca.location). */
static SSL_CTX *client_ctx(X509 *ca)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	CHECK(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) == 1);
	return ctx;
}

static void test_https(void)
{
	X509 *cert, *other;
	EVP_PKEY *key, *okey;
	SSL_CTX *server, *trusting, *distrusting;

	make_cert(&cert, &key);
	make_cert(&other, &okey);
	server = server_ctx(cert, key);
	trusting = client_ctx(cert);
	distrusting = client_ctx(other);

	setup_tls(ANSWER, 5000, server, trusting);
	send_put();
	CHECK(run(5));
	CHECK_EQ_INT(E.seen.n, 1);
	CHECK_EQ_STR(E.seen.fwd, SELF_ID);
	CHECK_EQ_INT(E.code, 201);
	CHECK_EQ_STR(E.location, "http://leader:8083/connectors/x");
	teardown();

	/* a certificate the worker's CA did not sign: nothing is sent */
	setup_tls(ANSWER, 5000, server, distrusting);
	send_put();
	CHECK(run(5));
	CHECK_EQ_INT(E.seen.n, 0);
	check_conflict();
	teardown();

	SSL_CTX_free(server);
	SSL_CTX_free(trusting);
	SSL_CTX_free(distrusting);
	X509_free(cert);
	X509_free(other);
	EVP_PKEY_free(key);
	EVP_PKEY_free(okey);
}

TEST_LIST = {
    {"relayed", test_relayed},
    {"refused", test_refused},
    {"timeout", test_timeout},
    {"bad_urls", test_bad_urls},
    {"client_gone", test_client_gone},
    {"shutdown", test_shutdown},
    {"https", test_https},
    {NULL, NULL},
};
