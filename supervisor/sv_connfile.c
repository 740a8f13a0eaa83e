/* sv_connfile.c: see sv_connfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "sv_connfile.h"
#include "sv_file.h"
#include "sv_log.h"
#include "sv_props.h"

static void cf_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool cf_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *cf_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

/*
 * The string form of a JSON scalar, as Jackson gives it for a String
 * field (see the header), as a new reference; NULL for null, objects and
 * arrays (errno EINVAL) or when out of memory (errno ENOMEM).
 */
static json_t *cf_string_of(const json_t *v)
{
	char buf[64];
	json_t *s;
	double d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_stringn(json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		         json_integer_value(v));
		s = json_string(buf);
		break;
	case JSON_REAL:
		d = json_real_value(v);
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		s = json_string(buf);
		break;
	case JSON_TRUE:
		s = json_string("true");
		break;
	case JSON_FALSE:
		s = json_string("false");
		break;
	default:
		errno = EINVAL;
		return NULL;
	}
	if (!s)
		errno = ENOMEM;
	return s;
}

/* A copy of s without the leading and trailing characters <= U+0020. */
static char *cf_trim(const char *s)
{
	size_t n;

	while (*s && (unsigned char)*s <= ' ')
		s++;
	n = strlen(s);
	while (n > 0 && (unsigned char)s[n - 1] <= ' ')
		n--;
	return strndup(s, n);
}

int sv_connfile_check_name(const char *name, char *err, size_t errlen)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0) {
		cf_err(err, errlen, "the connector name is empty");
		return -EINVAL;
	}
	if (n > SV_CONNFILE_NAME_MAX) {
		cf_err(err, errlen,
		       "the connector name is longer than %d bytes",
		       SV_CONNFILE_NAME_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned cp = 0;

		if (p[i] < 0x20 || p[i] == 0x7f)
			cp = p[i];
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8 */
		else if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			cp = p[i + 1];
		if (cp) {
			cf_err(err, errlen,
			       "the connector name contains the control "
			       "character U+%04X",
			       cp);
			return -EINVAL;
		}
		if (p[i] == '/') {
			cf_err(err, errlen,
			       "the connector name \"%s\" contains '/'", name);
			return -EINVAL;
		}
	}
	if (p[0] == ' ' || p[n - 1] == ' ') {
		cf_err(err, errlen,
		       "the connector name \"%s\" starts or ends with a space",
		       name);
		return -EINVAL;
	}
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		cf_err(err, errlen, "the connector name must not be \"%s\"",
		       name);
		return -EINVAL;
	}
	return 0;
}

static struct sv_connfile *cf_new(void)
{
	struct sv_connfile *cf = calloc(1, sizeof(*cf));

	if (!cf)
		return NULL;
	cf->config = json_object();
	if (!cf->config) {
		free(cf);
		return NULL;
	}
	cf->initial_state = SV_CONNFILE_RUNNING;
	return cf;
}

void sv_connfile_free(struct sv_connfile *cf)
{
	if (!cf)
		return;
	free(cf->name);
	cf->name = NULL;
	json_decref(cf->config);
	cf->config = NULL;
	free(cf);
}

/*
 * Sets cf->name from raw (trimmed, then checked) and puts it into the
 * config as "name".
 */
