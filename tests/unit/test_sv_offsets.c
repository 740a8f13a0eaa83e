/*
 * test_sv_offsets.c: the standalone offset store: Kafka Connect's key
 * shape, staging and atomic flush, reload, tombstones, per-connector
 * views, and refusal of files it cannot trust; and the distributed
 * mode's store: records written to and read from the offset topic.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../supervisor/sv_file.h"
#include "../../supervisor/sv_offsets.h"
#include "testhelp.h"

static char dir[] = "/tmp/test_sv_offsets.XXXXXX";
static char path[256];

static void setup(void)
{
	if (!dir[0] || strstr(dir, "XXXXXX"))
		mkdtemp(dir);
	snprintf(path, sizeof(path), "%s/offsets.json", dir);
	unlink(path);
}

static char *slurp(void)
{
	char *data, err[256];
	size_t len;

	if (sv_file_read(path, 1 << 20, &data, &len, err, sizeof(err)))
		return NULL;
	return data;
}

static void put(struct sv_offsets *o, const char *conn, const char *p,
                const char *v)
{
	CHECK_EQ_INT(sv_offsets_put(o, conn, p, strlen(p), v, strlen(v)), 0);
}

static void test_missing_file_is_empty(void)
{
	char err[256];
	struct sv_offsets *o;
	json_t *of;

	setup();
	o = sv_offsets_open(path, err, sizeof(err));
	CHECK(o != NULL);
	of = sv_offsets_of(o, "c");
	CHECK_EQ_INT(json_array_size(of), 0);
	CHECK(!sv_offsets_dirty(o));
	json_decref(of);
	sv_offsets_free(o);
}

static void test_flush_and_reload(void)
{
	char err[256], *text;
	struct sv_offsets *o;
	json_t *of;

	setup();
	o = sv_offsets_open(path, err, sizeof(err));
	put(o, "file-src", "{\"filename\":\"/tmp/in.txt\"}",
	    "{\"position\":42}");
	put(o, "other", "{\"p\":1}", "{\"o\":2}");
	CHECK(sv_offsets_dirty(o));
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	CHECK(!sv_offsets_dirty(o));
	text = slurp();
	CHECK(text && strstr(text, "{\"key\":[\"file-src\",{\"filename\":"
	                           "\"/tmp/in.txt\"}],\"value\":{\"position\":"
	                           "42}}"));
	free(text);
	/* a newer offset replaces the older one */
	put(o, "file-src", "{\"filename\":\"/tmp/in.txt\"}",
	    "{\"position\":99}");
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	sv_offsets_free(o);

	o = sv_offsets_open(path, err, sizeof(err));
	CHECK(o != NULL);
	of = sv_offsets_of(o, "file-src");
	CHECK_EQ_INT(json_array_size(of), 1);
	CHECK_EQ_STR(
	    json_string_value(json_array_get(json_array_get(of, 0), 0)),
	    "{\"filename\":\"/tmp/in.txt\"}");
	CHECK_EQ_STR(
	    json_string_value(json_array_get(json_array_get(of, 0), 1)),
	    "{\"position\":99}");
	json_decref(of);
	of = sv_offsets_of(o, "other");
	CHECK_EQ_INT(json_array_size(of), 1);
	json_decref(of);
	sv_offsets_free(o);
}

static void test_tombstone_and_remove(void)
{
	char err[256];
	struct sv_offsets *o;
	json_t *of;

	setup();
	o = sv_offsets_open(path, err, sizeof(err));
	put(o, "c", "{\"a\":1}", "{\"x\":1}");
	put(o, "c", "{\"a\":2}", "{\"x\":2}");
	put(o, "d", "{\"a\":1}", "{\"x\":3}");
	put(o, "c", "{\"a\":1}", "null");
	of = sv_offsets_of(o, "c");
	CHECK_EQ_INT(json_array_size(of), 1);
	json_decref(of);
	sv_offsets_remove_connector(o, "c");
	of = sv_offsets_of(o, "c");
	CHECK_EQ_INT(json_array_size(of), 0);
	json_decref(of);
	of = sv_offsets_of(o, "d");
	CHECK_EQ_INT(json_array_size(of), 1);
	json_decref(of);
	sv_offsets_free(o);
}

