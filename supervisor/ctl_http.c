/* ctl_http.c: see ctl_http.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ctl_http.h"

struct ctl_http {
	struct ctl_http_opts opts;
	CURL *curl;
	char *base;   /* URL prefix every path is appended to */
	char *target; /* for messages */
};

struct body_buf {
	char *data;
	size_t len;
	size_t cap;
	bool too_big;
};

int ctl_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

void ctl_http_global_fini(void)
{
	curl_global_cleanup();
}

/* Whether s is a base URL we accept: http(s)://, printable ASCII, no
 * query or fragment (paths are appended to it). */
static bool url_ok(const char *s)
{
	const char *rest;

	if (strncasecmp(s, "http://", 7) == 0)
		rest = s + 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		rest = s + 8;
	else
		return false;
	if (!*rest || *rest == '/')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#')
			return false;
	}
	return true;
}

struct ctl_http *ctl_http_new(const struct ctl_http_opts *opts, char *err,
                              size_t errlen)
{
	struct ctl_http *h;
	size_t n;
	CURLU *u = NULL;
	int rc = ENOMEM;

	err[0] = '\0';
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	h->opts = *opts;
	if (opts->socket_path) {
		/* sun_path holds the path and its NUL; a longer path would
		 * fail later with a misleading "bad URL" from libcurl */
		n = strlen(opts->socket_path);
		if (n == 0 ||
		    n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen,
			         "admin socket path is %s (%zu bytes; at most "
			         "%zu)",
			         n ? "too long" : "empty", n,
			         sizeof(((struct sockaddr_un *)0)->sun_path) -
			             1);
			rc = EINVAL;
			goto fail;
		}
		if (!(h->base = strdup("http://localhost")) ||
		    asprintf(&h->target, "unix socket %s", opts->socket_path) <
		        0) {
			h->target = NULL;
			goto fail;
		}
	} else {
		if (!opts->url || !url_ok(opts->url)) {
			snprintf(err, errlen,
			         "invalid --url: expected http://HOST:PORT or "
			         "https://HOST:PORT");
			rc = EINVAL;
			goto fail;
		}
		u = curl_url();
		if (!u)
			goto fail;
		if (curl_url_set(u, CURLUPART_URL, opts->url, 0) != CURLUE_OK) {
			snprintf(err, errlen, "invalid --url: cannot parse it");
			rc = EINVAL;
			goto fail;
		}
		if (!(h->base = strdup(opts->url)) ||
		    !(h->target = strdup(opts->url)))
			goto fail;
		/* paths start with '/' */
		n = strlen(h->base);
		while (n > 0 && h->base[n - 1] == '/')
			h->base[--n] = '\0';
	}
	h->curl = curl_easy_init();
	if (!h->curl)
		goto fail;
	curl_url_cleanup(u);
	return h;
fail:
	curl_url_cleanup(u);
	ctl_http_free(h);
	if (!err[0])
		snprintf(err, errlen, "%s", strerror(rc));
	errno = rc;
	return NULL;
}

void ctl_http_free(struct ctl_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h->target);
	free(h);
}

const char *ctl_http_target(const struct ctl_http *h)
{
	return h->target;
}

char *ctl_http_escape(struct ctl_http *h, const char *s)
{
	char *e = curl_easy_escape(h->curl, s, 0);
	char *copy;

	/* curl's memory goes back through curl_free; callers use free() */
	if (!e)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct body_buf *b = arg;
	size_t n = size * nmemb;

	if (n > CTL_HTTP_MAX_BODY - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	}
	return true;
}

/* The message of an error answer: Kafka Connect's {"error_code": N,
 * "message": "..."}, else the start of whatever the body is. */
static void error_message(const struct ctl_http_resp *resp, char *err,
                          size_t errlen)
{
	const char *msg = NULL;

	if (json_is_object(resp->json))
		msg = json_string_value(json_object_get(resp->json, "message"));
	if (msg && *msg) {
		snprintf(err, errlen, "%s", msg);
	} else if (resp->len > 0 && !blank(resp->body, resp->len)) {
		snprintf(err, errlen, "HTTP %ld: %.200s", resp->status,
		         resp->body);
	} else {
		snprintf(err, errlen, "HTTP %ld with no message", resp->status);
	}
}

/* The server was reached, but what came back was no HTTP answer. */
static bool bad_reply(CURLcode cc)
{
	return cc == CURLE_GOT_NOTHING || cc == CURLE_WEIRD_SERVER_REPLY ||
	       cc == CURLE_RECV_ERROR || cc == CURLE_PARTIAL_FILE ||
	       cc == CURLE_BAD_CONTENT_ENCODING;
}

