/* sv_rest_guard.c: see sv_rest_guard.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>

#include "sv_rest_guard.h"

enum guard_state {
	G_HEAD, /* reading a request's head, line by line */
	G_BODY, /* counting `left` body bytes */
	G_PASS, /* not following the framing any more */
	G_DROP, /* an oversized request's body: `left` bytes discarded */
};

/* One connection. scanned: the bytes at the front of its input buffer
 * that the guard has followed already (evhttp consumes from the front). */
struct gentry {
	struct bufferevent *bev;
	enum guard_state st;
	size_t scanned;
	uint64_t left;
	bool in_head; /* its request line was seen */
	bool te;
	int64_t clen; /* -1: none yet */
};

static struct {
	size_t limit;
	char token[65];
	struct gentry *tab; /* indexed by file descriptor */
	size_t ntab;
	bool busy; /* our own edits of a buffer call us back */
} g;

void sv_rest_guard_config(size_t limit, const char *token)
{
	g.limit = limit;
	snprintf(g.token, sizeof(g.token), "%s", token);
}

void sv_rest_guard_fini(void)
{
	free(g.tab);
	g.tab = NULL;
	g.ntab = 0;
}

static void reset(struct gentry *e, struct bufferevent *bev)
{
	memset(e, 0, sizeof(*e));
	e->bev = bev;
	e->st = G_HEAD;
	e->clen = -1;
}

/* The entry of bev's descriptor, taken over if it was another
 * connection's. NULL if it cannot be had. */
static struct gentry *entry_of(struct bufferevent *bev)
{
	evutil_socket_t fd = bufferevent_getfd(bev);
	struct gentry *e;

	if (fd < 0)
		return NULL;
	if ((size_t)fd >= g.ntab) {
		size_t n = (size_t)fd + 64;
		struct gentry *v = realloc(g.tab, n * sizeof(*v));

		if (!v)
			return NULL;
		memset(v + g.ntab, 0, (n - g.ntab) * sizeof(*v));
		g.tab = v;
		g.ntab = n;
	}
	e = &g.tab[fd];
	if (e->bev != bev)
		reset(e, bev);
	return e;
}

/* Replaces buf[off, off + n) with text: evbuffers only change at their
 * ends, so the front is set aside and put back. */
static int replace(struct evbuffer *buf, size_t off, size_t n, const char *text,
                   size_t tlen)
{
	struct evbuffer *front = evbuffer_new();
	int rc = -ENOMEM;

	if (!front)
		return rc;
	if (evbuffer_remove_buffer(buf, front, off) == (int)off &&
	    evbuffer_drain(buf, n) == 0 &&
	    evbuffer_prepend(buf, text, tlen) == 0 &&
	    evbuffer_prepend_buffer(buf, front) == 0)
		rc = 0;
	evbuffer_free(front);
	return rc;
}

/* The value of header line `line` if it names `name`. */
static const char *header_value(const char *line, const char *name)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	return line + n + 1;
}

