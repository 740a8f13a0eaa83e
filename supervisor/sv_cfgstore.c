/* sv_cfgstore.c: see sv_cfgstore.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv_cfgstore.h"
#include "sv_file.h"

#define CFGSTORE_FILE_MAX (64u << 20)

struct sv_cfgstore {
	char *path;
	json_t *connectors;
};

static bool valid_state(const char *s)
{
	return s && (strcmp(s, "RUNNING") == 0 || strcmp(s, "PAUSED") == 0 ||
	             strcmp(s, "STOPPED") == 0);
}

static int check_entry(const char *name, json_t *ent)
{
	json_t *cfg = json_object_get(ent, "config");
	const char *k;
	json_t *v;

	if (!*name || !json_is_object(cfg) ||
	    !valid_state(
	        json_string_value(json_object_get(ent, "target_state"))))
		return -EINVAL;
	json_object_foreach(cfg, k, v)
	{
		if (!json_is_string(v))
			return -EINVAL;
	}
	return 0;
}

static int load(struct sv_cfgstore *s, char *err, size_t errlen)
{
	json_error_t e;
	json_t *doc, *conns, *ent;
	const char *name;
	char *data;
	size_t len;
	int rc;

	rc = sv_file_read(s->path, CFGSTORE_FILE_MAX, &data, &len, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	free(data);
	if (!doc) {
		snprintf(err, errlen, "%s:%d: not a valid config store: %s",
		         s->path, e.line, e.text);
		return -EINVAL;
	}
	conns = json_object_get(doc, "connectors");
	if (json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_object(conns)) {
		snprintf(err, errlen,
		         "%s: not a sluice config store (version 1 with a "
		         "\"connectors\" object)",
		         s->path);
		json_decref(doc);
		return -EINVAL;
	}
	json_object_foreach(conns, name, ent)
	{
		if (check_entry(name, ent)) {
			snprintf(
			    err, errlen,
			    "%s: connector \"%s\" is not {\"config\":{...},"
			    "\"target_state\":\"RUNNING|PAUSED|STOPPED\"} "
			    "with string values",
			    s->path, name);
			json_decref(doc);
			return -EINVAL;
		}
	}
	json_decref(s->connectors);
	s->connectors = json_incref(conns);
	json_decref(doc);
	return 0;
}

static int save(struct sv_cfgstore *s, char *err, size_t errlen)
{
	json_t *doc =
	    json_pack("{sisO}", "version", 1, "connectors", s->connectors);
	char *text = doc ? json_dumps(doc, JSON_INDENT(1)) : NULL;
	int rc;

	if (!text) {
		json_decref(doc);
		snprintf(err, errlen, "%s: out of memory", s->path);
		return -ENOMEM;
	}
	rc = sv_file_write_atomic(s->path, text, strlen(text), err, errlen);
	free(text);
	json_decref(doc);
	return rc;
}

struct sv_cfgstore *sv_cfgstore_open(const char *path, char *err, size_t errlen)
{
	struct sv_cfgstore *s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path)) ||
	    !(s->connectors = json_object())) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (load(s, err, errlen))
		goto out_free;
	return s;
out_free:
	sv_cfgstore_free(s);
	return NULL;
}

void sv_cfgstore_free(struct sv_cfgstore *s)
{
	if (!s)
		return;
	json_decref(s->connectors);
	free(s->path);
	free(s);
}

json_t *sv_cfgstore_connectors(struct sv_cfgstore *s)
{
	return s->connectors;
}

/* Applies a change and saves; on a failed save, restores the old entry. */
static int commit(struct sv_cfgstore *s, const char *name, json_t *newent,
                  char *err, size_t errlen)
{
	json_t *old = json_incref(json_object_get(s->connectors, name));
	int rc;

	if (newent)
		rc = json_object_set_new(s->connectors, name, newent) ? -ENOMEM
		                                                      : 0;
	else
		rc = json_object_del(s->connectors, name) ? -ENOENT : 0;
	if (rc == 0 && (rc = save(s, err, errlen))) {
		if (old)
			json_object_set(s->connectors, name, old);
		else
			json_object_del(s->connectors, name);
	}
	json_decref(old);
	return rc;
}

int sv_cfgstore_put(struct sv_cfgstore *s, const char *name, json_t *config,
                    const char *target_state, char *err, size_t errlen)
{
	json_t *ent;

	if (!valid_state(target_state))
		return -EINVAL;
	ent = json_pack("{soss}", "config", json_deep_copy(config),
	                "target_state", target_state);
	if (!ent) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return commit(s, name, ent, err, errlen);
}

int sv_cfgstore_set_state(struct sv_cfgstore *s, const char *name,
                          const char *target_state, char *err, size_t errlen)
{
	json_t *old = json_object_get(s->connectors, name);

	if (!old)
		return -ENOENT;
	return sv_cfgstore_put(s, name, json_object_get(old, "config"),
	                       target_state, err, errlen);
}

int sv_cfgstore_remove(struct sv_cfgstore *s, const char *name, char *err,
                       size_t errlen)
{
	if (!json_object_get(s->connectors, name))
		return -ENOENT;
	return commit(s, name, NULL, err, errlen);
}