static void transport_error(struct ctl_http *h, CURLcode cc,
                            const char *curl_err, char *err, size_t errlen)
{
	long os_errno = 0;

	curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
	if (h->opts.socket_path && cc == CURLE_COULDNT_CONNECT) {
		/* libcurl's own text would name "localhost port 80" */
		snprintf(err, errlen,
		         "cannot reach sluiced at unix socket %s: %s (is "
		         "sluiced running? see --socket and "
		         "SLUICE_ADMIN_SOCKET)",
		         h->opts.socket_path,
		         os_errno ? strerror((int)os_errno)
		                  : curl_easy_strerror(cc));
	} else if (bad_reply(cc)) {
		snprintf(err, errlen, "no valid answer from %s: %s", h->target,
		         curl_err[0] ? curl_err : curl_easy_strerror(cc));
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(err, errlen, "no answer from %s in time: %s",
		         h->target,
		         curl_err[0] ? curl_err : curl_easy_strerror(cc));
	} else if (cc == CURLE_PEER_FAILED_VERIFICATION ||
	           cc == CURLE_SSL_CONNECT_ERROR ||
	           cc == CURLE_SSL_CACERT_BADFILE) {
		snprintf(err, errlen,
		         "TLS failed with %s: %s (see --cacert and --insecure)",
		         h->target,
		         curl_err[0] ? curl_err : curl_easy_strerror(cc));
	} else {
		snprintf(err, errlen, "cannot reach %s: %s", h->target,
		         curl_err[0] ? curl_err : curl_easy_strerror(cc));
	}
}

int ctl_http_request(struct ctl_http *h, const char *method, const char *path,
                     const json_t *body, struct ctl_http_resp *resp, char *err,
                     size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct body_buf buf = {0};
	struct curl_slist *hdrs = NULL, *more;
	char *url = NULL, *req = NULL;
	json_error_t jerr;
	CURLcode cc;
	int rc = -ENOMEM;

	memset(resp, 0, sizeof(*resp));
	err[0] = '\0';
	if (asprintf(&url, "%s%s", h->base, path) < 0) {
		url = NULL;
		goto out;
	}
	if (body && !(req = json_dumps(body, JSON_COMPACT)))
		goto out;
	if (!(hdrs = curl_slist_append(NULL, "Accept: application/json")))
		goto out;
	/* no "Expect: 100-continue" round trip for bodies over 1 KiB */
	if (!(more = curl_slist_append(hdrs, "Expect:")))
		goto out;
	hdrs = more;
	if (req) {
		more =
		    curl_slist_append(hdrs, "Content-Type: application/json");
		if (!more)
			goto out;
		hdrs = more;
	}

	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT,
	                 "sluicectl/" SLUICE_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &buf);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, h->opts.timeout_s);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT,
	                 h->opts.connect_timeout_s);
	if (h->opts.socket_path) {
		curl_easy_setopt(h->curl, CURLOPT_UNIX_SOCKET_PATH,
		                 h->opts.socket_path);
		/* a proxy from the environment must not take the request
		 * away from the socket */
		curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "*");
	}
	if (h->opts.cacert)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->opts.cacert);
	if (h->opts.insecure) {
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->opts.user) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERNAME, h->opts.user);
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD,
		                 h->opts.password ? h->opts.password : "");
	}
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
		/* PUT and POST without a body still say Content-Length: 0,
		 * which some servers insist on */
		if (req || strcmp(method, "DELETE") != 0) {
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS,
			                 req ? req : "");
			curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE,
			                 (long)(req ? strlen(req) : 0));
		}
	}

	cc = curl_easy_perform(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, NULL);
	if (buf.too_big) {
		snprintf(err, errlen, "the answer from %s is over %d MiB",
		         h->target, CTL_HTTP_MAX_BODY / (1024 * 1024));
		rc = -EFBIG;
		goto out;
	}
	if (cc == CURLE_WRITE_ERROR && !buf.too_big) {
		rc = -ENOMEM;
		goto out;
	}
	if (cc != CURLE_OK) {
		transport_error(h, cc, curl_err, err, errlen);
		rc = bad_reply(cc) ? -EPROTO : -ENOTCONN;
		goto out;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = buf.data ? buf.data : strdup("");
	resp->len = buf.len;
	buf.data = NULL;
	if (!resp->body) {
		rc = -ENOMEM;
		goto out;
	}
	if (resp->len > 0 && !blank(resp->body, resp->len)) {
		resp->json =
		    json_loadb(resp->body, resp->len,
		               JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
	}
	if (resp->status < 200 || resp->status > 299) {
		error_message(resp, err, errlen);
		rc = -EREMOTEIO;
		goto out;
	}
	if (resp->len > 0 && !blank(resp->body, resp->len) && !resp->json) {
		snprintf(err, errlen,
		         "%s answered HTTP %ld with a body that is not JSON: "
		         "%s",
		         h->target, resp->status, jerr.text);
		rc = -EPROTO;
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(hdrs);
	free(buf.data);
	free(req);
	free(url);
	if (rc == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	return rc;
}

void ctl_http_resp_fini(struct ctl_http_resp *resp)
{
	free(resp->body);
	json_decref(resp->json);
	memset(resp, 0, sizeof(*resp));
}
