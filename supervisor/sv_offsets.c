/* sv_offsets.c: see sv_offsets.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv_file.h"
#include "sv_offsets.h"

#define OFFSETS_FILE_MAX (256u << 20)

struct sv_offsets {
	char *path;
	/* key text -> [connector, partition text, offset text] */
	json_t *entries;
	bool dirty;
	/* topic mode: key text -> offset text or null, not yet written */
	json_t *changed;
	sv_offsets_writer writer;
	void *writer_arg;
};

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The key text ["conn",partition] for a parsed partition. */
static char *key_text(const char *conn, json_t *partition)
{
	json_t *k = json_pack("[sO]", conn, partition);
	char *s = k ? dump(k) : NULL;

	json_decref(k);
	return s;
}

static int put_parsed(struct sv_offsets *o, const char *conn, json_t *part,
                      json_t *off)
{
	char *key = key_text(conn, part);
	char *ptext = dump(part), *otext = dump(off);
	int rc = -ENOMEM;

	if (!key || !ptext || !otext)
		goto out;
	if (json_is_null(off)) {
		json_object_del(o->entries, key);
	} else if (json_object_set_new(
	               o->entries, key,
	               json_pack("[sss]", conn, ptext, otext))) {
		goto out;
	}
	if (o->changed &&
	    json_object_set_new(o->changed, key,
	                        json_is_null(off) ? json_null()
	                                          : json_string(otext)))
		goto out;
	o->dirty = true;
	rc = 0;
out:
	free(key);
	free(ptext);
	free(otext);
	return rc;
}

