/*
 * ctl_http.h: sluicectl's HTTP client for Kafka Connect's REST API, over
 * sluiced's admin Unix socket or to a URL (libcurl).
 *
 * One request at a time, blocking. Bodies are JSON both ways: a request
 * body is sent as application/json, a response body is parsed strictly
 * (jansson: valid UTF-8, no duplicate keys, no trailing garbage), so
 * whatever sluicectl prints from it is well-formed.
 *
 * Single-threaded: call ctl_http_global_init() once before anything else.
 */
#ifndef SLUICE_CTL_HTTP_H
#define SLUICE_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* A response body larger than this is refused (-EFBIG). */
#define CTL_HTTP_MAX_BODY (64 * 1024 * 1024)

/* Where and how to connect. Strings are borrowed for the client's life. */
struct ctl_http_opts {
	const char *socket_path; /* admin Unix socket; NULL: use url */
	const char *url;         /* "http://host:port" or "https://..." with an
	                          * optional path prefix; used if no socket */
	const char *cacert;      /* PEM CA bundle for https; NULL: system's */
	bool insecure;           /* skip TLS certificate and host checks */
	const char *user;        /* HTTP Basic user, or NULL for none */
	const char *password;    /* with user */
	long timeout_s;          /* whole request; 0: none */
	long connect_timeout_s;
};

/* A response. body and json belong to the response: ctl_http_resp_fini. */
struct ctl_http_resp {
	long status;  /* HTTP status code */
	char *body;   /* NUL-terminated; "" when the server sent none */
	size_t len;   /* bytes in body */
	json_t *json; /* parsed body, or NULL when it was empty */
};

struct ctl_http;

/* Initialises libcurl. Returns 0 or -EIO. */
int ctl_http_global_init(void);
void ctl_http_global_fini(void);

/*
 * A client for opts. Returns NULL with errno set (EINVAL with the reason
 * in err for a bad URL or socket path, ENOMEM). Freed with ctl_http_free.
 */
struct ctl_http *ctl_http_new(const struct ctl_http_opts *opts, char *err,
                              size_t errlen);

/* Frees h. NULL is fine. */
void ctl_http_free(struct ctl_http *h);

/* What this client talks to, for messages: "unix socket PATH" or URL. */
const char *ctl_http_target(const struct ctl_http *h);

/*
 * A new string with s percent-encoded for one URL path segment or query
 * value (everything but unreserved characters is encoded, '/' too).
 * The caller frees it with free(). NULL on ENOMEM.
 */
char *ctl_http_escape(struct ctl_http *h, const char *s);

/*
 * Sends method to path (which starts with '/' and is already escaped;
 * it may carry a query string) with body (NULL: none) and fills resp,
 * which the caller then releases with ctl_http_resp_fini whatever the
 * result.
 *
 * Returns:
 *   0             a 2xx answer whose body is empty or valid JSON;
 *   -EREMOTEIO    the server answered with an error status; err holds
 *                 its message (Kafka Connect's {"error_code","message"})
 *                 and resp->status the code;
 *   -ENOTCONN     the server could not be reached or the transfer
 *                 failed; err names the socket or URL and why;
 *   -EPROTO       a 2xx answer whose body is not JSON;
 *   -EFBIG        a body over CTL_HTTP_MAX_BODY;
 *   -ENOMEM.
 * err is always NUL-terminated; it may hold several lines (a server's
 * validation errors) and is not yet made safe for a terminal.
 */
int ctl_http_request(struct ctl_http *h, const char *method, const char *path,
                     const json_t *body, struct ctl_http_resp *resp, char *err,
                     size_t errlen);

/* Releases what a request put in resp and zeroes it. */
void ctl_http_resp_fini(struct ctl_http_resp *resp);

#endif /* SLUICE_CTL_HTTP_H */
