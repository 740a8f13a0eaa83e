/*
 * proto_rd.c: a bounds-checked msgpack reader over one received frame.
 *
 * msgpack-c's unpacker builds an object tree and allocates, per declared
 * array length, before it has seen the elements; a hostile taskhost could
 * make the supervisor allocate far more than the frame size. This cursor
 * allocates nothing, copies nothing, and rejects a count that the rest of
 * the frame cannot hold.
 */
#include <errno.h>
#include <string.h>

#include "proto.h"

void proto_rd_init(struct proto_rd *rd, const void *buf, size_t len)
{
	rd->p = buf;
	rd->end = rd->p + len;
}

bool proto_rd_done(const struct proto_rd *rd)
{
	return rd->p == rd->end;
}

static size_t left(const struct proto_rd *rd)
{
	return (size_t)(rd->end - rd->p);
}

static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Reads an n-byte big-endian length or value after the type byte. */
static int take(struct proto_rd *rd, unsigned n, uint64_t *v)
{
	if (left(rd) < n)
		return -EPROTO;
	*v = be(rd->p, n);
	rd->p += n;
	return 0;
}

bool proto_rd_is_nil(const struct proto_rd *rd)
{
	return left(rd) > 0 && rd->p[0] == 0xc0;
}

int proto_rd_nil(struct proto_rd *rd)
{
	if (!proto_rd_is_nil(rd))
		return -EPROTO;
	rd->p++;
	return 0;
}

/* Reads a container header; `unit` is the least bytes one element takes. */
static int container(struct proto_rd *rd, uint8_t fix, uint8_t b16, uint8_t b32,
                     size_t unit, uint32_t *n)
{
	uint64_t v;
	uint8_t t;

	if (left(rd) < 1)
		return -EPROTO;
	t = *rd->p++;
	if ((t & 0xf0) == fix)
		v = t & 0x0f;
	else if (t == b16 && take(rd, 2, &v) == 0)
		;
	else if (t == b32 && take(rd, 4, &v) == 0)
		;
	else
		return -EPROTO;
	if (v > left(rd) / unit)
		return -EPROTO;
	*n = (uint32_t)v;
	return 0;
}

int proto_rd_array(struct proto_rd *rd, uint32_t *n)
{
	const uint8_t *save = rd->p;
	int rc = container(rd, 0x90, 0xdc, 0xdd, 1, n);

	if (rc)
		rd->p = save;
	return rc;
}

int proto_rd_map(struct proto_rd *rd, uint32_t *n)
{
	const uint8_t *save = rd->p;
	int rc = container(rd, 0x80, 0xde, 0xdf, 2, n);

	if (rc)
		rd->p = save;
	return rc;
}

/* Reads any integer as a sign flag and magnitude-correct 64-bit value. */
static int rd_integer(struct proto_rd *rd, bool *neg, uint64_t *u)
{
	const uint8_t *save = rd->p;
	uint64_t v;
	uint8_t t;

	if (left(rd) < 1)
		return -EPROTO;
	t = *rd->p++;
	*neg = false;
	if (t <= 0x7f) {
		*u = t;
		return 0;
	}
	if (t >= 0xe0) {
		*neg = true;
		*u = (uint64_t)(int64_t)(int8_t)t;
		return 0;
	}
	switch (t) {
	case 0xcc:
	case 0xcd:
	case 0xce:
	case 0xcf:
		if (take(rd, 1u << (t - 0xcc), &v))
			break;
		*u = v;
		return 0;
	case 0xd0:
	case 0xd1:
	case 0xd2:
	case 0xd3: {
		unsigned n = 1u << (t - 0xd0);
		int64_t s;

		if (take(rd, n, &v))
			break;
		/* sign-extend from n bytes */
		if (n < 8 && (v >> (n * 8 - 1)) & 1)
			v |= ~(uint64_t)0 << (n * 8);
		s = (int64_t)v;
		*neg = s < 0;
		*u = (uint64_t)s;
		return 0;
	}
	default:
		break;
	}
	rd->p = save;
	return -EPROTO;
}

int proto_rd_uint(struct proto_rd *rd, uint64_t *v)
{
	const uint8_t *save = rd->p;
	bool neg;
	int rc = rd_integer(rd, &neg, v);

	if (rc == 0 && neg) {
		rd->p = save;
		return -EPROTO;
	}
	return rc;
}

int proto_rd_int(struct proto_rd *rd, int64_t *v)
{
	const uint8_t *save = rd->p;
	uint64_t u;
	bool neg;
	int rc = rd_integer(rd, &neg, &u);

	if (rc)
		return rc;
	if (!neg && u > INT64_MAX) {
		rd->p = save;
		return -EPROTO;
	}
	*v = (int64_t)u;
	return 0;
}

int proto_rd_bool(struct proto_rd *rd, bool *v)
{
	if (left(rd) < 1 || (rd->p[0] != 0xc2 && rd->p[0] != 0xc3))
		return -EPROTO;
	*v = *rd->p++ == 0xc3;
	return 0;
}