static int cf_set_name(struct sv_connfile *cf, const char *raw,
                       const char *what, char *err, size_t errlen)
{
	char why[160];
	int r;

	cf->name = cf_trim(raw);
	if (!cf->name) {
		cf_err(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	r = sv_connfile_check_name(cf->name, why, sizeof(why));
	if (r) {
		cf_err(err, errlen, "%s: %s", what, why);
		return r;
	}
	if (json_object_set_new(cf->config, "name", json_string(cf->name))) {
		cf_err(err, errlen, "%s: out of memory", what);
		return -ENOMEM;
	}
	return 0;
}

/* Copies the members of obj into cf->config as strings. */
static int cf_copy_config(struct sv_connfile *cf, const json_t *obj,
                          const char *what, const char *prefix, char *err,
                          size_t errlen)
{
	const char *key;
	json_t *v, *s;

	/* json_object_foreach takes a non-const object but only reads it */
	json_object_foreach((json_t *)obj, key, v)
	{
		s = cf_string_of(v);
		if (!s && errno == ENOMEM) {
			cf_err(err, errlen, "%s: out of memory", what);
			return -ENOMEM;
		}
		if (!s) {
			cf_err(err, errlen,
			       "%s: the value of '%s%s' must be a string, not "
			       "%s",
			       what, prefix, key, cf_type_name(v));
			return -EINVAL;
		}
		if (json_object_set_new(cf->config, key, s)) {
			cf_err(err, errlen, "%s: out of memory", what);
			return -ENOMEM;
		}
	}
	return 0;
}

static int cf_initial_state(struct sv_connfile *cf, const json_t *v,
                            const char *what, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		enum sv_connfile_state state;
	} states[] = {
	    {"RUNNING", SV_CONNFILE_RUNNING},
	    {"PAUSED", SV_CONNFILE_PAUSED},
	    {"STOPPED", SV_CONNFILE_STOPPED},
	};

	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v)) {
		for (size_t i = 0; i < sizeof(states) / sizeof(states[0]);
		     i++) {
			if (strcasecmp(json_string_value(v), states[i].name) ==
			    0) {
				cf->initial_state = states[i].state;
				return 0;
			}
		}
	}
	cf_err(err, errlen,
	       "%s: 'initial_state' must be \"RUNNING\", \"PAUSED\" or "
	       "\"STOPPED\"",
	       what);
	return -EINVAL;
}

/* Form 2: {"name": ..., "config": {...}, "initial_state": ...}. */
static int cf_from_request(struct sv_connfile *cf, const json_t *root,
                           const json_t *config, const char *what, char *err,
                           size_t errlen)
{
	const json_t *jname = json_object_get(root, "name");
	json_t *outer = NULL, *inner, *v;
	char *inner_name = NULL;
	const char *key;
	int r;

	if (!json_is_object(config)) {
		cf_err(err, errlen, "%s: 'config' must be an object, not %s",
		       what, cf_type_name(config));
		return -EINVAL;
	}
	if (!jname) {
		cf_err(err, errlen, "%s: missing the mandatory 'name'", what);
		return -EINVAL;
	}
	outer = cf_string_of(jname);
	if (!outer) {
		r = errno == ENOMEM ? -ENOMEM : -EINVAL;
		cf_err(err, errlen, "%s: 'name' must be a string, not %s", what,
		       cf_type_name(jname));
		return r;
	}
	json_object_foreach((json_t *)root, key, v)
	{
		if (strcmp(key, "name") && strcmp(key, "config") &&
		    strcmp(key, "initial_state") && strcmp(key, "tasks") &&
		    strcmp(key, "type"))
			sv_warn("SV-CONNFILE-IGNORED",
			        "%s: ignoring the unknown member '%s'", what,
			        key);
	}
	r = cf_initial_state(cf, json_object_get(root, "initial_state"), what,
	                     err, errlen);
	if (r)
		goto out;
	r = cf_copy_config(cf, config, what, "config.", err, errlen);
	if (r)
		goto out;
	/* a string now, if present: cf_copy_config converted it */
	inner = json_object_get(cf->config, "name");
	if (inner) {
		inner_name = cf_trim(json_string_value(inner));
		if (!inner_name) {
			cf_err(err, errlen, "%s: out of memory", what);
			r = -ENOMEM;
			goto out;
		}
	}
	r = cf_set_name(cf, json_string_value(outer), what, err, errlen);
	if (r)
		goto out;
	if (inner_name && strcmp(inner_name, cf->name) != 0) {
		cf_err(err, errlen,
		       "%s: 'config.name' (\"%s\") does not match 'name' "
		       "(\"%s\")",
		       what, inner_name, cf->name);
		r = -EINVAL;
	}
out:
	json_decref(outer);
	free(inner_name);
	return r;
}

