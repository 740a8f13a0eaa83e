/* sv_props.c: see sv_props.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "sv_file.h"
#include "sv_props.h"

/*
 * Where a continuation line starts inside the logical line, so an error
 * can name the physical line of the offending character.
 */
struct props_join {
	size_t off;
	unsigned line;
};

/* One logical line (natural lines joined, backslash-newlines removed). */
struct props_line {
	char *buf;
	size_t len;
	size_t cap;
	unsigned first_line;
	struct props_join *joins;
	size_t njoins;
	size_t joincap;
};

struct props_reader {
	const unsigned char *p;
	size_t len;
	size_t off;
	unsigned line; /* physical line of p[off] */
};

static void props_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void props_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static unsigned char props_next(struct props_reader *rd)
{
	unsigned char c = rd->p[rd->off++];

	/* CR LF is one line end: count it at the CR. */
	if (c == '\r' ||
	    (c == '\n' && (rd->off < 2 || rd->p[rd->off - 2] != '\r')))
		rd->line++;
	return c;
}

static int props_append(struct props_line *lb, char c)
{
	if (lb->len == lb->cap) {
		size_t cap = lb->cap ? lb->cap * 2 : 128;
		char *buf = realloc(lb->buf, cap);

		if (!buf)
			return -ENOMEM;
		lb->buf = buf;
		lb->cap = cap;
	}
	lb->buf[lb->len++] = c;
	return 0;
}

static int props_add_join(struct props_line *lb, size_t off, unsigned line)
{
	if (lb->njoins == lb->joincap) {
		size_t cap = lb->joincap ? lb->joincap * 2 : 8;
		struct props_join *joins =
		    realloc(lb->joins, cap * sizeof(*joins));

		if (!joins)
			return -ENOMEM;
		lb->joins = joins;
		lb->joincap = cap;
	}
	lb->joins[lb->njoins].off = off;
	lb->joins[lb->njoins].line = line;
	lb->njoins++;
	return 0;
}

/* The physical line of the character at off in the logical line. */
static unsigned props_line_of(const struct props_line *lb, size_t off)
{
	unsigned line = lb->first_line;

	for (size_t i = 0; i < lb->njoins && lb->joins[i].off <= off; i++)
		line = lb->joins[i].line;
	return line;
}

/*
 * Reads the next logical line into lb, following the state machine of
 * java.util.Properties.LineReader.readLine (JDK 9 and later) step by step,
 * because its corner cases (comments, blank continuation lines, a
 * backslash at the end of the input) are the specification. Returns 1
 * with a line (possibly empty: a file holding only "\" has the key ""),
 * 0 at the end of the input, or -ENOMEM.
 */
static int props_read_line(struct props_reader *rd, struct props_line *lb)
{
	bool skip_ws = true, appended_begin = false, backslash = false;
	bool pending_join = false;
	unsigned line;
	unsigned char c;

	lb->len = 0;
	lb->njoins = 0;
	for (;;) {
		if (rd->off >= rd->len) {
			if (lb->len == 0)
				return 0;
			if (backslash)
				lb->len--;
			return 1;
		}
		line = rd->line;
		c = props_next(rd);
		if (skip_ws) {
			if (c == ' ' || c == '\t' || c == '\f')
				continue;
			if (!appended_begin && (c == '\r' || c == '\n'))
				continue;
			skip_ws = false;
			appended_begin = false;
		}
		if (lb->len == 0 && (c == '#' || c == '!')) {
			while (rd->off < rd->len) {
				c = props_next(rd);
				if (c == '\r' || c == '\n')
					break;
			}
			skip_ws = true;
			continue;
		}
		if (c != '\n' && c != '\r') {
			if (lb->len == 0) {
				lb->first_line = line;
			} else if (pending_join) {
				if (props_add_join(lb, lb->len, line))
					return -ENOMEM;
			}
			pending_join = false;
			if (props_append(lb, (char)c))
				return -ENOMEM;
			backslash = c == '\\' ? !backslash : false;
			continue;
		}
		/* end of a natural line */
		if (lb->len == 0) {
			skip_ws = true;
			continue;
		}
		if (rd->off >= rd->len) {
			if (backslash)
				lb->len--;
			return 1;
		}
		if (!backslash)
			return 1;
		lb->len--;
		skip_ws = true;
		appended_begin = true;
		backslash = false;
		pending_join = true;
		if (c == '\r' && rd->p[rd->off] == '\n')
			props_next(rd);
	}
}

static int props_hex4(const char *s, size_t n, unsigned *val)
{
	unsigned v = 0;

	if (n < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*val = v;
	return 0;
}

static size_t props_put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Unescapes s[0..n) into out (at least n + 1 bytes: no escape grows) and
 * NUL-terminates it. On a bad escape returns -EINVAL with *bad set to the
 * offset of its backslash and *why to the reason.
 */
static int props_unescape(const char *s, size_t n, char *out, size_t *bad,
                          const char **why)
{
	size_t i = 0, o = 0;
	unsigned cp, lo;

	while (i < n) {
		char c = s[i];

		if (c != '\\') {
			out[o++] = c;
			i++;
			continue;
		}
		if (i + 1 == n) /* cannot happen: the reader drops it */
			break;
		c = s[i + 1];
		if (c != 'u') {
			switch (c) {
			case 't':
				c = '\t';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 'f':
				c = '\f';
				break;
			default:
				break;
			}
			out[o++] = c;
			i += 2;
			continue;
		}
		*bad = i;
		if (props_hex4(s + i + 2, n - i - 2, &cp)) {
			*why = "malformed \\uXXXX escape";
			return -EINVAL;
		}
		if (cp == 0) {
			*why = "\\u0000 (NUL) is not allowed";
			return -EINVAL;
		}
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			*why = "unpaired UTF-16 low surrogate escape";
			return -EINVAL;
		}
		i += 6;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u' ||
			    props_hex4(s + i + 2, n - i - 2, &lo) ||
			    lo < 0xdc00 || lo > 0xdfff) {
				*why = "unpaired UTF-16 high surrogate escape";
				return -EINVAL;
			}
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		o += props_put_utf8(out + o, cp);
	}
	out[o] = '\0';
	return 0;
}