/* str (fixstr, str8/16/32) or bin (bin8/16/32), as chosen by `bin`. */
static int rd_raw(struct proto_rd *rd, bool bin, struct proto_str *s)
{
	const uint8_t *save = rd->p;
	uint64_t n;
	uint8_t t;

	if (left(rd) < 1)
		return -EPROTO;
	t = *rd->p++;
	if (!bin && (t & 0xe0) == 0xa0)
		n = t & 0x1f;
	else if (!bin && t >= 0xd9 && t <= 0xdb &&
	         take(rd, 1u << (t - 0xd9), &n) == 0)
		;
	else if (bin && t >= 0xc4 && t <= 0xc6 &&
	         take(rd, 1u << (t - 0xc4), &n) == 0)
		;
	else
		goto out_bad;
	if (n > left(rd))
		goto out_bad;
	s->p = (const char *)rd->p;
	s->n = (uint32_t)n;
	rd->p += n;
	return 0;
out_bad:
	rd->p = save;
	return -EPROTO;
}

int proto_rd_str(struct proto_rd *rd, struct proto_str *s)
{
	return rd_raw(rd, false, s);
}

int proto_rd_bin_nil(struct proto_rd *rd, struct proto_str *s)
{
	if (proto_rd_nil(rd) == 0) {
		s->p = NULL;
		s->n = 0;
		return 0;
	}
	return rd_raw(rd, true, s);
}

static int skip(struct proto_rd *rd, int depth)
{
	struct proto_str s;
	uint32_t n;
	uint64_t v;
	uint8_t t;

	if (depth > PROTO_DEPTH_MAX || left(rd) < 1)
		return -EPROTO;
	t = rd->p[0];
	if (t <= 0x7f || t >= 0xe0 || (t >= 0xcc && t <= 0xd3)) {
		int64_t i;

		if (t == 0xcf)
			return proto_rd_uint(rd, &v);
		return proto_rd_int(rd, &i);
	}
	if ((t & 0xf0) == 0x90 || t == 0xdc || t == 0xdd) {
		if (proto_rd_array(rd, &n))
			return -EPROTO;
		while (n--)
			if (skip(rd, depth + 1))
				return -EPROTO;
		return 0;
	}
	if ((t & 0xf0) == 0x80 || t == 0xde || t == 0xdf) {
		if (proto_rd_map(rd, &n))
			return -EPROTO;
		while (n--)
			if (skip(rd, depth + 1) || skip(rd, depth + 1))
				return -EPROTO;
		return 0;
	}
	if ((t & 0xe0) == 0xa0 || (t >= 0xd9 && t <= 0xdb))
		return rd_raw(rd, false, &s);
	if (t >= 0xc4 && t <= 0xc6)
		return rd_raw(rd, true, &s);
	switch (t) {
	case 0xc0:
	case 0xc2:
	case 0xc3:
		rd->p++;
		return 0;
	case 0xca:
	case 0xcb: {
		size_t sz = t == 0xca ? 4 : 8;

		if (left(rd) < 1 + sz)
			return -EPROTO;
		rd->p += 1 + sz;
		return 0;
	}
	default:
		/* ext types and 0xc1 are not used by this protocol */
		return -EPROTO;
	}
}

int proto_rd_skip(struct proto_rd *rd)
{
	const uint8_t *save = rd->p;
	int rc = skip(rd, 0);

	if (rc)
		rd->p = save;
	return rc;
}

int proto_frame_open(struct proto_rd *rd, const void *buf, size_t len,
                     uint32_t *type, uint32_t *nfields)
{
	uint64_t t;
	uint32_t n;

	proto_rd_init(rd, buf, len);
	if (proto_rd_array(rd, &n) || n < 1 || proto_rd_uint(rd, &t))
		return -EPROTO;
	if (t == 0 || t >= PROTO_TYPE_MAX)
		return -EPROTO;
	*type = (uint32_t)t;
	*nfields = n - 1;
	return 0;
}

int proto_kv_next(struct proto_rd *it, struct proto_str *k, struct proto_str *v)
{
	if (proto_rd_str(it, k) || proto_rd_str(it, v))
		return -EPROTO;
	return 0;
}

int proto_pair_next(struct proto_rd *it, struct proto_str *a,
                    struct proto_str *b)
{
	uint32_t n;

	if (proto_rd_array(it, &n) || n != 2 || proto_rd_str(it, a) ||
	    proto_rd_str(it, b))
		return -EPROTO;
	return 0;
}

int proto_header_next(struct proto_rd *it, struct proto_str *k,
                      struct proto_str *v)
{
	uint32_t n;

	if (proto_rd_array(it, &n) || n != 2 || proto_rd_str(it, k) ||
	    proto_rd_bin_nil(it, v))
		return -EPROTO;
	return 0;
}
