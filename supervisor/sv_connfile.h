/*
 * sv_connfile.h: connector config files, as connect-standalone takes them
 * on its command line.
 *
 * Three forms are accepted:
 *
 *  1. A Java .properties file (sv_props.h) that sets "name".
 *  2. A JSON object in the form of a Kafka Connect REST create request,
 *     {"name": "...", "config": {...}}, optionally with "initial_state"
 *     ("RUNNING", "PAUSED" or "STOPPED", any case; Kafka 3.5 and later).
 *     Other top-level members are ignored with a warning (SV-CONNFILE-
 *     IGNORED), except "tasks" and "type", which the output of
 *     GET /connectors/<name> carries, so a saved response loads as is.
 *     If "config" sets "name", it must equal the outer "name"; if it does
 *     not, the outer name is put into it.
 *  3. A flat JSON object of config properties, {"name": ...,
 *     "connector.class": ..., ...}.
 *
 * A JSON object is form 2 when it has a "config" member whose value is
 * not a string (a non-object "config" is then an error), and form 3
 * otherwise. A file is JSON when its name ends in ".json", or when it
 * does not end in ".properties" and its first non-blank character is '{'
 * (connect-standalone tries JSON first whatever the name). JSON is parsed
 * strictly: duplicate keys, NUL characters and trailing garbage are
 * errors.
 *
 * Config values: Kafka Connect's config is Map<String, String>, and its
 * JSON reader (Jackson) turns number and boolean scalars into strings. So
 * does sluice: true/false become "true"/"false", integers their decimal
 * form, other numbers their shortest form that reads back as the same
 * double (1.50 becomes "1.5"). null, objects and arrays are errors.
 *
 * Connector names: the name is trimmed of leading and trailing whitespace
 * (every character up to U+0020, as Java's String.trim(), which Kafka
 * Connect's REST API applies to names; "name=foo " in a .properties file
 * is a common accident), and the trimmed name is what "name" holds in the
 * config. It must then satisfy sv_connfile_check_name().
 *
 * Errors name the file and the problem; JSON syntax errors carry
 * "file:line:column".
 */
#ifndef SLUICE_SV_CONNFILE_H
#define SLUICE_SV_CONNFILE_H

#include <stddef.h>

#include <jansson.h>

/* sv_connfile_load refuses files larger than this. */
#define SV_CONNFILE_MAX_SIZE (16 * 1024 * 1024)

/* Longest connector name, in bytes: names become file names. */
#define SV_CONNFILE_NAME_MAX 255

enum sv_connfile_state {
	SV_CONNFILE_RUNNING = 0, /* the default */
	SV_CONNFILE_PAUSED,
	SV_CONNFILE_STOPPED,
};

struct sv_connfile {
	char *name;     /* the connector name (trimmed, checked) */
	json_t *config; /* object of string values; "name" is set to name */
	enum sv_connfile_state initial_state;
};

/*
 * Reads the connector config file at path. Returns a new sv_connfile that
 * the caller frees with sv_connfile_free, or NULL with errno set (EINVAL
 * for content errors, EFBIG for a file over SV_CONNFILE_MAX_SIZE, ENOMEM,
 * or the error of open/read) and the reason in err, which names path.
 * Thread-safe.
 */
struct sv_connfile *sv_connfile_load(const char *path, char *err,
                                     size_t errlen);

/*
 * As sv_connfile_load, for len bytes already in memory; path chooses the
 * form (see above) and labels errors.
 */
struct sv_connfile *sv_connfile_parse(const char *buf, size_t len,
                                      const char *path, char *err,
                                      size_t errlen);

/*
 * Builds an sv_connfile from a parsed JSON document in form 2 or 3.
 * root is borrowed (the result holds no reference to it). what labels
 * errors (a path, "request body"). Returns NULL with errno EINVAL or
 * ENOMEM and the reason in err.
 */
struct sv_connfile *sv_connfile_from_json(const json_t *root, const char *what,
                                          char *err, size_t errlen);

/*
 * Checks a connector name, as stored (already trimmed). A name must be
 * non-empty, at most SV_CONNFILE_NAME_MAX bytes, not start or end with
 * whitespace, contain no ISO control character (U+0000 to U+001F, U+007F
 * to U+009F: Kafka Connect rejects those too) and no '/', and not be "."
 * or ".." (it names REST resources and directories). name must be UTF-8.
 * Returns 0, or -EINVAL with the reason (without a file name) in err.
 */
int sv_connfile_check_name(const char *name, char *err, size_t errlen);

/* Frees cf and drops its config reference. NULL is fine. */
void sv_connfile_free(struct sv_connfile *cf);

#endif /* SLUICE_SV_CONNFILE_H */