static void test_rejects_bad_json(void)
{
	char err[256];
	struct sv_offsets *o;

	setup();
	o = sv_offsets_open(path, err, sizeof(err));
	CHECK_EQ_INT(sv_offsets_put(o, "c", "{nope", 5, "1", 1), -EINVAL);
	CHECK_EQ_INT(sv_offsets_put(o, "c", "[1]", 3, "1", 1), -EINVAL);
	CHECK_EQ_INT(sv_offsets_put(o, "c", "{}", 2, "{", 1), -EINVAL);
	CHECK(!sv_offsets_dirty(o));
	sv_offsets_free(o);
}

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_refuses_untrusted_files(void)
{
	static const char *const bad[] = {
	    "not json",
	    "{\"version\":2,\"offsets\":[]}",
	    "{\"version\":1}",
	    "{\"version\":1,\"offsets\":[{\"key\":\"x\",\"value\":1}]}",
	    "{\"version\":1,\"offsets\":[{\"key\":[\"c\",1],\"value\":1}]}",
	    "{\"version\":1,\"offsets\":[],\"offsets\":[]}",
	};
	char err[256];

	setup();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sv_offsets *o;

		write_file(bad[i]);
		err[0] = '\0';
		o = sv_offsets_open(path, err, sizeof(err));
		CHECK(o == NULL);
		CHECK(strstr(err, path) != NULL);
		sv_offsets_free(o);
	}
}

static void test_flush_failure_keeps_staged(void)
{
	char err[256], bad[300];
	struct sv_offsets *o;

	snprintf(bad, sizeof(bad), "%s/no/such/dir/offsets.json", dir);
	o = sv_offsets_open(bad, err, sizeof(err));
	CHECK(o != NULL);
	put(o, "c", "{\"a\":1}", "{\"x\":1}");
	CHECK(sv_offsets_flush(o, err, sizeof(err)) < 0);
	CHECK(strstr(err, "no/such/dir") != NULL);
	CHECK(sv_offsets_dirty(o));
	sv_offsets_free(o);
}

static void test_cleanup(void)
{
	unlink(path);
	rmdir(dir);
	CHECK(access(dir, F_OK) == -1);
}

/* --- topic mode: a writer that records what would go to the topic --- */

struct rec_writer {
	json_t *written; /* [[key, value or null], ...] */
	int syncs;
	int fail;     /* error to return from the sync, 0: none */
	bool pending; /* the nowait sync says "in progress" */
};

static int rec_write(void *arg, const char *key, const char *value, bool wait)
{
	struct rec_writer *w = arg;

	if (!key) {
		w->syncs++;
		if (w->fail)
			return w->fail;
		return !wait && w->pending ? -EINPROGRESS : 0;
	}
	json_array_append_new(w->written, json_pack("[ss?]", key, value));
	return 0;
}

static const char *offset_at(json_t *of, size_t i)
{
	return json_string_value(json_array_get(json_array_get(of, i), 1));
}

static void test_topic_writes_kafka_connect_records(void)
{
	struct rec_writer w = {json_array(), 0, 0, false};
	char err[256];
	struct sv_offsets *o = sv_offsets_open(NULL, err, sizeof(err));
	json_t *rec;

	CHECK(o != NULL);
	sv_offsets_set_writer(o, rec_write, &w);
	put(o, "fsrc", "{\"filename\":\"/in\"}", "{\"position\":42}");
	CHECK(sv_offsets_dirty(o));
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	CHECK(!sv_offsets_dirty(o));
	CHECK_EQ_INT(json_array_size(w.written), 1);
	rec = json_array_get(w.written, 0);
	/* Kafka Connect's key and value, byte for byte */
	CHECK_EQ_STR(json_string_value(json_array_get(rec, 0)),
	             "[\"fsrc\",{\"filename\":\"/in\"}]");
	CHECK_EQ_STR(json_string_value(json_array_get(rec, 1)),
	             "{\"position\":42}");
	CHECK_EQ_INT(w.syncs, 1);
	/* nothing changed: nothing written */
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	CHECK_EQ_INT(json_array_size(w.written), 1);
	/* removing a connector writes tombstones */
	sv_offsets_remove_connector(o, "fsrc");
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	CHECK_EQ_INT(json_array_size(w.written), 2);
	CHECK(json_is_null(json_array_get(json_array_get(w.written, 1), 1)));
	json_decref(w.written);
	sv_offsets_free(o);
}