/* Length of the UTF-8 sequence at p[0..n), or 0 if it is invalid. */
static size_t props_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t need;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* overlong, surrogate or beyond U+10FFFF */
	if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return need;
}

/* Checks that the input is UTF-8 without NUL bytes. */
static int props_check_text(const unsigned char *p, size_t len,
                            const char *name, char *err, size_t errlen)
{
	unsigned line = 1;
	size_t bol = 0, i = 0, n;

	while (i < len) {
		if (p[i] == '\0') {
			props_err(err, errlen, "%s:%u: NUL byte at column %zu",
			          name, line, i - bol + 1);
			return -EINVAL;
		}
		n = props_utf8_len(p + i, len - i);
		if (n == 0) {
			props_err(err, errlen,
			          "%s:%u: invalid UTF-8 (byte 0x%02X at column "
			          "%zu)",
			          name, line, p[i], i - bol + 1);
			return -EINVAL;
		}
		if (p[i] == '\r' ||
		    (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))) {
			line++;
			bol = i + 1;
		} else if (p[i] == '\n') {
			bol = i + 1;
		}
		i += n;
	}
	return 0;
}

/* Splits a logical line into key and value as Properties.load0 does. */
static void props_split(const struct props_line *lb, size_t *keylen,
                        size_t *valstart)
{
	const char *b = lb->buf;
	size_t limit = lb->len, k = 0, v = lb->len;
	bool has_sep = false, backslash = false;

	while (k < limit) {
		char c = b[k];

		if ((c == '=' || c == ':') && !backslash) {
			v = k + 1;
			has_sep = true;
			break;
		}
		if ((c == ' ' || c == '\t' || c == '\f') && !backslash) {
			v = k + 1;
			break;
		}
		backslash = c == '\\' ? !backslash : false;
		k++;
	}
	while (v < limit) {
		char c = b[v];

		if (c != ' ' && c != '\t' && c != '\f') {
			if (!has_sep && (c == '=' || c == ':'))
				has_sep = true;
			else
				break;
		}
		v++;
	}
	*keylen = k;
	*valstart = v;
}

json_t *sv_props_parse(const char *buf, size_t len, const char *name, char *err,
                       size_t errlen)
{
	struct props_reader rd = {
	    .p = (const unsigned char *)buf, .len = len, .line = 1};
	struct props_line lb = {0};
	char *key = NULL, *val = NULL;
	size_t keylen, valstart, bad;
	const char *why;
	json_t *props, *jval;
	int r, saved;

	if (!name)
		name = "<input>";
	if (!buf) /* with len 0 */
		rd.p = (const unsigned char *)"";
	props = json_object();
	if (!props) {
		r = -ENOMEM;
		goto out_nomem;
	}
	/* A UTF-8 byte order mark is not part of the first key. */
	if (len >= 3 && memcmp(rd.p, "\xef\xbb\xbf", 3) == 0)
		rd.off = 3;
	r = props_check_text(rd.p + rd.off, len - rd.off, name, err, errlen);
	if (r)
		goto out_free_props;
	while ((r = props_read_line(&rd, &lb)) == 1) {
		props_split(&lb, &keylen, &valstart);
		free(key);
		free(val);
		key = malloc(keylen + 1);
		val = malloc(lb.len - valstart + 1);
		if (!key || !val) {
			r = -ENOMEM;
			goto out_nomem;
		}
		r = props_unescape(lb.buf, keylen, key, &bad, &why);
		if (r) {
			props_err(err, errlen, "%s:%u: %s in a key", name,
			          props_line_of(&lb, bad), why);
			goto out_free_props;
		}
		r = props_unescape(lb.buf + valstart, lb.len - valstart, val,
		                   &bad, &why);
		if (r) {
			props_err(err, errlen, "%s:%u: %s in the value of '%s'",
			          name, props_line_of(&lb, valstart + bad), why,
			          key);
			goto out_free_props;
		}
		jval = json_string(val);
		if (!jval || json_object_set_new(props, key, jval)) {
			r = -ENOMEM;
			goto out_nomem;
		}
	}
	if (r < 0)
		goto out_nomem;
	free(key);
	free(val);
	free(lb.buf);
	free(lb.joins);
	return props;

out_nomem:
	props_err(err, errlen, "%s: out of memory", name);
out_free_props:
	saved = -r;
	json_decref(props);
	free(key);
	free(val);
	free(lb.buf);
	free(lb.joins);
	errno = saved;
	return NULL;
}

json_t *sv_props_load(const char *path, char *err, size_t errlen)
{
	json_t *props;
	char *buf;
	size_t len;
	int rc, saved;

	rc = sv_file_read(path, SV_PROPS_MAX_SIZE, &buf, &len, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	props = sv_props_parse(buf, len, path, err, errlen);
	saved = errno;
	free(buf);
	errno = saved;
	return props;
}