/* Form 3: a flat object of config properties. */
static int cf_from_flat(struct sv_connfile *cf, const json_t *root,
                        const char *what, char *err, size_t errlen)
{
	const json_t *name;
	int r;

	r = cf_copy_config(cf, root, what, "", err, errlen);
	if (r)
		return r;
	name = json_object_get(cf->config, "name");
	if (!name) {
		cf_err(err, errlen, "%s: missing the mandatory 'name'", what);
		return -EINVAL;
	}
	return cf_set_name(cf, json_string_value(name), what, err, errlen);
}

struct sv_connfile *sv_connfile_from_json(const json_t *root, const char *what,
                                          char *err, size_t errlen)
{
	struct sv_connfile *cf;
	const json_t *config;
	int r;

	if (!json_is_object(root)) {
		cf_err(err, errlen, "%s: expected a JSON object, not %s", what,
		       cf_type_name(root));
		errno = EINVAL;
		return NULL;
	}
	cf = cf_new();
	if (!cf) {
		cf_err(err, errlen, "%s: out of memory", what);
		errno = ENOMEM;
		return NULL;
	}
	config = json_object_get(root, "config");
	if (config && !json_is_string(config))
		r = cf_from_request(cf, root, config, what, err, errlen);
	else
		r = cf_from_flat(cf, root, what, err, errlen);
	if (r) {
		sv_connfile_free(cf);
		errno = -r;
		return NULL;
	}
	return cf;
}

static struct sv_connfile *cf_parse_json(const char *buf, size_t len,
                                         const char *path, char *err,
                                         size_t errlen)
{
	struct sv_connfile *cf;
	json_error_t jerr;
	json_t *root;

	/* jansson does not skip a byte order mark */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		cf_err(err, errlen, "%s:%d:%d: %s", path, jerr.line,
		       jerr.column, jerr.text);
		errno = json_error_code(&jerr) == json_error_out_of_memory
		            ? ENOMEM
		            : EINVAL;
		return NULL;
	}
	cf = sv_connfile_from_json(root, path, err, errlen);
	json_decref(root);
	return cf;
}

static struct sv_connfile *cf_parse_props(const char *buf, size_t len,
                                          const char *path, char *err,
                                          size_t errlen)
{
	struct sv_connfile *cf;
	const json_t *name;
	json_t *props;
	int r;

	props = sv_props_parse(buf, len, path, err, errlen);
	if (!props)
		return NULL;
	cf = calloc(1, sizeof(*cf));
	if (!cf) {
		json_decref(props);
		cf_err(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	cf->config = props;
	cf->initial_state = SV_CONNFILE_RUNNING;
	name = json_object_get(props, "name");
	if (!name) {
		cf_err(err, errlen, "%s: missing the mandatory 'name' property",
		       path);
		r = -EINVAL;
		goto out_free_cf;
	}
	r = cf_set_name(cf, json_string_value(name), path, err, errlen);
	if (r)
		goto out_free_cf;
	return cf;

out_free_cf:
	sv_connfile_free(cf);
	errno = -r;
	return NULL;
}

/* Whether the file is JSON: see the header. */
static bool cf_is_json(const char *buf, size_t len, const char *path)
{
	size_t i = 0;

	if (cf_ends_with(path, ".json"))
		return true;
	if (cf_ends_with(path, ".properties"))
		return false;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' ||
	                   buf[i] == '\n' || buf[i] == '\f'))
		i++;
	return i < len && buf[i] == '{';
}

struct sv_connfile *sv_connfile_parse(const char *buf, size_t len,
                                      const char *path, char *err,
                                      size_t errlen)
{
	if (!buf) /* with len 0 */
		buf = "";
	if (cf_is_json(buf, len, path))
		return cf_parse_json(buf, len, path, err, errlen);
	return cf_parse_props(buf, len, path, err, errlen);
}

struct sv_connfile *sv_connfile_load(const char *path, char *err, size_t errlen)
{
	struct sv_connfile *cf;
	char *buf;
	size_t len;
	int rc, saved;

	rc = sv_file_read(path, SV_CONNFILE_MAX_SIZE, &buf, &len, err, errlen);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	cf = sv_connfile_parse(buf, len, path, err, errlen);
	saved = errno;
	free(buf);
	errno = saved;
	return cf;
}