static void test_topic_failed_sync_keeps_changes(void)
{
	struct rec_writer w = {json_array(), 0, -EIO, false};
	char err[256] = "";
	struct sv_offsets *o = sv_offsets_open(NULL, err, sizeof(err));

	sv_offsets_set_writer(o, rec_write, &w);
	put(o, "c", "{\"p\":1}", "{\"o\":1}");
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "offset topic") != NULL);
	CHECK(sv_offsets_dirty(o));
	/* the next flush sends them again */
	w.fail = 0;
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	CHECK_EQ_INT(json_array_size(w.written), 2);
	/* nowait: on their way, no longer staged */
	w.pending = true;
	put(o, "c", "{\"p\":1}", "{\"o\":2}");
	CHECK_EQ_INT(sv_offsets_flush_nowait(o, err, sizeof(err)),
	             -EINPROGRESS);
	CHECK(!sv_offsets_dirty(o));
	CHECK_EQ_INT(json_array_size(w.written), 3);
	json_decref(w.written);
	sv_offsets_free(o);
}

static void test_topic_records_read_back(void)
{
	struct rec_writer w = {json_array(), 0, 0, false};
	char err[256];
	struct sv_offsets *o = sv_offsets_open(NULL, err, sizeof(err));
	const char *k = "[\"c\",{\"p\":1}]";
	json_t *of;

	sv_offsets_set_writer(o, rec_write, &w);
	/* another member's record */
	CHECK_EQ_INT(sv_offsets_apply(o, k, strlen(k), "{\"o\":5}", 7), 0);
	CHECK(!sv_offsets_dirty(o));
	of = sv_offsets_of(o, "c");
	CHECK_EQ_INT(json_array_size(of), 1);
	CHECK_EQ_STR(offset_at(of, 0), "{\"o\":5}");
	json_decref(of);
	/* a change of ours not yet written wins over an older record */
	put(o, "c", "{\"p\":1}", "{\"o\":9}");
	CHECK_EQ_INT(sv_offsets_apply(o, k, strlen(k), "{\"o\":6}", 7), 0);
	of = sv_offsets_of(o, "c");
	CHECK_EQ_STR(offset_at(of, 0), "{\"o\":9}");
	json_decref(of);
	CHECK_EQ_INT(sv_offsets_flush(o, err, sizeof(err)), 0);
	/* a tombstone removes */
	CHECK_EQ_INT(sv_offsets_apply(o, k, strlen(k), NULL, 0), 0);
	of = sv_offsets_of(o, "c");
	CHECK_EQ_INT(json_array_size(of), 0);
	json_decref(of);
	/* not Kafka Connect's shape */
	CHECK_EQ_INT(sv_offsets_apply(o, "[\"c\"]", 5, "{}", 2), -EINVAL);
	CHECK_EQ_INT(sv_offsets_apply(o, "nope", 4, "{}", 2), -EINVAL);
	CHECK_EQ_INT(sv_offsets_apply(o, k, strlen(k), "{", 1), -EINVAL);
	json_decref(w.written);
	sv_offsets_free(o);
}

TEST_LIST = {
    {"missing_file_is_empty", test_missing_file_is_empty},
    {"flush_and_reload", test_flush_and_reload},
    {"tombstone_and_remove", test_tombstone_and_remove},
    {"rejects_bad_json", test_rejects_bad_json},
    {"refuses_untrusted_files", test_refuses_untrusted_files},
    {"flush_failure_keeps_staged", test_flush_failure_keeps_staged},
    {"topic_writes_kafka_connect_records",
     test_topic_writes_kafka_connect_records},
    {"topic_failed_sync_keeps_changes", test_topic_failed_sync_keeps_changes},
    {"topic_records_read_back", test_topic_records_read_back},
    {"cleanup", test_cleanup},
    {NULL, NULL},
};