static int parse_length(const char *v, int64_t *out)
{
	int64_t n = 0;
	bool digits = false;

	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v >= '0' && *v <= '9'; v++) {
		if (n > (INT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (*v - '0');
		digits = true;
	}
	while (*v == ' ' || *v == '\t')
		v++;
	if (!digits || *v)
		return -1;
	*out = n;
	return 0;
}

static void end_of_head(struct gentry *e)
{
	if (e->te)
		e->st = G_PASS; /* chunked: evhttp frames and limits it */
	else if (e->clen > 0 && (uint64_t)e->clen > g.limit)
		e->st = G_DROP; /* evhttp was told 0: it reads no body */
	else if (e->clen > 0)
		e->st = G_BODY;
	else
		e->st = G_HEAD;
	e->left = e->clen > 0 ? (uint64_t)e->clen : 0;
	e->in_head = false;
	e->te = false;
	e->clen = -1;
}

/* Follows one complete line of a head. Returns true when it must wait
 * for more bytes (or gave up). */
static bool head_line(struct gentry *e, struct evbuffer *buf, size_t len)
{
	char line[SV_REST_GUARD_LINE_MAX + 1], marker[160];
	struct evbuffer_ptr start, eol;
	size_t eol_len = 0, n;
	const char *val;
	int m;

	if (evbuffer_ptr_set(buf, &start, e->scanned, EVBUFFER_PTR_SET)) {
		e->st = G_PASS;
		return true;
	}
	eol = evbuffer_search_eol(buf, &start, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos < 0) {
		if (len - e->scanned > SV_REST_GUARD_LINE_MAX)
			e->st = G_PASS;
		return true;
	}
	n = (size_t)eol.pos - e->scanned;
	if (n > SV_REST_GUARD_LINE_MAX ||
	    evbuffer_copyout_from(buf, &start, line, n) != (ev_ssize_t)n) {
		e->st = G_PASS;
		return true;
	}
	line[n] = '\0';
	if (n == 0) {
		/* empty lines before a request line are allowed */
		e->scanned += eol_len;
		if (e->in_head)
			end_of_head(e);
		return false;
	}
	if (!e->in_head) {
		e->in_head = true;
		e->scanned += n + eol_len;
		return false;
	}
	if ((val = header_value(line, "Content-Length"))) {
		if (e->clen >= 0 || parse_length(val, &e->clen)) {
			e->st = G_PASS;
			return true;
		}
		if ((uint64_t)e->clen > g.limit) {
			m = snprintf(marker, sizeof(marker),
			             "Content-Length: 0\r\n%s: %s %lld\r\n",
			             SV_REST_GUARD_HEADER, g.token,
			             (long long)e->clen);
			if (replace(buf, e->scanned, n + eol_len, marker,
			            (size_t)m)) {
				e->st = G_PASS;
				return true;
			}
			e->scanned += (size_t)m;
			return false;
		}
	} else if (header_value(line, "Transfer-Encoding")) {
		e->te = true;
	}
	e->scanned += n + eol_len;
	return false;
}

/* Drops up to n bytes after the first keep bytes; returns how many. */
static size_t drop_after(struct evbuffer *buf, size_t keep, uint64_t n)
{
	size_t len = evbuffer_get_length(buf), take = len - keep;

	if (take > n)
		take = (size_t)n;
	if (take && replace(buf, keep, take, "", 0))
		return 0;
	return take;
}

static void follow(struct gentry *e, struct evbuffer *buf)
{
	for (;;) {
		size_t len = evbuffer_get_length(buf), take;

		if (e->scanned >= len)
			return;
		switch (e->st) {
		case G_PASS:
			return;
		case G_DROP:
			/* the client may send the body it announced; what
			 * follows it is the next request */
			take = drop_after(buf, e->scanned, e->left);
			if (!take)
				return;
			e->left -= take;
			if (e->left == 0)
				e->st = G_HEAD;
			break;
		case G_BODY:
			take = len - e->scanned;
			if (take > e->left)
				take = (size_t)e->left;
			e->scanned += take;
			e->left -= take;
			if (e->left == 0)
				e->st = G_HEAD;
			break;
		case G_HEAD:
			if (head_line(e, buf, len))
				return;
			break;
		}
	}
}

static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                     void *arg)
{
	struct gentry *e;

	if (g.busy || !(e = entry_of(arg)) || e->st == G_PASS)
		return;
	/* evhttp consumed that much from the front */
	e->scanned -=
	    e->scanned < info->n_deleted ? e->scanned : info->n_deleted;
	g.busy = true;
	follow(e, buf);
	g.busy = false;
}

int sv_rest_guard_attach(struct bufferevent *bev)
{
	/* a bufferevent at the address of a freed one is a new connection */
	for (size_t i = 0; i < g.ntab; i++)
		if (g.tab[i].bev == bev)
			g.tab[i].bev = NULL;
	if (!evbuffer_add_cb(bufferevent_get_input(bev), on_input, bev))
		return -ENOMEM;
	return 0;
}
