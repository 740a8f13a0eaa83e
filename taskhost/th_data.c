/*
 * th_data.c: the Connect data model of sluice-taskhost, and th_host, the
 * struct conn_host that plugins reach it through.
 *
 * Plugins are untrusted and may be buggy, so every function reachable from
 * th_host checks its arguments (NULL, wrong type, out of range) and fails
 * with NULL or -EINVAL rather than crash. Values and schemas may not form
 * cycles (inserting one into itself is refused), and every recursive walk
 * stops at TH_MAX_DEPTH, so no input can exhaust the stack.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "th_data.h"

/* --- UTF-8 ---------------------------------------------------------------- */

bool th_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	if (!p)
		return n == 0;
	while (i < n) {
		unsigned char c;
		uint32_t cp;
		size_t len;
		uint64_t w;

		/* ASCII eight bytes at a time: most text is ASCII */
		while (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i == n)
			break;
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, UTF-16 surrogates, beyond Unicode. */
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

/* --- Byte buffer ---------------------------------------------------------- */

/* Makes room for n more bytes and the NUL. */
static int buf_reserve(struct th_buf *b, size_t n)
{
	size_t want, cap;
	char *p;

	if (n > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	want = b->len + n + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int th_buf_append(struct th_buf *b, const void *p, size_t n)
{
	int rc = buf_reserve(b, n);

	if (rc)
		return rc;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int th_buf_putc(struct th_buf *b, char c)
{
	return th_buf_append(b, &c, 1);
}

int th_buf_printf(struct th_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	rc = buf_reserve(b, 64);
	if (rc)
		return rc;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= b->cap - b->len) {
		rc = buf_reserve(b, (size_t)n);
		if (rc)
			return rc;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

void th_buf_reset(struct th_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void th_buf_fini(struct th_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

/* --- Arena ---------------------------------------------------------------- */

/*
 * Chunks grow geometrically from ARENA_MIN_CHUNK to ARENA_MAX_CHUNK, so a
 * small arena stays small and a big batch needs few mallocs. A request
 * larger than that gets a chunk of its own size.
 */
enum {
	ARENA_MIN_CHUNK = 8 * 1024,
	ARENA_MAX_CHUNK = 1024 * 1024,
	ARENA_ALIGN = 16,
	/* what a reset keeps: a batch of 1000 records of 1 KB takes 2 to 3
	 * MiB; freeing and faulting that in again per batch cost a source
	 * task a fifth of its time */
	ARENA_KEEP = 8 * 1024 * 1024,
};

struct th_chunk {
	struct th_chunk *next; /* older */
	size_t size;           /* bytes in data[] */
	size_t used;
	unsigned char data[];
};

struct conn_arena *th_arena_new(void)
{
	struct conn_arena *a = calloc(1, sizeof(*a));

	if (!a)
		errno = ENOMEM;
	return a;
}

void th_arena_free(struct conn_arena *a)
{
	struct th_chunk *c, *next;

	if (!a)
		return;
	for (c = a->head; c; c = next) {
		next = c->next;
		free(c);
	}
	for (c = a->spare; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
	a->spare = NULL;
	free(a);
}

void th_arena_reset(struct conn_arena *a)
{
	struct th_chunk *c, *next, *keep = NULL, **tail;
	size_t kept = 0;

	if (!a)
		return;
	/* head is newest first: reversed, the chunks come in the order in
	 * which th_arena_alloc asked for them, smallest first */
	for (c = a->head; c; c = next) {
		next = c->next;
		c->next = keep;
		keep = c;
	}
	a->head = NULL;
	/* then the chunks this batch did not need */
	for (tail = &keep; *tail; tail = &(*tail)->next)
		;
	*tail = a->spare;
	a->spare = NULL;
	tail = &a->spare;
	for (c = keep; c; c = next) {
		next = c->next;
		if (kept + c->size > ARENA_KEEP) {
			free(c);
			continue;
		}
		kept += c->size;
		c->used = 0;
		c->next = NULL;
		*tail = c;
		tail = &c->next;
	}
	a->used = 0;
}

/* Takes n bytes from chunk c, aligned; NULL if they do not fit. */
static void *chunk_take(struct th_chunk *c, size_t n)
{
	uintptr_t base = (uintptr_t)c->data;
	uintptr_t at =
	    (base + c->used + ARENA_ALIGN - 1) & ~(uintptr_t)(ARENA_ALIGN - 1);
	size_t off = (size_t)(at - base);

	if (off > c->size || n > c->size - off)
		return NULL;
	c->used = off + n;
	return c->data + off;
}

void *th_arena_alloc(struct conn_arena *a, size_t n)
{
	struct th_chunk *c;
	size_t size;
	void *p;

	if (!a)
		return NULL;
	if (n == 0)
		n = 1;
	if (a->head) {
		p = chunk_take(a->head, n);
		if (p) {
			a->used += n;
			return p;
		}
	}
	if (n > SIZE_MAX - sizeof(*c) - 2 * ARENA_ALIGN)
		return NULL;
	for (struct th_chunk **sp = &a->spare; *sp; sp = &(*sp)->next) {
		if ((*sp)->size < n + ARENA_ALIGN)
			continue;
		c = *sp;
		*sp = c->next;
		c->next = a->head;
		a->head = c;
		a->used += n;
		return chunk_take(c, n);
	}
	size = a->head ? a->head->size * 2 : ARENA_MIN_CHUNK;
	if (size > ARENA_MAX_CHUNK)
		size = ARENA_MAX_CHUNK;
	if (size < n + ARENA_ALIGN)
		size = n + ARENA_ALIGN;
	c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	a->used += n;
	return chunk_take(c, n);
}

void *th_arena_zalloc(struct conn_arena *a, size_t n)
{
	void *p = th_arena_alloc(a, n);

	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

char *th_arena_strndup(struct conn_arena *a, const char *s, size_t n)
{
	char *p;

	if (!s || n == SIZE_MAX)
		return NULL;
	p = th_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *th_arena_memdup(struct conn_arena *a, const void *p, size_t n)
{
	void *q;

	if (!p && n)
		return NULL;
	q = th_arena_alloc(a, n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

/*
 * Grows an arena array of elem-sized entries holding *n of *cap to room for
 * one more. The old array is left in the arena: doubling keeps the waste
 * below the final size.
 */
static void *arena_grow(struct conn_arena *a, void *old, size_t n, size_t *cap,
                        size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return old;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > SIZE_MAX / elem)
		return NULL;
	p = th_arena_alloc(a, ncap * elem);
	if (!p)
		return NULL;
	if (n)
		memcpy(p, old, n * elem);
	*cap = ncap;
	return p;
}

/* --- Type names ----------------------------------------------------------- */

static const char *const type_names[] = {
    [CONN_NULL] = "NULL",       [CONN_INT8] = "INT8",
    [CONN_INT16] = "INT16",     [CONN_INT32] = "INT32",
    [CONN_INT64] = "INT64",     [CONN_FLOAT32] = "FLOAT32",
    [CONN_FLOAT64] = "FLOAT64", [CONN_BOOLEAN] = "BOOLEAN",
    [CONN_STRING] = "STRING",   [CONN_BYTES] = "BYTES",
    [CONN_ARRAY] = "ARRAY",     [CONN_MAP] = "MAP",
    [CONN_STRUCT] = "STRUCT",
};

const char *th_type_name(uint32_t type)
{
	if (type > CONN_STRUCT)
		return "UNKNOWN";
	return type_names[type];
}

static bool is_int_type(uint32_t t)
{
	return t >= CONN_INT8 && t <= CONN_INT64;
}

static bool is_float_type(uint32_t t)
{
	return t == CONN_FLOAT32 || t == CONN_FLOAT64;
}

static bool is_null(const struct conn_value *v)
{
	return !v || v->type == CONN_NULL;
}

static bool is_container(const struct conn_value *v)
{
	return v && (v->type == CONN_ARRAY || v->type == CONN_MAP ||
	             v->type == CONN_STRUCT);
}

/* --- Schemas -------------------------------------------------------------- */

#define STD_SCHEMA(t, opt)                                        \
	{                                                         \
		.type = (t), .optional = (opt), .is_static = true \
	}

/* Schema.INT8_SCHEMA ... Schema.OPTIONAL_BYTES_SCHEMA; index 0 unused. */
static const struct conn_schema std_schemas[2][CONN_BYTES + 1] = {
    {
        STD_SCHEMA(CONN_NULL, false),
        STD_SCHEMA(CONN_INT8, false),
        STD_SCHEMA(CONN_INT16, false),
        STD_SCHEMA(CONN_INT32, false),
        STD_SCHEMA(CONN_INT64, false),
        STD_SCHEMA(CONN_FLOAT32, false),
        STD_SCHEMA(CONN_FLOAT64, false),
        STD_SCHEMA(CONN_BOOLEAN, false),
        STD_SCHEMA(CONN_STRING, false),
        STD_SCHEMA(CONN_BYTES, false),
    },
    {
        STD_SCHEMA(CONN_NULL, true),
        STD_SCHEMA(CONN_INT8, true),
        STD_SCHEMA(CONN_INT16, true),
        STD_SCHEMA(CONN_INT32, true),
        STD_SCHEMA(CONN_INT64, true),
        STD_SCHEMA(CONN_FLOAT32, true),
        STD_SCHEMA(CONN_FLOAT64, true),
        STD_SCHEMA(CONN_BOOLEAN, true),
        STD_SCHEMA(CONN_STRING, true),
        STD_SCHEMA(CONN_BYTES, true),
    },
};

static const struct conn_schema *schema_std(uint32_t type, bool optional)
{
	if (type < CONN_INT8 || type > CONN_BYTES)
		return NULL;
	return &std_schemas[optional ? 1 : 0][type];
}

static struct conn_schema *schema_alloc(struct conn_arena *a, uint32_t type)
{
	struct conn_schema *s;

	if (!a || type < CONN_INT8 || type > CONN_STRUCT) {
		errno = EINVAL;
		return NULL;
	}
	s = th_arena_zalloc(a, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->type = type;
	s->arena = a;
	return s;
}

static struct conn_schema *schema_new(struct conn_arena *a, uint32_t type)
{
	if (type == CONN_ARRAY || type == CONN_MAP) {
		errno = EINVAL;
		return NULL;
	}
	return schema_alloc(a, type);
}

static struct conn_schema *schema_array(struct conn_arena *a,
                                        const struct conn_schema *items)
{
	struct conn_schema *s;

	if (!items) {
		errno = EINVAL;
		return NULL;
	}
	s = schema_alloc(a, CONN_ARRAY);
	if (s)
		s->keys = items;
	return s;
}

static struct conn_schema *schema_map(struct conn_arena *a,
                                      const struct conn_schema *keys,
                                      const struct conn_schema *values)
{
	struct conn_schema *s;

	if (!keys || !values) {
		errno = EINVAL;
		return NULL;
	}
	s = schema_alloc(a, CONN_MAP);
	if (s) {
		s->keys = keys;
		s->values = values;
	}
	return s;
}

static int schema_set_name(struct conn_schema *s, const char *name);
static int schema_set_param(struct conn_schema *s, const char *key,
                            const char *value);

/* A logical type: a named, version-1 schema, as Kafka's Decimal.builder(). */
static struct conn_schema *schema_logical(struct conn_arena *a, uint32_t type,
                                          const char *name)
{
	struct conn_schema *s = schema_alloc(a, type);

	if (!s)
		return NULL;
	if (schema_set_name(s, name) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	s->version = 1;
	return s;
}

static struct conn_schema *schema_decimal(struct conn_arena *a, int scale)
{
	struct conn_schema *s;
	char buf[16];

	s = schema_logical(a, CONN_BYTES, CONN_LOGICAL_DECIMAL);
	if (!s)
		return NULL;
	snprintf(buf, sizeof(buf), "%d", scale);
	if (schema_set_param(s, CONN_DECIMAL_SCALE, buf) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

static struct conn_schema *schema_date(struct conn_arena *a)
{
	return schema_logical(a, CONN_INT32, CONN_LOGICAL_DATE);
}

static struct conn_schema *schema_time(struct conn_arena *a)
{
	return schema_logical(a, CONN_INT32, CONN_LOGICAL_TIME);
}

static struct conn_schema *schema_timestamp(struct conn_arena *a)
{
	return schema_logical(a, CONN_INT64, CONN_LOGICAL_TIMESTAMP);
}

static bool schema_mutable(const struct conn_schema *s)
{
	return s && !s->is_static && s->arena;
}

static int schema_set_optional(struct conn_schema *s, bool optional)
{
	if (!schema_mutable(s))
		return -EINVAL;
	s->optional = optional;
	return 0;
}

/* Copies an optional UTF-8 string into the schema's arena. */
static int schema_string(struct conn_schema *s, const char *in,
                         const char **out)
{
	char *p;

	if (!schema_mutable(s))
		return -EINVAL;
	if (!in) {
		*out = NULL;
		return 0;
	}
	if (!th_utf8_valid(in, strlen(in)))
		return -EINVAL;
	p = th_arena_strndup(s->arena, in, strlen(in));
	if (!p)
		return -ENOMEM;
	*out = p;
	return 0;
}

static int schema_set_name(struct conn_schema *s, const char *name)
{
	if (!s)
		return -EINVAL;
	return schema_string(s, name, &s->name);
}

static int schema_set_version(struct conn_schema *s, int32_t version)
{
	if (!schema_mutable(s))
		return -EINVAL;
	s->version = version;
	return 0;
}

static int schema_set_doc(struct conn_schema *s, const char *doc)
{
	if (!s)
		return -EINVAL;
	return schema_string(s, doc, &s->doc);
}

static int schema_set_param(struct conn_schema *s, const char *key,
                            const char *value)
{
	const char *k, *v;
	struct th_param *params;
	int rc;

	if (!schema_mutable(s) || !key || !value)
		return -EINVAL;
	rc = schema_string(s, value, &v);
	if (rc)
		return rc;
	/* Parameters keep their insertion order, as SchemaBuilder's map. */
	for (size_t i = 0; i < s->nparams; i++) {
		if (strcmp(s->params[i].key, key) == 0) {
			s->params[i].value = v;
			return 0;
		}
	}
	rc = schema_string(s, key, &k);
	if (rc)
		return rc;
	params = arena_grow(s->arena, s->params, s->nparams, &s->capparams,
	                    sizeof(*params));
	if (!params)
		return -ENOMEM;
	s->params = params;
	s->params[s->nparams].key = k;
	s->params[s->nparams].value = v;
	s->nparams++;
	return 0;
}

static int schema_set_default(struct conn_schema *s, const struct conn_value *v)
{
	if (!schema_mutable(s))
		return -EINVAL;
	if (is_null(v)) {
		s->def = NULL;
		return 0;
	}
	if (th_value_validate(s, v, NULL, 0) != 0)
		return -EINVAL;
	s->def = v;
	return 0;
}

/* Whether schema target is reachable from s (which would close a cycle). */
static bool schema_reaches(const struct conn_schema *s,
                           const struct conn_schema *target, int depth)
{
	if (!s)
		return false;
	if (s == target || depth > TH_MAX_DEPTH)
		return true;
	if (schema_reaches(s->keys, target, depth + 1) ||
	    schema_reaches(s->values, target, depth + 1))
		return true;
	for (size_t i = 0; i < s->nfields; i++)
		if (schema_reaches(s->fields[i].schema, target, depth + 1))
			return true;
	return false;
}

static int schema_add_field(struct conn_schema *s, const char *name,
                            const struct conn_schema *field)
{
	struct th_field *fields;
	const char *n;
	int rc;

	if (!schema_mutable(s) || s->type != CONN_STRUCT || !name || !*name ||
	    !field)
		return -EINVAL;
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return -EINVAL;
	if (schema_reaches(field, s, 0))
		return -EINVAL;
	rc = schema_string(s, name, &n);
	if (rc)
		return rc;
	fields = arena_grow(s->arena, s->fields, s->nfields, &s->capfields,
	                    sizeof(*fields));
	if (!fields)
		return -ENOMEM;
	s->fields = fields;
	s->fields[s->nfields].name = n;
	s->fields[s->nfields].schema = field;
	s->nfields++;
	return 0;
}

static uint32_t schema_type(const struct conn_schema *s)
{
	return s ? s->type : CONN_NULL;
}

static bool schema_optional(const struct conn_schema *s)
{
	return s && s->optional;
}

static const char *schema_name(const struct conn_schema *s)
{
	return s ? s->name : NULL;
}

static int32_t schema_version(const struct conn_schema *s)
{
	return s ? s->version : 0;
}

static const char *schema_doc(const struct conn_schema *s)
{
	return s ? s->doc : NULL;
}

static const char *schema_param(const struct conn_schema *s, const char *key)
{
	if (!s || !key)
		return NULL;
	for (size_t i = 0; i < s->nparams; i++)
		if (strcmp(s->params[i].key, key) == 0)
			return s->params[i].value;
	return NULL;
}

static const struct conn_value *schema_default(const struct conn_schema *s)
{
	return s ? s->def : NULL;
}

static size_t schema_field_count(const struct conn_schema *s)
{
	return s && s->type == CONN_STRUCT ? s->nfields : 0;
}

static const char *schema_field_name(const struct conn_schema *s, size_t i)
{
	return i < schema_field_count(s) ? s->fields[i].name : NULL;
}

static const struct conn_schema *
schema_field_schema(const struct conn_schema *s, size_t i)
{
	return i < schema_field_count(s) ? s->fields[i].schema : NULL;
}

static const struct conn_schema *schema_keys(const struct conn_schema *s)
{
	return s && (s->type == CONN_ARRAY || s->type == CONN_MAP) ? s->keys
	                                                           : NULL;
}

static const struct conn_schema *schema_values(const struct conn_schema *s)
{
	return s && s->type == CONN_MAP ? s->values : NULL;
}

/* The index of field name in struct schema s, or -1. */
static long field_index(const struct conn_schema *s, const char *name)
{
	if (!s || s->type != CONN_STRUCT || !name)
		return -1;
	for (size_t i = 0; i < s->nfields; i++)
		if (strcmp(s->fields[i].name, name) == 0)
			return (long)i;
	return -1;
}

static bool str_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool value_equal(const struct conn_value *a, const struct conn_value *b,
                        int depth);

static bool schema_equal(const struct conn_schema *a,
                         const struct conn_schema *b, int depth)
{
	if (a == b)
		return true;
	if (!a || !b || depth > TH_MAX_DEPTH)
		return false;
	if (a->type != b->type || a->optional != b->optional ||
	    a->version != b->version || !str_equal(a->name, b->name) ||
	    !str_equal(a->doc, b->doc) || a->nparams != b->nparams ||
	    a->nfields != b->nfields)
		return false;
	for (size_t i = 0; i < a->nparams; i++)
		if (!str_equal(a->params[i].value,
		               schema_param(b, a->params[i].key)))
			return false;
	if ((a->def == NULL) != (b->def == NULL) ||
	    (a->def && !value_equal(a->def, b->def, depth + 1)))
		return false;
	for (size_t i = 0; i < a->nfields; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
		    !schema_equal(a->fields[i].schema, b->fields[i].schema,
		                  depth + 1))
			return false;
	return schema_equal(a->keys, b->keys, depth + 1) &&
	       schema_equal(a->values, b->values, depth + 1);
}

bool th_schema_equal(const struct conn_schema *a, const struct conn_schema *b)
{
	return schema_equal(a, b, 0);
}

/* --- Values --------------------------------------------------------------- */

static struct conn_value *value_alloc(struct conn_arena *a, uint32_t type)
{
	struct conn_value *v;

	if (!a) {
		errno = EINVAL;
		return NULL;
	}
	v = th_arena_zalloc(a, sizeof(*v));
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v->type = type;
	return v;
}

static struct conn_value *value_null(struct conn_arena *a)
{
	return value_alloc(a, CONN_NULL);
}

static struct conn_value *value_bool(struct conn_arena *a, bool b)
{
	struct conn_value *v = value_alloc(a, CONN_BOOLEAN);

	if (v)
		v->u.b = b;
	return v;
}

static struct conn_value *value_int(struct conn_arena *a, uint32_t type,
                                    int64_t i)
{
	static const int64_t lim[][2] = {
	    [CONN_INT8] = {INT8_MIN, INT8_MAX},
	    [CONN_INT16] = {INT16_MIN, INT16_MAX},
	    [CONN_INT32] = {INT32_MIN, INT32_MAX},
	    [CONN_INT64] = {INT64_MIN, INT64_MAX},
	};
	struct conn_value *v;

	if (!is_int_type(type) || i < lim[type][0] || i > lim[type][1]) {
		errno = EINVAL;
		return NULL;
	}
	v = value_alloc(a, type);
	if (v)
		v->u.i = i;
	return v;
}

static struct conn_value *value_float(struct conn_arena *a, uint32_t type,
                                      double d)
{
	struct conn_value *v;

	if (!is_float_type(type)) {
		errno = EINVAL;
		return NULL;
	}
	if (type == CONN_FLOAT32) {
		/* A finite double beyond the float range would silently become
		 * an infinity, as Java's cast does; refuse it instead. */
		float f = (float)d;

		if (isinf(f) && !isinf(d)) {
			errno = EINVAL;
			return NULL;
		}
		d = f;
	}
	v = value_alloc(a, type);
	if (v)
		v->u.f = d;
	return v;
}

static struct conn_value *value_blob(struct conn_arena *a, uint32_t type,
                                     const void *p, size_t len)
{
	struct conn_value *v;
	char *copy;

	if (!p && len) {
		errno = EINVAL;
		return NULL;
	}
	v = value_alloc(a, type);
	if (!v)
		return NULL;
	/* Bytes get a NUL too: harmless, and strings need it. */
	copy = th_arena_strndup(a, len ? p : "", len);
	if (!copy) {
		errno = ENOMEM;
		return NULL;
	}
	v->u.s.p = copy;
	v->u.s.n = len;
	return v;
}

struct conn_value *th_value_string_checked(struct conn_arena *a, const char *s,
                                           size_t len)
{
	return value_blob(a, CONN_STRING, s, len);
}

static struct conn_value *value_string(struct conn_arena *a, const char *s,
                                       size_t len)
{
	if (!th_utf8_valid(s, len)) {
		errno = EINVAL;
		return NULL;
	}
	return th_value_string_checked(a, s, len);
}

static struct conn_value *value_bytes(struct conn_arena *a, const void *p,
                                      size_t len)
{
	return value_blob(a, CONN_BYTES, p, len);
}

static struct conn_value *value_container(struct conn_arena *a, uint32_t type)
{
	struct conn_value *v = value_alloc(a, type);

	if (v)
		v->u.c.arena = a;
	return v;
}

static struct conn_value *value_array(struct conn_arena *a)
{
	return value_container(a, CONN_ARRAY);
}

static struct conn_value *value_map(struct conn_arena *a)
{
	return value_container(a, CONN_MAP);
}

static struct conn_value *value_struct(struct conn_arena *a,
                                       const struct conn_schema *s)
{
	struct conn_value *v;

	if (!s || s->type != CONN_STRUCT) {
		errno = EINVAL;
		return NULL;
	}
	v = value_alloc(a, CONN_STRUCT);
	if (!v)
		return NULL;
	v->u.st.schema = s;
	v->u.st.n = s->nfields;
	v->u.st.fields =
	    th_arena_zalloc(a, s->nfields * sizeof(*v->u.st.fields));
	if (!v->u.st.fields) {
		errno = ENOMEM;
		return NULL;
	}
	return v;
}

/*
 * Whether target is reachable from v. Inserting v into target would then
 * close a cycle, which would send every later walk into a loop. The walk
 * is bounded: past TH_MAX_DEPTH the answer is "yes", which refuses the
 * insertion of a value too deep to walk anyway.
 */
static bool value_reaches(const struct conn_value *v,
                          const struct conn_value *target, int depth)
{
	if (!is_container(v))
		return false;
	if (v == target || depth > TH_MAX_DEPTH)
		return true;
	if (v->type == CONN_STRUCT) {
		for (size_t i = 0; i < v->u.st.n; i++)
			if (value_reaches(v->u.st.fields[i], target, depth + 1))
				return true;
		return false;
	}
	for (size_t i = 0; i < v->u.c.n; i++) {
		if (value_reaches(v->u.c.vals[i], target, depth + 1))
			return true;
		if (v->type == CONN_MAP &&
		    value_reaches(v->u.c.keys[i], target, depth + 1))
			return true;
	}
	return false;
}

static int container_append(struct conn_value *c, const struct conn_value *key,
                            const struct conn_value *val)
{
	const struct conn_value **vals, **keys = c->u.c.keys;
	size_t cap = c->u.c.cap;

	vals = arena_grow(c->u.c.arena, c->u.c.vals, c->u.c.n, &cap,
	                  sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (c->type == CONN_MAP) {
		size_t kcap = c->u.c.cap;

		keys = arena_grow(c->u.c.arena, c->u.c.keys, c->u.c.n, &kcap,
		                  sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		keys[c->u.c.n] = key;
	}
	c->u.c.vals = vals;
	c->u.c.keys = keys;
	c->u.c.cap = cap;
	vals[c->u.c.n] = val;
	c->u.c.n++;
	return 0;
}

static int array_append(struct conn_value *arr, const struct conn_value *item)
{
	if (!arr || arr->type != CONN_ARRAY || value_reaches(item, arr, 0))
		return -EINVAL;
	return container_append(arr, NULL, item);
}

int th_map_append(struct conn_value *map, const struct conn_value *key,
                  const struct conn_value *val)
{
	if (!map || map->type != CONN_MAP || is_null(key))
		return -EINVAL;
	return container_append(map, key, val);
}

static int map_put(struct conn_value *map, const struct conn_value *key,
                   const struct conn_value *val)
{
	if (!map || map->type != CONN_MAP || is_null(key) ||
	    value_reaches(key, map, 0) || value_reaches(val, map, 0))
		return -EINVAL;
	/* A Java Map holds each key once: an equal key gets the new value. */
	for (size_t i = 0; i < map->u.c.n; i++) {
		if (value_equal(map->u.c.keys[i], key, 0)) {
			map->u.c.vals[i] = val;
			return 0;
		}
	}
	return container_append(map, key, val);
}

static int struct_put(struct conn_value *st, const char *field,
                      const struct conn_value *val)
{
	long i;

	if (!st || st->type != CONN_STRUCT)
		return -EINVAL;
	i = field_index(st->u.st.schema, field);
	if (i < 0 || (size_t)i >= st->u.st.n || value_reaches(val, st, 0))
		return -EINVAL;
	/* As Kafka's Struct.put: the value must fit the field's schema. A
	 * null is allowed here (a required field is checked when the struct
	 * is validated as a whole). */
	if (!is_null(val) &&
	    th_value_validate(st->u.st.schema->fields[i].schema, val, NULL,
	                      0) != 0)
		return -EINVAL;
	st->u.st.fields[i] = is_null(val) ? NULL : val;
	return 0;
}

static uint32_t value_type(const struct conn_value *v)
{
	return v ? v->type : CONN_NULL;
}

static int64_t value_int_get(const struct conn_value *v)
{
	if (!v)
		return 0;
	if (is_int_type(v->type))
		return v->u.i;
	if (v->type == CONN_BOOLEAN)
		return v->u.b;
	return 0;
}

static double value_float_get(const struct conn_value *v)
{
	if (!v)
		return 0;
	if (is_float_type(v->type))
		return v->u.f;
	if (is_int_type(v->type))
		return (double)v->u.i;
	return 0;
}

static bool value_bool_get(const struct conn_value *v)
{
	return v && v->type == CONN_BOOLEAN && v->u.b;
}

static const char *value_string_get(const struct conn_value *v, size_t *len)
{
	if (!v || v->type != CONN_STRING) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = v->u.s.n;
	return v->u.s.p;
}

static const void *value_bytes_get(const struct conn_value *v, size_t *len)
{
	if (!v || v->type != CONN_BYTES) {
		if (len)
			*len = 0;
		return NULL;
	}
	if (len)
		*len = v->u.s.n;
	return v->u.s.p;
}

static size_t value_count(const struct conn_value *v)
{
	if (!v)
		return 0;
	if (v->type == CONN_ARRAY || v->type == CONN_MAP)
		return v->u.c.n;
	if (v->type == CONN_STRUCT)
		return v->u.st.schema->nfields;
	return 0;
}

/* A struct field as Kafka's Struct.get returns it: the field's default
 * value when it is unset. */
static const struct conn_value *struct_field(const struct conn_value *st,
                                             size_t i)
{
	const struct conn_value *v = NULL;

	if (i >= st->u.st.schema->nfields)
		return NULL;
	if (i < st->u.st.n)
		v = st->u.st.fields[i];
	if (is_null(v))
		v = st->u.st.schema->fields[i].schema->def;
	return v;
}

static const struct conn_value *value_at(const struct conn_value *v, size_t i)
{
	if (!v)
		return NULL;
	if ((v->type == CONN_ARRAY || v->type == CONN_MAP) && i < v->u.c.n)
		return v->u.c.vals[i];
	if (v->type == CONN_STRUCT)
		return struct_field(v, i);
	return NULL;
}

static const struct conn_value *value_key_at(const struct conn_value *v,
                                             size_t i)
{
	if (!v || v->type != CONN_MAP || i >= v->u.c.n)
		return NULL;
	return v->u.c.keys[i];
}

static const struct conn_value *struct_get(const struct conn_value *st,
                                           const char *field)
{
	long i;

	if (!st || st->type != CONN_STRUCT)
		return NULL;
	i = field_index(st->u.st.schema, field);
	return i < 0 ? NULL : struct_field(st, (size_t)i);
}

static const struct conn_schema *value_schema(const struct conn_value *v)
{
	return v && v->type == CONN_STRUCT ? v->u.st.schema : NULL;
}

/* --- Equality ------------------------------------------------------------- */

static bool map_has(const struct conn_value *m, const struct conn_value *k,
                    const struct conn_value *v, int depth)
{
	for (size_t i = 0; i < m->u.c.n; i++)
		if (value_equal(m->u.c.keys[i], k, depth) &&
		    value_equal(m->u.c.vals[i], v, depth))
			return true;
	return false;
}

static bool value_equal(const struct conn_value *a, const struct conn_value *b,
                        int depth)
{
	if (is_null(a) || is_null(b))
		return is_null(a) && is_null(b);
	if (a == b)
		return true;
	if (depth > TH_MAX_DEPTH)
		return false;
	if (is_int_type(a->type) && is_int_type(b->type))
		return a->u.i == b->u.i;
	if (is_float_type(a->type) && is_float_type(b->type))
		return a->u.f == b->u.f || (isnan(a->u.f) && isnan(b->u.f));
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case CONN_BOOLEAN:
		return a->u.b == b->u.b;
	case CONN_STRING:
	case CONN_BYTES:
		return a->u.s.n == b->u.s.n &&
		       memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
	case CONN_ARRAY:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (size_t i = 0; i < a->u.c.n; i++)
			if (!value_equal(a->u.c.vals[i], b->u.c.vals[i],
			                 depth + 1))
				return false;
		return true;
	case CONN_MAP:
		if (a->u.c.n != b->u.c.n)
			return false;
		for (size_t i = 0; i < a->u.c.n; i++)
			if (!map_has(b, a->u.c.keys[i], a->u.c.vals[i],
			             depth + 1))
				return false;
		return true;
	case CONN_STRUCT:
		if (!schema_equal(a->u.st.schema, b->u.st.schema, depth + 1))
			return false;
		for (size_t i = 0; i < a->u.st.schema->nfields; i++) {
			const struct conn_value *x = NULL, *y = NULL;

			if (i < a->u.st.n)
				x = a->u.st.fields[i];
			if (i < b->u.st.n)
				y = b->u.st.fields[i];
			if (!value_equal(x, y, depth + 1))
				return false;
		}
		return true;
	default:
		return false;
	}
}

bool th_value_equal(const struct conn_value *a, const struct conn_value *b)
{
	return value_equal(a, b, 0);
}

/* --- Validation ----------------------------------------------------------- */

/* The walk's state: the path of the value being checked ("address.zip"). */
struct vwalk {
	char path[256];
	size_t len;
	char *err;
	size_t errlen;
};

static void vwalk_fail(struct vwalk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void vwalk_fail(struct vwalk *w, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!w->err || !w->errlen)
		return;
	if (w->len)
		n = snprintf(w->err, w->errlen, "field \"%s\": ", w->path);
	else
		n = snprintf(w->err, w->errlen, "value: ");
	if (n < 0 || (size_t)n >= w->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(w->err + n, w->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* Appends a path element; returns the old length to restore. */
static size_t vwalk_push(struct vwalk *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static size_t vwalk_push(struct vwalk *w, const char *fmt, ...)
{
	size_t old = w->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(w->path + w->len, sizeof(w->path) - w->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		w->len += (size_t)n;
	if (w->len >= sizeof(w->path))
		w->len = sizeof(w->path) - 1;
	return old;
}

static void vwalk_pop(struct vwalk *w, size_t old)
{
	w->len = old;
	w->path[old] = '\0';
}

static int validate(const struct conn_schema *s, const struct conn_value *v,
                    struct vwalk *w, int depth)
{
	size_t old;
	int rc = 0;

	if (!s)
		return 0;
	if (depth > TH_MAX_DEPTH) {
		vwalk_fail(w, "nested deeper than %d levels", TH_MAX_DEPTH);
		return -EINVAL;
	}
	if (is_null(v)) {
		if (s->optional || s->def)
			return 0;
		vwalk_fail(w, "null used for required %s",
		           th_type_name(s->type));
		return -EINVAL;
	}
	if (v->type != s->type) {
		vwalk_fail(w, "expected %s, got %s", th_type_name(s->type),
		           th_type_name(v->type));
		return -EINVAL;
	}
	switch (s->type) {
	case CONN_ARRAY:
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			old = vwalk_push(w, "[%zu]", i);
			rc = validate(s->keys, v->u.c.vals[i], w, depth + 1);
			vwalk_pop(w, old);
		}
		return rc;
	case CONN_MAP:
		for (size_t i = 0; i < v->u.c.n && !rc; i++) {
			old = vwalk_push(w, "[%zu].key", i);
			rc = validate(s->keys, v->u.c.keys[i], w, depth + 1);
			vwalk_pop(w, old);
			if (rc)
				break;
			old = vwalk_push(w, "[%zu]", i);
			rc = validate(s->values, v->u.c.vals[i], w, depth + 1);
			vwalk_pop(w, old);
		}
		return rc;
	case CONN_STRUCT:
		if (!schema_equal(v->u.st.schema, s, depth + 1)) {
			vwalk_fail(w, "struct schemas do not match");
			return -EINVAL;
		}
		for (size_t i = 0; i < s->nfields && !rc; i++) {
			const struct conn_value *f = NULL;

			if (i < v->u.st.n)
				f = v->u.st.fields[i];
			old = vwalk_push(w, "%s%s", w->len ? "." : "",
			                 s->fields[i].name);
			rc = validate(s->fields[i].schema, f, w, depth + 1);
			vwalk_pop(w, old);
		}
		return rc;
	default:
		return 0;
	}
}

int th_value_validate(const struct conn_schema *s, const struct conn_value *v,
                      char *err, size_t errlen)
{
	struct vwalk w = {.err = err, .errlen = errlen};

	return validate(s, v, &w, 0);
}

/* --- Records and batches -------------------------------------------------- */

struct conn_batch *th_batch_new(void)
{
	struct conn_batch *b = calloc(1, sizeof(*b));

	if (!b)
		goto out_nomem;
	b->arena = th_arena_new();
	if (!b->arena)
		goto out_free_batch;
	return b;

out_free_batch:
	free(b);
out_nomem:
	errno = ENOMEM;
	return NULL;
}

void th_batch_free(struct conn_batch *b)
{
	if (!b)
		return;
	th_arena_free(b->arena);
	b->arena = NULL;
	free(b->recs);
	b->recs = NULL;
	free(b);
}

void th_batch_reset(struct conn_batch *b)
{
	if (!b)
		return;
	b->n = 0;
	b->last_topic = NULL;
	th_arena_reset(b->arena);
}

static struct conn_record *batch_append(struct conn_batch *b)
{
	struct conn_record *r;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct conn_record **recs;

		if (cap > SIZE_MAX / sizeof(*recs))
			return NULL;
		recs = realloc(b->recs, cap * sizeof(*recs));
		if (!recs)
			return NULL;
		b->recs = recs;
		b->cap = cap;
	}
	r = th_arena_zalloc(b->arena, sizeof(*r));
	if (!r)
		return NULL;
	r->partition = -1;
	r->offset = -1;
	r->timestamp = -1;
	r->batch = b;
	b->recs[b->n++] = r;
	return r;
}

static struct conn_record *record_add(struct conn_batch *b)
{
	struct conn_record *r;

	if (!b) {
		errno = EINVAL;
		return NULL;
	}
	r = batch_append(b);
	if (!r)
		errno = ENOMEM;
	return r;
}

struct conn_record *th_batch_add_sink(struct conn_batch *b, const char *topic,
                                      size_t topiclen, int32_t partition,
                                      int64_t offset, int64_t timestamp)
{
	struct conn_record *r;

	if (!b || !topic) {
		errno = EINVAL;
		return NULL;
	}
	r = batch_append(b);
	if (!r)
		goto out_nomem;
	r->topic = th_arena_strndup(b->arena, topic, topiclen);
	if (!r->topic) {
		b->n--;
		goto out_nomem;
	}
	r->partition = partition;
	r->offset = offset;
	r->timestamp = timestamp;
	return r;

out_nomem:
	errno = ENOMEM;
	return NULL;
}

/* A source record the plugin may still change (not one from put()). */
static bool record_writable(const struct conn_record *r)
{
	return r && r->offset < 0 && r->batch;
}

/* Kafka's topic name rules (Topic.validate): 1..249 of [a-zA-Z0-9._-],
 * and not "." or "..". */
static bool topic_valid(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

static int record_set_topic(struct conn_record *r, const char *topic)
{
	char *t;

	if (!record_writable(r) || !topic)
		return -EINVAL;
	/* most batches go to one topic: copy and check it once */
	if (r->batch->last_topic && strcmp(r->batch->last_topic, topic) == 0) {
		r->topic = r->batch->last_topic;
		return 0;
	}
	if (!topic_valid(topic))
		return -EINVAL;
	t = th_arena_strndup(r->batch->arena, topic, strlen(topic));
	if (!t)
		return -ENOMEM;
	r->topic = r->batch->last_topic = t;
	return 0;
}

static int record_set_partition(struct conn_record *r, int32_t partition)
{
	if (!record_writable(r) || partition < 0)
		return -EINVAL;
	r->partition = partition;
	return 0;
}

static int record_set_key(struct conn_record *r, const struct conn_schema *s,
                          const struct conn_value *v)
{
	if (!record_writable(r))
		return -EINVAL;
	r->key_schema = s;
	r->key = is_null(v) ? NULL : v;
	return 0;
}

static int record_set_value(struct conn_record *r, const struct conn_schema *s,
                            const struct conn_value *v)
{
	if (!record_writable(r))
		return -EINVAL;
	r->value_schema = s;
	r->value = is_null(v) ? NULL : v;
	return 0;
}

static int record_set_timestamp(struct conn_record *r, int64_t ms)
{
	if (!record_writable(r) || ms < 0)
		return -EINVAL;
	r->timestamp = ms;
	return 0;
}

static int record_add_header(struct conn_record *r, const char *key,
                             const struct conn_schema *s,
                             const struct conn_value *v)
{
	struct th_header *h;
	char *k;

	if (!record_writable(r) || !key || !th_utf8_valid(key, strlen(key)))
		return -EINVAL;
	k = th_arena_strndup(r->batch->arena, key, strlen(key));
	if (!k)
		return -ENOMEM;
	h = arena_grow(r->batch->arena, r->headers, r->nheaders, &r->capheaders,
	               sizeof(*h));
	if (!h)
		return -ENOMEM;
	r->headers = h;
	h[r->nheaders].key = k;
	h[r->nheaders].schema = s;
	h[r->nheaders].value = is_null(v) ? NULL : v;
	r->nheaders++;
	return 0;
}

/* Kafka Connect's OffsetUtils.validateFormat: a Map<String, ?> whose values
 * are primitives (we also refuse BYTES: JSON could not give them back). */
static bool source_map_valid(const struct conn_value *m)
{
	if (!m || m->type != CONN_MAP)
		return false;
	for (size_t i = 0; i < m->u.c.n; i++) {
		const struct conn_value *v = m->u.c.vals[i];

		if (m->u.c.keys[i]->type != CONN_STRING)
			return false;
		if (!is_null(v) && !is_int_type(v->type) &&
		    !is_float_type(v->type) && v->type != CONN_BOOLEAN &&
		    v->type != CONN_STRING)
			return false;
	}
	return true;
}

static int record_set_source(struct conn_record *r,
                             const struct conn_value *partition,
                             const struct conn_value *offset)
{
	if (!record_writable(r))
		return -EINVAL;
	if ((!is_null(partition) && !source_map_valid(partition)) ||
	    (!is_null(offset) && !source_map_valid(offset)))
		return -EINVAL;
	r->src_partition = is_null(partition) ? NULL : partition;
	r->src_offset = is_null(offset) ? NULL : offset;
	return 0;
}

static struct conn_arena *batch_arena(struct conn_batch *b)
{
	return b ? b->arena : NULL;
}

static size_t batch_count(const struct conn_batch *b)
{
	return b ? b->n : 0;
}

static const struct conn_record *batch_record(const struct conn_batch *b,
                                              size_t i)
{
	return b && i < b->n ? b->recs[i] : NULL;
}

static const char *record_topic(const struct conn_record *r)
{
	return r ? r->topic : NULL;
}

static int32_t record_partition(const struct conn_record *r)
{
	return r ? r->partition : -1;
}

static int64_t record_offset(const struct conn_record *r)
{
	return r ? r->offset : -1;
}

static int64_t record_timestamp(const struct conn_record *r)
{
	return r ? r->timestamp : -1;
}

static const struct conn_schema *record_key_schema(const struct conn_record *r)
{
	return r ? r->key_schema : NULL;
}

static const struct conn_value *record_key(const struct conn_record *r)
{
	return r ? r->key : NULL;
}

static const struct conn_schema *
record_value_schema(const struct conn_record *r)
{
	return r ? r->value_schema : NULL;
}

static const struct conn_value *record_value(const struct conn_record *r)
{
	return r ? r->value : NULL;
}

static size_t record_header_count(const struct conn_record *r)
{
	return r ? r->nheaders : 0;
}

static const char *record_header_key(const struct conn_record *r, size_t i)
{
	return r && i < r->nheaders ? r->headers[i].key : NULL;
}

static const struct conn_value *record_header_value(const struct conn_record *r,
                                                    size_t i)
{
	return r && i < r->nheaders ? r->headers[i].value : NULL;
}

/* --- Configs -------------------------------------------------------------- */

/* Option tables end at a NULL name; a missing terminator is cut off here. */
enum { MAX_OPTIONS = 4096 };

static const struct conn_option *option_at(const struct conn_option *options,
                                           size_t option_size, size_t i)
{
	const struct conn_option *o;

	if (!options || option_size < sizeof(struct conn_option) ||
	    i >= MAX_OPTIONS)
		return NULL;
	o = (const struct conn_option *)((const char *)options +
	                                 i * option_size);
	return o->name ? o : NULL;
}

const struct conn_option *th_option_find(const struct conn_option *options,
                                         size_t option_size, const char *key)
{
	const struct conn_option *o;

	if (!key)
		return NULL;
	for (size_t i = 0; (o = option_at(options, option_size, i)); i++)
		if (strcmp(o->name, key) == 0)
			return o;
	return NULL;
}

struct conn_config *th_config_new(const struct conn_option *options,
                                  size_t option_size)
{
	struct conn_config *c = calloc(1, sizeof(*c));

	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->options = options;
	c->option_size = option_size;
	return c;
}

void th_config_free(struct conn_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->kv[i].key);
		free(c->kv[i].value);
	}
	free(c->kv);
	c->kv = NULL;
	free(c);
}

/* Binary search: the index of key, or where it would go (*found false). */
static size_t config_find(const struct conn_config *c, const char *key,
                          bool *found)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->kv[mid].key, key);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int th_config_set(struct conn_config *c, const char *key, const char *value)
{
	char *k = NULL, *v = NULL;
	bool found;
	size_t i;

	if (!c || !key || !th_utf8_valid(key, strlen(key)) ||
	    (value && !th_utf8_valid(value, strlen(value))))
		return -EINVAL;
	i = config_find(c, key, &found);
	if (!value) {
		/* NULL unsets the key. */
		if (found) {
			free(c->kv[i].key);
			free(c->kv[i].value);
			memmove(&c->kv[i], &c->kv[i + 1],
			        (c->n - i - 1) * sizeof(*c->kv));
			c->n--;
		}
		return 0;
	}
	v = strdup(value);
	if (!v)
		goto out_nomem;
	if (found) {
		free(c->kv[i].value);
		c->kv[i].value = v;
		return 0;
	}
	k = strdup(key);
	if (!k)
		goto out_free_value;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct th_kv *kv = realloc(c->kv, cap * sizeof(*kv));

		if (!kv)
			goto out_free_key;
		c->kv = kv;
		c->cap = cap;
	}
	memmove(&c->kv[i + 1], &c->kv[i], (c->n - i) * sizeof(*c->kv));
	c->kv[i].key = k;
	c->kv[i].value = v;
	c->n++;
	return 0;

out_free_key:
	free(k);
out_free_value:
	free(v);
out_nomem:
	return -ENOMEM;
}

const char *th_config_raw(const struct conn_config *c, const char *key)
{
	bool found;
	size_t i;

	if (!c || !key)
		return NULL;
	i = config_find(c, key, &found);
	return found ? c->kv[i].value : NULL;
}

static const char *config_get(const struct conn_config *c, const char *key)
{
	const struct conn_option *o;
	const char *v = th_config_raw(c, key);

	if (v || !c)
		return v;
	o = th_option_find(c->options, c->option_size, key);
	return o ? o->default_value : NULL;
}

/* Java's String.trim(): drops chars <= ' ' at both ends. */
static const char *trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && (unsigned char)*s <= ' ') {
		s++;
		n--;
	}
	while (n && (unsigned char)s[n - 1] <= ' ')
		n--;
	*len = n;
	return s;
}

/* Long.parseLong of the trimmed value: [+-]digits, nothing else. */
static int parse_long(const char *s, int64_t min, int64_t max, int64_t *out)
{
	size_t n, i = 0;
	bool neg = false;
	uint64_t acc = 0, lim;

	s = trim(s, &n);
	if (n && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == n)
		return -EINVAL;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (acc > (lim - (uint64_t)(s[i] - '0')) / 10)
			return -EINVAL;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg) {
		int64_t v =
		    acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;

		if (v < min)
			return -EINVAL;
		*out = v;
	} else {
		if ((int64_t)acc > max)
			return -EINVAL;
		*out = (int64_t)acc;
	}
	return 0;
}

/*
 * Double.parseDouble of the trimmed value: a decimal number with optional
 * exponent and an optional f/F/d/D suffix, or NaN / [+-]Infinity. Hex
 * floats, which Java also takes, are refused.
 */
static int parse_double(const char *s, double *out)
{
	char buf[128];
	size_t n, i = 0, digits = 0;
	char *end;

	s = trim(s, &n);
	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (strcmp(buf, "NaN") == 0) {
		*out = NAN;
		return 0;
	}
	if (strcmp(buf, "Infinity") == 0 || strcmp(buf, "+Infinity") == 0) {
		*out = INFINITY;
		return 0;
	}
	if (strcmp(buf, "-Infinity") == 0) {
		*out = -INFINITY;
		return 0;
	}
	if (i < n && (buf[i] == '+' || buf[i] == '-'))
		i++;
	for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
		digits++;
	if (i < n && buf[i] == '.')
		for (i++; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
			digits++;
	if (!digits)
		return -EINVAL;
	if (i < n && (buf[i] == 'e' || buf[i] == 'E')) {
		size_t e = 0;

		i++;
		if (i < n && (buf[i] == '+' || buf[i] == '-'))
			i++;
		for (; i < n && buf[i] >= '0' && buf[i] <= '9'; i++)
			e++;
		if (!e)
			return -EINVAL;
	}
	if (i < n && strchr("fFdD", buf[i]))
		buf[i++] = '\0';
	if (i != n)
		return -EINVAL;
	*out = strtod(buf, &end);
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	size_t n;

	s = trim(s, &n);
	if (n == 4 && strncasecmp(s, "true", 4) == 0)
		*out = true;
	else if (n == 5 && strncasecmp(s, "false", 5) == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int config_get_long(const struct conn_config *c, const char *key,
                           int64_t *out)
{
	const struct conn_option *o;
	const char *v = config_get(c, key);
	int64_t min = INT64_MIN, max = INT64_MAX;

	if (!out)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	o = th_option_find(c->options, c->option_size, key);
	if (o && o->type == CONN_OPT_INT) {
		min = INT32_MIN;
		max = INT32_MAX;
	}
	return parse_long(v, min, max, out);
}

static int config_get_double(const struct conn_config *c, const char *key,
                             double *out)
{
	const char *v = config_get(c, key);

	if (!out)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	return parse_double(v, out);
}

static int config_get_bool(const struct conn_config *c, const char *key,
                           bool *out)
{
	const char *v = config_get(c, key);

	if (!out)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	return parse_bool(v, out);
}

int th_config_get_list(const struct conn_config *c, const char *key,
                       struct conn_arena *a, const char ***items, size_t *n)
{
	const char *v = config_get(c, key), *p, *comma;
	const char **list;
	size_t len, count = 1, i = 0;

	if (!a || !items || !n)
		return -EINVAL;
	if (!v)
		return -ENOENT;
	p = trim(v, &len);
	if (len == 0) {
		*items = NULL;
		*n = 0;
		return 0;
	}
	for (size_t k = 0; k < len; k++)
		count += p[k] == ',';
	list = th_arena_alloc(a, count * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (;;) {
		size_t seg, tlen;
		const char *t;
		char *copy;

		comma = memchr(p, ',', len);
		seg = comma ? (size_t)(comma - p) : len;
		/* Trim the item (Kafka splits at "\\s*,\\s*"). */
		t = p;
		tlen = seg;
		while (tlen && (unsigned char)*t <= ' ') {
			t++;
			tlen--;
		}
		while (tlen && (unsigned char)t[tlen - 1] <= ' ')
			tlen--;
		copy = th_arena_strndup(a, t, tlen);
		if (!copy)
			return -ENOMEM;
		list[i++] = copy;
		if (!comma)
			break;
		len -= seg + 1;
		p = comma + 1;
	}
	*items = list;
	*n = i;
	return 0;
}

static size_t config_count(const struct conn_config *c)
{
	return c ? c->n : 0;
}

static const char *config_key(const struct conn_config *c, size_t i)
{
	return c && i < c->n ? c->kv[i].key : NULL;
}

static const char *config_value(const struct conn_config *c, size_t i)
{
	return c && i < c->n ? c->kv[i].value : NULL;
}

static const char *const opt_type_names[] = {
    [CONN_OPT_STRING] = "STRING",     [CONN_OPT_INT] = "INT",
    [CONN_OPT_LONG] = "LONG",         [CONN_OPT_DOUBLE] = "DOUBLE",
    [CONN_OPT_BOOLEAN] = "BOOLEAN",   [CONN_OPT_LIST] = "LIST",
    [CONN_OPT_PASSWORD] = "PASSWORD", [CONN_OPT_CLASS] = "CLASS",
};

/* Checks one option's value (NULL: unset and no default). Writes Kafka's
 * ConfigException message to msg and returns -EINVAL on a problem. */
static int option_check(const struct conn_option *o, const char *raw,
                        const char *v, char *msg, size_t msglen)
{
	const char *shown = o->type == CONN_OPT_PASSWORD ? "[hidden]" : v;
	int64_t l;
	double d;
	bool b;
	size_t n;
	int rc = 0;

	if ((o->flags & CONN_OPT_REQUIRED) && !raw) {
		snprintf(msg, msglen,
		         "Missing required configuration \"%s\" which has no "
		         "default value.",
		         o->name);
		return -EINVAL;
	}
	if (!v)
		return 0;
	switch (o->type) {
	case CONN_OPT_INT:
		rc = parse_long(v, INT32_MIN, INT32_MAX, &l);
		break;
	case CONN_OPT_LONG:
		rc = parse_long(v, INT64_MIN, INT64_MAX, &l);
		break;
	case CONN_OPT_DOUBLE:
		rc = parse_double(v, &d);
		break;
	case CONN_OPT_BOOLEAN:
		if (parse_bool(v, &b) != 0) {
			snprintf(msg, msglen,
			         "Invalid value %s for configuration %s: "
			         "Expected value to be either true or false",
			         shown, o->name);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	if (rc) {
		snprintf(msg, msglen,
		         "Invalid value %s for configuration %s: Not a number "
		         "of type %s",
		         shown, o->name, opt_type_names[o->type]);
		return -EINVAL;
	}
	trim(v, &n);
	if ((o->flags & CONN_OPT_NONEMPTY) && n == 0) {
		snprintf(msg, msglen,
		         "Invalid value %s for configuration %s: %s must be "
		         "non-empty",
		         shown, o->name,
		         o->type == CONN_OPT_LIST ? "List" : "String");
		return -EINVAL;
	}
	return 0;
}

int th_config_check(const struct conn_config *cfg, struct conn_validation *v,
                    char *err, size_t errlen)
{
	const struct conn_option *o;
	char msg[1024];
	int problems = 0;

	if (!cfg)
		return 0;
	for (size_t i = 0; (o = option_at(cfg->options, cfg->option_size, i));
	     i++) {
		const char *raw = th_config_raw(cfg, o->name);
		const char *val = raw ? raw : o->default_value;

		if (option_check(o, raw, val, msg, sizeof(msg)) == 0)
			continue;
		if (problems == 0 && err && errlen)
			snprintf(err, errlen, "%s", msg);
		if (v)
			th_validation_add(v, o->name, msg);
		problems++;
	}
	return problems;
}

/* --- Task configs --------------------------------------------------------- */

/* More task configs than any worker would run is a plugin bug. */
enum { MAX_TASK_CONFIGS = 4096 };

struct conn_task_configs *th_task_configs_new(const struct conn_option *opts,
                                              size_t option_size)
{
	struct conn_task_configs *t = calloc(1, sizeof(*t));

	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->options = opts;
	t->option_size = option_size;
	return t;
}

void th_task_configs_free(struct conn_task_configs *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		th_config_free(t->tasks[i]);
	free(t->tasks);
	t->tasks = NULL;
	free(t);
}

static struct conn_config *task_config_add(struct conn_task_configs *t)
{
	struct conn_config *c;

	if (!t || t->n >= MAX_TASK_CONFIGS) {
		errno = EINVAL;
		return NULL;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct conn_config **tasks;

		tasks = realloc(t->tasks, cap * sizeof(*tasks));
		if (!tasks) {
			errno = ENOMEM;
			return NULL;
		}
		t->tasks = tasks;
		t->cap = cap;
	}
	c = th_config_new(t->options, t->option_size);
	if (!c)
		return NULL;
	t->tasks[t->n++] = c;
	return c;
}

/* --- Validations ---------------------------------------------------------- */

struct conn_validation *th_validation_new(void)
{
	struct conn_validation *v = calloc(1, sizeof(*v));

	if (!v)
		errno = ENOMEM;
	return v;
}

void th_validation_free(struct conn_validation *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->errs[i].key);
		free(v->errs[i].message);
	}
	free(v->errs);
	v->errs = NULL;
	free(v);
}

/*
 * Copies a plugin's string for the supervisor: at most 4 KiB, with bytes
 * that are not valid UTF-8 replaced by '?', so that it always encodes.
 */
static char *sanitized_copy(const char *s)
{
	size_t n = strnlen(s, 4096), i = 0;
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	while (i < n) {
		size_t k;

		/* Find the longest valid prefix of the rest, 1..4 bytes. */
		for (k = 4; k > 0; k--)
			if (i + k <= n && th_utf8_valid(p + i, k))
				break;
		if (k == 0) {
			p[i++] = '?';
			continue;
		}
		i += k;
	}
	return p;
}

void th_validation_add(struct conn_validation *v, const char *key,
                       const char *msg)
{
	char *k, *m;

	if (!v)
		return;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct th_verror *errs = realloc(v->errs, cap * sizeof(*errs));

		if (!errs)
			return;
		v->errs = errs;
		v->cap = cap;
	}
	k = sanitized_copy(key ? key : "");
	m = sanitized_copy(msg ? msg : "Invalid value");
	if (!k || !m)
		goto out_free;
	v->errs[v->n].key = k;
	v->errs[v->n].message = m;
	v->n++;
	return;

out_free:
	free(k);
	free(m);
}

/* --- Offsets -------------------------------------------------------------- */

struct conn_offsets *th_offsets_new(void)
{
	struct conn_offsets *o = calloc(1, sizeof(*o));

	if (!o)
		errno = ENOMEM;
	return o;
}

void th_offsets_free(struct conn_offsets *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		free(o->pos[i].topic);
	free(o->pos);
	o->pos = NULL;
	free(o);
}

int th_offsets_add(struct conn_offsets *o, const char *topic, size_t topiclen,
                   int32_t partition, int64_t offset)
{
	char *t;

	if (!o || !topic)
		return -EINVAL;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		struct th_position *pos = realloc(o->pos, cap * sizeof(*pos));

		if (!pos)
			return -ENOMEM;
		o->pos = pos;
		o->cap = cap;
	}
	t = strndup(topic, topiclen);
	if (!t)
		return -ENOMEM;
	o->pos[o->n].topic = t;
	o->pos[o->n].partition = partition;
	o->pos[o->n].offset = offset;
	o->n++;
	return 0;
}

static size_t offsets_count(const struct conn_offsets *o)
{
	return o ? o->n : 0;
}

static int offsets_at(const struct conn_offsets *o, size_t i,
                      const char **topic, int32_t *partition, int64_t *offset)
{
	if (!o || i >= o->n)
		return -EINVAL;
	if (topic)
		*topic = o->pos[i].topic;
	if (partition)
		*partition = o->pos[i].partition;
	if (offset)
		*offset = o->pos[i].offset;
	return 0;
}

/* Committing beyond what the host offers would skip records the task has
 * not made durable, so a higher offset is refused, not clamped. */
static int offsets_set(struct conn_offsets *o, const char *topic,
                       int32_t partition, int64_t offset)
{
	if (!o || !topic || offset < 0)
		return -EINVAL;
	for (size_t i = 0; i < o->n; i++) {
		struct th_position *p = &o->pos[i];

		if (p->partition != partition || strcmp(p->topic, topic) != 0)
			continue;
		if (offset > p->offset)
			return -EINVAL;
		p->offset = offset;
		return 0;
	}
	return -ENOENT;
}

/* --- Context -------------------------------------------------------------- */

static void host_log(struct conn_context *cx, int level, const char *msg)
{
	if (cx && cx->log && msg)
		cx->log(cx, level, msg);
}

static const char *host_task_dir(struct conn_context *cx)
{
	return cx ? cx->task_dir : NULL;
}

static const struct conn_value *offset_get(struct conn_context *cx,
                                           const struct conn_value *part)
{
	if (!cx || is_null(part))
		return NULL;
	for (size_t i = 0; i < cx->noff; i++)
		if (th_value_equal(cx->off_parts[i], part))
			return cx->off_vals[i];
	return NULL;
}

static void validation_error(struct conn_validation *v, const char *key,
                             const char *msg)
{
	th_validation_add(v, key, msg);
}

static int config_set(struct conn_config *c, const char *key, const char *value)
{
	return th_config_set(c, key, value);
}

/* --- The function table --------------------------------------------------- */

const struct conn_host th_host = {
    .abi = CONN_HOST_V1,
    .size = sizeof(struct conn_host),

    .log = host_log,
    .task_dir = host_task_dir,

    .config_get = config_get,
    .config_get_long = config_get_long,
    .config_get_double = config_get_double,
    .config_get_bool = config_get_bool,
    .config_count = config_count,
    .config_key = config_key,
    .config_value = config_value,
    .task_config_add = task_config_add,
    .config_set = config_set,
    .validation_error = validation_error,

    .arena_new = th_arena_new,
    .arena_free = th_arena_free,
    .batch_arena = batch_arena,

    .schema_std = schema_std,
    .schema_new = schema_new,
    .schema_array = schema_array,
    .schema_map = schema_map,
    .schema_decimal = schema_decimal,
    .schema_date = schema_date,
    .schema_time = schema_time,
    .schema_timestamp = schema_timestamp,
    .schema_set_optional = schema_set_optional,
    .schema_set_name = schema_set_name,
    .schema_set_version = schema_set_version,
    .schema_set_doc = schema_set_doc,
    .schema_set_param = schema_set_param,
    .schema_set_default = schema_set_default,
    .schema_add_field = schema_add_field,
    .schema_type = schema_type,
    .schema_optional = schema_optional,
    .schema_name = schema_name,
    .schema_version = schema_version,
    .schema_doc = schema_doc,
    .schema_param = schema_param,
    .schema_default = schema_default,
    .schema_field_count = schema_field_count,
    .schema_field_name = schema_field_name,
    .schema_field_schema = schema_field_schema,
    .schema_keys = schema_keys,
    .schema_values = schema_values,

    .value_null = value_null,
    .value_bool = value_bool,
    .value_int = value_int,
    .value_float = value_float,
    .value_string = value_string,
    .value_bytes = value_bytes,
    .value_array = value_array,
    .value_map = value_map,
    .value_struct = value_struct,
    .array_append = array_append,
    .map_put = map_put,
    .struct_put = struct_put,
    .value_type = value_type,
    .value_int_get = value_int_get,
    .value_float_get = value_float_get,
    .value_bool_get = value_bool_get,
    .value_string_get = value_string_get,
    .value_bytes_get = value_bytes_get,
    .value_count = value_count,
    .value_at = value_at,
    .value_key_at = value_key_at,
    .struct_get = struct_get,
    .value_schema = value_schema,

    .record_add = record_add,
    .record_set_topic = record_set_topic,
    .record_set_partition = record_set_partition,
    .record_set_key = record_set_key,
    .record_set_value = record_set_value,
    .record_set_timestamp = record_set_timestamp,
    .record_add_header = record_add_header,
    .record_set_source = record_set_source,

    .batch_count = batch_count,
    .batch_record = batch_record,
    .record_topic = record_topic,
    .record_partition = record_partition,
    .record_offset = record_offset,
    .record_timestamp = record_timestamp,
    .record_key_schema = record_key_schema,
    .record_key = record_key,
    .record_value_schema = record_value_schema,
    .record_value = record_value,
    .record_header_count = record_header_count,
    .record_header_key = record_header_key,
    .record_header_value = record_header_value,

    .offset_get = offset_get,
    .offsets_count = offsets_count,
    .offsets_at = offsets_at,
    .offsets_set = offsets_set,
};