int sv_offsets_put(struct sv_offsets *o, const char *conn,
                   const char *partition, size_t plen, const char *offset,
                   size_t olen)
{
	json_error_t e;
	json_t *part = json_loadb(partition, plen,
	                          JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	json_t *off = json_loadb(offset, olen,
	                         JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
	int rc = -EINVAL;

	if (part && off && json_is_object(part))
		rc = put_parsed(o, conn, part, off);
	json_decref(part);
	json_decref(off);
	return rc;
}

void sv_offsets_remove_connector(struct sv_offsets *o, const char *conn)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(o->entries, tmp, k, v)
	{
		if (strcmp(json_string_value(json_array_get(v, 0)), conn) ==
		    0) {
			if (o->changed)
				json_object_set_new(o->changed, k, json_null());
			json_object_del(o->entries, k);
			o->dirty = true;
		}
	}
}

json_t *sv_offsets_of(struct sv_offsets *o, const char *conn)
{
	json_t *out = json_array();
	const char *k;
	json_t *v;

	if (!out)
		return NULL;
	json_object_foreach(o->entries, k, v)
	{
		if (strcmp(json_string_value(json_array_get(v, 0)), conn) != 0)
			continue;
		if (json_array_append_new(
		        out, json_pack("[OO]", json_array_get(v, 1),
		                       json_array_get(v, 2)))) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

bool sv_offsets_dirty(const struct sv_offsets *o)
{
	return o->dirty;
}

static int load(struct sv_offsets *o, char *err, size_t errlen)
{
	json_error_t e;
	json_t *doc, *list, *ent;
	char *data;
	size_t len, i;
	int rc;

	rc = sv_file_read(o->path, OFFSETS_FILE_MAX, &data, &len, err, errlen);
	if (rc == -ENOENT)
		return 0;
	if (rc)
		return rc;
	doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
	free(data);
	if (!doc) {
		snprintf(err, errlen, "%s:%d: not a valid offset file: %s",
		         o->path, e.line, e.text);
		return -EINVAL;
	}
	rc = -EINVAL;
	list = json_object_get(doc, "offsets");
	if (json_integer_value(json_object_get(doc, "version")) != 1 ||
	    !json_is_array(list)) {
		snprintf(err, errlen,
		         "%s: not a sluice offset file (version 1 with an "
		         "\"offsets\" array)",
		         o->path);
		goto out;
	}
	json_array_foreach(list, i, ent)
	{
		json_t *key = json_object_get(ent, "key");
		json_t *val = json_object_get(ent, "value");

		if (!json_is_array(key) || json_array_size(key) != 2 ||
		    !json_is_string(json_array_get(key, 0)) ||
		    !json_is_object(json_array_get(key, 1)) || !val) {
			snprintf(
			    err, errlen,
			    "%s: entry %zu is not {\"key\":[\"<connector>\","
			    "{...}],\"value\":...}",
			    o->path, i);
			goto out;
		}
		if (put_parsed(o, json_string_value(json_array_get(key, 0)),
		               json_array_get(key, 1), val)) {
			snprintf(err, errlen, "%s: out of memory", o->path);
			rc = -ENOMEM;
			goto out;
		}
	}
	o->dirty = false;
	rc = 0;
out:
	json_decref(doc);
	return rc;
}

struct sv_offsets *sv_offsets_open(const char *path, char *err, size_t errlen)
{
	struct sv_offsets *o = calloc(1, sizeof(*o));

	if (!o || (path && !(o->path = strdup(path))) ||
	    !(o->entries = json_object()) ||
	    (!path && !(o->changed = json_object()))) {
		snprintf(err, errlen, "out of memory");
		goto out_free;
	}
	if (path && load(o, err, errlen))
		goto out_free;
	return o;
out_free:
	sv_offsets_free(o);
	return NULL;
}

void sv_offsets_free(struct sv_offsets *o)
{
	if (!o)
		return;
	json_decref(o->entries);
	json_decref(o->changed);
	free(o->path);
	free(o);
}

void sv_offsets_set_writer(struct sv_offsets *o, sv_offsets_writer fn,
                           void *arg)
{
	o->writer = fn;
	o->writer_arg = arg;
}

int sv_offsets_apply(struct sv_offsets *o, const char *key, size_t klen,
                     const char *value, size_t vlen)
{
	json_error_t e;
	json_t *k = json_loadb(key, klen, 0, &e), *off = NULL;
	char *ktext = NULL, *ptext = NULL, *otext = NULL;
	const char *conn;
	int rc = -EINVAL;

	if (!k || json_array_size(k) != 2 ||
	    !(conn = json_string_value(json_array_get(k, 0))) ||
	    !json_is_object(json_array_get(k, 1)))
		goto out;
	if (value && !(off = json_loadb(value, vlen, JSON_DECODE_ANY, &e)))
		goto out;
	rc = -ENOMEM;
	if (!(ktext = dump(k)) || !(ptext = dump(json_array_get(k, 1))))
		goto out;
	rc = 0;
	/* a change of ours not yet written is newer than what we read */
	if (o->changed && json_object_get(o->changed, ktext))
		goto out;
	if (!off || json_is_null(off)) {
		json_object_del(o->entries, ktext);
	} else if (!(otext = dump(off)) ||
	           json_object_set_new(
	               o->entries, ktext,
	               json_pack("[sss]", conn, ptext, otext))) {
		rc = -ENOMEM;
	}
out:
	free(ktext);
	free(ptext);
	free(otext);
	json_decref(k);
	json_decref(off);
	return rc;
}

static int flush_topic(struct sv_offsets *o, bool wait, char *err,
                       size_t errlen)
{
	const char *k;
	json_t *v;
	int rc;

	json_object_foreach(o->changed, k, v)
	{
		rc = o->writer(o->writer_arg, k,
		               json_is_null(v) ? NULL : json_string_value(v),
		               wait);
		if (rc) {
			snprintf(err, errlen,
			         "cannot write offsets to the offset topic: %s",
			         strerror(-rc));
			return rc;
		}
	}
	rc = o->writer(o->writer_arg, NULL, NULL, wait);
	if (rc && rc != -EINPROGRESS) {
		snprintf(err, errlen,
		         "offsets not acknowledged by the offset topic: %s",
		         strerror(-rc));
		return rc;
	}
	json_object_clear(o->changed);
	o->dirty = false;
	return rc;
}

int sv_offsets_flush_nowait(struct sv_offsets *o, char *err, size_t errlen)
{
	if (o->dirty && !o->path && o->writer)
		return flush_topic(o, false, err, errlen);
	return sv_offsets_flush(o, err, errlen);
}

int sv_offsets_flush(struct sv_offsets *o, char *err, size_t errlen)
{
	json_t *list = json_array(), *doc = NULL;
	const char *k;
	json_t *v;
	char *text = NULL;
	int rc = -ENOMEM;

	if (!o->dirty || !o->path) {
		json_decref(list);
		if (o->dirty && o->writer)
			return flush_topic(o, true, err, errlen);
		return 0;
	}
	if (!list)
		goto out;
	json_object_foreach(o->entries, k, v)
	{
		json_error_t e;
		json_t *key = json_loads(k, 0, &e);
		json_t *val =
		    json_loads(json_string_value(json_array_get(v, 2)),
		               JSON_DECODE_ANY, &e);

		if (!key || !val ||
		    json_array_append_new(
		        list, json_pack("{soso}", "key", key, "value", val))) {
			json_decref(key);
			json_decref(val);
			goto out;
		}
	}
	doc = json_pack("{sisO}", "version", 1, "offsets", list);
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT)))
		goto out;
	rc = sv_file_write_atomic(o->path, text, strlen(text), err, errlen);
	if (rc == 0)
		o->dirty = false;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", o->path);
	free(text);
	json_decref(doc);
	json_decref(list);
	return rc;
}
